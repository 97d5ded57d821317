package pgserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// groupingSteps: a grouped query may use a column outside an aggregate only when it is grouped (by any
// qualification, an output column's name or position, an expression around it, or its table's whole primary
// key); anything else is 42803, in the select list, HAVING and ORDER BY. Run against Concord and PostgreSQL 15.
var groupingSteps = []struct{ sql, want string }{
	{"CREATE TABLE ga (id int PRIMARY KEY, name text, grp int, v int)", "CREATE TABLE"},
	{"CREATE TABLE gb (id int PRIMARY KEY, aid int, w int)", "CREATE TABLE"},
	{"CREATE TABLE gc (k1 int, k2 int, x int, PRIMARY KEY (k1, k2))", "CREATE TABLE"},
	{"INSERT INTO ga VALUES (1, 'Ann', 1, 10), (2, 'bob', 1, 20), (3, 'Cy', 2, 35)", "INSERT 0 3"},
	{"INSERT INTO gb VALUES (1, 1, 5), (2, 1, 6), (3, 3, 7)", "INSERT 0 3"},
	{"INSERT INTO gc VALUES (1, 1, 9), (1, 2, 8)", "INSERT 0 2"},
	{"SELECT sum(v), v FROM ga", "ERROR 42803"},
	{"SELECT sum(v), v + 1 FROM ga", "ERROR 42803"},
	{"SELECT sum(v), abs(v) FROM ga", "ERROR 42803"},
	{"SELECT grp, sum(v), abs(v) FROM ga GROUP BY grp", "ERROR 42803"},
	{"SELECT v FROM ga GROUP BY grp", "ERROR 42803"},
	{"SELECT grp FROM ga GROUP BY grp HAVING v > 1", "ERROR 42803"},
	{"SELECT grp FROM ga GROUP BY grp ORDER BY v", "ERROR 42803"},
	{"SELECT sum(v) FROM ga ORDER BY abs(v)", "ERROR 42803"},
	{"SELECT name FROM ga HAVING count(*) > 0", "ERROR 42803"},
	{"SELECT a.id, b.w, count(*) FROM ga a JOIN gb b ON b.aid = a.id GROUP BY a.id", "ERROR 42803"},
	{"SELECT k1, x FROM gc GROUP BY k1", "ERROR 42803"},
	{"SELECT a.id, a.name, count(b.id) FROM ga a LEFT JOIN gb b ON b.aid = a.id GROUP BY a.id ORDER BY a.id",
		"1|Ann|2\n2|bob|0\n3|Cy|1\nSELECT 3"},
	{"SELECT * FROM ga GROUP BY id ORDER BY id", "1|Ann|1|10\n2|bob|1|20\n3|Cy|2|35\nSELECT 3"},
	{"SELECT k1, k2, x FROM gc GROUP BY k1, k2 ORDER BY k2", "1|1|9\n1|2|8\nSELECT 2"},
	{"SELECT (grp + v) * 2, count(*) FROM ga GROUP BY grp + v ORDER BY 1", "22|1\n42|1\n74|1\nSELECT 3"},
	{"SELECT grp, sum(v) AS s FROM ga GROUP BY 1 ORDER BY s DESC", "2|35\n1|30\nSELECT 2"},
	{"SELECT grp AS g, max(v) FROM ga GROUP BY g ORDER BY g", "1|20\n2|35\nSELECT 2"},
	{"SELECT lower(name), count(*) FROM ga GROUP BY lower(name) ORDER BY 1", "ann|1\nbob|1\ncy|1\nSELECT 3"},
	{"SELECT grp FROM ga GROUP BY grp HAVING count(*) > 1", "1\nSELECT 1"},
	{"SELECT grp, sum(v), rank() OVER (ORDER BY sum(v) DESC) FROM ga GROUP BY grp ORDER BY grp", "1|30|2\n2|35|1\nSELECT 2"},
	{"SELECT grp, (SELECT count(*) FROM gb WHERE gb.aid = ga.grp) FROM ga GROUP BY grp ORDER BY grp", "1|2\n2|0\nSELECT 2"},
	{"SELECT CASE WHEN grp = 1 THEN 'one' ELSE 'other' END, count(*) FILTER (WHERE v > 10) FROM ga GROUP BY grp ORDER BY 1",
		"one|1\nother|1\nSELECT 2"},
	{"SELECT a.grp, count(*) FROM ga a GROUP BY grp ORDER BY grp", "1|2\n2|1\nSELECT 2"},
	{"SELECT id, count(*) FROM ga JOIN gb USING (id) GROUP BY id ORDER BY id", "1|1\n2|1\n3|1\nSELECT 3"},
	{"SELECT count(*), 'x', 1 + 1 FROM ga", "3|x|2\nSELECT 1"},
	{"SELECT max(v) FROM ga HAVING max(v) > 0", "35\nSELECT 1"},
	// ORDER BY takes an output column's name before an input column's; GROUP BY an implicit output name.
	{"SELECT grp AS v, sum(v) FROM ga GROUP BY grp ORDER BY v", "1|30\n2|35\nSELECT 2"},
	{"SELECT lower(name) AS name, count(*) FROM ga GROUP BY 1 ORDER BY name", "ann|1\nbob|1\ncy|1\nSELECT 3"},
	{"SELECT upper(name) FROM ga GROUP BY upper ORDER BY 1", "ANN\nBOB\nCY\nSELECT 3"},
	// A JOIN ... USING column stands for the columns it merged, so a grouped key covers its table.
	{"SELECT ga.name, count(*) FROM ga JOIN gb USING (id) GROUP BY ga.id ORDER BY 1", "Ann|1\nCy|1\nbob|1\nSELECT 3"},
	{"SELECT id, ga.name, count(*) FROM ga LEFT JOIN gb USING (id) GROUP BY id ORDER BY 1", "1|Ann|1\n2|bob|1\n3|Cy|1\nSELECT 3"},
	{"SELECT ga.*, count(*) FROM ga JOIN gb USING (id) GROUP BY ga.id, ga.name ORDER BY 1", "1|Ann|1|10|1\n2|bob|1|20|1\n3|Cy|2|35|1\nSELECT 3"},
	// GROUP BY expressions written differently from the select list's.
	{"SELECT grp + 1 FROM ga GROUP BY ga.grp + 1 ORDER BY 1", "2\n3\nSELECT 2"},
	{"SELECT grp::int8 FROM ga GROUP BY grp::bigint ORDER BY 1", "1\n2\nSELECT 2"},
	{"SELECT upper(name) FROM ga GROUP BY upper(ga.name) ORDER BY 1", "ANN\nBOB\nCY\nSELECT 3"},
	{"SELECT id, name FROM ga GROUP BY 3", "ERROR 42P10"},
	{"SELECT id FROM ga ORDER BY 2", "ERROR 42P10"},
}

