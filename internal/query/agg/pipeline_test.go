package agg_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/filter"
)

// aggDoc parses relaxed extended JSON into a document.
func aggDoc(tb testing.TB, s string) bson.Raw {
	tb.Helper()
	var r bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &r); err != nil {
		tb.Fatalf("bad test JSON %s: %v", s, err)
	}
	return r
}

// aggDocs parses a relaxed extended JSON array of documents.
func aggDocs(tb testing.TB, s string) []bson.Raw {
	tb.Helper()
	var out []bson.Raw
	for _, v := range aggArrayValues(tb, aggValue(tb, s)) {
		d, ok := v.DocumentOK()
		if !ok {
			tb.Fatalf("not a document: %s", v)
		}
		out = append(out, d)
	}
	return out
}

func aggArrayValues(tb testing.TB, v bson.RawValue) []bson.RawValue {
	tb.Helper()
	arr, ok := v.ArrayOK()
	if !ok {
		tb.Fatalf("not an array: %s", v)
	}
	vals, err := arr.Values()
	if err != nil {
		tb.Fatal(err)
	}
	return vals
}

// aggEnv is an in-memory Source: collections by name.
type aggEnv map[string][]bson.Raw

// Read filters the named collection with filter.Compile, as the engine's
// Source does through its planner.
func (e aggEnv) Read(_ context.Context, coll string, spec bson.Raw) (agg.Iterator, error) {
	f, err := filter.Compile(spec)
	if err != nil {
		return nil, err
	}
	var out []bson.Raw
	for _, d := range e[coll] {
		ok, _, err := f.MatchErr(d)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, d)
		}
	}
	return agg.Docs(out), nil
}

// aggPipelineCase runs one pipeline over input. env names collections (as
// JSON arrays) for $lookup. want is a JSON array of documents; code, when
// set, is the expected error code from Compile or Run.
type aggPipelineCase struct {
	name     string
	pipeline string
	input    string
	want     string
	code     codes.Code
	env      map[string]string
}

// aggInventory is the sample collection of several manual examples.
const aggSales = `[
 {"_id": 1, "item": "abc", "price": 10, "quantity": 2, "date": {"$date": "2014-03-01T08:00:00Z"}},
 {"_id": 2, "item": "jkl", "price": 20, "quantity": 1, "date": {"$date": "2014-03-01T09:00:00Z"}},
 {"_id": 3, "item": "xyz", "price": 5, "quantity": 10, "date": {"$date": "2014-03-15T09:00:00Z"}},
 {"_id": 4, "item": "xyz", "price": 5, "quantity": 20, "date": {"$date": "2014-04-04T11:21:39.736Z"}},
 {"_id": 5, "item": "abc", "price": 10, "quantity": 10, "date": {"$date": "2014-04-04T21:23:13.331Z"}}
]`

