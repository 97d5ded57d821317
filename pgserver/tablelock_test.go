package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tableLockSteps run against Concord and PostgreSQL 15 (TestCompare_*): LOCK TABLE's errors and lock_timeout's
// setting, and DROP's errors for what is missing.
var tableLockSteps = []struct {
	sql  string
	want string
}{
	{sql: "CREATE TABLE lk (id int8 PRIMARY KEY, n int8)", want: "CREATE TABLE"},
	{sql: "LOCK TABLE lk", want: "ERROR 25P01: LOCK TABLE can only be used in transaction blocks"},
	{sql: "BEGIN", want: "BEGIN"},
	{sql: "LOCK TABLE lk IN ACCESS SHARE MODE", want: "LOCK TABLE"},
	{sql: "LOCK lk IN ROW EXCLUSIVE MODE NOWAIT", want: "LOCK TABLE"},
	{sql: "LOCK TABLE lk IN SHARE ROW EXCLUSIVE MODE", want: "LOCK TABLE"},
	{sql: "LOCK TABLE lk, lk IN ACCESS EXCLUSIVE MODE", want: "LOCK TABLE"},
	{sql: "INSERT INTO lk VALUES (1, 1)", want: "INSERT 0 1"},
	{sql: "LOCK TABLE lk_missing", want: "ERROR 42P01: relation \"lk_missing\" does not exist"},
	{sql: "ROLLBACK", want: "ROLLBACK"},
	{sql: "SELECT count(*) FROM lk", want: "0\nSELECT 1"},
	{sql: "SHOW lock_timeout", want: "0\nSHOW"},
	{sql: "SET lock_timeout = '1500ms'", want: "SET"},
	{sql: "SHOW lock_timeout", want: "1500ms\nSHOW"},
	{sql: "SET lock_timeout = 'soon'", want: "ERROR 22023: invalid value for parameter \"lock_timeout\": \"soon\""},
	{sql: "SET lock_timeout = -5", want: "ERROR 22023: -5 ms is outside the valid range for parameter \"lock_timeout\" (0 .. 2147483647)"},
	{sql: "RESET lock_timeout", want: "RESET"},
	{sql: "SHOW lock_timeout", want: "0\nSHOW"},
	{sql: "SHOW deadlock_timeout", want: "1s\nSHOW"},
	{sql: "DROP TABLE lk", want: "DROP TABLE"},
	// DROP's errors name the kind dropped.
	{sql: "DROP TABLE lk_missing", want: "ERROR 42P01: table \"lk_missing\" does not exist"},
	{sql: "DROP VIEW lk_missing", want: "ERROR 42P01: view \"lk_missing\" does not exist"},
	{sql: "CREATE TABLE lk2 (id int8 PRIMARY KEY)", want: "CREATE TABLE"},
	{sql: "CREATE VIEW lkv AS SELECT * FROM lk2", want: "CREATE VIEW"},
	{sql: "DROP TABLE lk2, lk_missing", want: "ERROR 42P01: table \"lk_missing\" does not exist"},
	{sql: "DROP VIEW lkv, lk_missing", want: "ERROR 42P01: view \"lk_missing\" does not exist"},
	{sql: "DROP TABLE lkv", want: "ERROR 42809: \"lkv\" is not a table"},
	{sql: "DROP VIEW lkv", want: "DROP VIEW"},
	{sql: "DROP TABLE lk2", want: "DROP TABLE"},
}

// runTableLocks runs tableLockSteps on c.
func runTableLocks(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range tableLockSteps {
		got, err := renderSimple(c, s.sql, nil)
		if err != nil {
			got = errText(err)
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q\nwant: %q", who, s.sql, got, s.want)
		}
	}
}

// errText is an error as the step lists write it: "ERROR code: message".
func errText(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return "ERROR " + pe.Code + ": " + pe.Message
	}
	return "ERROR " + err.Error()
}

