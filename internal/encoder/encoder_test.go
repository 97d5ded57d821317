package encoder

import (
	"bytes"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// cases are documents the encoder must encode byte for byte as bson.Marshal does (fast true), or decline
// (fast false): the filters and updates of the root package, and the replies of the wire server.
var cases = []struct {
	name string
	d    bson.D
	fast bool
}{
	{"empty", bson.D{}, true},
	{"id int", bson.D{{Key: "_id", Value: 7}}, true},
	{"inc", bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}, true},
	{"update counts", bson.D{{Key: "n", Value: int32(1)}, {Key: "nModified", Value: int32(1)}}, true},
	{"int min32", bson.D{{Key: "a", Value: math.MinInt32}}, true},
	{"int max32", bson.D{{Key: "a", Value: math.MaxInt32}}, true},
	{"int beyond 32 bits", bson.D{{Key: "a", Value: math.MaxInt32 + 1}}, true},
	{"int below 32 bits", bson.D{{Key: "a", Value: math.MinInt32 - 1}}, true},
	{"int32", bson.D{{Key: "a", Value: int32(-5)}}, true},
	{"int64 small", bson.D{{Key: "a", Value: int64(5)}}, true},
	{"int64 large", bson.D{{Key: "a", Value: int64(math.MaxInt64)}}, true},
	{"double", bson.D{{Key: "a", Value: 1.5}}, true},
	{"double nan", bson.D{{Key: "a", Value: math.NaN()}}, true},
	{"double negative zero", bson.D{{Key: "a", Value: math.Copysign(0, -1)}}, true},
	{"string", bson.D{{Key: "a", Value: "héllo"}}, true},
	{"string with nul", bson.D{{Key: "a", Value: "a\x00b"}}, true},
	{"empty string and key", bson.D{{Key: "", Value: ""}}, true},
	{"bools", bson.D{{Key: "t", Value: true}, {Key: "f", Value: false}}, true},
	{"null", bson.D{{Key: "a", Value: nil}}, true},
	{"object id", bson.D{{Key: "_id", Value: bson.ObjectID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}}, true},
	{"date and timestamp", bson.D{{Key: "date", Value: bson.DateTime(-5)}, {Key: "ts", Value: bson.Timestamp{T: 12, I: 34}}}, true},
	{"array", bson.D{{Key: "a", Value: bson.A{1, "x", bson.D{{Key: "b", Value: 2.5}}, bson.A{}}}}, true},
	{"long array", bson.D{{Key: "a", Value: longArray(120)}}, true},
	{"nested", bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: bson.D{{Key: "c", Value: int64(1)}}}}}}, true},
	{"duplicate keys", bson.D{{Key: "a", Value: 1}, {Key: "a", Value: 2}}, true},
	{"empty array and document", bson.D{{Key: "a", Value: bson.A{}}, {Key: "d", Value: bson.D{}}}, true},
	{"cursor reply", bson.D{{Key: "cursor", Value: bson.D{
		{Key: "firstBatch", Value: bson.A{bson.Raw(bsoncore.NewDocumentBuilder().AppendInt32("_id", 1).Build()), bson.D{{Key: "x", Value: "y"}}}},
		{Key: "id", Value: int64(0)}, {Key: "ns", Value: "db.c"},
	}}}, true},
	{"upserted raw value", bson.D{{Key: "upserted", Value: bson.A{bson.D{{Key: "index", Value: int32(0)}, {Key: "_id", Value: bson.RawValue{Type: bson.TypeInt32, Value: []byte{9, 0, 0, 0}}}}}}}, true},
	{"deepest accepted", deepD(maxDepth), true},
	{"map value", bson.D{{Key: "a", Value: bson.M{"b": 1}}}, false},
	{"nil nested D", bson.D{{Key: "a", Value: bson.D(nil)}}, false},
	{"nil nested A", bson.D{{Key: "a", Value: bson.A(nil)}}, false},
	{"nil Raw", bson.D{{Key: "r", Value: bson.Raw(nil)}}, false},
	{"invalid Raw", bson.D{{Key: "r", Value: bson.Raw{5, 0, 0, 0, 1}}}, false},
	{"Raw longer than its length", bson.D{{Key: "r", Value: bson.Raw{13, 0, 0, 0, 2, 's', 0, 2, 0, 0, 0, 0xff, 0, 0}}}, false},
	{"Raw shorter than its length", bson.D{{Key: "r", Value: bson.Raw{6, 0, 0, 0, 0}}}, false},
	{"invalid RawValue type", bson.D{{Key: "r", Value: bson.RawValue{Type: 0x55}}}, false},
	{"named int", bson.D{{Key: "a", Value: namedInt(3)}}, false},
	{"float32", bson.D{{Key: "a", Value: float32(1.5)}}, false},
	{"strings slice", bson.D{{Key: "l", Value: []string{"x"}}}, false},
	{"nul in key", bson.D{{Key: "a\x00", Value: 1}}, false},
	{"unknown type deep in array", bson.D{{Key: "a", Value: bson.A{int32(1), bson.D{{Key: "x", Value: float32(1)}}}}}, false},
	{"too deep", deepD(maxDepth + 1), false},
}

