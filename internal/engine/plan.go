package engine

import (
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// planKind is the access path of a query.
type planKind int

// The access paths.
const (
	planCollScan planKind = iota // every document of the collection
	planIDHack                   // one _id equality: a single point read
	planIDPoints                 // _id $in: point reads in key order
	planIDRange                  // _id range: a bounded document scan
	planIndex                    // secondary index ranges
)

// keyRange is a half-open range [lo, hi) of Pebble keys.
type keyRange struct{ lo, hi []byte }

// plan is a chosen access path. Its candidates are a superset of the
// matching documents: callers always re-check the filter.
type plan struct {
	kind    planKind
	summary string
	points  [][]byte   // document keys (planIDHack, planIDPoints)
	ix      *index     // planIndex
	ranges  []keyRange // planIndex, planIDRange
	// cond is the condition the ranges or points come from (all but planCollScan), for explain's indexBounds.
	cond filter.Condition
}

// planFor picks the access path for f over c (MongoDB's choice in the common
// cases): _id equality is IDHACK; otherwise an equality (or $in) on the
// first field of an index, then a range on it; otherwise a collection scan.
func planFor(c *collection, f *filter.Filter) *plan {
	if c == nil {
		return &plan{kind: planCollScan, summary: "EOF"}
	}
	conds := f.Conditions()
	// _id equality and $in.
	for _, cd := range conds {
		if cd.Path != "_id" || !planUsable(cd) {
			continue
		}
		switch cd.Op {
		case filter.CondEq:
			return &plan{kind: planIDHack, summary: "IDHACK", points: [][]byte{docKey(c.id, cd.Values[0])}, cond: cd}
		case filter.CondIn:
			return &plan{kind: planIDPoints, summary: "IXSCAN { _id: 1 }", points: planSortedPoints(c, cd.Values), cond: cd}
		}
	}
	// Secondary index with an equality / $in on its first field.
	var best *plan
	for _, cd := range conds {
		if cd.Op != filter.CondEq && cd.Op != filter.CondIn || !planUsable(cd) {
			continue
		}
		for _, ix := range c.indexes {
			if ix.fields[0].path == cd.Path {
				return &plan{kind: planIndex, summary: "IXSCAN " + ix.pattern, ix: ix, ranges: planPointRanges(c, ix, cd.Values), cond: cd}
			}
		}
	}
	// Range on the first field of an index, or on _id.
	for _, cd := range conds {
		if cd.Op == filter.CondEq || cd.Op == filter.CondIn || !planUsable(cd) {
			continue
		}
		lo, hi := planBounds(cd)
		if cd.Path == "_id" && best == nil {
			p := docPrefix(c.id)
			best = &plan{kind: planIDRange, summary: "IXSCAN { _id: 1 }",
				ranges: []keyRange{{append(append([]byte(nil), p...), lo...), append(append([]byte(nil), p...), hi...)}}, cond: cd}
			continue
		}
		for _, ix := range c.indexes {
			if ix.fields[0].path == cd.Path {
				return &plan{kind: planIndex, summary: "IXSCAN " + ix.pattern, ix: ix,
					ranges: []keyRange{planIndexRange(c, ix, lo, hi)}, cond: cd}
			}
		}
	}
	if best != nil {
		return best
	}
	return &plan{kind: planCollScan, summary: "COLLSCAN"}
}

// planUsable rejects values whose matching an index scan cannot bound:
// arrays (which also match as whole values), regexes, MinKey/MaxKey.
func planUsable(cd filter.Condition) bool {
	if len(cd.Values) == 0 {
		return false
	}
	for _, v := range cd.Values {
		switch v.Type {
		case bson.TypeArray, bson.TypeRegex, bson.TypeMinKey, bson.TypeMaxKey, bson.TypeUndefined:
			return false
		}
	}
	return true
}

// planSortedPoints returns the distinct document keys of ids in key order.
func planSortedPoints(c *collection, ids []bson.RawValue) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, v := range ids {
		k := docKey(c.id, v)
		if !seen[string(k)] {
			seen[string(k)] = true
			out = append(out, k)
		}
	}
	sortKeys(out)
	return out
}

// planPointRanges returns one range per equality value: every entry whose
// first component is that value.
func planPointRanges(c *collection, ix *index, vals []bson.RawValue) []keyRange {
	prefix := indexPrefix(c.id, ix.id)
	seen := map[string]bool{}
	var out []keyRange
	for _, v := range vals {
		enc := appendKeyValue(nil, v)
		if ix.fields[0].desc {
			invertKey(enc)
		}
		if seen[string(enc)] {
			continue
		}
		seen[string(enc)] = true
		lo := append(append([]byte(nil), prefix...), enc...)
		out = append(out, keyRange{lo, prefixSuccessor(lo)})
	}
	sortRanges(out)
	return out
}

// planBounds returns ascending-encoding bounds [lo, hi) for a range
// condition, limited to the value's type bracket as MongoDB's comparison
// operators are. The key encoding orders and equates values exactly as
// value.Compare does, so the bounds are the value's own key. Inclusive and
// exclusive operators get the same bounds: the filter re-check removes the
// boundary values.
func planBounds(cd filter.Condition) (lo, hi []byte) {
	v := cd.Values[0]
	enc := appendKeyValue(nil, v)
	b := keyBracket(v.Type)
	switch cd.Op {
	case filter.CondGt, filter.CondGte:
		return enc, []byte{b + 1}
	default:
		return []byte{b}, prefixSuccessor(enc)
	}
}

// planIndexRange maps ascending bounds of an index's first field to Pebble
// keys; for a descending field the inverted encoding reverses the range.
func planIndexRange(c *collection, ix *index, lo, hi []byte) keyRange {
	prefix := indexPrefix(c.id, ix.id)
	if ix.fields[0].desc {
		ilo := append([]byte(nil), hi...)
		invertKey(ilo)
		ihi := append([]byte(nil), lo...)
		invertKey(ihi)
		lo, hi = ilo, prefixSuccessor(ihi)
	}
	return keyRange{append(append([]byte(nil), prefix...), lo...), append(append([]byte(nil), prefix...), hi...)}
}
