package concord

import (
	"context"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// InsertOne inserts doc. A document without _id gets a new ObjectID, which
// the result reports. A document whose _id (or a unique index key) is taken
// fails with a *Error of code DuplicateKey (11000) carrying KeyPattern and
// KeyValue.
func (c *Collection) InsertOne(ctx context.Context, doc any) (*InsertOneResult, error) {
	raw, err := toDoc(doc, "document")
	if err != nil {
		return nil, err
	}
	raw, id, err := ensureID(raw)
	if err != nil {
		return nil, err
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.db.eng.Insert(ctx, t, c.ns, []bson.Raw{raw}, true, st)
	if err == nil && len(res.WriteErrors) > 0 {
		err = res.WriteErrors[0].Err
	}
	if err != nil {
		return nil, stmtError(t, err)
	}
	return &InsertOneResult{InsertedID: goValue(id)}, nil
}

// InsertMany inserts docs in order. Documents without _id get a new
// ObjectID. When some documents fail (a duplicate key, say) it returns a
// *BulkWriteError listing them beside a result holding the ids of the
// documents that were written; an ordered insert (the default) stops at
// the first failure, an unordered one tries every document. Inside a
// transaction any failure aborts the transaction.
func (c *Collection) InsertMany(ctx context.Context, docs []any, opts ...*InsertManyOptions) (*InsertManyResult, error) {
	if len(docs) == 0 {
		return nil, codes.New(codes.BadValue, "must provide at least one element in input slice")
	}
	ordered := mergeInsertMany(opts)
	raws := make([]bson.Raw, len(docs))
	for i, d := range docs {
		raw, err := toDoc(d, "document")
		if err != nil {
			return nil, err
		}
		if raws[i], _, err = ensureID(raw); err != nil {
			return nil, err
		}
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.db.eng.Insert(ctx, t, c.ns, raws, ordered, st)
	if err != nil {
		return nil, stmtError(t, err)
	}
	out := &InsertManyResult{InsertedIDs: make([]any, len(res.InsertedIDs))}
	for i, id := range res.InsertedIDs {
		out.InsertedIDs[i] = goValue(id)
	}
	if len(res.WriteErrors) > 0 {
		bwe := &BulkWriteError{WriteErrors: make([]WriteError, len(res.WriteErrors))}
		for i, we := range res.WriteErrors {
			bwe.WriteErrors[i] = WriteError{Index: we.Index, Err: we.Err}
			if e, ok := publicError(we.Err).(*codes.Error); ok {
				bwe.WriteErrors[i].Err = e
			}
		}
		if t != nil && t.State() == engine.TxnActive && !t.KeepsOnError() {
			_ = t.Abort()
		}
		return out, bwe
	}
	return out, nil
}

// UpdateOne applies update, an operator document such as
// bson.D{{"$set", bson.D{{"x", 1}}}}, to the first document matching
// filter. A document without operators is rejected with FailedToParse (9);
// use ReplaceOne to replace a document.
func (c *Collection) UpdateOne(ctx context.Context, filter, update any, opts ...*UpdateOptions) (*UpdateResult, error) {
	return c.update(ctx, filter, update, false, opts)
}

// UpdateMany applies update to every document matching filter. Each
// document is updated atomically, not the set: outside a transaction
// another writer may act between two of them.
func (c *Collection) UpdateMany(ctx context.Context, filter, update any, opts ...*UpdateOptions) (*UpdateResult, error) {
	return c.update(ctx, filter, update, true, opts)
}

// update encodes and checks the arguments of UpdateOne and UpdateMany.
func (c *Collection) update(ctx context.Context, filter, update any, multi bool, opts []*UpdateOptions) (*UpdateResult, error) {
	o := mergeUpdate(opts)
	spec := engine.UpdateSpec{Upsert: o.Upsert, Multi: multi}
	var err error
	if spec.Filter, err = toFilter(filter); err != nil {
		return nil, err
	}
	if spec.Update, spec.Pipeline, err = toUpdate(update); err != nil {
		return nil, err
	}
	if spec.ArrayFilters, err = toDocs(o.ArrayFilters, "array filter"); err != nil {
		return nil, err
	}
	if !multi {
		if spec.Sort, err = toOptionalDoc(o.Sort, "sort"); err != nil {
			return nil, err
		}
	}
	if spec.Collation, err = c.collationFor(o.Collation); err != nil {
		return nil, err
	}
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return nil, err
	}
	return c.runUpdate(ctx, spec)
}

// ReplaceOne replaces the first document matching filter with
// replacement, keeping its _id. A replacement containing update operators
// is rejected with BadValue (2).
func (c *Collection) ReplaceOne(ctx context.Context, filter, replacement any, opts ...*ReplaceOptions) (*UpdateResult, error) {
	o := mergeReplace(opts)
	spec := engine.UpdateSpec{Upsert: o.Upsert}
	var err error
	if spec.Filter, err = toFilter(filter); err != nil {
		return nil, err
	}
	if spec.Update, err = toReplacement(replacement); err != nil {
		return nil, err
	}
	if spec.Sort, err = toOptionalDoc(o.Sort, "sort"); err != nil {
		return nil, err
	}
	if spec.Collation, err = c.collationFor(o.Collation); err != nil {
		return nil, err
	}
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return nil, err
	}
	return c.runUpdate(ctx, spec)
}

// runUpdate runs an encoded update or replacement and converts its result.
func (c *Collection) runUpdate(ctx context.Context, spec engine.UpdateSpec) (*UpdateResult, error) {
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.db.eng.Update(ctx, t, c.ns, spec, st)
	if err != nil {
		return nil, stmtError(t, err)
	}
	out := &UpdateResult{MatchedCount: res.Matched, ModifiedCount: res.Modified}
	if res.UpsertedID.Type != 0 {
		out.UpsertedCount = 1
		out.UpsertedID = goValue(res.UpsertedID)
	}
	return out, nil
}

// DeleteOne deletes the first document matching filter.
func (c *Collection) DeleteOne(ctx context.Context, filter any, opts ...*DeleteOptions) (*DeleteResult, error) {
	return c.delete(ctx, filter, false, opts)
}

// DeleteMany deletes every document matching filter (nil deletes all).
func (c *Collection) DeleteMany(ctx context.Context, filter any, opts ...*DeleteOptions) (*DeleteResult, error) {
	return c.delete(ctx, filter, true, opts)
}

// delete is DeleteOne (multi false) and DeleteMany.
func (c *Collection) delete(ctx context.Context, filter any, multi bool, opts []*DeleteOptions) (*DeleteResult, error) {
	f, err := toFilter(filter)
	if err != nil {
		return nil, err
	}
	o := mergeDelete(opts)
	coll, err := c.collationFor(o.Collation)
	if err != nil {
		return nil, err
	}
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return nil, err
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	n, err := c.db.eng.DeleteWith(ctx, t, c.ns, engine.DeleteSpec{Filter: f, Multi: multi, Collation: coll}, st)
	if err != nil {
		return nil, stmtError(t, err)
	}
	return &DeleteResult{DeletedCount: n}, nil
}

// FindOneAndUpdate atomically updates the first document matching filter
// (in opts.Sort order) and returns it as it was before (default) or after
// the update. Its Err is ErrNoDocuments when nothing matched, and also for
// an upsert's insert when the document before is asked for; ModifyInfo
// tells the cases apart.
func (c *Collection) FindOneAndUpdate(ctx context.Context, filter, update any, opts ...*FindOneAndUpdateOptions) *SingleResult {
	o := mergeFindOneAndUpdate(opts)
	spec, err := c.famSpec(filter, o.Sort, o.Projection, o.Collation)
	if err != nil {
		return &SingleResult{err: err}
	}
	if spec.Update, spec.Pipeline, err = toUpdate(update); err != nil {
		return &SingleResult{err: err}
	}
	if spec.ArrayFilters, err = toDocs(o.ArrayFilters, "array filter"); err != nil {
		return &SingleResult{err: err}
	}
	spec.Upsert, spec.ReturnNew = o.Upsert, o.ReturnDocument == After
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return &SingleResult{err: err}
	}
	return c.findAndModify(ctx, spec)
}

