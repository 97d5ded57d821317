package engine_test

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// BenchmarkFindCovered compares a covered find (answered from the index
// entries of {g: 1, v: 1}) with the same find fetching its documents (the
// projection keeps _id, which is not in the index), over 10,000 documents
// of about 300 bytes, 100 of which match.
func BenchmarkFindCovered(b *testing.B) {
	ctx := context.Background()
	e := openMem(b, engine.Options{})
	pad := strings.Repeat("x", 256)
	var docs []bson.Raw
	for i := 0; i < 10_000; i++ {
		docs = append(docs, doc(bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % 100}, {Key: "v", Value: int64(i)}, {Key: "pad", Value: pad}}))
	}
	if _, err := e.Insert(ctx, nil, ns, docs, true, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "g", Value: 1}, {Key: "v", Value: 1}}}); err != nil {
		b.Fatal(err)
	}
	filter := doc(bson.D{{Key: "g", Value: 7}})
	for _, c := range []struct {
		name string
		proj bson.D
		docs int64
	}{
		{"covered", bson.D{{Key: "v", Value: 1}, {Key: "_id", Value: 0}}, 0},
		{"fetched", bson.D{{Key: "v", Value: 1}}, 100},
	} {
		b.Run(c.name, func(b *testing.B) {
			spec := engine.FindSpec{Filter: filter, Projection: doc(c.proj)}
			b.ReportAllocs()
			for b.Loop() {
				var st engine.Stats
				out, err := e.Find(ctx, nil, ns, spec, &st)
				if err != nil || len(out) != 100 || st.DocsExamined != c.docs {
					b.Fatalf("%d results, %d documents examined, %v", len(out), st.DocsExamined, err)
				}
			}
		})
	}
}
