package server

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestDriver_CollationFindCountDistinct(t *testing.T) {
	ctx := context.Background()
	e := newCrudEnv(t, "")
	coll := e.client.Database("app").Collection("names")
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "cafe"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: "Café"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: "CAFE"}},
		bson.D{{Key: "_id", Value: 4}, {Key: "n", Value: "apple"}},
		bson.D{{Key: "_id", Value: 5}, {Key: "n", Value: "Banana"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "n", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	ids := func(cur *mongo.Cursor, err error) []int32 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var docs []struct {
			ID int32 `bson:"_id"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		out := make([]int32, len(docs))
		for i, d := range docs {
			out[i] = d.ID
		}
		return out
	}
	en := &options.Collation{Locale: "en"}
	// Binary order puts upper case first; English puts "apple" < "Banana" < "cafe"...
	got := ids(coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "n", Value: 1}, {Key: "_id", Value: 1}})))
	if want := []int32{5, 3, 2, 4, 1}; !equalIDs(got, want) {
		t.Fatalf("binary sort = %v, want %v", got, want)
	}
	got = ids(coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "n", Value: 1}}).SetCollation(en)))
	if want := []int32{4, 5, 1, 3, 2}; !equalIDs(got, want) {
		t.Fatalf("English sort = %v, want %v", got, want)
	}
	// Strength 2 equates case, not accents; strength 1 both.
	s2 := &options.Collation{Locale: "en", Strength: 2}
	got = ids(coll.Find(ctx, bson.D{{Key: "n", Value: "cafe"}}, options.Find().SetCollation(s2).SetSort(bson.D{{Key: "_id", Value: 1}})))
	if want := []int32{1, 3}; !equalIDs(got, want) {
		t.Fatalf("strength 2 equality = %v, want %v", got, want)
	}
	n, err := coll.CountDocuments(ctx, bson.D{{Key: "n", Value: bson.D{{Key: "$in", Value: bson.A{"CAFE"}}}}}, options.Count().SetCollation(&options.Collation{Locale: "fr", Strength: 1}))
	if err != nil || n != 3 {
		t.Fatalf("strength 1 $in count = %d, %v; want 3", n, err)
	}
	res := coll.Distinct(ctx, "n", bson.D{}, options.Distinct().SetCollation(s2))
	var vals []string
	if err := res.Decode(&vals); err != nil {
		t.Fatal(err)
	}
	if len(vals) != 4 {
		t.Fatalf("distinct under strength 2 = %v, want 4 values (cafe and CAFE one)", vals)
	}
	// Range under a collation: "b" <= n < "c" in English takes "Banana" only.
	got = ids(coll.Find(ctx, bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: "b"}, {Key: "$lt", Value: "c"}}}}, options.Find().SetCollation(en)))
	if want := []int32{5}; !equalIDs(got, want) {
		t.Fatalf("English range = %v, want %v", got, want)
	}
	// Invalid collations: mongod's codes.
	for _, tc := range []struct {
		coll bson.D
		code int32
	}{
		{bson.D{{Key: "locale", Value: "xx"}}, 2},
		{bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 9}}, 2},
		{bson.D{{Key: "strength", Value: 1}}, 40414},
		{bson.D{{Key: "locale", Value: "en"}, {Key: "bogus", Value: 1}}, 40415},
	} {
		_, err := e.run(t, "app", bson.D{{Key: "find", Value: "names"}, {Key: "collation", Value: tc.coll}})
		if commandCode(err) != tc.code {
			t.Fatalf("collation %v = %v, want %d", tc.coll, err, tc.code)
		}
	}
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
