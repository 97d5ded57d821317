package pgserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// jsonFnSteps: PostgreSQL 15's json functions, with its answers: array_to_json and row_to_json (pretty too) of
// arrays, anonymous ROW(...) records (fields f1, f2, ...), table rows and subquery rows; json_to_record,
// jsonb_to_record, json_to_recordset and jsonb_to_recordset with a column definition list, json[b]_populate_record
// and json[b]_populate_recordset over a table's row type (an INSERT ... SELECT of them too); jsonb_insert;
// jsonb_exists, jsonb_exists_any and jsonb_exists_all; and the json type's text: a cast keeps its input as
// written, and json_build_object, json_build_array, json_object_agg, json_agg, json_strip_nulls and to_json write
// PostgreSQL's layouts. Errors: wrong argument types, bad paths, keys that exist, NULLs where none may be.
var jsonFnSteps = []struct{ sql, want string }{
	{"CREATE TABLE jfemp (id int PRIMARY KEY, name text, born date, pay numeric(8,2), tags text[], doc jsonb)",
		"CREATE TABLE"},
	{"INSERT INTO jfemp VALUES (1, 'ann', '1990-01-02', 10.50, '{a,b}', '{\"k\": [1, 2]}'), (2, 'bob', NULL, NULL, NULL, NULL)",
		"INSERT 0 2"},
	{"SELECT array_to_json(ARRAY[1,2,3]), array_to_json(ARRAY['a',NULL,'c\"d']), array_to_json('{}'::int[])",
		"[1,2,3]|[\"a\",null,\"c\\\"d\"]|[]\nSELECT 1"},
	{"SELECT array_to_json(ARRAY[1,2], true), array_to_json(ARRAY[1,2], false)",
		"[1,\n 2]|[1,2]\nSELECT 1"},
	{"SELECT array_to_json(NULL::int[]), array_to_json(ARRAY[1], NULL) IS NULL",
		"|t\nSELECT 1"},
	{"SELECT array_to_json(ARRAY['2024-01-02'::date]), array_to_json(ARRAY[1.50, 2]), array_to_json(ARRAY[true, false])",
		"[\"2024-01-02\"]|[1.50,2]|[true,false]\nSELECT 1"},
	{"SELECT array_to_json(1)",
		"ERROR 42883"},
	{"SELECT array_to_json('{1,2}')",
		"ERROR 42804"},
	{"SELECT row_to_json(row(1,'a')), to_json(row(1,'a',NULL)), to_jsonb(row(1,'a'))",
		"{\"f1\":1,\"f2\":\"a\"}|{\"f1\":1,\"f2\":\"a\",\"f3\":null}|{\"f1\": 1, \"f2\": \"a\"}\nSELECT 1"},
	{"SELECT row_to_json(row(1,'a'), true)",
		"{\"f1\":1,\n \"f2\":\"a\"}\nSELECT 1"},
	{"SELECT row_to_json(row(1, row(2, 'x')))",
		"{\"f1\":1,\"f2\":{\"f1\":2,\"f2\":\"x\"}}\nSELECT 1"},
	{"SELECT row(1,'a'), (2, 'b c')",
		"(1,a)|(2,\"b c\")\nSELECT 1"},
	{"SELECT row_to_json(t) FROM jfemp t ORDER BY id",
		"{\"id\":1,\"name\":\"ann\",\"born\":\"1990-01-02\",\"pay\":10.50,\"tags\":[\"a\",\"b\"],\"doc\":{\"k\": [1, 2]}}\n{\"id\":2,\"name\":\"bob\",\"born\":null,\"pay\":null,\"tags\":null,\"doc\":null}\nSELECT 2"},
	{"SELECT row_to_json(t, true) FROM jfemp t WHERE id = 1",
		"{\"id\":1,\n \"name\":\"ann\",\n \"born\":\"1990-01-02\",\n \"pay\":10.50,\n \"tags\":[\"a\",\"b\"],\n \"doc\":{\"k\": [1, 2]}}\nSELECT 1"},
	{"SELECT to_json(t), to_jsonb(t) FROM jfemp t WHERE id = 2",
		"{\"id\":2,\"name\":\"bob\",\"born\":null,\"pay\":null,\"tags\":null,\"doc\":null}|{\"id\": 2, \"doc\": null, \"pay\": null, \"born\": null, \"name\": \"bob\", \"tags\": null}\nSELECT 1"},
	{"SELECT row_to_json(s) FROM (SELECT id AS n, upper(name) AS u FROM jfemp) s ORDER BY n",
		"{\"n\":1,\"u\":\"ANN\"}\n{\"n\":2,\"u\":\"BOB\"}\nSELECT 2"},
	{"SELECT row_to_json(1)",
		"ERROR 42883"},
	{"SELECT json_agg(t) FROM (SELECT id, name FROM jfemp ORDER BY id) t",
		"[{\"id\":1,\"name\":\"ann\"}, \n {\"id\":2,\"name\":\"bob\"}]\nSELECT 1"},
	{"SELECT json_agg(tags ORDER BY id) FROM jfemp",
		"[[\"a\",\"b\"], null]\nSELECT 1"},
	{"SELECT * FROM json_to_record('{\"a\":1,\"b\":\"x\"}') AS t(a int, b text)",
		"1|x\nSELECT 1"},
	{"SELECT a, b, c, d, e, f, z FROM json_to_record('{\"a\":\"7\",\"b\":{\"x\":1},\"c\":[1,2],\"d\":true,\"e\":[1, 2],\"f\":{\"y\": 1, \"x\": 2}}') AS t(a int, b text, c int[], d bool, e json, f jsonb, z text)",
		"7|{\"x\":1}|{1,2}|t|[1, 2]|{\"x\": 2, \"y\": 1}|\nSELECT 1"},
	{"SELECT * FROM jsonb_to_record('{\"a\":1,\"b\":{\"x\":1},\"e\":[1,2]}') AS t(a int, b text, e json)",
		"1|{\"x\": 1}|[1, 2]\nSELECT 1"},
	{"SELECT * FROM json_to_record('{\"a\":1.50,\"b\":1e2,\"c\":\"2024-01-02\",\"d\":null}') AS (a numeric, b float8, c date, d int)",
		"1.50|100|2024-01-02|\nSELECT 1"},
	{"SELECT * FROM json_to_recordset('[{\"a\":1,\"b\":\"x\"},{\"a\":2},{\"b\":\"z\",\"a\":null}]') AS t(a int, b text)",
		"1|x\n2|\n|z\nSELECT 3"},
	{"SELECT * FROM jsonb_to_recordset('[{\"a\":1,\"b\":\"x\"},{\"a\":2}]') AS t(a int, b text) WHERE a > 1",
		"2|\nSELECT 1"},
	{"SELECT count(*) FROM json_to_recordset(NULL) AS t(a int)",
		"0\nSELECT 1"},
	{"SELECT * FROM json_to_record(NULL) AS t(a int, b text)",
		"|\nSELECT 1"},
	{"SELECT * FROM json_to_record('{\"a\":1,\"a\":3}') AS t(a int)",
		"3\nSELECT 1"},
	{"SELECT * FROM json_to_record('{\"a\":\"x\"}') AS t(a int)",
		"ERROR 22P02"},
	{"SELECT * FROM json_to_record('{\"a\":1.5}') AS t(a int)",
		"ERROR 22P02"},
	{"SELECT * FROM json_to_record('{\"a\":5}') AS t(a int[])",
		"ERROR 22P02"},
	{"SELECT * FROM json_to_record('{\"a\":\"abc\"}') AS t(a varchar(2))",
		"ERROR 22001"},
	{"SELECT * FROM json_to_record('[1]') AS t(a int)",
		"ERROR 22023"},
	{"SELECT * FROM json_to_record('1') AS t(a int)",
		"ERROR 22023"},
	{"SELECT * FROM json_to_recordset('{\"a\":1}') AS t(a int)",
		"ERROR 22023"},
	{"SELECT * FROM jsonb_to_recordset('{\"a\":1}') AS t(a int)",
		"ERROR 22023"},
	{"SELECT * FROM json_to_recordset('[1]') AS t(a int)",
		"ERROR 22023"},
	{"SELECT * FROM json_to_record('{\"a\":1}')",
		"ERROR 42601"},
	{"SELECT * FROM json_to_record('{\"a\":1}') AS t(a int, a text)",
		"ERROR 42701"},
	{"SELECT * FROM json_to_record('{\"a\":1}') WITH ORDINALITY AS t(a int)",
		"ERROR 42601"},
	{"SELECT * FROM generate_series(1, 2) AS t(a int)",
		"ERROR 42601"},
	{"SELECT * FROM json_to_record('{\"a\":') AS t(a int)",
		"ERROR 22P02"},
	{"SELECT jsonb_insert('{\"a\":[0,1,2]}', '{a,1}', '\"new\"'), jsonb_insert('{\"a\":[0,1,2]}', '{a,1}', '\"new\"', true)",
		"{\"a\": [0, \"new\", 1, 2]}|{\"a\": [0, 1, \"new\", 2]}\nSELECT 1"},
	{"SELECT jsonb_insert('{\"a\":[0,1,2]}', '{a,-1}', '9'), jsonb_insert('{\"a\":[0,1,2]}', '{a,10}', '9'), jsonb_insert('{\"a\":[0,1,2]}', '{a,-10}', '9', true)",
		"{\"a\": [0, 1, 9, 2]}|{\"a\": [0, 1, 2, 9]}|{\"a\": [9, 0, 1, 2]}\nSELECT 1"},
	{"SELECT jsonb_insert('{\"a\":{\"b\":1}}', '{a,c}', '[2]'), jsonb_insert('{\"a\":1}', '{x,y}', '2'), jsonb_insert('[]', '{0}', '1'), jsonb_insert('{\"a\":1}', '{}', '2')",
		"{\"a\": {\"b\": 1, \"c\": [2]}}|{\"a\": 1}|[1]|{\"a\": 1}\nSELECT 1"},
	{"SELECT jsonb_insert('{\"a\":{\"b\":1}}', '{a,b}', '2')",
		"ERROR 22023"},
	{"SELECT jsonb_insert('\"s\"', '{a}', '2')",
		"ERROR 22023"},
	{"SELECT jsonb_insert('[1]', '{x}', '2')",
		"ERROR 22P02"},
	{"SELECT jsonb_insert('{\"a\":1}', '{a,NULL}', '2')",
		"ERROR 22004"},
	{"SELECT jsonb_insert(NULL, '{a}', '1') IS NULL, jsonb_insert('{}', '{a}', NULL) IS NULL, jsonb_insert('{}', '{a}', '1', NULL) IS NULL",
		"t|t|t\nSELECT 1"},
	{"SELECT jsonb_exists('{\"a\":1,\"b\":2}', 'a'), jsonb_exists('{\"a\":1}', 'z'), jsonb_exists('[\"a\",\"b\"]', 'b'), jsonb_exists('\"a\"', 'a'), jsonb_exists('{\"a\":1}', NULL) IS NULL",
		"t|f|t|t|t\nSELECT 1"},
	{"SELECT jsonb_exists_any('{\"a\":1}', '{z,a}'), jsonb_exists_any('{\"a\":1}', '{}'), jsonb_exists_all('{\"a\":1,\"b\":2}', '{a,b}'), jsonb_exists_all('{\"a\":1}', '{a,z}'), jsonb_exists_all('{\"a\":1}', '{}')",
		"t|f|t|f|t\nSELECT 1"},
	{"SELECT jsonb_exists_all('{\"a\":1}', ARRAY[NULL,'a']), jsonb_exists_any('{\"a\":1}', ARRAY[NULL]::text[])",
		"t|f\nSELECT 1"},
	{"SELECT count(*) FROM jfemp WHERE jsonb_exists(doc, 'k')",
		"1\nSELECT 1"},
	{"SELECT jsonb_exists('{\"a\":1}'::json, 'a')",
		"ERROR 42883"},
	{"SELECT '{\"b\":1,\"a\":[1,2]}'::json, '{\"b\":1,\"a\":[1,2]}'::jsonb, ' [1,  2] '::json, '{\"a\":1,\"a\":2}'::json",
		"{\"b\":1,\"a\":[1,2]}|{\"a\": [1, 2], \"b\": 1}| [1,  2] |{\"a\":1,\"a\":2}\nSELECT 1"},
	{"SELECT '{\"a\":'::json",
		"ERROR 22P02"},
	{"SELECT '{\"b\":1,\"a\":2}'::json::text, '{\"b\":1,\"a\":2}'::json::jsonb, '{\"a\": 5}'::json -> 'a', '{\"a\":5}'::json ->> 'a'",
		"{\"b\":1,\"a\":2}|{\"a\": 2, \"b\": 1}|5|5\nSELECT 1"},
	{"SELECT json_build_object('a', 1, 'b', 'x', 'c', NULL, 'd', true, 'e', ARRAY[1,2], 'f', '{\"z\":1}'::json, 'g', '{\"z\":1}'::jsonb)",
		"{\"a\" : 1, \"b\" : \"x\", \"c\" : null, \"d\" : true, \"e\" : [1,2], \"f\" : {\"z\":1}, \"g\" : {\"z\": 1}}\nSELECT 1"},
	{"SELECT json_build_object(), json_build_array(), json_build_array(1, 'a', NULL, row(1,2), 1.5::float8, 'NaN'::float8)",
		"{}|[]|[1, \"a\", null, {\"f1\":1,\"f2\":2}, 1.5, \"NaN\"]\nSELECT 1"},
	{"SELECT json_build_object('a')",
		"ERROR 22023"},
	{"SELECT json_build_object(NULL, 1)",
		"ERROR 22023"},
	{"SELECT json_object_agg(id, name ORDER BY id) FROM jfemp",
		"{ \"1\" : \"ann\", \"2\" : \"bob\" }\nSELECT 1"},
	{"SELECT json_object_agg(k, v) FROM (VALUES ('a', '{\"x\": 1}'::json), ('b', NULL)) t(k, v)",
		"{ \"a\" : {\"x\": 1}, \"b\" : null }\nSELECT 1"},
	{"SELECT json_object_agg(k, 1) FROM (VALUES (NULL::text)) t(k)",
		"ERROR 22023"},
	{"SELECT json_object_agg(id, id) FROM jfemp WHERE id > 5",
		"\nSELECT 1"},
	{"SELECT json_agg(x) FROM (VALUES (1), (NULL), (3)) t(x)",
		"[1, null, 3]\nSELECT 1"},
	{"SELECT json_agg(name ORDER BY id) FROM jfemp",
		"[\"ann\", \"bob\"]\nSELECT 1"},
	{"SELECT json_strip_nulls('{\"a\":null,\"b\":1}'), json_strip_nulls('[1, null, {\"a\":null, \"b\" : [ 1 , 2.50 ]}]'), json_strip_nulls('\"x\"')",
		"{\"b\":1}|[1,null,{\"b\":[1,2.50]}]|\"x\"\nSELECT 1"},
	{"SELECT json_strip_nulls(NULL) IS NULL, jsonb_strip_nulls('{\"a\":null,\"b\":{\"c\":null}}')",
		"t|{\"b\": {}}\nSELECT 1"},
	{"SELECT to_json('a\"b'::text), to_json(1.50), to_json(NULL::int) IS NULL, to_json(ARRAY['x','y']), to_json('{\"b\":1}'::jsonb)",
		"\"a\\\"b\"|1.50|t|[\"x\",\"y\"]|{\"b\": 1}\nSELECT 1"},
	{"SELECT to_json(born), to_json(pay), to_json(tags), to_json(doc) FROM jfemp WHERE id = 1",
		"\"1990-01-02\"|10.50|[\"a\",\"b\"]|{\"k\": [1, 2]}\nSELECT 1"},
	// The populate functions take their columns from a table's row type: NULL::table.
	{"SELECT * FROM jsonb_populate_recordset(NULL::jfemp, '[{\"id\":7,\"name\":\"cy\",\"pay\":2.256,\"tags\":[\"x\"],\"doc\":{\"k\":1}},{\"id\":8,\"extra\":5}]')",
		"7|cy||2.26|{x}|{\"k\": 1}\n8|||||\nSELECT 2"},
	{"SELECT r.id, r.born FROM json_populate_record(NULL::public.jfemp, '{\"id\": 9, \"born\": \"2001-02-03\"}') AS r",
		"9|2001-02-03\nSELECT 1"},
	{"INSERT INTO jfemp SELECT * FROM jsonb_populate_recordset(NULL::jfemp, '[{\"id\": 10, \"name\": \"dee\"}, {\"id\": 11, \"tags\": [\"a\",\"b\"]}]') RETURNING id, name, tags",
		"10|dee|\n11||{a,b}\nINSERT 0 2"},
	{"SELECT * FROM jsonb_populate_record(NULL::nojf, '{}')", "ERROR 42704"},
	{"SELECT * FROM jsonb_populate_record(NULL::int, '{}')", "ERROR 42804"},
	{"SELECT * FROM jsonb_populate_record(NULL::jfemp, '[1]')", "ERROR 22023"},
	{"SELECT * FROM jsonb_populate_recordset(NULL::jfemp, '{\"id\": 1}')", "ERROR 22023"},
	{"SELECT * FROM jsonb_populate_record(NULL::jfemp, '{\"id\": \"x\"}')", "ERROR 22P02"},
	{"SELECT * FROM jsonb_populate_record(NULL::jfemp, '{}') AS t(a int)", "ERROR 42601"},
	{"DROP TABLE jfemp",
		"DROP TABLE"},
}

