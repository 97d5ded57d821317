package sql

import (
	"context"
	"errors"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// backend is where an Engine's data lives: an embedded *concord.DB
// (NewEngine) or a MongoDB deployment reached through the official Go
// driver (NewDriverEngine). It is the part of the collection API the SQL
// layer uses, so that the same statements run over both. Implementations
// are safe for concurrent use and return errNoDocuments when a single
// document was asked for and none matched.
type backend interface {
	database(name string) backendDB
	listDatabaseNames(ctx context.Context) ([]string, error)
	// begin starts a session with a snapshot transaction open; tag is what the transaction belongs to, which
	// observeWaits reports of a write waiting for it.
	begin(ctx context.Context, tag any) (backendTxn, error)
	// observeWaits returns ctx with observe told of each write outside a transaction that waits for a transaction
	// owning its document (observe(tag, true), then observe(nil, false)); a backend that cannot tell returns ctx.
	observeWaits(ctx context.Context, observe func(tag any, waiting bool)) context.Context
	// withTransaction runs fn in a transaction, retried on transient errors.
	withTransaction(ctx context.Context, fn func(ctx context.Context) error) error
	// catalogGeneration is a number that changes whenever the catalog
	// (collections, and the table definitions in system.sql_tables) may have
	// changed, and ok false when the backend has none: then nothing read from
	// the catalog is cached.
	catalogGeneration() (gen uint64, ok bool)
	// catalogInTransactions reports whether a transaction may write the catalog (system.sql_tables and the
	// other system collections) and create collections: DDL in a transaction block needs it (blockddl.go).
	catalogInTransactions() bool
	// computedFields reports whether the storage keeps a table's rules on every write, whatever writes it: its
	// computed fields (CollectionOptions.Computed: generated columns and index expressions) and its required
	// fields (CollectionOptions.Required: NOT NULL columns); computes.go's storageRules.
	computedFields() bool
}

// backendTxn is a transaction block's session.
type backendTxn interface {
	// context returns a context whose operations run in the transaction.
	context(ctx context.Context) context.Context
	commit(ctx context.Context) error
	// abort rolls back and ends the session.
	abort(ctx context.Context)
	// savepoint marks the transaction's writes for rollbackTo (SAVEPOINT); after it a failed statement leaves
	// the transaction failed rather than aborted.
	savepoint() (any, error)
	rollbackTo(sp any) error
	// overrideValidator makes the transaction's writes to collection coll check validator (nil: none) in place
	// of the collection's own until it ends (the validator an ALTER TABLE in the block gives the table, set on the
	// collection once the block commits); nil validator and clear false. clear takes the override back. A backend
	// without them (a MongoDB deployment, whose DDL a transaction block refuses) returns an error.
	overrideValidator(db, coll string, validator bson.D, clear bool) error
}

type backendDB interface {
	collection(name string) backendColl
	listCollectionNames(ctx context.Context, filter bson.D) ([]string, error)
	// createCollection creates a collection; validator, when not nil, is the query every document must match.
	createCollection(ctx context.Context, name string, validator bson.D) error
	// setValidator replaces a collection's validator (nil: none).
	setValidator(ctx context.Context, name string, validator bson.D) error
	// setStorageRules replaces the computed and required fields of a collection (computes.go); a backend without them
	// (a MongoDB deployment) ignores it.
	setStorageRules(ctx context.Context, name string, rules storageRules) error
	// storageRulesIn are the computed and required fields a collection has now (none on a backend without them).
	storageRulesIn(name string) storageRules
	// renameCollection renames a collection of the database, with its documents, indexes and validator.
	renameCollection(ctx context.Context, from, to string) error
	// drop drops the database, with all its collections.
	drop(ctx context.Context) error
}

type backendColl interface {
	findOne(ctx context.Context, filter bson.D) (bson.Raw, error)
	// find returns every matching document; projection may be nil.
	find(ctx context.Context, filter, projection bson.D, limit int64) ([]bson.Raw, error)
	// findSorted returns the first limit matching documents in sort's order.
	findSorted(ctx context.Context, filter, sort bson.D, limit int64) ([]bson.Raw, error)
	// readsInOrder reports whether a find of filter in sort's order reads the documents in that order and stops
	// at its limit: the embedded store's plan gives the order (the _id keys, or an index that is not multikey, so
	// that no sort key holds an array); of a MongoDB deployment only a sort by _id is taken to (listIndexes and
	// explain are refused in a transaction).
	readsInOrder(ctx context.Context, filter, sort bson.D) (bool, error)
	// stream returns the matching documents as a docStream, which must be closed: read as its next asks for them
	// (the embedded store's FindStream, the driver's cursor), in a transaction all first by the embedded store.
	stream(ctx context.Context, filter bson.D) (docStream, error)
	insertOne(ctx context.Context, doc any) error
	updateMany(ctx context.Context, filter bson.D, update any) (matched int64, err error)
	// updateOne updates the first matching document; for a filter at most
	// one document can match (byKey), it is updateMany's cheaper twin.
	updateOne(ctx context.Context, filter bson.D, update any) (matched int64, err error)
	replaceOne(ctx context.Context, filter bson.D, doc any) error
	deleteOne(ctx context.Context, filter bson.D) error
	deleteMany(ctx context.Context, filter bson.D) (int64, error)
	// findOneAndUpdate returns the document as updated.
	findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error)
	findOneAndDelete(ctx context.Context, filter bson.D) (bson.Raw, error)
	// lockForUpdate locks documents by _id for the transaction of ctx (SELECT ... FOR UPDATE): locked[i]
	// reports whether ids[i] is held (skipLocked skips those another transaction holds).
	lockForUpdate(ctx context.Context, ids []bson.RawValue, skipLocked bool) (locked []bool, err error)
	// createIndex creates an index; partial, when not nil, is its partialFilterExpression. In the transaction
	// of ctx, on a collection that transaction created, the embedded store builds it over the documents the
	// transaction wrote there too (a MongoDB deployment refuses it then: 263).
	createIndex(ctx context.Context, keys bson.D, name string, unique bool, partial bson.D) error
	// indexes lists the collection's indexes, the _id index included.
	indexes(ctx context.Context) ([]indexSpec, error)
	dropIndex(ctx context.Context, name string) error
	drop(ctx context.Context) error
	// explain returns the access path find(ctx, filter, ...) takes now, read from the catalog of now (EXPLAIN).
	explain(ctx context.Context, filter bson.D) (accessPath, error)
	// sizes returns the bytes the collection's documents take and each index's, by the storage's index name
	// (pg_table_size and its kin); a missing collection has none.
	sizes(ctx context.Context) (data int64, indexes map[string]int64, err error)
}

