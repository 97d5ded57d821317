package engine

import (
	"bytes"
	"context"
	"sort"
	"sync"

	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// scanCheckEvery is how many documents a scan examines between context checks.
const scanCheckEvery = 256

// candidate is a document found by a scan, with the position for "$".
type candidate struct {
	key []byte
	doc bson.Raw
	pos int
	// entry is an index scan's (not a merge's) current index entry, valid
	// until the scan moves on: where a batched stream resumes (fetchRange).
	entry []byte
}

// scan calls fn for every document of c that matches f in t's view
// (snapshot or latest state, overlaid with t's own writes), in the plan's
// order with t's own new documents merged into collection scans by key and
// appended to index scans. fn returns false to stop. Keys and documents
// passed to fn are owned by fn.
func (e *Engine) scan(ctx context.Context, t *Txn, c *collection, f *filter.Filter, p *plan, st *Stats, fn func(cd candidate) (bool, error)) error {
	st.PlanSummary = p.summary
	if c == nil {
		return nil
	}
	it, err := newPlanIter(t, c, p)
	if err != nil {
		return err
	}
	defer it.close(st)
	for examined := 1; it.next(); examined++ {
		if examined%scanCheckEvery == 0 {
			if err := e.checkCtx(ctx); err != nil {
				return err
			}
		}
		if !p.covered {
			st.DocsExamined++
		}
		doc := it.doc()
		ok, pos, err := f.MatchErr(doc)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		cd := candidate{key: it.key(), doc: doc, pos: pos}
		if p.kind == planIndex {
			cd.entry = it.index.entryKey()
		}
		if more, err := fn(cd); err != nil || !more {
			return err
		}
	}
	return it.err()
}

// planIter is one scan's iterators, allocated (and recycled) together as
// Pebble's iterAlloc keeps an Iterator with its merging and level
// iterators: the overlay, and under it the storedIter of the plan's kind.
type planIter struct {
	overlayIter
	points pointIter
	ranges rangeIter
	index  indexIter
}

// planIterPool recycles planIters: every statement scans, most of them once.
var planIterPool = sync.Pool{New: func() any { return new(planIter) }}

// newPlanIter returns t's view of the documents p reads from c. The caller
// must close it.
func newPlanIter(t *Txn, c *collection, p *plan) (*planIter, error) {
	it := planIterPool.Get().(*planIter)
	switch p.kind {
	case planIDHack, planIDPoints:
		t.e.countUse(c.id, 0)
		it.points = pointIter{r: t.reader, keys: p.points}
		it.init(t, c, &it.points, ownNone, nil, nil)
	case planCollScan, planIDRange:
		lo, hi := docPrefix(c.id), prefixSuccessor(docPrefix(c.id))
		if p.kind == planIDRange {
			lo, hi = p.ranges[0].lo, p.ranges[0].hi
			t.e.countUse(c.id, 0)
		}
		if bytes.Compare(p.from, lo) > 0 {
			lo = p.from
			if bytes.Compare(lo, hi) > 0 {
				lo = hi
			}
		}
		if err := it.ranges.open(t.reader, lo, hi, p.kind == planIDRange, p.reverse); err != nil {
			planIterPool.Put(it)
			return nil, err
		}
		it.init(t, c, &it.ranges, ownByKey, lo, hi)
		it.overlayIter.reverse = p.reverse
	case planIndex:
		t.e.countUse(c.id, p.ix.id)
		if p.fromEntry != nil {
			p = p.resumed()
		}
		it.index.open(t.reader, c, p)
		it.init(t, c, &it.index, ownLast, nil, nil)
	default:
		panic("engine: unknown plan kind")
	}
	return it, nil
}

// lend makes the current key and document of it valid only until its next
// call of next, which spares a collection scan a copy of each: for a
// caller that keeps neither, or copies what it keeps.
func (it *planIter) lend() { it.ranges.lend = true }

// lending reports whether the documents of it may be lent (see lend): those
// of a collection or _id range scan in lend mode. Documents read by key
// (pointIter, indexIter) are always copies.
func (it *planIter) lending() bool { return it.ranges.lend && it.ranges.it != nil }

// planIterKeepSeen bounds the index scans whose seen map a recycled
// planIter keeps for the next one: a map never shrinks.
const planIterKeepSeen = 1024

// close releases the storage iterators, adds the keys examined to st and
// recycles it, which must not be used again.
func (it *planIter) close(st *Stats) {
	it.overlayIter.close()
	st.KeysExamined += it.keysExamined()
	st.DocsExamined += it.index.fetched // a covered scan's documents read
	seen := it.index.seen
	*it = planIter{}
	if len(seen) <= planIterKeepSeen {
		clear(seen)
		it.index.seen = seen
	}
	planIterPool.Put(it)
}

// collect returns every candidate of a scan.
func (e *Engine) collect(ctx context.Context, t *Txn, c *collection, f *filter.Filter, st *Stats) ([]candidate, error) {
	var out []candidate
	p, err := planWith(c, f, hinted(ctx, planOptions{asOf: t.indexAsOf(c)}))
	if err != nil {
		return nil, err
	}
	err = e.scan(ctx, t, c, f, p, st, func(cd candidate) (bool, error) {
		out = append(out, cd)
		return true, nil
	})
	return out, err
}

// sortKeys sorts keys bytewise.
func sortKeys(keys [][]byte) {
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
}

// sortRanges sorts ranges by lower bound.
func sortRanges(rs []keyRange) {
	sort.Slice(rs, func(i, j int) bool { return bytes.Compare(rs[i].lo, rs[j].lo) < 0 })
}
