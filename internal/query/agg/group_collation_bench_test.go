package agg_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/collation"
)

// BenchmarkGroup_StringKeyCollated is BenchmarkGroup_StringKey under {locale: "en", strength: 2}: each
// key is turned into its collation key.
func BenchmarkGroup_StringKeyCollated(b *testing.B) {
	d, _ := bson.Marshal(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}})
	c, err := collation.Parse(d)
	if err != nil {
		b.Fatal(err)
	}
	p, err := agg.CompileColl(groupBenchStages(b), c)
	if err != nil {
		b.Fatal(err)
	}
	runGroupBench(b, p, groupBenchDocs(b, 100_000))
}
