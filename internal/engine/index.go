package engine

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
)

// IndexSpec describes an index. Name "" means MongoDB's default name built
// from the key pattern ("a_1_b_-1").
type IndexSpec struct {
	Name   string
	Key    bson.D
	Unique bool
	// Sparse leaves out documents that have none of the indexed fields.
	Sparse bool
	// Partial is a partialFilterExpression: only matching documents are
	// indexed, and the planner uses the index only for queries implying it.
	Partial bson.Raw
	// TTL makes a single-field index a TTL index: documents whose indexed
	// date is more than ExpireAfterSeconds old are removed in the background.
	TTL                bool
	ExpireAfterSeconds int64
	// Hidden indexes are maintained but never chosen by the planner.
	Hidden bool
	// Collation is the index's collation document: its keys hold strings as collation keys, so a unique
	// index equates strings the collation equates, and the planner uses it for string bounds and sorts only
	// under the same collation. Nil when creating means the collection's default collation;
	// {locale: "simple"} means none. IndexSpec values the engine returns hold mongod's normalized document,
	// nil for none.
	Collation bson.Raw
	// WildcardProjection selects the paths of a {"$**": 1} index (see
	// wildcard.go); nil indexes every path but _id.
	WildcardProjection bson.Raw
}

// idIndexName is the name of the implicit unique index on _id.
const idIndexName = "_id_"

// indexField is one component of a key pattern.
type indexField struct {
	path  string
	parts []string
	desc  bool
}

// index is a secondary index definition. Its entries live under
// indexPrefix(collID, id); see storage.go for the entry layout.
type index struct {
	name    string
	key     bson.D
	fields  []indexField
	unique  bool
	id      uint32
	pattern string // "{ a: 1, b: -1 }", as MongoDB prints key patterns

	sparse     bool
	partialRaw bson.Raw
	partial    *filter.Filter // nil: every document is indexed
	ttl        int64          // expireAfterSeconds; -1 when not a TTL index
	hidden     bool
	// coll is the index's collation (nil: binary); collDoc its normalized document (nil for none).
	coll     *collation.Collation
	collDoc  bson.Raw
	wildcard *wildcardIndex // a wildcard index's paths; nil for others

	// multikey is set (never cleared) once a document with an array on an
	// indexed path is indexed; it is shared by every catalog version of the
	// index. A multikey index cannot serve a sort.
	multikey *atomic.Bool
	// built is the engine's index generation (Engine.idxGen) at which the
	// index's entries were all committed: a snapshot taken at an earlier
	// generation does not hold them, and its reads do not plan on the index
	// (planOptions.asOf). 0 for an index the engine opened with; the maximum
	// while it is being built. Shared by every catalog version of the index.
	built *atomic.Uint64
}

// spec returns the definition of ix as an IndexSpec.
func (ix *index) spec() IndexSpec {
	s := IndexSpec{Name: ix.name, Key: ix.key, Unique: ix.unique, Sparse: ix.sparse, Partial: ix.partialRaw,
		TTL: ix.ttl >= 0, ExpireAfterSeconds: max(ix.ttl, 0), Hidden: ix.hidden, Collation: ix.collDoc}
	if ix.wildcard != nil {
		s.WildcardProjection = ix.wildcard.projRaw
	}
	return s
}

// withOptions returns a copy of ix with the options of s (name and key
// are ix's own), sharing ix's multikey flag.
func (ix *index) withOptions(s IndexSpec) (*index, error) {
	n, err := newIndexFromSpec(s, ix.id)
	if err != nil {
		return nil, err
	}
	n.name, n.multikey, n.built = ix.name, ix.multikey, ix.built
	return n, nil
}

// newIndexFromSpec validates a specification and builds an index
// definition with the given id.
func newIndexFromSpec(s IndexSpec, id uint32) (*index, error) {
	var ix *index
	var err error
	if len(s.Key) > 0 && slices.ContainsFunc(s.Key, func(e bson.E) bool { return isWildcardKey(e.Key) }) {
		w, err := newWildcard(s)
		if err != nil {
			return nil, err
		}
		ix = &index{name: s.Name, key: s.Key, id: id, ttl: -1, multikey: new(atomic.Bool), built: new(atomic.Uint64), wildcard: w,
			pattern: patternString(s.Key)}
		if ix.name == "" {
			ix.name = defaultIndexName(s.Key)
		}
	} else if len(s.WildcardProjection) > 0 {
		return nil, codes.New(codes.BadValue, "Error in specification %s :: caused by :: The field 'wildcardProjection' is only allowed in an 'wildcard' index", patternString(s.Key))
	} else if ix, err = newIndex(s.Name, s.Key, s.Unique, id); err != nil {
		return nil, err
	}
	ix.sparse, ix.hidden = s.Sparse, s.Hidden
	if s.Collation != nil {
		if ix.coll, err = collation.Parse(s.Collation); err != nil {
			return nil, err
		}
		if ix.coll != nil {
			if ix.collDoc, err = bson.Marshal(ix.coll.Document()); err != nil {
				return nil, codes.New(codes.InternalError, "collation: %v", err)
			}
		}
	}
	if s.TTL {
		ix.ttl = max(s.ExpireAfterSeconds, 0)
	}
	if len(s.Partial) > 0 {
		f, err := filter.Compile(s.Partial)
		if err != nil {
			return nil, err
		}
		ix.partialRaw, ix.partial = append(bson.Raw(nil), s.Partial...), f
	}
	return ix, nil
}

