package projection_test

import (
	"bytes"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/projection"
)

// projCases follow the manual's "Project Fields to Return from Query"
// examples plus array and _id edge cases.
var projCases = []struct {
	name, proj, doc, want string
	pos                   int
}{
	{"empty", `{}`, `{"_id": 1, "a": 1}`, `{"_id": 1, "a": 1}`, -1},
	{"include", `{"item": 1, "status": 1}`, `{"_id": 1, "item": "x", "status": "A", "size": {"h": 14}}`, `{"_id": 1, "item": "x", "status": "A"}`, -1},
	{"include-keeps-doc-order", `{"status": 1, "item": 1}`, `{"_id": 1, "item": "x", "status": "A"}`, `{"_id": 1, "item": "x", "status": "A"}`, -1},
	{"include-true", `{"item": true}`, `{"_id": 1, "item": "x", "b": 2}`, `{"_id": 1, "item": "x"}`, -1},
	{"include-no-id", `{"item": 1, "_id": 0}`, `{"_id": 1, "item": "x", "b": 2}`, `{"item": "x"}`, -1},
	{"include-missing-field", `{"nope": 1}`, `{"_id": 1, "item": "x"}`, `{"_id": 1}`, -1},
	{"id-only", `{"_id": 1}`, `{"_id": 1, "item": "x"}`, `{"_id": 1}`, -1},
	{"exclude", `{"status": 0, "instock": 0}`, `{"_id": 1, "item": "x", "status": "A", "instock": [1]}`, `{"_id": 1, "item": "x"}`, -1},
	{"exclude-id", `{"_id": 0}`, `{"_id": 1, "item": "x"}`, `{"item": "x"}`, -1},
	{"exclude-id-only-keeps-rest", `{"_id": 0, "a": 0}`, `{"_id": 1, "a": 2, "b": 3}`, `{"b": 3}`, -1},
	{"include-id-excluded-later", `{"a": 1, "_id": 0}`, `{"_id": 1, "a": 2, "b": 3}`, `{"a": 2}`, -1},
	{"slice-and-elemmatch-is-exclusion", `{"a": {"$slice": 1}, "b": {"$elemMatch": {"$gt": 1}}}`, `{"_id": 1, "a": [1, 2], "b": [1, 2], "c": 3}`, `{"_id": 1, "a": [1], "b": [2], "c": 3}`, -1},
	{"elemmatch-with-exclusion", `{"c": 0, "b": {"$elemMatch": {"$gt": 1}}}`, `{"_id": 1, "b": [1, 2], "c": 3, "d": 4}`, `{"_id": 1, "b": [2], "d": 4}`, -1},
	{"computed-id", `{"_id": "$a", "a": 1}`, `{"_id": 1, "a": 2}`, `{"_id": 2, "a": 2}`, -1},
	{"include-dotted", `{"item": 1, "size.uom": 1}`, `{"_id": 1, "item": "x", "size": {"h": 14, "w": 21, "uom": "cm"}}`, `{"_id": 1, "item": "x", "size": {"uom": "cm"}}`, -1},
	{"include-nested-form", `{"size": {"uom": 1}}`, `{"_id": 1, "size": {"h": 14, "uom": "cm"}}`, `{"_id": 1, "size": {"uom": "cm"}}`, -1},
	{"include-dotted-missing-sub", `{"size.uom": 1}`, `{"_id": 1, "size": {"h": 14}}`, `{"_id": 1, "size": {}}`, -1},
	{"include-dotted-scalar", `{"size.uom": 1}`, `{"_id": 1, "size": 3}`, `{"_id": 1}`, -1},
	{"exclude-dotted", `{"size.uom": 0}`, `{"_id": 1, "size": {"h": 14, "uom": "cm"}}`, `{"_id": 1, "size": {"h": 14}}`, -1},
	{"include-through-array", `{"instock.qty": 1}`, `{"_id": 1, "instock": [{"wh": "A", "qty": 5}, 7, {"wh": "C"}, [{"qty": 1, "z": 2}]]}`, `{"_id": 1, "instock": [{"qty": 5}, {}, [{"qty": 1}]]}`, -1},
	{"exclude-through-array", `{"instock.qty": 0}`, `{"_id": 1, "instock": [{"wh": "A", "qty": 5}, 7]}`, `{"_id": 1, "instock": [{"wh": "A"}, 7]}`, -1},
	{"positional", `{"grades.$": 1}`, `{"_id": 1, "semester": 1, "grades": [70, 87, 90]}`, `{"_id": 1, "grades": [87]}`, 1},
	{"positional-with-others", `{"semester": 1, "grades.$": 1}`, `{"_id": 1, "semester": 1, "grades": [70, 87, 90]}`, `{"_id": 1, "semester": 1, "grades": [87]}`, 1},
	{"slice-first", `{"comments": {"$slice": 2}}`, `{"_id": 1, "t": "x", "comments": [1, 2, 3]}`, `{"_id": 1, "t": "x", "comments": [1, 2]}`, -1},
	{"slice-last", `{"comments": {"$slice": -2}}`, `{"_id": 1, "comments": [1, 2, 3]}`, `{"_id": 1, "comments": [2, 3]}`, -1},
	{"slice-too-many", `{"comments": {"$slice": 5}}`, `{"_id": 1, "comments": [1, 2, 3]}`, `{"_id": 1, "comments": [1, 2, 3]}`, -1},
	{"slice-skip-limit", `{"comments": {"$slice": [1, 1]}}`, `{"_id": 1, "comments": [1, 2, 3]}`, `{"_id": 1, "comments": [2]}`, -1},
	{"slice-negative-skip", `{"comments": {"$slice": [-2, 5]}}`, `{"_id": 1, "comments": [1, 2, 3]}`, `{"_id": 1, "comments": [2, 3]}`, -1},
	{"slice-skip-past-end", `{"comments": {"$slice": [5, 1]}}`, `{"_id": 1, "comments": [1, 2, 3]}`, `{"_id": 1, "comments": []}`, -1},
	{"slice-not-array", `{"comments": {"$slice": 1}}`, `{"_id": 1, "comments": "x"}`, `{"_id": 1, "comments": "x"}`, -1},
	{"slice-with-inclusion", `{"t": 1, "comments": {"$slice": 1}}`, `{"_id": 1, "t": "x", "u": 2, "comments": [1, 2]}`, `{"_id": 1, "t": "x", "comments": [1]}`, -1},
	{"elemmatch", `{"students": {"$elemMatch": {"school": 102}}}`, `{"_id": 1, "zipcode": "63109", "students": [{"name": "john", "school": 102}, {"name": "jess", "school": 102}]}`, `{"_id": 1, "students": [{"name": "john", "school": 102}]}`, -1},
	{"elemmatch-none", `{"students": {"$elemMatch": {"school": 999}}}`, `{"_id": 1, "students": [{"school": 102}]}`, `{"_id": 1}`, -1},
	{"elemmatch-value", `{"a": {"$elemMatch": {"$gt": 2}}}`, `{"_id": 1, "a": [1, 3, 5]}`, `{"_id": 1, "a": [3]}`, -1},
	{"computed-field", `{"total": {"$add": ["$a", "$b"]}}`, `{"_id": 1, "a": 1, "b": 2}`, `{"_id": 1, "total": 3}`, -1},
}

