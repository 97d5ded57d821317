package occ

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/concorddb/concord/store"
)

// Retry says how a failed attempt is retried: after attempt n (0 for the first) the loop sleeps a random
// duration in [d/2, d) with d = min(Base * Factor^n, Max) (jitter spreads the retries of writers that failed
// together), then runs the caller's whole function again. A nil *Retry, and each zero field, mean the defaults
// of the tutorials: 3 retries, 100 ms base, factor 2, 1 s cap.
//
// Only errors after which nothing was written are retried: a *ConflictError and an error labelled
// TransientTransactionError. An UnknownTransactionCommitResult is not: the commit may have applied, and running
// the function again would apply it twice; WithTransaction retries such a commit by itself.
type Retry struct {
	// MaxRetries is the number of retries after the first attempt; negative means none.
	MaxRetries int
	Base       time.Duration
	Factor     float64
	Max        time.Duration
}

// NoRetry makes a single attempt.
var NoRetry = &Retry{MaxRetries: -1}

// Defaults of Retry.
const (
	DefaultMaxRetries = 3
	DefaultBase       = 100 * time.Millisecond
	DefaultFactor     = 2
	DefaultMax        = time.Second
)

// filled returns r with its defaults filled in.
func (r *Retry) filled() Retry {
	var f Retry
	if r != nil {
		f = *r
	}
	if f.MaxRetries == 0 {
		f.MaxRetries = DefaultMaxRetries
	}
	if f.Base <= 0 {
		f.Base = DefaultBase
	}
	if f.Factor < 1 {
		f.Factor = DefaultFactor
	}
	if f.Max <= 0 {
		f.Max = DefaultMax
	}
	return f
}

// Backoff returns the sleep before retry n+1 after attempt n failed (0-based), jitter included.
func (r *Retry) Backoff(n int) time.Duration {
	f := r.filled()
	d := time.Duration(math.Min(float64(f.Base)*math.Pow(f.Factor, float64(n)), float64(f.Max)))
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// Retryable reports whether err leaves nothing written and may be retried by running the whole function again:
// an optimistic conflict or a TransientTransactionError. The conflict of an insert whose _id exists is not
// retryable: the same insert would conflict again.
func Retryable(err error) bool {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return !ce.final
	}
	return errors.Is(err, ErrConflict) || store.IsTransientTransactionError(err)
}

// Do runs fn until it succeeds, fails with an error Retryable rejects, runs out of retries or ctx ends, and
// returns the number of attempts made with fn's last error. Giving up after retries wraps both
// ErrRetriesExhausted and the last error; with no retries allowed (MaxRetries < 0) the error is returned as
// is. m (DefaultMetrics when nil) counts the retries under ns.
func (r *Retry) Do(ctx context.Context, m *Metrics, ns string, fn func(ctx context.Context) error) (int, error) {
	f := r.filled()
	if m == nil {
		m = DefaultMetrics
	}
	for attempt := 0; ; attempt++ {
		err := fn(ctx)
		if err == nil || !Retryable(err) || f.MaxRetries < 0 {
			return attempt + 1, err
		}
		if attempt >= f.MaxRetries {
			m.add(ns, func(c *Counters) { c.RetriesExhausted++ })
			return attempt + 1, fmt.Errorf("%w after %d attempts: %w", ErrRetriesExhausted, attempt+1, err)
		}
		t := time.NewTimer(r.Backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt + 1, fmt.Errorf("occ: retry stopped: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
		m.add(ns, func(c *Counters) { c.Retries++ })
	}
}
