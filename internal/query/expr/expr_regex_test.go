package expr_test

import "strings"

// regexCases cover the PCRE syntax of $regexMatch, $regexFind and
// $regexFindAll beyond RE2, with the manual's shapes of results
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/regexFind/):
// idx counts code points, captures hold null for a group that did not
// take part. A match stopped by the time bound is mongod's 51156.
var regexCases = []aggExprCase{
	{"regexFind/lookbehind", `{"$regexFind": {"input": "price: $42", "regex": "(?<=\\$)\\d+"}}`, `{}`, `{"match": "42", "idx": 8, "captures": []}`, 0},
	{"regexFind/backreference-captures", `{"$regexFind": {"input": "xx abab", "regex": "(ab)\\1"}}`, `{}`, `{"match": "abab", "idx": 3, "captures": ["ab"]}`, 0},
	{"regexFind/code-point-idx-backtracking", `{"$regexFind": {"input": "café au lait", "regex": "(?<=é )(a)(z)?u"}}`, `{}`, `{"match": "au", "idx": 5, "captures": ["a", null]}`, 0},
	{"regexFind/named-groups-keep-order", `{"$regexFind": {"input": "ab", "regex": "(?<x>a)(b)(?=$)"}}`, `{}`, `{"match": "ab", "idx": 0, "captures": ["a", "b"]}`, 0},
	{"regexFindAll/lookahead", `{"$regexFindAll": {"input": "a1 b2 c3", "regex": "[a-z](?=[12])"}}`, `{}`, `[{"match": "a", "idx": 0, "captures": []}, {"match": "b", "idx": 3, "captures": []}]`, 0},
	{"regexFindAll/atomic-inline-i", `{"$regexFindAll": {"input": "AaB aab", "regex": "(?i)(?>a+)b"}}`, `{}`, `[{"match": "AaB", "idx": 0, "captures": []}, {"match": "aab", "idx": 4, "captures": []}]`, 0},
	{"regexMatch/possessive", `{"$regexMatch": {"input": "aaa", "regex": "a*+a"}}`, `{}`, `false`, 0},
	{"regexMatch/dollar-before-final-newline", `{"$regexMatch": {"input": "abc\n", "regex": "c$"}}`, `{}`, `true`, 0},
	{"regexMatch/multiline-dollar", `{"$regexMatch": {"input": "abc\nd", "regex": "c$", "options": "m"}}`, `{}`, `true`, 0},
	{"regexMatch/invalid-lookbehind", `{"$regexMatch": {"input": "a", "regex": "(?<=a"}}`, `{}`, ``, 51091},
	{"regexMatch/catastrophic", `{"$regexMatch": {"input": "` + strings.Repeat("a", 100) + `b", "regex": "^(a+)+$"}}`, `{}`, ``, 51156},
}

func init() { aggExprCases = append(aggExprCases, regexCases...) }
