package agg_test

// aggArtwork is the artwork collection of the manual's  page
// (https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucketAuto/).
const aggArtwork = `[
 {"_id": 1, "title": "The Pillars of Society", "artist": "Grosz", "year": 1926, "price": {"$numberDecimal": "199.99"}},
 {"_id": 2, "title": "Melancholy III", "artist": "Munch", "year": 1902, "price": {"$numberDecimal": "280.00"}},
 {"_id": 3, "title": "Dancer", "artist": "Miro", "year": 1925, "price": {"$numberDecimal": "76.04"}},
 {"_id": 4, "title": "The Great Wave off Kanagawa", "artist": "Hokusai", "price": {"$numberDecimal": "167.30"}},
 {"_id": 5, "title": "The Persistence of Memory", "artist": "Dali", "year": 1931, "price": {"$numberDecimal": "483.00"}},
 {"_id": 6, "title": "Composition VII", "artist": "Kandinsky", "year": 1913, "price": {"$numberDecimal": "385.00"}},
 {"_id": 7, "title": "The Scream", "artist": "Munch", "price": {"$numberDecimal": "159.00"}},
 {"_id": 8, "title": "Blue Flower", "artist": "O'Keefe", "year": 1918, "price": {"$numberDecimal": "118.42"}}
]`

// aggThings is the things collection of the page's granularity example:
// _id 0 to 99.
const aggThings = `[{"_id": 0},{"_id": 1},{"_id": 2},{"_id": 3},{"_id": 4},{"_id": 5},{"_id": 6},{"_id": 7},{"_id": 8},{"_id": 9},{"_id": 10},{"_id": 11},{"_id": 12},{"_id": 13},{"_id": 14},{"_id": 15},{"_id": 16},{"_id": 17},{"_id": 18},{"_id": 19},{"_id": 20},{"_id": 21},{"_id": 22},{"_id": 23},{"_id": 24},{"_id": 25},{"_id": 26},{"_id": 27},{"_id": 28},{"_id": 29},{"_id": 30},{"_id": 31},{"_id": 32},{"_id": 33},{"_id": 34},{"_id": 35},{"_id": 36},{"_id": 37},{"_id": 38},{"_id": 39},{"_id": 40},{"_id": 41},{"_id": 42},{"_id": 43},{"_id": 44},{"_id": 45},{"_id": 46},{"_id": 47},{"_id": 48},{"_id": 49},{"_id": 50},{"_id": 51},{"_id": 52},{"_id": 53},{"_id": 54},{"_id": 55},{"_id": 56},{"_id": 57},{"_id": 58},{"_id": 59},{"_id": 60},{"_id": 61},{"_id": 62},{"_id": 63},{"_id": 64},{"_id": 65},{"_id": 66},{"_id": 67},{"_id": 68},{"_id": 69},{"_id": 70},{"_id": 71},{"_id": 72},{"_id": 73},{"_id": 74},{"_id": 75},{"_id": 76},{"_id": 77},{"_id": 78},{"_id": 79},{"_id": 80},{"_id": 81},{"_id": 82},{"_id": 83},{"_id": 84},{"_id": 85},{"_id": 86},{"_id": 87},{"_id": 88},{"_id": 89},{"_id": 90},{"_id": 91},{"_id": 92},{"_id": 93},{"_id": 94},{"_id": 95},{"_id": 96},{"_id": 97},{"_id": 98},{"_id": 99}]`

