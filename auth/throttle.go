package auth

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/concorddb/concord/internal/codes"
)

// Defaults of a Throttle's zero fields.
const (
	// DefaultMaxConcurrent bounds the SCRAM steps running at once, whatever the number of connections: each
	// costs one hash of the stored key, and a flood of attempts must not take every core.
	DefaultMaxConcurrent = 64
	// DefaultFreeFailures is how many failures an address may have within DefaultFailureWindow before its
	// next failures are answered late.
	DefaultFreeFailures  = 3
	DefaultFailureWindow = time.Minute
	// The delay before answering a failure doubles from DefaultFirstDelay with every further failure, up to
	// DefaultMaxDelay.
	DefaultFirstDelay = 100 * time.Millisecond
	DefaultMaxDelay   = 5 * time.Second
	// maxTrackedAddresses bounds the failure records kept: an attacker cycling addresses must not grow them.
	maxTrackedAddresses = 4096
)

// Throttle bounds authentication work against misbehaving clients, for every front end that authenticates
// (the MongoDB, PostgreSQL and HTTP ports of `concord serve` share one, so that an address's failures on any
// port count together): at most MaxConcurrent conversation steps at once (the excess waits for a slot, or gives up
// when its context ends), and a growing delay before answering the failures of an address that keeps failing,
// as PostgreSQL's auth_delay module pauses before reporting a failure.
//
// The zero value is ready with the defaults; a zero field means its default. Fields must not change after
// first use. A Throttle is safe for concurrent use.
type Throttle struct {
	// MaxConcurrent bounds the steps running at once; 0 means DefaultMaxConcurrent.
	MaxConcurrent int
	// FreeFailures is the number of failures of an address within Window answered at once; 0 means
	// DefaultFreeFailures.
	FreeFailures int
	// Window is how long a failure counts; 0 means DefaultFailureWindow.
	Window time.Duration
	// FirstDelay is the delay after FreeFailures failures, doubling with every further one up to MaxDelay;
	// 0 means DefaultFirstDelay and DefaultMaxDelay.
	FirstDelay, MaxDelay time.Duration

	slotsOnce sync.Once
	slots     chan struct{}

	mu       sync.Mutex
	failures map[string]addrFailures
}

// addrFailures counts an address's recent failures.
type addrFailures struct {
	n    int
	last time.Time
}

// Step runs one step of conv under the throttle (see Do) for a client at host, an IP address.
func (t *Throttle) Step(ctx context.Context, conv *Conversation, host string, in []byte) ([]byte, error) {
	var out []byte
	err := t.Do(ctx, host, func() (bool, error) {
		var err error
		out, err = conv.Step(in)
		return err == nil && conv.User() != nil, err
	})
	return out, err
}

// Do runs fn, one step of an authentication by a client at host (an IP address, the unit of the failure
// delay), under the throttle; fn reports whether the client is authenticated now. Do waits for a slot first; if
// ctx ends while it waits, it returns ctx's error as a codes error (MaxTimeMSExpired or Interrupted) without
// running fn. When fn fails with ErrAuthenticationFailed, Do records the failure and waits the delay the address
// has earned (or until ctx ends) before returning the error; a success forgets the address's failures.
func (t *Throttle) Do(ctx context.Context, host string, fn func() (authenticated bool, err error)) error {
	if err := t.acquire(ctx); err != nil {
		return err
	}
	ok, err := fn()
	t.release()
	switch {
	case err == nil:
		if ok {
			t.succeeded(host)
		}
	case errors.Is(err, ErrAuthenticationFailed):
		if d := t.failed(host, time.Now()); d > 0 {
			timer := time.NewTimer(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
			}
		}
	}
	return err
}

func (t *Throttle) acquire(ctx context.Context) error {
	t.slotsOnce.Do(func() { t.slots = make(chan struct{}, orDefault(t.MaxConcurrent, DefaultMaxConcurrent)) })
	select {
	case t.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return codes.FromContext(ctx)
	}
}

func (t *Throttle) release() { <-t.slots }

// failed records a failure of host at now and returns how long to wait before answering it.
func (t *Throttle) failed(host string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = make(map[string]addrFailures)
	}
	window := orDefault(t.Window, DefaultFailureWindow)
	f := t.failures[host]
	if now.Sub(f.last) > window {
		f.n = 0
	}
	f.n++
	f.last = now
	if _, ok := t.failures[host]; !ok && len(t.failures) >= maxTrackedAddresses {
		for h, g := range t.failures {
			if now.Sub(g.last) > window {
				delete(t.failures, h)
			}
		}
		if len(t.failures) >= maxTrackedAddresses {
			clear(t.failures)
		}
	}
	t.failures[host] = f
	return t.delay(f.n)
}

// delay is the delay before answering an address's n-th recent failure.
func (t *Throttle) delay(n int) time.Duration {
	if n <= orDefault(t.FreeFailures, DefaultFreeFailures) {
		return 0
	}
	first, most := t.FirstDelay, t.MaxDelay
	if first <= 0 {
		first = DefaultFirstDelay
	}
	if most <= 0 {
		most = max(DefaultMaxDelay, first)
	}
	d := first
	for i := orDefault(t.FreeFailures, DefaultFreeFailures) + 1; i < n && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// succeeded forgets host's failures.
func (t *Throttle) succeeded(host string) {
	t.mu.Lock()
	delete(t.failures, host)
	t.mu.Unlock()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}
