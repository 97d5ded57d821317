package engine

import (
	"context"
	"iter"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/filter"
)

// AggregateSpec is one aggregation: the pipeline and the options of the
// aggregate command that the engine applies.
type AggregateSpec struct {
	Pipeline []bson.Raw
	// NoDiskUse is allowDiskUse: false. A $sort or $group that reaches the
	// engine's StageMemoryLimit then fails with
	// QueryExceededMemoryLimitNoDiskUseAllowed (292) instead of spilling to
	// a temporary file, which is the default (as in mongod since 6.0).
	NoDiskUse bool
}

// Aggregate runs a pipeline over the collection (in a transaction, over its
// snapshot with its own writes; outside one, over one consistent snapshot of
// the whole database) and returns its output. A leading $match selects
// documents through the query planner. The documents stream through the
// stages: only $sort, $group and $facet hold many, within the engine's
// StageMemoryLimit. $lookup and $unionWith read the other collections
// through the same view (aggSource).
func (e *Engine) Aggregate(ctx context.Context, t *Txn, ns Namespace, spec AggregateSpec, st *Stats) ([]bson.Raw, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var out []bson.Raw
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		p, err := agg.Compile(spec.Pipeline)
		if err != nil {
			return err
		}
		if t == nil {
			snap := e.db.NewSnapshot()
			defer snap.Close()
			rt = &Txn{e: e, reader: snap, started: true, explicit: false}
		}
		var leading bson.Raw
		if len(spec.Pipeline) > 0 {
			if m, err := spec.Pipeline[0].LookupErr("$match"); err == nil {
				if d, ok := m.DocumentOK(); ok {
					leading = d
				}
			}
		}
		f, err := filter.Compile(leading)
		if err != nil {
			return err
		}
		src := &aggSource{e: e, t: rt, db: ns.DB, st: st}
		opts := agg.Options{MemoryLimit: e.opts.StageMemoryLimit, NoDiskUse: spec.NoDiskUse, TempDir: e.opts.SpillDir}
		it := p.Open(ctx, e.scanIter(ctx, rt, e.lookupColl(ns), f, st), src, opts)
		out, err = agg.Drain(it)
		if cerr := it.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	st.NReturned += int64(len(out))
	return out, nil
}

// aggSource is the agg.Source of one aggregation: the collections of its
// database in its view (a snapshot, or a transaction's snapshot with its own
// writes). Reads plan their filter like find, so a $lookup's join key on an
// indexed foreignField reads one index range per outer document. Their
// examined keys and documents count in the aggregation's Stats; the plan
// summary stays the main collection's.
type aggSource struct {
	e  *Engine
	t  *Txn
	db string
	st *Stats
}

var _ agg.Source = (*aggSource)(nil)

// Read returns the documents of coll that match filterDoc.
func (s *aggSource) Read(ctx context.Context, coll string, filterDoc bson.Raw) (agg.Iterator, error) {
	f, err := filter.Compile(filterDoc)
	if err != nil {
		return nil, err
	}
	fst := &Stats{}
	it := s.e.scanIter(ctx, s.t, s.e.lookupColl(Namespace{s.db, coll}), f, fst)
	return &countedIter{scanIter: it, from: fst, to: s.st}, nil
}

// countedIter adds a foreign read's examined counts to the aggregation's
// when it is closed.
type countedIter struct {
	*scanIter
	from, to *Stats
}

func (it *countedIter) Close() error {
	err := it.scanIter.Close()
	if it.from != nil {
		it.to.KeysExamined += it.from.KeysExamined
		it.to.DocsExamined += it.from.DocsExamined
		it.from = nil
	}
	return err
}

// scanBatch is how many documents a scanIter takes from the scan at a time.
const scanBatch = 256

// scanIter turns the push-style scan into an agg.Iterator. The scan runs as
// a coroutine (iter.Pull) that hands over a batch of scanBatch documents
// per resumption, so a pipeline pulls a collection without it ever being
// in memory whole, on the caller's goroutine (no locking, no race with the
// caller's use of t), and Close stops the scan where it is.
type scanIter struct {
	next  func() ([]bson.Raw, error, bool)
	stop  func()
	batch []bson.Raw
	i     int
	err   error
}

// scanIter returns the documents of c matching f in t's view, as scan
// finds them, counting into st.
func (e *Engine) scanIter(ctx context.Context, t *Txn, c *collection, f *filter.Filter, st *Stats) *scanIter {
	seq := func(yield func([]bson.Raw, error) bool) {
		batch := make([]bson.Raw, 0, scanBatch)
		stopped := false
		err := e.scan(ctx, t, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
			batch = append(batch, cd.doc)
			if len(batch) < scanBatch {
				return true, nil
			}
			if !yield(batch, nil) {
				stopped = true
				return false, nil
			}
			batch = make([]bson.Raw, 0, scanBatch)
			return true, nil
		})
		if stopped {
			return
		}
		if err != nil {
			yield(nil, err)
			return
		}
		if len(batch) > 0 {
			yield(batch, nil)
		}
	}
	next, stop := iter.Pull2(seq)
	return &scanIter{next: next, stop: stop}
}

// Next returns the scan's next document.
func (it *scanIter) Next() (bson.Raw, error) {
	for it.i >= len(it.batch) {
		if it.err != nil || it.next == nil {
			return nil, it.err
		}
		batch, err, ok := it.next()
		if !ok {
			it.Close()
			return nil, nil
		}
		if err != nil {
			it.err = err
			it.Close()
			return nil, err
		}
		it.batch, it.i = batch, 0
	}
	d := it.batch[it.i]
	it.batch[it.i] = nil
	it.i++
	return d, nil
}

// Close stops the scan.
func (it *scanIter) Close() error {
	if it.stop != nil {
		it.stop()
		it.stop, it.next = nil, nil
	}
	return nil
}
