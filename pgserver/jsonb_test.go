package pgserver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

// jsonbSteps: jsonb values as PostgreSQL keeps them: keys in jsonb's order (shorter first) and a repeated key once,
// so that equality, DISTINCT, GROUP BY and WHERE d = '...' do not depend on the order keys were written in; scalar
// and array values of a jsonb column staying jsonb; the operators ||, -, #-, @> and <@; jsonb's sort order; casts of
// jsonb numbers and booleans. Compared with PostgreSQL 15.
var jsonbSteps = []struct{ sql, want string }{
	{"SELECT '{\"b\":1,\"a\":2}'::jsonb, '{\"a\":1,\"a\":2}'::jsonb", "{\"a\": 2, \"b\": 1}|{\"a\": 2}\nSELECT 1"},
	{"SELECT '{\"a\":1,\"b\":2}'::jsonb = '{\"b\":2,\"a\":1}'::jsonb", "t\nSELECT 1"},
	{"SELECT '{\"aa\":1,\"b\":2,\"c\":{\"zz\":1,\"y\":2}}'::jsonb", "{\"b\": 2, \"c\": {\"y\": 2, \"zz\": 1}, \"aa\": 1}\nSELECT 1"},
	{"CREATE TABLE jk (id int PRIMARY KEY, d jsonb)", "CREATE TABLE"},
	{"INSERT INTO jk VALUES (1, '{\"b\":1,\"a\":2}'), (2, '{\"a\":2,\"b\":1}')", "INSERT 0 2"},
	{"SELECT id, d FROM jk ORDER BY id", "1|{\"a\": 2, \"b\": 1}\n2|{\"a\": 2, \"b\": 1}\nSELECT 2"},
	{"SELECT count(DISTINCT d) FROM jk", "1\nSELECT 1"},
	{"SELECT id FROM jk WHERE d = '{\"a\":2,\"b\":1}' ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT d, count(*) FROM jk GROUP BY d", "{\"a\": 2, \"b\": 1}|2\nSELECT 1"},
	{"SELECT jsonb_build_object('b', 1, 'a', 2), jsonb_object_keys('{\"b\":1,\"a\":2}'::jsonb)", "{\"a\": 2, \"b\": 1}|a\n{\"a\": 2, \"b\": 1}|b\nSELECT 2"},
	{"SELECT d->'a', d || '{\"c\":3}' FROM jk ORDER BY id", "2|{\"a\": 2, \"b\": 1, \"c\": 3}\n2|{\"a\": 2, \"b\": 1, \"c\": 3}\nSELECT 2"},
	{"DROP TABLE jk", "DROP TABLE"},
	{"CREATE TABLE jk (id int PRIMARY KEY, d jsonb)", "CREATE TABLE"},
	{"INSERT INTO jk VALUES (1, '{\"b\":1,\"a\":2}'), (2, '{\"a\":2,\"b\":1}'), (3, '[1,2]'), (4, '5'), (5, '\"x\"')", "INSERT 0 5"},
	{"SELECT id FROM jk WHERE d = '{\"a\":2,\"b\":1}'::jsonb ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id FROM jk WHERE d = '{\"a\":2,\"b\":1}' ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id FROM jk WHERE d = '[1,2]' ORDER BY id", "3\nSELECT 1"},
	{"SELECT id FROM jk WHERE d = '5' ORDER BY id", "4\nSELECT 1"},
	{"SELECT id FROM jk WHERE d = '\"x\"' ORDER BY id", "5\nSELECT 1"},
	{"SELECT id FROM jk WHERE d::text = '{\"a\": 2, \"b\": 1}' ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT '{\"a\":2}'::jsonb = '{\"a\":2}', '{\"a\":2}'::jsonb = '{\"a\":2.0}'", "t|t\nSELECT 1"},
	{"DROP TABLE jk", "DROP TABLE"},
	{"CREATE TABLE jx (id int PRIMARY KEY, d jsonb)", "CREATE TABLE"},
	{"INSERT INTO jx VALUES (1, '{\"name\":\"ann\",\"tags\":[\"a\",\"b\"],\"age\":30,\"addr\":{\"city\":\"x\",\"zip\":\"1\"}}'), (2, '{\"name\":\"bo\",\"tags\":[\"b\"],\"age\":25}'), (3, '[1,2,3]'), (4, '5'), (5, '\"x\"'), (6, 'null'), (7, 'true'), (8, NULL), (9, '{}'), (10, '[]'), (11, '2.5')", "INSERT 0 11"},
	{"SELECT id FROM jx WHERE d @> '{\"tags\":[\"a\"]}' ORDER BY id", "1\nSELECT 1"},
	{"SELECT id FROM jx WHERE d @> '{\"addr\":{\"city\":\"x\"}}' ORDER BY id", "1\nSELECT 1"},
	{"SELECT id FROM jx WHERE d <@ '{\"name\":\"bo\",\"tags\":[\"b\",\"c\"],\"age\":25,\"x\":1}' ORDER BY id", "2\n9\nSELECT 2"},
	{"SELECT id FROM jx WHERE d @> '2' ORDER BY id", "3\nSELECT 1"},
	{"SELECT id FROM jx WHERE d @> '[3,1]' ORDER BY id", "3\nSELECT 1"},
	{"SELECT id FROM jx WHERE d @> '5' ORDER BY id", "4\nSELECT 1"},
	{"SELECT id, d || '{\"z\":1}' FROM jx WHERE id IN (1, 3, 4, 9, 10) ORDER BY id", "1|{\"z\": 1, \"age\": 30, \"addr\": {\"zip\": \"1\", \"city\": \"x\"}, \"name\": \"ann\", \"tags\": [\"a\", \"b\"]}\n3|[1, 2, 3, {\"z\": 1}]\n4|[5, {\"z\": 1}]\n9|{\"z\": 1}\n10|[{\"z\": 1}]\nSELECT 5"},
	{"SELECT id, d - 'name', d - 'tags' FROM jx WHERE id IN (1, 2) ORDER BY id", "1|{\"age\": 30, \"addr\": {\"zip\": \"1\", \"city\": \"x\"}, \"tags\": [\"a\", \"b\"]}|{\"age\": 30, \"addr\": {\"zip\": \"1\", \"city\": \"x\"}, \"name\": \"ann\"}\n2|{\"age\": 25, \"tags\": [\"b\"]}|{\"age\": 25, \"name\": \"bo\"}\nSELECT 2"},
	{"SELECT d - 0, d - -1, d - 'a' FROM jx WHERE id = 3", "[2, 3]|[1, 2]|[1, 2, 3]\nSELECT 1"},
	{"SELECT '[\"a\",\"b\",\"a\"]'::jsonb - 'a', '{\"a\":1,\"b\":2,\"c\":3}'::jsonb - '{a,c}'::text[]", "[\"b\"]|{\"b\": 2}\nSELECT 1"},
	{"SELECT d #- '{addr,city}', d #- '{tags,0}' FROM jx WHERE id = 1", "{\"age\": 30, \"addr\": {\"zip\": \"1\"}, \"name\": \"ann\", \"tags\": [\"a\", \"b\"]}|{\"age\": 30, \"addr\": {\"zip\": \"1\", \"city\": \"x\"}, \"name\": \"ann\", \"tags\": [\"b\"]}\nSELECT 1"},
	{"SELECT '5'::jsonb - 'a'", "ERROR 22023"},
	{"SELECT '{\"a\":1}'::jsonb - 1", "ERROR 22023"},
	{"SELECT id FROM jx WHERE d > '3' AND d < '[]' ORDER BY id", "SELECT 0"},
	{"SELECT d::text, d->>'name' FROM jx WHERE id IN (1, 5) ORDER BY id", "{\"age\": 30, \"addr\": {\"zip\": \"1\", \"city\": \"x\"}, \"name\": \"ann\", \"tags\": [\"a\", \"b\"]}|ann\n\"x\"|\nSELECT 2"},
	{"SELECT (d->'age')::int + 1, (d->>'age')::int, d->'age' = '30', d->'name' = '\"ann\"' FROM jx WHERE id = 1", "31|30|t|t\nSELECT 1"},
	{"SELECT d::numeric FROM jx WHERE id IN (4, 11) ORDER BY id", "5\n2.5\nSELECT 2"},
	{"SELECT '[1,2]'::jsonb || '[3]'::jsonb, '1'::jsonb || '2'::jsonb, '{\"a\":1}'::jsonb || '[1]'::jsonb, '[1]'::jsonb || '{\"a\":1}'::jsonb, '{\"a\":1,\"b\":2}'::jsonb || '{\"b\":3}'", "[1, 2, 3]|[1, 2]|[{\"a\": 1}, 1]|[1, {\"a\": 1}]|{\"a\": 1, \"b\": 3}\nSELECT 1"},
	{"SELECT '{\"a\":{\"b\":1,\"c\":2}}'::jsonb @> '{\"a\":{\"b\":1}}', '[[1,2],[3]]'::jsonb @> '[[3]]', '[1,[2]]'::jsonb @> '[2]', '{\"a\":1}'::jsonb @> '{}', '[1,2]'::jsonb <@ '[1,2,3]'", "t|t|f|t|t\nSELECT 1"},
	{"SELECT '1'::jsonb = '1.0'::jsonb, '{\"a\":1}'::jsonb = '{\"a\":1.0}'::jsonb, '[1,2]'::jsonb = '[1,2]'", "t|t|t\nSELECT 1"},
	{"UPDATE jx SET d = d || '{\"age\":31}' WHERE id = 1 RETURNING d->'age'", "31\nUPDATE 1"},
	{"UPDATE jx SET d = d - 'tags' WHERE id = 2 RETURNING d", "{\"age\": 25, \"name\": \"bo\"}\nUPDATE 1"},
	{"SELECT jsonb_set('{\"b\":1}', '{a}', '2'), jsonb_build_object('zz', 1, 'a', 2, 'a', 3)", "{\"a\": 2, \"b\": 1}|{\"a\": 3, \"zz\": 1}\nSELECT 1"},
	{"SELECT id, d FROM jx WHERE id <> 6 ORDER BY d, id", "10|[]\n5|\"x\"\n11|2.5\n4|5\n7|true\n3|[1, 2, 3]\n9|{}\n2|{\"age\": 25, \"name\": \"bo\"}\n1|{\"age\": 31, \"addr\": {\"zip\": \"1\", \"city\": \"x\"}, \"name\": \"ann\", \"tags\": [\"a\", \"b\"]}\n8|\nSELECT 10"},
	{"SELECT count(DISTINCT d), count(*) FROM jx WHERE id <> 6", "9|10\nSELECT 1"},
	{"DROP TABLE jx", "DROP TABLE"},
	{"SELECT '\"5\"'::jsonb::int", "ERROR 22023"},
	{"SELECT '{\"a\":1}'::jsonb::numeric", "ERROR 22023"},
	{"SELECT 'true'::jsonb::bool, '1.5'::jsonb::float8, '7'::jsonb::bigint", "t|1.5|7\nSELECT 1"},
	{"SELECT 'null'::jsonb::int", "ERROR 22023"},
	{"SELECT '[]'::jsonb < 'null'::jsonb, '[]'::jsonb < '[1]'::jsonb, '{\"b\":1}'::jsonb < '{\"aa\":1}'::jsonb, '\"a\"'::jsonb < '1'::jsonb, '1'::jsonb < 'true'::jsonb", "t|t|f|t|t\nSELECT 1"},
}

