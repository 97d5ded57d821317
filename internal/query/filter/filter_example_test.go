package filter_test

import (
	"fmt"

	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// filterExampleDoc marshals a bson.D for the examples.
func filterExampleDoc(d bson.D) bson.Raw {
	b, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

func ExampleCompile() {
	f, err := filter.Compile(filterExampleDoc(bson.D{{Key: "tags", Value: "red"}, {Key: "qty", Value: bson.D{{Key: "$gte", Value: 10}}}}))
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Match(filterExampleDoc(bson.D{{Key: "tags", Value: bson.A{"blank", "red"}}, {Key: "qty", Value: 10.5}})))
	fmt.Println(f.Match(filterExampleDoc(bson.D{{Key: "tags", Value: "red"}, {Key: "qty", Value: "11"}})))
	for _, c := range f.Conditions() {
		fmt.Println(c.Path, c.Op == filter.CondEq)
	}
	// Output:
	// true
	// false
	// tags true
	// qty false
}

func ExampleFilter_MatchPosition() {
	f, _ := filter.Compile(filterExampleDoc(bson.D{{Key: "grades", Value: bson.D{{Key: "$gte", Value: 85}}}}))
	ok, pos := f.MatchPosition(filterExampleDoc(bson.D{{Key: "grades", Value: bson.A{70, 87, 90}}}))
	fmt.Println(ok, pos)
	// Output: true 1
}