func TestProjection_Apply(t *testing.T) {
	for _, c := range projCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := projection.Compile(jsonDoc(t, c.proj))
			if err != nil {
				t.Fatalf("Compile(%s): %v", c.proj, err)
			}
			got, err := p.Apply(jsonDoc(t, c.doc), c.pos)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			want := jsonDoc(t, c.want)
			if !bytes.Equal(got, want) {
				t.Fatalf("projection %s of %s:\n got %s\nwant %s", c.proj, c.doc, got, want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("projected document is invalid BSON: %v", err)
			}
		})
	}
}

func TestProjection_Errors(t *testing.T) {
	cases := []struct {
		name, proj string
		code       codes.Code
	}{
		{"exclusion-in-inclusion", `{"a": 1, "b": 0}`, codes.Location31254},
		{"inclusion-in-exclusion", `{"a": 0, "b": 1}`, 31253},
		{"path-collision", `{"a": 1, "a.b": 1}`, 31249},
		{"two-positionals", `{"a.$": 1, "b.$": 1}`, 31276},
		{"empty-subprojection", `{"a": {}}`, 51270},
		{"id-1-then-exclusion", `{"_id": 1, "a": 0}`, codes.Location31254},
		{"exclusion-then-expression", `{"a": 0, "b": {"$add": [1, 2]}}`, 31252},
		{"slice-bad", `{"a": {"$slice": "x"}}`, 31273},
		{"slice-bad-limit", `{"a": {"$slice": [1, 0]}}`, 31259},
		{"slice-wrong-size", `{"a": {"$slice": [1]}}`, 31272},
		{"slice-bad-skip", `{"a": {"$slice": ["x", 1]}}`, 31257},
		{"slice-bad-limit-type", `{"a": {"$slice": [1, "x"]}}`, 31258},
		{"elemmatch-bad", `{"a": {"$elemMatch": 1}}`, 31274},
		{"elemmatch-bad-inner", `{"a": {"$elemMatch": {"$foo": 1}}}`, codes.BadValue},
		{"positional-and-elemmatch", `{"a.$": 1, "b": {"$elemMatch": {"c": 1}}}`, 31255},
		{"elemmatch-and-positional", `{"b": {"$elemMatch": {"c": 1}}, "a.$": 1}`, 31256},
		{"elemmatch-nested", `{"a.b": {"$elemMatch": {"c": 1}}}`, 31275},
		{"dollar-field", `{"$a": 1}`, codes.BadValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := projection.Compile(jsonDoc(t, c.proj))
			if got := codes.CodeOf(err); got != c.code {
				t.Fatalf("Compile(%s) = %v, want code %d", c.proj, err, c.code)
			}
		})
	}
}

