package update_test

import (
	"bytes"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/update"
)

// upsertCase is one table test of UpsertSeed.
type upsertCase struct {
	name   string
	filter string
	want   string
	code   codes.Code
	msg    string
}

func upsertCases() []upsertCase {
	return []upsertCase{
		{name: "empty filter", filter: `{}`, want: `{}`},
		{name: "equality", filter: `{"a": 1, "b": "x"}`, want: `{"a": 1, "b": "x"}`},
		{name: "fields in path order with _id first", filter: `{"b": 1, "a": 2, "_id": 3}`, want: `{"_id": 3, "a": 2, "b": 1}`},
		{name: "eq operator", filter: `{"a": {"$eq": 1}}`, want: `{"a": 1}`},
		{name: "eq with other operators", filter: `{"a": {"$gt": 0, "$eq": 1}}`, want: `{"a": 1}`},
		{name: "single element in", filter: `{"a": {"$in": [5]}}`, want: `{"a": 5}`},
		{name: "multi element in is ignored", filter: `{"a": {"$in": [5, 6]}}`, want: `{}`},
		{name: "dotted path", filter: `{"a.b": 1, "a.c": 2}`, want: `{"a": {"b": 1, "c": 2}}`},
		{name: "dotted _id", filter: `{"x": 1, "_id.k": 2}`, want: `{"_id": {"k": 2}, "x": 1}`},
		{name: "and", filter: `{"$and": [{"a": 1}, {"b.c": {"$eq": 2}}, {"d": {"$gt": 1}}]}`, want: `{"a": 1, "b": {"c": 2}}`},
		{name: "single clause or", filter: `{"$or": [{"a": 1}]}`, want: `{"a": 1}`},
		{name: "multi clause or is ignored", filter: `{"$or": [{"a": 1}, {"b": 1}]}`, want: `{}`},
		{name: "non-equality operators ignored", filter: `{"a": {"$gt": 1}, "b": {"$exists": true}, "c": {"$ne": 1}}`, want: `{}`},
		{name: "regex is not an equality", filter: `{"a": {"$regularExpression": {"pattern": "x", "options": ""}}}`, want: `{}`},
		{name: "document value", filter: `{"a": {"x": 1, "y": 2}}`, want: `{"a": {"x": 1, "y": 2}}`},
		{name: "null", filter: `{"a": null}`, want: `{"a": null}`},
		{name: "array value", filter: `{"a": [1, 2]}`, want: `{"a": [1, 2]}`},
		{name: "expr and where ignored", filter: `{"$expr": {"$eq": ["$a", 1]}, "b": 2}`, want: `{"b": 2}`},
		{name: "same path twice", filter: `{"$and": [{"a": 1}, {"a": 2}]}`,
			code: codes.NotSingleValueField, msg: "cannot infer query fields to set, path 'a' is matched twice"},
		{name: "path and prefix", filter: `{"a": 1, "a.b": 2}`,
			code: codes.NotSingleValueField, msg: "cannot infer query fields to set, both paths 'a' and 'a.b' are matched"},
		{name: "prefix after path", filter: `{"a.b.c": 1, "a.b": {"$eq": 2}}`,
			code: codes.NotSingleValueField, msg: "cannot infer query fields to set, both paths 'a.b' and 'a.b.c' are matched"},
	}
}

func TestUpsertSeed(t *testing.T) {
	for _, c := range upsertCases() {
		t.Run(c.name, func(t *testing.T) {
			got, err := update.UpsertSeed(updateDoc(t, c.filter))
			if c.code != 0 {
				e, ok := codes.As(err)
				if !ok || e.Code != c.code || (c.msg != "" && e.Message != c.msg) {
					t.Fatalf("got %v, want %d %q", err, c.code, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := updateDoc(t, c.want); !bytes.Equal(got, want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestUpsertSeed_ThenApply runs the upsert sequence the engine uses: seed,
// then Apply with Insert.
func TestUpsertSeed_ThenApply(t *testing.T) {
	seed, err := update.UpsertSeed(updateDoc(t, `{"item": "apple", "qty": {"$gt": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	u, err := update.Compile(updateDoc(t, `{"$set": {"price": 1}, "$setOnInsert": {"qty": 100}, "$inc": {"n": 1}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, modified, err := u.Apply(seed, update.ApplyOptions{Position: -1, Insert: true})
	if err != nil || !modified {
		t.Fatalf("Apply: %v, modified=%v", err, modified)
	}
	if want := updateDoc(t, `{"item": "apple", "n": 1, "price": 1, "qty": 100}`); !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
