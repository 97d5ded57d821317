package server

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
)

// idIndexDoc is the _id index entry listCollections reports as idIndex.
var idIndexDoc = bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}}, {Key: "name", Value: "_id_"}}

// collectionExists reports whether db.coll exists in the catalog.
func collectionExists(ctx context.Context, s *Server, db, coll string) (bool, error) {
	names, err := s.DB.Database(db).ListCollectionNames(ctx, bson.D{{Key: "name", Value: coll}})
	if err != nil {
		return false, commandError(err)
	}
	return len(names) > 0, nil
}

// compileMatcher compiles an optional listDatabases/listCollections filter.
func compileMatcher(raw bson.Raw) (*filter.Filter, error) {
	if raw == nil {
		raw = emptyDoc
	}
	f, err := filter.Compile(raw)
	if err != nil {
		return nil, commandError(err)
	}
	return f, nil
}

// handleListDatabases runs listDatabases: {listDatabases: 1, nameOnly, filter}. Reply {databases: [{name,
// sizeOnDisk, empty}], totalSize, totalSizeMb}, or {databases: [{name}]} with nameOnly. The filter applies to the
// entries.
func handleListDatabases(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "listDatabases may only be run against the admin database.")
	}
	nameOnly, err := a.boolean("nameOnly", false)
	if err != nil {
		return nil, err
	}
	filter, err := a.doc("filter")
	if err != nil {
		return nil, err
	}
	m, err := compileMatcher(filter)
	if err != nil {
		return nil, err
	}
	specs, err := s.DB.ListDatabases(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	dbs := bson.A{}
	var total int64
	for _, sp := range specs {
		if req.visibleDB != nil && !req.visibleDB(sp.Name) {
			continue
		}
		entry := bson.D{{Key: "name", Value: sp.Name}}
		if !nameOnly {
			entry = append(entry, bson.E{Key: "sizeOnDisk", Value: sp.SizeOnDisk}, bson.E{Key: "empty", Value: sp.Empty})
		}
		raw, err := bson.Marshal(entry)
		if err != nil {
			return nil, commandError(err)
		}
		if !m.Match(raw) {
			continue
		}
		dbs = append(dbs, bson.Raw(raw))
		total += sp.SizeOnDisk
	}
	reply := bson.D{{Key: "databases", Value: dbs}}
	if !nameOnly {
		reply = append(reply, bson.E{Key: "totalSize", Value: total}, bson.E{Key: "totalSizeMb", Value: total / (1024 * 1024)})
	}
	return reply, nil
}

// handleListCollections runs listCollections: {listCollections: 1, filter, nameOnly}. The reply is a cursor on
// "<db>.$cmd.listCollections" whose entries are {name, type: "collection", options: {}, info: {readOnly: false,
// uuid}, idIndex}, or {name, type} with nameOnly; the filter applies to the entries. Every entry is in the first batch.
func handleListCollections(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	nameOnly, err := a.boolean("nameOnly", false)
	if err != nil {
		return nil, err
	}
	filter, err := a.doc("filter")
	if err != nil {
		return nil, err
	}
	m, err := compileMatcher(filter)
	if err != nil {
		return nil, err
	}
	specs, err := s.DB.Database(req.DB).ListCollectionSpecifications(ctx, nil)
	if err != nil {
		return nil, commandError(err)
	}
	var batch []bson.Raw
	for _, sp := range specs {
		typ := sp.Type
		if typ == "" {
			typ = "collection"
		}
		entry := bson.D{{Key: "name", Value: sp.Name}, {Key: "type", Value: typ}}
		if !nameOnly {
			info := bson.D{{Key: "readOnly", Value: sp.ReadOnly}}
			if !sp.ReadOnly {
				info = append(info, bson.E{Key: "uuid", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: sp.UUID[:]}})
			}
			entry = append(entry,
				bson.E{Key: "options", Value: sp.Options.Document()},
				bson.E{Key: "info", Value: info})
			if !sp.ReadOnly && sp.Options.ClusteredIndex == nil {
				entry = append(entry, bson.E{Key: "idIndex", Value: idIndexDoc})
			}
		}
		raw, err := bson.Marshal(entry)
		if err != nil {
			return nil, commandError(err)
		}
		if m.Match(raw) {
			batch = append(batch, raw)
		}
	}
	return cursorDoc("firstBatch", batch, 0, req.DB+".$cmd.listCollections"), nil
}

