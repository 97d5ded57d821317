package agg

import (
	"context"
	"math/rand/v2"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $unionWith and $sample.

// aggUnionWith appends another collection's documents (optionally passed
// through a pipeline) to the input.
type aggUnionWith struct {
	coll     string
	pipeline *Pipeline
}

// aggCompileUnionWith compiles $unionWith as a collection name or {coll, pipeline}.
func aggCompileUnionWith(name string, arg bson.RawValue) (aggStage, error) {
	u := &aggUnionWith{}
	switch arg.Type {
	case bson.TypeString:
		u.coll = arg.StringValue()
	case bson.TypeEmbeddedDocument:
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid $unionWith: %v", err)
		}
		haveColl := false
		for _, el := range elems {
			switch el.Key() {
			case "coll":
				s, ok := el.Value().StringValueOK()
				if !ok {
					return nil, codes.New(codes.TypeMismatch, "BSON field '$unionWith.coll' is the wrong type '%s', expected type 'string'", value.TypeNameOf(el.Value()))
				}
				u.coll, haveColl = s, true
			case "pipeline":
				if el.Value().Type != bson.TypeArray {
					return nil, codes.New(codes.TypeMismatch, "BSON field '$unionWith.pipeline' is the wrong type '%s', expected type 'array'", value.TypeNameOf(el.Value()))
				}
				var stages []bson.Raw
				for _, st := range value.Values(el.Value()) {
					d, ok := st.DocumentOK()
					if !ok {
						return nil, codes.New(codes.TypeMismatch, "Each element of the 'pipeline' array must be an object")
					}
					stages = append(stages, d)
				}
				p, err := Compile(stages)
				if err != nil {
					return nil, err
				}
				u.pipeline = p
			default:
				return nil, codes.New(40415, "BSON field '$unionWith.%s' is an unknown field.", el.Key())
			}
		}
		if !haveColl {
			return nil, codes.New(40414, "BSON field '$unionWith.coll' is missing but a required field")
		}
	default:
		return nil, codes.New(codes.FailedToParse, "the $unionWith stage specification must be an object or string, but found %s", value.TypeNameOf(arg))
	}
	return u, nil
}

func (u *aggUnionWith) run(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error) {
	if env == nil {
		return nil, codes.New(codes.IllegalOperation, "$unionWith is not supported in this context")
	}
	other, err := env.Collection(u.coll)
	if err != nil {
		return nil, err
	}
	if u.pipeline != nil {
		if other, err = u.pipeline.Run(ctx, other, env); err != nil {
			return nil, err
		}
	}
	out := make([]bson.Raw, 0, len(docs)+len(other))
	return append(append(out, docs...), other...), nil
}

// aggCompileSample is $sample {size: n}: n documents chosen at random
// without repetition, in random order.
func aggCompileSample(name string, arg bson.RawValue) (aggStage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, codes.New(28745, "the $sample stage specification must be an object")
	}
	elems, err := d.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $sample: %v", err)
	}
	size := int64(-1)
	for _, el := range elems {
		if el.Key() != "size" {
			return nil, codes.New(28748, "unrecognized option to $sample: %s", el.Key())
		}
		if !value.IsNumber(el.Value()) {
			return nil, codes.New(28746, "size argument to $sample must be a number")
		}
		f, _ := value.ToFloat(el.Value())
		if f < 0 || f != f {
			return nil, codes.New(28747, "size argument to $sample must not be negative")
		}
		size = int64(min(f, 1<<62))
	}
	if size < 0 {
		return nil, codes.New(28749, "$sample stage must specify a size")
	}
	return aggStageFunc(func(_ context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
		out := append([]bson.Raw(nil), docs...)
		rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		if size < int64(len(out)) {
			out = out[:size]
		}
		return out, nil
	}), nil
}
