package engine

import (
	"context"
	"runtime"
)

// awaitCreated is how a write statement meets a collection that another transaction created and has not
// committed: mongod holds that collection's exclusive lock until the commit, so a write outside a transaction
// waits for the transaction to end (then writes to the committed collection, or, after an abort, creates it
// anew). The creating transaction itself, other transactions (see below) and writes to any other collection
// pass. ctx's end (maxTimeMS) ends the wait with its error.
func (e *Engine) awaitCreated(ctx context.Context, t *Txn, ns Namespace) error {
	for {
		e.catMu.RLock()
		owner := e.pending[ns]
		e.catMu.RUnlock()
		if owner == nil || owner == t {
			return nil
		}
		if t != nil && t.explicit {
			// Another transaction writes through, as before this lock existed: mongod would fail it with
			// LockTimeout, but histories of concurrent transactions creating one collection rely on it.
			return nil
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
