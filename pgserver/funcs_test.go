package pgserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// funcSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): string, number, date and
// array functions, generate_series and unnest in FROM (LATERAL too), and JOIN ... USING and NATURAL JOIN. want is
// the rows and tag as in compareSteps, or "ERROR " and the SQLSTATE the statement fails with.
var funcSteps = []struct{ sql, want string }{
	{"SELECT md5('abc'), md5('')", "900150983cd24fb0d6963f7d28e17f72|d41d8cd98f00b204e9800998ecf8427e\nSELECT 1"},
	{"SELECT split_part('a,b,c', ',', 2), split_part('a,b,c', ',', -1), split_part('a,b,c', ',', 5), split_part('abc', '', 1)", "b|c||abc\nSELECT 1"},
	{"SELECT split_part('a,b', ',', 0)", "ERROR 22023"},
	{"SELECT string_to_array('a,b,,c', ','), string_to_array('a,b,x', ',', 'x'), string_to_array('', ','), string_to_array('abc', NULL)", "{a,b,\"\",c}|{a,b,NULL}|{}|{a,b,c}\nSELECT 1"},
	{`SELECT regexp_replace('foo bar foo', 'fo+', 'X'), regexp_replace('foo bar foo', 'fo+', 'X', 'g'), regexp_replace('Hello', 'h(e)', '<\1\&>', 'i')`, "X bar foo|X bar X|<eHe>llo\nSELECT 1"},
	{"SELECT regexp_replace('a', '(', 'x')", "ERROR 2201B"},
	{"SELECT position('lo' in 'hello'), strpos('hello', 'z'), left('hello', 2), left('hello', -2), right('hello', 2), right('hello', -2)", "4|0|he|hel|lo|llo\nSELECT 1"},
	{"SELECT lpad('7', 3, '0'), rpad('ab', 5, 'xy'), lpad('hello', 2), repeat('ab', 3), repeat('x', -1), reverse('abc'), initcap('hello wORLD-foo')", "007|abxyx|he|ababab||cba|Hello World-Foo\nSELECT 1"},
	{"SELECT starts_with('concord', 'con'), concat_ws('-', 'a', NULL, 'b'), chr(65), ascii('A'), octet_length('héllo'), length('héllo')", "t|a-b|A|65|6|5\nSELECT 1"},
	{"SELECT btrim('xxhixx', 'x'), ltrim('  hi'), rtrim('hi!!', '!'), trim(both 'x' from 'xhix'), trim(leading from '  a') || '|'", "hi|hi|hi|hi|a|\nSELECT 1"},
	{"SELECT upper(NULL), split_part(NULL, ',', 1), concat_ws(NULL, 'a') IS NULL", "||t\nSELECT 1"},
	{`SELECT parse_ident('  A . "B""c" . d$1  '), parse_ident('a b', false), parse_ident('"SomeSchema".someTable'), parse_ident('ÀBC.x')`, `{a,"B\"c",d$1}|{a}|{SomeSchema,sometable}|{Àbc,x}` + "\nSELECT 1"},
	{"SELECT parse_ident('a.')", "ERROR 22023"},
	// Julian days and years before Christ, read and written as PostgreSQL does.
	{"SELECT 'J2451545'::date, 'j2451545.5'::timestamp, 'J2451545 12:30'::timestamptz AT TIME ZONE 'UTC', 'J0'::date", "2000-01-01|2000-01-01 12:00:00|2000-01-01 12:30:00|4714-11-24 BC\nSELECT 1"},
	{"SELECT '0044-03-15 BC'::date, date '0001-01-01' - 1, '0005-02-29 BC'::date, '0001-01-01 AD'::date, '0001-12-31 23:00:00 BC'::timestamp", "0044-03-15 BC|0001-12-31 BC|0005-02-29 BC|0001-01-01|0001-12-31 23:00:00 BC\nSELECT 1"},
	{"SELECT extract(year from '0001-12-31 BC'::date), to_char('0044-03-15 BC'::date, 'YYYY-MM-DD B.C.'), 'J2451545'::date - 'J0'::date", "-1|0044-03-15 B.C.|2451545\nSELECT 1"},
	{"SELECT to_date('2451545', 'J'), to_timestamp('2460000 12:30', 'J HH24:MI') AT TIME ZONE 'UTC', to_char(to_date('2451545', 'J'), 'J')", "2000-01-01|2023-02-24 12:30:00|2451545\nSELECT 1"},
	{"SELECT '0004-02-29 BC'::date", "ERROR 22008"},
	{"SELECT '0000-01-01'::date", "ERROR 22008"},
	{"SELECT parse_ident('\"a')", "ERROR 22023"},
	{"SELECT parse_ident('1a')", "ERROR 22023"},
	{"SELECT mod(7, 3), mod(-7, 3), div(7, 2), power(2, 10), sign(-3.5), abs(-4)", "1|-1|3|1024|-1|4\nSELECT 1"},
	{"SELECT mod(1, 0)", "ERROR 22012"},
	{"SELECT ln(0)", "ERROR 2201E"},
	{"SELECT sqrt(-1)", "ERROR 2201F"},
	{"SELECT exp(0), ln(1), log(100), log10(1000), pi(), sqrt(16)", "1|0|2|3|3.141592653589793|4\nSELECT 1"},
	{"SELECT random() >= 0 AND random() < 1", "t\nSELECT 1"},
	{"SELECT extract(year from timestamptz '2024-03-15 10:20:30+00'), extract(month from timestamptz '2024-03-15 10:20:30+00'), extract(dow from timestamptz '2024-03-15 10:20:30+00'), extract(doy from timestamptz '2024-03-15 10:20:30+00'), extract(quarter from timestamptz '2024-03-15 10:20:30+00'), date_part('hour', timestamptz '2024-03-15 10:20:30+00')", "2024|3|5|75|1|10\nSELECT 1"},
	{"SELECT extract(isodow from timestamptz '2024-03-17 00:00:00+00'), extract(week from timestamptz '2024-03-17 00:00:00+00'), date_part('minute', timestamptz '2024-03-15 10:20:30+00')", "7|11|20\nSELECT 1"},
	{"SELECT extract(fortnight from now())", "ERROR 22023"},
	{"SELECT date_trunc('week', timestamptz '2024-03-15 10:20:30+00'), date_trunc('quarter', timestamptz '2024-03-15 10:20:30+00'), to_timestamp(0)", "2024-03-11 00:00:00+00|2024-01-01 00:00:00+00|1970-01-01 00:00:00+00\nSELECT 1"},
	{"SELECT to_char(timestamptz '2024-03-05 14:07:09.123456+00', 'YYYY-MM-DD HH24:MI:SS'), to_char(timestamptz '2024-03-05 14:07:09.123456+00', 'DD Mon YYYY HH12:MI AM'), '[' || to_char(timestamptz '2024-03-05 14:07:09+00', 'Day, Month DD') || ']', to_char(timestamptz '2024-03-05 14:07:09+00', 'FMDay, FMMonth FMDD')",
		"2024-03-05 14:07:09|05 Mar 2024 02:07 PM|[Tuesday  , March     05]|Tuesday, March 5\nSELECT 1"},
	{"SELECT to_char(timestamptz '2024-03-05 04:07:09.123456+00', 'HH:MI:SS.MS pm \"at\" Q IW DDD D'), to_char(timestamptz '2024-03-05 14:07:09.123456+00', 'YYYYMMDD\"T\"HH24MISS.US')",
		"04:07:09.123 am at 1 10 065 3|20240305T140709.123456\nSELECT 1"},
	{"SELECT '[' || to_char(timestamptz '2024-03-05 14:07:09+00', 'FM-YYYY FMxMM FM') || ']'", "[-2024 x03 ]\nSELECT 1"},
	{"SELECT '[' || to_char(1234.5, '9999.99') || '|' || to_char(1234.5, 'FM9999.99') || '|' || to_char(1234.5, '9,999.00') || '|' || to_char(-12.345, '999.99') || '|' || to_char(0.5, '999.99') || '|' || to_char(0.5, '990.99') || ']'",
		"[ 1234.50|1234.5| 1,234.50| -12.35|    .50|   0.50]\nSELECT 1"},
	{"SELECT '[' || to_char(0, '999') || '|' || to_char(42, '00000') || '|' || to_char(12345, '999') || '|' || to_char(7, 'FM999') || '|' || to_char(1234567.891, 'FM9,999,999.00') || '|' || to_char(5, '9,999') || '|' || to_char(3.1, 'FM990.999') || ']'",
		"[   0| 00042| ###|7|1,234,567.89|     5|3.1]\nSELECT 1"},
	{"SELECT array_position(ARRAY['a','b','c'], 'b'), array_position(ARRAY['a'], 'z'), array_cat(ARRAY[1,2], ARRAY[3]), array_upper(ARRAY[1,2,3], 1), array_lower(ARRAY[1], 1)", "2||{1,2,3}|3|1\nSELECT 1"},
	{"SELECT * FROM generate_series(1, 3)", "1\n2\n3\nSELECT 3"},
	{"SELECT g, g * 2 FROM generate_series(1, 10, 4) AS g", "1|2\n5|10\n9|18\nSELECT 3"},
	{"SELECT sum(n) FROM generate_series(10, 1, -3) AS s(n)", "22\nSELECT 1"},
	{"SELECT * FROM generate_series(1, 2) WITH ORDINALITY AS t(v, i)", "1|1\n2|2\nSELECT 2"},
	{"SELECT generate_series FROM generate_series(5, 5)", "5\nSELECT 1"},
	{"SELECT * FROM generate_series(3, 1)", "SELECT 0"},
	{"SELECT * FROM generate_series(1, 3, 0)", "ERROR 22023"},
	{"SELECT count(*) FROM generate_series(timestamptz '2024-01-01 00:00:00+00', timestamptz '2024-01-02 00:00:00+00', interval '6 hours')", "5\nSELECT 1"},
	{"SELECT generate_series(1, 3)", "1\n2\n3\nSELECT 3"},
	{"SELECT g, generate_series(1, g) FROM generate_series(1, 3) AS g ORDER BY g DESC, 2 LIMIT 4", "3|1\n3|2\n3|3\n2|1\nSELECT 4"},
	{"SELECT unnest(ARRAY['a','b','c']), generate_series(1, 2)", "a|1\nb|2\nc|\nSELECT 3"},
	{"SELECT 1 + generate_series(1, 2), upper(unnest(ARRAY['x']))", "2|X\n3|\nSELECT 2"},
	{"SELECT 1 WHERE 1 = generate_series(1, 2)", "ERROR 0A000"},
	{"SELECT * FROM unnest(ARRAY['x','y'])", "x\ny\nSELECT 2"},
	{"SELECT u FROM unnest(ARRAY[3,1,2]) AS u ORDER BY u", "1\n2\n3\nSELECT 3"},
	{"CREATE TABLE fposts (id int8 PRIMARY KEY, tags text[])", "CREATE TABLE"},
	{"INSERT INTO fposts VALUES (1, '{a,b}'), (2, '{c}'), (3, '{}')", "INSERT 0 3"},
	{"SELECT id, tag FROM fposts, unnest(tags) AS tag ORDER BY id, tag", "1|a\n1|b\n2|c\nSELECT 3"},
	{"SELECT p.id, t.tag FROM fposts p LEFT JOIN LATERAL unnest(p.tags) AS t(tag) ON true ORDER BY 1, 2", "1|a\n1|b\n2|c\n3|\nSELECT 4"},
	{"SELECT id, c.n FROM fposts CROSS JOIN LATERAL (SELECT count(*) AS n FROM unnest(tags)) c ORDER BY id", "1|2\n2|1\n3|0\nSELECT 3"},
	{"SELECT tag, count(*) FROM fposts, unnest(tags) AS tag WHERE id < 3 GROUP BY tag ORDER BY tag", "a|1\nb|1\nc|1\nSELECT 3"},
	{"CREATE TABLE fa (id int8 PRIMARY KEY, x text)", "CREATE TABLE"},
	{"CREATE TABLE fb (id int8 PRIMARY KEY, y text)", "CREATE TABLE"},
	{"INSERT INTO fa VALUES (1, 'a1'), (2, 'a2')", "INSERT 0 2"},
	{"INSERT INTO fb VALUES (2, 'b2'), (3, 'b3')", "INSERT 0 2"},
	{"SELECT * FROM fa JOIN fb USING (id)", "2|a2|b2\nSELECT 1"},
	{"SELECT * FROM fa FULL JOIN fb USING (id) ORDER BY id", "1|a1|\n2|a2|b2\n3||b3\nSELECT 3"},
	{"SELECT * FROM fa RIGHT JOIN fb USING (id) ORDER BY id", "2|a2|b2\n3||b3\nSELECT 2"},
	{"SELECT id, fa.id, fb.id FROM fa LEFT JOIN fb USING (id) ORDER BY 1", "1|1|\n2|2|2\nSELECT 2"},
	{"SELECT * FROM fa NATURAL JOIN fb", "2|a2|b2\nSELECT 1"},
	{"SELECT fa.* FROM fa JOIN fb USING (id)", "2|a2\nSELECT 1"},
	{"SELECT * FROM fa JOIN fb USING (nope)", "ERROR 42703"},
	{"SELECT id, fa.id, fb.id FROM fa LEFT JOIN fb USING (id) ORDER BY id", "ERROR 42702"},
	{"SELECT x AS n, id AS n FROM fa ORDER BY n", "ERROR 42702"},
	{"SELECT id, id FROM fa ORDER BY id DESC", "2|2\n1|1\nSELECT 2"},
	{"SELECT * FROM fa CROSS JOIN fb ORDER BY fa.id, fb.id LIMIT 1", "1|a1|2|b2\nSELECT 1"},
	{"CREATE TABLE fw (id int8 PRIMARY KEY, grp text, v int4)", "CREATE TABLE"},
	{"INSERT INTO fw VALUES (1, 'a', 10), (2, 'a', 20), (3, 'a', 20), (4, 'b', 5), (5, 'b', NULL), (6, 'c', 7)", "INSERT 0 6"},
	{"SELECT id, rank() OVER (PARTITION BY grp ORDER BY v), dense_rank() OVER (PARTITION BY grp ORDER BY v), sum(v) OVER (PARTITION BY grp), count(*) OVER (PARTITION BY grp ORDER BY v) FROM fw ORDER BY id",
		"1|1|1|50|1\n2|2|2|50|3\n3|2|2|50|3\n4|1|1|5|1\n5|2|2|5|2\n6|1|1|7|1\nSELECT 6"},
	{"SELECT id, lag(v) OVER (ORDER BY id), lead(v, 2, -1) OVER (ORDER BY id), first_value(v) OVER (PARTITION BY grp ORDER BY id), last_value(v) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM fw ORDER BY id",
		"1||20|10|20\n2|10|5|10|20\n3|20||10|20\n4|20|7|5|\n5|5|-1|5|\n6||-1|7|7\nSELECT 6"},
	{"SELECT id, sum(v) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), sum(v) OVER (ORDER BY v), max(v) OVER (PARTITION BY grp ORDER BY id), ntile(4) OVER (ORDER BY id), count(v) FILTER (WHERE v > 5) OVER () FROM fw ORDER BY id",
		"1|10|22|10|1|4\n2|30|62|20|1|4\n3|50|62|20|2|4\n4|55|5|5|2|4\n5|55|62|5|3|4\n6|62|12|7|4|4\nSELECT 6"},
	{"SELECT grp, sum(v), rank() OVER (ORDER BY sum(v) DESC) FROM fw GROUP BY grp ORDER BY grp", "a|50|1\nb|5|3\nc|7|2\nSELECT 3"},
	{"SELECT id, percent_rank() OVER (ORDER BY v), cume_dist() OVER (ORDER BY v), last_value(id) OVER (ORDER BY v) FROM fw WHERE grp = 'a' ORDER BY id", "1|0|0.3333333333333333|1\n2|0.5|1|3\n3|0.5|1|3\nSELECT 3"},
	{"SELECT nth_value(id, 2) OVER (ORDER BY id), first_value(id) OVER (PARTITION BY grp) FROM fw WHERE id <= 2 ORDER BY id", "|1\n2|1\nSELECT 2"},
	{"SELECT lower('a') OVER ()", "ERROR 42809"},
	{"SELECT ntile(0) OVER () FROM fw", "ERROR 22014"},
	{"CREATE TABLE fe (id int8 PRIMARY KEY, parent int8, name text, at int4)", "CREATE TABLE"},
	{"INSERT INTO fe VALUES (1, NULL, 'root', 1), (2, 1, 'a', 2), (3, 1, 'b', 3), (4, 2, 'a1', 4), (5, 4, 'a11', 5), (6, 3, 'b1', 6)", "INSERT 0 6"},
	{"WITH RECURSIVE sub AS (SELECT id, name, 0 AS depth FROM fe WHERE id = 2 UNION ALL SELECT fe.id, fe.name, sub.depth + 1 FROM fe JOIN sub ON fe.parent = sub.id) SELECT * FROM sub ORDER BY id", "2|a|0\n4|a1|1\n5|a11|2\nSELECT 3"},
	{"WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT sum(n), count(*) FROM t", "15|5\nSELECT 1"},
	{"WITH RECURSIVE r(x) AS (SELECT 1 UNION SELECT (x % 3) + 1 FROM r) SELECT x FROM r ORDER BY x", "1\n2\n3\nSELECT 3"},
	{"WITH RECURSIVE p AS (SELECT id, name AS path FROM fe WHERE parent IS NULL UNION ALL SELECT fe.id, p.path || '/' || fe.name FROM fe JOIN p ON fe.parent = p.id) SELECT path FROM p ORDER BY path", "root\nroot/a\nroot/a/a1\nroot/a/a1/a11\nroot/b\nroot/b/b1\nSELECT 6"},
	{"WITH RECURSIVE up AS (SELECT id, parent FROM fe WHERE id = 5 UNION ALL SELECT fe.id, fe.parent FROM fe, up WHERE fe.id = up.parent), n AS (SELECT count(*) AS c FROM up) SELECT c FROM n", "4\nSELECT 1"},
	{"SELECT DISTINCT ON (parent) parent, id, name FROM fe WHERE parent IS NOT NULL ORDER BY parent, at DESC", "1|3|b\n2|4|a1\n3|6|b1\n4|5|a11\nSELECT 4"},
	{"SELECT DISTINCT ON (parent) parent FROM fe WHERE parent IS NOT NULL", "1\n2\n3\n4\nSELECT 4"},
	{"SELECT DISTINCT ON (1) parent, name FROM fe WHERE parent IS NOT NULL ORDER BY 1, 2 DESC", "1|b\n2|a1\n3|b1\n4|a11\nSELECT 4"},
	{"DROP TABLE fposts, fa, fb, fw, fe", "DROP TABLE"},
	{"CREATE TABLE vt (id int8 PRIMARY KEY, grp text, amount int4)", "CREATE TABLE"},
	{"INSERT INTO vt VALUES (1, 'a', 10), (2, 'a', 5), (3, 'b', 7)", "INSERT 0 3"},
	{"CREATE VIEW vtotals AS SELECT grp, sum(amount) AS total FROM vt GROUP BY grp", "CREATE VIEW"},
	{"SELECT * FROM vtotals ORDER BY grp", "a|15\nb|7\nSELECT 2"},
	{"CREATE VIEW vbig (k, amt) AS SELECT id, amount FROM vt WHERE amount > 6", "CREATE VIEW"},
	{"SELECT v.k, t.grp, v.amt FROM vbig v JOIN vt t ON t.id = v.k ORDER BY 1", "1|a|10\n3|b|7\nSELECT 2"},
	{"INSERT INTO vt VALUES (4, 'b', 100)", "INSERT 0 1"},
	{"SELECT total FROM vtotals WHERE grp = 'b'", "107\nSELECT 1"},
	{"CREATE VIEW vtotals AS SELECT 1", "ERROR 42P07"},
	{"CREATE OR REPLACE VIEW vbig (k, amt) AS SELECT id, amount FROM vt WHERE amount > 50", "CREATE VIEW"},
	{"SELECT count(*) FROM vbig", "1\nSELECT 1"},
	{"WITH vt AS (SELECT 1 AS x) SELECT count(*) FROM vtotals", "2\nSELECT 1"},
	{"SELECT table_type FROM information_schema.tables WHERE table_name = 'vtotals'", "VIEW\nSELECT 1"},
	{"SELECT relkind FROM pg_class WHERE relname = 'vtotals'", "v\nSELECT 1"},
	{"INSERT INTO vtotals VALUES ('c', 1)", "ERROR 55000"},
	{"CREATE INDEX ON vtotals (grp)", "ERROR 42809"},
	{"DROP TABLE vtotals", "ERROR 42809"},
	{"DROP VIEW vt", "ERROR 42809"},
	{"DROP VIEW vtotals, vbig", "DROP VIEW"},
	{"DROP VIEW IF EXISTS vtotals", "DROP VIEW"},
	{"SELECT * FROM vtotals", "ERROR 42P01"},
	{"DROP TABLE vt", "DROP TABLE"},
	// width_bucket: equal-width buckets either way, 0 and count + 1 outside them, or an array of lower bounds.
	{"SELECT width_bucket(5.35, 0.024, 10.06, 5), width_bucket(-1, 0, 10, 5), width_bucket(10, 0, 10, 5), width_bucket(9.99, 0, 10, 5), width_bucket(7, 10, 0, 5), width_bucket(11, 10, 0, 5), width_bucket(0, 10, 0, 5), width_bucket(NULL, 0, 10, 5)",
		"3|0|6|5|2|0|6|\nSELECT 1"},
	{"SELECT width_bucket(5, ARRAY[1, 3, 4, 10]), width_bucket(0, ARRAY[1, 3]), width_bucket(3, ARRAY[1, 3]), pg_typeof(width_bucket(1, 0, 10, 2))", "3|0|2|integer\nSELECT 1"},
	{"SELECT width_bucket(0.3, 0.1, 0.5, 2), width_bucket(0.3::float8, 0.1, 1.1, 10), width_bucket(5, ARRAY[1,10,2,3,4]), width_bucket('c'::text, ARRAY['a','b','d']), width_bucket(99.999999, 0, 100, 10), width_bucket(-5, 10, 0, 5)",
		"2|3|5|2|10|6\nSELECT 1"},
	{"SELECT width_bucket(1, ARRAY[5, NULL])", "ERROR 22004"},
	{"SELECT width_bucket(1, 0, 10, 0)", "ERROR 2201G"},
	{"SELECT width_bucket(1, 5, 5, 2)", "ERROR 2201G"},
	{"SELECT width_bucket(x, 0, 100, 4), count(*) FROM generate_series(0, 100, 7) x GROUP BY 1 ORDER BY 1", "1|4\n2|4\n3|3\n4|4\nSELECT 4"},
}