// A block's ALTER TABLE ... ADD COLUMN ... NOT NULL DEFAULT waits for the transactions writing the table and
// they wait for it, so that no row, inserted by an autocommitted statement or by another block, misses the new
// column: none reads back NULL.
func TestTableLocks_AddColumnMissesNoRow(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	admin := connect(t, url)
	mustExec(t, admin, "CREATE TABLE lt (id int8 PRIMARY KEY, a int8)")
	mustExec(t, admin, "INSERT INTO lt VALUES (0, 0)")

	var next, acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := next.Add(1)
				if w%2 == 0 {
					if _, err := c.Exec(ctx, "INSERT INTO lt (id, a) VALUES ($1, 1)", id); err != nil {
						errs <- fmt.Errorf("insert %d: %w", id, err)
						return
					}
					acked.Add(1)
					continue
				}
				// In a block that holds its lock across a pause.
				tx, err := c.Begin(ctx)
				if err != nil {
					errs <- err
					return
				}
				if _, err := tx.Exec(ctx, "INSERT INTO lt (id, a) VALUES ($1, 2)", id); err != nil {
					_ = tx.Rollback(ctx)
					errs <- fmt.Errorf("insert %d in a block: %w", id, err)
					return
				}
				time.Sleep(2 * time.Millisecond)
				if err := tx.Commit(ctx); err != nil {
					errs <- fmt.Errorf("commit %d: %w", id, err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "ALTER TABLE lt ADD COLUMN c int8 NOT NULL DEFAULT 7"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond) // the writers queue behind the block's lock meanwhile
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var rows, nulls, sevens int64
	if err := admin.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE c IS NULL), count(*) FILTER (WHERE c = 7) FROM lt").Scan(&rows, &nulls, &sevens); err != nil {
		t.Fatal(err)
	}
	if rows != acked.Load()+1 || nulls != 0 || sevens != rows {
		t.Fatalf("%d rows (%d acknowledged inserts + 1), %d with c NULL, %d with c = 7", rows, acked.Load(), nulls, sevens)
	}
	if acked.Load() < 10 {
		t.Fatalf("only %d inserts ran", acked.Load())
	}
}

// A DDL statement waits for the blocks that read or wrote its table to end, whether it runs in a block or not,
// and the rows a block inserted before it get its default. (CREATE INDEX's SHARE lock lets readers in.)
func TestTableLocks_DDLWaitsForBlocks(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	mustExec(t, a, "CREATE TABLE lw (id int8 PRIMARY KEY)")
	mustExec(t, a, "INSERT INTO lw VALUES (1)")

	for _, step := range []struct{ first, ddl, check, want string }{
		{"INSERT INTO lw VALUES (2)", "ALTER TABLE lw ADD COLUMN c int8 DEFAULT 5", "SELECT count(*) FROM lw WHERE c = 5", "2"},
		{"INSERT INTO lw VALUES (3)", "CREATE INDEX lw_c ON lw (c)", "SELECT count(*) FROM pg_indexes WHERE indexname = 'lw_c'", "1"},
		{"SELECT count(*) FROM lw", "DROP TABLE lw", "SELECT count(*) FROM information_schema.tables WHERE table_name = 'lw'", "0"},
	} {
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, step.first); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		var doneAt time.Time
		go func() {
			_, err := b.Exec(ctx, step.ddl)
			doneAt = time.Now()
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("%s ran while a block held the table (%v)", step.ddl, err)
		case <-time.After(200 * time.Millisecond):
		}
		committed := time.Now()
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", step.ddl, err)
		}
		if doneAt.Before(committed) {
			t.Fatalf("%s finished before the block committed", step.ddl)
		}
		var got string
		if err := a.QueryRow(ctx, step.check).Scan(&got); err != nil || got != step.want {
			t.Fatalf("after %s: %s = %q (%v), want %s", step.ddl, step.check, got, err, step.want)
		}
	}
}

