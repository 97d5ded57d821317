package occ

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrConflict matches every *ConflictError: errors.Is(err, ErrConflict).
	ErrConflict = errors.New("occ: version conflict")
	// ErrNotFound matches every *NotFoundError: the document to write does not exist.
	ErrNotFound = errors.New("occ: document not found")
	// ErrRetriesExhausted is wrapped, beside the last attempt's error, by the error of a retry loop that gave up.
	ErrRetriesExhausted = errors.New("occ: retries exhausted")
)

// ConflictError reports a versioned write that matched nothing because the document moved on since the caller
// read it. Nothing was written. When Unknown is false, Current is the version read right after the failed write
// (0 for a document without a version field).
type ConflictError struct {
	// Collection is the namespace, "database.collection".
	Collection string
	// ID is the document's _id.
	ID any
	// Expected is the version the write was based on; 0 for an insert, which expects no document.
	Expected int64
	// Current is the version found after the write failed.
	Current int64
	// Unknown is true when Current could not be read (inside a transaction that the conflict aborted).
	Unknown bool
	// Paths lists the field paths that both this write and the other writer changed, when the base the write
	// was computed from is known (Modify, a unit of work); in field-level mode, the checked paths that moved.
	Paths []string
	// final marks the conflict of an insert (or a creating upsert) of an _id that exists: running the same
	// write again cannot succeed, so Retryable refuses it.
	final bool
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "occ: version conflict on %s _id %v: expected version %d", e.Collection, e.ID, e.Expected)
	if e.Unknown {
		b.WriteString(", current unknown")
	} else {
		fmt.Fprintf(&b, ", current %d", e.Current)
	}
	if len(e.Paths) > 0 {
		fmt.Fprintf(&b, " (paths %s)", strings.Join(e.Paths, ", "))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// NotFoundError reports a versioned write (other than an insert or upsert) whose document does not exist.
type NotFoundError struct {
	Collection string
	ID         any
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("occ: document not found in %s: _id %v", e.Collection, e.ID)
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
