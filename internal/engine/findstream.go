package engine

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// DocStream is a find's result read as Next asks for it: the documents of one point in time of the storage,
// matched, skipped, limited and projected one at a time, so that a result of any size holds no more memory than
// the document in hand. FindStream's scan holds a storage iterator until Close, which must be called (FindBatches,
// AggregateBatches and a transaction's stream read in batches instead and hold none between them); Engine.Close ends the
// streams still open (their Next then fails with InterruptedAtShutdown). A DocStream is not safe for concurrent
// use.
//
// What a stream cannot read in order as it goes (a sort, a view's pipeline, a capped collection's insertion
// order, a positional projection, a transaction's snapshot with its own writes) FindStream reads as Find does
// and the stream hands out the materialized documents.
type DocStream struct {
	e  *Engine
	mu sync.Mutex // Next and Close against Engine.Close, taken after the engine's gate
	// streaming is set for a stream that scans (its it), clear for a materialized one (its docs).
	streaming bool
	it        *scanIter // nil once done or closed
	// snap is the scan's own snapshot, closed with its iterator (nil: none, or ctx's).
	snap *ReadSnapshot
	// proj, skip and left (-1: no limit) shape the scanned documents.
	proj       *projection.Projection
	skip, left int64
	// docs is a materialized result, or the fetched part of a transaction's (byIDs).
	docs []bson.Raw
	// A transaction's stream (byIDs): its transaction and namespace, and the _ids of the documents still to
	// fetch.
	txn *Txn
	ns  Namespace
	ids []bson.RawValue
	// filter and collation are the find's, which a batch read by _id range keeps to (the range may hold other
	// documents).
	filter    bson.Raw
	collation *collation.Collation
	// ranged is set when the _ids came from a collection scan, in order: a batch is then read as the range
	// between its first and last _id, not looked up _id by _id.
	ranged bool
	// byID is set for a stream that fetches its documents by _id (byIDs); rng for a batched stream's range scan
	// (FindBatches), whose collection the stream checks is still the one it opened on (ns).
	byID bool
	rng  *rangeBatch
	// coll is the id of the collection when the stream opened, which a batched stream's batches check; f is the
	// filter a batched stream's fetched documents are checked against.
	coll uint32
	f    *filter.Filter
	// ix is the index a batched stream's plan reads (its entries as it resumes, or its _ids at open), whose drop
	// fails its next batch; plan is the plan's summary, which the statistics of its batches show.
	ix   *index
	plan string
	// want is the size of the next batches (SetBatch; 0: idBatch).
	want int
	// held is the bytes of docs and ids (Held).
	held int
	// gated is set on a stream whose caller holds the engine's gate when it calls Next (a batched pipeline's
	// input).
	gated bool
	// batched is set on a stream that reads in batches (byID or rng); counted on one whose documents count in its
	// Stats and the engine's metrics as Next returns them (not a pipeline's input).
	batched, counted bool
	// deferred is the error a batch met after the documents still in docs.
	deferred error
	// aggSrc is a batched pipeline's reader of other collections.
	aggSrc *aggSource
	// pipe is a batched pipeline's output (AggregateBatches), over input; pctx is the context it runs under.
	pipe  agg.Iterator
	input *DocStream
	pctx  *pullCtx
	st    *Stats
	ctx   context.Context // the scan's, for its metrics
	n     int64
	err   error
	done  bool
}

