package expr

import (
	"math"
	"strings"

	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// FormatValue renders a value the way mongod echoes a stage argument in
// its error messages ("x" quoted, [ 1 ], { a: 1 }).
func FormatValue(v bson.RawValue) string {
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
		return FormatScalar(v)
	case bson.TypeDouble:
		f := v.Double()
		if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e15 {
			return FormatScalar(v) + ".0"
		}
		return FormatScalar(v)
	case bson.TypeArray:
		vals := value.Values(v)
		if len(vals) == 0 {
			return "[]"
		}
		parts := make([]string, len(vals))
		for i, e := range vals {
			parts[i] = FormatValue(e)
		}
		return "[ " + strings.Join(parts, ", ") + " ]"
	case bson.TypeEmbeddedDocument:
		elems, err := v.Document().Elements()
		if err != nil || len(elems) == 0 {
			return "{}"
		}
		parts := make([]string, len(elems))
		for i, el := range elems {
			parts[i] = el.Key() + ": " + FormatValue(el.Value())
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return v.String()
}

// IsExpressionObject reports whether v is an operator expression
// ({$op: ...}) rather than a nested specification.
func IsExpressionObject(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return false
	}
	elems, err := v.Document().Elements()
	return err == nil && len(elems) > 0 && strings.HasPrefix(elems[0].Key(), "$")
}
