package engine

import (
	"context"

	"github.com/cockroachdb/pebble/v2"
)

// ReadSnapshot is a retained point in time: a Pebble snapshot and the commit timestamp it shows, taken
// together under the commit lock. Reads run under WithReadSnapshot see exactly the commits up to Ts, however
// long ago it was taken: Pebble keeps the versions a snapshot can see until it is closed. It is safe for
// concurrent use by reads; Close must be called once no read uses it.
type ReadSnapshot struct {
	ts      uint64
	idxAsOf uint64 // see Txn.idxAsOf
	snap    *pebble.Snapshot
}

// NewReadSnapshot takes a snapshot of the latest committed state.
func (e *Engine) NewReadSnapshot() (*ReadSnapshot, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	e.commitMu.Lock()
	s := &ReadSnapshot{ts: e.clock.Load(), idxAsOf: e.idxGen.Load() + 1}
	s.snap = e.db.NewSnapshot()
	e.commitMu.Unlock()
	return s, nil
}

// Ts is the commit timestamp of the last commit the snapshot shows.
func (s *ReadSnapshot) Ts() uint64 { return s.ts }

// Close releases the snapshot's versions.
func (s *ReadSnapshot) Close() error { return s.snap.Close() }

// CommitTs returns the timestamp of the latest commit: a ReadSnapshot taken now would show exactly the commits
// up to it.
func (e *Engine) CommitTs() uint64 { return e.clock.Load() }

type readSnapshotKey struct{}

// WithReadSnapshot returns a context under which reads outside a transaction (find, count, distinct,
// aggregate) read s instead of the latest state.
func WithReadSnapshot(ctx context.Context, s *ReadSnapshot) context.Context {
	return context.WithValue(ctx, readSnapshotKey{}, s)
}

// readSnapshotFrom returns the ReadSnapshot of ctx, or nil.
func readSnapshotFrom(ctx context.Context) *ReadSnapshot {
	s, _ := ctx.Value(readSnapshotKey{}).(*ReadSnapshot)
	return s
}