// handleCreate runs create: {create: <name>, validator?, validationLevel?, validationAction?, collation?} or,
// for a view, {create: <name>, viewOn, pipeline?, collation?}; the collation is the default of the
// collection's operations and indexes (a view's, of its reads). An existing collection is NamespaceExists (48). Capped,
// clustered and time-series collections are not supported.
func handleCreate(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	opts, err := createOptions(a)
	if err != nil {
		return nil, err
	}
	images := false
	if a.has("changeStreamPreAndPostImages") {
		if images, err = imagesOption(a); err != nil {
			return nil, err
		}
	}
	err = s.DB.Database(req.DB).CreateCollection(ctx, collName, opts)
	if codes.CodeOf(err) == codes.NamespaceExists {
		return nil, codes.New(codes.NamespaceExists, "Collection %s already exists.", ns(req.DB, collName))
	}
	if err != nil {
		return nil, commandError(err)
	}
	if images {
		if err := frontend.SetChangeStreamImages(ctx, s.DB, req.DB, collName, true); err != nil {
			return nil, commandError(err)
		}
	}
	return bson.D{}, nil
}

// handleDrop runs drop: {drop: <coll>}. Reply {nIndexesWas, ns}; a missing collection is NamespaceNotFound (26)
// "ns not found", which drivers ignore.
func handleDrop(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	_, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	exists, err := collectionExists(ctx, s, req.DB, collName)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, codes.New(codes.NamespaceNotFound, "ns not found")
	}
	coll := s.DB.Database(req.DB).Collection(collName)
	idx, err := coll.ListIndexes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	if err := coll.Drop(ctx); err != nil {
		return nil, commandError(err)
	}
	return bson.D{{Key: "nIndexesWas", Value: int32(len(idx))}, {Key: "ns", Value: ns(req.DB, collName)}}, nil
}

// handleDropDatabase runs dropDatabase: {dropDatabase: 1}. Reply {dropped: <db>}; a missing database is not an
// error.
func handleDropDatabase(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	if _, err := parseArgs(req); err != nil {
		return nil, err
	}
	if err := s.DB.Database(req.DB).Drop(ctx); err != nil {
		return nil, commandError(err)
	}
	s.profiler.set(req.DB, 0, nil, nil)
	return bson.D{{Key: "dropped", Value: req.DB}}, nil
}

// indexRequest is one entry of createIndexes' indexes array.
type indexRequest struct {
	name    string
	key     bson.Raw
	unique  bool
	sparse  bool
	hidden  bool
	partial bson.Raw
	ttl     *int32
	// collation is the requested collation, normalized as listIndexes shows it (an empty document for
	// {locale: "simple"}); nil when not given (the collection's default).
	collation bson.Raw
	// wildcard is the wildcardProjection of a wildcard index.
	wildcard bson.Raw
}

// model returns the request as the index model to create.
func (r indexRequest) model() concord.IndexModel {
	m := concord.IndexModel{Keys: r.key, Name: r.name, Unique: r.unique, Sparse: r.sparse, Hidden: r.hidden,
		ExpireAfterSeconds: r.ttl}
	if r.partial != nil {
		m.PartialFilterExpression = r.partial
	}
	if r.collation != nil {
		m.Collation = r.collation
		if len(r.collation) <= 5 {
			m.Collation = bson.D{{Key: "locale", Value: "simple"}}
		}
	}
	if r.wildcard != nil {
		m.WildcardProjection = r.wildcard
	}
	return m
}

// unsupportedIndexTypes are the special index types of mongod that Concord refuses (README: Differences).
var unsupportedIndexTypes = map[string]bool{"text": true, "2d": true, "2dsphere": true, "geoHaystack": true,
	"hashed": true, "columnstore": true}

