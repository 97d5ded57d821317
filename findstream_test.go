package concord_test

import (
	"context"
	"errors"
	"testing"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestCollection_FindStream checks that FindStream's cursor hands out Find's documents, reads the collection as
// it was when it opened, and reports the DB's closing.
func TestCollection_FindStream(t *testing.T) {
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	coll := db.Database("d").Collection("c")
	var docs []any
	for i := range 1000 {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "even", Value: i%2 == 0}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	cur, err := coll.FindStream(ctx, bson.D{{Key: "even", Value: true}}, &concord.FindOptions{Skip: 5, Projection: bson.D{{Key: "even", Value: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for cur.Next(ctx) {
		var d struct {
			ID   int   `bson:"_id"`
			Even *bool `bson:"even"`
		}
		if err := cur.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if want := 10 + 2*n; d.ID != want || d.Even != nil {
			t.Fatalf("document %d: %+v, want _id %d without even", n, d, want)
		}
		n++
	}
	if cur.Err() != nil || n != 495 {
		t.Fatalf("%d documents (err %v), want the 495 of before the delete", n, cur.Err())
	}
	cur.Close(ctx)

	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	cur, err = coll.FindStream(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Next(ctx) {
		t.Fatal(cur.Err())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if cur.Next(ctx) {
		t.Fatal("Next after the DB's Close")
	}
	if !errors.Is(cur.Err(), &concord.Error{Code: 11600}) {
		t.Fatalf("Err after the DB's Close: %v, want InterruptedAtShutdown", cur.Err())
	}
	cur.Close(ctx)
}