// jsonSetSteps: the set-returning functions over jsonb (jsonb_array_elements, jsonb_array_elements_text,
// jsonb_each, jsonb_each_text) in FROM and in a select list, with aliases, column aliases and WITH ORDINALITY;
// a WHERE clause filtering the table before the functions run on its rows; jsonb_extract_path(_text),
// jsonb_strip_nulls and jsonb_pretty. Compared with PostgreSQL 15.
var jsonSetSteps = []struct{ sql, want string }{
	{"CREATE TABLE jy (id int PRIMARY KEY, d jsonb)", "CREATE TABLE"},
	{"INSERT INTO jy VALUES (1, '{\"tags\":[\"a\",\"b\"],\"n\":{\"x\":1,\"y\":null},\"s\":\"q\"}'), (2, '{\"tags\":[],\"n\":{},\"s\":null}'), (3, '[1,\"two\",{\"k\":3},null]')", "INSERT 0 3"},
	{"SELECT * FROM jsonb_array_elements('[1,\"a\",{\"b\":2},null,[3]]')", "1\n\"a\"\n{\"b\": 2}\nnull\n[3]\nSELECT 5"},
	{"SELECT * FROM jsonb_array_elements_text('[1,\"a\",{\"b\":2},null,[3]]')", "1\na\n{\"b\": 2}\n\n[3]\nSELECT 5"},
	{"SELECT value FROM jsonb_array_elements('[1,2]') AS e", "1\n2\nSELECT 2"},
	{"SELECT e.value, e.ordinality FROM jsonb_array_elements('[\"x\",\"y\"]') WITH ORDINALITY AS e", "\"x\"|1\n\"y\"|2\nSELECT 2"},
	{"SELECT v FROM jsonb_array_elements_text('[\"x\",\"y\"]') AS e(v)", "x\ny\nSELECT 2"},
	{"SELECT id, t FROM jy, jsonb_array_elements_text(jy.d->'tags') AS t ORDER BY id, t", "1|a\n1|b\nSELECT 2"},
	{"SELECT id, count(*) FROM jy, jsonb_array_elements(d->'tags') GROUP BY id ORDER BY id", "1|2\nSELECT 1"},
	{"SELECT key, value FROM jsonb_each('{\"b\":1,\"a\":[2],\"c\":null}')", "a|[2]\nb|1\nc|null\nSELECT 3"},
	{"SELECT * FROM jsonb_each_text('{\"b\":1,\"a\":[2],\"c\":null,\"d\":\"s\"}')", "a|[2]\nb|1\nc|\nd|s\nSELECT 4"},
	{"SELECT k, v FROM jy, jsonb_each(jy.d) AS e(k, v) WHERE id = 1 ORDER BY k", "n|{\"x\": 1, \"y\": null}\ns|\"q\"\ntags|[\"a\", \"b\"]\nSELECT 3"},
	{"SELECT jsonb_array_elements(d->'tags') FROM jy ORDER BY 1", "\"a\"\n\"b\"\nSELECT 2"},
	{"SELECT jsonb_array_elements_text('[1,2]') AS x", "1\n2\nSELECT 2"},
	{"SELECT * FROM jsonb_array_elements('{\"a\":1}')", "ERROR 22023"},
	{"SELECT * FROM jsonb_array_elements('5')", "ERROR 22023"},
	{"SELECT * FROM jsonb_each('[1]')", "ERROR 22023"},
	{"SELECT jsonb_extract_path(d, 'n', 'x'), jsonb_extract_path_text(d, 'tags', '1'), jsonb_extract_path(d, 'nope') FROM jy WHERE id = 1", "1|b|\nSELECT 1"},
	{"SELECT jsonb_strip_nulls(d) FROM jy ORDER BY id", "{\"n\": {\"x\": 1}, \"s\": \"q\", \"tags\": [\"a\", \"b\"]}\n{\"n\": {}, \"tags\": []}\n[1, \"two\", {\"k\": 3}, null]\nSELECT 3"},
	{"SELECT jsonb_pretty(d) FROM jy ORDER BY id", "{\n    \"n\": {\n        \"x\": 1,\n        \"y\": null\n    },\n    \"s\": \"q\",\n    \"tags\": [\n        \"a\",\n        \"b\"\n    ]\n}\n{\n    \"n\": {\n    },\n    \"s\": null,\n    \"tags\": [\n    ]\n}\n[\n    1,\n    \"two\",\n    {\n        \"k\": 3\n    },\n    null\n]\nSELECT 3"},
	{"SELECT jsonb_pretty('5'), jsonb_pretty('[]'), jsonb_pretty('{\"a\":[]}')", "5|[\n]|{\n    \"a\": [\n    ]\n}\nSELECT 1"},
	{"DROP TABLE jy", "DROP TABLE"},
	{"CREATE TABLE ord (id int PRIMARY KEY, cust text, items jsonb)", "CREATE TABLE"},
	{"INSERT INTO ord VALUES (1, 'ann', '[{\"sku\":\"a\",\"qty\":2},{\"sku\":\"b\",\"qty\":1}]'), (2, 'bo', '[{\"sku\":\"a\",\"qty\":5}]'), (3, 'cy', '\"oops\"')", "INSERT 0 3"},
	{"SELECT o.id, item->>'sku', (item->>'qty')::int FROM ord o, jsonb_array_elements(o.items) AS item WHERE o.id IN (1, 2) ORDER BY 1, 2", "1|a|2\n1|b|1\n2|a|5\nSELECT 3"},
	{"SELECT item->>'sku' AS sku, sum((item->>'qty')::int) FROM ord o, jsonb_array_elements(o.items) item WHERE o.cust <> 'cy' GROUP BY 1 ORDER BY 1", "a|7\nb|1\nSELECT 2"},
	{"SELECT o.id FROM ord o, jsonb_array_elements(o.items) AS item WHERE o.id < 3 AND item->>'sku' = 'a' ORDER BY 1", "1\n2\nSELECT 2"},
	{"SELECT count(*) FROM ord o, jsonb_array_elements(o.items) e WHERE o.id = 1 AND e.value->>'qty' = '2'", "1\nSELECT 1"},
	{"SELECT id FROM ord, jsonb_array_elements(items) WHERE id <> 3 AND value @> '{\"sku\":\"b\"}'", "1\nSELECT 1"},
	{"SELECT * FROM ord o, jsonb_array_elements(o.items) WITH ORDINALITY AS x(elem, n) WHERE o.id = 1", "1|ann|[{\"qty\": 2, \"sku\": \"a\"}, {\"qty\": 1, \"sku\": \"b\"}]|{\"qty\": 2, \"sku\": \"a\"}|1\n1|ann|[{\"qty\": 2, \"sku\": \"a\"}, {\"qty\": 1, \"sku\": \"b\"}]|{\"qty\": 1, \"sku\": \"b\"}|2\nSELECT 2"},
	{"SELECT * FROM ord o, jsonb_array_elements(o.items)", "ERROR 22023"},
	{"DROP TABLE ord", "DROP TABLE"},
}

