package concord

import (
	"bytes"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// marshalDCases are documents marshalD must encode byte for byte as
// bson.Marshal does (fast true), or leave to it (fast false).
var marshalDCases = []struct {
	name string
	doc  bson.D
	fast bool
}{
	{"empty", bson.D{}, true},
	{"id int", bson.D{{Key: "_id", Value: 7}}, true},
	{"inc", bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}, true},
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
	{"array", bson.D{{Key: "a", Value: bson.A{1, "x", bson.D{{Key: "b", Value: 2.5}}, bson.A{}}}}, true},
	{"long array", bson.D{{Key: "a", Value: bson.A{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}}, true},
	{"nested", bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: bson.D{{Key: "c", Value: int64(1)}}}}}}, true},
	{"duplicate keys", bson.D{{Key: "a", Value: 1}, {Key: "a", Value: 2}}, true},
	{"map value", bson.D{{Key: "a", Value: bson.M{"b": 1}}}, false},
	{"nil nested D", bson.D{{Key: "a", Value: bson.D(nil)}}, false},
	{"nil nested A", bson.D{{Key: "a", Value: bson.A(nil)}}, false},
	{"named int", bson.D{{Key: "a", Value: namedInt(3)}}, false},
	{"float32", bson.D{{Key: "a", Value: float32(1.5)}}, false},
	{"nul in key", bson.D{{Key: "a\x00", Value: 1}}, false},
	{"deep", deepD(fastMaxDepth + 2), false},
}

// namedInt is a user type the fast encoder leaves to the registry.
type namedInt int

// deepD returns {a: {a: ... {a: 1}}} nested n times.
func deepD(n int) bson.D {
	d := bson.D{{Key: "a", Value: 1}}
	for i := 0; i < n; i++ {
		d = bson.D{{Key: "a", Value: d}}
	}
	return d
}

// checkMarshalD fails when marshalD's output differs from bson.Marshal's.
func checkMarshalD(t *testing.T, d bson.D) bool {
	t.Helper()
	got, ok := marshalD(d)
	if !ok {
		return false
	}
	want, err := bson.Marshal(d)
	if err != nil {
		t.Fatalf("marshalD encoded %v, bson.Marshal failed: %v", d, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("marshalD(%v) = %x, bson.Marshal = %x", d, got, want)
	}
	return true
}

func TestMarshalD(t *testing.T) {
	for _, tc := range marshalDCases {
		t.Run(tc.name, func(t *testing.T) {
			if fast := checkMarshalD(t, tc.doc); fast != tc.fast {
				t.Fatalf("fast path taken = %v, want %v", fast, tc.fast)
			}
			raw, err := toDoc(tc.doc, "document")
			if err != nil {
				if tc.fast {
					t.Fatalf("toDoc: %v", err)
				}
				return
			}
			want, err := bson.Marshal(tc.doc)
			if err != nil || !bytes.Equal(raw, want) {
				t.Fatalf("toDoc = %x, bson.Marshal = %x (%v)", raw, want, err)
			}
		})
	}
}

// FuzzMarshalD checks the fast encoder against bson.Marshal on documents
// built from fuzzed scalars.
func FuzzMarshalD(f *testing.F) {
	f.Add("_id", int64(7), 1.5, "x", true, uint8(0))
	f.Add("a\x00", int64(math.MaxInt32)+1, math.NaN(), "a\x00b", false, uint8(3))
	f.Add("", int64(math.MinInt64), math.Inf(-1), "", true, uint8(7))
	f.Fuzz(func(t *testing.T, key string, i int64, x float64, s string, b bool, shape uint8) {
		vals := []any{int(i), int32(i), i, x, s, b, nil, bson.ObjectID{byte(i)}}
		d := bson.D{}
		for j, v := range vals {
			if shape&(1<<(j%8)) != 0 {
				d = append(d, bson.E{Key: key, Value: v})
			}
		}
		d = append(d, bson.E{Key: "n", Value: bson.D{{Key: key, Value: bson.A{int(i), s, d}}}})
		checkMarshalD(t, d)
	})
}
