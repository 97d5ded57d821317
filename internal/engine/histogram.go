package engine

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogramBuckets is the number of finite buckets of a latency histogram:
// bucket i counts durations up to histogramBase<<i, from 8µs to about 8.6 s
// (histogramBase<<20). Longer durations count only in the total.
const histogramBuckets = 21

// histogramBase is the upper bound of the first bucket.
const histogramBase = 8 * time.Microsecond

// histogram is a latency histogram with fixed power-of-two buckets, kept
// with atomics so that observing costs a few uncontended adds and no lock.
// The zero value is empty and ready; safe for concurrent use.
type histogram struct {
	buckets [histogramBuckets]atomic.Int64 // not cumulative
	count   atomic.Int64
	sumNs   atomic.Int64
}

// observe adds one duration.
func (h *histogram) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	// The bucket is the smallest i with d <= base<<i: the bit length of
	// (d-1)/base.
	i := bits.Len64(uint64((d - 1) / histogramBase))
	if d <= histogramBase {
		i = 0
	}
	if i < histogramBuckets {
		h.buckets[i].Add(1)
	}
	h.sumNs.Add(int64(d))
	h.count.Add(1)
}

// since observes the time elapsed since start.
func (h *histogram) since(start time.Time) { h.observe(time.Since(start)) }

// snapshot copies the histogram. Buckets are read before the count, so a
// concurrent observation may show in Count and Sum but in no bucket yet:
// Count is never below the sum of the buckets.
func (h *histogram) snapshot() Histogram {
	var s Histogram
	s.Buckets = make([]HistogramBucket, histogramBuckets)
	var cum int64
	for i := range h.buckets {
		cum += h.buckets[i].Load()
		s.Buckets[i] = HistogramBucket{UpperBound: histogramBase << i, Count: cum}
	}
	s.Sum = time.Duration(h.sumNs.Load())
	s.Count = h.count.Load()
	if s.Count < cum {
		s.Count = cum
	}
	return s
}

// Histogram is a copy of a latency histogram: Count durations adding up to
// Sum, and cumulative buckets in Prometheus' shape (Buckets[i].Count
// durations were at most Buckets[i].UpperBound; durations above the last
// bound count only in Count).
type Histogram struct {
	Count   int64
	Sum     time.Duration
	Buckets []HistogramBucket
}

// HistogramBucket is one cumulative bucket of a Histogram.
type HistogramBucket struct {
	UpperBound time.Duration
	Count      int64
}

// Quantile estimates the q-quantile (0 < q <= 1) as the upper bound of the
// bucket that holds it; 0 for an empty histogram. Durations past the last
// bucket report its bound.
func (h Histogram) Quantile(q float64) time.Duration {
	if h.Count == 0 || len(h.Buckets) == 0 {
		return 0
	}
	rank := int64(q*float64(h.Count) + 0.5)
	if rank < 1 {
		rank = 1
	}
	for _, b := range h.Buckets {
		if b.Count >= rank {
			return b.UpperBound
		}
	}
	return h.Buckets[len(h.Buckets)-1].UpperBound
}
