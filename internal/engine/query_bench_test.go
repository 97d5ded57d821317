package engine_test

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/cputime"
	"github.com/concorddb/concord/internal/engine"
)

// queryBenchDocs is the size of BenchmarkQueries' collection:
// CONCORD_BENCH_DOCS, 100,000 by default.
func queryBenchDocs(b *testing.B) int {
	if s := os.Getenv("CONCORD_BENCH_DOCS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("CONCORD_BENCH_DOCS=%q: want a number of at least 1000", s)
		}
		return n
	}
	return 100_000
}

// reportCPU reports the process CPU time since start per operation
// (cpu-ns/op) or, for an operation over perOp documents, per document
// (cpu-ns/doc): on a machine shared with other work it varies less than the
// wall time.
func reportCPU(b *testing.B, start time.Duration, perOp int) {
	cpu := float64(cputime.Process()-start) / float64(b.N)
	if perOp == 1 {
		b.ReportMetric(cpu, "cpu-ns/op")
		return
	}
	b.ReportMetric(cpu/float64(perOp), "cpu-ns/doc")
}

// BenchmarkQueries measures the read workloads of `concord bench --queries`
// through the engine, on the same documents {_id: i, k: i, cat: i % 100,
// score: <random double>} with indexes {k: 1} and {cat: 1, score: -1}:
//
//   - point: a find by k (one index key, one document);
//   - topN: the top 10 of one cat by score (a range of the compound index
//     read in the sort's order, stopped at the limit);
//   - group: $group by cat with a count and an average over every document;
//   - match-group: the same after a $match that every document passes;
//   - sort-limit and agg-sort-limit: the top 10 by score of every document (a sort no index gives), as a find
//     and as $sort and $limit;
//   - id-descending-limit: the last 10 documents by _id;
//   - agg-topN: topN as $match, $sort and $limit.
//
// For the aggregations ns/doc, allocs/doc and B/doc are per input
// document; cpu-ns is the process CPU time, steadier than wall time when
// the machine is shared. The collection has CONCORD_BENCH_DOCS documents (100,000 by
// default):
//
//	go test ./internal/engine -run '^$' -bench 'Queries' -benchmem
func BenchmarkQueries(b *testing.B) {
	ctx := context.Background()
	n := queryBenchDocs(b)
	e := openAggBench(b)
	rng := rand.New(rand.NewPCG(7, 7))
	loadGen(b, e, ns, n, func(i int) bson.D {
		return bson.D{{Key: "_id", Value: int32(i)}, {Key: "k", Value: int32(i)}, {Key: "cat", Value: int32(i % 100)}, {Key: "score", Value: rng.Float64()}}
	})
	for _, key := range []bson.D{{{Key: "k", Value: 1}}, {{Key: "cat", Value: 1}, {Key: "score", Value: -1}}} {
		if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: key}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("point", func(b *testing.B) {
		defer reportCPU(b, cputime.Process(), 1)
		b.ReportAllocs()
		r := rand.New(rand.NewPCG(1, 2))
		for b.Loop() {
			f := doc(bson.D{{Key: "k", Value: int32(r.IntN(n))}})
			out, err := e.Find(ctx, nil, ns, engine.FindSpec{Filter: f}, nil)
			if err != nil || len(out) != 1 {
				b.Fatalf("%d documents, %v", len(out), err)
			}
		}
	})
	b.Run("topN", func(b *testing.B) {
		defer reportCPU(b, cputime.Process(), 1)
		b.ReportAllocs()
		r := rand.New(rand.NewPCG(1, 2))
		sort := doc(bson.D{{Key: "score", Value: -1}})
		for b.Loop() {
			f := doc(bson.D{{Key: "cat", Value: int32(r.IntN(100))}})
			st := &engine.Stats{}
			out, err := e.Find(ctx, nil, ns, engine.FindSpec{Filter: f, Sort: sort, Limit: 10}, st)
			if err != nil || len(out) != 10 {
				b.Fatalf("%d documents, %v", len(out), err)
			}
			if st.DocsExamined != 10 {
				b.Fatalf("%d documents examined, want 10", st.DocsExamined)
			}
		}
	})
	b.Run("agg-topN", func(b *testing.B) {
		defer reportCPU(b, cputime.Process(), 1)
		b.ReportAllocs()
		r := rand.New(rand.NewPCG(1, 2))
		sort := doc(bson.D{{Key: "$sort", Value: bson.D{{Key: "score", Value: -1}}}})
		limit := doc(bson.D{{Key: "$limit", Value: 10}})
		for b.Loop() {
			match := doc(bson.D{{Key: "$match", Value: bson.D{{Key: "cat", Value: int32(r.IntN(100))}}}})
			out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: []bson.Raw{match, sort, limit}}, nil)
			if err != nil || len(out) != 10 {
				b.Fatalf("%d documents, %v", len(out), err)
			}
		}
	})
	// The top 10 by score over every document: a sort no index gives, with a limit, as find and as $sort + $limit.
	byScore := bson.D{{Key: "score", Value: -1}}
	b.Run("sort-limit", func(b *testing.B) {
		defer reportCPU(b, cputime.Process(), 1)
		b.ReportAllocs()
		for b.Loop() {
			out, err := e.Find(ctx, nil, ns, engine.FindSpec{Sort: doc(byScore), Limit: 10}, nil)
			if err != nil || len(out) != 10 {
				b.Fatalf("%d documents, %v", len(out), err)
			}
		}
	})
	b.Run("id-descending-limit", func(b *testing.B) {
		defer reportCPU(b, cputime.Process(), 1)
		b.ReportAllocs()
		for b.Loop() {
			out, err := e.Find(ctx, nil, ns, engine.FindSpec{Sort: doc(bson.D{{Key: "_id", Value: -1}}), Limit: 10}, nil)
			if err != nil || len(out) != 10 || out[0].Lookup("_id").Int32() != int32(n-1) {
				b.Fatalf("%d documents, %v", len(out), err)
			}
		}
	})
	b.Run("agg-sort-limit", func(b *testing.B) {
		defer reportCPU(b, cputime.Process(), 1)
		b.ReportAllocs()
		pipeline := []bson.Raw{doc(bson.D{{Key: "$sort", Value: byScore}}), doc(bson.D{{Key: "$limit", Value: 10}})}
		for b.Loop() {
			out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
			if err != nil || len(out) != 10 {
				b.Fatalf("%d documents, %v", len(out), err)
			}
		}
	})
	group := doc(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$cat"},
		{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}, {Key: "avg", Value: bson.D{{Key: "$avg", Value: "$score"}}}}}})
	match := doc(bson.D{{Key: "$match", Value: bson.D{{Key: "score", Value: bson.D{{Key: "$gte", Value: 0.0}}}}}})
	for _, p := range []struct {
		name     string
		pipeline []bson.Raw
	}{
		{"group", []bson.Raw{group}},
		{"match-group", []bson.Raw{match, group}},
	} {
		b.Run(p.name, func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			defer reportCPU(b, cputime.Process(), n)
			for b.Loop() {
				out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: p.pipeline}, nil)
				if err != nil || len(out) != 100 {
					b.Fatalf("%d groups, %v", len(out), err)
				}
			}
			runtime.ReadMemStats(&after)
			docs := float64(b.N) * float64(n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/docs, "ns/doc")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/docs, "allocs/doc")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/docs, "B/doc")
		})
	}
}
