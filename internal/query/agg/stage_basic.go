package agg

import (
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

// compileMatch compiles $match with the filter engine (filter.Compile).
func compileMatch(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(15959, "the match filter must be an expression in an object")
	}
	f, err := filter.CompileIn(arg.Document(), scope)
	if err != nil {
		return nil, err
	}
	return mapStage(func(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
		ok, err := f.MatchIn(d, r.vars)
		if err != nil || !ok {
			return out, err
		}
		return append(out, d), nil
	}), nil
}

// compileSkipLimit compiles $skip and $limit, whose argument must be a
// non-negative integral number (a positive one for $limit).
func compileSkipLimit(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
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
	return skipLimit{skip: name == "$skip", n: n}, nil
}

// skipLimit is $skip or $limit of n documents.
type skipLimit struct {
	skip bool
	n    int64
}

// open implements stage.
func (s skipLimit) open(r *run, in Iterator) Iterator {
	return &skipLimitIter{r: r, in: in, skip: s.skip, n: s.n}
}

// skipLimitIter drops the first n documents ($skip) or ends after n
// ($limit), without reading past the limit.
type skipLimitIter struct {
	r    *run
	in   Iterator
	skip bool
	n    int64
	seen int64
}

// Next implements Iterator.
func (it *skipLimitIter) Next() (bson.Raw, error) {
	for it.skip && it.seen < it.n {
		if it.seen%checkEvery == checkEvery-1 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				return nil, err
			}
		}
		d, err := it.in.Next()
		if err != nil || d == nil {
			return nil, err
		}
		it.seen++
	}
	if !it.skip && it.seen >= it.n {
		return nil, nil
	}
	d, err := it.in.Next()
	if d != nil && !it.skip {
		it.seen++
	}
	return d, err
}

// Close implements Iterator.
func (it *skipLimitIter) Close() error { return it.in.Close() }

// compileCount is $count: one document {name: n} when there is input,
// nothing otherwise.
func compileCount(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
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
	return countStage(field), nil
}

// countStage is $count into the named field.
type countStage string

// open implements stage.
func (field countStage) open(r *run, in Iterator) Iterator {
	return &countIter{r: r, in: in, field: string(field)}
}

// countIter counts its whole input, then returns {field: n} once (nothing
// for no input).
type countIter struct {
	r     *run
	in    Iterator
	field string
	done  bool
	err   error
}

// Next implements Iterator.
func (it *countIter) Next() (bson.Raw, error) {
	if it.done {
		return nil, it.err
	}
	it.done = true
	d, err := it.count()
	it.err = err
	return d, err
}

// count reads the whole input and returns its document.
func (it *countIter) count() (bson.Raw, error) {
	var n int64
	for {
		if n%checkEvery == checkEvery-1 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				return nil, err
			}
		}
		d, err := it.in.Next()
		if err != nil {
			return nil, err
		}
		if d == nil {
			break
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	dst = value.AppendElem(dst, it.field, countValue(n))
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst, nil
}

// Close implements Iterator.
func (it *countIter) Close() error { return it.in.Close() }

// compileReplaceRoot compiles $replaceRoot {newRoot: expr} and
// $replaceWith expr.
func compileReplaceRoot(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
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
	e, err := expr.CompileIn(exprV, scope)
	if err != nil {
		return nil, err
	}
	return mapStage(func(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
		v, err := e.EvalIn(d, r.vars)
		if err != nil {
			return out, err
		}
		if v.Type != bson.TypeEmbeddedDocument {
			shown := "MISSING"
			if v.Type != 0 {
				shown = expr.FormatValue(v)
			}
			return out, codes.New(40228, "'newRoot' expression must evaluate to an object, but resulting value was: %s. Type of resulting value: '%s'. Input document: %s",
				shown, value.TypeNameOf(v), expr.FormatValue(value.Doc(d)))
		}
		return append(out, v.Document()), nil
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
