package order_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/order"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// sortCases sort documents (identified by _id) and list the expected _id
// order. Stable sorting keeps ties in input order.
var sortCases = []struct {
	name, sort string
	docs       []string
	want       string
}{
	{"asc", `{"a": 1}`, []string{`{"_id": 1, "a": 3}`, `{"_id": 2, "a": 1}`, `{"_id": 3, "a": 2}`}, "2,3,1"},
	{"desc", `{"a": -1}`, []string{`{"_id": 1, "a": 3}`, `{"_id": 2, "a": 1}`, `{"_id": 3, "a": 2}`}, "1,3,2"},
	{"mixed-numbers", `{"a": 1}`, []string{`{"_id": 1, "a": 2.5}`, `{"_id": 2, "a": {"$numberLong": "2"}}`, `{"_id": 3, "a": {"$numberDecimal": "2.4"}}`}, "2,3,1"},
	{"types", `{"a": 1}`, []string{`{"_id": 1, "a": "s"}`, `{"_id": 2, "a": 5}`, `{"_id": 3, "a": null}`, `{"_id": 4, "a": {"x": 1}}`, `{"_id": 5, "a": true}`}, "3,2,1,4,5"},
	{"missing-equals-null", `{"a": 1}`, []string{`{"_id": 1, "a": null}`, `{"_id": 2}`, `{"_id": 3, "a": null}`}, "1,2,3"},
	{"missing-first-asc", `{"a": 1}`, []string{`{"_id": 1, "a": 1}`, `{"_id": 2}`}, "2,1"},
	{"missing-last-desc", `{"a": -1}`, []string{`{"_id": 1}`, `{"_id": 2, "a": 1}`}, "2,1"},
	{"array-min-asc", `{"a": 1}`, []string{`{"_id": 1, "a": [5, 1]}`, `{"_id": 2, "a": 2}`, `{"_id": 3, "a": [3, 4]}`}, "1,2,3"},
	{"array-max-desc", `{"a": -1}`, []string{`{"_id": 1, "a": [5, 1]}`, `{"_id": 2, "a": 6}`, `{"_id": 3, "a": [3, 4]}`}, "2,1,3"},
	{"empty-array-before-null", `{"a": 1}`, []string{`{"_id": 1, "a": null}`, `{"_id": 2, "a": []}`, `{"_id": 3, "a": 1}`}, "2,1,3"},
	{"array-of-docs", `{"a.b": 1}`, []string{`{"_id": 1, "a": [{"b": 5}, {"b": 3}]}`, `{"_id": 2, "a": [{"b": 4}]}`}, "1,2"},
	{"array-of-docs-missing-is-null", `{"a.b": 1}`, []string{`{"_id": 1, "a": [{"b": 5}, {"c": 3}]}`, `{"_id": 2, "a": [{"b": 4}]}`}, "1,2"},
	{"dotted", `{"a.b": -1}`, []string{`{"_id": 1, "a": {"b": 1}}`, `{"_id": 2, "a": {"b": 2}}`}, "2,1"},
	{"array-index", `{"a.1": 1}`, []string{`{"_id": 1, "a": [0, 9]}`, `{"_id": 2, "a": [9, 0]}`}, "2,1"},
	{"two-keys", `{"a": 1, "b": -1}`, []string{`{"_id": 1, "a": 1, "b": 1}`, `{"_id": 2, "a": 1, "b": 2}`, `{"_id": 3, "a": 0, "b": 0}`}, "3,2,1"},
	{"strings-bytewise", `{"s": 1}`, []string{`{"_id": 1, "s": "b"}`, `{"_id": 2, "s": "B"}`, `{"_id": 3, "s": "a"}`}, "2,3,1"},
	{"empty-spec", `{}`, []string{`{"_id": 2}`, `{"_id": 1}`}, "2,1"},
}

func TestSort_Compare(t *testing.T) {
	for _, c := range sortCases {
		t.Run(c.name, func(t *testing.T) {
			s, err := order.Compile(jsonDoc(t, c.sort))
			if err != nil {
				t.Fatal(err)
			}
			docs := make([]bson.Raw, len(c.docs))
			for i, d := range c.docs {
				docs[i] = jsonDoc(t, d)
			}
			slices.SortStableFunc(docs, s.Compare)
			ids := make([]string, len(docs))
			for i, d := range docs {
				ids[i] = d.Lookup("_id").String()
			}
			ids2 := strings.ReplaceAll(strings.Join(ids, ","), `{"$numberInt":"`, "")
			ids2 = strings.ReplaceAll(ids2, `"}`, "")
			if ids2 != c.want {
				t.Fatalf("sort %s: got %s, want %s", c.sort, ids2, c.want)
			}
		})
	}
}

func TestSort_Keys(t *testing.T) {
	s, err := order.Compile(jsonDoc(t, `{"a": 1, "b.c": -1, "d": {"$numberLong": "-1"}, "e": 1.0}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []order.Key{{Path: "a"}, {Path: "b.c", Desc: true}, {Path: "d", Desc: true}, {Path: "e"}}
	if !slices.Equal(s.Keys(), want) {
		t.Fatalf("Keys() = %v, want %v", s.Keys(), want)
	}
}

func TestSort_Errors(t *testing.T) {
	cases := []struct {
		name, sort string
		code       codes.Code
	}{
		{"string", `{"a": "asc"}`, 15974},
		{"zero", `{"a": 0}`, 15975},
		{"two", `{"a": 2}`, 15975},
		{"fraction", `{"a": 1.5}`, 15975},
		{"empty-path", `{"": 1}`, codes.Location40352},
		{"empty-component", `{"a..b": 1}`, codes.Location15998},
		{"dollar", `{"$a": 1}`, 16410},
		{"meta", `{"s": {"$meta": "textScore"}}`, codes.BadValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := order.Compile(jsonDoc(t, c.sort))
			if got := codes.CodeOf(err); got != c.code {
				t.Fatalf("Compile(%s) = %v, want code %d", c.sort, err, c.code)
			}
		})
	}
	_, err := order.Compile(jsonDoc(t, `{"a": 2}`))
	if ce, _ := codes.As(err); ce == nil || ce.Message != "$sort key ordering must be 1 (for ascending) or -1 (for descending)" {
		t.Fatalf("message: %v", err)
	}
}
