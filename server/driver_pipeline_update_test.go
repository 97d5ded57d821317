package server

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestDriver_PipelineUpdate sends pipeline-style updates through update,
// findAndModify and a bulk write with the official driver.
func TestDriver_PipelineUpdate(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("app").Collection("scores")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 2}, {Key: "b", Value: 3}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 5}, {Key: "b", Value: 5}}}); err != nil {
		t.Fatal(err)
	}
	sum := bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "sum", Value: bson.D{{Key: "$add", Value: bson.A{"$a", "$b"}}}}}}}}
	res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, sum)
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("UpdateOne = %+v, %v", res, err)
	}
	var doc struct {
		Sum int `bson:"sum"`
	}
	err = coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 2}}, sum,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
	if err != nil || doc.Sum != 10 {
		t.Fatalf("FindOneAndUpdate = %+v, %v", doc, err)
	}
	unset := bson.A{bson.D{{Key: "$unset", Value: "sum"}}}
	bw, err := coll.BulkWrite(ctx, []mongo.WriteModel{mongo.NewUpdateManyModel().SetFilter(bson.D{}).SetUpdate(unset)})
	if err != nil || bw.ModifiedCount != 2 {
		t.Fatalf("BulkWrite = %+v, %v", bw, err)
	}
	_, err = coll.UpdateOne(ctx, bson.D{}, bson.A{bson.D{{Key: "$match", Value: bson.D{}}}})
	var we mongo.WriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 72 {
		t.Fatalf("$match in an update: err = %v, want code 72", err)
	}
}
