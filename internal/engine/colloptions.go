package engine

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
)

// CollOptions are the options a collection (or view) is created with and that collMod changes: its validator,
// or, for a view, its source and pipeline. They persist in the catalog with the collection. The zero value is
// a plain collection.
type CollOptions struct {
	// Validator is the query every document written must match (nil: none).
	Validator bson.Raw `bson:"validator,omitempty"`
	// ValidationLevel is "strict" (every insert and update, the default), "moderate" (updates of documents
	// that were valid, and inserts) or "off".
	ValidationLevel string `bson:"validationLevel,omitempty"`
	// ValidationAction is "error" (refuse the write with DocumentValidationFailure, the default) or "warn"
	// (write it and report it in Stats.ValidationWarnings).
	ValidationAction string `bson:"validationAction,omitempty"`
	// ViewOn makes the namespace a read-only view on the collection (or view) of this name in the same
	// database; Pipeline is then the aggregation pipeline it applies.
	ViewOn   string   `bson:"viewOn,omitempty"`
	Pipeline bson.Raw `bson:"pipeline,omitempty"`
	// Collation is the default collation of the collection or view: operations without their own use it,
	// and so do the collection's indexes created without one. It is kept as mongod's normalized document
	// (every field filled in); {locale: "simple"} or nil is the binary comparison.
	Collation bson.Raw `bson:"collation,omitempty"`
	// Capped makes a capped collection: documents in insertion order (its natural order), the oldest removed
	// by the insert that takes the collection past Size bytes (the sum of its documents' BSON sizes) or past
	// Max documents (0: no maximum). Size is required, a multiple of 256 (create rounds it up).
	Capped bool  `bson:"capped,omitempty"`
	Size   int64 `bson:"size,omitempty"`
	Max    int64 `bson:"max,omitempty"`
	// ClusteredIndex, for a clustered collection, is its index on _id as listCollections shows it ({v, key:
	// {_id: 1}, name, unique: true}). Concord stores every collection's documents in _id order, so a
	// clustered collection differs from another only in how it is listed.
	ClusteredIndex bson.Raw `bson:"clusteredIndex,omitempty"`
	// Computed are fields the storage computes in every document written to the collection, whatever writes it
	// (an insert, an update or replacement, an upsert, findAndModify, over any protocol): each field is set to
	// its expression's value over the document as written, in order (an expression sees the fields computed
	// before it), or removed when the value is NULL or missing. A value written for such a field is replaced.
	// This is Concord's own option, not mongod's: SQL's generated columns and index expressions keep their
	// values in computed fields, so that writes over the MongoDB port keep them right. listCollections does not
	// show it, and collMod leaves it as it is.
	Computed []ComputedField `bson:"computed,omitempty"`
	// Required are top-level fields every document written to the collection must hold with a value other than
	// null, once its computed fields are set: SQL's NOT NULL columns, kept whatever writes the row. A write
	// without one fails with DocumentValidationFailure (121), as a validator's failure does, and like one it is
	// skipped under bypassDocumentValidation (the SQL layer's own rewrites of the rows in DDL). Concord's own
	// option, as Computed is.
	Required []string `bson:"required,omitempty"`
	// Defaults are fields the storage sets in a document inserted without them (an insert or an upsert's insert,
	// over any protocol; never an update or a replacement): each to its expression's value over no document
	// ($$NOW is the write's time), in order, before the computed fields are set and Required is checked. A field
	// the document holds, even null, is kept; a NULL or missing value sets nothing. Inserts under
	// WithoutDefaults skip them. SQL's column defaults that need no row and no sequence are kept here, so that a
	// document inserted over the MongoDB port gets them as an SQL INSERT does. Concord's own option, as Computed is.
	Defaults []ComputedField `bson:"defaults,omitempty"`
	// References are the documents of other collections of the database that this collection's documents name
	// (references.go): SQL's FOREIGN KEY constraints, kept whatever writes the documents. Concord's own option, as
	// Computed is.
	References []Reference `bson:"references,omitempty"`
}

