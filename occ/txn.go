package occ

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/concorddb/concord/store"
)

// TxnOptions configures WithTransaction. A nil *TxnOptions, and each zero field, mean the defaults.
type TxnOptions struct {
	// Retry is the backoff between runs of the function; by default the drivers' (5 ms base, factor 1.5,
	// 500 ms cap) with no limit on the number of retries other than Timeout.
	Retry *Retry
	// Timeout bounds the time spent retrying, as the drivers' 120 s; the context bounds it too.
	Timeout time.Duration
	// Metrics receives the retries, under the namespace of the conflict that caused them ("" for a transient
	// transaction error); DefaultMetrics by default.
	Metrics *Metrics
}

// The defaults of TxnOptions.
var defaultTxnRetry = &Retry{MaxRetries: math.MaxInt, Base: 5 * time.Millisecond, Factor: 1.5, Max: 500 * time.Millisecond}

const defaultTxnTimeout = 120 * time.Second

// txnKey marks a context as running inside WithTransaction.
type txnKey struct{}

func inTransaction(ctx context.Context) bool { return ctx.Value(txnKey{}) != nil }

// WithTransaction runs fn in a snapshot transaction of a new session on st and commits it, retrying as the
// drivers do and more:
//
//   - an error labelled TransientTransactionError from fn or the commit (a write conflict, say), and a
//     *ConflictError from fn (a versioned write that lost), abort the transaction and run fn again in a new one
//     after the backoff;
//   - a commit labelled UnknownTransactionCommitResult is retried alone, at once: the transaction may have
//     committed, and committing again is a no-op if it did, whereas running fn again could apply it twice;
//   - retrying stops at Timeout or when ctx ends, returning the last error wrapped.
//
// fn must run every operation with the context it is given (which carries the session) and may run several
// times, so it must have no other effects it cannot repeat. Versioned writes inside fn (Modify, the Collection
// methods) make a single attempt and leave retrying to WithTransaction. Any other error from fn aborts the
// transaction and is returned as is. The session is ended before WithTransaction returns.
func WithTransaction(ctx context.Context, st store.Store, fn func(ctx context.Context) error, opts *TxnOptions) error {
	var o TxnOptions
	if opts != nil {
		o = *opts
	}
	if o.Retry == nil {
		o.Retry = defaultTxnRetry
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTxnTimeout
	}
	if o.Metrics == nil {
		o.Metrics = DefaultMetrics
	}
	sess, err := st.StartSession(ctx)
	if err != nil {
		return err
	}
	defer sess.EndSession(context.WithoutCancel(ctx))
	deadline := time.Now().Add(o.Timeout)
	sctx := sess.Context(context.WithValue(ctx, txnKey{}, true))
	for attempt := 0; ; attempt++ {
		err := runOnce(sctx, sess, fn, deadline)
		if err == nil || !Retryable(err) {
			return err
		}
		if time.Now().After(deadline) || attempt >= o.Retry.filled().MaxRetries {
			o.Metrics.add(conflictNS(err), func(c *Counters) { c.RetriesExhausted++ })
			return fmt.Errorf("%w after %d attempts: %w", ErrRetriesExhausted, attempt+1, err)
		}
		t := time.NewTimer(o.Retry.Backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("occ: transaction retry stopped: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
		o.Metrics.add(conflictNS(err), func(c *Counters) { c.Retries++ })
	}
}

// runOnce runs fn in one transaction and commits it, retrying only a commit whose result is unknown.
func runOnce(ctx context.Context, sess store.Session, fn func(ctx context.Context) error, deadline time.Time) error {
	if err := sess.StartTransaction(); err != nil {
		return err
	}
	if err := fn(ctx); err != nil {
		_ = sess.AbortTransaction(context.WithoutCancel(ctx))
		return err
	}
	for {
		err := sess.CommitTransaction(ctx)
		if err == nil || !store.IsUnknownTransactionCommitResult(err) || time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil && !store.IsUnknownTransactionCommitResult(err) {
				_ = sess.AbortTransaction(context.WithoutCancel(ctx))
			}
			return err
		}
	}
}

// conflictNS returns the namespace of the conflict err holds, "" when it holds none.
func conflictNS(err error) string {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return ce.Collection
	}
	return ""
}

// InTransaction reports whether ctx is the context WithTransaction passes to its function: operations that
// retry by themselves (Modify, the atomic operations) make a single attempt there and leave retrying to the
// transaction, since a retry inside it would read the same snapshot.
func InTransaction(ctx context.Context) bool { return inTransaction(ctx) }
