package pgserver_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// updateClients rewrites the golden answers of testdata/clients from PostgreSQL's (go test -run
// TestCompare_PostgreSQL -update-clients ./pgserver/).
var updateClients = flag.Bool("update-clients", false, "write testdata/clients/*.out from PostgreSQL's answers")

// runClientCatalog runs the catalog queries client libraries send (testdata/clients: pgjdbc's DatabaseMetaData)
// over the schema in testdata/clients/schema.sql, and compares each answer with PostgreSQL 15's, kept in
// testdata/clients/<file>.out.
func runClientCatalog(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	schema, err := os.ReadFile("testdata/clients/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strings.Split(string(schema), ";") {
		if strings.TrimSpace(stripComments(s)) == "" {
			continue
		}
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %s: %v", who, s, err)
		}
	}
	files, _ := filepath.Glob("testdata/clients/*.sql")
	for _, file := range files {
		if strings.HasSuffix(file, "schema.sql") {
			continue
		}
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		name := ""
		for _, line := range strings.Split(string(text), "\n") {
			if n, ok := strings.CutPrefix(line, "-- "); ok {
				name = n
				continue
			}
			if strings.TrimSpace(line) == "" || name == "" {
				continue
			}
			out, err := renderSimple(c, strings.TrimSuffix(strings.TrimSpace(line), ";"), nil)
			if err != nil {
				out = "ERROR " + sqlState(err) + " " + err.Error()
			}
			got.WriteString("-- " + name + "\n" + out + "\n")
			name = ""
		}
		golden := strings.TrimSuffix(file, ".sql") + ".out"
		if *updateClients && who == "postgresql" {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s: %s: the answers differ from %s:\n%s", who, file, golden, lineDiff(string(want), got.String()))
		}
	}
	for _, s := range []string{"DROP VIEW jt_big", "DROP TABLE jt_orders", "DROP TABLE jt_customers"} {
		mustExec(t, c, s)
	}
}

// stripComments drops a SQL text's -- comment lines.
func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// lineDiff lists the lines of want and got that differ, by line number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("want: " + wl + "\n got: " + gl + "\n")
		}
	}
	return b.String()
}
