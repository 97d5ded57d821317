package occ

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/store"
)

// Options configures a Collection. A nil *Options, and the zero value of each field, mean the defaults.
type Options struct {
	// VersionField names the version field; "version" by default (Spring users want "_version", Mongoose users
	// "__v").
	VersionField string
	// FieldLevel makes Modify check the base values of the fields it changes instead of the version, so that
	// concurrent edits to different fields of one document both succeed. The version is still incremented.
	// Values compare as MongoDB's $eq compares them: a concurrent change of 1 to 1.0 goes unnoticed.
	FieldLevel bool
	// Audit stamps createdAt and createdBy on insert, lastModified and modifiedBy on every write; the user is
	// the one WithUser put in the context (the *By fields are left out when there is none).
	Audit bool
	// Now is the clock of the audit stamps; time.Now by default.
	Now func() time.Time
	// Retry is Modify's retry policy (see Retry for the defaults; NoRetry for a single attempt).
	Retry *Retry
	// Metrics receives the collection's counts; DefaultMetrics by default.
	Metrics *Metrics
	// History, when set, keeps every version the collection's versioned writes make in a history collection,
	// each entry written in the same transaction as its write (see History).
	History *HistoryOptions
}

// Result reports a versioned write.
type Result struct {
	// PreviousVersion is the version the write was based on (0 for an insert).
	PreviousVersion int64
	// NewVersion is the version the document has after the write (0 after a delete). It equals
	// PreviousVersion when Modify found nothing to change and wrote nothing.
	NewVersion int64
	// Attempts is the number of times the caller's function ran (1 for the single-write methods).
	Attempts int
}

// Collection writes versioned documents to one collection. It is safe for concurrent use.
type Collection struct {
	st   store.Store
	c    store.Collection
	ns   string
	opts Options
	hist store.Collection // the history collection, nil without a history
}

// New returns a versioned handle on the named collection of st.
func New(st store.Store, database, name string, opts *Options) *Collection {
	c := &Collection{st: st, c: st.Collection(database, name), ns: database + "." + name}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.VersionField == "" {
		c.opts.VersionField = "version"
	}
	if c.opts.Now == nil {
		c.opts.Now = time.Now
	}
	if c.opts.Metrics == nil {
		c.opts.Metrics = DefaultMetrics
	}
	if h := c.opts.History; h != nil {
		name := h.Collection
		if name == "" {
			name = c.c.Name() + "_history"
		}
		c.hist = st.Collection(database, name)
	}
	return c
}

// Store returns the store the collection belongs to.
func (c *Collection) Store() store.Store { return c.st }

// Unversioned returns the plain store handle on the same collection, for reads and for writes that bypass the
// version check on purpose.
func (c *Collection) Unversioned() store.Collection { return c.c }

// Namespace returns "database.collection".
func (c *Collection) Namespace() string { return c.ns }

// VersionField returns the name of the version field.
func (c *Collection) VersionField() string { return c.opts.VersionField }

// Metrics returns the counters the collection reports to.
func (c *Collection) Metrics() *Metrics { return c.opts.Metrics }

// Options returns the collection's options with the defaults filled in.
func (c *Collection) Options() Options { return c.opts }

// Insert inserts doc as version 1 (with the audit stamps when asked for), giving it a new ObjectID _id if it
// has none, and returns Result{NewVersion: 1}. A document with the same _id already there is a *ConflictError
// with Expected 0, not a duplicate-key error; a duplicate key on another unique index is returned as is.
func (c *Collection) Insert(ctx context.Context, doc any) (Result, error) {
	d, err := toD(doc)
	if err != nil {
		return Result{}, err
	}
	id, ok := lookupD(d, "_id")
	if !ok {
		id = bson.NewObjectID()
		d = append(bson.D{{Key: "_id", Value: id}}, d...)
	}
	return c.exec(ctx, &write{kind: writeInsert, id: id, doc: d})
}

// UpdateOne applies the operator document update to the document with _id id if its version is still
// expected, incrementing the version in the same write. The update must not touch the version field. Expected
// 0 stands for a document without a version field (written before it was versioned): the write gives it
// version 1.
func (c *Collection) UpdateOne(ctx context.Context, id any, expected int64, update any) (Result, error) {
	u, err := toD(update)
	if err != nil {
		return Result{}, err
	}
	return c.exec(ctx, &write{kind: writeUpdate, id: id, expected: expected, update: u})
}

// Upsert is UpdateOne that may create the document: with expected 0 it inserts the document built from id and
// update as version 1 if there is none, and is a *ConflictError if one exists; with expected > 0 it is
// UpdateOne.
func (c *Collection) Upsert(ctx context.Context, id any, expected int64, update any) (Result, error) {
	u, err := toD(update)
	if err != nil {
		return Result{}, err
	}
	return c.exec(ctx, &write{kind: writeUpdate, id: id, expected: expected, update: u, upsert: expected == 0})
}

// ReplaceOne replaces the document with _id id by replacement if its version is still expected; the
// replacement is stored with version expected+1. Audit mode stamps lastModified and modifiedBy; createdAt and
// createdBy survive only if the replacement carries them.
func (c *Collection) ReplaceOne(ctx context.Context, id any, expected int64, replacement any) (Result, error) {
	d, err := toD(replacement)
	if err != nil {
		return Result{}, err
	}
	return c.exec(ctx, &write{kind: writeReplace, id: id, expected: expected, doc: d})
}

// FindOneAndUpdate is UpdateOne returning the document as written.
func (c *Collection) FindOneAndUpdate(ctx context.Context, id any, expected int64, update any) (bson.Raw, Result, error) {
	u, err := toD(update)
	if err != nil {
		return nil, Result{}, err
	}
	w := &write{kind: writeUpdate, id: id, expected: expected, update: u, returnDoc: true}
	res, err := c.exec(ctx, w)
	return w.after, res, err
}

// Touch increments the version of the document with _id id if it is still expected, changing nothing else:
// it makes concurrent writers based on expected fail, and reports a conflict if one already won.
func (c *Collection) Touch(ctx context.Context, id any, expected int64) (Result, error) {
	return c.exec(ctx, &write{kind: writeUpdate, id: id, expected: expected})
}

// DeleteOne deletes the document with _id id if its version is still expected.
func (c *Collection) DeleteOne(ctx context.Context, id any, expected int64) (Result, error) {
	return c.exec(ctx, &write{kind: writeDelete, id: id, expected: expected})
}

// FindByID returns the document with _id id and its version; ErrNotFound (a *NotFoundError) when there is none.
func (c *Collection) FindByID(ctx context.Context, id any) (bson.Raw, int64, error) {
	doc, err := c.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, nil)
	if errors.Is(err, store.ErrNoDocuments) {
		return nil, 0, &NotFoundError{Collection: c.ns, ID: id}
	}
	if err != nil {
		return nil, 0, err
	}
	return doc, versionOf(doc, c.opts.VersionField), nil
}

// userKey is the context key of WithUser.
type userKey struct{}

// WithUser returns a context whose versioned writes are stamped as made by user (Options.Audit).
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

func userOf(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

// UserFrom returns the user WithUser put in ctx, or "".
func UserFrom(ctx context.Context) string { return userOf(ctx) }
