package engine_test

import (
	"bytes"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/engine"
)

// idFirstCases are IDFirst's table, also the seeds of FuzzIDFirst.
var idFirstCases = []struct {
	name string
	id   bson.RawValue
	doc  bson.Raw
	want bson.Raw
}{
	{"an empty document gets only the _id",
		rawValue(1), doc(bson.D{}), doc(bson.D{{Key: "_id", Value: 1}})},
	{"a document without _id keeps its elements after it",
		rawValue("k"), doc(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: "x"}}),
		doc(bson.D{{Key: "_id", Value: "k"}, {Key: "a", Value: 1}, {Key: "b", Value: "x"}})},
	{"an _id further down moves first",
		rawValue(7), doc(bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 7}, {Key: "b", Value: 2}}),
		doc(bson.D{{Key: "_id", Value: 7}, {Key: "a", Value: 1}, {Key: "b", Value: 2}})},
	{"the given id replaces the document's own",
		rawValue("s"), doc(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}}),
		doc(bson.D{{Key: "_id", Value: "s"}, {Key: "a", Value: 1}})},
	{"only the first of two _id elements is dropped",
		rawValue(9), bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("a", 1).AppendInt32("_id", 1).AppendInt32("_id", 2).Build()),
		bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 9).AppendInt32("a", 1).AppendInt32("_id", 2).Build())},
	{"an _id inside a subdocument stays",
		rawValue(2), doc(bson.D{{Key: "a", Value: bson.D{{Key: "_id", Value: 1}}}}),
		doc(bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: bson.D{{Key: "_id", Value: 1}}}})},
	{"bytes past the declared length are not copied",
		rawValue(1), append(doc(bson.D{{Key: "a", Value: 1}}), 0xff, 0xff),
		doc(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}})},
}

// rawValue marshals a Go value as a BSON value (test helper).
func rawValue(v any) bson.RawValue {
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		panic(err)
	}
	return bson.RawValue{Type: t, Value: data}
}

func TestIDFirst(t *testing.T) {
	for _, tc := range idFirstCases {
		t.Run(tc.name, func(t *testing.T) {
			in := append(bson.Raw(nil), tc.doc...)
			got := engine.IDFirst(tc.id, in)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("IDFirst(%v, %v) = %v, want %v", tc.id, tc.doc, got, tc.want)
			}
			if !bytes.Equal(in, tc.doc) {
				t.Errorf("IDFirst modified its input: %v", in)
			}
		})
	}
}

// FuzzIDFirst checks IDFirst on any valid document (with a string _id):
// the result is valid, starts with the given _id, and then holds the document's elements in
// order without its first _id.
func FuzzIDFirst(f *testing.F) {
	for _, tc := range idFirstCases {
		f.Add([]byte(tc.doc), "k")
	}
	f.Fuzz(func(t *testing.T, d []byte, idString string) {
		in := bson.Raw(d)
		if in.Validate() != nil {
			return
		}
		id := rawValue(idString)
		out := engine.IDFirst(id, in)
		if err := out.Validate(); err != nil {
			t.Fatalf("invalid result %x: %v", out, err)
		}
		outEls, err := out.Elements()
		if err != nil || len(outEls) == 0 {
			t.Fatalf("result %x: %d elements, %v", out, len(outEls), err)
		}
		if first := outEls[0]; first.Key() != "_id" || !first.Value().Equal(id) {
			t.Fatalf("first element %v, want _id: %v", first, id)
		}
		inEls, _ := in.Elements()
		var want []bson.RawElement
		dropped := false
		for _, el := range inEls {
			if !dropped && el.Key() == "_id" {
				dropped = true
				continue
			}
			want = append(want, el)
		}
		if len(outEls)-1 != len(want) {
			t.Fatalf("%d elements after _id, want %d", len(outEls)-1, len(want))
		}
		for i, el := range want {
			if !bytes.Equal(outEls[i+1], el) {
				t.Fatalf("element %d: %v, want %v", i+1, outEls[i+1], el)
			}
		}
	})
}
