package engine_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
)

func TestZZ_AggCombos(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	other := engine.Namespace{DB: ns.DB, Coll: "other"}
	for i := range 1500 {
		var id any = i
		if i%4 == 1 {
			id = fmt.Sprintf("s%04d", i)
		}
		mustInsert(t, e, bson.D{{Key: "_id", Value: id}, {Key: "k", Value: i % 9}, {Key: "arr", Value: bson.A{i % 3, i % 5}}, {Key: "s", Value: fmt.Sprint("Ab", i%3)}, {Key: "p", Value: i / 2}})
	}
	for i := range 9 {
		e.Insert(ctx, nil, other, []bson.Raw{doc(bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}, {Key: "up", Value: i - 1}})}, true, nil)
	}
	e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}})
	e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "arr_1", Key: bson.D{{Key: "arr", Value: 1}}})
	ov := engine.Namespace{DB: ns.DB, Coll: "ov"}
	vp := doc(bson.D{{Key: "p", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: bson.D{{Key: "$lt", Value: 5}}}}}}}}}).Lookup("p").Value
	if err := e.CreateCollectionWithOptions(ctx, nil, ov, engine.CollOptions{ViewOn: "other", Pipeline: vp}); err != nil {
		t.Fatal(err)
	}
	ci, _ := collation.Parse(doc(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}))
	hctx := engine.WithHint(ctx, nil, "k_1")
	type c struct {
		ctx  context.Context
		on   engine.Namespace
		spec engine.AggregateSpec
	}
	cases := []c{
		{hctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 2}}}}}})}},
		{hctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$project", Value: bson.D{{Key: "k", Value: 1}}}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "arr", Value: bson.D{{Key: "$in", Value: bson.A{1, 4}}}}}}}, bson.D{{Key: "$project", Value: bson.D{{Key: "arr", Value: 1}, {Key: "_id", Value: 0}}}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "ov"}, {Key: "localField", Value: "k"}, {Key: "foreignField", Value: "k"}, {Key: "as", Value: "o"}}}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: 8}}}}, bson.D{{Key: "$graphLookup", Value: bson.D{{Key: "from", Value: "other"}, {Key: "startWith", Value: "$k"}, {Key: "connectFromField", Value: "up"}, {Key: "connectToField", Value: "k"}, {Key: "as", Value: "g"}}}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$setWindowFields", Value: bson.D{{Key: "partitionBy", Value: "$k"}, {Key: "sortBy", Value: bson.D{{Key: "p", Value: 1}}}, {Key: "output", Value: bson.D{{Key: "c", Value: bson.D{{Key: "$sum", Value: 1}, {Key: "window", Value: bson.D{{Key: "documents", Value: bson.A{"unbounded", "current"}}}}}}}}}}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$bucketAuto", Value: bson.D{{Key: "groupBy", Value: "$p"}, {Key: "buckets", Value: 7}}}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "s", Value: "ab2"}}}}, bson.D{{Key: "$match", Value: bson.D{{Key: "s", Value: "AB2"}}}}), Collation: ci}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$sort", Value: bson.D{{Key: "s", Value: 1}, {Key: "_id", Value: 1}}}}), Collation: ci}},
		{ctx, engine.Namespace{DB: ns.DB, Coll: "missing"}, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$count", Value: "n"}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: "s"}}}}}}, bson.D{{Key: "$count", Value: "n"}})}},
		{ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: 8}}}})}},
	}
	for i, cs := range cases {
		want, werr := e.Aggregate(cs.ctx, nil, cs.on, cs.spec, nil)
		for _, size := range []int{1, 5, 0} {
			s, err := e.AggregateBatches(cs.ctx, cs.on, cs.spec, nil)
			if (err != nil) != (werr != nil) {
				t.Errorf("case %d: err %v vs %v", i, err, werr)
				continue
			}
			if err != nil {
				continue
			}
			if size > 0 {
				s.SetBatch(size)
			}
			got := drain(t, s)
			if len(got) != len(want) {
				t.Errorf("case %d (batch %d): %d docs vs %d", i, size, len(got), len(want))
				continue
			}
			for j := range got {
				if !bytesEqual(got[j], want[j]) {
					t.Errorf("case %d (batch %d) doc %d: %v vs %v", i, size, j, got[j], want[j])
					break
				}
			}
		}
		fmt.Printf("case %d: %d docs, err %v\n", i, len(want), werr)
	}
}
