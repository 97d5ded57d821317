package sql_test

import (
	"context"
	stdsql "database/sql"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/concorddb/concord/sql"
)

// sqlCode is the SQLSTATE of an error of package sql, "" for none.
func sqlCode(err error) string {
	var e *sql.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Over the embedded driver, a session waiting for another's table lock shows in pg_stat_activity and
// pg_blocking_pids, pg_cancel_backend ends its wait with 57014, and pg_terminate_backend ends it with 57P01,
// after which the session's statements keep failing and database/sql drops the connection.
func TestDriver_CancelTerminate(t *testing.T) {
	db, err := stdsql.Open("concord", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conns := make([]*stdsql.Conn, 3)
	pids := make([]int64, 3)
	for i := range conns {
		if conns[i], err = db.Conn(ctx); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
		if err := conns[i].QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pids[i]); err != nil {
			t.Fatal(err)
		}
	}
	holder, waiter, watcher := conns[0], conns[1], conns[2]
	exec := func(c *stdsql.Conn, q string, args ...any) {
		t.Helper()
		if _, err := c.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(watcher, "CREATE TABLE dw (id int8 PRIMARY KEY)")
	exec(holder, "BEGIN")
	exec(holder, "LOCK TABLE dw")
	wait := func() chan error {
		done := make(chan error, 1)
		go func() {
			_, err := waiter.ExecContext(ctx, "INSERT INTO dw VALUES (1)")
			done <- err
		}()
		for deadline := time.Now().Add(5 * time.Second); ; {
			var state, event string
			err := watcher.QueryRowContext(ctx, "SELECT state, coalesce(wait_event_type || '/' || wait_event, '') FROM pg_stat_activity WHERE pid = $1",
				pids[1]).Scan(&state, &event)
			if err != nil {
				t.Fatal(err)
			}
			if state == "active" && event == "Lock/relation" {
				return done
			}
			if time.Now().After(deadline) {
				t.Fatalf("the waiter is %q %q", state, event)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	done := wait()
	var blocking string
	if err := watcher.QueryRowContext(ctx, "SELECT pg_blocking_pids($1)::text", pids[1]).Scan(&blocking); err != nil {
		t.Fatal(err)
	}
	if want := "{" + strconv.FormatInt(pids[0], 10) + "}"; blocking != want {
		t.Errorf("pg_blocking_pids = %s, want %s", blocking, want)
	}
	exec(watcher, "SELECT pg_cancel_backend($1)", pids[1])
	if err := <-done; sqlCode(err) != "57014" {
		t.Fatalf("cancelled wait: %v, want 57014", err)
	}
	done = wait()
	exec(watcher, "SELECT pg_terminate_backend($1)", pids[1])
	if err := <-done; sqlCode(err) != "57P01" {
		t.Fatalf("terminated wait: %v, want 57P01", err)
	}
	if _, err := waiter.ExecContext(ctx, "SELECT 1"); sqlCode(err) != "57P01" {
		t.Errorf("the terminated session's next statement: %v, want 57P01", err)
	}
	var n int
	if err := watcher.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pids[1]).Scan(&n); err != nil || n != 0 {
		t.Errorf("terminated session in pg_stat_activity: %d %v", n, err)
	}
	exec(holder, "COMMIT")
}
