package value

import (
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TypeAliases maps MongoDB's type names ($type aliases) to BSON types. It is the one table of type names: $type
// in filters and expressions, and error messages, all read it.
var TypeAliases = map[string]bson.Type{
	"double":              bson.TypeDouble,
	"string":              bson.TypeString,
	"object":              bson.TypeEmbeddedDocument,
	"array":               bson.TypeArray,
	"binData":             bson.TypeBinary,
	"undefined":           bson.TypeUndefined,
	"objectId":            bson.TypeObjectID,
	"bool":                bson.TypeBoolean,
	"date":                bson.TypeDateTime,
	"null":                bson.TypeNull,
	"regex":               bson.TypeRegex,
	"dbPointer":           bson.TypeDBPointer,
	"javascript":          bson.TypeJavaScript,
	"symbol":              bson.TypeSymbol,
	"javascriptWithScope": bson.TypeCodeWithScope,
	"int":                 bson.TypeInt32,
	"timestamp":           bson.TypeTimestamp,
	"long":                bson.TypeInt64,
	"decimal":             bson.TypeDecimal128,
	"minKey":              bson.TypeMinKey,
	"maxKey":              bson.TypeMaxKey,
}

// typeNames is TypeAliases reversed.
var typeNames = func() map[bson.Type]string {
	m := make(map[bson.Type]string, len(TypeAliases))
	for name, t := range TypeAliases {
		m[t] = name
	}
	return m
}()

// TypeName returns MongoDB's name of a BSON type as $type and error messages spell it ("string", "int", "long",
// "object", ...), "missing" for the zero type (an absent value).
func TypeName(t bson.Type) string {
	if t == 0 {
		return "missing"
	}
	if name, ok := typeNames[t]; ok {
		return name
	}
	return "unknown type " + strconv.Itoa(int(t))
}
