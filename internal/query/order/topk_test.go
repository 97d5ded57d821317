package order_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/concorddb/concord/internal/query/order"
)

// TestTopK checks TopK against a stable sort of everything followed by the limit, with many ties (values of a
// small range, each carrying when it was offered), for limits below, at and above the number offered.
func TestTopK(t *testing.T) {
	type v struct{ key, at int }
	cmp := func(a, b v) int { return a.key - b.key }
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 500; round++ {
		n := r.IntN(200)
		k := int64(1 + r.IntN(250))
		vals := make([]v, n)
		for i := range vals {
			vals[i] = v{key: r.IntN(1 + r.IntN(40)), at: i}
		}
		top := order.NewTopK(k, cmp)
		held := 0
		for _, x := range vals {
			held++
			if _, dropped := top.Offer(x); dropped {
				held--
			}
			if int64(held) > k || held != top.Len() {
				t.Fatalf("round %d: holds %d (Len %d) with k = %d", round, held, top.Len(), k)
			}
		}
		want := slices.Clone(vals)
		slices.SortStableFunc(want, cmp)
		want = want[:min(int64(len(want)), k)]
		got := top.Sorted()
		if !slices.Equal(got, want) {
			t.Fatalf("round %d (n %d, k %d):\n got %v\nwant %v", round, n, k, got, want)
		}
		if top.Len() != 0 {
			t.Fatalf("Sorted left %d values", top.Len())
		}
	}
}

// TestTopK_Dropped checks what Offer reports dropped: the value offered when it is not less than every kept one
// (a tie included), the greatest kept when it is.
func TestTopK_Dropped(t *testing.T) {
	top := order.NewTopK(2, func(a, b int) int { return a - b })
	for _, x := range []int{5, 3} {
		if _, ok := top.Offer(x); ok {
			t.Fatalf("offering %d to a TopK not yet full dropped a value", x)
		}
	}
	for _, c := range []struct{ offer, dropped int }{{5, 5}, {9, 9}, {4, 5}, {4, 4}, {1, 4}} {
		d, ok := top.Offer(c.offer)
		if !ok || d != c.dropped {
			t.Fatalf("Offer(%d) dropped %d, %v; want %d", c.offer, d, ok, c.dropped)
		}
	}
	if got := top.Sorted(); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("kept %v, want [1 3]", got)
	}
}
