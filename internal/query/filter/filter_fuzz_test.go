package filter_test

import (
	"bytes"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// filterFuzzSeeds returns every filter and document of the table tests.
func filterFuzzSeeds(tb testing.TB) (filters, docs []bson.Raw) {
	for _, c := range filterMatchCases {
		filters = append(filters, filterDoc(tb, c.filter))
		docs = append(docs, filterDoc(tb, c.doc))
	}
	for _, c := range filterErrorCases {
		filters = append(filters, filterDoc(tb, c.filter))
	}
	for _, s := range bitsFuzzSeeds {
		filters = append(filters, filterDoc(tb, s))
	}
	for _, s := range bitsCollection {
		docs = append(docs, filterDoc(tb, s))
	}
	return filters, docs
}

// filterCheckErr fails unless err is nil or a coded MongoDB error.
func filterCheckErr(t *testing.T, what string, input []byte, err error) {
	if err == nil {
		return
	}
	if _, ok := codes.As(err); !ok {
		t.Fatalf("%s(%x) returned %T %v, want *codes.Error", what, input, err, err)
	}
	if codes.CodeOf(err) == 0 {
		t.Fatalf("%s(%x) returned an error without a code: %v", what, input, err)
	}
}

// FuzzCompileFilter feeds arbitrary bytes to Compile: it must return a
// filter or a coded error, never panic, and a compiled filter must be
// usable on the table documents.
func FuzzCompileFilter(f *testing.F) {
	filters, docs := filterFuzzSeeds(f)
	for _, fl := range filters {
		f.Add([]byte(fl))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := filter.Compile(bson.Raw(data))
		filterCheckErr(t, "Compile", data, err)
		if err != nil {
			return
		}
		for _, d := range docs[:8] {
			m := flt.Match(d)
			if ok, _ := flt.MatchPosition(d); ok != m {
				t.Fatalf("Match and MatchPosition disagree for filter %x", data)
			}
		}
		_ = flt.Conditions()
	})
}

// FuzzMatch pairs fuzzed filters with fuzzed (possibly malformed) documents:
// matching must never panic and Match must agree with MatchPosition.
func FuzzMatch(f *testing.F) {
	for _, c := range filterMatchCases {
		f.Add([]byte(filterDoc(f, c.filter)), []byte(filterDoc(f, c.doc)))
	}
	f.Fuzz(func(t *testing.T, spec, doc []byte) {
		flt, err := filter.Compile(bson.Raw(spec))
		filterCheckErr(t, "Compile", spec, err)
		if err != nil {
			return
		}
		if bson.Raw(doc).Validate() != nil && bytes.Contains(spec, []byte("$expr")) {
			// Malformed documents never come out of storage; they are
			// still matched (the walk must stay in bounds) except when the
			// filter may run aggregation expressions, which assume valid
			// documents.
			return
		}
		m := flt.Match(doc)
		ok, pos := flt.MatchPosition(doc)
		if ok != m {
			t.Fatalf("Match=%v MatchPosition=%v for filter %s", m, ok, bson.Raw(spec))
		}
		if !ok && pos != -1 {
			t.Fatalf("no match but position %d", pos)
		}
	})
}
