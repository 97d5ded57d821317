package sql

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord"
)

// TestOrderedScan_ReadsOnlyTheLimit: a SELECT of one table ordered by columns of types the storage orders as
// PostgreSQL does (integers, text, timestamps), with a LIMIT, reads from the storage only the rows it returns (the
// documents the engine returned): by the primary key either way, through an index, or through the storage's
// top-k. A nullable column's NULLs are read apart where PostgreSQL places them elsewhere than the storage; a WHERE
// clause evaluated above the scan that keeps too few of the rows read reads the table again; an ORDER BY the
// storage does not order as PostgreSQL does (a nullable column after the first key, an output column's name) reads
// the table. The rows are the same in every case (pgserver's compat steps compare them with PostgreSQL 15).
func TestOrderedScan_ReadsOnlyTheLimit(t *testing.T) {
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewEngine(db).NewSession("test", "")
	defer s.Close()
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE big (id int8 PRIMARY KEY, g int NOT NULL, h int, s text, n text NOT NULL, ts timestamptz NOT NULL)",
		"INSERT INTO big SELECT i, i % 10, CASE WHEN i % 7 = 0 THEN NULL ELSE i END, 'r' || i, lpad(i::text, 5, '0'), " +
			"timestamptz '2020-01-01' - i * interval '1 minute' FROM generate_series(1, 3000) i",
		"CREATE INDEX big_g ON big (g, id)",
	} {
		if err := s.Query(ctx, q, func(*Result) error { return nil }); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, c := range []struct {
		sql, want string
		most      int64 // documents the storage may return
	}{
		{"SELECT id FROM big ORDER BY id DESC LIMIT 3", "[[3000] [2999] [2998]]", 4}, // and the table's catalog entry
		{"SELECT id, g FROM big ORDER BY id LIMIT 2 OFFSET 4", "[[5 5] [6 6]]", 6},
		{"SELECT id FROM big WHERE g = 4 ORDER BY g, id LIMIT 2", "[[4] [14]]", 2},
		{"SELECT b.id FROM big b WHERE b.g = 9 ORDER BY b.id DESC LIMIT 2", "[[2999] [2989]]", 2},
		{"SELECT id FROM big ORDER BY g DESC, id DESC LIMIT 2", "[[2999] [2989]]", 2},
		{"SELECT id FROM big ORDER BY n DESC LIMIT 2", "[[3000] [2999]]", 2},
		{"SELECT id FROM big ORDER BY ts LIMIT 2", "[[3000] [2999]]", 2},
		{"SELECT id FROM big ORDER BY s DESC NULLS LAST LIMIT 1", "[[999]]", 1},
		{"SELECT id FROM big WHERE s = 'r15' OR s = 'r2' ORDER BY id DESC FETCH FIRST 1 ROW ONLY", "[[15]]", 1},
		{"SELECT id FROM big WHERE s || '' = 'r21' ORDER BY id LIMIT 1", "[[21]]", 3001},
		// A nullable column: its NULLs read apart where PostgreSQL puts them elsewhere than the storage.
		{"SELECT id FROM big ORDER BY h DESC NULLS LAST LIMIT 2", "[[3000] [2999]]", 2},
		{"SELECT id FROM big ORDER BY h LIMIT 2", "[[1] [2]]", 2},
		{"SELECT id FROM big ORDER BY h NULLS FIRST, id LIMIT 2", "[[7] [14]]", 2},
		{"SELECT id FROM big WHERE g = 5 ORDER BY h DESC, id LIMIT 3", "[[35] [105] [175]]", 3},
		{"SELECT id FROM big WHERE id > 2990 ORDER BY h DESC, id DESC LIMIT 4", "[[2996] [3000] [2999] [2998]]", 4},
		{"SELECT id FROM big WHERE id > 2990 ORDER BY h LIMIT 12", "[[2991] [2992] [2993] [2994] [2995] [2997] [2998] [2999] [3000] [2996]]", 10},
		{"SELECT id FROM big ORDER BY id, h LIMIT 2", "[[1] [2]]", 3000},
		{"SELECT id AS g FROM big ORDER BY g DESC LIMIT 1", "[[3000]]", 3000},
		{"SELECT id FROM big ORDER BY id DESC LIMIT 0", "[]", 3000},
	} {
		before := db.Metrics().Document.Returned
		var got [][]any
		if err := s.Query(ctx, c.sql, func(r *Result) error { got = append(got, r.Rows...); return nil }); err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		read := db.Metrics().Document.Returned - before
		if fmt.Sprint(got) != c.want && !(got == nil && c.want == "[]") {
			t.Fatalf("%s: %v, want %s", c.sql, got, c.want)
		}
		if read > c.most {
			t.Fatalf("%s: the storage returned %d documents, want at most %d", c.sql, read, c.most)
		}
	}
}
