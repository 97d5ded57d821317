package cli

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"
)

// minPairedSlices is the fewest slices for which the paired comparison is printed: fewer pairs give no useful
// confidence interval.
const minPairedSlices = 9

// printPaired compares every target with the first, slice pair by slice pair. Slice s of every target runs in
// the same turn, seconds apart, so a slow spell of a shared machine falls on both slices of a pair; the ratio of
// a pair is therefore much steadier than the ratio of two totals, and the median of the pairs' ratios comes with
// a distribution-free 95% confidence interval (order statistics of the binomial distribution). Two measures:
//
//   - throughput: ops/s of the target's slice over ops/s of the first target's slice;
//   - process CPU per op: the bench process's own CPU time per acknowledged operation, target over first. For a
//     target served in process (concord, concord-wire and its variants) it is the client's and the server's CPU
//     and none of the neighbours': on a shared machine this is the measure a cost bound can be checked against.
//
// A ratio above 1 means the target does more (throughput) or spends more (CPU per op) than the first.
func printPaired(w io.Writer, names, rows []string, slicesOf func(row, target string) []slice) error {
	fmt.Fprintf(w, "\npaired slices: median of the per-pair ratios to %s [95%% confidence interval]\n", names[0])
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\ttarget\tpairs\tthroughput ratio\tprocess cpu/op ratio\tprocess cpu us/op, first / target")
	for _, row := range rows {
		base := slicesOf(row, names[0])
		for _, name := range names[1:] {
			other := slicesOf(row, name)
			var thr, cpu []float64
			for s := range min(len(base), len(other)) {
				a, b := base[s], other[s]
				if a.ops == 0 || b.ops == 0 || a.elapsed <= 0 || b.elapsed <= 0 {
					continue
				}
				thr = append(thr, (float64(b.ops)/b.elapsed.Seconds())/(float64(a.ops)/a.elapsed.Seconds()))
				if a.proc > 0 && b.proc > 0 {
					cpu = append(cpu, (float64(b.proc)/float64(b.ops))/(float64(a.proc)/float64(a.ops)))
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s / %s\n", row, name, len(thr), medianCI(thr), medianCI(cpu),
				procPerOp(base), procPerOp(other))
		}
	}
	return tw.Flush()
}

// procPerOp formats the process CPU time per operation over slices, in microseconds.
func procPerOp(sl []slice) string {
	var proc time.Duration
	var ops int64
	for _, s := range sl {
		proc += s.proc
		ops += s.ops
	}
	if ops == 0 || proc == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", proc.Seconds()*1e6/float64(ops))
}

// medianCI formats the median of xs with its 95% confidence interval.
func medianCI(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	m, lo, hi := medianInterval(xs)
	if math.IsNaN(lo) {
		return fmt.Sprintf("%.3f [too few pairs]", m)
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", m, lo, hi)
}

// medianInterval returns the median of xs and a distribution-free confidence interval of at least 95% for the
// population's median: the k-th smallest and k-th largest values, for the largest k such that a Binomial(n, 1/2)
// count falls below k with probability at most 2.5%. With fewer than 6 values no such k exists: lo and hi are
// NaN.
func medianInterval(xs []float64) (median, lo, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	// P(X <= j) for X ~ Binomial(n, 1/2), accumulated until it passes 2.5%.
	k, cdf := 0, 0.0
	for j := 0; j < n; j++ {
		cdf += binomialHalf(n, j)
		if cdf > 0.025 {
			break
		}
		k = j + 1 // P(X <= j) <= 2.5%: the (j+1)-th smallest value bounds the interval
	}
	if k == 0 {
		return median, math.NaN(), math.NaN()
	}
	return median, s[k-1], s[n-k]
}

// binomialHalf is P(X = j) for X ~ Binomial(n, 1/2).
func binomialHalf(n, j int) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
	return math.Exp(lg(n) - lg(j) - lg(n-j) - float64(n)*math.Ln2)
}
