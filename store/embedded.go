package store

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// Embedded returns a Store over an embedded Concord database. Closing db is the caller's business.
func Embedded(db *concord.DB) Store { return &embedded{db: db} }

type embedded struct{ db *concord.DB }

var (
	_ Store      = (*embedded)(nil)
	_ Session    = (*embeddedSession)(nil)
	_ Collection = (*embeddedCollection)(nil)
)

func (e *embedded) Collection(database, name string) Collection {
	return &embeddedCollection{c: e.db.Database(database).Collection(name), db: database}
}

func (e *embedded) StartSession(context.Context) (Session, error) {
	s, err := e.db.StartSession()
	if err != nil {
		return nil, err
	}
	return &embeddedSession{s: s}, nil
}

// DB returns the embedded database a Store made by Embedded runs on, or nil for another Store.
func DB(s Store) *concord.DB {
	if e, ok := s.(*embedded); ok {
		return e.db
	}
	return nil
}

type embeddedSession struct{ s *concord.Session }

func (s *embeddedSession) StartTransaction() error { return s.s.StartTransaction() }
func (s *embeddedSession) CommitTransaction(ctx context.Context) error {
	return s.s.CommitTransaction(ctx)
}
func (s *embeddedSession) AbortTransaction(ctx context.Context) error {
	return s.s.AbortTransaction(ctx)
}
func (s *embeddedSession) EndSession(ctx context.Context) { s.s.EndSession(ctx) }
func (s *embeddedSession) Context(ctx context.Context) context.Context {
	return concord.NewSessionContext(ctx, s.s)
}

type embeddedCollection struct {
	c  *concord.Collection
	db string
}

func (c *embeddedCollection) Database() string { return c.db }
func (c *embeddedCollection) Name() string     { return c.c.Name() }

func (c *embeddedCollection) FindOne(ctx context.Context, filter any, opts *FindOptions) (bson.Raw, error) {
	var o concord.FindOneOptions
	if opts != nil {
		o = concord.FindOneOptions{Sort: opts.Sort, Projection: opts.Projection, Skip: opts.Skip}
	}
	return single(c.c.FindOne(ctx, filter, &o))
}

func (c *embeddedCollection) Find(ctx context.Context, filter any, opts *FindOptions) ([]bson.Raw, error) {
	var o concord.FindOptions
	if opts != nil {
		o = concord.FindOptions{Sort: opts.Sort, Projection: opts.Projection, Skip: opts.Skip, Limit: opts.Limit}
	}
	cur, err := c.c.Find(ctx, filter, &o)
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var docs []bson.Raw
	for cur.Next(ctx) {
		docs = append(docs, cur.Current)
	}
	return docs, cur.Err()
}

func (c *embeddedCollection) InsertOne(ctx context.Context, doc any) (any, error) {
	res, err := c.c.InsertOne(ctx, doc)
	if err != nil {
		return nil, err
	}
	return res.InsertedID, nil
}

func (c *embeddedCollection) UpdateOne(ctx context.Context, filter, update any, opts *UpdateOptions) (UpdateResult, error) {
	return updateResult(c.c.UpdateOne(ctx, filter, update, &concord.UpdateOptions{Upsert: opts != nil && opts.Upsert}))
}

func (c *embeddedCollection) UpdateMany(ctx context.Context, filter, update any, opts *UpdateOptions) (UpdateResult, error) {
	return updateResult(c.c.UpdateMany(ctx, filter, update, &concord.UpdateOptions{Upsert: opts != nil && opts.Upsert}))
}

func (c *embeddedCollection) ReplaceOne(ctx context.Context, filter, replacement any, opts *UpdateOptions) (UpdateResult, error) {
	return updateResult(c.c.ReplaceOne(ctx, filter, replacement, &concord.ReplaceOptions{Upsert: opts != nil && opts.Upsert}))
}

