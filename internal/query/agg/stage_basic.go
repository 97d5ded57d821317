package agg

import (
	"context"
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the simple stages: $match, $skip, $limit, $count,
// $replaceRoot and $replaceWith.

// aggCompileMatch compiles $match with the filter engine (filter.Compile).
func aggCompileMatch(name string, arg bson.RawValue) (aggStage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(15959, "the match filter must be an expression in an object")
	}
	f, err := filter.Compile(arg.Document())
	if err != nil {
		return nil, err
	}
	return aggStageFunc(func(ctx context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
		out := make([]bson.Raw, 0, len(docs))
		for i, d := range docs {
			if i%1024 == 1023 {
				if err := codes.FromContext(ctx); err != nil {
					return nil, err
				}
			}
			ok, _, err := f.MatchErr(d)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, d)
			}
		}
		return out, nil
	}), nil
}

// aggCompileSkipLimit compiles $skip and $limit, whose argument must be a
// non-negative integral number (a positive one for $limit).
func aggCompileSkipLimit(name string, arg bson.RawValue) (aggStage, error) {
	code := codes.Code(5107200)
	if name == "$limit" {
		code = 5107201
	}
	bad := func(reason string) error {
		return codes.New(code, "invalid argument to %s stage: %s: %s: %s", name, reason, name, expr.FormatValue(arg))
	}
	if !value.IsNumber(arg) {
		return nil, codes.New(code, "invalid argument to %s stage: Expected a number in: %s: %s", name, name, expr.FormatValue(arg))
	}
	n, ok := expr.ExactInt(arg)
	if !ok {
		f, _ := value.ToFloat(arg)
		if arg.Type == bson.TypeDecimal128 || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 9.2e18 {
			return nil, bad("Cannot represent as a 64-bit integer")
		}
		return nil, bad("Expected an integer")
	}
	if name == "$limit" && n == 0 {
		return nil, codes.New(15958, "the limit must be positive")
	}
	if n < 0 {
		return nil, codes.New(code, "invalid argument to %s stage: Expected a non-negative number in: %s: %s", name, name, expr.FormatValue(arg))
	}
	if name == "$skip" {
		return aggStageFunc(func(_ context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
			if n >= int64(len(docs)) {
				return nil, nil
			}
			return docs[n:], nil
		}), nil
	}
	return aggStageFunc(func(_ context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
		if n < int64(len(docs)) {
			return docs[:n], nil
		}
		return docs, nil
	}), nil
}

// aggCompileCount is $count: one document {name: n} when there is input,
// nothing otherwise.
func aggCompileCount(name string, arg bson.RawValue) (aggStage, error) {
	field, ok := arg.StringValueOK()
	switch {
	case !ok:
		return nil, codes.New(40156, "the count field must be a non-empty string")
	case field == "":
		return nil, codes.New(40157, "the count field must be a non-empty string")
	case strings.HasPrefix(field, "$"):
		return nil, codes.New(40158, "the count field cannot be a $-prefixed path")
	case strings.Contains(field, "."):
		return nil, codes.New(40160, "the count field cannot contain '.'")
	case strings.IndexByte(field, 0) >= 0:
		return nil, codes.New(16411, "FieldPath field names may not contain '\\0'.")
	}
	return aggStageFunc(func(_ context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
		if len(docs) == 0 {
			return nil, nil
		}
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = value.AppendElem(dst, field, countValue(int64(len(docs))))
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return []bson.Raw{dst}, nil
	}), nil
}

// aggCompileReplaceRoot compiles $replaceRoot {newRoot: expr} and
// $replaceWith expr.
func aggCompileReplaceRoot(name string, arg bson.RawValue) (aggStage, error) {
	exprV := arg
	if name == "$replaceRoot" {
		if arg.Type != bson.TypeEmbeddedDocument {
			return nil, codes.New(40229, "expected an object as specification for $replaceRoot stage, got %s", value.TypeNameOf(arg))
		}
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid $replaceRoot: %v", err)
		}
		exprV = bson.RawValue{}
		for _, el := range elems {
			if el.Key() != "newRoot" {
				return nil, codes.New(40415, "BSON field '$replaceRoot.%s' is an unknown field.", el.Key())
			}
			exprV = el.Value()
		}
		if exprV.Type == 0 {
			return nil, codes.New(40414, "BSON field '$replaceRoot.newRoot' is missing but a required field")
		}
	}
	e, err := expr.CompileIn(exprV, nil)
	if err != nil {
		return nil, err
	}
	return aggStageFunc(func(ctx context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
		out := make([]bson.Raw, 0, len(docs))
		for _, d := range docs {
			v, err := e.EvalIn(d, nil)
			if err != nil {
				return nil, err
			}
			if v.Type != bson.TypeEmbeddedDocument {
				shown := "MISSING"
				if v.Type != 0 {
					shown = expr.FormatValue(v)
				}
				return nil, codes.New(40228, "'newRoot' expression must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'. Input document: %s",
					shown, value.TypeNameOf(v), expr.FormatValue(value.Doc(d)))
			}
			out = append(out, v.Document())
		}
		return out, nil
	}), nil
}

// countValue is a count as MongoDB returns it: an int when it fits, else a
// long.
func countValue(n int64) bson.RawValue {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return value.Int32(int32(n))
	}
	return value.Int64(n)
}
