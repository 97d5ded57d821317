package order_test

import (
	"fmt"
	"slices"

	"github.com/concorddb/concord/internal/query/order"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func ExampleCompile() {
	s, _ := order.Compile(exampleDoc(bson.D{{Key: "a", Value: -1}}))
	docs := []bson.Raw{
		exampleDoc(bson.D{{Key: "a", Value: 1}}),
		exampleDoc(bson.D{{Key: "a", Value: bson.A{0, 7}}}),
		exampleDoc(bson.D{}),
	}
	slices.SortStableFunc(docs, s.Compare)
	for _, d := range docs {
		fmt.Println(d)
	}
	// Output:
	// {"a": [{"$numberInt":"0"},{"$numberInt":"7"}]}
	// {"a": {"$numberInt":"1"}}
	// {}
}

// exampleDoc marshals d, ignoring errors (examples only).
func exampleDoc(d bson.D) bson.Raw {
	b, _ := bson.Marshal(d)
	return b
}
