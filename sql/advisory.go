package sql

import (
	"context"
	"sync"
)

// PostgreSQL's advisory locks (pg_advisory_lock and its kin): exclusive locks on application-chosen numbers,
// held by a session until it unlocks them or ends (session level), or until its transaction ends (transaction
// level, pg_advisory_xact_lock), counted (a session may take the same lock several times and must unlock it as
// often). pg_advisory_lock waits for the lock; a statement_timeout or a cancel request ends the wait. They are
// kept by the Engine, in memory: sessions of one Engine (one server process) exclude each other. Unlike
// PostgreSQL, a deadlock between advisory locks is not detected (the waits last until cancelled), and shared
// advisory locks do not exist.

// advisoryKey is one lock: a bigint, or a pair of integers (a separate key space, as in PostgreSQL).
type advisoryKey struct {
	k1, k2 int64
	pair   bool
}

// advisoryHold is a held lock: its session and how many times it holds it at each level.
type advisoryHold struct {
	owner         *Session
	session, xact int
	// free is closed when the lock is released entirely.
	free chan struct{}
}

// advisoryLocks are an Engine's held advisory locks.
type advisoryLocks struct {
	mu   sync.Mutex
	held map[advisoryKey]*advisoryHold
}

// lock takes key for s, at transaction level when xact, waiting while another session holds it unless !wait;
// it reports whether s holds it now.
func (a *advisoryLocks) lock(ctx context.Context, s *Session, key advisoryKey, xact, wait bool) (bool, error) {
	for {
		a.mu.Lock()
		if a.held == nil {
			a.held = map[advisoryKey]*advisoryHold{}
		}
		h := a.held[key]
		if h == nil {
			h = &advisoryHold{owner: s, free: make(chan struct{})}
			a.held[key] = h
		}
		if h.owner == s {
			if xact {
				h.xact++
			} else {
				h.session++
			}
			if s.advisory == nil {
				s.advisory = map[advisoryKey]bool{}
			}
			s.advisory[key] = true
			a.mu.Unlock()
			return true, nil
		}
		free := h.free
		a.mu.Unlock()
		if !wait {
			return false, nil
		}
		s.waiting(waitAdvisory, key)
		select {
		case <-free:
			s.waiting(waitNone, advisoryKey{})
		case <-ctx.Done():
			s.waiting(waitNone, advisoryKey{})
			return false, ctx.Err()
		}
	}
}

// unlock releases one session-level hold of key by s; false when s holds none.
func (a *advisoryLocks) unlock(s *Session, key advisoryKey) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.held[key]
	if h == nil || h.owner != s || h.session == 0 {
		return false
	}
	h.session--
	a.dropIfFree(key, h)
	return true
}

// release drops s's holds: its transaction-level ones, and its session-level ones too when all.
func (a *advisoryLocks) release(s *Session, all bool) {
	a.change(s, func(_ advisoryKey, h *advisoryHold) {
		h.xact = 0
		if all {
			h.session = 0
		}
	})
}

// unlockAll drops s's session-level holds (pg_advisory_unlock_all); its transaction-level ones last until the
// transaction ends, as in PostgreSQL.
func (a *advisoryLocks) unlockAll(s *Session) {
	a.change(s, func(_ advisoryKey, h *advisoryHold) { h.session = 0 })
}

// xactHolds returns how many times s holds each lock at transaction level, for a savepoint to put back.
func (a *advisoryLocks) xactHolds(s *Session) map[advisoryKey]int {
	if len(s.advisory) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var holds map[advisoryKey]int
	for key := range s.advisory {
		if h := a.held[key]; h != nil && h.owner == s && h.xact > 0 {
			if holds == nil {
				holds = map[advisoryKey]int{}
			}
			holds[key] = h.xact
		}
	}
	return holds
}

// rollbackXact puts s's transaction-level holds back to holds (from xactHolds), as ROLLBACK TO releases the
// transaction-level locks taken since its savepoint; session-level holds stay, as in PostgreSQL.
func (a *advisoryLocks) rollbackXact(s *Session, holds map[advisoryKey]int) {
	a.change(s, func(key advisoryKey, h *advisoryHold) { h.xact = min(h.xact, holds[key]) })
}

// change applies fn to each lock s holds, then drops those no level holds any more.
func (a *advisoryLocks) change(s *Session, fn func(advisoryKey, *advisoryHold)) {
	if len(s.advisory) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for key := range s.advisory {
		h := a.held[key]
		if h == nil || h.owner != s {
			delete(s.advisory, key)
			continue
		}
		fn(key, h)
		if a.dropIfFree(key, h) {
			delete(s.advisory, key)
		}
	}
}

// dropIfFree removes a lock no level holds any more and wakes its waiters. The caller holds a.mu.
func (a *advisoryLocks) dropIfFree(key advisoryKey, h *advisoryHold) bool {
	if h.session > 0 || h.xact > 0 {
		return false
	}
	delete(a.held, key)
	close(h.free)
	return true
}

// advisoryFunc runs the advisory lock functions.
func (x *exec) advisoryFunc(name string, args []any) (any, error) {
	if x.describe {
		return nil, nil
	}
	if name == "pg_advisory_unlock_all" {
		if len(args) != 0 {
			return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		x.s.e.advisory.unlockAll(x.s)
		return "", nil
	}
	var key advisoryKey
	switch len(args) {
	case 1:
		n, err := coerce(args[0], OIDInt8)
		if err != nil || n == nil {
			return nil, errorf(CodeDatatypeMismatch, "%s takes a bigint key", name)
		}
		key.k1 = n.(int64)
	case 2:
		a, err1 := coerce(args[0], OIDInt4)
		b, err2 := coerce(args[1], OIDInt4)
		if err1 != nil || err2 != nil || a == nil || b == nil {
			return nil, errorf(CodeDatatypeMismatch, "%s takes two integer keys", name)
		}
		key = advisoryKey{k1: toInt64(a), k2: toInt64(b), pair: true}
	default:
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	locks := &x.s.e.advisory
	switch name {
	case "pg_advisory_unlock":
		ok := locks.unlock(x.s, key)
		if !ok {
			x.warn(errorf("01000", "you don't own a lock of type ExclusiveLock"))
		}
		return ok, nil
	case "pg_advisory_lock", "pg_advisory_xact_lock":
		if _, err := locks.lock(x.ctx, x.s, key, name == "pg_advisory_xact_lock", true); err != nil {
			return nil, err
		}
		return "", nil
	default: // pg_try_advisory_lock, pg_try_advisory_xact_lock
		return locks.lock(x.ctx, x.s, key, name == "pg_try_advisory_xact_lock", false)
	}
}

// toInt64 widens an integer value.
func toInt64(v any) int64 {
	switch n := v.(type) {
	case int32:
		return int64(n)
	case int64:
		return n
	}
	return 0
}