// ComputedField is one of CollOptions.Computed: a field and the aggregation expression of its value, compiled by
// expr.CompileComputed (MongoDB's operators and $sqlLower / $sqlUpper).
type ComputedField struct {
	Field string   `bson:"field"`
	Expr  bson.Raw `bson:"expr"`
}

// isZero reports whether o holds no option: a plain collection.
func (o *CollOptions) isZero() bool {
	return o.Validator == nil && o.ValidationLevel == "" && o.ValidationAction == "" && o.ViewOn == "" &&
		o.Collation == nil && !o.Capped && o.ClusteredIndex == nil && len(o.Computed) == 0 && len(o.Required) == 0 &&
		len(o.Defaults) == 0 && len(o.References) == 0
}

// IsView reports whether the options describe a view.
func (o *CollOptions) IsView() bool { return o != nil && o.ViewOn != "" }

// Document returns the options as listCollections shows them: {capped, size, max, clusteredIndex, validator,
// validationLevel, validationAction} (those set) for a collection, {viewOn, pipeline, collation} for a view.
func (o *CollOptions) Document() bson.D {
	d := bson.D{}
	if o == nil {
		return d
	}
	if o.ViewOn != "" {
		d = append(d, bson.E{Key: "viewOn", Value: o.ViewOn})
		p := o.Pipeline
		if p == nil {
			p = bson.Raw{5, 0, 0, 0, 0}
		}
		d = append(d, bson.E{Key: "pipeline", Value: bson.RawArray(p)})
		if o.Collation != nil {
			d = append(d, bson.E{Key: "collation", Value: o.Collation})
		}
		return d
	}
	if o.Collation != nil {
		d = append(d, bson.E{Key: "collation", Value: o.Collation})
	}
	if o.Capped {
		d = append(d, bson.E{Key: "capped", Value: true}, bson.E{Key: "size", Value: o.Size})
		if o.Max > 0 {
			d = append(d, bson.E{Key: "max", Value: o.Max})
		}
	}
	if o.ClusteredIndex != nil {
		d = append(d, bson.E{Key: "clusteredIndex", Value: o.ClusteredIndex})
	}
	if o.Validator != nil {
		d = append(d, bson.E{Key: "validator", Value: o.Validator})
	}
	if o.Validator != nil || o.ValidationLevel != "" {
		d = append(d, bson.E{Key: "validationLevel", Value: o.level()})
	}
	if o.Validator != nil || o.ValidationAction != "" {
		d = append(d, bson.E{Key: "validationAction", Value: o.action()})
	}
	return d
}

// level returns the validation level, "strict" by default.
func (o *CollOptions) level() string {
	if o.ValidationLevel == "" {
		return "strict"
	}
	return o.ValidationLevel
}

// action returns the validation action, "error" by default.
func (o *CollOptions) action() string {
	if o.ValidationAction == "" {
		return "error"
	}
	return o.ValidationAction
}

// normalize rewrites the collation document as mongod stores it: every field filled in, and none at all
// for the simple collation. Errors are collation.Parse's.
func (o *CollOptions) normalize() error {
	if o.Collation == nil {
		return nil
	}
	c, err := collation.Parse(o.Collation)
	if err != nil {
		return err
	}
	o.Collation = nil
	if c != nil {
		raw, err := bson.Marshal(c.Document())
		if err != nil {
			return codes.New(codes.InternalError, "collation: %v", err)
		}
		o.Collation = raw
	}
	return nil
}

// defaultCollation returns the parsed default collation (nil: simple).
func (o *CollOptions) defaultCollation() (*collation.Collation, error) {
	if o.Collation == nil {
		return nil, nil
	}
	return collation.Parse(o.Collation)
}

