package expr

import (
	"encoding/hex"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $convert and the $to* shorthands that expr_array.go's
// convert does not: $toDecimal, $toObjectId, $toDate and $toUUID.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/convert/

// conversionFailure is MongoDB's ConversionFailure, the code of a
// conversion that onError may replace.
const conversionFailure codes.Code = 241

// convertTargets maps $convert's target names to the $to* operator that
// performs the conversion.
var convertTargets = map[string]string{
	"double":   "$toDouble",
	"string":   "$toString",
	"objectId": "$toObjectId",
	"bool":     "$toBool",
	"date":     "$toDate",
	"int":      "$toInt",
	"long":     "$toLong",
	"decimal":  "$toDecimal",
}

// convertTo converts v as the $to* operator op does (null and missing
// give null); a failed conversion is a ConversionFailure (241).
func convertTo(op string, v bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(v) {
		return value.Null, nil
	}
	switch op {
	case "$toDecimal":
		return toDecimal(v)
	case "$toObjectId":
		switch v.Type {
		case bson.TypeObjectID:
			return v, nil
		case bson.TypeString:
			id, err := bson.ObjectIDFromHex(stringOf(v))
			if err != nil {
				return bson.RawValue{}, conversionError("Failed to parse objectId '%s'", stringOf(v))
			}
			return bson.RawValue{Type: bson.TypeObjectID, Value: id[:]}, nil
		}
		return bson.RawValue{}, conversionError("Unsupported conversion from %s to objectId", value.TypeNameOf(v))
	case "$toDate":
		return toDate(v)
	case "$toUUID":
		return toUUID(v)
	}
	return convert(op, v)
}

// toUUID is $toUUID: a UUID's canonical text (8-4-4-4-12 hex digits)
// becomes BinData of subtype 4.
func toUUID(v bson.RawValue) (bson.RawValue, error) {
	if v.Type == bson.TypeBinary {
		if sub, data, ok := v.BinaryOK(); ok && sub == bson.TypeBinaryUUID && len(data) == 16 {
			return v, nil
		}
	}
	s, ok := v.StringValueOK()
	if v.Type != bson.TypeString || !ok {
		return bson.RawValue{}, conversionError("Unsupported conversion from %s to UUID", value.TypeNameOf(v))
	}
	hexDigits := strings.ReplaceAll(s, "-", "")
	data, err := hex.DecodeString(hexDigits)
	if err != nil || len(s) != 36 || len(data) != 16 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return bson.RawValue{}, conversionError("Failed to parse UUID '%s'", s)
	}
	return bson.RawValue{Type: bson.TypeBinary, Value: bsoncore.AppendBinary(nil, bson.TypeBinaryUUID, data)}, nil
}

// toDecimal is $toDecimal: doubles keep 15 significant digits, as
// MongoDB's Decimal128(double) does.
func toDecimal(v bson.RawValue) (bson.RawValue, error) {
	switch v.Type {
	case bson.TypeDecimal128:
		return v, nil
	case bson.TypeBoolean:
		if v.Boolean() {
			return decValue(big.NewRat(1, 1), 0), nil
		}
		return decValue(new(big.Rat), 0), nil
	case bson.TypeInt32, bson.TypeInt64:
		n, _ := value.ToInt64(v)
		return decValue(new(big.Rat).SetInt64(n), 0), nil
	case bson.TypeDouble:
		return number{kind: kindDecimal, f: v.Double()}.valueFloat(), nil
	case bson.TypeDateTime:
		return decValue(new(big.Rat).SetInt64(v.DateTime()), 0), nil
	case bson.TypeString:
		s := stringOf(v)
		d, err := bson.ParseDecimal128(s)
		if err != nil || strings.TrimSpace(s) != s {
			return bson.RawValue{}, conversionError("Failed to parse number '%s'", s)
		}
		return value.Decimal(d), nil
	}
	return bson.RawValue{}, conversionError("Unsupported conversion from %s to decimal", value.TypeNameOf(v))
}

// dateLayouts are the string forms $toDate parses, as $dateFromString
// does without a format.
var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// toDate is $toDate: numbers are milliseconds since the epoch (ints are
// refused, as in MongoDB), strings are parsed, ObjectIds and timestamps
// give their time.
func toDate(v bson.RawValue) (bson.RawValue, error) {
	switch v.Type {
	case bson.TypeDateTime:
		return v, nil
	case bson.TypeInt64:
		return value.Date(v.Int64()), nil
	case bson.TypeDouble, bson.TypeDecimal128:
		f, _ := value.ToFloat(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return bson.RawValue{}, conversionError("Attempt to convert NaN or infinity value to date")
		}
		if f >= math.MaxInt64 || f < math.MinInt64 {
			return bson.RawValue{}, conversionError("Conversion would overflow target type")
		}
		return value.Date(int64(f)), nil
	case bson.TypeObjectID:
		return value.Date(v.ObjectID().Timestamp().UnixMilli()), nil
	case bson.TypeTimestamp:
		sec, _ := v.Timestamp()
		return value.Date(int64(sec) * 1000), nil
	case bson.TypeString:
		s := stringOf(v)
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return value.Date(t.UnixMilli()), nil
			}
		}
		return bson.RawValue{}, conversionError("Error parsing date string '%s'", s)
	}
	return bson.RawValue{}, conversionError("Unsupported conversion from %s to date", value.TypeNameOf(v))
}

// toOp is one of the $to* shorthands (one argument).
type toOp struct {
	op  string
	arg node
}

