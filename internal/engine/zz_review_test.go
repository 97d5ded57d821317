package engine_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

func TestZZ_Metrics(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 50 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 5}})
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	try := func(name string, f func(st *engine.Stats) int) {
		before := e.Metrics()
		st := &engine.Stats{}
		n := f(st)
		after := e.Metrics()
		fmt.Printf("%-40s returned=%d st.NReturned=%d st.DocsExamined=%d opcounters.query +%d document.returned +%d\n", name, n,
			st.NReturned, st.DocsExamined, after.Opcounters.Query-before.Opcounters.Query, after.Document.Returned-before.Document.Returned)
	}
	idx := engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: 3}})}
	try("Find k=3 (index)", func(st *engine.Stats) int {
		d, err := e.Find(ctx, nil, ns, idx, st)
		if err != nil {
			t.Fatal(err)
		}
		return len(d)
	})
	try("FindBatches k=3 (index)", func(st *engine.Stats) int {
		s, err := e.FindBatches(ctx, ns, idx, st)
		if err != nil {
			t.Fatal(err)
		}
		return len(drain(t, s))
	})
	try("Find all (collscan)", func(st *engine.Stats) int {
		d, _ := e.Find(ctx, nil, ns, engine.FindSpec{}, st)
		return len(d)
	})
	try("FindBatches all (collscan)", func(st *engine.Stats) int {
		s, _ := e.FindBatches(ctx, ns, engine.FindSpec{}, st)
		return len(drain(t, s))
	})
	pipe := engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$k"}}}})}
	try("Aggregate $group", func(st *engine.Stats) int {
		d, _ := e.Aggregate(ctx, nil, ns, pipe, st)
		return len(d)
	})
	try("AggregateBatches $group", func(st *engine.Stats) int {
		s, err := e.AggregateBatches(ctx, ns, pipe, st)
		if err != nil {
			t.Fatal(err)
		}
		return len(drain(t, s))
	})
	try("FindStream in txn k=3 (index)", func(st *engine.Stats) int {
		tx := e.Begin()
		defer tx.Abort()
		s, err := e.FindStream(ctx, tx, ns, idx, st)
		if err != nil {
			t.Fatal(err)
		}
		return len(drain(t, s))
	})
}