// objectAggSteps: jsonb_object_agg (grouped, ordered, filtered, jsonb values, a repeated key, no rows, a NULL key
// 22023) and generate_subscripts. Compared with PostgreSQL 15.
var objectAggSteps = []struct{ sql, want string }{
	{"CREATE TABLE oa (id int PRIMARY KEY, k text, v int, g text, d jsonb)", "CREATE TABLE"},
	{"INSERT INTO oa VALUES (1, 'b', 1, 'x', '{\"z\":1}'), (2, 'a', NULL, 'x', '[1]'), (3, 'b', 3, 'y', NULL), (4, 'cc', 4, 'y', '\"s\"')", "INSERT 0 4"},
	{"SELECT jsonb_object_agg(k, v) FROM oa", "{\"a\": null, \"b\": 3, \"cc\": 4}\nSELECT 1"},
	{"SELECT g, jsonb_object_agg(k, v ORDER BY id) FROM oa GROUP BY g ORDER BY g", "x|{\"a\": null, \"b\": 1}\ny|{\"b\": 3, \"cc\": 4}\nSELECT 2"},
	{"SELECT jsonb_object_agg(k, d) FROM oa WHERE id < 3", "{\"a\": [1], \"b\": {\"z\": 1}}\nSELECT 1"},
	{"SELECT jsonb_object_agg(k, g) FILTER (WHERE v > 1) FROM oa", "{\"b\": \"y\", \"cc\": \"y\"}\nSELECT 1"},
	{"SELECT jsonb_object_agg(k, v) FROM oa WHERE id > 10", "\nSELECT 1"},
	{"SELECT jsonb_object_agg(NULL::text, v) FROM oa", "ERROR 22023"},
	{"SELECT generate_subscripts(ARRAY[10,20,30], 1)", "1\n2\n3\nSELECT 3"},
	{"SELECT * FROM generate_subscripts(ARRAY['a','b'], 1, true) AS s", "2\n1\nSELECT 2"},
	{"SELECT generate_subscripts(ARRAY[1], 2)", "SELECT 0"},
	{"DROP TABLE oa", "DROP TABLE"},
}

