package pgserver_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestOnConflict_ByRowNoLostUpdate: an ON CONFLICT DO UPDATE whose SET list update operators cannot express
// (string concatenation) reads the row and writes it only if unchanged; 32 clients each appending 10 times to one
// row lose no append and get no error, as on PostgreSQL.
func TestOnConflict_ByRowNoLostUpdate(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE ocr (id int PRIMARY KEY, s text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const clients, each = 32, 10
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close(ctx)
			for range each {
				if _, err := c.Exec(ctx, "INSERT INTO ocr VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET s = ocr.s || excluded.s"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var n int
	if err := setup.QueryRow(ctx, "SELECT length(s) FROM ocr WHERE id = 1").Scan(&n); err != nil || n != clients*each {
		t.Fatalf("length %d (%v), want %d: an append was lost", n, err, clients*each)
	}
}

// onConflictSteps: ON CONFLICT DO UPDATE with SET expressions and WHERE conditions that update operators cannot
// express, run over the conflicting row; compared with PostgreSQL 15.
var onConflictSteps = []struct{ sql, want string }{
	{"CREATE TABLE ocs (id int PRIMARY KEY, n int, p numeric(6,2), s text, tags text[])", "CREATE TABLE"},
	{"INSERT INTO ocs VALUES (1, 1, 1.5, 'x', '{a}')", "INSERT 0 1"},
	{"INSERT INTO ocs VALUES (1, 5, 2, 'y', '{b}'), (2, 7, 3, 'z', '{c}') ON CONFLICT (id) DO UPDATE SET s = upper(ocs.s) || excluded.s, tags = ocs.tags || excluded.tags RETURNING id, s, tags",
		"1|Xy|{a,b}\n2|z|{c}\nINSERT 0 2"},
	{"INSERT INTO ocs VALUES (1, 5, 2, 'w') ON CONFLICT (id) DO UPDATE SET s = excluded.s WHERE length(ocs.s) > 5 RETURNING s", "INSERT 0 0"},
	{"INSERT INTO ocs VALUES (1, 5, 2, 'w') ON CONFLICT (id) DO UPDATE SET s = ocs.s || '!' WHERE length(ocs.s) < 5 RETURNING s", "Xy!\nINSERT 0 1"},
	{"INSERT INTO ocs VALUES (1, 5, 2, 'b') ON CONFLICT (id) DO UPDATE SET n = excluded.n * 2, p = ocs.p * 2 WHERE ocs.n > 0 RETURNING n, p", "10|3.00\nINSERT 0 1"},
	{"INSERT INTO ocs AS t VALUES (2, 1, 1, 'q') ON CONFLICT (id) DO UPDATE SET s = t.s || excluded.s, p = t.p * 10000", "ERROR 22003"},
	{"SELECT id, n, p, s, tags FROM ocs ORDER BY id", "1|10|3.00|Xy!|{a,b}\n2|7|3.00|z|{c}\nSELECT 2"},
	// A key proposed twice in one statement is 21000 and changes nothing; an unqualified column is ambiguous.
	{"INSERT INTO ocs VALUES (1, 0, 0, 'q'), (1, 0, 0, 'r') ON CONFLICT (id) DO UPDATE SET s = ocs.s || excluded.s", "ERROR 21000"},
	{"INSERT INTO ocs VALUES (5, 0, 0, 'q'), (5, 0, 0, 'r') ON CONFLICT (id) DO UPDATE SET n = ocs.n + 1", "ERROR 21000"},
	{"INSERT INTO ocs VALUES (5, 0, 0, 'q'), (5, 0, 0, 'r') ON CONFLICT (id) DO NOTHING", "INSERT 0 1"},
	{"INSERT INTO ocs VALUES (1, 0, 0, 'q') ON CONFLICT (id) DO UPDATE SET n = n + 1", "ERROR 42702"},
	{"INSERT INTO ocs VALUES (1, 0, 0, 'q') ON CONFLICT (id) DO UPDATE SET n = ocs.n + 1 WHERE s <> 'x'", "ERROR 42702"},
	{"SELECT id, n, s FROM ocs ORDER BY id", "1|10|Xy!\n2|7|z\n5|0|q\nSELECT 3"},
	// The conflict target: required by DO UPDATE, the primary key's constraint by name, a key's columns in any order.
	{"INSERT INTO ocs VALUES (1, 0, 0, 'q') ON CONFLICT DO UPDATE SET n = 1", "ERROR 42601"},
	{"INSERT INTO ocs VALUES (1, 0, 0, 'q') ON CONFLICT ON CONSTRAINT ocs_pkey DO UPDATE SET n = ocs.n + 1 RETURNING n", "11\nINSERT 0 1"},
	{"CREATE TABLE ocs2 (a int, b int, n int, PRIMARY KEY (a, b))", "CREATE TABLE"},
	{"INSERT INTO ocs2 VALUES (1, 2, 1)", "INSERT 0 1"},
	{"INSERT INTO ocs2 VALUES (1, 2, 5) ON CONFLICT (b, a) DO UPDATE SET n = ocs2.n + excluded.n RETURNING n", "6\nINSERT 0 1"},
	{"SELECT n FROM ocs2 ORDER BY 1.5", "ERROR 42601"},
	{"SELECT n FROM ocs2 ORDER BY 'x'", "ERROR 42601"},
	// A table without a primary key: nothing conflicts, every row is inserted.
	{"CREATE TABLE ocnk (a int, b int)", "CREATE TABLE"},
	{"INSERT INTO ocnk VALUES (1, 1), (1, 1) ON CONFLICT DO NOTHING", "INSERT 0 2"},
	{"SELECT count(*) FROM ocnk", "2\nSELECT 1"},
	{"DROP TABLE ocs, ocs2, ocnk", "DROP TABLE"},
}

func runOnConflict(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, onConflictSteps) }

// TestOnConflict_Parameters: parameters in DO UPDATE's SET and WHERE take their types from the columns and what
// they are compared with, so pgx binds integers to them.
func TestOnConflict_Parameters(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE ocp (id int PRIMARY KEY, n int, grp int)"); err != nil {
		t.Fatal(err)
	}
	q := "INSERT INTO ocp VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET n = ocp.n * $4 WHERE ocp.grp < $5 RETURNING n"
	for i, want := range []int64{2, 6} {
		var n int64
		if err := c.QueryRow(ctx, q, 1, 2, 1, 3, 5).Scan(&n); err != nil || n != want {
			t.Fatalf("upsert %d: n %d (%v), want %d", i, n, err, want)
		}
	}
}
