package pgserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// typmodSteps run in order on one connection against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): the
// modifiers of varchar(n), char(n) and numeric(p, s) on every way a value is stored (INSERT, INSERT ... SELECT,
// ON CONFLICT, UPDATE by constant and by expression, ALTER COLUMN TYPE, ADD COLUMN with a default) and on
// casts, and how the catalogs show them.
var typmodSteps = []struct{ sql, want string }{
	{"CREATE TABLE tm (id int PRIMARY KEY, v varchar(5), c char(3), n numeric(6,2), q int)", "CREATE TABLE"},
	{"INSERT INTO tm VALUES (1, 'abc', 'ab', 1.005, 0), (2, 'abcde   ', 'a  ', -2.345, 0)", "INSERT 0 2"},
	{"INSERT INTO tm VALUES (3, 'abcdefg', 'a', 1, 0)", "ERROR 22001"},
	{"INSERT INTO tm VALUES (3, 'ab', 'abcd', 1, 0)", "ERROR 22001"},
	{"INSERT INTO tm VALUES (3, 'ab', 'a', 9999.995, 0)", "ERROR 22003"},
	{"INSERT INTO tm VALUES (3, 'ab', 'a', 9999.944, 0)", "INSERT 0 1"},
	{"SELECT id, v, length(v), length(c), n FROM tm ORDER BY id", "1|abc|3|2|1.01\n2|abcde|5|1|-2.35\n3|ab|2|1|9999.94\nSELECT 3"},
	{"UPDATE tm SET n = n + 1.005 WHERE id = 1", "UPDATE 1"},
	{"UPDATE tm SET n = n * 100 WHERE id = 3", "ERROR 22003"},
	{"UPDATE tm SET v = 'toolong' WHERE id = 1", "ERROR 22001"},
	{"UPDATE tm SET v = v || 'xyz' WHERE id = 1", "ERROR 22001"},
	{"UPDATE tm SET v = v || 'xy' WHERE id = 1", "UPDATE 1"},
	{"UPDATE tm SET q = q + 1", "UPDATE 3"},
	{"INSERT INTO tm VALUES (1, 'zzzzzzz', 'a', 1, 0) ON CONFLICT (id) DO UPDATE SET v = excluded.v", "ERROR 22001"},
	{"INSERT INTO tm VALUES (1, 'zz', 'a', 1, 0) ON CONFLICT (id) DO UPDATE SET n = excluded.n + 0.555", "INSERT 0 1"},
	{"INSERT INTO tm SELECT 4, 'sixsix', 'a', 1, 0", "ERROR 22001"},
	{"INSERT INTO tm SELECT 4, 'six', 'a', 12.345, 0", "INSERT 0 1"},
	{"SELECT id, v, n, q FROM tm ORDER BY id", "1|abcxy|1.56|1\n2|abcde|-2.35|1\n3|ab|9999.94|1\n4|six|12.35|0\nSELECT 4"},
	{"ALTER TABLE tm ALTER COLUMN v TYPE varchar(2)", "ERROR 22001"},
	{"ALTER TABLE tm ALTER COLUMN v TYPE varchar(2) USING v::varchar(2)", "ALTER TABLE"},
	{"ALTER TABLE tm ALTER COLUMN n TYPE numeric(5,1)", "ALTER TABLE"},
	{"ALTER TABLE tm ALTER COLUMN n TYPE numeric(3,1)", "ERROR 22003"},
	{"ALTER TABLE tm ADD COLUMN w varchar(2) DEFAULT 'abc'", "ERROR 22001"},
	{"ALTER TABLE tm ADD COLUMN w varchar(3) DEFAULT 'abc'", "ALTER TABLE"},
	{"SELECT id, v, n, w FROM tm ORDER BY id", "1|ab|1.6|abc\n2|ab|-2.4|abc\n3|ab|9999.9|abc\n4|si|12.4|abc\nSELECT 4"},
	{"SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypmod FROM pg_attribute a WHERE a.attrelid = 'tm'::regclass AND a.attnum > 0 ORDER BY a.attnum",
		"id|integer|-1\nv|character varying(2)|6\nc|character(3)|7\nn|numeric(5,1)|327685\nq|integer|-1\nw|character varying(3)|7\nSELECT 6"},
	{"SELECT column_name, character_maximum_length, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_name = 'tm' ORDER BY ordinal_position",
		"id||32|0\nv|2||\nc|3||\nn||5|1\nq||32|0\nw|3||\nSELECT 6"},
	{"SELECT format_type(1042, NULL), format_type(1042, -1), format_type(1043, -1), format_type(1700, 393222)", "character|bpchar|character varying|numeric(6,2)\nSELECT 1"},
	{"SELECT 'abc  '::varchar(3), 'abcdef'::char(2), 'abcdef'::varchar(3), 123.456::numeric(5,1), (-0.05)::numeric(3,1)",
		"abc|ab|abc|123.5|-0.1\nSELECT 1"},
	{"SELECT 5::numeric(3,2), 2.5::numeric(4,1), (-0.001)::numeric(5,2), 7::numeric(3,0)", "5.00|2.5|0.00|7\nSELECT 1"},
	{"CREATE TABLE tm3 (id int PRIMARY KEY, price numeric(8,2), qty numeric(5))", "CREATE TABLE"},
	{"INSERT INTO tm3 VALUES (1, 5, 2), (2, 19.9, 3.5), (3, 0, -1)", "INSERT 0 3"},
	{"SELECT price, qty FROM tm3 ORDER BY id", "5.00|2\n19.90|4\n0.00|-1\nSELECT 3"},
	{"SELECT t.price, x.p FROM tm3 t JOIN (SELECT id, price AS p FROM tm3) x ON x.id = t.id WHERE t.id = 2", "19.90|19.90\nSELECT 1"},
	{"SELECT * FROM tm3 WHERE id = 1", "1|5.00|2\nSELECT 1"},
	{"UPDATE tm3 SET price = price + 1 WHERE id = 1 RETURNING price", "6.00\nUPDATE 1"},
	{"DROP TABLE tm3", "DROP TABLE"},
	{"SELECT 1000::numeric(3,0)", "ERROR 22003"},
	{"SELECT 99.95::numeric(3,1)", "ERROR 22003"},
	{"SELECT 'x'::varchar(0)", "ERROR 22023"},
	{"CREATE TABLE tm2 (a numeric(1001))", "ERROR 22023"},
	{"CREATE TABLE tm2 (a char, b numeric(4), c numeric(2,3))", "CREATE TABLE"},
	{"INSERT INTO tm2 VALUES ('ab', 1, 0.01)", "ERROR 22001"},
	{"INSERT INTO tm2 VALUES ('a', 12345, 0.01)", "ERROR 22003"},
	{"INSERT INTO tm2 VALUES ('a', 1234.5, 0.1)", "ERROR 22003"},
	{"INSERT INTO tm2 VALUES ('a', 1234.4, 0.0994)", "INSERT 0 1"},
	{"SELECT a, b, c FROM tm2", "a|1234|0.099\nSELECT 1"},
	{"DROP TABLE tm, tm2", "DROP TABLE"},
	// A numeric(p,s) counter stays an increment when the step fits the scale; ON CONFLICT's excluded row holds the
	// proposed values fitted to the columns.
	{"CREATE TABLE tacc (id int PRIMARY KEY, bal numeric(12,2))", "CREATE TABLE"},
	{"INSERT INTO tacc VALUES (1, 10)", "INSERT 0 1"},
	{"INSERT INTO tacc VALUES (1, 5.555) ON CONFLICT (id) DO UPDATE SET bal = tacc.bal + excluded.bal", "INSERT 0 1"},
	{"INSERT INTO tacc VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET bal = tacc.bal + 1", "INSERT 0 1"},
	{"UPDATE tacc SET bal = bal + 1 WHERE id = 1", "UPDATE 1"},
	{"UPDATE tacc SET bal = bal + 1.005 WHERE id = 1", "UPDATE 1"},
	{"SELECT bal FROM tacc", "18.57\nSELECT 1"},
	// UPDATE ... FROM fits only the values of the source rows it pairs with a target row.
	{"CREATE TABLE tsrc (id int PRIMARY KEY, v text, n numeric)", "CREATE TABLE"},
	{"INSERT INTO tsrc VALUES (1, 'abcdef', 123456.7), (2, 'ab', 1.005)", "INSERT 0 2"},
	{"CREATE TABLE tdst (id int PRIMARY KEY, v varchar(5), n numeric(6,2))", "CREATE TABLE"},
	{"INSERT INTO tdst VALUES (1, 'x', 0), (2, 'y', 0)", "INSERT 0 2"},
	{"UPDATE tdst SET n = tsrc.n, v = tsrc.v FROM tsrc WHERE tsrc.id = tdst.id AND tdst.id = 2", "UPDATE 1"},
	{"UPDATE tdst SET n = tsrc.n FROM tsrc WHERE tsrc.id = tdst.id AND tdst.id = 1", "ERROR 22003"},
	{"SELECT id, v, n FROM tdst ORDER BY id", "1|x|0.00\n2|ab|1.01\nSELECT 2"},
	// ALTER COLUMN TYPE: the USING cast's own modifier cuts, the column's refuses.
	{"CREATE TABLE tu (id int PRIMARY KEY, v varchar(10))", "CREATE TABLE"},
	{"INSERT INTO tu VALUES (1, 'abcdef')", "INSERT 0 1"},
	{"ALTER TABLE tu ALTER COLUMN v TYPE varchar(3) USING v::text", "ERROR 22001"},
	{"ALTER TABLE tu ALTER COLUMN v TYPE varchar(5) USING v::varchar(2)", "ALTER TABLE"},
	{"SELECT v FROM tu", "ab\nSELECT 1"},
	// A key column's length changes when its values fit.
	{"CREATE TABLE tk (id varchar(5) PRIMARY KEY, x int)", "CREATE TABLE"},
	{"INSERT INTO tk VALUES ('abcd', 1)", "INSERT 0 1"},
	{"ALTER TABLE tk ALTER COLUMN id TYPE varchar(10)", "ALTER TABLE"},
	{"ALTER TABLE tk ALTER COLUMN id TYPE varchar(3)", "ERROR 22001"},
	{"SELECT id, format_type(a.atttypid, a.atttypmod) FROM tk, pg_attribute a WHERE a.attrelid = 'tk'::regclass AND a.attname = 'id'", "abcd|character varying(10)\nSELECT 1"},
	// Arithmetic results round from their 15 significant digits, as PostgreSQL's float8 to numeric.
	{"SELECT (10 + 1.005)::numeric(6,2), (3 * 1.115)::numeric(6,2)", "11.01|3.35\nSELECT 1"},
	{"SELECT format_type(1043, 4), format_type(1043, 2), format_type(1700, 3), format_type(1042, 4)", "character varying|character varying|numeric|character\nSELECT 1"},
	// A volatile default is drawn once per row, not once more to check it.
	{"CREATE SEQUENCE tsq", "CREATE SEQUENCE"},
	{"CREATE TABLE tsqt (id int PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO tsqt VALUES (1), (2)", "INSERT 0 2"},
	{"ALTER TABLE tsqt ADD COLUMN n numeric(10) DEFAULT nextval('tsq')", "ALTER TABLE"},
	{"INSERT INTO tsqt (id) VALUES (3)", "INSERT 0 1"},
	{"SELECT id, n FROM tsqt ORDER BY id", "1|1\n2|2\n3|3\nSELECT 3"},
	// char(n) ignores trailing spaces in a comparison with a literal too.
	{"CREATE TABLE tch (id char(3) PRIMARY KEY, c char(3))", "CREATE TABLE"},
	{"INSERT INTO tch VALUES ('a', 'b  '), ('ab ', 'cd')", "INSERT 0 2"},
	{"SELECT length(id), length(c) FROM tch WHERE id = 'a  ' OR c = 'cd '", "1|1\n2|2\nSELECT 2"},
	{"SELECT count(*) FROM tch WHERE c IN ('b  ', 'zz')", "1\nSELECT 1"},
	{"DELETE FROM tch WHERE id = 'ab  '", "DELETE 1"},
	{"SELECT 'x ' || c, c || ' x', 'a'::char(3) = 'a  ', 'a '::char(3) < 'a' FROM tch", "x b|b x|t|f\nSELECT 1"},
	// A char(n) column's values come back padded to n characters, wherever the column is returned as it is; an
	// operation on them ignores the padding.
	{"SELECT id, c, '[' || c || ']', c::text, length(c), 'ab'::char(4) FROM tch", "a  |b  |[b]|b|1|ab  \nSELECT 1"},
	{"INSERT INTO tch VALUES ('q', 'wé') RETURNING c, id", "wé |q  \nINSERT 0 1"},
	{"SELECT s.c FROM (SELECT c FROM tch) s ORDER BY 1", "b  \nwé \nSELECT 2"},
	{"SELECT c, count(*) FROM tch GROUP BY c ORDER BY c DESC", "wé |1\nb  |1\nSELECT 2"},
	{"SELECT upper(c), c = 'b', c LIKE 'b%', position(' ' in c) FROM tch ORDER BY id", "B|t|t|0\nWÉ|f|f|0\nSELECT 2"},
	// A numeric expression whose scale follows from its operands shows it, as PostgreSQL's numeric values carry theirs.
	{"CREATE TABLE tns (id int PRIMARY KEY, price numeric(6,2), qty int)", "CREATE TABLE"},
	{"INSERT INTO tns VALUES (1, 5, 3), (2, 2.5, 2), (3, NULL, 1)", "INSERT 0 3"},
	{"SELECT price * 2, price * qty, price + 1, price - 0.125, -price, price * 1.5, qty * 0.10, 2 * 0.10 FROM tns ORDER BY id",
		"10.00|15.00|6.00|4.875|-5.00|7.500|0.30|0.20\n5.00|5.00|3.50|2.375|-2.50|3.750|0.20|0.20\n||||||0.10|0.20\nSELECT 3"},
	{"SELECT sum(price), min(price), max(price * qty), sum(qty * 1.5) FROM tns", "7.50|2.50|15.00|9.0\nSELECT 1"},
	{"SELECT x, x + 1 FROM (SELECT price * 2 AS x FROM tns) s ORDER BY 1", "5.00|6.00\n10.00|11.00\n|\nSELECT 3"},
	{"WITH c AS (SELECT price * 3 AS p FROM tns) SELECT p FROM c ORDER BY p", "7.50\n15.00\n\nSELECT 3"},
	{"UPDATE tns SET qty = qty + 1 WHERE id = 1 RETURNING price * qty", "20.00\nUPDATE 1"},
	// round and trunc to d places, in decimal (2.675 rounds up), to tens for a negative d; the result is numeric.
	{"SELECT trunc(6.665, 3), trunc(6.665, 1), trunc(-6.665, 2), trunc(6.665), round(6.665, 2), trunc(1234.5, -2), round(1250, -2), round(2.675, 2), round(-2.5), round(5, 2), trunc(7, 1), round(1.5, NULL), round(12.5, -1)",
		"6.665|6.6|-6.66|6|6.67|1200|1300|2.68|-3|5.00|7.0||10\nSELECT 1"},
	{"SELECT round(price, 1), trunc(price * 1.333, 3), round(qty, 2), round(qty * 1.0 / 3, 4) FROM tns WHERE id = 1", "5.0|6.665|4.00|1.3333\nSELECT 1"},
	// A sum that float64 leaves a hair below zero shows 0.00; a scale past a float64's digits is padded with zeros.
	{"CREATE TABLE tled (id int PRIMARY KEY, amt numeric(10,2))", "CREATE TABLE"},
	{"INSERT INTO tled VALUES (1, 0.30), (2, -0.10), (3, -0.20)", "INSERT 0 3"},
	{"SELECT sum(amt), 0.3 - 0.1 - 0.2, round(123.4, -1001), trunc(-123.4, -1001), round(1.5, 3), -0.001 * 1.0, round(1.25, 20) FROM tled",
		"0.00|0.0|0|0|1.500|-0.0010|1.25000000000000000000\nSELECT 1"},
	{"SELECT price || 'x', 'x' || price, concat(price, '|'), format('%s', price), concat_ws(',', price, qty), price * qty || '' FROM tns WHERE id = 2",
		"2.50x|x2.50|2.50||2.50|2.50,2|5.00\nSELECT 1"},
	{"SELECT price::text, (price * 2)::text, price::varchar, (qty * 1.0)::text FROM tns WHERE id = 2", "2.50|5.00|2.50|2.0\nSELECT 1"},
	// An increment of a numeric(p,s) column (an atomic $inc) is held to the column's range by the storage, as
	// PostgreSQL checks the sum; so is a column added, renamed or retyped later.
	{"CREATE TABLE trg (id int PRIMARY KEY, n numeric(4,2), m numeric(3,-1), q int CHECK (q >= 0))", "CREATE TABLE"},
	{"INSERT INTO trg VALUES (1, 99.49, 9990, 1), (2, -99.00, 10, 1)", "INSERT 0 2"},
	{"UPDATE trg SET n = n + 0.5 WHERE id = 1", "UPDATE 1"},
	{"UPDATE trg SET n = n + 0.51 WHERE id = 1", "ERROR 22003"},
	{"UPDATE trg SET n = n - 1 WHERE id = 2", "ERROR 22003"},
	{"UPDATE trg SET n = n + 1", "ERROR 22003"},
	{"UPDATE trg SET q = q - 2 WHERE id = 1", "ERROR 23514 trg_q_check"},
	{"UPDATE trg SET m = m + 10 WHERE id = 1", "ERROR 22003"},
	{"SELECT id, n, m, q FROM trg ORDER BY id", "1|99.99|9990|1\n2|-99.00|10|1\nSELECT 2"},
	{"ALTER TABLE trg ADD COLUMN k numeric(2,1) DEFAULT 1", "ALTER TABLE"},
	{"UPDATE trg SET k = k + 9 WHERE id = 1", "ERROR 22003"},
	{"UPDATE trg SET k = k + 8.9 WHERE id = 1", "UPDATE 1"},
	{"ALTER TABLE trg RENAME COLUMN k TO kk", "ALTER TABLE"},
	{"UPDATE trg SET kk = kk + 1 WHERE id = 1", "ERROR 22003"},
	{"ALTER TABLE trg ALTER COLUMN kk TYPE numeric(5,1)", "ALTER TABLE"},
	{"UPDATE trg SET kk = kk + 1 WHERE id = 1", "UPDATE 1"},
	{"ALTER TABLE trg DROP COLUMN kk", "ALTER TABLE"},
	{"UPDATE trg SET q = q + 1 WHERE id = 1", "UPDATE 1"},
	{"SELECT id, n, m, q FROM trg ORDER BY id", "1|99.99|9990|2\n2|-99.00|10|1\nSELECT 2"},
	{"DROP TABLE trg", "DROP TABLE"},
	// An array's modifier applies to each element.
	{"CREATE TABLE tar (id int PRIMARY KEY, tags varchar(3)[], ns numeric(4,1)[])", "CREATE TABLE"},
	{"INSERT INTO tar VALUES (1, ARRAY['abcdef'], NULL)", "ERROR 22001"},
	{"INSERT INTO tar VALUES (1, ARRAY['abc', 'de  ', NULL], ARRAY[1.25, 2])", "INSERT 0 1"},
	{"INSERT INTO tar VALUES (2, '{x}', ARRAY[123456])", "ERROR 22003"},
	{"UPDATE tar SET tags = array_append(tags, 'toolong') WHERE id = 1", "ERROR 22001"},
	{"UPDATE tar SET tags = array_append(tags, 'ok') WHERE id = 1", "UPDATE 1"},
	{"SELECT tags, ns[1] FROM tar", "{abc,\"de \",NULL,ok}|1.3\nSELECT 1"},
	{"SELECT '{abc,de}'::varchar(2)[], format_type(1015, 7), format_type(1015, -1)", "{ab,de}|character varying(3)[]|character varying[]\nSELECT 1"},
	{"SELECT format_type(a.atttypid, a.atttypmod), a.atttypmod FROM pg_attribute a WHERE a.attrelid = 'tar'::regclass AND a.attnum > 1 ORDER BY a.attnum",
		"character varying(3)[]|7\nnumeric(4,1)[]|262149\nSELECT 2"},
	// Large values keep every digit; arithmetic's binary noise is read as the short decimal it stands for.
	{"CREATE TABLE tnn (id int PRIMARY KEY, a numeric(20,2), b numeric(20,0), c numeric(20,3))", "CREATE TABLE"},
	{"INSERT INTO tnn VALUES (1, 12345678901234.567, '1234567890123456', 1234567890123.4567)", "INSERT 0 1"},
	{"SELECT a, b, c FROM tnn", "12345678901234.57|1234567890123456|1234567890123.457\nSELECT 1"},
	// UPDATE ... FROM updates a target row once, whichever way its new value is computed.
	{"CREATE TABLE ttg (id int PRIMARY KEY, v numeric(6,2))", "CREATE TABLE"},
	{"CREATE TABLE tsr (id int PRIMARY KEY, tid int, v numeric(10,4))", "CREATE TABLE"},
	{"INSERT INTO ttg VALUES (1, 0), (2, 0)", "INSERT 0 2"},
	{"INSERT INTO tsr VALUES (1, 1, 1.111), (2, 1, 2.222), (3, 2, 3.333)", "INSERT 0 3"},
	{"UPDATE ttg SET v = tsr.v FROM tsr WHERE ttg.id = tsr.tid AND tsr.id <> 2", "UPDATE 2"},
	{"UPDATE ttg SET v = ttg.v + 1 FROM tsr WHERE ttg.id = tsr.tid", "UPDATE 2"},
	{"SELECT id, v FROM ttg ORDER BY id", "1|2.11\n2|4.33\nSELECT 2"},
	// Updates evaluated row by row find the rows their WHERE clause is true for, filters the engine would not
	// match alike (arrays, NaN) included.
	{"CREATE TABLE tarr (id int PRIMARY KEY, tags int[], f float8, n int)", "CREATE TABLE"},
	{"INSERT INTO tarr VALUES (1, '{1,2}', 'NaN', 1), (2, '{}', 'Infinity', 1)", "INSERT 0 2"},
	{"UPDATE tarr SET n = n * 10 WHERE tags = '{1,2}'", "UPDATE 1"},
	{"UPDATE tarr SET n = n * 10 WHERE f >= 'Infinity'", "UPDATE 2"},
	{"SELECT id, n FROM tarr ORDER BY id", "1|100\n2|10\nSELECT 2"},
	// ALTER COLUMN TYPE ... USING c::type(mod): the cast's modifier applies, whatever the column's type.
	{"CREATE TABLE tqu (id int PRIMARY KEY, s varchar(5), p numeric(6,2), s2 varchar(5))", "CREATE TABLE"},
	{"INSERT INTO tqu VALUES (1, 'abcde', 1.49, 'abcde')", "INSERT 0 1"},
	{"ALTER TABLE tqu ALTER s TYPE varchar(5) USING s::varchar(2)", "ALTER TABLE"},
	{"ALTER TABLE tqu ALTER p TYPE numeric(6,2) USING p::numeric(6,0)", "ALTER TABLE"},
	{"ALTER TABLE tqu ALTER s2 TYPE text USING s2::varchar(2)", "ALTER TABLE"},
	{"SELECT s, p, s2 FROM tqu", "ab|1.00|ab\nSELECT 1"},
	{"DROP TABLE tacc, tsrc, tdst, tu, tk, tsqt, tch, tar, tnn, ttg, tsr, tarr, tqu", "DROP TABLE"},
	{"DROP SEQUENCE tsq", "DROP SEQUENCE"},
}