// isMultikey reports whether a document with an array on an indexed path
// has been indexed.
func (ix *index) isMultikey() bool { return ix.multikey.Load() }

// newIndex validates a key pattern and builds an index definition.
func newIndex(name string, key bson.D, unique bool, id uint32) (*index, error) {
	if len(key) == 0 {
		return nil, codes.New(codes.CannotCreateIndex, "Index keys cannot be empty.")
	}
	ix := &index{name: name, key: key, unique: unique, id: id, ttl: -1, multikey: new(atomic.Bool), built: new(atomic.Uint64)}
	var pat []string
	seen := map[string]bool{}
	for _, e := range key {
		if e.Key == "" || strings.HasPrefix(e.Key, "$") || strings.Contains(e.Key, "..") ||
			strings.HasPrefix(e.Key, ".") || strings.HasSuffix(e.Key, ".") {
			return nil, codes.New(codes.CannotCreateIndex, "Index key contains an illegal field name: '%s'", e.Key)
		}
		if seen[e.Key] {
			return nil, codes.New(codes.CannotCreateIndex, "Error in specification %s :: caused by :: duplicate field: %s", patternString(key), e.Key)
		}
		seen[e.Key] = true
		dir, ok := indexDirection(e.Value)
		if !ok {
			return nil, codes.New(codes.CannotCreateIndex, "Values in the index key pattern can only be positive or negative numbers; found %v for field %s", e.Value, e.Key)
		}
		ix.fields = append(ix.fields, indexField{path: e.Key, parts: strings.Split(e.Key, "."), desc: dir < 0})
		pat = append(pat, e.Key+": "+indexNumberString(e.Value))
	}
	ix.pattern = "{ " + strings.Join(pat, ", ") + " }"
	if ix.name == "" {
		ix.name = defaultIndexName(key)
	}
	return ix, nil
}

// indexDirection returns +1 or -1 for a key pattern value; other values
// (special index types, zero, strings) are not supported.
func indexDirection(v any) (int, bool) {
	var f float64
	switch x := v.(type) {
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case int:
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, false
	}
	switch {
	case f > 0:
		return 1, true
	case f < 0:
		return -1, true
	}
	return 0, false
}