// compile checks the options and compiles the validator. Errors: the validator's compile errors (BadValue 2,
// FailedToParse 9, ...), BadValue for an unknown level or action.
func (o *CollOptions) compile() (*filter.Validator, error) {
	switch o.ValidationLevel {
	case "", "strict", "moderate", "off":
	default:
		return nil, codes.New(codes.BadValue, "Enumeration value '%s' for field 'validationLevel' is not a valid value.", o.ValidationLevel)
	}
	switch o.ValidationAction {
	case "", "error", "warn":
	default:
		return nil, codes.New(codes.BadValue, "Enumeration value '%s' for field 'validationAction' is not a valid value.", o.ValidationAction)
	}
	if o.Capped && o.Size <= 0 {
		return nil, codes.New(codes.InvalidOptions, "the 'size' field is required when 'capped' is true")
	}
	if !o.Capped && (o.Size != 0 || o.Max != 0) {
		return nil, codes.New(codes.InvalidOptions, "the 'capped' field needs to be true when either the 'size' or 'max' fields are present")
	}
	if len(o.Validator) == 0 {
		return nil, nil
	}
	return filter.CompileValidator(o.Validator)
}

// ValidationWarning is a write that broke its collection's validator under validationAction "warn": it was
// written, and the server logs it as mongod does ("Document would fail validation").
type ValidationWarning struct {
	NS      Namespace
	ErrInfo bson.D // {failingDocumentId, details}
}

// bypassKey is the context key of WithoutValidation.
type bypassKey struct{}

// WithoutValidation returns a context whose writes skip collection validators (bypassDocumentValidation).
func WithoutValidation(ctx context.Context) context.Context {
	return context.WithValue(ctx, bypassKey{}, true)
}

// bypassed reports whether ctx skips validation.
func bypassed(ctx context.Context) bool {
	b, _ := ctx.Value(bypassKey{}).(bool)
	return b
}

// viewError is the error of a write to a view.
func viewError(ns Namespace) error {
	return codes.New(codes.CommandNotSupportedOnView, "Namespace %s is a view, not a collection", ns.String())
}

// validate checks doc, the new version of a document of c whose old version is old (nil for an insert),
// against c's validator. With action "error" a failing document is DocumentValidationFailure (121) with
// mongod's errInfo; with "warn" it is noted in the operation's statistics and written. Level "moderate" skips
// updates of documents that already failed; "off" and the bypass (WithoutValidation) skip everything.
func (o *op) validate(c *collection, old, doc bson.Raw) error {
	if c.opts.IsView() {
		return viewError(c.ns)
	}
	if len(c.opts.Required) > 0 && !bypassed(o.ctx) {
		for _, f := range c.opts.Required {
			if v, err := doc.LookupErr(f); err != nil || v.Type == bson.TypeNull {
				e := codes.New(codes.DocumentValidationFailure, "Document failed validation")
				e.ErrInfo = plainDoc(bson.D{{Key: "failingDocumentId", Value: docID(doc)},
					{Key: "details", Value: bson.D{{Key: "operatorName", Value: "required"}, {Key: "missingField", Value: f}}}})
				return e
			}
		}
	}
	validator := c.validator
	if o.txn != nil {
		if v, ok := o.txn.validators[c.ns]; ok {
			validator = v // the transaction's own (Txn.OverrideValidator)
		}
	}
	if validator == nil || c.opts.ValidationLevel == "off" || bypassed(o.ctx) {
		return nil
	}
	ok, details, err := validator.Validate(doc)
	if ok {
		return nil
	}
	if old != nil && c.opts.ValidationLevel == "moderate" {
		if wasOK, _, _ := validator.Validate(old); !wasOK {
			return nil
		}
	}
	if err != nil && c.opts.action() == "error" {
		if ce, isCoded := codes.As(err); isCoded {
			return ce
		}
		return err
	}
	info := plainDoc(bson.D{{Key: "failingDocumentId", Value: docID(doc)}, {Key: "details", Value: details}})
	if c.opts.action() == "warn" {
		o.st.ValidationWarnings = append(o.st.ValidationWarnings, ValidationWarning{NS: c.ns, ErrInfo: info})
		return nil
	}
	e := codes.New(codes.DocumentValidationFailure, "Document failed validation")
	e.ErrInfo = info
	return e
}

