package expr_test

// dateMathCases cover expr_date_math.go, from the manual's pages (and
// their examples):
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateAdd/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateSubtract/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateDiff/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateTrunc/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromParts/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateToParts/
var dateMathCases = []aggExprCase{
	{"dateAdd/days", `{"$dateAdd": {"startDate": "$d", "unit": "day", "amount": 3}}`, `{"d": {"$date": "2020-10-31T12:10:05Z"}}`, `{"$date": "2020-11-03T12:10:05Z"}`, 0},
	{"dateAdd/month-end-clamps", `{"$dateAdd": {"startDate": "$d", "unit": "month", "amount": 1}}`, `{"d": {"$date": "2021-01-31T00:00:00Z"}}`, `{"$date": "2021-02-28T00:00:00Z"}`, 0},
	{"dateAdd/leap-year", `{"$dateAdd": {"startDate": "$d", "unit": "year", "amount": 1}}`, `{"d": {"$date": "2020-02-29T00:00:00Z"}}`, `{"$date": "2021-02-28T00:00:00Z"}`, 0},
	{"dateAdd/quarter", `{"$dateAdd": {"startDate": "$d", "unit": "quarter", "amount": 1}}`, `{"d": {"$date": "2021-01-15T00:00:00Z"}}`, `{"$date": "2021-04-15T00:00:00Z"}`, 0},
	{"dateAdd/hours", `{"$dateAdd": {"startDate": "$d", "unit": "hour", "amount": 25}}`, `{"d": {"$date": "2021-01-01T00:00:00Z"}}`, `{"$date": "2021-01-02T01:00:00Z"}`, 0},
	{"dateAdd/day-across-dst-keeps-local-time", `{"$dateAdd": {"startDate": "$d", "unit": "day", "amount": 1, "timezone": "America/New_York"}}`, `{"d": {"$date": "2021-03-13T17:00:00Z"}}`, `{"$date": "2021-03-14T16:00:00Z"}`, 0},
	{"dateAdd/hour-across-dst-is-duration", `{"$dateAdd": {"startDate": "$d", "unit": "hour", "amount": 24, "timezone": "America/New_York"}}`, `{"d": {"$date": "2021-03-13T17:00:00Z"}}`, `{"$date": "2021-03-14T17:00:00Z"}`, 0},
	{"dateAdd/null-amount", `{"$dateAdd": {"startDate": "$d", "unit": "day", "amount": null}}`, `{"d": {"$date": "2021-01-01T00:00:00Z"}}`, `null`, 0},
	{"dateAdd/fractional-amount", `{"$dateAdd": {"startDate": "$d", "unit": "day", "amount": 1.5}}`, `{"d": {"$date": "2021-01-01T00:00:00Z"}}`, ``, 5166405},
	{"dateAdd/bad-unit", `{"$dateAdd": {"startDate": "$d", "unit": "fortnight", "amount": 1}}`, `{"d": {"$date": "2021-01-01T00:00:00Z"}}`, ``, 9},
	{"dateAdd/not-a-date", `{"$dateAdd": {"startDate": 1, "unit": "day", "amount": 1}}`, `{}`, ``, 5166403},
	{"dateAdd/missing-amount", `{"$dateAdd": {"startDate": "$d", "unit": "day"}}`, `{}`, ``, 5166402},
	{"dateAdd/unknown-arg", `{"$dateAdd": {"startDate": "$d", "unit": "day", "amount": 1, "x": 1}}`, `{}`, ``, 5166401},
	{"dateAdd/not-object", `{"$dateAdd": 1}`, `{}`, ``, 5166400},
	{"dateSubtract/months", `{"$dateSubtract": {"startDate": "$d", "unit": "month", "amount": 1}}`, `{"d": {"$date": "2021-03-31T10:00:00Z"}}`, `{"$date": "2021-02-28T10:00:00Z"}`, 0},
	{"dateDiff/days", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "day"}}`, `{"a": {"$date": "2021-01-01T23:00:00Z"}, "b": {"$date": "2021-01-02T01:00:00Z"}}`, `{"$numberLong": "1"}`, 0},
	{"dateDiff/years-boundaries", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "year"}}`, `{"a": {"$date": "2020-12-31T00:00:00Z"}, "b": {"$date": "2021-01-01T00:00:00Z"}}`, `{"$numberLong": "1"}`, 0},
	{"dateDiff/negative-months", `{"$dateDiff": {"startDate": "$b", "endDate": "$a", "unit": "month"}}`, `{"a": {"$date": "2020-11-30T00:00:00Z"}, "b": {"$date": "2021-02-01T00:00:00Z"}}`, `{"$numberLong": "-3"}`, 0},
	{"dateDiff/quarters", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "quarter"}}`, `{"a": {"$date": "2021-03-31T00:00:00Z"}, "b": {"$date": "2021-04-01T00:00:00Z"}}`, `{"$numberLong": "1"}`, 0},
	{"dateDiff/weeks-start-monday", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "week", "startOfWeek": "Monday"}}`, `{"a": {"$date": "2021-01-03T00:00:00Z"}, "b": {"$date": "2021-01-04T00:00:00Z"}}`, `{"$numberLong": "1"}`, 0},
	{"dateDiff/weeks-start-sunday", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "week"}}`, `{"a": {"$date": "2021-01-03T00:00:00Z"}, "b": {"$date": "2021-01-04T00:00:00Z"}}`, `{"$numberLong": "0"}`, 0},
	{"dateDiff/hours", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "hour"}}`, `{"a": {"$date": "2021-01-01T00:59:00Z"}, "b": {"$date": "2021-01-01T01:00:00Z"}}`, `{"$numberLong": "1"}`, 0},
	{"dateDiff/day-in-zone", `{"$dateDiff": {"startDate": "$a", "endDate": "$b", "unit": "day", "timezone": "+05:00"}}`, `{"a": {"$date": "2021-01-01T18:00:00Z"}, "b": {"$date": "2021-01-01T20:00:00Z"}}`, `{"$numberLong": "1"}`, 0},
	{"dateDiff/bad-startOfWeek", `{"$dateDiff": {"startDate": "$a", "endDate": "$a", "unit": "week", "startOfWeek": "someday"}}`, `{"a": {"$date": "2021-01-01T00:00:00Z"}}`, ``, 5439015},
	{"dateTrunc/month", `{"$dateTrunc": {"date": "$d", "unit": "month"}}`, `{"d": {"$date": "2021-03-20T11:30:05Z"}}`, `{"$date": "2021-03-01T00:00:00Z"}`, 0},
	{"dateTrunc/quarter", `{"$dateTrunc": {"date": "$d", "unit": "quarter"}}`, `{"d": {"$date": "2021-05-20T11:30:05Z"}}`, `{"$date": "2021-04-01T00:00:00Z"}`, 0},
	{"dateTrunc/two-years", `{"$dateTrunc": {"date": "$d", "unit": "year", "binSize": 2}}`, `{"d": {"$date": "2021-05-20T11:30:05Z"}}`, `{"$date": "2020-01-01T00:00:00Z"}`, 0},
	{"dateTrunc/week-monday", `{"$dateTrunc": {"date": "$d", "unit": "week", "startOfWeek": "monday"}}`, `{"d": {"$date": "2021-03-20T11:30:05Z"}}`, `{"$date": "2021-03-15T00:00:00Z"}`, 0},
	{"dateTrunc/hours-bin", `{"$dateTrunc": {"date": "$d", "unit": "hour", "binSize": 6}}`, `{"d": {"$date": "2021-03-20T11:30:05Z"}}`, `{"$date": "2021-03-20T06:00:00Z"}`, 0},
	{"dateTrunc/day-in-zone", `{"$dateTrunc": {"date": "$d", "unit": "day", "timezone": "America/New_York"}}`, `{"d": {"$date": "2021-03-20T02:00:00Z"}}`, `{"$date": "2021-03-19T04:00:00Z"}`, 0},
	{"dateTrunc/bad-binSize", `{"$dateTrunc": {"date": "$d", "unit": "hour", "binSize": 0}}`, `{"d": {"$date": "2021-03-20T11:30:05Z"}}`, ``, 5439017},
	{"dateTrunc/missing-date", `{"$dateTrunc": {"date": "$x", "unit": "hour"}}`, `{}`, `null`, 0},
	{"dateFromParts/calendar", `{"$dateFromParts": {"year": 2017, "month": 2, "day": 8, "hour": 12}}`, `{}`, `{"$date": "2017-02-08T12:00:00Z"}`, 0},
	{"dateFromParts/iso", `{"$dateFromParts": {"isoWeekYear": 2017, "isoWeek": 6, "isoDayOfWeek": 3, "hour": 12}}`, `{}`, `{"$date": "2017-02-08T12:00:00Z"}`, 0},
	{"dateFromParts/zone", `{"$dateFromParts": {"year": 2016, "month": 12, "day": 31, "hour": 23, "minute": 46, "second": 12, "timezone": "America/New_York"}}`, `{}`, `{"$date": "2017-01-01T04:46:12Z"}`, 0},
	{"dateFromParts/carries", `{"$dateFromParts": {"year": 2017, "month": 14, "day": 1, "hour": 25, "millisecond": 1001}}`, `{}`, `{"$date": "2018-02-02T01:00:01.001Z"}`, 0},
	{"dateFromParts/defaults", `{"$dateFromParts": {"year": 2017}}`, `{}`, `{"$date": "2017-01-01T00:00:00Z"}`, 0},
	{"dateFromParts/null", `{"$dateFromParts": {"year": 2017, "month": null}}`, `{}`, `null`, 0},
	{"dateFromParts/year-range", `{"$dateFromParts": {"year": 0}}`, `{}`, ``, 40523},
	{"dateFromParts/part-range", `{"$dateFromParts": {"year": 2017, "month": 40000}}`, `{}`, ``, 31034},
	{"dateFromParts/not-integer", `{"$dateFromParts": {"year": 2017, "month": 1.5}}`, `{}`, ``, 40515},
	{"dateFromParts/mixed", `{"$dateFromParts": {"year": 2017, "isoWeek": 1}}`, `{}`, ``, 40489},
	{"dateFromParts/no-year", `{"$dateFromParts": {"month": 1}}`, `{}`, ``, 40516},
	{"dateFromParts/unknown", `{"$dateFromParts": {"year": 2017, "x": 1}}`, `{}`, ``, 40518},
	{"dateToParts/calendar", `{"$dateToParts": {"date": "$d"}}`, `{"d": {"$date": "2017-01-01T01:29:09.123Z"}}`, `{"year": 2017, "month": 1, "day": 1, "hour": 1, "minute": 29, "second": 9, "millisecond": 123}`, 0},
	{"dateToParts/zone", `{"$dateToParts": {"date": "$d", "timezone": "America/New_York"}}`, `{"d": {"$date": "2017-01-01T01:29:09.123Z"}}`, `{"year": 2016, "month": 12, "day": 31, "hour": 20, "minute": 29, "second": 9, "millisecond": 123}`, 0},
	{"dateToParts/iso", `{"$dateToParts": {"date": "$d", "iso8601": true}}`, `{"d": {"$date": "2017-01-01T01:29:09.123Z"}}`, `{"isoWeekYear": 2016, "isoWeek": 52, "isoDayOfWeek": 7, "hour": 1, "minute": 29, "second": 9, "millisecond": 123}`, 0},
	{"dateToParts/iso8601-not-bool", `{"$dateToParts": {"date": "$d", "iso8601": 1}}`, `{"d": {"$date": "2017-01-01T01:29:09.123Z"}}`, ``, 40521},
	{"dateToParts/null", `{"$dateToParts": {"date": null}}`, `{}`, `null`, 0},
	{"dateToParts/missing-date-arg", `{"$dateToParts": {}}`, `{}`, ``, 40522},
}

func init() { aggExprCases = append(aggExprCases, dateMathCases...) }
