package pgserver_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// tempSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): temporary tables made by CREATE
// TEMP TABLE, CREATE TEMP TABLE ... AS and SELECT ... INTO TEMP, their indexes and writes, a name taken, ON
// COMMIT DROP and DELETE ROWS, a rename and a drop, and how the catalogs show them.
var tempSteps = []struct{ sql, want string }{
	{"CREATE TEMP TABLE tt (id int PRIMARY KEY, a text)", "CREATE TABLE"},
	{"INSERT INTO tt VALUES (1, 'x'), (2, 'y')", "INSERT 0 2"},
	{"CREATE INDEX ON tt (a)", "CREATE INDEX"},
	{"UPDATE tt SET a = 'z' WHERE id = 2 RETURNING *", "2|z\nUPDATE 1"},
	{"INSERT INTO tt VALUES (1, 'dup')", `ERROR 23505 duplicate key value violates unique constraint "tt_pkey"`},
	{"CREATE TEMP TABLE tt (x int)", `ERROR 42P07 relation "tt" already exists`},
	{"CREATE TEMP TABLE IF NOT EXISTS tt (x int)", "CREATE TABLE"},
	{"CREATE TEMPORARY TABLE tt2 AS SELECT id, a || '!' AS b FROM tt", "SELECT 2"},
	{"SELECT * FROM tt2 ORDER BY 1", "1|x!\n2|z!\nSELECT 2"},
	{"SELECT * INTO TEMP tt3 FROM tt WHERE id = 1", "SELECT 1"},
	{"SELECT t.a, u.b FROM tt3 t JOIN tt2 u USING (id)", "x|x!\nSELECT 1"},
	{"SELECT c.relname, c.relpersistence, n.nspname LIKE 'pg_temp_%' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE 'tt%' ORDER BY 1",
		"tt|t|t\ntt2|t|t\ntt3|t|t\ntt_a_idx|t|t\ntt_pkey|t|t\nSELECT 5"},
	{"SELECT table_name, table_type FROM information_schema.tables WHERE table_name LIKE 'tt%' ORDER BY 1",
		"tt|LOCAL TEMPORARY\ntt2|LOCAL TEMPORARY\ntt3|LOCAL TEMPORARY\nSELECT 3"},
	{"CREATE TEMP TABLE ta (n int) ON COMMIT DROP", "CREATE TABLE"},
	{"SELECT * FROM ta", `ERROR 42P01 relation "ta" does not exist`},
	{"CREATE TEMP TABLE td (n int) ON COMMIT DELETE ROWS", "CREATE TABLE"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO td VALUES (1)", "INSERT 0 1"},
	{"SELECT count(*) FROM td", "1\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT count(*) FROM td", "0\nSELECT 1"},
	{"CREATE TEMP TABLE tr (m text)", "CREATE TABLE"},
	{"CREATE TABLE tbad (id int) ON COMMIT DROP", "ERROR 42P16 ON COMMIT can only be used on temporary tables"},
	{"CREATE TEMP TABLE public.tbad (id int)", "ERROR 42P16 cannot create temporary relation in non-temporary schema"},
	{"ALTER TABLE tt2 RENAME TO tt2b", "ALTER TABLE"},
	{"SELECT count(*) FROM tt2b", "2\nSELECT 1"},
	{"DROP TABLE tt2b", "DROP TABLE"},
	{"SELECT * FROM tt2b", `ERROR 42P01 relation "tt2b" does not exist`},
	{"DROP TABLE tt, tt3, td, tr", "DROP TABLE"},
	{"SELECT count(*) FROM pg_class WHERE relname LIKE 'tt%'", "0\nSELECT 1"},
}

// tempBlockSteps: a temporary table made in a transaction block, dropped by ON COMMIT DROP when the block commits,
// or gone with a block that rolls back (not on a MongoDB deployment, where a block runs no DDL).
var tempBlockSteps = []struct{ sql, want string }{
	{"BEGIN", "BEGIN"},
	{"CREATE TEMP TABLE tb (n int) ON COMMIT DROP", "CREATE TABLE"},
	{"INSERT INTO tb VALUES (1)", "INSERT 0 1"},
	{"SELECT count(*) FROM tb", "1\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM tb", `ERROR 42P01 relation "tb" does not exist`},
	{"BEGIN", "BEGIN"},
	{"CREATE TEMP TABLE tr (n int)", "CREATE TABLE"},
	{"INSERT INTO tr VALUES (1)", "INSERT 0 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT * FROM tr", `ERROR 42P01 relation "tr" does not exist`},
	{"CREATE TEMP TABLE tr (m text)", "CREATE TABLE"},
	{"SELECT count(*) FROM tr", "0\nSELECT 1"},
	{"DROP TABLE tr", "DROP TABLE"},
	{"SELECT count(*) FROM pg_class WHERE relname LIKE 'tt%'", "0\nSELECT 1"},
}

// runTemp runs tempSteps and, but on a MongoDB deployment, tempBlockSteps.
func runTemp(t *testing.T, who string, c *pgx.Conn) {
	runMessageSteps(t, who, c, tempSteps)
	if os.Getenv(backendEnv) != "driver" {
		runMessageSteps(t, who, c, tempBlockSteps)
	}
}

// Each session has its own temporary tables, under the same names, which no other session sees; they go when
// their session ends. Concord refuses what it does not support on them with 0A000.
func TestTemp_SessionsApart(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	a, b, other := connect(t, url), connect(t, url), connect(t, url)
	mustExec(t, a, "CREATE TEMP TABLE mine (id int PRIMARY KEY, v text)")
	mustExec(t, b, "CREATE TEMP TABLE mine (id int PRIMARY KEY, n int8)")
	mustExec(t, a, "INSERT INTO mine VALUES (1, 'a')")
	mustExec(t, b, "INSERT INTO mine VALUES (1, 42), (2, 43)")
	assertRows(t, a, "SELECT id, v FROM mine ORDER BY id", "1 a")
	assertRows(t, b, "SELECT id, n FROM mine ORDER BY id", "1 42;2 43")
	if _, err := other.Exec(ctx, "SELECT * FROM mine"); sqlState(err) != "42P01" {
		t.Fatalf("another session's temporary table: %v, want 42P01", err)
	}
	var listed int64
	if err := other.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'mine'").Scan(&listed); err != nil || listed != 0 {
		t.Fatalf("another session's temporary table in pg_class: %d %v", listed, err)
	}
	// A permanent table made by another session under the same name: each session reads its own.
	mustExec(t, other, "CREATE TABLE mine (id int PRIMARY KEY, w bool)")
	mustExec(t, other, "INSERT INTO mine VALUES (7, true)")
	assertRows(t, a, "SELECT id, v FROM mine ORDER BY id", "1 a")
	assertRows(t, other, "SELECT id, w FROM mine ORDER BY id", "7 true")
	temps := func() (n int) {
		names, err := db.Database("test").ListCollectionNames(ctx, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasPrefix(name, "sql_temp.") {
				n++
			}
		}
		return n
	}
	if n := temps(); n != 2 {
		t.Fatalf("%d temporary tables stored, want 2", n)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); temps() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a closed session's temporary table stays: %d stored, want 1", temps())
		}
	}
	a2 := connect(t, url)
	assertRows(t, a2, "SELECT id, w FROM mine ORDER BY id", "7 true")
	mustExec(t, other, "DROP TABLE mine")
	assertRows(t, b, "SELECT id, n FROM mine ORDER BY id", "1 42;2 43")
	for _, s := range []struct{ sql, code string }{
		{"CREATE TABLE perm (id int PRIMARY KEY)", ""},
		{"CREATE TEMP TABLE perm (id int)", "0A000"},
		{"CREATE TEMP TABLE tser (id serial)", "0A000"},
		{"CREATE TEMP TABLE tfk (id int REFERENCES perm (id))", "0A000"},
		{"CREATE VIEW vmine AS SELECT * FROM mine", "0A000"},
		{"CREATE TABLE pfk (id int REFERENCES mine (id))", "0A000"},
		{"DROP TABLE perm", ""},
	} {
		_, err := b.Exec(ctx, s.sql)
		if sqlState(err) != s.code && !(s.code == "" && err == nil) {
			t.Errorf("%s: %v, want %q", s.sql, err, s.code)
		}
	}
}