// CreateCollectionWithOptions is CreateCollection with creation options: a validator, or a view definition
// (the caller checks the view's source and pipeline). Invalid options are refused before anything is created.
func (e *Engine) CreateCollectionWithOptions(ctx context.Context, t *Txn, ns Namespace, opts CollOptions) error {
	v, err := opts.compile()
	if err != nil {
		return err
	}
	rules, err := opts.compileComputed()
	if err != nil {
		return err
	}
	if len(opts.References) > 0 {
		e.hasReferences.Store(true)
	}
	if err := opts.normalize(); err != nil {
		return err
	}
	defColl, err := opts.defaultCollation()
	if err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := validateNamespace(ns); err != nil {
		return err
	}
	return t.ddlStatement(ctx, func() error {
		e.ddlMu.Lock()
		defer e.ddlMu.Unlock()
		if e.lookupColl(ns) != nil {
			return codes.New(codes.NamespaceExists, "Collection %s already exists.", ns.String())
		}
		if opts.IsView() {
			if err := e.checkViewChain(ns, opts.ViewOn); err != nil {
				return err
			}
			// A view on a view has its source's collation unless it names one; a view on a collection
			// does not inherit the collection's (mongod's rule).
			if src := e.lookupColl(Namespace{DB: ns.DB, Coll: opts.ViewOn}); opts.Collation == nil && src != nil && src.opts.IsView() {
				opts.Collation, defColl = src.opts.Collation, src.coll
			}
		}
		c := &collection{ns: ns, id: e.nextCollID, nextIndexID: 1, opts: opts, validator: v, rules: rules, coll: defColl, uuid: newUUID()}
		if err := e.installCreated(t, ns, c); err != nil {
			return err
		}
		t.noteCreated(c)
		return nil
	})
}

// ModifyCollection changes the options of an existing collection or view (collMod): change receives a copy of
// the current options and edits it. A missing namespace is NamespaceNotFound (26); invalid options are
// refused and nothing changes. Writes that started under the old options fail at commit and are redone under
// the new ones, as after any catalog change.
func (e *Engine) ModifyCollection(ctx context.Context, ns Namespace, change func(*CollOptions) error) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(ns)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	opts := c.opts
	if err := change(&opts); err != nil {
		return err
	}
	v, err := opts.compile()
	if err != nil {
		return err
	}
	rules, err := opts.compileComputed()
	if err != nil {
		return err
	}
	if len(opts.References) > 0 {
		e.hasReferences.Store(true)
	}
	if err := opts.normalize(); err != nil {
		return err
	}
	defColl, err := opts.defaultCollation()
	if err != nil {
		return err
	}
	if opts.IsView() != c.opts.IsView() {
		return codes.New(codes.InvalidOptions, "collMod cannot turn a collection into a view or a view into a collection")
	}
	if opts.IsView() {
		if err := e.checkViewChain(ns, opts.ViewOn); err != nil {
			return err
		}
	}
	nc := c.clone()
	nc.opts, nc.validator, nc.rules, nc.coll = opts, v, rules, defColl
	return e.installCollection(ns, nc, nil, nil)
}

// DefaultCollation returns the default collation of the collection or view ns (nil: simple, or no such
// namespace) and whether ns is a view, whose collation an operation may not override.
func (e *Engine) DefaultCollation(ns Namespace) (coll *collation.Collation, isView bool) {
	c := e.lookupColl(ns)
	if c == nil {
		return nil, false
	}
	return c.coll, c.opts.IsView()
}

// CollectionOptions returns the options of a collection or view, and whether it exists.
func (e *Engine) CollectionOptions(ns Namespace) (CollOptions, bool) {
	c := e.lookupColl(ns)
	if c == nil {
		return CollOptions{}, false
	}
	return c.opts, true
}

// plainDoc returns d with its raw BSON values decoded into Go values (int32, string, bson.D, ...), as a caller
// of the embedded API reads errors and as they encode on the wire.
func plainDoc(d bson.D) bson.D {
	raw, err := bson.Marshal(d)
	if err != nil {
		return d
	}
	var out bson.D
	if err := bson.Unmarshal(raw, &out); err != nil {
		return d
	}
	return out
}