// Two blocks each holding a table the other asks for: one of them fails with 40P01 once its wait has lasted
// deadlock_timeout, which frees the other.
func TestTableLocks_Deadlock(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	mustExec(t, a, "CREATE TABLE da (id int8 PRIMARY KEY)")
	mustExec(t, a, "CREATE TABLE db (id int8 PRIMARY KEY)")
	ta, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Exec(ctx, "LOCK TABLE da"); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Exec(ctx, "LOCK TABLE db"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	errs := make(chan error, 2)
	go func() {
		_, err := ta.Exec(ctx, "SELECT * FROM db")
		errs <- err
	}()
	go func() {
		_, err := tb.Exec(ctx, "INSERT INTO da VALUES (1)")
		errs <- err
	}()
	e1 := <-errs
	var failed, ok int
	var pe *pgconn.PgError
	for _, err := range []error{e1, <-errs} {
		switch {
		case err == nil:
			ok++
		case errors.As(err, &pe) && pe.Code == "40P01" && pe.Message == "deadlock detected" && strings.Contains(pe.Detail, "blocked by process"):
			failed++
		default:
			t.Fatalf("unexpected: %v", err)
		}
	}
	if failed != 1 || ok != 1 {
		t.Fatalf("%d deadlock errors and %d successes, want one of each", failed, ok)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("the deadlock was reported after %v, before deadlock_timeout", d)
	}
	_ = ta.Rollback(ctx)
	_ = tb.Rollback(ctx)
}

// A lock wait ends with lock_timeout (55P03), NOWAIT (55P03 at once), statement_timeout or a cancel request
// (57014); each fails the block, and the lock is granted once its holder disconnects.
func TestTableLocks_WaitsEnd(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	holder, waiter := connect(t, url), connect(t, url)
	mustExec(t, holder, "CREATE TABLE lx (id int8 PRIMARY KEY)")
	htx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := htx.Exec(ctx, "INSERT INTO lx VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	try := func(set, stmt string, code, msg string) {
		t.Helper()
		mustExec(t, waiter, set)
		tx, err := waiter.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = tx.Exec(ctx, stmt)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != code || pe.Message != msg {
			t.Fatalf("%s under %s: %v, want %s %s", stmt, set, err, code, msg)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s: the wait ended after %v", stmt, d)
		}
		if _, err := tx.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
			t.Fatalf("after %s: %v, want 25P02", stmt, err)
		}
		_ = tx.Rollback(ctx)
	}
	try("SET lock_timeout = 100", "LOCK TABLE lx", "55P03", "canceling statement due to lock timeout")
	try("RESET lock_timeout", "LOCK TABLE lx IN SHARE MODE NOWAIT", "55P03", `could not obtain lock on relation "lx"`)
	try("SET statement_timeout = 100", "ALTER TABLE lx ADD COLUMN c int8", "57014", "canceling statement due to statement timeout")
	mustExec(t, waiter, "RESET statement_timeout")

	// A cancel request ends a wait too: the server goes on serving the waiter's connection.
	other := connect(t, url)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	_, err = tx.Exec(cctx, "LOCK TABLE lx")
	cancel()
	if err == nil {
		t.Fatal("LOCK TABLE returned while the holder held the table")
	}

	// The holder disconnects: its block rolls back and its lock goes.
	done := make(chan error, 1)
	go func() { _, err := waiter.Exec(ctx, "DROP TABLE lx"); done <- err }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("DROP TABLE ran while a block held the table: %v", err)
	default:
	}
	holder.Close(ctx)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("DROP TABLE still waits after the holder disconnected")
	}
}

