package engine

import (
	"context"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/agg"
)

// AggregateBatches runs spec's pipeline outside a transaction as a DocStream whose input is a FindBatches stream
// of the collection (its leading $match the stream's filter). Between calls of Next it holds no storage iterator
// or snapshot, and the stages it runs hold at most the documents one input document produces. So it reads as a
// MongoDB aggregation yields between getMores: each batch of input, and each read of another collection ($lookup,
// $graphLookup), is the latest committed state when it is read. The pipeline's variables ($$NOW, let) are those
// of ctx; each Next's context bounds its own time. A $sort after the leading $match (or leading) that the plan
// gives in its order (an index's, or _id's) is the input stream's sort. Under a ReadSnapshot (ctx), on a capped
// collection (whose natural order is insertion order), and for a pipeline with any other stage of readWhole
// ($sort, $group, $unionWith, ...), the result is Aggregate's, read whole as the stream opens. Close must be
// called.
func (e *Engine) AggregateBatches(ctx context.Context, ns Namespace, spec AggregateSpec, st *Stats) (*DocStream, error) {
	st = statsOrLocal(st)
	whole := readSnapshotFrom(ctx) != nil
	src := ns
	if from, stages, isView, err := e.resolveView(ns); isView {
		if err != nil {
			return nil, err
		}
		src, spec.Pipeline = from, append(stages, spec.Pipeline...)
	}
	if c := e.lookupColl(src); c != nil && c.opts.Capped {
		whole = true
	}
	// A $sort after the leading $match (or leading) that the plan gives in its order (an index's, or _id's) is
	// the input's sort, streamed, as mongod pushes it down to the query layer; any other is read whole.
	fs := FindSpec{Collation: spec.Collation, Batch: spec.Batch}
	sortAt := -1
	if !whole && len(spec.Pipeline) > 0 {
		i := 0
		if fs.Filter = aggLeadingStage(spec.Pipeline, false, "$match"); fs.Filter != nil {
			i = 1
		}
		if fs.Sort = aggLeadingSort(spec.Pipeline, i == 1); fs.Sort != nil {
			if r, err := e.batchPlan(ctx, src, fs); err == nil && r.sorted {
				sortAt = i
			} else {
				fs.Sort = nil
			}
		}
	}
	for i, stage := range spec.Pipeline {
		if elems, err := stage.Elements(); err == nil && len(elems) == 1 && readWhole[elems[0].Key()] && i != sortAt {
			whole = true
		}
	}
	if whole {
		docs, err := e.Aggregate(ctx, nil, src, spec, st)
		if err != nil {
			return nil, err
		}
		s := &DocStream{e: e, st: st, left: -1, docs: docs}
		for _, d := range docs {
			s.held += len(d)
		}
		return s, nil
	}
	p, _, err := compilePipeline(ctx, spec)
	if err != nil {
		return nil, err
	}
	if sortAt >= 0 {
		p = p.DropFirst() // the $sort, which the input gives
	}
	in, err := e.findBatches(ctx, src, fs, st, false)
	if err != nil {
		return nil, err
	}
	in.gated = true
	pc := &pullCtx{open: ctx}
	pc.cur.Store(&ctx)
	reader := &Txn{e: e, reader: e.db, started: true} // each read of another collection: the latest state
	aggSrc := &aggSource{e: e, t: reader, db: src.DB, st: st, coll: spec.Collation}
	opts := agg.Options{MemoryLimit: e.opts.StageMemoryLimit, NoDiskUse: spec.NoDiskUse, TempDir: e.opts.SpillDir}
	return &DocStream{e: e, st: st, left: -1, pipe: p.Open(pc, &streamInput{s: in, ctx: pc}, aggSrc, opts), input: in, pctx: pc,
		aggSrc: aggSrc}, nil
}

// readWhole are the stages whose pipelines AggregateBatches reads whole when it opens. $unionWith reads its
// collection as its output is pulled: a storage iterator held between batches; $out and $merge write. The others
// hold their input (or a sample of it) before their first output, so reading their output as it is asked for saves
// no time, and their output, read whole, is what a server bounds in the memory of a connection's cursors.
var readWhole = map[string]bool{
	"$unionWith": true, "$out": true, "$merge": true,
	"$sort": true, "$group": true, "$bucket": true, "$bucketAuto": true, "$sortByCount": true, "$count": true,
	"$facet": true, "$setWindowFields": true, "$densify": true, "$fill": true, "$sample": true,
}

// pullCtx is the context a batched pipeline runs under: its values are those of the command that opened it (let
// variables, $$NOW, statistics), its deadline and cancellation those of the call reading it now (a getMore's).
type pullCtx struct {
	open context.Context
	cur  atomic.Pointer[context.Context]
}

func (c *pullCtx) Deadline() (time.Time, bool) { return (*c.cur.Load()).Deadline() }
func (c *pullCtx) Done() <-chan struct{}       { return (*c.cur.Load()).Done() }
func (c *pullCtx) Err() error                  { return (*c.cur.Load()).Err() }
func (c *pullCtx) Value(key any) any           { return c.open.Value(key) }

// streamInput is a batched stream as a pipeline's input (agg.Iterator).
type streamInput struct {
	s   *DocStream
	ctx context.Context
}

func (i *streamInput) Next() (bson.Raw, error) { return i.s.Next(i.ctx) }
func (i *streamInput) Close() error            { return i.s.Close() }

// nextPiped returns the next output document of a batched pipeline (AggregateBatches), holding the engine's gate
// while the pipeline runs: its input's batches and its reads of other collections use the storage.
func (s *DocStream) nextPiped(ctx context.Context) (bson.Raw, error) {
	if err := s.e.enter(); err != nil {
		return nil, err
	}
	defer s.e.exit()
	if s.err != nil || s.done {
		return nil, s.err
	}
	s.pctx.cur.Store(&ctx)
	doc, err := s.pipe.Next()
	if err != nil || doc == nil {
		s.err, s.done = err, true
		return nil, err
	}
	s.st.NReturned++
	return append(bson.Raw(nil), doc...), nil
}
