package agg_test

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
)

// aggCakeSales is the cakeSales collection of the manual's
// $setWindowFields page and of its window operators' pages.
const aggCakeSales = `[
 {"_id": 0, "type": "chocolate", "orderDate": {"$date": "2020-05-18T14:10:30Z"}, "state": "CA", "price": 13, "quantity": 120},
 {"_id": 1, "type": "chocolate", "orderDate": {"$date": "2021-03-20T11:30:05Z"}, "state": "WA", "price": 14, "quantity": 140},
 {"_id": 2, "type": "vanilla", "orderDate": {"$date": "2021-01-11T06:31:15Z"}, "state": "CA", "price": 12, "quantity": 145},
 {"_id": 3, "type": "vanilla", "orderDate": {"$date": "2020-02-08T13:13:23Z"}, "state": "WA", "price": 13, "quantity": 104},
 {"_id": 4, "type": "strawberry", "orderDate": {"$date": "2019-05-18T16:09:01Z"}, "state": "CA", "price": 41, "quantity": 162},
 {"_id": 5, "type": "strawberry", "orderDate": {"$date": "2019-01-08T06:12:03Z"}, "state": "WA", "price": 43, "quantity": 134}
]`

// project keeps _id and the named field of the output, so that the
// expected documents stay short.
func project(fields ...string) string {
	var b strings.Builder
	b.WriteString(`{"$project": {"_id": 1`)
	for _, f := range fields {
		b.WriteString(`, "` + f + `": 1`)
	}
	b.WriteString(`}}`)
	return b.String()
}

