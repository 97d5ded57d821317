package engine_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

func TestZZ_TxnStreamMixesStates(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 2000 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}})
	}
	tx := e.Begin()
	defer tx.Abort()
	s, err := e.FindStream(ctx, tx, ns, engine.FindSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := s.Next(ctx); err != nil || d == nil {
		t.Fatal(err)
	}
	if _, err := e.Update(ctx, tx, ns, engine.UpdateSpec{Filter: doc(bson.D{}), Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}), Multi: true}, nil); err != nil {
		t.Fatal(err)
	}
	counts := map[int64]int{}
	for _, d := range drain(t, s) {
		counts[intField(t, d, "v")]++
	}
	fmt.Printf("after the txn's own update: v=0: %d docs, v=1: %d docs\n", counts[0], counts[1])
}

func TestZZ_ErrorLeavesPartialBatch(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 100 {
		d := 1
		if i == 50 {
			d = 0
		}
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "d", Value: d}})
	}
	f := doc(bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{bson.D{{Key: "$divide", Value: bson.A{1, "$d"}}}, 0}}}}})
	if _, err := e.Find(ctx, nil, ns, engine.FindSpec{Filter: f}, nil); err == nil {
		t.Fatal("Find did not fail")
	} else {
		fmt.Println("Find:", err)
	}
	s, err := e.FindBatches(ctx, ns, engine.FindSpec{Filter: f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetBatch(100)
	_, err = s.Next(ctx)
	fmt.Println("first Next:", err, "held:", s.Held())
	n := 0
	for {
		d, err := s.Next(ctx)
		if err != nil {
			fmt.Println("err", err)
			break
		}
		if d == nil {
			break
		}
		n++
	}
	fmt.Printf("after the error: %d more documents then end; Held=%d\n", n, s.Held())
}
