package server

import (
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// appendReply appends the encoded reply of a command to dst: the same bytes as reply, but a successful reply
// whose fields hold only the common value types is appended straight into dst, without the reflection and
// intermediate buffers of bson.Marshal. Anything else goes through reply.
func (s *Server) appendReply(dst []byte, inv *invocation, fields bson.D, err error) []byte {
	if err == nil {
		start := len(dst)
		idx, out := bsoncore.AppendDocumentStart(dst)
		out, ok := appendElementsFast(out, fields)
		if ok {
			out = bsoncore.AppendDoubleElement(out, "ok", 1)
			out = appendClusterTime(out, s.clock.now())
			out, _ = bsoncore.AppendDocumentEnd(out, idx)
			return out
		}
		dst = out[:start]
	}
	return append(dst, s.reply(inv, fields, err)...)
}

// zeroSignatureHash is the hash of $clusterTime.signature: Concord has no keys to sign with, so it is all
// zeros, as on a mongod without authentication.
var zeroSignatureHash = make([]byte, 20)

// appendClusterTime appends $clusterTime and operationTime, the fields every reply of a replica-set member
// ends with.
func appendClusterTime(dst []byte, ts bson.Timestamp) []byte {
	dst = bsoncore.AppendHeader(dst, bsoncore.TypeEmbeddedDocument, "$clusterTime")
	idx, dst := bsoncore.AppendDocumentStart(dst)
	dst = bsoncore.AppendTimestampElement(dst, "clusterTime", ts.T, ts.I)
	dst = bsoncore.AppendHeader(dst, bsoncore.TypeEmbeddedDocument, "signature")
	sidx, dst := bsoncore.AppendDocumentStart(dst)
	dst = bsoncore.AppendBinaryElement(dst, "hash", 0, zeroSignatureHash)
	dst = bsoncore.AppendInt64Element(dst, "keyId", 0)
	dst, _ = bsoncore.AppendDocumentEnd(dst, sidx)
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return bsoncore.AppendTimestampElement(dst, "operationTime", ts.T, ts.I)
}

// appendElementsFast appends the elements of d as bson.Marshal would encode them. It reports false, leaving
// dst to be discarded, when d holds a value it does not know how to encode byte-for-byte like bson.Marshal
// (the caller then uses bson.Marshal, errors included).
func appendElementsFast(dst []byte, d bson.D) ([]byte, bool) {
	for i := range d {
		if strings.IndexByte(d[i].Key, 0) >= 0 {
			return dst, false // bson.Marshal's error
		}
		at := len(dst)
		dst = append(dst, 0) // the type, known once the value is appended
		dst = append(append(dst, d[i].Key...), 0)
		var t bsoncore.Type
		var ok bool
		if dst, t, ok = appendValueFast(dst, d[i].Value); !ok {
			return dst, false
		}
		dst[at] = byte(t)
	}
	return dst, true
}

// appendValueFast appends the bytes of one value (without type and key) and returns its type. Nil slices and
// documents are left to bson.Marshal, whose encoding of them depends on its options.
func appendValueFast(dst []byte, v any) ([]byte, bsoncore.Type, bool) {
	switch v := v.(type) {
	case nil:
		return dst, bsoncore.TypeNull, true
	case int32:
		return bsoncore.AppendInt32(dst, v), bsoncore.TypeInt32, true
	case int64:
		return bsoncore.AppendInt64(dst, v), bsoncore.TypeInt64, true
	case int:
		// bson.Marshal encodes an int as int32 when it fits.
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return bsoncore.AppendInt32(dst, int32(v)), bsoncore.TypeInt32, true
		}
		return bsoncore.AppendInt64(dst, int64(v)), bsoncore.TypeInt64, true
	case float64:
		return bsoncore.AppendDouble(dst, v), bsoncore.TypeDouble, true
	case string:
		return bsoncore.AppendString(dst, v), bsoncore.TypeString, true
	case bool:
		return bsoncore.AppendBoolean(dst, v), bsoncore.TypeBoolean, true
	case bson.Timestamp:
		return bsoncore.AppendTimestamp(dst, v.T, v.I), bsoncore.TypeTimestamp, true
	case bson.ObjectID:
		return append(dst, v[:]...), bsoncore.TypeObjectID, true
	case bson.DateTime:
		return bsoncore.AppendDateTime(dst, int64(v)), bsoncore.TypeDateTime, true
	case bson.D:
		if v == nil {
			return dst, 0, false
		}
		idx, dst := bsoncore.AppendDocumentStart(dst)
		dst, ok := appendElementsFast(dst, v)
		if !ok {
			return dst, 0, false
		}
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return dst, bsoncore.TypeEmbeddedDocument, true
	case bson.A:
		if v == nil {
			return dst, 0, false
		}
		idx, dst := bsoncore.AppendArrayStart(dst)
		for i, e := range v {
			at := len(dst)
			dst = append(dst, 0)
			dst = append(strconv.AppendInt(dst, int64(i), 10), 0)
			var t bsoncore.Type
			var ok bool
			if dst, t, ok = appendValueFast(dst, e); !ok {
				return dst, 0, false
			}
			dst[at] = byte(t)
		}
		dst, _ = bsoncore.AppendArrayEnd(dst, idx)
		return dst, bsoncore.TypeArray, true
	case bson.Raw:
		// bson.Marshal copies a valid document verbatim.
		if v == nil || bsoncore.Document(v).Validate() != nil {
			return dst, 0, false
		}
		return append(dst, v...), bsoncore.TypeEmbeddedDocument, true
	case bson.RawValue:
		// bson.Marshal writes a RawValue of a valid type as its bytes, unchecked.
		if !v.Type.IsValid() {
			return dst, 0, false
		}
		return append(dst, v.Value...), bsoncore.Type(v.Type), true
	}
	return dst, 0, false
}