// parseIndexRequest validates an index specification: a key of ascending/descending fields, a name, and the
// options unique, sparse, partialFilterExpression, expireAfterSeconds and hidden; options Concord does not
// implement are rejected rather than silently ignored.
func parseIndexRequest(i int, d bson.Raw) (indexRequest, error) {
	var r indexRequest
	elems, err := d.Elements()
	if err != nil {
		return r, codes.New(codes.InvalidBSON, "invalid index specification %d: %v", i, err)
	}
	field := func(name string) string { return fmt.Sprintf("indexes.%d.%s", i, name) }
	for _, e := range elems {
		v := e.Value()
		switch k := e.Key(); k {
		case "key":
			if r.key, err = rawDoc("createIndexes", field("key"), v); err != nil {
				return r, err
			}
		case "name":
			s, ok := v.StringValueOK()
			if !ok {
				return r, wrongType("createIndexes", field("name"), v, "type 'string'")
			}
			r.name = s
		case "unique":
			if r.unique, err = rawBool("createIndexes", field("unique"), v); err != nil {
				return r, err
			}
		case "sparse":
			if r.sparse, err = rawBool("createIndexes", field("sparse"), v); err != nil {
				return r, err
			}
		case "hidden":
			if r.hidden, err = rawBool("createIndexes", field("hidden"), v); err != nil {
				return r, err
			}
		case "partialFilterExpression":
			if r.partial, err = rawDoc("createIndexes", field("partialFilterExpression"), v); err != nil {
				return r, err
			}
		case "expireAfterSeconds":
			if !v.IsNumber() {
				return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: TTL index 'expireAfterSeconds' option must be numeric, but received a type of '%s'", d.String(), typeName(v.Type))
			}
			f := v.AsFloat64()
			if f != f || f < 0 || f > math.MaxInt32 {
				return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number", d.String())
			}
			n := int32(f)
			r.ttl = &n
		case "collation":
			d, err := rawDoc("createIndexes", field("collation"), v)
			if err != nil {
				return r, err
			}
			c, err := collation.Parse(d)
			if err != nil {
				return r, err
			}
			r.collation = emptyDoc
			if c != nil {
				if r.collation, err = bson.Marshal(c.Document()); err != nil {
					return r, codes.New(codes.InternalError, "collation: %v", err)
				}
			}
		case "wildcardProjection":
			d, ok := v.DocumentOK()
			if !ok {
				return r, wrongType("createIndexes", field("wildcardProjection"), v, "type 'object'")
			}
			r.wildcard = d
		case "v", "background", "ns":
			// Index version and build mode: every index is a v2 index built in the foreground.
		default:
			return r, codes.New(codes.CannotCreateIndex, "index option '%s' is not supported", k)
		}
	}
	if r.key == nil {
		return r, codes.New(codes.FailedToParse, "Error in specification %s :: caused by :: The 'key' field is a required property of an index specification", d.String())
	}
	keys, err := r.key.Elements()
	if err != nil {
		return r, codes.New(codes.InvalidBSON, "invalid index key: %v", err)
	}
	if len(keys) == 0 {
		return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: Index keys cannot be empty.", d.String())
	}
	for _, k := range keys {
		v := k.Value()
		if str, ok := v.StringValueOK(); ok {
			if unsupportedIndexTypes[str] {
				return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: index type '%s' is not supported", d.String(), str)
			}
			return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: Unknown index plugin '%s'", d.String(), str)
		}
		if !v.IsNumber() {
			return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: Values in the index key pattern can only be numbers; index type %s is not supported", d.String(), v.String())
		}
		if indexDirectionZero(v) {
			return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: Values in the index key pattern can't be 0", d.String())
		}
	}
	if r.sparse && r.partial != nil {
		return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: cannot mix \"partialFilterExpression\" and \"sparse\" options", d.String())
	}
	if r.ttl != nil && len(keys) > 1 {
		return r, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: TTL indexes are single-field indexes, compound indexes do not support TTL. Index spec: %s", d.String(), d.String())
	}
	if r.hidden && len(keys) == 1 && keys[0].Key() == "_id" {
		return r, codes.New(codes.BadValue, "can't hide _id index")
	}
	return r, nil
}

// indexDirectionZero reports whether a numeric key-pattern value is 0 or NaN, which MongoDB refuses. A
// Decimal128 is read as a decimal: AsFloat64 panics on one.
func indexDirectionZero(v bson.RawValue) bool {
	if d, ok := v.Decimal128OK(); ok {
		return d.IsNaN() || value.DecimalIsZero(d)
	}
	f := v.AsFloat64()
	return f == 0 || f != f
}

// sameIndexKey reports whether two key patterns are the same fields in the same order and directions.
func sameIndexKey(a, b bson.Raw) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ae, err1 := a.Elements()
	be, err2 := b.Elements()
	if err1 != nil || err2 != nil || len(ae) != len(be) {
		return false
	}
	for i := range ae {
		if ae[i].Key() != be[i].Key() || (ae[i].Value().AsFloat64() < 0) != (be[i].Value().AsFloat64() < 0) {
			return false
		}
	}
	return true
}