func TestProjection_ExclusionMessage(t *testing.T) {
	_, err := projection.Compile(jsonDoc(t, `{"a": 1, "x": 0}`))
	ce, ok := codes.As(err)
	if !ok || ce.Message != "Cannot do exclusion on field x in inclusion projection" {
		t.Fatalf("got %v", err)
	}
	if _, err := projection.Compile(jsonDoc(t, `{"a": 1, "_id": 0}`)); err != nil {
		t.Fatalf("excluding _id in an inclusion projection must be allowed: %v", err)
	}
}

func TestProjection_PositionalWithoutMatch(t *testing.T) {
	p, err := projection.Compile(jsonDoc(t, `{"grades.$": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Apply(jsonDoc(t, `{"_id": 1, "grades": [1, 2]}`), -1); codes.CodeOf(err) != 51246 {
		t.Fatalf("positional without a matched position: %v, want code 51246", err)
	}
}

// TestProjection_PositionalFromFilter runs the manual's example end to end:
// the filter's matched position drives the projection.
func TestProjection_PositionalFromFilter(t *testing.T) {
	f, err := filter.Compile(jsonDoc(t, `{"semester": 1, "grades": {"$gte": 85}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := projection.Compile(jsonDoc(t, `{"grades.$": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := jsonDoc(t, `{"_id": 1, "semester": 1, "grades": [70, 87, 90]}`)
	ok, pos := f.MatchPosition(doc)
	if !ok {
		t.Fatal("no match")
	}
	got, err := p.Apply(doc, pos)
	if err != nil {
		t.Fatal(err)
	}
	if want := jsonDoc(t, `{"_id": 1, "grades": [87]}`); !bytes.Equal(got, want) {
		t.Fatalf("got %s, want %s", got, want)
	}
}
