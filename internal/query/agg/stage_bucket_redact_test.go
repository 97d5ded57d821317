package agg_test

// aggArtists is the artists collection of the manual's $bucket page.
const aggArtists = `[
 {"_id": 1, "last_name": "Bernard", "first_name": "Emil", "year_born": 1868, "year_died": 1941, "nationality": "France"},
 {"_id": 2, "last_name": "Rippl-Ronai", "first_name": "Joszef", "year_born": 1861, "year_died": 1927, "nationality": "Hungary"},
 {"_id": 3, "last_name": "Ostroumova", "first_name": "Anna", "year_born": 1871, "year_died": 1955, "nationality": "Russia"},
 {"_id": 4, "last_name": "Van Gogh", "first_name": "Vincent", "year_born": 1853, "year_died": 1890, "nationality": "Holland"},
 {"_id": 5, "last_name": "Maurer", "first_name": "Alfred", "year_born": 1868, "year_died": 1932, "nationality": "USA"},
 {"_id": 6, "last_name": "Munch", "first_name": "Edvard", "year_born": 1863, "year_died": 1944, "nationality": "Norway"},
 {"_id": 7, "last_name": "Redon", "first_name": "Odilon", "year_born": 1840, "year_died": 1916, "nationality": "France"},
 {"_id": 8, "last_name": "Diriks", "first_name": "Edvard", "year_born": 1855, "year_died": 1930, "nationality": "Norway"}
]`

// bucketRedactCases cover $bucket and $redact:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucket/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/redact/
var bucketRedactCases = []aggPipelineCase{
	{name: "bucket/manual-example", input: aggArtists,
		pipeline: `[{"$bucket": {"groupBy": "$year_born", "boundaries": [1840, 1850, 1860, 1870, 1880], "default": "Other",
			"output": {"count": {"$sum": 1}, "artists": {"$push": "$last_name"}}}}]`,
		want: `[{"_id": 1840, "count": 1, "artists": ["Redon"]},
			{"_id": 1850, "count": 2, "artists": ["Van Gogh", "Diriks"]},
			{"_id": 1860, "count": 4, "artists": ["Bernard", "Rippl-Ronai", "Maurer", "Munch"]},
			{"_id": 1870, "count": 1, "artists": ["Ostroumova"]}]`},
	{name: "bucket/default-count-and-default-bucket", input: `[{"x": 1}, {"x": 5}, {"x": "a"}, {}]`,
		pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [0, 2, 10], "default": "other"}}]`,
		want:     `[{"_id": 0, "count": 1}, {"_id": 2, "count": 1}, {"_id": "other", "count": 2}]`},
	{name: "bucket/no-default-no-match", input: `[{"x": 11}]`,
		pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [0, 10]}}]`, code: 40066},
	{name: "bucket/not-object", input: `[]`, pipeline: `[{"$bucket": 1}]`, code: 40201},
	{name: "bucket/unknown-option", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [0, 1], "x": 1}}]`, code: 40197},
	{name: "bucket/groupBy-not-path", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "x", "boundaries": [0, 1]}}]`, code: 40202},
	{name: "bucket/no-boundaries", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x"}}]`, code: 40198},
	{name: "bucket/boundaries-not-array", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": 1}}]`, code: 40200},
	{name: "bucket/one-boundary", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [1]}}]`, code: 40192},
	{name: "bucket/mixed-boundaries", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [1, "a"]}}]`, code: 40193},
	{name: "bucket/unsorted-boundaries", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [2, 1]}}]`, code: 40194},
	{name: "bucket/boundary-path", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": ["$a", "$b"]}}]`, code: 40191},
	{name: "bucket/default-inside", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [0, 10], "default": 5}}]`, code: 40199},
	{name: "bucket/output-not-object", input: `[]`, pipeline: `[{"$bucket": {"groupBy": "$x", "boundaries": [0, 10], "output": 1}}]`, code: 40196},
	{name: "redact/manual-example",
		input: `[{"_id": 1, "title": "123 Department Report", "tags": ["G", "STLW"], "year": 2014,
			"subsections": [{"subtitle": "Section 1: Overview", "tags": ["SI", "G"], "content": "Section 1: This is the content of section 1."},
				{"subtitle": "Section 2: Analysis", "tags": ["STLW"], "content": "Section 2: This is the content of section 2."},
				{"subtitle": "Section 3: Budgeting", "tags": ["TK"], "content": {"text": "Section 3: This is the content of section 3.", "tags": ["HCS"]}}]}]`,
		pipeline: `[{"$match": {"year": 2014}}, {"$redact": {"$cond": {"if": {"$gt": [{"$size": {"$setIntersection": ["$tags", ["STLW", "G"]]}}, 0]}, "then": "$$DESCEND", "else": "$$PRUNE"}}}]`,
		want: `[{"_id": 1, "title": "123 Department Report", "tags": ["G", "STLW"], "year": 2014,
			"subsections": [{"subtitle": "Section 1: Overview", "tags": ["SI", "G"], "content": "Section 1: This is the content of section 1."},
				{"subtitle": "Section 2: Analysis", "tags": ["STLW"], "content": "Section 2: This is the content of section 2."}]}]`},
	{name: "redact/keep-whole", input: `[{"a": {"level": 1}}]`,
		pipeline: `[{"$redact": "$$KEEP"}]`, want: `[{"a": {"level": 1}}]`},
	{name: "redact/prune-document", input: `[{"a": 1}, {"a": 2}]`,
		pipeline: `[{"$redact": {"$cond": [{"$eq": ["$a", 1]}, "$$PRUNE", "$$KEEP"]}}]`, want: `[{"a": 2}]`},
	{name: "redact/root-stays-top-level", input: `[{"level": 5, "sub": {"level": 1, "x": 1}}]`,
		pipeline: `[{"$redact": {"$cond": [{"$gte": ["$level", "$$ROOT.level"]}, "$$DESCEND", "$$PRUNE"]}}]`,
		want:     `[{"level": 5}]`},
	{name: "redact/bad-result", input: `[{"a": 1}]`, pipeline: `[{"$redact": 1}]`, code: 17053},
}

func init() { aggPipelineCases = append(aggPipelineCases, bucketRedactCases...) }
