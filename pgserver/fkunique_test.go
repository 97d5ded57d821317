package pgserver_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// fkUniqueSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): foreign keys that
// reference a UNIQUE constraint or a unique index rather than the primary key: on one and two columns (in another
// order than the index's), from a table without a primary key, to the table itself in its CREATE TABLE, NULL
// keys, the parent's key changed by UPDATE under each ON UPDATE action (NO ACTION, RESTRICT, CASCADE, SET NULL,
// deferred), a partial index refused, the catalogs' view of the key, and the DROPs the key stops or, with
// CASCADE, takes with it.
var fkUniqueSteps = []struct{ sql, want string }{
	{"CREATE TABLE uq_tag (id serial PRIMARY KEY, code text UNIQUE, n int)", "CREATE TABLE"},
	{"CREATE TABLE uq_item (id serial PRIMARY KEY, tag_code text REFERENCES uq_tag (code))", "CREATE TABLE"},
	{"CREATE TABLE uq_bad (x int REFERENCES uq_tag (n))", "ERROR 42830"},
	{"INSERT INTO uq_tag (code) VALUES ('a'), ('b'), (NULL)", "INSERT 0 3"},
	{"INSERT INTO uq_item (tag_code) VALUES ('a'), ('a'), (NULL)", "INSERT 0 3"},
	{"INSERT INTO uq_item (tag_code) VALUES ('c')", "ERROR 23503 uq_item_tag_code_fkey"},
	{"UPDATE uq_tag SET code = 'z' WHERE code = 'a'", "ERROR 23503 uq_item_tag_code_fkey"},
	{"UPDATE uq_tag SET code = 'y' WHERE code = 'b'", "UPDATE 1"},
	{"UPDATE uq_tag SET n = 1", "UPDATE 3"},
	{"DELETE FROM uq_tag WHERE code IS NULL", "DELETE 1"},
	{"DELETE FROM uq_tag WHERE code = 'a'", "ERROR 23503 uq_item_tag_code_fkey"},
	{"UPDATE uq_item SET tag_code = 'y' WHERE tag_code = 'a'", "UPDATE 2"},
	{"DELETE FROM uq_tag WHERE code = 'a'", "DELETE 1"},
	{"DROP INDEX uq_tag_code_key", "ERROR 2BP01"},
	{"ALTER TABLE uq_tag DROP CONSTRAINT uq_tag_code_key", "ERROR 2BP01"},
	{"ALTER TABLE uq_tag DROP COLUMN code", "ERROR 2BP01"},
	{"DROP TABLE uq_tag", "ERROR 2BP01"},
	{"SELECT conname, conindid::regclass, confkey FROM pg_constraint WHERE conrelid = 'uq_item'::regclass AND contype = 'f'",
		"uq_item_tag_code_fkey|uq_tag_code_key|{2}\nSELECT 1"},

	{"CREATE TABLE uq_cat (id int PRIMARY KEY, code varchar(10) NOT NULL, region text, CONSTRAINT uq_cat_cr UNIQUE (region, code))", "CREATE TABLE"},
	{"CREATE TABLE uq_prod (code varchar(10), region text, name text, " +
		"CONSTRAINT uq_prod_cat FOREIGN KEY (code, region) REFERENCES uq_cat (code, region) ON UPDATE CASCADE ON DELETE SET NULL)", "CREATE TABLE"},
	{"INSERT INTO uq_cat VALUES (1, 'A', 'eu'), (2, 'B', 'us')", "INSERT 0 2"},
	{"INSERT INTO uq_prod VALUES ('A', 'eu', 'x'), ('B', 'us', 'y'), ('A', NULL, 'z')", "INSERT 0 3"},
	{"INSERT INTO uq_prod VALUES ('B', 'eu', 'w')", "ERROR 23503 uq_prod_cat"},
	{"UPDATE uq_cat SET code = 'AA' WHERE id = 1", "UPDATE 1"},
	{"UPDATE uq_cat SET region = NULL WHERE id = 2", "UPDATE 1"},
	{"SELECT name, code, region FROM uq_prod ORDER BY name", "x|AA|eu\ny|B|\nz|A|\nSELECT 3"},
	{"DELETE FROM uq_cat WHERE id = 1", "DELETE 1"},
	{"SELECT name, code, region FROM uq_prod ORDER BY name", "x||\ny|B|\nz|A|\nSELECT 3"},
	{"SELECT unique_constraint_name, update_rule, delete_rule FROM information_schema.referential_constraints WHERE constraint_name = 'uq_prod_cat'",
		"uq_cat_cr|CASCADE|SET NULL\nSELECT 1"},
	{"SELECT column_name, ordinal_position, position_in_unique_constraint FROM information_schema.key_column_usage WHERE constraint_name = 'uq_prod_cat' ORDER BY 2",
		"code|1|2\nregion|2|1\nSELECT 2"},

	{"CREATE TABLE uq_node (id int PRIMARY KEY, code text UNIQUE, parent text REFERENCES uq_node (code) ON UPDATE CASCADE ON DELETE CASCADE)", "CREATE TABLE"},
	{"INSERT INTO uq_node VALUES (1, 'r', NULL), (2, 'c1', 'r'), (3, 'c2', 'c1')", "INSERT 0 3"},
	{"UPDATE uq_node SET code = 'root' WHERE id = 1", "UPDATE 1"},
	{"SELECT id, code, parent FROM uq_node ORDER BY id", "1|root|\n2|c1|root\n3|c2|c1\nSELECT 3"},
	{"ALTER TABLE uq_node DROP COLUMN code", "ERROR 2BP01"},
	{"DELETE FROM uq_node WHERE code = 'root'", "DELETE 1"},
	{"SELECT count(*) FROM uq_node", "0\nSELECT 1"},

	{"CREATE TABLE uq_dept (id int PRIMARY KEY, code text UNIQUE)", "CREATE TABLE"},
	{"CREATE TABLE uq_emp (id int PRIMARY KEY, dept_code text)", "CREATE TABLE"},
	{"INSERT INTO uq_dept VALUES (1, 'd1')", "INSERT 0 1"},
	{"INSERT INTO uq_emp VALUES (1, 'd1'), (2, 'd9')", "INSERT 0 2"},
	{"ALTER TABLE uq_emp ADD CONSTRAINT uq_emp_dept FOREIGN KEY (dept_code) REFERENCES uq_dept (code)", "ERROR 23503 uq_emp_dept"},
	{"DELETE FROM uq_emp WHERE id = 2", "DELETE 1"},
	{"ALTER TABLE uq_emp ADD CONSTRAINT uq_emp_dept FOREIGN KEY (dept_code) REFERENCES uq_dept (code) ON UPDATE RESTRICT DEFERRABLE INITIALLY DEFERRED", "ALTER TABLE"},
	{"BEGIN", "BEGIN"},
	{"UPDATE uq_dept SET code = 'd2'", "ERROR 23503 uq_emp_dept"},
	{"ROLLBACK", "ROLLBACK"},
	{"ALTER TABLE uq_emp DROP CONSTRAINT uq_emp_dept", "ALTER TABLE"},
	{"ALTER TABLE uq_emp ADD CONSTRAINT uq_emp_dept FOREIGN KEY (dept_code) REFERENCES uq_dept (code) DEFERRABLE INITIALLY DEFERRED", "ALTER TABLE"},
	{"BEGIN", "BEGIN"},
	{"UPDATE uq_dept SET code = 'd2'", "UPDATE 1"},
	{"UPDATE uq_emp SET dept_code = 'd2'", "UPDATE 1"},
	{"COMMIT", "COMMIT"},
	{"BEGIN", "BEGIN"},
	{"UPDATE uq_dept SET code = 'd3'", "UPDATE 1"},
	{"COMMIT", "ERROR 23503 uq_emp_dept"},
	{"ALTER TABLE uq_dept RENAME COLUMN code TO dcode", "ALTER TABLE"},
	{"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'uq_emp_dept'",
		"FOREIGN KEY (dept_code) REFERENCES uq_dept(dcode) DEFERRABLE INITIALLY DEFERRED\nSELECT 1"},
	{"UPDATE uq_dept SET dcode = 'd4'", "ERROR 23503 uq_emp_dept"},
	{"ALTER TABLE uq_dept DROP CONSTRAINT uq_dept_code_key CASCADE", "ALTER TABLE"},
	{"UPDATE uq_dept SET dcode = 'd4'", "UPDATE 1"},
	{"ALTER TABLE uq_dept ADD CONSTRAINT uq_dept_u UNIQUE (dcode)", "ALTER TABLE"},
	{"INSERT INTO uq_dept VALUES (2, 'd2')", "INSERT 0 1"},
	{"ALTER TABLE uq_emp ADD FOREIGN KEY (dept_code) REFERENCES uq_dept (dcode)", "ALTER TABLE"},
	{"ALTER TABLE uq_dept DROP COLUMN dcode CASCADE", "ALTER TABLE"},
	{"SELECT conname FROM pg_constraint WHERE conrelid = 'uq_emp'::regclass ORDER BY 1", "uq_emp_pkey\nSELECT 1"},

	{"CREATE TABLE uq_u (k int)", "CREATE TABLE"},
	{"CREATE UNIQUE INDEX uq_u_k ON uq_u (k)", "CREATE INDEX"},
	{"CREATE TABLE uq_r (k int REFERENCES uq_u (k), j int REFERENCES uq_u (k))", "CREATE TABLE"},
	{"CREATE TABLE uq_p (k int)", "CREATE TABLE"},
	{"CREATE UNIQUE INDEX uq_p_k ON uq_p (k) WHERE k > 0", "CREATE INDEX"},
	{"CREATE TABLE uq_rp (k int REFERENCES uq_p (k))", "ERROR 42830"},
	{"INSERT INTO uq_u VALUES (1)", "INSERT 0 1"},
	{"INSERT INTO uq_r VALUES (1, 1), (NULL, 1)", "INSERT 0 2"},
	{"INSERT INTO uq_r VALUES (2, 1)", "ERROR 23503 uq_r_k_fkey"},
	{"DROP INDEX uq_u_k", "ERROR 2BP01"},
	{"DROP INDEX uq_u_k CASCADE", "DROP INDEX"},
	{"INSERT INTO uq_r VALUES (2, 2)", "INSERT 0 1"},
	{"DROP TABLE uq_item, uq_tag, uq_prod, uq_cat, uq_node, uq_emp, uq_dept, uq_r, uq_u, uq_p", "DROP TABLE"},

	// ON DELETE SET DEFAULT, MATCH FULL, ON DELETE SET NULL (cols).
	{"CREATE TABLE sd_p (id int PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO sd_p VALUES (0), (1), (2)", "INSERT 0 3"},
	{"CREATE TABLE sd_c (id int PRIMARY KEY, pid int DEFAULT 0 REFERENCES sd_p ON DELETE SET DEFAULT)", "CREATE TABLE"},
	{"INSERT INTO sd_c VALUES (10, 1), (11, 2)", "INSERT 0 2"},
	{"DELETE FROM sd_p WHERE id = 1", "DELETE 1"},
	{"SELECT id, pid FROM sd_c ORDER BY id", "10|0\n11|2\nSELECT 2"},
	{"DELETE FROM sd_p WHERE id = 0", "ERROR 23503 sd_c_pid_fkey"},
	{"ALTER TABLE sd_c ALTER COLUMN pid SET DEFAULT 7", "ALTER TABLE"},
	{"DELETE FROM sd_p WHERE id = 2", "ERROR 23503 sd_c_pid_fkey"},
	{"CREATE TABLE mf_p (x int, y int, PRIMARY KEY (x, y))", "CREATE TABLE"},
	{"CREATE TABLE mf_c (a int, b int, FOREIGN KEY (a, b) REFERENCES mf_p (x, y) MATCH FULL)", "CREATE TABLE"},
	{"INSERT INTO mf_p VALUES (1, 1)", "INSERT 0 1"},
	{"INSERT INTO mf_c VALUES (1, 1), (NULL, NULL)", "INSERT 0 2"},
	{"INSERT INTO mf_c VALUES (1, NULL)", "ERROR 23503 mf_c_a_b_fkey"},
	{"SELECT pg_get_constraintdef(oid), confmatchtype FROM pg_constraint WHERE conrelid = 'mf_c'::regclass", "FOREIGN KEY (a, b) REFERENCES mf_p(x, y) MATCH FULL|f\nSELECT 1"},
	{"SELECT match_option FROM information_schema.referential_constraints WHERE constraint_name = 'mf_c_a_b_fkey'", "FULL\nSELECT 1"},
	{"CREATE TABLE sn_c (id int PRIMARY KEY, t int, pid int, FOREIGN KEY (t, pid) REFERENCES mf_p (x, y) ON DELETE SET NULL (pid))", "CREATE TABLE"},
	{"CREATE TABLE sn_x (t int, pid int, FOREIGN KEY (t, pid) REFERENCES mf_p (x, y) ON DELETE SET NULL (id))", "ERROR 42703"},
	{"CREATE TABLE sn_x (t int, pid int, z int, FOREIGN KEY (t, pid) REFERENCES mf_p (x, y) ON DELETE SET NULL (z))", "ERROR 42P10"},
	{"INSERT INTO sn_c VALUES (1, 1, 1)", "INSERT 0 1"},
	{"DELETE FROM mf_c WHERE a = 1", "DELETE 1"},
	{"DELETE FROM mf_p", "DELETE 1"},
	{"SELECT id, t, pid FROM sn_c", "1|1|\nSELECT 1"},
	{"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'sn_c'::regclass AND contype = 'f'", "FOREIGN KEY (t, pid) REFERENCES mf_p(x, y) ON DELETE SET NULL (pid)\nSELECT 1"},
	{"DROP TABLE sd_c, sd_p, mf_c, sn_c, mf_p", "DROP TABLE"},
}

