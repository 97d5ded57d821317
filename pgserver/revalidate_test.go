package pgserver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A statement pgx prepared and cached before another session changed its table's columns fails once with
// PostgreSQL's 0A000 "cached plan must not change result type"; pgx then prepares it anew and the next run
// returns the table's new columns, as against PostgreSQL (where this sequence gives the same answers). Before,
// such a statement went on returning the columns it was described with: a column added later never showed.
func TestPrepared_ResultTypeChanged(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	app, admin := connect(t, url), connect(t, url)
	mustExec(t, admin, "CREATE TABLE pr (id int8 PRIMARY KEY, a int8)")
	mustExec(t, admin, "INSERT INTO pr VALUES (1, 2)")
	const q = "SELECT * FROM pr WHERE id = $1"
	read := func() (string, error) {
		rows, _ := app.Query(ctx, q, 1)
		got, err := pgx.CollectRows(rows, pgx.RowToMap)
		return fmt.Sprint(got), err
	}
	for _, step := range []struct{ ddl, want string }{
		{"", "[map[a:2 id:1]]"},
		{"ALTER TABLE pr ADD COLUMN c text DEFAULT 'x'", "[map[a:2 c:x id:1]]"},
		{"ALTER TABLE pr DROP COLUMN a", "[map[c:x id:1]]"},
	} {
		if step.ddl != "" {
			mustExec(t, admin, step.ddl)
			if _, err := read(); sqlState(err) != "0A000" || err.Error() != "ERROR: cached plan must not change result type (SQLSTATE 0A000)" {
				t.Fatalf("after %s: %v, want 0A000", step.ddl, err)
			}
		}
		got, err := read()
		if err != nil || got != step.want {
			t.Fatalf("after %q: %s %v, want %s", step.ddl, got, err, step.want)
		}
	}

	// In a block, the failure fails the block.
	mustExec(t, admin, "ALTER TABLE pr ADD COLUMN d int8")
	tx, err := app.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := tx.Query(ctx, q, 1)
	if _, err := pgx.CollectRows(rows, pgx.RowToMap); sqlState(err) != "0A000" {
		t.Fatalf("in a block: %v", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
		t.Fatalf("after the failure in a block: %v, want 25P02", err)
	}
	_ = tx.Rollback(ctx)

	// nextval changes no definition: INSERTs into a serial column leave the catalog generation (and with it
	// the caches of definitions and described statements) alone.
	mustExec(t, admin, "CREATE TABLE ps (id serial PRIMARY KEY, v text)")
	gen := db.CatalogGeneration()
	for i := range 5 {
		if _, err := app.Exec(ctx, "INSERT INTO ps (v) VALUES ($1) RETURNING id", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if g := db.CatalogGeneration(); g != gen {
		t.Fatalf("5 INSERTs into a serial column moved the catalog generation from %d to %d", gen, g)
	}
}

// A prepared statement whose execution waits for a table lock while another session's DDL changes the table
// sees that DDL once the lock is granted, as PostgreSQL takes a cached plan's locks before it checks the plan:
// the execution fails with 0A000 (and pgx's next run prepares it anew) instead of running past the columns the
// client was given. Before, it went on with the old description: the dropped column came back NULL. The failed
// autocommitted execution keeps no lock.
func TestPrepared_DDLDuringLockWait(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	app, holder, dropper, watcher := connect(t, url), connect(t, url), connect(t, url), connect(t, url)
	mustExec(t, watcher, "CREATE TABLE pw (id int8 PRIMARY KEY, a int8, b int8)")
	mustExec(t, watcher, "INSERT INTO pw VALUES (1, 2, 3)")
	const q = "SELECT * FROM pw WHERE id = $1"
	read := func() (string, error) {
		rows, _ := app.Query(ctx, q, 1)
		got, err := pgx.CollectRows(rows, pgx.RowToMap)
		return fmt.Sprint(got), err
	}
	if got, err := read(); err != nil || got != "[map[a:2 b:3 id:1]]" {
		t.Fatalf("before: %s %v", got, err)
	}
	waiting := func(n int) func() bool {
		return func() bool {
			var got int
			err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted").Scan(&got)
			return err == nil && got == n
		}
	}
	mustExec(t, holder, "BEGIN")
	mustExec(t, holder, "LOCK TABLE pw")
	dropped := make(chan error, 1)
	go func() { _, err := dropper.Exec(ctx, "ALTER TABLE pw DROP COLUMN a"); dropped <- err }()
	waitFor(t, "the ALTER TABLE to wait", waiting(1))
	type answer struct {
		got string
		err error
	}
	first := make(chan answer, 1)
	go func() { got, err := read(); first <- answer{got, err} }()
	waitFor(t, "the prepared SELECT to wait", waiting(2))
	mustExec(t, holder, "COMMIT")
	if err := <-dropped; err != nil {
		t.Fatal(err)
	}
	if a := <-first; sqlState(a.err) != "0A000" {
		t.Fatalf("the waiting execution: %s %v, want 0A000", a.got, a.err)
	}
	mustExec(t, holder, "BEGIN")
	mustExec(t, holder, "LOCK TABLE pw NOWAIT")
	mustExec(t, holder, "ROLLBACK")
	if got, err := read(); err != nil || got != "[map[b:3 id:1]]" {
		t.Fatalf("prepared anew: %s %v, want [map[b:3 id:1]]", got, err)
	}
}