// FindStream returns spec's documents as a DocStream. Outside a transaction (t nil) it reads the ReadSnapshot
// of ctx or, without one, the storage's state as the stream opens, however long it stays open.
func (e *Engine) FindStream(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats) (*DocStream, error) {
	s, whole, err := e.newStream(ctx, t, ns, spec, st, false)
	if whole || err != nil {
		return s, err
	}
	if t != nil {
		return s.byIDs(ctx, t, ns, spec, nil)
	}
	sc := stringComparer(spec.Collation)
	f, err := filter.CompileColl(spec.Filter, scopeFrom(ctx), sc)
	if err != nil {
		return nil, err
	}
	s.limits(spec)
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	// The scan reads one point in time: a snapshot of its own (or ctx's), so that the documents a plan reads
	// by key as it goes (an _id lookup's) are of that time too, not only those its iterators read.
	rs := readSnapshotFrom(ctx)
	if rs == nil {
		e.commitMu.Lock()
		rs = &ReadSnapshot{ts: e.clock.Load(), idxAsOf: e.idxGen.Load() + 1}
		rs.snap = e.db.NewSnapshot()
		e.commitMu.Unlock()
		s.snap = rs
	}
	rt := &Txn{e: e, reader: rs.snap, readTs: rs.ts, idxAsOf: rs.idxAsOf, started: true}
	o := hinted(ctx, planOptions{hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max,
		collated: sc != nil, project: s.proj})
	if s.it, err = e.scanIterWith(ctx, rt, e.lookupColl(ns), f, s.st, o); err != nil {
		s.closeSnap()
		return nil, err
	}
	s.streaming, s.ctx = true, ctx
	e.metricsFor(ctx).query.Add(1)
	e.liveMu.Lock()
	e.streams[s] = struct{}{}
	e.liveMu.Unlock()
	return s, nil
}

// newStream starts a stream of spec. It reads the result whole (whole set) when the stream could not read it in
// order as it goes: a sort, a returnKey, a view, a capped collection, a positional projection.
func (e *Engine) newStream(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats, sortLater bool) (s *DocStream, whole bool, err error) {
	s = &DocStream{e: e, st: statsOrLocal(st), left: -1}
	if spec.Batch > 0 {
		s.SetBatch(spec.Batch)
	}
	whole = len(spec.Sort) > 0 && !sortLater || spec.ReturnKey
	if _, _, isView, _ := e.resolveView(ns); isView {
		whole = true
	}
	if c := e.lookupColl(ns); c != nil && c.opts.Capped {
		whole = true
	}
	if !whole && len(spec.Sort) > 0 {
		// The sort is planned later (sortLater); its errors come before the projection's, as in Find.
		if _, err := order.CompileColl(spec.Sort, stringComparer(spec.Collation)); err != nil {
			return nil, true, err
		}
	}
	if !whole && len(spec.Projection) > 0 {
		if s.proj, err = projection.CompileIn(spec.Projection, scopeFrom(ctx)); err != nil {
			return nil, true, err
		}
		whole = s.proj.Positional()
	}
	if whole {
		s, err = s.materialize(ctx, t, ns, spec)
		return s, true, err
	}
	return s, false, nil
}

// FindBatches returns spec's documents outside a transaction as a DocStream that holds nothing of the storage
// between the batches it reads: no iterator, no snapshot. It is for a cursor that may wait long between reads,
// a client's between its getMores, and reads as a MongoDB cursor yields between them: each batch reads the latest
// committed state (one point in time per batch) from where the last one ended, so a document inserted after the
// stream opened is returned if the scan has not yet passed it, and one deleted, or updated so that it no longer
// matches, before its batch is read is not.
//
// A collection scan (or a scan of an _id range) resumes after the last document key it read, and a scan of an
// index that is not multikey after the last index entry it read. Any other plan (a multikey index's, a merge of
// an index's ranges) finds the matching _ids when the stream opens and reads the documents a batch at a time by
// _id, each checked against the filter again. SetBatch bounds how many documents the next batch reads. Once the collection has been
// dropped (or dropped and created again) or renamed, or the index of the plan dropped, the next batch fails with
// QueryPlanKilled, as mongod's getMore does. An error ends the stream after the documents read before it.
// A sort streams when such a plan reads in its order (an index on the sort's fields, or _id ascending); any other
// sort is read whole when the stream opens, as is everything under a ReadSnapshot (ctx), and what FindStream reads
// whole (a view, a capped collection, returnKey, a positional projection).
func (e *Engine) FindBatches(ctx context.Context, ns Namespace, spec FindSpec, st *Stats) (*DocStream, error) {
	return e.findBatches(ctx, ns, spec, st, true)
}

