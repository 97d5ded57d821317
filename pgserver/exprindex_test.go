package pgserver_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// exprIndexSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), errors with their messages:
// expression indexes (a unique one on lower(email), one on (a + b) beside a column, one on two expressions), their
// definitions in the catalogs, duplicate keys named by the expression, ON CONFLICT on the expression, an UPDATE in
// a block, the expressions refused, LIKE ... INCLUDING INDEXES, DROP COLUMN taking the indexes that read it and
// RENAME COLUMN rewriting them.
var exprIndexSteps = []struct{ sql, want string }{
	{"CREATE TABLE eu (id int PRIMARY KEY, email text, a int, b int)", "CREATE TABLE"},
	{"CREATE UNIQUE INDEX eu_lower ON eu (lower(email))", "CREATE INDEX"},
	{"CREATE INDEX eu_ab ON eu ((a + b), id DESC)", "CREATE INDEX"},
	{"CREATE INDEX ON eu (lower(email), (a * 2))", "CREATE INDEX"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'eu' ORDER BY 1",
		"eu_ab|CREATE INDEX eu_ab ON public.eu USING btree (((a + b)), id DESC)\n" +
			"eu_lower|CREATE UNIQUE INDEX eu_lower ON public.eu USING btree (lower(email))\n" +
			"eu_lower_expr_idx|CREATE INDEX eu_lower_expr_idx ON public.eu USING btree (lower(email), ((a * 2)))\n" +
			"eu_pkey|CREATE UNIQUE INDEX eu_pkey ON public.eu USING btree (id)\nSELECT 4"},
	{"SELECT indkey, pg_get_expr(indexprs, indrelid), pg_get_indexdef(indexrelid, 0, true) FROM pg_index WHERE indexrelid = 'eu_ab'::regclass",
		"0 1|(a + b)|CREATE INDEX eu_ab ON eu USING btree ((a + b), id DESC)\nSELECT 1"},
	{"INSERT INTO eu VALUES (1, 'A@x', 1, 2), (2, 'b@x', 3, 4)", "INSERT 0 2"},
	{"INSERT INTO eu VALUES (3, 'a@X', 1, 1)", `ERROR 23505 duplicate key value violates unique constraint "eu_lower"`},
	{"INSERT INTO eu VALUES (3, NULL, 1, 1), (4, NULL, 1, 1)", "INSERT 0 2"},
	{"UPDATE eu SET email = 'B@X' WHERE id = 1", `ERROR 23505 duplicate key value violates unique constraint "eu_lower"`},
	{"SELECT id FROM eu WHERE lower(email) = 'a@x'", "1\nSELECT 1"},
	{"SELECT id FROM eu u WHERE lower(u.email) = $$B@X$$ OR lower(u.email) = 'b@x'", "2\nSELECT 1"},
	{"SELECT count(*) FROM eu WHERE lower(email) <> 'a@x'", "1\nSELECT 1"},
	{"SELECT count(*) FROM eu WHERE lower(email) IS NULL", "2\nSELECT 1"},
	{"SELECT id FROM eu WHERE a + b >= 7 ORDER BY id", "2\nSELECT 1"},
	{"SELECT id FROM eu WHERE (a + b) = '3'", "1\nSELECT 1"},
	{"SELECT e.id FROM eu e WHERE EXISTS (SELECT 1 FROM eu f WHERE lower(f.email) = lower(e.email) AND f.id <> e.id)", "SELECT 0"},
	{"SELECT * FROM eu WHERE id = 1", "1|A@x|1|2\nSELECT 1"},
	{"INSERT INTO eu VALUES (5, 'A@X', 0, 0) ON CONFLICT (lower(email)) DO UPDATE SET a = eu.a + 10 RETURNING id, a", "1|11\nINSERT 0 1"},
	{"INSERT INTO eu VALUES (5, 'b@X', 0, 0) ON CONFLICT (lower(email)) DO NOTHING", "INSERT 0 0"},
	{"INSERT INTO eu VALUES (5, 'c@X', 0, 0) ON CONFLICT (upper(email)) DO NOTHING", "ERROR 42P10 there is no unique or exclusion constraint matching the ON CONFLICT specification"},
	{"BEGIN", "BEGIN"},
	{"UPDATE eu SET email = 'C@x' WHERE id = 1", "UPDATE 1"},
	{"INSERT INTO eu VALUES (6, 'c@X', 0, 0)", `ERROR 23505 duplicate key value violates unique constraint "eu_lower"`},
	{"ROLLBACK", "ROLLBACK"},
	{"INSERT INTO eu VALUES (6, 'c@X', 0, 0)", "INSERT 0 1"},
	{"CREATE INDEX eu_bad ON eu (now())", "ERROR 42P17 functions in index expression must be marked IMMUTABLE"},
	{"CREATE INDEX eu_bad ON eu (lower(nosuch))", `ERROR 42703 column "nosuch" does not exist`},
	{"CREATE UNIQUE INDEX eu_dup ON eu ((a - a))", `ERROR 23505 could not create unique index "eu_dup"`},
	{"CREATE TABLE eu2 (LIKE eu INCLUDING INDEXES)", "CREATE TABLE"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'eu2' ORDER BY 1", "eu2_expr_id_idx\neu2_lower_expr_idx\neu2_lower_idx\neu2_pkey\nSELECT 4"},
	{"ALTER TABLE eu DROP COLUMN a", "ALTER TABLE"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'eu' ORDER BY 1", "eu_lower\neu_pkey\nSELECT 2"},
	{"ALTER TABLE eu RENAME COLUMN email TO mail", "ALTER TABLE"},
	{"SELECT indexdef FROM pg_indexes WHERE indexname = 'eu_lower'", "CREATE UNIQUE INDEX eu_lower ON public.eu USING btree (lower(mail))\nSELECT 1"},
	{"INSERT INTO eu VALUES (7, 'C@X', 0)", `ERROR 23505 duplicate key value violates unique constraint "eu_lower"`},
	{"DROP INDEX eu_lower", "DROP INDEX"},
	{"INSERT INTO eu VALUES (7, 'C@X', 0)", "INSERT 0 1"},
	{"DROP TABLE eu, eu2", "DROP TABLE"},
}

// TestExprIndex_UniqueUnderRace: 8 clients insert the same 50 addresses, each in a case of its own, at once: a
// unique index on lower(email) lets exactly one row per address in, and refuses the rest with 23505.
func TestExprIndex_UniqueUnderRace(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	mustExec(t, setup, "CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL)")
	mustExec(t, setup, "CREATE UNIQUE INDEX accounts_email ON accounts (lower(email))")
	const clients, addresses = 8, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, dup := 0, 0
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := connect(t, url)
			for a := range addresses {
				email := fmt.Sprintf("user%d@example.com", a)
				if i%2 == 1 {
					email = strings.ToUpper(email)
				}
				if i >= 2 {
					email = email[:1+i%3] + strings.ToUpper(email[1+i%3:])
				}
				_, err := c.Exec(ctx, "INSERT INTO accounts (email) VALUES ($1)", email)
				mu.Lock()
				switch sqlState(err) {
				case "":
					ok++
				case "23505":
					dup++
				default:
					t.Errorf("insert %s: %v", email, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != addresses || dup != (clients-1)*addresses {
		t.Fatalf("%d inserted and %d refused; want %d and %d", ok, dup, addresses, (clients-1)*addresses)
	}
	var distinct int64
	if err := setup.QueryRow(ctx, "SELECT count(DISTINCT lower(email)) FROM accounts").Scan(&distinct); err != nil || distinct != addresses {
		t.Fatalf("%d distinct addresses (%v), want %d", distinct, err, addresses)
	}
}

// TestExprIndex_PlanUsesIndex: a filter on an expression index's expression reaches the index (EXPLAIN shows the
// index scan, bounded by the expression), and a filter on another expression over the same column does not.
func TestExprIndex_PlanUsesIndex(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, "CREATE TABLE logins (id int PRIMARY KEY, email text)")
	mustExec(t, c, "CREATE UNIQUE INDEX logins_email ON logins (lower(email))")
	mustExec(t, c, "INSERT INTO logins SELECT g, 'User' || g || '@X' FROM generate_series(1, 200) g")
	plan := func(q string) string {
		t.Helper()
		rows, err := c.Query(ctx, "EXPLAIN "+q)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	if p := plan("SELECT id FROM logins WHERE lower(email) = 'user1@x'"); !strings.Contains(p, "Index Scan using logins_email") ||
		!strings.Contains(p, "lower(email): [") {
		t.Fatalf("plan of a filter on lower(email):\n%s", p)
	}
	if p := plan("SELECT id FROM logins WHERE upper(email) = 'X'"); !strings.Contains(p, "Seq Scan") {
		t.Fatalf("plan of a filter on upper(email):\n%s", p)
	}
	var id int
	if err := c.QueryRow(ctx, "SELECT id FROM logins WHERE lower(email) = $1", "user42@x").Scan(&id); err != nil || id != 42 {
		t.Fatalf("lookup by lower(email) = %d, %v; want 42", id, err)
	}
}
