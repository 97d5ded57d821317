package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// advisorySteps run in order on one connection against Concord and PostgreSQL 15 (TestCompare_PostgreSQL).
var advisorySteps = []struct{ sql, want string }{
	{"SELECT pg_try_advisory_lock(42)", "t\nSELECT 1"},
	{"SELECT pg_try_advisory_lock(42)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock(42)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock(42)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock(42)", "f\nSELECT 1"},
	{"SELECT pg_try_advisory_lock(1, 2)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock(1, 2)", "t\nSELECT 1"},
	{"SELECT pg_advisory_lock(7)", "\nSELECT 1"},
	{"SELECT pg_advisory_unlock_all()", "\nSELECT 1"},
	{"SELECT pg_advisory_unlock(7)", "f\nSELECT 1"},
}

// runAdvisory runs advisorySteps on a connection.
func runAdvisory(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, advisorySteps) }

// TestAdvisoryLocks: a session's advisory lock excludes other sessions until it unlocks or disconnects,
// pg_advisory_lock waits for it (and a statement_timeout ends the wait with 57014), a transaction-level lock
// ends with its transaction, and unlocking a lock the session does not hold warns.
func TestAdvisoryLocks(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	try := func(c *pgx.Conn, q string) bool {
		t.Helper()
		var ok bool
		if err := c.QueryRow(ctx, q).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return ok
	}
	exec := func(c *pgx.Conn, q string) {
		t.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(a, "SELECT pg_advisory_lock(1)")
	if try(b, "SELECT pg_try_advisory_lock(1)") {
		t.Fatal("b took the lock a holds")
	}
	// b waits for the lock; a's unlock lets it in.
	got := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "SELECT pg_advisory_lock(1)")
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("pg_advisory_lock did not wait: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if !try(a, "SELECT pg_advisory_unlock(1)") {
		t.Fatal("a could not unlock its lock")
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	// Now a waits, bounded by its statement_timeout.
	exec(a, "SET statement_timeout = 100")
	if _, err := a.Exec(ctx, "SELECT pg_advisory_lock(1)"); sqlState(err) != "57014" {
		t.Fatalf("wait past statement_timeout: %v, want 57014", err)
	}
	exec(a, "RESET statement_timeout")
	// b disconnecting releases its lock: the server ends the session when it reads the disconnect, a moment after
	// the client's Close returns (as a PostgreSQL backend exits after its client leaves).
	b.Close(ctx)
	released := false
	for deadline := time.Now().Add(5 * time.Second); !released && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		released = try(a, "SELECT pg_try_advisory_lock(1)")
	}
	if !released {
		t.Fatal("the lock of a closed session was not released within 5 s")
	}
	// A transaction-level lock ends with its transaction, committed or rolled back.
	c := connect(t, url)
	exec(c, "BEGIN")
	exec(c, "SELECT pg_advisory_xact_lock(2)")
	if try(a, "SELECT pg_try_advisory_lock(2)") {
		t.Fatal("a took a lock c holds in its transaction")
	}
	exec(c, "ROLLBACK")
	if !try(a, "SELECT pg_try_advisory_lock(2)") {
		t.Fatal("the transaction-level lock outlived its transaction")
	}
	// Unlocking what the session does not hold answers false with PostgreSQL's warning.
	var notices []string
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Code+" "+n.Message) }
	d, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	if try(d, "SELECT pg_advisory_unlock(99)") || len(notices) != 1 || notices[0] != "01000 you don't own a lock of type ExclusiveLock" {
		t.Fatalf("unlock of a lock not held: notices %q", notices)
	}
}

