package server_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestWildcardIndex creates wildcard indexes through the driver, lists them, and checks that find uses one
// for a predicate on any path it holds (explain shows the path as $_path) with the documents a collection scan
// returns; the special index kinds Concord does not build stay refused with CannotCreateIndex (67).
func TestWildcardIndex(t *testing.T) {
	e := newCoreEnv(t)
	db := e.client(t).Database("wc")
	coll := db.Collection("items")
	ctx := context.Background()
	docs := []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "attrs", Value: bson.D{{Key: "color", Value: "red"}, {Key: "size", Value: 3}}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "attrs", Value: bson.D{{Key: "color", Value: "blue"}, {Key: "tags", Value: bson.A{"x", "y"}}}}},
		bson.D{{Key: "_id", Value: 3}, {Key: "attrs", Value: bson.A{bson.D{{Key: "color", Value: "red"}}, bson.D{{Key: "size", Value: int64(9)}}}}},
		bson.D{{Key: "_id", Value: 4}, {Key: "other", Value: "red"}},
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	name, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "attrs.$**", Value: 1}}})
	if err != nil || name != "attrs.$**_1" {
		t.Fatalf("create attrs.$**: %q, %v", name, err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "$**", Value: 1}},
		Options: options.Index().SetWildcardProjection(bson.D{{Key: "other", Value: 1}})}); err != nil {
		t.Fatal(err)
	}
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var specs []bson.Raw
	if err := cur.All(ctx, &specs); err != nil {
		t.Fatal(err)
	}
	if len(specs) != 3 || specs[2].Lookup("wildcardProjection").Document().String() != `{"other": {"$numberInt":"1"}}` {
		t.Fatalf("listIndexes = %v", specs)
	}

	for _, q := range []struct {
		filter  bson.D
		ids     []int32
		pattern string
	}{
		{bson.D{{Key: "attrs.color", Value: "red"}}, []int32{1, 3}, `{"$_path": {"$numberInt":"1"},"attrs.color": {"$numberInt":"1"}}`},
		{bson.D{{Key: "attrs.size", Value: bson.D{{Key: "$gt", Value: 2}}}}, []int32{1, 3}, `{"$_path": {"$numberInt":"1"},"attrs.size": {"$numberInt":"1"}}`},
		{bson.D{{Key: "attrs.tags", Value: "y"}}, []int32{2}, `{"$_path": {"$numberInt":"1"},"attrs.tags": {"$numberInt":"1"}}`},
		{bson.D{{Key: "other", Value: "red"}}, []int32{4}, `{"$_path": {"$numberInt":"1"},"other": {"$numberInt":"1"}}`},
		{bson.D{{Key: "attrs.color", Value: bson.D{{Key: "$exists", Value: false}}}}, []int32{4}, ""},
	} {
		cur, err := coll.Find(ctx, q.filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			t.Fatal(err)
		}
		var got []bson.Raw
		if err := cur.All(ctx, &got); err != nil {
			t.Fatal(err)
		}
		var ids []int32
		for _, d := range got {
			ids = append(ids, d.Lookup("_id").Int32())
		}
		if len(ids) != len(q.ids) {
			t.Fatalf("%v: ids %v, want %v", q.filter, ids, q.ids)
		}
		for i := range ids {
			if ids[i] != q.ids[i] {
				t.Fatalf("%v: ids %v, want %v", q.filter, ids, q.ids)
			}
		}
		r := explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: q.filter}}, "executionStats")
		ix := leaf(r.Lookup("queryPlanner", "winningPlan").Document())
		if q.pattern == "" {
			if ix.Lookup("stage").StringValue() != "COLLSCAN" {
				t.Errorf("%v: plan %v, want COLLSCAN", q.filter, ix)
			}
			continue
		}
		if ix.Lookup("stage").StringValue() != "IXSCAN" || ix.Lookup("keyPattern").Document().String() != q.pattern {
			t.Errorf("%v: IXSCAN = %v", q.filter, ix)
		}
		if n := num(r.Lookup("executionStats", "nReturned")); n != int64(len(q.ids)) {
			t.Errorf("%v: nReturned %d", q.filter, n)
		}
	}

	for _, key := range []bson.D{
		{{Key: "a", Value: "text"}}, {{Key: "a", Value: "2d"}}, {{Key: "a", Value: "2dsphere"}},
		{{Key: "a", Value: "hashed"}}, {{Key: "$**", Value: "columnstore"}},
	} {
		err := db.RunCommand(ctx, bson.D{{Key: "createIndexes", Value: "items"}, {Key: "indexes", Value: bson.A{bson.D{{Key: "key", Value: key}, {Key: "name", Value: "x"}}}}}).Err()
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 67 {
			t.Errorf("%v: err = %v, want CannotCreateIndex", key, err)
		}
	}
	err = db.RunCommand(ctx, bson.D{{Key: "createIndexes", Value: "items"}, {Key: "indexes", Value: bson.A{bson.D{
		{Key: "key", Value: bson.D{{Key: "$**", Value: 1}}}, {Key: "name", Value: "u"}, {Key: "unique", Value: true}}}}}).Err()
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 67 {
		t.Errorf("unique wildcard: err = %v, want CannotCreateIndex", err)
	}
}