// accessPath is how the storage reads a find's documents: stage is "COLLSCAN", "IDHACK" (the _id lookup),
// "IXSCAN" (index over bounds, each key field with its intervals as mongod writes them) or "EOF" (no
// collection); summary is the profiler's planSummary.
type accessPath struct {
	stage, index, summary string
	bounds                bson.D
}

// errNoDocuments is a backend's answer when one document was asked for and
// none matched.
var errNoDocuments = concord.ErrNoDocuments

// embedded is the backend of an embedded *concord.DB.
type embedded struct{ db *concord.DB }

var _ backend = embedded{}

func (e embedded) database(name string) backendDB { return embeddedDB{e.db.Database(name)} }

func (e embedded) catalogGeneration() (uint64, bool) { return e.db.CatalogGeneration(), true }

func (e embedded) catalogInTransactions() bool { return true }

func (e embedded) computedFields() bool { return true }

func (e embedded) listDatabaseNames(ctx context.Context) ([]string, error) {
	return e.db.ListDatabaseNames(ctx)
}

func (e embedded) begin(ctx context.Context, tag any) (backendTxn, error) {
	sess, err := e.db.StartSession()
	if err != nil {
		return nil, err
	}
	sess.SetTransactionTag(tag)
	if err := sess.StartTransaction(); err != nil {
		sess.EndSession(ctx)
		return nil, err
	}
	return embeddedTxn{sess}, nil
}

