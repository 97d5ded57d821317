package server

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// collationNames fills app.<name> with case and accent variants of "cafe".
func collationNames(t *testing.T, e *crudEnv, name string) *mongo.Collection {
	t.Helper()
	coll := e.client.Database("app").Collection(name)
	if _, err := coll.InsertMany(context.Background(), []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "cafe"}, {Key: "k", Value: 1}},
		bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: "Café"}, {Key: "k", Value: 2}},
		bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: "CAFE"}, {Key: "k", Value: 3}},
		bson.D{{Key: "_id", Value: 4}, {Key: "n", Value: "apple"}, {Key: "k", Value: 4}},
		bson.D{{Key: "_id", Value: 5}, {Key: "n", Value: "Banana"}, {Key: "k", Value: 5}},
	}); err != nil {
		t.Fatal(err)
	}
	return coll
}

func TestDriver_CollationUpdateDeleteFindAndModify(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	s2 := &options.Collation{Locale: "en", Strength: 2}
	s1 := &options.Collation{Locale: "en", Strength: 1}

	coll := collationNames(t, e, "upd")
	// Without a collation "CAFE" matches only itself; at strength 2 it matches cafe and CAFE.
	res, err := coll.UpdateMany(ctx, bson.D{{Key: "n", Value: "CAFE"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "hit", Value: true}}}})
	if err != nil || res.MatchedCount != 1 {
		t.Fatalf("binary updateMany matched %v, %v; want 1", res, err)
	}
	res, err = coll.UpdateMany(ctx, bson.D{{Key: "n", Value: "CAFE"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "s2", Value: true}}}},
		options.UpdateMany().SetCollation(s2))
	if err != nil || res.MatchedCount != 2 {
		t.Fatalf("strength 2 updateMany matched %+v, %v; want 2", res, err)
	}
	if n, _ := coll.CountDocuments(ctx, bson.D{{Key: "s2", Value: true}}); n != 2 {
		t.Fatalf("documents updated at strength 2 = %d, want 2", n)
	}
	// updateOne with a sort under the collation: English order puts "cafe" (1) before "Café" (2) before "CAFE"
	// (3) at strength 3, and all three are equal at strength 1.
	r1, err := coll.UpdateOne(ctx, bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: "b"}}}}, bson.D{{Key: "$set", Value: bson.D{{Key: "first", Value: true}}}},
		options.UpdateOne().SetCollation(&options.Collation{Locale: "en"}).SetSort(bson.D{{Key: "n", Value: 1}}))
	if err != nil || r1.MatchedCount != 1 {
		t.Fatalf("updateOne with sort: %+v, %v", r1, err)
	}
	var first bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "first", Value: true}}).Decode(&first); err != nil || first["_id"] != int32(5) {
		t.Fatalf("updateOne sorted by English order updated %v, %v; want _id 5 (Banana)", first, err)
	}
	rr, err := coll.ReplaceOne(ctx, bson.D{{Key: "n", Value: "APPLE"}}, bson.D{{Key: "n", Value: "apple"}, {Key: "replaced", Value: true}},
		options.Replace().SetCollation(s2))
	if err != nil || rr.MatchedCount != 1 {
		t.Fatalf("replaceOne at strength 2: %+v, %v", rr, err)
	}

	// findAndModify: filter and sort under the collation.
	var got bson.M
	err = coll.FindOneAndUpdate(ctx, bson.D{{Key: "n", Value: "cafe"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "k", Value: 10}}}},
		options.FindOneAndUpdate().SetCollation(s1).SetSort(bson.D{{Key: "k", Value: -1}}).SetReturnDocument(options.After)).Decode(&got)
	if err != nil || got["_id"] != int32(3) || got["k"] != int32(13) {
		t.Fatalf("findOneAndUpdate at strength 1 = %v, %v; want _id 3 with k 13", got, err)
	}
	if err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "n", Value: "CAFÉ"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}).Decode(&got); err != mongo.ErrNoDocuments {
		t.Fatalf("findOneAndUpdate without a collation: %v, want no document", err)
	}
	err = coll.FindOneAndDelete(ctx, bson.D{{Key: "n", Value: "CAFÉ"}}, options.FindOneAndDelete().SetCollation(s2)).Decode(&got)
	if err != nil || got["_id"] != int32(2) {
		t.Fatalf("findOneAndDelete at strength 2 = %v, %v; want _id 2", got, err)
	}

	// delete: strength 1 equates "CAFE" with "cafe" (the accented one is gone).
	dr, err := coll.DeleteMany(ctx, bson.D{{Key: "n", Value: "CAFE"}}, options.DeleteMany().SetCollation(s1))
	if err != nil || dr.DeletedCount != 2 {
		t.Fatalf("deleteMany at strength 1 deleted %+v, %v; want 2", dr, err)
	}
	dr, err = coll.DeleteOne(ctx, bson.D{{Key: "n", Value: "BANANA"}})
	if err != nil || dr.DeletedCount != 0 {
		t.Fatalf("binary deleteOne deleted %+v, %v; want 0", dr, err)
	}
	dr, err = coll.DeleteOne(ctx, bson.D{{Key: "n", Value: "BANANA"}}, options.DeleteOne().SetCollation(s2))
	if err != nil || dr.DeletedCount != 1 {
		t.Fatalf("strength 2 deleteOne deleted %+v, %v; want 1", dr, err)
	}

	// Bulk writes carry each statement's collation.
	bulk := collationNames(t, e, "bulk")
	br, err := bulk.BulkWrite(ctx, []mongo.WriteModel{
		mongo.NewUpdateManyModel().SetFilter(bson.D{{Key: "n", Value: "CAFE"}}).SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "b", Value: 1}}}}).SetCollation(s1),
		mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "n", Value: "APPLE"}}).SetCollation(s2),
		mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "n", Value: "BANANA"}}),
	})
	if err != nil || br.MatchedCount != 3 || br.DeletedCount != 1 {
		t.Fatalf("bulk write = %+v, %v; want 3 matched, 1 deleted", br, err)
	}

	// An invalid collation in a statement fails with mongod's code.
	_, err = bulk.UpdateOne(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "y", Value: 1}}}}, options.UpdateOne().SetCollation(&options.Collation{Locale: "en", Strength: 9}))
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(2) {
		t.Fatalf("strength 9: %v, want BadValue (2)", err)
	}
}

