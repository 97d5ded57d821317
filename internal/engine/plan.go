package engine

import (
	"bytes"
	"slices"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
	"github.com/concorddb/concord/internal/query/value"
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
	// reverse reads the ranges backwards (planIndex): last range first,
	// each from its end; for a scan of document keys (planCollScan,
	// planIDRange, planIDPoints), those keys from the last.
	reverse bool
	// sorted reports that the plan returns documents in the order of the
	// sort it was planned for, so no sort in memory is needed (while the
	// index stays non-multikey: see find).
	sorted bool
	// wildcardPath is the path a wildcard index scan reads (planIndex of a
	// wildcard index), shown by explain as $_path.
	wildcardPath string
	// merge reads the ranges (one per combination of the equality values
	// of the leading fields) side by side, merging them by the rest of the
	// key, which is the sort's order (mongod's SORT_MERGE; planIndex):
	// range i's keys are compared from byte mergeFrom[i] on.
	merge     bool
	mergeFrom []int
	// covered reads the fields of the statement from the index entries
	// instead of the documents (planIndex; see planCover).
	covered bool
	// from, when set, is where a collection or _id range scan starts
	// instead of its range's first key: a batched stream's next batch
	// resumes there (FindBatches).
	from []byte
	// fromEntry, when set, is the index entry after which an index scan
	// (not a merge) resumes, in its direction: a batched stream's next
	// batch (FindBatches). See resumed.
	fromEntry []byte
}

// resumed is p with its ranges cut to the index entries after p.fromEntry
// in p's direction: for a forward scan those from the entry's successor
// on, for a reverse one those before it. Ranges wholly passed are dropped.
func (p *plan) resumed() *plan {
	q := *p
	q.ranges = nil
	succ := append(append([]byte(nil), p.fromEntry...), 0)
	for _, rg := range p.ranges {
		if p.reverse {
			if rg.hi == nil || bytes.Compare(rg.hi, p.fromEntry) > 0 {
				rg.hi = p.fromEntry // exclusive
			}
		} else if bytes.Compare(rg.lo, succ) < 0 {
			rg.lo = succ
		}
		if rg.hi == nil || bytes.Compare(rg.lo, rg.hi) < 0 {
			q.ranges = append(q.ranges, rg)
		}
	}
	return &q
}

// planOptions are the parts of a statement besides its filter that shape
// its plan. The zero value plans for the filter alone.
type planOptions struct {
	sort *order.Sort
	// hint names an index: {$natural: 1} (collection scan), a key pattern,
	// or hintName.
	hint     bson.Raw
	hintName string
	// min and max bound the hinted index's keys (inclusive, exclusive), in
	// index order.
	min, max bson.Raw
	// collated is set when the statement compares strings under a
	// collation; planWith then reads the collation (coll) from the filter.
	collated bool
	// asOf, when not 0, is one more than the index generation of the snapshot the plan reads (Txn.idxAsOf): an
	// index built after it (index.built >= asOf) holds no entries there and is not planned on, nor hinted.
	asOf uint64
	// coll is the statement's collation (nil: binary). An index bounds
	// strings and serves a sort only when its collation is the same (see
	// planCollationMatches); the _id keys are binary.
	coll *collation.Collation
	// project is the statement's projection: when it, the filter and the
	// sort read only fields of the chosen index, the plan is covered (see
	// planCover). Nil plans a read of whole documents.
	project *projection.Projection
}

// inSnapshot reports whether the snapshot of asOf (planOptions.asOf; 0: the latest state) holds ix's entries.
func (ix *index) inSnapshot(asOf uint64) bool {
	return asOf == 0 || ix.built.Load() < asOf
}

// errBadHint is mongod's error for a hint naming no usable index.
func errBadHint() error {
	return codes.New(codes.BadValue, "hint provided does not correspond to an existing index")
}

// planFor picks the access path for f over c with no sort or hint.
func planFor(c *collection, f *filter.Filter) *plan {
	p, _ := planWith(c, f, planOptions{collated: f.Collated()})
	return p
}

