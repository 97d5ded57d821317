package pgserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// runStaticErrors checks the errors PostgreSQL gives before it reads a row: a column no source has, a qualifier
// that names no source, an operator or string function given types it does not take, and a value of a type no
// assignment cast brings to its column's. Each is asserted over an empty table (where nothing is evaluated) and
// a table with a row; the statements after them must still run, as they do in PostgreSQL.
func runStaticErrors(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	for _, s := range []string{
		"DROP TABLE IF EXISTS se_empty, se_full",
		"CREATE TABLE se_empty (a int, b text, d date, f boolean, j jsonb)",
		"CREATE TABLE se_full (a int, b text, d date, f boolean, j jsonb)",
		"INSERT INTO se_full VALUES (1, 'x', '2024-01-01', true, '{}')",
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %s: %v", who, s, err)
		}
	}
	const noFn = "No function matches the given name and argument types. You might need to add explicit type casts."
	const noOp = "No operator matches the given name and argument types. You might need to add explicit type casts."
	const cast = "You will need to rewrite or cast the expression."
	for _, tbl := range []string{"se_empty", "se_full"} {
		for _, s := range []struct{ sql, code, msg, at, hint string }{
			{"SELECT nosuch FROM {T}", "42703", `column "nosuch" does not exist`, "nosuch", ""},
			{"SELECT {T}.nosuch FROM {T}", "42703", "column {T}.nosuch does not exist", "{T}.nosuch", ""},
			{"SELECT x.a FROM {T}", "42P01", `missing FROM-clause entry for table "x"`, "x.a", ""},
			{"SELECT a FROM {T} ORDER BY nosuch", "42703", `column "nosuch" does not exist`, "nosuch", ""},
			{"SELECT a FROM {T} GROUP BY nosuch", "42703", `column "nosuch" does not exist`, "nosuch", ""},
			{"SELECT count(nosuch) FROM {T}", "42703", `column "nosuch" does not exist`, "nosuch", ""},
			{"SELECT a FROM {T} GROUP BY a HAVING max(nosuch) > 1", "42703", `column "nosuch" does not exist`, "nosuch", ""},
			{"SELECT length(a) FROM {T}", "42883", "function length(integer) does not exist", "length", noFn},
			{"SELECT upper(d) FROM {T}", "42883", "function upper(date) does not exist", "upper", noFn},
			{"SELECT a FROM {T} WHERE lower(f) = 'true'", "42883", "function lower(boolean) does not exist", "lower", noFn},
			{"SELECT a + b FROM {T}", "42883", "operator does not exist: integer + text", "+", noOp},
			{"SELECT b * 2 FROM {T}", "42883", "operator does not exist: text * integer", "*", noOp},
			{"SELECT a || 1 FROM {T}", "42883", "operator does not exist: integer || integer", "||", noOp},
			{"SELECT a FROM {T} WHERE a - b::text > 0", "42883", "operator does not exist: integer - text", "-", noOp},
			{"UPDATE {T} SET a = b", "42804", `column "a" is of type integer but expression is of type text`, "b", cast},
			{"UPDATE {T} SET f = 1", "42804", `column "f" is of type boolean but expression is of type integer`, "1", cast},
			{"UPDATE {T} SET d = a", "42804", `column "d" is of type date but expression is of type integer`, "a", cast},
			{"UPDATE {T} SET j = b", "42804", `column "j" is of type jsonb but expression is of type text`, "b", cast},
			{"INSERT INTO {T} (a) SELECT 'x'::text", "42804", `column "a" is of type integer but expression is of type text`, "'x'", cast},
			{"INSERT INTO {T} (a) VALUES (1), ('2'::varchar)", "42804", `column "a" is of type integer but expression is of type character varying`, "'2'", cast},
			{"INSERT INTO {T} (a, f) SELECT a, a FROM {T}", "42804", `column "f" is of type boolean but expression is of type integer`, "a FROM", cast},
		} {
			sql := strings.ReplaceAll(s.sql, "{T}", tbl)
			at := strings.ReplaceAll(s.at, "{T}", tbl)
			msg := strings.ReplaceAll(s.msg, "{T}", tbl)
			_, err := c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				t.Errorf("%s: %s: %v, want %s %q", who, sql, err, s.code, msg)
				continue
			}
			want := strings.Index(sql, at) + 1
			if pe.Code != s.code || pe.Message != msg || pe.Hint != s.hint || pe.Position != int32(want) {
				t.Errorf("%s: %s: %v (position %d, hint %q), want %s %q at %d, hint %q", who, sql, err, pe.Position, pe.Hint,
					s.code, msg, want, s.hint)
			}
		}
		// What PostgreSQL accepts stays accepted: untyped literals take the other side's type, anything is stored
		// in a text column, numbers convert among themselves, and ORDER BY and GROUP BY may name an output column.
		for _, s := range []string{
			"SELECT length(b), upper(b), a || 'x', b || 1, a || b, 1 + '2', a + 1.5, d + 1, length(a::text) FROM {T}",
			"SELECT a AS k FROM {T} ORDER BY k",
			"SELECT a AS k, count(*) FROM {T} GROUP BY k",
			"SELECT {T}.a, {T}.* FROM {T} WHERE b LIKE 'x%'",
			"UPDATE {T} SET a = 2.5, b = a, f = 'true', d = '2024-02-02', j = '{\"k\": 1}' WHERE a = 99",
			"INSERT INTO {T} (a, b) SELECT 3, a FROM {T} WHERE a = 99",
			"INSERT INTO {T} (a, b) SELECT '4', 5",
			// psql's \d: an unqualified column of one of two catalogs joined.
			"SELECT pubname, NULL FROM pg_catalog.pg_publication p JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid",
		} {
			sql := strings.ReplaceAll(s, "{T}", tbl)
			if _, err := c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
				t.Errorf("%s: %s: %v", who, sql, err)
			}
		}
	}
	if _, err := c.Exec(ctx, "DROP TABLE se_empty, se_full"); err != nil {
		t.Fatalf("%s: %v", who, err)
	}
}

