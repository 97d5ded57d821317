package concord

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// txnState is the client-side transaction state machine of the driver's
// session (None -> Starting -> InProgress -> Committed | Aborted).
type txnState int

// The states of a session's transaction.
const (
	txnNone       txnState = iota // no transaction started on the session yet
	txnStarting                   // StartTransaction called, no statement run yet
	txnInProgress                 // at least one statement ran: an engine Txn exists
	txnCommitted
	txnAborted
)

// Session is a sequence of operations that may group statements into
// multi-document transactions, as a MongoDB logical session does. A session
// travels in the context: pass NewSessionContext(ctx, s) to Collection
// methods (WithTransaction does it for its callback). Operations run with a
// session context inside a transaction read one snapshot, taken at the
// transaction's first statement, see their own writes, and commit or abort
// together.
//
// A Session is not safe for concurrent use: run one operation at a time on
// it. End it with EndSession.
type Session struct {
	db    *DB
	state txnState
	txn   *engine.Txn // non-nil only in txnInProgress and after, until the next StartTransaction
	// committedEmpty records that the committed transaction ran no statement,
	// so a repeated CommitTransaction stays a no-op.
	committedEmpty bool
	ended          bool
	tag            any // given to the transactions it starts (SetTransactionTag)
}

// SetTransactionTag says what the session's transactions belong to (a SQL session, say): a write outside a
// transaction that waits for a document one of them wrote reports tag to its context's WaitObserver.
func (s *Session) SetTransactionTag(tag any) { s.tag = tag }

// WaitObserver hears of a write outside a transaction that waits for the transaction owning the document it
// writes: observe(tag, true) as the write starts waiting (tag: the owner's SetTransactionTag, nil when its session
// set none) and observe(nil, false) when the wait ends. It runs on the waiting write's goroutine. A lock manager
// above Concord's (the SQL layer's table locks) uses it to find a deadlock that passes through a document.
type WaitObserver func(tag any, waiting bool)

// WithWaitObserver returns ctx with observe as the WaitObserver of the writes run with it.
func WithWaitObserver(ctx context.Context, observe WaitObserver) context.Context {
	return engine.WithWaitObserver(ctx, engine.WaitObserver(observe))
}

// StartSession starts a session. End it with EndSession.
func (db *DB) StartSession() (*Session, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	return &Session{db: db}, nil
}

// sessionKey is the context key of the session.
type sessionKey struct{}

// NewSessionContext returns a context carrying s: Collection methods called
// with it run in s (inside s's transaction when one is in progress).
func NewSessionContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFromContext returns the session ctx carries, or nil.
func SessionFromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// StartTransaction starts a transaction. Nothing happens in the engine
// until the first statement: that statement takes the snapshot and starts
// the transaction's lifetime clock, as in MongoDB. It returns
// ErrTransactionInProgress when a transaction is already in progress and
// ErrSessionEnded after EndSession.
func (s *Session) StartTransaction() error {
	if s.ended {
		return ErrSessionEnded
	}
	if s.state == txnStarting || s.state == txnInProgress {
		return ErrTransactionInProgress
	}
	if err := s.db.check(); err != nil {
		return err
	}
	s.state = txnStarting
	s.txn = nil
	s.committedEmpty = false
	return nil
}

// TransactionRunning reports whether a transaction was started and is not
// yet committed or aborted (it may have been aborted by the engine after an
// error; CommitTransaction then reports NoSuchTransaction).
func (s *Session) TransactionRunning() bool {
	return s.state == txnStarting || s.state == txnInProgress
}