// handleCreateIndexes runs createIndexes: {createIndexes: <coll>, indexes: [{key, name, unique}]}. Reply
// {numIndexesBefore, numIndexesAfter, createdCollectionAutomatically}, or {numIndexesBefore, numIndexesAfter,
// note: "all indexes already exist"} when nothing changed. A unique index over repeated keys fails with
// DuplicateKey (11000).
func handleCreateIndexes(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	if err := a.require("indexes"); err != nil {
		return nil, err
	}
	specs, err := a.docArray("indexes")
	if err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		return nil, codes.New(codes.BadValue, "Must specify at least one index to create")
	}
	reqs := make([]indexRequest, len(specs))
	for i, d := range specs {
		if reqs[i], err = parseIndexRequest(i, d); err != nil {
			return nil, err
		}
	}
	existed, err := collectionExists(ctx, s, req.DB, collName)
	if err != nil {
		return nil, err
	}
	if !existed && req.InTxn {
		// A collection this transaction created earlier is listed to no one else until the commit.
		existed = frontend.CreatedInOpenTxn(s.DB, req.DB, collName)
	}
	coll := s.DB.Database(req.DB).Collection(collName)
	before := 1 // the _id index a new collection gets
	var current []concord.IndexSpecification
	if existed {
		if current, err = coll.ListIndexes(ctx); err != nil {
			return nil, commandError(err)
		}
		before = len(current)
	} else if err := coll.Database().CreateCollection(ctx, collName); err != nil && codes.CodeOf(err) != codes.NamespaceExists {
		return nil, commandError(err)
	}
	created := 0
	for _, r := range reqs {
		if indexExists(current, r) {
			continue
		}
		if _, err := coll.CreateIndex(ctx, r.model()); err != nil {
			return nil, commandError(err)
		}
		created++
	}
	after, err := coll.ListIndexes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	reply := bson.D{{Key: "numIndexesBefore", Value: int32(before)}, {Key: "numIndexesAfter", Value: int32(len(after))}}
	if created == 0 && existed {
		return append(reply, bson.E{Key: "note", Value: "all indexes already exist"}), nil
	}
	return append(reply, bson.E{Key: "createdCollectionAutomatically", Value: !existed}), nil
}

// indexExists reports whether current already holds an index identical to r (same key and options, and the
// same name when r names one). Conflicting definitions are left to CreateIndex, which reports them.
func indexExists(current []concord.IndexSpecification, r indexRequest) bool {
	for _, ix := range current {
		sameTTL := (ix.ExpireAfterSeconds == nil) == (r.ttl == nil) && (r.ttl == nil || *r.ttl == *ix.ExpireAfterSeconds)
		if sameIndexKey(ix.KeysDocument, r.key) && ix.Unique == r.unique && ix.Sparse == r.sparse &&
			ix.Hidden == r.hidden && sameTTL && bytes.Equal(ix.PartialFilterExpression, r.partial) &&
			(r.collation == nil || bytes.Equal(ix.Collation, r.collation) || len(r.collation) <= 5 && ix.Collation == nil) &&
			bytes.Equal(ix.WildcardProjection, r.wildcard) &&
			(r.name == "" || r.name == ix.Name) {
			return true
		}
	}
	return false
}

// handleListIndexes runs listIndexes: {listIndexes: <coll>}. The reply is a cursor of {v: 2, key, name,
// unique?}; a missing collection is NamespaceNotFound (26).
func handleListIndexes(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	_, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	exists, err := collectionExists(ctx, s, req.DB, collName)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, codes.New(codes.NamespaceNotFound, "ns does not exist: %s", namespace)
	}
	specs, err := s.DB.Database(req.DB).Collection(collName).ListIndexes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	clustered := ""
	if cs, err := s.DB.Database(req.DB).ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: collName}}); err == nil && len(cs) == 1 {
		clustered = clusteredName(cs[0].Options)
	}
	batch := make([]bson.Raw, 0, len(specs))
	for _, ix := range specs {
		entry := bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: ix.KeysDocument}, {Key: "name", Value: ix.Name}}
		if clustered != "" && ix.Name == "_id_" {
			// A clustered collection's _id index is its clustered index, listed under its own name.
			entry = bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: ix.KeysDocument}, {Key: "name", Value: clustered},
				{Key: "unique", Value: true}, {Key: "clustered", Value: true}}
		}
		entry = appendIndexOptions(entry, ix)
		raw, err := bson.Marshal(entry)
		if err != nil {
			return nil, commandError(err)
		}
		batch = append(batch, raw)
	}
	return cursorDoc("firstBatch", batch, 0, namespace), nil
}

