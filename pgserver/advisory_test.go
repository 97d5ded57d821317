package pgserver_test

import (
	"context"
	"os"
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

// runAdvisorySavepoints runs advisorySavepointSteps on two new connections to url (not on the driver backend,
// which has no savepoints: runSavepoints checks that it refuses them).
func runAdvisorySavepoints(t *testing.T, who, url string) {
	if os.Getenv(backendEnv) == "driver" {
		return
	}
	a, b := connect(t, url), connect(t, url)
	defer a.Close(context.Background())
	defer b.Close(context.Background())
	for _, s := range advisorySavepointSteps {
		c, q := a, s.sql
		if rest, ok := strings.CutPrefix(q, "b:"); ok {
			c, q = b, rest
		}
		runSteps(t, who, c, []struct{ sql, want string }{{q, s.want}})
	}
}