// windowCases cover $setWindowFields and its window operators. Expected
// results are those the manual's pages print for the same input:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/setWindowFields/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/rank/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/denseRank/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/documentNumber/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/shift/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/covariancePop/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/covarianceSamp/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/linearFill/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/locf/
// Cases without a page are computed by hand from the operator's definition.
var windowCases = []aggPipelineCase{
	{name: "window/cumulative-by-state", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"orderDate": 1},
			"output": {"cumulativeQuantityForState": {"$sum": "$quantity", "window": {"documents": ["unbounded", "current"]}}}}},
			` + project("state", "cumulativeQuantityForState") + `]`,
		want: `[{"_id": 4, "state": "CA", "cumulativeQuantityForState": 162},
			{"_id": 0, "state": "CA", "cumulativeQuantityForState": 282},
			{"_id": 2, "state": "CA", "cumulativeQuantityForState": 427},
			{"_id": 5, "state": "WA", "cumulativeQuantityForState": 134},
			{"_id": 3, "state": "WA", "cumulativeQuantityForState": 238},
			{"_id": 1, "state": "WA", "cumulativeQuantityForState": 378}]`},
	{name: "window/cumulative-by-year-expression", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": {"$year": "$orderDate"}, "sortBy": {"orderDate": 1},
			"output": {"cumulativeQuantityForYear": {"$sum": "$quantity", "window": {"documents": ["unbounded", "current"]}}}}},
			{"$project": {"_id": 1, "cumulativeQuantityForYear": 1, "__internal_setWindowFields_partition_key": 1}}]`,
		want: `[{"_id": 5, "cumulativeQuantityForYear": 134}, {"_id": 4, "cumulativeQuantityForYear": 296},
			{"_id": 3, "cumulativeQuantityForYear": 104}, {"_id": 0, "cumulativeQuantityForYear": 224},
			{"_id": 2, "cumulativeQuantityForYear": 145}, {"_id": 1, "cumulativeQuantityForYear": 285}]`},
	{name: "window/moving-average", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": {"$year": "$orderDate"}, "sortBy": {"orderDate": 1},
			"output": {"averageQuantity": {"$avg": "$quantity", "window": {"documents": [-1, 0]}}}}},
			` + project("averageQuantity") + `]`,
		want: `[{"_id": 5, "averageQuantity": 134.0}, {"_id": 4, "averageQuantity": 148.0},
			{"_id": 3, "averageQuantity": 104.0}, {"_id": 0, "averageQuantity": 112.0},
			{"_id": 2, "averageQuantity": 145.0}, {"_id": 1, "averageQuantity": 142.5}]`},
	{name: "window/cumulative-and-maximum", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": {"$year": "$orderDate"}, "sortBy": {"orderDate": 1},
			"output": {"cumulativeQuantityForYear": {"$sum": "$quantity", "window": {"documents": ["unbounded", "current"]}},
			"maximumQuantityForYear": {"$max": "$quantity", "window": {"documents": ["unbounded", "unbounded"]}}}}},
			` + project("cumulativeQuantityForYear", "maximumQuantityForYear") + `]`,
		want: `[{"_id": 5, "cumulativeQuantityForYear": 134, "maximumQuantityForYear": 162},
			{"_id": 4, "cumulativeQuantityForYear": 296, "maximumQuantityForYear": 162},
			{"_id": 3, "cumulativeQuantityForYear": 104, "maximumQuantityForYear": 120},
			{"_id": 0, "cumulativeQuantityForYear": 224, "maximumQuantityForYear": 120},
			{"_id": 2, "cumulativeQuantityForYear": 145, "maximumQuantityForYear": 145},
			{"_id": 1, "cumulativeQuantityForYear": 285, "maximumQuantityForYear": 145}]`},
	{name: "window/range-time-unit", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"orderDate": 1},
			"output": {"recentOrders": {"$push": "$orderDate", "window": {"range": ["unbounded", 10], "unit": "month"}}}}},
			` + project("recentOrders") + `]`,
		want: `[{"_id": 4, "recentOrders": [{"$date": "2019-05-18T16:09:01Z"}]},
			{"_id": 0, "recentOrders": [{"$date": "2019-05-18T16:09:01Z"}, {"$date": "2020-05-18T14:10:30Z"}, {"$date": "2021-01-11T06:31:15Z"}]},
			{"_id": 2, "recentOrders": [{"$date": "2019-05-18T16:09:01Z"}, {"$date": "2020-05-18T14:10:30Z"}, {"$date": "2021-01-11T06:31:15Z"}]},
			{"_id": 5, "recentOrders": [{"$date": "2019-01-08T06:12:03Z"}]},
			{"_id": 3, "recentOrders": [{"$date": "2019-01-08T06:12:03Z"}, {"$date": "2020-02-08T13:13:23Z"}]},
			{"_id": 1, "recentOrders": [{"$date": "2019-01-08T06:12:03Z"}, {"$date": "2020-02-08T13:13:23Z"}, {"$date": "2021-03-20T11:30:05Z"}]}]`},
	{name: "window/range-time-unit-negative", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"orderDate": 1},
			"output": {"recentOrders": {"$push": "$orderDate", "window": {"range": ["unbounded", -10], "unit": "month"}}}}},
			` + project("recentOrders") + `]`,
		want: `[{"_id": 4, "recentOrders": []},
			{"_id": 0, "recentOrders": [{"$date": "2019-05-18T16:09:01Z"}]},
			{"_id": 2, "recentOrders": [{"$date": "2019-05-18T16:09:01Z"}]},
			{"_id": 5, "recentOrders": []},
			{"_id": 3, "recentOrders": [{"$date": "2019-01-08T06:12:03Z"}]},
			{"_id": 1, "recentOrders": [{"$date": "2019-01-08T06:12:03Z"}, {"$date": "2020-02-08T13:13:23Z"}]}]`},
	{name: "window/range-numeric", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"price": 1},
			"output": {"quantityFromSimilarOrders": {"$sum": "$quantity", "window": {"range": [-10, 10]}}}}},
			` + project("quantityFromSimilarOrders") + `]`,
		want: `[{"_id": 2, "quantityFromSimilarOrders": 265}, {"_id": 0, "quantityFromSimilarOrders": 265},
			{"_id": 4, "quantityFromSimilarOrders": 162}, {"_id": 3, "quantityFromSimilarOrders": 244},
			{"_id": 1, "quantityFromSimilarOrders": 244}, {"_id": 5, "quantityFromSimilarOrders": 134}]`},
	{name: "window/no-partition-count-and-addToSet", input: `[{"_id": 1, "g": "a"}, {"_id": 2, "g": "b"}, {"_id": 3, "g": "a"}]`,
		pipeline: `[{"$setWindowFields": {"output": {"n": {"$count": {}}, "gs": {"$addToSet": "$g"}}}}]`,
		want:     `[{"_id": 1, "g": "a", "n": 3, "gs": ["a", "b"]}, {"_id": 2, "g": "b", "n": 3, "gs": ["a", "b"]}, {"_id": 3, "g": "a", "n": 3, "gs": ["a", "b"]}]`},
	{name: "window/sliding-min-first-last", input: `[{"_id": 1, "x": 5}, {"_id": 2, "x": 3}, {"_id": 3, "x": 8}, {"_id": 4, "x": 1}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {
			"min": {"$min": "$x", "window": {"documents": [-1, 1]}},
			"first": {"$first": "$x", "window": {"documents": [-1, 1]}},
			"last": {"$last": "$x", "window": {"documents": [1, 2]}}}}}]`,
		want: `[{"_id": 1, "x": 5, "min": 3, "first": 5, "last": 8}, {"_id": 2, "x": 3, "min": 3, "first": 5, "last": 1},
			{"_id": 3, "x": 8, "min": 1, "first": 3, "last": 1}, {"_id": 4, "x": 1, "min": 1, "first": 8, "last": null}]`},
	{name: "window/empty-window-defaults", input: `[{"_id": 1, "x": 5}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {
			"s": {"$sum": "$x", "window": {"documents": [1, 2]}}, "a": {"$avg": "$x", "window": {"documents": [1, 2]}},
			"p": {"$push": "$x", "window": {"documents": [1, 2]}}, "c": {"$count": {}, "window": {"documents": [1, 2]}}}}}]`,
		want: `[{"_id": 1, "x": 5, "s": 0, "a": null, "p": [], "c": 0}]`},
	{name: "window/n-accumulators-and-top", input: `[{"_id": 1, "x": 5}, {"_id": 2, "x": 3}, {"_id": 3, "x": 8}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {
			"maxN": {"$maxN": {"n": 2, "input": "$x"}, "window": {"documents": ["unbounded", "current"]}},
			"top": {"$top": {"sortBy": {"x": 1}, "output": "$_id"}},
			"median": {"$median": {"input": "$x", "method": "approximate"}}}}}]`,
		want: `[{"_id": 1, "x": 5, "maxN": [5], "top": 2, "median": 5.0}, {"_id": 2, "x": 3, "maxN": [5, 3], "top": 2, "median": 5.0},
			{"_id": 3, "x": 8, "maxN": [8, 5], "top": 2, "median": 5.0}]`},
	{name: "window/dotted-output", input: `[{"_id": 1, "a": {"b": 1}}]`,
		pipeline: `[{"$setWindowFields": {"output": {"a.c": {"$sum": 1}}}}]`,
		want:     `[{"_id": 1, "a": {"b": 1, "c": 1}}]`},
	{name: "window/partition-null-and-missing-together", input: `[{"_id": 1, "p": null, "x": 1}, {"_id": 2, "x": 2}, {"_id": 3, "p": 1, "x": 4}]`,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$p", "sortBy": {"_id": 1}, "output": {"s": {"$sum": "$x"}}}}, ` + project("s") + `]`,
		want:     `[{"_id": 1, "s": 3}, {"_id": 2, "s": 3}, {"_id": 3, "s": 4}]`},

	// rank family
	{name: "window/rank", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"quantity": -1},
			"output": {"rankQuantityForState": {"$rank": {}}}}}, ` + project("rankQuantityForState") + `]`,
		want: `[{"_id": 4, "rankQuantityForState": 1}, {"_id": 2, "rankQuantityForState": 2}, {"_id": 0, "rankQuantityForState": 3},
			{"_id": 1, "rankQuantityForState": 1}, {"_id": 5, "rankQuantityForState": 2}, {"_id": 3, "rankQuantityForState": 3}]`},
	{name: "window/rank-ties", input: `[{"_id": 1, "q": 10}, {"_id": 2, "q": 20}, {"_id": 3, "q": 20}, {"_id": 4, "q": 30}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"q": 1}, "output": {"r": {"$rank": {}}, "d": {"$denseRank": {}}, "n": {"$documentNumber": {}}}}}, ` + project("r", "d", "n") + `]`,
		want: `[{"_id": 1, "r": 1, "d": 1, "n": 1}, {"_id": 2, "r": 2, "d": 2, "n": 2},
			{"_id": 3, "r": 2, "d": 2, "n": 3}, {"_id": 4, "r": 4, "d": 3, "n": 4}]`},
	{name: "window/rank-no-sortBy", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"r": {"$rank": {}}}}}]`, code: 5371602},
	{name: "window/rank-compound-sortBy", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"a": 1, "b": 1}, "output": {"r": {"$rank": {}}}}}]`, code: 5371602},
	{name: "window/rank-argument", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"r": {"$rank": 1}}}}]`, code: 5371603},
	{name: "window/rank-window", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"r": {"$rank": {}, "window": {}}}}}]`, code: 5371601},

	// $shift
	{name: "window/shift", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"quantity": -1},
			"output": {"shiftQuantityForState": {"$shift": {"output": "$quantity", "by": 1, "default": "Not available"}}}}}, ` + project("shiftQuantityForState") + `]`,
		want: `[{"_id": 4, "shiftQuantityForState": 145}, {"_id": 2, "shiftQuantityForState": 120}, {"_id": 0, "shiftQuantityForState": "Not available"},
			{"_id": 1, "shiftQuantityForState": 134}, {"_id": 5, "shiftQuantityForState": 104}, {"_id": 3, "shiftQuantityForState": "Not available"}]`},
	{name: "window/shift-back-default-null", input: `[{"_id": 1, "x": 1}, {"_id": 2, "x": 2}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {"prev": {"$shift": {"output": "$x", "by": -1}}}}}]`,
		want:     `[{"_id": 1, "x": 1, "prev": null}, {"_id": 2, "x": 2, "prev": 1}]`},
	{name: "window/shift-no-sortBy", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"s": {"$shift": {"output": "$x", "by": 1}}}}}]`, code: codes.FailedToParse},
	{name: "window/shift-fractional-by", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"s": {"$shift": {"output": "$x", "by": 1.5}}}}}]`, code: codes.FailedToParse},
	{name: "window/shift-default-not-constant", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"s": {"$shift": {"output": "$x", "by": 1, "default": "$y"}}}}}]`, code: codes.FailedToParse},

	// $derivative and $integral: speeds from odometer readings, kilometre
	// hours from power readings (the pages' examples, with round numbers).
	{name: "window/derivative-unit-hour", input: `[
		{"_id": 1, "t": {"$date": "2021-01-01T00:00:00Z"}, "km": 100},
		{"_id": 2, "t": {"$date": "2021-01-01T00:30:00Z"}, "km": 130},
		{"_id": 3, "t": {"$date": "2021-01-01T01:00:00Z"}, "km": 190}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"t": 1}, "output": {"kmh": {"$derivative": {"input": "$km", "unit": "hour"}, "window": {"range": [-30, 0], "unit": "minute"}}}}}, ` + project("kmh") + `]`,
		want:     `[{"_id": 1, "kmh": null}, {"_id": 2, "kmh": 60.0}, {"_id": 3, "kmh": 120.0}]`},
	{name: "window/derivative-numeric", input: `[{"_id": 1, "x": 0, "y": 0}, {"_id": 2, "x": 2, "y": 10}, {"_id": 3, "x": 4, "y": 30}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"d": {"$derivative": {"input": "$y"}, "window": {"documents": ["unbounded", "current"]}}}}}, ` + project("d") + `]`,
		want:     `[{"_id": 1, "d": null}, {"_id": 2, "d": 5.0}, {"_id": 3, "d": 7.5}]`},
	{name: "window/derivative-no-window", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"d": {"$derivative": {"input": "$y"}}}}}]`, code: codes.FailedToParse},
	{name: "window/derivative-month", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"d": {"$derivative": {"input": "$y", "unit": "month"}, "window": {"documents": [-1, 0]}}}}}]`, code: 5490710},
	{name: "window/derivative-date-without-unit", input: `[{"t": {"$date": "2021-01-01T00:00:00Z"}, "y": 1}, {"t": {"$date": "2021-01-02T00:00:00Z"}, "y": 2}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"t": 1}, "output": {"d": {"$derivative": {"input": "$y"}, "window": {"documents": [-1, 0]}}}}}]`, code: 5624901},
	{name: "window/derivative-unit-on-numbers", input: `[{"t": 1, "y": 1}, {"t": 2, "y": 2}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"t": 1}, "output": {"d": {"$derivative": {"input": "$y", "unit": "second"}, "window": {"documents": [-1, 0]}}}}}]`, code: 5624900},
	{name: "window/integral-unit-hour", input: `[
		{"_id": 1, "t": {"$date": "2021-01-01T00:00:00Z"}, "kw": 2},
		{"_id": 2, "t": {"$date": "2021-01-01T00:30:00Z"}, "kw": 4},
		{"_id": 3, "t": {"$date": "2021-01-01T01:00:00Z"}, "kw": 4}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"t": 1}, "output": {"kwh": {"$integral": {"input": "$kw", "unit": "hour"}, "window": {"range": ["unbounded", "current"], "unit": "hour"}}}}}, ` + project("kwh") + `]`,
		want:     `[{"_id": 1, "kwh": 0.0}, {"_id": 2, "kwh": 1.5}, {"_id": 3, "kwh": 3.5}]`},
	{name: "window/integral-non-numeric", input: `[{"x": 1, "y": "a"}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"i": {"$integral": {"input": "$y"}}}}}]`, code: 5423900},

	// $expMovingAvg
	{name: "window/expMovingAvg-alpha", input: `[{"_id": 1, "p": 8}, {"_id": 2, "p": 4}, {"_id": 3, "p": "x"}, {"_id": 4, "p": 2}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {"e": {"$expMovingAvg": {"input": "$p", "alpha": 0.5}}}}}, ` + project("e") + `]`,
		want:     `[{"_id": 1, "e": 8.0}, {"_id": 2, "e": 6.0}, {"_id": 3, "e": 6.0}, {"_id": 4, "e": 4.0}]`},
	{name: "window/expMovingAvg-N", input: `[{"_id": 1, "p": 9}, {"_id": 2, "p": 3}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"_id": 1}, "output": {"e": {"$expMovingAvg": {"input": "$p", "N": 3}}}}}, ` + project("e") + `]`,
		want:     `[{"_id": 1, "e": 9.0}, {"_id": 2, "e": 6.0}]`},
	{name: "window/expMovingAvg-bad-alpha", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"a": 1}, "output": {"e": {"$expMovingAvg": {"input": "$p", "alpha": 1}}}}}]`, code: codes.FailedToParse},
	{name: "window/expMovingAvg-no-sortBy", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"e": {"$expMovingAvg": {"input": "$p", "N": 2}}}}}]`, code: codes.FailedToParse},

	// covariance
	{name: "window/covariancePop", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"orderDate": 1},
			"output": {"c": {"$covariancePop": [{"$year": "$orderDate"}, "$quantity"], "window": {"documents": ["unbounded", "current"]}}}}},
			{"$project": {"c": {"$round": ["$c", 6]}}}]`,
		want: `[{"_id": 4, "c": 0.0}, {"_id": 0, "c": -10.5}, {"_id": 2, "c": -5.666667},
			{"_id": 5, "c": 0.0}, {"_id": 3, "c": -7.5}, {"_id": 1, "c": 2.0}]`},
	{name: "window/covarianceSamp", input: aggCakeSales,
		pipeline: `[{"$setWindowFields": {"partitionBy": "$state", "sortBy": {"orderDate": 1},
			"output": {"c": {"$covarianceSamp": [{"$year": "$orderDate"}, "$quantity"], "window": {"documents": ["unbounded", "current"]}}}}},
			{"$project": {"c": {"$round": ["$c", 6]}}}]`,
		want: `[{"_id": 4, "c": null}, {"_id": 0, "c": -21.0}, {"_id": 2, "c": -8.5},
			{"_id": 5, "c": null}, {"_id": 3, "c": -15.0}, {"_id": 1, "c": 3.0}]`},

	// gap filling
	{name: "window/linearFill", input: `[{"index": 0, "sales": 300}, {"index": 1, "sales": null}, {"index": 2, "sales": null},
		{"index": 3, "sales": 270}, {"index": 4, "sales": 250}, {"index": 5, "sales": null}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"index": 1}, "output": {"sales": {"$linearFill": "$sales"}}}}]`,
		want: `[{"index": 0, "sales": 300}, {"index": 1, "sales": 290.0}, {"index": 2, "sales": 280.0},
			{"index": 3, "sales": 270}, {"index": 4, "sales": 250}, {"index": 5, "sales": null}]`},
	{name: "window/linearFill-repeated-key", input: `[{"i": 0, "s": 1}, {"i": 0, "s": null}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"i": 1}, "output": {"s": {"$linearFill": "$s"}}}}]`, code: 6050106},
	{name: "window/linearFill-string", input: `[{"i": 0, "s": "a"}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"i": 1}, "output": {"s": {"$linearFill": "$s"}}}}]`, code: codes.TypeMismatch},
	{name: "window/locf", input: `[{"time": 1, "price": 5}, {"time": 2}, {"time": 3, "price": null}, {"time": 4, "price": 7}, {"time": 5}]`,
		pipeline: `[{"$setWindowFields": {"sortBy": {"time": 1}, "output": {"price": {"$locf": "$price"}}}}]`,
		want:     `[{"time": 1, "price": 5}, {"time": 2, "price": 5}, {"time": 3, "price": 5}, {"time": 4, "price": 7}, {"time": 5, "price": 7}]`},

	// parse errors
	{name: "window/not-object", input: `[]`, pipeline: `[{"$setWindowFields": 1}]`, code: codes.FailedToParse},
	{name: "window/no-output", input: `[]`, pipeline: `[{"$setWindowFields": {}}]`, code: 40414},
	{name: "window/unknown-field", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {}, "x": 1}}]`, code: 40415},
	{name: "window/unknown-function", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"a": {"$summ": "$x"}}}}]`, code: codes.FailedToParse},
	{name: "window/two-functions", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"a": {"$sum": "$x", "$avg": "$x"}}}}]`, code: codes.FailedToParse},
	{name: "window/conflicting-paths", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"a": {"$sum": 1}, "a.b": {"$sum": 1}}}}]`, code: 6307900},
	{name: "window/documents-without-sortBy", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"a": {"$sum": 1, "window": {"documents": [-1, 0]}}}}}]`, code: 5339901},
	{name: "window/bounds-backwards", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"documents": [1, -1]}}}}}]`, code: 5339900},
	{name: "window/documents-fractional", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"documents": [-1.5, 0]}}}}}]`, code: codes.FailedToParse},
	{name: "window/bound-word", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"documents": ["before", 0]}}}}}]`, code: codes.FailedToParse},
	{name: "window/documents-and-range", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"documents": [0, 0], "range": [0, 0]}}}}}]`, code: codes.FailedToParse},
	{name: "window/range-compound-sortBy", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1, "y": 1}, "output": {"a": {"$sum": 1, "window": {"range": [0, 1]}}}}}]`, code: 5339902},
	{name: "window/range-descending", input: `[]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": -1}, "output": {"a": {"$sum": 1, "window": {"range": [0, 1]}}}}}]`, code: 8947401},
	{name: "window/range-string-key", input: `[{"x": "a"}]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"range": [0, 1]}}}}}]`, code: 5429414},
	{name: "window/range-date-without-unit", input: `[{"x": {"$date": "2021-01-01T00:00:00Z"}}]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"range": [0, 1]}}}}}]`, code: 5429413},
	{name: "window/range-unit-on-number", input: `[{"x": 1}]`, pipeline: `[{"$setWindowFields": {"sortBy": {"x": 1}, "output": {"a": {"$sum": 1, "window": {"range": [0, 1], "unit": "day"}}}}}]`, code: 5429513},
	{name: "window/partition-array", input: `[{"p": [1]}]`, pipeline: `[{"$setWindowFields": {"partitionBy": "$p", "output": {"a": {"$sum": 1}}}}]`, code: codes.TypeMismatch},
	{name: "window/mergeObjects-not-window-function", input: `[]`, pipeline: `[{"$setWindowFields": {"output": {"a": {"$mergeObjects": "$x"}}}}]`, code: codes.FailedToParse},
}

