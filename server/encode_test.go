package server

import (
	"bytes"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// encodeCases are reply field lists: appendReply encodes those internal/encoder takes itself, the others
// through reply, with the same bytes either way.
var encodeCases = []struct {
	name string
	d    bson.D
}{
	{name: "empty", d: bson.D{}},
	{name: "update counts", d: bson.D{{Key: "n", Value: int32(1)}, {Key: "nModified", Value: int32(1)}}},
	{name: "scalars", d: bson.D{
		{Key: "i32", Value: int32(-7)}, {Key: "i64", Value: int64(math.MaxInt64)}, {Key: "f", Value: 1.5},
		{Key: "s", Value: "héllo"}, {Key: "t", Value: true}, {Key: "f2", Value: false}, {Key: "null", Value: nil},
		{Key: "ts", Value: bson.Timestamp{T: 12, I: 34}},
		{Key: "oid", Value: bson.ObjectID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}, {Key: "date", Value: bson.DateTime(-5)},
	}},
	{name: "int fits in int32", d: bson.D{{Key: "a", Value: 5}, {Key: "b", Value: -5}}},
	{name: "int needs int64", d: bson.D{{Key: "a", Value: math.MaxInt32 + 1}, {Key: "b", Value: math.MinInt32 - 1}}},
	{name: "nested", d: bson.D{{Key: "cursor", Value: bson.D{
		{Key: "firstBatch", Value: bson.A{bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build()), bson.D{{Key: "x", Value: "y"}}}},
		{Key: "id", Value: int64(0)}, {Key: "ns", Value: "db.c"},
	}}}},
	{name: "upserted raw value", d: bson.D{{Key: "upserted", Value: bson.A{bson.D{{Key: "index", Value: int32(0)}, {Key: "_id", Value: bson.RawValue{Type: bson.TypeInt32, Value: []byte{9, 0, 0, 0}}}}}}}},
	{name: "long array", d: bson.D{{Key: "a", Value: func() bson.A {
		a := make(bson.A, 120)
		for i := range a {
			a[i] = int32(i)
		}
		return a
	}()}}},
	{name: "empty array and document", d: bson.D{{Key: "a", Value: bson.A{}}, {Key: "d", Value: bson.D{}}}},
	{name: "nil D", d: bson.D{{Key: "d", Value: bson.D(nil)}}},
	{name: "nil A", d: bson.D{{Key: "a", Value: bson.A(nil)}}},
	{name: "nil Raw", d: bson.D{{Key: "r", Value: bson.Raw(nil)}}},
	{name: "invalid Raw", d: bson.D{{Key: "r", Value: bson.Raw{5, 0, 0, 0, 1}}}},
	{name: "invalid RawValue type", d: bson.D{{Key: "r", Value: bson.RawValue{Type: 0x55}}}},
	{name: "unknown type", d: bson.D{{Key: "m", Value: bson.M{"a": int32(1)}}}},
	{name: "strings slice", d: bson.D{{Key: "l", Value: []string{"x"}}}},
	{name: "key with NUL", d: bson.D{{Key: "a\x00b", Value: int32(1)}}},
	{name: "unknown type deep in array", d: bson.D{{Key: "a", Value: bson.A{int32(1), bson.D{{Key: "x", Value: float32(1)}}}}}},
}

// TestAppendReplyMatchesReply checks whole replies: the fast path and reply differ only in the timestamps.
func TestAppendReplyMatchesReply(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{}
			got := s.appendReply(nil, nil, tc.d, nil)
			want := s.reply(nil, tc.d, nil)
			// Both took one timestamp from the same clock; the second is one increment later (or a later second).
			gotDoc, wantDoc := bson.Raw(got), want
			if err := gotDoc.Validate(); err != nil {
				t.Fatalf("invalid reply: %v", err)
			}
			gt, wt := gotDoc.Lookup("operationTime"), wantDoc.Lookup("operationTime")
			if gt.Type != bson.TypeTimestamp && wt.Type == bson.TypeTimestamp {
				t.Fatalf("fast reply lacks operationTime: %v", gotDoc)
			}
			gotFixed := bytes.Replace(got, gt.Value, wt.Value, -1)
			if !bytes.Equal(gotFixed, want) {
				t.Fatalf("appendReply differs from reply:\n got %v\nwant %v", gotDoc, wantDoc)
			}
		})
	}
}
