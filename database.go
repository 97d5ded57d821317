package concord

import (
	"context"
	"sort"

	"github.com/concorddb/concord/internal/query/filter"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Database is a handle on one database of a DB. It is cheap to create and
// safe for concurrent use.
type Database struct {
	db   *DB
	name string
}

// Name returns the database's name.
func (d *Database) Name() string { return d.name }

// DB returns the DB the database belongs to.
func (d *Database) DB() *DB { return d.db }

// Collection returns a handle on the named collection. Collections are
// created implicitly by their first write (also inside a transaction);
// reading a missing collection reads nothing.
func (d *Database) Collection(name string) *Collection {
	return &Collection{db: d.db, database: d, ns: engine.Namespace{DB: d.name, Coll: name}}
}

// CreateCollection creates a collection explicitly. It returns
// NamespaceExists (48) when the collection exists. Inside a transaction (ctx
// from NewSessionContext), aborting the transaction drops the collection
// again unless another client has written to it meanwhile.
func (d *Database) CreateCollection(ctx context.Context, name string) error {
	t, err := d.db.txnFor(ctx)
	if err != nil {
		return err
	}
	return d.db.eng.CreateCollection(ctx, t, engine.Namespace{DB: d.name, Coll: name})
}

// Drop drops the database with all its collections. Dropping a database
// that does not exist succeeds.
func (d *Database) Drop(ctx context.Context) error {
	if err := d.db.check(); err != nil {
		return err
	}
	return d.db.eng.DropDatabase(ctx, d.name)
}

// CollectionSpecification describes one collection, as listCollections
// does.
type CollectionSpecification struct {
	Name string
	// Type is "collection".
	Type string
}

// ListCollectionSpecifications returns the collections whose
// listCollections entry {name, type, options: {}, info: {readOnly: false}}
// matches filter (nil for all), sorted by name.
func (d *Database) ListCollectionSpecifications(ctx context.Context, filter any) ([]CollectionSpecification, error) {
	if err := d.db.check(); err != nil {
		return nil, err
	}
	f, err := toFilter(filter)
	if err != nil {
		return nil, err
	}
	m, err := compileFilter(f)
	if err != nil {
		return nil, err
	}
	var specs []CollectionSpecification
	for _, c := range d.db.eng.ListCollections(d.name) {
		entry, err := bson.Marshal(bson.D{
			{Key: "name", Value: c.Name},
			{Key: "type", Value: c.Type},
			{Key: "options", Value: bson.D{}},
			{Key: "info", Value: bson.D{{Key: "readOnly", Value: false}}},
		})
		if err != nil {
			return nil, codes.New(codes.InternalError, "encoding collection entry: %v", err)
		}
		if m.Match(entry) {
			specs = append(specs, CollectionSpecification{Name: c.Name, Type: c.Type})
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

// ListCollectionNames returns the names ListCollectionSpecifications
// would, sorted.
func (d *Database) ListCollectionNames(ctx context.Context, filter any) ([]string, error) {
	specs, err := d.ListCollectionSpecifications(ctx, filter)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names, nil
}

// compileFilter compiles a filter document; it exists because the methods
// above name their argument filter, after the driver's.
func compileFilter(raw bson.Raw) (*filter.Filter, error) { return filter.Compile(raw) }
