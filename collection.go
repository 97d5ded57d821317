package concord

import (
	"context"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Collection is a handle on one collection. It is cheap to create and safe
// for concurrent use. Its methods mirror the official Go driver's.
//
// Every method takes a context. Its deadline is the operation's maxTimeMS:
// a write still waiting for a document held by a transaction when it
// passes fails with MaxTimeMSExpired (50), and cancelling it fails the
// operation with Interrupted (11601). A context made by NewSessionContext
// runs the operation in that session's transaction, if one is in progress;
// one made by WithOpStats receives the operation's profiler statistics.
//
// Outside a transaction every write is atomic on its document and never
// fails with a write conflict: it waits for a conflicting transaction and
// re-evaluates its filter, so an update whose filter stopped matching
// updates nothing (compare-and-set). Inside a transaction a conflicting
// write fails at once with WriteConflict (112) labelled
// TransientTransactionError, and the transaction is aborted.
type Collection struct {
	db       *DB
	database *Database
	ns       engine.Namespace
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.ns.Coll }

// Database returns the database the collection belongs to.
func (c *Collection) Database() *Database { return c.database }

// begin prepares an operation: it fails on a closed DB or an unusable
// session, and returns the engine transaction (nil outside one) and the
// statistics to fill (nil when not asked for).
func (c *Collection) begin(ctx context.Context) (*engine.Txn, *engine.Stats, error) {
	t, err := c.db.txnFor(ctx)
	if err != nil {
		return nil, nil, err
	}
	return t, OpStatsFromContext(ctx), nil
}

// IndexSpecification describes one index, as listIndexes does.
type IndexSpecification struct {
	// Name is the index name, "_id_" for the _id index.
	Name string
	// Namespace is "db.collection".
	Namespace string
	// KeysDocument is the key pattern, e.g. {a: 1, b: -1}.
	KeysDocument bson.Raw
	// Version is the index version, 2.
	Version int32
	// Unique is true for a unique index (the _id index reports false, as
	// listIndexes omits "unique" for it).
	Unique bool
	// Sparse, PartialFilterExpression (nil when none), ExpireAfterSeconds
	// (nil when not a TTL index) and Hidden are the index's options, as
	// IndexModel sets them.
	Sparse                  bool
	PartialFilterExpression bson.Raw
	ExpireAfterSeconds      *int32
	Hidden                  bool
	// Collation is the index's collation as mongod's normalized document
	// (every field filled in), nil for binary comparison.
	Collation bson.Raw
	// WildcardProjection is a wildcard index's wildcardProjection, nil when
	// it has none.
	WildcardProjection bson.Raw
}

// CreateIndex builds an index over the existing documents and returns its
// name. Building a unique index over documents that already repeat a key
// fails with DuplicateKey (11000). Creating an index that exists with the
// same keys and options succeeds. Inside a transaction a new index goes only
// on a collection the transaction creates, and only before the transaction
// writes documents to it (unless model.OverTransactionWrites); otherwise it
// fails with OperationNotSupportedInTransaction (263), as in MongoDB.
func (c *Collection) CreateIndex(ctx context.Context, model IndexModel) (string, error) {
	t, err := c.db.txnFor(ctx)
	if err != nil {
		return "", err
	}
	keys, err := indexKeys(model.Keys)
	if err != nil {
		return "", err
	}
	spec := engine.IndexSpec{Name: model.Name, Key: keys, Unique: model.Unique, Sparse: model.Sparse,
		Hidden: model.Hidden}
	if model.ExpireAfterSeconds != nil {
		spec.TTL, spec.ExpireAfterSeconds = true, int64(*model.ExpireAfterSeconds)
	}
	if spec.Partial, err = toOptionalDoc(model.PartialFilterExpression, "partialFilterExpression"); err != nil {
		return "", err
	}
	if spec.Collation, err = toOptionalDoc(model.Collation, "collation"); err != nil {
		return "", err
	}
	if spec.WildcardProjection, err = toOptionalDoc(model.WildcardProjection, "wildcardProjection"); err != nil {
		return "", err
	}
	if model.OverTransactionWrites {
		return c.db.eng.CreateIndexOverWrites(ctx, t, c.ns, spec)
	}
	return c.db.eng.CreateIndex(ctx, t, c.ns, spec)
}

// DropIndex drops the named index. Dropping "_id_" fails with
// InvalidOptions (72), a missing index with IndexNotFound (27).
func (c *Collection) DropIndex(ctx context.Context, name string) error {
	if err := c.db.check(); err != nil {
		return err
	}
	return c.db.eng.DropIndex(ctx, c.ns, name)
}

// ListIndexes returns the collection's indexes, the _id index first.
func (c *Collection) ListIndexes(ctx context.Context) ([]IndexSpecification, error) {
	if err := c.db.check(); err != nil {
		return nil, err
	}
	specs, err := c.db.eng.ListIndexes(c.ns)
	if err != nil {
		return nil, err
	}
	out := make([]IndexSpecification, 0, len(specs))
	for _, s := range specs {
		keys, err := bson.Marshal(s.Key)
		if err != nil {
			return nil, codes.New(codes.InternalError, "encoding index keys: %v", err)
		}
		spec := IndexSpecification{
			Name:                    s.Name,
			Namespace:               c.ns.String(),
			KeysDocument:            keys,
			Version:                 2,
			Unique:                  s.Unique && s.Name != "_id_",
			Sparse:                  s.Sparse,
			PartialFilterExpression: s.Partial,
			Hidden:                  s.Hidden,
			Collation:               s.Collation,
			WildcardProjection:      s.WildcardProjection,
		}
		if s.TTL {
			ttl := int32(s.ExpireAfterSeconds)
			spec.ExpireAfterSeconds = &ttl
		}
		out = append(out, spec)
	}
	return out, nil
}

// Drop drops the collection and its indexes. Dropping a collection that
// does not exist succeeds, as with the driver.
func (c *Collection) Drop(ctx context.Context) error {
	if err := c.db.check(); err != nil {
		return err
	}
	err := c.db.eng.DropCollection(ctx, c.ns)
	if codes.CodeOf(err) == codes.NamespaceNotFound {
		return nil
	}
	return err
}

// Stats returns the collection's document count, data size and index
// count. A missing collection has none of them.
func (c *Collection) Stats(ctx context.Context) (CollectionStats, error) {
	if err := c.db.check(); err != nil {
		return CollectionStats{}, err
	}
	count, size, nindexes, err := c.db.eng.CollStats(c.ns)
	if codes.CodeOf(err) == codes.NamespaceNotFound {
		return CollectionStats{}, nil
	}
	if err != nil {
		return CollectionStats{}, err
	}
	return CollectionStats{Count: count, Size: size, NIndexes: nindexes}, nil
}

// IndexSizes returns the bytes each index of the collection takes, by name,
// the _id index's included. A missing collection has none.
func (c *Collection) IndexSizes(ctx context.Context) (map[string]int64, error) {
	if err := c.db.check(); err != nil {
		return nil, err
	}
	sizes, err := c.db.eng.IndexSizes(c.ns)
	if codes.CodeOf(err) == codes.NamespaceNotFound {
		return map[string]int64{}, nil
	}
	return sizes, err
}
