package pgserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// prepareSQLSteps: PREPARE, EXECUTE and DEALLOCATE in SQL: typed and untyped parameters, arguments as
// expressions, writes with RETURNING, PostgreSQL's errors (42P05, 26000, a wrong number of arguments), an
// EXECUTE failing a transaction block, DEALLOCATE ALL. Compared with PostgreSQL 15.
var prepareSQLSteps = []struct{ sql, want string }{
	{"CREATE TABLE pq (id int PRIMARY KEY, a text, n int)", "CREATE TABLE"},
	{"INSERT INTO pq VALUES (1, 'x', 10), (2, 'y', 20)", "INSERT 0 2"},
	{"PREPARE q1(int) AS SELECT a, n FROM pq WHERE id = $1", "PREPARE"},
	{"EXECUTE q1(2)", "y|20\nSELECT 1"},
	{"EXECUTE q1(1 + 1)", "y|20\nSELECT 1"},
	{"EXECUTE q1('1')", "x|10\nSELECT 1"},
	{"PREPARE q1 AS SELECT 1", "ERROR 42P05"},
	{"PREPARE up(int, int) AS UPDATE pq SET n = n + $2 WHERE id = $1 RETURNING n", "PREPARE"},
	{"EXECUTE up(1, 5)", "15\nUPDATE 1"},
	{"EXECUTE up(1)", "ERROR 42601"},
	{"EXECUTE nope", "ERROR 26000"},
	{"PREPARE ins AS INSERT INTO pq VALUES ($1, $2, $3)", "PREPARE"},
	{"EXECUTE ins(3, 'z', 30)", "INSERT 0 1"},
	{"EXECUTE ins(3, 'z', 30)", "ERROR 23505"},
	{"PREPARE noargs AS SELECT count(*) FROM pq", "PREPARE"},
	{"EXECUTE noargs", "3\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"EXECUTE up(2, 1)", "21\nUPDATE 1"},
	{"EXECUTE nope", "ERROR 26000"},
	{"EXECUTE up(2, 1)", "ERROR 25P02"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT n FROM pq WHERE id = 2", "20\nSELECT 1"},
	{"DEALLOCATE q1", "DEALLOCATE"},
	{"EXECUTE q1(1)", "ERROR 26000"},
	{"DEALLOCATE q1", "ERROR 26000"},
	{"DEALLOCATE PREPARE up", "DEALLOCATE"},
	{"DEALLOCATE ALL", "DEALLOCATE ALL"},
	{"EXECUTE ins(4, 'w', 1)", "ERROR 26000"},
	{"DROP TABLE pq", "DROP TABLE"},
}

// runPrepareSQL runs prepareSQLSteps as raw simple queries: pgx's simple protocol would read their $n as its own
// placeholders.
func runPrepareSQL(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range prepareSQLSteps {
		var b strings.Builder
		res, err := c.PgConn().Exec(context.Background(), s.sql).ReadAll()
		for _, r := range res {
			if r.Err != nil {
				err = r.Err
				break
			}
			for _, row := range r.Rows {
				for i, v := range row {
					if i > 0 {
						b.WriteByte('|')
					}
					b.Write(v)
				}
				b.WriteByte('\n')
			}
			b.WriteString(r.CommandTag.String())
		}
		got := b.String()
		if err != nil {
			var pe *pgconn.PgError
			got = "ERROR " + err.Error()
			if errors.As(err, &pe) {
				got = "ERROR " + pe.Code
			}
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q\nwant: %q", who, s.sql, got, s.want)
		}
	}
}

// TestPrepareSQL_Extended: PREPARE and EXECUTE sent through pgx's extended protocol: the $n of PREPARE's statement
// are not parameters of PREPARE itself, and EXECUTE describes the prepared statement's columns.
func TestPrepareSQL_Extended(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "PREPARE pq AS SELECT 1 AS a, 'x' AS b"); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "EXECUTE pq")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range rows.FieldDescriptions() {
		names = append(names, f.Name)
	}
	var a int32
	var b string
	if !rows.Next() {
		t.Fatalf("EXECUTE pq: no row (%v)", rows.Err())
	}
	if err := rows.Scan(&a, &b); err != nil || a != 1 || b != "x" || strings.Join(names, ",") != "a,b" {
		t.Fatalf("EXECUTE pq: columns %v, row %d %q, %v", names, a, b, err)
	}
	rows.Close()
	if _, err := c.Exec(ctx, "PREPARE pr(int) AS SELECT $1 + 1"); err != nil {
		t.Fatal(err)
	}
	var n int32
	if err := c.QueryRow(ctx, "EXECUTE pr(41)").Scan(&n); err != nil || n != 42 {
		t.Fatalf("EXECUTE pr(41): %d, %v", n, err)
	}
}
