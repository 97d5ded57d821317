package expr_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
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

// aggValue parses one relaxed extended JSON value.
func aggValue(tb testing.TB, s string) bson.RawValue {
	tb.Helper()
	return aggDoc(tb, `{"v": `+s+`}`).Lookup("v")
}

// aggCanon renders a value as canonical extended JSON (types exact), with
// "MISSING" for the missing value.
func aggCanon(tb testing.TB, v bson.RawValue) string {
	tb.Helper()
	if v.Type == 0 {
		return "MISSING"
	}
	doc := bson.D{{Key: "v", Value: v}}
	b, err := bson.MarshalExtJSON(doc, true, false)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return string(b)
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

// aggExprCase evaluates one expression against one document. want is a
// relaxed extended JSON value or "MISSING"; code, when set, is the
// expected error code (at compile or evaluation time).
type aggExprCase struct {
	name string
	expr string
	doc  string
	want string
	code codes.Code
}

var aggExprCases = []aggExprCase{
	// literals, field paths and variables
	{"literal/number", `5`, `{}`, `5`, 0},
	{"literal/string", `"abc"`, `{}`, `"abc"`, 0},
	{"literal/$literal-dollar-string", `{"$literal": "$a"}`, `{"a": 1}`, `"$a"`, 0},
	{"literal/$literal-operator-doc", `{"$literal": {"$add": [1, 2]}}`, `{}`, `{"$add": [1, 2]}`, 0},
	{"path/top", `"$a"`, `{"a": 7}`, `7`, 0},
	{"path/nested", `"$a.b"`, `{"a": {"b": "x"}}`, `"x"`, 0},
	{"path/missing", `"$z"`, `{"a": 1}`, `MISSING`, 0},
	{"path/through-scalar", `"$a.b"`, `{"a": 5}`, `MISSING`, 0},
	{"path/through-array", `"$a.b"`, `{"a": [{"b": 1}, {"c": 2}, {"b": [3, 4]}, 5]}`, `[1, [3, 4]]`, 0},
	{"path/array-of-arrays-skipped", `"$a.b"`, `{"a": [[{"b": 1}], {"b": 2}]}`, `[2]`, 0},
	{"path/array-index-is-field-name", `"$a.0"`, `{"a": [10, 20]}`, `[]`, 0},
	{"path/whole-array", `"$a"`, `{"a": [1, 2]}`, `[1, 2]`, 0},
	{"var/ROOT", `"$$ROOT"`, `{"a": 1}`, `{"a": 1}`, 0},
	{"var/ROOT-path", `"$$ROOT.a"`, `{"a": 1}`, `1`, 0},
	{"var/CURRENT-path", `"$$CURRENT.a.b"`, `{"a": {"b": 2}}`, `2`, 0},
	{"var/REMOVE", `"$$REMOVE"`, `{"a": 1}`, `MISSING`, 0},
	{"var/undefined", `"$$nope"`, `{}`, ``, 17276},
	{"var/bad-name", `"$$a-b"`, `{}`, ``, 16868},
	{"var/empty-name", `"$$"`, `{}`, ``, 16866},
	{"path/dollar-alone", `"$"`, `{}`, ``, 16872},
	{"path/empty-component", `"$a..b"`, `{}`, ``, 15998},
	{"path/dollar-component", `"$a.$b"`, `{}`, ``, 16410},
	{"object/fields", `{"x": "$a", "y": {"$add": [1, 1]}, "z": "$missing"}`, `{"a": 1}`, `{"x": 1, "y": 2}`, 0},
	{"object/dotted-field-name", `{"x.y": 1}`, `{}`, ``, 16412},
	{"object/operator-plus-field", `{"$add": [1], "b": 1}`, `{}`, ``, 15983},
	{"array/missing-becomes-null", `["$a", "$missing", 3]`, `{"a": 1}`, `[1, null, 3]`, 0},
	{"unknown-operator", `{"$foo": 1}`, `{}`, ``, 168},

	// comparisons
	{"eq/true", `{"$eq": ["$a", 1]}`, `{"a": 1}`, `true`, 0},
	{"eq/mixed-numeric", `{"$eq": ["$a", 1]}`, `{"a": 1.0}`, `true`, 0},
	{"eq/long-double", `{"$eq": [{"$numberLong": "2"}, 2.0]}`, `{}`, `true`, 0},
	{"eq/missing-vs-null", `{"$eq": ["$missing", null]}`, `{}`, `false`, 0},
	{"eq/missing-vs-missing", `{"$eq": ["$x", "$y"]}`, `{}`, `true`, 0},
	{"eq/arrays", `{"$eq": ["$a", [1, 2]]}`, `{"a": [1, 2]}`, `true`, 0},
	{"eq/one-arg", `{"$eq": 5}`, `{}`, ``, 16020},
	{"eq/three-args", `{"$eq": [1, 2, 3]}`, `{}`, ``, 16020},
	{"ne/true", `{"$ne": ["$a", 2]}`, `{"a": 1}`, `true`, 0},
	{"gt/number-vs-string-type-order", `{"$gt": ["abc", 5]}`, `{}`, `true`, 0},
	{"gt/null-vs-missing", `{"$gt": [null, "$missing"]}`, `{}`, `true`, 0},
	{"gte/equal", `{"$gte": [2, 2]}`, `{}`, `true`, 0},
	{"lt/strings", `{"$lt": ["a", "b"]}`, `{}`, `true`, 0},
	{"lte/false", `{"$lte": [3, 2]}`, `{}`, `false`, 0},
	{"cmp/less", `{"$cmp": ["$qty", 250]}`, `{"qty": 5}`, `-1`, 0},
	{"cmp/equal", `{"$cmp": ["$qty", 250]}`, `{"qty": 250}`, `0`, 0},
	{"cmp/greater", `{"$cmp": ["$qty", 250]}`, `{"qty": 300}`, `1`, 0},

	// boolean operators
	{"and/true", `{"$and": [1, "green"]}`, `{}`, `true`, 0},
	{"and/empty", `{"$and": []}`, `{}`, `true`, 0},
	{"and/null", `{"$and": [null, true]}`, `{}`, `false`, 0},
	{"and/zero", `{"$and": [0, true]}`, `{}`, `false`, 0},
	{"and/empty-array-is-true", `{"$and": [[], true]}`, `{}`, `true`, 0},
	{"or/missing-and-false", `{"$or": ["$missing", false]}`, `{}`, `false`, 0},
	{"or/empty", `{"$or": []}`, `{}`, `false`, 0},
	{"or/short-circuits-errors", `{"$or": [true, {"$divide": [1, 0]}]}`, `{}`, `true`, 0},
	{"not/false", `{"$not": [false]}`, `{}`, `true`, 0},
	{"not/single-value", `{"$not": 1}`, `{}`, `false`, 0},
	{"not/two-args", `{"$not": [1, 2]}`, `{}`, ``, 16020},

	// arithmetic
	{"add/ints", `{"$add": [1, 2]}`, `{}`, `3`, 0},
	{"add/int-long", `{"$add": [1, {"$numberLong": "2"}]}`, `{}`, `{"$numberLong": "3"}`, 0},
	{"add/int-double", `{"$add": [1, 2.5]}`, `{}`, `3.5`, 0},
	{"add/int-overflow-to-long", `{"$add": [2147483647, 1]}`, `{}`, `{"$numberLong": "2147483648"}`, 0},
	{"add/long-overflow-to-double", `{"$add": [{"$numberLong": "9223372036854775807"}, {"$numberLong": "1"}]}`, `{}`, `9.223372036854775808e18`, 0},
	{"add/empty", `{"$add": []}`, `{}`, `0`, 0},
	{"add/null", `{"$add": [1, null]}`, `{}`, `null`, 0},
	{"add/missing", `{"$add": [1, "$missing"]}`, `{}`, `null`, 0},
	{"add/date", `{"$add": ["$d", 3600000]}`, `{"d": {"$date": "2014-03-01T08:00:00Z"}}`, `{"$date": "2014-03-01T09:00:00Z"}`, 0},
	{"add/date-double-rounds", `{"$add": ["$d", 1.6]}`, `{"d": {"$date": {"$numberLong": "0"}}}`, `{"$date": {"$numberLong": "2"}}`, 0},
	{"add/two-dates", `{"$add": ["$d", "$d"]}`, `{"d": {"$date": "2014-03-01T08:00:00Z"}}`, ``, 16612},
	{"add/string", `{"$add": [1, "x"]}`, `{}`, ``, 16554},
	{"add/decimal", `{"$add": [{"$numberDecimal": "1.1"}, 2]}`, `{}`, `{"$numberDecimal": "3.1"}`, 0},
	{"subtract/ints", `{"$subtract": [5, 7]}`, `{}`, `-2`, 0},
	{"subtract/int-underflow", `{"$subtract": [-2147483648, 1]}`, `{}`, `{"$numberLong": "-2147483649"}`, 0},
	{"subtract/dates", `{"$subtract": ["$b", "$a"]}`, `{"a": {"$date": "2020-01-01T00:00:00Z"}, "b": {"$date": "2020-01-01T00:00:01Z"}}`, `{"$numberLong": "1000"}`, 0},
	{"subtract/date-number", `{"$subtract": ["$a", 1000]}`, `{"a": {"$date": "2020-01-01T00:00:01Z"}}`, `{"$date": "2020-01-01T00:00:00Z"}`, 0},
	{"subtract/number-date", `{"$subtract": [1, "$a"]}`, `{"a": {"$date": "2020-01-01T00:00:01Z"}}`, ``, 16556},
	{"subtract/null", `{"$subtract": [null, 1]}`, `{}`, `null`, 0},
	{"subtract/one-arg", `{"$subtract": [1]}`, `{}`, ``, 16020},
	{"multiply/ints", `{"$multiply": [2, 3, 4]}`, `{}`, `24`, 0},
	{"multiply/overflow", `{"$multiply": [65536, 65536]}`, `{}`, `{"$numberLong": "4294967296"}`, 0},
	{"multiply/double", `{"$multiply": ["$price", "$qty"]}`, `{"price": 2.5, "qty": 2}`, `5.0`, 0},
	{"multiply/string", `{"$multiply": [2, "a"]}`, `{}`, ``, 16555},
	{"divide/ints-give-double", `{"$divide": [10, 4]}`, `{}`, `2.5`, 0},
	{"divide/exact", `{"$divide": [10, 5]}`, `{}`, `2.0`, 0},
	{"divide/by-zero", `{"$divide": [1, 0]}`, `{}`, ``, 2},
	{"divide/by-zero-double", `{"$divide": [1, 0.0]}`, `{}`, ``, 2},
	{"divide/null", `{"$divide": ["$x", 2]}`, `{}`, `null`, 0},
	{"divide/string", `{"$divide": ["a", 2]}`, `{}`, ``, 16609},
	{"mod/ints", `{"$mod": [10, 3]}`, `{}`, `1`, 0},
	{"mod/negative-dividend", `{"$mod": [-10, 3]}`, `{}`, `-1`, 0},
	{"mod/double", `{"$mod": [5.5, 2]}`, `{}`, `1.5`, 0},
	{"mod/long", `{"$mod": [{"$numberLong": "10"}, 3]}`, `{}`, `{"$numberLong": "1"}`, 0},
	{"mod/by-zero", `{"$mod": [1, 0]}`, `{}`, ``, 16610},
	{"abs/negative-int", `{"$abs": -5}`, `{}`, `5`, 0},
	{"abs/int-min", `{"$abs": -2147483648}`, `{}`, `{"$numberLong": "2147483648"}`, 0},
	{"abs/double", `{"$abs": [-1.5]}`, `{}`, `1.5`, 0},
	{"abs/null", `{"$abs": null}`, `{}`, `null`, 0},
	{"abs/string", `{"$abs": "x"}`, `{}`, ``, 28765},
	{"ceil/double", `{"$ceil": 1.2}`, `{}`, `2.0`, 0},
	{"ceil/negative", `{"$ceil": -1.2}`, `{}`, `-1.0`, 0},
	{"floor/double", `{"$floor": -1.2}`, `{}`, `-2.0`, 0},
	{"floor/int", `{"$floor": 3}`, `{}`, `3`, 0},
	{"pow/ints", `{"$pow": [2, 10]}`, `{}`, `1024`, 0},
	{"pow/negative-exponent", `{"$pow": [2, -1]}`, `{}`, `0.5`, 0},
	{"sqrt/int", `{"$sqrt": 25}`, `{}`, `5.0`, 0},

	// conditionals
	{"cond/array-true", `{"$cond": [{"$gte": ["$qty", 250]}, 30, 20]}`, `{"qty": 300}`, `30`, 0},
	{"cond/array-false", `{"$cond": [{"$gte": ["$qty", 250]}, 30, 20]}`, `{"qty": 5}`, `20`, 0},
	{"cond/object", `{"$cond": {"if": "$flag", "then": "yes", "else": "no"}}`, `{"flag": 0}`, `"no"`, 0},
	{"cond/missing-else", `{"$cond": {"if": true, "then": 1}}`, `{}`, ``, 17082},
	{"cond/missing-if", `{"$cond": {"then": 1, "else": 2}}`, `{}`, ``, 17080},
	{"cond/unknown-param", `{"$cond": {"if": true, "then": 1, "else": 2, "x": 1}}`, `{}`, ``, 17083},
	{"cond/wrong-count", `{"$cond": [true, 1]}`, `{}`, ``, 16020},
	{"ifNull/present", `{"$ifNull": ["$a", "Unspecified"]}`, `{"a": "x"}`, `"x"`, 0},
	{"ifNull/null", `{"$ifNull": ["$a", "Unspecified"]}`, `{"a": null}`, `"Unspecified"`, 0},
	{"ifNull/missing", `{"$ifNull": ["$a", "Unspecified"]}`, `{}`, `"Unspecified"`, 0},
	{"ifNull/multiple", `{"$ifNull": ["$a", "$b", 3]}`, `{"b": 2}`, `2`, 0},
	{"ifNull/too-few", `{"$ifNull": ["$a"]}`, `{}`, ``, 1257300},
	{"switch/matches", `{"$switch": {"branches": [{"case": {"$lt": ["$x", 0]}, "then": "neg"}, {"case": {"$gt": ["$x", 0]}, "then": "pos"}], "default": "zero"}}`, `{"x": 5}`, `"pos"`, 0},
	{"switch/default", `{"$switch": {"branches": [{"case": false, "then": 1}], "default": "d"}}`, `{}`, `"d"`, 0},
	{"switch/no-match-no-default", `{"$switch": {"branches": [{"case": false, "then": 1}]}}`, `{}`, ``, 40066},
	{"switch/no-branches", `{"$switch": {"branches": []}}`, `{}`, ``, 40068},

	// variables
	{"let/basic", `{"$let": {"vars": {"total": {"$add": ["$price", "$tax"]}}, "in": {"$multiply": ["$$total", 2]}}}`, `{"price": 10, "tax": 1}`, `22`, 0},
	{"let/path-into-var", `{"$let": {"vars": {"d": "$a"}, "in": "$$d.b"}}`, `{"a": {"b": 4}}`, `4`, 0},
	{"let/uppercase-var", `{"$let": {"vars": {"X": 1}, "in": "$$X"}}`, `{}`, ``, 16867},
	{"let/missing-in", `{"$let": {"vars": {}}}`, `{}`, ``, 16877},
	{"let/var-out-of-scope", `{"$add": [{"$let": {"vars": {"x": 1}, "in": "$$x"}}, "$$x"]}`, `{}`, ``, 17276},
	{"map/basic", `{"$map": {"input": "$q", "as": "g", "in": {"$add": ["$$g", 2]}}}`, `{"q": [5, 6, 7]}`, `[7, 8, 9]`, 0},
	{"map/default-this", `{"$map": {"input": [1, 2], "in": {"$multiply": ["$$this", 10]}}}`, `{}`, `[10, 20]`, 0},
	{"map/null-input", `{"$map": {"input": "$none", "in": 1}}`, `{}`, `null`, 0},
	{"map/non-array", `{"$map": {"input": 5, "in": 1}}`, `{}`, ``, 16883},
	{"filter/basic", `{"$filter": {"input": "$items", "as": "item", "cond": {"$gte": ["$$item.price", 100]}}}`, `{"items": [{"price": 110}, {"price": 5}, {"price": 100}]}`, `[{"price": 110}, {"price": 100}]`, 0},
	{"filter/limit", `{"$filter": {"input": [1, 2, 3, 4], "cond": {"$gt": ["$$this", 1]}, "limit": 2}}`, `{}`, `[2, 3]`, 0},
	{"filter/missing-cond", `{"$filter": {"input": []}}`, `{}`, ``, 28650},
	{"reduce/sum", `{"$reduce": {"input": [1, 2, 3], "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}}`, `{}`, `6`, 0},

	// strings
	{"concat/basic", `{"$concat": ["$item", " - ", "$description"]}`, `{"item": "ABC1", "description": "product 1"}`, `"ABC1 - product 1"`, 0},
	{"concat/null", `{"$concat": ["a", null]}`, `{}`, `null`, 0},
	{"concat/missing", `{"$concat": ["a", "$nope"]}`, `{}`, `null`, 0},
	{"concat/number", `{"$concat": ["a", 1]}`, `{}`, ``, 16702},
	{"concat/empty", `{"$concat": []}`, `{}`, `""`, 0},
	{"toLower/basic", `{"$toLower": "$item"}`, `{"item": "ABC1"}`, `"abc1"`, 0},
	{"toLower/null", `{"$toLower": null}`, `{}`, `""`, 0},
	{"toLower/number", `{"$toLower": 12}`, `{}`, `"12"`, 0},
	{"toLower/non-ascii-unchanged", `{"$toLower": "ÉA"}`, `{}`, `"Éa"`, 0},
	{"toUpper/basic", `{"$toUpper": ["abc"]}`, `{}`, `"ABC"`, 0},
	{"toUpper/array", `{"$toUpper": [[1]]}`, `{}`, ``, 16007},
	{"substr/basic", `{"$substr": ["$quarter", 0, 2]}`, `{"quarter": "13Q1"}`, `"13"`, 0},
	{"substr/negative-length", `{"$substr": ["$quarter", 2, -1]}`, `{"quarter": "13Q1"}`, `"Q1"`, 0},
	{"substr/past-end", `{"$substr": ["abc", 10, 1]}`, `{}`, `""`, 0},
	{"substrBytes/mid-character", `{"$substrBytes": ["é", 1, 1]}`, `{}`, ``, 28656},
	{"substrCP/basic", `{"$substrCP": ["cafétéria", 0, 5]}`, `{}`, `"cafét"`, 0},
	{"substrCP/negative-start", `{"$substrCP": ["abc", -1, 2]}`, `{}`, ``, 34455},
	{"substrCP/non-numeric", `{"$substrCP": ["abc", "a", 2]}`, `{}`, ``, 34450},
	{"strLenCP/basic", `{"$strLenCP": "cafétéria"}`, `{}`, `9`, 0},
	{"strLenBytes/basic", `{"$strLenBytes": "cafétéria"}`, `{}`, `11`, 0},
	{"strLenCP/null", `{"$strLenCP": null}`, `{}`, ``, 34471},
	{"strcasecmp/equal", `{"$strcasecmp": ["ABC", "abc"]}`, `{}`, `0`, 0},
	{"split/basic", `{"$split": ["a-b-c", "-"]}`, `{}`, `["a", "b", "c"]`, 0},

	// arrays and types
	{"in/true", `{"$in": ["bananas", "$in_stock"]}`, `{"in_stock": ["apples", "bananas"]}`, `true`, 0},
	{"in/false", `{"$in": [3, [1, 2]]}`, `{}`, `false`, 0},
	{"in/numeric-types", `{"$in": [2.0, [1, 2]]}`, `{}`, `true`, 0},
	{"in/not-array", `{"$in": [1, "$missing"]}`, `{}`, ``, 40081},
	{"size/basic", `{"$size": "$colors"}`, `{"colors": ["blue", "black"]}`, `2`, 0},
	{"size/empty", `{"$size": [[]]}`, `{}`, `0`, 0},
	{"size/missing", `{"$size": "$colors"}`, `{}`, ``, 17124},
	{"arrayElemAt/first", `{"$arrayElemAt": ["$favorites", 0]}`, `{"favorites": ["chocolate", "cake"]}`, `"chocolate"`, 0},
	{"arrayElemAt/last", `{"$arrayElemAt": ["$favorites", -1]}`, `{"favorites": ["chocolate", "cake"]}`, `"cake"`, 0},
	{"arrayElemAt/out-of-range", `{"$arrayElemAt": ["$favorites", 5]}`, `{"favorites": ["chocolate"]}`, `MISSING`, 0},
	{"arrayElemAt/null", `{"$arrayElemAt": ["$nope", 0]}`, `{}`, `null`, 0},
	{"arrayElemAt/not-array", `{"$arrayElemAt": [1, 0]}`, `{}`, ``, 28689},
	{"arrayElemAt/fractional-index", `{"$arrayElemAt": [[1], 0.5]}`, `{}`, ``, 28691},
	{"arrayElemAt/double-integral-index", `{"$arrayElemAt": [[1, 2], 1.0]}`, `{}`, `2`, 0},
	{"isArray/true", `{"$isArray": ["$a"]}`, `{"a": []}`, `true`, 0},
	{"concatArrays/basic", `{"$concatArrays": [[1], [2, 3]]}`, `{}`, `[1, 2, 3]`, 0},
	{"mergeObjects/basic", `{"$mergeObjects": [{"a": 1, "b": 1}, "$x", {"b": 2, "c": 3}]}`, `{}`, `{"a": 1, "b": 2, "c": 3}`, 0},
	{"type/int", `{"$type": "$a"}`, `{"a": 1}`, `"int"`, 0},
	{"type/long", `{"$type": {"$numberLong": "1"}}`, `{}`, `"long"`, 0},
	{"type/missing", `{"$type": "$a"}`, `{}`, `"missing"`, 0},
	{"type/array-literal", `{"$type": [[1]]}`, `{}`, `"array"`, 0},
	{"toString/int", `{"$toString": 5}`, `{}`, `"5"`, 0},
	{"toString/double", `{"$toString": 2.5}`, `{}`, `"2.5"`, 0},
	{"toString/bool", `{"$toString": true}`, `{}`, `"true"`, 0},
	{"toString/null", `{"$toString": null}`, `{}`, `null`, 0},
	{"toString/date", `{"$toString": {"$date": "2018-03-27T16:58:51.538Z"}}`, `{}`, `"2018-03-27T16:58:51.538Z"`, 0},
	{"toString/array", `{"$toString": [[1]]}`, `{}`, ``, 241},
	{"toInt/string", `{"$toInt": "12"}`, `{}`, `12`, 0},
	{"toInt/double-truncates", `{"$toInt": 2.9}`, `{}`, `2`, 0},
	{"toInt/bad-string", `{"$toInt": "x"}`, `{}`, ``, 241},
	{"toInt/overflow", `{"$toInt": 3000000000}`, `{}`, ``, 241},
	{"toLong/int", `{"$toLong": 5}`, `{}`, `{"$numberLong": "5"}`, 0},
	{"toDouble/string", `{"$toDouble": "1.5"}`, `{}`, `1.5`, 0},
	{"toBool/zero", `{"$toBool": 0}`, `{}`, `false`, 0},

	// $sum/$avg/$min/$max as expressions
	{"sum/array-field", `{"$sum": "$a"}`, `{"a": [1, 2, "x", 3.5]}`, `6.5`, 0},
	{"sum/args", `{"$sum": [1, "$b", 2]}`, `{"b": 3}`, `6`, 0},
	{"sum/missing", `{"$sum": "$nope"}`, `{}`, `0`, 0},
	{"avg/array", `{"$avg": [[1, 2, 3, 4]]}`, `{}`, `2.5`, 0},
	{"avg/empty", `{"$avg": [[]]}`, `{}`, `null`, 0},
	{"max/args", `{"$max": [1, 5, null, 3]}`, `{}`, `5`, 0},
	{"min/array-field", `{"$min": "$a"}`, `{"a": [4, 2, 8]}`, `2`, 0},

	// dates
	{"date/year", `{"$year": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `2014`, 0},
	{"date/month", `{"$month": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `1`, 0},
	{"date/dayOfMonth", `{"$dayOfMonth": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `1`, 0},
	{"date/hour", `{"$hour": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `8`, 0},
	{"date/minute", `{"$minute": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `15`, 0},
	{"date/second", `{"$second": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `39`, 0},
	{"date/millisecond", `{"$millisecond": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `736`, 0},
	{"date/dayOfYear", `{"$dayOfYear": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `1`, 0},
	{"date/dayOfWeek", `{"$dayOfWeek": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `4`, 0},
	{"date/week", `{"$week": "$d"}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `0`, 0},
	{"date/timezone", `{"$hour": {"date": "$d", "timezone": "America/New_York"}}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `3`, 0},
	{"date/offset", `{"$hour": {"date": "$d", "timezone": "+05:30"}}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `13`, 0},
	{"date/bad-timezone", `{"$hour": {"date": "$d", "timezone": "Nowhere/Nope"}}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, ``, 40485},
	{"date/null", `{"$year": "$nope"}`, `{}`, `null`, 0},
	{"date/string", `{"$year": "x"}`, `{}`, ``, 16006},
	{"dateToString/format", `{"$dateToString": {"format": "%Y-%m-%d", "date": "$d"}}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `"2014-01-01"`, 0},
	{"dateToString/default", `{"$dateToString": {"date": "$d"}}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `"2014-01-01T08:15:39.736Z"`, 0},
	{"dateToString/time", `{"$dateToString": {"format": "%H:%M:%S:%L%z", "date": "$d", "timezone": "+04:30"}}`, `{"d": {"$date": "2014-01-01T08:15:39.736Z"}}`, `"12:45:39:736+0430"`, 0},
	{"dateToString/onNull", `{"$dateToString": {"date": "$nope", "onNull": "none"}}`, `{}`, `"none"`, 0},
	{"dateToString/bad-format", `{"$dateToString": {"format": "%Q", "date": "$d"}}`, `{}`, ``, 18536},

	// more numeric and conversion edges
	{"add/decimal-double", `{"$add": [{"$numberDecimal": "0.1"}, 0.2]}`, `{}`, `{"$numberDecimal": "0.300000000000000"}`, 0},
	{"add/decimal-keeps-scale", `{"$add": [{"$numberDecimal": "1.10"}, {"$numberDecimal": "2.205"}]}`, `{}`, `{"$numberDecimal": "3.305"}`, 0},
	{"subtract/decimal", `{"$subtract": [{"$numberDecimal": "5.00"}, 1]}`, `{}`, `{"$numberDecimal": "4.00"}`, 0},
	{"divide/decimal-inexact", `{"$divide": [{"$numberDecimal": "1"}, 3]}`, `{}`, `{"$numberDecimal": "0.3333333333333333333333333333333333"}`, 0},
	{"multiply/decimal", `{"$multiply": [{"$numberDecimal": "1.5"}, 2]}`, `{}`, `{"$numberDecimal": "3.0"}`, 0},
	{"divide/decimal", `{"$divide": [{"$numberDecimal": "1"}, 4]}`, `{}`, `{"$numberDecimal": "0.25"}`, 0},
	{"abs/decimal", `{"$abs": {"$numberDecimal": "-2.5"}}`, `{}`, `{"$numberDecimal": "2.5"}`, 0},
	{"floor/decimal", `{"$floor": {"$numberDecimal": "-2.5"}}`, `{}`, `{"$numberDecimal": "-3"}`, 0},
	{"toString/large-double", `{"$toString": 1e21}`, `{}`, `"1e+21"`, 0},
	{"toString/small-double", `{"$toString": 0.000001}`, `{}`, `"0.000001"`, 0},
	{"toString/long", `{"$toString": {"$numberLong": "-5"}}`, `{}`, `"-5"`, 0},
	{"toString/objectId", `{"$toString": {"$oid": "5ab9cbfa31c2ab715d42129e"}}`, `{}`, `"5ab9cbfa31c2ab715d42129e"`, 0},
	{"toDouble/decimal", `{"$toDouble": {"$numberDecimal": "2.5"}}`, `{}`, `2.5`, 0},
	{"toLong/date", `{"$toLong": {"$date": {"$numberLong": "1000"}}}`, `{}`, `{"$numberLong": "1000"}`, 0},
	{"toBool/string", `{"$toBool": "false"}`, `{}`, `true`, 0},
	{"now/is-date", `{"$type": "$$NOW"}`, `{}`, `"date"`, 0},
	{"first/array", `{"$first": [[3, 4]]}`, `{}`, `3`, 0},
	{"last/array", `{"$last": "$a"}`, `{"a": [3, 4]}`, `4`, 0},
	{"last/empty", `{"$last": [[]]}`, `{}`, `MISSING`, 0},
	{"reverseArray/basic", `{"$reverseArray": [[1, 2, 3]]}`, `{}`, `[3, 2, 1]`, 0},
	{"isNumber/decimal", `{"$isNumber": {"$numberDecimal": "1"}}`, `{}`, `true`, 0},
	{"isNumber/string", `{"$isNumber": "1"}`, `{}`, `false`, 0},
	{"concatArrays/null", `{"$concatArrays": [[1], null]}`, `{}`, `null`, 0},
	{"concatArrays/not-array", `{"$concatArrays": [[1], 2]}`, `{}`, ``, 28664},
	{"mergeObjects/not-object", `{"$mergeObjects": [1]}`, `{}`, ``, 40400},
	{"type/decimal", `{"$type": {"$numberDecimal": "1"}}`, `{}`, `"decimal"`, 0},
	{"type/date", `{"$type": {"$date": "2020-01-01T00:00:00Z"}}`, `{}`, `"date"`, 0},
	{"type/null", `{"$type": null}`, `{}`, `"null"`, 0},
	{"type/object", `{"$type": {"a": 1}}`, `{}`, `"object"`, 0},
}

func TestExpr_Eval(t *testing.T) {
	for _, tc := range aggExprCases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := expr.Compile(aggValue(t, tc.expr))
			var got bson.RawValue
			if err == nil {
				got, err = e.Eval(aggDoc(t, tc.doc))
			}
			if tc.code != 0 {
				if codes.CodeOf(err) != tc.code {
					t.Fatalf("err = %v, want code %d", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := "MISSING"
			if tc.want != "MISSING" {
				want = aggCanon(t, aggValue(t, tc.want))
			}
			if g := aggCanon(t, got); g != want {
				t.Fatalf("got  %s\nwant %s", g, want)
			}
		})
	}
}

func TestExpr_ErrorMessages(t *testing.T) {
	cases := []struct {
		name, expr, doc, msg string
	}{
		{"unknown", `{"$foo": 1}`, `{}`, "Unrecognized expression '$foo'"},
		{"divide-by-zero", `{"$divide": [1, 0]}`, `{}`, "can't $divide by zero"},
		{"arity", `{"$eq": [1]}`, `{}`, "Expression $eq takes exactly 2 arguments. 1 were passed in."},
		{"add-type", `{"$add": ["a"]}`, `{}`, "$add only supports numeric or date types, not string"},
		{"size-type", `{"$size": "$a"}`, `{}`, "The argument to $size must be an array. Type of argument is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := expr.Compile(aggValue(t, tc.expr))
			if err == nil {
				_, err = e.Eval(aggDoc(t, tc.doc))
			}
			ce, ok := codes.As(err)
			if !ok || ce.Message != tc.msg {
				t.Fatalf("err = %v, want message %q", err, tc.msg)
			}
		})
	}
}

func TestTruthy(t *testing.T) {
	cases := []struct {
		name, v string
		want    bool
	}{
		{"false", `false`, false},
		{"true", `true`, true},
		{"null", `null`, false},
		{"undefined", `{"$undefined": true}`, false},
		{"zero-int", `0`, false},
		{"zero-long", `{"$numberLong": "0"}`, false},
		{"zero-double", `0.0`, false},
		{"zero-decimal", `{"$numberDecimal": "0.00"}`, false},
		{"nonzero-decimal", `{"$numberDecimal": "0.01"}`, true},
		{"negative", `-1`, true},
		{"empty-string", `""`, true},
		{"empty-array", `[]`, true},
		{"empty-doc", `{}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := expr.Truthy(aggValue(t, tc.v)); got != tc.want {
				t.Fatalf("Truthy(%s) = %v, want %v", tc.v, got, tc.want)
			}
		})
	}
	if expr.Truthy(bson.RawValue{}) {
		t.Fatal("missing must be falsy")
	}
}

func TestExpr_NilEvalIsMissing(t *testing.T) {
	var e *expr.Expr
	v, err := e.Eval(aggDoc(t, `{}`))
	if err != nil || v.Type != 0 {
		t.Fatalf("nil Expr: %v %v", v, err)
	}
}

func TestCompileExpr_InvalidBSON(t *testing.T) {
	bad := bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: []byte{9, 0, 0, 0, 0x10, 'a', 0, 1}}
	if _, err := expr.Compile(bad); codes.CodeOf(err) == 0 {
		t.Fatalf("want coded error, got %v", err)
	}
}
