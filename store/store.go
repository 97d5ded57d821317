// Package store is the small interface the integrity toolkit reaches data through, and its two implementations:
// Embedded, over an embedded *concord.DB, and Driver, over the official Go driver's *mongo.Client (Atlas, a replica
// set, a sharded cluster, or concord serve). Code written against Store runs unchanged on both.
//
// The interface holds what the toolkit needs and nothing more: a Collection with find, find-one, insert, update,
// replace, delete, the find-and-modify family and bulk writes, and a Session with manual transactions. Results are
// plain structs and raw BSON; errors keep their backend's type (*concord.Error or the driver's), and the Is*
// functions of this package classify both, so callers never branch on a backend.
package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Store is a deployment: its collections and its sessions. Implementations are safe for concurrent use.
type Store interface {
	// Collection returns a handle on the named collection of the named database. It creates nothing.
	Collection(database, name string) Collection
	// StartSession starts a session; end it with EndSession.
	StartSession(ctx context.Context) (Session, error)
}

// Session is a logical session that groups statements into multi-document transactions. It is not safe for
// concurrent use: run one operation at a time on it.
type Session interface {
	// StartTransaction starts a snapshot transaction. The statements run with Context(ctx) belong to it.
	StartTransaction() error
	// CommitTransaction commits the transaction. An error labelled UnknownTransactionCommitResult means the
	// commit may have applied and only the commit may be retried; TransientTransactionError means nothing was
	// committed and the whole transaction may be retried.
	CommitTransaction(ctx context.Context) error
	// AbortTransaction rolls the transaction back. Its errors may be ignored: afterwards the transaction is over.
	AbortTransaction(ctx context.Context) error
	// EndSession ends the session, aborting a transaction in progress.
	EndSession(ctx context.Context)
	// Context returns a context carrying the session: collection operations run with it run in the session,
	// inside its transaction when one is in progress.
	Context(ctx context.Context) context.Context
}

// Collection is a handle on one collection. It is safe for concurrent use. Documents, filters and updates accept
// anything bson.Marshal accepts; returned bson.Raw values are owned by the caller.
type Collection interface {
	// Database returns the name of the collection's database.
	Database() string
	// Name returns the collection's name.
	Name() string
	// FindOne returns the first document matching filter; ErrNoDocuments when none does.
	FindOne(ctx context.Context, filter any, opts *FindOptions) (bson.Raw, error)
	// Find returns every document matching filter.
	Find(ctx context.Context, filter any, opts *FindOptions) ([]bson.Raw, error)
	// InsertOne inserts doc and returns its _id. A taken _id fails with an error IsDuplicateKey recognises.
	InsertOne(ctx context.Context, doc any) (any, error)
	// UpdateOne applies the operator document update to the first document matching filter.
	UpdateOne(ctx context.Context, filter, update any, opts *UpdateOptions) (UpdateResult, error)
	// UpdateMany applies update to every document matching filter, each atomically.
	UpdateMany(ctx context.Context, filter, update any, opts *UpdateOptions) (UpdateResult, error)
	// ReplaceOne replaces the first document matching filter, keeping its _id.
	ReplaceOne(ctx context.Context, filter, replacement any, opts *UpdateOptions) (UpdateResult, error)
	// DeleteOne deletes the first document matching filter and returns how many it deleted (0 or 1).
	DeleteOne(ctx context.Context, filter any) (int64, error)
	// DeleteMany deletes every document matching filter and returns how many it deleted.
	DeleteMany(ctx context.Context, filter any) (int64, error)
	// FindOneAndUpdate atomically updates the first document matching filter and returns it before or after
	// the update (opts.ReturnAfter); ErrNoDocuments when nothing matched or the upserted document was asked
	// for before it existed.
	FindOneAndUpdate(ctx context.Context, filter, update any, opts *FindOneAndModifyOptions) (bson.Raw, error)
	// FindOneAndReplace is FindOneAndUpdate with a replacement document.
	FindOneAndReplace(ctx context.Context, filter, replacement any, opts *FindOneAndModifyOptions) (bson.Raw, error)
	// FindOneAndDelete atomically deletes the first document matching filter and returns it.
	FindOneAndDelete(ctx context.Context, filter any, opts *FindOneAndModifyOptions) (bson.Raw, error)
	// BulkWrite runs models in order. Like MongoDB's bulk write it is not atomic as a whole: each model is
	// atomic on its documents. Failed models are reported in a *BulkError beside the result of the others;
	// an ordered bulk stops at the first failure.
	BulkWrite(ctx context.Context, models []WriteModel, opts *BulkOptions) (BulkResult, error)
}

// FindOptions configures Find and FindOne. A nil *FindOptions means none.
type FindOptions struct {
	Sort       any
	Projection any
	Skip       int64
	// Limit caps the number of documents Find returns; 0 means no limit.
	Limit int64
}

// UpdateOptions configures UpdateOne, UpdateMany and ReplaceOne. A nil *UpdateOptions means none.
type UpdateOptions struct {
	// Upsert inserts a document built from the filter and the update when nothing matches.
	Upsert bool
}

// FindOneAndModifyOptions configures the find-and-modify family. A nil pointer means none.
type FindOneAndModifyOptions struct {
	// ReturnAfter returns the document as written instead of as it was before.
	ReturnAfter bool
	Upsert      bool
	Sort        any
	Projection  any
}

// UpdateResult reports an update or a replace.
type UpdateResult struct {
	Matched  int64
	Modified int64
	// UpsertedID is the _id of the document an upsert inserted, or nil.
	UpsertedID any
}

// Op names the kind of a WriteModel.
type Op int8

// The kinds of write a bulk write runs.
const (
	OpInsertOne Op = iota + 1
	OpUpdateOne
	OpUpdateMany
	OpReplaceOne
	OpDeleteOne
	OpDeleteMany
)

// WriteModel is one write of a bulk write.
type WriteModel struct {
	Op     Op
	Filter any
	// Document is the inserted document (OpInsertOne), the operator document (OpUpdateOne, OpUpdateMany) or the
	// replacement (OpReplaceOne).
	Document any
	Upsert   bool
}

// BulkOptions configures BulkWrite. A nil *BulkOptions means an ordered bulk write.
type BulkOptions struct {
	// Unordered tries every model and reports every failure instead of stopping at the first.
	Unordered bool
}

// BulkResult sums a bulk write's effects.
type BulkResult struct {
	Inserted, Matched, Modified, Deleted, Upserted int64
	// UpsertedIDs maps the index of each model that upserted to the _id it inserted.
	UpsertedIDs map[int]any
}