func (e embedded) observeWaits(ctx context.Context, observe func(tag any, waiting bool)) context.Context {
	return concord.WithWaitObserver(ctx, observe)
}

func (e embedded) withTransaction(ctx context.Context, fn func(ctx context.Context) error) error {
	_, err := e.db.WithTransaction(ctx, func(ctx context.Context) (any, error) { return nil, fn(ctx) })
	return err
}

type embeddedTxn struct{ s *concord.Session }

func (t embeddedTxn) context(ctx context.Context) context.Context {
	return concord.NewSessionContext(ctx, t.s)
}

func (t embeddedTxn) commit(ctx context.Context) error {
	err := t.s.CommitTransaction(ctx)
	t.s.EndSession(ctx)
	return err
}

func (t embeddedTxn) abort(ctx context.Context) {
	_ = t.s.AbortTransaction(ctx)
	t.s.EndSession(ctx)
}

func (t embeddedTxn) savepoint() (any, error) { return t.s.Savepoint() }

func (t embeddedTxn) rollbackTo(sp any) error {
	return t.s.RollbackToSavepoint(sp.(*concord.Savepoint))
}

func (t embeddedTxn) overrideValidator(db, coll string, validator bson.D, clear bool) error {
	if clear {
		t.s.ClearValidatorOverride(db, coll)
		return nil
	}
	var raw bson.Raw
	if validator != nil {
		var err error
		if raw, err = bson.Marshal(validator); err != nil {
			return err
		}
	}
	return t.s.OverrideValidator(db, coll, raw)
}

type embeddedDB struct{ d *concord.Database }

func (d embeddedDB) collection(name string) backendColl { return embeddedColl{d.d.Collection(name)} }

func (d embeddedDB) drop(ctx context.Context) error { return d.d.Drop(ctx) }

func (d embeddedDB) listCollectionNames(ctx context.Context, filter bson.D) ([]string, error) {
	return d.d.ListCollectionNames(ctx, filter)
}

func (d embeddedDB) createCollection(ctx context.Context, name string, validator bson.D) error {
	if validator == nil {
		return d.d.CreateCollection(ctx, name)
	}
	raw, err := bson.Marshal(validator)
	if err != nil {
		return err
	}
	return d.d.CreateCollection(ctx, name, concord.CollectionOptions{Validator: raw})
}

func (d embeddedDB) renameCollection(ctx context.Context, from, to string) error {
	return d.d.RenameCollection(sqlWrite(ctx), from, to) // SQL moves its foreign keys with the table
}

func (d embeddedDB) setValidator(ctx context.Context, name string, validator bson.D) error {
	var raw bson.Raw
	if validator != nil {
		var err error
		if raw, err = bson.Marshal(validator); err != nil {
			return err
		}
	}
	return d.d.ModifyCollection(ctx, name, func(o *concord.CollectionOptions) error {
		o.Validator = raw
		return nil
	})
}

func (d embeddedDB) setStorageRules(ctx context.Context, name string, rules storageRules) error {
	fields := func(specs []computedSpec) []concord.ComputedField {
		var out []concord.ComputedField
		for _, s := range specs {
			out = append(out, concord.ComputedField{Field: s.Field, Expr: s.Expr})
		}
		return out
	}
	return d.d.ModifyCollection(ctx, name, func(o *concord.CollectionOptions) error {
		o.Computed, o.Required, o.Defaults, o.References = fields(rules.computed), rules.required, fields(rules.defaults), rules.references
		return nil
	})
}

