package pgserver_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maintenanceSteps run in order on one connection against Concord and PostgreSQL 15 (TestCompare_PostgreSQL):
// VACUUM and ANALYZE, which Concord checks and answers as PostgreSQL does. A step's want ends with the warnings
// the statement sent, each as " WARNING code message".
var maintenanceSteps = []struct{ sql, want string }{
	{"CREATE TABLE vac (id int PRIMARY KEY, name text)", "CREATE TABLE"},
	{"CREATE VIEW vacv AS SELECT id FROM vac", "CREATE VIEW"},
	{"VACUUM", "VACUUM"},
	{"VACUUM vac", "VACUUM"},
	{"VACUUM FULL ANALYZE vac", "VACUUM"},
	{"VACUUM (ANALYZE, VERBOSE false, SKIP_LOCKED) vac (id, name)", "VACUUM"},
	{"VACUUM (ANALYZE off) vac (id)", "ERROR 0A000"},
	{"VACUUM vac (id)", "ERROR 0A000"},
	{"VACUUM (bogus) vac", "ERROR 42601"},
	{"VACUUM (PARALLEL) vac", "ERROR 42601"},
	{"VACUUM (PARALLEL 2) vac", "VACUUM"},
	{"VACUUM nosuch", "ERROR 42P01"},
	{"VACUUM public.vac, vac", "VACUUM"},
	{"VACUUM vacv", `VACUUM WARNING 01000 skipping "vacv" --- cannot vacuum non-tables or special system tables`},
	{"ANALYZE", "ANALYZE"},
	{"ANALYZE vac (name)", "ANALYZE"},
	{"ANALYZE vac (nosuch)", "ERROR 42703"},
	{"ANALYZE vac (id, id)", "ERROR 42701"},
	{"ANALYZE (verbose false) vac", "ANALYZE"},
	{"ANALYZE (freeze) vac", "ERROR 42601"},
	{"ANALYZE vacv", `ANALYZE WARNING 01000 skipping "vacv" --- cannot analyze non-tables or special system tables`},
	{"VACUUM (PARALLEL -1) vac", "ERROR 42601"},
	{"VACUUM (PARALLEL 2000) vac", "ERROR 42601"},
	{"VACUUM (PARALLEL 'x') vac", "ERROR 42601"},
	{"VACUUM (VERBOSE foo) vac", "ERROR 42601"},
	{"VACUUM (VERBOSE 2) vac", "ERROR 42601"},
	{"VACUUM (INDEX_CLEANUP maybe) vac", "ERROR 42601"},
	{"VACUUM (INDEX_CLEANUP auto, TRUNCATE off, VERBOSE 0, FREEZE on) vac", "VACUUM"},
	{"VACUUM (ANALYZE 'x') vac (id)", "ERROR 42601"},
	{"VACUUM (FULL, PARALLEL 1) vac", "ERROR 0A000"},
	{"VACUUM (DISABLE_PAGE_SKIPPING, FULL) vac", "ERROR 0A000"},
	{"VACUUM (PROCESS_TOAST false, FULL) vac", "ERROR 0A000"},
	{"VACUUM pg_class", "VACUUM"},
	{"VACUUM pg_catalog.pg_class", "VACUUM"},
	{"ANALYZE pg_indexes", `ANALYZE WARNING 01000 skipping "pg_indexes" --- cannot analyze non-tables or special system tables`},
	{"BEGIN", "BEGIN"},
	{"ANALYZE vac", "ANALYZE"},
	{"VACUUM vac", "ERROR 25001"},
	{"ROLLBACK", "ROLLBACK"},
	{"DROP VIEW vacv", "DROP VIEW"},
	{"DROP TABLE vac", "DROP TABLE"},
}

