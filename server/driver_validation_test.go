package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// writeErrorOf returns the first write error of err (a WriteException or BulkWriteException), failing otherwise.
func writeErrorOf(t *testing.T, err error) mongo.WriteError {
	t.Helper()
	var we mongo.WriteException
	if errors.As(err, &we) && len(we.WriteErrors) > 0 {
		return we.WriteErrors[0]
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 {
		return bwe.WriteErrors[0].WriteError
	}
	t.Fatalf("error %v (%T) has no write error", err, err)
	return mongo.WriteError{}
}

// TestDriver_Validator_RejectsWithErrInfo creates a collection with a $jsonSchema validator through the driver
// and checks that a failing insert, update and findAndModify get DocumentValidationFailure (121) with mongod's
// errInfo, that conforming writes succeed, and that listCollections shows the validator.
func TestDriver_Validator_RejectsWithErrInfo(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("val")
	schema := bson.D{{Key: "$jsonSchema", Value: bson.D{
		{Key: "bsonType", Value: "object"},
		{Key: "required", Value: bson.A{"name"}},
		{Key: "properties", Value: bson.D{{Key: "name", Value: bson.D{{Key: "bsonType", Value: "string"}}}}},
	}}}
	if err := db.CreateCollection(ctx, "people", options.CreateCollection().SetValidator(schema)); err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	coll := db.Collection("people")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "Ann"}}); err != nil {
		t.Fatalf("a conforming insert failed: %v", err)
	}
	_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "name", Value: 42}})
	we := writeErrorOf(t, err)
	if we.Code != 121 {
		t.Fatalf("insert code %d, want 121", we.Code)
	}
	if got := we.Details.Lookup("failingDocumentId").Int32(); got != 2 {
		t.Fatalf("failingDocumentId %d, want 2 (errInfo %s)", got, we.Details)
	}
	details := we.Details.Lookup("details").Document()
	if op := details.Lookup("operatorName").StringValue(); op != "$jsonSchema" {
		t.Fatalf("details.operatorName %q, want $jsonSchema", op)
	}
	rule := details.Lookup("schemaRulesNotSatisfied").Array().Index(0).Document()
	prop := rule.Lookup("propertiesNotSatisfied").Array().Index(0).Document()
	if prop.Lookup("propertyName").StringValue() != "name" {
		t.Fatalf("unexpected rule %s", rule)
	}
	if reason := prop.Lookup("details").Array().Index(0).Document().Lookup("reason").StringValue(); reason != "type did not match" {
		t.Fatalf("reason %q", reason)
	}

	_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "name", Value: ""}}}})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatalf("update code %d, want 121", we.Code)
	}
	// An upsert inserts a document, which is validated too.
	_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 9}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}, options.UpdateOne().SetUpsert(true))
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatalf("upsert code %d, want 121", we.Code)
	}
	res := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: 1}}}})
	var ce mongo.CommandError
	if !errors.As(res.Err(), &ce) || ce.Code != 121 {
		t.Fatalf("findOneAndUpdate error %v, want 121", res.Err())
	}
	var info bson.Raw
	if raw, ok := ce.Raw.Lookup("errInfo").DocumentOK(); ok {
		info = raw
	}
	if info.Lookup("failingDocumentId").Int32() != 1 {
		t.Fatalf("findAndModify errInfo %s", info)
	}
	if n, _ := coll.CountDocuments(ctx, bson.D{}); n != 1 {
		t.Fatalf("%d documents, want only the conforming one", n)
	}
	// The documents the validator refused were not written, and the accepted one is unchanged.
	var doc bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil || doc["name"] != "Ann" {
		t.Fatalf("document after refused updates: %v %v", doc, err)
	}

	specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: "people"}})
	if err != nil || len(specs) != 1 {
		t.Fatalf("ListCollectionSpecifications: %v %v", specs, err)
	}
	opts := specs[0].Options
	if opts.Lookup("validationLevel").StringValue() != "strict" || opts.Lookup("validationAction").StringValue() != "error" {
		t.Fatalf("options %s", opts)
	}
	if _, err := opts.Lookup("validator", "$jsonSchema").DocumentOK(); !err {
		t.Fatalf("options lack the validator: %s", opts)
	}
}