// jsonbWholeSteps: a whole jsonb column compared with =, <>, <, >, IN in WHERE and DELETE (whole values in jsonb's
// order, never an array's elements); a table's rows filtered by their own conditions before a jsonb function in
// FROM reads them; a JSON null from -> and #> (a jsonb value, not SQL NULL) and negative array indexes;
// jsonb_build_object's keys; to_jsonb of dates, times and a double's NaN and infinities. Compared with
// PostgreSQL 15.
var jsonbWholeSteps = []struct{ sql, want string }{
	{"create table t (id int primary key, d jsonb)", "CREATE TABLE"},
	{"insert into t values (1,'[1,2]'),(2,'1'),(3,'{\"a\":1}')", "INSERT 0 3"},
	{"select id from t where d <> '[1,2]' order by id", "2\n3\nSELECT 2"},
	{"select id from t where d > '1' order by id", "1\n3\nSELECT 2"},
	{"select id from t where d < '{\"a\":1}' order by id", "1\n2\nSELECT 2"},
	{"select id from t where d in ('1', '[1,2]') order by id", "1\n2\nSELECT 2"},
	{"delete from t where d = '1'", "DELETE 1"},
	{"select id from t order by id", "1\n3\nSELECT 2"},
	{"drop table t", "DROP TABLE"},
	{"create table u (id int primary key, d jsonb, a int[])", "CREATE TABLE"},
	{"create table t (id int primary key, d jsonb); insert into t values (1,'{\"a\":1}'),(3,'[]')", "CREATE TABLE"},
	{"select t.id, e.key from t, jsonb_each(t.d) e where jsonb_typeof(t.d) = 'object'", "1|a\nSELECT 1"},
	{"select t.id, e.key from t, jsonb_each(t.d) e where t.id = 1", "1|a\nSELECT 1"},
	{"drop table t", "DROP TABLE"},
	{"select ('{\"a\":null}'::jsonb -> 'a') is null, ('{\"a\":null}'::jsonb->'a')::text, ('[null]'::jsonb -> 0) is null, jsonb_extract_path('{\"a\":null}','a') is null", "f|null|f|f\nSELECT 1"},
	{"select '{\"a\":null}'::jsonb ->> 'a' is null, '{\"a\":null}'::jsonb #> '{a}', '{\"a\":null}'::jsonb #>> '{a}' is null, '[1,2]'::jsonb -> -1, '[1,2]'::jsonb ->> -2, '[1,2]'::jsonb -> -3", "t|null|t|2|1|\nSELECT 1"},
	{"create table t (id int primary key, d jsonb); insert into t values (1,'{\"a\":null}'), (2, '{\"a\":1}'), (3, '{}')", "CREATE TABLE"},
	{"select id from t where d -> 'a' = 'null'", "1\nSELECT 1"},
	{"select id from t where d -> 'a' <> '1' order by id", "1\nSELECT 1"},
	{"select id, d -> 'a' from t order by id", "1|null\n2|1\n3|\nSELECT 3"},
	{"select id from t where d -> 'a' is null order by id", "3\nSELECT 1"},
	{"drop table t", "DROP TABLE"},
	{"select jsonb_build_object(1, 2, true, 3, 1.5, 4, 'x'::text, 5)", "{\"1\": 2, \"x\": 5, \"1.5\": 4, \"true\": 3}\nSELECT 1"},
	{"select jsonb_build_object(null, 1)", "ERROR 22023"},
	{"select to_jsonb('2020-01-02'::date), to_jsonb('2020-01-02 03:04:05.5+00'::timestamptz), to_jsonb('2020-01-02 03:04:05'::timestamp), to_jsonb('NaN'::float8), to_jsonb('Infinity'::float8), to_jsonb('-Infinity'::float8), jsonb_build_array(1.5::float8, 'NaN'::float8)", "\"2020-01-02\"|\"2020-01-02T03:04:05.5+00:00\"|\"2020-01-02T03:04:05\"|\"NaN\"|\"Infinity\"|\"-Infinity\"|[1.5, \"NaN\"]\nSELECT 1"},
	{"select jsonb_typeof(to_jsonb('NaN'::float8)), jsonb_typeof(to_jsonb('2020-01-02'::date))", "string|string\nSELECT 1"},
	{"select jsonb_build_object('f','NaN'::float8,'g','Infinity'::float8, 't', '2020-01-02 03:04:05+00'::timestamptz)", "{\"f\": \"NaN\", \"g\": \"Infinity\", \"t\": \"2020-01-02T03:04:05+00:00\"}\nSELECT 1"},
}

