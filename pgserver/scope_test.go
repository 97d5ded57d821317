package pgserver_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// scopeSteps: in a correlated subquery an unqualified name is the subquery's own column before the outer
// query's of the same name, as in PostgreSQL (WHERE id = o.aid compares the subquery table's id).
var scopeSteps = []struct{ sql, want string }{
	{"CREATE TABLE ssa (id int PRIMARY KEY, name text)", "CREATE TABLE"},
	{"CREATE TABLE ssb (id int PRIMARY KEY, aid int)", "CREATE TABLE"},
	{"INSERT INTO ssa VALUES (1, 'a'), (2, 'b')", "INSERT 0 2"},
	{"INSERT INTO ssb VALUES (1, 1), (2, 1), (3, 2)", "INSERT 0 3"},
	{"SELECT o.id, (SELECT name FROM ssa WHERE id = o.aid) FROM ssb o ORDER BY 1", "1|a\n2|a\n3|b\nSELECT 3"},
	{"SELECT o.id FROM ssb o WHERE EXISTS (SELECT 1 FROM ssa WHERE id = o.aid AND name = 'b') ORDER BY 1", "3\nSELECT 1"},
	{"SELECT o.id, (SELECT count(*) FROM ssb WHERE aid = o.id) FROM ssa o ORDER BY 1", "1|2\n2|1\nSELECT 2"},
	// A table alias with a column list renames the columns, in order, in every clause.
	{"SELECT q, count(*) FROM ssb a(p, q) WHERE p > 1 GROUP BY q ORDER BY 1", "1|1\n2|1\nSELECT 2"},
	{"SELECT * FROM ssb a(p) WHERE aid = 1 ORDER BY p", "1|1\n2|1\nSELECT 2"},
	{"SELECT aid, id FROM ssb a(aid, id) WHERE aid = 3", "3|2\nSELECT 1"},
	{"SELECT * FROM ssb a(p, q, r)", "ERROR 42P10"},
	// UPDATE ... FROM: the target table and the FROM items are one scope, so a name both have is ambiguous.
	{"CREATE TABLE sut (id int PRIMARY KEY, n int)", "CREATE TABLE"},
	{"CREATE TABLE sus (id int PRIMARY KEY, n int, k int)", "CREATE TABLE"},
	{"INSERT INTO sut VALUES (1, 1), (2, 2)", "INSERT 0 2"},
	{"INSERT INTO sus VALUES (1, 10, 5), (2, 20, 6)", "INSERT 0 2"},
	{"UPDATE sut SET n = n + 1 FROM sus WHERE sut.id = sus.id", "ERROR 42702"},
	{"UPDATE sut SET n = sut.n + k FROM sus WHERE sut.id = sus.id AND n > 1", "ERROR 42702"},
	{"UPDATE sut SET n = sut.n + k FROM sus WHERE sut.id = sus.id AND sus.n > 10 RETURNING sut.n", "8\nUPDATE 1"},
	{"UPDATE sut SET n = (SELECT max(n) FROM sus) FROM sus x WHERE sut.id = x.id AND x.id = 1 RETURNING sut.n", "20\nUPDATE 1"},
	{"DROP TABLE sut, sus", "DROP TABLE"},
	{"DROP TABLE ssa, ssb", "DROP TABLE"},
}

func runScope(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, scopeSteps) }
