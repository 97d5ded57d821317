package query_test

import (
	"bytes"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query"
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

// FuzzCompileFilter feeds arbitrary bytes to CompileFilter: it must return a
// filter or a coded error, never panic, and a compiled filter must be
// usable on the table documents.
func FuzzCompileFilter(f *testing.F) {
	filters, docs := filterFuzzSeeds(f)
	for _, fl := range filters {
		f.Add([]byte(fl))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := query.CompileFilter(bson.Raw(data))
		filterCheckErr(t, "CompileFilter", data, err)
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
	f.Fuzz(func(t *testing.T, filter, doc []byte) {
		flt, err := query.CompileFilter(bson.Raw(filter))
		filterCheckErr(t, "CompileFilter", filter, err)
		if err != nil {
			return
		}
		if bson.Raw(doc).Validate() != nil && bytes.Contains(filter, []byte("$expr")) {
			// Malformed documents never come out of storage; they are
			// still matched (the walk must stay in bounds) except when the
			// filter may run aggregation expressions, which assume valid
			// documents.
			return
		}
		m := flt.Match(doc)
		ok, pos := flt.MatchPosition(doc)
		if ok != m {
			t.Fatalf("Match=%v MatchPosition=%v for filter %s", m, ok, bson.Raw(filter))
		}
		if !ok && pos != -1 {
			t.Fatalf("no match but position %d", pos)
		}
	})
}

// FuzzCompileProjection checks that projections compile to a coded error or
// produce valid BSON from the table documents.
func FuzzCompileProjection(f *testing.F) {
	for _, c := range projCases {
		f.Add([]byte(filterDoc(f, c.proj)))
	}
	var docs []bson.Raw
	for _, c := range projCases[:10] {
		docs = append(docs, filterDoc(f, c.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := query.CompileProjection(bson.Raw(data))
		filterCheckErr(t, "CompileProjection", data, err)
		if err != nil {
			return
		}
		for _, d := range docs {
			out, err := p.Apply(d, 0)
			if err != nil {
				continue
			}
			if verr := out.Validate(); verr != nil {
				t.Fatalf("projection %s of %s produced invalid BSON: %v", bson.Raw(data), d, verr)
			}
		}
	})
}

// FuzzCompileSort checks that sort specs compile to a coded error or order
// the table documents without panicking, antisymmetrically.
func FuzzCompileSort(f *testing.F) {
	for _, c := range sortCases {
		f.Add([]byte(filterDoc(f, c.sort)))
	}
	_, docs := filterFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := query.CompileSort(bson.Raw(data))
		filterCheckErr(t, "CompileSort", data, err)
		if err != nil {
			return
		}
		for i := 0; i+1 < len(docs) && i < 20; i++ {
			if s.Compare(docs[i], docs[i+1]) != -s.Compare(docs[i+1], docs[i]) {
				t.Fatalf("sort %s is not antisymmetric on %s and %s", bson.Raw(data), docs[i], docs[i+1])
			}
		}
	})
}
