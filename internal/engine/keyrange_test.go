package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// TestNumberRanges_DecimalKeys checks that index and _id scans find
// Decimal128 values that no float64 holds: beyond float64's
// precision (2^53+1) and beyond its range (1E+400). MongoDB compares them
// by exact value, so every listed filter matches the one document.
func TestNumberRanges_DecimalKeys(t *testing.T) {
	dec := func(s string) bson.Decimal128 {
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	long := int64(9007199254740993) // 2^53+1: no float64 holds it
	cases := []struct {
		name    string
		field   string
		value   any
		filters []bson.D
	}{
		{"decimal beyond 2^53, index", "v", dec("9007199254740993"), []bson.D{
			{{Key: "v", Value: long}},
			{{Key: "v", Value: bson.D{{Key: "$gte", Value: long}}}},
			{{Key: "v", Value: bson.D{{Key: "$lte", Value: long}}}},
			{{Key: "v", Value: bson.D{{Key: "$in", Value: bson.A{long}}}}},
		}},
		{"long beyond 2^53 vs decimal bounds, index", "v", long, []bson.D{
			{{Key: "v", Value: bson.D{{Key: "$gte", Value: dec("9007199254740993")}}}},
			{{Key: "v", Value: bson.D{{Key: "$lte", Value: dec("9007199254740993")}}}},
		}},
		{"decimal beyond 2^53, _id range", "_id", dec("9007199254740993"), []bson.D{
			{{Key: "_id", Value: bson.D{{Key: "$gte", Value: long}}}},
			{{Key: "_id", Value: bson.D{{Key: "$lte", Value: long}}}},
		}},
		{"decimal above float64 range, index", "v", dec("1E+400"), []bson.D{
			{{Key: "v", Value: bson.D{{Key: "$gt", Value: 5}}}},
			{{Key: "v", Value: bson.D{{Key: "$gte", Value: dec("1E+399")}}}},
		}},
		{"decimal below float64 range, index", "v", dec("-1E+400"), []bson.D{
			{{Key: "v", Value: bson.D{{Key: "$lt", Value: 5}}}},
		}},
		{"decimal above float64 range, _id range", "_id", dec("1E+400"), []bson.D{
			{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 5}}}},
		}},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := openMem(t, engine.Options{})
			if tc.field != "_id" {
				if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: tc.field, Value: 1}}}); err != nil {
					t.Fatal(err)
				}
			}
			mustInsert(t, e, bson.D{{Key: tc.field, Value: tc.value}})
			for _, f := range tc.filters {
				if n, err := e.Count(ctx, nil, ns, doc(f), 0, 0, nil, nil); err != nil || n != 1 {
					t.Errorf("count %v = %d, %v; want 1", f, n, err)
				}
			}
		})
	}
}
