package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
)

// TxnState is the state of a transaction.
type TxnState int32

// Transaction states.
const (
	TxnActive TxnState = iota
	TxnCommitted
	TxnAborted
)

// String names the state.
func (s TxnState) String() string {
	switch s {
	case TxnCommitted:
		return "committed"
	case TxnAborted:
		return "aborted"
	}
	return "active"
}

// Txn is a multi-document transaction, or (internally) the unit of work of
// one operation outside a transaction. The snapshot of a multi-document
// transaction is taken at its first statement, not at Begin. A Txn is used
// by one goroutine at a time (a session), except Abort, which the reaper and
// Close may call concurrently.
type Txn struct {
	e        *Engine
	explicit bool
	// tag is what its caller says the transaction belongs to (SetTag), which a WaitObserver is told of a write
	// waiting for it.
	tag any

	// mu serialises statements, Commit and Abort of an explicit txn.
	mu    sync.Mutex
	state atomic.Int32

	started bool
	readTs  uint64
	snap    *pebble.Snapshot
	reader  pebble.Reader
	// idxAsOf is one more than the index generation when the snapshot (reader) was taken: the indexes built
	// after it are not in the snapshot (indexAsOf). 0 for a reader of the latest state.
	idxAsOf   uint64
	firstStmt time.Time
	inStmt    bool

	// claims are the owner-table keys this txn owns; true once written.
	claims map[string]bool
	// writes buffers new document versions by document key, in order.
	writes map[string]*docWrite
	order  []string
	// order1 and write1 back order and the first docWrite: most units write
	// one document, which then costs no allocations of its own.
	order1 [1]string
	write1 docWrite
	// lastClaim is the key claim last added, so that putDoc, which follows
	// the claim of the same key, reuses its string.
	lastClaim string
	// uniq overlays unique-index keys changed by this txn: the document key
	// now holding the key, or "" when this txn removed it.
	uniq map[string]string

	// created are the collections this transaction created; aborting it
	// drops them again (dropCreated).
	created []createdColl
	// record is the session record its commit stores with its writes
	// (WithSessionRecord); nil for none.
	record *sessionRecord
	// extra are keys its commit sets or deletes besides documents and index entries (a capped collection's
	// order entries).
	extra []rawWrite

	// done is closed when the txn commits or aborts: parked writers wake.
	done chan struct{}

	abortReason  *codes.Error
	pendingAbort *codes.Error // write error of the running statement that aborts the txn

	// keepOnError is set by Savepoint: a failed statement then leaves the transaction active, but failed:
	// no statement or commit runs until RollbackTo.
	keepOnError, failed bool

	expired    atomic.Bool
	stmtMu     sync.Mutex
	stmtCancel context.CancelCauseFunc

	// validators are the validators this transaction's writes check in place of their collections' own
	// (OverrideValidator), by namespace; a nil one checks nothing.
	validators map[Namespace]*filter.Validator
}

// OverrideValidator makes the transaction's writes to ns check validator (nil: none) in place of the collection's
// own until the transaction ends: a transaction that is to change a collection's validator when it commits
// (SQL's ALTER TABLE ... ADD CHECK in a transaction block) checks its own writes by the new one. An invalid
// validator is refused with the query parser's code. ClearValidatorOverride takes it back.
func (t *Txn) OverrideValidator(ns Namespace, validator bson.Raw) error {
	var v *filter.Validator
	if validator != nil {
		var err error
		if v, err = filter.CompileValidator(validator); err != nil {
			return err
		}
	}
	if t.validators == nil {
		t.validators = map[Namespace]*filter.Validator{}
	}
	t.validators[ns] = v
	return nil
}

// ClearValidatorOverride makes the transaction's writes to ns check the collection's own validator again.
func (t *Txn) ClearValidatorOverride(ns Namespace) { delete(t.validators, ns) }

// docWrite is a buffered change of one document.
type docWrite struct {
	coll *collection
	key  []byte
	id   bson.RawValue
	base bson.Raw // committed version the txn started from (nil: absent)
	doc  bson.Raw // new version (nil: deleted)
	// replaced is set when the last write was a whole-document replacement, which change streams report as
	// "replace" rather than "update".
	replaced bool
}

// conflictError is the internal form of a write conflict: owner is the live
// transaction owning the key, or nil when the key was committed after the
// snapshot.
type conflictError struct {
	owner *Txn
	key   string // the contended owner-table key; "" for a catalog change
}

// Error describes the conflict (never shown to clients).
func (c *conflictError) Error() string { return "write conflict" }

// writeConflictError is MongoDB's WriteConflict (112) as returned to a
// transaction statement.
func writeConflictError() *codes.Error {
	return codes.New(codes.WriteConflict, "WriteConflict error: this operation conflicted with another operation. Please retry your operation or multi-document transaction.")
}

// Begin starts a multi-document transaction. Nothing happens until its
// first statement, which takes the snapshot and counts it as started.
func (e *Engine) Begin() *Txn {
	return &Txn{e: e, explicit: true, done: make(chan struct{})}
}

