package query_test

import (
	"fmt"
	"slices"

	"github.com/concorddb/concord/internal/query"
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

func ExampleCompileFilter() {
	f, err := query.CompileFilter(filterExampleDoc(bson.D{{Key: "tags", Value: "red"}, {Key: "qty", Value: bson.D{{Key: "$gte", Value: 10}}}}))
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Match(filterExampleDoc(bson.D{{Key: "tags", Value: bson.A{"blank", "red"}}, {Key: "qty", Value: 10.5}})))
	fmt.Println(f.Match(filterExampleDoc(bson.D{{Key: "tags", Value: "red"}, {Key: "qty", Value: "11"}})))
	for _, c := range f.Conditions() {
		fmt.Println(c.Path, c.Op == query.CondEq)
	}
	// Output:
	// true
	// false
	// tags true
	// qty false
}

func ExampleFilter_MatchPosition() {
	f, _ := query.CompileFilter(filterExampleDoc(bson.D{{Key: "grades", Value: bson.D{{Key: "$gte", Value: 85}}}}))
	ok, pos := f.MatchPosition(filterExampleDoc(bson.D{{Key: "grades", Value: bson.A{70, 87, 90}}}))
	fmt.Println(ok, pos)
	// Output: true 1
}

func ExampleCompare() {
	one := bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}
	null := bson.RawValue{Type: bson.TypeNull}
	str := filterExampleDoc(bson.D{{Key: "v", Value: "1"}}).Lookup("v")
	fmt.Println(query.Compare(null, one), query.Compare(one, str), query.Equal(one, filterExampleDoc(bson.D{{Key: "v", Value: 1.0}}).Lookup("v")))
	// Output: -1 -1 true
}

func ExampleCompileProjection() {
	p, _ := query.CompileProjection(filterExampleDoc(bson.D{{Key: "item", Value: 1}, {Key: "comments", Value: bson.D{{Key: "$slice", Value: -1}}}}))
	out, _ := p.Apply(filterExampleDoc(bson.D{{Key: "_id", Value: 1}, {Key: "item", Value: "x"}, {Key: "qty", Value: 5}, {Key: "comments", Value: bson.A{"a", "b"}}}), -1)
	fmt.Println(out)
	// Output: {"_id": {"$numberInt":"1"},"item": "x","comments": ["b"]}
}

func ExampleCompileSort() {
	s, _ := query.CompileSort(filterExampleDoc(bson.D{{Key: "a", Value: -1}}))
	docs := []bson.Raw{
		filterExampleDoc(bson.D{{Key: "a", Value: 1}}),
		filterExampleDoc(bson.D{{Key: "a", Value: bson.A{0, 7}}}),
		filterExampleDoc(bson.D{}),
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