// indexNumberString prints a key pattern value the way MongoDB names
// indexes ("1", "-1", "1.5").
func indexNumberString(v any) string {
	switch x := v.(type) {
	case int32:
		return strconv.Itoa(int(x))
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// defaultIndexName is MongoDB's generated name: fields and directions joined
// with "_".
func defaultIndexName(key bson.D) string {
	var parts []string
	for _, e := range key {
		parts = append(parts, e.Key, indexNumberString(e.Value))
	}
	return strings.Join(parts, "_")
}

// patternString prints a key pattern as "{ a: 1 }".
func patternString(key bson.D) string {
	var parts []string
	for _, e := range key {
		parts = append(parts, e.Key+": "+indexNumberString(e.Value))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// sameKey reports whether two key patterns are identical.
func sameKey(a, b bson.D) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		da, _ := indexDirection(a[i].Value)
		db, _ := indexDirection(b[i].Value)
		if a[i].Key != b[i].Key || da != db {
			return false
		}
	}
	return true
}

// indexPathValues returns the values a document contributes to an index on
// the given path (MongoDB's key generation): arrays are expanded, so a
// document yields one key per element (multikey); a missing value indexes as
// null and an empty array as undefined. multikey reports an array on the path.
func indexPathValues(doc bson.Raw, parts []string) (vals []bson.RawValue, multikey bool) {
	indexCollect(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, parts, &vals, &multikey)
	if len(vals) == 0 {
		vals = append(vals, bson.RawValue{Type: bson.TypeNull})
	}
	return vals, multikey
}

// indexCollect walks parts from v, appending the values found (see
// indexPathValues).
func indexCollect(v bson.RawValue, parts []string, out *[]bson.RawValue, multikey *bool) {
	if len(parts) == 0 {
		if v.Type == bson.TypeArray {
			*multikey = true
			arr, _ := v.ArrayOK()
			elems, _ := arr.Values()
			if len(elems) == 0 {
				*out = append(*out, bson.RawValue{Type: bson.TypeUndefined})
			}
			*out = append(*out, elems...)
			return
		}
		*out = append(*out, v)
		return
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		d, _ := v.DocumentOK()
		sub, err := d.LookupErr(parts[0])
		if err != nil {
			return
		}
		indexCollect(sub, parts[1:], out, multikey)
	case bson.TypeArray:
		*multikey = true
		arr, _ := v.ArrayOK()
		elems, _ := arr.Values()
		if n, err := strconv.Atoi(parts[0]); err == nil && n >= 0 && n < len(elems) {
			indexCollect(elems[n], parts[1:], out, multikey)
		}
		for _, el := range elems {
			before := len(*out)
			if el.Type == bson.TypeEmbeddedDocument {
				indexCollect(el, parts, out, multikey)
			}
			if len(*out) == before {
				*out = append(*out, bson.RawValue{Type: bson.TypeNull})
			}
		}
	}
}

// keys returns the distinct encoded keys (without the index prefix and
// without the _id suffix) that doc has in ix. A compound index over two
// array fields is CannotIndexParallelArrays (171), as in MongoDB.
func (ix *index) keys(doc bson.Raw) ([][]byte, error) {
	k, _, err := ix.keysMulti(doc)
	return k, err
}

// keysMulti is keys, also reporting whether doc has an array on an indexed
// path (which makes the index multikey).
func (ix *index) keysMulti(doc bson.Raw) ([][]byte, bool, error) {
	ents, multikey, err := ix.entries(doc)
	if err != nil || len(ents) == 0 {
		return nil, multikey, err
	}
	out := make([][]byte, len(ents))
	for i, en := range ents {
		out[i] = en.key
	}
	return out, multikey, nil
}

// indexEntry is one entry a document has in an index: its encoded key
// (without the index prefix and the _id suffix) and the exact values the
// entry stores after the _id (see entryValues).
type indexEntry struct{ key, vals []byte }

// entries returns the distinct entries doc has in ix, and whether doc has
// an array on an indexed path (which makes the index multikey).
func (ix *index) entries(doc bson.Raw) (out []indexEntry, multikey bool, err error) {
	if doc == nil {
		return nil, false, nil
	}
	if ix.partial != nil && !ix.partial.Match(doc) {
		return nil, false, nil
	}
	if ix.wildcard != nil {
		return ix.wildcardEntries(doc)
	}
	if ix.sparse && !ix.hasAnyField(doc) {
		return nil, false, nil
	}
	combos := [][]byte{nil}
	var arrays []string
	var exact []bson.RawValue // one value per field, while no field is an array
	for _, f := range ix.fields {
		var vals []bson.RawValue
		var multi bool
		indexCollect(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, f.parts, &vals, &multi)
		if len(vals) == 0 {
			vals = append(vals, bson.RawValue{}) // missing: keyed as null, stored as missing
		}
		if multi {
			arrays = append(arrays, f.path)
			if len(arrays) > 1 {
				return nil, false, codes.New(codes.CannotIndexParallelArrays, "cannot index parallel arrays [%s] [%s]", arrays[1], arrays[0])
			}
			multikey = true
			if !ix.multikey.Load() {
				ix.multikey.Store(true)
			}
		} else {
			exact = append(exact, vals[0])
		}
		next := make([][]byte, 0, len(combos)*len(vals))
		for _, c := range combos {
			for _, v := range vals {
				enc := appendKeyValue(nil, collateKeyValue(v, ix.coll))
				if f.desc {
					invertKey(enc)
				}
				k := make([]byte, 0, len(c)+len(enc))
				k = append(append(k, c...), enc...)
				next = append(next, k)
			}
		}
		combos = next
	}
	if !multikey {
		return []indexEntry{{key: combos[0], vals: entryValues(exact)}}, false, nil
	}
	seen := make(map[string]bool, len(combos))
	out = make([]indexEntry, 0, len(combos))
	for _, c := range combos {
		if !seen[string(c)] {
			seen[string(c)] = true
			out = append(out, indexEntry{key: c, vals: entryMultikey})
		}
	}
	return out, true, nil
}

// The values an index entry stores after the document's _id begin with one
// of these bytes. Keys order and equate values as MongoDB compares them, so
// they lose what a comparison ignores (int32 5, int64 5 and 5.0 share a
// key, as do a missing field and null); the exact values let a covered
// query answer from the index alone, as mongod's KeyString type bits do.
const (
	// entryExact: for each field of the key pattern, in order, its BSON
	// type byte and value bytes (type 0 and nothing for a missing field).
	entryExact byte = 1
	// entryFetch: nothing follows; the document must be read (an entry of
	// a document with an array on an indexed path: the key holds one
	// element, not the field's value). An entry written before exact values
	// were stored has no value section at all, which reads the same.
	entryFetch byte = 2
)

// entryMultikey is the value section of a multikey document's entries.
var entryMultikey = []byte{entryFetch}

// entryValues is the entryExact value section for vals.
func entryValues(vals []bson.RawValue) []byte {
	n := 1
	for _, v := range vals {
		n += 1 + len(v.Value)
	}
	out := make([]byte, 0, n)
	out = append(out, entryExact)
	for _, v := range vals {
		out = append(out, byte(v.Type))
		out = append(out, v.Value...)
	}
	return out
}

// parseEntryValues decodes the value section that follows the _id in an
// entry of an index with nfields fields: the fields' exact values (a zero
// Type for a missing field), or ok false when the entry does not hold them
// (entryFetch, an older entry, or a malformed one). The values alias b
// and are appended to dst[:0].
func parseEntryValues(b []byte, nfields int, dst []bson.RawValue) (vals []bson.RawValue, ok bool) {
	if len(b) == 0 || b[0] != entryExact {
		return nil, false
	}
	b = b[1:]
	vals = dst[:0]
	for range nfields {
		if len(b) == 0 {
			return nil, false
		}
		t := bson.Type(b[0])
		b = b[1:]
		if t == 0 {
			vals = append(vals, bson.RawValue{})
			continue
		}
		v, rest, ok := bsoncore.ReadValue(b, bsoncore.Type(t))
		if !ok {
			return nil, false
		}
		vals = append(vals, bson.RawValue{Type: t, Value: v.Data})
		b = rest
	}
	return vals, len(b) == 0
}

// hasAnyField reports whether doc has a value on at least one indexed path
// (what a sparse index requires; a null counts as a value).
func (ix *index) hasAnyField(doc bson.Raw) bool {
	for _, f := range ix.fields {
		var vals []bson.RawValue
		var multi bool
		indexCollect(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, f.parts, &vals, &multi)
		if len(vals) > 0 {
			return true
		}
	}
	return false
}

// keyValue returns the index's field values for doc as a KeyValue document
// for DuplicateKey errors (the first key when multikey).
func (ix *index) keyValue(doc bson.Raw) bson.D {
	var d bson.D
	for _, f := range ix.fields {
		vals, _ := indexPathValues(doc, f.parts)
		d = append(d, bson.E{Key: f.path, Value: vals[0]})
	}
	return d
}

// dupKeyError builds MongoDB's DuplicateKey error for index name on ns.
func dupKeyError(ns Namespace, name string, pattern, value bson.D) *codes.Error {
	var parts []string
	for _, e := range value {
		parts = append(parts, e.Key+": "+formatKeyValue(e.Value))
	}
	msg := fmt.Sprintf("E11000 duplicate key error collection: %s index: %s dup key: { %s }", ns.String(), name, strings.Join(parts, ", "))
	return &codes.Error{Code: codes.DuplicateKey, Message: msg, KeyPattern: pattern, KeyValue: value}
}

// indexDupKeyError is the DuplicateKey error of secondary index ix for doc. A collated index reports, as
// mongod does, its collation and the key as stored: each string is its collation key, hex-encoded in the
// message ("0x...") and raw in keyValue.
func indexDupKeyError(ns Namespace, ix *index, doc bson.Raw) *codes.Error {
	value := ix.keyValue(doc)
	if ix.coll == nil {
		return dupKeyError(ns, ix.name, ix.key, value)
	}
	var parts []string
	for i, e := range value {
		v := e.Value.(bson.RawValue)
		if s, ok := v.StringValueOK(); ok {
			k := ix.coll.Key([]byte(s))
			parts = append(parts, e.Key+": \"0x"+hex.EncodeToString(k)+"\"")
			value[i].Value = bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, string(k))}
			continue
		}
		parts = append(parts, e.Key+": "+formatKeyValue(e.Value))
	}
	msg := fmt.Sprintf("E11000 duplicate key error collection: %s index: %s collation: %s dup key: { %s }", ns.String(), ix.name,
		formatCollation(ix.coll), strings.Join(parts, ", "))
	return &codes.Error{Code: codes.DuplicateKey, Message: msg, KeyPattern: ix.key, KeyValue: value}
}

