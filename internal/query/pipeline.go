package query

import (
	"context"
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
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

// aggStages is the table of pipeline stages; stage_*.go files register into
// it from init.
var aggStages = map[string]aggStageCompiler{}

// CompilePipeline compiles the stages of an aggregation pipeline. Errors are
// *codes.Error: 40323 for a stage document without exactly one field, 40324
// for an unknown stage, and each stage's own codes for a bad argument.
func CompilePipeline(stages []bson.Raw) (*Pipeline, error) {
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
		compile, ok := aggStages[name]
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

// aggFormatValue renders a value the way mongod echoes a stage argument in
// its error messages ("x" quoted, [ 1 ], { a: 1 }).
func aggFormatValue(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeString:
		return `"` + v.StringValue() + `"`
	case bson.TypeBoolean:
		if v.Boolean() {
			return "true"
		}
		return "false"
	case bson.TypeNull:
		return "null"
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return aggFormatScalar(v)
	case bson.TypeDouble:
		f := v.Double()
		if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e15 {
			return aggFormatScalar(v) + ".0"
		}
		return aggFormatScalar(v)
	case bson.TypeArray:
		vals := aggValues(v)
		if len(vals) == 0 {
			return "[]"
		}
		parts := make([]string, len(vals))
		for i, e := range vals {
			parts[i] = aggFormatValue(e)
		}
		return "[ " + strings.Join(parts, ", ") + " ]"
	case bson.TypeEmbeddedDocument:
		elems, err := v.Document().Elements()
		if err != nil || len(elems) == 0 {
			return "{}"
		}
		parts := make([]string, len(elems))
		for i, el := range elems {
			parts[i] = el.Key() + ": " + aggFormatValue(el.Value())
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return v.String()
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
		dst = aggAppendElem(dst, k, d.vals[i])
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
		sub = aggEmptyDoc
	}
	d.set(path[0], aggDocValue(aggSetPath(sub, path[1:], v)))
	return d.raw()
}

// aggEmptyDoc is the empty document {}.
var aggEmptyDoc = bson.Raw{5, 0, 0, 0, 0}

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