func (d embeddedDB) storageRulesIn(name string) storageRules {
	o, _ := d.d.CollectionOptions(name)
	specs := func(fields []concord.ComputedField) []computedSpec {
		var out []computedSpec
		for _, f := range fields {
			out = append(out, computedSpec{Field: f.Field, Expr: f.Expr})
		}
		return out
	}
	return storageRules{computed: specs(o.Computed), required: o.Required, defaults: specs(o.Defaults), references: o.References}
}

type embeddedColl struct{ c *concord.Collection }

func (c embeddedColl) findOne(ctx context.Context, filter bson.D) (bson.Raw, error) {
	return c.c.FindOne(ctx, filter).Raw()
}

func (c embeddedColl) find(ctx context.Context, filter, projection bson.D, limit int64) ([]bson.Raw, error) {
	opts := &concord.FindOptions{Limit: limit}
	if projection != nil {
		opts.Projection = projection
	}
	return c.findWith(ctx, filter, opts)
}

func (c embeddedColl) findSorted(ctx context.Context, filter, sort bson.D, limit int64) ([]bson.Raw, error) {
	return c.findWith(ctx, filter, &concord.FindOptions{Sort: sort, Limit: limit})
}

func (c embeddedColl) readsInOrder(ctx context.Context, filter, sort bson.D) (bool, error) {
	p, err := c.c.Explain(ctx, filter, &concord.FindOptions{Sort: sort})
	return err == nil && p.Sorted && (p.Stage == "COLLSCAN" || p.Stage == "IXSCAN") && !p.Merge, err
}

// findWith returns every document of a find with opts.
func (c embeddedColl) findWith(ctx context.Context, filter bson.D, opts *concord.FindOptions) ([]bson.Raw, error) {
	cur, err := c.c.Find(ctx, filter, opts)
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

// docStream is a find's documents read one at a time (backendColl.stream).
type docStream interface {
	// next returns the next document, nil at the end.
	next(ctx context.Context) (bson.Raw, error)
	close(ctx context.Context)
}

// cursorStream is the docStream of an embedded store's cursor.
type cursorStream struct{ c *concord.Cursor }

func (s cursorStream) next(ctx context.Context) (bson.Raw, error) {
	if s.c.Next(ctx) {
		return s.c.Current, nil
	}
	return nil, s.c.Err()
}

func (s cursorStream) close(ctx context.Context) { s.c.Close(ctx) }

func (c embeddedColl) stream(ctx context.Context, filter bson.D) (docStream, error) {
	cur, err := c.c.FindStream(ctx, filter)
	if err != nil {
		return nil, err
	}
	return cursorStream{cur}, nil
}

// sqlWrite is the context of an SQL write: SQL checks its foreign keys itself (fkeys.go), at the statement's end
// and with their ON DELETE actions, so the storage's references (storagerefs.go) are for other writers. SQL's drops
// and renames of collections take the context too: DROP TABLE and RENAME handle the foreign keys.
func sqlWrite(ctx context.Context) context.Context { return concord.WithoutReferences(ctx) }

func (c embeddedColl) insertOne(ctx context.Context, doc any) error {
	// SQL's INSERT has evaluated every default and stores a NULL as an absent field: the storage's defaults
	// (storagedefaults.go) are for other writers.
	_, err := c.c.InsertOne(concord.WithoutDefaults(sqlWrite(ctx)), doc)
	return err
}

func (c embeddedColl) updateMany(ctx context.Context, filter bson.D, update any) (int64, error) {
	res, err := c.c.UpdateMany(sqlWrite(ctx), filter, update)
	if err != nil {
		return 0, err
	}
	return res.MatchedCount, nil
}

func (c embeddedColl) updateOne(ctx context.Context, filter bson.D, update any) (int64, error) {
	res, err := c.c.UpdateOne(sqlWrite(ctx), filter, update)
	if err != nil {
		return 0, err
	}
	return res.MatchedCount, nil
}

func (c embeddedColl) replaceOne(ctx context.Context, filter bson.D, doc any) error {
	_, err := c.c.ReplaceOne(sqlWrite(ctx), filter, doc)
	return err
}

func (c embeddedColl) deleteOne(ctx context.Context, filter bson.D) error {
	_, err := c.c.DeleteOne(sqlWrite(ctx), filter)
	return err
}

func (c embeddedColl) deleteMany(ctx context.Context, filter bson.D) (int64, error) {
	res, err := c.c.DeleteMany(sqlWrite(ctx), filter)
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

func (c embeddedColl) findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error) {
	return c.c.FindOneAndUpdate(sqlWrite(ctx), filter, update, &concord.FindOneAndUpdateOptions{ReturnDocument: concord.After}).Raw()
}

func (c embeddedColl) lockForUpdate(ctx context.Context, ids []bson.RawValue, skipLocked bool) ([]bool, error) {
	anys := make([]any, len(ids))
	for i, id := range ids {
		anys[i] = id
	}
	return c.c.LockForUpdate(ctx, anys, skipLocked)
}

func (c embeddedColl) findOneAndDelete(ctx context.Context, filter bson.D) (bson.Raw, error) {
	return c.c.FindOneAndDelete(sqlWrite(ctx), filter).Raw()
}

func (c embeddedColl) createIndex(ctx context.Context, keys bson.D, name string, unique bool, partial bson.D) error {
	// In a transaction block, an index on a table the block created covers the rows the block wrote to it
	// (PostgreSQL's CREATE INDEX after the rows, as pg_dump's output has it), where MongoDB would refuse it.
	m := concord.IndexModel{Keys: keys, Name: name, Unique: unique, OverTransactionWrites: true}
	if partial != nil {
		raw, err := bson.Marshal(partial)
		if err != nil {
			return err
		}
		m.PartialFilterExpression = raw
	}
	_, err := c.c.CreateIndex(ctx, m)
	return err
}

func (c embeddedColl) indexes(ctx context.Context) ([]indexSpec, error) {
	specs, err := c.c.ListIndexes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]indexSpec, len(specs))
	for i, s := range specs {
		out[i] = indexSpec{name: s.Name, keys: s.KeysDocument, unique: s.Unique}
	}
	return out, nil
}

