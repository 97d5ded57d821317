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
//
// opts, when given, set a validator (DocumentValidationFailure (121) then
// refuses writes that break it) or make the namespace a view; an invalid
// validator is refused with the query parser's code and nothing is created.
// A view's source and pipeline are taken as given: CreateView checks them.
func (d *Database) CreateCollection(ctx context.Context, name string, opts ...CollectionOptions) error {
	t, err := d.db.txnFor(ctx)
	if err != nil {
		return err
	}
	var o CollectionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	return d.db.eng.CreateCollectionWithOptions(ctx, t, engine.Namespace{DB: d.name, Coll: name}, o)
}

// CollectionOptions are a collection's validator (Validator, a query
// document; ValidationLevel "strict", "moderate" or "off"; ValidationAction
// "error" or "warn") or a view's definition (ViewOn, the source in the same
// database; Pipeline, a BSON array of stages). They persist with the
// collection. The zero value is a plain collection.
type CollectionOptions = engine.CollOptions

// ComputedField is one of CollectionOptions.Computed: a field every write to the collection sets to the value of
// an aggregation expression over the document it writes.
type ComputedField = engine.ComputedField

// Reference is one of CollectionOptions.References: documents of the collection that hold values in Fields name
// the document of Coll whose ParentFields hold the same values.
type Reference = engine.Reference

// ValidationWarning is a write that broke a validator whose action is
// "warn": it was written; OpStats.ValidationWarnings lists it.
type ValidationWarning = engine.ValidationWarning

// ModifyCollection changes a collection's or view's options (MongoDB's
// collMod): change edits a copy of the current ones. A missing collection is
// NamespaceNotFound (26); invalid options change nothing.
func (d *Database) ModifyCollection(ctx context.Context, name string, change func(*CollectionOptions) error) error {
	if err := d.db.check(); err != nil {
		return err
	}
	return d.db.eng.ModifyCollection(ctx, engine.Namespace{DB: d.name, Coll: name}, change)
}

// CollectionOptions returns the options of the collection or view name (those it was created with, as collMod
// left them) and whether it exists. The slices and documents in them are shared: the caller does not modify them.
func (d *Database) CollectionOptions(name string) (CollectionOptions, bool) {
	if d.db.check() != nil {
		return CollectionOptions{}, false
	}
	return d.db.eng.CollectionOptions(engine.Namespace{DB: d.name, Coll: name})
}

// RenameCollection renames the collection from to `to` in this database, with its documents, indexes and
// options. A missing source is NamespaceNotFound (26), an existing target NamespaceExists (48).
func (d *Database) RenameCollection(ctx context.Context, from, to string) error {
	if err := d.db.check(); err != nil {
		return err
	}
	return d.db.eng.RenameCollection(ctx, engine.Namespace{DB: d.name, Coll: from}, engine.Namespace{DB: d.name, Coll: to}, false)
}

// WithoutValidation returns a context whose writes skip collection
// validators, as MongoDB's bypassDocumentValidation.
func WithoutValidation(ctx context.Context) context.Context {
	return engine.WithoutValidation(ctx)
}

// WithoutDefaults returns a context whose inserts leave absent fields absent, whatever defaults the collection
// has (CollectionOptions.Defaults): the writer sets every field it means to.
func WithoutDefaults(ctx context.Context) context.Context {
	return engine.WithoutDefaults(ctx)
}

// WithoutReferences returns a context whose writes skip the collections' references (CollectionOptions.References):
// the writer checks them itself. Its drops and renames of a collection that references name are not refused.
func WithoutReferences(ctx context.Context) context.Context {
	return engine.WithoutReferences(ctx)
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
	// Type is "collection" or "view".
	Type string
	// Options are the creation options; ReadOnly is set for views.
	Options  CollectionOptions
	ReadOnly bool
	// UUID is the collection's UUID (listCollections' info.uuid; zero for a view). A collection keeps it
	// across a rename and a restart and gets a new one when it is dropped and created again.
	UUID [16]byte
}

// ListCollectionSpecifications returns the collections whose
// listCollections entry {name, type, options, info: {readOnly, uuid}}
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
		info := bson.D{{Key: "readOnly", Value: c.Options.IsView()}}
		if !c.Options.IsView() {
			info = append(info, bson.E{Key: "uuid", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: c.UUID[:]}})
		}
		entry, err := bson.Marshal(bson.D{
			{Key: "name", Value: c.Name},
			{Key: "type", Value: c.Type},
			{Key: "options", Value: c.Options.Document()},
			{Key: "info", Value: info},
		})
		if err != nil {
			return nil, codes.New(codes.InternalError, "encoding collection entry: %v", err)
		}
		if m.Match(entry) {
			specs = append(specs, CollectionSpecification{Name: c.Name, Type: c.Type, Options: c.Options, ReadOnly: c.Options.IsView(), UUID: c.UUID})
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