// formatCollation prints a collation document as mongod prints a BSONObj: { locale: "en", strength: 2, ... }.
func formatCollation(c *collation.Collation) string {
	var parts []string
	for _, e := range c.Document() {
		if s, ok := e.Value.(string); ok {
			parts = append(parts, e.Key+": "+strconv.Quote(s))
			continue
		}
		parts = append(parts, e.Key+": "+fmt.Sprint(e.Value))
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// idDupKeyError is the DuplicateKey error of the _id index.
func idDupKeyError(ns Namespace, id bson.RawValue) *codes.Error {
	return dupKeyError(ns, idIndexName, bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "_id", Value: id}})
}

// formatKeyValue prints a value the way mongod prints keys in error messages.
func formatKeyValue(v any) string {
	rv, ok := v.(bson.RawValue)
	if !ok {
		return fmt.Sprint(v)
	}
	switch rv.Type {
	case bson.TypeInt32:
		return strconv.Itoa(int(rv.Int32()))
	case bson.TypeInt64:
		return strconv.FormatInt(rv.Int64(), 10)
	case bson.TypeDouble:
		f := rv.Double()
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return strconv.FormatFloat(f, 'f', 1, 64)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case bson.TypeString:
		return strconv.Quote(rv.StringValue())
	case bson.TypeObjectID:
		return "ObjectId('" + rv.ObjectID().Hex() + "')"
	case bson.TypeBoolean:
		return strconv.FormatBool(rv.Boolean())
	case bson.TypeNull, 0:
		return "null"
	}
	return rv.String()
}