// TestForeignKey_UniqueKeyNoOrphans: a parent's unique key changed while a child row naming the old key is
// inserted, 400 times over 8 clients in pairs: exactly one of the two statements succeeds each time (the other
// fails with 23503), and no child row is left naming a key no parent holds. The child's insert locks the parent
// row it finds by the key, and the update reads the children of the old key, so the two cannot both pass.
func TestForeignKey_UniqueKeyNoOrphans(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	for _, q := range []string{
		"CREATE TABLE accounts (id int8 PRIMARY KEY, code text NOT NULL UNIQUE)",
		"CREATE TABLE entries (id int8 PRIMARY KEY, account text NOT NULL REFERENCES accounts (code))",
	} {
		mustExec(t, setup, q)
	}
	const workers, rounds = 4, 100
	old := func(k int64) string { return fmt.Sprintf("old-%d", k) }
	outcomes := raceParent(t, url, workers, rounds, "update",
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(ctx, "INSERT INTO accounts VALUES ($1, $2)", k, old(k))
			return err
		},
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(ctx, "UPDATE accounts SET code = $1 WHERE id = $2", fmt.Sprintf("new-%d", k), k)
			return err
		},
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(ctx, "INSERT INTO entries VALUES ($1, $2)", k, old(k))
			return err
		},
		"SELECT count(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.code = e.account)")
	total := outcomes["update ok, child 23503"] + outcomes["update 23503, child ok"]
	if total != workers*rounds {
		t.Fatalf("outcomes %v: want each round to end with exactly one of the two statements done", outcomes)
	}
	t.Logf("outcomes %v", outcomes)
}

