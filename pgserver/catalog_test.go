package pgserver_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// indexCatalogSteps run in order on one connection against Concord and PostgreSQL 15 (TestCompare_PostgreSQL):
// the indexes of tables as the catalogs show them, through the queries psql's \d, \d index and \di send.
var indexCatalogSteps = []struct{ sql, want string }{
	{`CREATE TABLE ixp (id int PRIMARY KEY, code text UNIQUE, "Name" text)`, "CREATE TABLE"},
	{"CREATE TABLE ixc (a int, b int, qty int, PRIMARY KEY (a, b))", "CREATE TABLE"},
	{"CREATE INDEX ixc_qty_b_idx ON ixc (qty, b DESC)", "CREATE INDEX"},
	{`CREATE UNIQUE INDEX ixp_name_uq ON ixp ("Name")`, "CREATE INDEX"},
	{"CREATE TABLE ixn (x int)", "CREATE TABLE"},
	{"CREATE INDEX ON ixn (x)", "CREATE INDEX"},
	{"SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN ('ixp', 'ixc', 'ixn') ORDER BY indexname",
		"ixc|ixc_pkey|CREATE UNIQUE INDEX ixc_pkey ON public.ixc USING btree (a, b)\n" +
			"ixc|ixc_qty_b_idx|CREATE INDEX ixc_qty_b_idx ON public.ixc USING btree (qty, b DESC)\n" +
			"ixn|ixn_x_idx|CREATE INDEX ixn_x_idx ON public.ixn USING btree (x)\n" +
			"ixp|ixp_code_key|CREATE UNIQUE INDEX ixp_code_key ON public.ixp USING btree (code)\n" +
			`ixp|ixp_name_uq|CREATE UNIQUE INDEX ixp_name_uq ON public.ixp USING btree ("Name")` + "\n" +
			"ixp|ixp_pkey|CREATE UNIQUE INDEX ixp_pkey ON public.ixp USING btree (id)\nSELECT 6"},
	// psql's \d table: its indexes, with the constraints they serve (pretty: the table unqualified).
	{"SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true), " +
		"pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, i.indnkeyatts, i.indkey " +
		"FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i " +
		"LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x')) " +
		"WHERE c.relname = 'ixp' AND c.oid = i.indrelid AND i.indexrelid = c2.oid ORDER BY i.indisprimary DESC, c2.relname",
		"ixp_pkey|t|t|f|t|CREATE UNIQUE INDEX ixp_pkey ON ixp USING btree (id)|PRIMARY KEY (id)|p|f|f|f|1|1\n" +
			"ixp_code_key|f|t|f|t|CREATE UNIQUE INDEX ixp_code_key ON ixp USING btree (code)|UNIQUE (code)|u|f|f|f|1|2\n" +
			`ixp_name_uq|f|t|f|t|CREATE UNIQUE INDEX ixp_name_uq ON ixp USING btree ("Name")|||||f|1|3` + "\nSELECT 3"},
	{"SELECT relname, relkind, relhasindex FROM pg_class WHERE relname IN ('ixc', 'ixc_pkey', 'ixn_x_idx') ORDER BY 1",
		"ixc|r|t\nixc_pkey|i|f\nixn_x_idx|i|f\nSELECT 3"},
	// psql's \d index: the index's columns.
	{"SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), pg_catalog.pg_get_indexdef(a.attrelid, a.attnum, true) " +
		"FROM pg_catalog.pg_attribute a WHERE a.attrelid = (SELECT oid FROM pg_class WHERE relname = 'ixc_qty_b_idx') AND a.attnum > 0 " +
		"AND NOT a.attisdropped ORDER BY a.attnum", "qty|integer|qty\nb|integer|b\nSELECT 2"},
	{"SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid = " +
		"(SELECT oid FROM pg_class WHERE relname = 'ixc')", "ixc_pkey|PRIMARY KEY (a, b)\nSELECT 1"},
	{"SELECT indexrelid::regclass, indrelid::regclass FROM pg_index WHERE indrelid = (SELECT oid FROM pg_class WHERE relname = 'ixn')",
		"ixn_x_idx|ixn\nSELECT 1"},
	// indkey is an int2vector: subscripted from 0, written "1 2", usable with = ANY.
	{"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) " +
		"WHERE i.indrelid = 'ixc'::regclass AND i.indisprimary ORDER BY a.attnum", "a\nb\nSELECT 2"},
	{"SELECT indkey, indkey[0], indkey[1], indkey[2] FROM pg_index WHERE indrelid = 'ixc'::regclass AND indisprimary", "1 2|1|2|\nSELECT 1"},
	{"SELECT indkey::text, indkey::varchar FROM pg_index WHERE indrelid = 'ixc'::regclass AND indisprimary", "1 2|1 2\nSELECT 1"},
	// A table never analyzed (reltuples -1), its index and its columns, as PostgreSQL 15 counts them.
	{"SELECT c.relname, c.reltuples, c.relpages, c.relnatts, c.relisshared, c.relfilenode <> 0 FROM pg_class c " +
		"WHERE c.relname IN ('ixc', 'ixc_pkey') ORDER BY 1", "ixc|-1|0|3|f|t\nixc_pkey|0|1|2|f|t\nSELECT 2"},
	// regclass values compare as oids and print as names.
	{"SELECT attname FROM pg_attribute WHERE attrelid = 'ixp'::regclass AND attnum > 0 ORDER BY attnum", "id\ncode\nName\nSELECT 3"},
	{"SELECT attname FROM pg_attribute WHERE attrelid = (SELECT oid FROM pg_class WHERE relname = 'ixn')::regclass AND attnum > 0",
		"x\nSELECT 1"},
	{"SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indrelid::regclass = c.oid WHERE i.indexrelid = 'ixn_x_idx'::regclass",
		"ixn\nSELECT 1"},
	{"SELECT 'ixp'::regclass::oid = (SELECT oid FROM pg_class WHERE relname = 'ixp'), 'public.ixp'::regclass", "t|ixp\nSELECT 1"},
	{"SELECT 0::regclass, (-1)::regclass", "-|4294967295\nSELECT 1"},
	{"SELECT 9999999999::regclass", "ERROR 22003"},
	{"SELECT pg_get_indexdef('ixp_pkey'::regclass)", "CREATE UNIQUE INDEX ixp_pkey ON public.ixp USING btree (id)\nSELECT 1"},
	{"SELECT pg_get_indexdef('ixc_pkey'::regclass, 2, true), pg_get_indexdef('ixc_pkey'::regclass, -1, true), " +
		"pg_get_indexdef('ixc_pkey'::regclass, 3, false), pg_get_indexdef('ixc_pkey'::regclass, NULL, true) IS NULL", "b|||t\nSELECT 1"},
	{"SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'ixp_code_key'::regclass", "code|x\nSELECT 1"},
	{`CREATE TABLE "Ixq" (id int PRIMARY KEY)`, "CREATE TABLE"},
	{`SELECT oid::regclass, '"Ixq"'::regclass FROM pg_class WHERE relname = 'Ixq'`, `"Ixq"|"Ixq"` + "\nSELECT 1"},
	{`DROP TABLE "Ixq"`, "DROP TABLE"},
	{`SELECT quote_ident('abc'), quote_ident('Abc'), quote_ident('a"b'), quote_ident('1a')`, `abc|"Abc"|"a""b"|"1a"` + "\nSELECT 1"},
	{`SELECT quote_ident('select'), quote_ident('user'), quote_ident('name'), quote_ident('between'), quote_ident('left')`,
		`"select"|"user"|name|"between"|"left"` + "\nSELECT 1"},
	{`CREATE TABLE "user" ("select" int PRIMARY KEY)`, "CREATE TABLE"},
	{`CREATE TABLE ixr (id int PRIMARY KEY, "order" int REFERENCES "user")`, "CREATE TABLE"},
	{"SELECT indexdef FROM pg_indexes WHERE tablename = 'user'", `CREATE UNIQUE INDEX user_pkey ON public."user" USING btree ("select")` + "\nSELECT 1"},
	{"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'ixr_order_fkey'",
		`FOREIGN KEY ("order") REFERENCES "user"("select")` + "\nSELECT 1"},
	{"DROP TABLE ixr", "DROP TABLE"},
	{`DROP TABLE "user"`, "DROP TABLE"},
	// RENAME COLUMN keeps every index on the column holding (a UNIQUE over two columns included), and DROP
	// COLUMN drops every index on it.
	{"CREATE TABLE ixu (id int PRIMARY KEY, x int, y int, w int UNIQUE, UNIQUE (x, y))", "CREATE TABLE"},
	{"CREATE INDEX ixu_y_idx ON ixu (y DESC)", "CREATE INDEX"},
	{"ALTER TABLE ixu RENAME COLUMN x TO z", "ALTER TABLE"},
	{"INSERT INTO ixu VALUES (1, 1, 1, 1)", "INSERT 0 1"},
	{"INSERT INTO ixu VALUES (2, 1, 1, 2)", "ERROR 23505"},
	{"ALTER TABLE ixu RENAME COLUMN w TO v", "ALTER TABLE"},
	{"INSERT INTO ixu VALUES (3, 2, 2, 1)", "ERROR 23505"},
	{"SELECT count(*) FROM pg_indexes WHERE tablename = 'ixu' AND indexdef LIKE '%(z, y)'", "1\nSELECT 1"},
	{"ALTER TABLE ixu DROP COLUMN y", "ALTER TABLE"},
	{"SELECT count(*) FROM pg_indexes WHERE tablename = 'ixu'", "2\nSELECT 1"},
	{"INSERT INTO ixu VALUES (4, 1, 5)", "INSERT 0 1"},
	{"DROP TABLE ixu", "DROP TABLE"},
	{"DROP TABLE ixp", "DROP TABLE"},
	{"DROP TABLE ixc", "DROP TABLE"},
	{"DROP TABLE ixn", "DROP TABLE"},
}

// runIndexCatalog runs indexCatalogSteps on a connection.
func runIndexCatalog(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, indexCatalogSteps) }
