package store_test

import (
	"context"
	"fmt"
	"log"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/store"
)

// The embedded backend: a Store over a Concord database opened in the program.
func ExampleEmbedded() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)

	ctx := context.Background()
	users := st.Collection("app", "users")
	if _, err := users.InsertOne(ctx, bson.D{{Key: "_id", Value: "ada"}}); err != nil {
		log.Fatal(err)
	}
	_, err = users.InsertOne(ctx, bson.D{{Key: "_id", Value: "ada"}})
	fmt.Println("duplicate:", store.IsDuplicateKey(err))
	// Output: duplicate: true
}

// The driver backend: the same Store over any MongoDB deployment, or concord serve.
func ExampleDriver() {
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://localhost:27017"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	st := store.Driver(client)
	_ = st.Collection("app", "users")
}
