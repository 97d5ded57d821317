package pgserver_test

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// indexAliasSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): indexes made on a key
// another index of the table covers (Django's varchar_pattern_ops index beside a unique one, an index on the
// primary key, two indexes on one column), listed, enforced and dropped as PostgreSQL's duplicate indexes are.
var indexAliasSteps = []struct{ sql, want string }{
	{"CREATE TABLE ia (id int PRIMARY KEY, v text UNIQUE, w text, code varchar(10))", "CREATE TABLE"},
	{"CREATE INDEX ia_v_like ON ia (v varchar_pattern_ops)", "CREATE INDEX"},
	{"CREATE INDEX ia_id_like ON ia (id)", "CREATE INDEX"},
	{"CREATE INDEX ia_w ON ia (w)", "CREATE INDEX"},
	{"CREATE INDEX ia_w2 ON ia (w)", "CREATE INDEX"},
	{"CREATE INDEX ia_v_like ON ia (v)", "ERROR 42P07"},
	{"CREATE INDEX ON ia (w)", "CREATE INDEX"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'ia' ORDER BY 1", "ia_id_like\nia_pkey\nia_v_key\nia_v_like\nia_w\nia_w2\nia_w_idx\nSELECT 7"},
	{"INSERT INTO ia VALUES (1, 'a', 'x', 'c')", "INSERT 0 1"},
	{"INSERT INTO ia VALUES (2, 'a', 'y', 'c')", "ERROR 23505"},
	{"DROP INDEX ia_v_like", "DROP INDEX"},
	{"DROP INDEX ia_w", "DROP INDEX"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ia' AND indexname LIKE 'ia_w%' ORDER BY 1", "ia_w2|CREATE INDEX ia_w2 ON public.ia USING btree (w)\nia_w_idx|CREATE INDEX ia_w_idx ON public.ia USING btree (w)\nSELECT 2"},
	{"CREATE INDEX ia_w ON ia (w)", "CREATE INDEX"},
	{"DROP INDEX ia_w2", "DROP INDEX"},
	{"DROP INDEX ia_w1", "ERROR 42704"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ia' AND indexname LIKE 'ia_w%' ORDER BY 1", "ia_w|CREATE INDEX ia_w ON public.ia USING btree (w)\nia_w_idx|CREATE INDEX ia_w_idx ON public.ia USING btree (w)\nSELECT 2"},
	{"SELECT id FROM ia WHERE w = 'x'", "1\nSELECT 1"},
	{"DROP TABLE ia", "DROP TABLE"},
}

// indexAliasBlockSteps make such indexes on a table a transaction block creates (not on the driver backend,
// which refuses DDL in a block).
var indexAliasBlockSteps = []struct{ sql, want string }{
	{"BEGIN", "BEGIN"},
	{"CREATE TABLE ib (id int PRIMARY KEY, v text UNIQUE)", "CREATE TABLE"},
	{"CREATE INDEX ib_v_like ON ib (v text_pattern_ops)", "CREATE INDEX"},
	{"CREATE INDEX ib_id_like ON ib (id)", "CREATE INDEX"},
	{"COMMIT", "COMMIT"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'ib' ORDER BY 1", "ib_id_like\nib_pkey\nib_v_key\nib_v_like\nSELECT 4"},
	{"DROP TABLE ib", "DROP TABLE"},
}

// runIndexAliases runs the index alias steps on a connection.
func runIndexAliases(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, indexAliasSteps)
	if os.Getenv(backendEnv) != "driver" {
		runSteps(t, who, c, indexAliasBlockSteps)
	}
}