// runMaintenance runs maintenanceSteps on a new connection to url, and checks that VACUUM in a multi-statement
// query, an implicit transaction block, fails as PostgreSQL's does.
func runMaintenance(t *testing.T, who, url string) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	var notices string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices += " " + n.Severity + " " + n.Code + " " + n.Message
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, s := range append(maintenanceSteps, noticeSteps...) {
		notices = ""
		got, err := renderSimple(c, s.sql, nil)
		if err != nil {
			got = "ERROR " + sqlState(err)
		}
		if got += notices; got != s.want {
			t.Errorf("%s: %s\n got: %q (%v)\nwant: %q", who, s.sql, got, err, s.want)
		}
	}
	if _, err := c.PgConn().Exec(ctx, "SELECT 1; VACUUM").ReadAll(); sqlState(err) != "25001" {
		t.Errorf("%s: VACUUM in a multi-statement query: %v, want 25001", who, err)
	}
}

// noticeSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), as maintenanceSteps: the notices of
// DROP ... IF EXISTS naming nothing and of CREATE INDEX IF NOT EXISTS naming a relation, and index names shared
// with tables (42P07, a default name numbered).
var noticeSteps = []struct{ sql, want string }{
	{"DROP TABLE IF EXISTS nt_none", `DROP TABLE NOTICE 00000 table "nt_none" does not exist, skipping`},
	{"DROP VIEW IF EXISTS nt_none", `DROP VIEW NOTICE 00000 view "nt_none" does not exist, skipping`},
	{"DROP INDEX IF EXISTS nt_none", `DROP INDEX NOTICE 00000 index "nt_none" does not exist, skipping`},
	{"CREATE TABLE vc (id int PRIMARY KEY, a int, b int)", "CREATE TABLE"},
	{"CREATE TABLE vo (k int PRIMARY KEY, z int)", "CREATE TABLE"},
	{"INSERT INTO vc VALUES (1, 10, 20)", "INSERT 0 1"},
	{"INSERT INTO vo VALUES (1, 5)", "INSERT 0 1"},
	{"CREATE VIEW vcv AS SELECT id, a, vc.b FROM vc WHERE a > 0", "CREATE VIEW"},
	{"CREATE VIEW vcj AS SELECT x.id, a, z FROM vc x JOIN vo ON vo.k = x.id", "CREATE VIEW"},
	{"ALTER TABLE vc RENAME COLUMN a TO aa", "ALTER TABLE"},
	{"SELECT * FROM vcv", "1|10|20\nSELECT 1"},
	{"SELECT * FROM vcj", "1|10|5\nSELECT 1"},
	{"ALTER TABLE vc DROP COLUMN aa", "ERROR 2BP01"},
	{"ALTER TABLE vc DROP COLUMN b", "ERROR 2BP01"},
	{"ALTER TABLE vc DROP COLUMN b CASCADE", "ALTER TABLE NOTICE 00000 drop cascades to view vcv"},
	{"SELECT relname FROM pg_class WHERE relname IN ('vcv', 'vcj')", "vcj\nSELECT 1"},
	{"DROP TABLE vc CASCADE", "DROP TABLE NOTICE 00000 drop cascades to view vcj"},
	{"DROP TABLE vo", "DROP TABLE"},
	{"CREATE TABLE nt (id int PRIMARY KEY, a int)", "CREATE TABLE"},
	{"CREATE TABLE nt2 (id int PRIMARY KEY, a int)", "CREATE TABLE"},
	{"CREATE INDEX nt_i ON nt (a)", "CREATE INDEX"},
	{"CREATE INDEX nt_i ON nt2 (a)", "ERROR 42P07"},
	{"CREATE INDEX nt2 ON nt (a)", "ERROR 42P07"},
	{"CREATE INDEX IF NOT EXISTS nt_i ON nt (a)", `CREATE INDEX NOTICE 42P07 relation "nt_i" already exists, skipping`},
	{"CREATE TABLE nt_i (id int)", "ERROR 42P07"},
	{"CREATE TABLE IF NOT EXISTS nt (id int)", `CREATE TABLE NOTICE 42P07 relation "nt" already exists, skipping`},
	{"CREATE TABLE IF NOT EXISTS nt (id int, id int)", `CREATE TABLE NOTICE 42P07 relation "nt" already exists, skipping`},
	{"CREATE TABLE IF NOT EXISTS nt_i (id int)", `CREATE TABLE NOTICE 42P07 relation "nt_i" already exists, skipping`},
	{"CREATE SEQUENCE nt_s", "CREATE SEQUENCE"},
	{"CREATE TABLE IF NOT EXISTS nt_s (id int)", `CREATE TABLE NOTICE 42P07 relation "nt_s" already exists, skipping`},
	{"CREATE TABLE nt_s (id int)", "ERROR 42P07"},
	{"DROP SEQUENCE nt_s", "DROP SEQUENCE"},
	{"ALTER TABLE nt ADD COLUMN IF NOT EXISTS a int", `ALTER TABLE NOTICE 42701 column "a" of relation "nt" already exists, skipping`},
	{"ALTER TABLE nt DROP COLUMN IF EXISTS nt_none", `ALTER TABLE NOTICE 00000 column "nt_none" of relation "nt" does not exist, skipping`},
	{"SELECT count(*) FROM nt", "0\nSELECT 1"},
	{"CREATE VIEW nt_pkey AS SELECT 1", "ERROR 42P07"},
	{"ALTER TABLE nt2 RENAME TO nt_i", "ERROR 42P07"},
	{"CREATE TABLE rgx (id int PRIMARY KEY)", "CREATE TABLE"},
	{"SELECT ' RGX '::regclass, '\"public\".\"rgx\"'::regclass, 'public.RGX'::regclass", "rgx|rgx|rgx\nSELECT 1"},
	{"SELECT 'rgx_none'::regclass", "ERROR 42P01"},
	{"SELECT '\"rgx'::regclass", "ERROR 42602"},
	{"DROP TABLE rgx", "DROP TABLE"},
	{"INSERT INTO nt2 VALUES (5, 1), (6, 1)", "INSERT 0 2"},
	{"CREATE UNIQUE INDEX nt2_au ON nt2 (a)", "ERROR 23505"},
	{"DELETE FROM nt2", "DELETE 2"},
	{"CREATE INDEX ON nt (a DESC)", "CREATE INDEX"},
	{"CREATE TABLE nt_id_a_idx (id int)", "CREATE TABLE"},
	{"CREATE INDEX ON nt (id, a)", "CREATE INDEX"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'nt' ORDER BY 1", "nt_a_idx\nnt_i\nnt_id_a_idx1\nnt_pkey\nSELECT 4"},
	{"DROP TABLE nt_id_a_idx", "DROP TABLE"},
	// Views depend on what they read: a DROP stops (2BP01) or cascades, a rename carries them along.
	{"INSERT INTO nt VALUES (1, 10)", "INSERT 0 1"},
	{"CREATE VIEW ntv AS SELECT nt.id, a FROM nt WHERE nt.a > 0", "CREATE VIEW"},
	{"CREATE VIEW ntw AS SELECT id FROM ntv", "CREATE VIEW"},
	{"DROP TABLE nt", "ERROR 2BP01"},
	{"DROP VIEW ntv", "ERROR 2BP01"},
	{"ALTER TABLE nt RENAME TO nt3", "ALTER TABLE"},
	{"SELECT * FROM ntw", "1\nSELECT 1"},
	{"SELECT id, a FROM ntv", "1|10\nSELECT 1"},
	{"ALTER VIEW ntv RENAME TO ntv2", "ALTER VIEW"},
	{"SELECT * FROM ntw", "1\nSELECT 1"},
	{"DROP VIEW ntv2, ntw", "DROP VIEW"},
	{"CREATE VIEW ntv AS SELECT id FROM nt3", "CREATE VIEW"},
	{"CREATE VIEW ntw AS SELECT id FROM ntv", "CREATE VIEW"},
	{"DROP TABLE nt3 CASCADE", "DROP TABLE NOTICE 00000 drop cascades to 2 other objects"},
	{"SELECT count(*) FROM pg_class WHERE relname IN ('ntv', 'ntw', 'nt3')", "0\nSELECT 1"},
	{"CREATE TABLE vc (id int PRIMARY KEY, a int, b int)", "CREATE TABLE"},
	{"CREATE TABLE vo (k int PRIMARY KEY, z int)", "CREATE TABLE"},
	{"INSERT INTO vc VALUES (1, 10, 20)", "INSERT 0 1"},
	{"INSERT INTO vo VALUES (1, 5)", "INSERT 0 1"},
	{"CREATE VIEW vcv AS SELECT id, a, vc.b FROM vc WHERE a > 0", "CREATE VIEW"},
	{"CREATE VIEW vcj AS SELECT x.id, a, z FROM vc x JOIN vo ON vo.k = x.id", "CREATE VIEW"},
	{"ALTER TABLE vc RENAME COLUMN a TO aa", "ALTER TABLE"},
	{"SELECT * FROM vcv", "1|10|20\nSELECT 1"},
	{"SELECT * FROM vcj", "1|10|5\nSELECT 1"},
	{"ALTER TABLE vc DROP COLUMN aa", "ERROR 2BP01"},
	{"ALTER TABLE vc DROP COLUMN b", "ERROR 2BP01"},
	{"ALTER TABLE vc DROP COLUMN b CASCADE", "ALTER TABLE NOTICE 00000 drop cascades to view vcv"},
	{"SELECT relname FROM pg_class WHERE relname IN ('vcv', 'vcj')", "vcj\nSELECT 1"},
	{"DROP TABLE vc CASCADE", "DROP TABLE NOTICE 00000 drop cascades to view vcj"},
	{"DROP TABLE vo", "DROP TABLE"},
	{"CREATE TABLE nt (id int PRIMARY KEY, a int)", "CREATE TABLE"},
	{"DROP TABLE nt", "DROP TABLE"},
	{"DROP TABLE nt2", "DROP TABLE"},
	// Sequences as migrations and pg_dump write them, extensions Concord has built in, the public schema.
	{"CREATE SEQUENCE sq1", "CREATE SEQUENCE"},
	{"SELECT nextval('sq1'), nextval('sq1'), currval('sq1')", "1|2|2\nSELECT 1"},
	{"CREATE SEQUENCE sq1", "ERROR 42P07"},
	{"CREATE SEQUENCE IF NOT EXISTS sq1", `CREATE SEQUENCE NOTICE 42P07 relation "sq1" already exists, skipping`},
	{"CREATE SEQUENCE public.sq2 AS integer START WITH 100 INCREMENT BY 5 NO MINVALUE NO MAXVALUE CACHE 1", "CREATE SEQUENCE"},
	{"SELECT nextval('sq2'), nextval('public.sq2'::regclass)", "100|105\nSELECT 1"},
	{"ALTER SEQUENCE sq2 RESTART WITH 7", "ALTER SEQUENCE"},
	{"SELECT nextval('sq2')", "7\nSELECT 1"},
	{"ALTER SEQUENCE sq2 INCREMENT BY 2", "ALTER SEQUENCE"},
	{"SELECT nextval('sq2')", "9\nSELECT 1"},
	{"SELECT setval('sq2', 50, false), nextval('sq2'), nextval('sq2')", "50|50|52\nSELECT 1"},
	{"CREATE SEQUENCE sq3 INCREMENT -1 MINVALUE 1 MAXVALUE 3 START 3", "CREATE SEQUENCE"},
	{"SELECT nextval('sq3'), nextval('sq3'), nextval('sq3')", "3|2|1\nSELECT 1"},
	{"SELECT nextval('sq3')", "ERROR 2200H"},
	{"CREATE SEQUENCE sq4 MAXVALUE 2", "CREATE SEQUENCE"},
	{"SELECT nextval('sq4'), nextval('sq4')", "1|2\nSELECT 1"},
	{"SELECT nextval('sq4')", "ERROR 2200H"},
	{"SELECT setval('sq4', 5)", "ERROR 22003"},
	{"CREATE SEQUENCE sq5 INCREMENT 0", "ERROR 22023"},
	{"CREATE SEQUENCE sq5 START 10 MAXVALUE 5", "ERROR 22023"},
	{"DROP SEQUENCE sq1, sq2", "DROP SEQUENCE"},
	{"DROP SEQUENCE sq3", "DROP SEQUENCE"},
	{"DROP SEQUENCE sq4", "DROP SEQUENCE"},
	{"DROP SEQUENCE sq1", "ERROR 42P01"},
	{"DROP SEQUENCE IF EXISTS sq1", `DROP SEQUENCE NOTICE 00000 sequence "sq1" does not exist, skipping`},
	{"SELECT nextval('sq1')", "ERROR 42P01"},
	// RESTART goes back to START; the next value held before a first nextval does not move with INCREMENT.
	{"CREATE SEQUENCE sr1 START 100", "CREATE SEQUENCE"},
	{"SELECT nextval('sr1'), nextval('sr1')", "100|101\nSELECT 1"},
	{"ALTER SEQUENCE sr1 RESTART", "ALTER SEQUENCE"},
	{"SELECT nextval('sr1')", "100\nSELECT 1"},
	{"CREATE SEQUENCE sr2 INCREMENT -1", "CREATE SEQUENCE"},
	{"ALTER SEQUENCE sr2 RESTART", "ALTER SEQUENCE"},
	{"SELECT nextval('sr2'), nextval('sr2')", "-1|-2\nSELECT 1"},
	{"CREATE SEQUENCE sr3 MINVALUE -10", "CREATE SEQUENCE"},
	{"ALTER SEQUENCE sr3 RESTART WITH 0", "ALTER SEQUENCE"},
	{"SELECT nextval('sr3')", "0\nSELECT 1"},
	{"ALTER SEQUENCE sr3 INCREMENT BY 10", "ALTER SEQUENCE"},
	{"SELECT nextval('sr3')", "10\nSELECT 1"},
	{"CREATE SEQUENCE sr4", "CREATE SEQUENCE"},
	{"ALTER SEQUENCE sr4 INCREMENT BY 10", "ALTER SEQUENCE"},
	{"SELECT nextval('sr4'), nextval('sr4')", "1|11\nSELECT 1"},
	{"SELECT setval('sr4', 50, false)", "50\nSELECT 1"},
	{"ALTER SEQUENCE sr4 INCREMENT BY 5", "ALTER SEQUENCE"},
	{"SELECT nextval('sr4'), nextval('sr4')", "50|55\nSELECT 1"},
	{"CREATE TABLE srt (id serial PRIMARY KEY, v int)", "CREATE TABLE"},
	{"ALTER SEQUENCE srt_id_seq INCREMENT BY 10", "ALTER SEQUENCE"},
	{"INSERT INTO srt (v) VALUES (1), (2) RETURNING id", "1\n11\nINSERT 0 2"},
	{"ALTER SEQUENCE sr4 MAXVALUE 10 RESTART WITH 50", "ERROR 22023"},
	{"ALTER SEQUENCE sr4 MINVALUE 20 MAXVALUE 5", "ERROR 22023"},
	{"CREATE SEQUENCE sr5", "CREATE SEQUENCE"},
	{"SELECT setval('sr5', 9223372036854775807)", "9223372036854775807\nSELECT 1"},
	{"SELECT nextval('sr5')", "ERROR 2200H"},
	{"CREATE SEQUENCE sr6 INCREMENT -1 MINVALUE -9223372036854775808", "CREATE SEQUENCE"},
	{"SELECT setval('sr6', -9223372036854775807), nextval('sr6')", "-9223372036854775807|-9223372036854775808\nSELECT 1"},
	{"SELECT nextval('sr6')", "ERROR 2200H"},
	// A serial column's sequence takes a free name; a sequence's name is no table's.
	{"CREATE SEQUENCE srp_id_seq START 1000", "CREATE SEQUENCE"},
	{"CREATE TABLE srp (id serial PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO srp (v) VALUES ('a') RETURNING id", "1\nINSERT 0 1"},
	{"CREATE TABLE sr1 (id int)", "ERROR 42P07"},
	{"CREATE SEQUENCE IF NOT EXISTS srt", `CREATE SEQUENCE NOTICE 42P07 relation "srt" already exists, skipping`},
	{"DROP SEQUENCE sr1, sr_none", "ERROR 42P01"},
	{"SELECT nextval('sr1')", "101\nSELECT 1"},
	{"DROP TABLE srt", "DROP TABLE"},
	{"DROP TABLE srp", "DROP TABLE"},
	{"DROP SEQUENCE sr1, sr2, sr3, sr4, sr5, sr6, srp_id_seq", "DROP SEQUENCE"},
	{"CREATE EXTENSION IF NOT EXISTS pgcrypto", "CREATE EXTENSION"},
	{`CREATE EXTENSION IF NOT EXISTS "uuid-ossp"`, "CREATE EXTENSION"},
	{"SELECT length(uuid_generate_v4()::text), length(gen_random_uuid()::text)", "36|36\nSELECT 1"},
	{`DROP EXTENSION IF EXISTS "uuid-ossp"`, "DROP EXTENSION"},
	{"DROP EXTENSION IF EXISTS pgcrypto", "DROP EXTENSION"},
	{"CREATE SCHEMA IF NOT EXISTS public", `CREATE SCHEMA NOTICE 42P06 schema "public" already exists, skipping`},
	{"CREATE SCHEMA public", "ERROR 42P06"},
	{"SELECT current_setting('server_version_num')::int8 / 10000", "15\nSELECT 1"},
	// COMMENT ON, as migrations and pg_dump write it, read back by obj_description and col_description.
	{"CREATE TABLE cm (id int PRIMARY KEY, name text)", "CREATE TABLE"},
	{"COMMENT ON TABLE cm IS 'customers'", "COMMENT"},
	{"COMMENT ON COLUMN cm.name IS 'full name'", "COMMENT"},
	{"COMMENT ON COLUMN public.cm.id IS 'key'", "COMMENT"},
	{"COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language'", "COMMENT"},
	{"COMMENT ON SCHEMA public IS 'standard public schema'", "COMMENT"},
	{"SELECT obj_description('cm'::regclass), obj_description('cm'::regclass, 'pg_class'), col_description('cm'::regclass, 2), " +
		"col_description('cm'::regclass, 1), col_description('cm'::regclass, 3) IS NULL", "customers|customers|full name|key|t\nSELECT 1"},
	{"COMMENT ON TABLE cm IS NULL", "COMMENT"},
	{"SELECT obj_description('cm'::regclass, 'pg_class') IS NULL", "t\nSELECT 1"},
	{"COMMENT ON COLUMN cm.nosuch IS 'x'", "ERROR 42703"},
	{"COMMENT ON TABLE cm_none IS 'x'", "ERROR 42P01"},
	{"DROP TABLE cm", "DROP TABLE"},
	// ALTER COLUMN ... TYPE converts every row: by assignment, or by the cast USING asks for.
	{"CREATE TABLE rt (id int PRIMARY KEY, n int4, s text, f float8, at timestamptz, q int CHECK (q > 0))", "CREATE TABLE"},
	{"INSERT INTO rt VALUES (1, 2147483647, '42', 2.5, '2024-01-02 03:04:05+00', 5), (2, NULL, 'x', NULL, NULL, 7)", "INSERT 0 2"},
	{"ALTER TABLE rt ALTER COLUMN n TYPE int8", "ALTER TABLE"},
	{"UPDATE rt SET n = n + 1 WHERE id = 1", "UPDATE 1"},
	{"SELECT n FROM rt WHERE id = 1", "2147483648\nSELECT 1"},
	{"ALTER TABLE rt ALTER COLUMN s TYPE int", "ERROR 42804"},
	{"ALTER TABLE rt ALTER COLUMN s TYPE int USING s::int", "ERROR 22P02"},
	{"SELECT s FROM rt ORDER BY id", "42\nx\nSELECT 2"},
	{"DELETE FROM rt WHERE id = 2", "DELETE 1"},
	{"ALTER TABLE rt ALTER COLUMN s SET DATA TYPE integer USING s::integer", "ALTER TABLE"},
	{"SELECT s + 1, pg_typeof(s) FROM rt", "43|integer\nSELECT 1"},
	{"ALTER TABLE rt ALTER COLUMN f TYPE int4, ALTER COLUMN at TYPE text", "ALTER TABLE"},
	{"SELECT f, at FROM rt", "2|2024-01-02 03:04:05+00\nSELECT 1"},
	{"ALTER TABLE rt ALTER COLUMN q TYPE int8", "ALTER TABLE"},
	{"INSERT INTO rt (id, q) VALUES (3, 0)", "ERROR 23514"},
	{"ALTER TABLE rt ALTER COLUMN id TYPE int8", "ALTER TABLE"},
	{"CREATE VIEW rtv AS SELECT n FROM rt", "CREATE VIEW"},
	{"ALTER TABLE rt ALTER COLUMN n TYPE text", "ERROR 0A000"},
	{"DROP VIEW rtv", "DROP VIEW"},
	{"DROP TABLE rt", "DROP TABLE"},
	// A conversion that breaks a unique index changes nothing; values cast as PostgreSQL casts them.
	{"CREATE TABLE rh (id int PRIMARY KEY, s text UNIQUE, i interval, b bool, d date, n numeric, k int DEFAULT 0, c int CHECK (c > 5))", "CREATE TABLE"},
	{"INSERT INTO rh VALUES (1, '01', '1 day 2 hours', true, '2024-05-06', 2.5, 1, 6), (2, '1', NULL, NULL, NULL, NULL, 1, 7)", "INSERT 0 2"},
	{"ALTER TABLE rh ALTER COLUMN s TYPE int USING s::int", "ERROR 23505"},
	{"SELECT s FROM rh ORDER BY id", "01\n1\nSELECT 2"},
	{"ALTER TABLE rh ALTER COLUMN i TYPE text, ALTER COLUMN b TYPE text, ALTER COLUMN d TYPE text", "ALTER TABLE"},
	{"SELECT i, b, d FROM rh WHERE id = 1", "1 day 02:00:00|true|2024-05-06\nSELECT 1"},
	{"ALTER TABLE rh ALTER COLUMN n TYPE int", "ALTER TABLE"},
	{"SELECT n FROM rh WHERE id = 1", "3\nSELECT 1"},
	{"ALTER TABLE rh ALTER COLUMN k TYPE bigint", "ALTER TABLE"},
	{"ALTER TABLE rh ALTER COLUMN k TYPE int, ALTER COLUMN k TYPE bigint", "ERROR 0A000"},
	{"DROP TABLE rh", "DROP TABLE"},
	// A sequence a column's default uses cannot go alone; CASCADE takes the default with it.
	{"CREATE TABLE rs (id serial PRIMARY KEY, v text)", "CREATE TABLE"},
	{"DROP SEQUENCE rs_id_seq", "ERROR 2BP01"},
	{"INSERT INTO rs (v) VALUES ('a') RETURNING id", "1\nINSERT 0 1"},
	{"DROP TABLE rs", "DROP TABLE"},
	// A failed DROP leaves the views it would have cascaded to.
	{"CREATE TABLE rd (id int PRIMARY KEY, x int)", "CREATE TABLE"},
	{"CREATE VIEW rdv AS SELECT x FROM rd", "CREATE VIEW"},
	{"CREATE VIEW rdw AS SELECT x FROM rdv", "CREATE VIEW"},
	{"DROP VIEW rdv, rd_none CASCADE", "ERROR 42P01"},
	{"SELECT count(*) FROM rdw", "0\nSELECT 1"},
	{"DROP TABLE rd CASCADE", "DROP TABLE NOTICE 00000 drop cascades to 2 other objects"},
	// A reference another table could mean, a WITH query of the table's name: a DROP is refused, not a view broken.
	{"CREATE TABLE ra (id int PRIMARY KEY, k int, x int)", "CREATE TABLE"},
	{"CREATE TABLE rb (id int PRIMARY KEY, k int, y int)", "CREATE TABLE"},
	{"CREATE VIEW rav AS SELECT ra.x, rb.y FROM ra JOIN rb USING (k)", "CREATE VIEW"},
	{"ALTER TABLE ra DROP COLUMN k", "ERROR 2BP01"},
	{"CREATE VIEW raw AS WITH ra AS (SELECT * FROM ra WHERE x > 5) SELECT x FROM ra", "CREATE VIEW"},
	{"DROP VIEW rav", "DROP VIEW"},
	{"DROP TABLE ra", "ERROR 2BP01"},
	{"DROP VIEW raw", "DROP VIEW"},
	{"DROP TABLE ra, rb", "DROP TABLE"},
}
