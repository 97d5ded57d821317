package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestDriver_IndexOptionsListedAsCreated(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	coll := e.client.Database("app").Collection("kinds")
	models := []mongo.IndexModel{
		{Keys: bson.D{{Key: "s", Value: 1}}, Options: options.Index().SetSparse(true)},
		{Keys: bson.D{{Key: "p", Value: 1}}, Options: options.Index().SetPartialFilterExpression(bson.D{{Key: "q", Value: bson.D{{Key: "$gt", Value: 5}}}})},
		{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(3600)},
		{Keys: bson.D{{Key: "h", Value: 1}}, Options: options.Index().SetHidden(true)},
	}
	if _, err := coll.Indexes().CreateMany(ctx, models); err != nil {
		t.Fatal(err)
	}
	cur, err := coll.Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []bson.Raw
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d indexes, want 5", len(got))
	}
	if !got[1].Lookup("sparse").Boolean() || got[2].Lookup("partialFilterExpression", "q", "$gt").AsInt64() != 5 ||
		got[3].Lookup("expireAfterSeconds").AsInt64() != 3600 || !got[4].Lookup("hidden").Boolean() {
		t.Fatalf("listIndexes = %v", got)
	}
	// Creating the same index again is a no-op; with other options it conflicts.
	r := e.mustRun(t, "app", bson.D{{Key: "createIndexes", Value: "kinds"}, {Key: "indexes", Value: bson.A{
		bson.D{{Key: "key", Value: bson.D{{Key: "s", Value: 1}}}, {Key: "name", Value: "s_1"}, {Key: "sparse", Value: true}}}}})
	if r.Lookup("note").StringValue() != "all indexes already exist" {
		t.Fatalf("same sparse index again = %v", r)
	}
	for _, tc := range []struct {
		name string
		spec bson.D
		code int32
	}{
		{"text", bson.D{{Key: "key", Value: bson.D{{Key: "t", Value: "text"}}}, {Key: "name", Value: "t"}}, 67},
		{"2dsphere", bson.D{{Key: "key", Value: bson.D{{Key: "g", Value: "2dsphere"}}}, {Key: "name", Value: "g"}}, 67},
		{"unknown plugin", bson.D{{Key: "key", Value: bson.D{{Key: "g", Value: "foo"}}}, {Key: "name", Value: "g"}}, 67},
		{"compound TTL", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}, {Key: "name", Value: "ab"}, {Key: "expireAfterSeconds", Value: 1}}, 67},
		{"sparse and partial", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "a"}, {Key: "sparse", Value: true},
			{Key: "partialFilterExpression", Value: bson.D{{Key: "a", Value: 1}}}}, 67},
		{"partial not a document", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "a"}, {Key: "partialFilterExpression", Value: 1}}, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.run(t, "app", bson.D{{Key: "createIndexes", Value: "kinds"}, {Key: "indexes", Value: bson.A{tc.spec}}})
			if commandCode(err) != tc.code {
				t.Fatalf("createIndexes %v = %v, want code %d", tc.spec, err, tc.code)
			}
		})
	}
}

func TestDriver_HintMinMaxAndSortByIndex(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	coll := e.client.Database("app").Collection("h")
	var docs []any
	for i := int32(0); i < 50; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "a", Value: i % 5}, {Key: "b", Value: i}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	// Sorted by the index backwards, limited.
	cur, err := coll.Find(ctx, bson.D{{Key: "a", Value: 3}}, options.Find().SetSort(bson.D{{Key: "b", Value: -1}}).SetLimit(3))
	if err != nil {
		t.Fatal(err)
	}
	var got []struct{ B int32 }
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].B != 48 || got[1].B != 43 || got[2].B != 38 {
		t.Fatalf("sorted find = %+v", got)
	}
	// A hint naming no index: BadValue with mongod's message.
	_, err = coll.Find(ctx, bson.D{}, options.Find().SetHint("nope"))
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 2 || ce.Message != "hint provided does not correspond to an existing index" {
		t.Fatalf("bad hint = %v", err)
	}
	// min/max with a hint by key pattern.
	cur, err = coll.Find(ctx, bson.D{}, options.Find().SetHint(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}).
		SetMin(bson.D{{Key: "a", Value: 4}, {Key: "b", Value: 40}}).SetMax(bson.D{{Key: "a", Value: 5}, {Key: "b", Value: 0}}))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].B != 44 || got[1].B != 49 {
		t.Fatalf("min/max find = %+v", got)
	}
	if _, err := coll.Find(ctx, bson.D{}, options.Find().SetMin(bson.D{{Key: "a", Value: 1}})); commandCode(err) != 51173 {
		t.Fatalf("min without hint = %v, want 51173", err)
	}
}