// orderSteps: VALUES with ORDER BY, OFFSET and LIMIT; ORDER BY ... USING; constants that are not positions in
// GROUP BY and ORDER BY refused before any row is read; compared with PostgreSQL 15.
var orderSteps = []struct{ sql, want string }{
	{"VALUES (2), (1), (3) ORDER BY 1", "1\n2\n3\nSELECT 3"},
	{"VALUES (2, 'b'), (1, 'z'), (3, 'a') ORDER BY 2 DESC LIMIT 2", "1|z\n2|b\nSELECT 2"},
	{"VALUES (2), (1), (3) ORDER BY 1 LIMIT 1 OFFSET 1", "2\nSELECT 1"},
	{"VALUES (2), (1) ORDER BY column1 DESC", "2\n1\nSELECT 2"},
	{"VALUES (1) ORDER BY 2", "ERROR 42P10"},
	{"SELECT * FROM (VALUES (3), (1), (2) ORDER BY 1 LIMIT 2) s", "1\n2\nSELECT 2"},
	{"SELECT * FROM (VALUES (2), (NULL), (1), (3)) v(x) ORDER BY x USING >", "\n3\n2\n1\nSELECT 4"},
	{"SELECT * FROM (VALUES (2), (NULL), (1)) v(x) ORDER BY x USING > NULLS LAST", "2\n1\n\nSELECT 3"},
	{"SELECT * FROM (VALUES (2), (NULL), (1)) v(x) ORDER BY x USING <", "1\n2\n\nSELECT 3"},
	{"SELECT * FROM (VALUES (2), (1)) v(x) ORDER BY x USING =", "ERROR 42809"},
	{"SELECT x FROM (VALUES (2), (1)) v(x) GROUP BY 'a'", "ERROR 42601"},
	{"SELECT x FROM (VALUES (2), (1)) v(x) WHERE false GROUP BY true", "ERROR 42601"},
	{"SELECT x FROM (VALUES (2), (1)) v(x) WHERE false ORDER BY NULL", "ERROR 42601"},
	{"SELECT string_agg(x, ',' ORDER BY x USING <=) FROM (VALUES ('b'), ('a')) v(x)", "ERROR 42809"},
	{"SELECT row_number() OVER (ORDER BY x USING <=) FROM (VALUES ('b'), ('a')) v(x)", "ERROR 42809"},
	{"SELECT x FROM (VALUES ('b'), ('a'), ('c')) v(x) ORDER BY x USING ~>~", "c\nb\na\nSELECT 3"},
	// With a GROUP BY expression, a column no GROUP BY item uses is refused.
	{"CREATE TABLE gpx (id int PRIMARY KEY, a text, b text, n int, created timestamp)", "CREATE TABLE"},
	{"INSERT INTO gpx VALUES (1, 'x', 'p', 1, '2024-01-01 10:00'), (2, 'x', 'q', 2, '2024-01-01 11:00'), (3, 'y', 'r', 3, '2024-01-01 12:00')", "INSERT 0 3"},
	{"SELECT b FROM gpx GROUP BY a || 'z'", "ERROR 42803"},
	{"SELECT gpx.a || 'z', count(*) FROM gpx GROUP BY a || 'z' ORDER BY 1", "xz|2\nyz|1\nSELECT 2"},
	{"SELECT upper(a || 'z') FROM gpx GROUP BY a || 'z' ORDER BY 1", "XZ\nYZ\nSELECT 2"},
	{"SELECT lower(a), count(*) FROM gpx GROUP BY lower(a) HAVING lower(a) <> 'q' ORDER BY lower(a)", "x|2\ny|1\nSELECT 2"},
	{"SELECT (n + 1) * 2 FROM gpx GROUP BY n + 1 ORDER BY 1", "4\n6\n8\nSELECT 3"},
	{"SELECT CASE WHEN n > 1 THEN 'big' ELSE 'small' END AS k, count(*) FROM gpx GROUP BY CASE WHEN n > 1 THEN 'big' ELSE 'small' END ORDER BY 1",
		"big|2\nsmall|1\nSELECT 2"},
	// Forms PostgreSQL's analysis makes one: a cast, a schema, the SQL syntax of a function, a USING column.
	{"SELECT a || 'z'::text AS d, count(*) FROM gpx GROUP BY a || 'z' ORDER BY 1", "xz|2\nyz|1\nSELECT 2"},
	{"SELECT n + 1::int, count(*) FROM gpx GROUP BY n + 1 ORDER BY 1", "2|1\n3|1\n4|1\nSELECT 3"},
	{"SELECT pg_catalog.lower(a), count(*) FROM gpx GROUP BY lower(a) ORDER BY 1", "x|2\ny|1\nSELECT 2"},
	{"SELECT substring(a from 1 for 1), count(*) FROM gpx GROUP BY substring(a, 1, 1) ORDER BY 1", "x|2\ny|1\nSELECT 2"},
	{"SELECT a FROM gpx GROUP BY a::text ORDER BY 1", "x\ny\nSELECT 2"},
	{"DROP TABLE gpx", "DROP TABLE"},
	// A literal string in a set operation takes the other side's type.
	{"SELECT 1 UNION SELECT '1'", "1\nSELECT 1"},
	{"SELECT 1 AS x UNION SELECT '2' ORDER BY 1", "1\n2\nSELECT 2"},
	{"SELECT 1 UNION SELECT 'x'", "ERROR 22P02"},
	// A * in a grouped query stands for its columns.
	{"CREATE TABLE gsp (id int PRIMARY KEY, name text, n int)", "CREATE TABLE"},
	{"INSERT INTO gsp VALUES (1, 'a', 1), (2, 'b', 2), (3, 'a', 1)", "INSERT 0 3"},
	{"SELECT * FROM gsp GROUP BY id ORDER BY id", "1|a|1\n2|b|2\n3|a|1\nSELECT 3"},
	{"SELECT * FROM gsp GROUP BY name", "ERROR 42803"},
	{"SELECT g.*, count(*) FROM gsp g GROUP BY 1 ORDER BY 1", "1|a|1|1\n2|b|2|1\n3|a|1|1\nSELECT 3"},
	{"SELECT * FROM (SELECT name, n FROM gsp) s GROUP BY 1, 2 ORDER BY 1", "a|1\nb|2\nSELECT 2"},
	{"DROP TABLE gsp", "DROP TABLE"},
}