// FindOneAndReplace atomically replaces the first document matching filter
// (in opts.Sort order), keeping its _id, and returns it as it was before
// (default) or after. Results are reported as for FindOneAndUpdate.
func (c *Collection) FindOneAndReplace(ctx context.Context, filter, replacement any, opts ...*FindOneAndReplaceOptions) *SingleResult {
	o := mergeFindOneAndReplace(opts)
	spec, err := c.famSpec(filter, o.Sort, o.Projection, o.Collation)
	if err != nil {
		return &SingleResult{err: err}
	}
	if spec.Update, err = toReplacement(replacement); err != nil {
		return &SingleResult{err: err}
	}
	spec.Upsert, spec.ReturnNew = o.Upsert, o.ReturnDocument == After
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return &SingleResult{err: err}
	}
	return c.findAndModify(ctx, spec)
}

// FindOneAndDelete atomically deletes the first document matching filter
// (in opts.Sort order) and returns it; ErrNoDocuments when nothing matched.
func (c *Collection) FindOneAndDelete(ctx context.Context, filter any, opts ...*FindOneAndDeleteOptions) *SingleResult {
	o := mergeFindOneAndDelete(opts)
	spec, err := c.famSpec(filter, o.Sort, o.Projection, o.Collation)
	if err != nil {
		return &SingleResult{err: err}
	}
	spec.Remove = true
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return &SingleResult{err: err}
	}
	return c.findAndModify(ctx, spec)
}