func TestDriver_CollModHiddenAndTTL(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	coll := e.client.Database("app").Collection("cm")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "a", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(t, "app", bson.D{{Key: "collMod", Value: "cm"}, {Key: "index", Value: bson.D{{Key: "name", Value: "a_1"}, {Key: "hidden", Value: true}}}})
	if r.Lookup("hidden_old").Boolean() || !r.Lookup("hidden_new").Boolean() {
		t.Fatalf("collMod hide = %v", r)
	}
	if _, err := coll.Find(ctx, bson.D{}, options.Find().SetHint("a_1")); commandCode(err) != 2 {
		t.Fatalf("hint of a hidden index = %v, want BadValue", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "collMod", Value: "cm"}, {Key: "index", Value: bson.D{{Key: "name", Value: "a_1"}, {Key: "expireAfterSeconds", Value: 5}}}}); commandCode(err) != 72 {
		t.Fatalf("TTL change on a non-TTL index = %v, want InvalidOptions 72", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "collMod", Value: "cm"}, {Key: "index", Value: bson.D{{Key: "name", Value: "zz"}, {Key: "hidden", Value: true}}}}); commandCode(err) != 27 {
		t.Fatalf("collMod of a missing index = %v, want IndexNotFound 27", err)
	}
	r = e.mustRun(t, "app", bson.D{{Key: "collMod", Value: "cm"}, {Key: "index", Value: bson.D{{Key: "keyPattern", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "hidden", Value: false}}}})
	if !r.Lookup("hidden_old").Boolean() || r.Lookup("hidden_new").Boolean() {
		t.Fatalf("collMod unhide = %v", r)
	}
	// collStats and dbStats report index sizes.
	st := e.mustRun(t, "app", bson.D{{Key: "collStats", Value: "cm"}})
	if lookupInt(t, st, "indexSizes", "a_1") <= 0 || lookupInt(t, st, "indexSizes", "_id_") <= 0 ||
		lookupInt(t, st, "totalIndexSize") != lookupInt(t, st, "indexSizes", "a_1")+lookupInt(t, st, "indexSizes", "_id_") {
		t.Fatalf("collStats = %v", st)
	}
	if ds := e.mustRun(t, "app", bson.D{{Key: "dbStats", Value: 1}}); lookupInt(t, ds, "indexSize") != lookupInt(t, st, "totalIndexSize") {
		t.Fatalf("dbStats indexSize = %v, want collStats' total %d", ds.Lookup("indexSize"), lookupInt(t, st, "totalIndexSize"))
	}
}

func TestDriver_TTLIndexExpiresDocuments(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	e.mustRun(t, "admin", bson.D{{Key: "setParameter", Value: 1}, {Key: "ttlMonitorSleepSecs", Value: 1}})
	r := e.mustRun(t, "admin", bson.D{{Key: "getParameter", Value: 1}, {Key: "ttlMonitorSleepSecs", Value: 1}})
	if lookupInt(t, r, "ttlMonitorSleepSecs") != 1 {
		t.Fatalf("getParameter = %v", r)
	}
	coll := e.client.Database("app").Collection("ttl")
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetExpireAfterSeconds(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "at", Value: time.Now().Add(-time.Minute)}},
		bson.D{{Key: "_id", Value: 2}, {Key: "at", Value: time.Now().Add(time.Hour)}},
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		n, err := coll.CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d documents after 15 s, want the expired one removed", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ss := e.mustRun(t, "admin", bson.D{{Key: "serverStatus", Value: 1}})
	if lookupInt(t, ss, "metrics", "ttl", "deletedDocuments") != 1 || lookupInt(t, ss, "metrics", "ttl", "passes") < 1 {
		t.Fatalf("metrics.ttl = %v", ss.Lookup("metrics", "ttl"))
	}
	if _, err := e.run(t, "admin", bson.D{{Key: "setParameter", Value: 1}, {Key: "ttlMonitorSleepSecs", Value: 0}}); commandCode(err) != 2 {
		t.Fatalf("ttlMonitorSleepSecs 0 = %v, want BadValue", err)
	}
}

