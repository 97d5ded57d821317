package sql

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord"
)

// TestCursor_NoScrollWindow checks that a NO SCROLL cursor read forward holds the rows of a chunk or two, not
// every row it has passed, and still gives each row once, in order, with MOVE counting as PostgreSQL's does.
func TestCursor_NoScrollWindow(t *testing.T) {
	db, err := concord.Open(t.TempDir(), &concord.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewEngine(db).NewSession("test", "")
	defer s.Close()
	q := func(text string) [][]any {
		t.Helper()
		var rows [][]any
		if err := s.Query(context.Background(), text, func(r *Result) error { rows = r.Rows; return nil }); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		return rows
	}
	q("CREATE TABLE w (id int8 PRIMARY KEY)")
	q("INSERT INTO w SELECT g FROM generate_series(1, 10000) g")
	q("BEGIN")
	q("DECLARE c NO SCROLL CURSOR FOR SELECT id FROM w")
	next := int64(1)
	for {
		rows := q("FETCH 700 FROM c")
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if r[0] != next {
				t.Fatalf("row %v where %d was due", r[0], next)
			}
			next++
		}
		if c := s.cursors["c"]; len(c.rows) > 2*streamChunk+700 {
			t.Fatalf("after row %d the cursor holds %d rows", next-1, len(c.rows))
		}
		if next == 5601 {
			q("MOVE 0 IN c") // the current row, which the window keeps
			if got := fmt.Sprint(q("FETCH 1 FROM c")); got != "[[5601]]" {
				t.Fatalf("after MOVE 0: %s", got)
			}
			next++
		}
	}
	if next != 10001 {
		t.Fatalf("%d rows", next-1)
	}
	q("COMMIT")
}