// appendIndexOptions appends the options listIndexes reports for ix, in mongod's order.
func appendIndexOptions(entry bson.D, ix concord.IndexSpecification) bson.D {
	if ix.Unique {
		entry = append(entry, bson.E{Key: "unique", Value: true})
	}
	if ix.Sparse {
		entry = append(entry, bson.E{Key: "sparse", Value: true})
	}
	if ix.PartialFilterExpression != nil {
		entry = append(entry, bson.E{Key: "partialFilterExpression", Value: ix.PartialFilterExpression})
	}
	if ix.ExpireAfterSeconds != nil {
		entry = append(entry, bson.E{Key: "expireAfterSeconds", Value: *ix.ExpireAfterSeconds})
	}
	if ix.Hidden {
		entry = append(entry, bson.E{Key: "hidden", Value: true})
	}
	if ix.Collation != nil {
		entry = append(entry, bson.E{Key: "collation", Value: ix.Collation})
	}
	if ix.WildcardProjection != nil {
		entry = append(entry, bson.E{Key: "wildcardProjection", Value: ix.WildcardProjection})
	}
	return entry
}

// handleDropIndexes runs dropIndexes: {dropIndexes: <coll>, index: <name> | "*" | <key pattern> | [names]}.
// Reply {nIndexesWas} (plus msg for "*"). The _id index cannot be dropped (InvalidOptions 72); an unknown index
// is IndexNotFound (27); a missing collection NamespaceNotFound (26).
func handleDropIndexes(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	exists, err := collectionExists(ctx, s, req.DB, collName)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, codes.New(codes.NamespaceNotFound, "ns not found %s", namespace)
	}
	coll := s.DB.Database(req.DB).Collection(collName)
	current, err := coll.ListIndexes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	if err := a.require("index"); err != nil {
		return nil, err
	}
	var names []string
	all := false
	switch v := a.raw("index"); v.Type {
	case bson.TypeString:
		if v.StringValue() == "*" {
			all = true
			for _, ix := range current {
				if ix.Name != "_id_" {
					names = append(names, ix.Name)
				}
			}
		} else {
			names = []string{v.StringValue()}
		}
	case bson.TypeEmbeddedDocument:
		key := v.Document()
		var found []string
		for _, ix := range current {
			if sameIndexKey(ix.KeysDocument, key) {
				found = append(found, ix.Name)
			}
		}
		if len(found) == 0 {
			return nil, codes.New(codes.IndexNotFound, "can't find index with key: %s", key.String())
		}
		if len(found) > 1 {
			return nil, codes.New(codes.AmbiguousIndexKeyPattern, "%d indexes found for key: %s, identify by name instead. Conflicting indexes: %s", len(found), key.String(), strings.Join(found, ", "))
		}
		names = found
	case bson.TypeArray:
		vals, err := rawArray(req.Name, "index", v)
		if err != nil {
			return nil, err
		}
		for i, n := range vals {
			s, ok := n.StringValueOK()
			if !ok {
				return nil, wrongType(req.Name, fmt.Sprintf("index.%d", i), n, "type 'string'")
			}
			names = append(names, s)
		}
	default:
		return nil, wrongType(req.Name, "index", v, "types '[string, object, array]'")
	}
	if !all {
		// Check every name first: a list with one bad name drops nothing, as in mongod.
		for _, name := range names {
			if name == "_id_" {
				return nil, codes.New(codes.InvalidOptions, "cannot drop _id index")
			}
			if !hasIndexNamed(current, name) {
				return nil, codes.New(codes.IndexNotFound, "index not found with name [%s]", name)
			}
		}
	}
	for _, name := range names {
		if err := coll.DropIndex(ctx, name); err != nil {
			return nil, commandError(err)
		}
	}
	reply := bson.D{{Key: "nIndexesWas", Value: int32(len(current))}}
	if all {
		reply = append(reply, bson.E{Key: "msg", Value: "non-_id indexes dropped for collection"})
	}
	return reply, nil
}

// hasIndexNamed reports whether specs holds an index called name.
func hasIndexNamed(specs []concord.IndexSpecification, name string) bool {
	for _, ix := range specs {
		if ix.Name == name {
			return true
		}
	}
	return false
}

// scaleArg reads the optional scale of dbStats/collStats (default 1).
func scaleArg(a *cmdArgs) (int64, error) {
	scale, err := a.int64("scale", 1)
	if err != nil {
		return 0, err
	}
	if scale < 1 {
		return 0, codes.New(codes.BadValue, "scale has to be > 0")
	}
	return scale, nil
}

