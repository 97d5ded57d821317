package query

import (
	"math"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// aggNull is the BSON null value.
var aggNull = bson.RawValue{Type: bson.TypeNull}

// aggBool returns a BSON boolean.
func aggBool(b bool) bson.RawValue {
	return bson.RawValue{Type: bson.TypeBoolean, Value: bsoncore.AppendBoolean(nil, b)}
}

// aggInt32 returns a BSON int32.
func aggInt32(n int32) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, n)}
}

// aggInt64 returns a BSON int64.
func aggInt64(n int64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, n)}
}

// aggDouble returns a BSON double.
func aggDouble(f float64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, f)}
}

// aggString returns a BSON string.
func aggString(s string) bson.RawValue {
	return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, s)}
}

// aggDate returns a BSON datetime from milliseconds since the epoch.
func aggDate(ms int64) bson.RawValue {
	return bson.RawValue{Type: bson.TypeDateTime, Value: bsoncore.AppendDateTime(nil, ms)}
}

// aggDecimal returns a BSON decimal128.
func aggDecimal(d bson.Decimal128) bson.RawValue {
	h, l := d.GetBytes()
	return bson.RawValue{Type: bson.TypeDecimal128, Value: bsoncore.AppendDecimal128(nil, h, l)}
}

// aggNow is $$NOW: the current time as a BSON date.
func aggNow() bson.RawValue { return aggDate(time.Now().UnixMilli()) }

// aggDocValue wraps a document as a value.
func aggDocValue(doc bson.Raw) bson.RawValue {
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}
}

// aggArrayValue builds a BSON array from values; missing values are skipped
// by callers, never written.
func aggArrayValue(vals []bson.RawValue) bson.RawValue {
	idx, dst := bsoncore.AppendArrayStart(nil)
	for i, v := range vals {
		dst = aggAppendElem(dst, strconv.Itoa(i), v)
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: dst}
}

// aggAppendElem appends key: v to a document under construction.
func aggAppendElem(dst []byte, key string, v bson.RawValue) []byte {
	return bsoncore.AppendValueElement(dst, key, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
}

// aggValues returns an array value's elements (nil for malformed input).
func aggValues(v bson.RawValue) []bson.RawValue {
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

// aggIsNumber reports whether v is int32, int64, double or decimal128.
func aggIsNumber(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return true
	}
	return false
}

// aggIsNullish reports whether v is null, undefined or missing.
func aggIsNullish(v bson.RawValue) bool {
	return v.Type == 0 || v.Type == bson.TypeNull || v.Type == bson.TypeUndefined
}

// aggToFloat converts a numeric value to float64.
func aggToFloat(v bson.RawValue) (float64, bool) {
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

// aggToInt64 converts an int32/int64 value to int64.
func aggToInt64(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		n, ok := v.Int32OK()
		return int64(n), ok
	case bson.TypeInt64:
		return v.Int64OK()
	}
	return 0, false
}

// aggDecimalIsZero reports whether d is a (signed) zero of any exponent.
func aggDecimalIsZero(d bson.Decimal128) bool {
	bi, _, err := d.BigInt()
	return err == nil && bi.Sign() == 0
}

// aggTypeName is MongoDB's $type name of a value ("missing" for missing).
func aggTypeName(v bson.RawValue) string { return TypeName(v.Type) }