// planWith picks the access path for f over c as MongoDB does in the common
// cases: _id equality is IDHACK; otherwise the visible index that bounds
// the most leading fields (equalities, then one range), preferring one that
// also serves the sort; otherwise a collection scan, or a whole-index scan
// when an index serves the sort. A hint or min/max forces the index; a hint
// naming no usable index is BadValue.
func planWith(c *collection, f *filter.Filter, o planOptions) (*plan, error) {
	if c == nil {
		if len(o.min) > 0 || len(o.max) > 0 {
			if len(o.hint) == 0 && o.hintName == "" {
				return nil, errMinMaxHint()
			}
		}
		return &plan{kind: planCollScan, summary: "EOF"}, nil
	}
	conds := f.Conditions()
	o.coll, _ = f.Comparer().(*collation.Collation)
	p, err := planChoose(c, f, conds, o)
	if err == nil && o.coll != nil && len(o.sort.Keys()) > 0 && (p.ix == nil || !planCollationMatches(p.ix, o)) {
		p.sorted = false // document keys and other indexes order strings by bytes
	}
	if err == nil && o.project != nil {
		planCover(p, f, o.sort, o.project)
	}
	return p, err
}

// planCollationMatches reports whether ix's keys order and equate strings as the statement does: only
// then may its string bounds and its order be used.
func planCollationMatches(ix *index, o planOptions) bool {
	return collation.Equal(ix.coll, o.coll)
}

// planBoundsFor returns the bounds of conds that ix can serve: all of them, encoded as its keys are, when
// its collation is the statement's; otherwise only those no collation changes (planUncollated), since its
// string keys are in another order.
func planBoundsFor(ix *index, conds []filter.Condition, o planOptions) map[string]fieldBounds {
	if !planCollationMatches(ix, o) {
		return planFieldBounds(planUncollated(conds))
	}
	if ix.coll == nil {
		return planFieldBounds(conds)
	}
	collated := make([]filter.Condition, len(conds))
	for i, cd := range conds {
		vals := make([]bson.RawValue, len(cd.Values))
		for j, v := range cd.Values {
			vals[j] = collateKeyValue(v, ix.coll)
		}
		collated[i] = filter.Condition{Path: cd.Path, Op: cd.Op, Values: vals}
	}
	return planFieldBounds(collated)
}

// planSortFor returns the sort ix may serve: none when its collation is not the statement's.
func planSortFor(ix *index, o planOptions) *order.Sort {
	if !planCollationMatches(ix, o) {
		return nil
	}
	return o.sort
}

// planUncollated drops the conditions a collation changes: those on
// strings, or on documents and arrays that may hold strings.
func planUncollated(conds []filter.Condition) []filter.Condition {
	out := make([]filter.Condition, 0, len(conds))
	for _, cd := range conds {
		ok := true
		for _, v := range cd.Values {
			switch v.Type {
			case bson.TypeString, bson.TypeSymbol, bson.TypeEmbeddedDocument, bson.TypeArray:
				ok = false
			}
		}
		if ok {
			out = append(out, cd)
		}
	}
	return out
}

// planChoose is planWith once the usable conditions are known.
func planChoose(c *collection, f *filter.Filter, conds []filter.Condition, o planOptions) (*plan, error) {
	if len(o.hint) > 0 || o.hintName != "" {
		return planHinted(c, f, conds, o)
	}
	if len(o.min) > 0 || len(o.max) > 0 {
		return nil, errMinMaxHint()
	}
	idConds := conds
	if o.coll != nil {
		idConds = planUncollated(conds) // document keys order strings by bytes
	}
	// _id equality and $in.
	for _, cd := range idConds {
		if cd.Path != "_id" || !planUsable(cd) {
			continue
		}
		switch cd.Op {
		case filter.CondEq:
			return &plan{kind: planIDHack, summary: "IDHACK", points: [][]byte{docKey(c.id, cd.Values[0])}, sorted: true}, nil
		case filter.CondIn:
			p := &plan{kind: planIDPoints, summary: "IXSCAN { _id: 1 }", points: planSortedPoints(c, cd.Values)}
			if p.sorted, p.reverse = planSortByID(o.sort); p.reverse {
				slices.Reverse(p.points)
			}
			return p, nil
		}
	}
	bounds := planFieldBounds(idConds)
	var best *plan
	bestScore := 0
	for _, ix := range c.indexes {
		if ix.hidden || !ix.inSnapshot(o.asOf) || !planIndexUsable(ix, f, conds) {
			continue
		}
		if ix.wildcard != nil {
			// Wildcard keys hold strings by bytes: no collated statement or index uses them.
			if o.coll == nil && ix.coll == nil {
				if p, score := planWildcardScan(c, ix, conds); p != nil && score > bestScore {
					best, bestScore = p, score
				}
			}
			continue
		}
		p, score := planIndexScan(c, ix, planBoundsFor(ix, conds, o), planSortFor(ix, o))
		if p.sorted {
			score++ // the index saves the sort: prefer it among equals
		}
		if score > bestScore || score == bestScore && best != nil && p.sorted && !best.sorted {
			best, bestScore = p, score
		}
	}
	// A range on _id bounds one field, as a one-field index would.
	if b, ok := bounds["_id"]; ok && !b.points() && (best == nil || bestScore < 3) {
		p := docPrefix(c.id)
		idp := &plan{kind: planIDRange, summary: "IXSCAN { _id: 1 }",
			ranges: []keyRange{{append(append([]byte(nil), p...), b.lo...), append(append([]byte(nil), p...), b.hi...)}}}
		idp.sorted, idp.reverse = planSortByID(o.sort)
		return idp, nil
	}
	if best != nil {
		return best, nil
	}
	p := &plan{kind: planCollScan, summary: "COLLSCAN"}
	p.sorted, p.reverse = planSortByID(o.sort)
	return p, nil
}

