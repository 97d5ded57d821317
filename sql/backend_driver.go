package sql

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// NewDriverEngine returns an Engine over a MongoDB deployment reached
// through the official Go driver (a replica set, a sharded cluster, Atlas,
// or `concord serve`): the same statements as over an embedded DB, with
// transaction blocks run as the driver's session transactions (snapshot
// read concern, majority write concern). Transactions need a replica set
// or a sharded cluster. The client stays the caller's to disconnect.
func NewDriverEngine(client *mongo.Client) *Engine {
	return newEngine(driverBackend{client})
}

// driverBackend is the backend of a *mongo.Client. Its errors are turned
// into *concord.Error values (code, message, labels, duplicate key), so that
// AsError maps both backends' errors to the same SQLSTATEs.
type driverBackend struct{ c *mongo.Client }

var _ backend = driverBackend{}

func (d driverBackend) database(name string) backendDB { return driverDB{d.c.Database(name)} }

// catalogGeneration: a deployment's catalog changes are not seen here, so
// nothing read from it is cached.
func (d driverBackend) catalogGeneration() (uint64, bool) { return 0, false }

// catalogInTransactions: MongoDB refuses writes to system collections in a transaction.
func (d driverBackend) catalogInTransactions() bool { return false }

// computedFields is false: MongoDB has no computed fields.
func (d driverBackend) computedFields() bool { return false }

func (d driverBackend) listDatabaseNames(ctx context.Context) ([]string, error) {
	names, err := d.c.ListDatabaseNames(ctx, bson.D{})
	return names, driverError(err)
}

// txnOptions are the options of every transaction: a snapshot, as Concord's
// transactions read, and majority writes, so that a commit survives a
// failover.
func txnOptions() *options.TransactionOptionsBuilder {
	return options.Transaction().SetReadConcern(readconcern.Snapshot()).SetWriteConcern(writeconcern.Majority())
}

// observeWaits returns ctx: a MongoDB deployment does not say whom a write waits for.
func (d driverBackend) observeWaits(ctx context.Context, _ func(any, bool)) context.Context {
	return ctx
}

func (d driverBackend) begin(ctx context.Context, _ any) (backendTxn, error) {
	sess, err := d.c.StartSession()
	if err != nil {
		return nil, driverError(err)
	}
	if err := sess.StartTransaction(txnOptions()); err != nil {
		sess.EndSession(ctx)
		return nil, driverError(err)
	}
	return driverTxn{sess}, nil
}

func (d driverBackend) withTransaction(ctx context.Context, fn func(ctx context.Context) error) error {
	sess, err := d.c.StartSession()
	if err != nil {
		return driverError(err)
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		return nil, fn(ctx)
	}, txnOptions())
	return driverError(err)
}

type driverTxn struct{ s *mongo.Session }

func (t driverTxn) context(ctx context.Context) context.Context {
	return mongo.NewSessionContext(ctx, t.s)
}

func (t driverTxn) commit(ctx context.Context) error {
	err := t.s.CommitTransaction(ctx)
	t.s.EndSession(ctx)
	return driverError(err)
}

func (t driverTxn) abort(ctx context.Context) {
	_ = t.s.AbortTransaction(ctx)
	t.s.EndSession(ctx)
}

// savepoint is refused: MongoDB's transactions cannot return to a point inside them.
func (t driverTxn) savepoint() (any, error) {
	return nil, unsupported("SAVEPOINT on concord sql --mongodb-uri (MongoDB's transactions have no savepoints)")
}

func (t driverTxn) overrideValidator(string, string, bson.D, bool) error {
	return unsupported("changing a table's validator in a transaction block on concord sql --mongodb-uri")
}

func (t driverTxn) rollbackTo(any) error {
	return unsupported("ROLLBACK TO SAVEPOINT on concord sql --mongodb-uri")
}

type driverDB struct{ d *mongo.Database }

func (d driverDB) collection(name string) backendColl { return driverColl{d.d.Collection(name)} }

func (d driverDB) drop(ctx context.Context) error { return driverError(d.d.Drop(ctx)) }

func (d driverDB) listCollectionNames(ctx context.Context, filter bson.D) ([]string, error) {
	names, err := d.d.ListCollectionNames(ctx, filter)
	return names, driverError(err)
}

