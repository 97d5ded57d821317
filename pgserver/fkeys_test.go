package pgserver_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// fkSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): FOREIGN KEY constraints on
// a column and on the table, NULL keys, a multi-row INSERT refused whole, ON DELETE NO ACTION, CASCADE and SET
// NULL, a parent and its child in one transaction, DROP and TRUNCATE of a referenced table, ALTER TABLE ADD and
// DROP CONSTRAINT, and the definition errors. An error is "ERROR", its SQLSTATE and, for 23503, the constraint.
var fkSteps = []struct{ sql, want string }{
	{"CREATE TABLE fkp (id int8 PRIMARY KEY, name text)", "CREATE TABLE"},
	{"CREATE TABLE fkc (id int8 PRIMARY KEY, pid int4 REFERENCES fkp, note text)", "CREATE TABLE"},
	{"CREATE TABLE fkg (id int8 PRIMARY KEY, cid int8, FOREIGN KEY (cid) REFERENCES fkc (id) ON DELETE CASCADE)", "CREATE TABLE"},
	{"CREATE TABLE fkn (id int8 PRIMARY KEY, pid int8 REFERENCES fkp ON DELETE SET NULL)", "CREATE TABLE"},
	{"CREATE TABLE fkx (id int8 PRIMARY KEY, pid text REFERENCES fkp (name))", "ERROR 42830"},
	{"CREATE TABLE fkx (id int8 PRIMARY KEY, pid int8 REFERENCES nosuch)", "ERROR 42P01"},
	{"CREATE TABLE fkx (id int8 PRIMARY KEY, pid int8 REFERENCES fkp (id, name))", "ERROR 42830"},
	{"CREATE TABLE fkx (id int8 PRIMARY KEY, pid text REFERENCES fkp)", "ERROR 42804"},
	{"INSERT INTO fkp VALUES (1, 'a'), (2, 'b'), (3, 'c')", "INSERT 0 3"},
	{"INSERT INTO fkc VALUES (10, 1, 'x')", "INSERT 0 1"},
	{"INSERT INTO fkc VALUES (11, 4, 'y')", "ERROR 23503 fkc_pid_fkey"},
	{"INSERT INTO fkc VALUES (12, NULL, 'z')", "INSERT 0 1"},
	{"INSERT INTO fkc VALUES (13, 2, 'w'), (14, 9, 'v')", "ERROR 23503 fkc_pid_fkey"},
	{"SELECT count(*) FROM fkc", "2\nSELECT 1"},
	{"INSERT INTO fkg VALUES (100, 10), (101, 12)", "INSERT 0 2"},
	{"INSERT INTO fkn VALUES (1, 3), (2, 3), (3, NULL)", "INSERT 0 3"},
	{"UPDATE fkc SET pid = 5 WHERE id = 10", "ERROR 23503 fkc_pid_fkey"},
	{"UPDATE fkc SET pid = 2 WHERE id = 10", "UPDATE 1"},
	{"UPDATE fkc SET note = 'n'", "UPDATE 2"},
	{"DELETE FROM fkp WHERE id = 2", "ERROR 23503 fkc_pid_fkey"},
	{"DELETE FROM fkp WHERE id = 1", "DELETE 1"},
	{"DELETE FROM fkp WHERE id = 3", "DELETE 1"},
	{"SELECT id, pid FROM fkn ORDER BY id", "1|\n2|\n3|\nSELECT 3"},
	{"DELETE FROM fkc WHERE id = 10", "DELETE 1"},
	{"SELECT id FROM fkg ORDER BY id", "101\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO fkp VALUES (7, 'g')", "INSERT 0 1"},
	{"INSERT INTO fkc VALUES (15, 7, 'in a block')", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT pid FROM fkc WHERE id = 15", "7\nSELECT 1"},
	{"DROP TABLE fkp", "ERROR 2BP01"},
	{"TRUNCATE fkp", "ERROR 0A000"},
	{"ALTER TABLE fkc ADD CONSTRAINT fkc_self FOREIGN KEY (pid) REFERENCES fkc", "ERROR 23503 fkc_self"},
	{"ALTER TABLE fkc DROP CONSTRAINT fkc_pid_fkey", "ALTER TABLE"},
	{"INSERT INTO fkc VALUES (16, 99, 'free')", "INSERT 0 1"},
	{"SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1", "fkg_cid_fkey\nfkn_pid_fkey\nSELECT 2"},
	{"DROP TABLE fkp CASCADE", "DROP TABLE"},
	{"INSERT INTO fkn VALUES (4, 42)", "INSERT 0 1"},
	{"DROP TABLE fkc", "ERROR 2BP01"},
	{"DROP TABLE fkg, fkc", "DROP TABLE"},
	{"DROP TABLE fkn", "DROP TABLE"},
}

// renameSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): ALTER TABLE and ALTER VIEW
// ... RENAME TO, the table keeping its rows, CHECK, UNIQUE and foreign keys on either side.
var renameSteps = []struct{ sql, want string }{
	{"CREATE TABLE rn1 (id int8 PRIMARY KEY, v int4 CHECK (v > 0) UNIQUE)", "CREATE TABLE"},
	{"CREATE TABLE rn2 (id int8 PRIMARY KEY, rid int8 REFERENCES rn1)", "CREATE TABLE"},
	{"INSERT INTO rn1 VALUES (1, 5)", "INSERT 0 1"},
	{"INSERT INTO rn2 VALUES (1, 1)", "INSERT 0 1"},
	{"ALTER TABLE rn1 RENAME TO rn1b", "ALTER TABLE"},
	{"SELECT id, v FROM rn1", "ERROR 42P01"},
	{"SELECT id, v FROM rn1b", "1|5\nSELECT 1"},
	{"INSERT INTO rn1b VALUES (2, 0)", "ERROR 23514 rn1_v_check"},
	{"INSERT INTO rn1b VALUES (2, 5)", "ERROR 23505"},
	{"INSERT INTO rn2 VALUES (2, 7)", "ERROR 23503 rn2_rid_fkey"},
	{"DELETE FROM rn1b WHERE id = 1", "ERROR 23503 rn2_rid_fkey"},
	{"ALTER TABLE rn1b RENAME TO rn2", "ERROR 42P07"},
	{"ALTER TABLE IF EXISTS nosuch RENAME TO x", "ALTER TABLE"},
	{"ALTER TABLE nosuch RENAME TO x", "ERROR 42P01"},
	{"CREATE VIEW rnv AS SELECT id FROM rn2", "CREATE VIEW"},
	{"ALTER VIEW rnv RENAME TO rnv2", "ALTER VIEW"},
	{"SELECT id FROM rnv2", "1\nSELECT 1"},
	{"ALTER VIEW rn2 RENAME TO x", "ERROR 42809"},
	{"DROP VIEW rnv2", "DROP VIEW"},
	{"ALTER TABLE rn2 RENAME TO rn2b", "ALTER TABLE"},
	{"DROP TABLE rn1b", "ERROR 2BP01"},
	{"INSERT INTO rn2b VALUES (3, 9)", "ERROR 23503 rn2_rid_fkey"},
	{"DROP TABLE rn2b", "DROP TABLE"},
	{"DROP TABLE rn1b", "DROP TABLE"},
}

// infoSchemaSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): the constraints as
// information_schema lists them, which ORMs read to learn a schema.
var infoSchemaSteps = []struct{ sql, want string }{
	{"CREATE TABLE isp (id int8 PRIMARY KEY, code text UNIQUE, qty int4 CHECK (qty >= 0))", "CREATE TABLE"},
	{"CREATE TABLE isc (a int8, b int8, pid int8 REFERENCES isp ON DELETE CASCADE, PRIMARY KEY (a, b))", "CREATE TABLE"},
	{"SELECT constraint_name, table_name, constraint_type FROM information_schema.table_constraints " +
		"WHERE table_name IN ('isp', 'isc') AND constraint_type <> 'CHECK' ORDER BY 1",
		"isc_pid_fkey|isc|FOREIGN KEY\nisc_pkey|isc|PRIMARY KEY\nisp_code_key|isp|UNIQUE\nisp_pkey|isp|PRIMARY KEY\nSELECT 4"},
	{"SELECT constraint_name, column_name, ordinal_position, position_in_unique_constraint FROM information_schema.key_column_usage " +
		"WHERE table_name IN ('isp', 'isc') ORDER BY 1, 3",
		"isc_pid_fkey|pid|1|1\nisc_pkey|a|1|\nisc_pkey|b|2|\nisp_code_key|code|1|\nisp_pkey|id|1|\nSELECT 5"},
	{"SELECT unique_constraint_name, match_option, update_rule, delete_rule FROM information_schema.referential_constraints " +
		"WHERE constraint_name = 'isc_pid_fkey'", "isp_pkey|NONE|NO ACTION|CASCADE\nSELECT 1"},
	{"SELECT check_clause FROM information_schema.check_constraints WHERE constraint_name = 'isp_qty_check'", "((qty >= 0))\nSELECT 1"},
	{"SELECT table_name, column_name FROM information_schema.constraint_column_usage WHERE constraint_name = 'isc_pid_fkey'", "isp|id\nSELECT 1"},
	// What psql's \d reads to list "Foreign-key constraints" and "Referenced by": relhastriggers, the oids cast
	// to regclass, and pg_partition_ancestors (no rows for a table that is not a partition).
	{"SELECT relname, relhastriggers FROM pg_class WHERE relname IN ('isp', 'isc', 'vac_none') ORDER BY 1", "isc|t\nisp|t\nSELECT 2"},
	{"SELECT conname, conrelid::pg_catalog.regclass, confrelid::regclass, pg_catalog.pg_get_constraintdef(oid, true), conparentid " +
		"FROM pg_catalog.pg_constraint WHERE contype = 'f' AND conrelid = (SELECT oid FROM pg_class WHERE relname = 'isc')",
		"isc_pid_fkey|isc|isp|FOREIGN KEY (pid) REFERENCES isp(id) ON DELETE CASCADE|0\nSELECT 1"},
	{"SELECT count(*) FROM pg_catalog.pg_partition_ancestors('isc')", "0\nSELECT 1"},
	{"SELECT conindid::regclass FROM pg_constraint WHERE conname = 'isc_pid_fkey'", "isp_pkey\nSELECT 1"},
	{"SELECT conname FROM pg_catalog.pg_constraint c WHERE confrelid IN (SELECT pg_catalog.pg_partition_ancestors('isp') " +
		"UNION ALL SELECT oid FROM pg_class WHERE relname = 'isp') AND contype = 'f' AND conparentid = 0", "isc_pid_fkey\nSELECT 1"},
	{"SELECT 4000000::regclass", "4000000\nSELECT 1"},
	{"DROP TABLE isc", "DROP TABLE"},
	{"DROP TABLE isp", "DROP TABLE"},
}

// editSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): ALTER TABLE on tables with
// constraints that the rows' rewrite must not trip, NOT NULL under ON DELETE SET NULL, foreign keys checked at the
// statement's end (a table referencing itself), a DROP stopped whole, and a failed ADD COLUMN taken back.
var editSteps = []struct{ sql, want string }{
	{"CREATE TABLE rv1 (id int8 PRIMARY KEY, a int4, b int4, CHECK (a IS NOT NULL OR b IS NOT NULL))", "CREATE TABLE"},
	{"INSERT INTO rv1 VALUES (1, 5, NULL)", "INSERT 0 1"},
	{"ALTER TABLE rv1 DROP COLUMN a", "ALTER TABLE"},
	{"INSERT INTO rv1 (id) VALUES (3)", "INSERT 0 1"},
	{"CREATE TABLE rv2 (id int8 PRIMARY KEY, a int4 CHECK (a IS NOT NULL))", "CREATE TABLE"},
	{"INSERT INTO rv2 VALUES (1, 1)", "INSERT 0 1"},
	{"ALTER TABLE rv2 RENAME COLUMN a TO b", "ALTER TABLE"},
	{"INSERT INTO rv2 VALUES (2, 2)", "INSERT 0 1"},
	{"INSERT INTO rv2 (id) VALUES (3)", "ERROR 23514 rv2_a_check"},
	{"ALTER TABLE rv2 ADD CONSTRAINT big CHECK (b > 5) NOT VALID", "ALTER TABLE"},
	{"ALTER TABLE rv2 ADD COLUMN w int4 DEFAULT 3", "ALTER TABLE"},
	{"ALTER TABLE rv2 DROP COLUMN w", "ALTER TABLE"},
	{"ALTER TABLE rv2 ADD COLUMN c int4 DEFAULT 0 CHECK (c > 0)", "ERROR 23514 rv2_c_check"},
	{"SELECT * FROM rv2 ORDER BY id", "1|1\n2|2\nSELECT 2"},
	{"CREATE TABLE rvp (id int8 PRIMARY KEY)", "CREATE TABLE"},
	{"CREATE TABLE rvc (id int8 PRIMARY KEY, pid int8 NOT NULL REFERENCES rvp ON DELETE SET NULL)", "CREATE TABLE"},
	{"INSERT INTO rvp VALUES (1)", "INSERT 0 1"},
	{"INSERT INTO rvc VALUES (1, 1)", "INSERT 0 1"},
	{"DELETE FROM rvp WHERE id = 1", "ERROR 23502"},
	{"CREATE TABLE emp (id int8 PRIMARY KEY, mgr int8 REFERENCES emp)", "CREATE TABLE"},
	{"INSERT INTO emp VALUES (1, NULL), (2, 1)", "INSERT 0 2"},
	{"INSERT INTO emp VALUES (4, 3), (3, NULL)", "INSERT 0 2"},
	{"DELETE FROM emp WHERE id = 1", "ERROR 23503 emp_mgr_fkey"},
	{"DELETE FROM emp", "DELETE 4"},
	{"CREATE VIEW rvv AS SELECT id FROM rvp", "CREATE VIEW"},
	{"DROP TABLE rvc, rvv, rvp", "ERROR 42809"},
	{"SELECT count(*) FROM rvc", "1\nSELECT 1"},
	{"DROP VIEW rvv", "DROP VIEW"},
	{"CREATE TABLE u14 (id int8 PRIMARY KEY, email text UNIQUE)", "CREATE TABLE"},
	{"ALTER TABLE u14 RENAME TO u14b", "ALTER TABLE"},
	{"ALTER TABLE u14b RENAME COLUMN email TO mail", "ALTER TABLE"},
	{"INSERT INTO u14b VALUES (1, 'a'), (2, 'a')", "ERROR 23505"},
	{"CREATE TABLE fp4 (id int4 PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO fp4 VALUES (1)", "INSERT 0 1"},
	{"CREATE TABLE fcn (id int8 PRIMARY KEY, pid numeric REFERENCES fp4)", "ERROR 42804"},
	{"CREATE TABLE fcf (id int8 PRIMARY KEY, pid float8 REFERENCES fp4)", "ERROR 42804"},
	{"CREATE TABLE fc8 (id int8 PRIMARY KEY, pid int8 REFERENCES fp4)", "CREATE TABLE"},
	{"INSERT INTO fc8 VALUES (1, 3000000000)", "ERROR 23503 fc8_pid_fkey"},
	{"INSERT INTO fc8 VALUES (2, 1)", "INSERT 0 1"},
	{"ALTER TABLE fc8 DROP CONSTRAINT fc8_pid_fkey, ADD CONSTRAINT fc8_big CHECK (id > 5)", "ERROR 23514 fc8_big"},
	{"INSERT INTO fc8 VALUES (3, 99)", "ERROR 23503 fc8_pid_fkey"},
	{"WITH d AS (DELETE FROM fp4 WHERE id = 1 RETURNING id) INSERT INTO fp4 SELECT id FROM d", "INSERT 0 1"},
	{"SELECT count(*) FROM fc8", "1\nSELECT 1"},
	{"CREATE TABLE nvp (id int8 PRIMARY KEY)", "CREATE TABLE"},
	{"CREATE TABLE nvc (id int8 PRIMARY KEY, pid int8, note text)", "CREATE TABLE"},
	{"INSERT INTO nvc VALUES (1, 5, 'a')", "INSERT 0 1"},
	{"ALTER TABLE nvc ADD CONSTRAINT nvc_fk FOREIGN KEY (pid) REFERENCES nvp NOT VALID", "ALTER TABLE"},
	{"UPDATE nvc SET note = 'b' WHERE id = 1", "UPDATE 1"},
	{"UPDATE nvc SET pid = 6 WHERE id = 1", "ERROR 23503 nvc_fk"},
	{"CREATE TABLE pn (id numeric PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO pn VALUES (5)", "INSERT 0 1"},
	{"CREATE TABLE fcx (id int8 PRIMARY KEY, pid int4 REFERENCES pn)", "CREATE TABLE"},
	{"INSERT INTO fcx VALUES (1, 5)", "INSERT 0 1"},
	{"INSERT INTO fcx VALUES (2, 6)", "ERROR 23503 fcx_pid_fkey"},
	{"DELETE FROM pn", "ERROR 23503 fcx_pid_fkey"},
	{"CREATE TABLE rs1 (id int8 PRIMARY KEY, pid int8, note text)", "CREATE TABLE"},
	{"INSERT INTO rs1 VALUES (1, 5, 'keep')", "INSERT 0 1"},
	{"ALTER TABLE rs1 DROP COLUMN note, ADD FOREIGN KEY (pid) REFERENCES fp4", "ERROR 23503 rs1_pid_fkey"},
	{"INSERT INTO rs1 (id, pid) VALUES (2, 7)", "INSERT 0 1"},
	{"DROP TABLE rv1, rv2, rvc, rvp, emp, u14b, fc8, fp4, nvc, nvp, fcx, pn, rs1", "DROP TABLE"},
}

// runFKs runs fkSteps, fkUniqueSteps, renameSteps, infoSchemaSteps and editSteps on a connection.
func runFKs(t *testing.T, who string, c *pgx.Conn) {
	t.Helper()
	runSteps(t, who, c, fkSteps)
	runSteps(t, who, c, fkUniqueSteps)
	runSteps(t, who, c, renameSteps)
	runSteps(t, who, c, infoSchemaSteps)
	runSteps(t, who, c, editSteps)
}

// TestForeignKey_NoOrphans: a parent row deleted while a child row naming it is inserted, 400 times over 8
// clients in pairs: exactly one of the two statements succeeds each time (the other fails with 23503), and no
// child row is left without its parent. The child's insert locks the parent row, so the two cannot both pass.
func TestForeignKey_NoOrphans(t *testing.T) {
	url, _ := startServer(t)
	setup := connect(t, url)
	for _, q := range []string{
		"CREATE TABLE orders (id int8 PRIMARY KEY)",
		"CREATE TABLE lines (id int8 PRIMARY KEY, order_id int8 NOT NULL REFERENCES orders)",
	} {
		mustExec(t, setup, q)
	}
	const workers, rounds = 4, 100
	outcomes := raceParentDeletes(t, url, "orders", "lines", workers, rounds, func(c *pgx.Conn, k int64) error {
		_, err := c.Exec(context.Background(), "INSERT INTO lines VALUES ($1, $1)", k)
		return err
	})
	total := outcomes["delete ok, child 23503"] + outcomes["delete 23503, child ok"]
	if total != workers*rounds {
		t.Fatalf("outcomes %v: want each round to end with exactly one of the two statements done", outcomes)
	}
	t.Logf("outcomes %v", outcomes)
}

// raceParentDeletes runs workers x rounds rounds: a parent row of table parent is inserted, then deleted by one
// connection while another inserts a child of it with insert (the child's id and parent key are both k). It
// returns how many rounds ended with each pair of outcomes ("delete ok, child 23503"), having checked that no row
// of child (whose parent key is its order_id column) is left without its parent.
func raceParentDeletes(t *testing.T, url, parent, child string, workers, rounds int, insert func(c *pgx.Conn, k int64) error) map[string]int {
	t.Helper()
	return raceParent(t, url, workers, rounds, "delete",
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(context.Background(), "INSERT INTO "+parent+" VALUES ($1)", k)
			return err
		},
		func(c *pgx.Conn, k int64) error {
			_, err := c.Exec(context.Background(), "DELETE FROM "+parent+" WHERE id = $1", k)
			return err
		},
		insert, "SELECT count(*) FROM "+child+" l WHERE NOT EXISTS (SELECT 1 FROM "+parent+" o WHERE o.id = l.order_id)")
}

