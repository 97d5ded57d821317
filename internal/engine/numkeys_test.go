package engine_test

import (
	"context"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// TestNumberKeys_ExactEquality checks that the _id index and unique
// secondary indexes treat numbers of different BSON types as MongoDB does:
// equal exactly when their values are equal. A second insert of an equal
// value is DuplicateKey (11000) and a count by either value finds the first
// document; a second insert of a different value succeeds and each count
// finds exactly its own document.
func TestNumberKeys_ExactEquality(t *testing.T) {
	dec := func(s string) bson.Decimal128 {
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name  string
		first any
		then  any
		equal bool
	}{
		// 0.1 as a double is 0.1000000000000000055511151231257827...
		{"decimal 0.1 vs double 0.1", dec("0.1"), 0.1, false},
		{"double 0.1 vs decimal 0.1", 0.1, dec("0.1"), false},
		{"decimal 1.0 vs int32 1", dec("1.0"), int32(1), true},
		{"decimal 1.00 vs double 1", dec("1.00"), 1.0, true},
		{"int64 1 vs decimal 1E+0", int64(1), dec("1E+0"), true},
		{"long 2^53+1 vs decimal", int64(9007199254740993), dec("9007199254740993"), true},
		{"decimal vs long 2^53+1", dec("9007199254740993"), int64(9007199254740993), true},
		{"double 2^53 vs long 2^53+1", 9007199254740992.0, int64(9007199254740993), false},
		{"decimal 2^53 vs long 2^53+1", dec("9007199254740992"), int64(9007199254740993), false},
		{"double 0.5 vs decimal 0.50", 0.5, dec("0.50"), true},
		{"negative zero vs decimal -0", math.Copysign(0, -1), dec("-0.00"), true},
		{"decimal 1E+400 vs 1E+399", dec("1E+400"), dec("1E+399"), false},
		{"decimal 1E+400 vs 10E+399", dec("1E+400"), dec("10E+399"), true},
		{"decimal 1E-400 vs 0", dec("1E-400"), int32(0), false},
		{"decimal NaN vs double NaN", dec("NaN"), math.NaN(), true},
		{"decimal Infinity vs double Inf", dec("Infinity"), math.Inf(1), true},
		{"max int64 vs decimal", int64(9223372036854775807), dec("9223372036854775807"), true},
		{"max int64 vs 2^63 decimal", int64(9223372036854775807), dec("9223372036854775808"), false},
	}
	ctx := context.Background()
	for _, tc := range cases {
		for _, field := range []string{"_id", "u"} {
			t.Run(tc.name+"/"+field, func(t *testing.T) {
				e := openMem(t, engine.Options{})
				if field != "_id" {
					spec := engine.IndexSpec{Key: bson.D{{Key: field, Value: 1}}, Unique: true}
					if _, err := e.CreateIndex(ctx, nil, ns, spec); err != nil {
						t.Fatal(err)
					}
				}
				mustInsert(t, e, bson.D{{Key: field, Value: tc.first}})
				res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: field, Value: tc.then}})}, true, nil)
				if err != nil {
					t.Fatal(err)
				}
				dup := len(res.WriteErrors) == 1 && res.WriteErrors[0].Err.Code == codes.DuplicateKey
				if tc.equal != dup || (!tc.equal && len(res.WriteErrors) != 0) {
					t.Fatalf("second insert: write errors %+v, want duplicate %v", res.WriteErrors, tc.equal)
				}
				for _, v := range []any{tc.first, tc.then} {
					f := bson.D{{Key: field, Value: v}}
					if n, err := e.Count(ctx, nil, ns, doc(f), 0, 0, nil, nil); err != nil || n != 1 {
						t.Errorf("count %v = %d, %v; want 1", f, n, err)
					}
				}
				// An equal value finds the first document, which is the
				// only one stored.
				if tc.equal {
					got := findAll(t, e, nil, bson.D{{Key: field, Value: tc.then}})
					if len(got) != 1 || got[0].Lookup(field).Type != bsonType(t, tc.first) {
						t.Errorf("find by second value: %v", got)
					}
				}
			})
		}
	}
}

// bsonType is the BSON type v marshals to.
func bsonType(t *testing.T, v any) bson.Type {
	ty, _, err := bson.MarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// TestNumberKeys_RangesMatchCollectionScan checks that equality, $in and
// range scans over ascending and descending indexes and over _id, whose
// bounds are the values' exact keys, count what a collection scan counts,
// for numbers of every type near each other.
func TestNumberKeys_RangesMatchCollectionScan(t *testing.T) {
	dec := func(s string) bson.Decimal128 {
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	vals := []any{
		0.1, dec("0.1"), int32(1), dec("1.5"), 2.25, int64(9007199254740993), 9007199254740992.0,
		dec("9007199254740994.5"), dec("1E+400"), dec("-1E+400"), dec("1E-400"), math.NaN(),
		math.Inf(-1), dec("Infinity"), int64(-5), "s",
	}
	bounds := []any{
		0.1, dec("0.1"), dec("0.10000000000000000555"), int32(1), dec("1.50"), int64(9007199254740993),
		dec("9007199254740993"), 9007199254740992.0, dec("1E+399"), dec("-1E+399"), int32(0), math.NaN(),
		math.Inf(1), dec("-Infinity"),
	}
	ctx := context.Background()
	type setup struct {
		name    string
		field   string
		pattern int // index direction, 0 for none
	}
	setups := []setup{{"scan", "v", 0}, {"asc", "v", 1}, {"desc", "v", -1}, {"id", "_id", 0}}
	counts := map[string]map[string]int64{}
	for _, s := range setups {
		e := openMem(t, engine.Options{})
		if s.pattern != 0 {
			if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: s.field, Value: s.pattern}}}); err != nil {
				t.Fatal(err)
			}
		}
		for i, v := range vals {
			d := bson.D{{Key: "_id", Value: i}, {Key: "v", Value: v}}
			if s.field == "_id" {
				d = bson.D{{Key: "_id", Value: v}}
			}
			mustInsert(t, e, d)
		}
		counts[s.name] = map[string]int64{}
		for _, b := range bounds {
			for _, op := range []string{"$eq", "$in", "$gt", "$gte", "$lt", "$lte"} {
				arg := b
				if op == "$in" {
					arg = bson.A{b, dec("2.5")}
				}
				f := bson.D{{Key: s.field, Value: bson.D{{Key: op, Value: arg}}}}
				n, err := e.Count(ctx, nil, ns, doc(f), 0, 0, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				key := op + " " + bson.RawValue{Type: bsonType(t, b), Value: marshalValue(t, b)}.String()
				counts[s.name][key] = n
			}
		}
	}
	for _, s := range setups[1:] {
		for k, want := range counts["scan"] {
			if got := counts[s.name][k]; got != want {
				t.Errorf("%s %s: count %d, collection scan %d", s.name, k, got, want)
			}
		}
	}
}

// marshalValue is the BSON encoding of v.
func marshalValue(t *testing.T, v any) []byte {
	_, data, err := bson.MarshalValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
