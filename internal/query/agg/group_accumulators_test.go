package agg_test

// aggScores is the gamescores collection of the manual's $top, $topN,
// $bottom, $bottomN, $firstN and $maxN pages.
const aggScores = `[
 {"playerId": "PlayerA", "gameId": "G1", "score": 31},
 {"playerId": "PlayerB", "gameId": "G1", "score": 33},
 {"playerId": "PlayerC", "gameId": "G1", "score": 99},
 {"playerId": "PlayerD", "gameId": "G1", "score": 1},
 {"playerId": "PlayerA", "gameId": "G2", "score": 10},
 {"playerId": "PlayerB", "gameId": "G2", "score": 14},
 {"playerId": "PlayerC", "gameId": "G2", "score": 66},
 {"playerId": "PlayerD", "gameId": "G2", "score": 80}
]`

// groupAccumulatorCases cover the object-argument accumulators in $group:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/top/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/topN/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/bottom/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/bottomN/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/firstN/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/lastN/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/maxN/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/minN/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/median/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/percentile/
var groupAccumulatorCases = []aggPipelineCase{
	{name: "group/top", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "playerId": {"$top": {"output": ["$playerId", "$score"], "sortBy": {"score": -1}}}}}]`,
		want:     `[{"_id": "G1", "playerId": ["PlayerC", 99]}]`},
	{name: "group/topN", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "playerId": {"$topN": {"output": ["$playerId", "$score"], "sortBy": {"score": -1}, "n": 3}}}}]`,
		want:     `[{"_id": "G1", "playerId": [["PlayerC", 99], ["PlayerB", 33], ["PlayerA", 31]]}]`},
	{name: "group/bottom", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "playerId": {"$bottom": {"output": ["$playerId", "$score"], "sortBy": {"score": -1}}}}}]`,
		want:     `[{"_id": "G1", "playerId": ["PlayerD", 1]}]`},
	{name: "group/bottomN", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "playerId": {"$bottomN": {"output": ["$playerId", "$score"], "sortBy": {"score": -1}, "n": 3}}}}]`,
		want:     `[{"_id": "G1", "playerId": [["PlayerB", 33], ["PlayerA", 31], ["PlayerD", 1]]}]`},
	{name: "group/topN-ties-keep-input-order", input: `[{"a": 1, "k": 0}, {"a": 2, "k": 0}, {"a": 3, "k": 1}]`,
		pipeline: `[{"$group": {"_id": null, "t": {"$topN": {"output": "$a", "sortBy": {"k": 1}, "n": 2}}}}]`,
		want:     `[{"_id": null, "t": [1, 2]}]`},
	{name: "group/bottomN-ties-keep-input-order", input: `[{"a": 1, "k": 0}, {"a": 2, "k": 1}, {"a": 3, "k": 1}, {"a": 4, "k": 1}]`,
		pipeline: `[{"$group": {"_id": null, "t": {"$bottomN": {"output": "$a", "sortBy": {"k": 1}, "n": 2}}}}]`,
		want:     `[{"_id": null, "t": [3, 4]}]`},
	{name: "group/firstN", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "firstThree": {"$firstN": {"input": "$score", "n": 3}}}}]`,
		want:     `[{"_id": "G1", "firstThree": [31, 33, 99]}]`},
	{name: "group/firstN-missing-is-null", input: `[{"a": 1}, {}]`,
		pipeline: `[{"$group": {"_id": null, "f": {"$firstN": {"input": "$a", "n": 5}}}}]`,
		want:     `[{"_id": null, "f": [1, null]}]`},
	{name: "group/lastN", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "lastThree": {"$lastN": {"input": "$score", "n": 3}}}}]`,
		want:     `[{"_id": "G1", "lastThree": [33, 99, 1]}]`},
	{name: "group/maxN", input: aggScores,
		pipeline: `[{"$match": {"gameId": "G1"}}, {"$group": {"_id": "$gameId", "maxThree": {"$maxN": {"input": "$score", "n": 3}}}}]`,
		want:     `[{"_id": "G1", "maxThree": [99, 33, 31]}]`},
	{name: "group/minN-skips-null", input: `[{"a": 3}, {"a": null}, {}, {"a": 1}]`,
		pipeline: `[{"$group": {"_id": null, "m": {"$minN": {"input": "$a", "n": 3}}}}]`,
		want:     `[{"_id": null, "m": [1, 3]}]`},
	{name: "group/firstN-n-zero", input: `[{"a": 1}]`,
		pipeline: `[{"$group": {"_id": null, "f": {"$firstN": {"input": "$a", "n": 0}}}}]`, code: 5787908},
	{name: "group/firstN-unknown-field", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "f": {"$firstN": {"input": "$a", "n": 1, "x": 1}}}}]`, code: 5787901},
	{name: "group/topN-missing-sortBy", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "f": {"$topN": {"output": "$a", "n": 1}}}}]`, code: 5787906},
	{name: "group/top-bad-direction", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "f": {"$top": {"output": "$a", "sortBy": {"a": 2}}}}}]`, code: 15975},
	{name: "group/median", input: `[{"x": 1}, {"x": 5}, {"x": 2}, {"x": "s"}, {"x": 4}]`,
		pipeline: `[{"$group": {"_id": null, "m": {"$median": {"input": "$x", "method": "approximate"}}}}]`,
		want:     `[{"_id": null, "m": 2.0}]`},
	{name: "group/median-no-numbers", input: `[{"x": "a"}]`,
		pipeline: `[{"$group": {"_id": null, "m": {"$median": {"input": "$x", "method": "approximate"}}}}]`,
		want:     `[{"_id": null, "m": null}]`},
	{name: "group/percentile", input: `[{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}, {"x": 5}, {"x": 6}, {"x": 7}, {"x": 8}, {"x": 9}, {"x": 10}]`,
		pipeline: `[{"$group": {"_id": null, "p": {"$percentile": {"input": "$x", "p": [0.5, 0.75, 0.9, 1], "method": "approximate"}}}}]`,
		want:     `[{"_id": null, "p": [5.0, 8.0, 9.0, 10.0]}]`},
	{name: "group/percentile-bad-p", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "p": {"$percentile": {"input": "$x", "p": [1.5], "method": "approximate"}}}}]`, code: 7750301},
	{name: "group/percentile-no-method", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "p": {"$percentile": {"input": "$x", "p": [0.5]}}}}]`, code: 40414},
	{name: "group/median-bad-method", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "p": {"$median": {"input": "$x", "method": "exact"}}}}]`, code: 2},
	{name: "group/stdDevPop-expression", input: `[{"s": [1, 2, 3, 4]}]`,
		pipeline: `[{"$project": {"_id": 0, "d": {"$stdDevPop": "$s"}, "m": {"$median": {"input": "$s", "method": "approximate"}}}}]`,
		want:     `[{"d": 1.118033988749895, "m": 2.0}]`},
	{name: "group/unary-accumulator-array", input: `[]`,
		pipeline: `[{"$group": {"_id": null, "s": {"$sum": [1]}}}]`, code: 40237},
}

func init() { aggPipelineCases = append(aggPipelineCases, groupAccumulatorCases...) }
