package occ

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Modify is the versioned read-modify-write: it reads the document with _id id, decodes it into a T, calls fn
// on it, and writes the fields fn changed ($set / $unset of the difference, never a whole replace, so fields
// T does not hold and fields fn did not touch are never overwritten) with the version check and the version
// increment in the same write. Nothing changed, nothing is written.
//
// A conflict re-runs the whole read-modify-write after the backoff of Options.Retry, so fn may run several
// times: it must compute its change from the T it is given and have no other effects it cannot repeat. Inside
// WithTransaction, Modify makes a single attempt and leaves the retry to the transaction. Result.Attempts says
// how many times fn ran. A missing document is ErrNotFound; an error from fn is returned as is and nothing is
// written.
func Modify[T any](ctx context.Context, c *Collection, id any, fn func(*T) error) (Result, error) {
	if inTransaction(ctx) {
		return modifyOnce(ctx, c, id, fn)
	}
	var res Result
	attempts, err := c.opts.Retry.Do(ctx, c.opts.Metrics, c.ns, func(ctx context.Context) error {
		r, err := modifyOnce(ctx, c, id, fn)
		res = r
		return err
	})
	res.Attempts = attempts
	return res, err
}

// modifyOnce is one attempt of Modify.
func modifyOnce[T any](ctx context.Context, c *Collection, id any, fn func(*T) error) (Result, error) {
	doc, version, err := c.FindByID(ctx, id)
	if err != nil {
		return Result{}, err
	}
	var v T
	if err := bson.Unmarshal(doc, &v); err != nil {
		return Result{}, err
	}
	// The base is the document as T sees it, so that fields T does not hold are absent from both sides of the
	// diff and left alone.
	base, err := bson.Marshal(v)
	if err != nil {
		return Result{}, err
	}
	if err := fn(&v); err != nil {
		return Result{}, err
	}
	mine, err := bson.Marshal(v)
	if err != nil {
		return Result{}, err
	}
	return c.writeChanges(ctx, id, version, base, mine)
}

// writeChanges writes the difference from base (at version) to mine as one versioned update.
func (c *Collection) writeChanges(ctx context.Context, id any, version int64, base, mine bson.Raw) (Result, error) {
	ch := diff(base, mine, c.skip)
	if len(ch.paths) == 0 {
		return Result{PreviousVersion: version, NewVersion: version, Attempts: 1}, nil
	}
	w := &write{kind: writeUpdate, id: id, expected: version, update: ch.update(), base: base, paths: ch.paths}
	if c.opts.FieldLevel {
		w.check = fieldChecks(base, ch.paths)
	}
	return c.exec(ctx, w)
}
