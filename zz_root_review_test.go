package concord_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestZZ_RootTxnFindBatches(t *testing.T) {
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	coll := db.Database("d").Collection("c")
	var docs []any
	for i := range 2000 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	sess, err := db.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := concord.NewSessionContext(ctx, sess)
	cur, err := coll.FindBatches(sctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	cur.SetBatchSize(3) // what the server's nextBatch does for batchSize 2
	for range 2 {
		if !cur.Next(sctx) {
			t.Fatal(cur.Err())
		}
	}
	if _, err := coll.UpdateMany(sctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	counts := map[int32]int{}
	cur.SetBatchSize(3)
	for cur.Next(sctx) {
		counts[cur.Current.Lookup("v").Int32()]++
	}
	fmt.Printf("rest of the cursor after the txn's updateMany: v=0 %d, v=1 %d\n", counts[0], counts[1])
}
