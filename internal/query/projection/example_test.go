package projection_test

import (
	"fmt"

	"github.com/concorddb/concord/internal/query/projection"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func ExampleCompile() {
	p, _ := projection.Compile(exampleDoc(bson.D{{Key: "item", Value: 1}, {Key: "comments", Value: bson.D{{Key: "$slice", Value: -1}}}}))
	out, _ := p.Apply(exampleDoc(bson.D{{Key: "_id", Value: 1}, {Key: "item", Value: "x"}, {Key: "qty", Value: 5}, {Key: "comments", Value: bson.A{"a", "b"}}}), -1)
	fmt.Println(out)
	// Output: {"_id": {"$numberInt":"1"},"item": "x","comments": ["b"]}
}

// exampleDoc marshals d, ignoring errors (examples only).
func exampleDoc(d bson.D) bson.Raw {
	b, _ := bson.Marshal(d)
	return b
}
