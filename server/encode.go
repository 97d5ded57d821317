package server

import (
	"github.com/concorddb/concord/internal/encoder"
	"github.com/concorddb/concord/internal/frontend"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// appendReply appends the encoded reply of a command to dst: the same bytes as reply, but a successful reply
// whose fields hold only the common value types (those internal/encoder takes) is appended straight into dst,
// without the reflection and intermediate buffers of bson.Marshal. Anything else goes through reply.
func (s *Server) appendReply(dst []byte, inv *invocation, fields bson.D, err error) []byte {
	if err == nil {
		start := len(dst)
		idx, out := bsoncore.AppendDocumentStart(dst)
		out, ok := encoder.AppendElements(out, fields)
		if ok {
			out = bsoncore.AppendDoubleElement(out, "ok", 1)
			out = appendClusterTime(out, s.clock.nowAfter(frontend.CommitTs(s.DB)))
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
