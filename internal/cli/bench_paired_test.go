package cli

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// TestMedianInterval: the interval is the order statistics of the binomial rule (for 60 values the 22nd and
// 39th smallest, as the tables give), and too few values give none.
func TestMedianInterval(t *testing.T) {
	xs := make([]float64, 60)
	for i := range xs {
		xs[i] = float64(60 - i) // 60 .. 1, unsorted on purpose
	}
	m, lo, hi := medianInterval(xs)
	if m != 30.5 || lo != 22 || hi != 39 {
		t.Errorf("60 values: median %v [%v, %v], want 30.5 [22, 39]", m, lo, hi)
	}
	m, lo, hi = medianInterval([]float64{3, 1, 2, 5, 4})
	if m != 3 || !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("5 values: median %v [%v, %v], want 3 and no interval", m, lo, hi)
	}
	if _, lo, hi = medianInterval([]float64{1, 2, 3, 4, 5, 6}); lo != 1 || hi != 6 {
		t.Errorf("6 values: [%v, %v], want [1, 6]", lo, hi)
	}
}

// TestPrintPaired: each pair's ratio is the target's slice over the first target's slice of the same turn,
// for throughput and for process CPU per operation.
func TestPrintPaired(t *testing.T) {
	var base, other []slice
	for s := range 12 {
		ops := int64(1000 + 100*s) // the machine's speed moves from turn to turn; the ratio does not
		base = append(base, slice{ops: ops, elapsed: time.Second, proc: time.Duration(ops) * time.Millisecond})
		other = append(other, slice{ops: ops / 2, elapsed: time.Second, proc: time.Duration(ops/2) * 3 * time.Millisecond})
	}
	var out bytes.Buffer
	err := printPaired(&out, []string{"a", "b"}, []string{"hot/clients=32"}, func(_, target string) []slice {
		if target == "a" {
			return base
		}
		return other
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0.500 [0.500, 0.500]") || !strings.Contains(out.String(), "3.000 [3.000, 3.000]") {
		t.Errorf("want throughput 0.5 and cpu/op 3 in:\n%s", out.String())
	}
}