func runGrouping(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, groupingSteps)
	runSteps(t, who, c, orderSteps)
	// HAVING's and FILTER's parameters are typed by what they are compared with.
	var having, filtered int
	if err := c.QueryRow(context.Background(), "SELECT count(*), count(*) FILTER (WHERE v > $2) FROM (VALUES (1), (5), (9)) t(v) HAVING count(*) > $1", 2, 4).Scan(&having, &filtered); err != nil || having != 3 || filtered != 2 {
		t.Errorf("%s: HAVING and FILTER parameters: %d %d (%v), want 3 2", who, having, filtered, err)
	}
	// VALUES' LIMIT and OFFSET parameters are integers.
	rows, err := c.Query(context.Background(), "VALUES (1), (2), (3) ORDER BY 1 DESC LIMIT $1 OFFSET $2", 2, 1)
	if err != nil {
		t.Fatalf("%s: VALUES ... LIMIT $1: %v", who, err)
	}
	var got []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if rows.Err() != nil || len(got) != 2 || got[0] != 2 || got[1] != 1 {
		t.Errorf("%s: VALUES ... LIMIT $1 OFFSET $2: %v (%v), want [2 1]", who, got, rows.Err())
	}
	// The error names the column as PostgreSQL does and points at it.
	_, err = c.Exec(context.Background(), "SELECT sum(v), name FROM ga")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Message != `column "ga.name" must appear in the GROUP BY clause or be used in an aggregate function` || pe.Position != 16 {
		t.Errorf("%s: an ungrouped column: %v (position %d)", who, err, positionOf(pe))
	}
	runSteps(t, who, c, []struct{ sql, want string }{{"DROP TABLE ga, gb, gc", "DROP TABLE"}})
}

func positionOf(pe *pgconn.PgError) int32 {
	if pe == nil {
		return 0
	}
	return pe.Position
}
