package engine

import (
	"context"
	"time"

	"github.com/concorddb/concord/internal/codes"
)

// backoffDelay is MongoDB's stepped write-conflict backoff
// (logAndBackoffImpl): no sleep for attempts 0-3, 1 ms for 4-9, 5 ms for
// 10-99, 10 ms for 100-199 and 100 ms from 200 on.
func backoffDelay(attempt int) time.Duration {
	switch {
	case attempt < 4:
		return 0
	case attempt < 10:
		return time.Millisecond
	case attempt < 100:
		return 5 * time.Millisecond
	case attempt < 200:
		return 10 * time.Millisecond
	}
	return 100 * time.Millisecond
}

// waitObserverKey is the context key of a WaitObserver.
type waitObserverKey struct{}

// WaitObserver hears of a write outside a transaction waiting for the transaction that owns the document it
// writes: observe(tag, true) as it parks (tag: the owner's SetTag, nil when it has none), observe(nil, false)
// when the wait ends. A lock manager above the engine uses it to see a cycle of waits that passes through a
// document. It runs on the waiting write's goroutine.
type WaitObserver func(tag any, waiting bool)

// WithWaitObserver returns ctx with observe as the WaitObserver of the writes run with it.
func WithWaitObserver(ctx context.Context, observe WaitObserver) context.Context {
	return context.WithValue(ctx, waitObserverKey{}, observe)
}

// observeWait tells ctx's WaitObserver, if any, that a write waits for owner; the returned function ends it.
func observeWait(ctx context.Context, owner *Txn) func() {
	observe, _ := ctx.Value(waitObserverKey{}).(WaitObserver)
	if observe == nil || owner == nil {
		return func() {}
	}
	observe(owner.tag, true)
	return func() { observe(nil, false) }
}

// waitFor blocks a write outside a transaction before its next attempt:
// under WaitPark until owner finishes (at once when owner is nil), under
// WaitBackoff for the stepped delay of attempt. It returns the error that
// ends the operation instead: MaxTimeMSExpired (50) at the context deadline,
// Interrupted (11601) on cancellation, InterruptedAtShutdown (11600) on Close.
func (e *Engine) waitFor(ctx context.Context, owner *Txn, attempt int) error {
	var wake <-chan struct{}
	var tick <-chan time.Time
	switch {
	case e.opts.WaitPolicy == WaitBackoff:
		if d := backoffDelay(attempt); d > 0 {
			timer := time.NewTimer(d)
			defer timer.Stop()
			tick = timer.C
		}
	case owner != nil:
		wake = owner.done
	}
	if wake == nil && tick == nil {
		return e.checkCtx(ctx)
	}
	select {
	case <-wake:
	case <-tick:
	case <-ctx.Done():
		return codes.FromContext(ctx)
	case <-e.closing:
		return shutdownError()
	}
	// A cancelled context wins even when the owner finished at the same
	// moment: the caller asked to stop.
	return e.checkCtx(ctx)
}

// checkCtx returns the interruption error when ctx is done or the engine is
// closing; long scans call it periodically.
func (e *Engine) checkCtx(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return codes.FromContext(ctx)
	case <-e.closing:
		return shutdownError()
	default:
		return nil
	}
}