// raceParent runs workers x rounds rounds, each on a key k of its own: create inserts a parent row, then one
// connection runs change on it (verb names it in the outcomes) while another runs insert, a child naming it. It
// returns how many rounds ended with each pair of outcomes ("delete ok, child 23503"), having checked that the
// query orphans counts no child left without its parent.
func raceParent(t *testing.T, url string, workers, rounds int, verb string, create, change, insert func(c *pgx.Conn, k int64) error, orphans string) map[string]int {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := connect(t, url), connect(t, url)
			for r := range rounds {
				k := int64(w*rounds + r)
				if err := create(a, k); err != nil {
					t.Error(err)
					return
				}
				var chg, ins error
				var pair sync.WaitGroup
				pair.Add(2)
				go func() { defer pair.Done(); chg = change(a, k) }()
				go func() { defer pair.Done(); ins = insert(b, k) }()
				pair.Wait()
				mu.Lock()
				outcomes[fmt.Sprintf("%s %s, child %s", verb, outcome(chg), outcome(ins))]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var n int64
	if err := connect(t, url).QueryRow(ctx, orphans).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d child rows without their parent (%v)", n, err)
	}
	return outcomes
}

// outcome names a statement's result: ok, or its SQLSTATE.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if s := sqlState(err); s != "" {
		return s
	}
	return err.Error()
}

