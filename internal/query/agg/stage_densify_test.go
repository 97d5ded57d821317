package agg_test

// aggCoffee is the coffee collection of the manual's $densify page.
const aggCoffee = `[
 {"altitude": 600, "variety": "Arabica Typica", "score": 68.3},
 {"altitude": 750, "variety": "Arabica Typica", "score": 69.5},
 {"altitude": 950, "variety": "Arabica Typica", "score": 70.5},
 {"altitude": 1250, "variety": "Gesha", "score": 88.15},
 {"altitude": 1700, "variety": "Gesha", "score": 85.5},
 {"altitude": 1600, "variety": "Gesha", "score": 93}
]`

// densifyCases cover $densify, from the manual's examples
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/densify/).
var densifyCases = []aggPipelineCase{
	{name: "densify/time-series-explicit-bounds", input: `[
		{"timestamp": {"$date": "2021-05-18T00:00:00Z"}, "temp": 12}, {"timestamp": {"$date": "2021-05-18T04:00:00Z"}, "temp": 11},
		{"timestamp": {"$date": "2021-05-18T08:00:00Z"}, "temp": 11}, {"timestamp": {"$date": "2021-05-18T12:00:00Z"}, "temp": 12}]`,
		pipeline: `[{"$densify": {"field": "timestamp", "range": {"step": 1, "unit": "hour", "bounds": [{"$date": "2021-05-18T00:00:00Z"}, {"$date": "2021-05-18T08:00:00Z"}]}}}]`,
		want: `[{"timestamp": {"$date": "2021-05-18T00:00:00Z"}, "temp": 12}, {"timestamp": {"$date": "2021-05-18T01:00:00Z"}},
			{"timestamp": {"$date": "2021-05-18T02:00:00Z"}}, {"timestamp": {"$date": "2021-05-18T03:00:00Z"}},
			{"timestamp": {"$date": "2021-05-18T04:00:00Z"}, "temp": 11}, {"timestamp": {"$date": "2021-05-18T05:00:00Z"}},
			{"timestamp": {"$date": "2021-05-18T06:00:00Z"}}, {"timestamp": {"$date": "2021-05-18T07:00:00Z"}},
			{"timestamp": {"$date": "2021-05-18T08:00:00Z"}, "temp": 11}, {"timestamp": {"$date": "2021-05-18T12:00:00Z"}, "temp": 12}]`},
	{name: "densify/partitions-full", input: aggCoffee,
		pipeline: `[{"$densify": {"field": "altitude", "partitionByFields": ["variety"], "range": {"bounds": "full", "step": 200}}},
			{"$sort": {"variety": 1, "altitude": 1}}, {"$project": {"score": 0}}]`,
		want: `[{"altitude": 600, "variety": "Arabica Typica"}, {"altitude": 750, "variety": "Arabica Typica"},
			{"variety": "Arabica Typica", "altitude": 800}, {"altitude": 950, "variety": "Arabica Typica"},
			{"variety": "Arabica Typica", "altitude": 1000}, {"variety": "Arabica Typica", "altitude": 1200},
			{"variety": "Arabica Typica", "altitude": 1400}, {"variety": "Arabica Typica", "altitude": 1600},
			{"variety": "Gesha", "altitude": 600}, {"variety": "Gesha", "altitude": 800}, {"variety": "Gesha", "altitude": 1000},
			{"variety": "Gesha", "altitude": 1200}, {"altitude": 1250, "variety": "Gesha"}, {"variety": "Gesha", "altitude": 1400},
			{"altitude": 1600, "variety": "Gesha"}, {"altitude": 1700, "variety": "Gesha"}]`},
	{name: "densify/partitions-partition", input: aggCoffee,
		pipeline: `[{"$densify": {"field": "altitude", "partitionByFields": ["variety"], "range": {"bounds": "partition", "step": 200}}}, {"$project": {"score": 0}}]`,
		want: `[{"altitude": 600, "variety": "Arabica Typica"}, {"altitude": 750, "variety": "Arabica Typica"},
			{"variety": "Arabica Typica", "altitude": 800}, {"altitude": 950, "variety": "Arabica Typica"},
			{"altitude": 1250, "variety": "Gesha"}, {"variety": "Gesha", "altitude": 1450}, {"altitude": 1600, "variety": "Gesha"},
			{"variety": "Gesha", "altitude": 1650}, {"altitude": 1700, "variety": "Gesha"}]`},
	{name: "densify/explicit-numeric-partitions-and-nulls", input: `[{"p": "a", "x": 2}, {"p": "b", "x": 5}, {"p": "a"}, {"p": "b", "x": 9}]`,
		pipeline: `[{"$densify": {"field": "x", "partitionByFields": ["p"], "range": {"step": 2, "bounds": [0, 6]}}}]`,
		// As mongod does, partitions are completed to the upper bound at
		// the end of the input.
		want: `[{"p": "a"}, {"p": "a", "x": 0}, {"p": "a", "x": 2},
			{"p": "b", "x": 0}, {"p": "b", "x": 2}, {"p": "b", "x": 4}, {"p": "b", "x": 5}, {"p": "b", "x": 9}, {"p": "a", "x": 4}]`},
	{name: "densify/explicit-empty-input", input: `[]`,
		pipeline: `[{"$densify": {"field": "x", "range": {"step": 1.5, "bounds": [0.0, 3.0]}}}]`,
		want:     `[{"x": 0.0}, {"x": 1.5}]`},
	{name: "densify/full-no-partitions", input: `[{"x": 1}, {"x": 4}]`,
		pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "full"}}}]`,
		want:     `[{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}]`},
	{name: "densify/string-value", input: `[{"x": "a"}]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "full"}}}]`, code: 5733201},
	{name: "densify/date-without-unit", input: `[{"x": {"$date": "2021-01-01T00:00:00Z"}}]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "full"}}}]`, code: 5733501},
	{name: "densify/number-with-unit", input: `[{"x": 1}]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "unit": "day", "bounds": "full"}}}]`, code: 6053600},
	{name: "densify/too-many", input: `[{"x": 0}, {"x": 1000000}]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "full"}}}]`, code: 5897900},
	{name: "densify/not-object", input: `[]`, pipeline: `[{"$densify": 1}]`, code: 9},
	{name: "densify/no-field", input: `[]`, pipeline: `[{"$densify": {"range": {"step": 1, "bounds": "full"}}}]`, code: 40414},
	{name: "densify/unknown", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "full"}, "y": 1}}]`, code: 40415},
	{name: "densify/zero-step", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 0, "bounds": "full"}}}]`, code: 5733401},
	{name: "densify/fractional-date-step", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1.5, "unit": "day", "bounds": "full"}}}]`, code: 6586400},
	{name: "densify/three-bounds", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": [1, 2, 3]}}}]`, code: 5733403},
	{name: "densify/descending-bounds", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": [2, 1]}}}]`, code: 5733402},
	{name: "densify/numeric-bounds-with-unit", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "unit": "day", "bounds": [1, 2]}}}]`, code: 5733409},
	{name: "densify/mixed-number-types", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": [1, 2.0]}}}]`, code: 5876900},
	{name: "densify/date-bounds-without-unit", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": [{"$date": "2021-01-01T00:00:00Z"}, {"$date": "2021-01-02T00:00:00Z"}]}}}]`, code: 5733410},
	{name: "densify/string-bounds", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": ["a", "b"]}}}]`, code: 5946800},
	{name: "densify/bad-bounds-word", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "all"}}}]`, code: 5946802},
	{name: "densify/bounds-number", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": 1}}}]`, code: 5733404},
	{name: "densify/partition-without-fields", input: `[]`, pipeline: `[{"$densify": {"field": "x", "range": {"step": 1, "bounds": "partition"}}}]`, code: 5733408},
}

func init() { aggPipelineCases = append(aggPipelineCases, densifyCases...) }
