package engine

import (
	"context"
	"sync"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/projection"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// DocStream is a find's result read as Next asks for it: the documents of one point in time of the storage,
// matched, skipped, limited and projected one at a time, so that a result of any size holds no more memory than
// the document in hand. It holds a storage iterator until Close, which must be called; Engine.Close ends the
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
	st     *Stats
	ctx    context.Context // the scan's, for its metrics
	n      int64
	err    error
	done   bool
}

// FindStream returns spec's documents as a DocStream. Outside a transaction (t nil) it reads the ReadSnapshot
// of ctx or, without one, the storage's state as the stream opens, however long it stays open.
func (e *Engine) FindStream(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats) (*DocStream, error) {
	st = statsOrLocal(st)
	s := &DocStream{e: e, st: st, left: -1}
	if len(spec.Sort) > 0 || spec.ReturnKey {
		return s.materialize(ctx, t, ns, spec)
	}
	if _, _, isView, _ := e.resolveView(ns); isView {
		return s.materialize(ctx, t, ns, spec)
	}
	if c := e.lookupColl(ns); c != nil && c.opts.Capped {
		return s.materialize(ctx, t, ns, spec)
	}
	var err error
	if len(spec.Projection) > 0 {
		if s.proj, err = projection.CompileIn(spec.Projection, scopeFrom(ctx)); err != nil {
			return nil, err
		}
		if s.proj.Positional() {
			return s.materialize(ctx, t, ns, spec)
		}
	}
	if t != nil {
		return s.byIDs(ctx, t, ns, spec)
	}
	sc := stringComparer(spec.Collation)
	f, err := filter.CompileColl(spec.Filter, scopeFrom(ctx), sc)
	if err != nil {
		return nil, err
	}
	s.skip = max(spec.Skip, 0)
	if spec.Limit != 0 {
		s.left = spec.Limit
		if s.left < 0 {
			s.left = -s.left
		}
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	// The scan reads one point in time: a snapshot of its own (or ctx's), so that the documents a plan reads
	// by key as it goes (an _id lookup's) are of that time too, not only those its iterators read.
	rs := readSnapshotFrom(ctx)
	if rs == nil {
		e.commitMu.Lock()
		rs = &ReadSnapshot{ts: e.clock.Load(), snap: e.db.NewSnapshot()}
		e.commitMu.Unlock()
		s.snap = rs
	}
	rt := &Txn{e: e, reader: rs.snap, readTs: rs.ts, started: true}
	o := hinted(ctx, planOptions{hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max,
		collated: sc != nil, project: s.proj})
	if s.it, err = e.scanIterWith(ctx, rt, e.lookupColl(ns), f, st, o); err != nil {
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

// materialize makes s hand out Find's result.
func (s *DocStream) materialize(ctx context.Context, t *Txn, ns Namespace, spec FindSpec) (*DocStream, error) {
	docs, err := s.e.Find(ctx, t, ns, spec, s.st)
	if err != nil {
		return nil, err
	}
	s.docs = docs
	return s, nil
}

// idBatch is how many documents a transaction's stream fetches at a time.
const idBatch = 1024

// byIDs makes s a transaction's stream: the statement that finds the matching documents (in the transaction's
// snapshot, with its own writes) keeps only their _ids, and Next fetches the documents a batch at a time by
// _id, each batch a statement of the transaction, so that no statement stays open between calls (the
// transaction's other statements may run then) and the memory held is the _ids'.
func (s *DocStream) byIDs(ctx context.Context, t *Txn, ns Namespace, spec FindSpec) (*DocStream, error) {
	if err := s.e.enter(); err != nil {
		return nil, err
	}
	defer s.e.exit()
	skip, left := max(spec.Skip, 0), spec.Limit
	if left < 0 {
		left = -left
	}
	err := s.e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		sc := stringComparer(spec.Collation)
		f, err := filter.CompileColl(spec.Filter, scopeFrom(ctx), sc)
		if err != nil {
			return err
		}
		o := hinted(ctx, planOptions{hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max, collated: sc != nil})
		it, err := s.e.scanIterWith(ctx, rt, s.e.lookupColl(ns), f, s.st, o)
		if err != nil {
			return err
		}
		defer it.Close()
		s.ranged = s.st.PlanSummary == "COLLSCAN"
		for {
			doc, err := it.Borrow()
			if err != nil || doc == nil {
				return err
			}
			if skip > 0 {
				skip--
				continue
			}
			id := doc.Lookup("_id")
			if n := len(s.ids); n > 0 && value.Compare(s.ids[n-1], id) >= 0 {
				s.ranged = false
			}
			s.ids = append(s.ids, bson.RawValue{Type: id.Type, Value: append([]byte(nil), id.Value...)})
			if left--; left == 0 {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	s.txn, s.ns, s.ctx, s.filter, s.collation = t, ns, ctx, spec.Filter, spec.Collation
	return s, nil
}

// fetch reads the documents of the next batch of _ids into docs, in the order of the _ids; one the transaction
// has deleted since is left out.
func (s *DocStream) fetch(ctx context.Context) error {
	n := min(len(s.ids), idBatch)
	batch := s.ids[:n]
	s.ids = s.ids[n:]
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
		spec.Filter = bson.Raw(bsoncore.NewDocumentBuilder().AppendDocument("_id", cond).Build())
	}
	docs, err := s.e.Find(ctx, s.txn, s.ns, spec, nil)
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
		if s.proj != nil {
			if doc, err = s.proj.Apply(doc, 0); err != nil {
				return err
			}
		}
		s.docs = append(s.docs, doc)
	}
	return nil
}

// Next returns the next document, which the caller owns, or nil at the end. A transaction's stream reads its
// batches with ctx, the transaction's as Next is called; a scan checks the context it was opened with.
func (s *DocStream) Next(ctx context.Context) (bson.Raw, error) {
	if s.txn != nil && len(s.docs) == 0 && len(s.ids) > 0 {
		if err := s.fetch(ctx); err != nil {
			s.ids = nil
			return nil, err
		}
	}
	if !s.streaming {
		if len(s.docs) == 0 {
			return nil, nil
		}
		d := s.docs[0]
		s.docs[0] = nil
		s.docs = s.docs[1:]
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

// Close releases the stream. It is safe to call more than once, and after Engine.Close.
func (s *DocStream) Close() error {
	s.docs, s.ids = nil, nil
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
