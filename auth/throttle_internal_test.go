package auth

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestThrottle_Delay: the first FreeFailures failures of an address are answered at once, then the delay
// doubles up to MaxDelay; other addresses, and failures older than the window, are not delayed.
func TestThrottle_Delay(t *testing.T) {
	var th Throttle
	now := time.Unix(1000, 0)
	var got []time.Duration
	for range 9 {
		got = append(got, th.failed("10.0.0.1", now))
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Errorf("delays = %v, want %v", got, want)
	}
	if d := th.failed("10.0.0.2", now); d != 0 {
		t.Errorf("another address is delayed %v", d)
	}
	if d := th.failed("10.0.0.1", now.Add(2*DefaultFailureWindow)); d != 0 {
		t.Errorf("after the window: delayed %v", d)
	}
	th.failed("10.0.0.1", now)
	th.succeeded("10.0.0.1")
	if d := th.failed("10.0.0.1", now); d != 0 {
		t.Errorf("after a success: delayed %v", d)
	}
	if d := th.delay(100); d != DefaultMaxDelay {
		t.Errorf("delay(100) = %v, want %v", d, DefaultMaxDelay)
	}
	custom := Throttle{FreeFailures: 1, FirstDelay: time.Millisecond, MaxDelay: 3 * time.Millisecond}
	if got := []time.Duration{custom.delay(1), custom.delay(2), custom.delay(3), custom.delay(9)}; !slices.Equal(got, []time.Duration{0, time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}) {
		t.Errorf("custom delays = %v", got)
	}
}

// TestThrottle_MaxConcurrent: however many goroutines authenticate at once, at most MaxConcurrent hold a slot;
// a waiter whose context ends gives up with an error instead of a slot.
func TestThrottle_MaxConcurrent(t *testing.T) {
	th := Throttle{MaxConcurrent: 3}
	var in, most atomic.Int32
	var wg sync.WaitGroup
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := th.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := in.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			in.Add(-1)
			th.release()
		}()
	}
	wg.Wait()
	if m := most.Load(); m > 3 || m < 1 {
		t.Errorf("%d steps ran at once, want at most 3", m)
	}
	for range 3 {
		if err := th.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := th.acquire(ctx); err == nil {
		t.Error("a fourth step got a slot while three were held")
	}
}
