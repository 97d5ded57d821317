package engine

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
)

// AggregateSpec is one aggregation: the pipeline and the options of the
// aggregate command that the engine applies.
type AggregateSpec struct {
	Pipeline []bson.Raw
	// Batch is AggregateBatches' input's FindSpec.Batch.
	Batch int
	// NoDiskUse is allowDiskUse: false. A $sort or $group that reaches the
	// engine's StageMemoryLimit then fails with
	// QueryExceededMemoryLimitNoDiskUseAllowed (292) instead of spilling to
	// a temporary file, which is the default (as in mongod since 6.0).
	NoDiskUse bool
	// Collation applies to every stage (agg.CompileColl) and to the reads
	// of $lookup and $graphLookup; nil compares bytes.
	Collation *collation.Collation
}

// Aggregate runs a pipeline over the collection (in a transaction, over its
// snapshot with its own writes; outside one, over one consistent snapshot of
// the whole database) and returns its output. A leading $match selects
// documents through the query planner, and a $sort after it (or leading)
// is the scan's order when an index's order, or _id's, gives it, as mongod
// pushes both down to its query layer. The documents stream through the
// stages: only $sort, $group and $facet hold many, within the engine's
// StageMemoryLimit. $lookup and $unionWith read the other collections
// through the same view (aggSource).
func (e *Engine) Aggregate(ctx context.Context, t *Txn, ns Namespace, spec AggregateSpec, st *Stats) ([]bson.Raw, error) {
	if src, stages, isView, err := e.resolveView(ns); isView {
		if err != nil {
			return nil, err
		}
		ns, spec.Pipeline = src, append(stages, spec.Pipeline...)
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var out []bson.Raw
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		p, leading, err := compilePipeline(ctx, spec)
		if err != nil {
			return err
		}
		if t == nil && readSnapshotFrom(ctx) == nil {
			// Every collection the pipeline reads ($lookup, $unionWith) is read at one point in time.
			asOf := e.idxGen.Load() + 1
			snap := e.db.NewSnapshot()
			defer snap.Close()
			rt = &Txn{e: e, reader: snap, idxAsOf: asOf, started: true, explicit: false}
		}
		f, err := filter.CompileIn(leading, scopeFrom(ctx).Collate(stringComparer(spec.Collation)))
		if err != nil {
			return err
		}
		src := &aggSource{e: e, t: rt, db: ns.DB, st: st, coll: spec.Collation}
		opts := agg.Options{MemoryLimit: e.opts.StageMemoryLimit, NoDiskUse: spec.NoDiskUse, TempDir: e.opts.SpillDir}
		c := e.lookupColl(ns)
		o := hinted(ctx, planOptions{collated: spec.Collation != nil, project: aggLeadingProject(spec.Pipeline, leading != nil),
			asOf: rt.indexAsOf(c)})
		if sortDoc := aggLeadingSort(spec.Pipeline, leading != nil); sortDoc != nil {
			if o.sort, err = order.CompileColl(sortDoc, stringComparer(spec.Collation)); err != nil {
				return err
			}
		}
		pl, err := planWith(c, f, o)
		if err != nil {
			return err
		}
		if o.sort != nil && pl.sorted && (pl.kind != planIndex || !rt.wroteTo(c)) {
			// The scan reads in the $sort's order (an index's, or _id's), as mongod's query layer gives a
			// $sort pushed down to it: the stage has nothing left to do. (An index of the snapshot that is not
			// multikey now held no multikey document when the snapshot was taken: the flag is set first.)
			p = p.DropFirst()
		}
		in, err := e.scanIterPlan(ctx, rt, c, f, st, pl)
		if err != nil {
			return err
		}
		it := p.Open(ctx, in, src, opts)
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

// compilePipeline compiles spec's pipeline and returns its leading $match's filter apart when the scan applies
// it (through the query planner), with the pipeline then left without it; under a collation the scan applies it
// and the pipeline is compiled without it.
func compilePipeline(ctx context.Context, spec AggregateSpec) (p *agg.Pipeline, leading bson.Raw, err error) {
	stages := spec.Pipeline
	if spec.Collation != nil && len(stages) > 0 {
		if _, err := stages[0].LookupErr("$match"); err == nil {
			// The scan applies the leading $match under the collation.
			stages = stages[1:]
		}
	}
	if p, err = agg.CompileIn(stages, scopeFrom(ctx).Collate(stringComparer(spec.Collation))); err != nil {
		return nil, nil, err
	}
	if len(spec.Pipeline) > 0 {
		if m, err := spec.Pipeline[0].LookupErr("$match"); err == nil {
			if d, ok := m.DocumentOK(); ok {
				leading = d
				if spec.Collation == nil {
					// The scan applies it: running the stage again would match every document twice.
					p = p.DropFirst()
				}
			}
		}
	}
	return p, leading, nil
}

// aggLeadingProject returns the projection of a $project that follows the
// pipeline's leading $match (matched) when it is a find projection too:
// with it the scan may be covered, as mongod pushes both into the query
// layer. Nil otherwise.
func aggLeadingProject(pipeline []bson.Raw, matched bool) *projection.Projection {
	d := aggLeadingStage(pipeline, matched, "$project")
	if d == nil {
		return nil
	}
	proj, err := projection.Compile(d)
	if err != nil {
		return nil
	}
	return proj
}

// aggLeadingSort returns the document of the $sort that follows the pipeline's leading $match (matched), or
// leads it, for the query layer to give through the plan's order when it can, as mongod pushes a $sort down to
// it. Nil when there is none.
func aggLeadingSort(pipeline []bson.Raw, matched bool) bson.Raw {
	return aggLeadingStage(pipeline, matched, "$sort")
}

// aggLeadingStage returns the document argument of the stage named name right after the pipeline's leading
// $match (matched), or first; nil when that stage is another.
func aggLeadingStage(pipeline []bson.Raw, matched bool, name string) bson.Raw {
	i := 0
	if matched {
		i = 1
	}
	if len(pipeline) <= i {
		return nil
	}
	elems, err := pipeline[i].Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != name {
		return nil
	}
	d, ok := elems[0].Value().DocumentOK()
	if !ok {
		return nil
	}
	return d
}

// aggSource is the agg.Source of one aggregation: the collections of its
// database in its view (a snapshot, or a transaction's snapshot with its own
// writes). Reads plan their filter like find, so a $lookup's join key on an
// indexed foreignField reads one index range per outer document. Their
// examined keys and documents count in the aggregation's Stats; the plan
// summary stays the main collection's.
type aggSource struct {
	e    *Engine
	t    *Txn
	db   string
	st   *Stats
	coll *collation.Collation // the pipeline's: a $lookup's equality compares under it
}

var _ agg.Source = (*aggSource)(nil)

// Read returns the documents of coll that match filterDoc. A view's
// documents are its pipeline's output over its source collection, as mongod
// resolves a view named by $lookup, $graphLookup or $unionWith.
func (s *aggSource) Read(ctx context.Context, coll string, filterDoc bson.Raw) (agg.Iterator, error) {
	if src, stages, isView, err := s.e.resolveView(Namespace{s.db, coll}); isView {
		if err != nil {
			return nil, err
		}
		if len(filterDoc) > 5 { // not empty: the view's documents are then matched as by a $match after it
			m, err := bson.Marshal(bson.D{{Key: "$match", Value: filterDoc}})
			if err != nil {
				return nil, codes.New(codes.InternalError, "view read: %v", err)
			}
			stages = append(stages, m)
		}
		return s.readView(ctx, src, stages)
	}
	f, err := filter.CompileColl(filterDoc, nil, stringComparer(s.coll))
	if err != nil {
		return nil, err
	}
	fst := &Stats{}
	it, err := s.e.scanIter(ctx, s.t, s.e.lookupColl(Namespace{s.db, coll}), f, fst)
	if err != nil {
		return nil, err
	}
	return &countedIter{scanIter: it, from: fst, to: s.st}, nil
}

// readView returns the documents of the view whose chain ends at the
// collection src and applies stages.
func (s *aggSource) readView(ctx context.Context, src Namespace, stages []bson.Raw) (agg.Iterator, error) {
	p, err := agg.CompileIn(stages, scopeFrom(ctx).Collate(stringComparer(s.coll)))
	if err != nil {
		return nil, err
	}
	all, err := filter.Compile(nil)
	if err != nil {
		return nil, err
	}
	fst := &Stats{}
	in, err := s.e.scanIter(ctx, s.t, s.e.lookupColl(src), all, fst)
	if err != nil {
		return nil, err
	}
	opts := agg.Options{MemoryLimit: s.e.opts.StageMemoryLimit, TempDir: s.e.opts.SpillDir}
	return p.Open(ctx, &countedIter{scanIter: in, from: fst, to: s.st}, s, opts), nil
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

// scanIter is an agg.Iterator over the documents of a collection that
// match a filter in a transaction's view: the plan iterator that scan
// pushes from (planIter), pulled one document at a time, so that a pipeline
// reads a collection without it ever being in memory whole. It counts into
// its Stats as scan does. It is an agg.Lender: Borrow hands out the stored
// bytes themselves, Next a copy of the documents that match.
type scanIter struct {
	e   *Engine
	ctx context.Context
	f   *filter.Filter
	st  *Stats
	it  *planIter // nil once closed, and for a collection that does not exist
	n   int
	err error
	// covered: the plan builds documents from index entries, which are
	// not documents examined (planCover).
	covered bool
	// lent counts the documents Borrow returned before pf: a long scan
	// then prefetches (prefetch.go).
	lent int
	pf   *prefetch
}

// scanIter returns the documents of c matching f in t's view, planned as
// find plans f. The iterator must be closed.
func (e *Engine) scanIter(ctx context.Context, t *Txn, c *collection, f *filter.Filter, st *Stats) (*scanIter, error) {
	return e.scanIterWith(ctx, t, c, f, st, planOptions{collated: f.Collated()})
}

// scanIterWith is scanIter planned with o.
func (e *Engine) scanIterWith(ctx context.Context, t *Txn, c *collection, f *filter.Filter, st *Stats, o planOptions) (*scanIter, error) {
	o.asOf = t.indexAsOf(c)
	p, err := planWith(c, f, o)
	if err != nil {
		return nil, err
	}
	return e.scanIterPlan(ctx, t, c, f, st, p)
}

// scanIterPlan is scanIter reading plan p.
func (e *Engine) scanIterPlan(ctx context.Context, t *Txn, c *collection, f *filter.Filter, st *Stats, p *plan) (*scanIter, error) {
	st.PlanSummary = p.summary
	s := &scanIter{e: e, ctx: ctx, f: f, st: st, covered: p.covered}
	if c == nil {
		return s, nil
	}
	it, err := newPlanIter(t, c, p)
	if err != nil {
		return nil, err
	}
	it.lend()
	s.it = it
	return s, nil
}

var _ agg.Lender = (*scanIter)(nil)

// Next returns the next matching document, which the caller owns.
func (s *scanIter) Next() (bson.Raw, error) {
	if s.pf != nil {
		doc, err := s.pf.borrow()
		if doc == nil || err != nil {
			return nil, err
		}
		return append(bson.Raw(nil), doc...), nil
	}
	doc, err := s.next()
	if doc == nil || err != nil || !s.it.lending() {
		return doc, err
	}
	return append(bson.Raw(nil), doc...), nil
}

// Borrow returns the next matching document, valid until the next call of
// Borrow, Next or Close (agg.Lender).
func (s *scanIter) Borrow() (bson.Raw, error) {
	if s.pf == nil {
		if s.lent++; !prefetching(s.lent) {
			return s.next()
		}
		s.startPrefetch()
	}
	return s.pf.borrow()
}

// next returns the next matching document from the plan iterator, lent
// as Borrow's.
func (s *scanIter) next() (bson.Raw, error) {
	for s.err == nil && s.it != nil {
		if !s.it.next() {
			s.err = s.it.err()
			s.closeIter()
			break
		}
		if s.n++; s.n%scanCheckEvery == 0 {
			if err := s.e.checkCtx(s.ctx); err != nil {
				s.err = err
				break
			}
		}
		if !s.covered {
			s.st.DocsExamined++
		}
		doc := s.it.doc()
		ok, _, err := s.f.MatchErr(doc)
		if err != nil {
			s.err = err
			break
		}
		if ok {
			return doc, nil
		}
	}
	return nil, s.err
}

// Close stops the prefetching goroutine, if any, and releases the plan
// iterator.
func (s *scanIter) Close() error {
	if s.pf != nil {
		s.pf.stop()
		s.pf = nil
	}
	s.closeIter()
	return nil
}

// closeIter releases the plan iterator, adding its counts to the Stats.
func (s *scanIter) closeIter() {
	if s.it != nil {
		s.it.close(s.st)
		s.it = nil
	}
}
