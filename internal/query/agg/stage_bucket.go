package agg

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $bucket, which MongoDB defines as a $group whose _id is
// the bucket's lower boundary, followed by a $sort on _id; it is compiled
// into exactly those two stages, so it is bounded in memory as $group is.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucket/

// compileBucket compiles {$bucket: {groupBy, boundaries, default, output}}.
func compileBucket(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(40201, "Argument to $bucket stage must be an object, but found type: %s.", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $bucket: %v", err)
	}
	var groupBy, boundaries, def, output bson.RawValue
	for _, el := range elems {
		v := el.Value()
		switch el.Key() {
		case "groupBy":
			if !(v.Type == bson.TypeString && len(v.StringValue()) > 0 && v.StringValue()[0] == '$') && !expr.IsExpressionObject(v) {
				return nil, codes.New(40202, "The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression, but found: %s.", expr.FormatValue(v))
			}
			groupBy = v
		case "boundaries":
			if v.Type != bson.TypeArray {
				return nil, codes.New(40200, "The $bucket 'boundaries' field must be an array, but found type: %s.", value.TypeNameOf(v))
			}
			boundaries = v
		case "default":
			def = v
		case "output":
			if v.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(40196, "The $bucket 'output' field must be an object, but found type: %s.", value.TypeNameOf(v))
			}
			output = v
		default:
			return nil, codes.New(40197, "Unrecognized option to $bucket: %s.", el.Key())
		}
	}
	if groupBy.Type == 0 || boundaries.Type == 0 {
		return nil, codes.New(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified.")
	}
	bounds := value.Values(boundaries)
	if len(bounds) < 2 {
		return nil, codes.New(40192, "The $bucket 'boundaries' field must have at least 2 values, but found %d value(s).", len(bounds))
	}
	for i, b := range bounds {
		if b.Type == bson.TypeString && len(stringOf(b)) > 0 && stringOf(b)[0] == '$' || expr.IsExpressionObject(b) {
			return nil, codes.New(40191, "The $bucket 'boundaries' field must be an array of constant values, but found value: %s.", expr.FormatValue(b))
		}
		if i == 0 {
			continue
		}
		if value.CanonicalRank(b.Type) != value.CanonicalRank(bounds[i-1].Type) {
			return nil, codes.New(40193, "All values in the the 'boundaries' option to $bucket must have the same type. Found conflicting types %s and %s.", value.TypeNameOf(bounds[i-1]), value.TypeNameOf(b))
		}
		if value.CompareWith(bounds[i-1], b, scope.Comparer()) >= 0 {
			return nil, codes.New(40194, "The 'boundaries' option to $bucket must be sorted in ascending order, but elements %d and %d are not in ascending order (%s is not less than %s).", i-1, i, expr.FormatValue(bounds[i-1]), expr.FormatValue(b))
		}
	}
	if def.Type != 0 && value.CanonicalRank(def.Type) == value.CanonicalRank(bounds[0].Type) &&
		value.CompareWith(def, bounds[0], scope.Comparer()) >= 0 && value.CompareWith(def, bounds[len(bounds)-1], scope.Comparer()) < 0 {
		return nil, codes.New(40199, "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.")
	}

	// _id: {$switch: {branches: [{case: {$and: [{$gte: [groupBy, b0]},
	// {$lt: [groupBy, b1]}]}, then: b0}, ...], default: def}}; without a
	// default a value outside every bucket fails as $switch does, with
	// $bucket's code (40066).
	var branches []bson.RawValue
	for i := 0; i+1 < len(bounds); i++ {
		cond := doc("$and", value.Array([]bson.RawValue{
			doc("$gte", value.Array([]bson.RawValue{groupBy, doc("$literal", bounds[i])})),
			doc("$lt", value.Array([]bson.RawValue{groupBy, doc("$literal", bounds[i+1])})),
		}))
		branches = append(branches, doc("case", cond, "then", doc("$literal", bounds[i])))
	}
	sw := []any{"branches", value.Array(branches)}
	if def.Type != 0 {
		sw = append(sw, "default", doc("$literal", def))
	}
	idx, spec := bsoncore.AppendDocumentStart(nil)
	spec = value.AppendElem(spec, "_id", doc("$switch", doc(sw...)))
	if output.Type == 0 {
		spec = value.AppendElem(spec, "count", doc("$sum", value.Int32(1)))
	} else {
		outElems, _ := output.Document().Elements()
		for _, el := range outElems {
			spec = append(spec, el...)
		}
	}
	spec, _ = bsoncore.AppendDocumentEnd(spec, idx)
	group, err := compileGroup("$group", value.Doc(spec), scope)
	if err != nil {
		return nil, err
	}
	sort, err := order.CompileColl(bsoncore.BuildDocument(nil, bsoncore.AppendInt32Element(nil, "_id", 1)), scope.Comparer())
	if err != nil {
		return nil, err
	}
	return sortByCount{group: group, sort: sortStage{sort: sort}}, nil
}

// doc builds the document {k0: v0, k1: v1, ...} of bson.RawValues.
func doc(kv ...any) bson.RawValue {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i := 0; i+1 < len(kv); i += 2 {
		dst = value.AppendElem(dst, kv[i].(string), kv[i+1].(bson.RawValue))
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst)
}

// stringOf returns a string value's text, "" for a malformed one.
func stringOf(v bson.RawValue) string {
	s, _ := v.StringValueOK()
	return s
}
