package concord

import (
	"errors"
	"fmt"
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Error is the one error type Concord returns for anything MongoDB would
// report with a code: a numeric Code, its CodeName(), a Message, the Labels a
// client uses to decide whether to retry, and KeyPattern/KeyValue on
// DuplicateKey errors. errors.Is matches two *Error values by code, so
//
//	errors.Is(err, &concord.Error{Code: 112})
//
// is true for any write conflict. Use errors.As (or the Is* helpers below) to
// reach it through wrapping.
type Error = codes.Error

// Code is a MongoDB error code such as 112 (WriteConflict) or 11000
// (DuplicateKey); compare Error.Code with numeric constants.
type Code = codes.Code

// Error labels Concord attaches, with MongoDB's names.
const (
	// TransientTransactionError marks an error after which the whole
	// transaction may be retried from its first statement: nothing of it was
	// committed.
	TransientTransactionError = codes.LabelTransientTransaction
	// UnknownTransactionCommitResult marks a commit error after which the
	// transaction may or may not have committed; retrying only the commit is
	// safe because a committed transaction commits again as a no-op.
	UnknownTransactionCommitResult = codes.LabelUnknownCommitResult
)

// ErrNoDocuments is returned by SingleResult methods when FindOne or a
// FindOneAndX operation matched no document (or, for an upsert that returns
// the document from before the write, when there was none).
var ErrNoDocuments = errors.New("concord: no documents in result")

// ErrClosed is returned by every operation on a DB after Close.
var ErrClosed = errors.New("concord: database is closed")

// Session state errors. They are returned before anything reaches the
// engine, so they never change the state of a transaction.
var (
	// ErrSessionEnded is returned when a session is used after EndSession.
	ErrSessionEnded = errors.New("concord: ended session was used")
	// ErrNoTransactionStarted is returned by CommitTransaction and
	// AbortTransaction when StartTransaction was not called.
	ErrNoTransactionStarted = errors.New("concord: no transaction started")
	// ErrTransactionInProgress is returned by StartTransaction while a
	// transaction is already in progress on the session.
	ErrTransactionInProgress = errors.New("concord: transaction already in progress")
	// ErrAbortAfterCommit is returned by AbortTransaction after
	// CommitTransaction.
	ErrAbortAfterCommit = errors.New("concord: cannot call abortTransaction after calling commitTransaction")
	// ErrAbortTwice is returned by a second AbortTransaction.
	ErrAbortTwice = errors.New("concord: cannot call abortTransaction twice")
	// ErrCommitAfterAbort is returned by CommitTransaction after
	// AbortTransaction.
	ErrCommitAfterAbort = errors.New("concord: cannot call commitTransaction after calling abortTransaction")
	// ErrWrongDB is returned when a context carries a session started on a
	// different DB than the collection being used.
	ErrWrongDB = errors.New("concord: session was not started by this DB")
)

// IsWriteConflict reports whether err is (or wraps) a WriteConflict (112).
// Outside a transaction Concord never returns one: the write waits and
// retries instead.
func IsWriteConflict(err error) bool { return hasCode(err, codes.WriteConflict) }

// IsDuplicateKey reports whether err is (or wraps) a DuplicateKey (11000),
// including a *BulkWriteError holding one.
func IsDuplicateKey(err error) bool { return hasCode(err, codes.DuplicateKey) }

// IsTransientTransactionError reports whether err carries the
// TransientTransactionError label: the transaction did not commit and may be
// retried as a whole.
func IsTransientTransactionError(err error) bool {
	return hasLabel(err, codes.LabelTransientTransaction)
}

// IsUnknownTransactionCommitResult reports whether err carries the
// UnknownTransactionCommitResult label: the commit may have applied.
func IsUnknownTransactionCommitResult(err error) bool {
	return hasLabel(err, codes.LabelUnknownCommitResult)
}

// hasCode walks err's tree (including a BulkWriteError's write errors).
func hasCode(err error, code codes.Code) bool {
	return errors.Is(err, &codes.Error{Code: code})
}

// hasLabel reports whether err wraps an *Error carrying label.
func hasLabel(err error, label string) bool {
	var e *codes.Error
	return errors.As(err, &e) && e.HasLabel(label)
}

// WriteError is one document's failure inside an InsertMany.
type WriteError struct {
	// Index is the position of the failed document in the slice passed to
	// InsertMany.
	Index int
	// Err is the failure, for example a DuplicateKey with KeyValue set.
	Err *Error
}

// BulkWriteError is returned by InsertMany when one or more documents could
// not be written. The other documents were written (an ordered insert stops
// at the first failure; an unordered one tries every document), and the
// result returned beside the error lists their ids. errors.As(err, &e) with
// e *Error finds the first write error, so IsDuplicateKey works on it.
type BulkWriteError struct {
	WriteErrors []WriteError
}

// Error lists every write error with its index.
func (e *BulkWriteError) Error() string {
	var b strings.Builder
	b.WriteString("concord: bulk write error: ")
	for i, we := range e.WriteErrors {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%d] %v", we.Index, we.Err)
	}
	return b.String()
}

// Unwrap exposes the write errors to errors.Is and errors.As.
func (e *BulkWriteError) Unwrap() []error {
	errs := make([]error, 0, len(e.WriteErrors))
	for _, we := range e.WriteErrors {
		if we.Err != nil {
			errs = append(errs, we.Err)
		}
	}
	return errs
}

// publicError returns err as callers of this package see it: a
// DuplicateKey's KeyPattern and KeyValue hold Go values (int32, string,
// bson.D, ...), as bson.Unmarshal gives them, rather than raw BSON values.
// The engine's error is copied, never changed.
func publicError(err error) error {
	e, ok := err.(*codes.Error)
	if !ok || (!hasRawValues(e.KeyPattern) && !hasRawValues(e.KeyValue)) {
		return err
	}
	c := *e
	c.KeyPattern = decodeValues(e.KeyPattern)
	c.KeyValue = decodeValues(e.KeyValue)
	return &c
}

// hasRawValues reports whether d holds undecoded BSON values.
func hasRawValues(d bson.D) bool {
	for _, e := range d {
		if _, ok := e.Value.(bson.RawValue); ok {
			return true
		}
	}
	return false
}

// decodeValues returns a copy of d with its BSON values decoded.
func decodeValues(d bson.D) bson.D {
	if d == nil {
		return nil
	}
	out := make(bson.D, len(d))
	for i, e := range d {
		out[i] = e
		if rv, ok := e.Value.(bson.RawValue); ok {
			out[i].Value = goValue(rv)
		}
	}
	return out
}
