package server

import (
	"context"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// snapshotHistoryWindow is how long a snapshot read's point in time stays readable at its atClusterTime:
// mongod's minSnapshotHistoryWindowInSeconds default.
const snapshotHistoryWindow = 300 * time.Second

// maxRetainedSnapshots bounds the points in time kept at once; beyond it the oldest unused one is released
// early (a read at it is then SnapshotTooOld).
const maxRetainedSnapshots = 1000

// snapshotHistory keeps the engine snapshots of snapshot reads outside transactions (readConcern level
// "snapshot"), by the cluster time they were answered with, for snapshotHistoryWindow: a later read with that
// atClusterTime, as a driver's snapshot session sends, reads the same point in time, whatever was committed
// since. It is safe for concurrent use.
type snapshotHistory struct {
	mu      sync.Mutex
	entries []*retainedSnapshot // in the order they were taken
}

// retainedSnapshot is one kept point in time; refs counts the reads using it.
type retainedSnapshot struct {
	at      bson.Timestamp
	rs      *frontend.ReadSnapshot
	refs    int
	created time.Time
}

// snapshotRead resolves the point in time of a snapshot read: a new one at the current cluster time when rc has
// no atClusterTime, or the one at atClusterTime. A time after the latest cluster time is InvalidOptions; one
// whose state is no longer kept (before the window, or before this server started, or with commits since that
// no snapshot captured) is SnapshotTooOld (239). The caller releases the result.
func (s *Server) snapshotRead(rc bson.Raw) (*retainedSnapshot, error) {
	h := &s.snapshots
	v, err := rc.LookupErr("atClusterTime")
	if err != nil {
		rs, err := frontend.NewReadSnapshot(s.DB)
		if err != nil {
			return nil, commandError(err)
		}
		r := &retainedSnapshot{at: s.clock.nowAfter(rs.Ts()), rs: rs, refs: 1, created: time.Now()}
		h.add(r)
		return r, nil
	}
	t, i, ok := v.TimestampOK()
	if !ok {
		return nil, typeMismatch("readConcern.atClusterTime", v, "timestamp")
	}
	at := bson.Timestamp{T: t, I: i}
	if at.T == 0 && at.I == 0 {
		return nil, codes.New(codes.InvalidOptions, "readConcern atClusterTime value must not be a null timestamp.")
	}
	if latest := s.clock.latest(); latest.Before(at) {
		return nil, codes.New(codes.InvalidOptions, "readConcern atClusterTime value must not be greater than the current clusterTime. Requested clusterTime: { ts: Timestamp(%d, %d) }; current clusterTime: { ts: Timestamp(%d, %d) }", at.T, at.I, latest.T, latest.I)
	}
	if r := h.find(func(r *retainedSnapshot) bool { return r.at == at }); r != nil {
		return r, nil
	}
	want, ok := s.clock.commitTsAt(at)
	if ok {
		if r := h.find(func(r *retainedSnapshot) bool { return r.rs.Ts() == want }); r != nil {
			return r, nil
		}
		if frontend.CommitTs(s.DB) == want {
			rs, err := frontend.NewReadSnapshot(s.DB)
			if err != nil {
				return nil, commandError(err)
			}
			if rs.Ts() == want {
				r := &retainedSnapshot{at: at, rs: rs, refs: 1, created: time.Now()}
				h.add(r)
				return r, nil
			}
			rs.Close()
		}
	}
	return nil, codes.New(codes.SnapshotTooOld, "Read timestamp Timestamp(%d, %d) is older than the oldest available timestamp.", at.T, at.I)
}

// add keeps r, releasing the oldest unused snapshot when too many are kept.
func (h *snapshotHistory) add(r *retainedSnapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, r)
	if len(h.entries) > maxRetainedSnapshots {
		for i, old := range h.entries {
			if old.refs == 0 {
				old.rs.Close()
				h.entries = append(h.entries[:i], h.entries[i+1:]...)
				break
			}
		}
	}
}

// find returns the newest kept snapshot pred accepts, referenced for the caller, or nil.
func (h *snapshotHistory) find(pred func(*retainedSnapshot) bool) *retainedSnapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.entries) - 1; i >= 0; i-- {
		if r := h.entries[i]; pred(r) {
			r.refs++
			return r
		}
	}
	return nil
}

// release ends a read's use of r.
func (h *snapshotHistory) release(r *retainedSnapshot) {
	h.mu.Lock()
	r.refs--
	h.mu.Unlock()
}

// prune releases the snapshots older than the window that no read uses (the reaper calls it), or all unused
// ones when all is set (Shutdown).
func (h *snapshotHistory) prune(now time.Time, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.entries[:0]
	for _, r := range h.entries {
		if r.refs == 0 && (all || now.Sub(r.created) > snapshotHistoryWindow) {
			r.rs.Close()
			continue
		}
		kept = append(kept, r)
	}
	clear(h.entries[len(kept):])
	h.entries = kept
}

// runSnapshotRead runs a find, aggregate or distinct with readConcern level "snapshot" outside a transaction at
// its point in time, and answers with atClusterTime: in the cursor document of find and aggregate, at the top
// of distinct's reply, as mongod does.
func (s *Server) runSnapshotRead(ctx context.Context, inv *invocation, rc bson.Raw) (bson.D, error) {
	r, err := s.snapshotRead(rc)
	if err != nil {
		return nil, err
	}
	defer s.snapshots.release(r)
	fields, err := s.call(frontend.WithReadSnapshot(ctx, r.rs), inv)
	if err != nil {
		return nil, err
	}
	for i, e := range fields {
		if e.Key == "cursor" {
			if cur, ok := e.Value.(bson.D); ok {
				fields[i].Value = append(cur[:len(cur):len(cur)], bson.E{Key: "atClusterTime", Value: r.at})
				return fields, nil
			}
		}
	}
	return append(fields, bson.E{Key: "atClusterTime", Value: r.at}), nil
}
