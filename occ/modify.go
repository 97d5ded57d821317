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
	res, _, err := c.WriteDiff(ctx, Diff{ID: id, Version: version, Base: base, Mine: mine, FieldLevel: c.opts.FieldLevel})
	return res, err
}

// Diff is a versioned update given as two versions of a document: the base the caller read and the caller's
// edited copy. WriteDiff sends only the difference.
type Diff struct {
	// ID is the document's _id; Version the version Base was read at.
	ID      any
	Version int64
	// Base and Mine are the document before and after the caller's edit. Fields absent from both are left
	// alone; a field present in Base and absent from Mine is unset.
	Base, Mine bson.Raw
	// FieldLevel checks the base values of the changed fields instead of the version. Only a true base (what
	// the caller read and edited) may be checked this way: a base read later would hide what others changed.
	FieldLevel bool
	// ReturnDocument asks for the document as written.
	ReturnDocument bool
}

// WriteDiff writes the difference from d.Base to d.Mine as one versioned update and returns the versions and,
// when asked for, the document as written. Nothing changed, nothing is written (and the document returned is
// nil).
func (c *Collection) WriteDiff(ctx context.Context, d Diff) (Result, bson.Raw, error) {
	ch := diff(d.Base, d.Mine, c.skip)
	if len(ch.paths) == 0 {
		return Result{PreviousVersion: d.Version, NewVersion: d.Version, Attempts: 1}, nil, nil
	}
	w := &write{kind: writeUpdate, id: d.ID, expected: d.Version, update: ch.update(), base: d.Base, paths: ch.paths, returnDoc: d.ReturnDocument}
	if d.FieldLevel {
		w.check = fieldChecks(d.Base, ch.paths)
	}
	res, err := c.exec(ctx, w)
	return res, w.after, err
}
