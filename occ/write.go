package occ

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/store"
)

type writeKind int8

const (
	writeInsert writeKind = iota
	writeUpdate
	writeReplace
	writeDelete
)

// write is one versioned write. Every write of the package (the Collection methods, Modify, Batch, and the
// units of work built on them) fills one in and hands it to exec, the only place that builds the version check,
// so that no write path can forget it.
type write struct {
	kind writeKind
	id   any
	// expected is the version the write is based on. For an update with upsert, 0 means "no document yet".
	expected int64
	// check, in field-level mode, replaces the version condition: the base values of the changed fields.
	check bson.D
	// update is the operator document of writeUpdate, without the version; doc the document of writeInsert and
	// the replacement of writeReplace.
	update, doc bson.D
	upsert      bool
	// returnDoc asks for the document as written, left in after.
	returnDoc bool
	after     bson.Raw
	// base and paths, when known, are the document the change was computed from and the paths it changes:
	// a conflict then reports the paths both sides changed.
	base  bson.Raw
	paths []string
	// op names the write in the version history when it is not the kind's own name ("revert").
	op string
}

// filter returns the write's filter: {_id, version: expected}, or the field-level check instead of the version.
func (c *Collection) filter(w *write) bson.D {
	f := bson.D{{Key: "_id", Value: w.id}}
	switch {
	case w.check != nil:
		f = append(f, w.check...)
	case w.expected == 0:
		// Version 0 is "not versioned yet": an upsert creating the document, or a document written before it
		// was versioned (the write gives it version 1).
		f = append(f, bson.E{Key: c.opts.VersionField, Value: bson.D{{Key: "$exists", Value: false}}})
	default:
		f = append(f, bson.E{Key: c.opts.VersionField, Value: w.expected})
	}
	return f
}

// stampUpdate returns w.update with the version increment and the audit stamps added.
func (c *Collection) stampUpdate(ctx context.Context, w *write) bson.D {
	u := addField(w.update, "$inc", c.opts.VersionField, int64(1))
	if !c.opts.Audit {
		return u
	}
	now, user := bson.NewDateTimeFromTime(c.opts.Now()), userOf(ctx)
	u = addField(u, "$set", "lastModified", now)
	if user != "" {
		u = addField(u, "$set", "modifiedBy", user)
	}
	if w.upsert {
		u = addField(u, "$setOnInsert", "createdAt", now)
		if user != "" {
			u = addField(u, "$setOnInsert", "createdBy", user)
		}
	}
	return u
}

// stampDoc returns w.doc carrying version v and the audit stamps (the created ones only when created).
func (c *Collection) stampDoc(ctx context.Context, w *write, v int64, created bool) bson.D {
	d := setD(w.doc, c.opts.VersionField, v)
	if !c.opts.Audit {
		return d
	}
	now, user := bson.NewDateTimeFromTime(c.opts.Now()), userOf(ctx)
	if created {
		d = setD(d, "createdAt", now)
		if user != "" {
			d = setD(d, "createdBy", user)
		}
	}
	d = setD(d, "lastModified", now)
	if user != "" {
		d = setD(d, "modifiedBy", user)
	}
	return d
}

// exec runs w. It returns the versions on success and, when the write matched nothing, a *ConflictError or a
// *NotFoundError built from the document as it is now. With a version history, the write and its history entry
// are made in one transaction (the caller's, inside WithTransaction).
func (c *Collection) exec(ctx context.Context, w *write) (Result, error) {
	if c.hist == nil {
		return c.execOne(ctx, w)
	}
	var res Result
	err := c.recorded(ctx, func(ctx context.Context) error {
		if w.kind == writeUpdate {
			w.returnDoc = true // the entry holds the document as written
		}
		r, err := c.execOne(ctx, w)
		if err != nil {
			return err
		}
		res = r
		return c.record(ctx, w, r)
	})
	return res, err
}

