package filter_test

import (
	"math/rand/v2"
	"testing"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestIn_LongList checks that a long $in list, searched in order, matches what comparing the value with each
// listed one matches: numbers of every type, strings under a case-insensitive collation, null, arrays and
// documents, as the field's value and as an array's elements.
func TestIn_LongList(t *testing.T) {
	ci, err := collation.Parse(must(bson.Marshal(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}})))
	if err != nil {
		t.Fatal(err)
	}
	pool := []any{int32(1), int64(1), 1.0, 1.5, int32(2), int64(3), 3.0, bson.NewDecimal128(0x3040000000000000, 4), -0.0, 0,
		"a", "A", "b", "B", "ab", "", nil, bson.A{1, 2}, bson.A{}, bson.D{{Key: "x", Value: 1}}, true, false,
		int64(1 << 40), 1e300, "zz", "Zz", bson.Binary{Data: []byte{1}}}
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		var list bson.A
		for range 16 + r.IntN(24) {
			list = append(list, pool[r.IntN(len(pool))])
		}
		coll := value.StringComparer(nil)
		if round%2 == 1 {
			coll = ci
		}
		f, err := filter.CompileColl(must(bson.Marshal(bson.D{{Key: "a", Value: bson.D{{Key: "$in", Value: list}}}})), nil, coll)
		if err != nil {
			t.Fatal(err)
		}
		for _, probe := range pool {
			for _, d := range []bson.D{{{Key: "a", Value: probe}}, {{Key: "a", Value: bson.A{"q", probe}}}} {
				doc := must(bson.Marshal(d))
				want := false
				for _, x := range list {
					for _, v := range candidates(doc) {
						if value.CompareWith(rawOf(x), v, coll) == 0 {
							want = true
						}
					}
				}
				if got := f.Match(doc); got != want {
					t.Fatalf("round %d: %v in %v: %v, want %v", round, d, list, got, want)
				}
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// rawOf is x as a BSON value.
func rawOf(x any) bson.RawValue {
	doc := must(bson.Marshal(bson.D{{Key: "v", Value: x}}))
	return bson.Raw(doc).Lookup("v")
}

// candidates are the values $in compares for field a: the value, and an array's elements.
func candidates(doc bson.Raw) []bson.RawValue {
	v := doc.Lookup("a")
	out := []bson.RawValue{v}
	if arr, ok := v.ArrayOK(); ok {
		vals, _ := arr.Values()
		out = append(out, vals...)
	}
	return out
}
