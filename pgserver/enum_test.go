package pgserver_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// enumSteps: enum types (CREATE TYPE ... AS ENUM), their columns, their order, their errors, ALTER TYPE ... ADD and
// RENAME VALUE, DROP TYPE and the catalogs; compared with PostgreSQL 15.
var enumSteps = []struct{ sql, want string }{
	{"CREATE TYPE moodx AS ENUM ('sad', 'ok', 'happy')", "CREATE TYPE"},
	{"CREATE TYPE moodx AS ENUM ('x')", "ERROR 42710"},
	{"CREATE TYPE dupx AS ENUM ('a', 'a')", "ERROR 23505"},
	{"CREATE TABLE personx (id int PRIMARY KEY, name text, m moodx)", "CREATE TABLE"},
	{"INSERT INTO personx VALUES (1, 'ann', 'happy'), (2, 'bo', 'sad'), (3, 'cy', 'ok'), (4, 'di', NULL)", "INSERT 0 4"},
	{"INSERT INTO personx VALUES (5, 'ed', 'angry')", "ERROR 22P02"},
	{"SELECT id, m FROM personx ORDER BY m, id", "2|sad\n3|ok\n1|happy\n4|\nSELECT 4"},
	{"SELECT name FROM personx WHERE m > 'sad' ORDER BY name", "ann\ncy\nSELECT 2"},
	{"SELECT name FROM personx WHERE m = 'ok'", "cy\nSELECT 1"},
	{"SELECT name FROM personx WHERE m = 'bogus'", "ERROR 22P02"},
	{"SELECT name FROM personx WHERE m IN ('sad', 'happy') ORDER BY name", "ann\nbo\nSELECT 2"},
	{"SELECT max(m), min(m) FROM personx", "happy|sad\nSELECT 1"},
	{"SELECT m, count(*) FROM personx GROUP BY m ORDER BY m", "sad|1\nok|1\nhappy|1\n|1\nSELECT 4"},
	{"SELECT 'happy'::moodx < 'sad'::moodx, 'ok'::moodx::text, m::text FROM personx WHERE id = 1", "f|ok|happy\nSELECT 1"},
	{"UPDATE personx SET m = 'ok' WHERE id = 2 RETURNING m", "ok\nUPDATE 1"},
	{"UPDATE personx SET m = 'nope' WHERE id = 2", "ERROR 22P02"},
	{"ALTER TYPE moodx ADD VALUE 'ecstatic' AFTER 'happy'", "ALTER TYPE"},
	{"ALTER TYPE moodx ADD VALUE 'meh' BEFORE 'ok'", "ALTER TYPE"},
	{"ALTER TYPE moodx ADD VALUE 'ok'", "ERROR 42710"},
	{"ALTER TYPE moodx ADD VALUE IF NOT EXISTS 'ok'", "ALTER TYPE"},
	{"ALTER TYPE moodx ADD VALUE 'x' BEFORE 'nope'", "ERROR 22023"},
	{"INSERT INTO personx VALUES (6, 'fi', 'meh'), (7, 'gu', 'ecstatic')", "INSERT 0 2"},
	{"SELECT name, m FROM personx ORDER BY m DESC NULLS LAST, id", "gu|ecstatic\nann|happy\nbo|ok\ncy|ok\nfi|meh\ndi|\nSELECT 6"},
	{"ALTER TYPE moodx RENAME VALUE 'happy' TO 'glad'", "ALTER TYPE"},
	{"SELECT name FROM personx WHERE m = 'glad'", "ann\nSELECT 1"},
	{"SELECT e.enumlabel, e.enumsortorder FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'moodx' ORDER BY e.enumsortorder",
		"sad|1\nmeh|1.5\nok|2\nglad|3\necstatic|4\nSELECT 5"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'personx'::regclass AND attname = 'm'", "moodx\nSELECT 1"},
	{"SELECT data_type, udt_name FROM information_schema.columns WHERE table_name = 'personx' AND column_name = 'm'", "USER-DEFINED|moodx\nSELECT 1"},
	{"SELECT array_agg(m ORDER BY id), to_json('ok'::moodx), to_jsonb('ok'::moodx) FROM personx", "{glad,ok,ok,NULL,meh,ecstatic}|\"ok\"|\"ok\"\nSELECT 1"},
	{"CREATE TABLE bad_default (id int PRIMARY KEY, m moodx DEFAULT 'qqq')", "ERROR 22P02"},
	{"ALTER TABLE personx ALTER COLUMN m SET DEFAULT 'zzz'", "ERROR 22P02"},
	{"SELECT enum_range(NULL::moodx), enum_first(NULL::moodx), enum_last('ok'::moodx)", "{sad,meh,ok,glad,ecstatic}|sad|ecstatic\nSELECT 1"},
	{"SELECT enum_first(1)", "ERROR 42883"},
	{"DROP TYPE moodx", "ERROR 2BP01"},
	{"DROP TABLE personx", "DROP TABLE"},
	{"DROP TYPE moodx", "DROP TYPE"},
	{"DROP TYPE IF EXISTS moodx", "DROP TYPE"},
	{"SELECT 'ok'::moodx", "ERROR 42704"},
}

// TestEnum_Parameters: pgx binds a label to a parameter compared with, or stored in, an enum column.
func TestEnum_Parameters(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	for _, q := range []string{"CREATE TYPE lvl AS ENUM ('low', 'mid', 'high')", "CREATE TABLE task (id int PRIMARY KEY, l lvl NOT NULL)"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for i, l := range []string{"high", "low", "mid"} {
		if _, err := c.Exec(ctx, "INSERT INTO task VALUES ($1, $2)", i+1, l); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := c.Query(ctx, "SELECT id, l FROM task WHERE l >= $1 ORDER BY l", "mid")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id int
		var l string
		if err := rows.Scan(&id, &l); err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	if rows.Err() != nil || len(got) != 2 || got[0] != "mid" || got[1] != "high" {
		t.Fatalf("got %v (%v), want [mid high]", got, rows.Err())
	}
	if _, err := c.Exec(ctx, "INSERT INTO task VALUES ($1, $2)", 9, "urgent"); err == nil {
		t.Fatal("a label of no enum value was stored")
	}
}

// TestEnum_ConcurrentAddValue: sessions adding labels to one type at once each add theirs, and can store it.
func TestEnum_ConcurrentAddValue(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	for _, q := range []string{"CREATE TYPE grow AS ENUM ('base')", "CREATE TABLE grown (id int PRIMARY KEY, v grow)"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close(ctx)
			label := fmt.Sprintf("v%d", i)
			if _, err := s.Exec(ctx, "ALTER TYPE grow ADD VALUE '"+label+"'"); err != nil {
				t.Error(err)
				return
			}
			if _, err := s.Exec(ctx, "INSERT INTO grown VALUES ($1, $2)", i, label); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var labels, rows int
	if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'grow'), (SELECT count(*) FROM grown WHERE v > 'base')").Scan(&labels, &rows); err != nil {
		t.Fatal(err)
	}
	if labels != n+1 || rows != n {
		t.Fatalf("%d labels and %d rows, want %d and %d", labels, rows, n+1, n)
	}
}

func runEnum(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, enumSteps) }

// TestEnum_RenameNamedLabel: RENAME VALUE of a label a CHECK constraint names is refused (the constraint keeps
// its text); another label of the type renames, and its stored values with it.
func TestEnum_RenameNamedLabel(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	for _, q := range []string{"CREATE TYPE rnk AS ENUM ('low', 'high')", "CREATE TABLE rn (id int PRIMARY KEY, k rnk CHECK (k <> 'high'))",
		"INSERT INTO rn VALUES (1, 'low')"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := c.Exec(ctx, "ALTER TYPE rnk RENAME VALUE 'high' TO 'hi'"); sqlState(err) != "0A000" {
		t.Fatalf("renaming a label a CHECK names: %v, want 0A000", err)
	}
	if _, err := c.Exec(ctx, "ALTER TYPE rnk RENAME VALUE 'low' TO 'lo'"); err != nil {
		t.Fatal(err)
	}
	var k string
	if err := c.QueryRow(ctx, "SELECT k::text FROM rn WHERE id = 1").Scan(&k); err != nil || k != "lo" {
		t.Fatalf("k = %q (%v), want lo", k, err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO rn VALUES (2, 'high')"); sqlState(err) != "23514" {
		t.Fatalf("a row the CHECK refuses: %v, want 23514", err)
	}
}
