package sql

import (
	"context"
	"strings"
)

// PostgreSQL's advisory locks (pg_advisory_lock and its kin): locks on application-chosen numbers, per database,
// exclusive or shared (the _shared functions), held by a session until it unlocks them or ends (session level), or
// until its transaction ends (transaction level, pg_advisory_xact_lock), counted (a session may take the same lock
// several times and must unlock it as often). As in PostgreSQL they live in the table locks' lock manager
// (tablelock.go), in EXCLUSIVE or SHARE mode: the waits are first come first served, lock_timeout, statement_timeout
// and cancel requests end them, and a cycle of waits through advisory and table locks alike is a deadlock (40P01,
// found after deadlock_timeout). The lock manager holds a mode while any count of it is above zero; the counts are
// the session's own.

// advisoryKey is one lock: a bigint, or a pair of integers (a separate key space, as in PostgreSQL).
type advisoryKey struct {
	k1, k2 int64
	pair   bool
}

// advisoryCounts are how many times a session holds one advisory lock, by level and mode (0 shared, 1
// exclusive).
type advisoryCounts struct {
	session, xact [2]int
}

// advisoryModes are the lock manager's modes of the two kinds of advisory hold.
var advisoryModes = [2]lockMode{lockShare, lockExclusive}

// advisoryTag is the lock manager's tag of key in the session's database.
func (s *Session) advisoryTag(key advisoryKey) lockTag {
	return lockTag{db: s.database, adv: key, advisory: true}
}

// lockAdvisory takes key for s (exclusive unless shared), at transaction level when xact, waiting while another
// session holds it in a conflicting mode unless !wait; it reports whether s holds it now.
func (s *Session) lockAdvisory(ctx context.Context, key advisoryKey, shared, xact, wait bool) (bool, error) {
	kind := 1
	if shared {
		kind = 0
	}
	c := s.advisory[key]
	if c == nil || c.session[kind]+c.xact[kind] == 0 {
		err := s.e.locks.lock(ctx, s, s.advisoryTag(key), advisoryModes[kind], !wait, s.params.lockTimeout)
		if err != nil {
			if !wait && AsError(err).Code == CodeLockNotAvailable && ctx.Err() == nil {
				return false, nil
			}
			return false, err
		}
		if c == nil {
			if s.advisory == nil {
				s.advisory = map[advisoryKey]*advisoryCounts{}
			}
			c = &advisoryCounts{}
			s.advisory[key] = c
		}
	}
	if xact {
		c.xact[kind]++
	} else {
		c.session[kind]++
	}
	return true, nil
}

// unlockAdvisory releases one session-level hold of key by s; false when s holds none in that mode.
func (s *Session) unlockAdvisory(key advisoryKey, shared bool) bool {
	kind := 1
	if shared {
		kind = 0
	}
	c := s.advisory[key]
	if c == nil || c.session[kind] == 0 {
		return false
	}
	c.session[kind]--
	s.settleAdvisory(key, c)
	return true
}

// settleAdvisory gives the lock manager back the modes of key no count holds any more.
func (s *Session) settleAdvisory(key advisoryKey, c *advisoryCounts) {
	for kind, mode := range advisoryModes {
		if c.session[kind]+c.xact[kind] == 0 {
			s.e.locks.unlockMode(s, s.advisoryTag(key), mode)
		}
	}
	if *c == (advisoryCounts{}) {
		delete(s.advisory, key)
	}
}

// releaseAdvisory drops s's transaction-level holds, and its session-level ones too when all.
func (s *Session) releaseAdvisory(all bool) {
	for key, c := range s.advisory {
		c.xact = [2]int{}
		if all {
			c.session = [2]int{}
		}
		s.settleAdvisory(key, c)
	}
}

// unlockAllAdvisory drops s's session-level holds (pg_advisory_unlock_all); its transaction-level ones last until
// the transaction ends, as in PostgreSQL.
func (s *Session) unlockAllAdvisory() {
	for key, c := range s.advisory {
		c.session = [2]int{}
		s.settleAdvisory(key, c)
	}
}

// advisoryXactHolds returns s's transaction-level holds, for a savepoint to go back to.
func (s *Session) advisoryXactHolds() map[advisoryKey][2]int {
	var holds map[advisoryKey][2]int
	for key, c := range s.advisory {
		if c.xact != [2]int{} {
			if holds == nil {
				holds = map[advisoryKey][2]int{}
			}
			holds[key] = c.xact
		}
	}
	return holds
}

// rollbackAdvisory puts s's transaction-level holds back to holds (from advisoryXactHolds), as ROLLBACK TO
// releases the transaction-level locks taken since its savepoint; session-level holds stay, as in PostgreSQL.
func (s *Session) rollbackAdvisory(holds map[advisoryKey][2]int) {
	for key, c := range s.advisory {
		h := holds[key]
		c.xact = [2]int{min(c.xact[0], h[0]), min(c.xact[1], h[1])}
		s.settleAdvisory(key, c)
	}
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
		x.s.unlockAllAdvisory()
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
	shared := strings.HasSuffix(name, "_shared")
	switch strings.TrimSuffix(name, "_shared") {
	case "pg_advisory_unlock":
		ok := x.s.unlockAdvisory(key, shared)
		if !ok {
			mode := "ExclusiveLock"
			if shared {
				mode = "ShareLock"
			}
			x.warn(errorf("01000", "you don't own a lock of type %s", mode))
		}
		return ok, nil
	case "pg_advisory_lock", "pg_advisory_xact_lock":
		if _, err := x.s.lockAdvisory(x.ctx, key, shared, strings.Contains(name, "_xact_"), true); err != nil {
			return nil, err
		}
		return "", nil
	default: // pg_try_advisory_lock, pg_try_advisory_xact_lock (and _shared)
		return x.s.lockAdvisory(x.ctx, key, shared, strings.Contains(name, "_xact_"), false)
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
