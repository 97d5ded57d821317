package agg_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/agg"
)

// groupBenchDocs are n documents {_id, g: "key<i%100>", v} for the $group benchmarks.
func groupBenchDocs(b *testing.B, n int) []bson.Raw {
	docs := make([]bson.Raw, n)
	for i := range docs {
		d, err := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "g", Value: fmt.Sprintf("key%d", i%100)}, {Key: "v", Value: i % 1000}})
		if err != nil {
			b.Fatal(err)
		}
		docs[i] = d
	}
	return docs
}

// groupBenchStages is a $group on a string key with two accumulators.
func groupBenchStages(b *testing.B) []bson.Raw {
	st, err := bson.Marshal(bson.D{{Key: "$group", Value: bson.D{
		{Key: "_id", Value: "$g"},
		{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		{Key: "total", Value: bson.D{{Key: "$sum", Value: "$v"}}},
	}}})
	if err != nil {
		b.Fatal(err)
	}
	return []bson.Raw{st}
}

// runGroupBench runs p over docs b.N times, reporting ns/doc.
func runGroupBench(b *testing.B, p *agg.Pipeline, docs []bson.Raw) {
	b.ReportAllocs()
	for range b.N {
		out, err := p.Run(context.Background(), docs, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) != 100 {
			b.Fatalf("%d groups, want 100", len(out))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(docs)), "ns/doc")
}

// BenchmarkGroup_StringKey measures $group's hot path on 100,000 in-memory documents with no collation,
// the case a collation must not slow down.
//
//	go test ./internal/query/agg -run '^$' -bench 'Group_StringKey' -count 5
func BenchmarkGroup_StringKey(b *testing.B) {
	p, err := agg.Compile(groupBenchStages(b))
	if err != nil {
		b.Fatal(err)
	}
	runGroupBench(b, p, groupBenchDocs(b, 100_000))
}
