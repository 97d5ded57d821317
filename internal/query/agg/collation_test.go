package agg_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/collation"
)

// collationInput has case variants of two names.
const collationInput = `[
	{"_id": 1, "n": "bob", "v": 1},
	{"_id": 2, "n": "Ann", "v": 2},
	{"_id": 3, "n": "BOB", "v": 3},
	{"_id": 4, "n": "ann", "v": 4},
	{"_id": 5, "n": "Cy", "v": 5}
]`

// TestPipeline_Collation runs each stage that compares values under {locale: "en", strength: 2} and
// with the simple collation: mongod applies an aggregate's collation to every stage
// (https://www.mongodb.com/docs/manual/reference/method/db.collection.aggregate/, "collation").
func TestPipeline_Collation(t *testing.T) {
	d, _ := bson.Marshal(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}})
	coll, err := collation.Parse(d)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, pipeline string
		want, simple   string
	}{
		{"$match equality", `[{"$match": {"n": "BOB"}}, {"$project": {"_id": 1}}]`,
			`[{"_id": 1}, {"_id": 3}]`, `[{"_id": 3}]`},
		{"$match $expr", `[{"$match": {"$expr": {"$eq": ["$n", "ANN"]}}}, {"$project": {"_id": 1}}]`,
			`[{"_id": 2}, {"_id": 4}]`, `[]`},
		{"$sort", `[{"$sort": {"n": 1, "_id": 1}}, {"$project": {"_id": 1}}]`,
			`[{"_id": 2}, {"_id": 4}, {"_id": 1}, {"_id": 3}, {"_id": 5}]`, `[{"_id": 2}, {"_id": 3}, {"_id": 5}, {"_id": 4}, {"_id": 1}]`},
		{"$group keeps the first value seen as _id", `[{"$group": {"_id": "$n", "s": {"$sum": "$v"}}}, {"$sort": {"s": 1}}]`,
			`[{"_id": "bob", "s": 4}, {"_id": "Cy", "s": 5}, {"_id": "Ann", "s": 6}]`,
			`[{"_id": "bob", "s": 1}, {"_id": "Ann", "s": 2}, {"_id": "BOB", "s": 3}, {"_id": "ann", "s": 4}, {"_id": "Cy", "s": 5}]`},
		{"$addToSet and $max", `[{"$group": {"_id": null, "set": {"$addToSet": "$n"}, "max": {"$max": "$n"}}}]`,
			`[{"_id": null, "set": ["bob", "Ann", "Cy"], "max": "Cy"}]`,
			`[{"_id": null, "set": ["bob", "Ann", "BOB", "ann", "Cy"], "max": "bob"}]`},
		{"$sortByCount", `[{"$sortByCount": "$n"}, {"$match": {"count": 2}}, {"$sort": {"_id": 1}}]`,
			`[{"_id": "Ann", "count": 2}, {"_id": "bob", "count": 2}]`, `[]`},
		{"$bucket boundaries", `[{"$bucket": {"groupBy": "$n", "boundaries": ["A", "b", "z"], "default": "zz"}}]`,
			`[{"_id": "A", "count": 2}, {"_id": "b", "count": 3}]`, `[{"_id": "A", "count": 4}, {"_id": "b", "count": 1}]`},
		{"$setWindowFields partitions", `[{"$setWindowFields": {"partitionBy": "$n", "sortBy": {"_id": 1}, "output": {"r": {"$documentNumber": {}}}}}, {"$match": {"r": 2}}, {"$project": {"_id": 1}}]`,
			`[{"_id": 4}, {"_id": 3}]`, `[]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, run := range []struct {
				coll *collation.Collation
				want string
			}{{coll, tc.want}, {nil, tc.simple}} {
				p, err := agg.CompileColl(aggDocs(t, tc.pipeline), run.coll)
				if err != nil {
					t.Fatal(err)
				}
				out, err := p.Run(context.Background(), aggDocs(t, collationInput), nil)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := aggDump(t, out), aggDump(t, aggDocs(t, run.want)); got != want {
					t.Fatalf("collated=%v:\ngot  %s\nwant %s", run.coll != nil, got, want)
				}
			}
		})
	}
}
