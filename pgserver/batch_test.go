package pgserver_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// batchSteps send their statements as one pgx batch (the extended protocol's
// messages up to one Sync): PostgreSQL runs them in one implicit
// transaction. want is the SQLSTATE of the batch ("" for success), then what
// check answers after it, on Concord and PostgreSQL alike.
var batchSteps = []struct {
	name  string
	stmts []string
	want  string
	check string
	after string
}{
	{"a table", []string{"CREATE TABLE bt (k int8 PRIMARY KEY, n int8)"}, "", "SELECT count(*) FROM bt", "0"},
	{"the third statement fails: none of the first two stays",
		[]string{"INSERT INTO bt VALUES (1, 1)", "INSERT INTO bt VALUES (2, 2)", "INSERT INTO bt VALUES (1, 3)"},
		"23505", "SELECT count(*) FROM bt", "0"},
	{"a successful batch commits every statement",
		[]string{"INSERT INTO bt VALUES (1, 1)", "INSERT INTO bt VALUES (2, 2)", "UPDATE bt SET n = n + 10 WHERE k = 2"},
		"", "SELECT string_agg(n::text, ',' ORDER BY k) FROM bt", "1,12"},
	{"a failing expression rolls back the updates before it",
		[]string{"UPDATE bt SET n = n + 1", "DELETE FROM bt WHERE k = 1", "SELECT 1/0"},
		"22012", "SELECT string_agg(n::text, ',' ORDER BY k) FROM bt", "1,12"},
	{"a later statement sees the earlier ones' writes",
		[]string{"INSERT INTO bt VALUES (3, 0)", "UPDATE bt SET n = (SELECT count(*) FROM bt) WHERE k = 3"},
		"", "SELECT n FROM bt WHERE k = 3", "3"},
	{"a single statement that fails", []string{"INSERT INTO bt VALUES (3, 0)"}, "23505", "SELECT count(*) FROM bt", "3"},
	{"COMMIT in a batch commits what came before it",
		[]string{"INSERT INTO bt VALUES (4, 4)", "COMMIT", "INSERT INTO bt VALUES (5, 5)", "INSERT INTO bt VALUES (4, 0)"},
		"23505", "SELECT count(*) FROM bt", "4"},
}

// runBatch runs batchSteps on a connection.
func runBatch(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	for _, s := range batchSteps {
		b := &pgx.Batch{}
		for _, q := range s.stmts {
			b.Queue(q)
		}
		err := c.SendBatch(ctx, b).Close()
		if got := sqlState(err); got != s.want || (err != nil && s.want == "") {
			t.Errorf("%s: %s: %v, want SQLSTATE %q", who, s.name, err, s.want)
		}
		var got string
		if err := c.QueryRow(ctx, s.check).Scan(&got); err != nil || got != s.after {
			t.Errorf("%s: after %s: %s = %q %v, want %q", who, s.name, s.check, got, err, s.after)
		}
	}
	// A BEGIN in a batch makes its implicit block an ordinary one, earlier
	// statements included: it stays open after the batch, and ROLLBACK
	// undoes them all.
	b := &pgx.Batch{}
	b.Queue("INSERT INTO bt VALUES (10, 10)")
	b.Queue("BEGIN")
	b.Queue("INSERT INTO bt VALUES (11, 11)")
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatalf("%s: a batch with BEGIN: %v", who, err)
	}
	if st := c.PgConn().TxStatus(); st != 'T' {
		t.Errorf("%s: after a batch with BEGIN the status is %q, want T", who, st)
	}
	if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bt WHERE k >= 10").Scan(&n); err != nil || n != 0 {
		t.Errorf("%s: after ROLLBACK of a batch with BEGIN: %d rows %v, want 0", who, n, err)
	}
}

// TestBatch_AtomicForReaders: the two updates of a transfer sent as one
// batch commit together, so that concurrent readers never see one without
// the other.
func TestBatch_AtomicForReaders(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	mustExec(t, setup, "CREATE TABLE acct (id int8 PRIMARY KEY, bal int8)")
	mustExec(t, setup, "INSERT INTO acct VALUES (1, 1000), (2, 1000)")

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range 2 {
		r := connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				var sum int64
				if err := r.QueryRow(ctx, "SELECT sum(bal) FROM acct").Scan(&sum); err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
				if sum != 2000 {
					t.Errorf("a reader saw a sum of %d, want 2000", sum)
					return
				}
			}
		}()
	}
	w := connect(t, url)
	for i := range 300 {
		b := &pgx.Batch{}
		b.Queue("UPDATE acct SET bal = bal - $1 WHERE id = 1", 1)
		b.Queue("UPDATE acct SET bal = bal + $1 WHERE id = 2", 1)
		if err := w.SendBatch(ctx, b).Close(); err != nil {
			t.Fatalf("transfer %d: %v", i, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	var a, b int64
	if err := w.QueryRow(ctx, "SELECT (SELECT bal FROM acct WHERE id = 1), (SELECT bal FROM acct WHERE id = 2)").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != 700 || b != 1300 {
		t.Errorf("balances %d, %d, want 700, 1300", a, b)
	}
	t.Logf("%d reads", reads.Load())
}

// TestBatch_SingleStatementAutocommits: a statement sent alone (pgx's Exec:
// Bind, Execute, Sync) stays an autocommitted statement, which waits on a
// conflict instead of failing: 16 clients incrementing one row lose
// nothing and never see 40001.
func TestBatch_SingleStatementAutocommits(t *testing.T) {
	url, _ := startServer(t)
	setup := connect(t, url)
	mustExec(t, setup, "CREATE TABLE hot (id int8 PRIMARY KEY, n int8)")
	mustExec(t, setup, "INSERT INTO hot VALUES (1, 0)")
	conns := clients(t, url, 16)
	parallel(t, conns, func(i int, c *pgx.Conn) error {
		for range 20 {
			if _, err := c.Exec(context.Background(), "UPDATE hot SET n = n + $1 WHERE id = 1", 1); err != nil {
				return errors.Join(errors.New("single-statement update"), err)
			}
		}
		return nil
	})
	var n int64
	if err := setup.QueryRow(context.Background(), "SELECT n FROM hot WHERE id = 1").Scan(&n); err != nil || n != 16*20 {
		t.Errorf("n = %d %v, want %d", n, err, 16*20)
	}
}

func TestBatch_Concord(t *testing.T) {
	url, _ := startServer(t)
	runBatch(t, "concord", connect(t, url))
}
