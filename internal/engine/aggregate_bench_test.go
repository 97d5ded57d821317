package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// openAggBench opens an on-disk engine without fsync, so that the loaded
// collection lives in Pebble's files and page cache rather than in the Go
// heap that the aggregation benchmarks measure.
func openAggBench(b *testing.B) *engine.Engine {
	b.Helper()
	e, err := engine.Open(engine.Options{Dir: b.TempDir(), NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// loadGen inserts n documents built by gen into ns in batches of 1,000.
func loadGen(b *testing.B, e *engine.Engine, ns engine.Namespace, n int, gen func(i int) bson.D) {
	b.Helper()
	const batch = 1000
	docs := make([]bson.Raw, 0, batch)
	for lo := 0; lo < n; lo += batch {
		docs = docs[:0]
		for i := lo; i < lo+batch && i < n; i++ {
			docs = append(docs, doc(gen(i)))
		}
		if _, err := e.Insert(context.Background(), nil, ns, docs, true, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// heapPeak samples the heap until stop is called, which returns the peaks
// seen above the levels measured (after a GC) at the start: retained is the
// heap a full collection, forced every 50 ms, finds reachable (what the run
// holds at that moment); objects is the heap read every millisecond,
// garbage not yet collected included (which depends on when the collector
// runs, so it varies from run to run). The forced collections make the
// timed run a few percent slower.
func heapPeak() (stop func() (retained, objects uint64)) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	read := func() (uint64, uint64) {
		metrics.Read(sample)
		return sample[0].Value.Uint64(), sample[1].Value.Uint64()
	}
	baseLive, baseObjects := read()
	var peakLive, peakObjects uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for i := 1; ; i++ {
			if i%50 == 0 {
				runtime.GC()
				l, _ := read()
				peakLive = max(peakLive, l)
			}
			_, o := read()
			peakObjects = max(peakObjects, o)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	above := func(v, base uint64) uint64 {
		if v > base {
			return v - base
		}
		return 0
	}
	return func() (uint64, uint64) {
		close(done)
		<-finished
		return above(peakLive, baseLive), above(peakObjects, baseObjects)
	}
}

// BenchmarkAggregate_MatchGroup measures {$match} + {$group} over a whole
// collection through the engine: time per run and the peak heap growth
// during it (retained-MB: the most the run held at once, from collections
// forced every 50 ms; heap-MB: the peak of the heap including garbage not
// yet collected), at two collection sizes so that growth with the
// collection shows. Run it on its own (it loads a million documents):
//
//	go test ./internal/engine -run '^$' -bench 'Aggregate_MatchGroup' -benchtime 3x
func BenchmarkAggregate_MatchGroup(b *testing.B) {
	ctx := context.Background()
	match := doc(bson.D{{Key: "$match", Value: bson.D{{Key: "status", Value: "A"}}}})
	pipelines := []struct {
		name   string
		stages []bson.Raw
		out    int
	}{
		{"group", []bson.Raw{match, doc(bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: "$g"},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
			{Key: "total", Value: bson.D{{Key: "$sum", Value: "$v"}}},
		}}})}, 100},
		// The same read with no stage state, for reference: what the scan
		// itself retains.
		{"count", []bson.Raw{match, doc(bson.D{{Key: "$count", Value: "n"}})}, 1},
	}
	pad := strings.Repeat("x", 64)
	for _, n := range []int{250_000, 1_000_000} {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			e := openAggBench(b)
			loadGen(b, e, ns, n, func(i int) bson.D {
				status := "A"
				if (i/100)%2 == 1 {
					status = "B"
				}
				return bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % 100}, {Key: "status", Value: status}, {Key: "v", Value: i % 1000}, {Key: "pad", Value: pad}}
			})
			for _, p := range pipelines {
				b.Run(p.name, func(b *testing.B) {
					var peakLive, peakObjects uint64
					for range b.N {
						stop := heapPeak()
						out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: p.stages}, nil)
						b.StopTimer()
						live, objects := stop()
						b.StartTimer()
						peakLive, peakObjects = max(peakLive, live), max(peakObjects, objects)
						if err != nil {
							b.Fatal(err)
						}
						if len(out) != p.out {
							b.Fatalf("%d documents, want %d", len(out), p.out)
						}
					}
					b.ReportMetric(float64(peakLive)/(1<<20), "retained-MB")
					b.ReportMetric(float64(peakObjects)/(1<<20), "heap-MB")
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/doc")
				})
			}
		})
	}
}

