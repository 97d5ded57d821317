package sql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// TestOrderedScan_ReadsOnlyTheLimit: a SELECT of one table ordered by columns of types the storage orders as
// PostgreSQL does (integers, text, timestamps), with a LIMIT, reads from the storage only the rows it returns and
// two probes per sort key (the documents the engine returned), by the primary key either way or through an index
// on each sort key; a key without one has the table read whole. A nullable column's NULLs are read apart where
// PostgreSQL places them elsewhere than the storage; a WHERE clause evaluated above the scan that keeps too few of
// the rows read reads the table again; an ORDER BY the storage does not order as PostgreSQL does (a nullable column
// after the first key, an output column's name) reads the table. The rows are the same in every case (pgserver's
// compat steps compare them with PostgreSQL 15).
func TestOrderedScan_ReadsOnlyTheLimit(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE big (id int8 PRIMARY KEY, g int NOT NULL, h int, s text, n text NOT NULL, ts timestamptz NOT NULL)",
		"INSERT INTO big SELECT i, i % 10, CASE WHEN i % 7 = 0 THEN NULL ELSE i END, 'r' || i, lpad(i::text, 5, '0'), "+
			"timestamptz '2020-01-01' - i * interval '1 minute' FROM generate_series(1, 3000) i",
		"CREATE INDEX big_g ON big (g, id)",
		"CREATE INDEX big_n ON big (n)", "CREATE INDEX big_ts ON big (ts)", "CREATE INDEX big_h ON big (h)")
	ctx := context.Background()
	for _, c := range []struct {
		sql, want string
		most      int64 // documents the storage may return: the rows, and two probes per sort key
	}{
		{"SELECT id FROM big ORDER BY id DESC LIMIT 3", "[[3000] [2999] [2998]]", 6}, // and the catalog entry
		{"SELECT id, g FROM big ORDER BY id LIMIT 2 OFFSET 4", "[[5 5] [6 6]]", 8},
		{"SELECT id FROM big WHERE g = 4 ORDER BY g, id LIMIT 2", "[[4] [14]]", 6},
		{"SELECT b.id FROM big b WHERE b.g = 9 ORDER BY b.id DESC LIMIT 2", "[[2999] [2989]]", 4},
		{"SELECT id FROM big ORDER BY g DESC, id DESC LIMIT 2", "[[2999] [2989]]", 6},
		{"SELECT id FROM big ORDER BY n DESC LIMIT 2", "[[3000] [2999]]", 4},
		{"SELECT id FROM big ORDER BY ts LIMIT 2", "[[3000] [2999]]", 4},
		{"SELECT id FROM big ORDER BY s DESC NULLS LAST LIMIT 1", "[[999]]", 3000}, // no index on s: read whole
		{"SELECT id FROM big WHERE s = 'r15' OR s = 'r2' ORDER BY id DESC FETCH FIRST 1 ROW ONLY", "[[15]]", 3},
		{"SELECT id FROM big WHERE s || '' = 'r21' ORDER BY id LIMIT 1", "[[21]]", 3003},
		// A nullable column: its NULLs read apart where PostgreSQL puts them elsewhere than the storage.
		{"SELECT id FROM big ORDER BY h DESC NULLS LAST LIMIT 2", "[[3000] [2999]]", 4},
		{"SELECT id FROM big ORDER BY h LIMIT 2", "[[1] [2]]", 4},
		{"SELECT id FROM big ORDER BY h NULLS FIRST, id LIMIT 2", "[[7] [14]]", 6},
		{"SELECT id FROM big WHERE g = 5 ORDER BY h DESC, id LIMIT 3", "[[35] [105] [175]]", 300},                    // h one way, id the other: no index's order
		{"SELECT id FROM big WHERE id > 2990 ORDER BY h DESC, id DESC LIMIT 4", "[[2996] [3000] [2999] [2998]]", 10}, // the _id range is read
		{"SELECT id FROM big WHERE id > 2990 ORDER BY h LIMIT 12", "[[2991] [2992] [2993] [2994] [2995] [2997] [2998] [2999] [3000] [2996]]", 12},
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

// orderedSession opens a database and a session on it, closed at the test's end, and runs setup.
func orderedSession(t *testing.T, setup ...string) (*concord.DB, *Session) {
	t.Helper()
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := NewEngine(db).NewSession("test", "")
	t.Cleanup(s.Close)
	orderedExec(t, s, setup...)
	return db, s
}

// orderedRows runs q and returns its rows as "a|b;c|d" (NULL for nil), or "ERROR <code>".
func orderedRows(t *testing.T, s *Session, q string) string {
	t.Helper()
	var out []string
	err := s.Query(context.Background(), q, func(r *Result) error {
		for _, row := range r.Rows {
			var cells []string
			for _, c := range row {
				if c == nil {
					cells = append(cells, "NULL")
				} else {
					cells = append(cells, fmt.Sprint(c))
				}
			}
			out = append(out, strings.Join(cells, "|"))
		}
		return nil
	})
	if err != nil {
		return "ERROR " + AsError(err).Code
	}
	return strings.Join(out, ";")
}

// TestOrderedScan_AsPostgreSQL: what the ordered scan must not change (the answers are PostgreSQL 15's): an ORDER
// BY name of an output column named after its argument (a cast), a volatile LIMIT or OFFSET (evaluated once), a
// function called as t.f in the WHERE clause (run once per row when the table is read again), and values written
// over the MongoDB port that the storage orders otherwise than SQL reads them (a string in an integer column, a
// NOT NULL field left out without validation): the rows of a LIMIT are the first rows of the same ORDER BY.
func TestOrderedScan_AsPostgreSQL(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL, s text)",
		"INSERT INTO t SELECT i, (i * 7) % 11, 'x' || i FROM generate_series(1, 25) i",
		"CREATE INDEX t_g ON t (g)", "CREATE SEQUENCE sq", "CREATE SEQUENCE s2",
		"CREATE FUNCTION f(t) RETURNS int8 AS 'SELECT nextval(''s2'')' LANGUAGE sql VOLATILE")
	ctx := context.Background()
	for _, c := range []struct{ q, want string }{
		{"SELECT id::text FROM t ORDER BY id LIMIT 3", "1;10;11"},
		{"SELECT g::text FROM t ORDER BY g DESC, id LIMIT 3", "9;9;8"},
		{"SELECT g::bool, id FROM t ORDER BY g, id LIMIT 3", "false|11;false|22;true|1"},
		{"SELECT id FROM t ORDER BY id LIMIT nextval('sq')", "1"},
		{"SELECT currval('sq')", "1"},
		{"SELECT id FROM t ORDER BY id LIMIT 1 OFFSET nextval('sq') + 1", "4"},
		{"SELECT currval('sq')", "2"},
		{"SELECT id FROM t ORDER BY g * 1, id LIMIT nextval('sq')", "11;22;8"},
		{"SELECT currval('sq')", "3"},
		{"SELECT id FROM t WHERE id <= 10 AND t.f > 0 AND s || '' > 'x8' ORDER BY id LIMIT 2", "9"},
		{"SELECT currval('s2')", "10"},
	} {
		if got := orderedRows(t, s, c.q); got != c.want {
			t.Errorf("%s: %s, want %s", c.q, got, c.want)
		}
	}
	c := db.Database("test").Collection("t")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: int64(100)}, {Key: "g", Value: "0"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(concord.WithoutValidation(ctx), bson.D{{Key: "_id", Value: int64(101)}}); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"g", "g DESC", "g NULLS FIRST", "g DESC NULLS LAST", "g, id", "g DESC, id DESC"} {
		all := strings.Split(orderedRows(t, s, "SELECT id, g FROM t ORDER BY "+order+", id"), ";")
		for _, n := range []int{1, 2, 3} {
			want := strings.Join(all[:n], ";")
			if got := orderedRows(t, s, fmt.Sprintf("SELECT id, g FROM t ORDER BY %s, id LIMIT %d", order, n)); got != want {
				t.Errorf("ORDER BY %s LIMIT %d: %s, want %s (the first rows without the LIMIT)", order, n, got, want)
			}
		}
	}
}
