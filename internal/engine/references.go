package engine

import (
	"context"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
)

// References: a collection's CollOptions.References, SQL's FOREIGN KEY constraints kept by the storage for every
// writer. A document written to the referencing (child) collection whose reference fields all hold values must
// name a document of the referenced (parent) collection that holds the same values in its referenced fields,
// and a parent document that children name can be neither deleted nor changed in those fields. The child's
// write claims the parent document, as LockForUpdate does, so a parent's deletion at the same time waits for it
// (outside a transaction) or conflicts with it (WriteConflict in one), and then finds the child. A parent's
// deletion in a transaction looks for children in the latest state too: a child committed after the
// transaction's snapshot is a WriteConflict, as PostgreSQL's foreign-key check in a REPEATABLE READ transaction
// is a serialization failure. A write that breaks a reference is DocumentValidationFailure (121), skipped
// under WithoutValidation; SQL checks its own writes (at the statement's end, as PostgreSQL's NO ACTION does,
// and with the constraint's ON DELETE action) and skips these checks (WithoutReferences).

// Reference is one of CollOptions.References: the documents of the collection that hold values in every one of
// Fields (top-level fields, _id, or the fields of a document _id as "_id.f") name the document of Coll, a collection of the same database, whose ParentFields
// (paths: "_id", the fields of a document _id as "_id.f", or the fields of a unique index) hold the same values,
// position by position. Name names it in errors.
type Reference struct {
	Name         string   `bson:"name"`
	Fields       []string `bson:"fields"`
	Coll         string   `bson:"coll"`
	ParentFields []string `bson:"parentFields"`
}

// checkReferences checks o.References: each named, with as many fields as parent fields, top-level fields
// (ruleField), parent paths that are _id, _id's fields or fields without $.
func (o *CollOptions) checkReferences() error {
	for _, r := range o.References {
		if r.Coll == "" || len(r.Fields) == 0 || len(r.Fields) != len(r.ParentFields) {
			return codes.New(codes.BadValue, "reference %q: a collection and as many fields as parent fields", r.Name)
		}
		for _, f := range r.Fields {
			if !ruleField(f) && f != "_id" && !(strings.HasPrefix(f, "_id.") && ruleField(f[len("_id."):])) {
				return codes.New(codes.BadValue, "reference %q: field %q is not _id, a field of _id or a top-level field", r.Name, f)
			}
		}
		for _, p := range r.ParentFields {
			if p == "" || strings.ContainsAny(p, "$\x00") {
				return codes.New(codes.BadValue, "reference %q: bad parent field %q", r.Name, p)
			}
		}
	}
	if len(o.References) > 0 && o.IsView() {
		return codes.New(codes.InvalidOptions, "a view has no references")
	}
	return nil
}

// noReferencesKey is the context key of WithoutReferences.
type noReferencesKey struct{}

// WithoutReferences returns a context whose writes skip the collections' references (CollOptions.References):
// the writer checks them itself, as SQL checks its foreign keys. Its drops and renames of a collection that
// references name are not refused (dependents).
func WithoutReferences(ctx context.Context) context.Context {
	return context.WithValue(ctx, noReferencesKey{}, true)
}

// keepNamed reports whether ctx keeps named parents (keepNamedParents).
func keepNamed(ctx context.Context) bool {
	b, _ := ctx.Value(keepNamedKey{}).(bool)
	return b
}

// withoutReferences reports whether ctx skips references.
func withoutReferences(ctx context.Context) bool {
	b, _ := ctx.Value(noReferencesKey{}).(bool)
	return b
}

// keepNamedKey is the context key of keepNamedParents.
type keepNamedKey struct{}

// keepNamedParents returns a context whose multi-document deletions keep the documents that children name, and go
// on with the others, instead of failing: the TTL monitor's, which deletes what it can, and the passes of a
// deleteMany on a self-referencing collection (deleteStmt).
func keepNamedParents(ctx context.Context) context.Context {
	return context.WithValue(ctx, keepNamedKey{}, true)
}

// errParentNamed is checkParent's answer to a deletion under keepNamedParents of a document that children name.
var errParentNamed = codes.New(codes.DocumentValidationFailure, "a document that children name is kept")

