package pgserver_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// savepointSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): SAVEPOINT, RELEASE and
// ROLLBACK TO, repeated names, a failed block made usable again, and the errors outside a block. want is the
// rows and tag as in compareSteps, or "ERROR " and the SQLSTATE.
var savepointSteps = []struct{ sql, want string }{
	{"CREATE TABLE sp1 (id int8 PRIMARY KEY, v int4)", "CREATE TABLE"},
	{"SAVEPOINT a", "ERROR 25P01"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO sp1 VALUES (1, 1)", "INSERT 0 1"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"INSERT INTO sp1 VALUES (2, 2)", "INSERT 0 1"},
	{"UPDATE sp1 SET v = 10 WHERE id = 1", "UPDATE 1"},
	{"ROLLBACK TO SAVEPOINT a", "ROLLBACK"},
	{"SELECT id, v FROM sp1 ORDER BY id", "1|1\nSELECT 1"},
	{"SAVEPOINT b", "SAVEPOINT"},
	{"INSERT INTO sp1 VALUES (1, 5)", "ERROR 23505"},
	{"SELECT 1", "ERROR 25P02"},
	{"SAVEPOINT c", "ERROR 25P02"},
	{"ROLLBACK TO b", "ROLLBACK"},
	{"INSERT INTO sp1 VALUES (3, 3)", "INSERT 0 1"},
	{"RELEASE SAVEPOINT b", "RELEASE"},
	{"ROLLBACK TO b", "ERROR 3B001"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"SELECT count(*) FROM sp1", "1\nSELECT 1"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"INSERT INTO sp1 VALUES (4, 4)", "INSERT 0 1"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"INSERT INTO sp1 VALUES (5, 5)", "INSERT 0 1"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"RELEASE a", "RELEASE"},
	{"SELECT string_agg(id::text, ',' ORDER BY id) FROM sp1", "1,4\nSELECT 1"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"SELECT string_agg(id::text, ',' ORDER BY id) FROM sp1", "1\nSELECT 1"},
	{"UPDATE sp1 SET v = v + 1 WHERE id = 1", "UPDATE 1"},
	{"INSERT INTO sp1 VALUES (6, 6)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT string_agg(id::text || '=' || v::text, ',' ORDER BY id) FROM sp1", "1=2,6=6\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"SAVEPOINT x", "SAVEPOINT"},
	{"SELECT 1/0", "ERROR 22012"},
	{"COMMIT", "ROLLBACK"},
	{"RELEASE x", "ERROR 25P01"},
	{"ROLLBACK TO x", "ERROR 25P01"},
	// ROLLBACK TO undoes SET and SET LOCAL run since the savepoint; what stays is kept by COMMIT.
	{"BEGIN", "BEGIN"},
	{"SET statement_timeout = '5s'", "SET"},
	{"SAVEPOINT s", "SAVEPOINT"},
	{"SET statement_timeout = '7s'", "SET"},
	{"SET LOCAL application_name = 'inner'", "SET"},
	{"SHOW statement_timeout", "7s\nSHOW"},
	{"ROLLBACK TO s", "ROLLBACK"},
	{"SHOW statement_timeout", "5s\nSHOW"},
	{"SHOW application_name", "\nSHOW"},
	{"SAVEPOINT t", "SAVEPOINT"},
	{"RESET statement_timeout", "RESET"},
	{"ROLLBACK TO t", "ROLLBACK"},
	{"COMMIT", "COMMIT"},
	{"SHOW statement_timeout", "5s\nSHOW"},
	{"BEGIN", "BEGIN"},
	{"SAVEPOINT u", "SAVEPOINT"},
	{"SET statement_timeout = '9s'", "SET"},
	{"ROLLBACK TO u", "ROLLBACK"},
	{"COMMIT", "COMMIT"},
	{"SHOW statement_timeout", "5s\nSHOW"},
	{"RESET statement_timeout", "RESET"},
	{"DROP TABLE sp1", "DROP TABLE"},
}

// runSavepoints runs savepointSteps on a connection (not on the driver backend: MongoDB has no savepoints).
func runSavepoints(t *testing.T, who string, c *pgx.Conn) {
	if os.Getenv(backendEnv) == "driver" {
		if _, err := c.Exec(context.Background(), "BEGIN; SAVEPOINT a"); sqlState(err) != "0A000" {
			t.Errorf("%s: SAVEPOINT on the driver backend: %v, want 0A000", who, err)
		}
		if _, err := c.Exec(context.Background(), "ROLLBACK"); err != nil {
			t.Errorf("%s: ROLLBACK after the refused SAVEPOINT: %v", who, err)
		}
		return
	}
	runSteps(t, who, c, savepointSteps)
}

// TestSavepoint_ReleasesRows: a row a transaction updated after a savepoint and then rolled back to it is free
// for other writers at once (they neither wait for the transaction nor conflict with it), while the rows it
// wrote before the savepoint stay its own until it commits.
func TestSavepoint_ReleasesRows(t *testing.T) {
	if os.Getenv(backendEnv) == "driver" {
		t.Skip("MongoDB has no savepoints")
	}
	url, _ := startServer(t)
	a, b := connect(t, url), connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range []string{"CREATE TABLE spr (id int8 PRIMARY KEY, v int8)", "INSERT INTO spr VALUES (1, 0), (2, 0)"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"BEGIN", "UPDATE spr SET v = v + 1 WHERE id = 1", "SAVEPOINT s", "UPDATE spr SET v = v + 100 WHERE id = 2", "ROLLBACK TO s"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Row 2 is free: an autocommit update finishes while a's transaction is still open.
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "UPDATE spr SET v = v + 10 WHERE id = 2")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an update of the row rolled back to the savepoint waited for the transaction")
	}
	// Row 1 is still a's: a transaction of b writing it conflicts.
	if _, err := b.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "UPDATE spr SET v = v + 1000 WHERE id = 1"); sqlState(err) != "40001" {
		t.Fatalf("b's update of a's row: %v, want 40001", err)
	}
	if _, err := b.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	var v1, v2 int64
	if err := a.QueryRow(ctx, "SELECT (SELECT v FROM spr WHERE id = 1), (SELECT v FROM spr WHERE id = 2)").Scan(&v1, &v2); err != nil {
		t.Fatal(err)
	}
	if v1 != 1 || v2 != 10 {
		t.Fatalf("v1 = %d (want 1), v2 = %d (want 10: b's update, not a's rolled-back one)", v1, v2)
	}
}