// advisorySavepointSteps run on two sessions (a, then b as "b:"), against Concord and PostgreSQL 15: ROLLBACK
// TO releases the transaction-level advisory locks taken since its savepoint (a second hold of a lock taken
// before it included), and keeps the session-level ones and those taken before; pg_advisory_unlock_all releases
// the session-level locks only.
var advisorySavepointSteps = []struct{ sql, want string }{
	{"BEGIN", "BEGIN"},
	{"SELECT pg_advisory_xact_lock(42)", "\nSELECT 1"},
	{"SAVEPOINT s", "SAVEPOINT"},
	{"SELECT pg_advisory_xact_lock(42)", "\nSELECT 1"},
	{"SELECT pg_advisory_xact_lock(43)", "\nSELECT 1"},
	{"SELECT pg_try_advisory_xact_lock(45)", "t\nSELECT 1"},
	{"SELECT pg_advisory_lock(44)", "\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(43)", "f\nSELECT 1"},
	{"ROLLBACK TO s", "ROLLBACK"},
	{"b:SELECT pg_try_advisory_lock(42)", "f\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(43)", "t\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(44)", "f\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(45)", "t\nSELECT 1"},
	{"SAVEPOINT t", "SAVEPOINT"},
	{"SELECT pg_try_advisory_xact_lock(46)", "t\nSELECT 1"},
	{"RELEASE t", "RELEASE"},
	{"ROLLBACK TO s", "ROLLBACK"},
	{"b:SELECT pg_try_advisory_lock(46)", "t\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"b:SELECT pg_try_advisory_lock(42)", "t\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(44)", "f\nSELECT 1"},
	{"SELECT pg_advisory_unlock(44)", "t\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(44)", "t\nSELECT 1"},
	// pg_advisory_unlock_all releases the session-level locks only.
	{"BEGIN", "BEGIN"},
	{"SELECT pg_advisory_xact_lock(50)", "\nSELECT 1"},
	{"SELECT pg_advisory_lock(51)", "\nSELECT 1"},
	{"SELECT pg_advisory_unlock_all()", "\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(50)", "f\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(51)", "t\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"b:SELECT pg_try_advisory_lock(50)", "t\nSELECT 1"},
}

// advisorySharedSteps run on two sessions (a, then b as "b:"), against Concord and PostgreSQL 15: shared advisory
// locks admit each other and exclude an exclusive one, a session's own shared hold does not exclude its exclusive
// request, each mode is unlocked on its own, pg_locks shows ShareLock rows, and the transaction-level shared lock
// ends with its transaction.
var advisorySharedSteps = []struct{ sql, want string }{
	{"SELECT pg_advisory_lock_shared(60)", "\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock_shared(60)", "t\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(60)", "f\nSELECT 1"},
	{"SELECT pg_try_advisory_lock(60)", "f\nSELECT 1"},
	{"SELECT locktype, classid, objid, objsubid, mode, granted FROM pg_locks WHERE locktype = 'advisory'",
		"advisory|0|60|1|ShareLock|t\nadvisory|0|60|1|ShareLock|t\nSELECT 2"},
	{"b:SELECT pg_advisory_unlock_shared(60)", "t\nSELECT 1"},
	{"b:SELECT pg_advisory_unlock_shared(60)", "f\nSELECT 1"},
	{"SELECT pg_try_advisory_lock(60)", "t\nSELECT 1"},
	{"SELECT mode FROM pg_locks WHERE locktype = 'advisory' ORDER BY mode", "ExclusiveLock\nShareLock\nSELECT 2"},
	{"b:SELECT pg_try_advisory_lock_shared(60)", "f\nSELECT 1"},
	{"SELECT pg_advisory_unlock(60)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock(60)", "f\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock_shared(60)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock_shared(60)", "t\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(60)", "t\nSELECT 1"},
	{"b:SELECT pg_advisory_unlock_all()", "\nSELECT 1"},
	{"SELECT pg_try_advisory_lock_shared(61, 2)", "t\nSELECT 1"},
	{"SELECT classid, objid, objsubid FROM pg_locks WHERE locktype = 'advisory'", "61|2|2\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(61, 2)", "f\nSELECT 1"},
	{"b:SELECT pg_try_advisory_lock(61)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock_shared(61, 2)", "t\nSELECT 1"},
	{"b:SELECT pg_advisory_unlock(61)", "t\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"SELECT pg_advisory_xact_lock_shared(62)", "\nSELECT 1"},
	{"SELECT pg_try_advisory_xact_lock_shared(62)", "t\nSELECT 1"},
	{"b:SELECT pg_try_advisory_xact_lock(62)", "f\nSELECT 1"},
	{"b:SELECT pg_try_advisory_xact_lock_shared(62)", "t\nSELECT 1"},
	{"SELECT pg_advisory_unlock_shared(62)", "f\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"b:SELECT pg_try_advisory_xact_lock(62)", "t\nSELECT 1"},
	{"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", "0\nSELECT 1"},
}

// runAdvisorySavepoints runs advisorySharedSteps, then advisorySavepointSteps (not on the driver backend, which
// has no savepoints: runSavepoints checks that it refuses them), on two new connections to url.
func runAdvisorySavepoints(t *testing.T, who, url string) {
	a, b := connect(t, url), connect(t, url)
	defer a.Close(context.Background())
	defer b.Close(context.Background())
	steps := advisorySharedSteps
	if os.Getenv(backendEnv) != "driver" {
		steps = append(steps[:len(steps):len(steps)], advisorySavepointSteps...)
	}
	for _, s := range steps {
		c, q := a, s.sql
		if rest, ok := strings.CutPrefix(q, "b:"); ok {
			c, q = b, rest
		}
		runSteps(t, who, c, []struct{ sql, want string }{{q, s.want}})
	}
}

// runAdvisoryDeadlock runs two sessions into a deadlock between advisory locks, on Concord and on PostgreSQL 15:
// each holds one lock and waits for the other's. The first to wait finds the cycle once deadlock_timeout (1 s)
// has passed and fails with 40P01, PostgreSQL's detail naming both waits (pids and the database's oid
// normalized); its session-level lock stays held, so the other waits on until it is unlocked.
func runAdvisoryDeadlock(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	defer a.Close(context.Background())
	defer b.Close(context.Background())
	pid := func(c *pgx.Conn) string { return fmt.Sprint(c.PgConn().PID()) }
	mustExec(t, a, "SELECT pg_advisory_lock(71)")
	mustExec(t, b, "SELECT pg_advisory_lock(72)")
	aErr, bErr := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := a.Exec(ctx, "SELECT pg_advisory_lock(72)")
		aErr <- err
	}()
	// a waits first, and half a deadlock_timeout before b, so that its deadlock check runs first even on a loaded
	// machine (the session whose check finds the cycle is the victim).
	waitLockWait(t, url, a.PgConn().PID())
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	go func() {
		_, err := b.Exec(ctx, "SELECT pg_advisory_lock(71)")
		bErr <- err
	}()
	var err error
	select {
	case err = <-aErr:
	case err = <-bErr:
		t.Fatalf("%s: the second session to wait failed first: %v", who, err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40P01" || pe.Message != "deadlock detected" {
		t.Fatalf("%s: the first waiter got %v, want 40P01 deadlock detected", who, err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("%s: the deadlock took %v to be found", who, waited)
	}
	detail := regexp.MustCompile(`advisory lock \[\d+,`).ReplaceAllString(pe.Detail, "advisory lock [db,")
	detail = strings.NewReplacer("process "+pid(a)+".", "process A.", "process "+pid(b)+".", "process B.",
		"Process "+pid(a)+" ", "Process A ", "Process "+pid(b)+" ", "Process B ").Replace(detail)
	want := "Process A waits for ExclusiveLock on advisory lock [db,0,72,1]; blocked by process B.\n" +
		"Process B waits for ExclusiveLock on advisory lock [db,0,71,1]; blocked by process A."
	if detail != want || pe.Hint != "See server log for query details." {
		t.Errorf("%s: detail %q hint %q\nwant detail %q", who, detail, pe.Hint, want)
	}
	select {
	case err := <-bErr:
		t.Fatalf("%s: the other session's wait ended while the victim still holds its lock: %v", who, err)
	case <-time.After(200 * time.Millisecond):
	}
	mustExec(t, a, "SELECT pg_advisory_unlock(71)")
	if err := <-bErr; err != nil {
		t.Fatalf("%s: the other session after the victim unlocked: %v", who, err)
	}
}

// A deadlock through an advisory lock and a table lock is found: a block holding ROW EXCLUSIVE on a table waits
// for an advisory lock whose holder waits for ACCESS EXCLUSIVE on that table. The block fails with 40P01, which
// releases its table lock at once, and the other session's LOCK TABLE goes through.
func TestAdvisoryLocks_DeadlockWithTableLock(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	mustExec(t, a, "CREATE TABLE adl (id int8 PRIMARY KEY)")
	mustExec(t, b, "SELECT pg_advisory_lock(81)")
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "INSERT INTO adl VALUES (1)")
	aErr, bErr := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := a.Exec(ctx, "SELECT pg_advisory_lock(81)")
		aErr <- err
	}()
	waitLockWait(t, url, a.PgConn().PID())
	// b's wait begins half a deadlock_timeout after a's first deadlock check, so that a's second check, which
	// finds the cycle, runs well before b's first on a loaded machine.
	var since time.Time
	if err := b.QueryRow(ctx, "SELECT max(waitstart) FROM pg_locks WHERE pid = $1 AND NOT granted", int(a.PgConn().PID())).Scan(&since); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(since.Add(1500 * time.Millisecond)))
	mustExec(t, b, "BEGIN")
	go func() {
		_, err := b.Exec(ctx, "LOCK TABLE adl IN ACCESS EXCLUSIVE MODE")
		bErr <- err
	}()
	if err := <-aErr; sqlState(err) != "40P01" {
		t.Fatalf("the block waiting for the advisory lock: %v, want 40P01", err)
	}
	if err := <-bErr; err != nil {
		t.Fatalf("LOCK TABLE after the victim's block failed: %v", err)
	}
	mustExec(t, a, "ROLLBACK")
	mustExec(t, b, "COMMIT")
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM adl").Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after the victim's rollback: %d, %v", n, err)
	}
}

