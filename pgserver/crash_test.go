package pgserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/sql"
)

// TestCrashChild is the child process of TestCrash_CommittedSurvivesSIGKILL:
// it serves the directory in CONCORD_CRASH_DIR and prints its address.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("CONCORD_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrash_CommittedSurvivesSIGKILL")
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ADDR", l.Addr())
	(&pgserver.Server{Engine: sql.NewEngine(db)}).Serve(l)
}

// startChild starts a server process on dir and returns it with its URL.
func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CONCORD_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, "postgres://test@" + addr + "/test?sslmode=disable"
		}
	}
	t.Fatalf("child did not start: %v", sc.Err())
	return nil, ""
}

// TestCrash_CommittedSurvivesSIGKILL: transfers acknowledged by COMMIT are
// all there after the server is killed with SIGKILL and restarted, and
// none is there half.
func TestCrash_CommittedSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	cmd, url := startChild(t, dir)
	c := connect(t, url)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE accounts (id int8 PRIMARY KEY, balance int8 NOT NULL)")
	mustExec(t, c, "INSERT INTO accounts VALUES (1, 1000), (2, 0)")
	committed := 0
	deadline := time.Now().Add(500 * time.Millisecond)
	go func() {
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
	}()
	for time.Now().Before(deadline) {
		tx, err := c.Begin(ctx)
		if err != nil {
			break
		}
		_, err1 := tx.Exec(ctx, "UPDATE accounts SET balance = balance - 1 WHERE id = 1")
		_, err2 := tx.Exec(ctx, "UPDATE accounts SET balance = balance + 1 WHERE id = 2")
		if err1 != nil || err2 != nil || tx.Commit(ctx) != nil {
			break
		}
		committed++
	}
	cmd.Wait()
	_, url = startChild(t, dir)
	c2 := connect(t, url)
	var a, b int64
	if err := c2.QueryRow(ctx, "SELECT (SELECT balance FROM accounts WHERE id = 1), (SELECT balance FROM accounts WHERE id = 2)").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a+b != 1000 || b < int64(committed) {
		t.Fatalf("after SIGKILL: balances %d and %d, %d transfers acknowledged", a, b, committed)
	}
	t.Logf("%d transfers acknowledged before SIGKILL, %d found", committed, b)
}

// TestCrash_BlockDDLSIGKILL: a table a transaction block made and committed survives SIGKILL with its rows; one
// made by a block still open when the server is killed leaves nothing behind, so its name can be created again.
func TestCrash_BlockDDLSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	cmd, url := startChild(t, dir)
	ctx := context.Background()
	c, open := connect(t, url), connect(t, url)
	for _, q := range []string{
		"BEGIN",
		"CREATE TABLE kept (id serial PRIMARY KEY, v text UNIQUE)",
		"INSERT INTO kept (v) VALUES ('a'), ('b')",
		"COMMIT",
	} {
		mustExec(t, c, q)
	}
	for _, q := range []string{
		"BEGIN",
		"CREATE TABLE lost (id int8 PRIMARY KEY, v text)",
		"CREATE INDEX lost_v ON lost (v)",
		"INSERT INTO lost VALUES (1, 'x')",
		"CREATE SEQUENCE lost_seq",
	} {
		mustExec(t, open, q)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	_, url = startChild(t, dir)
	c2 := connect(t, url)
	var names string
	if err := c2.QueryRow(ctx, "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != "kept" {
		t.Fatalf("tables after SIGKILL: %q, want kept alone", names)
	}
	var n int64
	if err := c2.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil || n != 2 {
		t.Fatalf("kept holds %d rows (%v), want 2", n, err)
	}
	if _, err := c2.Exec(ctx, "INSERT INTO kept (v) VALUES ('a')"); sqlState(err) != "23505" {
		t.Fatalf("kept's unique column after SIGKILL: %v, want 23505", err)
	}
	if _, err := c2.Exec(ctx, "SELECT nextval('lost_seq')"); sqlState(err) != "42P01" {
		t.Fatalf("the open block's sequence after SIGKILL: %v, want 42P01", err)
	}
	mustExec(t, c2, "CREATE TABLE lost (id int8 PRIMARY KEY)")
	mustExec(t, c2, "INSERT INTO kept (v) VALUES ('c')")
}

// An index a block built at once on a table from before it goes with the block when the server is killed before
// the block commits, and one whose block committed stays (pendingindex.go): after the restart the database's
// first session settles the markers.
func TestCrash_BlockIndexSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	cmd, url := startChild(t, dir)
	ctx := context.Background()
	c, open := connect(t, url), connect(t, url)
	mustExec(t, c, "CREATE TABLE bix (id int8 PRIMARY KEY, a int8, b int8)")
	mustExec(t, c, "INSERT INTO bix VALUES (1, 1, 1), (2, 1, 2)")
	for _, q := range []string{"BEGIN", "CREATE INDEX bix_a ON bix (a)", "COMMIT"} {
		mustExec(t, c, q)
	}
	for _, q := range []string{"BEGIN", "CREATE UNIQUE INDEX bix_b ON bix (b)"} {
		mustExec(t, open, q)
	}
	// Built at once: the storage lists it while the block is open.
	var open0 string
	if err := c.QueryRow(ctx, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'bix'").Scan(&open0); err != nil || open0 != "bix_a,bix_b,bix_pkey" {
		t.Fatalf("indexes while the block is open: %q %v", open0, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	_, url = startChild(t, dir)
	c2 := connect(t, url)
	var names string
	if err := c2.QueryRow(ctx, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'bix'").Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != "bix_a,bix_pkey" {
		t.Fatalf("indexes after SIGKILL: %q, want bix_a,bix_pkey", names)
	}
	mustExec(t, c2, "INSERT INTO bix VALUES (3, 1, 2)") // the uncommitted unique index holds no more
	var markers int64
	if err := c2.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'system%'").Scan(&markers); err != nil || markers != 0 {
		t.Fatalf("system collections listed as tables: %d %v", markers, err)
	}
}

// A session's temporary tables go when the server is killed before the session ends: the database's first
// session after the restart drops them (temptables.go), rows, indexes and catalog entries.
func TestCrash_TempTablesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dir := t.TempDir()
	cmd, url := startChild(t, dir)
	c := connect(t, url)
	mustExec(t, c, "CREATE TEMP TABLE tmp_k (id int8 PRIMARY KEY, a text)")
	mustExec(t, c, "CREATE INDEX tmp_k_a ON tmp_k (a)")
	mustExec(t, c, "INSERT INTO tmp_k VALUES (1, 'x'), (2, 'y')")
	mustExec(t, c, "CREATE TABLE kept (id int8 PRIMARY KEY)")
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	cmd, url = startChild(t, dir)
	c2 := connect(t, url)
	mustExec(t, c2, "SELECT * FROM kept")
	if _, err := c2.Exec(context.Background(), "SELECT * FROM tmp_k"); sqlState(err) != "42P01" {
		t.Fatalf("the killed session's temporary table after the restart: %v, want 42P01", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	names, err := db.Database("test").ListCollectionNames(context.Background(), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "sql_temp.") {
			t.Errorf("a temporary table's storage outlived its session: %s (collections %v)", n, names)
		}
	}
	n, err := db.Database("test").Collection("system.sql_tables").CountDocuments(context.Background(), map[string]any{})
	if err != nil || n != 1 {
		t.Errorf("catalog entries after the sweep: %d %v, want 1 (kept)", n, err)
	}
}