// TestDriver_Validator_Bypass checks bypassDocumentValidation on insert, update and findAndModify.
func TestDriver_Validator_Bypass(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("val")
	if err := db.CreateCollection(ctx, "c", options.CreateCollection().SetValidator(bson.D{{Key: "x", Value: bson.D{{Key: "$type", Value: "string"}}}})); err != nil {
		t.Fatal(err)
	}
	coll := db.Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 1}}); err == nil {
		t.Fatal("a failing insert was accepted without bypass")
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 1}}, options.InsertOne().SetBypassDocumentValidation(true)); err != nil {
		t.Fatalf("insert with bypass: %v", err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 2}}}}, options.UpdateOne().SetBypassDocumentValidation(true)); err != nil {
		t.Fatalf("update with bypass: %v", err)
	}
	if err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 3}}}}, options.FindOneAndUpdate().SetBypassDocumentValidation(true)).Err(); err != nil {
		t.Fatalf("findAndModify with bypass: %v", err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 4}}}}, options.UpdateOne().SetBypassDocumentValidation(false)); err == nil {
		t.Fatal("bypassDocumentValidation: false bypassed")
	}
}

// TestDriver_Validator_ModerateAndWarn checks validationLevel moderate (a document already invalid may be
// updated, a valid one may not become invalid), validationAction warn (the write happens and is logged) and
// level off, all set through collMod.
func TestDriver_Validator_ModerateAndWarn(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("val")
	coll := db.Collection("m")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "age", Value: "old"}}, bson.D{{Key: "_id", Value: 2}, {Key: "age", Value: 30}}}); err != nil {
		t.Fatal(err)
	}
	validator := bson.D{{Key: "age", Value: bson.D{{Key: "$type", Value: "number"}}}}
	if err := db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "m"}, {Key: "validator", Value: validator}, {Key: "validationLevel", Value: "moderate"}}).Err(); err != nil {
		t.Fatalf("collMod: %v", err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "note", Value: "x"}}}}); err != nil {
		t.Fatalf("moderate refused an update of an already invalid document: %v", err)
	}
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "age", Value: "x"}}}})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatalf("moderate: code %d, want 121", we.Code)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}, {Key: "age", Value: "x"}}); err == nil {
		t.Fatal("moderate accepted an invalid insert")
	}

	if err := db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "m"}, {Key: "validationAction", Value: "warn"}}).Err(); err != nil {
		t.Fatalf("collMod: %v", err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 4}, {Key: "age", Value: "x"}}); err != nil {
		t.Fatalf("warn refused the write: %v", err)
	}
	lines, _ := e.srv.events.snapshot()
	found := false
	for _, l := range lines {
		if strings.Contains(l, `"id":20294`) && strings.Contains(l, "val.m") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no 'Document would fail validation' log line in %d lines", len(lines))
	}

	if err := db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "m"}, {Key: "validationAction", Value: "error"}, {Key: "validationLevel", Value: "off"}}).Err(); err != nil {
		t.Fatalf("collMod: %v", err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 5}, {Key: "age", Value: "x"}}); err != nil {
		t.Fatalf("level off refused a write: %v", err)
	}
	var ce mongo.CommandError
	err = db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "m"}, {Key: "validationLevel", Value: "sometimes"}}).Err()
	if !errors.As(err, &ce) || ce.Code != 2 {
		t.Fatalf("bad level: %v, want BadValue", err)
	}
	err = db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "missing"}, {Key: "validator", Value: validator}}).Err()
	if !errors.As(err, &ce) || ce.Code != 26 {
		t.Fatalf("collMod of a missing collection: %v, want 26", err)
	}
}

// TestDriver_Validator_InTransaction checks that validation applies inside a transaction and that the failure
// aborts it.
func TestDriver_Validator_InTransaction(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("val")
	if err := db.CreateCollection(ctx, "t", options.CreateCollection().SetValidator(bson.D{{Key: "x", Value: bson.D{{Key: "$gt", Value: 0}}}})); err != nil {
		t.Fatal(err)
	}
	coll := db.Collection("t")
	sess, err := e.client.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(sc context.Context) (any, error) {
		if _, err := coll.InsertOne(sc, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 1}}); err != nil {
			return nil, err
		}
		return coll.InsertOne(sc, bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: -1}})
	})
	if we := writeErrorOf(t, err); we.Code != 121 {
		t.Fatalf("code %d, want 121", we.Code)
	}
	if n, _ := coll.CountDocuments(ctx, bson.D{}); n != 0 {
		t.Fatalf("%d documents after the aborted transaction, want 0", n)
	}
}

