package concord

import (
	"bytes"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestToDoc_EncodesAsMarshal checks that a document argument is encoded as bson.Marshal encodes it, whether
// internal/encoder takes it or bson.Marshal does, and that a nil bson.D means {}.
func TestToDoc_EncodesAsMarshal(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  any
	}{
		{"filter by id", bson.D{{Key: "_id", Value: 7}}},
		{"update", bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}},
		{"map inside a D", bson.D{{Key: "a", Value: bson.M{"b": 1}}}},
		{"map", bson.M{"a": int64(1)}},
		{"struct", struct{ A int32 }{A: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toDoc(tc.doc, "document")
			if err != nil {
				t.Fatal(err)
			}
			want, err := bson.Marshal(tc.doc)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("toDoc = %x, bson.Marshal = %x (%v)", got, want, err)
			}
		})
	}
	if got, err := toDoc(bson.D(nil), "filter"); err != nil || !bytes.Equal(got, emptyDoc) {
		t.Fatalf("toDoc(bson.D(nil)) = %x, %v; want {}", got, err)
	}
}
