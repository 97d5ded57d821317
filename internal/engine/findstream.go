package engine

import (
	"context"
	"sync"

	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/projection"
	"go.mongodb.org/mongo-driver/v2/bson"
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
	// proj, skip and left (-1: no limit) shape the scanned documents.
	proj       *projection.Projection
	skip, left int64
	// docs is a materialized result.
	docs []bson.Raw
	st   *Stats
	ctx  context.Context // the scan's, for its metrics
	n    int64
	err  error
	done bool
}

// FindStream returns spec's documents as a DocStream. Outside a transaction (t nil) it reads the ReadSnapshot
// of ctx or, without one, the storage's state as the stream opens, however long it stays open.
func (e *Engine) FindStream(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats) (*DocStream, error) {
	st = statsOrLocal(st)
	s := &DocStream{e: e, st: st, left: -1}
	if t != nil || len(spec.Sort) > 0 || spec.ReturnKey {
		return s.materialize(ctx, t, ns, spec)
	}
	if _, _, isView, _ := e.resolveView(ns); isView {
		return s.materialize(ctx, t, ns, spec)
	}
	c := e.lookupColl(ns)
	if c != nil && c.opts.Capped {
		return s.materialize(ctx, t, ns, spec)
	}
	sc := stringComparer(spec.Collation)
	f, err := filter.CompileColl(spec.Filter, scopeFrom(ctx), sc)
	if err != nil {
		return nil, err
	}
	if len(spec.Projection) > 0 {
		if s.proj, err = projection.CompileIn(spec.Projection, scopeFrom(ctx)); err != nil {
			return nil, err
		}
		if s.proj.Positional() {
			return s.materialize(ctx, t, ns, spec)
		}
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	s.skip = max(spec.Skip, 0)
	if spec.Limit != 0 {
		s.left = spec.Limit
		if s.left < 0 {
			s.left = -s.left
		}
	}
	rt := &Txn{e: e, reader: e.db, started: true}
	if rs := readSnapshotFrom(ctx); rs != nil {
		rt = &Txn{e: e, reader: rs.snap, readTs: rs.ts, started: true}
	}
	o := hinted(ctx, planOptions{hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max,
		collated: sc != nil, project: s.proj})
	if s.it, err = e.scanIterWith(ctx, rt, c, f, st, o); err != nil {
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

// Next returns the next document, which the caller owns, or nil at the end.
func (s *DocStream) Next() (bson.Raw, error) {
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
	s.st.NReturned += s.n
	s.e.metricsFor(s.ctx).docReturn.Add(s.n)
	s.e.liveMu.Lock()
	delete(s.e.streams, s)
	s.e.liveMu.Unlock()
}

// Close releases the stream. It is safe to call more than once, and after Engine.Close.
func (s *DocStream) Close() error {
	s.docs = nil
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
			s.err = shutdownError()
		}
		s.mu.Unlock()
	}
}