func (c *embeddedCollection) DeleteOne(ctx context.Context, filter any) (int64, error) {
	res, err := c.c.DeleteOne(ctx, filter)
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

func (c *embeddedCollection) DeleteMany(ctx context.Context, filter any) (int64, error) {
	res, err := c.c.DeleteMany(ctx, filter)
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

func (c *embeddedCollection) FindOneAndUpdate(ctx context.Context, filter, update any, opts *FindOneAndModifyOptions) (bson.Raw, error) {
	var o concord.FindOneAndUpdateOptions
	if opts != nil {
		o = concord.FindOneAndUpdateOptions{ReturnDocument: returnDocument(opts.ReturnAfter), Upsert: opts.Upsert, Sort: opts.Sort, Projection: opts.Projection}
	}
	return single(c.c.FindOneAndUpdate(ctx, filter, update, &o))
}

func (c *embeddedCollection) FindOneAndReplace(ctx context.Context, filter, replacement any, opts *FindOneAndModifyOptions) (bson.Raw, error) {
	var o concord.FindOneAndReplaceOptions
	if opts != nil {
		o = concord.FindOneAndReplaceOptions{ReturnDocument: returnDocument(opts.ReturnAfter), Upsert: opts.Upsert, Sort: opts.Sort, Projection: opts.Projection}
	}
	return single(c.c.FindOneAndReplace(ctx, filter, replacement, &o))
}

func (c *embeddedCollection) FindOneAndDelete(ctx context.Context, filter any, opts *FindOneAndModifyOptions) (bson.Raw, error) {
	var o concord.FindOneAndDeleteOptions
	if opts != nil {
		o = concord.FindOneAndDeleteOptions{Sort: opts.Sort, Projection: opts.Projection}
	}
	return single(c.c.FindOneAndDelete(ctx, filter, &o))
}

// BulkWrite runs the models one after the other: the embedded API has no bulk command, and a bulk write is not
// atomic in MongoDB either.
func (c *embeddedCollection) BulkWrite(ctx context.Context, models []WriteModel, opts *BulkOptions) (BulkResult, error) {
	var res BulkResult
	var failed []BulkItemError
	for i, m := range models {
		err := c.bulkOne(ctx, i, m, &res)
		if err == nil {
			continue
		}
		failed = append(failed, BulkItemError{Index: i, Err: err})
		if opts == nil || !opts.Unordered {
			break
		}
		// In a transaction the first failure has aborted it: later models could only fail the same way.
		if s := concord.SessionFromContext(ctx); s != nil && s.TransactionRunning() {
			break
		}
	}
	if failed != nil {
		return res, &BulkError{Errors: failed}
	}
	return res, nil
}

// bulkOne runs model i of a bulk write and adds its effects to res.
func (c *embeddedCollection) bulkOne(ctx context.Context, i int, m WriteModel, res *BulkResult) error {
	var (
		ur  UpdateResult
		err error
	)
	opts := &UpdateOptions{Upsert: m.Upsert}
	switch m.Op {
	case OpInsertOne:
		if _, err = c.InsertOne(ctx, m.Document); err == nil {
			res.Inserted++
		}
		return err
	case OpDeleteOne, OpDeleteMany:
		var n int64
		if m.Op == OpDeleteOne {
			n, err = c.DeleteOne(ctx, m.Filter)
		} else {
			n, err = c.DeleteMany(ctx, m.Filter)
		}
		res.Deleted += n
		return err
	case OpUpdateOne:
		ur, err = c.UpdateOne(ctx, m.Filter, m.Document, opts)
	case OpUpdateMany:
		ur, err = c.UpdateMany(ctx, m.Filter, m.Document, opts)
	case OpReplaceOne:
		ur, err = c.ReplaceOne(ctx, m.Filter, m.Document, opts)
	default:
		return errors.New("store: unknown write model op")
	}
	if err != nil {
		return err
	}
	res.Matched += ur.Matched
	res.Modified += ur.Modified
	if ur.UpsertedID != nil {
		res.Upserted++
		if res.UpsertedIDs == nil {
			res.UpsertedIDs = map[int]any{}
		}
		res.UpsertedIDs[i] = ur.UpsertedID
	}
	return nil
}

func returnDocument(after bool) concord.ReturnDocument {
	if after {
		return concord.After
	}
	return concord.Before
}

// single reads a SingleResult's document, mapping concord.ErrNoDocuments to ErrNoDocuments.
func single(r *concord.SingleResult) (bson.Raw, error) {
	raw, err := r.Raw()
	if errors.Is(err, concord.ErrNoDocuments) {
		return nil, ErrNoDocuments
	}
	return raw, err
}

func updateResult(r *concord.UpdateResult, err error) (UpdateResult, error) {
	if err != nil {
		return UpdateResult{}, err
	}
	return UpdateResult{Matched: r.MatchedCount, Modified: r.ModifiedCount, UpsertedID: r.UpsertedID}, nil
}
