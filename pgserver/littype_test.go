package pgserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// literalTypeSteps: untyped string literals among COALESCE's, GREATEST's and LEAST's arguments and a CASE's
// results take the others' type, as PostgreSQL's common type resolution reads them: an invalid one is 22P02 before
// anything is evaluated (coalesce(1, 'a') fails though its first argument is not NULL), a valid one is a value of
// that type, and literals alone stay text.
var literalTypeSteps = []struct{ sql, want string }{
	{"SELECT coalesce(1, 'a')", "ERROR 22P02"},
	{"SELECT coalesce(NULL, '5', 1), pg_typeof(coalesce(NULL, '5', 1))", "5|integer\nSELECT 1"},
	{"SELECT coalesce(NULL, 'x'), pg_typeof(coalesce(NULL, 'x'))", "x|text\nSELECT 1"},
	{"SELECT coalesce(2.5, '1.25'), pg_typeof(coalesce(NULL, '1.25', 2.5))", "2.5|numeric\nSELECT 1"},
	{"SELECT greatest(1, '5', 3), pg_typeof(greatest(1, '5', 3))", "5|integer\nSELECT 1"},
	{"SELECT least(1, 'z')", "ERROR 22P02"},
	{"SELECT CASE WHEN true THEN 1 ELSE 'a' END", "ERROR 22P02"},
	{"SELECT CASE WHEN false THEN 1 ELSE '7' END + 1", "8\nSELECT 1"},
	{"SELECT CASE 1 WHEN 1 THEN 'x' ELSE 'y' END, pg_typeof(CASE 1 WHEN 1 THEN 'x' ELSE 'y' END)", "x|text\nSELECT 1"},
	{"SELECT coalesce(NULL::date, '2024-02-30')", "ERROR 22008"},
	{"SELECT coalesce(NULL::date, '2024-02-03'), pg_typeof(coalesce(NULL::date, '2024-02-03'))", "2024-02-03|date\nSELECT 1"},
	{"SELECT coalesce(NULL::bool, 'yes'), coalesce(NULL::bool, 'maybe')", "ERROR 22P02"},
	{"SELECT coalesce(NULL::bool, 'yes')", "t\nSELECT 1"},
	{"SELECT coalesce(NULL::int, ' 42 ') + 1", "43\nSELECT 1"},
	{"CREATE TABLE lty (id int PRIMARY KEY, n int8, d date)", "CREATE TABLE"},
	{"INSERT INTO lty VALUES (1, NULL, NULL), (2, 9, '2024-05-06')", "INSERT 0 2"},
	{"SELECT id, coalesce(n, '0') + 1, coalesce(d, '2000-01-01') FROM lty ORDER BY id", "1|1|2000-01-01\n2|10|2024-05-06\nSELECT 2"},
	{"SELECT id FROM lty WHERE coalesce(n, 'none') > 0", "ERROR 22P02"},
	{"DROP TABLE lty", "DROP TABLE"},
}

// runLiteralTypes runs literalTypeSteps on a connection.
func runLiteralTypes(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, literalTypeSteps) }

// runInputPositions checks that an INSERT's string literal that is not valid input for its column's type fails
// at that literal, with the position PostgreSQL gives (psql points at it).
func runInputPositions(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE ipos (id int PRIMARY KEY, d date, ds date[], n int[], b bool)")
	defer mustExec(t, c, "DROP TABLE ipos")
	for _, s := range []struct {
		sql, code, at string
	}{
		{"INSERT INTO ipos VALUES (1, '2024-02-30')", "22008", "'2024-02-30'"},
		{"INSERT INTO ipos VALUES (1, NULL, NULL, '{a}')", "22P02", "'{a}'"},
		{"INSERT INTO ipos VALUES (1, NULL, '{2024-02-30}')", "22008", "'{2024-02-30}'"},
		{"INSERT INTO ipos VALUES (1, NULL, NULL, NULL, 'maybe')", "22P02", "'maybe'"},
		{"INSERT INTO ipos (b, id) VALUES ('t', 'x')", "22P02", "'x'"},
		{"INSERT INTO ipos VALUES (1, NULL), (2, 'nope')", "22007", "'nope'"},
	} {
		_, err := c.Exec(ctx, s.sql, pgx.QueryExecModeSimpleProtocol)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != s.code {
			t.Errorf("%s: %s: %v, want %s", who, s.sql, err, s.code)
			continue
		}
		if want := int32(strings.Index(s.sql, s.at) + 1); pe.Position != want {
			t.Errorf("%s: %s: position %d, want %d", who, s.sql, pe.Position, want)
		}
	}
}

// runColumnNames checks the names PostgreSQL gives unnamed result columns: NULLIF's, ROW's, COLLATE's argument's,
// the SQL-standard functions written without parentheses, and a cast of a CASE (the type's name, a CASE's being
// weaker).
func runColumnNames(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range []struct{ sql, want string }{
		{"SELECT nullif(1, 2), CASE WHEN true THEN 1 END::text, CASE WHEN true THEN 1 END, ROW(1, 2), 'a' COLLATE \"C\"",
			"nullif,text,case,row,?column?"},
		{"SELECT current_time, localtime, localtimestamp, current_timestamp, current_date",
			"current_time,localtime,localtimestamp,current_timestamp,current_date"},
		{"SELECT current_role, user, session_user, current_catalog, current_schema, current_user",
			"current_role,user,session_user,current_catalog,current_schema,current_user"},
		{"SELECT coalesce(1, 2)::text, (1 + 2)::text, greatest(1, 2)::int8, nullif(1, 2)::text",
			"coalesce,text,greatest,nullif"},
		{"SELECT grouping(g) FROM (VALUES (1)) v(g) GROUP BY ROLLUP (g)", "grouping"},
	} {
		rows, err := c.Query(context.Background(), s.sql)
		if err != nil {
			t.Errorf("%s: %s: %v", who, s.sql, err)
			continue
		}
		var names []string
		for _, f := range rows.FieldDescriptions() {
			names = append(names, f.Name)
		}
		rows.Close()
		if got := strings.Join(names, ","); got != s.want {
			t.Errorf("%s: %s: columns %s, want %s", who, s.sql, got, s.want)
		}
	}
}