// dateTextFuncSteps: make_date, translate, num_nulls, num_nonnulls and the ordered-set aggregates, as PostgreSQL
// 15's.
var dateTextFuncSteps = []struct{ sql, want string }{
	{"SELECT make_date(2024, 2, 29), make_date(2024, 12, 31) + 1, translate('12345', '143', 'ax'), translate('abc', 'ab', 'xy'), translate('héllo', 'é', 'e')",
		"2024-02-29|2025-01-01|a2x5|xyc|hello\nSELECT 1"},
	{"SELECT make_date(2023, 2, 29)", "ERROR 22008"},
	{"SELECT make_date(2023, 13, 1)", "ERROR 22008"},
	{"SELECT make_date(0, 1, 1)", "ERROR 22008"},
	{"SELECT num_nulls(1, NULL, 'a', NULL), num_nonnulls(1, NULL, 'a'), num_nulls(NULL), translate(NULL, 'a', 'b') IS NULL, make_date(NULL, 1, 1) IS NULL",
		"2|2|1|t|t\nSELECT 1"},
	{"SELECT pg_typeof(make_date(2024, 1, 1)), pg_typeof(num_nulls(1)), pg_typeof(translate('a', 'a', 'b'))", "date|integer|text\nSELECT 1"},
	// Ordered-set aggregates.
	{"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x), percentile_cont(0.25) WITHIN GROUP (ORDER BY x DESC), mode() WITHIN GROUP (ORDER BY x), pg_typeof(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)), pg_typeof(percentile_disc(0.5) WITHIN GROUP (ORDER BY x)) FROM (VALUES (1), (2), (2), (4), (NULL::int)) v(x)",
		"2|2|2.5|2|double precision|integer\nSELECT 1"},
	{"SELECT g, percentile_cont(0.9) WITHIN GROUP (ORDER BY x), percentile_disc(0) WITHIN GROUP (ORDER BY x), percentile_disc(1) WITHIN GROUP (ORDER BY x), mode() WITHIN GROUP (ORDER BY s DESC) FROM (VALUES (1, 10.5, 'a'), (1, 20, 'b'), (2, 7, 'z'), (1, 30, 'a'), (2, 8, 'y')) v(g, x, s) GROUP BY g ORDER BY g",
		"1|28|10.5|30|a\n2|7.9|7|8|z\nSELECT 2"},
	{"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FILTER (WHERE x > 1) FROM (VALUES (1), (2), (3), (4)) v(x)", "3\nSELECT 1"},
	// An array of fractions gives the array of their percentiles (NULL for a NULL fraction, NULL for no values).
	{"SELECT g, percentile_cont(ARRAY[0.25, 0.5, NULL, 1]) WITHIN GROUP (ORDER BY x), percentile_disc(ARRAY[0, 0.5, 1]) WITHIN GROUP (ORDER BY x) FROM (VALUES (1, 1), (1, 2), (1, 3), (1, 4), (2, 10), (2, NULL)) v(g, x) GROUP BY g ORDER BY g",
		"1|{1.75,2.5,NULL,4}|{1,2,4}\n2|{10,10,NULL,10}|{10,10,10}\nSELECT 2"},
	{"SELECT pg_typeof(percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY x)), pg_typeof(percentile_disc(ARRAY[0.5]) WITHIN GROUP (ORDER BY x)), percentile_cont(ARRAY[0.5]) WITHIN GROUP (ORDER BY x) FILTER (WHERE false) IS NULL FROM (VALUES (1)) v(x)",
		"double precision[]|integer[]|t\nSELECT 1"},
	{"SELECT percentile_cont(ARRAY[1.5]) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) v(x)", "ERROR 22003"},
	{"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) IS NULL FROM (VALUES (1)) v(x) WHERE false", "t\nSELECT 1"},
	{"SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) v(x)", "ERROR 22003"},
	// regexp_matches (a set of text[]) and regexp_match.
	{"SELECT regexp_matches('foo123bar45', '[0-9]+', 'g')", "{123}\n{45}\nSELECT 2"},
	{"SELECT regexp_matches('foo123bar45', '[0-9]+')", "{123}\nSELECT 1"},
	{"SELECT regexp_matches('abc', 'x')", "SELECT 0"},
	{`SELECT regexp_matches('ab', '(a)(x)?(b)')`, "{a,NULL,b}\nSELECT 1"},
	{`SELECT m[1], m[2] FROM regexp_matches('k1=v1,k2=v2', '(\w+)=(\w+)', 'g') AS m`, "k1|v1\nk2|v2\nSELECT 2"},
	{"SELECT regexp_match('foo123bar45', '([a-z]+)([0-9]+)'), regexp_match('abc', 'x') IS NULL, pg_typeof(regexp_match('a', 'a'))", "{foo,123}|t|text[]\nSELECT 1"},
	{"SELECT regexp_match('a', 'a', 'g')", "ERROR 22023"},
	{"SELECT regexp_matches('ABC', 'b', 'i'), regexp_matches('a.c abc', 'a.c', 'qg'), regexp_replace('a.c abc', 'a.c', 'X', 'qg')", "{B}|{a.c}|X abc\nSELECT 1"},
	{"SELECT count(*) FROM (SELECT regexp_matches('a1b2c3', '[0-9]', 'g')) s", "3\nSELECT 1"},
}