// planSortByID reports whether srt is {_id: 1} (or none), the order of
// document keys, or {_id: -1}, their reverse (reverse set).
func planSortByID(srt *order.Sort) (sorted, reverse bool) {
	keys := srt.Keys()
	if len(keys) == 0 {
		return true, false
	}
	if len(keys) == 1 && keys[0].Path == "_id" {
		return true, keys[0].Desc
	}
	return false, false
}

// errMinMaxHint is mongod's error for min or max without a hint.
func errMinMaxHint() error {
	return codes.New(51173, "When using min()/max() a hint of which index to use must be provided")
}

// planHinted is the plan for a hinted index (see planWith).
func planHinted(c *collection, f *filter.Filter, conds []filter.Condition, o planOptions) (*plan, error) {
	if len(o.hint) > 0 {
		if first, err := o.hint.IndexErr(0); err == nil && first.Key() == "$natural" {
			if len(o.min) > 0 || len(o.max) > 0 {
				return nil, codes.New(codes.BadValue, "min and max are not allowed with a $natural hint")
			}
			return &plan{kind: planCollScan, summary: "COLLSCAN"}, nil
		}
	}
	var key bson.D
	if len(o.hint) > 0 {
		if err := bson.Unmarshal(o.hint, &key); err != nil {
			return nil, errBadHint()
		}
	}
	if o.hintName == idIndexName || o.hintName == "" && len(key) == 1 && key[0].Key == "_id" && sameKey(key, bson.D{{Key: "_id", Value: int32(1)}}) {
		if len(o.min) > 0 || len(o.max) > 0 {
			lo, hi, err := planMinMax(docPrefix(c.id), []indexField{{path: "_id", parts: []string{"_id"}}}, o.min, o.max)
			if err != nil {
				return nil, err
			}
			return &plan{kind: planIDRange, summary: "IXSCAN { _id: 1 }", ranges: []keyRange{{lo, hi}}}, nil
		}
		p, err := planChoose(c, f, conds, planOptions{sort: o.sort, coll: o.coll, asOf: o.asOf})
		if err != nil {
			return nil, err
		}
		if p.kind == planIDHack || p.kind == planIDPoints || p.kind == planIDRange {
			return p, nil
		}
		pre := docPrefix(c.id)
		idp := &plan{kind: planIDRange, summary: "IXSCAN { _id: 1 }", ranges: []keyRange{{pre, prefixSuccessor(pre)}}}
		idp.sorted, idp.reverse = planSortByID(o.sort)
		return idp, nil
	}
	var ix *index
	for _, cand := range c.indexes {
		if o.hintName != "" && cand.name == o.hintName || o.hintName == "" && sameKey(cand.key, key) {
			ix = cand
			break
		}
	}
	if ix == nil || ix.hidden || !ix.inSnapshot(o.asOf) || ix.partial != nil && !planImplies(conds, ix.partialRaw) {
		return nil, errBadHint()
	}
	if ix.wildcard != nil {
		// A wildcard index serves a predicate on one path, never min / max.
		p, _ := planWildcardScan(c, ix, conds)
		if p == nil || len(o.min) > 0 || len(o.max) > 0 {
			return nil, errBadHint()
		}
		return p, nil
	}
	if len(o.min) > 0 || len(o.max) > 0 {
		lo, hi, err := planMinMax(indexPrefix(c.id, ix.id), ix.fields, o.min, o.max)
		if err != nil {
			return nil, err
		}
		return &plan{kind: planIndex, summary: "IXSCAN " + ix.pattern, ix: ix, ranges: []keyRange{{lo, hi}}}, nil
	}
	p, _ := planIndexScan(c, ix, planBoundsFor(ix, conds, o), planSortFor(ix, o))
	return p, nil
}

