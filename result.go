package concord

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// InsertOneResult is the result of InsertOne.
type InsertOneResult struct {
	// InsertedID is the document's _id as a Go value: the bson.ObjectID
	// generated for a document that had none, or the caller's own _id decoded
	// the way the driver decodes it (string, int32, bson.D, ...).
	InsertedID any
}

// InsertManyResult is the result of InsertMany.
type InsertManyResult struct {
	// InsertedIDs holds the _id of every document written, in input order.
	// When InsertMany also returns a *BulkWriteError, the failed documents
	// (and, for an ordered insert, the ones after the first failure) are
	// missing from it.
	InsertedIDs []any
}

// UpdateResult is the result of UpdateOne, UpdateMany and ReplaceOne.
type UpdateResult struct {
	// MatchedCount is the number of documents the filter matched.
	MatchedCount int64
	// ModifiedCount excludes matched documents the update left unchanged.
	ModifiedCount int64
	// UpsertedCount is 1 when the upsert inserted a document, else 0.
	UpsertedCount int64
	// UpsertedID is the _id of the inserted document, nil if none.
	UpsertedID any
}

// DeleteResult is the result of DeleteOne and DeleteMany.
type DeleteResult struct {
	DeletedCount int64
}

// CollectionStats summarizes a collection, as collStats does.
type CollectionStats struct {
	// Count is the number of documents.
	Count int64
	// Size is the total size of the documents in bytes.
	Size int64
	// NIndexes counts the indexes, _id's included.
	NIndexes int
}

// SingleResult is the result of FindOne and the FindOneAndX methods. Its
// error, if any, is reported by Err, Decode and Raw; when nothing was found
// that error is ErrNoDocuments. A SingleResult is not meant for concurrent
// use, but its methods only read it.
type SingleResult struct {
	doc bson.Raw
	err error

	// findAndModify's lastErrorObject.
	n               int64
	updatedExisting bool
	upsertedID      bson.RawValue
}

// Err returns the operation's error: nil, ErrNoDocuments, or the failure.
func (r *SingleResult) Err() error { return r.err }

// Decode unmarshals the document into v (see bson.Unmarshal).
func (r *SingleResult) Decode(v any) error {
	if r.err != nil {
		return r.err
	}
	return bson.Unmarshal(r.doc, v)
}

// Raw returns the document. The bytes belong to the caller and stay valid;
// do not modify them if the SingleResult is shared.
func (r *SingleResult) Raw() (bson.Raw, error) {
	if r.err != nil {
		return nil, r.err
	}
	return r.doc, nil
}

// ModifyInfo returns findAndModify's lastErrorObject for the FindOneAndX
// methods: n, the number of documents matched (or 1 when an upsert
// inserted), whether an existing document was updated, and the _id of an
// upserted document (Type 0 when none). It is set even when Err is
// ErrNoDocuments, which a FindOneAndUpdate with upsert and ReturnDocument
// Before reports for the document it inserted.
func (r *SingleResult) ModifyInfo() (n int64, updatedExisting bool, upsertedID bson.RawValue) {
	return r.n, r.updatedExisting, r.upsertedID
}
