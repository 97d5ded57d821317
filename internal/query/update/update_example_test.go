package update_test

import (
	"fmt"

	"github.com/concorddb/concord/internal/query/update"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func ExampleCompile() {
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 41}})
	spec, _ := bson.Marshal(bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}, {Key: "$set", Value: bson.D{{Key: "tag", Value: "x"}}}})
	u, err := update.Compile(spec, nil)
	if err != nil {
		panic(err)
	}
	out, modified, err := u.Apply(doc, update.ApplyOptions{Position: -1})
	fmt.Println(out, modified, err)
	// Output: {"_id": {"$numberInt":"1"},"n": {"$numberInt":"42"},"tag": "x"} true <nil>
}

func ExampleUpsertSeed() {
	filter, _ := bson.Marshal(bson.D{{Key: "b.c", Value: 2}, {Key: "a", Value: bson.D{{Key: "$eq", Value: 1}}}, {Key: "n", Value: bson.D{{Key: "$gt", Value: 5}}}})
	seed, err := update.UpsertSeed(filter)
	fmt.Println(seed, err)
	// Output: {"a": {"$numberInt":"1"},"b": {"c": {"$numberInt":"2"}}} <nil>
}