// famSpec encodes the arguments the FindOneAndX methods share.
func (c *Collection) famSpec(filter, sort, projection, coll any) (engine.FindAndModifySpec, error) {
	fs, err := findSpec(filter, sort, projection)
	if err != nil {
		return engine.FindAndModifySpec{}, err
	}
	cl, err := c.collationFor(coll)
	if err != nil {
		return engine.FindAndModifySpec{}, err
	}
	return engine.FindAndModifySpec{Filter: fs.Filter, Sort: fs.Sort, Fields: fs.Projection, Collation: cl}, nil
}

// findAndModify runs a findAndModify and keeps its lastErrorObject in the
// SingleResult; a nil document is ErrNoDocuments.
func (c *Collection) findAndModify(ctx context.Context, spec engine.FindAndModifySpec) *SingleResult {
	t, st, err := c.begin(ctx)
	if err != nil {
		return &SingleResult{err: err}
	}
	res, err := c.db.eng.FindAndModify(ctx, t, c.ns, spec, st)
	if err != nil {
		return &SingleResult{err: stmtError(t, err)}
	}
	r := &SingleResult{doc: res.Doc, n: res.N, updatedExisting: res.UpdatedExisting, upsertedID: res.UpsertedID}
	if res.Doc == nil {
		r.err = ErrNoDocuments
	}
	return r
}

// LockForUpdate locks, for the transaction of ctx's session, the documents whose _id is one of ids, as SQL's
// SELECT ... FOR UPDATE does, without changing them. Until that transaction ends (committed or not), another
// transaction's write to one of them, or its LockForUpdate of one, fails with a WriteConflict (112, labelled
// TransientTransactionError), and a write outside a transaction waits for it; a document another transaction
// committed after this one's snapshot cannot be locked either (WriteConflict). A WriteConflict aborts the
// transaction, as any failed statement in one does. So two transactions that lock the same documents before
// deciding what to write run one after the other, or one fails and retries: no write skew between them.
//
// With skipLocked, documents another transaction holds are skipped instead of failing (SKIP LOCKED), and
// locked[i] reports whether ids[i] is now held. Outside a transaction it locks nothing (a statement's locks
// would end with it) and reports every id as locked.
func (c *Collection) LockForUpdate(ctx context.Context, ids []any, skipLocked bool) (locked []bool, err error) {
	t, _, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	raw := make([]bson.RawValue, len(ids))
	for i, id := range ids {
		if rv, ok := id.(bson.RawValue); ok {
			raw[i] = rv
			continue
		}
		typ, data, err := bson.MarshalValue(id)
		if err != nil {
			return nil, err
		}
		raw[i] = bson.RawValue{Type: typ, Value: data}
	}
	locked, err = c.db.eng.LockForUpdate(ctx, t, c.ns, raw, skipLocked)
	if err != nil {
		return nil, stmtError(t, err)
	}
	return locked, nil
}
