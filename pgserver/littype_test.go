package pgserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// literalTypeSteps: untyped string literals among COALESCE's, GREATEST's and LEAST's arguments and a CASE's
// results take the others' type, as PostgreSQL's common type resolution reads them: an invalid one is 22P02 before
// anything is evaluated (coalesce(1, 'a') fails though its first argument is not NULL), a valid one is a value of
// that type, and literals alone stay text.
var literalTypeSteps = []struct{ sql, want string }{
	{"SELECT coalesce(1, 'a')", "ERROR 22P02"},
	{"SELECT coalesce(NULL, '5', 1), pg_typeof(coalesce(NULL, '5', 1))", "5|integer\nSELECT 1"},
	{"SELECT coalesce(NULL, 'x'), pg_typeof(coalesce(NULL, 'x'))", "x|text\nSELECT 1"},
	{"SELECT coalesce(2.5, '1.25'), pg_typeof(coalesce(NULL, '1.25', 2.5))", "2.5|numeric\nSELECT 1"},
	{"SELECT greatest(1, '5', 3), pg_typeof(greatest(1, '5', 3))", "5|integer\nSELECT 1"},
	{"SELECT least(1, 'z')", "ERROR 22P02"},
	{"SELECT CASE WHEN true THEN 1 ELSE 'a' END", "ERROR 22P02"},
	{"SELECT CASE WHEN false THEN 1 ELSE '7' END + 1", "8\nSELECT 1"},
	{"SELECT CASE 1 WHEN 1 THEN 'x' ELSE 'y' END, pg_typeof(CASE 1 WHEN 1 THEN 'x' ELSE 'y' END)", "x|text\nSELECT 1"},
	{"SELECT coalesce(NULL::date, '2024-02-30')", "ERROR 22008"},
	{"SELECT coalesce(NULL::date, '2024-02-03'), pg_typeof(coalesce(NULL::date, '2024-02-03'))", "2024-02-03|date\nSELECT 1"},
	{"SELECT coalesce(NULL::bool, 'yes'), coalesce(NULL::bool, 'maybe')", "ERROR 22P02"},
	{"SELECT coalesce(NULL::bool, 'yes')", "t\nSELECT 1"},
	{"SELECT coalesce(NULL::int, ' 42 ') + 1", "43\nSELECT 1"},
	{"CREATE TABLE lty (id int PRIMARY KEY, n int8, d date)", "CREATE TABLE"},
	{"INSERT INTO lty VALUES (1, NULL, NULL), (2, 9, '2024-05-06')", "INSERT 0 2"},
	{"SELECT id, coalesce(n, '0') + 1, coalesce(d, '2000-01-01') FROM lty ORDER BY id", "1|1|2000-01-01\n2|10|2024-05-06\nSELECT 2"},
	{"SELECT id FROM lty WHERE coalesce(n, 'none') > 0", "ERROR 22P02"},
	{"DROP TABLE lty", "DROP TABLE"},
}

