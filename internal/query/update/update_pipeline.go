package update

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/expr"
)

// pipelineStages are the stages an update pipeline may hold, as in
// MongoDB 4.2+.
// https://www.mongodb.com/docs/manual/tutorial/update-documents-with-aggregation-pipeline/
var pipelineStages = map[string]bool{
	"$addFields": true, "$set": true, "$project": true, "$unset": true, "$replaceRoot": true, "$replaceWith": true,
}

// CompilePipeline compiles a pipeline-style update ([{$set: ...}, ...]).
// Apply runs the pipeline on the document; its output replaces the
// document, keeping its _id (ImmutableField when the pipeline changes
// it, as for a replacement). Errors: InvalidOptions (72) for a stage an
// update may not use, and the stages' own compile errors.
func CompilePipeline(stages []bson.Raw) (*Update, error) {
	return CompilePipelineIn(stages, nil)
}

// CompilePipelineIn is CompilePipeline for a pipeline whose expressions may
// use the variables scope declares (a command's let and $$NOW, see
// expr.CommandScope).
func CompilePipelineIn(stages []bson.Raw, scope *expr.Scope) (*Update, error) {
	for _, st := range stages {
		if err := validate(st, "update pipeline stage"); err != nil {
			return nil, err
		}
		if name, ok := firstKey(st); ok && !pipelineStages[name] {
			return nil, codes.New(codes.InvalidOptions, "%s is not allowed to be used within an update", name)
		}
	}
	p, err := agg.CompileIn(stages, scope)
	if err != nil {
		return nil, err
	}
	return &Update{pipeline: p}, nil
}

// IsPipeline reports whether u is a pipeline-style update.
func (u *Update) IsPipeline() bool { return u.pipeline != nil }

// applyPipeline runs the pipeline on doc; the stages an update allows
// return exactly one document for one.
func (u *Update) applyPipeline(doc bson.Raw) ([]byte, error) {
	out, err := u.pipeline.Run(context.Background(), []bson.Raw{doc}, nil)
	if err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, codes.New(codes.InternalError, "an update pipeline returned %d documents for one", len(out))
	}
	return replaceKeepingID(doc, out[0])
}
