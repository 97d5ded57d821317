package store

import (
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/concorddb/concord"
)

// ErrNoDocuments is returned by FindOne and the find-and-modify family when no document matched.
var ErrNoDocuments = errors.New("store: no documents in result")

// Error labels MongoDB attaches, with their names.
const (
	// LabelTransientTransaction marks an error after which the whole transaction may be retried: nothing of it
	// was committed.
	LabelTransientTransaction = "TransientTransactionError"
	// LabelUnknownCommitResult marks a commit error after which the commit may or may not have applied; only
	// the commit may be retried.
	LabelUnknownCommitResult = "UnknownTransactionCommitResult"
)

// HasLabel reports whether err (or an error it wraps) carries the error label, on either backend.
func HasLabel(err error, label string) bool {
	var ce *concord.Error
	if errors.As(err, &ce) && ce.HasLabel(label) {
		return true
	}
	var le mongo.LabeledError
	return errors.As(err, &le) && le.HasErrorLabel(label)
}

// IsTransientTransactionError reports whether err carries the TransientTransactionError label.
func IsTransientTransactionError(err error) bool { return HasLabel(err, LabelTransientTransaction) }

// IsUnknownTransactionCommitResult reports whether err carries the UnknownTransactionCommitResult label.
func IsUnknownTransactionCommitResult(err error) bool { return HasLabel(err, LabelUnknownCommitResult) }

// IsDuplicateKey reports whether err is (or holds) a DuplicateKey error (11000), on either backend.
func IsDuplicateKey(err error) bool {
	var be *BulkError
	if errors.As(err, &be) {
		for _, e := range be.Errors {
			if IsDuplicateKey(e.Err) {
				return true
			}
		}
		return false
	}
	return concord.IsDuplicateKey(err) || mongo.IsDuplicateKeyError(err)
}

// BulkError lists the models of a bulk write that failed; the others were written (up to the first failure for
// an ordered bulk write).
type BulkError struct {
	Errors []BulkItemError
}

// BulkItemError is the failure of one model of a bulk write.
type BulkItemError struct {
	// Index is the model's position in the input.
	Index int
	Err   error
}

// Error lists every failure with its index.
func (e *BulkError) Error() string {
	var b strings.Builder
	b.WriteString("store: bulk write failed:")
	for _, ie := range e.Errors {
		fmt.Fprintf(&b, " [%d] %v;", ie.Index, ie.Err)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Unwrap exposes the failures to errors.Is and errors.As.
func (e *BulkError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, ie := range e.Errors {
		errs[i] = ie.Err
	}
	return errs
}
