package pgserver_test

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ctasSteps run against Concord and PostgreSQL 15 (TestCompare_*): CREATE TABLE ... AS and SELECT ... INTO make a
// table of the query's columns and types (an untyped literal as text, a column's modifiers kept) holding its rows,
// WITH NO DATA an empty one; the column list renames; IF NOT EXISTS skips with a notice; a query that fails leaves
// no table, and a ROLLBACK takes the table away.
var ctasSteps = []struct{ sql, want string }{
	{"CREATE TABLE ca_src (id int PRIMARY KEY, name varchar(10), price numeric(8,2), at timestamptz, tags text[])", "CREATE TABLE"},
	{"INSERT INTO ca_src VALUES (1, 'a', 1.50, '2024-01-01 00:00+00', '{x}'), (2, 'b', NULL, NULL, NULL)", "INSERT 0 2"},
	{"CREATE TABLE ca1 AS SELECT * FROM ca_src WHERE id > 0", "SELECT 2"},
	{"SELECT id, name, price, at AT TIME ZONE 'UTC', tags FROM ca1 ORDER BY id", "1|a|1.50|2024-01-01 00:00:00|{x}\n2|b|||\nSELECT 2"},
	{"SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable FROM information_schema.columns WHERE table_name = 'ca1' ORDER BY ordinal_position",
		"id|integer||32|0|YES\nname|character varying|10|||YES\nprice|numeric||8|2|YES\nat|timestamp with time zone||||YES\ntags|ARRAY||||YES\nSELECT 5"},
	{"CREATE TABLE ca2 (k, v) AS SELECT id, name || '!' FROM ca_src", "SELECT 2"},
	{"SELECT * FROM ca2 ORDER BY k", "1|a!\n2|b!\nSELECT 2"},
	{"CREATE TABLE ca3 AS SELECT 1 AS a, 'lit' AS b, 2.5 AS c, now() IS NOT NULL AS d WITH NO DATA", "CREATE TABLE AS"},
	{"SELECT count(*) FROM ca3", "0\nSELECT 1"},
	{"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ca3' ORDER BY ordinal_position",
		"a|integer\nb|text\nc|numeric\nd|boolean\nSELECT 4"},
	{"SELECT id, price INTO ca4 FROM ca_src WHERE id = 1", "SELECT 1"},
	{"SELECT * FROM ca4", "1|1.50\nSELECT 1"},
	{"CREATE TABLE IF NOT EXISTS ca4 AS SELECT 1", "CREATE TABLE AS"},
	{"CREATE TABLE ca5 (a, b, c) AS SELECT 1, 2", "ERROR 42601"},
	{"CREATE TABLE ca5 AS SELECT 1 AS x, 2 AS x", "ERROR 42701"},
	{"CREATE TABLE ca1 AS SELECT 1", "ERROR 42P07"},
	{"CREATE TABLE ca6 AS SELECT 1/0 AS z", "ERROR 22012"},
	{"SELECT count(*) FROM ca6", "ERROR 42P01"},
	{"INSERT INTO ca2 VALUES (3, 'c')", "INSERT 0 1"},
	{"CREATE UNLOGGED TABLE ca7 AS SELECT 1 AS a", "SELECT 1"},
	{"DROP TABLE ca7", "DROP TABLE"},
	{"DROP TABLE ca_src, ca1, ca2, ca3, ca4", "DROP TABLE"},
}

// ctasBlockSteps: in a transaction block, where the table is the block's until COMMIT (not on the driver
// backend, where MongoDB writes no catalog in a transaction).
var ctasBlockSteps = []struct{ sql, want string }{
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE ca6 AS SELECT generate_series(1, 3) AS n", "SELECT 3"},
	{"SELECT sum(n) FROM ca6", "6\nSELECT 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT count(*) FROM ca6", "ERROR 42P01"},
}

func runCTAS(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, ctasSteps)
	if os.Getenv(backendEnv) != "driver" {
		runSteps(t, who, c, ctasBlockSteps)
	}
}