// runFuncs runs funcSteps on a connection.
func runFuncs(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, funcSteps) }

// TestFuncs_Extended runs set-returning FROM items, USING joins and the functions above through the extended
// protocol with parameters, whose types come from the statement as PostgreSQL infers them.
func TestFuncs_Extended(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	var sum, n int64
	if err := c.QueryRow(ctx, "SELECT sum(g), count(*) FROM generate_series($1, $2, $3) AS g", 2, 20, 3).Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	if sum != 2+5+8+11+14+17+20 || n != 7 {
		t.Fatalf("generate_series(2, 20, 3): sum %d count %d", sum, n)
	}
	if err := c.QueryRow(ctx, "WITH RECURSIVE t(n) AS (SELECT $1::int UNION ALL SELECT n + 1 FROM t WHERE n < $2) SELECT count(*), max(n) FROM t", 3, 10).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 8 || sum != 10 {
		t.Fatalf("recursive count %d max %d, want 8 and 10", n, sum)
	}
	var parts []string
	if err := c.QueryRow(ctx, "SELECT string_to_array($1, $2)", "a|b|c", "|").Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if strings.Join(parts, ",") != "a,b,c" {
		t.Fatalf("string_to_array: %q", parts)
	}
	var padded, replaced string
	var pos int32
	if err := c.QueryRow(ctx, "SELECT lpad($1, $2, '0'), regexp_replace($1, $3, 'x', 'g'), strpos($1, $4)", "42", 5, "[24]", "2").Scan(&padded, &replaced, &pos); err != nil {
		t.Fatal(err)
	}
	if padded != "00042" || replaced != "xx" || pos != 2 {
		t.Fatalf("lpad %q regexp_replace %q strpos %d", padded, replaced, pos)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE xtags (id int8 PRIMARY KEY, tags text[])"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO xtags VALUES (1, $1), (2, $2)", []string{"go", "db"}, []string{"db"}); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "SELECT tag, count(*) FROM xtags, unnest(tags) AS tag WHERE id <= $1 GROUP BY tag ORDER BY tag", 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var tag string
		var k int64
		if err := rows.Scan(&tag, &k); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", tag, k))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "db=2 go=1" {
		t.Fatalf("tags: %q", got)
	}
	// A view's definition, by name and by the oid pg_class gives it (psql's \\d+).
	if _, err := c.Exec(ctx, "CREATE VIEW xgo AS SELECT id FROM xtags WHERE 'go' = ANY(tags)"); err != nil {
		t.Fatal(err)
	}
	var byName, byOID string
	if err := c.QueryRow(ctx, "SELECT pg_get_viewdef('xgo'), pg_get_viewdef(oid) FROM pg_class WHERE relname = 'xgo'").Scan(&byName, &byOID); err != nil {
		t.Fatal(err)
	}
	if byName != byOID || !strings.Contains(byName, "FROM xtags") {
		t.Fatalf("pg_get_viewdef: %q by name, %q by oid", byName, byOID)
	}
	var id int64
	var y string
	if err := c.QueryRow(ctx, "SELECT id, b.tags[1] FROM xtags a JOIN xtags b USING (id) WHERE id = $1", 2).Scan(&id, &y); err != nil {
		t.Fatal(err)
	}
	if id != 2 || y != "db" {
		t.Fatalf("USING: %d %q", id, y)
	}
}