// TestForeignKey_UniqueKeyCascade: ON UPDATE CASCADE through a unique key while other clients insert children
// of the same parents: 8 clients, each renaming its parent's key 50 times while another inserts children of it,
// retrying on 23503 with the key it reads anew. Every child ends naming its parent's final key.
func TestForeignKey_UniqueKeyCascade(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	for _, q := range []string{
		"CREATE TABLE folders (id int8 PRIMARY KEY, path text NOT NULL UNIQUE)",
		"CREATE TABLE files (id int8 PRIMARY KEY, folder text NOT NULL REFERENCES folders (path) ON UPDATE CASCADE)",
	} {
		mustExec(t, setup, q)
	}
	const workers, renames, files = 4, 50, 50
	var wg sync.WaitGroup
	for w := range workers {
		if _, err := setup.Exec(ctx, "INSERT INTO folders VALUES ($1, $2)", w, fmt.Sprintf("/f%d/0", w)); err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			c := connect(t, url)
			for i := 1; i <= renames; i++ {
				if _, err := c.Exec(ctx, "UPDATE folders SET path = $1 WHERE id = $2", fmt.Sprintf("/f%d/%d", w, i), w); err != nil {
					t.Errorf("rename: %v", err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			c := connect(t, url)
			for i := range files {
				for {
					var path string
					if err := c.QueryRow(ctx, "SELECT path FROM folders WHERE id = $1", w).Scan(&path); err != nil {
						t.Errorf("read: %v", err)
						return
					}
					_, err := c.Exec(ctx, "INSERT INTO files VALUES ($1, $2)", w*1000+i, path)
					if err == nil {
						break
					}
					if sqlState(err) != "23503" {
						t.Errorf("insert: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	rows, err := setup.Query(ctx, "SELECT f.id, f.folder, d.path FROM files f LEFT JOIN folders d ON d.id = f.id / 1000 ORDER BY f.id")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := pgx.CollectRows(rows, func(r pgx.CollectableRow) (int, error) {
		var id int64
		var folder, path *string
		if err := r.Scan(&id, &folder, &path); err != nil {
			return 0, err
		}
		if folder == nil || path == nil || *folder != *path || *path != fmt.Sprintf("/f%d/%d", id/1000, renames) {
			t.Errorf("file %d names folder %v, its folder's path is %v", id, deref(folder), deref(path))
		}
		return 1, nil
	})
	if len(n) != workers*files {
		t.Fatalf("%d files, want %d", len(n), workers*files)
	}
}

// deref is *s, or "NULL".
func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

// TestForeignKey_PrimaryKeyMoveNoOrphans: a referenced primary key changed (the row deleted and inserted under
// the new key) while another client inserts a child naming the old key. Exactly one of the two succeeds each
// round, and no child is left without its parent.
func TestForeignKey_PrimaryKeyMoveNoOrphans(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	for _, q := range []string{
		"CREATE TABLE owners (id int8 PRIMARY KEY, name text)",
		"CREATE TABLE pets (id int8 PRIMARY KEY, owner int8 NOT NULL REFERENCES owners)",
	} {
		mustExec(t, setup, q)
	}
	const workers, rounds = 4, 100
	outcomes := raceParent(t, url, workers, rounds, "update",
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(ctx, "INSERT INTO owners VALUES ($1, 'o')", k)
			return err
		},
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(ctx, "UPDATE owners SET id = $1 WHERE id = $2", k+1_000_000, k)
			return err
		},
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(ctx, "INSERT INTO pets VALUES ($1, $1)", k)
			return err
		},
		"SELECT count(*) FROM pets p WHERE NOT EXISTS (SELECT 1 FROM owners o WHERE o.id = p.owner)")
	total := outcomes["update ok, child 23503"] + outcomes["update 23503, child ok"]
	if total != workers*rounds {
		t.Fatalf("outcomes %v: want each round to end with exactly one of the two statements done", outcomes)
	}
	t.Logf("outcomes %v", outcomes)
}
