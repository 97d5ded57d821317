package concord_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Open with an empty directory gives an in-memory database; pass a
// directory to keep the data.
func ExampleOpen() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	if _, err := db.Database("shop").Collection("items").InsertOne(ctx, bson.D{{Key: "name", Value: "pen"}}); err != nil {
		log.Fatal(err)
	}
	names, err := db.ListDatabaseNames(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(names)
	// Output: [shop]
}

// A round trip through the four basic operations.
func ExampleCollection() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	users := db.Database("app").Collection("users")

	type user struct {
		ID    string `bson:"_id"`
		Name  string `bson:"name"`
		Karma int    `bson:"karma"`
	}

	if _, err := users.InsertOne(ctx, user{ID: "u1", Name: "Ada", Karma: 10}); err != nil {
		log.Fatal(err)
	}

	var u user
	if err := users.FindOne(ctx, bson.D{{Key: "_id", Value: "u1"}}).Decode(&u); err != nil {
		log.Fatal(err)
	}
	fmt.Println("found:", u.Name, u.Karma)

	res, err := users.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: "u1"}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "karma", Value: 5}}}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("matched:", res.MatchedCount, "modified:", res.ModifiedCount)

	if err := users.FindOne(ctx, bson.D{{Key: "_id", Value: "u1"}}).Decode(&u); err != nil {
		log.Fatal(err)
	}
	fmt.Println("karma now:", u.Karma)

	del, err := users.DeleteOne(ctx, bson.D{{Key: "_id", Value: "u1"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted:", del.DeletedCount)

	err = users.FindOne(ctx, bson.D{{Key: "_id", Value: "u1"}}).Err()
	fmt.Println(errors.Is(err, concord.ErrNoDocuments))
	// Output:
	// found: Ada 10
	// matched: 1 modified: 1
	// karma now: 15
	// deleted: 1
	// true
}

// WithTransaction moves money between two accounts atomically; it reruns
// the callback if another transaction writes the same accounts first.
func ExampleDB_WithTransaction() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	accounts := db.Database("bank").Collection("accounts")
	if _, err := accounts.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: "alice"}, {Key: "balance", Value: 100}},
		bson.D{{Key: "_id", Value: "bob"}, {Key: "balance", Value: 0}},
	}); err != nil {
		log.Fatal(err)
	}

	transfer := func(ctx context.Context) (any, error) {
		// Every operation uses the callback's ctx: it carries the session.
		from, err := accounts.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "alice"}, {Key: "balance", Value: bson.D{{Key: "$gte", Value: 30}}}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: -30}}}})
		if err != nil {
			return nil, err
		}
		if from.ModifiedCount == 0 {
			return nil, errors.New("insufficient funds")
		}
		return accounts.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "bob"}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: 30}}}})
	}
	if _, err := db.WithTransaction(ctx, transfer); err != nil {
		log.Fatal(err)
	}

	cur, err := accounts.Find(ctx, nil, &concord.FindOptions{Sort: bson.D{{Key: "_id", Value: 1}}})
	if err != nil {
		log.Fatal(err)
	}
	for cur.Next(ctx) {
		fmt.Println(cur.Current.Lookup("_id").StringValue(), cur.Current.Lookup("balance").Int32())
	}
	// Output:
	// alice 70
	// bob 30
}

// A session gives manual control of a transaction.
func ExampleSession_CommitTransaction() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	coll := db.Database("app").Collection("events")

	s, err := db.StartSession()
	if err != nil {
		log.Fatal(err)
	}
	defer s.EndSession(ctx)
	if err := s.StartTransaction(); err != nil {
		log.Fatal(err)
	}
	sctx := concord.NewSessionContext(ctx, s)
	if _, err := coll.InsertOne(sctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		log.Fatal(err)
	}
	before, _ := coll.CountDocuments(ctx, nil) // outside the transaction
	if err := s.CommitTransaction(ctx); err != nil {
		log.Fatal(err)
	}
	after, _ := coll.CountDocuments(ctx, nil)
	fmt.Println(before, after)
	// Output: 0 1
}

