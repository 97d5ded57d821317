package agg

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// Pipeline is a compiled aggregation pipeline. It is immutable after
// compilation and safe for concurrent use by several runs.
type Pipeline struct {
	stages []stage
}

// stage is one compiled stage. open returns the stage's output over in,
// which it owns: closing the output closes in. Stages never modify input
// documents in place, and every stage but $sort, $group and $facet holds at
// most the documents one input document produces.
type stage interface {
	open(r *run, in Iterator) Iterator
}

// run is the state one execution of a pipeline shares between its stages:
// the context checked between documents, the Source of other collections,
// the memory options, and the frame of user variables ($lookup's let),
// which sub-pipelines extend.
type run struct {
	ctx  context.Context
	src  Source
	opts Options
	vars *expr.Vars
}

// with returns a copy of r whose variables are vars.
func (r *run) with(vars *expr.Vars) *run {
	c := *r
	c.vars = vars
	return &c
}

// stageCompiler compiles a stage's argument; scope declares the user
// variables in scope (a $lookup's let, for its sub-pipeline).
type stageCompiler func(name string, arg bson.RawValue, scope *expr.Scope) (stage, error)

// Compile compiles the stages of an aggregation pipeline. Errors are
// *codes.Error: 40323 for a stage document without exactly one field, 40324
// for an unknown stage, and each stage's own codes for a bad argument.
func Compile(stages []bson.Raw) (*Pipeline, error) {
	return compileIn(stages, nil)
}

// compileIn is Compile for a sub-pipeline whose user variables scope
// declares.
func compileIn(stages []bson.Raw, scope *expr.Scope) (*Pipeline, error) {
	p := &Pipeline{}
	for _, raw := range stages {
		if err := raw.Validate(); err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid pipeline stage: %v", err)
		}
		elems, err := raw.Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid pipeline stage: %v", err)
		}
		if len(elems) != 1 {
			return nil, codes.New(codes.Location40323, "A pipeline stage specification object must contain exactly one field.")
		}
		name := elems[0].Key()
		compile, ok := stageCompilers[name]
		if !ok {
			return nil, codes.New(codes.Location40324, "Unrecognized pipeline stage name: '%s'", name)
		}
		st, err := compile(name, elems[0].Value(), scope)
		if err != nil {
			return nil, err
		}
		p.stages = append(p.stages, st)
	}
	return p, nil
}

// Open starts a run of the pipeline over input and returns its output,
// which the caller must close (closing it closes input and removes any
// temporary file a stage spilled to). src reads the other collections of
// the database ($lookup, $graphLookup's "from", $unionWith); it may be nil
// when the pipeline reads none. Documents are pulled one at a time: a
// stage computes only what its consumer asks for. The output's Next checks
// ctx between documents, returning its error as MaxTimeMSExpired (deadline)
// or Interrupted (cancel). A nil Pipeline returns input.
func (p *Pipeline) Open(ctx context.Context, input Iterator, src Source, opts Options) Iterator {
	if p == nil {
		return input
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return p.open(&run{ctx: ctx, src: src, opts: opts}, input)
}

// open chains the stages over in.
func (p *Pipeline) open(r *run, in Iterator) Iterator {
	it := in
	for _, st := range p.stages {
		it = st.open(r, it)
	}
	return it
}

// Run feeds docs through the pipeline with the default Options and returns
// the output documents, for callers that hold their input in memory (the
// server's $currentOp and $collStats). docs are not modified; the output
// may share memory with them. Errors are those of Open's iterator.
func (p *Pipeline) Run(ctx context.Context, docs []bson.Raw, src Source) ([]bson.Raw, error) {
	if p == nil {
		return docs, nil
	}
	it := p.Open(ctx, Docs(docs), src, Options{})
	out, err := Drain(it)
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return out, err
}

// mutableDoc is a document being edited: its fields in order. Setting an
// existing field keeps its position, a new field is appended, as MongoDB's
// MutableDocument does.
type mutableDoc struct {
	keys []string
	vals []bson.RawValue
}

// docOf decodes the top level of a document.
func docOf(raw bson.Raw) mutableDoc {
	var d mutableDoc
	elems, err := raw.Elements()
	if err != nil {
		return d
	}
	d.keys = make([]string, 0, len(elems))
	d.vals = make([]bson.RawValue, 0, len(elems))
	for _, el := range elems {
		d.keys = append(d.keys, el.Key())
		d.vals = append(d.vals, el.Value())
	}
	return d
}

// index returns the position of field k, or -1.
func (d *mutableDoc) index(k string) int {
	for i, key := range d.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// get returns the field's value (missing when absent).
func (d *mutableDoc) get(k string) bson.RawValue {
	if i := d.index(k); i >= 0 {
		return d.vals[i]
	}
	return bson.RawValue{}
}

// set replaces or appends a field; a missing value removes it.
func (d *mutableDoc) set(k string, v bson.RawValue) {
	i := d.index(k)
	switch {
	case v.Type == 0 && i >= 0:
		d.keys = append(d.keys[:i], d.keys[i+1:]...)
		d.vals = append(d.vals[:i], d.vals[i+1:]...)
	case v.Type == 0:
	case i >= 0:
		d.vals[i] = v
	default:
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
	}
}

// raw encodes the document.
func (d *mutableDoc) raw() bson.Raw {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, k := range d.keys {
		dst = value.AppendElem(dst, k, d.vals[i])
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// setPath returns doc with the dotted path set to v (missing v removes
// the field). Intermediate non-documents are replaced by documents; arrays
// are not traversed (the caller resolved the path without them).
func setPath(doc bson.Raw, path []string, v bson.RawValue) bson.Raw {
	d := docOf(doc)
	if len(path) == 1 {
		d.set(path[0], v)
		return d.raw()
	}
	child := d.get(path[0])
	var sub bson.Raw
	if child.Type == bson.TypeEmbeddedDocument {
		sub = child.Document()
	} else {
		if v.Type == 0 {
			return doc
		}
		sub = value.EmptyDoc
	}
	d.set(path[0], value.Doc(setPath(sub, path[1:], v)))
	return d.raw()
}

// getPath resolves a dotted path through documents only (no array
// traversal), as $unwind does.
func getPath(doc bson.Raw, path []string) bson.RawValue {
	cur := doc
	for i, p := range path {
		v, err := cur.LookupErr(p)
		if err != nil {
			return bson.RawValue{}
		}
		if i == len(path)-1 {
			return v
		}
		d, ok := v.DocumentOK()
		if !ok {
			return bson.RawValue{}
		}
		cur = d
	}
	return bson.RawValue{}
}

// evalCtx is what a stage evaluates its expressions against: the current
// document (bound to $$ROOT and $$CURRENT) and the pipeline's variables.
type evalCtx struct {
	doc  bson.Raw
	vars *expr.Vars
}

// eval evaluates e in c.
func (c *evalCtx) eval(e *expr.Expr) (bson.RawValue, error) {
	return e.EvalIn(c.doc, c.vars)
}