// SetTag records what the transaction belongs to, before its first statement: a write outside a transaction
// that waits for a document it owns reports tag to its WaitObserver.
func (t *Txn) SetTag(tag any) { t.tag = tag }

// newUnit returns the unit of work of an operation outside a transaction:
// it reads the latest committed state and owns keys only until it commits.
func (e *Engine) newUnit() *Txn {
	t := &Txn{e: e, reader: e.db, started: true, done: make(chan struct{})}
	return t
}

// State returns the transaction's state.
func (t *Txn) State() TxnState { return TxnState(t.state.Load()) }

// AbortReason returns why the transaction was aborted (expiry, conflict,
// error), or nil when it was not aborted or was aborted by the caller.
func (t *Txn) AbortReason() *codes.Error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.abortReason
}

// abortedError is NoSuchTransaction (251) for a statement or commit of an
// aborted transaction; the caller may rewrite the message with its
// txnNumber ("Transaction with { txnNumber: N } has been aborted.").
func abortedError() *codes.Error {
	return codes.New(codes.NoSuchTransaction, "Transaction has been aborted.")
}

// committedError is TransactionCommitted (256) for a statement after commit.
func committedError() *codes.Error {
	return codes.New(codes.TransactionCommitted, "Transaction has been committed.")
}

// start takes the snapshot: read timestamp and Pebble snapshot together
// under commitMu, so that they agree exactly.
func (t *Txn) start() {
	e := t.e
	e.commitMu.Lock()
	t.readTs = e.clock.Load()
	t.idxAsOf = e.idxGen.Load() + 1
	t.snap = e.db.NewSnapshot()
	t.firstStmt = time.Now()
	e.liveMu.Lock()
	e.live[t] = struct{}{}
	e.liveMu.Unlock()
	e.commitMu.Unlock()
	t.reader = t.snap
	t.started = true
	e.m.txnStarted.Add(1)
	e.m.txnOpen.Add(1)
	e.m.txnInactive.Add(1)
}

// beginStmt starts a statement of an explicit transaction: it locks the
// txn, checks its state, takes the snapshot on the first statement and
// returns the statement's context, which the reaper cancels on expiry.
// Every successful beginStmt is paired with endStmt.
func (t *Txn) beginStmt(ctx context.Context) (context.Context, error) {
	t.mu.Lock()
	switch TxnState(t.state.Load()) {
	case TxnAborted:
		t.mu.Unlock()
		return nil, abortedError().InTransaction()
	case TxnCommitted:
		t.mu.Unlock()
		return nil, committedError()
	}
	if t.failed {
		t.mu.Unlock()
		return nil, failedError()
	}
	if !t.started {
		t.start()
	}
	t.inStmt = true
	t.e.m.txnActive.Add(1)
	t.e.m.txnInactive.Add(-1)
	sctx, cancel := context.WithCancelCause(ctx)
	t.stmtMu.Lock()
	t.stmtCancel = cancel
	t.stmtMu.Unlock()
	if t.expired.Load() {
		cancel(expiredError())
	}
	return sctx, nil
}

// endStmt ends a statement: an error (or a write error recorded in
// pendingAbort) aborts the transaction, as mongod's abort guard does; a
// statement overtaken by expiry fails with 290. Returned errors carry the
// transaction labels.
func (t *Txn) endStmt(sctx context.Context, err error) error {
	t.stmtMu.Lock()
	cancel := t.stmtCancel
	t.stmtCancel = nil
	t.stmtMu.Unlock()
	cancel(nil)
	if t.expired.Load() && TxnState(t.state.Load()) == TxnActive {
		// The reaper is waiting for this statement: it was killed.
		err = expiredError()
	}
	var reason *codes.Error
	if err != nil {
		ce, ok := codes.As(err)
		if !ok {
			ce = &codes.Error{Code: codes.InternalError, Message: err.Error(), Cause: err}
		}
		reason, err = ce, ce
	} else if t.pendingAbort != nil {
		reason = t.pendingAbort
	}
	t.pendingAbort = nil
	if reason != nil && TxnState(t.state.Load()) == TxnActive {
		if t.keepOnError && !t.expired.Load() {
			t.failed = true
		} else {
			t.abortLocked(reason)
		}
	}
	if t.inStmt {
		t.inStmt = false
		t.e.m.txnActive.Add(-1)
		if TxnState(t.state.Load()) == TxnActive {
			t.e.m.txnInactive.Add(1)
		}
	}
	t.mu.Unlock()
	if err != nil {
		return err.(*codes.Error).InTransaction()
	}
	return nil
}

// expire is the reaper's abort: it interrupts a running statement (which then
// fails with 290) and aborts the transaction.
func (t *Txn) expire() {
	t.expired.Store(true)
	t.stmtMu.Lock()
	if t.stmtCancel != nil {
		t.stmtCancel(expiredError())
	}
	t.stmtMu.Unlock()
	t.mu.Lock()
	if TxnState(t.state.Load()) == TxnActive {
		t.abortLocked(expiredError())
	}
	t.mu.Unlock()
}