// CommitTransaction commits the transaction and returns once it is durable.
//
// A transaction that ran no statement commits as a no-op. Committing again
// after a successful commit succeeds again (the commit is idempotent), which
// is what makes retrying a commit labelled UnknownTransactionCommitResult
// safe. A transaction the engine already aborted (after a write conflict, a
// duplicate key, any failed statement, or its lifetime running out) returns
// NoSuchTransaction (251) labelled TransientTransactionError: retry the whole
// transaction. A commit that was applied but whose wait for durability was
// cut short (by ctx's deadline, or Close) is labelled
// UnknownTransactionCommitResult. Calling it with no transaction started returns
// ErrNoTransactionStarted, after AbortTransaction ErrCommitAfterAbort.
func (s *Session) CommitTransaction(ctx context.Context) error {
	if s.ended {
		return ErrSessionEnded
	}
	switch s.state {
	case txnNone:
		return ErrNoTransactionStarted
	case txnAborted:
		return ErrCommitAfterAbort
	case txnStarting:
		s.state = txnCommitted
		s.committedEmpty = true
		return nil
	case txnCommitted:
		if s.committedEmpty || s.txn == nil {
			return nil
		}
	}
	if err := s.db.check(); err != nil {
		return err
	}
	err := commitError(commitTxn(ctx, s.txn), s.txn.State())
	if err != nil && IsTransientTransactionError(err) {
		// Nothing was committed and nothing will be: release what the
		// transaction holds so the retry does not conflict with it.
		s.abortEngineTxn()
	}
	if s.txn.State() != engine.TxnActive {
		// Committed, or aborted for good: either way this transaction is
		// over, as the driver records it even when the commit failed.
		s.state = txnCommitted
	}
	return err
}

// commitTxn commits an engine transaction. Tests replace it to make commits
// fail the ways a real one rarely does.
var commitTxn = func(ctx context.Context, t *engine.Txn) error { return t.Commit(ctx) }

// commitError labels a commit failure as the driver and server would.
// state is the engine's view after the failure: only a transaction that is
// committed (published, but its durability not awaited) has an unknown
// result; an active or aborted one certainly did not commit.
func commitError(err error, state engine.TxnState) error {
	e, ok := codes.As(err)
	if !ok {
		return err
	}
	if e.Code.Transient() || e.Code == codes.NoSuchTransaction {
		e = e.WithLabel(codes.LabelTransientTransaction)
	}
	if state == engine.TxnCommitted && (e.Code == codes.MaxTimeMSExpired || e.Code.Retriable()) {
		e = e.WithLabel(codes.LabelUnknownCommitResult)
	}
	return e
}

// AbortTransaction rolls the transaction back. Errors from the engine are
// ignored, as the driver ignores abortTransaction errors: afterwards the
// transaction is aborted whatever happened before. It returns
// ErrNoTransactionStarted when no transaction was started,
// ErrAbortAfterCommit after CommitTransaction and ErrAbortTwice after a
// previous AbortTransaction.
func (s *Session) AbortTransaction(ctx context.Context) error {
	if s.ended {
		return ErrSessionEnded
	}
	switch s.state {
	case txnNone:
		return ErrNoTransactionStarted
	case txnCommitted:
		return ErrAbortAfterCommit
	case txnAborted:
		return ErrAbortTwice
	}
	s.abortEngineTxn()
	s.state = txnAborted
	return nil
}

// abortEngineTxn aborts the engine transaction if a statement began one
// and it is still active; an empty transaction has nothing to abort.
func (s *Session) abortEngineTxn() {
	if s.txn != nil && s.txn.State() == engine.TxnActive {
		_ = s.txn.Abort()
	}
}

// EndSession aborts a transaction in progress and ends the session; later
// use returns ErrSessionEnded. Ending twice is a no-op.
func (s *Session) EndSession(ctx context.Context) {
	if s.ended {
		return
	}
	if s.TransactionRunning() {
		s.abortEngineTxn()
		s.state = txnAborted
	}
	s.ended = true
}

// txnFor returns the engine transaction an operation run with ctx belongs
// to: nil outside a transaction. The engine transaction is begun at the
// first statement, so that an empty transaction never reaches the engine.
func (db *DB) txnFor(ctx context.Context) (*engine.Txn, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	s := SessionFromContext(ctx)
	if s == nil {
		return nil, nil
	}
	if s.ended {
		return nil, ErrSessionEnded
	}
	if s.db != db {
		return nil, ErrWrongDB
	}
	switch s.state {
	case txnStarting:
		s.txn = db.eng.Begin()
		s.txn.SetTag(s.tag)
		s.state = txnInProgress
		return s.txn, nil
	case txnInProgress:
		return s.txn, nil
	}
	return nil, nil
}

