package pgserver_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// arrayFnSteps: PostgreSQL 15's array, string, trigonometric and date-part functions with PostgreSQL's answers:
// multi-dimensional arrays (their text form, array_length, array_ndims, array_dims, cardinality, subscripts,
// unnest and ||), array_positions, array_replace and array_fill; string_to_table, unistr, convert_to,
// convert_from and to_regclass; the trigonometric functions of degrees (sind ... atan2d), the hyperbolic
// functions, degrees and radians; with their errors and NULL arguments.
var arrayFnSteps = []struct{ sql, want string }{
	// Multi-dimensional arrays: their text form, sizes and dimensions.
	{"SELECT ARRAY[[1,2],[3,4]], ARRAY[[1,2],[3,4]]::text, ARRAY[['a','b c'],['',NULL]]",
		"{{1,2},{3,4}}|{{1,2},{3,4}}|{{a,\"b c\"},{\"\",NULL}}\nSELECT 1"},
	{"SELECT ARRAY[[[1],[2]],[[3],[4]]], ARRAY[[1.5,2],[3,4]], ARRAY[[true,false]]",
		"{{{1},{2}},{{3},{4}}}|{{1.5,2},{3,4}}|{{t,f}}\nSELECT 1"},
	{"SELECT '{{1,2},{3,4}}'::int[], '{{a,\"b c\"},{NULL,d}}'::text[], '{ {1} , {2} }'::int[]",
		"{{1,2},{3,4}}|{{a,\"b c\"},{NULL,d}}|{{1},{2}}\nSELECT 1"},
	{"SELECT '{{1,2},{3}}'::int[]",
		"ERROR 22P02"},
	{"SELECT ARRAY[[1,2],[3]]",
		"ERROR 2202E"},
	{"SELECT ARRAY[ARRAY[1,2],NULL]",
		"ERROR 2202E"},
	{"SELECT array_length(ARRAY[[1,2,3],[4,5,6]], 1), array_length(ARRAY[[1,2,3],[4,5,6]], 2), array_length(ARRAY[[1,2],[3,4]], 3), array_length(ARRAY[1,2], 0), array_length(ARRAY[1,2], NULL)",
		"2|3|||\nSELECT 1"},
	{"SELECT array_ndims(ARRAY[[1,2],[3,4]]), array_ndims(ARRAY[1,2]), array_ndims('{}'::int[]), array_ndims(NULL::int[])",
		"2|1||\nSELECT 1"},
	{"SELECT cardinality(ARRAY[[1,2],[3,4]]), cardinality(ARRAY[1,2,3]), cardinality('{}'::int[]), cardinality(NULL::int[])",
		"4|3|0|\nSELECT 1"},
	{"SELECT array_dims(ARRAY[[1,2,3],[4,5,6]]), array_dims(ARRAY[1,2,3]), array_dims(ARRAY[[[1],[2]],[[3],[4]]]), array_dims('{}'::int[]), array_dims(NULL::int[])",
		"[1:2][1:3]|[1:3]|[1:2][1:2][1:1]||\nSELECT 1"},
	{"SELECT array_upper(ARRAY[[1,2,3],[4,5,6]], 2), array_lower(ARRAY[[1,2,3],[4,5,6]], 2), array_upper(ARRAY[[1,2],[3,4]], 3), array_upper('{}'::int[], 1)",
		"3|1||\nSELECT 1"},
	{"SELECT (ARRAY[[1,2],[3,4]])[2][1], (ARRAY[[1,2],[3,4]])[1], (ARRAY[[1,2],[3,4]])[3][1]",
		"3||\nSELECT 1"},
	{"SELECT array_to_string(ARRAY[[1,2],[3,NULL]], ',', '*')",
		"1,2,3,*\nSELECT 1"},
	{"SELECT unnest(ARRAY[[1,2],[3,4]])",
		"1\n2\n3\n4\nSELECT 4"},
	{"SELECT x FROM unnest(ARRAY[['a','b'],['c','d']]) AS t(x)",
		"a\nb\nc\nd\nSELECT 4"},
	{"SELECT ARRAY[[1,2]] || ARRAY[3,4], ARRAY[5,6] || ARRAY[[1,2]], ARRAY[[1,2]] || ARRAY[[3,4]]",
		"{{1,2},{3,4}}|{{5,6},{1,2}}|{{1,2},{3,4}}\nSELECT 1"},
	{"SELECT ARRAY[[1,2]] || ARRAY[[[3,4]]]",
		"{{{1,2}},{{3,4}}}\nSELECT 1"},
	// array_positions, array_position, array_replace.
	{"SELECT array_positions(ARRAY[1,2,1,3,1], 1), array_positions(ARRAY[1,2], 5), array_positions(NULL::int[], 1), array_positions('{}'::int[], 1)",
		"{1,3,5}|{}||{}\nSELECT 1"},
	{"SELECT array_positions(ARRAY[1,NULL,2,NULL], NULL), array_positions(ARRAY['a','b','a'], 'a'), array_positions(ARRAY[1.5,2.0,1.50], 1.5)",
		"{2,4}|{1,3}|{1,3}\nSELECT 1"},
	{"SELECT array_positions(ARRAY[[1,2],[3,4]], 1)",
		"ERROR 0A000"},
	{"SELECT array_position(ARRAY[[1,2],[3,4]], 1)",
		"ERROR 0A000"},
	{"SELECT array_position(ARRAY[1,2,1,2], 2, 3), array_position(ARRAY[1,2,1,2], 2, 5), array_position(ARRAY[1,NULL], NULL)",
		"4||2\nSELECT 1"},
	{"SELECT array_position(ARRAY[1,2], 2, NULL)",
		"ERROR 22004"},
	{"SELECT array_replace(ARRAY[1,2,5,4,5], 5, 3), array_replace(ARRAY[1,NULL,3], NULL, 0), array_replace(NULL::int[], 1, 2), array_replace('{}'::int[], 1, 2)",
		"{1,2,3,4,3}|{1,0,3}||{}\nSELECT 1"},
	{"SELECT array_replace(ARRAY['a','b'], 'b', NULL), array_replace(ARRAY[[1,2],[3,1]], 1, 9)",
		"{a,NULL}|{{9,2},{3,9}}\nSELECT 1"},
	// array_fill.
	{"SELECT array_fill(7, ARRAY[3]), array_fill(7, ARRAY[2,2]), array_fill('x'::text, ARRAY[2]), array_fill(NULL::int, ARRAY[2])",
		"{7,7,7}|{{7,7},{7,7}}|{x,x}|{NULL,NULL}\nSELECT 1"},
	{"SELECT array_fill(7, ARRAY[3], ARRAY[1]), array_fill(1, ARRAY[0]), array_fill(1, ARRAY[0,2]), array_fill(1, ARRAY[]::int[])",
		"{7,7,7}|{}|{}|{}\nSELECT 1"},
	{"SELECT array_ndims(array_fill(0, ARRAY[2,3,4])), cardinality(array_fill(0, ARRAY[2,3,4])), array_dims(array_fill(0, ARRAY[2,3,4]))",
		"3|24|[1:2][1:3][1:4]\nSELECT 1"},
	{"SELECT array_fill(1, NULL)",
		"ERROR 22004"},
	{"SELECT array_fill(1, ARRAY[2], NULL)",
		"ERROR 22004"},
	{"SELECT array_fill(1, ARRAY[-1])",
		"ERROR 54000"},
	{"SELECT array_fill(1, ARRAY[2], ARRAY[1,1])",
		"ERROR 2202E"},
	{"SELECT array_fill(1, ARRAY[[2]])",
		"ERROR 2202E"},
	{"SELECT array_fill(1, ARRAY[NULL]::int[])",
		"ERROR 22004"},
	{"SELECT array_fill(1, ARRAY[1,1,1,1,1,1,1])",
		"ERROR 54000"},
	// string_to_table in a select list and in FROM, unistr, convert_to and convert_from, to_regclass.
	{"SELECT string_to_table('a,b,,c', ',')",
		"a\nb\n\nc\nSELECT 4"},
	{"SELECT string_to_table('a,b,,c', ',', ''), 'x'",
		"a|x\nb|x\n|x\nc|x\nSELECT 4"},
	{"SELECT * FROM string_to_table('a b c', ' ') AS t(x)",
		"a\nb\nc\nSELECT 3"},
	{"SELECT t FROM string_to_table('1|2', '|') t",
		"1\n2\nSELECT 2"},
	{"SELECT string_to_table('abc', NULL)",
		"a\nb\nc\nSELECT 3"},
	{"SELECT string_to_table('abc', '')",
		"abc\nSELECT 1"},
	{"SELECT string_to_table('', ',')",
		"SELECT 0"},
	{"SELECT string_to_table(NULL, ',')",
		"SELECT 0"},
	{"SELECT string_to_table('a,NULL,b', ',', 'NULL') IS NULL",
		"f\nt\nf\nSELECT 3"},
	{"SELECT unistr('\\0041\\u00e9\\+01F600 x\\\\y'), unistr('\\U0001F600'), unistr('\\D83D\\DE00'), unistr('plain'), unistr(NULL)",
		"Aé😀 x\\y|😀|😀|plain|\nSELECT 1"},
	{"SELECT unistr('\\zz')",
		"ERROR 42601"},
	{"SELECT unistr('a\\')",
		"ERROR 42601"},
	{"SELECT unistr('\\004')",
		"ERROR 42601"},
	{"SELECT unistr('\\D83D')",
		"ERROR 42601"},
	{"SELECT unistr('\\DE00')",
		"ERROR 42601"},
	{"SELECT unistr('\\+110000')",
		"ERROR 22023"},
	{"SELECT unistr('\\0000')",
		"ERROR 22023"},
	{"SELECT convert_to('héllo', 'UTF8'), convert_from('\\x68c3a96c6c6f'::bytea, 'UTF8'), convert_to('x', 'utf-8'), convert_to('x', 'Unicode')",
		"\\x68c3a96c6c6f|héllo|\\x78|\\x78\nSELECT 1"},
	{"SELECT convert_to('abc', 'LATIN1'), convert_to('é', 'latin1'), convert_from('\\xe9'::bytea, 'LATIN1'), convert_to('é', 'SQL_ASCII')",
		"\\x616263|\\xe9|é|\\xc3a9\nSELECT 1"},
	{"SELECT convert_to(NULL, 'UTF8'), convert_to('x', NULL), convert_from(NULL, 'UTF8')",
		"||\nSELECT 1"},
	{"SELECT convert_to('abc', 'nosuch')",
		"ERROR 22023"},
	{"SELECT convert_from('abc'::bytea, 'nosuch')",
		"ERROR 22023"},
	{"SELECT convert_to('€', 'LATIN1')",
		"ERROR 22P05"},
	{"SELECT convert_from('\\xff'::bytea, 'UTF8')",
		"ERROR 22021"},
	{"SELECT convert_from('\\x61c328'::bytea, 'UTF8')",
		"ERROR 22021"},
	{"SELECT convert_from('\\x00'::bytea, 'UTF8')",
		"ERROR 22021"},
	{"CREATE TABLE afn_t (id int PRIMARY KEY)",
		"CREATE TABLE"},
	{"SELECT to_regclass('afn_t'), to_regclass('public.afn_t'), to_regclass('AFN_T'), to_regclass('pg_class'), to_regclass('nosuch'), to_regclass('nosuch.x'), to_regclass(NULL)",
		"afn_t|afn_t|afn_t|pg_class|||\nSELECT 1"},
	{"SELECT to_regclass('afn_t') IS NULL, to_regclass('afn_missing') IS NULL",
		"f|t\nSELECT 1"},
	{"SELECT to_regclass('a b c')",
		"ERROR 42602"},
	{"DROP TABLE afn_t",
		"DROP TABLE"},
	// The trigonometric functions of degrees, hyperbolic functions, degrees and radians.
	{"SELECT sind(30), cosd(60), tand(45), cotd(45), asind(0.5), acosd(0.5), atand(1), atan2d(1, 1)",
		"0.5|0.5|1|1|30|60|45|45\nSELECT 1"},
	{"SELECT sind(90), cosd(90), tand(90), cotd(90), sind(-30), tand(135), cosd(120), sind(180), cosd(-720)",
		"1|0|Infinity|0|-0.5|-1|-0.5|0|1\nSELECT 1"},
	{"SELECT sind(x), cosd(x), tand(x), cotd(x) FROM generate_series(-360, 360, 45) x",
		"-0|1|0|-Infinity\n0.7071067811865475|0.7071067811865475|1|1\n1|0|Infinity|0\n0.7071067811865475|-0.7071067811865475|-1|-1\n-0|-1|0|Infinity\n-0.7071067811865475|-0.7071067811865475|1|1\n-1|0|-Infinity|0\n-0.7071067811865475|0.7071067811865475|-1|-1\n0|1|0|Infinity\n0.7071067811865475|0.7071067811865475|1|1\n1|0|Infinity|0\n0.7071067811865475|-0.7071067811865475|-1|-1\n0|-1|0|-Infinity\n-0.7071067811865475|-0.7071067811865475|1|1\n-1|0|-Infinity|0\n-0.7071067811865475|0.7071067811865475|-1|-1\n0|1|0|Infinity\nSELECT 17"},
	{"SELECT asind(-1), acosd(-1), asind(1), acosd(1), acosd(0), atand('Infinity'::float8), atan2d(0, -1), atan2d(-1, 0)",
		"-90|180|90|0|90|90|180|-90\nSELECT 1"},
	{"SELECT sind(30.0::numeric), pg_typeof(sind(1)), pg_typeof(sinh(1::numeric)), pg_typeof(atan2d(1, 2))",
		"0.5|double precision|double precision|double precision\nSELECT 1"},
	{"SELECT sind(NULL), cosd(NULL), atan2d(NULL, 1), atan2d(1, NULL), sinh(NULL), atanh(NULL), cot(0), cotd(0), tand(-90)",
		"||||||Infinity|Infinity|-Infinity\nSELECT 1"},
	{"SELECT sind('NaN'::float8), asind('NaN'::float8), atan2d('NaN'::float8, 1), sinh('NaN'::float8), acosh('NaN'::float8)",
		"NaN|NaN|NaN|NaN|NaN\nSELECT 1"},
	{"SELECT sind('Infinity'::float8)",
		"ERROR 22003"},
	{"SELECT cosd('-Infinity'::float8)",
		"ERROR 22003"},
	{"SELECT tand('Infinity'::float8)",
		"ERROR 22003"},
	{"SELECT asind(2)",
		"ERROR 22003"},
	{"SELECT acosd(-1.5)",
		"ERROR 22003"},
	{"SELECT sinh(1), cosh(1), tanh(1), asinh(1), acosh(2), atanh(0.5)",
		"1.1752011936438014|1.5430806348152437|0.7615941559557649|0.881373587019543|1.3169578969248166|0.5493061443340548\nSELECT 1"},
	{"SELECT sinh(0), cosh(0), tanh(0), asinh(0), acosh(1), atanh(0)",
		"0|1|0|0|0|0\nSELECT 1"},
	{"SELECT sinh(1000), cosh(-1000), tanh(1000), tanh(-1000), sinh('-Infinity'::float8), asinh('Infinity'::float8)",
		"Infinity|Infinity|1|-1|-Infinity|Infinity\nSELECT 1"},
	{"SELECT atanh(1), atanh(-1)",
		"Infinity|-Infinity\nSELECT 1"},
	{"SELECT atanh(2)",
		"ERROR 22003"},
	{"SELECT atanh(-1.5)",
		"ERROR 22003"},
	{"SELECT acosh(0.5)",
		"ERROR 22003"},
	{"SELECT asin(2)",
		"ERROR 22003"},
	{"SELECT acos(-1.5)",
		"ERROR 22003"},
	{"SELECT degrees(1), radians(180), degrees(pi()), radians(0), degrees(-0.5)",
		"57.29577951308232|3.141592653589793|180|0|-28.64788975654116\nSELECT 1"},
	{"SELECT degrees(1e308)",
		"ERROR 22003"},
	// || with a NULL operand beside an array is array_cat, array_append or array_prepend of it: a NULL array is an
	// empty one, a NULL element is added; an untyped literal beside an array is an array of its type.
	{"SELECT '{1}'::int[] || NULL, NULL || '{1}'::int[], '{1}'::int[] || NULL::int, NULL::int || '{1}'::int[], NULL::int[] || 2, 2 || NULL::int[], NULL::int[] || NULL::int[], NULL::int[] || NULL",
		"{1}|{1}|{1,NULL}|{NULL,1}|{2}|{2}||\nSELECT 1"},
	{"SELECT NULL::text[] || 'z'::text, 'a'::text || NULL::text, array_cat(NULL::int[], '{3}'), array_cat('{3}', NULL::int[]), '{a}'::text[] || '{b,c}'",
		"{z}||{3}|{3}|{a,b,c}\nSELECT 1"},
	{"CREATE TABLE arrcat (id int PRIMARY KEY, tags text[])", "CREATE TABLE"},
	{"INSERT INTO arrcat VALUES (1, NULL), (2, '{a}')", "INSERT 0 2"},
	{"UPDATE arrcat SET tags = tags || 'x'::text", "UPDATE 2"},
	{"UPDATE arrcat SET tags = tags || '{y}' WHERE id = 1", "UPDATE 1"},
	{"UPDATE arrcat SET tags = NULL::text || tags WHERE id = 2", "UPDATE 1"},
	{"SELECT id, tags FROM arrcat ORDER BY id", "1|{x,y}\n2|{NULL,a,x}\nSELECT 2"},
	{"UPDATE arrcat SET tags = 'y' || tags", "ERROR 22P02"},
	{"DROP TABLE arrcat", "DROP TABLE"},
	// IS NULL of an array or jsonb column is the whole value's: an array holding a NULL is not NULL (the storage's
	// {f: null} would match it by element).
	{"CREATE TABLE arrnull (id int PRIMARY KEY, tags text[], j jsonb)", "CREATE TABLE"},
	{"INSERT INTO arrnull VALUES (1, '{a,NULL}', '[null, 1]'), (2, NULL, NULL), (3, '{NULL}', '[[null]]'), (4, '{}', '[]')", "INSERT 0 4"},
	{"SELECT id FROM arrnull WHERE tags IS NOT NULL ORDER BY id", "1\n3\n4\nSELECT 3"},
	{"SELECT id FROM arrnull WHERE tags IS NULL", "2\nSELECT 1"},
	{"SELECT id FROM arrnull WHERE j IS NOT NULL ORDER BY id", "1\n3\n4\nSELECT 3"},
	{"SELECT id FROM arrnull WHERE NOT (j IS NULL) ORDER BY id", "1\n3\n4\nSELECT 3"},
	{"DELETE FROM arrnull WHERE tags IS NULL", "DELETE 1"},
	{"UPDATE arrnull SET j = '1' WHERE j IS NOT NULL", "UPDATE 3"},
	{"DROP TABLE arrnull", "DROP TABLE"},
	// An array column beside an array literal compares whole (dimensions included), as PostgreSQL's array_cmp;
	// multi-dimensional arrays are stored and read as nested arrays.
	{"CREATE TABLE arrcmp (id int PRIMARY KEY, tags text[], n int[])", "CREATE TABLE"},
	{"INSERT INTO arrcmp VALUES (1, '{a,b}', '{1,2}'), (2, '{a}', '{1}'), (3, '{b}', '{2}'), (4, NULL, '{}'), (5, '{{a},{b}}', '{{1},{2}}')", "INSERT 0 5"},
	{"SELECT id, tags, n FROM arrcmp WHERE id = 5", "5|{{a},{b}}|{{1},{2}}\nSELECT 1"},
	{"SELECT id FROM arrcmp WHERE tags = '{a}'", "2\nSELECT 1"},
	{"SELECT id FROM arrcmp WHERE tags <> '{a}' ORDER BY id", "1\n3\n5\nSELECT 3"},
	{"SELECT id FROM arrcmp WHERE n > '{1}' ORDER BY id", "1\n3\n5\nSELECT 3"},
	{"SELECT id FROM arrcmp WHERE n < '{2}' AND id < 5 ORDER BY id", "1\n2\n4\nSELECT 3"},
	{"SELECT id FROM arrcmp WHERE tags IN ('{a}', '{b}') ORDER BY id", "2\n3\nSELECT 2"},
	{"SELECT id FROM arrcmp WHERE n IS DISTINCT FROM '{1}' ORDER BY id", "1\n3\n4\n5\nSELECT 4"},
	{"SELECT id FROM arrcmp WHERE n = '{{1},{2}}'", "5\nSELECT 1"},
	{"DELETE FROM arrcmp WHERE n = '{1}'", "DELETE 1"},
	{"DROP TABLE arrcmp", "DROP TABLE"},
	// jsonb keeps a scalar as an array of one: element 0 (or -1) of it is the scalar; json's is not.
	{`SELECT '"a"'::json -> 0, '"a"'::jsonb -> -1, '"a"'::jsonb -> 1, '"a"'::jsonb ->> 0, 'null'::jsonb -> 0, 'null'::jsonb ->> 0, '1'::jsonb -> 0, '{"a":1}'::jsonb -> 0`,
		"|\"a\"||a|null||1|\nSELECT 1"},
	{`CREATE TABLE jscal (id int PRIMARY KEY, m jsonb)`, "CREATE TABLE"},
	{`INSERT INTO jscal VALUES (1, '{"tags": ["a", "b"]}'), (2, '{"tags": "a"}'), (3, '{"tags": {"0": "a"}}')`, "INSERT 0 3"},
	{`SELECT id FROM jscal WHERE m->'tags'->>0 = 'a' ORDER BY id`, "1\n2\nSELECT 2"},
	{`DROP TABLE jscal`, "DROP TABLE"},
	// A real column beside a numeric or double constant compares as a double: the real 0.1 is above 0.1.
	{"CREATE TABLE realcmp (id int PRIMARY KEY, f real)", "CREATE TABLE"},
	{"INSERT INTO realcmp VALUES (1, 0.1), (2, 0.5), (3, 0.001)", "INSERT 0 3"},
	{"SELECT id FROM realcmp WHERE f > 0.1 ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id FROM realcmp WHERE f = 0.1", "SELECT 0"},
	{"SELECT id FROM realcmp WHERE f = 0.1::real", "1\nSELECT 1"},
	{"SELECT id FROM realcmp WHERE f = '0.1'", "1\nSELECT 1"},
	{"SELECT id FROM realcmp WHERE f < 0.5 ORDER BY id", "1\n3\nSELECT 2"},
	{"SELECT id FROM realcmp WHERE f = 0.5", "2\nSELECT 1"},
	// IN with two or more constants gives them the common type real: each rounds to a real. One item is f = item.
	{"SELECT id FROM realcmp WHERE f IN (0.1, 0.5) ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id FROM realcmp WHERE f IN (0.1) ORDER BY id", "SELECT 0"},
	{"SELECT id FROM realcmp WHERE f NOT IN (0.1) ORDER BY id", "1\n2\n3\nSELECT 3"},
	{"SELECT id FROM realcmp WHERE f NOT IN (0.1, 0.001) ORDER BY id", "2\nSELECT 1"},
	{"SELECT id FROM realcmp WHERE f IN (0.1, 0.5::float8) ORDER BY id", "2\nSELECT 1"},
	{"SELECT id FROM realcmp WHERE f + 0 IN (0.1, 0.001) ORDER BY id", "SELECT 0"}, // real + integer is a double
	{"SELECT id FROM realcmp WHERE f * 1::real IN (0.1, 0.001) ORDER BY id", "1\n3\nSELECT 2"},
	{"SELECT id, f IN (0.1, 0.5), f IN (0.1) FROM realcmp ORDER BY id", "1|t|f\n2|t|f\n3|f|f\nSELECT 3"},
	{"SELECT id FROM realcmp WHERE f IN ('0.1') ORDER BY id", "1\nSELECT 1"},
	{"SELECT id FROM realcmp WHERE f * 1::real IN ('0.1') ORDER BY id", "1\nSELECT 1"},
	{"SELECT id FROM realcmp WHERE id IN ('x')", "ERROR 22P02"},
	{"SELECT id FROM realcmp WHERE id + 0 IN ('x', '1')", "ERROR 22P02"},
	{"DROP TABLE realcmp", "DROP TABLE"},
	// A stored jsonb null is the JSON null, a value; SQL's NULL is an absent field.
	{"CREATE TABLE jnull (id int PRIMARY KEY, j jsonb, k jsonb NOT NULL)", "CREATE TABLE"},
	{`INSERT INTO jnull VALUES (1, 'null', 'null'), (2, NULL, '{}'), (3, '{"a": null}', '[null]'), (4, '[null]', '1')`, "INSERT 0 4"},
	{"INSERT INTO jnull VALUES (5, NULL, NULL)", "ERROR 23502"},
	{"SELECT id, j, j IS NULL, jsonb_typeof(j), j = 'null' FROM jnull ORDER BY id",
		"1|null|f|null|t\n2||t||\n3|{\"a\": null}|f|object|f\n4|[null]|f|array|f\nSELECT 4"},
	{"SELECT count(*) FROM jnull WHERE j IS NOT NULL", "3\nSELECT 1"},
	{"SELECT id FROM jnull WHERE j IS NULL", "2\nSELECT 1"},
	{"SELECT j, count(*) FROM jnull GROUP BY j ORDER BY j", "null|1\n[null]|1\n{\"a\": null}|1\n|1\nSELECT 4"},
	{"SELECT count(DISTINCT j), count(j), count(k) FROM jnull", "3|3|4\nSELECT 1"},
	{"UPDATE jnull SET k = 'null', j = 'null' WHERE id = 2", "UPDATE 1"},
	{"UPDATE jnull SET k = k -> 'b' WHERE id = 3", "ERROR 23502"},
	{"SELECT id, j IS NULL, k FROM jnull ORDER BY id", "1|f|null\n2|f|null\n3|f|[null]\n4|f|1\nSELECT 4"},
	{"DROP TABLE jnull", "DROP TABLE"},
	// to_char's sign patterns: S, MI, PL, SG, PR; a number too wide keeps its pattern's point among the #s.
	{"SELECT to_char(x, 'S999') || '|' || to_char(x, '999S') || '|' || to_char(x, 'MI999') || '|' || to_char(x, '999MI') || '|' || " +
		"to_char(x, 'PL999') || '|' || to_char(x, 'SG999') || '|' || to_char(x, '999PR') || '|' || to_char(x, 'FMS999') || '|' || " +
		"to_char(x, 'S9.99') || '|' || to_char(x, 'FM999MI') || '|' || to_char(x, 'FMPL999') || '|' || to_char(x, '9.99') FROM (VALUES (-5), (0), (123)) v(x)",
		"  -5|  5-|-  5|  5-|   -5|-  5|  <5>|-5|-5.00|5-|-5|-5.00\n" +
			"  +0|  0+|   0|  0 |+   0|+  0|   0 |+0| +.00|0|+0|  .00\n" +
			"+123|123+| 123|123 |+ 123|+123| 123 |+123|+#.##|123|+123| #.##\nSELECT 3"},
	{"SELECT pg_typeof('a'), pg_typeof('a'::text), pg_typeof(1)", "unknown|text|integer\nSELECT 1"},
}