// jsonbSetSteps: jsonb_set's edges: an empty path, a NULL argument, a scalar target (22023), a path element that
// is no integer at an array (22P02) or NULL (22004), negative and past-the-end indexes, a missing key with and
// without create_if_missing. Compared with PostgreSQL 15.
var jsonbSetSteps = []struct{ sql, want string }{
	{"select jsonb_set('{\"a\":1}', '{}', '2')", "{\"a\": 1}\nSELECT 1"},
	{"select jsonb_set('{\"a\":1}', '{a}', '2', null)", "\nSELECT 1"},
	{"select jsonb_set('1', '{0}', '2')", "ERROR 22023"},
	{"select jsonb_set('{\"a\":[1]}', '{a,x}', '1')", "ERROR 22P02"},
	{"select jsonb_set('{\"a\":[1]}', '{a,null}', '2')", "ERROR 22004"},
	{"select jsonb_set('{\"a\":[1,2]}', '{a,-1}', '9'), jsonb_set('{\"a\":[1,2]}', '{a,5}', '9'), jsonb_set('{\"a\":[1,2]}', '{a,-5}', '9'), jsonb_set('{\"a\":{\"b\":1}}', '{a,c}', '3'), jsonb_set('{\"a\":{\"b\":1}}', '{a,c,d}', '3'), jsonb_set('{\"a\":1}', '{b}', '2', false)", "{\"a\": [1, 9]}|{\"a\": [1, 2, 9]}|{\"a\": [9, 1, 2]}|{\"a\": {\"b\": 1, \"c\": 3}}|{\"a\": {\"b\": 1}}|{\"a\": 1}\nSELECT 1"},
	{"select jsonb_set('{\"b\":1}', '{a}', '\"x\"')", "{\"a\": \"x\", \"b\": 1}\nSELECT 1"},
}

