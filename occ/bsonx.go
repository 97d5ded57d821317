package occ

import (
	"bytes"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// toD returns v as a bson.D without copying when it is one.
func toD(v any) (bson.D, error) {
	switch d := v.(type) {
	case bson.D:
		return d, nil
	case bson.Raw:
		var out bson.D
		return out, bson.Unmarshal(d, &out)
	}
	raw, err := bson.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bson.D
	return out, bson.Unmarshal(raw, &out)
}

// lookupD returns the value of key in d.
func lookupD(d bson.D, key string) (any, bool) {
	for _, e := range d {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

// setD returns a copy of d with key set to v, in place if present, appended if not.
func setD(d bson.D, key string, v any) bson.D {
	out := make(bson.D, len(d), len(d)+1)
	copy(out, d)
	for i := range out {
		if out[i].Key == key {
			out[i].Value = v
			return out
		}
	}
	return append(out, bson.E{Key: key, Value: v})
}

// addField returns a copy of the update u with field: v added to its operator op ($inc, $set, ...), creating
// the operator when u has none. u itself is not modified.
func addField(u bson.D, op, field string, v any) bson.D {
	out := make(bson.D, len(u), len(u)+1)
	copy(out, u)
	for i := range out {
		if out[i].Key != op {
			continue
		}
		args, err := toD(out[i].Value)
		if err != nil {
			// Not a document: leave it for the server to reject.
			return out
		}
		out[i].Value = setD(args, field, v)
		return out
	}
	return append(out, bson.E{Key: op, Value: bson.D{{Key: field, Value: v}}})
}

// versionOf returns the document's version, 0 when it has none.
func versionOf(doc bson.Raw, field string) int64 {
	v, err := doc.LookupErr(field)
	if err != nil {
		return 0
	}
	n, _ := v.AsInt64OK()
	return n
}

// changes is the difference between two documents as an update: the paths to $set with their new values and
// the paths to $unset, each path once, in document order.
type changes struct {
	set   bson.D
	unset bson.D
	paths []string
}

// update returns the operator document of c.
func (c *changes) update() bson.D {
	var u bson.D
	if len(c.set) > 0 {
		u = append(u, bson.E{Key: "$set", Value: c.set})
	}
	if len(c.unset) > 0 {
		u = append(u, bson.E{Key: "$unset", Value: c.unset})
	}
	return u
}

// diff computes the changes from base to mine. It recurses into fields that are documents on both sides, so
// that an edit of a.b sends a.b and not the whole of a; arrays and values of another type are sent whole.
// Values compare by BSON type and bytes, so int32(1) and int64(1) differ. skip names top-level fields to leave
// alone.
func diff(base, mine bson.Raw, skip func(string) bool) changes {
	var c changes
	c.walk(base, mine, "", skip)
	return c
}

func (c *changes) walk(base, mine bson.Raw, prefix string, skip func(string) bool) {
	baseElems, _ := base.Elements()
	old := make(map[string]bson.RawValue, len(baseElems))
	for _, e := range baseElems {
		old[e.Key()] = e.Value()
	}
	mineElems, _ := mine.Elements()
	seen := make(map[string]bool, len(mineElems))
	for _, e := range mineElems {
		k, v := e.Key(), e.Value()
		seen[k] = true
		if prefix == "" && skip != nil && skip(k) {
			continue
		}
		p := prefix + k
		b, ok := old[k]
		switch {
		case ok && b.Type == bson.TypeEmbeddedDocument && v.Type == bson.TypeEmbeddedDocument && !strings.ContainsAny(k, ".$"):
			c.walk(b.Document(), v.Document(), p+".", nil)
		case !ok || b.Type != v.Type || !bytes.Equal(b.Value, v.Value):
			c.set = append(c.set, bson.E{Key: p, Value: v})
			c.paths = append(c.paths, p)
		}
	}
	for _, e := range baseElems {
		k := e.Key()
		if seen[k] || (prefix == "" && skip != nil && skip(k)) {
			continue
		}
		c.unset = append(c.unset, bson.E{Key: prefix + k, Value: ""})
		c.paths = append(c.paths, prefix+k)
	}
}

// changedPaths returns the paths that differ between base and cur.
func changedPaths(base, cur bson.Raw, skip func(string) bool) []string {
	return diff(base, cur, skip).paths
}

// overlapping returns the paths of mine that collide with a path of theirs: the same path, or one inside the
// other ("a" and "a.b").
func overlapping(mine, theirs []string) []string {
	var out []string
	for _, p := range mine {
		for _, q := range theirs {
			if p == q || strings.HasPrefix(q, p+".") || strings.HasPrefix(p, q+".") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// fieldChecks returns the filter conditions of field-level checking: each changed path still holds its base
// value. A missing base value is checked with $exists; a present one with $expr and $literal, which compare
// arrays and documents as whole values (a plain {path: value} would also match an array containing value).
func fieldChecks(base bson.Raw, paths []string) bson.D {
	var f bson.D
	var eqs bson.A
	for _, p := range paths {
		v, err := base.LookupErr(strings.Split(p, ".")...)
		if err != nil {
			f = append(f, bson.E{Key: p, Value: bson.D{{Key: "$exists", Value: false}}})
			continue
		}
		eqs = append(eqs, bson.D{{Key: "$eq", Value: bson.A{"$" + p, bson.D{{Key: "$literal", Value: v}}}}})
	}
	switch len(eqs) {
	case 0:
	case 1:
		f = append(f, bson.E{Key: "$expr", Value: eqs[0]})
	default:
		f = append(f, bson.E{Key: "$expr", Value: bson.D{{Key: "$and", Value: eqs}}})
	}
	if f == nil {
		// No path: nothing to check, but the filter must still say "field-level" to exec.
		f = bson.D{}
	}
	return f
}

// withoutKey returns d without the element named key (a copy when there was one).
func withoutKey(d bson.D, key string) bson.D {
	for i, e := range d {
		if e.Key == key {
			return append(append(bson.D{}, d[:i]...), d[i+1:]...)
		}
	}
	return d
}
