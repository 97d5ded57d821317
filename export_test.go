package concord

import (
	"context"
	"time"

	"github.com/concorddb/concord/internal/engine"
)

// SetWithTransactionTimeout shortens WithTransaction's retry limit for a
// test and returns a function restoring it.
func SetWithTransactionTimeout(d time.Duration) (restore func()) {
	old := withTransactionTimeout
	withTransactionTimeout = d
	return func() { withTransactionTimeout = old }
}

// TxnBackoffCap exposes WithTransaction's backoff schedule.
var TxnBackoffCap = txnBackoffCap

// SetCommitHook makes every CommitTransaction that reaches the engine call
// hook, which may fail or call commit (the real commit). It returns a
// function restoring the real commit.
func SetCommitHook(hook func(ctx context.Context, commit func(context.Context) error) error) (restore func()) {
	old := commitTxn
	commitTxn = func(ctx context.Context, t *engine.Txn) error {
		return hook(ctx, func(ctx context.Context) error { return old(ctx, t) })
	}
	return func() { commitTxn = old }
}
