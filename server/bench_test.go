package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// benchClients is the number of concurrent client connections of the wire benchmarks.
const benchClients = 32

// benchSpreadDocs is the number of documents the spread-update benchmark updates at random.
const benchSpreadDocs = 100000

// BenchmarkWire measures updates through the official Go driver against an on-disk, durable DB (every
// acknowledged write is fsynced, with group commit): one hot document incremented by 32 connections, and
// increments spread at random over 100,000 documents.
func BenchmarkWire(b *testing.B) {
	e := newCrudEnv(b, b.TempDir())
	client := e.newClient(b, benchClients)
	ctx := context.Background()

	b.Run(fmt.Sprintf("hot_inc/clients=%d", benchClients), func(b *testing.B) {
		coll := client.Database("bench").Collection("hot")
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 0}}}}, options.UpdateOne().SetUpsert(true)); err != nil {
			b.Fatal(err)
		}
		var before struct{ V int64 }
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&before); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetParallelism(parallelismFor(benchClients))
		b.ResetTimer()
		var done atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
					b.Error(err)
					return
				}
				done.Add(1)
			}
		})
		b.StopTimer()
		var after struct{ V int64 }
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&after); err != nil {
			b.Fatal(err)
		}
		if after.V-before.V != done.Load() {
			b.Fatalf("counter grew by %d, want %d acknowledged increments", after.V-before.V, done.Load())
		}
	})

	spread := client.Database("bench").Collection("spread")
	loadSpread(b, client, spread)
	b.Run(fmt.Sprintf("spread_inc/clients=%d/docs=%d", benchClients, benchSpreadDocs), func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(parallelismFor(benchClients))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := rand.IntN(benchSpreadDocs)
				res, err := spread.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})
				if err != nil || res.ModifiedCount != 1 {
					b.Errorf("update %d = %+v, %v", id, res, err)
					return
				}
			}
		})
	})
}

// parallelismFor returns the RunParallel multiplier giving about n goroutines on this machine.
func parallelismFor(n int) int {
	p := n / max(1, runtime.GOMAXPROCS(0))
	return max(1, p)
}

// loadSpread fills coll with benchSpreadDocs documents, 1,000 per transaction so that the load costs one
// fsync per batch rather than one per document.
func loadSpread(b *testing.B, client *mongo.Client, coll *mongo.Collection) {
	b.Helper()
	ctx := context.Background()
	sess, err := client.StartSession()
	if err != nil {
		b.Fatal(err)
	}
	defer sess.EndSession(ctx)
	const batch = 1000
	for start := 0; start < benchSpreadDocs; start += batch {
		docs := make([]any, 0, batch)
		for i := start; i < start+batch && i < benchSpreadDocs; i++ {
			docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}, {Key: "pad", Value: "0123456789abcdef0123456789abcdef"}})
		}
		if _, err := sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
			return coll.InsertMany(ctx, docs)
		}); err != nil {
			b.Fatalf("loading documents %d..: %v", start, err)
		}
	}
}