// Outside a transaction an update re-checks its filter against the latest
// version of the document, so a version field makes it a compare-and-set:
// the second writer, still holding version 1, updates nothing.
func ExampleCollection_UpdateOne_compareAndSet() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	docs := db.Database("app").Collection("docs")
	if _, err := docs.InsertOne(ctx, bson.D{{Key: "_id", Value: "d1"}, {Key: "version", Value: 1}, {Key: "text", Value: "v1"}}); err != nil {
		log.Fatal(err)
	}
	save := func(text string, readVersion int) int64 {
		res, err := docs.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: "d1"}, {Key: "version", Value: readVersion}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "text", Value: text}, {Key: "version", Value: readVersion + 1}}}})
		if err != nil {
			log.Fatal(err)
		}
		return res.ModifiedCount
	}
	fmt.Println("first writer:", save("alice's edit", 1))
	fmt.Println("second writer:", save("bob's edit", 1))
	// Output:
	// first writer: 1
	// second writer: 0
}

// A duplicate _id or unique key is a *concord.Error with code 11000 and the
// offending key.
func ExampleIsDuplicateKey() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	users := db.Database("app").Collection("users")
	if _, err := users.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "email", Value: 1}}, Unique: true}); err != nil {
		log.Fatal(err)
	}
	if _, err := users.InsertOne(ctx, bson.D{{Key: "email", Value: "ada@example.com"}}); err != nil {
		log.Fatal(err)
	}
	_, err = users.InsertOne(ctx, bson.D{{Key: "email", Value: "ada@example.com"}})
	var e *concord.Error
	if concord.IsDuplicateKey(err) && errors.As(err, &e) {
		fmt.Println(e.Code, e.CodeName(), e.KeyValue[0].Key, e.KeyValue[0].Value)
	}
	// Output: 11000 DuplicateKey email ada@example.com
}

// Find with a filter, sort, limit and projection, decoding every result.
func ExampleCollection_Find() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	scores := db.Database("game").Collection("scores")
	if _, err := scores.InsertMany(ctx, []any{
		bson.D{{Key: "player", Value: "ann"}, {Key: "points", Value: 40}},
		bson.D{{Key: "player", Value: "bob"}, {Key: "points", Value: 75}},
		bson.D{{Key: "player", Value: "cid"}, {Key: "points", Value: 60}},
	}); err != nil {
		log.Fatal(err)
	}
	cur, err := scores.Find(ctx,
		bson.D{{Key: "points", Value: bson.D{{Key: "$gte", Value: 50}}}},
		&concord.FindOptions{
			Sort:       bson.D{{Key: "points", Value: -1}},
			Limit:      10,
			Projection: bson.D{{Key: "_id", Value: 0}},
		})
	if err != nil {
		log.Fatal(err)
	}
	var top []struct {
		Player string
		Points int
	}
	if err := cur.All(ctx, &top); err != nil {
		log.Fatal(err)
	}
	fmt.Println(top)
	// Output: [{bob 75} {cid 60}]
}

// Aggregate accepts a pipeline as bson.A, []bson.D or a BSON array. With
// AllowDiskUse false, a $sort or $group that outgrows its 100 MiB fails
// (code 292) instead of spilling to temporary files.
func ExampleCollection_Aggregate() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	orders := db.Database("shop").Collection("orders")
	if _, err := orders.InsertMany(ctx, []any{
		bson.D{{Key: "customer", Value: "ann"}, {Key: "total", Value: 10}},
		bson.D{{Key: "customer", Value: "bob"}, {Key: "total", Value: 5}},
		bson.D{{Key: "customer", Value: "ann"}, {Key: "total", Value: 7}},
	}); err != nil {
		log.Fatal(err)
	}
	cur, err := orders.Aggregate(ctx, bson.A{
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$customer"}, {Key: "sum", Value: bson.D{{Key: "$sum", Value: "$total"}}}}}},
		bson.D{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}},
	}, &concord.AggregateOptions{AllowDiskUse: new(false)})
	if err != nil {
		log.Fatal(err)
	}
	for cur.Next(ctx) {
		fmt.Println(cur.Current.Lookup("_id").StringValue(), cur.Current.Lookup("sum").Int32())
	}
	// Output:
	// ann 17
	// bob 5
}
