package pgserver_test

import (
	"context"
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

// usingSteps: DELETE ... USING, and RETURNING of UPDATE ... FROM and DELETE ... USING seeing the row a written
// row was paired with; compared with PostgreSQL 15.
var usingSteps = []struct{ sql, want string }{
	{"CREATE TABLE dut (id int PRIMARY KEY, g int, s text)", "CREATE TABLE"},
	{"CREATE TABLE duu (g int, lbl text)", "CREATE TABLE"},
	{"INSERT INTO dut VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, 3, 'd'), (5, NULL, 'e')", "INSERT 0 5"},
	{"INSERT INTO duu VALUES (1, 'one'), (1, 'uno'), (3, 'three'), (9, 'nine')", "INSERT 0 4"},
	{"DELETE FROM dut USING duu WHERE dut.g = duu.g AND duu.lbl = 'zzz'", "DELETE 0"},
	{"DELETE FROM dut USING duu WHERE dut.g = duu.g RETURNING dut.id, duu.lbl", "1|one\n2|one\n4|three\nDELETE 3"},
	{"SELECT * FROM dut ORDER BY id", "3|2|c\n5||e\nSELECT 2"},
	{"INSERT INTO dut VALUES (1, 1, 'a'), (2, 1, 'b'), (4, 3, 'd')", "INSERT 0 3"},
	{"DELETE FROM dut USING duu WHERE g = duu.g", "ERROR 42702"},
	{"DELETE FROM dut d USING duu u WHERE d.g = u.g AND length(d.s || u.lbl) > 3 RETURNING *", "1|1|a|1|one\n2|1|b|1|one\n4|3|d|3|three\nDELETE 3"},
	{"DELETE FROM dut USING duu, (VALUES (2)) v(x) WHERE dut.g = v.x RETURNING id, x", "3|2\nDELETE 1"},
	{"DELETE FROM dut USING nope WHERE true", "ERROR 42P01"},
	{"DELETE FROM dut USING duu WHERE nope = 1", "ERROR 42703"},
	{"DELETE FROM dut USING duu WHERE dut.id = duu.g + 4 AND dut.s LIKE 'e%' RETURNING dut.*, duu.g", "5||e|1\nDELETE 1"},
	{"INSERT INTO dut VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c')", "INSERT 0 3"},
	{"UPDATE dut SET s = duu.lbl FROM duu WHERE dut.g = duu.g RETURNING dut.id, duu.lbl, dut.s", "1|one|one\n2|one|one\nUPDATE 2"},
	{"UPDATE dut SET s = upper(duu.lbl) FROM duu WHERE dut.g = duu.g RETURNING dut.*, duu.g + 1 AS gg", "1|1|ONE|2\n2|1|ONE|2\nUPDATE 2"},
	{"UPDATE dut SET s = s || '!' FROM duu WHERE dut.g = duu.g AND duu.lbl = 'one' RETURNING *", "1|1|ONE!|1|one\n2|1|ONE!|1|one\nUPDATE 2"},
	// An empty FROM updates nothing; every row DELETE ... USING removes is found before any goes, so a subquery
	// on the table sees them all; the target's name again in USING or FROM is 42712.
	{"CREATE TABLE dux (k int, w int)", "CREATE TABLE"},
	{"UPDATE dut SET g = 5 FROM dux WHERE dut.id = dux.k", "UPDATE 0"},
	{"UPDATE dut SET g = 5 FROM dux WHERE dut.id = dux.k RETURNING *", "UPDATE 0"},
	{"INSERT INTO dut VALUES (4, 4, 'd')", "INSERT 0 1"},
	{"BEGIN", "BEGIN"},
	{"DELETE FROM dut USING duu WHERE dut.g >= (SELECT max(g) FROM dut) AND duu.g > 0 RETURNING dut.id", "4\nDELETE 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"DELETE FROM dut USING duu WHERE dut.id = duu.g AND dut.g < (SELECT count(*) FROM dut) RETURNING dut.id", "1\n3\nDELETE 2"},
	{"DELETE FROM dut USING dut WHERE dut.id = 1", "ERROR 42712"},
	{"UPDATE dut SET g = 1 FROM dut WHERE true", "ERROR 42712"},
	{"DROP TABLE dut, duu, dux", "DROP TABLE"},
}

func runScope(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, scopeSteps)
	runSteps(t, who, c, usingSteps)
	// A parameter in DELETE ... USING's WHERE clause is typed by what it is compared with.
	ctx := context.Background()
	for _, q := range []string{"CREATE TABLE dup (id int PRIMARY KEY)", "CREATE TABLE dupu (id int, tag text)",
		"INSERT INTO dup VALUES (1), (2)", "INSERT INTO dupu VALUES (1, 'x'), (2, 'y')"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %s: %v", who, q, err)
		}
	}
	var id int
	if err := c.QueryRow(ctx, "DELETE FROM dup USING dupu WHERE dup.id = dupu.id AND dupu.tag = $1 AND dupu.id >= $2 RETURNING dup.id", "y", 1).Scan(&id); err != nil || id != 2 {
		t.Errorf("%s: DELETE ... USING with parameters: %d, %v; want 2", who, id, err)
	}
	if _, err := c.Exec(ctx, "DROP TABLE dup, dupu"); err != nil {
		t.Fatal(err)
	}
}
