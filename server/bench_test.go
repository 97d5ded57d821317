package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/cputime"
	"github.com/concorddb/concord/wire"
)

// benchClients is the number of concurrent client connections of the wire benchmarks.
const benchClients = 32

// benchSpreadDocs is the number of documents the spread-update benchmark updates at random.
const benchSpreadDocs = 100000

// BenchmarkWire measures updates through the official Go driver against an on-disk, durable DB (every
// acknowledged write is fsynced, with group commit): one hot document incremented by 32 connections, and
// increments spread at random over 100,000 documents. cpu-ns/op is the process's CPU time per update: client
// and server together, as both run here.
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
		cpu0 := cputime.Process()
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
		b.StopTimer()
		b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N), "cpu-ns/op")
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

// BenchmarkWireRaw sends the update commands the driver sends, pre-framed, over raw connections, so that the
// client costs almost nothing: ns/op is then the server's throughput, cpu-ns/op the process CPU per update
// (server, engine, fsync thread and a minimal client) and allocs/op nearly all the server's.
func BenchmarkWireRaw(b *testing.B) {
	e := newCrudEnv(b, b.TempDir())
	client := e.newClient(b, benchClients)
	ctx := context.Background()
	if _, err := client.Database("bench").Collection("hot").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("hot_inc/clients=%d", benchClients), func(b *testing.B) {
		runRawUpdates(b, e.addr, "hot", func() int { return 1 })
	})
	loadSpread(b, client, client.Database("bench").Collection("spread"))
	b.Run(fmt.Sprintf("spread_inc/clients=%d/docs=%d", benchClients, benchSpreadDocs), func(b *testing.B) {
		runRawUpdates(b, e.addr, "spread", func() int { return rand.IntN(benchSpreadDocs) })
	})
}

// runRawUpdates runs b.N retryable {$inc: {v: 1}} updates of the _id chosen by id over benchClients raw
// connections, each with its own session, checking every reply.
func runRawUpdates(b *testing.B, addr, coll string, id func() int) {
	conns := make(chan net.Conn, benchClients)
	for range benchClients {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		conns <- nc
	}
	b.ReportAllocs()
	b.SetParallelism(parallelismFor(benchClients))
	cpu0 := cputime.Process()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		nc := <-conns
		var lsid [16]byte
		for i := range lsid {
			lsid[i] = byte(rand.IntN(256))
		}
		var txn int64
		var out, in []byte
		for pb.Next() {
			txn++
			out = appendRawUpdate(out[:0], int32(txn), coll, lsid, txn, id())
			if _, err := nc.Write(out); err != nil {
				b.Error(err)
				return
			}
			_, msg, err := wire.ReadMessage(nc, in, 0)
			if err != nil {
				b.Error(err)
				return
			}
			in = msg
			m, err := wire.ParseMsg(msg)
			if err != nil {
				b.Error(err)
				return
			}
			if n, _ := m.Body.Lookup("nModified").Int32OK(); n != 1 {
				b.Errorf("reply %v", m.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N), "cpu-ns/op")
}

// appendRawUpdate frames an update command the way the Go driver sends it: the statement in an "updates"
// document sequence, with lsid, txnNumber and $db.
func appendRawUpdate(dst []byte, reqID int32, coll string, lsid [16]byte, txn int64, id int) []byte {
	body := bsoncore.NewDocumentBuilder().
		AppendString("update", coll).
		AppendBoolean("ordered", true).
		AppendDocument("lsid", bsoncore.NewDocumentBuilder().AppendBinary("id", 4, lsid[:]).Build()).
		AppendInt64("txnNumber", txn).
		AppendString("$db", "bench").
		Build()
	stmt := bsoncore.NewDocumentBuilder().
		AppendDocument("q", bsoncore.NewDocumentBuilder().AppendInt32("_id", int32(id)).Build()).
		AppendDocument("u", bsoncore.NewDocumentBuilder().AppendDocument("$inc", bsoncore.NewDocumentBuilder().AppendInt32("v", 1).Build()).Build()).
		Build()
	return wire.AppendMsg(dst, reqID, 0, 0, bson.Raw(body), wire.Sequence{Identifier: "updates", Documents: []bson.Raw{bson.Raw(stmt)}})
}
