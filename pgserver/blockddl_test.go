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

// blockDDLSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): DDL in a transaction
// block is the block's own until COMMIT, and ROLLBACK (or ROLLBACK TO a savepoint) undoes it with the rows
// written to what it made. want is the rows and tag as in compareSteps, or "ERROR " and the SQLSTATE.
var blockDDLSteps = []struct{ sql, want string }{
	{"CREATE TABLE bd0 (id int8 PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO bd0 VALUES (1, 'a')", "INSERT 0 1"},
	// A table made and filled in a block that rolls back is gone, rows and all.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd1 (id serial PRIMARY KEY, v text UNIQUE, n int4 DEFAULT 5)", "CREATE TABLE"},
	{"CREATE INDEX bd1_n ON bd1 (n)", "CREATE INDEX"},
	{"INSERT INTO bd1 (v) VALUES ('x'), ('y')", "INSERT 0 2"},
	{"SELECT id, v, n FROM bd1 ORDER BY id", "1|x|5\n2|y|5\nSELECT 2"},
	{"INSERT INTO bd1 (v) VALUES ('x')", "ERROR 23505"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT * FROM bd1", "ERROR 42P01"},
	{"SELECT nextval('bd1_id_seq')", "ERROR 42P01"},
	// The same, committed: the table, its view, a sequence stepped in the block, a comment, a column added.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd1 (id serial PRIMARY KEY, v text UNIQUE, n int4 DEFAULT 5)", "CREATE TABLE"},
	{"CREATE VIEW bd1v AS SELECT id, v FROM bd1", "CREATE VIEW"},
	{"CREATE SEQUENCE bd1s", "CREATE SEQUENCE"},
	{"SELECT nextval('bd1s'), nextval('bd1s')", "1|2\nSELECT 1"},
	{"COMMENT ON TABLE bd1 IS 'made in a block'", "COMMENT"},
	{"INSERT INTO bd1 (v) VALUES ('x'), ('y')", "INSERT 0 2"},
	{"ALTER TABLE bd1 ADD COLUMN w text DEFAULT 'd'", "ALTER TABLE"},
	{"SELECT id, v, n, w FROM bd1 ORDER BY id", "1|x|5|d\n2|y|5|d\nSELECT 2"},
	{"SELECT v FROM bd1v ORDER BY id", "x\ny\nSELECT 2"},
	{"SELECT obj_description('bd1'::regclass, 'pg_class')", "made in a block\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT id, v, n, w FROM bd1 ORDER BY id", "1|x|5|d\n2|y|5|d\nSELECT 2"},
	{"SELECT nextval('bd1s')", "3\nSELECT 1"},
	{"INSERT INTO bd1 (v) VALUES ('z') RETURNING id, w", "3|d\nINSERT 0 1"},
	// ADD COLUMN and ALTER COLUMN rolled back: the rows lose the filled default again.
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE bd0 ADD COLUMN c int4 DEFAULT 7", "ALTER TABLE"},
	{"ALTER TABLE bd0 ALTER COLUMN v SET NOT NULL", "ALTER TABLE"},
	{"SELECT id, v, c FROM bd0", "1|a|7\nSELECT 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT * FROM bd0", "1|a\nSELECT 1"},
	{"INSERT INTO bd0 VALUES (2, NULL)", "INSERT 0 1"},
	{"DELETE FROM bd0 WHERE id = 2", "DELETE 1"},
	// ROLLBACK TO a savepoint undoes the DDL since it.
	{"BEGIN", "BEGIN"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"ALTER TABLE bd1 ADD COLUMN z int4 DEFAULT 1", "ALTER TABLE"},
	{"COMMENT ON TABLE bd1 IS 'changed'", "COMMENT"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"SELECT count(*) FROM information_schema.columns WHERE table_name = 'bd1' AND column_name = 'z'", "0\nSELECT 1"},
	{"SELECT obj_description('bd1'::regclass, 'pg_class')", "made in a block\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	// DROP TABLE rolled back keeps the table and its rows; committed, takes them.
	{"BEGIN", "BEGIN"},
	{"DROP TABLE bd0", "DROP TABLE"},
	{"SELECT * FROM bd0", "ERROR 42P01"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT * FROM bd0", "1|a\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"DROP VIEW bd1v", "DROP VIEW"},
	{"DROP SEQUENCE bd1s", "DROP SEQUENCE"},
	{"DROP TABLE bd0", "DROP TABLE"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM bd0", "ERROR 42P01"},
	{"SELECT * FROM bd1v", "ERROR 42P01"},
	{"SELECT nextval('bd1s')", "ERROR 42P01"},
	{"CREATE TABLE bd0 (id int8 PRIMARY KEY)", "CREATE TABLE"},
	{"SELECT count(*) FROM bd0", "0\nSELECT 1"},
	// A type and the table using it, rolled back.
	{"BEGIN", "BEGIN"},
	{"CREATE TYPE bdmood AS ENUM ('sad', 'ok')", "CREATE TYPE"},
	{"CREATE TABLE bd2 (id int4 PRIMARY KEY, m bdmood)", "CREATE TABLE"},
	{"INSERT INTO bd2 VALUES (1, 'ok')", "INSERT 0 1"},
	{"SELECT m FROM bd2", "ok\nSELECT 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT 'ok'::bdmood", "ERROR 42704"},
	{"SELECT * FROM bd2", "ERROR 42P01"},
	// A block that fails takes its DDL with it.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd3 (id int4 PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO bd3 VALUES (1), (1)", "ERROR 23505"},
	{"COMMIT", "ROLLBACK"},
	{"SELECT * FROM bd3", "ERROR 42P01"},
	// CREATE INDEX after the block wrote rows (pg_dump's order: table, rows, indexes): built over the rows; a
	// unique one over duplicate rows fails the block.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd4 (id int4 PRIMARY KEY, v text, n int4)", "CREATE TABLE"},
	{"INSERT INTO bd4 VALUES (1, 'a', 10), (2, 'b', 20), (3, 'a', 30)", "INSERT 0 3"},
	{"CREATE INDEX bd4_n ON bd4 (n)", "CREATE INDEX"},
	{"SELECT id FROM bd4 WHERE n = 20", "2\nSELECT 1"},
	{"CREATE UNIQUE INDEX bd4_v ON bd4 (v)", "ERROR 23505"},
	{"SELECT 1", "ERROR 25P02"},
	{"COMMIT", "ROLLBACK"},
	{"SELECT * FROM bd4", "ERROR 42P01"},
	// Committed: the indexes hold the block's rows and its later writes, and are enforced afterwards.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd4 (id int4 NOT NULL, v text, n int4)", "CREATE TABLE"},
	{"INSERT INTO bd4 VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)", "INSERT 0 3"},
	{"CREATE UNIQUE INDEX bd4_v ON bd4 (v)", "CREATE INDEX"},
	{"CREATE INDEX bd4_n ON bd4 (n)", "CREATE INDEX"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"INSERT INTO bd4 VALUES (4, 'a', 40)", "ERROR 23505"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"UPDATE bd4 SET v = 'z' WHERE id = 3", "UPDATE 1"},
	{"INSERT INTO bd4 VALUES (4, 'c', 40)", "INSERT 0 1"},
	{"SELECT id, v FROM bd4 WHERE v = 'c'", "4|c\nSELECT 1"},
	{"SELECT id FROM bd4 WHERE n >= 20 ORDER BY n", "2\n3\n4\nSELECT 3"},
	{"COMMIT", "COMMIT"},
	{"SELECT id, v, n FROM bd4 ORDER BY id", "1|a|10\n2|b|20\n3|z|30\n4|c|40\nSELECT 4"},
	{"SELECT id FROM bd4 WHERE v = 'z'", "3\nSELECT 1"},
	{"INSERT INTO bd4 VALUES (5, 'z', 50)", "ERROR 23505"},
	{"INSERT INTO bd4 VALUES (5, 'c', 50)", "ERROR 23505"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'bd4' ORDER BY indexname", "bd4_n\nbd4_v\nSELECT 2"},
	// ROLLBACK TO a savepoint from before an index drops it; the rows then take a unique index once their
	// duplicate is gone.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd5 (id int4 PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO bd5 VALUES (1, 'a'), (2, 'a')", "INSERT 0 2"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"CREATE UNIQUE INDEX bd5_v ON bd5 (v)", "ERROR 23505"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"DELETE FROM bd5 WHERE id = 2", "DELETE 1"},
	{"CREATE UNIQUE INDEX bd5_v ON bd5 (v)", "CREATE INDEX"},
	{"SAVEPOINT b", "SAVEPOINT"},
	{"CREATE INDEX bd5_id_v ON bd5 (id, v)", "CREATE INDEX"},
	{"ROLLBACK TO b", "ROLLBACK"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'bd5' ORDER BY indexname", "bd5_pkey\nbd5_v\nSELECT 2"},
	{"INSERT INTO bd5 VALUES (3, 'b')", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT id, v FROM bd5 ORDER BY id", "1|a\n3|b\nSELECT 2"},
	{"INSERT INTO bd5 VALUES (2, 'a')", "ERROR 23505"},
	// ROLLBACK TO a savepoint from before a table's creation takes the table away; the block goes on.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bd7 (id int4 PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO bd7 VALUES (1)", "INSERT 0 1"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"CREATE TABLE bd8 (id serial PRIMARY KEY, v text UNIQUE)", "CREATE TABLE"},
	{"INSERT INTO bd8 (v) VALUES ('a')", "INSERT 0 1"},
	{"CREATE INDEX bd8_id_v ON bd8 (id, v)", "CREATE INDEX"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"SELECT * FROM bd8", "ERROR 42P01"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"SELECT nextval('bd8_id_seq')", "ERROR 42P01"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"CREATE TABLE bd8 (id int4 PRIMARY KEY, w int4)", "CREATE TABLE"},
	{"INSERT INTO bd8 VALUES (1, 5)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM bd8", "1|5\nSELECT 1"},
	{"SELECT * FROM bd7", "1\nSELECT 1"},
	{"SELECT count(*) FROM information_schema.tables WHERE table_name IN ('bd7', 'bd8')", "2\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"CREATE TABLE bd9 (id int4 PRIMARY KEY)", "CREATE TABLE"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM bd9", "ERROR 42P01"},
	{"DROP TABLE bd0", "DROP TABLE"},
	{"DROP TABLE bd1", "DROP TABLE"},
	{"DROP TABLE bd4", "DROP TABLE"},
	{"DROP TABLE bd5", "DROP TABLE"},
	{"DROP TABLE bd7", "DROP TABLE"},
	{"DROP TABLE bd8", "DROP TABLE"},
	// A unique constraint added to a table the block made, as Knex's migrations add them.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bdu (id int4 PRIMARY KEY, e text)", "CREATE TABLE"},
	{"ALTER TABLE bdu ADD CONSTRAINT bdu_e_unique UNIQUE (e)", "ALTER TABLE"},
	{"INSERT INTO bdu VALUES (1, 'a')", "INSERT 0 1"},
	{"INSERT INTO bdu VALUES (2, 'a')", "ERROR 23505"},
	{"COMMIT", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bdu (id int4 PRIMARY KEY, e text)", "CREATE TABLE"},
	{"ALTER TABLE bdu ADD CONSTRAINT bdu_e_unique UNIQUE (e)", "ALTER TABLE"},
	{"INSERT INTO bdu VALUES (1, 'a')", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"INSERT INTO bdu VALUES (2, 'a')", "ERROR 23505"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'bdu' ORDER BY 1", "bdu_e_unique\nbdu_pkey\nSELECT 2"},
	{"DROP TABLE bdu", "DROP TABLE"},
	// The same constraint added after the block wrote rows: the unique index is built over them.
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bdu (id int4 PRIMARY KEY, e text)", "CREATE TABLE"},
	{"INSERT INTO bdu VALUES (1, 'a'), (2, 'a')", "INSERT 0 2"},
	{"ALTER TABLE bdu ADD CONSTRAINT bdu_e_unique UNIQUE (e)", "ERROR 23505"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bdu (id int4 PRIMARY KEY, e text)", "CREATE TABLE"},
	{"INSERT INTO bdu VALUES (1, 'a'), (2, 'b')", "INSERT 0 2"},
	{"ALTER TABLE bdu ADD CONSTRAINT bdu_e_unique UNIQUE (e)", "ALTER TABLE"},
	{"COMMIT", "COMMIT"},
	{"INSERT INTO bdu VALUES (3, 'b')", "ERROR 23505"},
	{"DROP TABLE bdu", "DROP TABLE"},
	// A serial column of a table whose name needs quotes, made in a block as Prisma's migrations make them.
	{"BEGIN", "BEGIN"},
	{`CREATE TABLE "BdUser" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "BdUser_pkey" PRIMARY KEY ("id"))`, "CREATE TABLE"},
	{`CREATE UNIQUE INDEX "BdUser_email_key" ON "BdUser"("email")`, "CREATE INDEX"},
	{"COMMIT", "COMMIT"},
	{`INSERT INTO "BdUser" (email) VALUES ('a@example.com'), ('b@example.com') RETURNING id`, "1\n2\nINSERT 0 2"},
	{`SELECT column_default FROM information_schema.columns WHERE table_name = 'BdUser' AND column_name = 'id'`, `nextval('"BdUser_id_seq"'::regclass)` + "\nSELECT 1"},
	{`INSERT INTO "BdUser" (email) VALUES ('a@example.com')`, "ERROR 23505"},
	{`DROP TABLE "BdUser"`, "DROP TABLE"},
	// ALTER COLUMN ... TYPE in a block (Django's AlterField): the rows converted in the block's transaction.
	{"CREATE TABLE atm (id int PRIMARY KEY, name varchar(10), n int, code text UNIQUE)", "CREATE TABLE"},
	{"INSERT INTO atm VALUES (1, 'abc', 5, 'x'), (2, 'de', 7, 'y')", "INSERT 0 2"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE atm ALTER COLUMN name TYPE varchar(200)", "ALTER TABLE"},
	{"ALTER TABLE atm ALTER COLUMN n TYPE bigint", "ALTER TABLE"},
	{"ALTER TABLE atm ALTER COLUMN n TYPE text", "ALTER TABLE"},
	{"SELECT id, name, n FROM atm ORDER BY id", "1|abc|5\n2|de|7\nSELECT 2"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_name = 'atm' ORDER BY ordinal_position", "id|integer|\nname|character varying|10\nn|integer|\ncode|text|\nSELECT 4"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE atm ALTER COLUMN name TYPE varchar(200)", "ALTER TABLE"},
	{"INSERT INTO atm VALUES (3, 'a long name beyond ten', 1, 'z')", "INSERT 0 1"},
	{"ALTER TABLE atm ALTER COLUMN code TYPE varchar(5)", "ALTER TABLE"},
	{"COMMIT", "COMMIT"},
	{"SELECT id, name, code FROM atm ORDER BY id", "1|abc|x\n2|de|y\n3|a long name beyond ten|z\nSELECT 3"},
	{"INSERT INTO atm VALUES (4, 'q', 1, 'x')", "ERROR 23505"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE atm ALTER COLUMN name TYPE varchar(3)", "ERROR 22001"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_name = 'atm' ORDER BY ordinal_position", "id|integer|\nname|character varying|200\nn|integer|\ncode|character varying|5\nSELECT 4"},
	{"DROP TABLE atm", "DROP TABLE"},
	// CREATE INDEX on a table from before the block: built at once, dropped when the block rolls back.
	{"CREATE TABLE cie (id int PRIMARY KEY, v text, w int)", "CREATE TABLE"},
	{"INSERT INTO cie VALUES (1, 'a', 1), (2, 'b', 1)", "INSERT 0 2"},
	{"BEGIN", "BEGIN"},
	{"CREATE INDEX cie_v ON cie (v)", "CREATE INDEX"},
	{"INSERT INTO cie VALUES (3, 'c', 2)", "INSERT 0 1"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'cie' ORDER BY 1", "cie_pkey\ncie_v\nSELECT 2"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'cie' ORDER BY 1", "cie_pkey\nSELECT 1"},
	{"SELECT count(*) FROM cie", "2\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"CREATE INDEX cie_v ON cie (v)", "CREATE INDEX"},
	{"CREATE UNIQUE INDEX cie_w_u ON cie (w)", "ERROR 23505"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'cie' ORDER BY 1", "cie_pkey\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"CREATE INDEX cie_v ON cie (v)", "CREATE INDEX"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"CREATE INDEX cie_w ON cie (w)", "CREATE INDEX"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"UPDATE cie SET v = 'z' WHERE id = 1", "UPDATE 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'cie' ORDER BY 1", "cie_pkey\ncie_v\nSELECT 2"},
	{"SELECT id FROM cie WHERE v = 'z'", "1\nSELECT 1"},
	{"DROP TABLE cie", "DROP TABLE"},
	// Checks in a block see the block's rows (SET NOT NULL, ADD FOREIGN KEY, VALIDATE CONSTRAINT after it fixed
	// them); a sequence the block dropped is gone for it; a serial value handed out before ROLLBACK TO is not
	// handed out again; TRUNCATE ... RESTART IDENTITY rolls back; a name the block dropped is free for a view.
	{"CREATE TABLE rv1 (id int PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO rv1 VALUES (1, 'a')", "INSERT 0 1"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO rv1 VALUES (2, NULL)", "INSERT 0 1"},
	{"ALTER TABLE rv1 ALTER COLUMN v SET NOT NULL", "ERROR 23502"},
	{"ROLLBACK", "ROLLBACK"},
	{"INSERT INTO rv1 VALUES (2, NULL)", "INSERT 0 1"},
	{"BEGIN", "BEGIN"},
	{"UPDATE rv1 SET v = 'b' WHERE v IS NULL", "UPDATE 1"},
	{"ALTER TABLE rv1 ALTER COLUMN v SET NOT NULL", "ALTER TABLE"},
	{"COMMIT", "COMMIT"},
	{"INSERT INTO rv1 VALUES (3, NULL)", "ERROR 23502"},
	{"CREATE TABLE rvp (id int PRIMARY KEY)", "CREATE TABLE"},
	{"CREATE TABLE rvc (id int PRIMARY KEY, p int)", "CREATE TABLE"},
	{"INSERT INTO rvc VALUES (1, 10), (2, 20)", "INSERT 0 2"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO rvp VALUES (10)", "INSERT 0 1"},
	{"UPDATE rvc SET p = NULL WHERE p = 20", "UPDATE 1"},
	{"ALTER TABLE rvc ADD CONSTRAINT rvc_p_fkey FOREIGN KEY (p) REFERENCES rvp", "ALTER TABLE"},
	{"COMMIT", "COMMIT"},
	{"INSERT INTO rvc VALUES (3, 30)", "ERROR 23503 rvc_p_fkey"},
	{"CREATE TABLE rvk (id int PRIMARY KEY, v int)", "CREATE TABLE"},
	{"INSERT INTO rvk VALUES (1, -1)", "INSERT 0 1"},
	{"ALTER TABLE rvk ADD CONSTRAINT rvk_v CHECK (v > 0) NOT VALID", "ALTER TABLE"},
	{"BEGIN", "BEGIN"},
	{"UPDATE rvk SET v = 1", "UPDATE 1"},
	{"ALTER TABLE rvk VALIDATE CONSTRAINT rvk_v", "ALTER TABLE"},
	{"COMMIT", "COMMIT"},
	{"CREATE SEQUENCE rvs", "CREATE SEQUENCE"},
	{"BEGIN", "BEGIN"},
	{"DROP SEQUENCE rvs", "DROP SEQUENCE"},
	{"SELECT nextval('rvs')", "ERROR 42P01"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT nextval('rvs')", "1\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE rvq (id serial PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO rvq (v) VALUES ('a') RETURNING id", "1\nINSERT 0 1"},
	{"SAVEPOINT sp", "SAVEPOINT"},
	{"INSERT INTO rvq (v) VALUES ('b') RETURNING id", "2\nINSERT 0 1"},
	{"ROLLBACK TO sp", "ROLLBACK"},
	{"INSERT INTO rvq (v) VALUES ('c') RETURNING id", "3\nINSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT id, v FROM rvq ORDER BY id", "1|a\n3|c\nSELECT 2"},
	{"CREATE TABLE rvt (id serial PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO rvt (v) VALUES ('a'), ('b'), ('c')", "INSERT 0 3"},
	{"BEGIN", "BEGIN"},
	{"TRUNCATE rvt RESTART IDENTITY", "TRUNCATE TABLE"},
	{"ROLLBACK", "ROLLBACK"},
	{"INSERT INTO rvt (v) VALUES ('d') RETURNING id", "4\nINSERT 0 1"},
	{"BEGIN", "BEGIN"},
	{"DROP TABLE rvt", "DROP TABLE"},
	{"CREATE VIEW rvt AS SELECT 1 AS one", "CREATE VIEW"},
	{"SELECT * FROM rvt", "1\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM rvt", "1\nSELECT 1"},
	{"DROP VIEW rvt", "DROP VIEW"},
	{"DROP TABLE rv1, rvc, rvp, rvk, rvq", "DROP TABLE"},
}

// blockUniqueSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), errors with their messages:
// a UNIQUE constraint added in a block to a table from before it (ADD COLUMN ... UNIQUE, ADD CONSTRAINT ...
// UNIQUE) holds in the block, goes with a ROLLBACK and stays with a COMMIT; a duplicate key after the block's DDL
// names its constraint.
var blockUniqueSteps = []struct{ sql, want string }{
	{"CREATE TABLE bu (id int PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO bu VALUES (1)", "INSERT 0 1"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE bu ADD COLUMN c text UNIQUE", "ALTER TABLE"},
	{"INSERT INTO bu VALUES (2, 'a')", "INSERT 0 1"},
	{"INSERT INTO bu VALUES (3, 'a')", `ERROR 23505 duplicate key value violates unique constraint "bu_c_key"`},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT (SELECT count(*) FROM information_schema.columns WHERE table_name = 'bu'), (SELECT count(*) FROM pg_indexes WHERE tablename = 'bu')", "1|1\nSELECT 1"},
	{"INSERT INTO bu VALUES (2), (3)", "INSERT 0 2"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE bu ADD CONSTRAINT bu_u UNIQUE (id)", "ALTER TABLE"},
	{"COMMIT", "COMMIT"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'bu' ORDER BY 1", "bu_pkey\nbu_u\nSELECT 2"},
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE bv (id int PRIMARY KEY, c text UNIQUE)", "CREATE TABLE"},
	{"INSERT INTO bv VALUES (1, 'a')", "INSERT 0 1"},
	{"INSERT INTO bv VALUES (2, 'a')", `ERROR 23505 duplicate key value violates unique constraint "bv_c_key"`},
	{"ROLLBACK", "ROLLBACK"},
	{"DROP TABLE bu", "DROP TABLE"},
}

// runBlockDDL runs blockDDLSteps and blockUniqueSteps on a connection. On the driver backend (MongoDB writes no
// system collection in a transaction) DDL in a block is refused with 0A000, and changes nothing.
func runBlockDDL(t *testing.T, who string, c *pgx.Conn) {
	if os.Getenv(backendEnv) == "driver" {
		runSteps(t, who, c, []struct{ sql, want string }{
			{"BEGIN", "BEGIN"},
			{"CREATE TABLE bd9 (id int4 PRIMARY KEY)", "ERROR 0A000"},
			{"ROLLBACK", "ROLLBACK"},
			{"SELECT * FROM bd9", "ERROR 42P01"},
		})
		return
	}
	runSteps(t, who, c, blockDDLSteps)
	runMessageSteps(t, who, c, blockUniqueSteps)
}

// TestBlockDDL_Isolation: what a block's DDL makes, no other session sees before the COMMIT; a table a block
// drops stays readable and writable for the others until then; statements the block cannot hold are refused
// with 0A000 and change nothing.
func TestBlockDDL_Isolation(t *testing.T) {
	if os.Getenv(backendEnv) == "driver" {
		t.Skip("MongoDB writes no system collection in a transaction")
	}
	url, _ := startServer(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	mustExec := func(c *pgx.Conn, q string) {
		t.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func(c *pgx.Conn, table string) (int64, string) {
		t.Helper()
		var n int64
		err := c.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
		return n, sqlState(err)
	}

	mustExec(a, "BEGIN")
	mustExec(a, "CREATE TABLE iso1 (id int8 PRIMARY KEY, v text)")
	mustExec(a, "INSERT INTO iso1 VALUES (1, 'a'), (2, 'b')")
	if _, code := count(b, "iso1"); code != "42P01" {
		t.Fatalf("another session read the uncommitted table: %q, want 42P01", code)
	}
	var listed int64
	if err := b.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'iso1'").Scan(&listed); err != nil || listed != 0 {
		t.Fatalf("another session lists the uncommitted table: %d (%v)", listed, err)
	}
	if n, code := count(a, "iso1"); n != 2 || code != "" {
		t.Fatalf("the block reads %d rows (%s) of its table, want 2", n, code)
	}
	mustExec(a, "COMMIT")
	if n, code := count(b, "iso1"); n != 2 || code != "" {
		t.Fatalf("after COMMIT another session reads %d rows (%s), want 2", n, code)
	}

	mustExec(a, "BEGIN")
	mustExec(a, "DROP TABLE iso1")
	if _, code := count(a, "iso1"); code != "42P01" {
		t.Fatalf("the block still reads the table it dropped: %q", code)
	}
	mustExec(b, "INSERT INTO iso1 VALUES (3, 'c')")
	if n, code := count(b, "iso1"); n != 3 || code != "" {
		t.Fatalf("before the dropping block commits, another session reads %d rows (%s), want 3", n, code)
	}
	mustExec(a, "ROLLBACK")
	if n, code := count(a, "iso1"); n != 3 || code != "" {
		t.Fatalf("after ROLLBACK of DROP TABLE: %d rows (%s), want 3", n, code)
	}
	mustExec(a, "BEGIN")
	mustExec(a, "DROP TABLE iso1")
	mustExec(a, "COMMIT")
	if _, code := count(b, "iso1"); code != "42P01" {
		t.Fatalf("after the drop's COMMIT: %q, want 42P01", code)
	}
	var colls int64
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_class WHERE relname = 'iso1'").Scan(&colls); err != nil || colls != 0 {
		t.Fatalf("the dropped table's collection is still listed: %d (%v)", colls, err)
	}

	// Refused in a block, or rolled back, and nothing changed: the index stays, no index appears, the table keeps
	// its name and its columns.
	mustExec(a, "CREATE TABLE iso2 (id int8 PRIMARY KEY, v text)")
	mustExec(a, "CREATE INDEX iso2_v ON iso2 (v)")
	indexes := func() string {
		t.Helper()
		var s string
		if err := b.QueryRow(ctx, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'iso2'").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := indexes()
	for _, q := range []string{
		"DROP INDEX iso2_v",
		"ALTER TABLE iso2 RENAME TO iso3",
		"ALTER TABLE iso2 RENAME COLUMN v TO w",
	} {
		mustExec(a, "BEGIN")
		_, err := a.Exec(ctx, q)
		if sqlState(err) != "0A000" {
			t.Errorf("%s in a block: %v, want 0A000", q, err)
		}
		if _, err := a.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
			t.Errorf("after the refused %s the block goes on: %v, want 25P02", q, err)
		}
		mustExec(a, "ROLLBACK")
	}
	// Run in a block and rolled back: the column and its index stay.
	for _, q := range []string{
		"ALTER TABLE iso2 ADD COLUMN n numeric(5, 2)",
		"ALTER TABLE iso2 ADD COLUMN c int4 CHECK (c > 0)",
		"ALTER TABLE iso2 DROP COLUMN v",
	} {
		mustExec(a, "BEGIN")
		mustExec(a, q)
		mustExec(a, "ROLLBACK")
	}
	if after := indexes(); after != before {
		t.Errorf("indexes after the refused and rolled back statements: %q, want %q", after, before)
	}
	if n, code := count(b, "iso2"); n != 0 || code != "" {
		t.Errorf("iso2 after the refused statements: %d rows (%s)", n, code)
	}
	// An index on a table from before the block, after the block wrote to it: refused, nothing built.
	mustExec(a, "BEGIN")
	mustExec(a, "INSERT INTO iso2 VALUES (7, 'x')")
	if _, err := a.Exec(ctx, "CREATE INDEX iso2_v2 ON iso2 (v, id)"); sqlState(err) != "0A000" {
		t.Errorf("CREATE INDEX after the block wrote to the table: %v, want 0A000", err)
	}
	mustExec(a, "ROLLBACK")
	mustExec(a, "BEGIN")
	mustExec(a, "INSERT INTO iso2 VALUES (7, 'x')")
	if _, err := a.Exec(ctx, "ALTER TABLE iso2 ADD CONSTRAINT iso2_u UNIQUE (v)"); sqlState(err) != "0A000" {
		t.Errorf("ADD UNIQUE after the block wrote to the table: %v, want 0A000", err)
	}
	mustExec(a, "ROLLBACK")
	if after := indexes(); after != before {
		t.Errorf("indexes after the refused CREATE INDEX: %q, want %q", after, before)
	}
	// An index on a table the block made, after the block wrote rows to it: built over them, seen by no one
	// else before the COMMIT, and the plan's from then on.
	mustExec(a, "BEGIN")
	mustExec(a, "CREATE TABLE iso4 (id int8 PRIMARY KEY, v text)")
	mustExec(a, "INSERT INTO iso4 SELECT g, 'v' || g FROM generate_series(1, 50) g")
	mustExec(a, "CREATE UNIQUE INDEX iso4_v ON iso4 (v)")
	var listedIdx int64
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_indexes WHERE indexname = 'iso4_v'").Scan(&listedIdx); err != nil || listedIdx != 0 {
		t.Fatalf("another session lists the uncommitted index: %d (%v)", listedIdx, err)
	}
	plan := func(c *pgx.Conn) string {
		t.Helper()
		rows, err := c.Query(ctx, "EXPLAIN SELECT id FROM iso4 WHERE v = 'v7'")
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(lines) == 0 {
			t.Fatalf("EXPLAIN: %v (%v)", lines, err)
		}
		return lines[0]
	}
	if p := plan(a); p != "Index Scan using iso4_v on iso4" {
		t.Errorf("the block's plan: %q, want its index", p)
	}
	mustExec(a, "COMMIT")
	if p := plan(b); p != "Index Scan using iso4_v on iso4" {
		t.Errorf("the plan after the COMMIT: %q, want the block's index", p)
	}
	if _, err := b.Exec(ctx, "INSERT INTO iso4 VALUES (51, 'v7')"); sqlState(err) != "23505" {
		t.Errorf("insert of a key the block's rows hold: %v, want 23505", err)
	}
	// ADD PRIMARY KEY on a table the block created writes the rows again in the block's transaction: no one
	// else sees the table before the COMMIT, and the key holds after it.
	mustExec(a, "BEGIN")
	mustExec(a, "CREATE TABLE iso5 (id int8 NOT NULL, v text)")
	mustExec(a, "INSERT INTO iso5 VALUES (1, 'a'), (2, 'b')")
	mustExec(a, "ALTER TABLE iso5 ADD PRIMARY KEY (id)")
	var seen int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'iso5'").Scan(&seen); err != nil || seen != 0 {
		t.Errorf("another session lists the block's keyed table: %d, %v", seen, err)
	}
	mustExec(a, "COMMIT")
	if _, err := b.Exec(ctx, "INSERT INTO iso5 VALUES (2, 'c')"); sqlState(err) != "23505" {
		t.Errorf("insert of a key the block's rows hold after the COMMIT: %v, want 23505", err)
	}
}

// TestBlockDDL_ConcurrentCreate: blocks creating the same table at once, each inserting its own row: exactly
// one commits, the table holds exactly its row, and every other block fails (42P07 or 40001) leaving nothing.
func TestBlockDDL_ConcurrentCreate(t *testing.T) {
	if os.Getenv(backendEnv) == "driver" {
		t.Skip("MongoDB writes no system collection in a transaction")
	}
	url, _ := startServer(t)
	ctx := context.Background()
	const n = 8
	conns := make([]*pgx.Conn, n)
	for i := range conns {
		conns[i] = connect(t, url)
	}
	for round := 0; round < 3; round++ {
		table := fmt.Sprintf("race%d", round)
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx, err := c.Begin(ctx)
				if err != nil {
					errs[i] = err
					return
				}
				defer tx.Rollback(ctx)
				if _, err := tx.Exec(ctx, "CREATE TABLE "+table+" (id int8 PRIMARY KEY, who int4)"); err != nil {
					errs[i] = fmt.Errorf("CREATE TABLE: %w", err)
					return
				}
				if _, err := tx.Exec(ctx, "INSERT INTO "+table+" VALUES (1, $1)", i); err != nil {
					errs[i] = fmt.Errorf("INSERT: %w", err)
					return
				}
				if err := tx.Commit(ctx); err != nil {
					errs[i] = fmt.Errorf("COMMIT: %w", err)
				}
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch code := sqlState(err); {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: blocks %d and %d both committed", round, winner, i)
			case err == nil:
				winner = i
			case code != "42P07" && code != "40001":
				t.Fatalf("round %d: block %d: %v, want 42P07 or 40001; all: %v", round, i, err, errs)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no block committed: %v", round, errs)
		}
		rows, err := conns[0].Query(ctx, "SELECT who FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil || len(got) != 1 || int(got[0]) != winner {
			t.Fatalf("round %d: rows %v (%v), want the winner's %d alone", round, got, err, winner)
		}
	}
}

// TestBlockDDL_ConcurrentCatalogChange: a statement that changes a table's definition while a block's change of
// it is uncommitted waits for the block and then fails with 40001, rather than putting back what the block
// committed; run again, it applies to the table as the block left it. And nextval of a sequence another block
// created and has not committed is 42P01 at once (no wait, so two such blocks cannot deadlock).
func TestBlockDDL_ConcurrentCatalogChange(t *testing.T) {
	if os.Getenv(backendEnv) == "driver" {
		t.Skip("MongoDB writes no system collection in a transaction")
	}
	url, _ := startServer(t)
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	for _, q := range []string{
		"CREATE TABLE cc (id int4 PRIMARY KEY, v text)",
		"INSERT INTO cc VALUES (1, 'a')",
		"BEGIN",
		"ALTER TABLE cc ALTER COLUMN v SET NOT NULL",
	} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "COMMENT ON TABLE cc IS 'hello'")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("COMMENT did not wait for the block's change of the table: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := a.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; sqlState(err) != "40001" {
		t.Fatalf("COMMENT after the block committed: %v, want 40001", err)
	}
	if _, err := b.Exec(ctx, "COMMENT ON TABLE cc IS 'hello'"); err != nil {
		t.Fatalf("COMMENT run again: %v", err)
	}
	if _, err := b.Exec(ctx, "INSERT INTO cc VALUES (2, NULL)"); sqlState(err) != "23502" {
		t.Fatalf("the block's NOT NULL after the COMMENT: %v, want 23502", err)
	}
	var comment string
	if err := b.QueryRow(ctx, "SELECT obj_description('cc'::regclass, 'pg_class')").Scan(&comment); err != nil || comment != "hello" {
		t.Fatalf("comment %q (%v)", comment, err)
	}

	for _, q := range []string{"BEGIN", "CREATE SEQUENCE cc_a"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"BEGIN", "CREATE SEQUENCE cc_b"} {
		if _, err := b.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := b.Exec(tctx, "SELECT nextval('cc_a')"); sqlState(err) != "42P01" {
		t.Fatalf("nextval of another block's uncommitted sequence: %v, want 42P01 at once", err)
	}
	if _, err := a.Exec(tctx, "SELECT nextval('cc_b')"); sqlState(err) != "42P01" {
		t.Fatalf("nextval of another block's uncommitted sequence: %v, want 42P01 at once", err)
	}
	for _, c := range []*pgx.Conn{a, b} {
		if _, err := c.Exec(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBlockDDL_ConcurrentIndexes: blocks at once, each creating its own table, filling it and then indexing it
// (pg_dump's order); every other block's rows repeat a key, so its unique index fails the block with 23505 and
// leaves nothing. The others commit tables whose indexes hold every row and are enforced. Run under -race.
func TestBlockDDL_ConcurrentIndexes(t *testing.T) {
	if os.Getenv(backendEnv) == "driver" {
		t.Skip("MongoDB writes no system collection in a transaction")
	}
	url, _ := startServer(t)
	ctx := context.Background()
	const n, rows = 6, 40
	conns := make([]*pgx.Conn, n)
	for i := range conns {
		conns[i] = connect(t, url)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			table := fmt.Sprintf("cidx%d", i)
			tx, err := c.Begin(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			defer tx.Rollback(ctx)
			last := "g"
			if i%2 == 1 {
				last = "1" // the last row repeats the first one's key
			}
			for _, q := range []string{
				"CREATE TABLE " + table + " (id int4 NOT NULL, k int4, g int4)",
				"INSERT INTO " + table + " SELECT g, g, g % 4 FROM generate_series(1, " + fmt.Sprint(rows-1) + ") g",
				"INSERT INTO " + table + " VALUES (" + fmt.Sprint(rows) + ", " + strings.ReplaceAll(last, "g", fmt.Sprint(rows)) + ", 0)",
				"CREATE INDEX " + table + "_g ON " + table + " (g)",
				"CREATE UNIQUE INDEX " + table + "_k ON " + table + " (k)",
				"CREATE UNIQUE INDEX " + table + "_id ON " + table + " (id)",
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					errs[i] = fmt.Errorf("%s: %w", q, err)
					return
				}
			}
			errs[i] = tx.Commit(ctx)
		}()
	}
	wg.Wait()
	check := conns[0]
	for i, err := range errs {
		table := fmt.Sprintf("cidx%d", i)
		var tables int64
		if err := check.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = $1", table).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if sqlState(err) != "23505" || tables != 0 {
				t.Errorf("block %d: %v, %d tables; want 23505 and no table", i, err, tables)
			}
			continue
		}
		if err != nil || tables != 1 {
			t.Errorf("block %d: %v, %d tables; want committed", i, err, tables)
			continue
		}
		var indexed int64
		if err := check.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE k >= 1").Scan(&indexed); err != nil || indexed != rows {
			t.Errorf("block %d: %d rows through the index (%v), want %d", i, indexed, err, rows)
		}
		if _, err := check.Exec(ctx, "INSERT INTO "+table+" VALUES (0, 7, 0)"); sqlState(err) != "23505" {
			t.Errorf("block %d: insert of a held key: %v, want 23505", i, err)
		}
		var idx string
		if err := check.QueryRow(ctx, "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = $1", table).Scan(&idx); err != nil ||
			idx != table+"_g,"+table+"_id,"+table+"_k" {
			t.Errorf("block %d: indexes %q (%v)", i, idx, err)
		}
	}
}