// wholeRowSteps: a source's whole row (to_jsonb(u), jsonb_agg(u), the record's text (1,ann), IS [NOT] NULL of a
// record, a subquery's row, a FROM subquery naming an enclosing query's column), and ->> of JSON booleans.
// Compared with PostgreSQL 15.
var wholeRowSteps = []struct{ sql, want string }{
	{"create table wu (id int primary key, name text, score numeric, tags text[], meta jsonb, at timestamptz, ok bool)", "CREATE TABLE"},
	{"insert into wu values (1, 'ann', 1.5, '{a,b}', '{\"k\": 1}', '2020-01-02 03:04:05+00', true), (2, 'bo, jr', NULL, '{}', NULL, NULL, false), (3, '', 2, NULL, '[1]', NULL, NULL)", "INSERT 0 3"},
	{"select to_jsonb(u) from wu u order by id", "{\"at\": \"2020-01-02T03:04:05+00:00\", \"id\": 1, \"ok\": true, \"meta\": {\"k\": 1}, \"name\": \"ann\", \"tags\": [\"a\", \"b\"], \"score\": 1.5}\n{\"at\": null, \"id\": 2, \"ok\": false, \"meta\": null, \"name\": \"bo, jr\", \"tags\": [], \"score\": null}\n{\"at\": null, \"id\": 3, \"ok\": null, \"meta\": [1], \"name\": \"\", \"tags\": null, \"score\": 2}\nSELECT 3"},
	{"select jsonb_agg(u order by id) from wu u", "[{\"at\": \"2020-01-02T03:04:05+00:00\", \"id\": 1, \"ok\": true, \"meta\": {\"k\": 1}, \"name\": \"ann\", \"tags\": [\"a\", \"b\"], \"score\": 1.5}, {\"at\": null, \"id\": 2, \"ok\": false, \"meta\": null, \"name\": \"bo, jr\", \"tags\": [], \"score\": null}, {\"at\": null, \"id\": 3, \"ok\": null, \"meta\": [1], \"name\": \"\", \"tags\": null, \"score\": 2}]\nSELECT 1"},
	{"select u from wu u order by id", "(1,ann,1.5,\"{a,b}\",\"{\"\"k\"\": 1}\",\"2020-01-02 03:04:05+00\",t)\n(2,\"bo, jr\",,{},,,f)\n(3,\"\",2,,[1],,)\nSELECT 3"},
	{"select wu from wu order by id", "(1,ann,1.5,\"{a,b}\",\"{\"\"k\"\": 1}\",\"2020-01-02 03:04:05+00\",t)\n(2,\"bo, jr\",,{},,,f)\n(3,\"\",2,,[1],,)\nSELECT 3"},
	{"select to_jsonb(s) from (select id, name as nm from wu where id < 3) s order by 1", "{\"id\": 1, \"nm\": \"ann\"}\n{\"id\": 2, \"nm\": \"bo, jr\"}\nSELECT 2"},
	{"select jsonb_agg(t) from (select id, upper(name) n from wu order by id) t", "[{\"n\": \"ANN\", \"id\": 1}, {\"n\": \"BO, JR\", \"id\": 2}, {\"n\": \"\", \"id\": 3}]\nSELECT 1"},
	{"select u.id, to_jsonb(u) -> 'name' from wu u where to_jsonb(u) ->> 'name' = 'ann'", "1|\"ann\"\nSELECT 1"},
	{"select count(*) from wu u where u is not null", "1\nSELECT 1"},
	{"select (select jsonb_agg(x) from (select id from wu w2 where w2.id <= wu.id order by id) x) from wu order by id", "[{\"id\": 1}]\n[{\"id\": 1}, {\"id\": 2}]\n[{\"id\": 1}, {\"id\": 2}, {\"id\": 3}]\nSELECT 3"},
	// t.* as an operand is the whole row, even beside a column named as the table's alias (v, then, is the column);
	// an outer join's missing row is a NULL row, which count skips.
	{"create table wv (wid int, v int)", "CREATE TABLE"},
	{"insert into wv values (1, 10), (1, NULL), (2, NULL)", "INSERT 0 3"},
	{"select u.id, count(v.*), count(v), count(v.v), count(*) from wu u left join wv v on v.wid = u.id group by u.id order by u.id",
		"1|2|1|1|2\n2|1|0|0|1\n3|0|0|0|1\nSELECT 3"},
	{"select u.id, row_to_json(v.*), v is null from wu u left join wv v on v.wid = u.id order by u.id, v.v",
		"1|{\"wid\":1,\"v\":10}|f\n1|{\"wid\":1,\"v\":null}|t\n2|{\"wid\":2,\"v\":null}|t\n3||t\nSELECT 4"},
	{"drop table wv", "DROP TABLE"},
	{"drop table wu", "DROP TABLE"},
	{"select '{\"a\":true,\"b\":null,\"c\":1.5,\"d\":\"x\"}'::jsonb ->> 'a', '{\"a\":true}'::jsonb #>> '{a}', ('{\"b\":null}'::jsonb ->> 'b') is null, '{\"c\":1.5}'::jsonb ->> 'c', '[true]'::jsonb ->> 0, '{\"d\":\"x\"}'::jsonb ->> 'd'", "true|true|t|1.5|true|x\nSELECT 1"},
}

