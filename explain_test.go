package concord_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestCollection_Explain checks that Explain names the access path the read takes: a collection scan, the _id
// lookup, an index scan with its bounds, and a hinted index.
func TestCollection_Explain(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "age", Value: 1}}, Name: "age_1"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		filter        bson.D
		opts          *concord.FindOptions
		stage, index  string
		bounds, sumry string
	}{
		{name: "an unindexed field is a collection scan", filter: bson.D{{Key: "name", Value: "ann"}}, stage: "COLLSCAN", sumry: "COLLSCAN"},
		{name: "an _id equality is the key lookup", filter: bson.D{{Key: "_id", Value: 3}}, stage: "IDHACK", sumry: "IDHACK"},
		{name: "an indexed field is an index scan over its bounds", filter: bson.D{{Key: "age", Value: bson.D{{Key: "$gt", Value: 30}}}},
			stage: "IXSCAN", index: "age_1", bounds: "(30, inf.0]", sumry: "IXSCAN { age: 1 }"},
		{name: "a hint picks the index", filter: bson.D{}, opts: &concord.FindOptions{Hint: "age_1"},
			stage: "IXSCAN", index: "age_1", bounds: "[MinKey, MaxKey]", sumry: "IXSCAN { age: 1 }"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := coll.Explain(ctx, tc.filter, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Stage != tc.stage || p.IndexName != tc.index || p.Summary != tc.sumry {
				t.Fatalf("plan %+v, want stage %s index %q summary %q", p, tc.stage, tc.index, tc.sumry)
			}
			if tc.bounds != "" {
				b, _ := p.Bounds[0].Value.(bson.A)
				if len(b) != 1 || b[0] != tc.bounds {
					t.Fatalf("bounds %v, want %s", p.Bounds, tc.bounds)
				}
			}
		})
	}
	if _, err := coll.Explain(ctx, bson.D{{Key: "age", Value: bson.D{{Key: "$bogus", Value: 1}}}}); err == nil {
		t.Fatal("a filter Find refuses: no error")
	}
	if _, err := coll.Explain(ctx, bson.D{}, &concord.FindOptions{Hint: "nope"}); err == nil {
		t.Fatal("a hint naming no index: no error")
	}
}

// ExampleCollection_Explain shows the plan of a read by an indexed field.
func ExampleCollection_Explain() {
	ctx := context.Background()
	db, _ := concord.Open("", nil)
	defer db.Close()
	coll := db.Database("shop").Collection("orders")
	_, _ = coll.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "customer", Value: 1}}, Name: "customer_1"})
	p, _ := coll.Explain(ctx, bson.D{{Key: "customer", Value: "ann"}})
	fmt.Println(p.Stage, p.IndexName, p.Bounds[0].Key, p.Bounds[0].Value)
	// Output: IXSCAN customer_1 customer [["ann", "ann"]]
}