func TestDriver_CollationAggregate(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	coll := collationNames(t, e, "agg")
	s2 := &options.Collation{Locale: "en", Strength: 2}
	run := func(pipeline bson.A, c *options.Collation) []bson.M {
		t.Helper()
		o := options.Aggregate()
		if c != nil {
			o.SetCollation(c)
		}
		cur, err := coll.Aggregate(ctx, pipeline, o)
		if err != nil {
			t.Fatal(err)
		}
		var out []bson.M
		if err := cur.All(ctx, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// $group at strength 2: "cafe" and "CAFE" are one group keyed by the first value seen; "Café" differs by its accent.
	group := bson.A{
		bson.D{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$n"}, {Key: "c", Value: bson.D{{Key: "$sum", Value: 1}}},
			{Key: "set", Value: bson.D{{Key: "$addToSet", Value: bson.D{{Key: "$toLower", Value: "$n"}}}}}}}},
		bson.D{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}},
	}
	out := run(group, s2)
	if len(out) != 4 || out[2]["_id"] != "cafe" || out[2]["c"] != int32(2) {
		t.Fatalf("$group at strength 2 = %v; want 4 groups, cafe counting 2", out)
	}
	if out := run(group, nil); len(out) != 5 {
		t.Fatalf("binary $group = %v, want 5 groups", out)
	}
	// A later $match, $expr and $in compare under the collation.
	out = run(bson.A{
		bson.D{{Key: "$project", Value: bson.D{{Key: "n", Value: 1}}}},
		bson.D{{Key: "$match", Value: bson.D{{Key: "n", Value: bson.D{{Key: "$in", Value: bson.A{"CAFE", "BANANA"}}}}}}},
		bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$ne", Value: bson.A{"$n", "Cafe"}}}}}}},
	}, s2)
	if len(out) != 1 || out[0]["_id"] != int32(5) {
		t.Fatalf("later $match and $expr at strength 2 = %v; want only Banana", out)
	}
	// $lookup's equality uses the pipeline's collation.
	other := e.client.Database("app").Collection("agg_other")
	if _, err := other.InsertOne(ctx, bson.D{{Key: "name", Value: "BANANA"}}); err != nil {
		t.Fatal(err)
	}
	out = run(bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: 5}}}},
		bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "agg_other"}, {Key: "localField", Value: "n"}, {Key: "foreignField", Value: "name"}, {Key: "as", Value: "j"}}}},
	}, s2)
	if len(out) != 1 || len(out[0]["j"].(bson.A)) != 1 {
		t.Fatalf("$lookup at strength 2 = %v; want one joined document", out)
	}
}

// TestDriver_CollationPipelineUpdate checks that a pipeline-style update's expressions compare strings under
// the statement's collation, in update and in findAndModify.
func TestDriver_CollationPipelineUpdate(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := collationNames(t, e, "pipeupdate")
	strength2 := &options.Collation{Locale: "en", Strength: 2}
	same := bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "same", Value: bson.D{{Key: "$eq", Value: bson.A{"$n", "CAFE"}}}}}}}}
	if _, err := coll.UpdateMany(ctx, bson.D{}, same, options.UpdateMany().SetCollation(strength2)); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Same bool }
	if err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 2}}, same,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc); err != nil || doc.Same {
		t.Fatalf("binary findAndModify: same = %v (%v), want false for Café", doc.Same, err)
	}
	cur, err := coll.Find(ctx, bson.D{{Key: "same", Value: true}}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID int `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	// Strength 2 equates case (cafe, CAFE), not accents (Café); _id 2 was then recomputed by bytes.
	if len(docs) != 2 || docs[0].ID != 1 || docs[1].ID != 3 {
		t.Fatalf("documents equal to CAFE at strength 2: %v, want _id 1 and 3", docs)
	}
	if err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, same,
		options.FindOneAndUpdate().SetReturnDocument(options.After).SetCollation(&options.Collation{Locale: "en", Strength: 1})).Decode(&doc); err != nil || !doc.Same {
		t.Fatalf("findAndModify at strength 1: same = %v (%v), want true", doc.Same, err)
	}
}
