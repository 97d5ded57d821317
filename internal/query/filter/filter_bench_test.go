package filter_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/concorddb/concord/internal/query/filter"
)

// filterBenchDoc returns a document of about 1 KiB: twenty scalar fields, an
// embedded document and an array, with the field the benchmarks look for
// near the end so that lookups scan most of the document.
func filterBenchDoc(tb testing.TB) string {
	var b strings.Builder
	b.WriteString(`{"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}`)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, `, "field%02d": "value-%02d-padding-padding"`, i, i)
	}
	b.WriteString(`, "nested": {"x": 1, "y": "two", "z": [1, 2, 3]}`)
	b.WriteString(`, "tags": ["alpha", "beta", "gamma", "delta"]`)
	b.WriteString(`, "status": "active", "qty": 42}`)
	return b.String()
}

func BenchmarkMatch(b *testing.B) {
	doc := filterDoc(b, filterBenchDoc(b))
	cases := []struct{ name, filter string }{
		{"top-level-eq", `{"status": "active"}`},
		{"top-level-eq-int", `{"qty": 42}`},
		{"range", `{"qty": {"$gt": 10, "$lt": 100}}`},
		{"in", `{"status": {"$in": ["x", "y", "active"]}}`},
		{"dotted", `{"nested.y": "two"}`},
		{"array-element", `{"tags": "gamma"}`},
		{"or", `{"$or": [{"status": "x"}, {"qty": 42}]}`},
		{"regex-re2", `{"status": {"$regex": "^act.v"}}`},
		{"regex-backtracking", `{"status": {"$regex": "^act(?=ive)"}}`},
		{"regex-dollar", `{"status": {"$regex": "ive$"}}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f, err := filter.Compile(filterDoc(b, c.filter))
			if err != nil {
				b.Fatal(err)
			}
			if !f.Match(doc) {
				b.Fatalf("%s does not match the benchmark document", c.filter)
			}
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !f.Match(doc) {
					b.Fatal("no match")
				}
			}
		})
	}
}

// TestMatch_TopLevelEqDoesNotAllocate keeps the benchmark's promise in the
// ordinary test run.
func TestMatch_TopLevelEqDoesNotAllocate(t *testing.T) {
	doc := filterDoc(t, filterBenchDoc(t))
	for _, spec := range []string{`{"status": "active"}`, `{"qty": 42}`, `{"qty": {"$gte": 42.0}}`, `{"tags": "gamma"}`, `{"nested.y": "two"}`} {
		f, err := filter.Compile(filterDoc(t, spec))
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { f.Match(doc) }); n != 0 {
			t.Errorf("Match(%s) allocates %v times per call, want 0", spec, n)
		}
		if n := testing.AllocsPerRun(100, func() { f.MatchPosition(doc) }); n != 0 {
			t.Errorf("MatchPosition(%s) allocates %v times per call, want 0", spec, n)
		}
	}
	if len(doc) < 900 || len(doc) > 1200 {
		t.Errorf("benchmark document is %d bytes, want about 1 KiB", len(doc))
	}
}
