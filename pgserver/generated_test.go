package pgserver_test

import (
	"context"
	"sync"
	"testing"
)

// generatedSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), errors with their messages:
// GENERATED ALWAYS AS (expr) STORED columns computed by INSERT (VALUES, DEFAULT, SELECT, COPY's rows through
// pgx aside), UPDATE of a column they read (and not otherwise), ON CONFLICT DO UPDATE, MERGE, a transaction block
// rolled back; the values refused; ADD COLUMN over the rows there are; RENAME COLUMN; the catalogs; and the
// definitions PostgreSQL refuses.
var generatedSteps = []struct{ sql, want string }{
	{"CREATE TABLE gen_t (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED, s text, u text GENERATED ALWAYS AS (upper(s)) STORED)", "CREATE TABLE"},
	{"INSERT INTO gen_t (id, a, s) VALUES (1, 2, 'x') RETURNING *", "1|2|4|x|X\nINSERT 0 1"},
	{"INSERT INTO gen_t (id, a, b) VALUES (2, 2, 5)", `ERROR 428C9 cannot insert a non-DEFAULT value into column "b"`},
	{"INSERT INTO gen_t OVERRIDING SYSTEM VALUE VALUES (2, 1, 5)", `ERROR 428C9 cannot insert a non-DEFAULT value into column "b"`},
	{"INSERT INTO gen_t (id, a, b) VALUES (2, 3, DEFAULT) RETURNING b, u", "6|\nINSERT 0 1"},
	{"INSERT INTO gen_t (id, a, s) SELECT 3, 7, 'q' RETURNING b, u", "14|Q\nINSERT 0 1"},
	{"UPDATE gen_t SET a = 10 WHERE id = 1 RETURNING b, u", "20|X\nUPDATE 1"},
	{"UPDATE gen_t SET s = 'y' WHERE id < 3 RETURNING id, b, u", "1|20|Y\n2|6|Y\nUPDATE 2"},
	{"UPDATE gen_t SET b = 3", `ERROR 428C9 column "b" can only be updated to DEFAULT`},
	{"UPDATE gen_t SET b = DEFAULT, a = a + 1 WHERE id = 2 RETURNING a, b", "4|8\nUPDATE 1"},
	{"UPDATE gen_t SET a = NULL WHERE id = 2 RETURNING b", "\nUPDATE 1"},
	{"BEGIN", "BEGIN"},
	{"UPDATE gen_t SET a = 100 WHERE id = 3", "UPDATE 1"},
	{"SELECT b FROM gen_t WHERE id = 3", "200\nSELECT 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"INSERT INTO gen_t (id, a) VALUES (3, 50) ON CONFLICT (id) DO UPDATE SET a = excluded.a + 1 RETURNING a, b", "51|102\nINSERT 0 1"},
	{"MERGE INTO gen_t g USING (VALUES (3, 5), (4, 6)) v(id, a) ON g.id = v.id WHEN MATCHED THEN UPDATE SET a = v.a WHEN NOT MATCHED THEN INSERT (id, a) VALUES (v.id, v.a)", "MERGE 2"},
	{"SELECT id, a, b, u FROM gen_t ORDER BY id", "1|10|20|Y\n2|||Y\n3|5|10|Q\n4|6|12|\nSELECT 4"},
	{"ALTER TABLE gen_t ADD COLUMN c int GENERATED ALWAYS AS (a + id) STORED", "ALTER TABLE"},
	{"SELECT id, c FROM gen_t ORDER BY id", "1|11\n2|\n3|8\n4|10\nSELECT 4"},
	{"ALTER TABLE gen_t RENAME COLUMN a TO aa", "ALTER TABLE"},
	{"UPDATE gen_t SET aa = 1 WHERE id = 4 RETURNING b, c", "2|5\nUPDATE 1"},
	{"SELECT attname, attgenerated, pg_get_expr(adbin, adrelid), pg_get_expr(adbin, adrelid, true) FROM pg_attribute " +
		"JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum WHERE attrelid = 'gen_t'::regclass ORDER BY attnum",
		"b|s|(aa * 2)|aa * 2\nu|s|upper(s)|upper(s)\nc|s|(aa + id)|aa + id\nSELECT 3"},
	{"SELECT column_name, column_default, is_generated, generation_expression FROM information_schema.columns WHERE table_name = 'gen_t' AND column_name IN ('id', 'b') ORDER BY 1",
		"b||ALWAYS|(aa * 2)\nid||NEVER|\nSELECT 2"},
	{"ALTER TABLE gen_t ALTER COLUMN b SET DEFAULT 1", `ERROR 42601 column "b" of relation "gen_t" is a generated column`},
	{"ALTER TABLE gen_t ALTER COLUMN aa TYPE bigint", "ERROR 0A000 cannot alter type of a column used by a generated column"},
	{"ALTER TABLE gen_t DROP COLUMN aa", "ERROR 2BP01 cannot drop column aa of table gen_t because other objects depend on it"},
	{"ALTER TABLE gen_t DROP COLUMN aa CASCADE", "ALTER TABLE"},
	{"SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'gen_t'", "id,s,u\nSELECT 1"},
	{"CREATE TABLE gen_x (a int, b int GENERATED ALWAYS AS (c + 1) STORED)", `ERROR 42703 column "c" does not exist`},
	{"CREATE TABLE gen_x (a int, b int GENERATED ALWAYS AS (a + 1) STORED, c int GENERATED ALWAYS AS (b + 1) STORED)",
		`ERROR 42P17 cannot use generated column "b" in column generation expression`},
	{"CREATE TABLE gen_x (a int, b int DEFAULT 1 GENERATED ALWAYS AS (a + 1) STORED)",
		`ERROR 42601 both default and generation expression specified for column "b" of table "gen_x"`},
	{"CREATE TABLE gen_x (a int, b timestamptz GENERATED ALWAYS AS (now()) STORED)", "ERROR 42P17 generation expression is not immutable"},
	{"CREATE TABLE gen_x (a int, b int GENERATED ALWAYS AS ((SELECT 1)) STORED)", "ERROR 0A000 cannot use subquery in column generation expression"},
	{"CREATE TABLE gen_x (a int, b int GENERATED ALWAYS AS (a + 1) STORED NOT NULL)", "CREATE TABLE"},
	{"INSERT INTO gen_x VALUES (NULL)", `ERROR 23502 null value in column "b" of relation "gen_x" violates not-null constraint`},
	{"CREATE TABLE gen_y (LIKE gen_x INCLUDING GENERATED)", "CREATE TABLE"},
	{"CREATE TABLE gen_z (LIKE gen_x)", "CREATE TABLE"},
	{"INSERT INTO gen_y (a) VALUES (1) RETURNING b", "2\nINSERT 0 1"},
	{"INSERT INTO gen_z (a, b) VALUES (1, 7) RETURNING b", "7\nINSERT 0 1"},
	{"DROP TABLE gen_t, gen_x, gen_y, gen_z", "DROP TABLE"},
}

// TestGenerated_ConcurrentUpdates: 8 clients add 1 to the column a generated column reads, 50 times each, on the
// same two rows: no increment is lost (an autocommitted UPDATE waits, as it does without a generated column), and
// the generated column ends equal to its expression over the final row, never a value computed from an earlier
// version of it.
func TestGenerated_ConcurrentUpdates(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	mustExec(t, setup, "CREATE TABLE gen_c (id int PRIMARY KEY, n int NOT NULL, twice int GENERATED ALWAYS AS (n * 2) STORED)")
	mustExec(t, setup, "INSERT INTO gen_c (id, n) VALUES (1, 0), (2, 0)")
	const clients, rounds = 8, 50
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := connect(t, url)
			for r := range rounds {
				id := 1 + (i+r)%2
				if _, err := c.Exec(ctx, "UPDATE gen_c SET n = n + 1 WHERE id = $1", id); err != nil {
					t.Errorf("update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var n, twice int64
	if err := setup.QueryRow(ctx, "SELECT sum(n), sum(twice) FROM gen_c").Scan(&n, &twice); err != nil {
		t.Fatal(err)
	}
	if n != clients*rounds || twice != 2*n {
		t.Fatalf("sum(n) = %d, sum(twice) = %d; want %d and %d", n, twice, clients*rounds, 2*clients*rounds)
	}
	var bad int64
	if err := setup.QueryRow(ctx, "SELECT count(*) FROM gen_c WHERE twice <> n * 2").Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("%d rows whose generated column is not n * 2 (%v)", bad, err)
	}
}
