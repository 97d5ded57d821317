package filter_test

import (
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// studentsSchema is the validator of "Specify JSON Schema Validation"
// (https://www.mongodb.com/docs/manual/core/schema-validation/specify-json-schema/).
const studentsSchema = `{"$jsonSchema": {"bsonType": "object", "title": "Student Object Validation",
  "required": ["address", "major", "name", "year"],
  "properties": {
    "name": {"bsonType": "string", "description": "'name' must be a string and is required"},
    "year": {"bsonType": "int", "minimum": 2017, "maximum": 3017, "description": "'year' must be an integer in [ 2017, 3017 ] and is required"},
    "gpa": {"bsonType": ["double"], "description": "'gpa' must be a double if the field exists"}}}}`

// jsonSchemaCases are $jsonSchema filters on documents. The first ones are the examples of the $jsonSchema
// reference page (https://www.mongodb.com/docs/manual/reference/operator/query/jsonSchema/) and of the schema
// validation pages; the rest cover each keyword's rule as mongod's json_schema_parser.cpp states it.
var jsonSchemaCases = []filterMatchCase{
	{"the students example accepts a conforming document", studentsSchema,
		`{"name": "Alice", "year": {"$numberInt": "2019"}, "major": "History", "gpa": 3.0, "address": {"city": "NYC"}}`, true},
	{"the students example rejects a double gpa given as an int", studentsSchema,
		`{"name": "Alice", "year": {"$numberInt": "2019"}, "major": "History", "gpa": {"$numberInt": "3"}, "address": {}}`, false},
	{"the students example rejects a missing required field", studentsSchema,
		`{"name": "Alice", "year": {"$numberInt": "2019"}, "major": "History"}`, false},
	{"the students example rejects a year below minimum", studentsSchema,
		`{"name": "Alice", "year": {"$numberInt": "2016"}, "major": "History", "address": {}}`, false},
	{"the reference page's query finds items without a numeric price", `{"$nor": [{"$jsonSchema": {"required": ["price"], "properties": {"price": {"bsonType": "number"}}}}]}`,
		`{"item": "napkins", "price": "1.99"}`, true},
	{"bsonType number accepts a long", `{"$jsonSchema": {"properties": {"a": {"bsonType": "number"}}}}`, `{"a": {"$numberLong": "5"}}`, true},
	{"bsonType number accepts a decimal", `{"$jsonSchema": {"properties": {"a": {"bsonType": "number"}}}}`, `{"a": {"$numberDecimal": "5.5"}}`, true},
	{"bsonType array of names accepts either", `{"$jsonSchema": {"properties": {"a": {"bsonType": ["string", "null"]}}}}`, `{"a": null}`, true},
	{"type is JSON's: number", `{"$jsonSchema": {"properties": {"a": {"type": "number"}}}}`, `{"a": 1.5}`, true},
	{"type boolean rejects a string", `{"$jsonSchema": {"properties": {"a": {"type": "boolean"}}}}`, `{"a": "true"}`, false},
	{"a type is not traversed into arrays", `{"$jsonSchema": {"properties": {"a": {"bsonType": "int"}}}}`, `{"a": [1]}`, false},
	{"a missing property is not checked", `{"$jsonSchema": {"properties": {"a": {"bsonType": "int"}}}}`, `{"b": 1}`, true},
	{"a top-level type other than object matches nothing", `{"$jsonSchema": {"bsonType": "string"}}`, `{"a": 1}`, false},
	{"a top-level minimum has no effect", `{"$jsonSchema": {"minimum": 5}}`, `{"a": 1}`, true},
	{"minimum applies only to numbers", `{"$jsonSchema": {"properties": {"a": {"minimum": 5}}}}`, `{"a": "x"}`, true},
	{"minimum holds at the bound", `{"$jsonSchema": {"properties": {"a": {"minimum": 5}}}}`, `{"a": 5}`, true},
	{"exclusiveMinimum excludes the bound", `{"$jsonSchema": {"properties": {"a": {"minimum": 5, "exclusiveMinimum": true}}}}`, `{"a": 5}`, false},
	{"exclusiveMaximum excludes the bound", `{"$jsonSchema": {"properties": {"a": {"maximum": 5, "exclusiveMaximum": true}}}}`, `{"a": 4.9}`, true},
	{"maximum compares across number types", `{"$jsonSchema": {"properties": {"a": {"maximum": {"$numberDecimal": "2.5"}}}}}`, `{"a": {"$numberLong": "3"}}`, false},
	{"multipleOf works in decimal", `{"$jsonSchema": {"properties": {"a": {"multipleOf": 0.1}}}}`, `{"a": 0.3}`, true},
	{"multipleOf rejects a non-multiple", `{"$jsonSchema": {"properties": {"a": {"multipleOf": 3}}}}`, `{"a": 10}`, false},
	{"minLength counts code points", `{"$jsonSchema": {"properties": {"a": {"minLength": 3}}}}`, `{"a": "日本語"}`, true},
	{"maxLength counts code points", `{"$jsonSchema": {"properties": {"a": {"maxLength": 2}}}}`, `{"a": "日本語"}`, false},
	{"pattern is a search, not anchored", `{"$jsonSchema": {"properties": {"a": {"pattern": "b+"}}}}`, `{"a": "abbc"}`, true},
	{"pattern rejects a non-matching string", `{"$jsonSchema": {"properties": {"a": {"pattern": "^x"}}}}`, `{"a": "abc"}`, false},
	{"required sees a null as present", `{"$jsonSchema": {"required": ["a"]}}`, `{"a": null}`, true},
	{"nested required applies to objects only", `{"$jsonSchema": {"properties": {"a": {"required": ["b"]}}}}`, `{"a": 1}`, true},
	{"nested required rejects an object missing it", `{"$jsonSchema": {"properties": {"a": {"required": ["b"]}}}}`, `{"a": {"c": 1}}`, false},
	{"additionalProperties false counts _id", `{"$jsonSchema": {"properties": {"a": {}}, "additionalProperties": false}}`, `{"_id": 1, "a": 1}`, false},
	{"additionalProperties false with _id listed", `{"$jsonSchema": {"properties": {"_id": {}, "a": {}}, "additionalProperties": false}}`, `{"_id": 1, "a": 1}`, true},
	{"additionalProperties schema checks the others", `{"$jsonSchema": {"properties": {"a": {}}, "additionalProperties": {"bsonType": "string"}}}`, `{"a": 1, "b": "x", "c": 2}`, false},
	{"patternProperties checks matching names", `{"$jsonSchema": {"patternProperties": {"^s_": {"bsonType": "string"}}}}`, `{"s_a": 1}`, false},
	{"patternProperties exempts from additionalProperties", `{"$jsonSchema": {"patternProperties": {"^s_": {"bsonType": "string"}, "^_id$": {}}, "additionalProperties": false}}`, `{"_id": 1, "s_a": "x"}`, true},
	{"minProperties counts _id", `{"$jsonSchema": {"minProperties": 2}}`, `{"_id": 1, "a": 1}`, true},
	{"maxProperties rejects too many", `{"$jsonSchema": {"properties": {"a": {"maxProperties": 1}}}}`, `{"a": {"x": 1, "y": 2}}`, false},
	{"items schema applies to every element", `{"$jsonSchema": {"properties": {"a": {"items": {"bsonType": "int"}}}}}`, `{"a": [1, 2, "x"]}`, false},
	{"items array applies by position", `{"$jsonSchema": {"properties": {"a": {"items": [{"bsonType": "int"}, {"bsonType": "string"}]}}}}`, `{"a": [1, "x", 3.5]}`, true},
	{"additionalItems false limits the length", `{"$jsonSchema": {"properties": {"a": {"items": [{}], "additionalItems": false}}}}`, `{"a": [1, 2]}`, false},
	{"additionalItems is ignored without an items array", `{"$jsonSchema": {"properties": {"a": {"additionalItems": false}}}}`, `{"a": [1, 2]}`, true},
	{"additionalItems schema checks the rest", `{"$jsonSchema": {"properties": {"a": {"items": [{}], "additionalItems": {"bsonType": "string"}}}}}`, `{"a": [1, "x", "y"]}`, true},
	{"minItems rejects a short array", `{"$jsonSchema": {"properties": {"a": {"minItems": 2}}}}`, `{"a": [1]}`, false},
	{"maxItems accepts a non-array", `{"$jsonSchema": {"properties": {"a": {"maxItems": 0}}}}`, `{"a": 1}`, true},
	{"uniqueItems compares numbers by value", `{"$jsonSchema": {"properties": {"a": {"uniqueItems": true}}}}`, `{"a": [1, 1.0]}`, false},
	{"uniqueItems compares documents regardless of field order", `{"$jsonSchema": {"properties": {"a": {"uniqueItems": true}}}}`, `{"a": [{"x": 1, "y": 2}, {"y": 2, "x": 1}]}`, false},
	{"uniqueItems accepts distinct items", `{"$jsonSchema": {"properties": {"a": {"uniqueItems": true}}}}`, `{"a": [1, 2, [1]]}`, true},
	{"enum matches by value", `{"$jsonSchema": {"properties": {"a": {"enum": [1, "x"]}}}}`, `{"a": 1.0}`, true},
	{"enum rejects another value", `{"$jsonSchema": {"properties": {"a": {"enum": [1, "x"]}}}}`, `{"a": 2}`, false},
	{"a top-level enum compares the whole document", `{"$jsonSchema": {"enum": [{"_id": 1, "a": 1}, 5]}}`, `{"a": 1, "_id": 1}`, true},
	{"allOf needs every schema", `{"$jsonSchema": {"properties": {"a": {"allOf": [{"minimum": 1}, {"maximum": 3}]}}}}`, `{"a": 4}`, false},
	{"anyOf needs one schema", `{"$jsonSchema": {"properties": {"a": {"anyOf": [{"bsonType": "string"}, {"minimum": 3}]}}}}`, `{"a": 4}`, true},
	{"oneOf rejects two matches", `{"$jsonSchema": {"properties": {"a": {"oneOf": [{"minimum": 1}, {"maximum": 10}]}}}}`, `{"a": 4}`, false},
	{"oneOf accepts exactly one match", `{"$jsonSchema": {"properties": {"a": {"oneOf": [{"minimum": 5}, {"maximum": 3}]}}}}`, `{"a": 4.5}`, false},
	{"not inverts", `{"$jsonSchema": {"properties": {"a": {"not": {"bsonType": "string"}}}}}`, `{"a": 1}`, true},
	{"a property dependency requires the others", `{"$jsonSchema": {"dependencies": {"card": ["billing"]}}}`, `{"card": 1}`, false},
	{"a property dependency is idle without its property", `{"$jsonSchema": {"dependencies": {"card": ["billing"]}}}`, `{"x": 1}`, true},
	{"a schema dependency applies to the object", `{"$jsonSchema": {"dependencies": {"card": {"required": ["billing"]}}}}`, `{"card": 1, "billing": 2}`, true},
	{"title and description are ignored", `{"$jsonSchema": {"title": "t", "description": "d", "properties": {"a": {"description": "x"}}}}`, `{"a": 1}`, true},
	{"$jsonSchema combines with other predicates", `{"$jsonSchema": {"required": ["a"]}, "a": {"$gt": 5}}`, `{"a": 3}`, false},
}

// TestJSONSchema_Match runs the $jsonSchema table.
func TestJSONSchema_Match(t *testing.T) {
	for _, c := range jsonSchemaCases {
		t.Run(c.name, func(t *testing.T) {
			f, err := filter.Compile(filterDoc(t, c.filter))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if got := f.Match(filterDoc(t, c.doc)); got != c.want {
				t.Fatalf("Match(%s) = %v, want %v", c.doc, got, c.want)
			}
		})
	}
}

// jsonSchemaErrorCases are malformed schemas with mongod's code and message.
var jsonSchemaErrorCases = []struct {
	name, filter string
	code         codes.Code
	msg          string
}{
	{"$jsonSchema must be a document", `{"$jsonSchema": 1}`, codes.TypeMismatch, "$jsonSchema must be an object"},
	{"an unknown keyword", `{"$jsonSchema": {"foo": 1}}`, codes.FailedToParse, "Unknown $jsonSchema keyword: foo"},
	{"$ref is not supported", `{"$jsonSchema": {"$ref": "#/a"}}`, codes.FailedToParse, "$jsonSchema keyword '$ref' is not currently supported"},
	{"format is not supported", `{"$jsonSchema": {"properties": {"a": {"format": "email"}}}}`, codes.FailedToParse, "$jsonSchema keyword 'format' is not currently supported"},
	{"type integer is not supported", `{"$jsonSchema": {"type": "integer"}}`, codes.FailedToParse, "$jsonSchema type 'integer' is not currently supported."},
	{"type and bsonType together", `{"$jsonSchema": {"type": "object", "bsonType": "object"}}`, codes.FailedToParse, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'"},
	{"an unknown bsonType", `{"$jsonSchema": {"bsonType": "strung"}}`, codes.BadValue, "Unknown type name alias: strung"},
	{"bsonType of a number", `{"$jsonSchema": {"bsonType": 2}}`, codes.TypeMismatch, "$jsonSchema keyword 'bsonType' must be either a string or an array of strings"},
	{"a duplicated type", `{"$jsonSchema": {"bsonType": ["int", "int"]}}`, codes.FailedToParse, "$jsonSchema keyword 'bsonType' has duplicate value: int"},
	{"an empty required", `{"$jsonSchema": {"required": []}}`, codes.FailedToParse, "$jsonSchema keyword 'required' cannot be an empty array"},
	{"a duplicated required", `{"$jsonSchema": {"required": ["a", "a"]}}`, codes.FailedToParse, "$jsonSchema keyword 'required' array cannot contain duplicate values"},
	{"a non-string required", `{"$jsonSchema": {"required": [1]}}`, codes.TypeMismatch, "$jsonSchema keyword 'required' must be an array of strings, but found an element of type: int"},
	{"a property that is not a schema", `{"$jsonSchema": {"properties": {"a": 1}}}`, codes.TypeMismatch, "Nested schema for $jsonSchema property 'a' must be an object"},
	{"a negative minLength", `{"$jsonSchema": {"properties": {"a": {"minLength": -1}}}}`, codes.FailedToParse, "Expected a non-negative number in: minLength: -1"},
	{"a fractional maxItems", `{"$jsonSchema": {"properties": {"a": {"maxItems": 1.5}}}}`, codes.FailedToParse, "Expected an integer: maxItems: 1.5"},
	{"a string minimum", `{"$jsonSchema": {"properties": {"a": {"minimum": "1"}}}}`, codes.TypeMismatch, "$jsonSchema keyword 'minimum' must be a number"},
	{"exclusiveMaximum without maximum", `{"$jsonSchema": {"exclusiveMaximum": true}}`, codes.FailedToParse, "$jsonSchema keyword 'maximum' must be a present if exclusiveMaximum is present"},
	{"a zero multipleOf", `{"$jsonSchema": {"multipleOf": 0}}`, codes.FailedToParse, "$jsonSchema keyword 'multipleOf' must have a positive value"},
	{"an empty anyOf", `{"$jsonSchema": {"anyOf": []}}`, codes.BadValue, "$jsonSchema keyword 'anyOf' must be a non-empty array"},
	{"an empty enum", `{"$jsonSchema": {"enum": []}}`, codes.FailedToParse, "$jsonSchema keyword 'enum' cannot be an empty array"},
	{"a duplicated enum value", `{"$jsonSchema": {"enum": [1, 1.0]}}`, codes.FailedToParse, "$jsonSchema keyword 'enum' array cannot contain duplicate values."},
	{"a duplicate keyword", `{"$jsonSchema": {"minimum": 1, "minimum": 2}}`, codes.FailedToParse, "Duplicate $jsonSchema keyword: minimum"},
	{"a title that is not a string", `{"$jsonSchema": {"title": 1}}`, codes.TypeMismatch, "$jsonSchema keyword 'title' must be of type string"},
	{"an empty dependency", `{"$jsonSchema": {"dependencies": {"a": []}}}`, codes.FailedToParse, "property 'a' in $jsonSchema keyword 'dependencies' cannot be an empty array"},
	{"additionalProperties of a number", `{"$jsonSchema": {"additionalProperties": 1}}`, codes.TypeMismatch, "$jsonSchema keyword 'additionalProperties' must be an object or a boolean"},
	{"a bad pattern", `{"$jsonSchema": {"properties": {"a": {"pattern": "("}}}}`, 51091, ""},
}

// TestJSONSchema_BadInput checks that malformed schemas fail with mongod's codes and messages.
func TestJSONSchema_BadInput(t *testing.T) {
	for _, c := range jsonSchemaErrorCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := filter.Compile(filterDoc(t, c.filter))
			if codes.CodeOf(err) != c.code {
				t.Fatalf("Compile error %v, want code %d", err, c.code)
			}
			if ce, _ := codes.As(err); c.msg != "" && ce.Message != c.msg {
				t.Fatalf("message %q, want %q", ce.Message, c.msg)
			}
		})
	}
}

