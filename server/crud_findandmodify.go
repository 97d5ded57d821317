package server

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// handleFindAndModify runs findAndModify: {findAndModify, query, sort, remove, update, new, fields, upsert,
// arrayFilters}. Reply {lastErrorObject: {n, updatedExisting?, upserted?}, value}; value is the document before the
// write, after it with new:true, or null. Every failure, DuplicateKey included, fails the command.
func handleFindAndModify(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	reply, returned, err := runFindAndModify(ctx, s, req, a, collName)
	if s.profiler.on(req.DB) {
		st := req.Stats
		if st != nil && returned {
			st.NReturned = 1
		}
		s.profileRecord(ctx, req, profileRecord{op: "command", ns: namespace, command: req.Body, st: st,
			started: started, err: err, responseLength: replyLength(reply)})
	}
	return reply, err
}

// runFindAndModify runs the command; returned reports whether the reply carries a document.
func runFindAndModify(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName string) (reply bson.D, returned bool, err error) {
	query, err := a.doc("query")
	if err != nil {
		return nil, false, err
	}
	if query == nil {
		query = emptyDoc
	}
	sortDoc, err := a.doc("sort")
	if err != nil {
		return nil, false, err
	}
	fields, err := a.doc("fields")
	if err != nil {
		return nil, false, err
	}
	remove, err := a.boolean("remove", false)
	if err != nil {
		return nil, false, err
	}
	returnNew, err := a.boolean("new", false)
	if err != nil {
		return nil, false, err
	}
	upsert, err := a.boolean("upsert", false)
	if err != nil {
		return nil, false, err
	}
	var arrayFilters []any
	if a.has("arrayFilters") {
		fs, err := a.docArray("arrayFilters")
		if err != nil {
			return nil, false, err
		}
		for _, f := range fs {
			arrayFilters = append(arrayFilters, f)
		}
	}
	update := a.raw("update")
	hasUpdate := a.has("update")
	if hasUpdate && update.Type != bson.TypeEmbeddedDocument && update.Type != bson.TypeArray {
		return nil, false, wrongType(req.Name, "update", update, "types '[object, array]'")
	}
	switch {
	case remove && hasUpdate:
		return nil, false, codes.New(codes.FailedToParse, "Cannot specify both an update and remove=true")
	case !remove && !hasUpdate:
		return nil, false, codes.New(codes.FailedToParse, "Either an update or remove=true must be specified")
	case remove && upsert:
		return nil, false, codes.New(codes.FailedToParse, "Cannot specify both upsert=true and remove=true ")
	case remove && returnNew:
		return nil, false, codes.New(codes.FailedToParse, "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document")
	case remove && a.has("arrayFilters"):
		return nil, false, codes.New(codes.FailedToParse, "Cannot specify arrayFilters and remove=true")
	}
	var sort, projection any
	if sortDoc != nil {
		sort = sortDoc
	}
	if fields != nil {
		projection = fields
	}
	returnDoc := concord.Before
	if returnNew {
		returnDoc = concord.After
	}
	if err := s.transactionalWritePoint(req); err != nil {
		return nil, false, err
	}
	coll := s.database(req.DB).Collection(collName)
	var res *concord.SingleResult
	switch {
	case remove:
		res = coll.FindOneAndDelete(ctx, query, &concord.FindOneAndDeleteOptions{Sort: sort, Projection: projection})
	case update.Type == bson.TypeArray: // a pipeline-style update
		res = coll.FindOneAndUpdate(ctx, query, bson.RawArray(update.Value), &concord.FindOneAndUpdateOptions{
			ReturnDocument: returnDoc, Upsert: upsert, Sort: sort, Projection: projection, ArrayFilters: arrayFilters})
	case isReplacement(update.Document()):
		if arrayFilters != nil {
			return nil, false, codes.New(codes.FailedToParse, "arrayFilters may not be specified for replacement-style updates")
		}
		res = coll.FindOneAndReplace(ctx, query, update.Document(), &concord.FindOneAndReplaceOptions{
			ReturnDocument: returnDoc, Upsert: upsert, Sort: sort, Projection: projection})
	default:
		res = coll.FindOneAndUpdate(ctx, query, update.Document(), &concord.FindOneAndUpdateOptions{
			ReturnDocument: returnDoc, Upsert: upsert, Sort: sort, Projection: projection, ArrayFilters: arrayFilters})
	}
	doc, err := res.Raw()
	if err != nil && !errors.Is(err, concord.ErrNoDocuments) {
		return nil, false, commandError(err)
	}
	n, updatedExisting, upsertedID := res.ModifyInfo()
	return findAndModifyReply(int64(n), updatedExisting, upsertedID, remove, doc), doc != nil, nil
}

// findAndModifyReply is findAndModify's reply: {lastErrorObject: {n, updatedExisting?, upserted?}, value}, with
// value null when no document is returned. A retry after a restart rebuilds it from the session record
// (replyFromRecord).
func findAndModifyReply(n int64, updatedExisting bool, upsertedID bson.RawValue, remove bool, doc bson.Raw) bson.D {
	leo := bson.D{{Key: "n", Value: int32(n)}}
	if !remove {
		leo = append(leo, bson.E{Key: "updatedExisting", Value: updatedExisting})
		if upsertedID.Type != 0 {
			leo = append(leo, bson.E{Key: "upserted", Value: upsertedID})
		}
	}
	var value any // null when nothing is returned
	if doc != nil {
		value = doc
	}
	return bson.D{{Key: "lastErrorObject", Value: leo}, {Key: "value", Value: value}}
}

// isFindAndModify reports whether name is findAndModify, which mongod also accepts in lower case.
func isFindAndModify(name string) bool {
	return name == "findAndModify" || name == "findandmodify"
}