// TestDriver_Validator_BadInput checks that malformed validators are refused by create and collMod with the
// query parser's codes.
func TestDriver_Validator_BadInput(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("val")
	cases := []struct {
		name      string
		validator bson.D
		code      int32
	}{
		{"an unknown $jsonSchema keyword", bson.D{{Key: "$jsonSchema", Value: bson.D{{Key: "foo", Value: 1}}}}, 9},
		{"an unsupported keyword", bson.D{{Key: "$jsonSchema", Value: bson.D{{Key: "$ref", Value: "#"}}}}, 9},
		{"an empty required", bson.D{{Key: "$jsonSchema", Value: bson.D{{Key: "required", Value: bson.A{}}}}}, 9},
		{"an empty anyOf", bson.D{{Key: "$jsonSchema", Value: bson.D{{Key: "anyOf", Value: bson.A{}}}}}, 2},
		{"an unknown operator", bson.D{{Key: "x", Value: bson.D{{Key: "$foo", Value: 1}}}}, 2},
		{"a $where", bson.D{{Key: "$where", Value: "true"}}, 224},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ce mongo.CommandError
			err := db.CreateCollection(ctx, "bad", options.CreateCollection().SetValidator(c.validator))
			if !errors.As(err, &ce) || ce.Code != c.code {
				t.Fatalf("create: %v, want code %d", err, c.code)
			}
			if names, _ := db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: "bad"}}); len(names) != 0 {
				t.Fatal("a refused create created the collection")
			}
		})
	}
}

// TestDriver_View_ReadOnly creates a view (and a view on it) through the driver: reads go through its pipeline,
// writes are CommandNotSupportedOnView (166), listCollections shows it, and a cycle is refused.
func TestDriver_View_ReadOnly(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("views")
	src := db.Collection("src")
	if _, err := src.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 1}, {Key: "tags", Value: bson.A{"a", "b"}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 2}, {Key: "tags", Value: bson.A{"b"}}},
		bson.D{{Key: "_id", Value: 3}, {Key: "x", Value: 3}, {Key: "tags", Value: bson.A{"c"}}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateView(ctx, "big", "src", bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "x", Value: bson.D{{Key: "$gt", Value: 1}}}}}}}); err != nil {
		t.Fatalf("CreateView: %v", err)
	}
	if err := db.CreateView(ctx, "bigger", "big", bson.A{bson.D{{Key: "$addFields", Value: bson.D{{Key: "y", Value: bson.D{{Key: "$multiply", Value: bson.A{"$x", 10}}}}}}}}); err != nil {
		t.Fatalf("CreateView on a view: %v", err)
	}
	view := db.Collection("bigger")
	cur, err := view.Find(ctx, bson.D{{Key: "y", Value: bson.D{{Key: "$gte", Value: 30}}}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatalf("find on a view: %v", err)
	}
	var docs []bson.M
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0]["_id"] != int32(3) || docs[0]["y"] != int32(30) {
		t.Fatalf("find on the view returned %v", docs)
	}
	if n, err := view.CountDocuments(ctx, bson.D{}); err != nil || n != 2 {
		t.Fatalf("countDocuments on the view: %d %v", n, err)
	}
	if n, err := view.EstimatedDocumentCount(ctx); err != nil || n != 2 {
		t.Fatalf("estimatedDocumentCount on the view: %d %v", n, err)
	}
	var tags []string
	if err := view.Distinct(ctx, "tags", bson.D{}).Decode(&tags); err != nil || strings.Join(tags, ",") != "b,c" {
		t.Fatalf("distinct on the view: %v %v", tags, err)
	}
	acur, err := view.Aggregate(ctx, bson.A{bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "s", Value: bson.D{{Key: "$sum", Value: "$y"}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var sums []bson.M
	if err := acur.All(ctx, &sums); err != nil || len(sums) != 1 || sums[0]["s"] != int32(50) {
		t.Fatalf("aggregate on the view: %v %v", sums, err)
	}
	// $lookup and $unionWith from another collection read the view through its pipelines.
	if _, err := db.Collection("orders").InsertOne(ctx, bson.D{{Key: "_id", Value: "o"}, {Key: "x", Value: 3}}); err != nil {
		t.Fatal(err)
	}
	lcur, err := db.Collection("orders").Aggregate(ctx, bson.A{
		bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "bigger"}, {Key: "localField", Value: "x"},
			{Key: "foreignField", Value: "x"}, {Key: "as", Value: "v"}}}},
		bson.D{{Key: "$unionWith", Value: bson.D{{Key: "coll", Value: "bigger"}, {Key: "pipeline", Value: bson.A{
			bson.D{{Key: "$project", Value: bson.D{{Key: "y", Value: 1}}}}}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var joined []bson.M
	if err := lcur.All(ctx, &joined); err != nil {
		t.Fatal(err)
	}
	if len(joined) != 3 || fmt.Sprint(joined[0]["v"]) != `[{"_id":{"$numberInt":"3"},"x":{"$numberInt":"3"},"tags":["c"],"y":{"$numberInt":"30"}}]` ||
		joined[1]["y"] != int32(20) || joined[2]["y"] != int32(30) {
		t.Fatalf("$lookup and $unionWith of the view returned %v", joined)
	}
	if err := db.Collection("orders").Drop(ctx); err != nil {
		t.Fatal(err)
	}

	var ce mongo.CommandError
	writes := map[string]func() error{
		"insert": func() error { _, err := view.InsertOne(ctx, bson.D{{Key: "x", Value: 9}}); return err },
		"update": func() error {
			_, err := view.UpdateOne(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 9}}}})
			return err
		},
		"delete":        func() error { _, err := view.DeleteMany(ctx, bson.D{}); return err },
		"findAndModify": func() error { return view.FindOneAndDelete(ctx, bson.D{}).Err() },
		"createIndexes": func() error {
			_, err := view.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "x", Value: 1}}})
			return err
		},
	}
	for name, w := range writes {
		err := w()
		var se mongo.ServerError
		if !errors.As(err, &se) || !se.HasErrorCode(166) {
			t.Fatalf("%s on a view: %v, want CommandNotSupportedOnView", name, err)
		}
	}
	if n, _ := src.CountDocuments(ctx, bson.D{}); n != 3 {
		t.Fatalf("the source has %d documents after refused writes", n)
	}

	specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "type", Value: "view"}})
	if err != nil || len(specs) != 2 || specs[0].Name != "big" || specs[0].Options.Lookup("viewOn").StringValue() != "src" || !specs[0].ReadOnly {
		t.Fatalf("listCollections of views: %+v %v", specs, err)
	}

	err = db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "big"}, {Key: "viewOn", Value: "bigger"}, {Key: "pipeline", Value: bson.A{}}}).Err()
	if !errors.As(err, &ce) || ce.Code != 93 {
		t.Fatalf("a view cycle: %v, want GraphContainsCycle", err)
	}
	err = db.CreateView(ctx, "bad", "src", bson.A{bson.D{{Key: "$out", Value: "x"}}})
	if !errors.As(err, &ce) || ce.Code != 167 {
		t.Fatalf("$out in a view: %v, want 167", err)
	}
	if err := view.Drop(ctx); err != nil {
		t.Fatalf("drop view: %v", err)
	}
	if names, _ := db.ListCollectionNames(ctx, bson.D{}); strings.Join(names, ",") != "big,src" {
		t.Fatalf("collections after dropping the view: %v", names)
	}
}