// jsonbNumberSteps: jsonb numbers are exact, as PostgreSQL's numeric: their places kept (1.50, 10.00), integers
// past int64 and numbers with more digits than a double holds kept whole, exponents written out; numbers compare,
// contain and group by value; keys beginning with $ are plain keys. Compared with PostgreSQL 15.
var jsonbNumberSteps = []struct{ sql, want string }{
	{`SELECT '{"a": 1.50}'::jsonb, '[0.1, 1e2, -1.5e-3, -0.0, 2.5E+3]'::jsonb, '100000000000000000001'::jsonb`, `{"a": 1.50}|[0.1, 100, -0.0015, 0.0, 2500]|100000000000000000001` + "\nSELECT 1"},
	{`SELECT '{"a": 12345678901234567890.123456789}'::jsonb`, `{"a": 12345678901234567890.123456789}` + "\nSELECT 1"},
	{`SELECT to_jsonb(10.00::numeric), jsonb_build_object('a', 2.50::numeric(10,2)), jsonb_build_array(1.0, 2.00)`, `10.00|{"a": 2.50}|[1.0, 2.00]` + "\nSELECT 1"},
	{`SELECT '{"a": 0.1}'::jsonb @> '{"a": 0.10}', '1.0'::jsonb = '1'::jsonb, '{"a": 2}'::jsonb @> '{"a": 2.0}', '[1.50]'::jsonb = '[1.5]'::jsonb`, "t|t|t|t\nSELECT 1"},
	{`SELECT count(DISTINCT v) FROM (VALUES ('1.0'::jsonb), ('1'::jsonb), ('1.00'::jsonb), ('{"a": [2]}'::jsonb), ('{"a": [2.0]}'::jsonb)) t(v)`, "2\nSELECT 1"},
	{`SELECT '{"$numberInt": "5"}'::jsonb, '{"a": {"$oid": "5f0000000000000000000000"}}'::jsonb -> 'a' ->> '$oid'`, `{"$numberInt": "5"}|5f0000000000000000000000` + "\nSELECT 1"},
	{"CREATE TABLE jnum (id int PRIMARY KEY, j jsonb)", "CREATE TABLE"},
	{`INSERT INTO jnum VALUES (1, '{"price": 19.90, "big": 12345678901234567890}'), (2, '{"price": 5}'), (3, '{"price": 100.5}')`, "INSERT 0 3"},
	{`SELECT j, (j->>'big')::numeric + 1 FROM jnum WHERE id = 1`, `{"big": 12345678901234567890, "price": 19.90}|12345678901234567891` + "\nSELECT 1"},
	{`SELECT id FROM jnum WHERE (j->>'price')::numeric > 10 ORDER BY id`, "1\n3\nSELECT 2"},
	{`SELECT id FROM jnum WHERE j @> '{"price": 19.9}'`, "1\nSELECT 1"},
	{`SELECT sum((j->>'price')::numeric) FROM jnum`, "125.40\nSELECT 1"},
	{`UPDATE jnum SET j = jsonb_set(j, '{price}', '20.10') WHERE id = 1 RETURNING j`, `{"big": 12345678901234567890, "price": 20.10}` + "\nUPDATE 1"},
	{"DROP TABLE jnum", "DROP TABLE"},
}

