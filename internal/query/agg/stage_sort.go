package agg

import (
	"context"
	"slices"
	"strings"

	"github.com/concorddb/concord/internal/query/order"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// aggSort is a compiled $sort; ties keep their input order (MongoDB does
// not promise that, and stability keeps results deterministic).
type aggSort struct{ sort *order.Sort }

// aggCompileSort compiles $sort with the sort engine (order.Compile).
func aggCompileSort(name string, arg bson.RawValue) (aggStage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, codes.New(15973, "the $sort key specification must be an object")
	}
	if len(d) <= 5 {
		return nil, codes.New(15976, "$sort stage must have at least one sort key")
	}
	s, err := order.Compile(d)
	if err != nil {
		return nil, err
	}
	return aggSort{sort: s}, nil
}

func (s aggSort) run(ctx context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
	out := slices.Clone(docs)
	slices.SortStableFunc(out, s.sort.Compare)
	if err := codes.FromContext(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// aggCompileSortByCount is $sortByCount: {$group: {_id: expr, count:
// {$sum: 1}}} followed by {$sort: {count: -1}}.
func aggCompileSortByCount(name string, arg bson.RawValue) (aggStage, error) {
	switch arg.Type {
	case bson.TypeString:
		if !strings.HasPrefix(arg.StringValue(), "$") {
			return nil, codes.New(40148, "the sortByCount field must be defined as a $-prefixed path or an expression inside an object")
		}
	case bson.TypeEmbeddedDocument:
		if !expr.IsExpressionObject(arg) {
			return nil, codes.New(40147, "the sortByCount field must be defined as a $-prefixed path or an expression inside an object")
		}
	default:
		return nil, codes.New(40149, "the sortByCount field must be specified as a string or as an object")
	}
	idx, spec := bsoncore.AppendDocumentStart(nil)
	spec = value.AppendElem(spec, "_id", arg)
	cidx, spec := bsoncore.AppendDocumentElementStart(spec, "count")
	spec = bsoncore.AppendInt32Element(spec, "$sum", 1)
	spec, _ = bsoncore.AppendDocumentEnd(spec, cidx)
	spec, _ = bsoncore.AppendDocumentEnd(spec, idx)
	group, err := aggCompileGroup("$group", value.Doc(spec))
	if err != nil {
		return nil, err
	}
	sortSpec := bsoncore.BuildDocument(nil, bsoncore.AppendInt32Element(nil, "count", -1))
	sort, err := order.Compile(sortSpec)
	if err != nil {
		return nil, err
	}
	return aggStageFunc(func(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error) {
		out, err := group.run(ctx, docs, env)
		if err != nil {
			return nil, err
		}
		return aggSort{sort: sort}.run(ctx, out, env)
	}), nil
}