// constDefaultSteps: a constant DEFAULT as PostgreSQL keeps and shows it (information_schema's column_default, which
// ORMs read back): a string literal read as the column's type and cast to it ('x'::text, '2024-01-01'::date, '{"a":
// 1}'::jsonb), booleans, integers and decimals bare, negative ones quoted and cast, a string literal that is not
// valid input 22P02 when the table is made; and the values the defaults give.
var constDefaultSteps = []struct{ sql, want string }{
	{"CREATE TABLE dfx (id int PRIMARY KEY, a text DEFAULT 'x', b varchar(5) DEFAULT 'y', c date DEFAULT '2024-1-1', " +
		"d int DEFAULT 0, e numeric DEFAULT 1.5, f bool DEFAULT 'true', g int[] DEFAULT '{}', h jsonb DEFAULT '{\"a\":1}', " +
		"j text DEFAULT 'it''s', k float8 DEFAULT '2.5', l int DEFAULT '7', n char(2) DEFAULT 'z', o int8 DEFAULT 7, " +
		"p int8 DEFAULT '7', q int DEFAULT -1, r numeric DEFAULT -1.5, t numeric DEFAULT '2', v int DEFAULT '-3', w numeric DEFAULT 1e3)",
		"CREATE TABLE"},
	{"SELECT column_name, column_default FROM information_schema.columns WHERE table_name = 'dfx' AND column_default IS NOT NULL ORDER BY ordinal_position",
		"a|'x'::text\nb|'y'::character varying\nc|'2024-01-01'::date\nd|0\ne|1.5\nf|true\ng|'{}'::integer[]\nh|'{\"a\": 1}'::jsonb\n" +
			"j|'it''s'::text\nk|'2.5'::double precision\nl|7\nn|'z'::bpchar\no|7\np|'7'::bigint\nq|'-1'::integer\nr|'-1.5'::numeric\n" +
			"t|'2'::numeric\nv|'-3'::integer\nw|'1000'::numeric\nSELECT 19"},
	{"INSERT INTO dfx (id) VALUES (1)", "INSERT 0 1"},
	{"SELECT a, b, c, d, e, f, g, h, j, k, l, n, o, p, q, r, t, v, w FROM dfx",
		"x|y|2024-01-01|0|1.5|t|{}|{\"a\": 1}|it's|2.5|7|z |7|7|-1|-1.5|2|-3|1000\nSELECT 1"},
	{"ALTER TABLE dfx ALTER COLUMN a SET DEFAULT 'new'", "ALTER TABLE"},
	{"SELECT column_default FROM information_schema.columns WHERE table_name = 'dfx' AND column_name = 'a'", "'new'::text\nSELECT 1"},
	{"CREATE TABLE dfy (id int PRIMARY KEY, a int DEFAULT 'abc')", "ERROR 22P02"},
	{"DROP TABLE dfx", "DROP TABLE"},
}

// runLiteralTypes runs literalTypeSteps and constDefaultSteps on a connection.
func runLiteralTypes(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, literalTypeSteps)
	runSteps(t, who, c, constDefaultSteps)
}

// runInputPositions checks that an INSERT's string literal that is not valid input for its column's type fails
// at that literal, with the position PostgreSQL gives (psql points at it).
func runInputPositions(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE ipos (id int PRIMARY KEY, d date, ds date[], n int[], b bool)")
	defer mustExec(t, c, "DROP TABLE ipos")
	for _, s := range []struct {
		sql, code, at string
	}{
		{"INSERT INTO ipos VALUES (1, '2024-02-30')", "22008", "'2024-02-30'"},
		{"INSERT INTO ipos VALUES (1, NULL, NULL, '{a}')", "22P02", "'{a}'"},
		{"INSERT INTO ipos VALUES (1, NULL, '{2024-02-30}')", "22008", "'{2024-02-30}'"},
		{"INSERT INTO ipos VALUES (1, NULL, NULL, NULL, 'maybe')", "22P02", "'maybe'"},
		{"INSERT INTO ipos (b, id) VALUES ('t', 'x')", "22P02", "'x'"},
		{"INSERT INTO ipos VALUES (1, NULL), (2, 'nope')", "22007", "'nope'"},
		// Expressions and target columns that do not fit: at the first extra one, before a row is made.
		{"INSERT INTO ipos (id, b) VALUES (1)", "42601", "b)"},
		{"INSERT INTO ipos (id, b) VALUES (1, true, 3)", "42601", "3)"},
		{"INSERT INTO ipos (id, b) VALUES (1, true), (2)", "42601", "2)"},
		{"INSERT INTO ipos (id, d) SELECT 1", "42601", "d)"},
		{"INSERT INTO ipos (id) SELECT 1, 2 FROM ipos", "42601", "2 FROM"},
		{"INSERT INTO ipos (id) SELECT * FROM ipos", "42601", "*"},
		{"INSERT INTO ipos (id, b) SELECT 1 UNION SELECT 2", "42601", "b)"},
	} {
		_, err := c.Exec(ctx, s.sql, pgx.QueryExecModeSimpleProtocol)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != s.code {
			t.Errorf("%s: %s: %v, want %s", who, s.sql, err, s.code)
			continue
		}
		if want := int32(strings.Index(s.sql, s.at) + 1); pe.Position != want {
			t.Errorf("%s: %s: position %d, want %d", who, s.sql, pe.Position, want)
		}
	}
}

