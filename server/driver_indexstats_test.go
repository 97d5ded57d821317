package server

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TestDriver_IndexStats checks $indexStats through the driver: one document per index, whose accesses.ops
// counts the statements planned on that index and nothing else, with mongod's fields.
func TestDriver_IndexStats(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	c := e.client.Database("ixstats").Collection("c")
	for i := 0; i < 10; i++ {
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "a", Value: i}, {Key: "b", Value: i % 2}}); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now().Add(-time.Second)
	if _, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "b", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // three reads by a
		if err := c.FindOne(ctx, bson.D{{Key: "a", Value: i}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.FindOne(ctx, bson.D{{Key: "_id", Value: 4}}).Err(); err != nil { // one by _id
		t.Fatal(err)
	}
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "a", Value: 5}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	cur, err := c.Aggregate(ctx, bson.A{bson.D{{Key: "$indexStats", Value: bson.D{}}}, bson.D{{Key: "$sort", Value: bson.D{{Key: "name", Value: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var stats []struct {
		Name     string
		Key      bson.D
		Host     string
		Accesses struct {
			Ops   int64
			Since time.Time
		}
		Spec bson.M
	}
	if err := cur.All(ctx, &stats); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"_id_": 1, "a_1": 4, "b_1": 0}
	if len(stats) != len(want) {
		t.Fatalf("$indexStats returned %d documents: %+v", len(stats), stats)
	}
	for _, s := range stats {
		if s.Accesses.Ops != want[s.Name] {
			t.Errorf("index %s: accesses.ops %d, want %d", s.Name, s.Accesses.Ops, want[s.Name])
		}
		if s.Host == "" || s.Spec["name"] != s.Name || len(s.Key) != 1 {
			t.Errorf("index %s: host %q, key %v, spec %v", s.Name, s.Host, s.Key, s.Spec)
		}
		if s.Name != "_id_" && s.Accesses.Since.Before(before) {
			t.Errorf("index %s: accesses.since %v is before the index was created", s.Name, s.Accesses.Since)
		}
	}
	if _, err := c.Aggregate(ctx, bson.A{bson.D{{Key: "$indexStats", Value: 1}}}); err == nil {
		t.Fatal("$indexStats: 1 was accepted")
	}
}
