package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// normalizedEnStrength2 is mongod's normalized form of {locale: "en", strength: 2}.
var normalizedEnStrength2 = bson.D{
	{Key: "locale", Value: "en"}, {Key: "caseLevel", Value: false}, {Key: "caseFirst", Value: "off"},
	{Key: "strength", Value: int32(2)}, {Key: "numericOrdering", Value: false}, {Key: "alternate", Value: "non-ignorable"},
	{Key: "maxVariable", Value: "punct"}, {Key: "normalization", Value: false}, {Key: "backwards", Value: false},
	{Key: "version", Value: "57.1"},
}

// sameDoc reports whether raw holds exactly want.
func sameDoc(t *testing.T, raw bson.Raw, want bson.D) bool {
	t.Helper()
	w, err := bson.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw) == string(w)
}

// countIn counts the documents of coll matching filter under the optional collation.
func countIn(t *testing.T, coll *mongo.Collection, filter bson.D, c *options.Collation) int64 {
	t.Helper()
	o := options.Count()
	if c != nil {
		o.SetCollation(c)
	}
	n, err := coll.CountDocuments(context.Background(), filter, o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDriver_CollationCollectionDefault(t *testing.T) {
	ctx := context.Background()
	client, _ := serveDir(t, t.TempDir())
	db := client.Database("app")
	if err := db.CreateCollection(ctx, "names", options.CreateCollection().SetCollation(&options.Collation{Locale: "en", Strength: 2})); err != nil {
		t.Fatal(err)
	}
	specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: "names"}})
	if err != nil || len(specs) != 1 {
		t.Fatalf("listCollections: %v %v", specs, err)
	}
	if c := specs[0].Options.Lookup("collation"); c.Type != bson.TypeEmbeddedDocument || !sameDoc(t, c.Document(), normalizedEnStrength2) {
		t.Fatalf("listCollections options %v: want the normalized collation", specs[0].Options)
	}
	coll := db.Collection("names")
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "cafe"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: "CAFE"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: "Café"}},
	}); err != nil {
		t.Fatal(err)
	}
	// Operations without a collation inherit the default; {locale: "simple"} overrides it.
	if n := countIn(t, coll, bson.D{{Key: "n", Value: "Cafe"}}, nil); n != 2 {
		t.Fatalf("count under the default collation = %d, want 2", n)
	}
	if n := countIn(t, coll, bson.D{{Key: "n", Value: "cafe"}}, &options.Collation{Locale: "simple"}); n != 1 {
		t.Fatalf("count under the simple collation = %d, want 1", n)
	}
	res, err := coll.UpdateMany(ctx, bson.D{{Key: "n", Value: "CAFE"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "u", Value: 1}}}})
	if err != nil || res.MatchedCount != 2 {
		t.Fatalf("updateMany under the default collation: %+v %v, want 2 matched", res, err)
	}
	cur, err := coll.Aggregate(ctx, bson.A{bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$n"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var groups []bson.M
	if err := cur.All(ctx, &groups); err != nil || len(groups) != 2 {
		t.Fatalf("$group under the default collation = %v %v, want 2 groups", groups, err)
	}
	// An index created without a collation inherits the default, and so reports it; the _id index too.
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "n", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "k", Value: 1}}, Options: options.Index().SetCollation(&options.Collation{Locale: "simple"})}); err != nil {
		t.Fatal(err)
	}
	ixs := listIndexes(t, coll)
	if len(ixs) != 3 || !sameDoc(t, ixs[0].Lookup("collation").Document(), normalizedEnStrength2) ||
		!sameDoc(t, ixs[1].Lookup("collation").Document(), normalizedEnStrength2) {
		t.Fatalf("listIndexes %v: want the default collation on _id_ and n_1", ixs)
	}
	if _, err := ixs[2].LookupErr("collation"); err == nil {
		t.Fatalf("k_1 was created with the simple collation but lists %v", ixs[2])
	}

	// A view on the collection does not inherit its collation; one with its own uses it and refuses another.
	if err := db.CreateView(ctx, "plain", "names", bson.A{}); err != nil {
		t.Fatal(err)
	}
	if n := countIn(t, db.Collection("plain"), bson.D{{Key: "n", Value: "cafe"}}, nil); n != 1 {
		t.Fatalf("count on a view without a collation = %d, want 1 (simple)", n)
	}
	if err := db.CreateView(ctx, "folded", "names", bson.A{}, options.CreateView().SetCollation(&options.Collation{Locale: "fr", Strength: 1})); err != nil {
		t.Fatal(err)
	}
	if n := countIn(t, db.Collection("folded"), bson.D{{Key: "n", Value: "cafe"}}, nil); n != 3 {
		t.Fatalf("count on a strength 1 view = %d, want 3", n)
	}
	_, err = db.Collection("folded").CountDocuments(ctx, bson.D{}, options.Count().SetCollation(&options.Collation{Locale: "en"}))
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(167) {
		t.Fatalf("overriding a view's collation: %v, want OptionNotSupportedOnView (167)", err)
	}
}

// listIndexes returns the listIndexes entries of coll.
func listIndexes(t *testing.T, coll *mongo.Collection) []bson.Raw {
	t.Helper()
	cur, err := coll.Indexes().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []bson.Raw
	for cur.Next(context.Background()) {
		out = append(out, append(bson.Raw(nil), cur.Current...))
	}
	return out
}

func TestDriver_CollationUniqueIndexAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	client, stop := serveDir(t, dir)
	coll := client.Database("app").Collection("users")
	s2 := &options.Collation{Locale: "en", Strength: 2}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "email", Value: 1}},
		Options: options.Index().SetUnique(true).SetCollation(s2)}); err != nil {
		t.Fatal(err)
	}
	insert := func(c *mongo.Collection, email string) error {
		_, err := c.InsertOne(ctx, bson.D{{Key: "email", Value: email}})
		return err
	}
	wantDup := func(err error) {
		t.Helper()
		var we mongo.WriteException
		if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 11000 {
			t.Fatalf("insert of a case variant: %v, want DuplicateKey", err)
		}
		msg := we.WriteErrors[0].Message
		if !strings.Contains(msg, `index: email_1 collation: { locale: "en", caseLevel: false, caseFirst: "off", strength: 2`) ||
			!strings.Contains(msg, `dup key: { email: "0x`) {
			t.Fatalf("DuplicateKey message %q is not mongod's for a collated index", msg)
		}
	}
	if err := insert(coll, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	wantDup(insert(coll, "ANN@example.com"))
	if err := insert(coll, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	stop()

	client, _ = serveDir(t, dir)
	coll = client.Database("app").Collection("users")
	wantDup(insert(coll, "Ann@Example.com"))
	ixs := listIndexes(t, coll)
	if len(ixs) != 2 || !sameDoc(t, ixs[1].Lookup("collation").Document(), normalizedEnStrength2) {
		t.Fatalf("listIndexes after a restart: %v", ixs)
	}
	if n := countIn(t, coll, bson.D{{Key: "email", Value: "BOB@EXAMPLE.COM"}}, s2); n != 1 {
		t.Fatalf("count through the collated index = %d, want 1", n)
	}
}