func runJSONFn(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, jsonFnSteps) }

// TestJSONPopulate_Parameter writes rows that arrive as one JSON parameter, as applications bulk-insert with pgx:
// INSERT INTO t SELECT * FROM jsonb_populate_recordset(NULL::t, $1), the parameter's type inferred as jsonb.
func TestJSONPopulate_Parameter(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE jp (id int PRIMARY KEY, name text NOT NULL, score numeric(5,2), tags text[])")
	rows := `[{"id": 1, "name": "a", "score": 1.005, "tags": ["x", "y"]}, {"id": 2, "name": "b"}]`
	tag, err := c.Exec(ctx, "INSERT INTO jp SELECT * FROM jsonb_populate_recordset(NULL::jp, $1)", rows)
	if err != nil || tag.String() != "INSERT 0 2" {
		t.Fatalf("insert: %v %v", tag, err)
	}
	var got []string
	r, err := c.Query(ctx, "SELECT id, name, coalesce(score::text, '-'), coalesce(array_to_string(tags, ','), '-') FROM jp ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int32
		var name, score, tags string
		if err := r.Scan(&id, &name, &score, &tags); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %s %s", id, name, score, tags))
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "; ") != "1 a 1.01 x,y; 2 b - -" {
		t.Fatalf("rows: %q", got)
	}
	// A row the table's constraints refuse refuses the statement: nothing of it is written.
	_, err = c.Exec(ctx, "INSERT INTO jp SELECT * FROM jsonb_populate_recordset(NULL::jp, $1)", `[{"id": 3, "name": "c"}, {"id": 4}]`)
	if sqlState(err) != "23502" {
		t.Fatalf("a row without its NOT NULL name: %v, want 23502", err)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM jp").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d rows (%v), want 2", n, err)
	}
}
