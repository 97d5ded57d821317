package pgserver_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// updateClients rewrites the golden answers of testdata/clients from PostgreSQL's (go test -run
// TestCompare_PostgreSQL -update-clients ./pgserver/).
var updateClients = flag.Bool("update-clients", false, "write testdata/clients/*.want from PostgreSQL's answers")

// runClientCatalog runs the catalog queries client libraries send (testdata/clients: pgjdbc's DatabaseMetaData,
// SQLAlchemy's Inspector)
// over the schema in testdata/clients/schema.sql, and compares each answer with PostgreSQL 15's, kept in
// testdata/clients/<file>.want.
func runClientCatalog(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	schema, err := os.ReadFile("testdata/clients/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strings.Split(string(schema), ";") {
		if strings.TrimSpace(stripComments(s)) == "" {
			continue
		}
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %s: %v", who, s, err)
		}
	}
	files, _ := filepath.Glob("testdata/clients/*.sql")
	for _, file := range files {
		if strings.HasSuffix(file, "schema.sql") {
			continue
		}
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		name := ""
		for _, line := range strings.Split(string(text), "\n") {
			if n, ok := strings.CutPrefix(line, "-- "); ok {
				name = n
				continue
			}
			if strings.TrimSpace(line) == "" || name == "" {
				continue
			}
			out, err := renderSimple(c, strings.TrimSuffix(strings.TrimSpace(line), ";"), nil)
			if err != nil {
				out = "ERROR " + sqlState(err) + " " + err.Error()
			}
			got.WriteString("-- " + name + "\n" + out + "\n")
			name = ""
		}
		golden := strings.TrimSuffix(file, ".sql") + ".want"
		if *updateClients && who == "postgresql" {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s: %s: the answers differ from %s:\n%s", who, file, golden, lineDiff(string(want), got.String()))
		}
	}
	for _, s := range []string{"DROP VIEW jt_big", "DROP TABLE jt_orders", "DROP TABLE jt_customers"} {
		mustExec(t, c, s)
	}
	runMessageSteps(t, who, c, clientCatalogSteps)
}

// stripComments drops a SQL text's -- comment lines.
func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// lineDiff lists the lines of want and got that differ, by line number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("want: " + wl + "\n got: " + gl + "\n")
		}
	}
	return b.String()
}