func (c embeddedColl) dropIndex(ctx context.Context, name string) error {
	return c.c.DropIndex(ctx, name)
}

func (c embeddedColl) drop(ctx context.Context) error { return c.c.Drop(sqlWrite(ctx)) }

func (c embeddedColl) explain(ctx context.Context, filter bson.D) (accessPath, error) {
	p, err := c.c.Explain(ctx, filter)
	if err != nil {
		return accessPath{}, err
	}
	return accessPath{stage: p.Stage, index: p.IndexName, summary: p.Summary, bounds: p.Bounds}, nil
}

func (c embeddedColl) sizes(ctx context.Context) (int64, map[string]int64, error) {
	st, err := c.c.Stats(ctx)
	if err != nil {
		return 0, nil, err
	}
	ix, err := c.c.IndexSizes(ctx)
	return st.Size, ix, err
}

// indexSpec is an index as a backend lists it: its name, key pattern and whether it is unique.
type indexSpec struct {
	name   string
	keys   bson.Raw
	unique bool
}

// keyDoc is the index's key pattern as a document.
func (s indexSpec) keyDoc() bson.D {
	var d bson.D
	_ = bson.Unmarshal(s.keys, &d)
	return d
}

// indexNames lists the names of a collection's indexes.
func indexNames(ctx context.Context, c backendColl) ([]string, error) {
	specs, err := c.indexes(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names, nil
}

// isNoDocuments reports whether err says that no document matched.
func isNoDocuments(err error) bool { return errors.Is(err, errNoDocuments) }

// isDuplicateKey reports whether err is a duplicate key error of either
// backend.
func isDuplicateKey(err error) bool { return concord.IsDuplicateKey(err) }
