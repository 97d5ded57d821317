package engine

import (
	"bytes"
	"context"
	"sort"

	"github.com/cockroachdb/pebble/v2"
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
	own := t.ownWrites(c)
	seen := map[string]bool{}
	stopped := false
	examined := 0
	emit := func(key []byte, doc bson.Raw) error {
		if stopped {
			return nil
		}
		examined++
		if examined%scanCheckEvery == 0 {
			if err := e.checkCtx(ctx); err != nil {
				return err
			}
		}
		st.DocsExamined++
		ok, pos, err := f.MatchErr(doc)
		if err != nil || !ok {
			return err
		}
		more, err := fn(candidate{key: key, doc: doc, pos: pos})
		if err != nil {
			return err
		}
		stopped = !more
		return nil
	}
	// view returns the overlaid document for a stored one.
	view := func(key []byte, stored []byte) (bson.Raw, bool) {
		if w, ok := t.writes[string(key)]; ok {
			seen[string(key)] = true
			return w.doc, w.doc != nil
		}
		return bson.Raw(stored), true
	}
	r := t.reader
	switch p.kind {
	case planIDHack, planIDPoints:
		for _, k := range p.points {
			if stopped {
				break
			}
			var doc bson.Raw
			if w, ok := t.writes[string(k)]; ok {
				seen[string(k)] = true
				doc = w.doc
			} else {
				v, err := pebbleGet(r, k)
				if err != nil {
					return err
				}
				doc = v
			}
			if doc == nil {
				continue
			}
			st.KeysExamined++
			if err := emit(k, doc); err != nil {
				return err
			}
		}
		return nil // own writes with other keys cannot have these _ids
	case planCollScan, planIDRange:
		lo, hi := docPrefix(c.id), prefixSuccessor(docPrefix(c.id))
		if p.kind == planIDRange {
			lo, hi = p.ranges[0].lo, p.ranges[0].hi
		}
		it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		if err != nil {
			return storageError(err)
		}
		defer it.Close()
		oi := 0
		for it.First(); it.Valid() && !stopped; it.Next() {
			key := append([]byte(nil), it.Key()...)
			// Own new documents sorting before this key come first.
			for ; oi < len(own) && bytes.Compare(own[oi].key, key) < 0 && !stopped; oi++ {
				if err := e.emitOwn(own[oi], seen, lo, hi, emit); err != nil {
					return err
				}
			}
			if p.kind == planIDRange {
				st.KeysExamined++
			}
			doc, ok := view(key, append([]byte(nil), it.Value()...))
			if !ok {
				continue
			}
			if err := emit(key, doc); err != nil {
				return err
			}
		}
		if err := it.Error(); err != nil {
			return storageError(err)
		}
		for ; oi < len(own) && !stopped; oi++ {
			if err := e.emitOwn(own[oi], seen, lo, hi, emit); err != nil {
				return err
			}
		}
		return nil
	case planIndex:
		if db, ok := r.(*pebble.DB); ok {
			// Index entries and documents must come from one point in time.
			snap := db.NewSnapshot()
			defer snap.Close()
			r = snap
		}
		for _, rg := range p.ranges {
			if stopped {
				break
			}
			it, err := r.NewIter(&pebble.IterOptions{LowerBound: rg.lo, UpperBound: rg.hi})
			if err != nil {
				return storageError(err)
			}
			for it.First(); it.Valid() && !stopped; it.Next() {
				st.KeysExamined++
				k := docKey(c.id, parseRawID(it.Value()))
				if seen[string(k)] {
					continue
				}
				seen[string(k)] = true
				var doc bson.Raw
				if w, ok := t.writes[string(k)]; ok {
					doc = w.doc
				} else {
					v, err := pebbleGet(r, k)
					if err != nil {
						it.Close()
						return err
					}
					doc = v
				}
				if doc == nil {
					continue
				}
				if err := emit(k, doc); err != nil {
					it.Close()
					return err
				}
			}
			err = it.Error()
			it.Close()
			if err != nil {
				return storageError(err)
			}
		}
		for _, w := range own {
			if stopped {
				break
			}
			if w.doc != nil && !seen[string(w.key)] {
				seen[string(w.key)] = true
				if err := emit(w.key, w.doc); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// emitOwn emits a document the txn wrote that the stored scan did not reach.
func (e *Engine) emitOwn(w *docWrite, seen map[string]bool, lo, hi []byte, emit func([]byte, bson.Raw) error) error {
	if w.doc == nil || seen[string(w.key)] || bytes.Compare(w.key, lo) < 0 || bytes.Compare(w.key, hi) >= 0 {
		return nil
	}
	seen[string(w.key)] = true
	return emit(w.key, w.doc)
}

// collect returns every candidate of a scan.
func (e *Engine) collect(ctx context.Context, t *Txn, c *collection, f *filter.Filter, st *Stats) ([]candidate, error) {
	var out []candidate
	err := e.scan(ctx, t, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
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
