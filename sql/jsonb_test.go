package sql

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestJSONBCanon(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"b": 1, "a": 2}`, `{"a": 2, "b": 1}`},
		{`{"a": 1, "a": 2}`, `{"a": 2}`},
		{`{"aa": 1, "b": {"zz": 1, "y": [{"d": 1, "c": 2}]}}`, `{"b": {"y": [{"c": 2, "d": 1}], "zz": 1}, "aa": 1}`},
		{`[3, {"b": 1, "a": 1}]`, `[3, {"a": 1, "b": 1}]`},
		{`"x"`, `"x"`},
	} {
		v, err := coerce(c.in, OIDJSONB)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		rv := v.(bson.RawValue)
		if got := formatJSON(rv); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
		if !jsonbCanonical(rv) {
			t.Errorf("%s: result not canonical", c.in)
		}
		if again := jsonbCanon(rv); string(again.Value) != string(rv.Value) {
			t.Errorf("%s: canonical form changed again", c.in)
		}
	}
	// json (not jsonb) keeps its text as written, and read as a value the order and the repeated keys it was given.
	v, err := coerce(`{"b":1,  "a": 2, "a": 3}`, OIDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if got := formatText(v); got != `{"b":1,  "a": 2, "a": 3}` {
		t.Errorf("json: got %s", got)
	}
	rv, ok := jsonValue(v)
	if !ok {
		t.Fatalf("json: %#v is no json value", v)
	}
	if got := formatJSON(rv); got != `{"b": 1, "a": 2, "a": 3}` {
		t.Errorf("json as a value: got %s", got)
	}
}