// planMinMax returns the key range [min, max) of an index with the given
// prefix and fields; min and max name the index's fields in order.
func planMinMax(prefix []byte, fields []indexField, minDoc, maxDoc bson.Raw) (lo, hi []byte, err error) {
	enc := func(d bson.Raw) ([]byte, error) {
		elems, err := d.Elements()
		if err != nil || len(elems) != len(fields) {
			return nil, codes.New(51174, "The index chosen is not equal to the index used for min()/max()")
		}
		out := append([]byte(nil), prefix...)
		for i, e := range elems {
			if e.Key() != fields[i].path && e.Key() != "" {
				return nil, codes.New(51174, "The index chosen is not equal to the index used for min()/max()")
			}
			k := appendKeyValue(nil, e.Value())
			if fields[i].desc {
				invertKey(k)
			}
			out = append(out, k...)
		}
		return out, nil
	}
	lo, hi = prefix, prefixSuccessor(prefix)
	if len(minDoc) > 0 {
		if lo, err = enc(minDoc); err != nil {
			return nil, nil, err
		}
	}
	if len(maxDoc) > 0 {
		if hi, err = enc(maxDoc); err != nil {
			return nil, nil, err
		}
	}
	if len(minDoc) > 0 && len(maxDoc) > 0 && bytes.Compare(lo, hi) > 0 {
		return nil, nil, codes.New(51175, "The value provided for min() does not come before the value provided for max() in the hinted index")
	}
	return lo, hi, nil
}

// fieldBounds is what a filter's conditions say about one path: the values
// of an equality or $in (vals, when eq), else an ascending key range
// [lo, hi) (the intersection of the path's range conditions).
type fieldBounds struct {
	eq     bool
	vals   []bson.RawValue
	lo, hi []byte
}

// points reports whether b is a list of equality values.
func (b fieldBounds) points() bool { return b.eq }

// planFieldBounds gathers the usable conditions by path. An equality wins
// over ranges on the same path (the filter re-check applies the ranges).
func planFieldBounds(conds []filter.Condition) map[string]fieldBounds {
	out := map[string]fieldBounds{}
	for _, cd := range conds {
		if !planUsable(cd) {
			continue
		}
		b, seen := out[cd.Path]
		if cd.Op == filter.CondEq || cd.Op == filter.CondIn {
			if !b.eq || len(cd.Values) < len(b.vals) {
				out[cd.Path] = fieldBounds{eq: true, vals: cd.Values}
			}
			continue
		}
		if b.eq {
			continue
		}
		lo, hi := planBounds(cd)
		if !seen {
			out[cd.Path] = fieldBounds{lo: lo, hi: hi}
			continue
		}
		if bytes.Compare(lo, b.lo) > 0 {
			b.lo = lo
		}
		if bytes.Compare(hi, b.hi) < 0 {
			b.hi = hi
		}
		if bytes.Compare(b.lo, b.hi) > 0 {
			b.hi = b.lo // contradictory bounds: an empty range
		}
		out[cd.Path] = b
	}
	return out
}

// planMaxPoints bounds the equality combinations one plan enumerates; past
// it, later fields are left to the filter re-check.
const planMaxPoints = 4096