// Commit makes the transaction's writes visible and durable (on return the
// WAL fsync covering them has completed, unless Options.NoSync); a read-only
// transaction's commit returns once everything it could read is durable
// (Engine.Sync). Commit of a
// committed transaction succeeds again; of an aborted one it is
// NoSuchTransaction (251) with TransientTransactionError. A transaction whose
// commit fails (e.g. its collection was dropped) is aborted. Under a context
// from WithSessionRecord, a commit that writes anything also stores the
// session record, in the same atomic batch.
func (t *Txn) Commit(ctx context.Context) error {
	e := t.e
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	t.mu.Lock()
	defer t.mu.Unlock()
	switch TxnState(t.state.Load()) {
	case TxnCommitted:
		// A retried commit: what the transaction wrote or read must be durable before it is acknowledged again.
		return e.sync()
	case TxnAborted:
		return abortedError().WithLabel(codes.LabelTransientTransaction)
	}
	if t.failed {
		return failedError()
	}
	if !t.started {
		t.state.Store(int32(TxnCommitted))
		close(t.done)
		return nil
	}
	if t.expired.Load() {
		t.abortLocked(expiredError())
		return abortedError().WithLabel(codes.LabelTransientTransaction)
	}
	t.record = sessionRecordFrom(ctx)
	stats := commitStatsFrom(ctx)
	var measured CommitStats
	if stats != nil {
		measured = t.commitStats()
	}
	p, err := e.commit(t)
	if err != nil {
		if _, ok := err.(*conflictError); ok {
			err = writeConflictError()
		}
		ce, _ := codes.As(err)
		if ce == nil {
			ce = storageError(err)
		}
		if TxnState(t.state.Load()) == TxnActive {
			t.abortLocked(ce)
		}
		return ce.InTransaction()
	}
	if stats != nil {
		*stats = measured
	}
	if p.b == nil {
		// A read-only transaction: what it read may be a commit whose fsync has not completed; acknowledge it only
		// once that is durable, as MongoDB's commit waits for the majority point to reach the read timestamp.
		return e.sync()
	}
	return e.syncWait(p)
}

// Abort aborts the transaction, releasing what it owns. Abort after commit
// is TransactionCommitted (256); after abort NoSuchTransaction (251).
func (t *Txn) Abort() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch TxnState(t.state.Load()) {
	case TxnCommitted:
		return committedError()
	case TxnAborted:
		return abortedError()
	}
	if !t.started {
		t.state.Store(int32(TxnAborted))
		close(t.done)
		t.dropCreated()
		return nil
	}
	t.abortLocked(nil)
	return nil
}

// dropCreated drops the collections the aborted t created (Engine.dropCreated). They are dropped while still
// pending, then leave the pending state: a collection listed once it has left it is one that was kept (someone
// else's now), never one about to go.
func (t *Txn) dropCreated() {
	created := t.created
	t.created = nil
	t.e.dropCreated(created)
	t.e.unpublish(t, created)
}

// abortLocked aborts an active transaction: owned keys are released (waiters
// wake), the snapshot closes and the metrics move. The caller holds t.mu
// (explicit) or is the only user (unit).
func (t *Txn) abortLocked(reason *codes.Error) {
	t.abortReason = reason
	t.release(0)
	t.state.Store(int32(TxnAborted))
	t.finish()
	t.dropCreated()
	if t.explicit && t.started {
		e := t.e
		e.m.txnAborted.Add(1)
		e.m.txnOpen.Add(-1)
		if !t.inStmt {
			e.m.txnInactive.Add(-1)
		}
	}
}

// release ends ownership of every claimed key; commitTs > 0 stamps the
// written ones with the commit timestamp.
func (t *Txn) release(commitTs uint64) {
	for k, written := range t.claims {
		ts := uint64(0)
		if written {
			ts = commitTs
		}
		t.e.owners.release(k, t, ts)
	}
	t.claims = nil
}

// finish closes the snapshot, unregisters the txn and wakes its waiters.
func (t *Txn) finish() {
	if t.snap != nil {
		t.snap.Close()
		t.snap = nil
		t.e.liveMu.Lock()
		delete(t.e.live, t)
		t.e.liveMu.Unlock()
	}
	t.writes, t.order, t.uniq = nil, nil, nil
	t.write1, t.order1 = docWrite{}, [1]string{} // drop the documents: waiters may keep t a while
	close(t.done)
}

// indexAsOf is the planOptions.asOf of t's reads of c: t's snapshot's index generation, so that the indexes
// built after the snapshot are not planned on (their entries are not in it), or 0 (every index) for a reader of
// the latest state, or of a collection t created itself (whose indexes it builds over its own writes).
func (t *Txn) indexAsOf(c *collection) uint64 {
	if t == nil || c == nil || t.explicit && t.createdColl(c) {
		return 0
	}
	return t.idxAsOf
}
