package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// BenchmarkScan measures a find through each plan kind over 10,000 small
// documents {_id: i, g: i%100, v: 0} with an index on g, outside a
// transaction and in one holding writes of its own (which the scan merges in).
func BenchmarkScan(b *testing.B) {
	ctx := context.Background()
	e := openMem(b, engine.Options{})
	var docs []bson.Raw
	for i := 0; i < 10_000; i++ {
		docs = append(docs, doc(bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % 100}, {Key: "v", Value: 0}}))
	}
	if _, err := e.Insert(ctx, nil, ns, docs, true, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "g", Value: 1}}}); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		filter bson.D
		want   int
	}{
		{"collscan", bson.D{{Key: "v", Value: 0}}, 10_000},
		{"idhack", bson.D{{Key: "_id", Value: 5_000}}, 1},
		{"idpoints", bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{1, 2_000, 9_999}}}}}, 3},
		{"idrange", bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 1_000}, {Key: "$lt", Value: 1_100}}}}, 100},
		{"index", bson.D{{Key: "g", Value: 7}}, 100},
	}
	for _, own := range []bool{false, true} {
		for _, c := range cases {
			name := c.name
			if own {
				name += "/own-writes"
			}
			b.Run(name, func(b *testing.B) {
				f := doc(c.filter)
				var tx *engine.Txn
				if own {
					tx = e.Begin()
					defer tx.Abort()
					// Writes of its own in the scanned ranges: an insert and
					// an update of a document each plan reads.
					for _, id := range []int{5_000, 2_000, 1_050, 7} {
						if _, err := e.Update(ctx, tx, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}), Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "w", Value: 1}}}})}, nil); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 30_000}, {Key: "g", Value: 7}, {Key: "v", Value: 0}})}, true, nil); err != nil {
						b.Fatal(err)
					}
				}
				want := c.want
				if own && (c.name == "collscan" || c.name == "index") {
					want++
				}
				benchFind(b, e, tx, f, want)
			})
		}
	}
}

// BenchmarkScan_ManyVersions is a scan of 100 documents one of which was updated 100,000 times since the
// memtable last flushed, so that it has as many versions there: the collection scan and an _id range that
// passes over it, outside a transaction and in one.
func BenchmarkScan_ManyVersions(b *testing.B) {
	ctx := context.Background()
	e := openMem(b, engine.Options{})
	var docs []bson.Raw
	for i := 0; i < 100; i++ {
		docs = append(docs, doc(bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}))
	}
	if _, err := e.Insert(ctx, nil, ns, docs, true, nil); err != nil {
		b.Fatal(err)
	}
	inc := engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 50}}), Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})}
	for i := 0; i < 100_000; i++ {
		if _, err := e.Update(ctx, nil, ns, inc, nil); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		filter bson.D
		want   int
	}{
		{"collscan", bson.D{}, 100},
		{"idrange", bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 40}, {Key: "$lt", Value: 60}}}}, 20},
	}
	for _, inTxn := range []bool{false, true} {
		for _, c := range cases {
			name := c.name
			if inTxn {
				name += "/txn"
			}
			b.Run(name, func(b *testing.B) {
				f := doc(c.filter)
				var tx *engine.Txn
				if inTxn {
					tx = e.Begin()
					defer tx.Abort()
				}
				benchFind(b, e, tx, f, c.want)
			})
		}
	}
}

// benchFind times b.N finds of filter in tx (nil: outside a transaction), each of which must return want
// documents.
func benchFind(b *testing.B, e *engine.Engine, tx *engine.Txn, filter bson.Raw, want int) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.Find(context.Background(), tx, ns, engine.FindSpec{Filter: filter}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) != want {
			b.Fatalf("found %d, want %d", len(out), want)
		}
	}
}