// findBatches is FindBatches; a stream not counted (a pipeline's input) adds nothing to the engine's query and
// returned-document counts, nor to st.NReturned.
func (e *Engine) findBatches(ctx context.Context, ns Namespace, spec FindSpec, st *Stats, counted bool) (*DocStream, error) {
	if readSnapshotFrom(ctx) != nil {
		return (&DocStream{e: e, st: statsOrLocal(st), left: -1}).materialize(ctx, nil, ns, spec)
	}
	// A sort is decided by the plan: one that reads in the sort's order streams, any other reads whole.
	s, whole, err := e.newStream(ctx, nil, ns, spec, st, true)
	if whole || err != nil {
		return s, err
	}
	s.counted = counted
	r, err := e.batchPlan(ctx, ns, spec)
	if err != nil {
		return nil, err
	}
	if len(spec.Sort) > 0 && !r.sorted {
		s.Close()
		return (&DocStream{e: e, st: statsOrLocal(st), left: -1}).materialize(ctx, nil, ns, spec)
	}
	if !r.inOrder {
		return s.byIDs(ctx, nil, ns, spec, r)
	}
	s.rng, s.ns, s.ctx, s.batched, s.coll = r, ns, ctx, true, r.coll.id
	if r.p.kind == planIndex {
		s.ix = r.p.ix // its drop kills the plan
	}
	s.limits(spec)
	if counted {
		e.metricsFor(ctx).query.Add(1)
	}
	return s, nil
}

// limits sets the skip and limit of a stream that scans as it goes.
func (s *DocStream) limits(spec FindSpec) {
	s.skip = max(spec.Skip, 0)
	if spec.Limit != 0 {
		s.left = spec.Limit
		if s.left < 0 {
			s.left = -s.left
		}
	}
}

// rangeBatch is a batched stream's plan (FindBatches): its filter, and for a plan that reads documents in key
// order (a collection or _id range scan, or one _id) the key its next batch starts from.
type rangeBatch struct {
	coll *collection // nil: the collection does not exist
	f    *filter.Filter
	p    *plan
	// inOrder is set for a plan in key order, which a batch resumes after the last key the one before read (a
	// collection or _id range scan), or after the last index entry (an index scan of one index that is not
	// multikey, not a merge); once for a plan of one _id, read by the first batch.
	inOrder, once bool
	from          []byte // nil: the plan's first key
	fromEntry     []byte // an index scan's: nil, its first entry
	done          bool
	// sorted is set for a plan that resumes in the order of the statement's sort (an index's, or the _id
	// order of a forward collection or _id range scan).
	sorted bool
}

// batchPlan compiles and plans spec for a batched stream.
func (e *Engine) batchPlan(ctx context.Context, ns Namespace, spec FindSpec) (*rangeBatch, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	c := e.lookupColl(ns)
	sc := stringComparer(spec.Collation)
	f, err := filter.CompileColl(spec.Filter, scopeFrom(ctx), sc)
	if err != nil {
		return nil, err
	}
	var srt *order.Sort
	if len(spec.Sort) > 0 {
		if srt, err = order.CompileColl(spec.Sort, sc); err != nil {
			return nil, err
		}
	}
	// No projection: a covered plan's documents are not the stored ones a later batch resumes after or fetches.
	o := hinted(ctx, planOptions{sort: srt, hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max, collated: sc != nil})
	p, err := planWith(c, f, o)
	if err != nil {
		return nil, err
	}
	r := &rangeBatch{coll: c, f: f, p: p}
	if c != nil {
		r.once = p.kind == planIDHack
		// A multikey index's scan sees a document once per entry, and drops the repeats by the documents it has
		// seen: one that resumed would return them again.
		byEntry := p.kind == planIndex && !p.merge && !p.covered && p.wildcardPath == "" && !p.ix.isMultikey()
		r.inOrder = r.once || p.kind == planCollScan || p.kind == planIDRange || byEntry
		// The order of a resumed index scan is its entries' (an index that turns multikey while the stream
		// reads keeps it); a collection scan resumes forwards only.
		r.sorted = srt != nil && p.sorted && (byEntry || (p.kind == planCollScan || p.kind == planIDRange) && !p.reverse)
	} else {
		r.sorted = true // nothing to sort
	}
	return r, nil
}