// Sessions making, filling and dropping temporary tables of the same names at once each see their own rows
// only (run under -race).
func TestTemp_Concurrent(t *testing.T) {
	url, _ := startServer(t)
	const sessions, rounds = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := 0; i < sessions; i++ {
		c := connect(t, url)
		wg.Add(1)
		go func(i int, c *pgx.Conn) {
			defer wg.Done()
			ctx := context.Background()
			for r := 0; r < rounds; r++ {
				for _, q := range []string{
					"CREATE TEMP TABLE work (k int PRIMARY KEY, owner int)",
					fmt.Sprintf("INSERT INTO work SELECT g, %d FROM generate_series(1, %d) g", i, 10+i),
				} {
					if _, err := c.Exec(ctx, q); err != nil {
						errs <- fmt.Errorf("session %d: %s: %w", i, q, err)
						return
					}
				}
				var n, owners int64
				if err := c.QueryRow(ctx, "SELECT count(*), count(DISTINCT owner) FROM work WHERE owner = $1", i).Scan(&n, &owners); err != nil {
					errs <- err
					return
				}
				var all int64
				if err := c.QueryRow(ctx, "SELECT count(*) FROM work").Scan(&all); err != nil {
					errs <- err
					return
				}
				if n != int64(10+i) || all != n || owners != 1 {
					errs <- fmt.Errorf("session %d round %d: %d own rows of %d, want %d", i, r, n, all, 10+i)
					return
				}
				if _, err := c.Exec(ctx, "DROP TABLE work"); err != nil {
					errs <- err
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