// dependents refuses, with OperationFailed, to drop (verb "drop") or rename ns while other collections' references
// name it, or (self) while it names itself: their documents would name a collection that is gone. SQL, which
// drops and renames tables with their foreign keys, passes WithoutReferences. (Not IllegalOperation: the Node.js
// driver replaces that code's message, for any writing command, by one about retryable writes.)
func (e *Engine) dependents(ctx context.Context, ns Namespace, verb string, self bool) error {
	if !e.hasReferences.Load() || withoutReferences(ctx) {
		return nil
	}
	for _, c := range e.referencing(ns) {
		if c.ns == ns && !self {
			continue
		}
		for _, r := range c.opts.References {
			if r.Coll == ns.Coll {
				return codes.New(codes.OperationFailed, "cannot %s collection %s: reference %s of collection %s names it",
					verb, ns.Coll, r.Name, c.ns.Coll)
			}
		}
	}
	return nil
}

// byID reports whether r names its parent by _id (or by the fields of a document _id): its parent is found by
// key.
func (r *Reference) byID() bool {
	return r.ParentFields[0] == "_id" || strings.HasPrefix(r.ParentFields[0], "_id.")
}

// values are doc's values of paths, and whether every one is present and not null (a reference with a NULL
// field names nothing, as SQL's MATCH SIMPLE).
func values(doc bson.Raw, paths []string) ([]bson.RawValue, bool) {
	out := make([]bson.RawValue, len(paths))
	for i, p := range paths {
		v, err := doc.LookupErr(strings.Split(p, ".")...)
		if err != nil || value.IsNullish(v) {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// sameValues reports whether a and b are equal, value by value, as MongoDB compares them (1 equals 1.0).
func sameValues(a, b []bson.RawValue) bool {
	return slices.EqualFunc(a, b, func(x, y bson.RawValue) bool { return value.Compare(x, y) == 0 })
}

// referenceError is the error of a write that breaks reference r.
func referenceError(doc bson.Raw, r *Reference, msg string) error {
	e := codes.New(codes.DocumentValidationFailure, "Document failed validation: %s", msg)
	e.ErrInfo = plainDoc(bson.D{{Key: "failingDocumentId", Value: docID(doc)},
		{Key: "details", Value: bson.D{{Key: "operatorName", Value: "reference"}, {Key: "reference", Value: r.Name},
			{Key: "collection", Value: r.Coll}}}})
	return e
}

// checkChild checks that doc, the new version of a document of c (whose old version is old, nil for an insert),
// names an existing parent by each of c's references whose fields it changes, claiming the parent.
func (o *op) checkChild(c *collection, old, doc bson.Raw) error {
	if len(c.opts.References) == 0 || doc == nil || bypassed(o.ctx) || withoutReferences(o.ctx) {
		return nil
	}
	for i := range c.opts.References {
		r := &c.opts.References[i]
		vals, ok := values(doc, r.Fields)
		if !ok {
			continue
		}
		if old != nil {
			if was, ok := values(old, r.Fields); ok && sameValues(was, vals) {
				continue // an unchanged reference: its parent cannot have gone while the child named it
			}
		}
		if r.Coll == c.ns.Coll {
			if own, ok := values(doc, r.ParentFields); ok && sameValues(own, vals) {
				continue // the document names itself
			}
		}
		found, err := o.findParent(c, r, vals)
		if err != nil {
			return err
		}
		if !found {
			return referenceError(doc, r, "insert or update on collection "+c.ns.Coll+" violates reference "+r.Name+
				": no document of "+r.Coll+" holds the values it names")
		}
	}
	return nil
}

// findParent finds and claims the document of r's parent collection whose ParentFields hold vals.
func (o *op) findParent(c *collection, r *Reference, vals []bson.RawValue) (bool, error) {
	p := o.e.lookupColl(Namespace{DB: c.ns.DB, Coll: r.Coll})
	if p == nil {
		return false, nil
	}
	t := o.t()
	if r.byID() {
		var id bson.RawValue
		if r.ParentFields[0] == "_id" {
			id = vals[0]
		} else {
			d := bson.D{}
			for i, f := range r.ParentFields {
				d = append(d, bson.E{Key: strings.TrimPrefix(f, "_id."), Value: vals[i]})
			}
			ty, data, err := bson.MarshalValue(d)
			if err != nil {
				return false, err
			}
			id = bson.RawValue{Type: ty, Value: data}
		}
		key := docKey(p.id, id)
		if err := t.claim(string(key)); err != nil {
			return false, err
		}
		doc, err := t.getDoc(key)
		return doc != nil, err
	}
	f, err := equalityFilter(r.ParentFields, vals)
	if err != nil {
		return false, err
	}
	cands, err := o.e.collect(o.ctx, t, p, f, o.st)
	if err != nil {
		return false, err
	}
	for _, cd := range cands {
		if err := t.claim(string(cd.key)); err != nil {
			return false, err
		}
		doc, err := t.getDoc(cd.key)
		if err != nil {
			return false, err
		}
		if now, ok := values(doc, r.ParentFields); ok && sameValues(now, vals) {
			return true, nil
		}
	}
	return false, nil
}

// equalityFilter is the filter {paths[i]: {$eq: vals[i]}, ...}.
func equalityFilter(paths []string, vals []bson.RawValue) (*filter.Filter, error) {
	d := bson.D{}
	for i, p := range paths {
		d = append(d, bson.E{Key: p, Value: bson.D{{Key: "$eq", Value: vals[i]}}})
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, err
	}
	return filter.Compile(raw)
}

// checkParent checks that no document of a collection referencing c names old, a document of c being deleted
// (doc nil) or changed to doc in the fields a reference names.
func (o *op) checkParent(c *collection, old, doc bson.Raw) error {
	if !o.e.hasReferences.Load() || old == nil || bypassed(o.ctx) || withoutReferences(o.ctx) {
		return nil
	}
	for _, child := range o.e.referencing(c.ns) {
		for i := range child.opts.References {
			r := &child.opts.References[i]
			if r.Coll != c.ns.Coll {
				continue
			}
			vals, ok := values(old, r.ParentFields)
			if !ok {
				continue
			}
			if doc != nil {
				if now, ok := values(doc, r.ParentFields); ok && sameValues(now, vals) {
					continue
				}
			}
			named, err := o.named(child, r, vals, old)
			if err != nil {
				return err
			}
			if named && doc == nil && keepNamed(o.ctx) {
				return errParentNamed
			}
			if named {
				verb := "delete"
				if doc != nil {
					verb = "update"
				}
				return referenceError(old, r, verb+" on collection "+c.ns.Coll+" violates reference "+r.Name+" of collection "+
					child.ns.Coll+": a document of "+child.ns.Coll+" names it")
			}
		}
	}
	return nil
}

// named reports whether a document of child (but old itself, a document of its own parent collection) names vals
// by r: in o's view and, in a transaction, in the latest state too, where a child committed after the
// snapshot is a WriteConflict.
func (o *op) named(child *collection, r *Reference, vals []bson.RawValue, old bson.Raw) (bool, error) {
	f, err := equalityFilter(r.Fields, vals)
	if err != nil {
		return false, err
	}
	self := ""
	if child.ns.Coll == r.Coll {
		self = string(docKey(child.id, docID(old)))
	}
	some := func(cands []candidate) bool {
		return slices.ContainsFunc(cands, func(cd candidate) bool { return string(cd.key) != self })
	}
	t := o.t()
	cands, err := o.e.collect(o.ctx, t, child, f, o.st)
	if err != nil || some(cands) {
		return true, err
	}
	if !t.explicit {
		return false, nil
	}
	u := o.e.newUnit()
	latest, err := o.e.collect(o.ctx, u, child, f, o.st)
	if err != nil {
		return false, err
	}
	// A child the transaction itself deleted or changed is as its view has it (t owns its key): only another's
	// commit conflicts.
	latest = slices.DeleteFunc(latest, func(cd candidate) bool { _, mine := t.writes[string(cd.key)]; return mine })
	if some(latest) {
		return false, &conflictError{key: string(latest[0].key)}
	}
	return false, nil
}

// referencing are the collections of ns's database with a reference to ns.
func (e *Engine) referencing(ns Namespace) []*collection {
	e.catMu.RLock()
	defer e.catMu.RUnlock()
	var out []*collection
	for cns, c := range e.colls {
		if cns.DB == ns.DB && slices.ContainsFunc(c.opts.References, func(r Reference) bool { return r.Coll == ns.Coll }) {
			out = append(out, c)
		}
	}
	return out
}