// arrayLiteralSteps: a malformed array literal is PostgreSQL's 22P02 with its message (and detail, checked by
// TestParseArray_Malformed in sql).
var arrayLiteralSteps = []struct{ sql, want string }{
	{"SELECT '{1'::int[]", `ERROR 22P02 malformed array literal: "{1"`},
	{"SELECT 'x'::int[]", `ERROR 22P02 malformed array literal: "x"`},
	{"SELECT '{1}}'::int[]", `ERROR 22P02 malformed array literal: "{1}}"`},
	{"SELECT '{{1},{2,3}}'::int[]", `ERROR 22P02 malformed array literal: "{{1},{2,3}}"`},
	{"SELECT '{1,,2}'::int[]", `ERROR 22P02 malformed array literal: "{1,,2}"`},
	{"SELECT '{a}'::int[]", `ERROR 22P02 invalid input syntax for type integer: "a"`},
}

func runArrayFn(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, arrayFnSteps)
	runMessageSteps(t, who, c, arrayLiteralSteps)
	runArrayFnExtended(t, who, c)
}

// runArrayFnExtended reads multi-dimensional arrays with the extended protocol, in the text and the binary
// result formats: each answers with the dimensions and elements PostgreSQL's does.
func runArrayFnExtended(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	for _, s := range []struct{ sql, text, binary string }{
		{"SELECT ARRAY[[1,2],[3,4]]", "{{1,2},{3,4}}", "[{2 1} {2 1}] [1 2 3 4]"},
		{"SELECT array_fill(5, ARRAY[2,1,3])", "{{{5,5,5}},{{5,5,5}}}", "[{2 1} {1 1} {3 1}] [5 5 5 5 5 5]"},
		{"SELECT '{{1,NULL}}'::int8[]", "{{1,NULL}}", "[{1 1} {2 1}] [1 <nil>]"},
		{"SELECT ARRAY[[1,2],[3,4]] || ARRAY[5,6]", "{{1,2},{3,4},{5,6}}", "[{3 1} {2 1}] [1 2 3 4 5 6]"},
	} {
		var text string
		if err := c.QueryRow(ctx, s.sql, pgx.QueryResultFormats{pgx.TextFormatCode}).Scan(&text); err != nil || text != s.text {
			t.Errorf("%s: %s in text: %q (%v), want %q", who, s.sql, text, err, s.text)
		}
		var a pgtype.FlatArray[*int64]
		var arr pgtype.Array[*int64]
		if err := c.QueryRow(ctx, s.sql, pgx.QueryResultFormats{pgx.BinaryFormatCode}).Scan(&arr); err != nil {
			t.Errorf("%s: %s in binary: %v", who, s.sql, err)
			continue
		}
		a = arr.Elements
		elems := make([]any, len(a))
		for i, e := range a {
			if e != nil {
				elems[i] = *e
			}
		}
		if got := fmt.Sprint(arr.Dims, " ", elems); got != s.binary {
			t.Errorf("%s: %s in binary: %s, want %s", who, s.sql, got, s.binary)
		}
	}
}
