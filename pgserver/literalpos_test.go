package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// errorFieldSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): a literal that is no value of
// the column's type is refused before any row is read, on an empty table too, pointing at the literal; errors
// carry their position and, for a not-null violation, the column.
var errorFieldSteps = []struct{ sql, want string }{
	{"CREATE TABLE lp (id int PRIMARY KEY, owner text, bal numeric, ok bool NOT NULL DEFAULT true)", ""},
	{"SELECT * FROM lp WHERE id = 'a'", `ERROR 22P02 invalid input syntax for type integer: "a" @29 table= column=`},
	{"SELECT * FROM lp WHERE owner = 'x' AND bal = 'b'", `ERROR 22P02 invalid input syntax for type numeric: "b" @46 table= column=`},
	{"SELECT * FROM lp WHERE 'c' = id", `ERROR 22P02 invalid input syntax for type integer: "c" @24 table= column=`},
	{"SELECT * FROM lp WHERE ok = 'maybe'", `ERROR 22P02 invalid input syntax for type boolean: "maybe" @29 table= column=`},
	{"DELETE FROM lp WHERE id = 'z'", `ERROR 22P02 invalid input syntax for type integer: "z" @27 table= column=`},
	{"UPDATE lp SET bal = 1 WHERE id = 'q'", `ERROR 22P02 invalid input syntax for type integer: "q" @34 table= column=`},
	{"INSERT INTO lp (id, ok) VALUES (1, NULL)", `ERROR 23502 null value in column "ok" of relation "lp" violates not-null constraint @0 table=lp column=ok`},
	{"SELECT * FROM lp WHERE id = '1'", "OK"},
	// The results of a CASE, COALESCE's, GREATEST's and an ARRAY's arguments have one type, before any row.
	{"SELECT CASE WHEN ok THEN id ELSE owner END FROM lp", "ERROR 42804 CASE types text and integer cannot be matched @26 table= column="},
	{"SELECT CASE WHEN true THEN 1 ELSE 'a'::text END", "ERROR 42804 CASE types text and integer cannot be matched @28 table= column="},
	{"SELECT coalesce(bal, owner) FROM lp", "ERROR 42804 COALESCE types numeric and text cannot be matched @22 table= column="},
	{"SELECT greatest(1, 'a'::text), least(2, 3)", "ERROR 42804 GREATEST types integer and text cannot be matched @20 table= column="},
	{"SELECT ARRAY[id, 'a'::text] FROM lp", "ERROR 42804 ARRAY types integer and text cannot be matched @18 table= column="},
	{"SELECT nullif(id, owner) FROM lp", "ERROR 42883 operator does not exist: integer = text @8 table= column="},
	{"SELECT CASE id WHEN 'a'::text THEN 1 END FROM lp", "ERROR 42883 operator does not exist: integer = text @16 table= column="},
	{"SELECT CASE WHEN true THEN 1 ELSE 2.5 END, coalesce(id, bal), greatest(now(), '2024-01-01'::date) FROM lp", "OK"},
	{"SELECT CASE WHEN true THEN '2024-01-01'::timestamptz ELSE '12:00'::time END", "ERROR 42846 CASE/WHEN could not convert type timestamp with time zone to time without time zone @28 table= column="},
	// A table's star as an operand is its whole row, NULL where an outer join found none.
	{"CREATE TABLE lq (lid int, v int)", ""},
	{"INSERT INTO lp (id, owner) VALUES (1, 'a'), (2, 'b'), (3, 'c')", "OK"},
	{"INSERT INTO lq VALUES (1, 10), (1, NULL), (2, NULL)", "OK"},
	{"SELECT nope.* FROM lp", `ERROR 42P01 missing FROM-clause entry for table "nope" @8 table= column=`},
	{"DROP TABLE lq", ""},
	{"DROP TABLE lp", ""},
}

// runErrorFields runs errorFieldSteps on a connection.
func runErrorFields(t *testing.T, who string, c *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	for _, s := range errorFieldSteps {
		_, err := c.Exec(ctx, s.sql)
		got := "OK"
		if err != nil {
			got = "error " + err.Error()
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				got = fmt.Sprintf("ERROR %s %s @%d table=%s column=%s", pe.Code, pe.Message, pe.Position, pe.TableName, pe.ColumnName)
			}
		}
		if s.want != "" && got != s.want {
			t.Errorf("%s: %s\n got: %q\nwant: %q", who, s.sql, got, s.want)
		}
	}
}
