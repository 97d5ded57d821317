package filter_test

import (
	"errors"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// filterDoc parses relaxed extended JSON into a document.
func filterDoc(tb testing.TB, s string) bson.Raw {
	tb.Helper()
	if s == "" {
		return nil
	}
	var r bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &r); err != nil {
		tb.Fatalf("bad test JSON %s: %v", s, err)
	}
	return r
}

// filterMatchCase is one filter applied to one document.
type filterMatchCase struct {
	name   string
	filter string
	doc    string
	want   bool
}

// filterMatchCases are grouped by operator; most come from the MongoDB manual's
// examples (query operators, "Query an Array", "Query on Embedded/Nested
// Documents", "Query for Null or Missing Fields").
var filterMatchCases = []filterMatchCase{
	// empty filters
	{"empty/matches", `{}`, `{"a": 1}`, true},
	{"empty/matches-empty-doc", `{}`, `{}`, true},

	// $eq and implicit equality
	{"eq/int", `{"a": 1}`, `{"a": 1}`, true},
	{"eq/int-vs-double", `{"a": 1}`, `{"a": 1.0}`, true},
	{"eq/int-vs-long", `{"a": {"$numberLong": "5"}}`, `{"a": 5}`, true},
	{"eq/int-vs-decimal", `{"a": {"$numberDecimal": "2.50"}}`, `{"a": 2.5}`, true},
	{"eq/decimal-vs-double-inexact", `{"a": {"$numberDecimal": "0.1"}}`, `{"a": 0.1}`, false},
	{"eq/mismatch", `{"a": 1}`, `{"a": 2}`, false},
	{"eq/string-vs-number", `{"a": "1"}`, `{"a": 1}`, false},
	{"eq/missing", `{"a": 1}`, `{"b": 1}`, false},
	{"eq/explicit", `{"a": {"$eq": 1}}`, `{"a": 1}`, true},
	{"eq/dotted", `{"size.uom": "in"}`, `{"size": {"h": 14, "uom": "in"}}`, true},
	{"eq/dotted-missing-parent", `{"size.uom": "in"}`, `{"x": 1}`, false},
	{"eq/dotted-scalar-parent", `{"size.uom": "in"}`, `{"size": 5}`, false},
	{"eq/embedded-exact", `{"size": {"h": 14, "w": 21, "uom": "cm"}}`, `{"size": {"h": 14, "w": 21, "uom": "cm"}}`, true},
	{"eq/embedded-order-matters", `{"size": {"w": 21, "h": 14, "uom": "cm"}}`, `{"size": {"h": 14, "w": 21, "uom": "cm"}}`, false},
	{"eq/embedded-subset", `{"size": {"h": 14}}`, `{"size": {"h": 14, "w": 21}}`, false},
	{"eq/empty-doc-literal", `{"a": {}}`, `{"a": {}}`, true},
	{"eq/array-element", `{"tags": "red"}`, `{"tags": ["blank", "red"]}`, true},
	{"eq/array-whole", `{"tags": ["red", "blank"]}`, `{"tags": ["red", "blank"]}`, true},
	{"eq/array-whole-order", `{"tags": ["blank", "red"]}`, `{"tags": ["red", "blank"]}`, false},
	{"eq/array-nested-element", `{"a": [1, 2]}`, `{"a": [[1, 2], 3]}`, true},
	{"eq/array-of-arrays-no-deep", `{"a": 1}`, `{"a": [[1, 2]]}`, false},
	{"eq/array-of-docs-path", `{"instock.qty": 5}`, `{"instock": [{"w": "A", "qty": 5}, {"w": "C", "qty": 15}]}`, true},
	{"eq/array-of-docs-element", `{"instock": {"warehouse": "A", "qty": 5}}`, `{"instock": [{"warehouse": "A", "qty": 5}, {"warehouse": "C", "qty": 15}]}`, true},
	{"eq/array-of-docs-element-order", `{"instock": {"qty": 5, "warehouse": "A"}}`, `{"instock": [{"warehouse": "A", "qty": 5}]}`, false},
	{"eq/array-index", `{"instock.0.qty": 5}`, `{"instock": [{"qty": 5}, {"qty": 15}]}`, true},
	{"eq/array-index-other", `{"instock.1.qty": 5}`, `{"instock": [{"qty": 5}, {"qty": 15}]}`, false},
	{"eq/array-index-scalar", `{"a.1": 2}`, `{"a": [1, 2, 3]}`, true},
	{"eq/array-index-out-of-range", `{"a.5": 2}`, `{"a": [1, 2, 3]}`, false},
	// A path that ends at an explicit array index yields that element without
	// expanding it (path.cpp: "Our path terminates at the array offset").
	{"eq/array-index-leaf-array", `{"a.0": 1}`, `{"a": [[1, 2]]}`, false},
	{"eq/array-index-leaf-array-whole", `{"a.0": [1, 2]}`, `{"a": [[1, 2]]}`, true},
	{"eq/array-index-nested-array-path", `{"a.0.b": 1}`, `{"a": [[{"b": 1}]]}`, true},
	{"eq/numeric-field-name-in-doc", `{"a.0": 7}`, `{"a": {"0": 7}}`, true},
	{"eq/array-of-arrays-of-docs-no-traversal", `{"a.b": 1}`, `{"a": [[{"b": 1}]]}`, false},
	{"eq/nested-arrays-via-docs", `{"a.b.c": 3}`, `{"a": [{"b": [{"c": 1}, {"c": 3}]}]}`, true},
	{"eq/leaf-array-under-array", `{"a.b": 2}`, `{"a": [{"b": [1, 2]}]}`, true},
	{"eq/leaf-array-whole-under-array", `{"a.b": [1, 2]}`, `{"a": [{"b": [1, 2]}]}`, true},
	{"eq/objectid", `{"_id": {"$oid": "000000000000000000000001"}}`, `{"_id": {"$oid": "000000000000000000000001"}}`, true},
	{"eq/bool", `{"a": true}`, `{"a": true}`, true},
	{"eq/bool-vs-int", `{"a": true}`, `{"a": 1}`, false},
	{"eq/date", `{"a": {"$date": "2020-01-01T00:00:00Z"}}`, `{"a": {"$date": "2020-01-01T00:00:00Z"}}`, true},
	{"eq/nan-nan", `{"a": {"$numberDouble": "NaN"}}`, `{"a": {"$numberDouble": "NaN"}}`, true},
	{"eq/nan-number", `{"a": {"$numberDouble": "NaN"}}`, `{"a": 1}`, false},
	{"eq/minkey", `{"a": {"$minKey": 1}}`, `{"a": {"$minKey": 1}}`, true},
	{"eq/minkey-vs-null", `{"a": {"$minKey": 1}}`, `{"a": null}`, false},
	{"eq/regex-value", `{"a": {"$eq": {"$regularExpression": {"pattern": "ab", "options": "i"}}}}`, `{"a": {"$regularExpression": {"pattern": "ab", "options": "i"}}}`, true},
	{"eq/regex-value-not-string", `{"a": {"$eq": {"$regularExpression": {"pattern": "ab", "options": ""}}}}`, `{"a": "ab"}`, false},
	{"eq/dbref-literal", `{"a": {"$ref": "c", "$id": 1}}`, `{"a": {"$ref": "c", "$id": 1}}`, true},

	// null and missing
	{"null/null", `{"item": null}`, `{"item": null}`, true},
	{"null/missing", `{"item": null}`, `{"x": 1}`, true},
	{"null/present", `{"item": null}`, `{"item": 1}`, false},
	{"null/dotted-missing", `{"a.b": null}`, `{"a": 1}`, true},
	{"null/dotted-missing-doc", `{"a.b": null}`, `{"a": {"c": 1}}`, true},
	{"null/array-with-null", `{"a": null}`, `{"a": [1, null]}`, true},
	{"null/array-without-null", `{"a": null}`, `{"a": [1, 2]}`, false},
	{"null/array-of-docs-missing", `{"a.b": null}`, `{"a": [{"b": 1}, {"c": 2}]}`, true},
	{"null/array-of-docs-all-present", `{"a.b": null}`, `{"a": [{"b": 1}, {"b": 2}]}`, false},
	{"null/array-of-scalars", `{"a.b": null}`, `{"a": [1, 2]}`, false},
	{"null/empty-array", `{"a.b": null}`, `{"a": []}`, false},
	{"null/type-10", `{"item": {"$type": 10}}`, `{"x": 1}`, false},
	{"null/type-10-null", `{"item": {"$type": 10}}`, `{"item": null}`, true},
	{"null/exists-false", `{"item": {"$exists": false}}`, `{"item": null}`, false},
	{"null/exists-false-missing", `{"item": {"$exists": false}}`, `{"x": 1}`, true},
	{"null/gte", `{"a": {"$gte": null}}`, `{"b": 1}`, true},
	{"null/lte", `{"a": {"$lte": null}}`, `{"a": null}`, true},
	{"null/gt", `{"a": {"$gt": null}}`, `{"a": null}`, false},
	{"null/lt-missing", `{"a": {"$lt": null}}`, `{"b": 1}`, false},
	{"null/ne", `{"a": {"$ne": null}}`, `{"b": 1}`, false},
	{"null/ne-present", `{"a": {"$ne": null}}`, `{"a": 0}`, true},
	{"null/in", `{"a": {"$in": [null, 5]}}`, `{"b": 1}`, true},
	{"null/nin", `{"a": {"$nin": [null]}}`, `{"b": 1}`, false},

	// $ne
	{"ne/different", `{"a": {"$ne": 1}}`, `{"a": 2}`, true},
	{"ne/same", `{"a": {"$ne": 1}}`, `{"a": 1.0}`, false},
	{"ne/missing", `{"a": {"$ne": 1}}`, `{"b": 1}`, true},
	{"ne/array-contains", `{"a": {"$ne": 2}}`, `{"a": [1, 2]}`, false},
	{"ne/array-not-contains", `{"a": {"$ne": 3}}`, `{"a": [1, 2]}`, true},
	{"ne/type-mismatch", `{"a": {"$ne": "1"}}`, `{"a": 1}`, true},
	{"ne/dotted-array", `{"a.b": {"$ne": 1}}`, `{"a": [{"b": 1}, {"b": 2}]}`, false},

	// $gt $gte $lt $lte
	{"gt/yes", `{"qty": {"$gt": 20}}`, `{"qty": 25}`, true},
	{"gt/equal", `{"qty": {"$gt": 20}}`, `{"qty": 20}`, false},
	{"gt/mixed-types", `{"qty": {"$gt": 20}}`, `{"qty": 20.5}`, true},
	{"gt/long-vs-double", `{"a": {"$gt": 9007199254740992.0}}`, `{"a": {"$numberLong": "9007199254740993"}}`, true},
	{"gt/decimal", `{"a": {"$gt": {"$numberDecimal": "1.1"}}}`, `{"a": 1.2}`, true},
	{"gt/string-vs-number", `{"qty": {"$gt": 20}}`, `{"qty": "30"}`, false},
	{"gt/string", `{"s": {"$gt": "abc"}}`, `{"s": "abd"}`, true},
	{"gt/string-bytewise", `{"s": {"$gt": "Z"}}`, `{"s": "a"}`, true},
	{"gt/missing", `{"qty": {"$gt": 20}}`, `{}`, false},
	{"gt/array-any", `{"a": {"$gt": 5}}`, `{"a": [1, 7]}`, true},
	{"gt/array-none", `{"a": {"$gt": 5}}`, `{"a": [1, 2]}`, false},
	{"gt/array-vs-array", `{"a": {"$gt": [1]}}`, `{"a": [1, 2]}`, true},
	{"gt/nan", `{"a": {"$gt": 0}}`, `{"a": {"$numberDouble": "NaN"}}`, false},
	{"gt/nan-rhs", `{"a": {"$lt": {"$numberDouble": "NaN"}}}`, `{"a": -1e308}`, false},
	{"gte/nan-nan", `{"a": {"$gte": {"$numberDouble": "NaN"}}}`, `{"a": {"$numberDouble": "NaN"}}`, true},
	{"gte/equal", `{"qty": {"$gte": 20}}`, `{"qty": 20}`, true},
	{"lt/yes", `{"qty": {"$lt": 20}}`, `{"qty": 19}`, true},
	{"lt/date", `{"d": {"$lt": {"$date": "2021-01-01T00:00:00Z"}}}`, `{"d": {"$date": "2020-01-01T00:00:00Z"}}`, true},
	{"lt/date-vs-timestamp", `{"d": {"$lt": {"$date": "2021-01-01T00:00:00Z"}}}`, `{"d": {"$timestamp": {"t": 1, "i": 1}}}`, false},
	{"lte/equal", `{"qty": {"$lte": 20}}`, `{"qty": 20.0}`, true},
	{"range/both", `{"qty": {"$gt": 10, "$lt": 20}}`, `{"qty": 15}`, true},
	{"range/array-split", `{"a": {"$gt": 10, "$lt": 20}}`, `{"a": [5, 25]}`, true},
	{"range/elemmatch-split", `{"a": {"$elemMatch": {"$gt": 10, "$lt": 20}}}`, `{"a": [5, 25]}`, false},
	{"maxkey/lt", `{"a": {"$lt": {"$maxKey": 1}}}`, `{"a": "x"}`, true},
	{"maxkey/gt", `{"a": {"$gt": {"$maxKey": 1}}}`, `{"a": "x"}`, false},
	{"minkey/gt", `{"a": {"$gt": {"$minKey": 1}}}`, `{"a": null}`, true},
	{"minkey/gte-missing", `{"a": {"$gte": {"$minKey": 1}}}`, `{"b": 1}`, true},
	{"bool/gt", `{"a": {"$gt": false}}`, `{"a": true}`, true},
	{"objectid/lt", `{"a": {"$lt": {"$oid": "000000000000000000000002"}}}`, `{"a": {"$oid": "000000000000000000000001"}}`, true},

	// $in $nin
	{"in/yes", `{"qty": {"$in": [5, 15]}}`, `{"qty": 15}`, true},
	{"in/no", `{"qty": {"$in": [5, 15]}}`, `{"qty": 10}`, false},
	{"in/empty", `{"qty": {"$in": []}}`, `{"qty": 10}`, false},
	{"in/array-field", `{"tags": {"$in": ["home", "school"]}}`, `{"tags": ["school", "book"]}`, true},
	{"in/regex", `{"tags": {"$in": [{"$regularExpression": {"pattern": "^be", "options": ""}}, "x"]}}`, `{"tags": ["best"]}`, true},
	{"in/whole-array", `{"a": {"$in": [[1, 2]]}}`, `{"a": [1, 2]}`, true},
	{"nin/yes", `{"qty": {"$nin": [5, 15]}}`, `{"qty": 10}`, true},
	{"nin/missing", `{"qty": {"$nin": [5, 15]}}`, `{}`, true},
	{"nin/array-contains", `{"tags": {"$nin": ["a"]}}`, `{"tags": ["b", "a"]}`, false},

	// $exists
	{"exists/true", `{"a": {"$exists": true}}`, `{"a": null}`, true},
	{"exists/true-missing", `{"a": {"$exists": true}}`, `{"b": 1}`, false},
	{"exists/false", `{"a": {"$exists": false}}`, `{"b": 1}`, true},
	{"exists/number-truthy", `{"a": {"$exists": 1}}`, `{"a": 0}`, true},
	{"exists/zero-is-false", `{"a": {"$exists": 0}}`, `{"a": 0}`, false},
	{"exists/empty-array", `{"a": {"$exists": true}}`, `{"a": []}`, true},
	{"exists/dotted-array", `{"a.b": {"$exists": true}}`, `{"a": [{"c": 1}, {"b": 2}]}`, true},
	{"exists/dotted-array-none", `{"a.b": {"$exists": true}}`, `{"a": [{"c": 1}]}`, false},
	{"exists/dotted-scalars", `{"a.b": {"$exists": false}}`, `{"a": [1, 2]}`, true},
	{"exists/index", `{"a.1": {"$exists": true}}`, `{"a": [1, 2]}`, true},
	{"exists/index-out", `{"a.2": {"$exists": true}}`, `{"a": [1, 2]}`, false},

	// $type
	{"type/string-alias", `{"a": {"$type": "string"}}`, `{"a": "x"}`, true},
	{"type/number-code", `{"a": {"$type": 2}}`, `{"a": "x"}`, true},
	{"type/double-code", `{"a": {"$type": 2.0}}`, `{"a": "x"}`, true},
	{"type/number", `{"a": {"$type": "number"}}`, `{"a": {"$numberLong": "1"}}`, true},
	{"type/number-no", `{"a": {"$type": "number"}}`, `{"a": "1"}`, false},
	{"type/int", `{"a": {"$type": "int"}}`, `{"a": 1}`, true},
	{"type/long-vs-int", `{"a": {"$type": "long"}}`, `{"a": 1}`, false},
	{"type/decimal", `{"a": {"$type": "decimal"}}`, `{"a": {"$numberDecimal": "1"}}`, true},
	{"type/array", `{"a": {"$type": "array"}}`, `{"a": [1]}`, true},
	{"type/array-empty", `{"a": {"$type": "array"}}`, `{"a": []}`, true},
	{"type/array-element", `{"a": {"$type": "string"}}`, `{"a": [1, "x"]}`, true},
	{"type/list", `{"a": {"$type": ["string", "double"]}}`, `{"a": 1.5}`, true},
	{"type/list-empty", `{"a": {"$type": []}}`, `{"a": 1.5}`, false},
	{"type/object", `{"a": {"$type": "object"}}`, `{"a": {}}`, true},
	{"type/missing", `{"a": {"$type": "null"}}`, `{}`, false},
	{"type/minkey", `{"a": {"$type": -1}}`, `{"a": {"$minKey": 1}}`, true},
	{"type/maxkey", `{"a": {"$type": "maxKey"}}`, `{"a": {"$maxKey": 1}}`, true},
	{"type/date", `{"a": {"$type": "date"}}`, `{"a": {"$date": "2020-01-01T00:00:00Z"}}`, true},
	{"type/binData", `{"a": {"$type": "binData"}}`, `{"a": {"$binary": {"base64": "AQI=", "subType": "00"}}}`, true},

	// logical
	{"and/yes", `{"$and": [{"a": 1}, {"b": 2}]}`, `{"a": 1, "b": 2}`, true},
	{"and/no", `{"$and": [{"a": 1}, {"b": 2}]}`, `{"a": 1, "b": 3}`, false},
	{"and/same-field", `{"$and": [{"price": {"$ne": 1.99}}, {"price": {"$exists": true}}]}`, `{"price": 2}`, true},
	{"or/first", `{"$or": [{"a": 1}, {"b": 2}]}`, `{"a": 1}`, true},
	{"or/second", `{"$or": [{"a": 1}, {"b": 2}]}`, `{"b": 2}`, true},
	{"or/none", `{"$or": [{"a": 1}, {"b": 2}]}`, `{"a": 2}`, false},
	{"or/with-implicit-and", `{"status": "A", "$or": [{"qty": {"$lt": 30}}, {"item": {"$regex": "^p"}}]}`, `{"status": "A", "qty": 50, "item": "paper"}`, true},
	{"or/with-implicit-and-fails", `{"status": "A", "$or": [{"qty": {"$lt": 30}}, {"item": {"$regex": "^p"}}]}`, `{"status": "D", "qty": 5}`, false},
	{"nor/none", `{"$nor": [{"price": 1.99}, {"sale": true}]}`, `{"price": 2}`, true},
	{"nor/one", `{"$nor": [{"price": 1.99}, {"sale": true}]}`, `{"sale": true}`, false},
	{"not/gt", `{"price": {"$not": {"$gt": 1.99}}}`, `{"price": 1.5}`, true},
	{"not/gt-missing", `{"price": {"$not": {"$gt": 1.99}}}`, `{}`, true},
	{"not/gt-no", `{"price": {"$not": {"$gt": 1.99}}}`, `{"price": 2.5}`, false},
	{"not/regex", `{"item": {"$not": {"$regularExpression": {"pattern": "^p.*", "options": ""}}}}`, `{"item": "paper"}`, false},
	{"not/regex-op", `{"item": {"$not": {"$regex": "^p.*"}}}`, `{"item": "book"}`, true},
	{"not/array", `{"a": {"$not": {"$gt": 5}}}`, `{"a": [1, 7]}`, false},
	{"comment/ignored", `{"a": 1, "$comment": "hello"}`, `{"a": 1}`, true},
	{"alwaysfalse", `{"$alwaysFalse": 1}`, `{"a": 1}`, false},
	{"alwaystrue", `{"$alwaysTrue": 1}`, `{"a": 1}`, true},

	// $regex
	{"regex/literal", `{"a": {"$regularExpression": {"pattern": "^ab", "options": ""}}}`, `{"a": "abc"}`, true},
	{"regex/literal-case", `{"a": {"$regularExpression": {"pattern": "^AB", "options": "i"}}}`, `{"a": "abc"}`, true},
	{"regex/op", `{"sku": {"$regex": "789$"}}`, `{"sku": "abc789"}`, true},
	{"regex/op-options", `{"sku": {"$regex": "^ABC", "$options": "i"}}`, `{"sku": "abc789"}`, true},
	{"regex/options-first", `{"sku": {"$options": "i", "$regex": "^ABC"}}`, `{"sku": "abc789"}`, true},
	{"regex/op-regex-value", `{"sku": {"$regex": {"$regularExpression": {"pattern": "^ABC", "options": "i"}}}}`, `{"sku": "abc789"}`, true},
	{"regex/multiline", `{"d": {"$regex": "^S", "$options": "m"}}`, `{"d": "First line\nSecond line"}`, true},
	{"regex/no-multiline", `{"d": {"$regex": "^S"}}`, `{"d": "First line\nSecond line"}`, false},
	{"regex/dotall", `{"d": {"$regex": "m.*line", "$options": "si"}}`, `{"d": "Multiple\nline"}`, true},
	{"regex/no-dotall", `{"d": {"$regex": "m.*line", "$options": "i"}}`, `{"d": "Multiple\nline"}`, false},
	{"regex/extended", `{"d": {"$regex": "abc #category code\n123 #item", "$options": "x"}}`, `{"d": "abc123"}`, true},
	{"regex/number-no", `{"a": {"$regex": "1"}}`, `{"a": 1}`, false},
	{"regex/array", `{"a": {"$regex": "^b"}}`, `{"a": ["a", "bc"]}`, true},
	{"regex/symbol", `{"a": {"$regex": "^b"}}`, `{"a": {"$symbol": "bc"}}`, true},
	// PCRE syntax beyond RE2
	{"regex/lookahead", `{"a": {"$regex": "^foo(?=bar)"}}`, `{"a": "foobar"}`, true},
	{"regex/lookahead-no", `{"a": {"$regex": "^foo(?=bar)"}}`, `{"a": "foobaz"}`, false},
	{"regex/negative-lookahead", `{"a": {"$regex": "^foo(?!bar)"}}`, `{"a": "foobaz"}`, true},
	{"regex/lookbehind", `{"a": {"$regex": "(?<=\\$)\\d+"}}`, `{"a": "cost $42"}`, true},
	{"regex/negative-lookbehind", `{"a": {"$regex": "(?<!\\$)\\b\\d+"}}`, `{"a": "cost $42"}`, false},
	{"regex/backreference", `{"a": {"$regex": "(\\w)\\1"}}`, `{"a": "hello"}`, true},
	{"regex/backreference-no", `{"a": {"$regex": "(\\w)\\1"}}`, `{"a": "helo"}`, false},
	{"regex/possessive", `{"a": {"$regex": "^a++b"}}`, `{"a": "aaab"}`, true},
	{"regex/possessive-gives-nothing-back", `{"a": {"$regex": "^a++a"}}`, `{"a": "aaaa"}`, false},
	{"regex/atomic-group", `{"a": {"$regex": "^(?>a+)a"}}`, `{"a": "aaaa"}`, false},
	{"regex/inline-i", `{"a": {"$regex": "(?i)^ABC"}}`, `{"a": "abc"}`, true},
	{"regex/dollar-before-final-newline", `{"a": {"$regex": "c$"}}`, `{"a": "abc\n"}`, true},
	{"regex/dollar-not-before-inner-newline", `{"a": {"$regex": "c$"}}`, `{"a": "abc\nd"}`, false},
	{"regex/backslash-Z", `{"a": {"$regex": "c\\Z"}}`, `{"a": "abc\n"}`, true},
	{"regex/catastrophic-stops-without-match", `{"a": {"$regex": "^(a+)+$"}}`, `{"a": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}`, false},
	{"regex/stored-regex", `{"a": {"$regularExpression": {"pattern": "x", "options": "i"}}}`, `{"a": {"$regularExpression": {"pattern": "x", "options": "i"}}}`, true},

	// $elemMatch
	{"elemmatch/value", `{"results": {"$elemMatch": {"$gte": 80, "$lt": 85}}}`, `{"results": [82, 85, 88]}`, true},
	{"elemmatch/value-no", `{"results": {"$elemMatch": {"$gte": 80, "$lt": 85}}}`, `{"results": [75, 88, 89]}`, false},
	{"elemmatch/object", `{"results": {"$elemMatch": {"product": "xyz", "score": {"$gte": 8}}}}`, `{"results": [{"product": "abc", "score": 10}, {"product": "xyz", "score": 8}]}`, true},
	{"elemmatch/object-split", `{"results": {"$elemMatch": {"product": "xyz", "score": {"$gte": 8}}}}`, `{"results": [{"product": "abc", "score": 10}, {"product": "xyz", "score": 5}]}`, false},
	{"elemmatch/not-array", `{"a": {"$elemMatch": {"$gt": 1}}}`, `{"a": 5}`, false},
	{"elemmatch/no-leaf-traversal", `{"a": {"$elemMatch": {"$gt": 1}}}`, `{"a": [[5]]}`, false},
	{"elemmatch/nested-array-elements", `{"a": {"$elemMatch": {"$elemMatch": {"$gt": 1}}}}`, `{"a": [[5]]}`, true},
	{"elemmatch/value-ne", `{"a": {"$elemMatch": {"$ne": 1}}}`, `{"a": [1, 2]}`, true},
	{"elemmatch/value-ne-all-equal", `{"a": {"$elemMatch": {"$ne": 1}}}`, `{"a": [1, 1]}`, false},
	{"elemmatch/object-and", `{"a": {"$elemMatch": {"$and": [{"b": 1}, {"c": 2}]}}}`, `{"a": [{"b": 1, "c": 2}]}`, true},
	{"elemmatch/object-scalars-skipped", `{"a": {"$elemMatch": {"b": {"$exists": false}}}}`, `{"a": [1, 2]}`, false},
	{"elemmatch/object-empty", `{"a": {"$elemMatch": {}}}`, `{"a": [1, {}]}`, true},
	{"elemmatch/object-empty-scalars", `{"a": {"$elemMatch": {}}}`, `{"a": [1]}`, false},
	{"elemmatch/dotted", `{"a.b": {"$elemMatch": {"c": 1}}}`, `{"a": [{"b": [{"c": 1}]}]}`, true},
	{"elemmatch/value-regex", `{"a": {"$elemMatch": {"$regex": "^x"}}}`, `{"a": ["y", "xa"]}`, true},
	{"elemmatch/empty-array", `{"a": {"$elemMatch": {"$exists": true}}}`, `{"a": []}`, false},

	// $size
	{"size/yes", `{"a": {"$size": 2}}`, `{"a": [1, 2]}`, true},
	{"size/no", `{"a": {"$size": 1}}`, `{"a": [1, 2]}`, false},
	{"size/zero", `{"a": {"$size": 0}}`, `{"a": []}`, true},
	{"size/double", `{"a": {"$size": 2.0}}`, `{"a": [1, 2]}`, true},
	{"size/not-array", `{"a": {"$size": 1}}`, `{"a": 1}`, false},
	{"size/nested-no-traversal", `{"a": {"$size": 2}}`, `{"a": [[1, 2]]}`, false},
	{"size/dotted", `{"a.b": {"$size": 2}}`, `{"a": [{"b": [1, 2]}]}`, true},
	{"size/missing", `{"a": {"$size": 0}}`, `{}`, false},

	// $all
	{"all/yes", `{"tags": {"$all": ["appliance", "school"]}}`, `{"tags": ["appliance", "school", "book"]}`, true},
	{"all/no", `{"tags": {"$all": ["appliance", "school"]}}`, `{"tags": ["appliance", "book"]}`, false},
	{"all/scalar-field", `{"tags": {"$all": ["a"]}}`, `{"tags": "a"}`, true},
	{"all/empty", `{"tags": {"$all": []}}`, `{"tags": ["a"]}`, false},
	{"all/nested-array", `{"tags": {"$all": [["ssl", "security"]]}}`, `{"tags": [["ssl", "security"], "x"]}`, true},
	{"all/nested-array-whole", `{"tags": {"$all": [["ssl", "security"]]}}`, `{"tags": ["ssl", "security"]}`, true},
	{"all/regex", `{"tags": {"$all": [{"$regularExpression": {"pattern": "^a", "options": ""}}, "b"]}}`, `{"tags": ["apple", "b"]}`, true},
	{"all/elemmatch", `{"qty": {"$all": [{"$elemMatch": {"size": "M", "num": {"$gt": 50}}}, {"$elemMatch": {"num": 100, "color": "green"}}]}}`,
		`{"qty": [{"size": "S", "num": 10, "color": "blue"}, {"size": "M", "num": 100, "color": "blue"}, {"size": "L", "num": 100, "color": "green"}]}`, true},
	{"all/elemmatch-no", `{"qty": {"$all": [{"$elemMatch": {"size": "M", "num": {"$gt": 50}}}, {"$elemMatch": {"num": 100, "color": "green"}}]}}`,
		`{"qty": [{"size": "S", "num": 10, "color": "blue"}, {"size": "M", "num": 100, "color": "blue"}]}`, false},
	{"all/dotted-array", `{"a.b": {"$all": [1, 2]}}`, `{"a": [{"b": 1}, {"b": 2}]}`, true},

	// $mod
	{"mod/yes", `{"qty": {"$mod": [4, 0]}}`, `{"qty": 12}`, true},
	{"mod/no", `{"qty": {"$mod": [4, 0]}}`, `{"qty": 21}`, false},
	{"mod/double-truncated", `{"qty": {"$mod": [4, 0]}}`, `{"qty": 4.9}`, true},
	{"mod/negative", `{"qty": {"$mod": [4, -1]}}`, `{"qty": -5}`, true},
	{"mod/double-divisor", `{"qty": {"$mod": [4.5, 0]}}`, `{"qty": 8}`, true},
	{"mod/string", `{"qty": {"$mod": [4, 0]}}`, `{"qty": "8"}`, false},
	{"mod/array", `{"qty": {"$mod": [4, 1]}}`, `{"qty": [2, 5]}`, true},

	// embedded documents with operators and odd shapes
	{"shape/op-doc-with-literal-key", `{"a": {"b": 1, "$gt": 0}}`, `{"a": {"b": 1, "$gt": 0}}`, true},
	{"shape/empty-field-name", `{"": 1}`, `{"": 1}`, true},
	{"shape/mixed-array", `{"a": 1}`, `{"a": ["1", {"a": 1}, 1.0]}`, true},
	{"shape/array-in-array-index", `{"a.1.0": 3}`, `{"a": [[1], [3]]}`, true},
	{"shape/in-nested-array", `{"a": {"$in": [1]}}`, `{"a": [[1]]}`, false},
	{"shape/leaf-array-of-arrays-under-docs", `{"a.b": 1}`, `{"a": [{"b": [[1]]}]}`, false},
	{"shape/empty-doc-exists-false", `{"a": {"$exists": false}}`, `{}`, true},
	{"shape/empty-doc-eq", `{"a": 1}`, `{}`, false},
	{"shape/lt-type-mismatch", `{"a": {"$lt": "b"}}`, `{"a": 1}`, false},
	{"shape/deep-doc-path", `{"a.b.c.d": 1}`, `{"a": {"b": {"c": {"d": 1}}}}`, true},
	{"shape/field-named-like-operator-in-literal", `{"a": {"b": {"$gt": 1}}}`, `{"a": {"b": 2}}`, false},

	// null at an array index (mongod: {"ids.0": null} skips {ids: []})
	{"null-index/empty-array", `{"ids.0": null}`, `{"ids": []}`, false},
	{"null-index/null-element", `{"ids.0": null}`, `{"ids": [null]}`, true},
	{"null-index/missing", `{"ids.0": null}`, `{}`, true},
	{"null-index/number", `{"ids.0": null}`, `{"ids": [5]}`, false},
}

