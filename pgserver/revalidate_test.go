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
