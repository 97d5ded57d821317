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