// TestAdvisoryLocks_Deadlock runs runAdvisoryDeadlock on Concord (TestCompare_PostgreSQL runs it on PostgreSQL).
func TestAdvisoryLocks_Deadlock(t *testing.T) {
	url, _ := startServer(t)
	runAdvisoryDeadlock(t, "concord", url)
}

// An exclusive request waiting behind shared holders holds back a later shared request (first come, first
// served, as PostgreSQL's lock queue), so a stream of readers cannot starve it.
func TestAdvisoryLocks_SharedQueue(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b, c := connect(t, url), connect(t, url), connect(t, url)
	mustExec(t, a, "SELECT pg_advisory_lock_shared(90)")
	bErr := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "SELECT pg_advisory_lock(90)")
		bErr <- err
	}()
	waitFor(t, "the exclusive wait", func() bool {
		var n int
		_ = c.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&n)
		return n == 1
	})
	var ok bool
	if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock_shared(90)").Scan(&ok); err != nil || ok {
		t.Fatalf("a shared request behind a waiting exclusive one: granted %v, %v", ok, err)
	}
	var blockers string
	if err := c.QueryRow(ctx, "SELECT pg_blocking_pids($1)::text", b.PgConn().PID()).Scan(&blockers); err != nil ||
		blockers != fmt.Sprintf("{%d}", a.PgConn().PID()) {
		t.Fatalf("pg_blocking_pids of the exclusive waiter: %s, %v", blockers, err)
	}
	mustExec(t, a, "SELECT pg_advisory_unlock_shared(90)")
	if err := <-bErr; err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock_shared(90)").Scan(&ok); err != nil || ok {
		t.Fatalf("a shared request beside the exclusive holder: granted %v, %v", ok, err)
	}
}

// waitLockWait waits until the session pid waits for a lock, as pg_locks shows it (on Concord and PostgreSQL alike).
func waitLockWait(t *testing.T, url string, pid uint32) {
	t.Helper()
	w := connect(t, url)
	defer w.Close(context.Background())
	waitFor(t, "the lock wait", func() bool {
		var n int
		_ = w.QueryRow(context.Background(), "SELECT count(*) FROM pg_locks WHERE pid = $1 AND NOT granted", int(pid)).Scan(&n)
		return n > 0
	})
}