// TestDriver_Validator_AggregateOut checks that $out and $merge into a validated collection are validated, and
// that bypassDocumentValidation lets them through.
func TestDriver_Validator_AggregateOut(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("val")
	if _, err := db.Collection("src").InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: "a"}}, bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 2}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(ctx, "dst", options.CreateCollection().SetValidator(bson.D{{Key: "x", Value: bson.D{{Key: "$type", Value: "string"}}}})); err != nil {
		t.Fatal(err)
	}
	dst := db.Collection("dst")
	for _, stage := range []bson.D{{{Key: "$out", Value: "dst"}}, {{Key: "$merge", Value: bson.D{{Key: "into", Value: "dst"}}}}} {
		name := stage[0].Key
		_, err := db.Collection("src").Aggregate(ctx, bson.A{stage})
		var se mongo.ServerError
		if !errors.As(err, &se) || !se.HasErrorCode(121) {
			t.Fatalf("%s of a document the validator refuses: %v, want 121", name, err)
		}
		// $out replaces the target atomically; $merge, like mongod's, keeps what it wrote before the failure.
		if n, _ := dst.CountDocuments(ctx, bson.D{{Key: "_id", Value: 2}}); n != 0 {
			t.Fatalf("%s wrote the document the validator refuses", name)
		}
		if n, _ := dst.CountDocuments(ctx, bson.D{}); name == "$out" && n != 0 {
			t.Fatalf("$out left %d documents after failing", n)
		}
	}
	if _, err := db.Collection("src").Aggregate(ctx, bson.A{bson.D{{Key: "$out", Value: "dst"}}}, options.Aggregate().SetBypassDocumentValidation(true)); err != nil {
		t.Fatalf("$out with bypass: %v", err)
	}
	if n, _ := dst.CountDocuments(ctx, bson.D{}); n != 2 {
		t.Fatalf("$out with bypass wrote %d documents, want 2", n)
	}
	specs, _ := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: "dst"}})
	if len(specs) != 1 || specs[0].Options.Lookup("validator").Type == 0 {
		t.Fatalf("$out dropped the target's validator: %+v", specs)
	}
}
