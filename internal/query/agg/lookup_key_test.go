package agg

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestCorrelatedKey: only an $eq between a top-level field and a let
// variable, at the top of the first stage's $expr or among its $and's
// operands, becomes a join key; anything else leaves the read unfiltered.
func TestCorrelatedKey(t *testing.T) {
	lets := []string{"x", "y"}
	for _, tc := range []struct {
		name, sub   string
		field, vari string
	}{
		{"eq field var", `[{"$match": {"$expr": {"$eq": ["$k", "$$x"]}}}]`, "k", "x"},
		{"eq var field", `[{"$match": {"$expr": {"$eq": ["$$y", "$k"]}}}]`, "k", "y"},
		{"in an $and", `[{"$match": {"$expr": {"$and": [{"$gt": ["$q", 1]}, {"$eq": ["$k", "$$x"]}]}}}]`, "k", "x"},
		{"dotted field is not a key", `[{"$match": {"$expr": {"$eq": ["$a.b", "$$x"]}}}]`, "", ""},
		{"unknown variable", `[{"$match": {"$expr": {"$eq": ["$k", "$$z"]}}}]`, "", ""},
		{"system variable", `[{"$match": {"$expr": {"$eq": ["$k", "$$ROOT"]}}}]`, "", ""},
		{"two variables", `[{"$match": {"$expr": {"$eq": ["$$x", "$$y"]}}}]`, "", ""},
		{"literal", `[{"$match": {"$expr": {"$eq": ["$k", 5]}}}]`, "", ""},
		{"$or is not a conjunction", `[{"$match": {"$expr": {"$or": [{"$eq": ["$k", "$$x"]}]}}}]`, "", ""},
		{"$expr beside another predicate", `[{"$match": {"$expr": {"$eq": ["$k", "$$x"]}, "q": 1}}]`, "", ""},
		{"not the first stage", `[{"$limit": 1}, {"$match": {"$expr": {"$eq": ["$k", "$$x"]}}}]`, "", ""},
		{"empty pipeline", `[]`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var wrapped struct {
				P []bson.Raw `bson:"p"`
			}
			if err := bson.UnmarshalExtJSON([]byte(`{"p": `+tc.sub+`}`), false, &wrapped); err != nil {
				t.Fatal(err)
			}
			f, v := correlatedKey(wrapped.P, lets)
			if f != tc.field || v != tc.vari {
				t.Fatalf("correlatedKey = %q, %q; want %q, %q", f, v, tc.field, tc.vari)
			}
		})
	}
}
