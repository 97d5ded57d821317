package expr_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/expr"
)

// collatedCases are evaluated under {locale: "en", strength: 2} (case-insensitive, accent-sensitive);
// uncollated is each one's result with the simple collation, so that every case shows the collation
// changed it. The collation applies to every operator that compares values, as mongod's
// ExpressionContext collator does:
// https://www.mongodb.com/docs/manual/reference/collation/#operations-that-support-collation
var collatedCases = []struct {
	name, expr, doc, want, uncollated string
}{
	{"eq", `{"$eq": ["$a", "ABC"]}`, `{"a": "abc"}`, `true`, `false`},
	{"ne", `{"$ne": ["$a", "ABC"]}`, `{"a": "abc"}`, `false`, `true`},
	{"cmp/equal", `{"$cmp": ["abc", "ABC"]}`, `{}`, `0`, `1`},
	{"lt/linguistic order", `{"$lt": ["B", "a"]}`, `{}`, `false`, `true`},
	{"eq/inside documents", `{"$eq": [{"x": "A"}, {"x": "a"}]}`, `{}`, `true`, `false`},
	{"eq/accents still differ", `{"$eq": ["cafe", "CAFÉ"]}`, `{}`, `false`, `false`},
	{"in", `{"$in": ["ABC", ["x", "abc"]]}`, `{}`, `true`, `false`},
	{"indexOfArray", `{"$indexOfArray": [["x", "abc"], "ABC"]}`, `{}`, `1`, `-1`},
	{"setUnion", `{"$setUnion": [["a", "A"], ["b"]]}`, `{}`, `["a", "b"]`, `["a", "A", "b"]`},
	{"setIsSubset", `{"$setIsSubset": [["A"], ["a"]]}`, `{}`, `true`, `false`},
	{"setEquals", `{"$setEquals": [["A", "b"], ["B", "a"]]}`, `{}`, `true`, `false`},
	{"setDifference", `{"$setDifference": [["A", "c"], ["a"]]}`, `{}`, `["c"]`, `["A", "c"]`},
	{"sortArray", `{"$sortArray": {"input": ["b", "C", "a"], "sortBy": 1}}`, `{}`, `["a", "b", "C"]`, `["C", "a", "b"]`},
	{"sortArray/by field", `{"$sortArray": {"input": [{"k": "b"}, {"k": "A"}], "sortBy": {"k": 1}}}`, `{}`, `[{"k": "A"}, {"k": "b"}]`, `[{"k": "A"}, {"k": "b"}]`},
	{"max", `{"$max": ["a", "B"]}`, `{}`, `"B"`, `"a"`},
	{"min", `{"$min": [["b", "C", "a"]]}`, `{}`, `"a"`, `"C"`},
	{"maxN", `{"$maxN": {"n": 2, "input": ["b", "C", "a"]}}`, `{}`, `["C", "b"]`, `["b", "a"]`},
}

func TestExpr_Collation(t *testing.T) {
	d, _ := bson.Marshal(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}})
	coll, err := collation.Parse(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range collatedCases {
		t.Run(tc.name, func(t *testing.T) {
			for _, run := range []struct {
				scope *expr.Scope
				want  string
			}{{expr.Collated(coll), tc.want}, {nil, tc.uncollated}} {
				e, err := expr.CompileIn(aggValue(t, tc.expr), run.scope)
				if err != nil {
					t.Fatal(err)
				}
				got, err := e.Eval(aggDoc(t, tc.doc))
				if err != nil {
					t.Fatal(err)
				}
				if g, w := aggCanon(t, got), aggCanon(t, aggValue(t, run.want)); g != w {
					t.Fatalf("collated=%v: got %s, want %s", run.scope != nil, g, w)
				}
			}
		})
	}
}

func TestGroupKeyWith(t *testing.T) {
	d, _ := bson.Marshal(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 1}})
	coll, err := collation.Parse(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		a, b  string
		equal bool
	}{
		{"case and accent fold at strength 1", `"Café"`, `"cafe"`, true},
		{"strings inside documents", `{"k": "ABC"}`, `{"k": "abc"}`, true},
		{"strings inside arrays", `["X", 1]`, `["x", 1.0]`, true},
		{"field names are not collated", `{"K": 1}`, `{"k": 1}`, false},
		{"different letters", `"abc"`, `"abd"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := aggValue(t, tc.a), aggValue(t, tc.b)
			if got := expr.GroupKeyWith(a, coll) == expr.GroupKeyWith(b, coll); got != tc.equal {
				t.Fatalf("collated keys equal = %v, want %v", got, tc.equal)
			}
			if expr.GroupKeyWith(a, nil) != expr.GroupKey(a) {
				t.Fatal("GroupKeyWith(nil) differs from GroupKey")
			}
		})
	}
}
