package engine

import (
	"testing"
	"time"
)

func TestHistogram_BucketsAndQuantiles(t *testing.T) {
	var h histogram
	for _, d := range []time.Duration{0, 8 * time.Microsecond, 9 * time.Microsecond, 16 * time.Microsecond, time.Millisecond, time.Hour} {
		h.observe(d)
	}
	s := h.snapshot()
	if s.Count != 6 || s.Sum != 8*time.Microsecond+9*time.Microsecond+16*time.Microsecond+time.Millisecond+time.Hour {
		t.Fatalf("count %d sum %v", s.Count, s.Sum)
	}
	// 0 and 8µs fall in the first bucket (<= 8µs), 9µs and 16µs in the second (<= 16µs), 1ms in <= 1.024ms;
	// an hour is past the last bucket and counts only in Count.
	want := map[time.Duration]int64{8 * time.Microsecond: 2, 16 * time.Microsecond: 4, 512 * time.Microsecond: 4, 1024 * time.Microsecond: 5}
	for _, b := range s.Buckets {
		if w, ok := want[b.UpperBound]; ok && b.Count != w {
			t.Errorf("bucket <= %v holds %d, want %d", b.UpperBound, b.Count, w)
		}
	}
	if last := s.Buckets[len(s.Buckets)-1]; last.Count != 5 {
		t.Errorf("last bucket (<= %v) holds %d, want 5", last.UpperBound, last.Count)
	}
	if q := s.Quantile(0.5); q != 16*time.Microsecond {
		t.Errorf("p50 %v, want 16µs", q)
	}
	if q := s.Quantile(0.8); q != 1024*time.Microsecond {
		t.Errorf("p80 %v, want 1.024ms", q)
	}
}

// BenchmarkHistogram_Since is what a commit pays for its latency histograms: a clock read and an observation.
func BenchmarkHistogram_Since(b *testing.B) {
	var h histogram
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			start := time.Now()
			h.since(start)
		}
	})
}
