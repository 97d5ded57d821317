package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/concorddb/concord/internal/codes"
)

func TestReaperPeriod(t *testing.T) {
	cases := []struct {
		name  string
		limit time.Duration
		want  time.Duration
	}{
		{"default 60s", 60 * time.Second, 30 * time.Second},
		{"floor 1s", 1 * time.Second, time.Second},
		{"2s", 2 * time.Second, time.Second},
		{"cap 60s", time.Hour, time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reaperPeriod(c.limit); got != c.want {
				t.Fatalf("got %v want %v", got, c.want)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
	}{{0, 0}, {3, 0}, {4, time.Millisecond}, {9, time.Millisecond}, {10, 5 * time.Millisecond},
		{99, 5 * time.Millisecond}, {100, 10 * time.Millisecond}, {199, 10 * time.Millisecond}, {200, 100 * time.Millisecond}}
	for _, c := range cases {
		if got := backoffDelay(c.attempt); got != c.want {
			t.Fatalf("attempt %d: got %v want %v", c.attempt, got, c.want)
		}
	}
}

// A statement running when its transaction expires fails with 290 and the
// transaction is aborted; later statements get 251.
func TestReaper_KillsRunningStatement(t *testing.T) {
	e, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tx := e.Begin()
	sctx, err := tx.beginStmt(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		tx.expire()
		close(done)
	}()
	// The reaper interrupts the statement's context at once, then waits for
	// the statement to end before aborting.
	select {
	case <-sctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("statement context not cancelled")
	}
	if ce := codes.FromContext(sctx); ce.Code != codes.TransactionExceededLifetimeLimitSeconds {
		t.Fatalf("ctx error %v", ce)
	}
	err = tx.endStmt(sctx, nil)
	if ce, ok := codes.As(err); !ok || ce.Code != codes.TransactionExceededLifetimeLimitSeconds {
		t.Fatalf("statement error %v", err)
	}
	<-done
	if tx.State() != TxnAborted {
		t.Fatal("not aborted")
	}
	if _, err := tx.beginStmt(context.Background()); codes.CodeOf(err) != codes.NoSuchTransaction {
		t.Fatalf("later statement: %v", err)
	}
	m := e.Metrics().Transactions
	if m.TotalAborted != 1 || m.CurrentOpen != 0 || m.CurrentActive != 0 || m.CurrentInactive != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestOwnerTable_Prunes(t *testing.T) {
	e, err := Open(Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := 0; i < 3*minPruneSize; i++ {
		u := e.newUnit()
		k := string(rune(i)) + "key"
		if err := u.claim(k); err != nil {
			t.Fatal(err)
		}
		u.claims[k] = true
		u.release(uint64(i + 1))
	}
	e.clock.Store(uint64(3 * minPruneSize))
	e.pruneAt.Store(0)
	e.maybePrune()
	if n := e.owners.size.Load(); n != 0 {
		t.Fatalf("owner table has %d entries after prune", n)
	}
	// A live snapshot keeps newer entries.
	tx := e.Begin()
	tx.mu.Lock()
	tx.start()
	tx.mu.Unlock()
	u := e.newUnit()
	if err := u.claim("x"); err != nil {
		t.Fatal(err)
	}
	u.claims["x"] = true
	u.release(e.clock.Load() + 1)
	e.clock.Add(1)
	e.pruneAt.Store(0)
	e.maybePrune()
	if e.owners.lastCommit("x") == 0 {
		t.Fatal("entry newer than a live snapshot was pruned")
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
}

// TestReaper_LifetimeOnMonotonicClock: a transaction's lifetime is measured on the monotonic clock, so moving
// the wall clock (an NTP step, an administrator) neither kills young transactions nor spares old ones. Its start
// must carry a monotonic reading: time.Now().UTC(), Round(0) or a time decoded from storage would make the
// reaper compare wall clocks. The reaper aborts it only once the limit has passed by that clock.
func TestReaper_LifetimeOnMonotonicClock(t *testing.T) {
	e, err := Open(Options{TxnLifetime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	tx := e.Begin()
	sctx, err := tx.beginStmt(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.endStmt(sctx, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tx.firstStmt.String(), " m=") {
		t.Fatalf("the transaction's start %v has no monotonic reading", tx.firstStmt)
	}
	e.reapExpired(time.Now())
	if tx.State() != TxnActive {
		t.Fatalf("a transaction younger than its lifetime was reaped: %v", tx.State())
	}
	e.reapExpired(time.Now().Add(time.Minute + time.Second)) // Add moves the monotonic reading too
	if tx.State() != TxnAborted {
		t.Fatalf("a transaction older than its lifetime was not reaped: %v", tx.State())
	}
}