// TestValidator_Details checks the errInfo details of failing documents against mongod's shape.
func TestValidator_Details(t *testing.T) {
	cases := []struct {
		name, validator, doc, want string
	}{
		{"a $type validator", `{"x": {"$type": "string"}}`, `{"_id": 1, "x": 1}`,
			`{"operatorName": "$type", "specifiedAs": {"x": {"$type": "string"}}, "reason": "type did not match", "consideredValue": 1, "consideredType": "int"}`},
		{"a missing field", `{"x": {"$gt": 1}}`, `{"_id": 1}`,
			`{"operatorName": "$gt", "specifiedAs": {"x": {"$gt": 1}}, "reason": "field was missing"}`},
		{"two clauses", `{"a": {"$exists": true}, "b": 1}`, `{"a": 1, "b": 2}`,
			`{"operatorName": "$and", "clausesNotSatisfied": [{"index": 1, "details": {"operatorName": "$eq", "specifiedAs": {"b": 1}, "reason": "comparison failed", "consideredValue": 2}}]}`},
		{"an $expr", `{"$expr": {"$gt": ["$a", 5]}}`, `{"a": 1}`,
			`{"operatorName": "$expr", "specifiedAs": {"$expr": {"$gt": ["$a", 5]}}, "reason": "expression did not match", "expressionResult": false}`},
		{"the students schema", studentsSchema, `{"name": 5, "year": {"$numberInt": "2019"}, "major": "History"}`,
			`{"operatorName": "$jsonSchema", "title": "Student Object Validation", "schemaRulesNotSatisfied": [
			  {"operatorName": "properties", "propertiesNotSatisfied": [{"propertyName": "name", "description": "'name' must be a string and is required",
			    "details": [{"operatorName": "bsonType", "specifiedAs": {"bsonType": "string"}, "reason": "type did not match", "consideredValue": 5, "consideredType": "int"}]}]},
			  {"operatorName": "required", "specifiedAs": {"required": ["address", "major", "name", "year"]}, "missingProperties": ["address"]}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := filter.CompileValidator(filterDoc(t, c.validator))
			if err != nil {
				t.Fatal(err)
			}
			ok, details, err := v.Validate(filterDoc(t, c.doc))
			if ok || err != nil {
				t.Fatalf("Validate = %v, %v; want a failure", ok, err)
			}
			got, err := bson.Marshal(details)
			if err != nil {
				t.Fatal(err)
			}
			want := filterDoc(t, c.want)
			if bson.Raw(got).String() != want.String() {
				t.Fatalf("details\n got %s\nwant %s", bson.Raw(got), want)
			}
		})
	}
}

// FuzzCompileJSONSchema feeds arbitrary bytes to the $jsonSchema parser: it returns a schema or a coded error,
// never panics, and a compiled schema can match and explain the table documents.
func FuzzCompileJSONSchema(f *testing.F) {
	for _, c := range jsonSchemaCases {
		f.Add([]byte(filterDoc(f, c.filter).Lookup("$jsonSchema").Value))
	}
	for _, c := range jsonSchemaErrorCases {
		if v, err := filterDoc(f, c.filter).LookupErr("$jsonSchema"); err == nil && v.Type == bson.TypeEmbeddedDocument {
			f.Add([]byte(v.Value))
		}
	}
	var docs []bson.Raw
	for _, c := range jsonSchemaCases[:12] {
		docs = append(docs, filterDoc(f, c.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := filter.CompileJSONSchema(bson.Raw(data))
		filterCheckErr(t, "CompileJSONSchema", data, err)
		if err != nil {
			return
		}
		q, merr := bson.Marshal(bson.D{{Key: "$jsonSchema", Value: bson.Raw(data)}})
		if merr != nil {
			return
		}
		v, err := filter.CompileValidator(q)
		if err != nil {
			t.Fatalf("CompileJSONSchema accepted %x but CompileValidator refused it: %v", data, err)
		}
		for _, d := range docs {
			ok, details, _ := v.Validate(d)
			if !ok && details == nil {
				t.Fatalf("no details for a failing document")
			}
		}
	})
}