func (d driverDB) createCollection(ctx context.Context, name string, validator bson.D) error {
	o := options.CreateCollection()
	if validator != nil {
		o.SetValidator(validator)
	}
	return driverError(d.d.CreateCollection(ctx, name, o))
}

func (d driverDB) renameCollection(ctx context.Context, from, to string) error {
	cmd := bson.D{{Key: "renameCollection", Value: d.d.Name() + "." + from}, {Key: "to", Value: d.d.Name() + "." + to}}
	return driverError(d.d.Client().Database("admin").RunCommand(ctx, cmd).Err())
}

func (d driverDB) setValidator(ctx context.Context, name string, validator bson.D) error {
	if validator == nil {
		validator = bson.D{}
	}
	return driverError(d.d.RunCommand(ctx, bson.D{{Key: "collMod", Value: name}, {Key: "validator", Value: validator}}).Err())
}

// setStorageRules does nothing: a MongoDB deployment has no computed fields (computedFields), so SQL's writes alone
// compute generated columns and index expressions there.
func (d driverDB) setStorageRules(context.Context, string, storageRules) error { return nil }

func (d driverDB) storageRulesIn(string) storageRules { return storageRules{} }

type driverColl struct{ c *mongo.Collection }

func (c driverColl) findOne(ctx context.Context, filter bson.D) (bson.Raw, error) {
	raw, err := c.c.FindOne(ctx, filter).Raw()
	return raw, driverError(err)
}

func (c driverColl) find(ctx context.Context, filter, projection bson.D, limit int64) ([]bson.Raw, error) {
	opts := options.Find()
	if projection != nil {
		opts.SetProjection(projection)
	}
	if limit > 0 {
		opts.SetLimit(limit)
	}
	return c.findWith(ctx, filter, opts)
}

func (c driverColl) findSorted(ctx context.Context, filter, sort bson.D, limit int64) ([]bson.Raw, error) {
	return c.findWith(ctx, filter, options.Find().SetSort(sort).SetLimit(limit))
}

func (c driverColl) readsInOrder(ctx context.Context, filter, sort bson.D) (bool, error) {
	return !slices.ContainsFunc(sort, func(k bson.E) bool { return k.Key != "_id" }), nil
}

// findWith returns every document of a find with opts, copied (the driver reuses its buffer).
func (c driverColl) findWith(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]bson.Raw, error) {
	cur, err := c.c.Find(ctx, filter, opts)
	if err != nil {
		return nil, driverError(err)
	}
	defer cur.Close(ctx)
	var docs []bson.Raw
	for cur.Next(ctx) {
		docs = append(docs, append(bson.Raw(nil), cur.Current...))
	}
	return docs, driverError(cur.Err())
}

// driverStream is the docStream of a driver's cursor, whose documents it copies (the driver reuses its buffer).
type driverStream struct{ c *mongo.Cursor }

func (s driverStream) next(ctx context.Context) (bson.Raw, error) {
	if s.c.Next(ctx) {
		return append(bson.Raw(nil), s.c.Current...), nil
	}
	return nil, driverError(s.c.Err())
}

func (s driverStream) close(ctx context.Context) { s.c.Close(ctx) }

func (c driverColl) stream(ctx context.Context, filter bson.D) (docStream, error) {
	cur, err := c.c.Find(ctx, filter)
	if err != nil {
		return nil, driverError(err)
	}
	return driverStream{cur}, nil
}

func (c driverColl) insertOne(ctx context.Context, doc any) error {
	_, err := c.c.InsertOne(ctx, doc)
	return driverError(err)
}

func (c driverColl) updateMany(ctx context.Context, filter bson.D, update any) (int64, error) {
	o := options.UpdateMany()
	if bypassesValidation(ctx) {
		o.SetBypassDocumentValidation(true)
	}
	res, err := c.c.UpdateMany(ctx, filter, update, o)
	if err != nil {
		return 0, driverError(err)
	}
	return res.MatchedCount, nil
}

func (c driverColl) updateOne(ctx context.Context, filter bson.D, update any) (int64, error) {
	o := options.UpdateOne()
	if bypassesValidation(ctx) {
		o.SetBypassDocumentValidation(true)
	}
	res, err := c.c.UpdateOne(ctx, filter, update, o)
	if err != nil {
		return 0, driverError(err)
	}
	return res.MatchedCount, nil
}

