package server

import (
	"context"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// fsyncGate is the fsync lock: while it is held ({fsync: 1, lock: true}, counted by lockCount) every write
// command waits; fsyncUnlock releases one hold. Taking it waits for the writes under way to finish, so that
// once fsync returns nothing writes until the unlock. Its zero value is unlocked; it is safe for concurrent use.
type fsyncGate struct {
	mu      sync.Mutex
	locks   int // lockCount: holds of the lock
	writers int // write commands running
	// changed is closed, and replaced, whenever locks or writers fall, waking whoever waits on them.
	changed chan struct{}
}

// wait returns the channel closed at the next change; the caller holds g.mu.
func (g *fsyncGate) wait() chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

// notify wakes every waiter; the caller holds g.mu.
func (g *fsyncGate) notify() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}

// enterWrite waits until the lock is not held, then counts a write under way; exitWrite must follow. It fails
// with ctx's error when ctx ends first (maxTimeMS, a disconnect).
func (g *fsyncGate) enterWrite(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.locks == 0 {
			g.writers++
			g.mu.Unlock()
			return nil
		}
		ch := g.wait()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// exitWrite ends a write counted by enterWrite.
func (g *fsyncGate) exitWrite() {
	g.mu.Lock()
	g.writers--
	if g.writers == 0 {
		g.notify()
	}
	g.mu.Unlock()
}

// lock takes one hold of the lock and waits for the writes under way to finish; it returns the new lockCount.
// If ctx ends first the hold is given back.
func (g *fsyncGate) lock(ctx context.Context) (int, error) {
	g.mu.Lock()
	g.locks++
	for g.writers > 0 {
		ch := g.wait()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			g.locks--
			g.notify()
			g.mu.Unlock()
			return 0, ctx.Err()
		}
		g.mu.Lock()
	}
	n := g.locks
	g.mu.Unlock()
	return n, nil
}

// unlock gives back one hold and returns the lockCount left; ok is false when the lock was not held.
func (g *fsyncGate) unlock() (left int, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.locks == 0 {
		return 0, false
	}
	g.locks--
	if g.locks == 0 {
		g.notify()
	}
	return g.locks, true
}

// lockCount returns the holds of the lock.
func (g *fsyncGate) lockCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.locks
}

// fsyncBlocked are the commands that write and so wait while the fsync lock is held (aggregate only with $out
// or $merge, see blockedByFsyncLock).
var fsyncBlocked = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
	"create": true, "drop": true, "dropDatabase": true, "createIndexes": true, "dropIndexes": true,
	"collMod": true, "renameCollection": true, "commitTransaction": true, "compact": true,
	"createUser": true, "updateUser": true, "dropUser": true, "dropAllUsersFromDatabase": true,
	"grantRolesToUser": true, "revokeRolesFromUser": true, "setFeatureCompatibilityVersion": true,
}

// blockedByFsyncLock reports whether the command writes, and so waits while the fsync lock is held.
func blockedByFsyncLock(req *Request) bool {
	if fsyncBlocked[req.Name] {
		return true
	}
	if req.Name != "aggregate" {
		return false
	}
	stages, ok := req.Body.Lookup("pipeline").ArrayOK()
	if !ok {
		return false
	}
	vals, _ := stages.Values()
	if len(vals) == 0 {
		return false
	}
	last, ok := vals[len(vals)-1].DocumentOK()
	if !ok {
		return false
	}
	first, err := last.IndexErr(0)
	return err == nil && (first.Key() == "$out" || first.Key() == "$merge")
}

// handleFsync answers fsync (admin only): {fsync: 1, lock, async}. It makes every commit durable and flushes
// the memtable to sstables; with lock: true it then holds the fsync lock, under which writes wait until
// fsyncUnlock, and replies the lockCount.
func handleFsync(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "fsync may only be run against the admin database.")
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	lock, _ := a.boolean("lock", false)
	if async, _ := a.boolean("async", false); async && lock {
		return nil, codes.New(codes.IllegalOperation, "fsync: lock with async is not supported")
	}
	if !lock {
		if err := frontend.Checkpoint(s.DB); err != nil {
			return nil, commandError(err)
		}
		return bson.D{{Key: "numFiles", Value: int32(1)}}, nil
	}
	n, err := s.fsync.lock(ctx)
	if err != nil {
		return nil, err
	}
	if err := frontend.Checkpoint(s.DB); err != nil {
		s.fsync.unlock()
		return nil, commandError(err)
	}
	return bson.D{
		{Key: "info", Value: "now locked against writes, use db.fsyncUnlock() to unlock"},
		{Key: "lockCount", Value: int64(n)},
		{Key: "seeAlso", Value: "http://dochub.mongodb.org/core/fsynccommand"},
	}, nil
}

// handleFsyncUnlock answers fsyncUnlock (admin only): one hold of the fsync lock is given back; writes resume
// when none is left. Unlocking an unlocked server is IllegalOperation, as in mongod.
func handleFsyncUnlock(_ context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "fsyncUnlock may only be run against the admin database.")
	}
	left, ok := s.fsync.unlock()
	if !ok {
		return nil, codes.New(codes.IllegalOperation, "fsyncUnlock called when not locked")
	}
	return bson.D{{Key: "info", Value: "fsyncUnlock completed"}, {Key: "lockCount", Value: int64(left)}}, nil
}
