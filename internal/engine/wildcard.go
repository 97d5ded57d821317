package engine

import (
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
)

// Wildcard indexes ({"$**": 1}, {"a.$**": 1}, wildcardProjection) index
// every field path of a document, as mongod's WildcardKeyGenerator does:
// one entry per (path, value) pair, keyed
//
//	enc(path as a string) enc(value) enc(_id)
//
// Documents are walked, not indexed whole: a non-empty embedded document
// contributes the entries of its fields, an empty one the value {}. Array
// elements are indexed under the array's own path (no position in it, so
// the index is multikey), documents in arrays are walked on, and an array
// inside an array is one value. The planner uses a wildcard index for one
// equality or range predicate on a path the index holds (explain shows the
// path as $_path); like mongod it never uses one for a sort, for $exists:
// false or null (the index holds no entry for a missing field), nor for
// equality with a document or an array (the index holds their contents,
// not them).

// wildcardIndex is what a wildcard index indexes.
type wildcardIndex struct {
	// root is the subtree of {"a.b.$**": 1} ("a.b"), "" for {"$**": 1}.
	root string
	// proj is the wildcardProjection ({"$**": 1} only): with inclusion,
	// only paths at or under one of paths are indexed (and _id only when
	// listed); without it, paths at or under one of paths are not (nor
	// _id, unless includeID).
	projRaw   bson.Raw
	inclusion bool
	paths     []string
	includeID bool
}

// isWildcardKey reports whether a key pattern field is a wildcard one.
func isWildcardKey(k string) bool { return k == "$**" || strings.HasSuffix(k, ".$**") }

// newWildcard validates a wildcard key pattern (a single field) and its
// projection, with mongod's codes: CannotCreateIndex (67) for a compound
// or non-positive pattern and for the unique, sparse and TTL options,
// FailedToParse (9) for an empty projection or one with a subtree pattern,
// 31254 (exclusion after inclusion) / 31253 (inclusion after
// exclusion), 51271 for a value
// that is not a number or a boolean.
func newWildcard(s IndexSpec) (*wildcardIndex, error) {
	spec := patternString(s.Key)
	if len(s.Key) != 1 {
		return nil, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: compound wildcard indexes are not supported", spec)
	}
	k := s.Key[0].Key
	if d, ok := indexDirection(s.Key[0].Value); !ok || d < 0 {
		return nil, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: A numeric value in a $** index key pattern must be positive.", spec)
	}
	root := strings.TrimSuffix(strings.TrimSuffix(k, "$**"), ".")
	if strings.Contains(root, "$**") || strings.HasPrefix(root, "$") || strings.Contains(root, "..") || strings.HasPrefix(root, ".") {
		return nil, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: Index key contains an illegal field name: '%s'", spec, k)
	}
	for _, o := range []struct {
		on   bool
		name string
	}{{s.Unique, "unique"}, {s.Sparse, "sparse"}, {s.TTL, "expireAfterSeconds"}} {
		if o.on {
			return nil, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: Index type 'wildcard' does not support the '%s' option", spec, o.name)
		}
	}
	w := &wildcardIndex{root: root}
	if s.WildcardProjection == nil {
		return w, nil
	}
	if root != "" {
		return nil, codes.New(codes.FailedToParse, "Error in specification %s :: caused by :: The field 'wildcardProjection' is only allowed in an 'wildcard' index with key {\"$**\": 1}", spec)
	}
	elems, err := s.WildcardProjection.Elements()
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "invalid wildcardProjection: %v", err)
	}
	if len(elems) == 0 {
		return nil, codes.New(codes.FailedToParse, "Error in specification %s :: caused by :: The 'wildcardProjection' field can't be an empty object", spec)
	}
	w.projRaw = append(bson.Raw(nil), s.WildcardProjection...)
	w.paths = []string{}
	sawIncl, sawExcl := false, false
	idSet, idVal := false, false
	var add func(prefix string, d bson.Raw) error
	add = func(prefix string, d bson.Raw) error {
		es, _ := d.Elements()
		for _, e := range es {
			path := e.Key()
			if prefix != "" {
				path = prefix + "." + path
			}
			v := e.Value()
			if sub, ok := v.DocumentOK(); ok {
				if err := add(path, sub); err != nil {
					return err
				}
				continue
			}
			var on bool
			switch {
			case v.Type == bson.TypeBoolean:
				on = v.Boolean()
			case v.IsNumber():
				on = !indexZero(v)
			default:
				return codes.New(51271, "Bad projection specification, cannot use computed fields when parsing a spec in kBanComputedFields mode")
			}
			if path == "_id" {
				idSet, idVal = true, on
				continue
			}
			if on {
				if sawExcl {
					return codes.New(31253, "Cannot do inclusion on field %s in exclusion projection", path)
				}
				sawIncl = true
			} else {
				if sawIncl {
					return codes.New(codes.Location31254, "Cannot do exclusion on field %s in inclusion projection", path)
				}
				sawExcl = true
			}
			w.paths = append(w.paths, path)
		}
		return nil
	}
	if err := add("", s.WildcardProjection); err != nil {
		return nil, err
	}
	switch {
	case sawIncl:
		w.inclusion, w.includeID = true, idSet && idVal
	case sawExcl:
		w.includeID = idSet && idVal
	default: // only _id: {_id: 1} indexes _id alone, {_id: 0} the rest
		w.inclusion, w.includeID = idVal, idVal
	}
	return w, nil
}

// indexZero reports whether a numeric value is zero.
func indexZero(v bson.RawValue) bool {
	if d, ok := v.Decimal128OK(); ok {
		return value.DecimalIsZero(d)
	}
	return v.AsFloat64() == 0
}