// CreateIndex creates an index (creating the collection if missing) and
// builds it over the existing documents; a unique index over duplicate values
// fails with DuplicateKey (11000) and is not created. Creating an identical
// existing index is a no-op returning its name. Inside a transaction t, as in
// mongod, a new index goes only on a collection t creates (a missing one is
// created, and dropped again if t aborts), and only while t has written no
// document to it; otherwise it is OperationNotSupportedInTransaction (263).
func (e *Engine) CreateIndex(ctx context.Context, t *Txn, ns Namespace, spec IndexSpec) (string, error) {
	return e.createIndexStmt(ctx, t, ns, spec, false)
}

// CreateIndexOverWrites is CreateIndex for a layer whose transactions hold DDL (SQL's transaction blocks):
// inside a transaction t, on a collection t created, it builds the index also when t has already written
// documents to it, where CreateIndex (and mongod) refuse with 263. The index then covers t's documents as t
// sees them: t's writes move to the collection's new version, so that its commit writes their entries; a unique
// index over documents of t that repeat a key is DuplicateKey (11000), and not created; from then on the unique
// keys of t's documents are t's (claimed in the owner table), so that t's later writes and every other
// transaction meet them as they meet any unique key a transaction wrote. RollbackTo a savepoint from before
// the index drops it again, and an abort takes it with the collection. Outside a transaction, or on a
// collection t did not create, it is CreateIndex.
func (e *Engine) CreateIndexOverWrites(ctx context.Context, t *Txn, ns Namespace, spec IndexSpec) (string, error) {
	return e.createIndexStmt(ctx, t, ns, spec, true)
}

// createIndexStmt is CreateIndex and CreateIndexOverWrites: overWrites builds the index over t's writes.
func (e *Engine) createIndexStmt(ctx context.Context, t *Txn, ns Namespace, spec IndexSpec, overWrites bool) (string, error) {
	if err := e.enter(); err != nil {
		return "", err
	}
	defer e.exit()
	if len(spec.Key) == 1 && spec.Key[0].Key == "_id" {
		if d, ok := indexDirection(spec.Key[0].Value); ok && d > 0 {
			return idIndexName, nil
		}
	}
	if spec.Name == idIndexName {
		return "", codes.New(codes.BadValue, "The index name '_id_' is reserved for the _id index, which must have key pattern {_id: 1}, found key: %s", patternString(spec.Key))
	}
	var name string
	err := t.ddlStatement(ctx, func() (err error) {
		name, err = e.createIndex(t, ns, spec, overWrites)
		return err
	})
	return name, err
}

