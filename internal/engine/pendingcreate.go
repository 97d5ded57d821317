package engine

import (
	"context"
	"runtime"

	"github.com/concorddb/concord/internal/codes"
)

// awaitCreated is how a write statement meets a collection that another transaction created and has not
// committed: mongod holds that collection's exclusive lock until the commit, so a write outside a transaction
// waits for the transaction to end (then writes to the committed collection, or, after an abort, creates it
// anew), and a transaction's write gives up at once with LockTimeout (24, TransientTransactionError), as
// mongod's 5 ms maxTransactionLockRequestTimeoutMillis does. The creating transaction itself, and writes to
// any other collection, pass. ctx's end (maxTimeMS) ends the wait with its error.
func (e *Engine) awaitCreated(ctx context.Context, t *Txn, ns Namespace) error {
	for {
		e.catMu.RLock()
		owner := e.pending[ns]
		e.catMu.RUnlock()
		if owner == nil || owner == t {
			return nil
		}
		if t != nil && t.explicit {
			return t.ddlStatement(ctx, func() error { return lockTimeoutError(ns) })
		}
		select {
		case <-owner.done:
			// An aborting transaction closes done just before it leaves pending: let it.
			runtime.Gosched()
		case <-ctx.Done():
			return e.checkCtx(ctx)
		}
	}
}

// lockTimeoutError is mongod's failure to take a collection's lock within a transaction's lock timeout.
func lockTimeoutError(ns Namespace) error {
	return codes.New(codes.LockTimeout, "Unable to acquire IX lock on '%s' within 5ms.", ns.String()).
		WithLabel(codes.LabelTransientTransaction)
}
