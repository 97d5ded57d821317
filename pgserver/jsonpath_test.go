package pgserver_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// jsonPathSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): the jsonpath type's input and
// output, the jsonb_path_* functions (jsonb_path_query in the select list and in FROM), vars and silent, the @?
// and @@ operators on a table's rows and with a prepared path, and the errors of a path that does not parse or
// fails in strict mode, with PostgreSQL's SQLSTATEs.
var jsonPathSteps = []struct{ sql, want string }{
	{"DROP TABLE IF EXISTS jpt", ""},
	{`SELECT jsonb_path_query('{"a":[1,2,3,{"b":"x"}]}', '$.a[*] ? (@ > 1)')`, "2\n3\nSELECT 2"},
	{`SELECT jsonb_path_query_array('{"a":[1,2,3,{"b":"x"}]}', '$.a[*] ? (@ > 1)')`, "[2, 3]\nSELECT 1"},
	{`SELECT jsonb_path_query_first('{"a":[1,2,3,{"b":"x"}]}', '$.a[3].b'), jsonb_path_query_first('[]', '$[0]') IS NULL`, "\"x\"|t\nSELECT 1"},
	{`SELECT jsonb_path_exists('{"a":[1,2,3]}', '$.a[*] ? (@ > $min)', '{"min": 2}'), jsonb_path_exists('{"a":[1,2,3]}', '$.a[*] ? (@ > $min)', '{"min": 5}')`, "t|f\nSELECT 1"},
	{`SELECT jsonb_path_match('{"a":[1,2,3]}', '$.a[0] == 1'), jsonb_path_match('{"a":[1]}', '$.a[0] == 1', '{}', true)`, "t|t\nSELECT 1"},
	{`SELECT '{"a":[1,2,3]}'::jsonb @? '$.a[*] ? (@ == 2)', '{"a":[1,2,3]}'::jsonb @@ '$.a[0] == 2'`, "t|f\nSELECT 1"},
	{`SELECT '{"a":1}'::jsonb @? 'strict $.b' IS NULL, '{"a":1}'::jsonb @@ '$.a' IS NULL`, "t|t\nSELECT 1"},
	{`SELECT '$.a[*] ? (@ > 1)'::jsonpath, '  $ . a'::jsonpath, 'strict $.x.y'::jsonpath, pg_typeof('$'::jsonpath)`,
		`$."a"[*]?(@ > 1)|$."a"|strict $."x"."y"|jsonpath` + "\nSELECT 1"},
	{`SELECT q, ordinality FROM jsonb_path_query('{"a":[1,{"x":2}]}', '$.a[*]') WITH ORDINALITY AS q`, "1|1\n{\"x\": 2}|2\nSELECT 2"},
	{`SELECT jsonb_path_query('{"s":"2024-01-02"}', '$.s.datetime()')`, "\"2024-01-02\"\nSELECT 1"},
	{`SELECT jsonb_path_query('{"a":[1,2,3]}', 'strict $.z')`, `ERROR 2203A JSON object does not contain key "z"`},
	{`SELECT count(*) FROM jsonb_path_query('{"a":[1,2,3]}', 'strict $.z', '{}', true)`, "0\nSELECT 1"},
	{`SELECT jsonb_path_query('{"a":[1,2]}', 'strict $.a[5]')`, "ERROR 22033 jsonpath array subscript is out of bounds"},
	{`SELECT jsonb_path_query('{"s":"x"}', 'strict $.s[0]')`, "ERROR 22039 jsonpath array accessor can only be applied to an array"},
	{`SELECT jsonb_path_query('{"s":"x"}', '$.s + 1')`, "ERROR 22038 left operand of jsonpath operator + is not a single numeric value"},
	{`SELECT jsonb_path_query('{"a":[1]}', '$.a[0] / 0')`, "ERROR 22012 division by zero"},
	{`SELECT jsonb_path_query('{}', '$x')`, `ERROR 42704 could not find jsonpath variable "x"`},
	{`SELECT jsonb_path_match('{"a":[1,2]}', '$.a[*]')`, "ERROR 22038 single boolean result is expected"},
	{`SELECT jsonb_path_query('[1]', '$', '[1]')`, `ERROR 22023 "vars" argument is not an object`},
	{`SELECT '$.a['::jsonpath`, "ERROR 42601 syntax error at end of jsonpath input"},
	{`SELECT '$.a.nosuch()'::jsonpath`, `ERROR 42601 syntax error at or near "(" of jsonpath input`},
	{`SELECT '@.a'::jsonpath`, "ERROR 42601 @ is not allowed in root expressions"},
	{"CREATE TABLE jpt (id int PRIMARY KEY, doc jsonb)", "CREATE TABLE"},
	{`INSERT INTO jpt VALUES (1, '{"tags":["a","b"],"n":5}'), (2, '{"tags":["c"],"n":1}'), (3, NULL)`, "INSERT 0 3"},
	{`SELECT id FROM jpt WHERE doc @? '$.tags[*] ? (@ == "b")' ORDER BY id`, "1\nSELECT 1"},
	{`SELECT id, jsonb_path_query_first(doc, '$.n') FROM jpt ORDER BY id`, "1|5\n2|1\n3|\nSELECT 3"},
	{`SELECT id FROM jpt WHERE jsonb_path_exists(doc, '$.n ? (@ > $x)', jsonb_build_object('x', 2)) ORDER BY id`, "1\nSELECT 1"},
}

// runJSONPath runs jsonPathSteps, then a path as a parameter of the extended protocol.
func runJSONPath(t *testing.T, who string, c *pgx.Conn) {
	runMessageSteps(t, who, c, jsonPathSteps)
	got, err := renderSimple(c, "SELECT id FROM jpt WHERE doc @@ $1 ORDER BY id", []any{"$.n > 3"})
	if err != nil || got != "1\nSELECT 1" {
		t.Errorf("%s: a jsonpath parameter: %q %v", who, got, err)
	}
	mustExec(t, c, "DROP TABLE jpt")
}