// namedInt is a user type the encoder leaves to the registry.
type namedInt int

// deepD returns {a: {a: ... {a: 1}}} with n documents nested in the outer one.
func deepD(n int) bson.D {
	d := bson.D{{Key: "a", Value: 1}}
	for i := 0; i < n; i++ {
		d = bson.D{{Key: "a", Value: d}}
	}
	return d
}

// longArray returns [0, 1, ..., n-1] as int32s: indexes of more than one digit.
func longArray(n int) bson.A {
	a := make(bson.A, n)
	for i := range a {
		a[i] = int32(i)
	}
	return a
}

func TestAppendDocument(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if fast := check(t, tc.d); fast != tc.fast {
				t.Fatalf("accepted = %v, want %v", fast, tc.fast)
			}
		})
	}
}

// check fails when the encoder's output for d differs from bson.Marshal's, through AppendDocument or through
// AppendElements inside a document of the caller's, and reports whether the encoder accepted d. Both append
// after bytes that must be left alone.
func check(t *testing.T, d bson.D) bool {
	t.Helper()
	prefix := []byte("prefix")
	doc, ok := AppendDocument(prefix, d)
	idx, elems := bsoncore.AppendDocumentStart(prefix)
	elems, elemsOK := AppendElements(elems, d)
	if ok != elemsOK {
		t.Fatalf("AppendDocument accepted = %v, AppendElements = %v", ok, elemsOK)
	}
	if !ok {
		if !bytes.Equal(doc, prefix) || !bytes.Equal(elems[:len(prefix)], prefix) {
			t.Fatalf("a declined document left %q, want %q", doc, prefix)
		}
		return false
	}
	elems, _ = bsoncore.AppendDocumentEnd(elems, idx)
	want, err := bson.Marshal(d)
	if err != nil {
		t.Fatalf("bson.Marshal failed on a document the encoder accepted: %v", err)
	}
	if !bytes.Equal(doc[:len(prefix)], prefix) || !bytes.Equal(doc[len(prefix):], want) {
		t.Fatalf("AppendDocument = %x, bson.Marshal = %x", doc, want)
	}
	if !bytes.Equal(elems[len(prefix):], want) {
		t.Fatalf("AppendElements in a document = %x, bson.Marshal = %x", elems[len(prefix):], want)
	}
	return true
}

// FuzzAppendDocument checks the encoder against bson.Marshal on the input as a bson.Raw value, and on the
// document it decodes to with some of its values rewritten by shape into the Go types a program or the server
// passes (int, bson.Raw, bson.RawValue) and bson.Unmarshal never produces: whatever the encoder accepts must be
// bson.Marshal's bytes.
func FuzzAppendDocument(f *testing.F) {
	for _, tc := range cases {
		if b, err := bson.Marshal(tc.d); err == nil {
			for _, shape := range []uint8{0, 1, 2, 4, 8, 15} {
				f.Add(b, shape)
			}
		}
	}
	f.Add([]byte{13, 0, 0, 0, 2, 's', 0, 2, 0, 0, 0, 0xff, 0, 0}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, shape uint8) {
		// The input itself, valid or not, as a bson.Raw value: the encoder must take exactly the documents
		// bson.Marshal copies.
		check(t, bson.D{{Key: "raw", Value: bson.Raw(b)}})
		var d bson.D
		if err := bson.Unmarshal(b, &d); err != nil {
			return
		}
		check(t, reshape(d, shape, 0).(bson.D))
	})
}

// reshape rewrites v's values by the bits of shape: 1, int32 and int64 values as Go ints; 2, documents below
// the top as bson.Raw; 4, scalars as bson.RawValue; 8, arrays' documents too (else only fields' documents).
func reshape(v any, shape uint8, depth int) any {
	switch x := v.(type) {
	case bson.D:
		out := make(bson.D, len(x))
		for i, e := range x {
			out[i] = bson.E{Key: e.Key, Value: reshape(e.Value, shape, depth+1)}
		}
		if depth > 0 && shape&2 != 0 {
			if raw, err := bson.Marshal(out); err == nil {
				return bson.Raw(raw)
			}
		}
		return out
	case bson.A:
		out := make(bson.A, len(x))
		for i, e := range x {
			if _, isDoc := e.(bson.D); isDoc && shape&8 == 0 {
				out[i] = reshape(e, shape&^2, depth+1)
				continue
			}
			out[i] = reshape(e, shape, depth+1)
		}
		return out
	case int32:
		if shape&1 != 0 {
			return int(x)
		}
	case int64:
		if shape&1 != 0 {
			return int(x)
		}
	}
	if shape&4 != 0 && depth > 0 {
		if t, data, err := bson.MarshalValue(v); err == nil {
			return bson.RawValue{Type: t, Value: data}
		}
	}
	return v
}

// BenchmarkAppendDocument encodes the filter and update of an updateOne({_id: 7}, {$inc: {n: 1}}).
func BenchmarkAppendDocument(b *testing.B) {
	filter := bson.D{{Key: "_id", Value: 7}}
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendDocument(buf[:0], filter)
		buf, _ = AppendDocument(buf, update)
	}
}