// execOne runs w alone.
func (c *Collection) execOne(ctx context.Context, w *write) (Result, error) {
	res := Result{PreviousVersion: w.expected, NewVersion: w.expected + 1, Attempts: 1}
	switch w.kind {
	case writeInsert:
		res = Result{NewVersion: 1, Attempts: 1}
		if inTransaction(ctx) {
			// In a transaction a duplicate key aborts the transaction, and the conflict could no longer be
			// read: look first. A concurrent insert of the same _id is then a write conflict, retried.
			if _, _, err := c.FindByID(ctx, w.id); !errors.Is(err, ErrNotFound) {
				if err != nil {
					return Result{}, err
				}
				return Result{}, c.fail(ctx, w)
			}
		}
		doc := c.stampDoc(ctx, w, 1, true)
		w.after = nil
		if c.hist != nil {
			raw, err := bson.Marshal(append(bson.D{{Key: "_id", Value: w.id}}, withoutKey(doc, "_id")...))
			if err != nil {
				return Result{}, err
			}
			w.after = raw
		}
		_, err := c.c.InsertOne(ctx, doc)
		if err != nil && store.IsDuplicateKey(err) {
			if cerr := c.fail(ctx, w); !errors.Is(cerr, ErrNotFound) {
				return Result{}, cerr
			}
			// The _id is free: the duplicate is on another unique index.
		}
		if err != nil {
			return Result{}, err
		}
		return res, nil

	case writeUpdate:
		filter, update := c.filter(w), c.stampUpdate(ctx, w)
		if w.upsert && w.expected == 0 {
			res = Result{NewVersion: 1, Attempts: 1}
		}
		// In field-level mode the version may have moved since the base: ask for the version written.
		if w.returnDoc || w.check != nil {
			opts := &store.FindOneAndModifyOptions{ReturnAfter: true, Upsert: w.upsert}
			if !w.returnDoc {
				opts.Projection = bson.D{{Key: c.opts.VersionField, Value: 1}}
			}
			doc, err := c.c.FindOneAndUpdate(ctx, filter, update, opts)
			if errors.Is(err, store.ErrNoDocuments) || (w.upsert && store.IsDuplicateKey(err)) {
				return Result{}, c.fail(ctx, w)
			}
			if err != nil {
				return Result{}, err
			}
			w.after = doc
			res.NewVersion = versionOf(doc, c.opts.VersionField)
			return res, nil
		}
		ur, err := c.c.UpdateOne(ctx, filter, update, &store.UpdateOptions{Upsert: w.upsert})
		if w.upsert && store.IsDuplicateKey(err) {
			return Result{}, c.fail(ctx, w)
		}
		if err != nil {
			return Result{}, err
		}
		if ur.Matched == 0 && ur.UpsertedID == nil {
			return Result{}, c.fail(ctx, w)
		}
		return res, nil

	case writeReplace:
		doc := c.stampDoc(ctx, w, w.expected+1, false)
		if c.hist != nil {
			raw, err := bson.Marshal(append(bson.D{{Key: "_id", Value: w.id}}, withoutKey(doc, "_id")...))
			if err != nil {
				return Result{}, err
			}
			w.after = raw
		}
		ur, err := c.c.ReplaceOne(ctx, c.filter(w), doc, nil)
		if err != nil {
			return Result{}, err
		}
		if ur.Matched == 0 {
			return Result{}, c.fail(ctx, w)
		}
		return res, nil

	case writeDelete:
		n, err := c.c.DeleteOne(ctx, c.filter(w))
		if err != nil {
			return Result{}, err
		}
		if n == 0 {
			return Result{}, c.fail(ctx, w)
		}
		return Result{PreviousVersion: w.expected, Attempts: 1}, nil
	}
	panic("occ: unknown write kind")
}

// fail explains a write that matched nothing: the document is gone (*NotFoundError), or it is there with
// another version or other field values (*ConflictError, counted in the metrics).
func (c *Collection) fail(ctx context.Context, w *write) error {
	var opts *store.FindOptions
	if w.base == nil {
		opts = &store.FindOptions{Projection: bson.D{{Key: c.opts.VersionField, Value: 1}}}
	}
	cur, err := c.c.FindOne(ctx, bson.D{{Key: "_id", Value: w.id}}, opts)
	if errors.Is(err, store.ErrNoDocuments) {
		return &NotFoundError{Collection: c.ns, ID: w.id}
	}
	ce := &ConflictError{Collection: c.ns, ID: w.id, Expected: w.expected, final: w.kind == writeInsert || (w.upsert && w.expected == 0)}
	if err != nil {
		ce.Unknown = true
	} else {
		ce.Current = versionOf(cur, c.opts.VersionField)
		if w.base != nil {
			ce.Paths = overlapping(w.paths, changedPaths(w.base, cur, c.skip))
		}
	}
	c.opts.Metrics.add(c.ns, func(m *Counters) { m.Conflicts++ })
	return ce
}

// skip reports the top-level fields a diff leaves alone: _id, the version and the audit stamps, which the
// pipeline owns.
func (c *Collection) skip(key string) bool {
	switch key {
	case "_id", c.opts.VersionField:
		return true
	case "createdAt", "createdBy", "lastModified", "modifiedBy":
		return c.opts.Audit
	}
	return false
}
