package occ

import (
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestDiff: the update diff sends exactly the changed paths.
func TestDiff(t *testing.T) {
	skip := func(k string) bool { return k == "_id" || k == "version" }
	tests := []struct {
		name       string
		base, mine string
		want       string
	}{
		{"an unchanged document sends nothing", `{"a": 1}`, `{"a": 1}`, `[] [] []`},
		{"a changed value is set", `{"a": 1, "b": 2}`, `{"a": 1, "b": 3}`, `[{b 3}] [] [b]`},
		{"a new field is set", `{"a": 1}`, `{"a": 1, "c": "x"}`, `[{c x}] [] [c]`},
		{"a removed field is unset", `{"a": 1, "b": 2}`, `{"a": 1}`, `[] [{b }] [b]`},
		{"a change inside a sub-document sends its path only", `{"s": {"x": 1, "y": 1}}`, `{"s": {"x": 1, "y": 2}}`, `[{s.y 2}] [] [s.y]`},
		{"an array is sent whole", `{"t": [1, 2]}`, `{"t": [1, 3]}`, `[{t [1 3]}] [] [t]`},
		{"a type change is a change", `{"n": 1}`, `{"n": {"$numberLong": "1"}}`, `[{n 1}] [] [n]`},
		{"a document replacing a value is set whole", `{"s": 1}`, `{"s": {"x": 1}}`, `[{s {"x": {"$numberInt":"1"}}}] [] [s]`},
		{"_id and the version are left to the pipeline", `{"_id": 1, "version": 1}`, `{"_id": 2, "version": 5}`, `[] [] []`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base, mine bson.Raw
			if err := bson.UnmarshalExtJSON([]byte(tt.base), false, &base); err != nil {
				t.Fatal(err)
			}
			if err := bson.UnmarshalExtJSON([]byte(tt.mine), false, &mine); err != nil {
				t.Fatal(err)
			}
			c := diff(base, mine, skip)
			got := fmt.Sprintf("%v %v %v", values(c.set), values(c.unset), c.paths)
			if got != tt.want {
				t.Errorf("diff = %s, want %s", got, tt.want)
			}
		})
	}
}

// values prints a diff's elements with their raw values shown as Go values where that is unambiguous.
func values(d bson.D) string {
	out := "["
	for i, e := range d {
		if i > 0 {
			out += " "
		}
		v := e.Value
		if rv, ok := v.(bson.RawValue); ok {
			switch rv.Type {
			case bson.TypeInt32:
				v = rv.Int32()
			case bson.TypeInt64:
				v = rv.Int64()
			case bson.TypeString:
				v = rv.StringValue()
			case bson.TypeArray:
				vals, _ := rv.Array().Values()
				s := "["
				for j, x := range vals {
					if j > 0 {
						s += " "
					}
					s += fmt.Sprint(x.Int32())
				}
				v = s + "]"
			case bson.TypeEmbeddedDocument:
				v = rv.Document().String()
			}
		}
		out += fmt.Sprintf("{%s %v}", e.Key, v)
	}
	return out + "]"
}