var aggPipelineCases = []aggPipelineCase{
	// pipeline structure
	{name: "empty-pipeline", pipeline: `[]`, input: `[{"a": 1}]`, want: `[{"a": 1}]`},
	{name: "stage/two-fields", pipeline: `[{"$match": {}, "$limit": 1}]`, input: `[]`, code: 40323},
	{name: "stage/no-fields", pipeline: `[{}]`, input: `[]`, code: 40323},
	{name: "stage/unknown", pipeline: `[{"$foo": 1}]`, input: `[]`, code: 40324},
	{name: "stage/unknown-expression-inside", pipeline: `[{"$project": {"a": {"$foo": 1}}}]`, input: `[]`, code: 168},

	// $match
	{name: "match/basic", pipeline: `[{"$match": {"a": {"$gt": 1}}}]`, input: `[{"a": 1}, {"a": 2}, {"a": 3}]`, want: `[{"a": 2}, {"a": 3}]`},
	{name: "match/empty", pipeline: `[{"$match": {}}]`, input: `[{"a": 1}]`, want: `[{"a": 1}]`},
	{name: "match/expr", pipeline: `[{"$match": {"$expr": {"$gt": ["$spent", "$budget"]}}}]`, input: `[{"_id": 1, "budget": 40, "spent": 400}, {"_id": 2, "budget": 100, "spent": 20}]`, want: `[{"_id": 1, "budget": 40, "spent": 400}]`},
	{name: "match/not-object", pipeline: `[{"$match": 1}]`, input: `[]`, code: 15959},
	{name: "match/bad-operator", pipeline: `[{"$match": {"a": {"$bogus": 1}}}]`, input: `[]`, code: 2},

	// $skip / $limit
	{name: "skip/basic", pipeline: `[{"$skip": 1}]`, input: `[{"a": 1}, {"a": 2}]`, want: `[{"a": 2}]`},
	{name: "skip/past-end", pipeline: `[{"$skip": 5}]`, input: `[{"a": 1}]`, want: `[]`},
	{name: "skip/zero", pipeline: `[{"$skip": 0}]`, input: `[{"a": 1}]`, want: `[{"a": 1}]`},
	{name: "skip/long", pipeline: `[{"$skip": {"$numberLong": "1"}}]`, input: `[{"a": 1}, {"a": 2}]`, want: `[{"a": 2}]`},
	{name: "skip/integral-double", pipeline: `[{"$skip": 1.0}]`, input: `[{"a": 1}, {"a": 2}]`, want: `[{"a": 2}]`},
	{name: "skip/negative", pipeline: `[{"$skip": -1}]`, input: `[]`, code: 5107200},
	{name: "skip/fractional", pipeline: `[{"$skip": 1.5}]`, input: `[]`, code: 5107200},
	{name: "skip/string", pipeline: `[{"$skip": "1"}]`, input: `[]`, code: 5107200},
	{name: "limit/basic", pipeline: `[{"$limit": 2}]`, input: `[{"a": 1}, {"a": 2}, {"a": 3}]`, want: `[{"a": 1}, {"a": 2}]`},
	{name: "limit/larger-than-input", pipeline: `[{"$limit": 10}]`, input: `[{"a": 1}]`, want: `[{"a": 1}]`},
	{name: "limit/zero", pipeline: `[{"$limit": 0}]`, input: `[]`, code: 15958},
	{name: "limit/negative", pipeline: `[{"$limit": -1}]`, input: `[]`, code: 5107201},
	{name: "limit/string", pipeline: `[{"$limit": "a"}]`, input: `[]`, code: 5107201},

	// $count
	{name: "count/basic", pipeline: `[{"$match": {"score": {"$gt": 80}}}, {"$count": "passing_scores"}]`, input: `[{"score": 85}, {"score": 60}, {"score": 95}]`, want: `[{"passing_scores": 2}]`},
	{name: "count/empty-input", pipeline: `[{"$count": "n"}]`, input: `[]`, want: `[]`},
	{name: "count/not-string", pipeline: `[{"$count": 1}]`, input: `[]`, code: 40156},
	{name: "count/empty-string", pipeline: `[{"$count": ""}]`, input: `[]`, code: 40157},
	{name: "count/dollar", pipeline: `[{"$count": "$n"}]`, input: `[]`, code: 40158},
	{name: "count/dot", pipeline: `[{"$count": "a.b"}]`, input: `[]`, code: 40160},

	// driver CountDocuments shape
	{name: "countDocuments/driver-shape", pipeline: `[{"$match": {"item": "abc"}}, {"$skip": 0}, {"$limit": 100}, {"$group": {"_id": 1, "n": {"$sum": 1}}}]`, input: aggSales, want: `[{"_id": 1, "n": 2}]`},
	{name: "countDocuments/skip-limit", pipeline: `[{"$match": {}}, {"$skip": 1}, {"$limit": 3}, {"$group": {"_id": 1, "n": {"$sum": 1}}}]`, input: aggSales, want: `[{"_id": 1, "n": 3}]`},
	{name: "countDocuments/no-match", pipeline: `[{"$match": {"item": "none"}}, {"$group": {"_id": 1, "n": {"$sum": 1}}}]`, input: aggSales, want: `[]`},

	// $project
	{name: "project/include", pipeline: `[{"$project": {"title": 1, "author": 1}}]`, input: `[{"_id": 1, "title": "abc123", "isbn": "0001122223334", "author": {"last": "zzz", "first": "aaa"}, "copies": 5}]`, want: `[{"_id": 1, "title": "abc123", "author": {"last": "zzz", "first": "aaa"}}]`},
	{name: "project/include-keeps-doc-order", pipeline: `[{"$project": {"b": 1, "a": 1}}]`, input: `[{"_id": 1, "a": 1, "b": 2, "c": 3}]`, want: `[{"_id": 1, "a": 1, "b": 2}]`},
	{name: "project/exclude-id", pipeline: `[{"$project": {"_id": 0, "title": 1}}]`, input: `[{"_id": 1, "title": "abc", "x": 1}]`, want: `[{"title": "abc"}]`},
	{name: "project/exclude", pipeline: `[{"$project": {"lastModified": 0}}]`, input: `[{"_id": 1, "title": "abc", "lastModified": 5}]`, want: `[{"_id": 1, "title": "abc"}]`},
	{name: "project/exclude-nested", pipeline: `[{"$project": {"author.first": 0}}]`, input: `[{"_id": 1, "author": {"last": "z", "first": "a"}}]`, want: `[{"_id": 1, "author": {"last": "z"}}]`},
	{name: "project/exclude-in-array", pipeline: `[{"$project": {"a.b": 0}}]`, input: `[{"_id": 1, "a": [{"b": 1, "c": 2}, 5, [{"b": 3}]]}]`, want: `[{"_id": 1, "a": [{"c": 2}, 5, [{}]]}]`},
	{name: "project/include-nested-dotted", pipeline: `[{"$project": {"author.last": 1}}]`, input: `[{"_id": 1, "author": {"last": "z", "first": "a"}}]`, want: `[{"_id": 1, "author": {"last": "z"}}]`},
	{name: "project/include-nested-object", pipeline: `[{"$project": {"author": {"last": 1}}}]`, input: `[{"_id": 1, "author": {"last": "z", "first": "a"}}]`, want: `[{"_id": 1, "author": {"last": "z"}}]`},
	{name: "project/include-in-array", pipeline: `[{"$project": {"a.b": 1}}]`, input: `[{"_id": 1, "a": [{"b": 1, "c": 2}, 5, {"c": 3}]}]`, want: `[{"_id": 1, "a": [{"b": 1}, {}]}]`},
	{name: "project/include-through-scalar", pipeline: `[{"$project": {"a.b": 1}}]`, input: `[{"_id": 1, "a": 5}]`, want: `[{"_id": 1}]`},
	{name: "project/computed", pipeline: `[{"$project": {"title": 1, "isbn": {"prefix": {"$substr": ["$isbn", 0, 3]}}, "lastName": "$author.last"}}]`, input: `[{"_id": 1, "title": "abc123", "isbn": "0001122223334", "author": {"last": "zzz", "first": "aaa"}}]`, want: `[{"_id": 1, "title": "abc123", "isbn": {"prefix": "000"}, "lastName": "zzz"}]`},
	{name: "project/computed-after-included", pipeline: `[{"$project": {"c": {"$add": [1, 1]}, "b": 1}}]`, input: `[{"_id": 1, "b": 2, "c": 3}]`, want: `[{"_id": 1, "b": 2, "c": 2}]`},
	{name: "project/literal-string", pipeline: `[{"$project": {"_id": 0, "s": "hello"}}]`, input: `[{"_id": 1}]`, want: `[{"s": "hello"}]`},
	{name: "project/$literal-number", pipeline: `[{"$project": {"_id": 0, "one": {"$literal": 1}}}]`, input: `[{"_id": 1}]`, want: `[{"one": 1}]`},
	{name: "project/remove-conditionally", pipeline: `[{"$project": {"title": 1, "author.middle": {"$cond": {"if": {"$eq": ["", "$author.middle"]}, "then": "$$REMOVE", "else": "$author.middle"}}}}]`, input: `[{"_id": 1, "title": "t", "author": {"last": "l", "middle": ""}}, {"_id": 2, "title": "u", "author": {"last": "m", "middle": "x"}}]`, want: `[{"_id": 1, "title": "t", "author": {}}, {"_id": 2, "title": "u", "author": {"middle": "x"}}]`},
	{name: "project/missing-field-omitted", pipeline: `[{"$project": {"x": "$nope"}}]`, input: `[{"_id": 1}]`, want: `[{"_id": 1}]`},
	{name: "project/only-id", pipeline: `[{"$project": {"_id": 1}}]`, input: `[{"_id": 1, "a": 2}]`, want: `[{"_id": 1}]`},
	{name: "project/only-id-excluded", pipeline: `[{"$project": {"_id": 0}}]`, input: `[{"_id": 1, "a": 2}]`, want: `[{"a": 2}]`},
	{name: "project/id-computed", pipeline: `[{"$project": {"_id": "$a"}}]`, input: `[{"_id": 1, "a": 2}]`, want: `[{"_id": 2}]`},
	{name: "project/bool-flags", pipeline: `[{"$project": {"a": true, "_id": false}}]`, input: `[{"_id": 1, "a": 2, "b": 3}]`, want: `[{"a": 2}]`},
	{name: "project/mixed-include-exclude", pipeline: `[{"$project": {"a": 1, "b": 0}}]`, input: `[]`, code: 31254},
	{name: "project/mixed-exclude-include", pipeline: `[{"$project": {"b": 0, "a": 1}}]`, input: `[]`, code: 31253},
	{name: "project/expression-in-exclusion", pipeline: `[{"$project": {"b": 0, "a": "$x"}}]`, input: `[]`, code: 31252},
	{name: "project/path-collision", pipeline: `[{"$project": {"a": 1, "a.b": 1}}]`, input: `[]`, code: 31249},
	{name: "project/path-collision-prefix", pipeline: `[{"$project": {"a.b": 1, "a": 1}}]`, input: `[]`, code: 31250},
	{name: "project/empty", pipeline: `[{"$project": {}}]`, input: `[]`, code: 51272},
	{name: "project/not-object", pipeline: `[{"$project": 1}]`, input: `[]`, code: 15969},
	{name: "project/dollar-field", pipeline: `[{"$project": {"a.$b": 1}}]`, input: `[]`, code: 16410},
	{name: "project/eval-error", pipeline: `[{"$project": {"a": {"$divide": [1, 0]}}}]`, input: `[{"_id": 1}]`, code: 2},

	// $addFields / $set
	{name: "addFields/basic", pipeline: `[{"$addFields": {"totalHomework": {"$sum": "$homework"}, "totalQuiz": {"$sum": "$quiz"}}}, {"$addFields": {"totalScore": {"$add": ["$totalHomework", "$totalQuiz", "$extraCredit"]}}}]`, input: `[{"_id": 1, "student": "Maya", "homework": [10, 5, 10], "quiz": [10, 8], "extraCredit": 0}]`, want: `[{"_id": 1, "student": "Maya", "homework": [10, 5, 10], "quiz": [10, 8], "extraCredit": 0, "totalHomework": 25, "totalQuiz": 18, "totalScore": 43}]`},
	{name: "addFields/embedded-dotted", pipeline: `[{"$addFields": {"specs.fuel_type": "unleaded"}}]`, input: `[{"_id": 1, "specs": {"doors": 4, "wheels": 4}}]`, want: `[{"_id": 1, "specs": {"doors": 4, "wheels": 4, "fuel_type": "unleaded"}}]`},
	{name: "addFields/embedded-object-merges", pipeline: `[{"$addFields": {"specs": {"fuel_type": "unleaded"}}}]`, input: `[{"_id": 1, "specs": {"doors": 4}}]`, want: `[{"_id": 1, "specs": {"doors": 4, "fuel_type": "unleaded"}}]`},
	{name: "addFields/overwrite-keeps-position", pipeline: `[{"$addFields": {"cats": 20}}]`, input: `[{"_id": 1, "dogs": 10, "cats": 15}]`, want: `[{"_id": 1, "dogs": 10, "cats": 20}]`},
	{name: "addFields/replace-id", pipeline: `[{"$addFields": {"_id": "$item", "item": "fruit"}}]`, input: `[{"_id": 1, "item": "tangerine"}]`, want: `[{"_id": "tangerine", "item": "fruit"}]`},
	{name: "addFields/number-is-literal", pipeline: `[{"$set": {"a": 1, "b": false}}]`, input: `[{"_id": 1}]`, want: `[{"_id": 1, "a": 1, "b": false}]`},
	{name: "addFields/into-array", pipeline: `[{"$addFields": {"a.b": 5}}]`, input: `[{"_id": 1, "a": [{"c": 1}, 2]}]`, want: `[{"_id": 1, "a": [{"c": 1, "b": 5}, {"b": 5}]}]`},
	{name: "addFields/over-scalar", pipeline: `[{"$addFields": {"a.b": 5}}]`, input: `[{"_id": 1, "a": 3}]`, want: `[{"_id": 1, "a": {"b": 5}}]`},
	{name: "addFields/concat-arrays", pipeline: `[{"$addFields": {"homework": {"$concatArrays": ["$homework", [7]]}}}]`, input: `[{"_id": 1, "homework": [10, 5]}]`, want: `[{"_id": 1, "homework": [10, 5, 7]}]`},
	{name: "addFields/remove", pipeline: `[{"$set": {"a": "$$REMOVE"}}]`, input: `[{"_id": 1, "a": 1, "b": 2}]`, want: `[{"_id": 1, "b": 2}]`},
	{name: "addFields/missing-not-added", pipeline: `[{"$set": {"x": "$nope"}}]`, input: `[{"_id": 1}]`, want: `[{"_id": 1}]`},
	{name: "addFields/not-object", pipeline: `[{"$addFields": []}]`, input: `[]`, code: 40272},
	{name: "addFields/empty-object-literal", pipeline: `[{"$set": {"a": {}}}]`, input: `[{"_id": 1}]`, want: `[{"_id": 1, "a": {}}]`},

	// $unset
	{name: "unset/string", pipeline: `[{"$unset": "copies"}]`, input: `[{"_id": 1, "title": "t", "copies": 2}]`, want: `[{"_id": 1, "title": "t"}]`},
	{name: "unset/array", pipeline: `[{"$unset": ["isbn", "author.first", "copies.warehouse"]}]`, input: `[{"_id": 1, "isbn": "x", "author": {"last": "l", "first": "f"}, "copies": [{"warehouse": "A", "qty": 5}, {"warehouse": "B", "qty": 15}]}]`, want: `[{"_id": 1, "author": {"last": "l"}, "copies": [{"qty": 5}, {"qty": 15}]}]`},
	{name: "unset/id", pipeline: `[{"$unset": "_id"}]`, input: `[{"_id": 1, "a": 1}]`, want: `[{"a": 1}]`},
	{name: "unset/bad-type", pipeline: `[{"$unset": 1}]`, input: `[]`, code: 31002},
	{name: "unset/bad-element", pipeline: `[{"$unset": ["a", 1]}]`, input: `[]`, code: 31120},
	{name: "unset/empty-path", pipeline: `[{"$unset": ""}]`, input: `[]`, code: 40352},

	// $group
	{name: "group/null-id-totals", pipeline: `[{"$group": {"_id": null, "totalSaleAmount": {"$sum": {"$multiply": ["$price", "$quantity"]}}, "averageQuantity": {"$avg": "$quantity"}, "count": {"$sum": 1}}}]`, input: aggSales, want: `[{"_id": null, "totalSaleAmount": 290, "averageQuantity": 8.6, "count": 5}]`},
	{name: "group/by-item", pipeline: `[{"$group": {"_id": "$item", "totalSaleAmount": {"$sum": {"$multiply": ["$price", "$quantity"]}}}}]`, input: aggSales, want: `[{"_id": "abc", "totalSaleAmount": 120}, {"_id": "jkl", "totalSaleAmount": 20}, {"_id": "xyz", "totalSaleAmount": 150}]`},
	{name: "group/by-document-id", pipeline: `[{"$group": {"_id": {"item": "$item", "price": "$price"}, "n": {"$sum": 1}}}]`, input: `[{"item": "a", "price": 1}, {"item": "a", "price": 1.0}, {"item": "a", "price": 2}]`, want: `[{"_id": {"item": "a", "price": 1}, "n": 2}, {"_id": {"item": "a", "price": 2}, "n": 1}]`},
	{name: "group/missing-and-null-share-group", pipeline: `[{"$group": {"_id": "$k", "n": {"$sum": 1}}}]`, input: `[{"k": null}, {}, {"k": 1}]`, want: `[{"_id": null, "n": 2}, {"_id": 1, "n": 1}]`},
	{name: "group/numeric-types-share-group", pipeline: `[{"$group": {"_id": "$k", "n": {"$sum": 1}}}]`, input: `[{"k": 1}, {"k": {"$numberLong": "1"}}, {"k": 1.0}, {"k": {"$numberDecimal": "1.00"}}]`, want: `[{"_id": 1, "n": 4}]`},
	{name: "group/distinct-values", pipeline: `[{"$group": {"_id": "$item"}}]`, input: aggSales, want: `[{"_id": "abc"}, {"_id": "jkl"}, {"_id": "xyz"}]`},
	{name: "group/empty-input", pipeline: `[{"$group": {"_id": null, "n": {"$sum": 1}}}]`, input: `[]`, want: `[]`},
	{name: "group/accumulators", pipeline: `[{"$group": {"_id": "$g", "min": {"$min": "$v"}, "max": {"$max": "$v"}, "first": {"$first": "$v"}, "last": {"$last": "$v"}, "push": {"$push": "$v"}, "set": {"$addToSet": "$v"}, "count": {"$count": {}}}}]`, input: `[{"g": 1, "v": 3}, {"g": 1, "v": 1}, {"g": 1}, {"g": 1, "v": 3}, {"g": 1, "v": null}]`, want: `[{"_id": 1, "min": 1, "max": 3, "first": 3, "last": null, "push": [3, 1, 3, null], "set": [3, 1, null], "count": 5}]`},
	{name: "group/first-missing-is-null", pipeline: `[{"$group": {"_id": null, "f": {"$first": "$nope"}}}]`, input: `[{"a": 1}]`, want: `[{"_id": null, "f": null}]`},
	{name: "group/min-max-all-null", pipeline: `[{"$group": {"_id": null, "min": {"$min": "$v"}, "max": {"$max": "$v"}}}]`, input: `[{"v": null}, {}]`, want: `[{"_id": null, "min": null, "max": null}]`},
	{name: "group/min-mixed-types", pipeline: `[{"$group": {"_id": null, "min": {"$min": "$v"}, "max": {"$max": "$v"}}}]`, input: `[{"v": "a"}, {"v": 5}, {"v": [1]}]`, want: `[{"_id": null, "min": 5, "max": [1]}]`},
	{name: "group/sum-ignores-non-numeric", pipeline: `[{"$group": {"_id": null, "s": {"$sum": "$v"}}}]`, input: `[{"v": 1}, {"v": "x"}, {"v": [1, 2]}, {}]`, want: `[{"_id": null, "s": 1}]`},
	{name: "group/sum-empty-is-zero", pipeline: `[{"$group": {"_id": null, "s": {"$sum": "$v"}}}]`, input: `[{}]`, want: `[{"_id": null, "s": 0}]`},
	{name: "group/sum-mixed-types", pipeline: `[{"$group": {"_id": null, "s": {"$sum": "$v"}}}]`, input: `[{"v": 1}, {"v": {"$numberLong": "2"}}, {"v": 0.5}]`, want: `[{"_id": null, "s": 3.5}]`},
	{name: "group/sum-int-overflow", pipeline: `[{"$group": {"_id": null, "s": {"$sum": "$v"}}}]`, input: `[{"v": 2147483647}, {"v": 2147483647}]`, want: `[{"_id": null, "s": {"$numberLong": "4294967294"}}]`},
	{name: "group/sum-long", pipeline: `[{"$group": {"_id": null, "s": {"$sum": "$v"}}}]`, input: `[{"v": {"$numberLong": "1"}}]`, want: `[{"_id": null, "s": {"$numberLong": "1"}}]`},
	{name: "group/avg-no-numbers", pipeline: `[{"$group": {"_id": null, "a": {"$avg": "$v"}}}]`, input: `[{"v": "x"}]`, want: `[{"_id": null, "a": null}]`},
	{name: "group/avg-ints", pipeline: `[{"$group": {"_id": null, "a": {"$avg": "$v"}}}]`, input: `[{"v": 1}, {"v": 2}]`, want: `[{"_id": null, "a": 1.5}]`},
	{name: "group/addToSet-docs", pipeline: `[{"$group": {"_id": null, "s": {"$addToSet": "$v"}}}]`, input: `[{"v": {"a": 1}}, {"v": {"a": 1.0}}, {"v": {"a": 2}}]`, want: `[{"_id": null, "s": [{"a": 1}, {"a": 2}]}]`},
	{name: "group/push-docs", pipeline: `[{"$group": {"_id": "$item", "items": {"$push": {"q": "$quantity"}}}}, {"$match": {"_id": "abc"}}]`, input: aggSales, want: `[{"_id": "abc", "items": [{"q": 2}, {"q": 10}]}]`},
	{name: "group/mergeObjects", pipeline: `[{"$group": {"_id": null, "m": {"$mergeObjects": "$d"}}}]`, input: `[{"d": {"a": 1}}, {"d": null}, {"d": {"b": 2, "a": 3}}]`, want: `[{"_id": null, "m": {"a": 3, "b": 2}}]`},
	{name: "group/stdDev", pipeline: `[{"$group": {"_id": null, "pop": {"$stdDevPop": "$v"}, "samp": {"$stdDevSamp": "$v"}}}]`, input: `[{"v": 2}, {"v": 4}, {"v": 4}, {"v": 4}, {"v": 5}, {"v": 5}, {"v": 7}, {"v": 9}]`, want: `[{"_id": null, "pop": 2.0, "samp": 2.138089935299395}]`},
	{name: "group/stdDev-single", pipeline: `[{"$group": {"_id": null, "samp": {"$stdDevSamp": "$v"}}}]`, input: `[{"v": 2}]`, want: `[{"_id": null, "samp": null}]`},
	{name: "group/avg-decimal", pipeline: `[{"$group": {"_id": null, "a": {"$avg": "$v"}}}]`, input: `[{"v": {"$numberDecimal": "1"}}, {"v": 2}]`, want: `[{"_id": null, "a": {"$numberDecimal": "1.5"}}]`},
	{name: "group/id-expression", pipeline: `[{"$group": {"_id": {"$mod": ["$v", 2]}, "n": {"$sum": 1}}}]`, input: `[{"v": 1}, {"v": 2}, {"v": 3}]`, want: `[{"_id": 1, "n": 2}, {"_id": 0, "n": 1}]`},
	{name: "group/id-array", pipeline: `[{"$group": {"_id": "$a", "n": {"$sum": 1}}}]`, input: `[{"a": [1, 2]}, {"a": [1, 2.0]}, {"a": [2, 1]}]`, want: `[{"_id": [1, 2], "n": 2}, {"_id": [2, 1], "n": 1}]`},
	{name: "group/missing-id", pipeline: `[{"$group": {"n": {"$sum": 1}}}]`, input: `[]`, code: 15955},
	{name: "group/not-object", pipeline: `[{"$group": 1}]`, input: `[]`, code: 15947},
	{name: "group/unknown-accumulator", pipeline: `[{"$group": {"_id": null, "n": {"$foo": 1}}}]`, input: `[]`, code: 15952},
	{name: "group/field-not-accumulator", pipeline: `[{"$group": {"_id": null, "n": 1}}]`, input: `[]`, code: 40234},
	{name: "group/two-accumulators", pipeline: `[{"$group": {"_id": null, "n": {"$sum": 1, "$avg": 1}}}]`, input: `[]`, code: 40238},
	{name: "group/array-argument", pipeline: `[{"$group": {"_id": null, "n": {"$sum": [1, 2]}}}]`, input: `[]`, code: 40237},
	{name: "group/dotted-field", pipeline: `[{"$group": {"_id": null, "a.b": {"$sum": 1}}}]`, input: `[]`, code: 40235},
	{name: "group/bad-id-expression", pipeline: `[{"$group": {"_id": {"$bogus": 1}}}]`, input: `[]`, code: 168},

	// $sort
	{name: "sort/asc-desc", pipeline: `[{"$sort": {"item": 1, "quantity": -1}}, {"$project": {"_id": 1}}]`, input: aggSales, want: `[{"_id": 5}, {"_id": 1}, {"_id": 2}, {"_id": 4}, {"_id": 3}]`},
	{name: "sort/stable", pipeline: `[{"$sort": {"k": 1}}]`, input: `[{"k": 1, "i": 1}, {"k": 0, "i": 2}, {"k": 1, "i": 3}]`, want: `[{"k": 0, "i": 2}, {"k": 1, "i": 1}, {"k": 1, "i": 3}]`},
	{name: "sort/missing-first", pipeline: `[{"$sort": {"k": 1}}]`, input: `[{"k": 1}, {}]`, want: `[{}, {"k": 1}]`},
	{name: "sort/empty", pipeline: `[{"$sort": {}}]`, input: `[]`, code: 15976},
	{name: "sort/not-object", pipeline: `[{"$sort": 1}]`, input: `[]`, code: 15973},
	{name: "sort/bad-direction", pipeline: `[{"$sort": {"a": 2}}]`, input: `[]`, code: 15975},
	{name: "group-then-sort", pipeline: `[{"$group": {"_id": "$item", "q": {"$sum": "$quantity"}}}, {"$sort": {"q": -1}}]`, input: aggSales, want: `[{"_id": "xyz", "q": 30}, {"_id": "abc", "q": 12}, {"_id": "jkl", "q": 1}]`},
	{name: "sortByCount/basic", pipeline: `[{"$unwind": "$tags"}, {"$sortByCount": "$tags"}]`, input: `[{"tags": ["a", "b"]}, {"tags": ["b"]}]`, want: `[{"_id": "b", "count": 2}, {"_id": "a", "count": 1}]`},

	// $unwind
	{name: "unwind/string", pipeline: `[{"$unwind": "$sizes"}]`, input: `[{"_id": 1, "item": "ABC1", "sizes": ["S", "M", "L"]}]`, want: `[{"_id": 1, "item": "ABC1", "sizes": "S"}, {"_id": 1, "item": "ABC1", "sizes": "M"}, {"_id": 1, "item": "ABC1", "sizes": "L"}]`},
	{name: "unwind/drops-missing-null-empty", pipeline: `[{"$unwind": "$sizes"}]`, input: `[{"_id": 1, "sizes": []}, {"_id": 2, "sizes": null}, {"_id": 3}, {"_id": 4, "sizes": "M"}]`, want: `[{"_id": 4, "sizes": "M"}]`},
	{name: "unwind/preserve", pipeline: `[{"$unwind": {"path": "$sizes", "preserveNullAndEmptyArrays": true}}]`, input: `[{"_id": 1, "sizes": []}, {"_id": 2, "sizes": null}, {"_id": 3}, {"_id": 4, "sizes": ["M"]}]`, want: `[{"_id": 1}, {"_id": 2, "sizes": null}, {"_id": 3}, {"_id": 4, "sizes": "M"}]`},
	{name: "unwind/index", pipeline: `[{"$unwind": {"path": "$sizes", "includeArrayIndex": "arrayIndex"}}]`, input: `[{"_id": 1, "sizes": ["S", "M"]}, {"_id": 2, "sizes": "L"}]`, want: `[{"_id": 1, "sizes": "S", "arrayIndex": {"$numberLong": "0"}}, {"_id": 1, "sizes": "M", "arrayIndex": {"$numberLong": "1"}}, {"_id": 2, "sizes": "L", "arrayIndex": null}]`},
	{name: "unwind/index-preserve", pipeline: `[{"$unwind": {"path": "$sizes", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": true}}]`, input: `[{"_id": 1}]`, want: `[{"_id": 1, "i": null}]`},
	{name: "unwind/nested-path", pipeline: `[{"$unwind": "$a.b"}]`, input: `[{"_id": 1, "a": {"b": [1, 2], "c": 3}}]`, want: `[{"_id": 1, "a": {"b": 1, "c": 3}}, {"_id": 1, "a": {"b": 2, "c": 3}}]`},
	{name: "unwind/no-dollar", pipeline: `[{"$unwind": "sizes"}]`, input: `[]`, code: 28818},
	{name: "unwind/bad-type", pipeline: `[{"$unwind": 1}]`, input: `[]`, code: 15981},
	{name: "unwind/no-path", pipeline: `[{"$unwind": {"includeArrayIndex": "i"}}]`, input: `[]`, code: 28812},
	{name: "unwind/unknown-option", pipeline: `[{"$unwind": {"path": "$a", "x": 1}}]`, input: `[]`, code: 28811},
	{name: "unwind/bad-preserve", pipeline: `[{"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": 1}}]`, input: `[]`, code: 28809},
	{name: "unwind/dollar-index", pipeline: `[{"$unwind": {"path": "$a", "includeArrayIndex": "$i"}}]`, input: `[]`, code: 28822},

	// $lookup
	{name: "lookup/equality", pipeline: `[{"$lookup": {"from": "inventory", "localField": "item", "foreignField": "sku", "as": "inventory_docs"}}]`,
		input: `[{"_id": 1, "item": "almonds"}, {"_id": 2, "item": "pecans"}, {"_id": 3}]`,
		env:   map[string]string{"inventory": `[{"_id": 1, "sku": "almonds", "instock": 120}, {"_id": 2, "sku": "bread", "instock": 80}, {"_id": 5, "sku": null}, {"_id": 6}]`},
		want:  `[{"_id": 1, "item": "almonds", "inventory_docs": [{"_id": 1, "sku": "almonds", "instock": 120}]}, {"_id": 2, "item": "pecans", "inventory_docs": []}, {"_id": 3, "inventory_docs": [{"_id": 5, "sku": null}, {"_id": 6}]}]`},
	{name: "lookup/local-array", pipeline: `[{"$lookup": {"from": "members", "localField": "enrollmentlist", "foreignField": "name", "as": "enrollee_info"}}, {"$project": {"enrollee_info._id": 1}}]`,
		input: `[{"_id": 1, "enrollmentlist": ["giraffe2", "pandabear"]}]`,
		env:   map[string]string{"members": `[{"_id": 1, "name": "pandabear"}, {"_id": 2, "name": "giraffe"}, {"_id": 3, "name": "giraffe2"}]`},
		want:  `[{"_id": 1, "enrollee_info": [{"_id": 1}, {"_id": 3}]}]`},
	{name: "lookup/foreign-array", pipeline: `[{"$lookup": {"from": "c", "localField": "k", "foreignField": "ks", "as": "m"}}]`,
		input: `[{"_id": 1, "k": 2}]`,
		env:   map[string]string{"c": `[{"_id": 7, "ks": [1, 2]}, {"_id": 8, "ks": [3]}]`},
		want:  `[{"_id": 1, "k": 2, "m": [{"_id": 7, "ks": [1, 2]}]}]`},
	{name: "lookup/missing-collection", pipeline: `[{"$lookup": {"from": "nope", "localField": "k", "foreignField": "k", "as": "m"}}]`, input: `[{"_id": 1, "k": 2}]`, want: `[{"_id": 1, "k": 2, "m": []}]`},
	{name: "lookup/pipeline-let", pipeline: `[{"$lookup": {"from": "stock", "let": {"order_item": "$item", "order_qty": "$ordered"}, "pipeline": [{"$match": {"$expr": {"$and": [{"$eq": ["$stock_item", "$$order_item"]}, {"$gte": ["$instock", "$$order_qty"]}]}}}, {"$project": {"stock_item": 0, "_id": 0}}], "as": "stockdata"}}]`,
		input: `[{"_id": 1, "item": "almonds", "ordered": 2}, {"_id": 2, "item": "pecans", "ordered": 1000}]`,
		env:   map[string]string{"stock": `[{"_id": 1, "stock_item": "almonds", "warehouse": "A", "instock": 120}, {"_id": 2, "stock_item": "pecans", "warehouse": "A", "instock": 80}, {"_id": 3, "stock_item": "almonds", "warehouse": "B", "instock": 60}]`},
		want:  `[{"_id": 1, "item": "almonds", "ordered": 2, "stockdata": [{"warehouse": "A", "instock": 120}, {"warehouse": "B", "instock": 60}]}, {"_id": 2, "item": "pecans", "ordered": 1000, "stockdata": []}]`},
	{name: "lookup/uncorrelated-pipeline", pipeline: `[{"$lookup": {"from": "h", "pipeline": [{"$match": {"y": 1}}, {"$project": {"_id": 0, "y": 1}}], "as": "hs"}}]`,
		input: `[{"_id": 1}]`,
		env:   map[string]string{"h": `[{"_id": 1, "y": 1}, {"_id": 2, "y": 2}]`},
		want:  `[{"_id": 1, "hs": [{"y": 1}]}]`},
	{name: "lookup/then-unwind", pipeline: `[{"$lookup": {"from": "c", "localField": "k", "foreignField": "k", "as": "m"}}, {"$unwind": "$m"}, {"$project": {"v": "$m.v"}}]`,
		input: `[{"_id": 1, "k": 1}]`,
		env:   map[string]string{"c": `[{"k": 1, "v": "a"}, {"k": 1, "v": "b"}]`},
		want:  `[{"_id": 1, "v": "a"}, {"_id": 1, "v": "b"}]`},
	{name: "lookup/no-as", pipeline: `[{"$lookup": {"from": "c", "localField": "k", "foreignField": "k"}}]`, input: `[]`, code: 9},
	{name: "lookup/no-from", pipeline: `[{"$lookup": {"as": "x", "localField": "k", "foreignField": "k"}}]`, input: `[]`, code: 9},
	{name: "lookup/local-without-foreign", pipeline: `[{"$lookup": {"from": "c", "localField": "k", "as": "x"}}]`, input: `[]`, code: 9},
	{name: "lookup/unknown-field", pipeline: `[{"$lookup": {"from": "c", "localField": "k", "foreignField": "k", "as": "x", "y": 1}}]`, input: `[]`, code: 9},
	{name: "lookup/not-object", pipeline: `[{"$lookup": "c"}]`, input: `[]`, code: 9},
	{name: "lookup/bad-subpipeline", pipeline: `[{"$lookup": {"from": "c", "pipeline": [{"$bogus": 1}], "as": "x"}}]`, input: `[]`, code: 40324},

	// $facet
	{name: "facet/basic", pipeline: `[{"$facet": {"byItem": [{"$sortByCount": "$item"}, {"$limit": 1}], "total": [{"$count": "n"}], "none": [{"$match": {"x": 1}}]}}]`, input: aggSales, want: `[{"byItem": [{"_id": "abc", "count": 2}], "total": [{"n": 5}], "none": []}]`},
	{name: "facet/empty-input", pipeline: `[{"$facet": {"a": [{"$count": "n"}]}}]`, input: `[]`, want: `[{"a": []}]`},
	{name: "facet/empty-spec", pipeline: `[{"$facet": {}}]`, input: `[]`, code: 40169},
	{name: "facet/not-array", pipeline: `[{"$facet": {"a": 1}}]`, input: `[]`, code: 40170},
	{name: "facet/nested-facet", pipeline: `[{"$facet": {"a": [{"$facet": {"b": []}}]}}]`, input: `[]`, code: 40600},

	// $unionWith / $sample
	{name: "unionWith/string", pipeline: `[{"$unionWith": "other"}]`, input: `[{"_id": 1}]`, env: map[string]string{"other": `[{"_id": 2}]`}, want: `[{"_id": 1}, {"_id": 2}]`},
	{name: "unionWith/pipeline", pipeline: `[{"$unionWith": {"coll": "other", "pipeline": [{"$match": {"_id": 3}}]}}]`, input: `[{"_id": 1}]`, env: map[string]string{"other": `[{"_id": 2}, {"_id": 3}]`}, want: `[{"_id": 1}, {"_id": 3}]`},
	{name: "unionWith/no-coll", pipeline: `[{"$unionWith": {}}]`, input: `[]`, code: 40414},
	{name: "sample/all", pipeline: `[{"$sample": {"size": 5}}, {"$sort": {"_id": 1}}]`, input: `[{"_id": 2}, {"_id": 1}]`, want: `[{"_id": 1}, {"_id": 2}]`},
	{name: "sample/some", pipeline: `[{"$sample": {"size": 1}}, {"$count": "n"}]`, input: `[{"_id": 2}, {"_id": 1}]`, want: `[{"n": 1}]`},
	{name: "sample/negative", pipeline: `[{"$sample": {"size": -1}}]`, input: `[]`, code: 28747},
	{name: "sample/no-size", pipeline: `[{"$sample": {}}]`, input: `[]`, code: 28749},

	// $replaceRoot / $replaceWith
	{name: "replaceRoot/basic", pipeline: `[{"$replaceRoot": {"newRoot": "$name"}}]`, input: `[{"_id": 1, "name": {"first": "John", "last": "Backus"}}]`, want: `[{"first": "John", "last": "Backus"}]`},
	{name: "replaceRoot/mergeObjects", pipeline: `[{"$replaceRoot": {"newRoot": {"$mergeObjects": [{"dogs": 0, "cats": 0}, "$pets"]}}}]`, input: `[{"_id": 1, "pets": {"dogs": 2, "fish": 3}}]`, want: `[{"dogs": 2, "cats": 0, "fish": 3}]`},
	{name: "replaceWith/object-expression", pipeline: `[{"$replaceWith": {"n": "$name", "one": 1}}]`, input: `[{"_id": 1, "name": "x"}]`, want: `[{"n": "x", "one": 1}]`},
	{name: "replaceRoot/not-object-result", pipeline: `[{"$replaceRoot": {"newRoot": "$name"}}]`, input: `[{"_id": 1, "name": "x"}]`, code: 40228},
	{name: "replaceRoot/missing-result", pipeline: `[{"$replaceWith": "$nope"}]`, input: `[{"_id": 1}]`, code: 40228},
	{name: "replaceRoot/no-newRoot", pipeline: `[{"$replaceRoot": {}}]`, input: `[]`, code: 40414},
	{name: "replaceRoot/unknown-field", pipeline: `[{"$replaceRoot": {"newRoot": "$a", "x": 1}}]`, input: `[]`, code: 40415},
	{name: "replaceRoot/not-object", pipeline: `[{"$replaceRoot": 1}]`, input: `[]`, code: 40229},
}

