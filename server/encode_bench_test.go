package server

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// BenchmarkAppendReply measures the encoding of the hot replies into a reused buffer: an update's counts, and a
// find's first batch of ten stored documents.
func BenchmarkAppendReply(b *testing.B) {
	batch := make(bson.A, 10)
	for i := range batch {
		batch[i] = bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", int32(i)).AppendInt64("v", 42).
			AppendString("pad", "0123456789abcdef0123456789abcdef").Build())
	}
	replies := []struct {
		name   string
		fields bson.D
	}{
		{"update", bson.D{{Key: "n", Value: int32(1)}, {Key: "nModified", Value: int32(1)}}},
		{"find", bson.D{{Key: "cursor", Value: bson.D{
			{Key: "firstBatch", Value: batch}, {Key: "id", Value: int64(0)}, {Key: "ns", Value: "bench.spread"},
		}}}},
	}
	for _, r := range replies {
		b.Run(r.name, func(b *testing.B) {
			s := &Server{}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf = s.appendReply(buf[:0], nil, r.fields, nil)
			}
		})
	}
}