// TestForeignKey_AddInABlock: ALTER TABLE ... ADD FOREIGN KEY in a transaction block sees both the rows other
// sessions committed after the block's snapshot (one that names no parent stops it, 23503) and the block's own
// writes (a migration that inserts parents and children and then adds the key commits, and the key holds after).
func TestForeignKey_AddInABlock(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	for _, q := range []string{
		"CREATE TABLE kp (id int8 PRIMARY KEY)",
		"CREATE TABLE kc (id int8 PRIMARY KEY, pid int8)",
		"BEGIN",
		"SELECT count(*) FROM kc",
	} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := b.Exec(ctx, "INSERT INTO kc VALUES (1, 99)"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "ALTER TABLE kc ADD FOREIGN KEY (pid) REFERENCES kp"); sqlState(err) != "23503" {
		t.Fatalf("ADD FOREIGN KEY over a row committed after the block's snapshot: %v, want 23503", err)
	}
	if _, err := a.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DELETE FROM kc",
		"BEGIN",
		"INSERT INTO kp VALUES (1)",
		"INSERT INTO kc VALUES (2, 1)",
		"ALTER TABLE kc ADD FOREIGN KEY (pid) REFERENCES kp",
		"COMMIT",
	} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := b.Exec(ctx, "INSERT INTO kc VALUES (3, 7)"); sqlState(err) != "23503" {
		t.Fatalf("a child naming no parent after the migration: %v, want 23503", err)
	}
	var n int64
	if err := b.QueryRow(ctx, "SELECT count(*) FROM kc").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d rows (%v), want the migration's one", n, err)
	}
}

