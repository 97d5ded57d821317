// Package encoder encodes bson.D values without reflection, byte for byte as bson.Marshal does, for the common
// value types. The root package encodes every filter and update a program passes as a bson.D with it, and the
// wire server every reply; bson.Marshal's reflection is most of the cost of both. Values of any other type are
// declined, and the caller falls back to bson.Marshal, which then also reports the errors.
package encoder

import (
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// maxDepth bounds the nesting of bson.D and bson.A values encoded here; deeper values are declined, and
// bson.Marshal, with its own limits, decides.
const maxDepth = 16

// AppendDocument appends d to dst as the document bson.Marshal(d) would encode. It reports false, and returns
// dst unchanged, when d holds anything but nil, bool, int, int32, int64, float64, string, bson.ObjectID,
// bson.DateTime, bson.Timestamp, a valid bson.Raw document, a bson.RawValue of a valid type, or a non-nil
// bson.D or bson.A of these; or a key holding a NUL byte. dst's bytes are never modified, only appended to.
func AppendDocument(dst []byte, d bson.D) ([]byte, bool) {
	out, ok := appendDocument(dst, d, 0)
	if !ok {
		return dst, false
	}
	return out, true
}

// AppendElements appends the elements of d (each a type, a key and a value) as bson.Marshal(d) would encode
// them, without the document's length and terminator: for a caller that adds elements of its own before it
// closes the document (bsoncore.AppendDocumentStart / AppendDocumentEnd). It declines what AppendDocument
// declines, returning dst unchanged.
func AppendElements(dst []byte, d bson.D) ([]byte, bool) {
	out, ok := appendElements(dst, d, 0)
	if !ok {
		return dst, false
	}
	return out, true
}

// appendDocument appends the document d at nesting depth.
func appendDocument(dst []byte, d bson.D, depth int) ([]byte, bool) {
	idx, dst := bsoncore.AppendDocumentStart(dst)
	dst, ok := appendElements(dst, d, depth)
	if !ok {
		return dst, false
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst, true
}

// appendElements appends the elements of d at nesting depth.
func appendElements(dst []byte, d bson.D, depth int) ([]byte, bool) {
	if depth > maxDepth {
		return dst, false
	}
	for i := range d {
		if strings.IndexByte(d[i].Key, 0) >= 0 {
			return dst, false // bson.Marshal's error
		}
		at := len(dst)
		dst = append(dst, 0) // the type, known once the value is appended
		dst = append(append(dst, d[i].Key...), 0)
		var t bsoncore.Type
		var ok bool
		if dst, t, ok = appendValue(dst, d[i].Value, depth); !ok {
			return dst, false
		}
		dst[at] = byte(t)
	}
	return dst, true
}

// appendArray appends the array a (a document keyed "0", "1", ...) at nesting depth.
func appendArray(dst []byte, a bson.A, depth int) ([]byte, bool) {
	if depth > maxDepth {
		return dst, false
	}
	idx, dst := bsoncore.AppendArrayStart(dst)
	for i, v := range a {
		at := len(dst)
		dst = append(dst, 0)
		dst = append(strconv.AppendInt(dst, int64(i), 10), 0)
		var t bsoncore.Type
		var ok bool
		if dst, t, ok = appendValue(dst, v, depth); !ok {
			return dst, false
		}
		dst[at] = byte(t)
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return dst, true
}

// appendValue appends the bytes of one value (without type and key) as bson.Marshal's default registry
// encodes it, and returns its type. Nil slices and documents are declined: the registry's encoding of them
// depends on its options.
func appendValue(dst []byte, v any, depth int) ([]byte, bsoncore.Type, bool) {
	switch v := v.(type) {
	case nil:
		return dst, bsoncore.TypeNull, true
	case bool:
		return bsoncore.AppendBoolean(dst, v), bsoncore.TypeBoolean, true
	case int:
		// The registry writes an int as int32 when it fits.
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return bsoncore.AppendInt32(dst, int32(v)), bsoncore.TypeInt32, true
		}
		return bsoncore.AppendInt64(dst, int64(v)), bsoncore.TypeInt64, true
	case int32:
		return bsoncore.AppendInt32(dst, v), bsoncore.TypeInt32, true
	case int64:
		return bsoncore.AppendInt64(dst, v), bsoncore.TypeInt64, true
	case float64:
		return bsoncore.AppendDouble(dst, v), bsoncore.TypeDouble, true
	case string:
		return bsoncore.AppendString(dst, v), bsoncore.TypeString, true
	case bson.ObjectID:
		return append(dst, v[:]...), bsoncore.TypeObjectID, true
	case bson.DateTime:
		return bsoncore.AppendDateTime(dst, int64(v)), bsoncore.TypeDateTime, true
	case bson.Timestamp:
		return bsoncore.AppendTimestamp(dst, v.T, v.I), bsoncore.TypeTimestamp, true
	case bson.D:
		if v == nil {
			return dst, 0, false
		}
		dst, ok := appendDocument(dst, v, depth+1)
		return dst, bsoncore.TypeEmbeddedDocument, ok
	case bson.A:
		if v == nil {
			return dst, 0, false
		}
		dst, ok := appendArray(dst, v, depth+1)
		return dst, bsoncore.TypeArray, ok
	case bson.Raw:
		// The registry copies a valid document verbatim. Validate alone lets bytes past the document's length
		// through, which the registry refuses.
		if n, _, ok := bsoncore.ReadLength(v); !ok || int(n) != len(v) || bsoncore.Document(v).Validate() != nil {
			return dst, 0, false
		}
		return append(dst, v...), bsoncore.TypeEmbeddedDocument, true
	case bson.RawValue:
		// The registry writes a RawValue of a valid type as its bytes, unchecked.
		if !v.Type.IsValid() {
			return dst, 0, false
		}
		return append(dst, v.Value...), bsoncore.Type(v.Type), true
	}
	return dst, 0, false
}