// stmtError finishes an operation's error inside a transaction the way the
// server does: any failed statement aborts the transaction (so that its
// commit reports NoSuchTransaction), and transient codes are labelled
// TransientTransactionError. Client-side argument errors never get here,
// so they leave the transaction alone, as with the driver.
func stmtError(t *engine.Txn, err error) error {
	if err == nil {
		return nil
	}
	if t == nil {
		return publicError(err)
	}
	if t.State() == engine.TxnActive && !t.KeepsOnError() {
		_ = t.Abort()
	}
	if e, ok := codes.As(err); ok {
		return publicError(e.InTransaction())
	}
	return err
}

// Savepoint is a point in a session's transaction that RollbackToSavepoint returns its writes to (SQL's
// SAVEPOINT; MongoDB's transactions have none).
type Savepoint struct {
	s  *Session
	sp *engine.Savepoint
}

// Savepoint marks the writes of the transaction in progress. From then on a failed operation of the
// transaction no longer aborts it: it leaves it failed, refusing every operation and CommitTransaction (with
// IllegalOperation, 20) until RollbackToSavepoint undoes what the failed operation wrote, or
// AbortTransaction ends it. It returns ErrNoTransactionStarted outside a transaction.
func (s *Session) Savepoint() (*Savepoint, error) {
	if s.ended {
		return nil, ErrSessionEnded
	}
	switch s.state {
	case txnStarting:
		if err := s.db.check(); err != nil {
			return nil, err
		}
		s.txn = s.db.eng.Begin() // no snapshot yet: the first operation takes it
		s.txn.SetTag(s.tag)
		s.state = txnInProgress
	case txnInProgress:
	default:
		return nil, ErrNoTransactionStarted
	}
	sp, err := s.txn.Savepoint()
	if err != nil {
		return nil, publicError(err)
	}
	return &Savepoint{s: s, sp: sp}, nil
}

// OverrideValidator makes the writes of the transaction in progress to collection coll of database db check
// validator (a query document; nil: none) in place of the collection's own, until the transaction ends or
// ClearValidatorOverride: a transaction that is to change the collection's validator once it commits (with
// ModifyCollection) checks its own writes by the new one meanwhile. An invalid validator is refused with the
// query parser's code. It returns ErrNoTransactionStarted outside a transaction.
func (s *Session) OverrideValidator(db, coll string, validator bson.Raw) error {
	if s.ended {
		return ErrSessionEnded
	}
	switch s.state {
	case txnStarting:
		if err := s.db.check(); err != nil {
			return err
		}
		s.txn = s.db.eng.Begin() // no snapshot yet: the first operation takes it
		s.txn.SetTag(s.tag)
		s.state = txnInProgress
	case txnInProgress:
	default:
		return ErrNoTransactionStarted
	}
	return publicError(s.txn.OverrideValidator(engine.Namespace{DB: db, Coll: coll}, validator))
}

// ClearValidatorOverride makes the transaction's writes to coll check the collection's own validator again.
func (s *Session) ClearValidatorOverride(db, coll string) {
	if s.txn != nil {
		s.txn.ClearValidatorOverride(engine.Namespace{DB: db, Coll: coll})
	}
}

// RollbackToSavepoint returns the transaction's writes to what they were at sp, which remains usable: the
// documents written since are as they were then, and the documents and unique keys they claimed are free for
// other writers at once; the collections the transaction created since are dropped again, as an abort drops
// them, and so are the indexes it created since on a collection it created before. The transaction keeps
// reading the snapshot it started with, and a failed one is usable again. Rolling back past a write to a capped
// collection fails with IllegalOperation (20).
func (s *Session) RollbackToSavepoint(sp *Savepoint) error {
	if s.ended {
		return ErrSessionEnded
	}
	if sp == nil || sp.s != s || s.state != txnInProgress || s.txn == nil {
		return ErrNoTransactionStarted
	}
	return publicError(s.txn.RollbackTo(sp.sp))
}

// WithTransaction backoff parameters (spec "Convenient API for
// Transactions").
const (
	txnBackoffInitial = 5 * time.Millisecond
	txnBackoffMax     = 500 * time.Millisecond
)