func TestPipeline_Run(t *testing.T) {
	for _, tc := range aggPipelineCases {
		t.Run(tc.name, func(t *testing.T) {
			env := aggEnv{}
			for name, docs := range tc.env {
				env[name] = aggDocs(t, docs)
			}
			got, err := aggRun(t, tc.pipeline, aggDocs(t, tc.input), env)
			if tc.code != 0 {
				if codes.CodeOf(err) != tc.code {
					t.Fatalf("err = %v, want code %d", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := aggDocs(t, tc.want)
			if len(got) != len(want) {
				t.Fatalf("got %d docs, want %d:\n%s", len(got), len(want), aggDump(t, got))
			}
			for i := range want {
				if g, w := aggCanonDoc(t, got[i]), aggCanonDoc(t, want[i]); g != w {
					t.Fatalf("doc %d:\ngot  %s\nwant %s", i, g, w)
				}
			}
		})
	}
}

// aggRun compiles and runs a pipeline given as a JSON array.
func aggRun(tb testing.TB, pipeline string, input []bson.Raw, env agg.Source) ([]bson.Raw, error) {
	tb.Helper()
	stages := aggDocs(tb, pipeline)
	p, err := agg.Compile(stages)
	if err != nil {
		return nil, err
	}
	return p.Run(context.Background(), input, env)
}

func aggDump(tb testing.TB, docs []bson.Raw) string {
	var b strings.Builder
	for _, d := range docs {
		b.WriteString(aggCanonDoc(tb, d))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestPipeline_ErrorMessages(t *testing.T) {
	cases := []struct {
		name, pipeline, msg string
	}{
		{"unknown-stage", `[{"$foo": 1}]`, "Unrecognized pipeline stage name: '$foo'"},
		{"two-fields", `[{"$match": {}, "$skip": 1}]`, "A pipeline stage specification object must contain exactly one field."},
		{"skip-negative", `[{"$skip": -1}]`, "invalid argument to $skip stage: Expected a non-negative number in: $skip: -1"},
		{"limit-string", `[{"$limit": "x"}]`, `invalid argument to $limit stage: Expected a number in: $limit: "x"`},
		{"project-mixed", `[{"$project": {"a": 1, "b": 0}}]`, "Invalid $project :: caused by :: Cannot do exclusion on field b in inclusion projection"},
		{"group-no-id", `[{"$group": {}}]`, "a group specification must include an _id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := agg.Compile(aggDocs(t, tc.pipeline))
			ce, ok := codes.As(err)
			if !ok || ce.Message != tc.msg {
				t.Fatalf("err = %v, want message %q", err, tc.msg)
			}
		})
	}
}

func TestPipeline_DoesNotModifyInput(t *testing.T) {
	input := aggDocs(t, `[{"_id": 2, "a": [1, 2]}, {"_id": 1, "a": [3]}]`)
	before := aggDump(t, input)
	_, err := aggRun(t, `[{"$unwind": "$a"}, {"$set": {"b": 1}}, {"$sort": {"_id": 1}}, {"$unset": "a"}]`, input, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after := aggDump(t, input); after != before {
		t.Fatalf("input modified:\n%s\nwas\n%s", after, before)
	}
}

func TestPipeline_LookupWithoutEnv(t *testing.T) {
	_, err := aggRun(t, `[{"$lookup": {"from": "c", "localField": "a", "foreignField": "b", "as": "x"}}]`, aggDocs(t, `[{"a": 1}]`), nil)
	if codes.CodeOf(err) == 0 {
		t.Fatalf("want coded error, got %v", err)
	}
}

func TestPipeline_ContextCanceled(t *testing.T) {
	p, err := agg.Compile(aggDocs(t, `[{"$match": {}}]`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Run(ctx, aggDocs(t, `[{"a": 1}]`), nil)
	if codes.CodeOf(err) != codes.Interrupted || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Interrupted wrapping context.Canceled", err)
	}
}

func TestCompilePipeline_InvalidBSON(t *testing.T) {
	_, err := agg.Compile([]bson.Raw{{7, 0, 0, 0, 0}})
	if codes.CodeOf(err) == 0 {
		t.Fatalf("want coded error, got %v", err)
	}
}

// aggValue parses one relaxed extended JSON value.
func aggValue(tb testing.TB, s string) bson.RawValue {
	tb.Helper()
	return aggDoc(tb, `{"v": `+s+`}`).Lookup("v")
}

// aggCanonDoc renders a document as canonical extended JSON.
func aggCanonDoc(tb testing.TB, d bson.Raw) string {
	tb.Helper()
	b, err := bson.MarshalExtJSON(d, true, false)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return string(b)
}