func init() { aggPipelineCases = append(aggPipelineCases, windowCases...) }

// TestSetWindowFields_MemoryLimit checks that a partition larger than the
// memory limit fails with mongod's code, and that a smaller one under the
// same limit passes.
func TestSetWindowFields_MemoryLimit(t *testing.T) {
	var docs []bson.Raw
	for i := range 200 {
		docs = append(docs, aggDoc(t, `{"p": `+map[bool]string{true: "1", false: "2"}[i < 190]+`, "pad": "`+strings.Repeat("x", 100)+`"}`))
	}
	p, err := agg.Compile([]bson.Raw{aggDoc(t, `{"$setWindowFields": {"partitionBy": "$p", "output": {"n": {"$count": {}}}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	run := func(limit int64) error {
		it := p.Open(context.Background(), agg.Docs(docs), nil, agg.Options{MemoryLimit: limit})
		defer it.Close()
		_, err := agg.Drain(it)
		return err
	}
	// The $sort before the window spills; the partition of 190 documents
	// (about 30 KB) does not fit in 20 KB.
	if err := run(20 << 10); codes.CodeOf(err) != 5414201 {
		t.Fatalf("err = %v, want code 5414201", err)
	}
	if err := run(1 << 20); err != nil {
		t.Fatalf("1 MiB limit: %v", err)
	}
}
