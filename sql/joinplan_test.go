package sql

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// TestJoinHashed_SameAsNestedLoops: joinHashed finds exactly the pairs nested loops find with SQL's =, for every
// join kind, over keys mixing the representations one number may have (int64, float64, decimals with trailing
// zeros), text, NULLs and duplicates.
func TestJoinHashed_SameAsNestedLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	num := func() any {
		n := int64(rng.IntN(6)) - 1
		switch rng.IntN(6) {
		case 0:
			return nil
		case 1:
			return float64(n)
		case 2:
			d, _, _ := apd.NewFromString(fmt.Sprintf("%d.00", n))
			return d
		case 3:
			return float64(n) + 0.5
		case 4:
			d, _, _ := apd.NewFromString(fmt.Sprintf("%d.50", n))
			return d
		}
		return n
	}
	text := func() any {
		if rng.IntN(5) == 0 {
			return nil
		}
		return []string{"a", "b", "", "ab"}[rng.IntN(4)]
	}
	rel := func(n int) *relation {
		r := &relation{cols: []relCol{{name: "n", oid: OIDNumeric}, {name: "s", oid: OIDText}, {name: "i", oid: OIDInt8}}}
		for i := 0; i < n; i++ {
			r.rows = append(r.rows, []any{num(), text(), int64(i)})
		}
		return r
	}
	eq := func(row []any, a, b int) bool {
		v, err := binaryOp("=", row[a], row[b])
		return err == nil && v == true
	}
	for round := 0; round < 200; round++ {
		l, r := rel(rng.IntN(12)), rel(rng.IntN(12))
		match := func(row []any) (bool, error) { return eq(row, 0, 3) && eq(row, 1, 4), nil }
		for _, kind := range []pg.JoinType{pg.JoinType_JOIN_INNER, pg.JoinType_JOIN_LEFT, pg.JoinType_JOIN_RIGHT, pg.JoinType_JOIN_FULL} {
			want, err := joinMatch(l, r, kind, match)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := joinHashed(l, r, kind, match, []int{0, 1}, []int{0, 1})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) {
				t.Fatalf("round %d, %v:\nleft  %v\nright %v\nhashed %v\nloops  %v", round, kind, l.rows, r.rows, got.rows, want.rows)
			}
		}
	}
}