func (c driverColl) replaceOne(ctx context.Context, filter bson.D, doc any) error {
	_, err := c.c.ReplaceOne(ctx, filter, doc)
	return driverError(err)
}

func (c driverColl) deleteOne(ctx context.Context, filter bson.D) error {
	_, err := c.c.DeleteOne(ctx, filter)
	return driverError(err)
}

func (c driverColl) deleteMany(ctx context.Context, filter bson.D) (int64, error) {
	res, err := c.c.DeleteMany(ctx, filter)
	if err != nil {
		return 0, driverError(err)
	}
	return res.DeletedCount, nil
}

func (c driverColl) findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error) {
	raw, err := c.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Raw()
	return raw, driverError(err)
}

// lockForUpdate locks nothing: MongoDB has no lock a transaction can take without writing (docs/sql.md).
func (c driverColl) lockForUpdate(ctx context.Context, ids []bson.RawValue, skipLocked bool) ([]bool, error) {
	locked := make([]bool, len(ids))
	for i := range locked {
		locked[i] = true
	}
	return locked, nil
}

func (c driverColl) findOneAndDelete(ctx context.Context, filter bson.D) (bson.Raw, error) {
	raw, err := c.c.FindOneAndDelete(ctx, filter).Raw()
	return raw, driverError(err)
}

func (c driverColl) createIndex(ctx context.Context, keys bson.D, name string, unique bool, partial bson.D) error {
	opts := options.Index().SetName(name).SetUnique(unique)
	if partial != nil {
		opts.SetPartialFilterExpression(partial)
	}
	_, err := c.c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: opts})
	return driverError(err)
}

func (c driverColl) indexes(ctx context.Context) ([]indexSpec, error) {
	specs, err := c.c.Indexes().ListSpecifications(ctx)
	if err != nil {
		return nil, driverError(err)
	}
	out := make([]indexSpec, len(specs))
	for i, s := range specs {
		out[i] = indexSpec{name: s.Name, keys: s.KeysDocument, unique: s.Unique != nil && *s.Unique}
	}
	return out, nil
}

func (c driverColl) dropIndex(ctx context.Context, name string) error {
	return driverError(c.c.Indexes().DropOne(ctx, name))
}

func (c driverColl) drop(ctx context.Context) error { return driverError(c.c.Drop(ctx)) }

// sizes asks the deployment with collStats: the collection's storageSize (its documents' bytes on disk) and
// indexSizes. A missing collection (NamespaceNotFound) has none.
func (c driverColl) sizes(ctx context.Context) (int64, map[string]int64, error) {
	raw, err := c.c.Database().RunCommand(ctx, bson.D{{Key: "collStats", Value: c.c.Name()}}).Raw()
	if err != nil {
		if derr := driverError(err); indexGone(derr) {
			return 0, map[string]int64{}, nil // NamespaceNotFound
		}
		return 0, nil, driverError(err)
	}
	out := map[string]int64{}
	if doc, ok := raw.Lookup("indexSizes").DocumentOK(); ok {
		elems, _ := doc.Elements()
		for _, e := range elems {
			if n, ok := e.Value().AsInt64OK(); ok {
				out[e.Key()] = n
			}
		}
	}
	data, _ := raw.Lookup("storageSize").AsInt64OK()
	return data, out, nil
}

// explain asks the deployment with the explain command (queryPlanner: nothing is read) and reads the access stage
// of its winning plan: the deepest COLLSCAN, IDHACK, EXPRESS_IXSCAN / EXPRESS_CLUSTERED_IXSCAN (MongoDB 8's _id
// lookups) or IXSCAN.
func (c driverColl) explain(ctx context.Context, filter bson.D) (accessPath, error) {
	if filter == nil {
		filter = bson.D{}
	}
	cmd := bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: c.c.Name()}, {Key: "filter", Value: filter}}},
		{Key: "verbosity", Value: "queryPlanner"}}
	raw, err := c.c.Database().RunCommand(ctx, cmd).Raw()
	if err != nil {
		return accessPath{}, driverError(err)
	}
	stage, _ := raw.Lookup("queryPlanner", "winningPlan").DocumentOK()
	if q, ok := stage.Lookup("queryPlan").DocumentOK(); ok {
		stage = q // MongoDB 7's slot-based engine nests the plan
	}
	return accessOfStage(stage), nil
}

