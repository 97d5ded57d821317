package server

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver"
)

// serverError returns err's server error code and message, failing the test when err is not one.
func serverError(t *testing.T, err error) (int32, string) {
	t.Helper()
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		return ce.Code, ce.Message
	}
	var we mongo.WriteException
	if errors.As(err, &we) && len(we.WriteErrors) > 0 {
		return int32(we.WriteErrors[0].Code), we.WriteErrors[0].Message
	}
	var de driver.Error
	if errors.As(err, &de) {
		return de.Code, de.Message
	}
	t.Fatalf("want a server error, got %T %v", err, err)
	return 0, ""
}

func TestDriver_APIStrict_RefusesWhatVersion1Lacks(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	strict, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + e.addr + "/?directConnection=true").
		SetServerAPIOptions(options.ServerAPI(options.ServerAPIVersion1).SetStrict(true)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = strict.Disconnect(ctx) }()
	coll := strict.Database("api").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatalf("insert under apiStrict: %v", err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("count (an aggregate) under apiStrict: %d %v", n, err)
	}
	err = coll.Distinct(ctx, "x", bson.D{}).Err()
	if c, msg := serverError(t, err); c != 323 || msg != "Provided apiStrict:true, but the command distinct is not in API Version 1" {
		t.Fatalf("distinct: %d %q", c, msg)
	}
	_, err = strict.Database("admin").Aggregate(ctx, mongo.Pipeline{{{Key: "$listLocalSessions", Value: bson.D{}}}})
	if c, _ := serverError(t, err); c != 323 {
		t.Fatalf("$listLocalSessions: code %d, want 323", c)
	}
	// Without apiStrict the same commands run.
	if err := e.client.Database("api").Collection("c").Distinct(ctx, "x", bson.D{}).Err(); err != nil {
		t.Fatalf("distinct without apiStrict: %v", err)
	}
}

func TestDriver_OutUnderLinearizableReadConcern_IsRefused(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	src := e.client.Database("lin").Collection("src")
	if _, err := src.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	lin := e.client.Database("lin").Collection("src", options.Collection().SetReadConcern(readconcern.Linearizable()))
	_, err := lin.Aggregate(ctx, mongo.Pipeline{{{Key: "$out", Value: "dst"}}})
	if c, _ := serverError(t, err); c != 72 {
		t.Fatalf("$out with linearizable: code %d, want InvalidOptions 72", c)
	}
	if n, _ := e.client.Database("lin").Collection("dst").CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("the refused $out wrote %d documents", n)
	}
	if _, err := src.Aggregate(ctx, mongo.Pipeline{{{Key: "$out", Value: "dst"}}}); err != nil {
		t.Fatalf("$out without linearizable: %v", err)
	}
}

func TestDriver_SearchIndexes_AreAtlasOnly(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("search").Collection("c")
	_, err := coll.SearchIndexes().CreateOne(ctx, mongo.SearchIndexModel{Definition: bson.D{{Key: "mappings", Value: bson.D{{Key: "dynamic", Value: true}}}}})
	if c, msg := serverError(t, err); c != 115 || msg != "Search index commands are only supported with Atlas." {
		t.Fatalf("createSearchIndexes: %d %q", c, msg)
	}
	err = coll.SearchIndexes().DropOne(ctx, "x")
	if c, _ := serverError(t, err); c != 115 {
		t.Fatalf("dropSearchIndex: %d", c)
	}
	err = coll.SearchIndexes().UpdateOne(ctx, "x", bson.D{})
	if c, _ := serverError(t, err); c != 115 {
		t.Fatalf("updateSearchIndex: %d", c)
	}
	_, err = coll.SearchIndexes().List(ctx, nil)
	if c, msg := serverError(t, err); c != 6047401 || msg != "$listSearchIndexes stage is only allowed on MongoDB Atlas" {
		t.Fatalf("$listSearchIndexes: %d %q", c, msg)
	}
}

func TestDriver_Find_ReturnKey(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("rk").Collection("c")
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 20}, {Key: "b", Value: "x"}},
		bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 10}, {Key: "b", Value: "y"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: -1}}}); err != nil {
		t.Fatal(err)
	}
	all := func(filter, sort bson.D) []string {
		t.Helper()
		opts := options.Find().SetReturnKey(true).SetShowRecordID(true)
		if sort != nil {
			opts.SetSort(sort)
		}
		cur, err := coll.Find(ctx, filter, opts)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for cur.Next(ctx) {
			out = append(out, cur.Current.String())
		}
		return out
	}
	got := all(bson.D{}, bson.D{{Key: "_id", Value: 1}})
	if len(got) != 2 || got[0] != `{"_id": {"$numberInt":"1"}}` || got[1] != `{"_id": {"$numberInt":"2"}}` {
		t.Fatalf("returnKey on the _id index: %v", got)
	}
	got = all(bson.D{{Key: "a", Value: bson.D{{Key: "$gt", Value: 5}}}}, bson.D{{Key: "a", Value: -1}})
	if len(got) != 2 || got[0] != `{"a": {"$numberInt":"20"}}` || got[1] != `{"a": {"$numberInt":"10"}}` {
		t.Fatalf("returnKey on {a: -1}: %v", got)
	}
	got = all(bson.D{{Key: "b", Value: "x"}}, nil)
	if len(got) != 1 || got[0] != `{}` {
		t.Fatalf("returnKey after a collection scan: %v", got)
	}
}

func TestDriver_ListCollections_UUID(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("uuids")
	uuidOf := func(name string) bson.Binary {
		t.Helper()
		specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: name}})
		if err != nil || len(specs) != 1 {
			t.Fatalf("listCollections %s: %v %v", name, specs, err)
		}
		if specs[0].UUID == nil || specs[0].UUID.Subtype != bson.TypeBinaryUUID {
			t.Fatalf("no info.uuid for %s: %+v", name, specs[0])
		}
		return *specs[0].UUID
	}
	if err := db.CreateCollection(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	ua, ub := uuidOf("a"), uuidOf("b")
	if len(ua.Data) != 16 || string(ua.Data) == string(ub.Data) {
		t.Fatalf("uuids of a and b: %x %x", ua.Data, ub.Data)
	}
	if again := uuidOf("a"); string(again.Data) != string(ua.Data) {
		t.Fatal("the uuid of a changed between two listings")
	}
	if err := db.Collection("a").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if re := uuidOf("a"); string(re.Data) == string(ua.Data) {
		t.Fatal("a dropped and created again kept its uuid")
	}
}
