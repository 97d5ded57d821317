package expr_test

// setCases cover expr_set.go, from the manual's pages:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/setUnion/ (and the other set operators)
var setCases = []aggExprCase{
	{"setUnion/dedups-numbers", `{"$setUnion": [[1, 2], [2.0, 3], [1]]}`, `{}`, `[1, 2, 3]`, 0},
	{"setUnion/none", `{"$setUnion": []}`, `{}`, `[]`, 0},
	{"setUnion/null", `{"$setUnion": [[1], null]}`, `{}`, `null`, 0},
	{"setUnion/not-array", `{"$setUnion": [[1], 1]}`, `{}`, ``, 17043},
	{"setIntersection/common", `{"$setIntersection": [["a", "b", "a"], ["b", "a"]]}`, `{}`, `["a", "b"]`, 0},
	{"setIntersection/disjoint", `{"$setIntersection": [[1], [2]]}`, `{}`, `[]`, 0},
	{"setIntersection/missing", `{"$setIntersection": [[1], "$x"]}`, `{}`, `null`, 0},
	{"setIntersection/not-array", `{"$setIntersection": [[1], "a"]}`, `{}`, ``, 17047},
	{"setDifference/left-only", `{"$setDifference": [["a", "b", "a", "c"], ["b"]]}`, `{}`, `["a", "c"]`, 0},
	{"setDifference/null", `{"$setDifference": [null, [1]]}`, `{}`, `null`, 0},
	{"setDifference/first-not-array", `{"$setDifference": [1, [1]]}`, `{}`, ``, 17048},
	{"setDifference/second-not-array", `{"$setDifference": [[1], 1]}`, `{}`, ``, 17049},
	{"setDifference/arity", `{"$setDifference": [[1]]}`, `{}`, ``, 16020},
	{"setEquals/same-elements", `{"$setEquals": [["a", "b", "a"], ["b", "a"]]}`, `{}`, `true`, 0},
	{"setEquals/different", `{"$setEquals": [["a"], ["a", "b"]]}`, `{}`, `false`, 0},
	{"setEquals/one-arg", `{"$setEquals": [[1]]}`, `{}`, ``, 17045},
	{"setEquals/not-array", `{"$setEquals": [[1], null]}`, `{}`, ``, 17044},
	{"setIsSubset/yes", `{"$setIsSubset": [["a", "a"], ["a", "b"]]}`, `{}`, `true`, 0},
	{"setIsSubset/no", `{"$setIsSubset": [["c"], ["a", "b"]]}`, `{}`, `false`, 0},
	{"setIsSubset/first-not-array", `{"$setIsSubset": [null, ["a"]]}`, `{}`, ``, 17046},
	{"setIsSubset/second-not-array", `{"$setIsSubset": [["a"], null]}`, `{}`, ``, 17042},
	{"allElementsTrue/true", `{"$allElementsTrue": [[true, 1, "x"]]}`, `{}`, `true`, 0},
	{"allElementsTrue/false", `{"$allElementsTrue": [[true, 0]]}`, `{}`, `false`, 0},
	{"allElementsTrue/empty", `{"$allElementsTrue": [[]]}`, `{}`, `true`, 0},
	{"allElementsTrue/null", `{"$allElementsTrue": [null]}`, `{}`, ``, 17040},
	{"anyElementTrue/true", `{"$anyElementTrue": [[false, [0]]]}`, `{}`, `true`, 0},
	{"anyElementTrue/empty", `{"$anyElementTrue": [[]]}`, `{}`, `false`, 0},
	{"anyElementTrue/not-array", `{"$anyElementTrue": [1]}`, `{}`, ``, 17041},
}

func init() { aggExprCases = append(aggExprCases, setCases...) }