// planIndexScan builds the scan of ix for the bounds: points for the
// leading fields with equalities, then a range on the next field if it has
// one. score counts the bounded fields, two per equality and one for the
// range; 0 means the index bounds nothing and the plan scans it whole.
func planIndexScan(c *collection, ix *index, bounds map[string]fieldBounds, srt *order.Sort) (*plan, int) {
	prefixes := [][]byte{indexPrefix(c.id, ix.id)}
	score, eqFields := 0, 0
	var rng *fieldBounds
	for _, fd := range ix.fields {
		b, ok := bounds[fd.path]
		if !ok {
			break
		}
		if !b.eq {
			rng = &b
			score++
			break
		}
		vals := planDistinctEncoded(b.vals, fd.desc)
		if len(prefixes)*len(vals) > planMaxPoints {
			break
		}
		next := make([][]byte, 0, len(prefixes)*len(vals))
		for _, p := range prefixes {
			for _, v := range vals {
				next = append(next, append(append([]byte(nil), p...), v...))
			}
		}
		prefixes = next
		score += 2
		eqFields++
	}
	sortKeys(prefixes)
	ranges := make([]keyRange, 0, len(prefixes))
	for _, p := range prefixes {
		if rng == nil {
			ranges = append(ranges, keyRange{p, prefixSuccessor(p)})
			continue
		}
		lo, hi := rng.lo, rng.hi
		if ix.fields[eqFields].desc {
			ilo := append([]byte(nil), hi...)
			invertKey(ilo)
			ihi := append([]byte(nil), lo...)
			invertKey(ihi)
			lo, hi = ilo, prefixSuccessor(ihi)
		}
		ranges = append(ranges, keyRange{append(append([]byte(nil), p...), lo...), append(append([]byte(nil), p...), hi...)})
	}
	p := &plan{kind: planIndex, summary: "IXSCAN " + ix.pattern, ix: ix, ranges: ranges}
	if len(prefixes) == 1 {
		p.sorted, p.reverse = planIndexSort(ix, eqFields, srt)
	} else if len(prefixes) <= planMaxMerge {
		if p.sorted, p.reverse = planMergeSort(ix, eqFields, srt); p.sorted {
			p.merge = true
			for _, pre := range prefixes {
				p.mergeFrom = append(p.mergeFrom, len(pre))
			}
		}
	}
	return p, score
}

// planMaxMerge bounds the ranges a merge sort reads side by side (one
// open iterator each).
const planMaxMerge = 64

// planMergeSort reports whether merging the scans of ix's ranges (each
// with its first eqFields fields fixed, some to several values) returns
// documents in srt's order, and whether each must run backwards: the sort
// names only fields after the fixed ones, in the index's order, each in
// the index's direction or each reversed ({a: {$in: [1, 2]}} sorted by b
// on {a: 1, b: 1}).
func planMergeSort(ix *index, eqFields int, srt *order.Sort) (sorted, reverse bool) {
	keys := srt.Keys()
	if len(keys) == 0 || ix.isMultikey() || eqFields+len(keys) > len(ix.fields) {
		return false, false
	}
	for i, k := range keys {
		fd := ix.fields[eqFields+i]
		if fd.path != k.Path {
			return false, false
		}
		rev := fd.desc != k.Desc
		if i > 0 && rev != reverse {
			return false, false
		}
		reverse = rev
	}
	return true, reverse
}

// planDistinctEncoded returns the distinct key encodings of vals, inverted
// for a descending field.
func planDistinctEncoded(vals []bson.RawValue, desc bool) [][]byte {
	seen := map[string]bool{}
	var out [][]byte
	for _, v := range vals {
		enc := appendKeyValue(nil, v)
		if desc {
			invertKey(enc)
		}
		if !seen[string(enc)] {
			seen[string(enc)] = true
			out = append(out, enc)
		}
	}
	return out
}

// planIndexSort reports whether scanning ix (its first eqFields fields
// fixed to one value each) returns documents in srt's order, and whether
// the scan must run backwards for it. The sort must name the index's
// fields in order, each in the index's direction or each reversed; fixed
// fields may be left out of it, and _id may follow them. A multikey index orders by elements, not
// by MongoDB's array sort keys, so it never serves a sort.
func planIndexSort(ix *index, eqFields int, srt *order.Sort) (sorted, reverse bool) {
	keys := srt.Keys()
	if len(keys) == 0 || ix.isMultikey() {
		return false, false
	}
	fi := 0
	dirSet := false
	for i, k := range keys {
		for fi < eqFields && ix.fields[fi].path != k.Path {
			fi++
		}
		if fi >= len(ix.fields) && k.Path == "_id" && i == len(keys)-1 {
			// Past the index's fields the entries of equal keys are in _id order (a non-unique entry ends with
			// the document's _id; a unique index has no equal keys), read backwards in a reverse scan.
			if dirSet && k.Desc != reverse {
				return false, false
			}
			return true, k.Desc
		}
		if fi >= len(ix.fields) {
			return false, false
		}
		fd := ix.fields[fi]
		if fd.path != k.Path {
			return false, false
		}
		if fi >= eqFields {
			rev := fd.desc != k.Desc
			if dirSet && rev != reverse {
				return false, false
			}
			reverse, dirSet = rev, true
		}
		fi++
	}
	return true, reverse
}

