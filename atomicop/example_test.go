package atomicop_test

import (
	"context"
	"fmt"
	"log"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/atomicop"
	"github.com/concorddb/concord/store"
)

// A bounded decrement, a compare-and-swap and an add-unique, each one server-side write.
func ExampleOps_Do() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	if _, err := st.Collection("shop", "items").InsertOne(ctx, bson.D{{Key: "_id", Value: "pen"}, {Key: "stock", Value: int64(1)}, {Key: "state", Value: "listed"}}); err != nil {
		log.Fatal(err)
	}
	ops := atomicop.New(st, "shop", "items", nil)

	zero := int64(0)
	for range 2 {
		res, _ := ops.Do(ctx, atomicop.Increment{ID: "pen", Field: "stock", By: -1, Min: &zero})
		fmt.Println("take one: applied", res.Applied, "refused", res.Refused, "stock", res.Value.AsInt64())
	}
	res, _ := ops.Do(ctx, atomicop.CompareAndSwap{ID: "pen", Field: "state", Expected: "listed", New: "sold"})
	fmt.Println("sell:", res.Applied)
	res, _ = ops.Do(ctx, atomicop.CompareAndSwap{ID: "pen", Field: "state", Expected: "listed", New: "sold"})
	fmt.Println("sell again:", res.Applied)
	res, _ = ops.Do(ctx, atomicop.AddToSet{ID: "pen", Field: "tags", Value: "blue"})
	fmt.Println("tag:", res.Applied)
	res, _ = ops.Do(ctx, atomicop.AddToSet{ID: "pen", Field: "tags", Value: "blue"})
	fmt.Println("tag again:", res.Applied)
	// Output:
	// take one: applied true refused false stock 0
	// take one: applied false refused true stock 0
	// sell: true
	// sell again: false
	// tag: true
	// tag again: false
}

// A list of operations in one transaction: all apply or none.
func ExampleOps_Bulk() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	if _, err := st.Collection("shop", "items").InsertOne(ctx, bson.D{{Key: "_id", Value: "pen"}, {Key: "stock", Value: int64(5)}}); err != nil {
		log.Fatal(err)
	}
	ops := atomicop.New(st, "shop", "items", nil)
	zero := int64(0)
	_, err = ops.Bulk(ctx, []atomicop.Op{
		atomicop.Increment{ID: "pen", Field: "stock", By: -1, Min: &zero},
		atomicop.Push{ID: "pen", Field: "orders", Value: "o-1", Cap: 100},
		atomicop.CompareAndSwap{ID: "pen", Field: "state", Expected: "listed", New: "sold"},
	})
	fmt.Println(err)
	doc, _ := st.Collection("shop", "items").FindOne(ctx, bson.D{{Key: "_id", Value: "pen"}}, nil)
	fmt.Println(doc)
	// Output:
	// atomicop: bulk operation 2: atomicop: an operation did not apply
	// {"_id": "pen","stock": {"$numberLong":"5"}}
}
