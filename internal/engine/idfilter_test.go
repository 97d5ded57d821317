package engine

import (
	"math"
	"testing"

	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// mustRaw marshals d for the tests.
func mustRaw(t testing.TB, d bson.D) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// idFilterDocs are stored documents the shortcut is checked against.
var idFilterDocs = []bson.D{
	{{Key: "_id", Value: int32(1)}, {Key: "v", Value: 0}},
	{{Key: "_id", Value: int64(1)}},
	{{Key: "_id", Value: 1.0}},
	{{Key: "_id", Value: math.NaN()}},
	{{Key: "_id", Value: math.Copysign(0, -1)}},
	{{Key: "_id", Value: int32(0)}},
	{{Key: "_id", Value: "1"}},
	{{Key: "_id", Value: bson.Symbol("1")}},
	{{Key: "_id", Value: bson.ObjectID{1}}},
	{{Key: "_id", Value: bson.D{{Key: "a", Value: 1}}}},
	{{Key: "_id", Value: nil}},
	{{Key: "v", Value: 1}},
	{{Key: "_id", Value: int64(math.MaxInt64)}},
}

func TestIDEquality(t *testing.T) {
	cases := []struct {
		name   string
		filter bson.D
		fast   bool
	}{
		{"int32", bson.D{{Key: "_id", Value: int32(1)}}, true},
		{"int64", bson.D{{Key: "_id", Value: int64(1)}}, true},
		{"int64 max", bson.D{{Key: "_id", Value: int64(math.MaxInt64)}}, true},
		{"double", bson.D{{Key: "_id", Value: 1.0}}, true},
		{"double nan", bson.D{{Key: "_id", Value: math.NaN()}}, true},
		{"double zero", bson.D{{Key: "_id", Value: 0.0}}, true},
		{"string", bson.D{{Key: "_id", Value: "1"}}, true},
		{"object id", bson.D{{Key: "_id", Value: bson.ObjectID{1}}}, true},
		{"null", bson.D{{Key: "_id", Value: nil}}, false},
		{"document", bson.D{{Key: "_id", Value: bson.D{{Key: "a", Value: 1}}}}, false},
		{"operator", bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 1}}}}, false},
		{"array", bson.D{{Key: "_id", Value: bson.A{1}}}, false},
		{"regex", bson.D{{Key: "_id", Value: bson.Regex{Pattern: "^1"}}}, false},
		{"symbol", bson.D{{Key: "_id", Value: bson.Symbol("1")}}, false},
		{"two fields", bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}, false},
		{"other field", bson.D{{Key: "v", Value: 1}}, false},
		{"empty", bson.D{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkIDEquality(t, mustRaw(t, tc.filter), tc.fast)
		})
	}
	t.Run("bytes past the declared length", func(t *testing.T) {
		// Declared length 10, 14 bytes: the compiled filter does not read
		// the _id element the way a plain element walk does.
		if idEquality(bson.Raw("\n\x00\x00\x00\x10_id\x00\x00000\x00")) != nil {
			t.Fatal("shortcut taken for a document longer than its declared length")
		}
	})
	t.Run("invalid bytes", func(t *testing.T) {
		if idEquality(bson.Raw{12, 0, 0, 0, 0x10, '_', 'i', 'd', 0, 1, 0, 0}) != nil {
			t.Fatal("shortcut taken for a truncated document")
		}
	})
}

// checkIDEquality checks that the shortcut is taken exactly when expected
// and then matches every test document as the compiled filter does, with
// the IDHACK plan on the same key.
func checkIDEquality(t *testing.T, filter bson.Raw, fast bool) {
	t.Helper()
	idf := idEquality(filter)
	if (idf != nil) != fast {
		t.Fatalf("shortcut taken = %v, want %v", idf != nil, fast)
	}
	if idf == nil {
		return
	}
	compareIDFilter(t, filter, idf)
}

// compareIDFilter checks idf against filter.Compile(filter).
func compareIDFilter(t *testing.T, raw bson.Raw, idf *idFilter) {
	t.Helper()
	f, err := filter.Compile(raw)
	if err != nil {
		t.Fatalf("shortcut taken for a filter that does not compile: %v", err)
	}
	c := &collection{id: 3}
	p := planFor(c, f)
	if p.kind != planIDHack || string(p.points[0]) != string(docKey(c.id, idf.id)) {
		t.Fatalf("compiled plan %q does not read the shortcut's key", p.summary)
	}
	for _, d := range idFilterDocs {
		raw := mustRaw(t, d)
		ok, pos := f.MatchPosition(raw)
		gotOK, gotPos := idf.MatchPosition(raw)
		if ok != gotOK || pos != gotPos {
			t.Fatalf("on %v: shortcut (%v, %d), compiled filter (%v, %d)", d, gotOK, gotPos, ok, pos)
		}
	}
}

// FuzzIDEquality checks on arbitrary bytes that the shortcut never panics
// and, when taken, agrees with the compiled filter.
func FuzzIDEquality(f *testing.F) {
	for _, d := range []bson.D{
		{{Key: "_id", Value: int32(1)}},
		{{Key: "_id", Value: math.NaN()}},
		{{Key: "_id", Value: "x"}},
		{{Key: "_id", Value: nil}},
		{{Key: "_id", Value: 1}, {Key: "v", Value: 0}},
	} {
		f.Add([]byte(mustRaw(f, d)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if idf := idEquality(b); idf != nil {
			compareIDFilter(t, b, idf)
		}
	})
}