func TestDriver_FindUnknownField(t *testing.T) {
	e := newCrudEnv(t, "")
	_, err := e.run(t, "app", bson.D{{Key: "find", Value: "c"}, {Key: "foo", Value: 1}})
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 40415 || ce.Message != "BSON field 'find.foo' is an unknown field." {
		t.Fatalf("find with an unknown field = %v", err)
	}
	// Generic arguments and every find option the driver sends pass.
	e.mustRun(t, "app", bson.D{{Key: "find", Value: "c"}, {Key: "comment", Value: "x"}, {Key: "maxTimeMS", Value: 1000},
		{Key: "noCursorTimeout", Value: false}, {Key: "allowPartialResults", Value: false}})
}

// TestDriver_IndexSignature: as in mongod 5.0 and later, indexes on one key pattern coexist when they differ in
// uniqueness, sparseness or partial filter (a plain index beside a unique one and a partial unique one), each
// keeping its own rule; an index with the signature of one of another name is IndexOptionsConflict (85), one of the
// same name with other options too, and dropIndexes or collMod by a key pattern several indexes share is
// AmbiguousIndexKeyPattern (265).
func TestDriver_IndexSignature(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	coll := e.client.Database("app").Collection("sig")
	email := bson.D{{Key: "email", Value: 1}}
	live := bson.D{{Key: "deleted", Value: false}}
	for _, m := range []mongo.IndexModel{
		{Keys: email, Options: options.Index().SetName("email_plain")},
		{Keys: email, Options: options.Index().SetName("email_live").SetUnique(true).SetPartialFilterExpression(live)},
		{Keys: email, Options: options.Index().SetName("email_sparse").SetSparse(true)},
	} {
		if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
			t.Fatalf("create %v: %v", m.Keys, err)
		}
	}
	specs, err := coll.Indexes().ListSpecifications(ctx)
	if err != nil || len(specs) != 4 {
		t.Fatalf("ListSpecifications = %v, %v", specs, err)
	}
	// The partial unique index holds only among live documents.
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "email", Value: "a"}, {Key: "deleted", Value: true}},
		bson.D{{Key: "email", Value: "a"}, {Key: "deleted", Value: true}},
		bson.D{{Key: "email", Value: "a"}, {Key: "deleted", Value: false}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "email", Value: "a"}, {Key: "deleted", Value: false}}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("a second live a = %v, want a duplicate key error", err)
	}
	for _, name := range []string{"email_plain", "email_live"} {
		n, err := coll.CountDocuments(ctx, bson.D{{Key: "email", Value: "a"}, {Key: "deleted", Value: false}}, options.Count().SetHint(name))
		if err != nil || n != 1 {
			t.Fatalf("count through %s = %d, %v; want 1", name, n, err)
		}
	}
	if n, err := coll.CountDocuments(ctx, bson.D{{Key: "email", Value: "a"}}, options.Count().SetHint("email_plain")); err != nil || n != 3 {
		t.Fatalf("count of every a = %d, %v; want 3", n, err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: email, Options: options.Index().SetName("again").SetSparse(true)}); commandCode(err) != 85 {
		t.Fatalf("the sparse index again under another name = %v, want IndexOptionsConflict 85", err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: email, Options: options.Index().SetName("email_sparse").SetSparse(true).SetHidden(true)}); commandCode(err) != 85 {
		t.Fatalf("the sparse index again, hidden = %v, want IndexOptionsConflict 85", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "dropIndexes", Value: "sig"}, {Key: "index", Value: email}}); commandCode(err) != 265 {
		t.Fatalf("dropIndexes by a shared key pattern = %v, want AmbiguousIndexKeyPattern 265", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "collMod", Value: "sig"}, {Key: "index", Value: bson.D{{Key: "keyPattern", Value: email}, {Key: "hidden", Value: true}}}}); commandCode(err) != 265 {
		t.Fatalf("collMod by a shared key pattern = %v, want AmbiguousIndexKeyPattern 265", err)
	}
	e.mustRun(t, "app", bson.D{{Key: "dropIndexes", Value: "sig"}, {Key: "index", Value: "email_live"}})
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "email", Value: "a"}, {Key: "deleted", Value: false}}); err != nil {
		t.Fatalf("a second live a once the unique index is gone: %v", err)
	}
}
