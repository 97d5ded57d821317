package agg_test

// fillCases cover $fill, from the manual's examples
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/fill/).
var fillCases = []aggPipelineCase{
	{name: "fill/constant-value", input: `[
		{"date": {"$date": "2022-02-02T00:00:00Z"}, "bootsSold": 10, "sandalsSold": 20, "sneakersSold": 12},
		{"date": {"$date": "2022-02-03T00:00:00Z"}, "bootsSold": 7, "sneakersSold": 18},
		{"date": {"$date": "2022-02-04T00:00:00Z"}, "sneakersSold": 5}]`,
		pipeline: `[{"$fill": {"output": {"bootsSold": {"value": 0}, "sandalsSold": {"value": 0}, "sneakersSold": {"value": 0}}}}]`,
		want: `[{"date": {"$date": "2022-02-02T00:00:00Z"}, "bootsSold": 10, "sandalsSold": 20, "sneakersSold": 12},
			{"date": {"$date": "2022-02-03T00:00:00Z"}, "bootsSold": 7, "sneakersSold": 18, "sandalsSold": 0},
			{"date": {"$date": "2022-02-04T00:00:00Z"}, "sneakersSold": 5, "bootsSold": 0, "sandalsSold": 0}]`},
	{name: "fill/linear", input: `[
		{"time": {"$date": "2021-03-08T09:00:00Z"}, "price": 500}, {"time": {"$date": "2021-03-08T10:00:00Z"}},
		{"time": {"$date": "2021-03-08T11:00:00Z"}, "price": 550}, {"time": {"$date": "2021-03-08T12:00:00Z"}},
		{"time": {"$date": "2021-03-08T13:00:00Z"}}, {"time": {"$date": "2021-03-08T14:00:00Z"}, "price": 580},
		{"time": {"$date": "2021-03-08T15:00:00Z"}, "price": 600}, {"time": {"$date": "2021-03-08T16:00:00Z"}}]`,
		pipeline: `[{"$fill": {"sortBy": {"time": 1}, "output": {"price": {"method": "linear"}}}}]`,
		want: `[{"time": {"$date": "2021-03-08T09:00:00Z"}, "price": 500}, {"time": {"$date": "2021-03-08T10:00:00Z"}, "price": 525.0},
			{"time": {"$date": "2021-03-08T11:00:00Z"}, "price": 550}, {"time": {"$date": "2021-03-08T12:00:00Z"}, "price": 560.0},
			{"time": {"$date": "2021-03-08T13:00:00Z"}, "price": 570.0}, {"time": {"$date": "2021-03-08T14:00:00Z"}, "price": 580},
			{"time": {"$date": "2021-03-08T15:00:00Z"}, "price": 600}, {"time": {"$date": "2021-03-08T16:00:00Z"}, "price": null}]`},
	{name: "fill/locf", input: `[
		{"date": {"$date": "2021-03-08T00:00:00Z"}, "score": 90}, {"date": {"$date": "2021-03-09T00:00:00Z"}, "score": 92},
		{"date": {"$date": "2021-03-10T00:00:00Z"}}, {"date": {"$date": "2021-03-11T00:00:00Z"}},
		{"date": {"$date": "2021-03-12T00:00:00Z"}, "score": 85}, {"date": {"$date": "2021-03-13T00:00:00Z"}}]`,
		pipeline: `[{"$fill": {"sortBy": {"date": 1}, "output": {"score": {"method": "locf"}}}}, {"$project": {"_id": 0, "score": 1}}]`,
		want:     `[{"score": 90}, {"score": 92}, {"score": 92}, {"score": 92}, {"score": 85}, {"score": 85}]`},
	{name: "fill/partitionByFields", input: `[{"r": "a", "t": 1, "v": 1}, {"r": "b", "t": 1, "v": 5}, {"r": "a", "t": 2}, {"r": "b", "t": 2}]`,
		pipeline: `[{"$fill": {"partitionByFields": ["r"], "sortBy": {"t": 1}, "output": {"v": {"method": "locf"}}}}, {"$project": {"_id": 0, "r": 1, "v": 1}}]`,
		want:     `[{"r": "a", "v": 1}, {"r": "a", "v": 1}, {"r": "b", "v": 5}, {"r": "b", "v": 5}]`},
	{name: "fill/not-object", input: `[]`, pipeline: `[{"$fill": 1}]`, code: 9},
	{name: "fill/no-output", input: `[]`, pipeline: `[{"$fill": {}}]`, code: 40414},
	{name: "fill/empty-output", input: `[]`, pipeline: `[{"$fill": {"output": {}}}]`, code: 6050203},
	{name: "fill/output-not-object", input: `[]`, pipeline: `[{"$fill": {"output": {"a": 1}}}]`, code: 6050200},
	{name: "fill/method-and-value", input: `[]`, pipeline: `[{"$fill": {"output": {"a": {"method": "locf", "value": 1}}}}]`, code: 6050201},
	{name: "fill/bad-method", input: `[]`, pipeline: `[{"$fill": {"output": {"a": {"method": "nearest"}}}}]`, code: 6050202},
	{name: "fill/both-partitions", input: `[]`, pipeline: `[{"$fill": {"partitionBy": "$r", "partitionByFields": ["r"], "sortBy": {"t": 1}, "output": {"a": {"method": "locf"}}}}]`, code: 6050204},
	{name: "fill/unknown-field", input: `[]`, pipeline: `[{"$fill": {"output": {"a": {"value": 1}}, "x": 1}}]`, code: 40415},
}

func init() { aggPipelineCases = append(aggPipelineCases, fillCases...) }
