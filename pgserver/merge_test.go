package pgserver_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// mergeSteps: MERGE as PostgreSQL 15 runs it, with its answers and the table contents after each statement: UPDATE,
// DELETE, INSERT and DO NOTHING, conditions on WHEN and several WHEN clauses (the first whose condition holds
// applies), a table, a VALUES list, a subquery and a WITH query as the source, INSERT DEFAULT VALUES, DEFAULT and
// column defaults, SET (a, b) = (...), a changed primary key, identity columns and OVERRIDING, assignment casts;
// and its errors, each leaving the tables as they were: a target row matched twice (21000), CHECK, NOT NULL,
// UNIQUE and FOREIGN KEY violations mid-statement, an unknown or ambiguous column, a reference to the target in
// WHEN NOT MATCHED (where an unqualified name is the source's), an unreachable WHEN clause, the source named as the
// target, a view as the target, and RETURNING, which PostgreSQL 15 does not have. MERGE in a transaction block is
// undone by ROLLBACK, and holds ROW EXCLUSIVE on its target and ACCESS SHARE on its source until the block ends.
var mergeSteps = []struct{ sql, want string }{
	{"CREATE TABLE mgt (id int PRIMARY KEY, name text NOT NULL, qty int DEFAULT 7 CHECK (qty >= 0), note text DEFAULT 'new')",
		"CREATE TABLE"},
	{"INSERT INTO mgt VALUES (1,'a',10,'x'),(2,'b',20,'y'),(3,'c',30,'z')",
		"INSERT 0 3"},
	{"CREATE TABLE mgs (id int, name text, qty int)",
		"CREATE TABLE"},
	{"INSERT INTO mgs VALUES (2,'B',5),(3,'C',-1),(4,'d',40),(5,'e',NULL)",
		"INSERT 0 4"},
	{"MERGE INTO mgt USING mgs ON mgt.id = mgs.id WHEN MATCHED THEN UPDATE SET name = mgs.name",
		"MERGE 2"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|10|x\n2|B|20|y\n3|C|30|z\nSELECT 3"},
	{"MERGE INTO mgt t USING mgs s ON t.id = s.id WHEN MATCHED AND s.qty < 0 THEN DELETE WHEN MATCHED THEN UPDATE SET qty = t.qty + s.qty WHEN NOT MATCHED AND s.qty IS NOT NULL THEN INSERT VALUES (s.id, s.name, s.qty) WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)",
		"MERGE 4"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|10|x\n2|B|25|y\n4|d|40|new\n5|e|7|new\nSELECT 4"},
	{"MERGE INTO mgt t USING (VALUES (1, 'one'), (9, 'nine')) AS v(id, name) ON t.id = v.id WHEN MATCHED THEN DO NOTHING WHEN NOT MATCHED THEN INSERT (id, name, qty) VALUES (v.id, v.name, DEFAULT)",
		"MERGE 1"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|10|x\n2|B|25|y\n4|d|40|new\n5|e|7|new\n9|nine|7|new\nSELECT 5"},
	{"MERGE INTO mgt t USING (SELECT id, name FROM mgs WHERE id >= 4) s ON t.id = s.id WHEN MATCHED THEN DELETE",
		"MERGE 2"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|10|x\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"MERGE INTO mgt t USING (VALUES (1)) v(id) ON t.id = v.id WHEN MATCHED THEN UPDATE SET qty = DEFAULT, note = NULL",
		"MERGE 1"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|7|\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"MERGE INTO mgt t USING (VALUES (1), (9), (20)) v(id) ON t.id = v.id WHEN NOT MATCHED THEN DO NOTHING",
		"MERGE 0"},
	{"MERGE INTO mgt t USING (VALUES (1, 5), (1, 6)) v(id, q) ON t.id = v.id WHEN MATCHED THEN UPDATE SET qty = v.q",
		"ERROR 21000"},
	{"MERGE INTO mgt t USING (VALUES (9, 5), (1, 6), (1, 7)) v(id, q) ON t.id = v.id WHEN MATCHED THEN DELETE",
		"ERROR 21000"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|7|\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"MERGE INTO mgt t USING (VALUES (1, 5), (9, -5)) v(id, q) ON t.id = v.id WHEN MATCHED THEN UPDATE SET qty = v.q",
		"ERROR 23514 mgt_qty_check"},
	{"MERGE INTO mgt t USING (VALUES (1, 'p'), (50, NULL)) v(id, n) ON t.id = v.id WHEN MATCHED THEN UPDATE SET name = 'q' WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.n)",
		"ERROR 23502"},
	{"MERGE INTO mgt t USING (VALUES (1, 'p'), (51, 'r'), (9, 'dup')) v(id, n) ON t.id = v.id + 100 WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.n)",
		"ERROR 23505"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|7|\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"MERGE INTO mgt t USING (VALUES (1)) v(id) ON t.id = v.id WHEN MATCHED THEN UPDATE SET nosuch = 1",
		"ERROR 42703"},
	{"MERGE INTO mgt t USING (VALUES (1)) v(id) ON t.id = v.nosuch WHEN MATCHED THEN DELETE",
		"ERROR 42703"},
	{"BEGIN",
		"BEGIN"},
	{"MERGE INTO mgt t USING (VALUES (1, 'one'), (60, 'sixty')) v(id, n) ON t.id = v.id WHEN MATCHED THEN UPDATE SET name = v.n WHEN NOT MATCHED THEN INSERT (id, name) VALUES (v.id, v.n)",
		"MERGE 2"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|one|7|\n2|B|25|y\n9|nine|7|new\n60|sixty|7|new\nSELECT 4"},
	{"ROLLBACK",
		"ROLLBACK"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|a|7|\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"BEGIN",
		"BEGIN"},
	{"MERGE INTO mgt t USING (VALUES (1, 'uno')) v(id, n) ON t.id = v.id WHEN MATCHED THEN UPDATE SET name = v.n",
		"MERGE 1"},
	{"COMMIT",
		"COMMIT"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|uno|7|\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"CREATE TABLE mgd (id serial PRIMARY KEY, k text UNIQUE, n int NOT NULL DEFAULT 0, at text DEFAULT 'd')",
		"CREATE TABLE"},
	{"MERGE INTO mgd USING (VALUES ('x')) v(k) ON mgd.k = v.k WHEN NOT MATCHED THEN INSERT DEFAULT VALUES",
		"MERGE 1"},
	{"MERGE INTO mgd USING (VALUES ('x')) v(k) ON mgd.k = v.k WHEN NOT MATCHED THEN INSERT (k) VALUES (v.k)",
		"MERGE 1"},
	{"SELECT * FROM mgd ORDER BY id",
		"1||0|d\n2|x|0|d\nSELECT 2"},
	{"MERGE INTO mgd USING (VALUES ('x'), ('y')) v(k) ON mgd.k = v.k WHEN MATCHED THEN UPDATE SET n = mgd.n + 1",
		"MERGE 1"},
	{"SELECT * FROM mgd ORDER BY id",
		"1||0|d\n2|x|1|d\nSELECT 2"},
	{"MERGE INTO mgd USING (VALUES ('z')) v(k) ON mgd.k = v.k WHEN NOT MATCHED THEN INSERT (k, n) VALUES (v.k, NULL)",
		"ERROR 23502"},
	{"MERGE INTO mgd USING (VALUES (1, 'x')) v(id, k) ON mgd.id = v.id WHEN MATCHED THEN UPDATE SET k = 'x'",
		"ERROR 23505"},
	{"MERGE INTO mgd USING (VALUES (3, 'x')) v(id, k) ON mgd.id = v.id WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.k)",
		"ERROR 23505"},
	{"SELECT * FROM mgd ORDER BY id",
		"1||0|d\n2|x|1|d\nSELECT 2"},
	{"CREATE TABLE mgp (id int PRIMARY KEY)",
		"CREATE TABLE"},
	{"INSERT INTO mgp VALUES (1), (2)",
		"INSERT 0 2"},
	{"CREATE TABLE mgc (id int PRIMARY KEY, p int REFERENCES mgp)",
		"CREATE TABLE"},
	{"MERGE INTO mgc USING (VALUES (1, 1), (2, 3)) v(id, p) ON mgc.id = v.id WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.p)",
		"ERROR 23503 mgc_p_fkey"},
	{"MERGE INTO mgc USING (VALUES (1, 1), (2, 2)) v(id, p) ON mgc.id = v.id WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.p)",
		"MERGE 2"},
	{"MERGE INTO mgc USING mgp ON mgc.p = mgp.id WHEN MATCHED AND mgp.id = 2 THEN UPDATE SET p = 5",
		"ERROR 23503 mgc_p_fkey"},
	{"SELECT * FROM mgc ORDER BY id",
		"1|1\n2|2\nSELECT 2"},
	{"MERGE INTO mgt t USING (VALUES (1)) v(id) ON t.id = v.id WHEN MATCHED THEN DELETE WHEN MATCHED AND v.id > 0 THEN DELETE",
		"ERROR 42601"},
	{"MERGE INTO mgt t USING mgs t ON t.id = t.id WHEN MATCHED THEN DELETE",
		"ERROR 42712"},
	{"MERGE INTO mgt t USING (VALUES (1)) v(id) ON t.id = v.id WHEN MATCHED THEN DELETE RETURNING *",
		"ERROR 42601"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|uno|7|\n2|B|25|y\n9|nine|7|new\nSELECT 3"},
	{"MERGE INTO mgt t USING (VALUES (2, 'two', 2.6), (7, 'seven', 1.4)) v(id, n, q) ON t.id = v.id WHEN MATCHED THEN UPDATE SET (name, qty) = (v.n, v.q) WHEN NOT MATCHED THEN INSERT (id, name, qty, note) VALUES (v.id, v.n, v.q, '12')",
		"MERGE 2"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|uno|7|\n2|two|3|y\n7|seven|1|12\n9|nine|7|new\nSELECT 4"},
	{"WITH src AS (SELECT 9 AS id, 'from cte' AS n) MERGE INTO mgt USING src ON mgt.id = src.id WHEN MATCHED AND mgt.qty > 100 THEN DELETE WHEN MATCHED THEN UPDATE SET note = src.n",
		"MERGE 1"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|uno|7|\n2|two|3|y\n7|seven|1|12\n9|nine|7|from cte\nSELECT 4"},
	{"MERGE INTO mgt USING (VALUES (7, 'sevens')) v(id, name) ON mgt.id = v.id WHEN MATCHED THEN UPDATE SET name = name || '!'",
		"ERROR 42702"},
	{"MERGE INTO mgt USING (VALUES (7, 'sevens')) v(id, n) ON mgt.id = v.id WHEN MATCHED THEN UPDATE SET name = name || '!', id = v.id + 100",
		"MERGE 1"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|uno|7|\n2|two|3|y\n9|nine|7|from cte\n107|seven!|1|12\nSELECT 4"},
	{"CREATE TABLE mgi (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)",
		"CREATE TABLE"},
	{"MERGE INTO mgi USING (VALUES (5, 'a')) s(id, v) ON mgi.id = s.id WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
		"ERROR 428C9"},
	{"MERGE INTO mgi USING (VALUES (5, 'a')) s(id, v) ON mgi.id = s.id WHEN NOT MATCHED THEN INSERT (v) VALUES (s.v)",
		"MERGE 1"},
	{"MERGE INTO mgi USING (VALUES (5, 'b')) s(id, v) ON mgi.id = s.id WHEN NOT MATCHED THEN INSERT (id, v) OVERRIDING SYSTEM VALUE VALUES (s.id, s.v)",
		"MERGE 1"},
	{"MERGE INTO mgi USING (VALUES (1, 'c')) s(id, v) ON mgi.id = s.id WHEN MATCHED THEN UPDATE SET id = 3",
		"ERROR 428C9"},
	{"SELECT * FROM mgi ORDER BY id",
		"1|a\n5|b\nSELECT 2"},
	{"MERGE INTO mgs USING mgt ON mgs.id = mgt.id WHEN MATCHED THEN UPDATE SET qty = mgt.qty WHEN NOT MATCHED THEN INSERT VALUES (mgt.id, mgt.name, mgt.qty)",
		"MERGE 4"},
	{"SELECT * FROM mgs ORDER BY id",
		"1|uno|7\n2|B|3\n3|C|-1\n4|d|40\n5|e|\n9|nine|7\n107|seven!|1\nSELECT 7"},
	{"CREATE VIEW mgv AS SELECT * FROM mgt",
		"CREATE VIEW"},
	{"MERGE INTO mgv USING mgs ON mgv.id = mgs.id WHEN MATCHED THEN DELETE",
		"ERROR 0A000"},
	{"MERGE INTO mgt USING mgs ON mgt.id = mgs.id WHEN NOT MATCHED AND mgt.qty IS NULL THEN INSERT VALUES (mgs.id, mgs.name)",
		"ERROR 42P01"},
	{"MERGE INTO mgt t USING mgs ON t.id = mgs.id WHEN NOT MATCHED THEN INSERT VALUES (mgs.id, t.name)",
		"ERROR 42P01"},
	{"MERGE INTO mgt USING (VALUES (70)) s(id) ON mgt.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id, name)",
		"ERROR 42703"},
	{"MERGE INTO mgt USING (VALUES (70, 'n')) s(id, name) ON mgt.id = s.id WHEN NOT MATCHED THEN INSERT VALUES (s.id, name)",
		"MERGE 1"},
	{"SELECT * FROM mgt ORDER BY id",
		"1|uno|7|\n2|two|3|y\n9|nine|7|from cte\n70|n|7|new\n107|seven!|1|12\nSELECT 5"},
	{"DROP VIEW mgv",
		"DROP VIEW"},
	{"BEGIN",
		"BEGIN"},
	{"MERGE INTO mgt USING mgs ON mgt.id = mgs.id WHEN MATCHED THEN UPDATE SET qty = mgt.qty WHEN NOT MATCHED AND false THEN DO NOTHING",
		"MERGE 4"},
	{"SELECT relation::regclass::text, mode FROM pg_locks WHERE locktype = 'relation' AND relation IN ('mgt'::regclass, 'mgs'::regclass) ORDER BY 1, 2",
		"mgs|AccessShareLock\nmgt|RowExclusiveLock\nSELECT 2"},
	{"ROLLBACK",
		"ROLLBACK"},
}

// runMerge runs mergeSteps on a connection.
func runMerge(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, mergeSteps) }

// TestMerge_ConcurrentCounters: 8 clients each merge 40 increments into counters over 3 keys, the first merge of
// a key inserting it; an application retries a merge refused with 40001 (a write conflict) or 23505 (two clients
// inserting one key), neither of which applied it. Every acknowledged merge counts once: the counts add up to
// them, key by key.
func TestMerge_ConcurrentCounters(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE counters (k int PRIMARY KEY, n int NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	const clients, each, keys = 8, 40, 3
	q := "MERGE INTO counters USING (VALUES ($1::int)) s(k) ON counters.k = s.k " +
		"WHEN MATCHED THEN UPDATE SET n = counters.n + 1 WHEN NOT MATCHED THEN INSERT VALUES (s.k, 1)"
	var mu sync.Mutex
	acked := map[int]int{}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			for j := range each {
				k := (i + j) % keys
				for attempt := 0; ; attempt++ {
					tag, err := c.Exec(ctx, q, k)
					if err == nil {
						if tag.String() != "MERGE 1" {
							errs <- fmt.Errorf("client %d: tag %q", i, tag)
							return
						}
						mu.Lock()
						acked[k]++
						mu.Unlock()
						break
					}
					if s := sqlState(err); (s != "40001" && s != "23505") || attempt > 100 {
						errs <- fmt.Errorf("client %d: %v", i, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rows, err := setup.Query(ctx, "SELECT k, n FROM counters ORDER BY k")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]int{}
	for rows.Next() {
		var k, n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		got[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for k := range keys {
		if got[k] != acked[k] {
			t.Errorf("key %d: count %d, acknowledged merges %d", k, got[k], acked[k])
		}
		total += acked[k]
	}
	if total != clients*each {
		t.Errorf("%d merges acknowledged, want %d", total, clients*each)
	}
}

// TestMerge_Parameters: a prepared MERGE's parameters take their types from where they are used (a SET value and
// an INSERT value by their columns, a condition by what it is compared with), so pgx binds integers to them.
func TestMerge_Parameters(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE mgpar (k int PRIMARY KEY, n int NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	q := "MERGE INTO mgpar USING (VALUES ($1::int)) s(k) ON mgpar.k = s.k " +
		"WHEN MATCHED AND mgpar.n < $3 THEN UPDATE SET n = mgpar.n + $2 WHEN NOT MATCHED THEN INSERT VALUES (s.k, $2)"
	for i, want := range []string{"MERGE 1", "MERGE 1", "MERGE 0"} {
		tag, err := c.Exec(ctx, q, 1, 5, 8)
		if err != nil || tag.String() != want {
			t.Fatalf("merge %d: %q (%v), want %q", i, tag, err, want)
		}
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT n FROM mgpar WHERE k = 1").Scan(&n); err != nil || n != 10 {
		t.Fatalf("n = %d (%v), want 10", n, err)
	}
}
