package engine_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/value"
)

func TestZZ_Concurrent(t *testing.T) {
	e, err := engine.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3000 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 10}, {Key: "v", Value: 0}})
	}
	e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}})
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := 0
			for !stop.Load() {
				i++
				id := (i*7919 + w) % 6000
				switch i % 3 {
				case 0:
					e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: id}, {Key: "k", Value: id % 10}})}, true, nil)
				case 1:
					e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}), Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})}, nil)
				case 2:
					e.Delete(ctx, nil, ns, doc(bson.D{{Key: "_id", Value: id}}), false, nil)
				}
			}
		}()
	}
	check := func(name string, s *engine.DocStream, ordered bool) {
		seen := map[int64]bool{}
		var last bson.RawValue
		for {
			d, err := s.Next(ctx)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				break
			}
			if d == nil {
				break
			}
			id := d.Lookup("_id")
			n := id.AsInt64()
			if seen[n] {
				t.Errorf("%s: duplicate %d", name, n)
			}
			seen[n] = true
			if ordered && last.Type != 0 && value.Compare(last, id) >= 0 {
				t.Errorf("%s: out of order %v after %v", name, id, last)
			}
			last = id
			if s.Held() < 0 {
				t.Errorf("%s: Held %d", name, s.Held())
			}
		}
		s.Close()
	}
	for round := range 20 {
		s, _ := e.FindBatches(ctx, ns, engine.FindSpec{}, nil)
		s.SetBatch(round%7 + 1)
		check("coll", s, true)
		s, _ = e.FindBatches(ctx, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 3}}}})}, nil)
		s.SetBatch(round%5 + 1)
		check("index", s, false)
		a, _ := e.AggregateBatches(ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "c"}, {Key: "localField", Value: "k"}, {Key: "foreignField", Value: "_id"}, {Key: "as", Value: "o"}}}})}, nil)
		a.SetBatch(3)
		check("agg", a, true)
	}
	// Engine.Close while a batched pipeline is being pulled.
	a, _ := e.AggregateBatches(ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "c"}, {Key: "localField", Value: "k"}, {Key: "foreignField", Value: "k"}, {Key: "as", Value: "o"}}}})}, nil)
	a.SetBatch(2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			d, err := a.Next(ctx)
			if err != nil || d == nil {
				return
			}
		}
	}()
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	closed := make(chan struct{})
	go func() { e.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Engine.Close hangs")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Next hangs")
	}
	a.Close()
}
