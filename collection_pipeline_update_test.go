package concord_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// TestCollection_Update_Pipeline runs pipeline-style updates through
// UpdateOne, UpdateMany, FindOneAndUpdate and an upsert, as in
// https://www.mongodb.com/docs/manual/tutorial/update-documents-with-aggregation-pipeline/
func TestCollection_Update_Pipeline(t *testing.T) {
	ctx := context.Background()
	coll := people(t)

	res, err := coll.UpdateOne(ctx, d("_id", 1), bson.A{
		d("$set", d("next", d("$add", bson.A{"$age", 1}))),
		d("$unset", "name"),
	})
	if err != nil || res.MatchedCount != 1 || res.ModifiedCount != 1 {
		t.Fatalf("UpdateOne = %+v, %v", res, err)
	}
	var got bson.M
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["next"] != int32(32) || got["name"] != nil {
		t.Fatalf("after UpdateOne: %v", got)
	}

	res, err = coll.UpdateMany(ctx, d("age", 25), []any{d("$set", d("young", true))})
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 2 {
		t.Fatalf("UpdateMany = %+v, %v", res, err)
	}

	after := concord.After
	var fam bson.M
	err = coll.FindOneAndUpdate(ctx, d("_id", 3), bson.A{d("$replaceWith", d("$mergeObjects", bson.A{"$$ROOT", d("tag", "x")}))},
		&concord.FindOneAndUpdateOptions{ReturnDocument: after}).Decode(&fam)
	if err != nil || fam["tag"] != "x" || fam["_id"] != int32(3) {
		t.Fatalf("FindOneAndUpdate = %v, %v", fam, err)
	}

	res, err = coll.UpdateOne(ctx, d("_id", 9), bson.A{d("$set", d("made", "$$NOW"))}, &concord.UpdateOptions{Upsert: true})
	if err != nil || res.UpsertedCount != 1 {
		t.Fatalf("upsert = %+v, %v", res, err)
	}
	var up bson.M
	if err := coll.FindOne(ctx, d("_id", 9)).Decode(&up); err != nil {
		t.Fatal(err)
	}
	if _, ok := up["made"].(bson.DateTime); !ok {
		t.Fatalf("upserted %v: made is not a date", up)
	}

	_, err = coll.UpdateOne(ctx, d("_id", 2), bson.A{d("$set", d("_id", 20))})
	var e *concord.Error
	if !errors.As(err, &e) || e.Code != 66 {
		t.Fatalf("changing _id: err = %v, want ImmutableField", err)
	}
}