// runTypmod runs typmodSteps and checks the detail of a numeric overflow, which names the precision and scale.
func runTypmod(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, typmodSteps)
	runSteps(t, who, c, dateTextFuncSteps)
	// A numeric(p,s) column's value keeps its scale in the binary format, which pgx asks for.
	ctx := context.Background()
	var n pgtype.Numeric
	if err := c.QueryRow(ctx, "SELECT 5::numeric(6,2)").Scan(&n); err != nil || n.Int.Int64() != 500 || n.Exp != -2 {
		t.Errorf("%s: 5::numeric(6,2) in binary: %v %v, want 500e-2", who, n, err)
	}
	// So does a char(n) value's padding.
	for _, q := range []string{"CREATE TABLE tchb (id int PRIMARY KEY, c char(3))", "INSERT INTO tchb VALUES (1, 'wé')"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %s: %v", who, q, err)
		}
	}
	var padded, cast string
	if err := c.QueryRow(ctx, "SELECT c, 'x'::char(2) FROM tchb").Scan(&padded, &cast); err != nil || padded != "wé " || cast != "x " {
		t.Errorf("%s: char(n) in binary: %q %q %v, want %q %q", who, padded, cast, err, "wé ", "x ")
	}
	for _, s := range []struct{ sql, detail string }{
		{"SELECT 12345.678::numeric(6,2)", "A field with precision 6, scale 2 must round to an absolute value less than 10^4."},
		{"SELECT 1::numeric(2,2)", "A field with precision 2, scale 2 must round to an absolute value less than 1."},
		{"SELECT 'infinity'::float8::numeric(3,1)", "A field with precision 3, scale 1 cannot hold an infinite value."},
	} {
		_, err := c.Exec(context.Background(), s.sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22003" || pe.Message != "numeric field overflow" || pe.Detail != s.detail {
			t.Errorf("%s: %s: %v (detail %q), want 22003 with %q", who, s.sql, err, detailOf(err), s.detail)
		}
	}
}

func detailOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Detail
	}
	return ""
}