// runDDLPositions checks that DDL naming a missing table fails with 42P01 and no position, as PostgreSQL's
// utility statements do, while a query or write naming one points at the name.
func runDDLPositions(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range []struct {
		sql string
		at  string // "" for no position
	}{
		{"ALTER TABLE dp_none ADD COLUMN a int", ""},
		{"ALTER TABLE dp_none RENAME COLUMN a TO b", ""},
		{"ALTER TABLE dp_none RENAME TO dp_b", ""},
		{"CREATE INDEX ON dp_none (a)", ""},
		{"COMMENT ON TABLE dp_none IS 'x'", ""},
		{"CREATE TABLE dp_fk (id int REFERENCES dp_none (id))", ""},
		{"TRUNCATE dp_none", ""},
		{"ANALYZE dp_none", ""},
		{"SELECT * FROM dp_none", "dp_none"},
		{"INSERT INTO dp_none VALUES (1)", "dp_none"},
		{"DELETE FROM dp_none", "dp_none"},
	} {
		_, err := c.Exec(context.Background(), s.sql, pgx.QueryExecModeSimpleProtocol)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P01" {
			t.Errorf("%s: %s: %v, want 42P01", who, s.sql, err)
			continue
		}
		want := int32(0)
		if s.at != "" {
			want = int32(strings.Index(s.sql, s.at) + 1)
		}
		if pe.Position != want {
			t.Errorf("%s: %s: position %d, want %d", who, s.sql, pe.Position, want)
		}
	}
}

// TestNullsNotDistinct: UNIQUE NULLS NOT DISTINCT holds on a table without a primary key too (a NULL key, an
// absent field, is one key like any other), and over columns another unique index holds (the storage keeps one
// index per key, which would not hold NULLs alike) it is refused with 0A000, leaving nothing made.
func TestNullsNotDistinct(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE nnd (a int, b int)",
		"CREATE UNIQUE INDEX ON nnd (a) NULLS NOT DISTINCT",
		"INSERT INTO nnd VALUES (NULL, 1), (1, NULL)",
		"CREATE UNIQUE INDEX nnd_b ON nnd (b)",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := c.Exec(ctx, "INSERT INTO nnd VALUES (NULL, 2)"); sqlState(err) != "23505" {
		t.Errorf("a second NULL key: %v, want 23505", err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO nnd VALUES (2, NULL)"); err != nil {
		t.Errorf("a second NULL under a plain unique index: %v", err)
	}
	if _, err := c.Exec(ctx, "ALTER TABLE nnd ADD CONSTRAINT nnd_b_nnd UNIQUE NULLS NOT DISTINCT (b)"); sqlState(err) != "0A000" {
		t.Errorf("NULLS NOT DISTINCT over another unique index's columns: %v, want 0A000", err)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_constraint WHERE conname = 'nnd_b_nnd'").Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused constraint: %d rows (%v), want none", n, err)
	}
}

// TestTypeChecks_FollowCatalog: a statement's type checks, skipped once it has passed them, run again when the
// catalog changes and in another database: the same text refused where its column's type now refuses it.
func TestTypeChecks_FollowCatalog(t *testing.T) {
	url, _ := startServer(t)
	a := connect(t, url)
	b := connect(t, strings.Replace(url, "/test?", "/other?", 1))
	ctx := context.Background()
	const q = "SELECT length(v) FROM tc"
	for _, s := range []string{"CREATE TABLE tc (id int PRIMARY KEY, v text)", "INSERT INTO tc VALUES (1, '123')"} {
		if _, err := a.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Exec(ctx, "CREATE TABLE tc (id int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		var n int
		if err := a.QueryRow(ctx, q).Scan(&n); err != nil || n != 3 { // length('123')
			t.Fatalf("%s in test: %d, %v", q, n, err)
		}
		if _, err := b.Exec(ctx, q); sqlState(err) != "42883" {
			t.Fatalf("%s in other (v is an integer), run %d: %v, want 42883", q, i, err)
		}
	}
	if _, err := a.Exec(ctx, "ALTER TABLE tc ALTER COLUMN v TYPE int USING v::int"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, q); sqlState(err) != "42883" {
		t.Fatalf("%s after v became an integer: %v, want 42883", q, err)
	}
}