// runColumnNames checks the names PostgreSQL gives unnamed result columns: NULLIF's, ROW's, COLLATE's argument's,
// the SQL-standard functions written without parentheses, a cast of a CASE (the type's name, a CASE's being
// weaker) and a CASE whose ELSE has a name of its own.
func runColumnNames(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range []struct{ sql, want string }{
		{"SELECT nullif(1, 2), CASE WHEN true THEN 1 END::text, CASE WHEN true THEN 1 END, ROW(1, 2), 'a' COLLATE \"C\"",
			"nullif,text,case,row,?column?"},
		{"SELECT current_time, localtime, localtimestamp, current_timestamp, current_date",
			"current_time,localtime,localtimestamp,current_timestamp,current_date"},
		{"SELECT current_role, user, session_user, current_catalog, current_schema, current_user",
			"current_role,user,session_user,current_catalog,current_schema,current_user"},
		{"SELECT coalesce(1, 2)::text, (1 + 2)::text, greatest(1, 2)::int8, nullif(1, 2)::text",
			"coalesce,text,greatest,nullif"},
		{"SELECT grouping(g) FROM (VALUES (1)) v(g) GROUP BY ROLLUP (g)", "grouping"},
		{"SELECT g IN (SELECT 1 AS one), g = ANY (SELECT 1), g <> ALL (SELECT 2), (SELECT max(g) AS m FROM (VALUES (1)) w(g)), EXISTS (SELECT 1), ARRAY(SELECT 1) FROM (VALUES (1)) v(g)",
			"?column?,?column?,?column?,m,exists,array"},
		// A CASE takes its ELSE's name when that is a column's or a function's.
		{"SELECT CASE k WHEN 'a' THEN 'x' ELSE upper(k) END, CASE WHEN n > 0 THEN n END, CASE WHEN true THEN 1 ELSE n END, " +
			"CASE WHEN true THEN k ELSE 'z'::text END::varchar, CASE WHEN true THEN 1 ELSE n::text::int END, " +
			"CASE WHEN true THEN k ELSE CASE WHEN false THEN k ELSE upper(k) END END FROM (VALUES ('a', 1)) v(k, n)",
			"upper,case,n,varchar,n,upper"},
	} {
		rows, err := c.Query(context.Background(), s.sql)
		if err != nil {
			t.Errorf("%s: %s: %v", who, s.sql, err)
			continue
		}
		var names []string
		for _, f := range rows.FieldDescriptions() {
			names = append(names, f.Name)
		}
		rows.Close()
		if got := strings.Join(names, ","); got != s.want {
			t.Errorf("%s: %s: columns %s, want %s", who, s.sql, got, s.want)
		}
	}
}

