package pgserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestExplain_pgx checks EXPLAIN over the wire with pgx (the extended protocol, a parameter included): one text
// column named QUERY PLAN, one row a line, the tag EXPLAIN; the plan names the index the engine reads by, with
// the embedded engine and with the MongoDB driver backend (whose plans come from the explain command).
func TestExplain_pgx(t *testing.T) {
	for _, backend := range []string{"embedded", "driver"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "driver" {
				t.Setenv(backendEnv, "driver")
			}
			url, _ := startServer(t)
			c := connect(t, url)
			ctx := context.Background()
			for _, q := range []string{
				"CREATE TABLE xt (k int8 PRIMARY KEY, n int8, s text)",
				"CREATE INDEX xt_n ON xt (n)",
				"INSERT INTO xt SELECT g, g % 4, 'v' || g FROM generate_series(1, 12) g",
			} {
				if _, err := c.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			lines := func(q string, args ...any) []string {
				t.Helper()
				rows, err := c.Query(ctx, q, args...)
				if err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				var out []string
				for rows.Next() {
					var l string
					if err := rows.Scan(&l); err != nil {
						t.Fatal(err)
					}
					out = append(out, l)
				}
				if err := rows.Err(); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				fd := rows.FieldDescriptions()
				if len(fd) != 1 || fd[0].Name != "QUERY PLAN" || fd[0].DataTypeOID != 25 || rows.CommandTag().String() != "EXPLAIN" {
					t.Fatalf("%s: fields %+v, tag %q", q, fd, rows.CommandTag())
				}
				return out
			}
			got := strings.Join(lines("EXPLAIN SELECT * FROM xt WHERE n = $1", int64(2)), "\n")
			if !strings.HasPrefix(got, "Index Scan using xt_n on xt\n") || !strings.Contains(got, "Index Bounds: n: [2, 2]") {
				t.Fatalf("plan:\n%s", got)
			}
			got = strings.Join(lines("EXPLAIN SELECT * FROM xt WHERE k = 5"), "\n")
			if !strings.HasPrefix(got, "Index Scan using _id_ on xt\n") {
				t.Fatalf("plan:\n%s", got)
			}
			got = strings.Join(lines("EXPLAIN SELECT * FROM xt WHERE s = 'v1'"), "\n")
			if !strings.HasPrefix(got, "Seq Scan on xt\n") {
				t.Fatalf("plan:\n%s", got)
			}
			got = strings.Join(lines("EXPLAIN ANALYZE SELECT * FROM xt WHERE n = 1", pgx.QueryExecModeSimpleProtocol), "\n")
			if !strings.Contains(got, "rows=3 loops=1") || !strings.Contains(got, "Execution Time:") {
				t.Fatalf("plan:\n%s", got)
			}
			_, err := c.Exec(ctx, "EXPLAIN SELECT * FROM nope")
			if err == nil || !strings.Contains(err.Error(), "42P01") {
				t.Fatalf("unknown table: %v", err)
			}
		})
	}
}
