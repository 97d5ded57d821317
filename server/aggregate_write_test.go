package server_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// docsOf returns the documents of coll sorted by _id.
func docsOf(t *testing.T, coll *mongo.Collection) []bson.M {
	t.Helper()
	cur, err := coll.Find(context.Background(), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.M
	if err := cur.All(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAggregate_Out(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	db := c.Database("agg")
	src, dst := db.Collection("src"), db.Collection("dst")
	if _, err := src.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 1}}, bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.InsertOne(ctx, bson.D{{Key: "_id", Value: 99}}); err != nil {
		t.Fatal(err)
	}
	cur, err := src.Aggregate(ctx, mongo.Pipeline{{{Key: "$match", Value: bson.D{{Key: "x", Value: bson.D{{Key: "$gt", Value: 1}}}}}}, {{Key: "$out", Value: "dst"}}})
	if err != nil {
		t.Fatalf("Aggregate $out: %v", err)
	}
	if cur.Next(ctx) {
		t.Fatalf("$out returned %v", cur.Current)
	}
	if got := docsOf(t, dst); len(got) != 1 || got[0]["_id"] != int32(2) {
		t.Fatalf("dst after $out = %v, want only _id 2: the old contents are replaced", got)
	}
	if _, err := src.Aggregate(ctx, mongo.Pipeline{{{Key: "$out", Value: "dst"}}, {{Key: "$match", Value: bson.D{}}}}); err == nil {
		t.Fatal("$out before another stage was accepted")
	}
}

func TestAggregate_MergeAndDocuments(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	db := c.Database("agg")
	dst := db.Collection("m")
	if _, err := dst.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	// Default whenMatched merge / whenNotMatched insert: _id 1 gains b, _id 2 is inserted.
	pipeline := mongo.Pipeline{
		{{Key: "$documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "b", Value: 2}}, bson.D{{Key: "_id", Value: 2}, {Key: "b", Value: 3}}}}},
		{{Key: "$merge", Value: bson.D{{Key: "into", Value: "m"}}}},
	}
	if _, err := db.Aggregate(ctx, pipeline); err != nil {
		t.Fatalf("database Aggregate $documents + $merge: %v", err)
	}
	got := docsOf(t, dst)
	if len(got) != 2 || got[0]["a"] != int32(1) || got[0]["b"] != int32(2) || got[1]["b"] != int32(3) {
		t.Fatalf("after $merge: %v", got)
	}
	// whenMatched fail: DuplicateKey with its key.
	_, err := db.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$documents", Value: bson.A{bson.D{{Key: "_id", Value: 2}}}}},
		{{Key: "$merge", Value: bson.D{{Key: "into", Value: "m"}, {Key: "whenMatched", Value: "fail"}}}},
	})
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(11000) {
		t.Fatalf("$merge whenMatched fail = %v, want DuplicateKey", err)
	}
	// $documents alone returns its documents through the rest of the pipeline.
	cur, err := db.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$documents", Value: bson.A{bson.D{{Key: "n", Value: 1}}, bson.D{{Key: "n", Value: 2}}}}},
		{{Key: "$match", Value: bson.D{{Key: "n", Value: 2}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.M
	if err := cur.All(ctx, &out); err != nil || len(out) != 1 || out[0]["n"] != int32(2) {
		t.Fatalf("$documents + $match = %v, %v", out, err)
	}
}

func TestAggregate_ListLocalSessions(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	sctx := mongo.NewSessionContext(ctx, sess)
	cur, err := c.Database("admin").Aggregate(sctx, mongo.Pipeline{{{Key: "$listLocalSessions", Value: bson.D{}}}})
	if err != nil {
		t.Fatalf("$listLocalSessions: %v", err)
	}
	var got []bson.Raw
	for cur.Next(ctx) {
		got = append(got, append(bson.Raw(nil), cur.Current...))
	}
	found := false
	_, want := sess.ID().Lookup("id").Binary()
	for _, d := range got {
		if _, id := d.Lookup("_id", "id").Binary(); string(id) == string(want) {
			found = true
		}
		if d.Lookup("lastUse").Type != bson.TypeDateTime {
			t.Fatalf("session entry %v has no lastUse", d)
		}
	}
	if !found {
		t.Fatalf("$listLocalSessions = %v, lacks the session used", got)
	}
}
