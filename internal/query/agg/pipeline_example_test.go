package agg_test

import (
	"context"
	"fmt"

	"github.com/concorddb/concord/internal/query/agg"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func ExampleCompile() {
	mustRaw := func(v any) bson.Raw {
		b, err := bson.Marshal(v)
		if err != nil {
			panic(err)
		}
		return b
	}
	p, err := agg.Compile([]bson.Raw{
		mustRaw(bson.D{{Key: "$match", Value: bson.D{{Key: "qty", Value: bson.D{{Key: "$gt", Value: 1}}}}}}),
		mustRaw(bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: "$item"},
			{Key: "total", Value: bson.D{{Key: "$sum", Value: "$qty"}}},
		}}}),
	})
	if err != nil {
		panic(err)
	}
	docs := []bson.Raw{
		mustRaw(bson.D{{Key: "item", Value: "a"}, {Key: "qty", Value: 2}}),
		mustRaw(bson.D{{Key: "item", Value: "b"}, {Key: "qty", Value: 1}}),
		mustRaw(bson.D{{Key: "item", Value: "a"}, {Key: "qty", Value: 5}}),
	}
	out, err := p.Run(context.Background(), docs, nil)
	if err != nil {
		panic(err)
	}
	for _, d := range out {
		fmt.Println(d)
	}
	// Output:
	// {"_id": "a","total": {"$numberInt":"7"}}
}