// planIndexUsable reports whether ix holds every document f can match: a
// sparse index needs a condition on one of its fields that a missing field
// cannot satisfy, a partial index needs f to imply its filter.
func planIndexUsable(ix *index, f *filter.Filter, conds []filter.Condition) bool {
	if ix.sparse {
		ok := false
		for _, cd := range conds {
			if !planUsable(cd) || planMatchesNull(cd) {
				continue
			}
			for _, fd := range ix.fields {
				if fd.path == cd.Path {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return ix.partial == nil || planImplies(conds, ix.partialRaw)
}

// planMatchesNull reports whether cd matches null (and so a missing field).
func planMatchesNull(cd filter.Condition) bool {
	for _, v := range cd.Values {
		if v.Type == bson.TypeNull {
			return cd.Op == filter.CondEq || cd.Op == filter.CondIn || cd.Op == filter.CondGte || cd.Op == filter.CondLte
		}
	}
	return false
}

// planImplies reports whether a filter with the conditions conds matches
// only documents that partial matches: every clause of partial (an AND of
// field comparisons and $exists: true) must follow from one condition. It
// is conservative: anything it cannot prove is false.
func planImplies(conds []filter.Condition, partial bson.Raw) bool {
	elems, err := partial.Elements()
	if err != nil {
		return false
	}
	for _, e := range elems {
		if e.Key() == "$and" {
			arr, ok := e.Value().ArrayOK()
			if !ok {
				return false
			}
			vals, _ := arr.Values()
			for _, v := range vals {
				d, ok := v.DocumentOK()
				if !ok || !planImplies(conds, d) {
					return false
				}
			}
			continue
		}
		if len(e.Key()) > 0 && e.Key()[0] == '$' {
			return false
		}
		ops := []bson.RawElement{e}
		isOps := false
		if d, ok := e.Value().DocumentOK(); ok {
			if first, err := d.IndexErr(0); err == nil && len(first.Key()) > 0 && first.Key()[0] == '$' {
				opElems, _ := d.Elements()
				ops, isOps = opElems, true
			}
		}
		for _, op := range ops {
			name := "$eq"
			if isOps {
				name = op.Key()
			}
			if !planClauseImplied(conds, e.Key(), name, op.Value()) {
				return false
			}
		}
	}
	return true
}

// planClauseImplied reports whether one of conds implies path <op> v.
func planClauseImplied(conds []filter.Condition, path, op string, v bson.RawValue) bool {
	for _, cd := range conds {
		if cd.Path != path || !planUsable(cd) {
			continue
		}
		all := true
		for _, q := range cd.Values {
			if !planValueImplies(cd.Op, q, op, v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// planValueImplies reports whether "x <qop> q" implies "x <op> v" for the
// values of one type bracket.
func planValueImplies(qop filter.CondOp, q bson.RawValue, op string, v bson.RawValue) bool {
	if op == "$exists" {
		on := v.Type == bson.TypeBoolean && v.Boolean() || v.IsNumber() && v.AsFloat64() != 0
		return on && !planMatchesNull(filter.Condition{Op: qop, Values: []bson.RawValue{q}})
	}
	if keyBracket(q.Type) != keyBracket(v.Type) {
		return false
	}
	c := value.Compare(q, v)
	eq := qop == filter.CondEq || qop == filter.CondIn
	switch op {
	case "$eq":
		return eq && c == 0
	case "$gt":
		return (eq || qop == filter.CondGt || qop == filter.CondGte) && c > 0 || qop == filter.CondGt && c == 0
	case "$gte":
		return (eq || qop == filter.CondGt || qop == filter.CondGte) && c >= 0
	case "$lt":
		return (eq || qop == filter.CondLt || qop == filter.CondLte) && c < 0 || qop == filter.CondLt && c == 0
	case "$lte":
		return (eq || qop == filter.CondLt || qop == filter.CondLte) && c <= 0
	}
	return false
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
