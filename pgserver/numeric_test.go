package pgserver_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// numericSteps: numerics are exact decimals carrying their scale, as PostgreSQL's are: literals, columns,
// arithmetic, division's and avg's result scale, rounding, casts, grouping of equal values, stored values and
// updates; compared with PostgreSQL 15.
var numericSteps = []struct{ sql, want string }{
	{"SELECT 0.1 + 0.2, 0.1::numeric(20,18) + 0.2::numeric(20,18), 1.50 + 1, 1.5 * 1.5, 10 / 4.0, 1 / 3.0, 2.0 / 3",
		"0.3|0.300000000000000000|2.50|2.25|2.5000000000000000|0.33333333333333333333|0.66666666666666666667\nSELECT 1"},
	{"SELECT 100.0 / 3, 1e20 / 7, 0.001 / 7, 123456789012345678901234567890.5 + 1, 9007199254740993::numeric + 0",
		"33.3333333333333333|14285714285714285714|0.00014285714285714286|123456789012345678901234567891.5|9007199254740993\nSELECT 1"},
	{"SELECT round(2.675, 2), round(-2.5), round(2.5), trunc(-2.679, 2), round(1234.5, -2), trunc(1239, -1), ceil(1.2), floor(-1.2), abs(-1.50)",
		"2.68|-3|3|-2.67|1200|1230|2|-2|1.50\nSELECT 1"},
	{"SELECT 7.5 % 2, -7.5 % 2, 10 % 3.0, 5.0::int, 4.5::int, -4.5::int8, 1.5::float8, 0.1::float8 + 0.2::float8, (0.1::float8 + 0.2::float8)::numeric",
		"1.5|-1.5|1.0|5|5|-5|1.5|0.30000000000000004|0.3\nSELECT 1"},
	{"SELECT avg(x), sum(x), min(x), max(x) FROM (VALUES (1.5), (2.25), (3)) v(x)", "2.2500000000000000|6.75|1.5|3\nSELECT 1"},
	{"SELECT avg(x), sum(x) FROM (VALUES (1), (2)) v(x)", "1.5000000000000000|3\nSELECT 1"},
	{"SELECT avg(x), sum(x) FROM (VALUES (1::float8), (2)) v(x)", "1.5|3\nSELECT 1"},
	{"SELECT sum(x) FROM (VALUES (9223372036854775807::int8), (1)) v(x)", "9223372036854775808\nSELECT 1"},
	{"SELECT sum(x) / count(*), sum(x) / 2 FROM (VALUES (1::int8), (2::int8)) v(x)", "1.5000000000000000|1.5000000000000000\nSELECT 1"},
	{"SELECT x, count(*) FROM (VALUES (1.0), (1.00), (2)) v(x) GROUP BY x ORDER BY x", "1.0|2\n2|1\nSELECT 2"},
	{"SELECT DISTINCT x FROM (VALUES (1.0), (1.00), (1)) v(x)", "1.0\nSELECT 1"},
	{"SELECT 1.0 = 1.00, 1.5 > 1, 2 < 2.5, 'NaN'::numeric > 1e100, 'NaN'::numeric = 'NaN'::numeric", "t|t|t|t|t\nSELECT 1"},
	{"SELECT '1.50'::numeric, ' 2.5 '::numeric, '-0.00'::numeric, 0.0 * -1, -0.0", "1.50|2.5|0.00|0.0|0.0\nSELECT 1"},
	{"SELECT 1.5::numeric(3,1) * 2, 99.995::numeric(5,2)", "3.0|100.00\nSELECT 1"},
	{"SELECT 12345.678::numeric(6,2)", "ERROR 22003"},
	{"SELECT 1::numeric / 0", "ERROR 22012"},
	{"SELECT 'abc'::numeric", "ERROR 22P02"},
	{"SELECT generate_series(1.0, 2.0, 0.5)", "1.0\n1.5\n2.0\nSELECT 3"},
	// Exact where float64 was not: one-argument functions, mod, div, sign, rounding to tens, infinities, huge
	// values, negative zero, integers past 2^53, scale through multiplication, to_char, and numbers beside integers
	// in CASE, COALESCE, VALUES and UNION.
	{"SELECT round(12345678901234567890.5), ceil(1e30+0.1), abs(-12345678901234567890.12), floor(-1.5), trunc(-1.5), round(-0.5)",
		"12345678901234567891|1000000000000000000000000000001|12345678901234567890.12|-2|-1|-1\nSELECT 1"},
	{"SELECT mod(0.3, 0.1), mod(12345678901234567890.5, 7), div(12345678901234567890.5, 7), sign('NaN'::numeric), sign(-2.5), mod(10.0, 3), mod(10, 3.50)",
		"0.0|1.5|1763668414462081127|NaN|-1|1.0|3.00\nSELECT 1"},
	{"SELECT round(555.5, -3), round(99999::numeric, -3), trunc(1234567.0, -4), 12345678.9::numeric(5,-4)", "1000|100000|1230000|12350000\nSELECT 1"},
	{"SELECT 'Infinity'::numeric + '-Infinity'::numeric, 'Infinity'::numeric - 'Infinity'::numeric, 'Infinity'::numeric * 0, 5 % 'Infinity'::numeric, -2.5 % '-Infinity'::numeric, 1 / 'Infinity'::numeric",
		"NaN|NaN|NaN|5|-2.5|0\nSELECT 1"},
	{"SELECT 'inf'::numeric, '-inf'::numeric, '+inf'::numeric", "Infinity|-Infinity|Infinity\nSELECT 1"},
	{"SELECT '-NaN'::numeric", "ERROR 22P02"},
	{"SELECT 'nan1'::numeric", "ERROR 22P02"},
	{"SELECT (1e600 + 1e-600) = 1e600, 1e1001 % 3", "f|1\nSELECT 1"},
	{"SELECT generate_series(1, 3, 0.5)", "1\n1.5\n2.0\n2.5\n3.0\nSELECT 5"},
	{"SELECT x, count(*) FROM (VALUES ('-0'::numeric), (0.0)) v(x) GROUP BY x", "0|2\nSELECT 1"},
	{"SELECT 9007199254740993::int8 UNION SELECT 9007199254740993::numeric", "9007199254740993\nSELECT 1"},
	{"SELECT 1.50 * 1e5, 1e5 * 0.001, 1e5", "150000.00|100.000|100000\nSELECT 1"},
	{"SELECT to_char(2.675, '9.99'), to_char(0.125, '9.99'), to_char(1.005, '9.99'), to_char(0.1 + 0.2, 'FM0.00000000000000000000')",
		" 2.68|  .13| 1.01|0.30000000000000000000\nSELECT 1"},
	{"SELECT coalesce(NULL::int, 0.5), CASE WHEN 1 > 1 THEN 1 ELSE 0.5 END, greatest(1, 2.5)", "0.5|0.5|2.5\nSELECT 1"},
	{"SELECT * FROM (VALUES (1), (2.5)) v(x)", "1\n2.5\nSELECT 2"},
	{"SELECT sum(x) FROM (VALUES (1), (2.5)) v(x)", "3.5\nSELECT 1"},
	{"SELECT 1 UNION SELECT 2.5 ORDER BY 1", "1\n2.5\nSELECT 2"},
	{"SELECT 1e400::numeric::float8", "ERROR 22003"},
	{"SELECT to_json('NaN'::numeric), to_jsonb(1.50) = to_jsonb(1.5)", "\"NaN\"|t\nSELECT 1"},
	// A fraction beside an integer column keeps its fraction, in filters and in increments.
	{"CREATE TABLE nri (id int PRIMARY KEY, i int, b int8, u numeric NOT NULL)", "CREATE TABLE"},
	{"INSERT INTO nri VALUES (1, 1, -1, 1.0), (2, 2, 9223372036854775806, 5), (3, 3, 0, 0)", "INSERT 0 3"},
	{"SELECT id FROM nri WHERE i > 1.5 ORDER BY id", "2\n3\nSELECT 2"},
	{"SELECT id FROM nri WHERE i IN (1.5, 2, 3.0) ORDER BY id", "2\n3\nSELECT 2"},
	{"DELETE FROM nri WHERE id = 1.5", "DELETE 0"},
	{"UPDATE nri SET i = i - 0.5 WHERE id = 1 RETURNING i", "1\nUPDATE 1"},
	{"UPDATE nri SET b = b + 0.5 WHERE id = 1 RETURNING b", "-1\nUPDATE 1"},
	{"UPDATE nri SET u = u + 0.10 WHERE id = 1 RETURNING u", "1.10\nUPDATE 1"},
	{"UPDATE nri SET u = u - 0.25 WHERE id = 2 RETURNING u", "4.75\nUPDATE 1"},
	{"DROP TABLE nri", "DROP TABLE"},
	// The range of numeric(p,s) is held exactly, past float64's digits too.
	{"CREATE TABLE nbig (id int PRIMARY KEY, n numeric(30,0) NOT NULL, m numeric(20,10) NOT NULL)", "CREATE TABLE"},
	{"INSERT INTO nbig VALUES (1, 999999999999999999999999999999, 9999999999.9999999999)", "INSERT 0 1"},
	{"UPDATE nbig SET n = n + 1", "ERROR 22003"},
	{"UPDATE nbig SET m = m + 0.0000000001", "ERROR 22003"},
	{"UPDATE nbig SET n = n - 1, m = m - 0.0000000001 RETURNING n, m", "999999999999999999999999999998|9999999999.9999999998\nUPDATE 1"},
	{"DROP TABLE nbig", "DROP TABLE"},
	{"CREATE TABLE nmx (id int PRIMARY KEY, amount numeric(12,2), r numeric, f float8)", "CREATE TABLE"},
	{"INSERT INTO nmx VALUES (1, 10.10, 0.1, 0.1), (2, 20.20, 0.2, 0.2), (3, 0.005, 1e-20, 1e-20)", "INSERT 0 3"},
	{"SELECT id, amount, r, amount + r, amount * 3, r * 3, amount / 3 FROM nmx ORDER BY id",
		"1|10.10|0.1|10.20|30.30|0.3|3.3666666666666667\n2|20.20|0.2|20.40|60.60|0.6|6.7333333333333333\n" +
			"3|0.01|0.00000000000000000001|0.01000000000000000001|0.03|0.00000000000000000003|0.00333333333333333333\nSELECT 3"},
	{"SELECT sum(amount), avg(amount), sum(r), avg(r), sum(amount + r) FROM nmx",
		"30.31|10.1033333333333333|0.30000000000000000001|0.10000000000000000000|30.61000000000000000001\nSELECT 1"},
	{"UPDATE nmx SET amount = amount + 0.015 WHERE id = 1 RETURNING amount", "10.12\nUPDATE 1"},
	{"UPDATE nmx SET r = r * 3 WHERE id = 2 RETURNING r", "0.6\nUPDATE 1"},
	{"UPDATE nmx SET amount = amount * 1.1 WHERE id = 2 RETURNING amount", "22.22\nUPDATE 1"},
	{"UPDATE nmx SET r = r + 0.1 WHERE id = 1 RETURNING r", "0.2\nUPDATE 1"},
	{"SELECT id FROM nmx WHERE amount = 22.22 AND r = 0.6", "2\nSELECT 1"},
	{"SELECT id FROM nmx WHERE r > 0.1 AND r < 0.7 ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT amount::text, r::text, to_json(amount) FROM nmx ORDER BY id", "10.12|0.2|10.12\n22.22|0.6|22.22\n0.01|0.00000000000000000001|0.01\nSELECT 3"},
	{"DROP TABLE nmx", "DROP TABLE"},
}

func runNumeric(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, numericSteps) }