// bucketAutoCases cover $bucketAuto; the first three are the page's examples.
var bucketAutoCases = []aggPipelineCase{
	{name: "bucketAuto/price", input: aggArtwork, pipeline: `[{"$bucketAuto": {"groupBy": "$price", "buckets": 4}}]`,
		want: `[{"_id": {"min": {"$numberDecimal": "76.04"}, "max": {"$numberDecimal": "159.00"}}, "count": 2},
			{"_id": {"min": {"$numberDecimal": "159.00"}, "max": {"$numberDecimal": "199.99"}}, "count": 2},
			{"_id": {"min": {"$numberDecimal": "199.99"}, "max": {"$numberDecimal": "385.00"}}, "count": 2},
			{"_id": {"min": {"$numberDecimal": "385.00"}, "max": {"$numberDecimal": "483.00"}}, "count": 2}]`},
	{name: "bucketAuto/year-output", input: aggArtwork,
		pipeline: `[{"$bucketAuto": {"groupBy": "$year", "buckets": 3, "output": {"count": {"$sum": 1}, "years": {"$push": "$year"}}}}]`,
		want: `[{"_id": {"min": null, "max": 1913}, "count": 3, "years": [1902]},
			{"_id": {"min": 1913, "max": 1926}, "count": 3, "years": [1913, 1918, 1925]},
			{"_id": {"min": 1926, "max": 1931}, "count": 2, "years": [1926, 1931]}]`},
	{name: "bucketAuto/granularity-R5", input: aggThings,
		pipeline: `[{"$bucketAuto": {"groupBy": "$_id", "buckets": 5, "granularity": "R5"}}]`,
		want: `[{"_id": {"min": 0, "max": 25.0}, "count": 25}, {"_id": {"min": 25.0, "max": 63.0}, "count": 38},
			{"_id": {"min": 63.0, "max": 100.0}, "count": 37}]`},
	{name: "bucketAuto/granularity-E6-small", input: `[{"x": 0.8}, {"x": 1.2}, {"x": 3}, {"x": 4}]`,
		pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 2, "granularity": "E6"}}]`,
		want:     `[{"_id": {"min": 0.68, "max": 1.5}, "count": 2}, {"_id": {"min": 1.5, "max": 4.7}, "count": 2}]`},
	{name: "bucketAuto/powers-of-two", input: `[{"x": 3}, {"x": 5}, {"x": 6}, {"x": 9}, {"x": 12}, {"x": 20}]`,
		pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 2, "granularity": "POWERSOF2"}}]`,
		want:     `[{"_id": {"min": 2, "max": 8}, "count": 3}, {"_id": {"min": 8, "max": 32}, "count": 3}]`},
	{name: "bucketAuto/more-buckets-than-documents", input: `[{"x": 1}, {"x": 2}]`,
		pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 5}}]`,
		want:     `[{"_id": {"min": 1, "max": 2}, "count": 1}, {"_id": {"min": 2, "max": 2}, "count": 1}]`},
	{name: "bucketAuto/empty", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 5}}]`, want: `[]`},
	{name: "bucketAuto/not-object", input: `[]`, pipeline: `[{"$bucketAuto": 1}]`, code: 40240},
	{name: "bucketAuto/groupBy-literal", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "x", "buckets": 1}}]`, code: 40239},
	{name: "bucketAuto/buckets-string", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": "1"}}]`, code: 40241},
	{name: "bucketAuto/buckets-fractional", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1.5}}]`, code: 40242},
	{name: "bucketAuto/buckets-zero", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 0}}]`, code: 40243},
	{name: "bucketAuto/output-not-object", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1, "output": 1}}]`, code: 40244},
	{name: "bucketAuto/unknown-option", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1, "y": 1}}]`, code: 40245},
	{name: "bucketAuto/missing-buckets", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x"}}]`, code: 40246},
	{name: "bucketAuto/granularity-not-string", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1, "granularity": 1}}]`, code: 40261},
	{name: "bucketAuto/granularity-unknown", input: `[]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1, "granularity": "R7"}}]`, code: 40257},
	{name: "bucketAuto/granularity-string-value", input: `[{"x": "a"}]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1, "granularity": "R5"}}]`, code: 40258},
	{name: "bucketAuto/granularity-negative", input: `[{"x": -1}]`, pipeline: `[{"$bucketAuto": {"groupBy": "$x", "buckets": 1, "granularity": "R5"}}]`, code: 40260},
}

func init() { aggPipelineCases = append(aggPipelineCases, bucketAutoCases...) }
