package sql

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// The conflict table is PostgreSQL's (the table "Conflicting Lock Modes" of its manual): symmetric, with the
// entries written out here.
func TestTableLocks_ConflictTable(t *testing.T) {
	const (
		AS, RS, RE, SUE, S, SRE, E, AE = lockAccessShare, lockRowShare, lockRowExclusive, lockShareUpdateExclusive,
			lockShare, lockShareRowExclusive, lockExclusive, lockAccessExclusive
	)
	want := map[lockMode][]lockMode{
		AS:  {AE},
		RS:  {E, AE},
		RE:  {S, SRE, E, AE},
		SUE: {SUE, S, SRE, E, AE},
		S:   {RE, SUE, SRE, E, AE},
		SRE: {RE, SUE, S, SRE, E, AE},
		E:   {RS, RE, SUE, S, SRE, E, AE},
		AE:  {AS, RS, RE, SUE, S, SRE, E, AE},
	}
	for a := AS; a <= AE; a++ {
		conflicts := map[lockMode]bool{}
		for _, b := range want[a] {
			conflicts[b] = true
		}
		for b := AS; b <= AE; b++ {
			got := lockConflicts[a]&(1<<b) != 0
			if got != conflicts[b] {
				t.Errorf("%s against %s: conflict %v, want %v", lockModeNames[a], lockModeNames[b], got, conflicts[b])
			}
			if got != (lockConflicts[b]&(1<<a) != 0) {
				t.Errorf("%s and %s: not symmetric", lockModeNames[a], lockModeNames[b])
			}
		}
	}
}

// waitGranted reports whether a lock call (run in a goroutine) returned within d.
func waitGranted(ch chan error, d time.Duration) (bool, error) {
	select {
	case err := <-ch:
		return true, err
	case <-time.After(d):
		return false, nil
	}
}