// createIndex is CreateIndex (CreateIndexOverWrites with overWrites) once the statement has begun.
func (e *Engine) createIndex(t *Txn, ns Namespace, spec IndexSpec, overWrites bool) (string, error) {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c, created, err := e.collOrCreateLocked(t, ns)
	if err != nil {
		return "", err
	}
	if created {
		t.noteCreated(c)
	}
	if spec.Collation == nil {
		spec.Collation = c.opts.Collation // the collection's default, normalized (nil: none)
	}
	ix, err := newIndexFromSpec(spec, c.nextIndexID)
	if err != nil {
		return "", err
	}
	for _, old := range c.indexes {
		switch {
		case old.name == ix.name && sameSignature(old, ix) && sameOptions(old, ix):
			return old.name, nil
		case old.name == ix.name && sameSignature(old, ix):
			return "", codes.New(codes.IndexOptionsConflict, "An equivalent index already exists with the same name but different options. Requested index: %s, existing index: %s", ix.pattern, old.pattern)
		case old.name == ix.name:
			return "", codes.New(codes.IndexKeySpecsConflict, "An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: %s, existing index: %s", ix.pattern, old.pattern)
		case sameSignature(old, ix):
			return "", codes.New(codes.IndexOptionsConflict, "Index already exists with a different name: %s", old.name)
		}
	}
	var own *ownBuild
	if t != nil && t.explicit {
		if !t.createdColl(c) {
			return "", codes.New(codes.OperationNotSupportedInTransaction, "Cannot create new indexes on existing collection %s in a multi-document transaction.", ns.String())
		}
		if t.wroteTo(c) {
			if !overWrites {
				// mongod builds an index in a transaction only on an empty collection.
				return "", codes.New(codes.OperationNotSupportedInTransaction, "Cannot create new indexes on non-empty collection %s in a multi-document transaction.", ns.String())
			}
			own = &ownBuild{t: t, writes: t.collWrites(c)}
		}
	}
	ix.built.Store(math.MaxUint64) // no snapshot holds its entries until they are committed (below)
	nc := c.clone()
	nc.nextIndexID++
	nc.indexes = append(nc.indexes, ix)
	build := func(b *pebble.Batch) error {
		committed, err := e.buildIndex(nc, ix, b, own != nil && ix.unique)
		if err != nil || own == nil {
			return err
		}
		return own.index(nc, ix, committed)
	}
	if err := e.installCollection(ns, nc, nil, build); err != nil {
		return "", err
	}
	ix.built.Store(e.idxGen.Add(1))
	e.resetUse(nc.id, ix.id)
	if t != nil && t.explicit {
		t.noteChanged(nc)
	}
	if own != nil {
		own.moveTo(nc)
	}
	return ix.name, nil
}

// wroteTo reports whether t has buffered writes in collection c.
func (t *Txn) wroteTo(c *collection) bool {
	for _, k := range t.order {
		if w := t.writes[k]; w != nil && w.coll.ns == c.ns && w.coll.id == c.id {
			return true
		}
	}
	return false
}

// collWrites returns t's buffered writes in collection c (any version of it), in t's order.
func (t *Txn) collWrites(c *collection) []*docWrite {
	var out []*docWrite
	for _, k := range t.order {
		if w := t.writes[k]; w != nil && w.coll.ns == c.ns && w.coll.id == c.id {
			out = append(out, w)
		}
	}
	return out
}

// ownBuild is the part of an index build (CreateIndexOverWrites) that covers the buffered writes of the
// transaction t building it, in the collection t created.
type ownBuild struct {
	t      *Txn
	writes []*docWrite
	// uniq are the unique keys of the new index as t sees them (see index): what moveTo adds to t.uniq.
	uniq []uniqueChange
}

// index covers t's writes by a new index ix of nc, once the committed documents are indexed (committed maps
// each unique key of theirs to its document's key; nil for a non-unique index). Nothing is needed for a
// non-unique index: t's commit writes the entries of its documents (buildBatch). For a unique one, index checks
// that t's view of the collection (the committed documents, those t wrote replaced by t's versions) repeats no
// key (DuplicateKey 11000), and claims every key t's writes add or remove, as putDoc claims them: no other
// transaction writes them until t ends, and t's own later writes find them in t.uniq (moveTo). It runs under
// commitMu, before the index is in the catalog, so no other transaction can have claimed one of its keys. On
// error nothing is claimed.
func (o *ownBuild) index(nc *collection, ix *index, committed map[string]string) error {
	if !ix.unique {
		return nil
	}
	t := o.t
	prefix := indexPrefix(nc.id, ix.id)
	uk := func(k []byte) string { return string(append(append([]byte(nil), prefix...), k...)) }
	// view: each unique key in t's view -> the key of the document holding it.
	view := make(map[string]string, len(committed)+len(o.writes))
	for k, holder := range committed {
		if _, ok := t.writes[holder]; !ok {
			view[k] = holder
			o.uniq = append(o.uniq, uniqueChange{uk([]byte(k)), holder})
		}
	}
	var changes []uniqueChange
	for _, w := range o.writes {
		newKeys, err := ix.keys(w.doc)
		if err != nil {
			return err
		}
		for _, k := range newKeys {
			if h, ok := view[string(k)]; ok && h != string(w.key) {
				return indexDupKeyError(nc.ns, ix, w.doc)
			}
			view[string(k)] = string(w.key)
			changes = append(changes, uniqueChange{uk(k), string(w.key)})
		}
		// A key the committed base had and t's version has not: t's commit deletes its entry, so it is
		// t's to claim (putDoc does the same).
		oldKeys, _ := ix.keys(w.base)
		inNew := keySet(newKeys)
		for _, k := range oldKeys {
			if !inNew(k) {
				changes = append(changes, uniqueChange{uk(k), ""})
			}
		}
	}
	for _, ch := range changes {
		if err := t.claim(ch.uk); err != nil {
			// Unreachable: no one else knows the index yet.
			return writeConflictError()
		}
		t.claims[ch.uk] = true
	}
	o.uniq = append(o.uniq, changes...)
	return nil
}

