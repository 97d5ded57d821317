package sql

import (
	"fmt"
	"math/rand"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// TestWindow_MovingAggregatesAsFresh proves the moving aggregates (values leaving a frame taken back out of the
// running state) against the general way, each frame aggregated afresh: over random integers and numerics of
// several scales, NULLs and FILTER, and random ROWS frames, every result and its display scale are the same.
func TestWindow_MovingAggregatesAsFresh(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	names := []string{"count", "sum", "avg", "var_samp", "var_pop", "stddev_samp", "stddev_pop"}
	for round := 0; round < 300; round++ {
		n := 1 + rng.Intn(25)
		vals := make([]any, n)
		keep := make([]bool, n)
		for i := range vals {
			keep[i] = rng.Intn(5) > 0
			switch rng.Intn(4) {
			case 0:
				vals[i] = nil
			case 1:
				vals[i] = int64(rng.Intn(200) - 100)
			default:
				d, _ := parseDecimal(fmt.Sprintf("%d.%0*d", rng.Intn(100)-50, 1+rng.Intn(3), rng.Intn(100)))
				vals[i] = d
			}
		}
		opts := int32(frameNonDefault | frameRows | frameStartOffsetPreceding | frameEndOffsetFollowing)
		if rng.Intn(3) == 0 {
			opts = frameNonDefault | frameRows | frameStartCurrentRow | frameEndUnboundedFollowing
		}
		name := names[rng.Intn(len(names))]
		w := &windowCall{f: &pg.FuncCall{}, name: name, win: &pg.WindowDef{FrameOptions: opts},
			start: int64(rng.Intn(4)), end: int64(rng.Intn(4)), args: [][]any{vals}, keep: keep,
			order: make([][]any, n), vals: make([]any, n)}
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		if err := w.partition(p); err != nil {
			t.Fatal(err)
		}
		fr := &frameBounds{w: w, p: p, peerStart: make([]int, n), peerEnd: make([]int, n), group: make([]int, n)}
		for k := 0; k < n; k++ {
			s, e, _ := fr.bounds(k)
			acc := newAggAcc(name)
			for j := s; j <= e; j++ {
				if v, in := w.input(j); in {
					if err := acc.add(v); err != nil {
						t.Fatal(err)
					}
				}
			}
			want, _ := acc.result()
			if got := w.vals[k]; formatText(got) != formatText(want) || (got == nil) != (want == nil) {
				t.Fatalf("round %d: %s over %v (kept %v), frame of row %d: got %v, want %v",
					round, name, vals, keep, k, formatText(got), formatText(want))
			}
		}
	}
}