// A lock waits while another session holds a conflicting mode; release grants it; a session's own locks never
// conflict with each other (an upgrade waits only for other sessions); NOWAIT fails at once with 55P03.
func TestTableLocks_GrantAndRelease(t *testing.T) {
	var l tableLocks
	ctx := context.Background()
	a, b, c := &Session{pid: 1}, &Session{pid: 2}, &Session{pid: 3}
	k := relTag("d", "t")
	if err := l.lock(ctx, a, k, lockRowExclusive, false, 0); err != nil {
		t.Fatal(err)
	}
	if err := l.lock(ctx, b, k, lockRowExclusive, false, 0); err != nil {
		t.Fatal("two ROW EXCLUSIVE locks conflict:", err)
	}
	if err := l.lock(ctx, a, k, lockShare, true, 0); AsError(err).Code != CodeLockNotAvailable {
		t.Fatalf("SHARE NOWAIT beside another session's ROW EXCLUSIVE: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- l.lock(ctx, a, k, lockAccessExclusive, false, 0) }() // an upgrade
	if done, _ := waitGranted(got, 50*time.Millisecond); done {
		t.Fatal("ACCESS EXCLUSIVE granted while another session holds ROW EXCLUSIVE")
	}
	l.release(b)
	if done, err := waitGranted(got, time.Second); !done || err != nil {
		t.Fatalf("the upgrade after the other session released: granted %v, %v", done, err)
	}
	if err := l.lock(ctx, c, k, lockAccessShare, false, 10*time.Millisecond); AsError(err).Code != CodeLockNotAvailable {
		t.Fatalf("ACCESS SHARE beside ACCESS EXCLUSIVE under a 10 ms lock_timeout: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { got <- l.lock(cctx, c, k, lockAccessShare, false, 0) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if done, err := waitGranted(got, time.Second); !done || !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait: returned %v, %v", done, err)
	}
	l.release(a)
	if len(a.locks.held) != 0 || l.tables[k] == nil || len(l.tables[k].held) != 0 || len(l.tables[k].queue) != 0 {
		t.Fatalf("after every release: session holds %v, table %+v", a.locks.held, l.tables[k])
	}
}

// Waits are served in order: a request that conflicts with one waiting ahead of it waits too, unless its
// session already holds a lock on the table.
func TestTableLocks_FirstComeFirstServed(t *testing.T) {
	var l tableLocks
	ctx := context.Background()
	reader, ddl, late := &Session{pid: 1}, &Session{pid: 2}, &Session{pid: 3}
	k := relTag("d", "t")
	if err := l.lock(ctx, reader, k, lockAccessShare, false, 0); err != nil {
		t.Fatal(err)
	}
	ddlGot, lateGot := make(chan error, 1), make(chan error, 1)
	go func() { ddlGot <- l.lock(ctx, ddl, k, lockAccessExclusive, false, 0) }()
	time.Sleep(20 * time.Millisecond)
	go func() { lateGot <- l.lock(ctx, late, k, lockAccessShare, false, 0) }()
	if done, _ := waitGranted(lateGot, 50*time.Millisecond); done {
		t.Fatal("a new ACCESS SHARE went ahead of a waiting ACCESS EXCLUSIVE")
	}
	if err := l.lock(ctx, reader, k, lockRowShare, false, 0); err != nil { // holds one already: no queueing
		t.Fatal(err)
	}
	l.release(reader)
	if done, err := waitGranted(ddlGot, time.Second); !done || err != nil {
		t.Fatalf("ACCESS EXCLUSIVE after the reader left: %v %v", done, err)
	}
	if done, _ := waitGranted(lateGot, 50*time.Millisecond); done {
		t.Fatal("ACCESS SHARE granted beside ACCESS EXCLUSIVE")
	}
	l.release(ddl)
	if done, err := waitGranted(lateGot, time.Second); !done || err != nil {
		t.Fatalf("the late reader: %v %v", done, err)
	}
	l.release(late)
}

// Three sessions waiting in a circle: one of them (the first whose check finds the cycle) fails with 40P01, and
// the others are granted in turn.
func TestTableLocks_DeadlockOfThree(t *testing.T) {
	var l tableLocks
	ctx := context.Background()
	ss := []*Session{{pid: 1}, {pid: 2}, {pid: 3}}
	keys := []lockTag{relTag("d", "a"), relTag("d", "b"), relTag("d", "c")}
	for i, s := range ss {
		if err := l.lock(ctx, s, keys[i], lockAccessExclusive, false, 0); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 3)
	for i, s := range ss {
		go func() {
			err := l.lock(ctx, s, keys[(i+1)%3], lockAccessShare, false, 0)
			l.release(s) // the block ends, rolled back or committed, freeing the next session
			errs <- err
		}()
	}
	var deadlocks, granted int
	for range 3 {
		select {
		case err := <-errs:
			if err == nil {
				granted++
			} else if AsError(err).Code == CodeDeadlockDetected {
				deadlocks++
			} else {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("waits still open: %d deadlocks, %d granted", deadlocks, granted)
		}
	}
	if deadlocks != 1 || granted != 2 {
		t.Fatalf("%d deadlocks, %d granted; want 1 and 2", deadlocks, granted)
	}
}

// The counts by mode that grant a lock without visiting every holder give the answer visiting them gives, over
// random grants, savepoint rollbacks and releases by several sessions.
func TestTableLocks_CountsMatchHolders(t *testing.T) {
	var l tableLocks
	r := rand.New(rand.NewPCG(1, 2))
	ss := []*Session{{pid: 1}, {pid: 2}, {pid: 3}, {pid: 4}}
	k := relTag("d", "t")
	l.tables = map[lockTag]*lockedTable{k: {held: map[*Session]uint16{}}}
	tb := l.tables[k]
	for i := range 20000 {
		s := ss[r.IntN(len(ss))]
		mode := lockMode(1 + r.IntN(8))
		slow := true
		tb.blockers(s, mode, nil, func(*Session) { slow = false })
		if fast := !tb.conflictHeld(s, mode); fast != slow {
			t.Fatalf("step %d: %s for session %d: counted %v, by holder %v (held %v)", i, lockModeNames[mode], s.pid, fast, slow, tb.held)
		}
		switch op := r.IntN(10); {
		case op < 6 && slow:
			l.grant(tb, s, k, mode)
		case op < 8:
			l.keepOnly(s, map[lockTag]uint16{k: s.locks.held[k] & uint16(r.IntN(512))})
		default:
			l.release(s)
		}
		var want [9]int32
		for _, m := range tb.held {
			for mode := lockAccessShare; mode <= lockAccessExclusive; mode++ {
				if m&(1<<mode) != 0 {
					want[mode]++
				}
			}
		}
		if want != tb.count {
			t.Fatalf("step %d: counts %v, holders give %v", i, tb.count, want)
		}
	}
}