// moveTo makes t's writes, and its view of the unique keys, those of nc, the collection's version that holds
// the new index: t's commit checks that the versions it wrote through are current (errCatalogChanged).
func (o *ownBuild) moveTo(nc *collection) {
	t := o.t
	for _, w := range o.writes {
		w.coll = nc
	}
	if len(o.uniq) == 0 {
		return
	}
	if t.uniq == nil {
		t.uniq = make(map[string]string, len(o.uniq))
	}
	for _, ch := range o.uniq {
		// A key a write removed ("") may be another write's now: set ones win.
		if h, ok := t.uniq[ch.uk]; ok && h != "" && ch.holder == "" {
			continue
		}
		t.uniq[ch.uk] = ch.holder
	}
}

// buildIndex writes ix's entries for every committed document of c into b.
// The caller holds commitMu, so the documents cannot change meanwhile. With
// keys (a unique index), it returns each key (encoded, without the index
// prefix) mapped to the key of the document holding it.
func (e *Engine) buildIndex(c *collection, ix *index, b *pebble.Batch, keys bool) (map[string]string, error) {
	p := docPrefix(c.id)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixSuccessor(p)})
	if err != nil {
		return nil, storageError(err)
	}
	defer it.Close()
	seen := map[string]string{}
	for it.First(); it.Valid(); it.NextPrefix() { // NextPrefix: see the note above rangeIter
		doc := bson.Raw(it.Value())
		id := doc.Lookup("_id")
		ents, multi, err := ix.entries(doc)
		if err != nil {
			return nil, err
		}
		if multi {
			if err := b.Set(multikeyKey(c.id, ix.id), nil, nil); err != nil {
				return nil, storageError(err)
			}
		}
		for _, en := range ents {
			if ix.unique {
				if _, ok := seen[string(en.key)]; ok {
					return nil, indexDupKeyError(c.ns, ix, doc)
				}
				holder := ""
				if keys {
					holder = string(it.Key())
				}
				seen[string(en.key)] = holder
			}
			if err := b.Set(indexEntryKey(c.id, ix, en.key, id), entryValue(id, en.vals), nil); err != nil {
				return nil, storageError(err)
			}
		}
	}
	if err := it.Error(); err != nil {
		return nil, storageError(err)
	}
	if !keys {
		return nil, nil
	}
	return seen, nil
}

// indexEntryKey is the Pebble key of one index entry: non-unique entries end
// with the document's _id so equal keys of different documents are distinct.
func indexEntryKey(collID uint32, ix *index, k []byte, id bson.RawValue) []byte {
	out := append(indexPrefix(collID, ix.id), k...)
	if !ix.unique {
		out = appendKeyValue(out, id)
	}
	return out
}

// DropIndex drops the named index ("*" drops all but _id). "_id_" is
// InvalidOptions (72); a missing index is IndexNotFound (27); a missing
// collection is NamespaceNotFound (26).
func (e *Engine) DropIndex(ctx context.Context, ns Namespace, name string) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if name == idIndexName {
		return codes.New(codes.InvalidOptions, "cannot drop _id index")
	}
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(ns)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "ns not found %s", ns.String())
	}
	nc := c.clone()
	nc.indexes = nil
	var dropped []*index
	for _, ix := range c.indexes {
		if name == "*" || ix.name == name {
			dropped = append(dropped, ix)
			continue
		}
		nc.indexes = append(nc.indexes, ix)
	}
	if len(dropped) == 0 && name != "*" {
		return codes.New(codes.IndexNotFound, "index not found with name [%s]", name)
	}
	b := e.db.NewBatch()
	for _, ix := range dropped {
		p := indexPrefix(c.id, ix.id)
		if err := b.DeleteRange(p, prefixSuccessor(p), nil); err != nil {
			b.Close()
			return storageError(err)
		}
	}
	return e.installCollection(ns, nc, b, nil)
}

