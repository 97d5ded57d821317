package value

import (
	"math"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Null is the BSON null value.
var Null = bson.RawValue{Type: bson.TypeNull}

// Bool returns a BSON boolean.
func Bool(b bool) bson.RawValue {
	return bson.RawValue{Type: bson.TypeBoolean, Value: bsoncore.AppendBoolean(nil, b)}
}

// Int32 returns a BSON int32.
func Int32(n int32) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, n)}
}

// Int64 returns a BSON int64.
func Int64(n int64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, n)}
}

// Double returns a BSON double.
func Double(f float64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, f)}
}

// String returns a BSON string.
func String(s string) bson.RawValue {
	return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, s)}
}

// Date returns a BSON datetime from milliseconds since the epoch.
func Date(ms int64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDateTime, Value: bsoncore.AppendDateTime(nil, ms)}
}

// Decimal returns a BSON decimal128.
func Decimal(d bson.Decimal128) bson.RawValue {
	h, l := d.GetBytes()
	return bson.RawValue{Type: bson.TypeDecimal128, Value: bsoncore.AppendDecimal128(nil, h, l)}
}

// Now is $$NOW: the current time as a BSON date.
func Now() bson.RawValue { return Date(time.Now().UnixMilli()) }

// Doc wraps a document as a value.
func Doc(doc bson.Raw) bson.RawValue {
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}
}

// Array builds a BSON array from values; missing values are skipped
// by callers, never written.
func Array(vals []bson.RawValue) bson.RawValue {
	idx, dst := bsoncore.AppendArrayStart(nil)
	for i, v := range vals {
		dst = AppendElem(dst, strconv.Itoa(i), v)
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: dst}
}

// AppendElem appends key: v to a document under construction.
func AppendElem(dst []byte, key string, v bson.RawValue) []byte {
	return bsoncore.AppendValueElement(dst, key, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
}

// Values returns an array value's elements (nil for malformed input).
func Values(v bson.RawValue) []bson.RawValue {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil
	}
	vals, err := arr.Values()
	if err != nil {
		return nil
	}
	return vals
}

// IsNumber reports whether v is int32, int64, double or decimal128.
func IsNumber(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return true
	}
	return false
}

// IsNullish reports whether v is null, undefined or missing.
func IsNullish(v bson.RawValue) bool {
	return v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
}

// ToFloat converts a numeric value to float64.
func ToFloat(v bson.RawValue) (float64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		n, ok := v.Int32OK()
		return float64(n), ok
	case bson.TypeInt64:
		n, ok := v.Int64OK()
		return float64(n), ok
	case bson.TypeDouble:
		return v.DoubleOK()
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		if !ok {
			return 0, false
		}
		f, err := strconv.ParseFloat(d.String(), 64)
		if err != nil {
			// Infinity/NaN spellings of Decimal128 differ from Go's.
			switch d.String() {
			case "Infinity":
				return math.Inf(1), true
			case "-Infinity":
				return math.Inf(-1), true
			}
			return math.NaN(), true
		}
		return f, true
	}
	return 0, false
}

// ToInt64 converts an int32/int64 value to int64.
func ToInt64(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		n, ok := v.Int32OK()
		return int64(n), ok
	case bson.TypeInt64:
		return v.Int64OK()
	}
	return 0, false
}

// DecimalIsZero reports whether d is a (signed) zero of any exponent.
func DecimalIsZero(d bson.Decimal128) bool {
	bi, _, err := d.BigInt()
	return err == nil && bi.Sign() == 0
}

// TypeNameOf is MongoDB's $type name of a value ("missing" for missing).
func TypeNameOf(v bson.RawValue) string { return TypeName(v.Type) }

// EmptyDoc is the empty document {}. Callers must not modify it.
var EmptyDoc = bson.Raw{5, 0, 0, 0, 0}