// handleDBStats runs dbStats: {dbStats: 1, scale}. Sizes are data sizes (storage and index sizes are reported
// equal to them, as the engine does not track pages).
func handleDBStats(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	scale, err := scaleArg(a)
	if err != nil {
		return nil, err
	}
	d := s.DB.Database(req.DB)
	names, err := d.ListCollectionNames(ctx, nil)
	if err != nil {
		return nil, commandError(err)
	}
	var objects, dataSize, indexes, indexSize int64
	for _, name := range names {
		st, err := d.Collection(name).Stats(ctx)
		if err != nil {
			return nil, commandError(err)
		}
		objects += st.Count
		dataSize += st.Size
		indexes += int64(st.NIndexes)
		sizes, err := d.Collection(name).IndexSizes(ctx)
		if err != nil {
			return nil, commandError(err)
		}
		for _, n := range sizes {
			indexSize += n
		}
	}
	var avg float64
	if objects > 0 {
		avg = float64(dataSize) / float64(objects)
	}
	return bson.D{
		{Key: "db", Value: req.DB},
		{Key: "collections", Value: int64(len(names))},
		{Key: "views", Value: int64(0)},
		{Key: "objects", Value: objects},
		{Key: "avgObjSize", Value: avg},
		{Key: "dataSize", Value: float64(dataSize / scale)},
		{Key: "storageSize", Value: float64(dataSize / scale)},
		{Key: "indexes", Value: indexes},
		{Key: "indexSize", Value: float64(indexSize / scale)},
		{Key: "totalSize", Value: float64((dataSize + indexSize) / scale)},
		{Key: "scaleFactor", Value: scale},
		{Key: "fsUsedSize", Value: float64(0)},
		{Key: "fsTotalSize", Value: float64(0)},
	}, nil
}

// handleCollStats runs collStats: {collStats: <coll>, scale}. Reply {ns, size, count, avgObjSize, storageSize,
// capped, nindexes, totalIndexSize, totalSize, indexSizes, scaleFactor}; a missing collection is
// NamespaceNotFound (26).
func handleCollStats(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	scale, err := scaleArg(a)
	if err != nil {
		return nil, err
	}
	st, err := collStats(ctx, s, req.DB, collName, scale)
	if err != nil {
		return nil, err
	}
	return append(bson.D{{Key: "ns", Value: ns(req.DB, collName)}}, st...), nil
}

// collStats returns the storage statistics of db.coll as collStats and $collStats's storageStats report them
// (without ns). Storage and index sizes are the data size and zero: the engine does not track pages.
func collStats(ctx context.Context, s *Server, db, collName string, scale int64) (bson.D, error) {
	namespace := ns(db, collName)
	exists, err := collectionExists(ctx, s, db, collName)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, codes.New(codes.NamespaceNotFound, "Collection [%s] not found.", namespace)
	}
	coll := s.DB.Database(db).Collection(collName)
	st, err := coll.Stats(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	idx, err := coll.ListIndexes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	byName, err := coll.IndexSizes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	sizes := bson.D{}
	var total int64
	for _, ix := range idx {
		sizes = append(sizes, bson.E{Key: ix.Name, Value: byName[ix.Name] / scale})
		total += byName[ix.Name]
	}
	var avg int64
	if st.Count > 0 {
		avg = st.Size / st.Count
	}
	var opts concord.CollectionOptions
	if cs, err := s.DB.Database(db).ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: collName}}); err == nil && len(cs) == 1 {
		opts = cs[0].Options
	}
	capped := bson.D{{Key: "capped", Value: opts.Capped}}
	if opts.Capped {
		// mongod reports max only when set, and maxSize scaled.
		if opts.Max > 0 {
			capped = append(capped, bson.E{Key: "max", Value: opts.Max})
		}
		capped = append(capped, bson.E{Key: "maxSize", Value: opts.Size / scale})
	}
	out := bson.D{
		{Key: "size", Value: st.Size / scale},
		{Key: "count", Value: st.Count},
		{Key: "avgObjSize", Value: avg},
		{Key: "storageSize", Value: st.Size / scale},
		{Key: "freeStorageSize", Value: int64(0)},
	}
	out = append(out, capped...)
	return append(out, bson.D{
		{Key: "nindexes", Value: int32(st.NIndexes)},
		{Key: "indexBuilds", Value: bson.A{}},
		{Key: "totalIndexSize", Value: total / scale},
		{Key: "totalSize", Value: (st.Size + total) / scale},
		{Key: "indexSizes", Value: sizes},
		{Key: "scaleFactor", Value: scale},
	}...), nil
}