func TestFilter_Match(t *testing.T) {
	for _, c := range filterMatchCases {
		t.Run(c.name, func(t *testing.T) {
			f, err := filter.Compile(filterDoc(t, c.filter))
			if err != nil {
				t.Fatalf("Compile(%s): %v", c.filter, err)
			}
			if got := f.Match(filterDoc(t, c.doc)); got != c.want {
				t.Fatalf("filter %s on %s: got %v, want %v", c.filter, c.doc, got, c.want)
			}
			if got, _ := f.MatchPosition(filterDoc(t, c.doc)); got != c.want {
				t.Fatalf("MatchPosition disagrees with Match for %s on %s", c.filter, c.doc)
			}
			if got, _, err := f.MatchErr(filterDoc(t, c.doc)); err == nil && got != c.want {
				t.Fatalf("MatchErr disagrees with Match for %s on %s", c.filter, c.doc)
			}
		})
	}
}

// TestFilter_MatchErr checks that a failing $expr fails the match where the match reaches it, through $and, $or
// and $nor, and only there.
func TestFilter_MatchErr(t *testing.T) {
	const inv = `{"$expr": {"$gt": [{"$divide": [1, "$d"]}, 0]}}`
	cases := []struct {
		name, filter, doc string
		want              bool
		fails             bool
	}{
		{"expr/ok", inv, `{"d": 2}`, true, false},
		{"expr/divide-by-zero", inv, `{"d": 0}`, false, true},
		{"and/reached", `{"a": 1, "$expr": {"$gt": [{"$divide": [1, "$d"]}, 0]}}`, `{"a": 1, "d": 0}`, false, true},
		{"and/not-reached", `{"a": 1, "$expr": {"$gt": [{"$divide": [1, "$d"]}, 0]}}`, `{"a": 2, "d": 0}`, false, false},
		{"or/reached", `{"$or": [{"a": 1}, ` + inv + `]}`, `{"a": 2, "d": 0}`, false, true},
		{"or/not-reached", `{"$or": [{"a": 1}, ` + inv + `]}`, `{"a": 1, "d": 0}`, true, false},
		{"nor/reached", `{"$nor": [` + inv + `]}`, `{"d": 0}`, false, true},
		{"nor/ok", `{"$nor": [` + inv + `]}`, `{"d": -1}`, true, false},
		{"no-expr", `{"a": {"$gt": 0}}`, `{"a": 1}`, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := filter.Compile(filterDoc(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			doc := filterDoc(t, c.doc)
			got, _, err := f.MatchErr(doc)
			if c.fails {
				if codes.CodeOf(err) != codes.BadValue || got {
					t.Fatalf("MatchErr = %v, %v; want BadValue (can't $divide by zero)", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("MatchErr = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// filterErrorCases are filters mongod rejects, with its error code.
var filterErrorCases = []struct {
	name   string
	filter string
	code   codes.Code
}{
	{"unknown-operator", `{"a": {"$foo": 1}}`, codes.BadValue},
	{"unknown-operator-after-valid", `{"a": {"$gt": 1, "b": 1}}`, codes.BadValue},
	{"unknown-top-level", `{"$foo": 1}`, codes.BadValue},
	{"and-not-array", `{"$and": {"a": 1}}`, codes.BadValue},
	{"and-empty", `{"$and": []}`, codes.BadValue},
	{"or-empty", `{"$or": []}`, codes.BadValue},
	{"nor-empty", `{"$nor": []}`, codes.BadValue},
	{"or-scalar-entry", `{"$or": [1]}`, codes.BadValue},
	{"in-not-array", `{"a": {"$in": 1}}`, codes.BadValue},
	{"nin-not-array", `{"a": {"$nin": {"b": 1}}}`, codes.BadValue},
	{"in-nested-operator", `{"a": {"$in": [{"$gt": 1}]}}`, codes.BadValue},
	{"size-string", `{"a": {"$size": "2"}}`, codes.BadValue},
	{"size-negative", `{"a": {"$size": -1}}`, codes.FailedToParse},
	{"size-fraction", `{"a": {"$size": 1.5}}`, codes.FailedToParse},
	{"regex-bad-pattern", `{"a": {"$regex": "("}}`, 51091},
	{"regex-bad-literal", `{"a": {"$regularExpression": {"pattern": "[", "options": ""}}}`, 51091},
	{"regex-bad-option", `{"a": {"$regex": "a", "$options": "z"}}`, 51108},
	{"regex-options-twice", `{"a": {"$regex": {"$regularExpression": {"pattern": "a", "options": "i"}}, "$options": "m"}}`, 51075},
	{"regex-options-alone", `{"a": {"$options": "i"}}`, 51074},
	{"regex-not-string", `{"a": {"$regex": 1}}`, codes.BadValue},
	{"ne-regex", `{"a": {"$ne": {"$regularExpression": {"pattern": "a", "options": ""}}}}`, codes.BadValue},
	{"type-bad-alias", `{"a": {"$type": "foo"}}`, codes.BadValue},
	{"type-bad-code", `{"a": {"$type": 100}}`, codes.BadValue},
	{"type-zero", `{"a": {"$type": 0}}`, codes.BadValue},
	{"type-fraction", `{"a": {"$type": 1.5}}`, codes.BadValue},
	{"type-bool", `{"a": {"$type": true}}`, codes.TypeMismatch},
	{"all-not-array", `{"a": {"$all": 1}}`, codes.BadValue},
	{"all-inconsistent", `{"a": {"$all": [{"$elemMatch": {"b": 1}}, 1]}}`, codes.BadValue},
	{"all-operator", `{"a": {"$all": [{"$gt": 1}]}}`, codes.BadValue},
	{"elemmatch-not-object", `{"a": {"$elemMatch": 1}}`, codes.BadValue},
	{"elemmatch-bad-inner", `{"a": {"$elemMatch": {"$foo": 1}}}`, codes.BadValue},
	{"mod-not-array", `{"a": {"$mod": 4}}`, codes.BadValue},
	{"mod-one-element", `{"a": {"$mod": [4]}}`, codes.BadValue},
	{"mod-three-elements", `{"a": {"$mod": [4, 1, 2]}}`, codes.BadValue},
	{"mod-zero-divisor", `{"a": {"$mod": [0, 1]}}`, codes.BadValue},
	{"mod-string-divisor", `{"a": {"$mod": ["4", 1]}}`, codes.BadValue},
	{"mod-nan-divisor", `{"a": {"$mod": [{"$numberDouble": "NaN"}, 1]}}`, codes.BadValue},
	{"not-empty", `{"a": {"$not": {}}}`, codes.BadValue},
	{"not-scalar", `{"a": {"$not": 1}}`, codes.BadValue},
	{"not-literal-doc", `{"a": {"$not": {"b": 1}}}`, codes.BadValue},
	{"nested-in-or", `{"$or": [{"a": {"$bad": 1}}]}`, codes.BadValue},
	{"eq-undefined", `{"a": {"$undefined": true}}`, codes.BadValue},
	{"gt-undefined", `{"a": {"$gt": {"$undefined": true}}}`, codes.BadValue},
	{"in-undefined", `{"a": {"$in": [{"$undefined": true}]}}`, codes.BadValue},
	{"where-unsupported", `{"$where": "this.a == 1"}`, codes.BadValue},
	{"text-no-text-index", `{"$text": {"$search": "coffee"}}`, codes.IndexNotFound},
	{"near-no-geo-index", `{"loc": {"$near": [0, 0]}}`, 291},
	{"nearSphere-no-geo-index", `{"loc": {"$nearSphere": [0, 0]}}`, 291},
	{"geoWithin-unsupported", `{"loc": {"$geoWithin": {"$center": [[0, 0], 1]}}}`, codes.BadValue},
}

func TestCompileFilter_Errors(t *testing.T) {
	for _, c := range filterErrorCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := filter.Compile(filterDoc(t, c.filter))
			if err == nil {
				t.Fatalf("Compile(%s) succeeded, want code %d", c.filter, c.code)
			}
			var ce *codes.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Compile(%s) error %v is not a *codes.Error", c.filter, err)
			}
			if ce.Code != c.code {
				t.Fatalf("Compile(%s): code %d (%v), want %d", c.filter, ce.Code, err, c.code)
			}
		})
	}
}

func TestCompileFilter_UnknownOperatorMessage(t *testing.T) {
	_, err := filter.Compile(filterDoc(t, `{"a": {"$foo": 1}}`))
	ce, ok := codes.As(err)
	if !ok || ce.Message != "unknown operator: $foo" {
		t.Fatalf("got %v, want BadValue \"unknown operator: $foo\"", err)
	}
}

func TestCompileFilter_InvalidBSON(t *testing.T) {
	_, err := filter.Compile(bson.Raw{0x05, 0, 0, 0, 1})
	if codes.CodeOf(err) == 0 {
		t.Fatalf("malformed filter: got %v, want a coded error", err)
	}
}

func TestCompileFilter_CopiesInput(t *testing.T) {
	buf := filterDoc(t, `{"a": 1}`)
	f, err := filter.Compile(buf)
	if err != nil {
		t.Fatal(err)
	}
	buf[len(buf)-2] = 9 // overwrite the literal 1 in the caller's buffer
	if !f.Match(filterDoc(t, `{"a": 1}`)) {
		t.Fatal("compiled filter changed when the caller reused its buffer")
	}
}

func TestFilter_NilMatchesAll(t *testing.T) {
	f, err := filter.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(filterDoc(t, `{"a": 1}`)) {
		t.Fatal("nil filter must match")
	}
	if ok, pos := f.MatchPosition(filterDoc(t, `{"a": 1}`)); !ok || pos != -1 {
		t.Fatalf("nil filter MatchPosition = %v, %d", ok, pos)
	}
}

func TestFilter_MatchPosition(t *testing.T) {
	cases := []struct {
		name, filter, doc string
		want              bool
		pos               int
	}{
		{"scalar-field", `{"a": 1}`, `{"a": 1}`, true, -1},
		{"array-element", `{"grades": 90}`, `{"grades": [85, 90, 92]}`, true, 1},
		{"array-gte", `{"grades": {"$gte": 91}}`, `{"grades": [85, 90, 92]}`, true, 2},
		{"array-of-docs", `{"grades.grade": 85}`, `{"grades": [{"grade": 80}, {"grade": 85}]}`, true, 1},
		{"nested-leaf-array-outer-offset", `{"a.b": 2}`, `{"a": [{"b": [9]}, {"b": [1, 2]}]}`, true, 1},
		{"elemmatch", `{"grades": {"$elemMatch": {"grade": {"$lte": 90}, "mean": {"$gt": 80}}}}`, `{"grades": [{"grade": 80, "mean": 75}, {"grade": 85, "mean": 90}]}`, true, 1},
		{"elemmatch-value", `{"a": {"$elemMatch": {"$gt": 5}}}`, `{"a": [1, 2, 7]}`, true, 2},
		{"whole-array", `{"a": [1, 2]}`, `{"a": [1, 2]}`, true, -1},
		{"explicit-index", `{"a.1": 2}`, `{"a": [1, 2]}`, true, -1},
		{"and-last-wins", `{"a": 2, "b": 5}`, `{"a": [1, 2], "b": [4, 5, 6]}`, true, 1},
		{"and-scalar-keeps-array-pos", `{"a": 2, "c": 1}`, `{"a": [1, 2], "c": 1}`, true, 1},
		{"no-match", `{"a": 3}`, `{"a": [1, 2]}`, false, -1},
		{"not-reports-nothing", `{"a": {"$ne": 3}}`, `{"a": [1, 2]}`, true, -1},
		{"in", `{"a": {"$in": [7, 2]}}`, `{"a": [1, 2]}`, true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := filter.Compile(filterDoc(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			ok, pos := f.MatchPosition(filterDoc(t, c.doc))
			if ok != c.want || pos != c.pos {
				t.Fatalf("MatchPosition(%s on %s) = %v, %d; want %v, %d", c.filter, c.doc, ok, pos, c.want, c.pos)
			}
		})
	}
}

func TestFilter_Conditions(t *testing.T) {
	cases := []struct {
		name, filter string
		want         []string
	}{
		{"eq", `{"a": 1}`, []string{`a $eq [{"$numberInt":"1"}]`}},
		{"implicit-and", `{"a": 1, "b": {"$gt": 2, "$lte": 5}}`, []string{`a $eq [{"$numberInt":"1"}]`, `b $gt [{"$numberInt":"2"}]`, `b $lte [{"$numberInt":"5"}]`}},
		{"top-and", `{"$and": [{"a": {"$lt": 3}}, {"b": {"$gte": "x"}}]}`, []string{`a $lt [{"$numberInt":"3"}]`, `b $gte ["x"]`}},
		{"in", `{"a": {"$in": [1, 2]}}`, []string{`a $in [{"$numberInt":"1"}, {"$numberInt":"2"}]`}},
		{"dotted", `{"a.b": {"$eq": null}}`, []string{`a.b $eq [null]`}},
		{"or-omitted", `{"$or": [{"a": 1}, {"b": 1}], "c": 2}`, []string{`c $eq [{"$numberInt":"2"}]`}},
		{"or-single-is-and", `{"$or": [{"a": 1}]}`, []string{`a $eq [{"$numberInt":"1"}]`}},
		{"not-omitted", `{"a": {"$ne": 1}}`, nil},
		{"nin-omitted", `{"a": {"$nin": [1]}}`, nil},
		{"regex-omitted", `{"a": {"$regex": "x"}}`, nil},
		{"in-regex-omitted", `{"a": {"$in": [{"$regularExpression": {"pattern": "x", "options": ""}}]}}`, nil},
		{"array-eq-omitted", `{"a": [1, 2]}`, nil},
		{"elemmatch-omitted", `{"a": {"$elemMatch": {"b": 1}}}`, nil},
		{"exists-omitted", `{"a": {"$exists": true}}`, nil},
		{"all-is-and-of-eq", `{"a": {"$all": [1, "x"]}}`, []string{`a $eq [{"$numberInt":"1"}]`, `a $eq ["x"]`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := filter.Compile(filterDoc(t, c.filter))
			if err != nil {
				t.Fatal(err)
			}
			got := f.Conditions()
			if len(got) != len(c.want) {
				t.Fatalf("Conditions(%s) = %v, want %v", c.filter, got, c.want)
			}
			for i := range got {
				if got[i].String() != c.want[i] {
					t.Fatalf("Conditions(%s)[%d] = %s, want %s", c.filter, i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestFilter_Expr(t *testing.T) {
	f, err := filter.Compile(filterDoc(t, `{"$expr": {"$gt": ["$spent", "$budget"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Match(filterDoc(t, `{"spent": 400, "budget": 300}`)) {
		t.Error("$expr: spent > budget should match")
	}
	if f.Match(filterDoc(t, `{"spent": 100, "budget": 300}`)) {
		t.Error("$expr: spent < budget should not match")
	}
}

func TestFilter_MalformedDocumentDoesNotPanic(t *testing.T) {
	f, err := filter.Compile(filterDoc(t, `{"a.b": {"$gt": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	good := filterDoc(t, `{"a": [{"b": 2}, "xyz"]}`)
	for i := 0; i < len(good); i++ {
		bad := append(bson.Raw(nil), good[:i]...)
		f.Match(bad)
		trunc := append(bson.Raw(nil), good...)
		trunc[i] ^= 0xff
		f.Match(trunc)
	}
}

// TestFilter_ConcurrentMatch shares one compiled filter between goroutines,
// as the engine does; run with -race.
func TestFilter_ConcurrentMatch(t *testing.T) {
	f, err := filter.Compile(filterDoc(t, `{"a": {"$regex": "^x"}, "b.c": {"$elemMatch": {"$gt": 1}}}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := filterDoc(t, `{"a": "xy", "b": [{"c": [0, 2]}]}`)
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for i := 0; i < 200; i++ {
				m, pos := f.MatchPosition(doc)
				ok = ok && m && pos == 0 && f.Match(doc)
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Fatal("concurrent match gave a wrong answer")
		}
	}
}