// clientCatalogSteps run against Concord and PostgreSQL 15: the catalog answers Prisma, TypeORM, Sequelize and
// pgjdbc read that the golden files do not cover (pg_tables, pg_views, pg_class.reltype and relhassubclass,
// information_schema.columns.numeric_precision_radix, an int2vector's subscripts from 0 and its slices as
// smallint[], a type's internal name as regtype, pg_type.typlen and typinput, pg_attribute.attlen,
// information_schema._pg_expandarray, max_index_keys, array types' typreceive, pg_opclass and pg_index.indclass).
var clientCatalogSteps = []struct{ sql, want string }{
	{"DROP VIEW IF EXISTS cc_v", ""},
	{"DROP TABLE IF EXISTS cc_t", ""},
	{"CREATE TABLE cc_t (id int PRIMARY KEY, n numeric(10,2), f float8, s text, tags text[])", "CREATE TABLE"},
	{"CREATE INDEX cc_t_ns ON cc_t (n, s)", "CREATE INDEX"},
	{"CREATE VIEW cc_v AS SELECT id, s FROM cc_t", "CREATE VIEW"},
	{"SELECT schemaname, tablename, hasindexes, hasrules, hastriggers, rowsecurity FROM pg_tables WHERE tablename LIKE 'cc%' ORDER BY 2",
		"public|cc_t|t|f|f|f\nSELECT 1"},
	{"SELECT schemaname, viewname FROM pg_views WHERE viewname LIKE 'cc%'", "public|cc_v\nSELECT 1"},
	{"SELECT relname, reltype > 0, relhassubclass FROM pg_class WHERE relname LIKE 'cc%' ORDER BY 1",
		"cc_t|t|f\ncc_t_ns|f|f\ncc_t_pkey|f|f\ncc_v|t|f\nSELECT 4"},
	{"SELECT column_name, numeric_precision, numeric_precision_radix, numeric_scale FROM information_schema.columns WHERE table_name = 'cc_t' ORDER BY ordinal_position",
		"id|32|2|0\nn|10|10|2\nf|53|2|\ns|||\ntags|||\nSELECT 5"},
	{"SELECT i.relname, generate_subscripts(x.indkey, 1) AS k, unnest(x.indkey) AS attnum FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'cc_t_ns' ORDER BY 2",
		"cc_t_ns|0|2\ncc_t_ns|1|4\nSELECT 2"},
	{"SELECT x.indkey[:x.indnkeyatts-1] AS keys, x.indkey[x.indnkeyatts:] AS included, pg_typeof(x.indkey[:0]) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'cc_t_ns'",
		"{2,4}|{}|smallint[]\nSELECT 1"},
	{`SELECT '_text'::regtype, '"pg_catalog"."_int4"'::regtype, 'pg_catalog.int8'::regtype::text`, "text[]|integer[]|bigint\nSELECT 1"},
	{"SELECT typname, typlen, typinput = 'pg_catalog.array_in'::regproc AS is_array FROM pg_type WHERE typname IN ('int4', '_int4', 'text', 'bool', 'timestamptz') ORDER BY 1",
		"_int4|-1|t\nbool|1|f\nint4|4|f\ntext|-1|f\ntimestamptz|8|f\nSELECT 5"},
	{"SELECT attname, attlen FROM pg_attribute WHERE attrelid = 'cc_t'::regclass AND attnum > 0 ORDER BY attnum",
		"id|4\nn|-1\nf|8\ns|-1\ntags|-1\nSELECT 5"},
	{"SELECT (information_schema._pg_expandarray(ARRAY[10,20])).n, (information_schema._pg_expandarray(ARRAY[10,20])).x", "1|10\n2|20\nSELECT 2"},
	{"SELECT setting FROM pg_settings WHERE name = 'max_index_keys'", "32\nSELECT 1"},
	// SQLAlchemy names a column's schema and relation (pg_catalog.pg_class.relname), and reads a column's direction
	// from pg_index.indoption.
	{"SELECT pg_catalog.pg_class.relname, pg_catalog.pg_namespace.nspname FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace WHERE pg_catalog.pg_class.relname = 'cc_t'",
		"cc_t|public\nSELECT 1"},
	{"CREATE INDEX cc_t_desc ON cc_t (f DESC, id)", "CREATE INDEX"},
	{"SELECT x.indoption, x.indnullsnotdistinct FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid WHERE i.relname = 'cc_t_desc'", "3 0|f\nSELECT 1"},
	// Its operator classes (pg_index.indclass into pg_opclass), as Prisma and SQLAlchemy read them.
	{"SELECT o.opcname, o.opcdefault, pg_typeof(x.indclass) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_opclass o ON o.oid = x.indclass[1] WHERE i.relname = 'cc_t_desc'",
		"int4_ops|t|oidvector\nSELECT 1"},
	{"SELECT i.relname, o.opcname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid CROSS JOIN LATERAL unnest(x.indclass) WITH ORDINALITY AS u(c, n) JOIN pg_opclass o ON o.oid = u.c WHERE i.relname IN ('cc_t_ns', 'cc_t_pkey') ORDER BY 1, u.n",
		"cc_t_ns|numeric_ops\ncc_t_ns|text_ops\ncc_t_pkey|int4_ops\nSELECT 3"},
	// pg_dump and psql's \d+ read a column's storage; psql's \du a role's attributes.
	{"SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'cc_t'::regclass AND attname IN ('id', 'n', 's') ORDER BY attnum", "id|p\nn|m\ns|x\nSELECT 3"},
	{"SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user", "t|t|t|t|t\nSELECT 1"},
	// Npgsql tells arrays by their receive function when it loads the types.
	{"SELECT t.typname, CASE WHEN p.proname = 'array_recv' THEN 'a' ELSE t.typtype END, t.typelem FROM pg_type t LEFT JOIN pg_proc p ON p.oid = t.typreceive WHERE t.typname IN ('_int4', 'int4', 'record', '_text') ORDER BY 1",
		"_int4|a|23\n_text|a|25\nint4|b|0\nrecord|p|0\nSELECT 4"},
	// The session's user owns what it made, in pg_class, pg_tables and pg_views alike (psql's \dt Owner).
	{"SELECT pg_get_userbyid(c.relowner) = current_user, t.tableowner = current_user, (SELECT viewowner = current_user FROM pg_views WHERE viewname = 'cc_v') FROM pg_class c JOIN pg_tables t ON t.tablename = c.relname WHERE c.relname = 'cc_t'",
		"t|t|t\nSELECT 1"},
	{"DROP VIEW cc_v", "DROP VIEW"},
	{"DROP TABLE cc_t", "DROP TABLE"},
}
