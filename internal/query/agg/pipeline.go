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
// compilation and safe for concurrent use by several Runs.
type Pipeline struct {
	stages []aggStage
}

// Env gives a pipeline access to the other collections of the same
// database ($lookup's "from"). Collection returns the documents of the named
// collection (none for a collection that does not exist); the pipeline does
// not modify them.
type Env interface {
	Collection(name string) ([]bson.Raw, error)
}

// aggStage is one compiled stage: it consumes its whole input and returns
// its output. Stages never modify input documents in place.
type aggStage interface {
	run(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error)
}

// aggStageCompiler compiles a stage's argument.
type aggStageCompiler func(name string, arg bson.RawValue) (aggStage, error)

// Compile compiles the stages of an aggregation pipeline. Errors are
// *codes.Error: 40323 for a stage document without exactly one field, 40324
// for an unknown stage, and each stage's own codes for a bad argument.
func Compile(stages []bson.Raw) (*Pipeline, error) {
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
		st, err := compile(name, elems[0].Value())
		if err != nil {
			return nil, err
		}
		p.stages = append(p.stages, st)
	}
	return p, nil
}

// Run feeds docs through the pipeline and returns the output documents.
// docs are not modified; the output may share memory with them. env may be
// nil when the pipeline has no $lookup or $unionWith; a nil Pipeline
// returns docs unchanged. Run checks ctx between stages and
// inside long stages, returning ctx's error wrapped as MaxTimeMSExpired
// (deadline) or Interrupted (cancel).
func (p *Pipeline) Run(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if p == nil {
		return docs, nil
	}
	var err error
	for _, st := range p.stages {
		if err := codes.FromContext(ctx); err != nil {
			return nil, err
		}
		if docs, err = st.run(ctx, docs, env); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// aggStageFunc adapts a per-stage function to aggStage.
type aggStageFunc func(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error)

func (f aggStageFunc) run(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error) {
	return f(ctx, docs, env)
}

// aggDoc is a document being edited: its fields in order. Setting an
// existing field keeps its position, a new field is appended, as MongoDB's
// MutableDocument does.
type aggDoc struct {
	keys []string
	vals []bson.RawValue
}

// aggDocOf decodes the top level of a document.
func aggDocOf(raw bson.Raw) aggDoc {
	var d aggDoc
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

func (d *aggDoc) index(k string) int {
	for i, key := range d.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// get returns the field's value (missing when absent).
func (d *aggDoc) get(k string) bson.RawValue {
	if i := d.index(k); i >= 0 {
		return d.vals[i]
	}
	return bson.RawValue{}
}

// set replaces or appends a field; a missing value removes it.
func (d *aggDoc) set(k string, v bson.RawValue) {
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
func (d *aggDoc) raw() bson.Raw {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, k := range d.keys {
		dst = value.AppendElem(dst, k, d.vals[i])
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// aggSetPath returns doc with the dotted path set to v (missing v removes
// the field). Intermediate non-documents are replaced by documents; arrays
// are not traversed (the caller resolved the path without them).
func aggSetPath(doc bson.Raw, path []string, v bson.RawValue) bson.Raw {
	d := aggDocOf(doc)
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
	d.set(path[0], value.Doc(aggSetPath(sub, path[1:], v)))
	return d.raw()
}

// aggGetPath resolves a dotted path through documents only (no array
// traversal), as $unwind does.
func aggGetPath(doc bson.Raw, path []string) bson.RawValue {
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