// runUncommittedParent: a child row naming a parent that another transaction has inserted and not committed
// fails at once with 23503, by the primary key and by a unique key alike (the parent is not visible; the
// inserting transaction is still open when the child's statement returns); one naming a parent that another
// transaction is deleting waits for it, and fails with 23503 when that transaction commits (but over a MongoDB
// deployment, which has no lock without a write). Run on Concord and on PostgreSQL.
func runUncommittedParent(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	for _, q := range []string{
		"DROP TABLE IF EXISTS ucc", "DROP TABLE IF EXISTS ucp",
		"CREATE TABLE ucp (id int PRIMARY KEY, u int UNIQUE)",
		"CREATE TABLE ucc (id int PRIMARY KEY, p int REFERENCES ucp(id), pu int REFERENCES ucp(u))",
		"INSERT INTO ucp VALUES (2, 20)",
	} {
		mustExec(t, a, q)
	}
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "INSERT INTO ucp VALUES (1, 10)")
	for _, q := range []string{"INSERT INTO ucc VALUES (1, 1, NULL)", "INSERT INTO ucc VALUES (1, NULL, 10)"} {
		if _, err := b.Exec(ctx, q); sqlState(err) != "23503" {
			t.Errorf("%s: %s while the parent's insert is uncommitted: %v, want 23503 at once", who, q, err)
		}
	}
	mustExec(t, a, "COMMIT")
	mustExec(t, b, "INSERT INTO ucc VALUES (1, 1, 10)") // committed now
	if who == "concord" && os.Getenv(backendEnv) == "driver" {
		// Over a MongoDB deployment nothing locks the parent row, so the child does not wait (docs/sql.md).
		mustExec(t, a, "DROP TABLE ucc")
		mustExec(t, a, "DROP TABLE ucp")
		return
	}
	mustExec(t, a, "BEGIN")
	mustExec(t, a, "DELETE FROM ucp WHERE id = 2")
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "INSERT INTO ucc VALUES (2, 2, NULL)")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("%s: a child of a parent being deleted did not wait: %v", who, err)
	case <-time.After(300 * time.Millisecond):
	}
	mustExec(t, a, "COMMIT")
	if err := <-done; sqlState(err) != "23503" {
		t.Errorf("%s: a child of a parent whose deletion committed while it waited: %v, want 23503", who, err)
	}
	mustExec(t, a, "DROP TABLE ucc")
	mustExec(t, a, "DROP TABLE ucp")
}
