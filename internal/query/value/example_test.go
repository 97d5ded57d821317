package value_test

import (
	"fmt"

	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func ExampleCompare() {
	one := bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}
	null := bson.RawValue{Type: bson.TypeNull}
	str := exampleDoc(bson.D{{Key: "v", Value: "1"}}).Lookup("v")
	fmt.Println(value.Compare(null, one), value.Compare(one, str), value.Equal(one, exampleDoc(bson.D{{Key: "v", Value: 1.0}}).Lookup("v")))
	// Output: -1 -1 true
}

// exampleDoc marshals d, ignoring errors (examples only).
func exampleDoc(d bson.D) bson.Raw {
	b, _ := bson.Marshal(d)
	return b
}
