package engine_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
)

func TestZZ_Combos(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 1300 {
		var id any = i
		switch i % 6 {
		case 1:
			id = fmt.Sprintf("s%04d", i)
		case 2:
			id = bson.D{{Key: "a", Value: i}}
		case 3:
			id = int64(i) * 1000
		case 4:
			id = float64(i) + 0.25
		}
		mustInsert(t, e, bson.D{{Key: "_id", Value: id}, {Key: "k", Value: i % 9}, {Key: "arr", Value: bson.A{i % 3, i % 5, "x"}},
			{Key: "s", Value: fmt.Sprint("Ab", i%3)}, {Key: "n", Value: bson.D{{Key: "m", Value: i}}}})
	}
	for _, ix := range []engine.IndexSpec{
		{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}},
		{Name: "arr_1", Key: bson.D{{Key: "arr", Value: 1}}},
		{Name: "k_1_s_-1", Key: bson.D{{Key: "k", Value: 1}, {Key: "s", Value: -1}}},
	} {
		if _, err := e.CreateIndex(ctx, nil, ns, ix); err != nil {
			t.Fatal(err)
		}
	}
	ci, _ := collation.Parse(doc(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}))
	specs := []engine.FindSpec{
		{Hint: doc(bson.D{{Key: "_id", Value: 1}}), Min: doc(bson.D{{Key: "_id", Value: 100}}), Max: doc(bson.D{{Key: "_id", Value: 900}})},
		{HintName: "_id_", Min: doc(bson.D{{Key: "_id", Value: "s0100"}})},
		{HintName: "k_1", Min: doc(bson.D{{Key: "k", Value: 2}}), Max: doc(bson.D{{Key: "k", Value: 5}})},
		{Filter: doc(bson.D{{Key: "arr", Value: bson.D{{Key: "$in", Value: bson.A{1, 2}}}}})},
		{Filter: doc(bson.D{{Key: "arr", Value: bson.D{{Key: "$in", Value: bson.A{1, 2}}}}}), Skip: 3, Limit: 1100},
		{Filter: doc(bson.D{{Key: "arr", Value: 1}}), Projection: doc(bson.D{{Key: "arr", Value: 0}})},
		{Filter: doc(bson.D{{Key: "arr", Value: bson.D{{Key: "$elemMatch", Value: bson.D{{Key: "$gte", Value: 4}}}}}}), Projection: doc(bson.D{{Key: "arr", Value: bson.D{{Key: "$slice", Value: 1}}}})},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{"s0001", "S0001", 3000, 3000.0, bson.D{{Key: "a", Value: 2}}, 0}}}}})},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{"s0001", "S0001", 3000}}}}}), Collation: ci},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "a", Value: 2}}}}), Projection: doc(bson.D{{Key: "k", Value: 1}})},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: "s0500"}}}})},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: "S0500"}}}}), Collation: ci},
		{Filter: doc(bson.D{{Key: "s", Value: "ab1"}}), Collation: ci, Skip: 100},
		{Filter: doc(bson.D{{Key: "k", Value: 3}, {Key: "s", Value: bson.D{{Key: "$gt", Value: "Ab0"}}}})},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 1}}}}), Projection: doc(bson.D{{Key: "k", Value: 1}, {Key: "_id", Value: 0}})},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 1}}}}), Projection: doc(bson.D{{Key: "k", Value: 1}, {Key: "s", Value: 1}, {Key: "_id", Value: 0}})},
		{Filter: doc(bson.D{{Key: "n.m", Value: bson.D{{Key: "$gte", Value: 1}}}}), Projection: doc(bson.D{{Key: "n.m", Value: 1}})},
		{Filter: doc(bson.D{{Key: "$or", Value: bson.A{bson.D{{Key: "k", Value: 1}}, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: 50}}}}}}})},
		{Limit: 1025},
		{Skip: 1299},
		{Skip: 1300},
	}
	for i, spec := range specs {
		want, werr := e.Find(ctx, nil, ns, spec, nil)
		for _, size := range []int{1, 3, 0} {
			s, err := e.FindBatches(ctx, ns, spec, nil)
			if (err != nil) != (werr != nil) {
				t.Errorf("spec %d: FindBatches err %v, Find err %v", i, err, werr)
				continue
			}
			if err != nil {
				continue
			}
			if size > 0 {
				s.SetBatch(size)
			}
			var got []bson.Raw
			var gerr error
			for {
				d, err := s.Next(ctx)
				if err != nil {
					gerr = err
					break
				}
				if d == nil {
					break
				}
				got = append(got, d)
			}
			if h := s.Held(); h != 0 {
				t.Errorf("spec %d size %d: Held %d at end", i, size, h)
			}
			s.Close()
			if gerr != nil {
				t.Errorf("spec %d: %v", i, gerr)
				continue
			}
			if len(got) != len(want) {
				t.Errorf("spec %d (batch %d): %d docs, Find %d", i, size, len(got), len(want))
				continue
			}
			for j := range got {
				if !bytesEqual(got[j], want[j]) {
					t.Errorf("spec %d (batch %d) doc %d: %v vs Find %v", i, size, j, got[j], want[j])
					break
				}
			}
		}
		fmt.Printf("spec %d: %d docs, err %v\n", i, len(want), werr)
	}
}