// under reports whether path is p or below it.
func under(path, p string) bool {
	return path == p || strings.HasPrefix(path, p+".")
}

// holds reports whether the index has entries for path (a full dotted
// path of a leaf value).
func (w *wildcardIndex) holds(path string) bool {
	if w.root != "" {
		return under(path, w.root)
	}
	if under(path, "_id") {
		return w.includeID
	}
	if w.paths == nil {
		return true
	}
	for _, p := range w.paths {
		if under(path, p) {
			return w.inclusion
		}
	}
	return !w.inclusion
}

// descend reports whether the walk must enter the document at path: some
// indexed path may lie below it.
func (w *wildcardIndex) descend(path string) bool {
	if w.root != "" {
		return under(path, w.root) || under(w.root, path)
	}
	if under(path, "_id") {
		return w.includeID
	}
	for _, p := range w.paths {
		if w.inclusion && (under(path, p) || under(p, path)) {
			return true
		}
		if !w.inclusion && under(path, p) {
			return false
		}
	}
	return !w.inclusion || w.paths == nil
}

// wildcardEntries returns doc's entries in a wildcard index ix and
// whether one of them comes from an array.
func (ix *index) wildcardEntries(doc bson.Raw) ([]indexEntry, bool, error) {
	g := wildcardGen{w: ix.wildcard, seen: map[string]bool{}}
	g.doc("", doc)
	if g.multikey && !ix.multikey.Load() {
		ix.multikey.Store(true)
	}
	return g.out, g.multikey, nil
}

// wildcardGen collects one document's wildcard entries.
type wildcardGen struct {
	w        *wildcardIndex
	out      []indexEntry
	seen     map[string]bool
	multikey bool
}

// doc walks the fields of an embedded document at prefix.
func (g *wildcardGen) doc(prefix string, d bson.Raw) {
	elems, _ := d.Elements()
	for _, e := range elems {
		path := e.Key()
		if prefix != "" {
			path = prefix + "." + path
		}
		g.value(path, e.Value(), false)
	}
}

// value indexes v at path (inArray: v is an array's element).
func (g *wildcardGen) value(path string, v bson.RawValue, inArray bool) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		d, _ := v.DocumentOK()
		if len(d) > 5 {
			if g.w.descend(path) {
				g.doc(path, d)
			}
			return
		}
	case bson.TypeArray:
		if inArray {
			break // an array in an array is one value
		}
		g.multikey = true
		arr, _ := v.ArrayOK()
		vals, _ := arr.Values()
		if len(vals) == 0 {
			g.add(path, bson.RawValue{Type: bson.TypeUndefined})
			return
		}
		for _, el := range vals {
			g.value(path, el, true)
		}
		return
	}
	g.add(path, v)
}

// add records the entry (path, v) once.
func (g *wildcardGen) add(path string, v bson.RawValue) {
	if !g.w.holds(path) {
		return
	}
	k := appendKeyString([]byte{bracketString}, path)
	k = appendKeyValue(k, v)
	if g.seen[string(k)] {
		return
	}
	g.seen[string(k)] = true
	g.out = append(g.out, indexEntry{key: k, vals: entryMultikey})
}

// wildcardPattern is the key pattern explain shows for a wildcard scan of
// path: {$_path: 1, <path>: 1}.
func wildcardPattern(path string) bson.D {
	return bson.D{{Key: "$_path", Value: int32(1)}, {Key: path, Value: int32(1)}}
}

// planWildcardScan builds the scan of wildcard index ix for the best of
// conds it can serve: an equality (score 2) before a range (score 1) on
// a path the index holds; nil when it serves none.
func planWildcardScan(c *collection, ix *index, conds []filter.Condition) (*plan, int) {
	var best *filter.Condition
	score := 0
	for i := range conds {
		cd := &conds[i]
		if !planUsable(*cd) || planMatchesNull(*cd) || !ix.wildcard.holds(cd.Path) || cd.Path == "_id" && ix.wildcard.root == "" && !ix.wildcard.includeID {
			continue
		}
		if wildcardNumericPath(cd.Path) {
			continue // a position in an array: the entries have none
		}
		ok := true
		for _, v := range cd.Values {
			if v.Type == bson.TypeEmbeddedDocument || v.Type == bson.TypeUndefined {
				ok = false // documents are walked, not indexed whole
			}
		}
		if !ok {
			continue
		}
		s := 1
		if cd.Op == filter.CondEq || cd.Op == filter.CondIn {
			s = 2
		}
		if s > score {
			best, score = cd, s
		}
	}
	if best == nil {
		return nil, 0
	}
	prefix := appendKeyString(append(indexPrefix(c.id, ix.id), bracketString), best.Path)
	var ranges []keyRange
	if best.Op == filter.CondEq || best.Op == filter.CondIn {
		for _, enc := range planDistinctEncoded(best.Values, false) {
			p := append(append([]byte(nil), prefix...), enc...)
			ranges = append(ranges, keyRange{p, prefixSuccessor(p)})
		}
		sortRanges(ranges)
	} else {
		lo, hi := planBounds(*best)
		ranges = []keyRange{{append(append([]byte(nil), prefix...), lo...), append(append([]byte(nil), prefix...), hi...)}}
	}
	return &plan{kind: planIndex, summary: "IXSCAN " + patternString(wildcardPattern(best.Path)), ix: ix, ranges: ranges,
		wildcardPath: best.Path}, score
}

// wildcardNumericPath reports whether a path has a numeric component
// (after the first), which may name an array position.
func wildcardNumericPath(path string) bool {
	parts := strings.Split(path, ".")
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err == nil {
			return true
		}
	}
	return false
}
