package occ_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

// TestMetrics_Observe: conflicts are counted per collection, and on the embedded backend the engine's metrics
// come with them.
func TestMetrics_Observe(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		m := &occ.Metrics{}
		a := occ.New(b.Store, b.Database, "a", &occ.Options{Metrics: m})
		c := occ.New(b.Store, b.Database, "c", &occ.Options{Metrics: m})
		for _, coll := range []*occ.Collection{a, c} {
			if _, err := coll.Insert(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		_, _ = a.UpdateOne(ctx, 1, 7, set("n", 1))
		_, _ = a.UpdateOne(ctx, 1, 7, set("n", 1))
		_, _ = c.DeleteOne(ctx, 1, 7)
		o := m.Observe(b.Store)
		if o.Collections[a.Namespace()].Conflicts != 2 || o.Collections[c.Namespace()].Conflicts != 1 {
			t.Errorf("counters %+v", o.Collections)
		}
		if (b.Name == "embedded") != (o.Engine != nil) {
			t.Errorf("%s: engine metrics %v", b.Name, o.Engine)
		}
		if o.Engine != nil && o.Engine.Opcounters.Insert < 2 {
			t.Errorf("engine opcounters %+v", o.Engine.Opcounters)
		}
		m.Reset()
		if len(m.Snapshot()) != 0 {
			t.Error("Reset left counters")
		}
	})
}
