package concord_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkFindBatches compares the cursor the MongoDB port reads (FindBatches: batches as getMores ask) with
// Find's (the whole result at once) on the reads a client makes most: one document by an indexed field or by _id,
// 100 by an index, 100 of 10,000 by a collection scan, and all 10,000.
func BenchmarkFindBatches(b *testing.B) {
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	coll := db.Database("d").Collection("c")
	var docs []any
	for i := range 10000 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "email", Value: fmt.Sprint("u", i)}, {Key: "g", Value: i % 100},
			{Key: "h", Value: i % 100}, {Key: "name", Value: "someone with a name"}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{"email", "g"} {
		if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: f, Value: 1}}}); err != nil {
			b.Fatal(err)
		}
	}
	reads := []struct {
		name   string
		filter bson.D
		want   int
	}{
		{"by_index_1", bson.D{{Key: "email", Value: "u4321"}}, 1},
		{"by_id_1", bson.D{{Key: "_id", Value: 4321}}, 1},
		{"by_index_100", bson.D{{Key: "g", Value: 42}}, 100},
		{"collscan_100", bson.D{{Key: "h", Value: 42}}, 100},
		{"collscan_all", bson.D{}, 10000},
	}
	for _, r := range reads {
		for _, m := range []struct {
			name string
			find func(context.Context, any, ...*concord.FindOptions) (*concord.Cursor, error)
		}{{"Find", coll.Find}, {"FindBatches", coll.FindBatches}} {
			b.Run(r.name+"/"+m.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					cur, err := m.find(ctx, r.filter)
					if err != nil {
						b.Fatal(err)
					}
					cur.SetBatchSize(102) // the server's first batch and the document read ahead
					n := 0
					for cur.Next(ctx) {
						n++
					}
					cur.Close(ctx)
					if n != r.want {
						b.Fatalf("%d documents, want %d", n, r.want)
					}
				}
			})
		}
	}
}
