package sql

import (
	"context"
	"testing"

	"github.com/concorddb/concord"
)

// A join whose pairs would pass maxJoinRows fails with 54000 instead of holding them all; one within it, and
// the same FROM list paired by an equality (a hash join), answer.
func TestJoin_RowLimit(t *testing.T) {
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := NewEngine(db).NewSession("test", "")
	defer s.Close()
	saved := maxJoinRows
	maxJoinRows = 1000
	defer func() { maxJoinRows = saved }()
	query := func(q string) (int64, error) {
		var n int64
		err := s.Query(context.Background(), q, func(r *Result) error {
			if len(r.Rows) == 1 {
				n, _ = r.Rows[0][0].(int64)
			}
			return nil
		})
		return n, err
	}
	if _, err := query("SELECT count(*) FROM generate_series(1, 40) a, generate_series(1, 40) b"); err == nil || AsError(err).Code != CodeProgramLimitExceeded {
		t.Fatalf("1,600 pairs past a bound of 1,000: %v, want 54000", err)
	}
	if n, err := query("SELECT count(*) FROM generate_series(1, 30) a, generate_series(1, 30) b"); err != nil || n != 900 {
		t.Fatalf("900 pairs: %d %v", n, err)
	}
	if n, err := query("SELECT count(*) FROM generate_series(1, 900) a, generate_series(1, 900) b WHERE a.a = b.b"); err != nil || n != 900 {
		t.Fatalf("an equality's hash join over 900 rows each (810,000 pairs unpaired): %d %v", n, err)
	}
}