// compileTo compiles $toDecimal, $toObjectId and $toDate.
func compileTo(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return toOp{op: op, arg: args[0]}, nil
}

// eval implements node.
func (n toOp) eval(c *env) (bson.RawValue, error) {
	v, err := n.arg.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	return convertTo(n.op, v)
}

// convertExpr is $convert: {input, to, onError, onNull}.
type convertExpr struct {
	input, to, onError, onNull node
}

// compileConvert compiles $convert; malformed arguments are
// FailedToParse, as in MongoDB.
func compileConvert(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "$convert expects an object of named arguments but found: %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $convert: %v", err)
	}
	var n convertExpr
	for _, el := range elems {
		var dst *node
		switch el.Key() {
		case "input":
			dst = &n.input
		case "to":
			dst = &n.to
		case "onError":
			dst = &n.onError
		case "onNull":
			dst = &n.onNull
		default:
			return nil, codes.New(codes.FailedToParse, "$convert found an unknown argument: %s", el.Key())
		}
		if *dst, err = compile(el.Value(), scope); err != nil {
			return nil, err
		}
	}
	if n.input == nil {
		return nil, codes.New(codes.FailedToParse, "Missing 'input' parameter to $convert")
	}
	if n.to == nil {
		return nil, codes.New(codes.FailedToParse, "Missing 'to' parameter to $convert")
	}
	return n, nil
}

// eval implements node. A null or missing input gives onNull (null when
// absent); a null or missing 'to' gives null; a conversion that fails
// gives onError when it is given. onNull and onError are evaluated only
// when used.
func (n convertExpr) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	to, err := n.to.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(to) {
		return value.Null, nil
	}
	target, err := convertTarget(to)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(in) {
		if n.onNull != nil {
			return n.onNull.eval(c)
		}
		return value.Null, nil
	}
	var out bson.RawValue
	if op, ok := convertTargets[target]; ok {
		out, err = convertTo(op, in)
	} else {
		err = conversionError("Unsupported conversion from %s to %s", value.TypeNameOf(in), target)
	}
	if err != nil && n.onError != nil {
		if ce, ok := codes.As(err); ok && ce.Code == conversionFailure {
			return n.onError.eval(c)
		}
	}
	return out, err
}

// convertTarget resolves $convert's 'to', a type name or a BSON type
// number, to the type's name.
func convertTarget(to bson.RawValue) (string, error) {
	name := ""
	switch {
	case to.Type == bson.TypeString:
		name = stringOf(to)
		if _, ok := value.TypeAliases[name]; !ok {
			return "", codes.New(codes.BadValue, "Unknown type name: %s", name)
		}
	case value.IsNumber(to):
		i, ok := ExactInt(to)
		if !ok {
			return "", codes.New(codes.FailedToParse, "In $convert, numeric 'to' argument is not an integer")
		}
		t := bson.Type(i)
		if i <= 0 || i > 0x7f || strings.HasPrefix(value.TypeName(t), "unknown") {
			return "", codes.New(codes.FailedToParse, "In $convert, numeric value for 'to' does not correspond to a BSON type: %d", i)
		}
		name = value.TypeName(t)
	default:
		return "", codes.New(codes.FailedToParse, "$convert's 'to' argument must be a string or number, but is %s", value.TypeNameOf(to))
	}
	return name, nil
}

// misc is $rand, $binarySize, $bsonSize, $tsSecond or $tsIncrement.
type misc struct {
	op  string
	arg node
}

// compileMisc compiles the operators of misc; $rand takes {} only.
func compileMisc(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if op == "$rand" {
		if arg.Type != bson.TypeEmbeddedDocument || len(arg.Document()) != 5 {
			return nil, codes.New(3040500, "$rand not expecting arguments, but got %s", FormatScalar(arg))
		}
		return misc{op: op}, nil
	}
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return misc{op: op, arg: args[0]}, nil
}

// eval implements node.
func (n misc) eval(c *env) (bson.RawValue, error) {
	if n.op == "$rand" {
		return value.Double(randFloat()), nil
	}
	v, err := n.arg.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(v) {
		return value.Null, nil
	}
	switch n.op {
	case "$binarySize":
		switch v.Type {
		case bson.TypeString:
			return value.Int32(int32(len(stringOf(v)))), nil
		case bson.TypeBinary:
			_, data, ok := v.BinaryOK()
			if !ok {
				return bson.RawValue{}, codes.New(codes.InvalidBSON, "invalid BinData in $binarySize")
			}
			return value.Int32(int32(len(data))), nil
		}
		return bson.RawValue{}, codes.New(51276, "$binarySize requires a string or BinData argument, found: %s", value.TypeNameOf(v))
	case "$bsonSize":
		if v.Type != bson.TypeEmbeddedDocument {
			return bson.RawValue{}, codes.New(31393, "$bsonSize requires a document input, found: %s", value.TypeNameOf(v))
		}
		return value.Int32(int32(len(v.Value))), nil
	}
	if v.Type != bson.TypeTimestamp {
		return bson.RawValue{}, codes.New(5687301, "Argument to %s must be a timestamp, but is %s", n.op, value.TypeNameOf(v))
	}
	sec, inc := v.Timestamp()
	if n.op == "$tsSecond" {
		return value.Int64(int64(sec)), nil
	}
	return value.Int64(int64(inc)), nil
}

// randFloat is $rand's value: uniform in [0, 1).
func randFloat() float64 { return rand.Float64() }