// BenchmarkAggregate_Lookup measures an equality $lookup of outer documents
// against a 100,000-document foreign collection indexed on the join field,
// through the engine. ns/outer is the time per outer document.
//
//	go test ./internal/engine -run '^$' -bench 'Aggregate_Lookup' -benchtime 1x
func BenchmarkAggregate_Lookup(b *testing.B) {
	ctx := context.Background()
	const foreignN = 100_000
	foreign := engine.Namespace{DB: ns.DB, Coll: "foreign"}
	pipeline := []bson.Raw{
		doc(bson.D{{Key: "$lookup", Value: bson.D{
			{Key: "from", Value: foreign.Coll},
			{Key: "localField", Value: "fk"},
			{Key: "foreignField", Value: "k"},
			{Key: "as", Value: "m"},
		}}}),
	}
	for _, outer := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("outer=%d", outer), func(b *testing.B) {
			e := openAggBench(b)
			if _, err := e.CreateIndex(ctx, nil, foreign, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
				b.Fatal(err)
			}
			loadGen(b, e, foreign, foreignN, func(i int) bson.D {
				return bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}, {Key: "name", Value: fmt.Sprintf("item %d", i)}}
			})
			r := rand.New(rand.NewPCG(1, 2))
			loadGen(b, e, ns, outer, func(i int) bson.D {
				return bson.D{{Key: "_id", Value: i}, {Key: "fk", Value: r.IntN(foreignN)}}
			})
			b.ResetTimer()
			for range b.N {
				out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(out) != outer {
					b.Fatalf("%d documents, want %d", len(out), outer)
				}
				if m, _ := out[0].Lookup("m").ArrayOK(); len(m) <= 5 {
					b.Fatalf("no match in %v", out[0])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(outer), "ns/outer")
		})
	}
}

// BenchmarkAggregate_LookupLet is BenchmarkAggregate_Lookup's join written
// as a pipeline $lookup: let binds the outer key and the sub-pipeline's
// $match compares it with $expr.
//
//	go test ./internal/engine -run '^$' -bench 'Aggregate_LookupLet' -benchtime 1x
func BenchmarkAggregate_LookupLet(b *testing.B) {
	ctx := context.Background()
	const foreignN, outer = 100_000, 1_000
	foreign := engine.Namespace{DB: ns.DB, Coll: "foreign"}
	pipeline := []bson.Raw{
		doc(bson.D{{Key: "$lookup", Value: bson.D{
			{Key: "from", Value: foreign.Coll},
			{Key: "let", Value: bson.D{{Key: "fk", Value: "$fk"}}},
			{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$fk"}}}}}}}}},
			{Key: "as", Value: "m"},
		}}}),
	}
	e := openAggBench(b)
	if _, err := e.CreateIndex(ctx, nil, foreign, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		b.Fatal(err)
	}
	loadGen(b, e, foreign, foreignN, func(i int) bson.D {
		return bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}, {Key: "name", Value: fmt.Sprintf("item %d", i)}}
	})
	r := rand.New(rand.NewPCG(1, 2))
	loadGen(b, e, ns, outer, func(i int) bson.D {
		return bson.D{{Key: "_id", Value: i}, {Key: "fk", Value: r.IntN(foreignN)}}
	})
	b.ResetTimer()
	for range b.N {
		out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if m, _ := out[0].Lookup("m").ArrayOK(); len(out) != outer || len(m) <= 5 {
			b.Fatalf("%d documents, first %v", len(out), out[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(outer), "ns/outer")
}