// Waits are first come, first served: an ACCESS SHARE lock asked for after a waiting ACCESS EXCLUSIVE one waits
// behind it, as in PostgreSQL, so a stream of readers cannot starve DDL; a session that already holds a lock on
// the table does not queue behind a wait for it.
func TestTableLocks_Queue(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	r1, ddl, r2 := connect(t, url), connect(t, url), connect(t, url)
	mustExec(t, r1, "CREATE TABLE lq (id int8 PRIMARY KEY)")
	tx, err := r1.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT * FROM lq"); err != nil {
		t.Fatal(err)
	}
	alter := make(chan error, 1)
	go func() { _, err := ddl.Exec(ctx, "ALTER TABLE lq ADD COLUMN c int8"); alter <- err }()
	time.Sleep(100 * time.Millisecond)
	read := make(chan error, 1)
	go func() { _, err := r2.Exec(ctx, "SELECT * FROM lq"); read <- err }()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-read:
		t.Fatalf("a new reader went ahead of the waiting ALTER TABLE: %v", err)
	case err := <-alter:
		t.Fatalf("ALTER TABLE ran while a block read the table: %v", err)
	default:
	}
	// The block holding the table reads it again: it does not wait behind the queue.
	if _, err := tx.Exec(ctx, "SELECT * FROM lq"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []chan error{alter, read} {
		select {
		case err := <-ch:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a wait did not end after the block committed")
		}
	}
}

