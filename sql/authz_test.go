package sql

import (
	"fmt"
	"slices"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

func TestAccesses(t *testing.T) {
	for _, tc := range []struct {
		name, stmt string
		want       []string
	}{
		{"a select reads its tables", "SELECT * FROM a JOIN b ON a.k = b.k", []string{"SELECT a", "SELECT b"}},
		{"a subquery's table is read", "SELECT 1 WHERE EXISTS (SELECT 1 FROM c)", []string{"SELECT c"}},
		{"an update needs update on its target only", "UPDATE a SET n = n + 1 WHERE k = 'x'", []string{"UPDATE a"}},
		{"update from reads the other table", "UPDATE a SET n = b.n FROM b WHERE a.k = b.k", []string{"UPDATE a", "SELECT b"}},
		{"insert select", "INSERT INTO a SELECT * FROM b", []string{"INSERT a", "SELECT b"}},
		{"an upsert also updates", "INSERT INTO a VALUES (1) ON CONFLICT (k) DO UPDATE SET n = 1", []string{"INSERT a", "UPDATE a"}},
		{"delete", "DELETE FROM a WHERE k = 1", []string{"DELETE a"}},
		{"a merge needs its actions' privileges and reads its target and source", "MERGE INTO a USING b ON a.k = b.k WHEN MATCHED THEN UPDATE SET n = b.n WHEN NOT MATCHED THEN INSERT VALUES (b.k, b.n)",
			[]string{"SELECT a", "UPDATE a", "INSERT a", "SELECT b"}},
		{"a merge that deletes", "MERGE INTO a USING (VALUES (1)) v(k) ON a.k = v.k WHEN MATCHED THEN DELETE", []string{"SELECT a", "DELETE a"}},
		{"truncate needs delete", "TRUNCATE a, b", []string{"DELETE a", "DELETE b"}},
		{"select for update also updates what it locks", "SELECT * FROM a JOIN b ON a.k = b.k FOR UPDATE", []string{"UPDATE a", "UPDATE b", "SELECT a", "SELECT b"}},
		{"a data-modifying CTE, its name left out", "WITH u AS (UPDATE a SET n = 0 RETURNING k) SELECT * FROM u", []string{"UPDATE a"}},
		{"the catalog is left out", "SELECT * FROM pg_catalog.pg_class, pg_namespace, information_schema.tables", nil},
		{"create table", "CREATE TABLE a (k text PRIMARY KEY)", []string{"CREATE a"}},
		{"create index", "CREATE INDEX i ON a (n)", []string{"CREATE INDEX a"}},
		{"drop table", "DROP TABLE a, b", []string{"DROP a", "DROP b"}},
		{"drop index is database-wide", "DROP INDEX i", []string{"DROP INDEX "}},
		{"no table", "SELECT 1", nil},
		{"a function, a domain and an enum type are the database's", "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", []string{"CREATE "}},
		{"create domain", "CREATE DOMAIN d AS int", []string{"CREATE "}},
		{"alter domain", "ALTER DOMAIN d SET NOT NULL", []string{"CREATE "}},
		{"create type", "CREATE TYPE m AS ENUM ('a')", []string{"CREATE "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := pg.Parse(tc.stmt)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range accesses(tree.Stmts[0].Stmt) {
				got = append(got, fmt.Sprintf("%s %s", a.Privilege, a.Table))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("accesses(%q) = %q, want %q", tc.stmt, got, tc.want)
			}
		})
	}
}