// ListIndexes returns the collection's indexes, _id first. A missing
// collection is NamespaceNotFound (26).
func (e *Engine) ListIndexes(ns Namespace) ([]IndexSpec, error) {
	c := e.lookupColl(ns)
	if c == nil {
		return nil, codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	// The _id index reports the collection's default collation, as mongod's does.
	out := []IndexSpec{{Name: idIndexName, Key: bson.D{{Key: "_id", Value: int32(1)}}, Collation: c.opts.Collation}}
	for _, ix := range c.indexes {
		out = append(out, ix.spec())
	}
	return out, nil
}

// sameSignature reports whether two indexes are one index to mongod (5.0 and later): the same key pattern,
// uniqueness, sparseness, collation, partial filter and wildcard projection. Indexes on one key pattern that
// differ in any of these may coexist (a plain index beside a unique or a partial one); an index whose signature
// an index of another name has is refused.
func sameSignature(a, b *index) bool {
	return sameKey(a.key, b.key) && a.unique == b.unique && a.sparse == b.sparse && bytes.Equal(a.partialRaw, b.partialRaw) &&
		collation.Equal(a.coll, b.coll) && bytes.Equal(a.spec().WildcardProjection, b.spec().WildcardProjection)
}

// sameOptions reports whether two indexes have the same options (those that
// make a second createIndexes of the same index a no-op).
func sameOptions(a, b *index) bool {
	return a.unique == b.unique && a.sparse == b.sparse && a.ttl == b.ttl && a.hidden == b.hidden &&
		bytes.Equal(a.partialRaw, b.partialRaw) && collation.Equal(a.coll, b.coll) &&
		bytes.Equal(a.spec().WildcardProjection, b.spec().WildcardProjection)
}

// IndexChange is a collMod change to one index, found by Name or, when
// Name is "", by Key. Nil fields are left as they are.
type IndexChange struct {
	Name               string
	Key                bson.D
	Hidden             *bool
	ExpireAfterSeconds *int64
}

// ModifyIndex applies a collMod index change and returns the index's
// definition before and after it. A missing collection is
// NamespaceNotFound (26), a missing index IndexNotFound (27); changing the
// TTL of an index that has none is InvalidOptions (72), hiding the _id
// index BadValue (2).
func (e *Engine) ModifyIndex(ctx context.Context, ns Namespace, ch IndexChange) (before, after IndexSpec, err error) {
	if err := e.enter(); err != nil {
		return before, after, err
	}
	defer e.exit()
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(ns)
	if c == nil {
		return before, after, codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	if ch.Name == idIndexName || ch.Name == "" && sameKey(ch.Key, bson.D{{Key: "_id", Value: int32(1)}}) {
		return before, after, codes.New(codes.BadValue, "can't hide _id index")
	}
	at := -1
	for i, ix := range c.indexes {
		if ch.Name != "" && ix.name == ch.Name || ch.Name == "" && sameKey(ix.key, ch.Key) {
			if at >= 0 {
				return before, after, codes.New(codes.AmbiguousIndexKeyPattern, "index keyPattern %s matches more than one index, must use index name. Conflicting indexes: %s, %s",
					patternString(ch.Key), c.indexes[at].name, ix.name)
			}
			at = i
		}
	}
	if at < 0 {
		what := ch.Name
		if what == "" {
			what = patternString(ch.Key)
		}
		return before, after, codes.New(codes.IndexNotFound, "cannot find index %s for ns %s", what, ns.String())
	}
	old := c.indexes[at]
	s := old.spec()
	before = s
	if ch.Hidden != nil {
		s.Hidden = *ch.Hidden
	}
	if ch.ExpireAfterSeconds != nil {
		if old.ttl < 0 {
			return before, after, codes.New(codes.InvalidOptions, "no expireAfterSeconds field to update")
		}
		s.ExpireAfterSeconds = *ch.ExpireAfterSeconds
	}
	ix, err := old.withOptions(s)
	if err != nil {
		return before, after, err
	}
	nc := c.clone()
	nc.indexes[at] = ix
	if err := e.installCollection(ns, nc, nil, nil); err != nil {
		return before, after, err
	}
	return before, ix.spec(), nil
}

// IndexSizes returns the bytes each index of the collection takes, by
// name, the _id index included (its keys are the documents' keys). Sizes
// come from Pebble's estimate of the index's sstables plus what is still
// in memory, read by a scan when the estimate is 0.
func (e *Engine) IndexSizes(ns Namespace) (map[string]int64, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	c := e.lookupColl(ns)
	if c == nil {
		return nil, codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	out := map[string]int64{}
	size := func(p []byte, keysOnly bool) (int64, error) {
		hi := prefixSuccessor(p)
		if n, err := e.db.EstimateDiskUsage(p, hi); err == nil && n > 0 && !keysOnly {
			return int64(n), nil
		}
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: hi})
		if err != nil {
			return 0, storageError(err)
		}
		defer it.Close()
		var n int64
		for it.First(); it.Valid(); it.Next() {
			n += int64(len(it.Key()))
			if !keysOnly {
				n += int64(len(it.Value()))
			}
		}
		return n, wrapStorage(it.Error())
	}
	var err error
	if out[idIndexName], err = size(docPrefix(c.id), true); err != nil {
		return nil, err
	}
	for _, ix := range c.indexes {
		if out[ix.name], err = size(indexPrefix(c.id, ix.id), false); err != nil {
			return nil, err
		}
	}
	return out, nil
}