// accessOfStage finds the access stage of an explain plan stage tree.
func accessOfStage(st bson.Raw) accessPath {
	for st != nil {
		name, _ := st.Lookup("stage").StringValueOK()
		switch name {
		case "COLLSCAN", "EOF":
			return accessPath{stage: name, summary: name}
		case "IDHACK", "EXPRESS_IXSCAN", "EXPRESS_CLUSTERED_IXSCAN":
			return accessPath{stage: "IDHACK", summary: "IDHACK"}
		case "IXSCAN":
			p := accessPath{stage: name}
			p.index, _ = st.Lookup("indexName").StringValueOK()
			var keys bson.D
			if kp, ok := st.Lookup("keyPattern").DocumentOK(); ok {
				_ = bson.Unmarshal(kp, &keys)
			}
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%s: %v", k.Key, k.Value))
			}
			p.summary = "IXSCAN { " + strings.Join(parts, ", ") + " }"
			if b, ok := st.Lookup("indexBounds").DocumentOK(); ok {
				elems, _ := b.Elements()
				for _, e := range elems {
					var ivs bson.A
					arr, _ := e.Value().ArrayOK()
					vals, _ := arr.Values()
					for _, v := range vals {
						if s, ok := v.StringValueOK(); ok {
							ivs = append(ivs, s)
						}
					}
					p.bounds = append(p.bounds, bson.E{Key: e.Key(), Value: ivs})
				}
			}
			return p
		}
		next, ok := st.Lookup("inputStage").DocumentOK()
		if !ok {
			if arr, isArr := st.Lookup("inputStages").ArrayOK(); isArr {
				vals, _ := arr.Values()
				if len(vals) > 0 {
					next, ok = vals[0].DocumentOK()
				}
			}
		}
		if !ok {
			break
		}
		st = next
	}
	return accessPath{stage: "COLLSCAN", summary: "COLLSCAN"}
}

// driverError turns the driver's errors into the embedded API's:
// mongo.ErrNoDocuments into errNoDocuments, a server error into a
// *concord.Error with its code, message and labels (and for a duplicate key
// the index's key pattern and value, from the server's reply), so that the
// rest of the package classifies one kind of error. Other errors (network,
// context) are returned as they are.
func driverError(err error) error {
	if err == nil {
		return nil
	}
	if se := (*Error)(nil); errors.As(err, &se) {
		return se // the SQL layer's own, made already (a statement's error passed back through WithTransaction)
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		return errNoDocuments
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var (
		we mongo.WriteException
		ce mongo.CommandError
	)
	switch {
	case errors.As(err, &we) && len(we.WriteErrors) > 0:
		w := we.WriteErrors[0]
		out := &concord.Error{Code: concord.Code(w.Code), Message: w.Message, Labels: we.Labels, Cause: err}
		if kp, ok := w.Raw.Lookup("keyPattern").DocumentOK(); ok {
			_ = bson.Unmarshal(kp, &out.KeyPattern)
		}
		if kv, ok := w.Raw.Lookup("keyValue").DocumentOK(); ok {
			_ = bson.Unmarshal(kv, &out.KeyValue)
		}
		if len(w.Details) > 0 {
			_ = bson.Unmarshal(w.Details, &out.ErrInfo)
		}
		if out.KeyPattern == nil && w.Code == 11000 {
			out.KeyPattern = dupKeyPattern(w.Message)
		}
		return out
	case errors.As(err, &ce):
		return &concord.Error{Code: concord.Code(ce.Code), Message: ce.Message, Labels: ce.Labels, Cause: err}
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		codes := se.ErrorCodes()
		out := &concord.Error{Message: err.Error(), Cause: err}
		if len(codes) > 0 {
			out.Code = concord.Code(codes[0])
		}
		for _, l := range []string{concord.TransientTransactionError, concord.UnknownTransactionCommitResult} {
			if se.HasErrorLabel(l) {
				out.Labels = append(out.Labels, l)
			}
		}
		return out
	}
	return err
}

// dupKeyPattern reads the field of a duplicate-key message
// ("... index: k_1 dup key: { k: 1 }") when the reply carried no keyPattern.
func dupKeyPattern(msg string) bson.D {
	_, rest, ok := strings.Cut(msg, "dup key: { ")
	if !ok {
		return nil
	}
	field, _, ok := strings.Cut(rest, ":")
	if !ok {
		return nil
	}
	return bson.D{{Key: strings.TrimSpace(field), Value: 1}}
}
