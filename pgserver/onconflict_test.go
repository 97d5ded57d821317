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
	// A UNIQUE constraint or unique index as the arbiter: by its columns (any order, repeats allowed) or, for a
	// constraint, by name. A duplicate on another unique index (the primary key included) is the insert's 23505;
	// a NULL in the key never conflicts.
	{"CREATE TABLE ocu (id int PRIMARY KEY, email text UNIQUE, n int, tag text)", "CREATE TABLE"},
	{"INSERT INTO ocu VALUES (1, 'a', 1, 't1'), (2, 'b', 2, 't2')", "INSERT 0 2"},
	{"INSERT INTO ocu VALUES (3, 'a', 5, 't3') ON CONFLICT (email) DO UPDATE SET n = ocu.n + excluded.n RETURNING *", "1|a|6|t1\nINSERT 0 1"},
	{"INSERT INTO ocu VALUES (4, 'a', 5, 't4') ON CONFLICT (email) DO NOTHING RETURNING *", "INSERT 0 0"},
	{"INSERT INTO ocu VALUES (5, 'c', 5, 't5') ON CONFLICT (email, email) DO NOTHING RETURNING id", "5\nINSERT 0 1"},
	{"INSERT INTO ocu VALUES (1, 'z', 5, 't6') ON CONFLICT (email) DO NOTHING", "ERROR 23505"},
	{"INSERT INTO ocu VALUES (6, 'b', 7, 't7') ON CONFLICT (id) DO NOTHING", "ERROR 23505"},
	{"INSERT INTO ocu VALUES (6, 'b', 7, 't7') ON CONFLICT ON CONSTRAINT ocu_email_key DO UPDATE SET tag = excluded.tag WHERE ocu.n > 100", "INSERT 0 0"},
	{"INSERT INTO ocu VALUES (6, 'b', 7, 't7') ON CONFLICT ON CONSTRAINT ocu_email_key DO UPDATE SET tag = excluded.tag || ocu.tag RETURNING id, tag", "2|t7t2\nINSERT 0 1"},
	{"INSERT INTO ocu VALUES (7, NULL, 7, 'n1'), (8, NULL, 7, 'n2') ON CONFLICT (email) DO UPDATE SET n = 0", "INSERT 0 2"},
	{"INSERT INTO ocu VALUES (9, 'd', 1, 'x'), (10, 'd', 2, 'y') ON CONFLICT (email) DO UPDATE SET n = excluded.n", "ERROR 21000"},
	{"INSERT INTO ocu VALUES (9, 'd', 1, 'x') ON CONFLICT (tag) DO NOTHING", "ERROR 42P10"},
	{"INSERT INTO ocu VALUES (9, 'd', 1, 'x') ON CONFLICT (nope) DO NOTHING", "ERROR 42703"},
	{"INSERT INTO ocu VALUES (9, 'd', 1, 'x') ON CONFLICT ON CONSTRAINT nope DO NOTHING", "ERROR 42704"},
	{"INSERT INTO ocu VALUES (11, 'a', 1, 'x'), (2, 'q', 1, 'x'), (12, 'e', 1, 'x') ON CONFLICT DO NOTHING RETURNING id", "12\nINSERT 0 1"},
	{"CREATE UNIQUE INDEX ocu_tag_n ON ocu (tag, n)", "CREATE INDEX"},
	{"INSERT INTO ocu VALUES (13, 'h', 2, 't7t2') ON CONFLICT (n, tag) DO UPDATE SET email = 'upd' RETURNING id, email", "2|upd\nINSERT 0 1"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO ocu VALUES (16, 'upd', 2, 'q') ON CONFLICT (email) DO UPDATE SET n = 99 RETURNING id, n", "2|99\nINSERT 0 1"},
	{"INSERT INTO ocu VALUES (17, 'zz', 2, 'q') ON CONFLICT (email) DO UPDATE SET n = 99 RETURNING id, n", "17|2\nINSERT 0 1"},
	{"INSERT INTO ocu VALUES (18, 'zz', 3, 'q') ON CONFLICT (email) DO UPDATE SET n = excluded.n + ocu.n RETURNING id, n", "17|5\nINSERT 0 1"},
	{"INSERT INTO ocu VALUES (19, 'y', 5, 'q') ON CONFLICT (email) DO NOTHING", "ERROR 23505"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT id, email, n, tag FROM ocu ORDER BY id", "1|a|6|t1\n2|upd|2|t7t2\n5|c|5|t5\n7||7|n1\n8||7|n2\n12|e|1|x\nSELECT 6"},
	// A row the statement inserted or updated is not updated again, whatever key its update gave it; a UNIQUE
	// constraint of any name is an arbiter by that name.
	{"CREATE TABLE ocv (id int PRIMARY KEY, email text UNIQUE, n int DEFAULT 0)", "CREATE TABLE"},
	{"INSERT INTO ocv VALUES (1, 'a', 0)", "INSERT 0 1"},
	{"INSERT INTO ocv VALUES (5, 'a', 0), (6, 'c', 0) ON CONFLICT (email) DO UPDATE SET email = 'c', n = ocv.n + 1", "ERROR 21000"},
	{"INSERT INTO ocv VALUES (5, 'b', 0), (6, 'b', 0) ON CONFLICT (email) DO UPDATE SET n = ocv.n + 1", "ERROR 21000"},
	{"INSERT INTO ocv VALUES (5, 'a', 0), (6, 'a', 0) ON CONFLICT (email) DO UPDATE SET email = 'z', n = ocv.n + 1 RETURNING id, email", "1|z\n6|a\nINSERT 0 2"},
	{"ALTER TABLE ocv ADD CONSTRAINT ocv_named UNIQUE (n)", "ALTER TABLE"},
	{"INSERT INTO ocv VALUES (9, 'q', 1) ON CONFLICT ON CONSTRAINT ocv_named DO UPDATE SET email = 'named' RETURNING id, email", "1|named\nINSERT 0 1"},
	{"DROP TABLE ocs, ocs2, ocnk, ocu, ocv", "DROP TABLE"},
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

// TestOnConflict_UniqueArbiterRace: 32 clients propose rows with distinct primary keys and one email, the UNIQUE
// constraint being the arbiter. DO NOTHING inserts exactly one and reports INSERT 0 0 to the others; DO UPDATE
// inserts one row and increments it 31 times, with no error and no lost increment, as on PostgreSQL.
func TestOnConflict_UniqueArbiterRace(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE ocur (id int PRIMARY KEY, email text UNIQUE, n int NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const clients = 32
	run := func(stmt string) (inserted int64) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := pgx.Connect(ctx, url)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close(ctx)
				tag, err := c.Exec(ctx, stmt, i)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				inserted += tag.RowsAffected()
				mu.Unlock()
			}()
		}
		wg.Wait()
		return inserted
	}
	if n := run("INSERT INTO ocur VALUES ($1, 'a', 1) ON CONFLICT (email) DO NOTHING"); n != 1 {
		t.Errorf("DO NOTHING: %d rows inserted, want 1", n)
	}
	if n := run("INSERT INTO ocur VALUES ($1 + 100, 'b', 1) ON CONFLICT (email) DO UPDATE SET n = ocur.n + 1"); n != clients {
		t.Errorf("DO UPDATE: %d rows affected, want %d", n, clients)
	}
	var rows, n int
	if err := setup.QueryRow(ctx, "SELECT count(*), sum(n) FILTER (WHERE email = 'b') FROM ocur").Scan(&rows, &n); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || n != clients {
		t.Fatalf("%d rows, n = %d; want 2 rows and n = %d", rows, n, clients)
	}
}