// batchBytes bounds the documents one batch of a batched stream reads, past its first.
const batchBytes = 1 << 20

// SetBatch bounds how many documents the next batches of a batched stream (FindBatches, or a transaction's
// FindStream) read from the storage: at most n (1 to 1,024; the default is 1,024). A caller that knows how many
// it will take next (a getMore's batchSize) keeps the stream from reading more ahead than it returns.
func (s *DocStream) SetBatch(n int) {
	s.want = min(max(n, 1), idBatch)
	if s.input != nil {
		s.input.SetBatch(n)
	}
}

// batch returns how many documents the next batch reads.
func (s *DocStream) batch() int {
	if s.want == 0 {
		return idBatch
	}
	return s.want
}

// planKilled returns mongod's QueryPlanKilled error for the next batch of a batched stream whose collection was
// dropped or renamed since it opened, or whose plan's index was dropped; c is the collection its name has now.
func (s *DocStream) planKilled(c *collection) error {
	if c == nil || c.id != s.coll {
		s.e.catMu.RLock()
		defer s.e.catMu.RUnlock()
		for _, o := range s.e.colls {
			if o.id == s.coll {
				return codes.New(codes.QueryPlanKilled, "collection renamed: %s is now %s", s.ns, o.ns)
			}
		}
		return codes.New(codes.QueryPlanKilled, "collection dropped: %s", s.ns)
	}
	if s.ix != nil && !slices.ContainsFunc(c.indexes, func(ix *index) bool { return ix.id == s.ix.id }) {
		return codes.New(codes.QueryPlanKilled, "index '%s' dropped", s.ix.name)
	}
	return nil
}

// beginBatch starts a batch of a batched stream outside a transaction: it checks ctx, enters the engine's gate
// (unless the caller holds it; exit leaves it) and returns the stream's collection, or QueryPlanKilled when it was
// dropped or renamed, or the plan's index dropped.
func (s *DocStream) beginBatch(ctx context.Context) (c *collection, exit func(), err error) {
	if err := s.e.checkCtx(ctx); err != nil {
		return nil, nil, err
	}
	exit = func() {}
	if !s.gated {
		if err := s.e.enter(); err != nil {
			return nil, nil, err
		}
		exit = s.e.exit
	}
	c = s.e.lookupColl(s.ns)
	if err := s.planKilled(c); err != nil {
		exit()
		return nil, nil, err
	}
	return c, exit, nil
}

// fetchRange reads the next batch of a batched stream's range scan into docs: the documents from the key after
// the last one it read, in the latest committed state.
func (s *DocStream) fetchRange(ctx context.Context) error {
	r := s.rng
	c, exit, err := s.beginBatch(ctx)
	if err != nil {
		return err
	}
	defer exit()
	byIndex := r.p.kind == planIndex
	for {
		// A multikey index has a document once per entry, and a resumed scan has no memory of the entries it
		// read before: a document is then taken at its first entry in the plan's ranges alone. The flag is set
		// before such a document commits, so it is read again after the scan, as Find does: an index that
		// turned multikey meanwhile has the batch read again under that rule.
		firstOnly := byIndex && r.p.ix.isMultikey()
		docs, held, skip, left, from, fromEntry := len(s.docs), s.held, s.skip, s.left, r.from, r.fromEntry
		stopped, err := s.scanBatch(ctx, c, firstOnly)
		if err != nil {
			return err
		}
		if !firstOnly && byIndex && r.p.ix.isMultikey() {
			s.docs, s.held, s.skip, s.left, r.from, r.fromEntry = s.docs[:docs], held, skip, left, from, fromEntry
			continue
		}
		r.done = !stopped || s.left == 0 || r.once
		return nil
	}
}

