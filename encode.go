package concord

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// fastMaxDepth bounds the nesting appendD handles itself; deeper documents go
// through bson.Marshal, which has its own limits.
const fastMaxDepth = 16

// marshalD encodes d exactly as bson.Marshal does (same bytes), without
// reflection, when every value is of a common type: nil, bool, int, int32,
// int64, float64, string, bson.ObjectID, or a non-nil bson.D or bson.A of
// such values. ok is false for anything else (named types, maps, structs,
// keys holding a NUL byte, ...), and the caller falls back to bson.Marshal.
// Filters and updates such as {_id: 7} and {$inc: {n: 1}} are encoded on
// every statement, and reflection is most of their cost.
func marshalD(d bson.D) (doc bson.Raw, ok bool) {
	b, ok := appendD(make([]byte, 0, 64), d, 0)
	if !ok {
		return nil, false
	}
	return b, true
}

// appendD appends the document d to dst.
func appendD(dst []byte, d bson.D, depth int) ([]byte, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for i := range d {
		if strings.IndexByte(d[i].Key, 0) >= 0 {
			return nil, false
		}
		var ok bool
		if dst, ok = appendValue(dst, d[i].Key, d[i].Value, depth); !ok {
			return nil, false
		}
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, true
}

// appendA appends the array a to dst (a document keyed "0", "1", ...).
func appendA(dst []byte, a bson.A, depth int) ([]byte, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	var num [20]byte
	for i, v := range a {
		var ok bool
		if dst, ok = appendValue(dst, string(strconv.AppendInt(num[:0], int64(i), 10)), v, depth); !ok {
			return nil, false
		}
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, true
}

// appendValue appends one element (type byte, key, value) to dst, encoding
// v as bson.Marshal's default registry does; false when v is of a type this
// encoder leaves to bson.Marshal.
func appendValue(dst []byte, key string, v any, depth int) ([]byte, bool) {
	header := func(t bson.Type) []byte { return appendHeader(dst, t, key) }
	switch x := v.(type) {
	case nil:
		return header(bson.TypeNull), true
	case bool:
		dst = header(bson.TypeBoolean)
		if x {
			return append(dst, 1), true
		}
		return append(dst, 0), true
	case int:
		// The default registry writes an int as int32 when it fits.
		if x >= math.MinInt32 && x <= math.MaxInt32 {
			return binary.LittleEndian.AppendUint32(header(bson.TypeInt32), uint32(int32(x))), true
		}
		return binary.LittleEndian.AppendUint64(header(bson.TypeInt64), uint64(x)), true
	case int32:
		return binary.LittleEndian.AppendUint32(header(bson.TypeInt32), uint32(x)), true
	case int64:
		return binary.LittleEndian.AppendUint64(header(bson.TypeInt64), uint64(x)), true
	case float64:
		return binary.LittleEndian.AppendUint64(header(bson.TypeDouble), math.Float64bits(x)), true
	case string:
		dst = header(bson.TypeString)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(x)+1))
		dst = append(dst, x...)
		return append(dst, 0), true
	case bson.ObjectID:
		return append(header(bson.TypeObjectID), x[:]...), true
	case bson.D:
		if x == nil {
			return nil, false // the registry writes a nil D as null; leave it to bson.Marshal
		}
		return appendD(header(bson.TypeEmbeddedDocument), x, depth+1)
	case bson.A:
		if x == nil {
			return nil, false
		}
		return appendA(header(bson.TypeArray), x, depth+1)
	}
	return nil, false
}

// appendHeader appends an element's type byte and key.
func appendHeader(dst []byte, t bson.Type, key string) []byte {
	dst = append(dst, byte(t))
	dst = append(dst, key...)
	return append(dst, 0)
}
