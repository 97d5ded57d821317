package update

import (
	"sort"
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// UpsertSeed returns the document an upsert starts from: the equality
// conditions of filter ({a: 1}, {a: {$eq: 1}}, {a: {$in: [1]}}, dotted
// paths, and those inside $and or a single-clause $or), with dotted paths
// expanded into embedded documents, fields in path order and _id first.
// Other conditions are ignored. Two equalities on one path, or on a path and
// its prefix, are NotSingleValueField (54), as in MongoDB. The result is
// newly allocated; an empty filter gives an empty document.
func UpsertSeed(filter bson.Raw) (bson.Raw, error) {
	if err := validate(filter, "filter"); err != nil {
		return nil, err
	}
	var eqs []equality
	if len(filter) > 0 {
		var err error
		if eqs, err = collect(filter, eqs, 0); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(eqs, func(i, j int) bool { return eqs[i].path < eqs[j].path })
	for i := range eqs {
		for j := i + 1; j < len(eqs); j++ {
			a, b := eqs[i].path, eqs[j].path
			switch {
			case a == b:
				return nil, codes.New(codes.NotSingleValueField, "cannot infer query fields to set, path '%s' is matched twice", a)
			case strings.HasPrefix(b, a+"."):
				return nil, codes.New(codes.NotSingleValueField, "cannot infer query fields to set, both paths '%s' and '%s' are matched", a, b)
			case strings.HasPrefix(a, b+"."):
				return nil, codes.New(codes.NotSingleValueField, "cannot infer query fields to set, both paths '%s' and '%s' are matched", b, a)
			}
		}
	}
	for i := range eqs {
		eqs[i].parts = strings.Split(eqs[i].path, ".")
	}
	// _id goes first, as MongoDB stores it.
	sort.SliceStable(eqs, func(i, j int) bool {
		return eqs[i].parts[0] == "_id" && eqs[j].parts[0] != "_id"
	})
	return bson.Raw(build(eqs, 0)), nil
}

// equality is one path = value condition of a filter.
type equality struct {
	path  string
	parts []string
	value bson.RawValue
}

// upsertMaxDepth bounds recursion through nested $and on hostile input.
const upsertMaxDepth = 100

// collect appends the equality conditions of a filter document.
func collect(filter bson.Raw, eqs []equality, depth int) ([]equality, error) {
	if depth > upsertMaxDepth {
		return nil, codes.New(codes.BadValue, "filter is nested too deeply")
	}
	elems, err := filter.Elements()
	if err != nil {
		return nil, codes.New(codes.BadValue, "invalid filter: %v", err)
	}
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		if strings.HasPrefix(k, "$") {
			if (k != "$and" && k != "$or") || v.Type != bson.TypeArray {
				continue
			}
			clauses := arrayValues(v.Value)
			if k == "$or" && len(clauses) != 1 {
				continue
			}
			for _, c := range clauses {
				if c.Type != bson.TypeEmbeddedDocument {
					continue
				}
				if eqs, err = collect(c.Document(), eqs, depth+1); err != nil {
					return nil, err
				}
			}
			continue
		}
		if skipPath(k) {
			continue
		}
		if eq, ok := equalityValue(v); ok {
			eqs = append(eqs, equality{path: k, value: eq})
		}
	}
	return eqs, nil
}

// skipPath reports paths that cannot name a field to create: empty
// components or $-prefixed ones.
func skipPath(p string) bool {
	for _, part := range strings.Split(p, ".") {
		if part == "" || strings.HasPrefix(part, "$") {
			return true
		}
	}
	return false
}

// equalityValue returns the value a condition pins its field to:
// a plain value, $eq, or a single-element $in. Regular expressions are
// matches, not equalities.
func equalityValue(v bson.RawValue) (bson.RawValue, bool) {
	switch v.Type {
	case bson.TypeRegex:
		return bson.RawValue{}, false
	case bson.TypeEmbeddedDocument:
		first, ok := firstKey(v.Document())
		if !ok || !strings.HasPrefix(first, "$") {
			return v, true
		}
		elems, _ := v.Document().Elements()
		for _, e := range elems {
			ev := e.Value()
			switch e.Key() {
			case "$eq":
				return ev, true
			case "$in":
				if ev.Type != bson.TypeArray {
					continue
				}
				vals := arrayValues(ev.Value)
				if len(vals) == 1 && vals[0].Type != bson.TypeRegex {
					return vals[0], true
				}
			}
		}
		return bson.RawValue{}, false
	}
	return v, true
}

// build encodes the equalities (sorted, without path conflicts) as
// a document, grouping paths that share a first component at depth.
func build(eqs []equality, depth int) []byte {
	out := make([]byte, 4, 64)
	for i := 0; i < len(eqs); {
		name := eqs[i].parts[depth]
		if len(eqs[i].parts) == depth+1 {
			out = appendElem(out, name, eqs[i].value)
			i++
			continue
		}
		j := i + 1
		for j < len(eqs) && len(eqs[j].parts) > depth+1 && eqs[j].parts[depth] == name {
			j++
		}
		sub := build(eqs[i:j], depth+1)
		out = appendElem(out, name, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: sub})
		i = j
	}
	out = append(out, 0)
	return finishDoc(out)
}
