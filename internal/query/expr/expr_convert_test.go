package expr_test

// convertCases cover expr_convert.go, from the manual's pages:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/convert/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/toDecimal/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/toObjectId/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/toDate/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/binarySize/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/bsonSize/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/tsSecond/ (and tsIncrement)
var convertCases = []aggExprCase{
	{"convert/to-int", `{"$convert": {"input": "5", "to": "int"}}`, `{}`, `5`, 0},
	{"convert/to-numeric-code", `{"$convert": {"input": 5, "to": 18}}`, `{}`, `{"$numberLong": "5"}`, 0},
	{"convert/to-decimal", `{"$convert": {"input": 2.5, "to": "decimal"}}`, `{}`, `{"$numberDecimal": "2.50000000000000"}`, 0},
	{"convert/on-error", `{"$convert": {"input": "abc", "to": "int", "onError": "bad"}}`, `{}`, `"bad"`, 0},
	{"convert/error-without-on-error", `{"$convert": {"input": "abc", "to": "int"}}`, `{}`, ``, 241},
	{"convert/on-null", `{"$convert": {"input": null, "to": "int", "onNull": 0}}`, `{}`, `0`, 0},
	{"convert/missing-on-null", `{"$convert": {"input": "$x", "to": "int", "onNull": "none"}}`, `{}`, `"none"`, 0},
	{"convert/null-without-on-null", `{"$convert": {"input": null, "to": "int"}}`, `{}`, `null`, 0},
	{"convert/null-to", `{"$convert": {"input": 1, "to": null}}`, `{}`, `null`, 0},
	{"convert/unknown-type-name", `{"$convert": {"input": 1, "to": "nope"}}`, `{}`, ``, 2},
	{"convert/unsupported-target", `{"$convert": {"input": 1, "to": "regex", "onError": 0}}`, `{}`, `0`, 0},
	{"convert/no-input", `{"$convert": {"to": "int"}}`, `{}`, ``, 9},
	{"convert/no-to", `{"$convert": {"input": 1}}`, `{}`, ``, 9},
	{"convert/unknown-arg", `{"$convert": {"input": 1, "to": "int", "x": 1}}`, `{}`, ``, 9},
	{"convert/not-object", `{"$convert": 1}`, `{}`, ``, 9},
	{"convert/bad-type-code", `{"$convert": {"input": 1, "to": 100}}`, `{}`, ``, 9},
	{"toDecimal/int", `{"$toDecimal": 5}`, `{}`, `{"$numberDecimal": "5"}`, 0},
	{"toDecimal/bool", `{"$toDecimal": true}`, `{}`, `{"$numberDecimal": "1"}`, 0},
	{"toDecimal/string", `{"$toDecimal": "5.5000"}`, `{}`, `{"$numberDecimal": "5.5000"}`, 0},
	{"toDecimal/date", `{"$toDecimal": {"$date": {"$numberLong": "1000"}}}`, `{}`, `{"$numberDecimal": "1000"}`, 0},
	{"toDecimal/bad-string", `{"$toDecimal": "x"}`, `{}`, ``, 241},
	{"toDecimal/null", `{"$toDecimal": null}`, `{}`, `null`, 0},
	{"toObjectId/string", `{"$toObjectId": "5ab9cbfa31c2ab715d42129e"}`, `{}`, `{"$oid": "5ab9cbfa31c2ab715d42129e"}`, 0},
	{"toObjectId/bad-string", `{"$toObjectId": "5ab9"}`, `{}`, ``, 241},
	{"toObjectId/number", `{"$toObjectId": 1}`, `{}`, ``, 241},
	{"toUUID/string", `{"$toUUID": "0e3b9063-8abd-4eb3-9f9f-f4c59fd30a60"}`, `{}`, `{"$binary": {"base64": "DjuQY4q9TrOfn/TFn9MKYA==", "subType": "04"}}`, 0},
	{"toUUID/null", `{"$toUUID": null}`, `{}`, `null`, 0},
	{"toUUID/bad-string", `{"$toUUID": "0e3b9063-8abd-4eb3-9f9f"}`, `{}`, ``, 241},
	{"toUUID/no-dashes", `{"$toUUID": "0e3b90638abd4eb39f9ff4c59fd30a60"}`, `{}`, ``, 241},
	{"toUUID/number", `{"$toUUID": 1}`, `{}`, ``, 241},
	{"toDate/long", `{"$toDate": {"$numberLong": "1000"}}`, `{}`, `{"$date": {"$numberLong": "1000"}}`, 0},
	{"toDate/double-truncates", `{"$toDate": 1000.9}`, `{}`, `{"$date": {"$numberLong": "1000"}}`, 0},
	{"toDate/int-refused", `{"$toDate": 1000}`, `{}`, ``, 241},
	{"toDate/string", `{"$toDate": "2018-03-03T04:00:00Z"}`, `{}`, `{"$date": "2018-03-03T04:00:00Z"}`, 0},
	{"toDate/string-offset", `{"$toDate": "2018-03-03T04:00:00+01:00"}`, `{}`, `{"$date": "2018-03-03T03:00:00Z"}`, 0},
	{"toDate/date-only", `{"$toDate": "2018-03-03"}`, `{}`, `{"$date": "2018-03-03T00:00:00Z"}`, 0},
	{"toDate/objectId", `{"$toDate": {"$oid": "5ab9cbfa31c2ab715d42129e"}}`, `{}`, `{"$date": "2018-03-27T04:43:38Z"}`, 0},
	{"toDate/bad-string", `{"$toDate": "yesterday"}`, `{}`, ``, 241},
	{"toDate/nan", `{"$toDate": {"$numberDouble": "NaN"}}`, `{}`, ``, 241},
	{"binarySize/string-bytes", `{"$binarySize": "café"}`, `{}`, `5`, 0},
	{"binarySize/bindata", `{"$binarySize": {"$binary": {"base64": "AQID", "subType": "00"}}}`, `{}`, `3`, 0},
	{"binarySize/null", `{"$binarySize": null}`, `{}`, `null`, 0},
	{"binarySize/number", `{"$binarySize": 1}`, `{}`, ``, 51276},
	{"bsonSize/doc", `{"$bsonSize": "$$ROOT"}`, `{"a": 1}`, `12`, 0},
	{"bsonSize/null", `{"$bsonSize": "$x"}`, `{}`, `null`, 0},
	{"bsonSize/not-doc", `{"$bsonSize": [[1]]}`, `{}`, ``, 31393},
	{"rand/empty-object", `{"$lt": [{"$rand": {}}, 1]}`, `{}`, `true`, 0},
	{"rand/arguments", `{"$rand": {"a": 1}}`, `{}`, ``, 3040500},
	{"tsSecond/timestamp", `{"$tsSecond": {"$timestamp": {"t": 1622731060, "i": 10}}}`, `{}`, `{"$numberLong": "1622731060"}`, 0},
	{"tsIncrement/timestamp", `{"$tsIncrement": {"$timestamp": {"t": 1622731060, "i": 10}}}`, `{}`, `{"$numberLong": "10"}`, 0},
	{"tsSecond/not-timestamp", `{"$tsSecond": 1}`, `{}`, ``, 5687301},
}

func init() { aggExprCases = append(aggExprCases, convertCases...) }
