package agg_test

// graphLookupCases cover $graphLookup with the collections of the manual's
// examples (https://www.mongodb.com/docs/manual/reference/operator/aggregation/graphLookup/).
// MongoDB does not order the "as" array; Concord lists documents in the
// order the search reaches them, which these cases expect.
var graphLookupCases = []aggPipelineCase{
	{name: "graphLookup/reporting-hierarchy", input: aggEmployees, env: map[string]string{"employees": aggEmployees},
		pipeline: `[{"$graphLookup": {"from": "employees", "startWith": "$reportsTo", "connectFromField": "reportsTo", "connectToField": "name", "as": "reportingHierarchy"}},
			{"$project": {"name": 1, "chain": "$reportingHierarchy.name"}}]`,
		want: `[{"_id": 1, "name": "Dev", "chain": []}, {"_id": 2, "name": "Eliot", "chain": ["Dev"]},
			{"_id": 3, "name": "Ron", "chain": ["Eliot", "Dev"]}, {"_id": 4, "name": "Andrew", "chain": ["Eliot", "Dev"]},
			{"_id": 5, "name": "Asya", "chain": ["Ron", "Eliot", "Dev"]}, {"_id": 6, "name": "Dan", "chain": ["Andrew", "Eliot", "Dev"]}]`},
	{name: "graphLookup/maxDepth-depthField", input: aggTravelers, env: map[string]string{"airports": aggAirports},
		pipeline: `[{"$graphLookup": {"from": "airports", "startWith": "$nearestAirport", "connectFromField": "connects", "connectToField": "airport",
			"maxDepth": 2, "depthField": "numConnections", "as": "destinations"}},
			{"$project": {"_id": 0, "name": 1, "d": {"$map": {"input": "$destinations", "in": ["$$this.airport", "$$this.numConnections"]}}}}]`,
		want: `[{"name": "Dev", "d": [["JFK", {"$numberLong": "0"}], ["BOS", {"$numberLong": "1"}], ["ORD", {"$numberLong": "1"}], ["PWM", {"$numberLong": "2"}]]},
			{"name": "Eliot", "d": [["JFK", {"$numberLong": "0"}], ["BOS", {"$numberLong": "1"}], ["ORD", {"$numberLong": "1"}], ["PWM", {"$numberLong": "2"}]]},
			{"name": "Jeff", "d": [["BOS", {"$numberLong": "0"}], ["JFK", {"$numberLong": "1"}], ["PWM", {"$numberLong": "1"}], ["ORD", {"$numberLong": "2"}], ["LHR", {"$numberLong": "2"}]]}]`},
	{name: "graphLookup/maxDepth-zero", input: `[{"_id": 1, "nearestAirport": "JFK"}]`, env: map[string]string{"airports": aggAirports},
		pipeline: `[{"$graphLookup": {"from": "airports", "startWith": "$nearestAirport", "connectFromField": "connects", "connectToField": "airport", "maxDepth": 0, "as": "d"}},
			{"$project": {"d": "$d.airport"}}]`,
		want: `[{"_id": 1, "d": ["JFK"]}]`},
	{name: "graphLookup/restrictSearchWithMatch", input: `[{"_id": 3, "nearestAirport": "BOS"}]`, env: map[string]string{"airports": aggAirports},
		pipeline: `[{"$graphLookup": {"from": "airports", "startWith": "$nearestAirport", "connectFromField": "connects", "connectToField": "airport",
			"restrictSearchWithMatch": {"airport": {"$ne": "PWM"}}, "as": "d"}}, {"$project": {"d": "$d.airport"}}]`,
		want: `[{"_id": 3, "d": ["BOS", "JFK", "ORD"]}]`},
	{name: "graphLookup/startWith-array", input: `[{"_id": 1, "s": ["ORD", "LHR"]}]`, env: map[string]string{"airports": aggAirports},
		pipeline: `[{"$graphLookup": {"from": "airports", "startWith": "$s", "connectFromField": "connects", "connectToField": "airport", "maxDepth": 0, "as": "d"}},
			{"$project": {"d": "$d.airport"}}]`,
		want: `[{"_id": 1, "d": ["ORD", "LHR"]}]`},
	{name: "graphLookup/not-object", input: `[]`, pipeline: `[{"$graphLookup": 5}]`, code: 9},
	{name: "graphLookup/missing-as", input: `[]`, pipeline: `[{"$graphLookup": {"from": "a", "startWith": "$x", "connectFromField": "b", "connectToField": "c"}}]`, code: 40105},
	{name: "graphLookup/unknown", input: `[]`, pipeline: `[{"$graphLookup": {"from": "a", "startWith": "$x", "connectFromField": "b", "connectToField": "c", "as": "d", "zz": 1}}]`, code: 40104},
	{name: "graphLookup/from-not-string", input: `[]`, pipeline: `[{"$graphLookup": {"from": 1, "startWith": "$x", "connectFromField": "b", "connectToField": "c", "as": "d"}}]`, code: 40103},
	{name: "graphLookup/maxDepth-negative", input: `[]`, pipeline: `[{"$graphLookup": {"from": "a", "startWith": "$x", "connectFromField": "b", "connectToField": "c", "as": "d", "maxDepth": -1}}]`, code: 40101},
	{name: "graphLookup/maxDepth-string", input: `[]`, pipeline: `[{"$graphLookup": {"from": "a", "startWith": "$x", "connectFromField": "b", "connectToField": "c", "as": "d", "maxDepth": "1"}}]`, code: 40100},
	{name: "graphLookup/maxDepth-fractional", input: `[]`, pipeline: `[{"$graphLookup": {"from": "a", "startWith": "$x", "connectFromField": "b", "connectToField": "c", "as": "d", "maxDepth": 1.5}}]`, code: 40102},
	{name: "graphLookup/restrict-not-object", input: `[]`, pipeline: `[{"$graphLookup": {"from": "a", "startWith": "$x", "connectFromField": "b", "connectToField": "c", "as": "d", "restrictSearchWithMatch": 1}}]`, code: 40185},
}

// aggEmployees, aggAirports and aggTravelers are the manual's collections.
const (
	aggEmployees = `[{"_id": 1, "name": "Dev"}, {"_id": 2, "name": "Eliot", "reportsTo": "Dev"}, {"_id": 3, "name": "Ron", "reportsTo": "Eliot"},
		{"_id": 4, "name": "Andrew", "reportsTo": "Eliot"}, {"_id": 5, "name": "Asya", "reportsTo": "Ron"}, {"_id": 6, "name": "Dan", "reportsTo": "Andrew"}]`
	aggAirports = `[{"_id": 0, "airport": "JFK", "connects": ["BOS", "ORD"]}, {"_id": 1, "airport": "BOS", "connects": ["JFK", "PWM"]},
		{"_id": 2, "airport": "ORD", "connects": ["JFK"]}, {"_id": 3, "airport": "PWM", "connects": ["BOS", "LHR"]},
		{"_id": 4, "airport": "LHR", "connects": ["PWM"]}]`
	aggTravelers = `[{"_id": 1, "name": "Dev", "nearestAirport": "JFK"}, {"_id": 2, "name": "Eliot", "nearestAirport": "JFK"},
		{"_id": 3, "name": "Jeff", "nearestAirport": "BOS"}]`
)

func init() { aggPipelineCases = append(aggPipelineCases, graphLookupCases...) }
