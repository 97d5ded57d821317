package store

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Driver returns a Store over a MongoDB deployment reached through the official Go driver. Transactions need a
// replica set or a sharded cluster (or concord serve). Disconnecting client is the caller's business.
func Driver(client *mongo.Client) Store { return &driver{client: client} }

type driver struct{ client *mongo.Client }

var (
	_ Store      = (*driver)(nil)
	_ Session    = (*driverSession)(nil)
	_ Collection = (*driverCollection)(nil)
)

func (d *driver) Collection(database, name string) Collection {
	return &driverCollection{c: d.client.Database(database).Collection(name)}
}

func (d *driver) StartSession(context.Context) (Session, error) {
	s, err := d.client.StartSession()
	if err != nil {
		return nil, err
	}
	return &driverSession{s: s}, nil
}

type driverSession struct{ s *mongo.Session }

func (s *driverSession) StartTransaction() error { return s.s.StartTransaction() }
func (s *driverSession) CommitTransaction(ctx context.Context) error {
	return s.s.CommitTransaction(ctx)
}
func (s *driverSession) AbortTransaction(ctx context.Context) error { return s.s.AbortTransaction(ctx) }
func (s *driverSession) EndSession(ctx context.Context)             { s.s.EndSession(ctx) }
func (s *driverSession) Context(ctx context.Context) context.Context {
	return mongo.NewSessionContext(ctx, s.s)
}

type driverCollection struct{ c *mongo.Collection }

func (c *driverCollection) Database() string { return c.c.Database().Name() }
func (c *driverCollection) Name() string     { return c.c.Name() }

func (c *driverCollection) FindOne(ctx context.Context, filter any, opts *FindOptions) (bson.Raw, error) {
	o := options.FindOne()
	if opts != nil {
		if opts.Sort != nil {
			o.SetSort(opts.Sort)
		}
		if opts.Projection != nil {
			o.SetProjection(opts.Projection)
		}
		if opts.Skip != 0 {
			o.SetSkip(opts.Skip)
		}
	}
	return driverSingle(c.c.FindOne(ctx, orEmpty(filter), o))
}

func (c *driverCollection) Find(ctx context.Context, filter any, opts *FindOptions) ([]bson.Raw, error) {
	o := options.Find()
	if opts != nil {
		if opts.Sort != nil {
			o.SetSort(opts.Sort)
		}
		if opts.Projection != nil {
			o.SetProjection(opts.Projection)
		}
		if opts.Skip != 0 {
			o.SetSkip(opts.Skip)
		}
		if opts.Limit != 0 {
			o.SetLimit(opts.Limit)
		}
	}
	cur, err := c.c.Find(ctx, orEmpty(filter), o)
	if err != nil {
		return nil, err
	}
	defer cur.Close(ctx)
	var docs []bson.Raw
	for cur.Next(ctx) {
		// Current's bytes are reused by the next batch: copy them.
		docs = append(docs, append(bson.Raw(nil), cur.Current...))
	}
	return docs, cur.Err()
}

func (c *driverCollection) InsertOne(ctx context.Context, doc any) (any, error) {
	res, err := c.c.InsertOne(ctx, doc)
	if err != nil {
		return nil, err
	}
	return res.InsertedID, nil
}

func (c *driverCollection) UpdateOne(ctx context.Context, filter, update any, opts *UpdateOptions) (UpdateResult, error) {
	return driverUpdateResult(c.c.UpdateOne(ctx, orEmpty(filter), update, options.UpdateOne().SetUpsert(opts != nil && opts.Upsert)))
}

func (c *driverCollection) UpdateMany(ctx context.Context, filter, update any, opts *UpdateOptions) (UpdateResult, error) {
	return driverUpdateResult(c.c.UpdateMany(ctx, orEmpty(filter), update, options.UpdateMany().SetUpsert(opts != nil && opts.Upsert)))
}

func (c *driverCollection) ReplaceOne(ctx context.Context, filter, replacement any, opts *UpdateOptions) (UpdateResult, error) {
	return driverUpdateResult(c.c.ReplaceOne(ctx, orEmpty(filter), replacement, options.Replace().SetUpsert(opts != nil && opts.Upsert)))
}