// scanBatch reads a range scan's next batch (fetchRange) from c, a document of a multikey index's scan only at
// its first entry when firstOnly; it reports whether the batch stopped before the scan's end.
func (s *DocStream) scanBatch(ctx context.Context, c *collection, firstOnly bool) (bool, error) {
	r := s.rng
	p := *r.p
	p.from, p.fromEntry = r.from, r.fromEntry
	want, size, stopped := s.batch(), 0, false
	err := s.e.runRead(ctx, nil, func(ctx context.Context, rt *Txn) error {
		return s.e.scan(ctx, rt, c, r.f, &p, s.st, func(cd candidate) (bool, error) {
			if firstOnly {
				first, err := firstEntry(c, r.p, cd.doc)
				if err != nil {
					return false, err
				}
				if !bytes.Equal(first, cd.entry) {
					return true, nil // another entry of a document taken, or passed, at its first
				}
			}
			if s.skip > 0 {
				s.skip--
				return true, nil
			}
			if err := s.keep(cd.doc); err != nil {
				return false, err
			}
			size += len(s.docs[len(s.docs)-1])
			if s.left > 0 {
				s.left--
			}
			stopped = s.left == 0 || len(s.docs) >= want || size >= batchBytes
			if stopped {
				// The next batch resumes after this candidate; a scan that ends is done.
				if p.kind == planIndex {
					r.fromEntry = append([]byte(nil), cd.entry...)
				} else {
					r.from = append(cd.key, 0) // the key's successor
				}
			}
			return !stopped, nil
		})
	})
	return stopped, err
}

// firstEntry is the first of doc's entries in the index p scans that falls in p's ranges, in p's direction: the
// one entry at which a resumed scan of a multikey index takes doc.
func firstEntry(c *collection, p *plan, doc bson.Raw) ([]byte, error) {
	keys, err := p.ix.keys(doc)
	if err != nil {
		return nil, err
	}
	id := doc.Lookup("_id")
	var first []byte
	for _, k := range keys {
		ek := indexEntryKey(c.id, p.ix, k, id)
		in := false
		for _, rg := range p.ranges {
			if bytes.Compare(ek, rg.lo) >= 0 && (rg.hi == nil || bytes.Compare(ek, rg.hi) < 0) {
				in = true
				break
			}
		}
		if in && (first == nil || (bytes.Compare(ek, first) < 0) != p.reverse) {
			first = ek
		}
	}
	return first, nil
}

// materialize makes s hand out Find's result.
func (s *DocStream) materialize(ctx context.Context, t *Txn, ns Namespace, spec FindSpec) (*DocStream, error) {
	docs, err := s.e.Find(ctx, t, ns, spec, s.st)
	if err != nil {
		return nil, err
	}
	s.docs = docs
	for _, d := range docs {
		s.held += len(d)
	}
	return s, nil
}

// idBatch is how many documents a transaction's stream fetches at a time.
const idBatch = 1024

