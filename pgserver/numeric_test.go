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
	{"SELECT x, count(*) FROM (VALUES (1.0), (1.00), (2)) v(x) GROUP BY x ORDER BY x", "1.0|2\n2|1\nSELECT 2"},
	{"SELECT DISTINCT x FROM (VALUES (1.0), (1.00), (1)) v(x)", "1.0\nSELECT 1"},
	{"SELECT 1.0 = 1.00, 1.5 > 1, 2 < 2.5, 'NaN'::numeric > 1e100, 'NaN'::numeric = 'NaN'::numeric", "t|t|t|t|t\nSELECT 1"},
	{"SELECT '1.50'::numeric, ' 2.5 '::numeric, '-0.00'::numeric, 0.0 * -1, -0.0", "1.50|2.5|0.00|0.0|0.0\nSELECT 1"},
	{"SELECT 1.5::numeric(3,1) * 2, 99.995::numeric(5,2)", "3.0|100.00\nSELECT 1"},
	{"SELECT 12345.678::numeric(6,2)", "ERROR 22003"},
	{"SELECT 1::numeric / 0", "ERROR 22012"},
	{"SELECT 'abc'::numeric", "ERROR 22P02"},
	{"SELECT generate_series(1.0, 2.0, 0.5)", "1.0\n1.5\n2.0\nSELECT 3"},
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