// runFailingRows checks the detail of an INSERT's row that a CHECK or NOT NULL constraint refuses, as PostgreSQL
// writes it: every column's value as its type's text output (numerics at their scale, a timestamp with time zone
// in the session's zone, arrays, jsonb), defaults and serial values included, NULL as null.
func runFailingRows(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE frow (id serial PRIMARY KEY, email text NOT NULL, age int CHECK (age >= 0), amt numeric(6,2), "+
		"d date DEFAULT '2024-01-01', ts timestamptz, ok bool, tags text[], j jsonb)")
	defer mustExec(t, c, "DROP TABLE frow")
	defer mustExec(t, c, "RESET TimeZone")
	for _, s := range []struct{ sql, code, detail string }{
		{"INSERT INTO frow (email, age, amt, ts, ok, tags, j) VALUES ('a', -1, 1.5, '2024-01-02 03:04:05+00', true, '{x,\"y z\"}', '{\"a\": 1}')",
			"23514", `Failing row contains (1, a, -1, 1.50, 2024-01-01, 2024-01-02 03:04:05+00, t, {x,"y z"}, {"a": 1}).`},
		{"INSERT INTO frow (email, age) VALUES (NULL, 5)", "23502", "Failing row contains (2, null, 5, null, 2024-01-01, null, null, null, null)."},
		{"INSERT INTO frow (email, age, amt) VALUES ('b', 1, 2), ('c', -5, 3)", "23514", "Failing row contains (4, c, -5, 3.00, 2024-01-01, null, null, null, null)."},
		{"SET TimeZone = 'Europe/Paris'", "", ""},
		{"INSERT INTO frow (email, age, ts) VALUES ('e', -2, '2024-06-01 12:00+00')", "23514",
			"Failing row contains (5, e, -2, null, 2024-01-01, 2024-06-01 14:00:00+02, null, null, null)."},
		{"INSERT INTO frow (id, email) VALUES (100, NULL)", "23502", "Failing row contains (100, null, null, null, 2024-01-01, null, null, null, null)."},
		{"INSERT INTO frow (id, email, age, amt, d, ts, ok) VALUES ('101', NULL, '7', '2.5', '2024-2-3', '2024-06-01 12:00', 'yes')", "23502",
			"Failing row contains (101, null, 7, 2.50, 2024-02-03, 2024-06-01 12:00:00+02, t, null, null)."},
		// An UPDATE's refused row: the row as it would have been written.
		{"INSERT INTO frow (id, email, age) VALUES (200, 'u', 3), (201, 'v', 4)", "", ""},
		{"UPDATE frow SET age = -1 WHERE id = 200", "23514", "Failing row contains (200, u, -1, null, 2024-01-01, null, null, null, null)."},
		{"UPDATE frow SET age = age - 10, amt = 1 WHERE id >= 200", "23514", "Failing row contains (200, u, -7, 1.00, 2024-01-01, null, null, null, null)."},
		{"UPDATE frow SET email = NULL WHERE id = 201", "23502", "Failing row contains (201, null, 4, null, 2024-01-01, null, null, null, null)."},
		// PostgreSQL refuses NULL for a NOT NULL column only in a row it updates: none here.
		{"UPDATE frow SET email = NULL WHERE id = 999", "", ""},
	} {
		_, err := c.Exec(ctx, s.sql, pgx.QueryExecModeSimpleProtocol)
		if s.code == "" {
			if err != nil {
				t.Fatalf("%s: %s: %v", who, s.sql, err)
			}
			continue
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != s.code || pe.Detail != s.detail {
			t.Errorf("%s: %s: %v (detail %q), want %s with detail %q", who, s.sql, err, detailOf(err), s.code, s.detail)
		}
	}
}

// runErrorTexts checks errors as PostgreSQL words and places them: a call of a function that does not exist names
// its arguments' types (unknown for an untyped literal or NULL) with PostgreSQL's hint, and a literal that is not
// valid input for the type it is cast to fails at the literal.
func runErrorTexts(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range []struct{ sql, code, msg, at, hint string }{
		{"SELECT nosuchfn(1)", "42883", "function nosuchfn(integer) does not exist", "nosuchfn",
			"No function matches the given name and argument types. You might need to add explicit type casts."},
		{"SELECT nosuchfn('a', NULL, 1.5, true)", "42883", "function nosuchfn(unknown, unknown, numeric, boolean) does not exist", "nosuchfn",
			"No function matches the given name and argument types. You might need to add explicit type casts."},
		{"SELECT nosuchfn()", "42883", "function nosuchfn() does not exist", "nosuchfn",
			"No function matches the given name and argument types. You might need to add explicit type casts."},
		{"SELECT 1, 'abc'::int", "22P02", `invalid input syntax for type integer: "abc"`, "'abc'", ""},
		{"SELECT CAST('zz' AS numeric)", "22P02", `invalid input syntax for type numeric: "zz"`, "'zz'", ""},
		{"SELECT '{1,a}'::int[]", "22P02", `invalid input syntax for type integer: "a"`, "'{1,a}'", ""},
		{"SELECT '2024-13-01'::date", "22008", `date/time field value out of range: "2024-13-01"`, "'2024-13-01'", `Perhaps you need a different "datestyle" setting.`},
		{"SELECT '2024-12-32 10:00'::timestamptz", "22008", `date/time field value out of range: "2024-12-32 10:00"`, "'2024-12-32", `Perhaps you need a different "datestyle" setting.`},
		{`SELECT '{"a" 1}'::jsonb`, "22P02", "invalid input syntax for type json", `'{"a"`, ""},
		{"SELECT '2024-02-30'::date", "22008", `date/time field value out of range: "2024-02-30"`, "'2024-02-30'", ""},
	} {
		_, err := c.Exec(context.Background(), s.sql, pgx.QueryExecModeSimpleProtocol)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("%s: %s: %v, want %s %q", who, s.sql, err, s.code, s.msg)
			continue
		}
		if pe.Code != s.code || pe.Message != s.msg || pe.Hint != s.hint || pe.Position != int32(strings.Index(s.sql, s.at)+1) {
			t.Errorf("%s: %s: %v (position %d, hint %q), want %s %q at %d, hint %q", who, s.sql, err, pe.Position, hintOf(err),
				s.code, s.msg, strings.Index(s.sql, s.at)+1, s.hint)
		}
	}
}

// hintOf is an error's HINT ("" for none).
func hintOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Hint
	}
	return ""
}