// byIDs makes s a stream that fetches by _id: the statement that finds the matching documents (in the
// transaction's snapshot with its own writes, or outside one in the latest committed state) keeps the first batch
// of them (spec.Batch, at most 1 MiB) and only the _ids of the rest, and Next fetches those documents a batch at a time by _id, each batch a statement of the transaction (or a
// read of the latest state), so that no statement stays open between calls (the transaction's other statements
// may run then) and the memory held is the _ids'. A fetched document is checked against the filter again.
func (s *DocStream) byIDs(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, planned *rangeBatch) (*DocStream, error) {
	if err := s.e.enter(); err != nil {
		return nil, err
	}
	defer s.e.exit()
	skip, left := max(spec.Skip, 0), spec.Limit
	if left < 0 {
		left = -left
	}
	// The documents kept by _id are counted as examined when their batch reads them again, so that a document is
	// examined once: they come off the open's count once the scan (whose prefetch counts into s.st until it is
	// closed) has ended.
	refetch := int64(0)
	err := s.e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		var it *scanIter
		var err error
		if planned != nil {
			s.f = planned.f
			if planned.coll != nil {
				s.coll = planned.coll.id // the collection planned: one dropped since fails the next batch
			}
			s.ix = planned.p.ix
			it, err = s.e.scanIterPlan(ctx, rt, planned.coll, planned.f, s.st, planned.p)
		} else {
			sc := stringComparer(spec.Collation)
			if s.f, err = filter.CompileColl(spec.Filter, scopeFrom(ctx), sc); err != nil {
				return err
			}
			o := hinted(ctx, planOptions{hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max, collated: sc != nil})
			it, err = s.e.scanIterWith(ctx, rt, s.e.lookupColl(ns), s.f, s.st, o)
		}
		if err != nil {
			return err
		}
		defer it.Close()
		s.ranged = s.st.PlanSummary == "COLLSCAN"
		s.plan = s.st.PlanSummary
		for {
			doc, err := it.Borrow()
			if err != nil || doc == nil {
				return err
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(s.ids) == 0 && len(s.docs) < s.batch() && s.held < batchBytes {
				// The first batch is kept as read: a result that fits in it is read once.
				if err := s.keep(append(bson.Raw(nil), doc...)); err != nil {
					return err
				}
				if left--; left == 0 {
					return nil
				}
				continue
			}
			id := doc.Lookup("_id")
			if n := len(s.ids); n > 0 && value.Compare(s.ids[n-1], id) >= 0 {
				s.ranged = false
			}
			s.ids = append(s.ids, bson.RawValue{Type: id.Type, Value: append([]byte(nil), id.Value...)})
			s.held += idCost + len(id.Value)
			refetch++
			if left--; left == 0 {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	s.st.DocsExamined -= refetch
	s.txn, s.ns, s.ctx, s.filter, s.collation, s.byID, s.batched = t, ns, ctx, spec.Filter, spec.Collation, true, true
	if t != nil {
		s.counted = true
	}
	if s.counted {
		s.e.metricsFor(ctx).query.Add(1)
	}
	return s, nil
}

// fetch reads the documents of the next batch of _ids into docs, in the order of the _ids; one the transaction
// has deleted since is left out.
func (s *DocStream) fetch(ctx context.Context) error {
	if s.txn == nil {
		return s.fetchLatest(ctx)
	}
	n := min(len(s.ids), s.batch())
	batch := s.ids[:n]
	s.ids = s.ids[n:]
	for _, v := range batch {
		s.held -= idCost + len(v.Value)
	}
	first, last := batch[0], batch[len(batch)-1]
	spec := FindSpec{}
	// The batch's statement evaluates the find's filter with the variables it was opened with (let, $$NOW).
	ctx = context.WithValue(ctx, commandScopeKey{}, scopeFrom(s.ctx))
	// A range brackets one type, and NaN, the lowest number, is no bound: $gte NaN matches NaN alone. Under a
	// collation the _ids' order (the scan's, binary) is not the bounds' comparison: the batch goes by $in.
	if s.ranged && s.collation == nil && value.CanonicalRank(first.Type) == value.CanonicalRank(last.Type) && !value.IsNaN(first) {
		cond := bsoncore.NewDocumentBuilder().
			AppendValue("$gte", bsoncore.Value{Type: bsoncore.Type(first.Type), Data: first.Value}).
			AppendValue("$lte", bsoncore.Value{Type: bsoncore.Type(last.Type), Data: last.Value}).Build()
		f := bsoncore.NewDocumentBuilder().AppendDocument("_id", cond)
		if len(s.filter) > 0 {
			f = bsoncore.NewDocumentBuilder().AppendArray("$and", bsoncore.NewArrayBuilder().
				AppendDocument(f.Build()).AppendDocument(bsoncore.Document(s.filter)).Build())
		}
		spec = FindSpec{Filter: bson.Raw(f.Build())}
	} else {
		arr := bsoncore.NewArrayBuilder()
		for _, v := range batch {
			arr.AppendValue(bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
		}
		cond := bsoncore.NewDocumentBuilder().AppendArray("$in", arr.Build()).Build()
		f := bsoncore.NewDocumentBuilder().AppendDocument("_id", cond)
		if len(s.filter) > 0 {
			f = bsoncore.NewDocumentBuilder().AppendArray("$and", bsoncore.NewArrayBuilder().
				AppendDocument(f.Build()).AppendDocument(bsoncore.Document(s.filter)).Build())
		}
		// Under a collation _ids that it holds equal may come too: only the batch's own are kept below.
		spec = FindSpec{Filter: bson.Raw(f.Build()), Collation: s.collation}
	}
	// Each _id of the batch was examined once when the stream opened (and not counted then): a ranged batch's
	// statement reads the documents between them again.
	examined := s.st.DocsExamined
	docs, err := s.e.find1(ctx, s.txn, s.ns, spec, s.st, false)
	s.st.DocsExamined = examined + int64(n)
	s.st.PlanSummary = s.plan // the stream's, not the batch's _id lookups
	if err != nil {
		return err
	}
	key := func(v bson.RawValue) string { return string(rune(v.Type)) + string(v.Value) }
	byID := make(map[string]bson.Raw, len(docs))
	for _, d := range docs {
		byID[key(d.Lookup("_id"))] = d
	}
	for _, v := range batch {
		doc, ok := byID[key(v)]
		if !ok {
			continue
		}
		if err := s.keep(doc); err != nil {
			return err
		}
	}
	return nil
}

// keep projects doc and adds it to the documents read ahead.
func (s *DocStream) keep(doc bson.Raw) error {
	if s.proj != nil {
		var err error
		if doc, err = s.proj.Apply(doc, 0); err != nil {
			return err
		}
	}
	s.docs = append(s.docs, doc)
	s.held += len(doc)
	return nil
}

// nextBatched is Next of a stream that reads in batches (FindBatches, a transaction's FindStream): the documents of
// the batch in hand, then of the next one. An error ends the stream: it comes after the documents read before it,
// and every later call returns it again.
func (s *DocStream) nextBatched(ctx context.Context) (bson.Raw, error) {
	if s.err != nil {
		return nil, s.err
	}
	for len(s.docs) == 0 { // a batch whose documents were all deleted since is empty: read the next
		var err error
		switch {
		case s.deferred != nil:
			s.err = s.deferred
			return nil, s.err
		case s.byID && len(s.ids) > 0:
			err = s.fetch(ctx)
		case s.rng != nil && !s.rng.done:
			err = s.fetchRange(ctx)
		default:
			return nil, nil
		}
		if err != nil {
			// The documents before the one that failed are handed out first, as a read of one document at a
			// time would; the error comes after them.
			s.ids, s.rng, s.deferred, s.held = nil, nil, err, 0
			for _, d := range s.docs {
				s.held += len(d)
			}
		}
	}
	d := s.docs[0]
	s.docs[0] = nil
	s.docs = s.docs[1:]
	s.held -= len(d)
	if s.counted {
		s.st.NReturned++
		s.e.metricsFor(s.ctx).docReturn.Add(1)
	}
	return d, nil
}

// SetStats makes the next batches of a stream that reads in batches (FindBatches, AggregateBatches, a
// transaction's FindStream) record what they examine and return in st: a getMore's own statistics.
func (s *DocStream) SetStats(st *Stats) {
	if st == nil || !s.batched && s.pipe == nil {
		return
	}
	s.st = st
	if s.input != nil {
		s.input.st = st
	}
	if s.aggSrc != nil {
		s.aggSrc.st = st
	}
}

// Batched reports whether the stream reads in batches as Next asks (FindBatches, AggregateBatches, a
// transaction's FindStream), holding nothing of the storage between them.
func (s *DocStream) Batched() bool { return s.batched || s.pipe != nil }

// fetchLatest reads the documents of the next batch of _ids outside a transaction (FindBatches): in the latest
// committed state, one snapshot per batch, keeping those that still match the filter.
func (s *DocStream) fetchLatest(ctx context.Context) error {
	c, exit, err := s.beginBatch(ctx)
	if err != nil {
		return err
	}
	defer exit()
	n := min(len(s.ids), s.batch())
	batch := s.ids[:n]
	s.ids = s.ids[n:]
	snap := s.e.db.NewSnapshot()
	defer snap.Close()
	for i, id := range batch {
		s.held -= idCost + len(id.Value)
		if i%scanCheckEvery == scanCheckEvery-1 {
			if err := s.e.checkCtx(ctx); err != nil {
				return err
			}
		}
		raw, err := pebbleGet(snap, docKey(c.id, id))
		if err != nil {
			return storageError(err)
		}
		if raw == nil {
			continue // deleted since
		}
		s.st.DocsExamined++
		s.st.PlanSummary = s.plan
		doc := bson.Raw(raw)
		if ok, _, err := s.f.MatchErr(doc); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if err := s.keep(doc); err != nil {
			return err
		}
	}
	return nil
}

// Next returns the next document, which the caller owns, or nil at the end. A stream that reads in batches (a
// transaction's, FindBatches') reads them with ctx, the transaction's as Next is called; a scan checks the
// context it was opened with.
func (s *DocStream) Next(ctx context.Context) (bson.Raw, error) {
	if s.pipe != nil {
		return s.nextPiped(ctx)
	}
	if s.batched {
		return s.nextBatched(ctx)
	}
	if !s.streaming {
		if len(s.docs) == 0 {
			return nil, nil
		}
		d := s.docs[0]
		s.docs[0] = nil
		s.docs = s.docs[1:]
		s.held -= len(d)
		return d, nil
	}
	if err := s.e.enter(); err != nil {
		return nil, err
	}
	defer s.e.exit()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.done {
		return nil, s.err
	}
	for {
		if s.left == 0 {
			s.finish()
			return nil, nil
		}
		doc, err := s.it.Next()
		if err != nil || doc == nil {
			s.err = err
			s.finish()
			return nil, err
		}
		if s.skip > 0 {
			s.skip--
			continue
		}
		if s.proj != nil {
			if doc, err = s.proj.Apply(doc, 0); err != nil {
				s.err = err
				s.finish()
				return nil, err
			}
		}
		if s.left > 0 {
			s.left--
		}
		s.n++
		return doc, nil
	}
}

// finish releases the storage iterator once the stream has ended; the caller holds mu and the engine's gate.
func (s *DocStream) finish() {
	s.done = true
	if s.it == nil {
		return
	}
	s.it.Close()
	s.it = nil
	s.closeSnap()
	s.st.NReturned += s.n
	s.e.metricsFor(s.ctx).docReturn.Add(s.n)
	s.e.liveMu.Lock()
	delete(s.e.streams, s)
	s.e.liveMu.Unlock()
}

// idCost is what one _id a stream holds costs besides its value's bytes: its bson.RawValue.
const idCost = 40

// Held returns the bytes of documents and _ids the stream holds in memory: read and not yet returned, or still to
// fetch.
func (s *DocStream) Held() int {
	if s.input != nil {
		return s.input.Held()
	}
	return s.held
}

// Close releases the stream. It is safe to call more than once, and after Engine.Close.
func (s *DocStream) Close() error {
	s.docs, s.ids, s.rng, s.held = nil, nil, nil, 0
	if s.pipe != nil {
		err := s.pipe.Close() // closes the input; removes what the stages spilled
		s.pipe, s.input, s.done = nil, nil, true
		return err
	}
	if !s.streaming {
		return nil
	}
	if err := s.e.enter(); err != nil {
		return nil // Engine.Close ended it
	}
	defer s.e.exit()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finish()
	return nil
}

// closeSnap releases the scan's own snapshot, if any.
func (s *DocStream) closeSnap() {
	if s.snap != nil {
		s.snap.Close()
		s.snap = nil
	}
}

// closeStreams ends the streams still open; Close calls it holding the gate exclusively, so that no Next or
// Close of a stream is under way.
func (e *Engine) closeStreams() {
	e.liveMu.Lock()
	open := make([]*DocStream, 0, len(e.streams))
	for s := range e.streams {
		open = append(open, s)
	}
	e.liveMu.Unlock()
	for _, s := range open {
		s.mu.Lock()
		if s.it != nil {
			s.it.Close()
			s.it = nil
			s.closeSnap()
			s.err = shutdownError()
		}
		s.mu.Unlock()
	}
}
