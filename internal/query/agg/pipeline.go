package agg

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

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

// CompileColl is Compile under a collation (nil: strings compare by bytes): every stage that compares
// values ($match, $sort, $group keys, $bucket, $bucketAuto, $setWindowFields' partitions and sort, and
// every expression's comparisons, $in, set operators, $sortArray, $min / $max, $addToSet) orders and
// equates strings with sc, as mongod applies an aggregate's collation to the whole pipeline. Equality
// reads of other collations ($lookup, $graphLookup) are the Source's to collate.
func CompileColl(stages []bson.Raw, sc value.StringComparer) (*Pipeline, error) {
	return compileIn(stages, expr.Collated(sc))
}

// CompileIn is Compile for a pipeline whose expressions may use the
// variables scope declares (a command's let, see expr.CommandScope).
func CompileIn(stages []bson.Raw, scope *expr.Scope) (*Pipeline, error) {
	return compileIn(stages, scope)
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
	coalesceSortLimit(p.stages)
	return p, nil
}

// DropFirst returns the pipeline without its first stage, for a caller
// that applies a leading $match itself (the engine's scan, through the
// query planner) after compiling the whole pipeline, so that its errors
// are still reported. p is not modified.
func (p *Pipeline) DropFirst() *Pipeline {
	if p == nil || len(p.stages) == 0 {
		return p
	}
	return &Pipeline{stages: p.stages[1:]}
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
