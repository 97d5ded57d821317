package expr_test

import (
	"fmt"

	"github.com/concorddb/concord/internal/query/expr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func ExampleCompile() {
	doc, _ := bson.Marshal(bson.D{{Key: "price", Value: 2.5}, {Key: "qty", Value: 4}})
	spec, _ := bson.Marshal(bson.D{{Key: "e", Value: bson.D{{Key: "$multiply", Value: bson.A{"$price", "$qty"}}}}})
	e, err := expr.Compile(bson.Raw(spec).Lookup("e"))
	if err != nil {
		panic(err)
	}
	v, err := e.Eval(doc)
	if err != nil {
		panic(err)
	}
	fmt.Println(v, expr.Truthy(v))
	// Output:
	// {"$numberDouble":"10.0"} true
}
