package update

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// formatElement formats "key: value" as MongoDB's
// BSONElement::toString does in error messages.
func formatElement(key string, v bson.RawValue) string {
	return key + ": " + formatValue(v)
}

// formatDoc formats a document as BSONObj::toString: "{ a: 1 }".
func formatDoc(doc []byte) string {
	var sb strings.Builder
	writeContainer(&sb, doc, false, 0)
	return sb.String()
}

// formatValue formats a value as MongoDB's shell-like toString.
func formatValue(v bson.RawValue) string {
	var sb strings.Builder
	writeValue(&sb, v, 0)
	return sb.String()
}

// formatMaxDepth bounds recursion on hostile, deeply nested input.
const formatMaxDepth = 100

// writeValue appends v to sb as mongod prints it in messages, to depth levels.
func writeValue(sb *strings.Builder, v bson.RawValue, depth int) {
	switch v.Type {
	case bson.TypeDouble:
		sb.WriteString(formatDouble(v.Double()))
	case bson.TypeString:
		sb.WriteString(strconv.Quote(v.StringValue()))
	case bson.TypeSymbol:
		sb.WriteString(strconv.Quote(v.Symbol()))
	case bson.TypeEmbeddedDocument:
		writeContainer(sb, v.Value, false, depth+1)
	case bson.TypeArray:
		writeContainer(sb, v.Value, true, depth+1)
	case bson.TypeBinary:
		sub, data := v.Binary()
		sb.WriteString("BinData(" + strconv.Itoa(int(sub)) + ", " + strings.ToUpper(hex.EncodeToString(data)) + ")")
	case bson.TypeUndefined:
		sb.WriteString("undefined")
	case bson.TypeObjectID:
		sb.WriteString("ObjectId('" + v.ObjectID().Hex() + "')")
	case bson.TypeBoolean:
		sb.WriteString(strconv.FormatBool(v.Boolean()))
	case bson.TypeDateTime:
		sb.WriteString("new Date(" + strconv.FormatInt(v.DateTime(), 10) + ")")
	case bson.TypeNull:
		sb.WriteString("null")
	case bson.TypeRegex:
		p, o := v.Regex()
		sb.WriteString("/" + p + "/" + o)
	case bson.TypeJavaScript:
		sb.WriteString(v.JavaScript())
	case bson.TypeInt32:
		sb.WriteString(strconv.FormatInt(int64(v.Int32()), 10))
	case bson.TypeInt64:
		sb.WriteString(strconv.FormatInt(v.Int64(), 10))
	case bson.TypeTimestamp:
		t, i := v.Timestamp()
		sb.WriteString("Timestamp(" + strconv.FormatUint(uint64(t), 10) + ", " + strconv.FormatUint(uint64(i), 10) + ")")
	case bson.TypeDecimal128:
		sb.WriteString("NumberDecimal(\"" + v.Decimal128().String() + "\")")
	case bson.TypeMinKey:
		sb.WriteString("MinKey")
	case bson.TypeMaxKey:
		sb.WriteString("MaxKey")
	default:
		sb.WriteString(v.String())
	}
}

// formatDouble prints a double the way MongoDB's appendDoubleNice
// does: integral values keep a trailing ".0".
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan.0"
	case math.IsInf(f, 1):
		return "inf.0"
	case math.IsInf(f, -1):
		return "-inf.0"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

// writeContainer writes "{ k: v, ... }" or "[ v, ... ]".
func writeContainer(sb *strings.Builder, b []byte, array bool, depth int) {
	open, close := "{", "}"
	if array {
		open, close = "[", "]"
	}
	if depth > formatMaxDepth {
		sb.WriteString(open + " ... " + close)
		return
	}
	if len(b) <= 5 {
		sb.WriteString(open + close)
		return
	}
	sb.WriteString(open + " ")
	rem := b[4 : len(b)-1]
	first := true
	for len(rem) > 0 {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			break
		}
		rem = r
		if !first {
			sb.WriteString(", ")
		}
		first = false
		if !array {
			sb.WriteString(e.Key() + ": ")
		}
		v := e.Value()
		writeValue(sb, bson.RawValue{Type: bson.Type(v.Type), Value: v.Data}, depth)
	}
	sb.WriteString(" " + close)
}