func runJSONB(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, jsonbSteps)
	runSteps(t, who, c, jsonbNumberSteps)
	runSteps(t, who, c, jsonSetSteps)
	runSteps(t, who, c, objectAggSteps)
	runSteps(t, who, c, jsonbWholeSteps)
	runSteps(t, who, c, jsonbSetSteps)
	runSteps(t, who, c, wholeRowSteps)
}

// TestJSONB_Refusals: what Concord refuses rather than answer differently from PostgreSQL: a unique key on a jsonb
// or array column (the storage's unique index would take an array's elements as keys: '[1,2]' and '[2,1]' would
// conflict), and a cast of jsonb to uuid (42846, as in PostgreSQL; it once dropped the connection).
func TestJSONB_Refusals(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	for stmt, code := range map[string]string{
		"CREATE TABLE ju (id int PRIMARY KEY, d jsonb UNIQUE)": "0A000",
		"CREATE TABLE ju (id int PRIMARY KEY, a int[] UNIQUE)": "0A000",
		"SELECT '1'::jsonb::uuid":                              "42846",
		"SELECT ('{\"a\": \"x\"}'::jsonb -> 'a')::uuid":        "42846",
	} {
		if _, err := c.Exec(ctx, stmt); sqlState(err) != code {
			t.Errorf("%s: %v, want %s", stmt, err, code)
		}
	}
	if _, err := c.Exec(ctx, "CREATE TABLE jv (id int PRIMARY KEY, d jsonb, a int[])"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"CREATE UNIQUE INDEX ON jv (d)", "CREATE UNIQUE INDEX ON jv (a)", "ALTER TABLE jv ADD UNIQUE (a)"} {
		if _, err := c.Exec(ctx, stmt); sqlState(err) != "0A000" {
			t.Errorf("%s: %v, want 0A000", stmt, err)
		}
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("connection after the refusals: %v", err)
	}
}

// TestWholeRow_Pgx: a whole row through pgx's extended protocol: as jsonb, and as a record pgx decodes.
func TestWholeRow_Pgx(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE wr (id int PRIMARY KEY, name text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO wr VALUES (1, 'ann'), (2, NULL)"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := c.QueryRow(ctx, "SELECT to_jsonb(w) FROM wr w WHERE id = $1", 1).Scan(&doc); err != nil || doc["name"] != "ann" || doc["id"] != float64(1) {
		t.Fatalf("to_jsonb(w): %v, %v", doc, err)
	}
	rows, err := c.Query(ctx, "SELECT w FROM wr w ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(vals))
	}
	if err := rows.Err(); err != nil || len(got) != 2 || got[0] != "[[1 ann]]" || got[1] != "[[2 <nil>]]" {
		t.Fatalf("SELECT w: %q, %v", got, err)
	}
}
