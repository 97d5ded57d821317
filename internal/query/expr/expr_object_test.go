package expr_test

// objectCases cover expr_object.go, from the manual's pages:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/getField/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/setField/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/unsetField/
var objectCases = []aggExprCase{
	{"getField/dotted-name", `{"$getField": "price.usd"}`, `{"price.usd": 45, "price": {"usd": 1}}`, `45`, 0},
	{"getField/literal-dollar-name", `{"$getField": {"$literal": "$price"}}`, `{"$price": 2}`, `2`, 0},
	{"getField/input", `{"$getField": {"field": "a", "input": {"$literal": {"a": 1}}}}`, `{}`, `1`, 0},
	{"getField/absent", `{"$getField": "b"}`, `{"a": 1}`, `MISSING`, 0},
	{"getField/null-input", `{"$getField": {"field": "a", "input": null}}`, `{}`, `null`, 0},
	{"getField/missing-input", `{"$getField": {"field": "a", "input": "$x"}}`, `{}`, `MISSING`, 0},
	{"getField/scalar-input", `{"$getField": {"field": "a", "input": 1}}`, `{}`, ``, 3041705},
	{"getField/field-path-not-constant", `{"$getField": "$a"}`, `{"a": "b"}`, ``, 5654602},
	{"getField/field-number", `{"$getField": {"field": 1}}`, `{}`, ``, 5654602},
	{"getField/unknown", `{"$getField": {"field": "a", "x": 1}}`, `{}`, ``, 4161101},
	{"setField/adds", `{"$setField": {"field": "price.usd", "input": "$$ROOT", "value": 5}}`, `{"a": 1}`, `{"a": 1, "price.usd": 5}`, 0},
	{"setField/replaces-in-place", `{"$setField": {"field": "a", "input": "$$ROOT", "value": 5}}`, `{"a": 1, "b": 2}`, `{"a": 5, "b": 2}`, 0},
	{"setField/remove", `{"$setField": {"field": "a", "input": "$$ROOT", "value": "$$REMOVE"}}`, `{"a": 1, "b": 2}`, `{"b": 2}`, 0},
	{"setField/null-input", `{"$setField": {"field": "a", "input": null, "value": 1}}`, `{}`, `null`, 0},
	{"setField/scalar-input", `{"$setField": {"field": "a", "input": 1, "value": 1}}`, `{}`, ``, 4161105},
	{"setField/no-value", `{"$setField": {"field": "a", "input": {}}}`, `{}`, ``, 4161104},
	{"setField/no-input", `{"$setField": {"field": "a", "value": 1}}`, `{}`, ``, 4161103},
	{"setField/no-field", `{"$setField": {"input": {}, "value": 1}}`, `{}`, ``, 4161102},
	{"unsetField/removes", `{"$unsetField": {"field": {"$literal": "$price"}, "input": "$$ROOT"}}`, `{"$price": 1, "b": 2}`, `{"b": 2}`, 0},
	{"unsetField/absent", `{"$unsetField": {"field": "z", "input": "$$ROOT"}}`, `{"b": 2}`, `{"b": 2}`, 0},
	{"unsetField/not-object", `{"$unsetField": "a"}`, `{}`, ``, 4161100},
}

func init() { aggExprCases = append(aggExprCases, objectCases...) }
