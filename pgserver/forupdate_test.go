package pgserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockSteps run in order on one connection against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): what
// SELECT ... FOR UPDATE returns and refuses within one session.
var lockSteps = []struct{ sql, want string }{
	{"CREATE TABLE seats (id int8 PRIMARY KEY, flight text NOT NULL, taken bool NOT NULL)", "CREATE TABLE"},
	{"INSERT INTO seats VALUES (1, 'A', false), (2, 'A', false), (3, 'A', true), (4, 'B', false)", "INSERT 0 4"},
	{"BEGIN", "BEGIN"},
	{"SELECT id FROM seats WHERE flight = 'A' AND NOT taken ORDER BY id DESC LIMIT 1 FOR UPDATE", "2\nSELECT 1"},
	{"SELECT s.id FROM seats s WHERE s.id > 2 ORDER BY s.id FOR UPDATE OF s SKIP LOCKED", "3\n4\nSELECT 2"},
	{"SELECT id FROM seats WHERE id = 1 FOR NO KEY UPDATE NOWAIT", "1\nSELECT 1"},
	{"SELECT id FROM seats WHERE id = 1 FOR SHARE", "1\nSELECT 1"},
	{"UPDATE seats SET taken = true WHERE id = 2", "UPDATE 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT count(*) FROM seats FOR UPDATE", "ERROR 0A000"},
	{"SELECT DISTINCT flight FROM seats FOR UPDATE", "ERROR 0A000"},
	{"SELECT flight FROM seats GROUP BY flight FOR SHARE", "ERROR 0A000"},
	{"SELECT id FROM seats UNION SELECT id FROM seats FOR UPDATE", "ERROR 0A000"},
	{"SELECT id FROM seats WHERE taken ORDER BY id FOR UPDATE", "2\n3\nSELECT 2"},
}

// runLocks runs lockSteps on a connection.
func runLocks(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, lockSteps) }

// TestForUpdate_NoWriteSkew is the doctors on call: each of two transactions reads who is on call with FOR
// UPDATE and goes off call when someone else still is. The second one's read comes while the first holds its
// locks, so it fails with 40001; retried after the first committed, it sees one doctor left and stays. Without
// the locks both would read two doctors on call and both go off (write skew).
func TestForUpdate_NoWriteSkew(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	if _, err := a.Exec(ctx, "CREATE TABLE doctors (id int8 PRIMARY KEY, on_call bool NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "INSERT INTO doctors VALUES (1, true), (2, true)"); err != nil {
		t.Fatal(err)
	}
	onCall := func(c *pgx.Conn) (int, error) {
		rows, err := c.Query(ctx, "SELECT id FROM doctors WHERE on_call FOR UPDATE")
		if err != nil {
			return 0, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		return n, rows.Err()
	}
	mustExec := func(c *pgx.Conn, q string, args ...any) {
		t.Helper()
		if _, err := c.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(a, "BEGIN ISOLATION LEVEL REPEATABLE READ")
	if n, err := onCall(a); err != nil || n != 2 {
		t.Fatalf("first transaction: %d on call, %v", n, err)
	}
	mustExec(b, "BEGIN ISOLATION LEVEL REPEATABLE READ")
	n, err := onCall(b)
	if sqlState(err) != "40001" {
		t.Fatalf("second transaction's FOR UPDATE while the first holds the rows: %d rows, %v; want 40001", n, err)
	}
	mustExec(b, "ROLLBACK")
	mustExec(a, "UPDATE doctors SET on_call = false WHERE id = 1")
	mustExec(a, "COMMIT")
	mustExec(b, "BEGIN ISOLATION LEVEL REPEATABLE READ")
	if n, err := onCall(b); err != nil || n != 1 {
		t.Fatalf("retried second transaction: %d on call, %v; want 1", n, err)
	}
	mustExec(b, "COMMIT")
	var left int
	if err := a.QueryRow(ctx, "SELECT count(*) FROM doctors WHERE on_call").Scan(&left); err != nil || left != 1 {
		t.Fatalf("%d doctors on call, %v; want 1", left, err)
	}
}

// TestForUpdate_QueueAndWaits: SKIP LOCKED hands two workers different jobs, NOWAIT on a held row fails with
// 55P03, a write outside a transaction waits for the holder's commit, and a row changed after the snapshot
// cannot be locked (40001).
func TestForUpdate_QueueAndWaits(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b, c := connect(t, url), connect(t, url), connect(t, url)
	for _, q := range []string{
		"CREATE TABLE jobs (id int8 PRIMARY KEY, state text NOT NULL)",
		"INSERT INTO jobs VALUES (1, 'queued'), (2, 'queued'), (3, 'queued')",
	} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	next := "SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
	take := func(conn *pgx.Conn) int64 {
		t.Helper()
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := conn.QueryRow(ctx, next).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if ja, jb := take(a), take(b); ja != 1 || jb != 2 {
		t.Fatalf("workers took jobs %d and %d, want 1 and 2", ja, jb)
	}
	if _, err := c.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Exec(ctx, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT")
	if sqlState(err) != "55P03" {
		t.Fatalf("NOWAIT on a held row: %v, want 55P03", err)
	}
	if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	// A write outside a transaction waits for the lock's holder.
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, "UPDATE jobs SET state = 'cancelled' WHERE id = 1")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the autocommit UPDATE of a locked row did not wait: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := a.Exec(ctx, "UPDATE jobs SET state = 'done' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// b's snapshot predates a's commit of job 1: locking it now is a conflict, as writing it would be.
	_, err = b.Exec(ctx, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE")
	if sqlState(err) != "40001" {
		t.Fatalf("FOR UPDATE of a row committed after the snapshot: %v, want 40001", err)
	}
	if _, err := b.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	var state string
	if err := a.QueryRow(ctx, "SELECT state FROM jobs WHERE id = 1").Scan(&state); err != nil || state != "cancelled" {
		t.Fatalf("job 1 is %q, %v; want cancelled (the waiting UPDATE ran after the commit)", state, err)
	}
}