// A SHARE lock (CREATE INDEX's) lets readers in, COPY ... TO among them, and holds writers back.
func TestTableLocks_ShareLetsReadersIn(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	mustExec(t, a, "CREATE TABLE ls (id int8 PRIMARY KEY)")
	mustExec(t, a, "INSERT INTO ls VALUES (1)")
	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE ls IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var n int
	if err := b.QueryRow(rctx, "SELECT count(*) FROM ls").Scan(&n); err != nil || n != 1 {
		t.Fatalf("a read beside SHARE: %d %v", n, err)
	}
	var out strings.Builder
	if _, err := b.PgConn().CopyTo(rctx, &out, "COPY ls TO STDOUT"); err != nil || out.String() != "1\n" {
		t.Fatalf("COPY TO beside SHARE: %q %v", out.String(), err)
	}
	ins := make(chan error, 1)
	go func() { _, err := b.Exec(ctx, "INSERT INTO ls VALUES (2)"); ins <- err }()
	select {
	case err := <-ins:
		t.Fatalf("an INSERT ran beside SHARE: %v", err)
	case <-time.After(150 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ins; err != nil {
		t.Fatal(err)
	}
}

// ROLLBACK TO a savepoint, and an error after one, drop the table locks taken since the savepoint and keep
// those from before it, mode by mode, as PostgreSQL releases an aborted subtransaction's locks: another
// session's DDL no longer waits for a lock the block gave up. Before, the block kept every lock until it ended.
func TestTableLocks_SavepointReleases(t *testing.T) {
	url, _ := startServer(t)
	block, other := connect(t, url), connect(t, url)
	mustExec(t, other, "CREATE TABLE sp_t (id int8 PRIMARY KEY)")
	mustExec(t, other, "CREATE TABLE sp_u (id int8 PRIMARY KEY)")
	// try reports whether other may take mode on table at once.
	try := func(table, mode string) string {
		t.Helper()
		mustExec(t, other, "BEGIN")
		defer mustExec(t, other, "ROLLBACK")
		_, err := other.Exec(context.Background(), "LOCK TABLE "+table+" IN "+mode+" MODE NOWAIT")
		if err != nil {
			return sqlState(err)
		}
		return "granted"
	}
	check := func(step string, want map[[2]string]string) {
		t.Helper()
		for k, w := range want {
			if got := try(k[0], k[1]); got != w {
				t.Errorf("%s: %s on %s: %s, want %s", step, k[1], k[0], got, w)
			}
		}
	}
	mustExec(t, block, "BEGIN")
	mustExec(t, block, "SELECT * FROM sp_u")
	mustExec(t, block, "SELECT * FROM sp_t")
	mustExec(t, block, "SAVEPOINT a")
	mustExec(t, block, "LOCK TABLE sp_t IN SHARE MODE")
	check("after LOCK in the savepoint", map[[2]string]string{
		{"sp_t", "ROW EXCLUSIVE"}: "55P03",
	})
	mustExec(t, block, "ROLLBACK TO a")
	check("after ROLLBACK TO", map[[2]string]string{
		{"sp_t", "ROW EXCLUSIVE"}:    "granted", // the SHARE lock went
		{"sp_t", "ACCESS EXCLUSIVE"}: "55P03",   // the ACCESS SHARE from before stays
		{"sp_u", "ACCESS EXCLUSIVE"}: "55P03",
	})
	mustExec(t, block, "RELEASE a")
	mustExec(t, block, "SAVEPOINT b")
	mustExec(t, block, "LOCK TABLE sp_u IN EXCLUSIVE MODE")
	if _, err := block.Exec(context.Background(), "SELECT 1/0"); sqlState(err) != "22012" {
		t.Fatalf("SELECT 1/0: %v", err)
	}
	check("after an error in the savepoint", map[[2]string]string{
		{"sp_u", "ROW SHARE"}:        "granted",
		{"sp_u", "ACCESS EXCLUSIVE"}: "55P03",
	})
	mustExec(t, block, "ROLLBACK TO b")
	mustExec(t, block, "ROLLBACK")
	check("after ROLLBACK", map[[2]string]string{
		{"sp_t", "ACCESS EXCLUSIVE"}: "granted",
		{"sp_u", "ACCESS EXCLUSIVE"}: "granted",
	})
}

// A deadlock through a row: a block owns a row that an autocommitted UPDATE waits to write (holding its ROW
// EXCLUSIVE lock on the table, as PostgreSQL's UPDATE holds it while it waits for the row), and the block then
// asks for ACCESS EXCLUSIVE on that table. The block finds the cycle after deadlock_timeout and fails with 40P01,
// which aborts its transaction at once as PostgreSQL's does: the UPDATE goes on without waiting for a ROLLBACK.
// While it waits, pg_stat_activity shows the UPDATE waiting on Lock/transactionid and pg_blocking_pids names the
// block.
func TestTableLocks_DeadlockThroughRow(t *testing.T) {
	if os.Getenv(backendEnv) == "driver" {
		t.Skip("a MongoDB deployment does not say whom a write waits for")
	}
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b, watcher := connect(t, url), connect(t, url), connect(t, url)
	mustExec(t, a, "CREATE TABLE rw (id int8 PRIMARY KEY, n int8)")
	mustExec(t, a, "INSERT INTO rw VALUES (1, 0)")
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "UPDATE rw SET n = 1 WHERE id = 1")
	bErr := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "UPDATE rw SET n = n + 10 WHERE id = 1")
		bErr <- err
	}()
	bPID := b.PgConn().PID()
	waitFor(t, "the UPDATE's row wait", func() bool {
		var ev string
		_ = watcher.QueryRow(ctx, "SELECT coalesce(wait_event_type, '') || '/' || coalesce(wait_event, '') FROM pg_stat_activity WHERE pid = $1", bPID).Scan(&ev)
		return ev == "Lock/transactionid"
	})
	var blockers string
	if err := watcher.QueryRow(ctx, "SELECT pg_blocking_pids($1)::text", bPID).Scan(&blockers); err != nil ||
		blockers != fmt.Sprintf("{%d}", a.PgConn().PID()) {
		t.Fatalf("pg_blocking_pids of the waiting UPDATE: %s, %v", blockers, err)
	}
	start := time.Now()
	_, err := a.Exec(ctx, "LOCK TABLE rw IN ACCESS EXCLUSIVE MODE")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "40P01" {
		t.Fatalf("the block's LOCK TABLE: %v, want 40P01", err)
	}
	if !strings.Contains(pe.Detail, fmt.Sprintf("Process %d waits for ShareLock on the transaction of process %d", bPID, a.PgConn().PID())) {
		t.Errorf("detail %q does not name the row wait", pe.Detail)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the deadlock took %v to be found", d)
	}
	// The block failed: its transaction is gone, so the UPDATE goes on before any ROLLBACK.
	select {
	case err := <-bErr:
		if err != nil {
			t.Fatalf("the UPDATE after the deadlock: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the UPDATE still waits for the failed block")
	}
	mustExec(t, a, "ROLLBACK")
	var n int64
	if err := a.QueryRow(ctx, "SELECT n FROM rw WHERE id = 1").Scan(&n); err != nil || n != 10 {
		t.Fatalf("n after the deadlock: %d, %v (want 10: the block's write undone, the UPDATE's kept)", n, err)
	}
}