func (c *driverCollection) DeleteOne(ctx context.Context, filter any) (int64, error) {
	res, err := c.c.DeleteOne(ctx, orEmpty(filter))
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

func (c *driverCollection) DeleteMany(ctx context.Context, filter any) (int64, error) {
	res, err := c.c.DeleteMany(ctx, orEmpty(filter))
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

func (c *driverCollection) FindOneAndUpdate(ctx context.Context, filter, update any, opts *FindOneAndModifyOptions) (bson.Raw, error) {
	o := options.FindOneAndUpdate()
	if opts != nil {
		o.SetUpsert(opts.Upsert)
		if opts.ReturnAfter {
			o.SetReturnDocument(options.After)
		}
		if opts.Sort != nil {
			o.SetSort(opts.Sort)
		}
		if opts.Projection != nil {
			o.SetProjection(opts.Projection)
		}
	}
	return driverSingle(c.c.FindOneAndUpdate(ctx, orEmpty(filter), update, o))
}

func (c *driverCollection) FindOneAndReplace(ctx context.Context, filter, replacement any, opts *FindOneAndModifyOptions) (bson.Raw, error) {
	o := options.FindOneAndReplace()
	if opts != nil {
		o.SetUpsert(opts.Upsert)
		if opts.ReturnAfter {
			o.SetReturnDocument(options.After)
		}
		if opts.Sort != nil {
			o.SetSort(opts.Sort)
		}
		if opts.Projection != nil {
			o.SetProjection(opts.Projection)
		}
	}
	return driverSingle(c.c.FindOneAndReplace(ctx, orEmpty(filter), replacement, o))
}

func (c *driverCollection) FindOneAndDelete(ctx context.Context, filter any, opts *FindOneAndModifyOptions) (bson.Raw, error) {
	o := options.FindOneAndDelete()
	if opts != nil {
		if opts.Sort != nil {
			o.SetSort(opts.Sort)
		}
		if opts.Projection != nil {
			o.SetProjection(opts.Projection)
		}
	}
	return driverSingle(c.c.FindOneAndDelete(ctx, orEmpty(filter), o))
}

func (c *driverCollection) BulkWrite(ctx context.Context, models []WriteModel, opts *BulkOptions) (BulkResult, error) {
	wm := make([]mongo.WriteModel, len(models))
	for i, m := range models {
		switch m.Op {
		case OpInsertOne:
			wm[i] = mongo.NewInsertOneModel().SetDocument(m.Document)
		case OpUpdateOne:
			wm[i] = mongo.NewUpdateOneModel().SetFilter(orEmpty(m.Filter)).SetUpdate(m.Document).SetUpsert(m.Upsert)
		case OpUpdateMany:
			wm[i] = mongo.NewUpdateManyModel().SetFilter(orEmpty(m.Filter)).SetUpdate(m.Document).SetUpsert(m.Upsert)
		case OpReplaceOne:
			wm[i] = mongo.NewReplaceOneModel().SetFilter(orEmpty(m.Filter)).SetReplacement(m.Document).SetUpsert(m.Upsert)
		case OpDeleteOne:
			wm[i] = mongo.NewDeleteOneModel().SetFilter(orEmpty(m.Filter))
		case OpDeleteMany:
			wm[i] = mongo.NewDeleteManyModel().SetFilter(orEmpty(m.Filter))
		default:
			return BulkResult{}, errors.New("store: unknown write model op")
		}
	}
	res, err := c.c.BulkWrite(ctx, wm, options.BulkWrite().SetOrdered(opts == nil || !opts.Unordered))
	var out BulkResult
	if res != nil {
		out = BulkResult{Inserted: res.InsertedCount, Matched: res.MatchedCount, Modified: res.ModifiedCount,
			Deleted: res.DeletedCount, Upserted: res.UpsertedCount}
		for i, id := range res.UpsertedIDs {
			if out.UpsertedIDs == nil {
				out.UpsertedIDs = map[int]any{}
			}
			out.UpsertedIDs[int(i)] = id
		}
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		be := &BulkError{}
		for _, we := range bwe.WriteErrors {
			be.Errors = append(be.Errors, BulkItemError{Index: we.Index, Err: we})
		}
		return out, be
	}
	return out, err
}

// orEmpty turns a nil filter into the empty document the driver insists on.
func orEmpty(filter any) any {
	if filter == nil {
		return bson.D{}
	}
	return filter
}

// driverSingle reads a SingleResult's document, mapping mongo.ErrNoDocuments to ErrNoDocuments.
func driverSingle(r *mongo.SingleResult) (bson.Raw, error) {
	raw, err := r.Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, ErrNoDocuments
	}
	return raw, err
}

func driverUpdateResult(r *mongo.UpdateResult, err error) (UpdateResult, error) {
	if err != nil {
		return UpdateResult{}, err
	}
	return UpdateResult{Matched: r.MatchedCount, Modified: r.ModifiedCount, UpsertedID: r.UpsertedID}, nil
}