// txnBackoffCap is the longest sleep before transaction attempt number
// attempt+1: min(5ms * 1.5^attempt, 500ms), so 7.5 ms before the second
// attempt, 11.25 ms before the third, and 500 ms from the thirteenth on.
func txnBackoffCap(attempt int) time.Duration {
	limit := float64(txnBackoffInitial) * math.Pow(1.5, float64(attempt))
	return time.Duration(math.Min(limit, float64(txnBackoffMax)))
}

// withTransactionTimeout bounds WithTransaction's retries: twice MongoDB's
// default transaction lifetime, as the drivers do. A variable so that tests
// can shorten it.
var withTransactionTimeout = 120 * time.Second

// WithTransaction runs fn in a transaction and commits it, retrying as
// MongoDB's drivers do:
//
//   - when fn or the commit fails with an error labelled
//     TransientTransactionError (a write conflict, for instance) the
//     transaction is aborted and the whole of fn runs again in a new one,
//     after sleeping U[0,1) * min(5ms * 1.5^attempt, 500ms);
//   - when the commit fails with UnknownTransactionCommitResult (and not
//     MaxTimeMSExpired) only the commit is retried, at once;
//   - retrying stops after 120 seconds, returning the last error wrapped
//     (its labels still visible through errors.As).
//
// fn must use the context it is given for every operation of the
// transaction and may run several times, so it must not have other side
// effects it cannot repeat. Any other error from fn aborts the transaction
// and is returned as is, with fn's result. If fn commits or aborts the
// transaction itself, WithTransaction returns its result without committing.
// The session is left with no transaction in progress.
func (s *Session) WithTransaction(ctx context.Context, fn func(ctx context.Context) (any, error)) (any, error) {
	start := time.Now()
	timeout := withTransactionTimeout
	var lastErr error
	attempt := 0
retryTransaction:
	for {
		if attempt > 0 {
			backoff := time.Duration(rand.Float64() * float64(txnBackoffCap(attempt)))
			if time.Since(start)+backoff >= timeout {
				return nil, timeoutError(lastErr)
			}
			if err := sleepCtx(ctx, backoff); err != nil {
				return nil, fmt.Errorf("concord: WithTransaction: %w (last error: %w)", err, lastErr)
			}
		}
		if err := s.StartTransaction(); err != nil {
			return nil, err
		}
		attempt++
		res, err := fn(NewSessionContext(ctx, s))
		if err != nil {
			lastErr = err
			if s.TransactionRunning() {
				_ = s.AbortTransaction(ctx)
			}
			if IsTransientTransactionError(err) {
				if time.Since(start) < timeout {
					continue retryTransaction
				}
				return nil, timeoutError(err)
			}
			return res, err
		}
		if !s.TransactionRunning() {
			return res, nil // fn committed or aborted the transaction itself
		}
		if err := ctx.Err(); err != nil {
			// The commit cannot succeed: don't leave the transaction open.
			_ = s.AbortTransaction(ctx)
			return nil, err
		}
		for {
			err := s.CommitTransaction(ctx)
			if err == nil {
				return res, nil
			}
			lastErr = err
			if IsUnknownTransactionCommitResult(err) && !hasCode(err, codes.MaxTimeMSExpired) {
				if time.Since(start) >= timeout {
					return nil, timeoutError(err)
				}
				continue
			}
			if IsTransientTransactionError(err) {
				continue retryTransaction
			}
			if s.TransactionRunning() {
				// The engine says the commit did not happen: don't leave
				// the transaction holding its documents until it expires.
				_ = s.AbortTransaction(ctx)
			}
			return res, err
		}
	}
}

// WithTransaction runs fn in a transaction of a new session, with the
// retries of Session.WithTransaction, and ends the session.
func (db *DB) WithTransaction(ctx context.Context, fn func(ctx context.Context) (any, error)) (any, error) {
	s, err := db.StartSession()
	if err != nil {
		return nil, err
	}
	defer s.EndSession(ctx)
	return s.WithTransaction(ctx, fn)
}

// timeoutError reports that WithTransaction gave up; it wraps the last
// error so that its code and labels stay visible.
func timeoutError(last error) error {
	if last == nil {
		return errors.New("concord: WithTransaction timed out")
	}
	return fmt.Errorf("concord: WithTransaction timed out, last error: %w", last)
}

// sleepCtx sleeps for d unless ctx is done first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