// runUnseenNames checks that a name another block created and has not committed is no one else's to find: a
// SELECT, INSERT, UPDATE or DELETE naming it fails with 42P01 at once, without waiting for the lock that block
// holds on it, as PostgreSQL looks a name up before it locks it. A table that exists is waited for as before
// (here until lock_timeout), and the new table is there for everyone once the block commits.
func runUnseenNames(t *testing.T, who, url string) {
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	defer a.Close(ctx)
	defer b.Close(ctx)
	mustExec(t, a, "DROP TABLE IF EXISTS un_base, un_new")
	mustExec(t, a, "CREATE TABLE un_base (id int8 PRIMARY KEY)")
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "CREATE TABLE un_new (id int8 PRIMARY KEY)")
	mustExec(t, a, "ALTER TABLE un_new ADD COLUMN v int8")
	mustExec(t, a, "ALTER TABLE un_base ADD COLUMN w int8")
	for _, q := range []string{
		"SELECT * FROM un_new",
		"SELECT count(*) FROM un_new JOIN un_base USING (id)",
		"INSERT INTO un_new VALUES (1)",
		"UPDATE un_new SET id = 2",
		"DELETE FROM un_new",
	} {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start := time.Now()
		_, err := b.Exec(qctx, q)
		cancel()
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P01" || pe.Message != `relation "un_new" does not exist` {
			t.Errorf("%s: %s: %v, want 42P01 relation \"un_new\" does not exist", who, q, err)
			continue
		}
		if want := int32(strings.Index(q, "un_new") + 1); pe.Position != want {
			t.Errorf("%s: %s: position %d, want %d", who, q, pe.Position, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %s took %v: it waited for the other block", who, q, d)
		}
	}
	// DDL naming it does not wait either: it finds no such table, as its own lookup reports it.
	for _, s := range []struct{ q, want string }{
		{"DROP TABLE un_new", `42P01 table "un_new" does not exist`},
		{"DROP TABLE IF EXISTS un_new", ""},
		{"ALTER TABLE un_new ADD COLUMN z int8", `42P01 relation "un_new" does not exist`},
		{"ALTER TABLE IF EXISTS un_new ADD COLUMN z int8", ""},
		{"ALTER TABLE un_new RENAME TO un_x", `42P01 relation "un_new" does not exist`},
		{"TRUNCATE un_new", `42P01 relation "un_new" does not exist`},
		{"CREATE INDEX un_new_v ON un_new (v)", `42P01 relation "un_new" does not exist`},
	} {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		start := time.Now()
		_, err := b.Exec(qctx, s.q)
		cancel()
		got := ""
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			got = pe.Code + " " + pe.Message
		} else if err != nil {
			got = err.Error()
		}
		if got != s.want {
			t.Errorf("%s: %s: %q, want %q", who, s.q, got, s.want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %s took %v: it waited for the other block", who, s.q, d)
		}
	}
	mustExec(t, b, "SET lock_timeout = '300ms'")
	if _, err := b.Exec(ctx, "SELECT * FROM un_base"); sqlState(err) != "55P03" {
		t.Errorf("%s: SELECT from a table the other block altered: %v, want 55P03 after waiting", who, err)
	}
	mustExec(t, b, "RESET lock_timeout")
	mustExec(t, a, "COMMIT")
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM un_new").Scan(&n); err != nil || n != 0 {
		t.Errorf("%s: the committed table: %d rows, %v", who, n, err)
	}
	mustExec(t, b, "INSERT INTO un_new VALUES (1, 2)")
	mustExec(t, a, "DROP TABLE un_base, un_new")
}

// TestTableLocks_UnseenNames runs runUnseenNames on Concord (TestCompare_PostgreSQL runs it on PostgreSQL).
func TestTableLocks_UnseenNames(t *testing.T) {
	url, _ := startServer(t)
	runUnseenNames(t, "concord", url)
}
