package occ

import (
	"context"
	"errors"
	"fmt"
)

// Mode is how Batch groups its writes.
type Mode int8

const (
	// AllOrNothing runs the batch in one transaction (WithTransaction): if any document conflicts or is
	// missing, nothing is written, and the report still lists every document's outcome.
	AllOrNothing Mode = iota
	// Independent writes each document on its own: the report lists successes and failures side by side.
	Independent
)

// BatchItem is one document of a batch.
type BatchItem struct {
	// ID is the document's _id.
	ID any
	// Version is the version the change is based on; 0 reads the current version just before the write (in
	// the transaction, for AllOrNothing).
	Version int64
	// Update is the operator document to apply; it must not touch the version field.
	Update any
}

// Status is the outcome of one document of a batch.
type Status int8

const (
	// NotAttempted: the batch stopped before this document (its context ended, or, in AllOrNothing mode, a
	// store error other than a version conflict aborted the transaction).
	NotAttempted Status = iota
	// Updated: the document was updated, once.
	Updated
	// Conflict: the document's version was not the expected one; it was not touched.
	Conflict
	// NotFound: there is no document with this _id.
	NotFound
	// RolledBack: the write succeeded inside an AllOrNothing transaction that another document's failure
	// rolled back; nothing was written.
	RolledBack
	// Failed: the write failed with ItemReport.Err.
	Failed
)

var statusNames = [...]string{"not attempted", "updated", "version conflict", "not found", "rolled back", "failed"}

func (s Status) String() string { return statusNames[s] }

// ItemReport is the outcome of one document.
type ItemReport struct {
	ID     any
	Status Status
	// Expected is the version the write was based on; Current is the version after the write when Updated,
	// and the version found when Conflict.
	Expected, Current int64
	// Err is the error of a Failed document.
	Err error
}

// BatchReport lists the outcome of every document, in input order.
type BatchReport struct {
	Items []ItemReport
}

// Count returns the number of documents with status s.
func (r *BatchReport) Count(s Status) int {
	n := 0
	for _, it := range r.Items {
		if it.Status == s {
			n++
		}
	}
	return n
}

// errRollback makes WithTransaction abort a batch transaction without retrying it.
var errRollback = errors.New("occ: batch rolled back")

// Batch applies a versioned update to each item and reports each document's outcome. The report is exact under
// contention: a document reported Updated was updated once, one reported Conflict or RolledBack was not touched.
// The error is nil when the report is the whole story, including conflicts; it is set when the batch could not
// run to its end (a store error, the context ending), and the report then says how far it got.
func (c *Collection) Batch(ctx context.Context, items []BatchItem, mode Mode) (*BatchReport, error) {
	if mode == Independent {
		r := &BatchReport{Items: make([]ItemReport, len(items))}
		for i, it := range items {
			// A failed document does not stop the others; a done context does.
			if err := c.batchOne(ctx, it, &r.Items[i]); err != nil && ctx.Err() != nil {
				return r, err
			}
		}
		return r, nil
	}
	r := &BatchReport{Items: make([]ItemReport, len(items))}
	err := WithTransaction(ctx, c.st, func(ctx context.Context) error {
		r = &BatchReport{Items: make([]ItemReport, len(items))}
		failed := false
		for i, it := range items {
			if err := c.batchOne(ctx, it, &r.Items[i]); err != nil {
				return err
			}
			failed = failed || r.Items[i].Status != Updated
		}
		if failed {
			return errRollback
		}
		return nil
	}, &TxnOptions{Metrics: c.opts.Metrics})
	if errors.Is(err, errRollback) {
		for i := range r.Items {
			if r.Items[i].Status == Updated {
				r.Items[i].Status, r.Items[i].Current = RolledBack, r.Items[i].Expected
			}
		}
		return r, nil
	}
	if err != nil {
		// The transaction did not commit: whatever its last run reported, nothing was written.
		for i := range r.Items {
			if r.Items[i].Status == Updated {
				r.Items[i].Status = RolledBack
			}
		}
	}
	return r, err
}

// batchOne writes one item and fills in its report. It returns an error only when the batch must stop: a
// transient transaction error (which WithTransaction retries) or a failure of the store.
func (c *Collection) batchOne(ctx context.Context, it BatchItem, rep *ItemReport) error {
	rep.ID, rep.Expected = it.ID, it.Version
	if rep.Expected == 0 {
		_, v, err := c.FindByID(ctx, it.ID)
		if errors.Is(err, ErrNotFound) {
			rep.Status = NotFound
			return nil
		}
		if err != nil {
			rep.Status, rep.Err = Failed, err
			return err
		}
		rep.Expected = v
	}
	res, err := c.UpdateOne(ctx, it.ID, rep.Expected, it.Update)
	var ce *ConflictError
	switch {
	case err == nil:
		rep.Status, rep.Current = Updated, res.NewVersion
	case errors.As(err, &ce):
		rep.Status, rep.Current = Conflict, ce.Current
	case errors.Is(err, ErrNotFound):
		rep.Status = NotFound
	default:
		rep.Status, rep.Err = Failed, err
		return fmt.Errorf("occ: batch stopped at _id %v: %w", it.ID, err)
	}
	return nil
}
