package update_test

import (
	"bytes"
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/update"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// updateFuzzSeeds returns (update, doc, arrayFilter) triples from the table
// tests; compile-only cases get an empty document.
func updateFuzzSeeds(t testing.TB) [][3][]byte {
	var seeds [][3][]byte
	for _, c := range updateAllCases() {
		doc := c.doc
		if doc == "" {
			doc = `{}`
		}
		var filter []byte
		if len(c.filters) > 0 {
			filter = updateDoc(t, c.filters[0])
		}
		seeds = append(seeds, [3][]byte{updateDoc(t, c.update), updateDoc(t, doc), filter})
	}
	return seeds
}

// updateFuzzCheckErr fails unless err is a *codes.Error with a code.
func updateFuzzCheckErr(t *testing.T, err error) {
	t.Helper()
	if e, ok := codes.As(err); !ok || e.Code == 0 || e.Message == "" {
		t.Fatalf("error without a code: %#v", err)
	}
}

// FuzzCompileUpdate: hostile update documents and array filters give a
// coded error or a compiled update, never a panic.
func FuzzCompileUpdate(f *testing.F) {
	for _, s := range updateFuzzSeeds(f) {
		f.Add(s[0], s[2])
	}
	f.Fuzz(func(t *testing.T, spec, arrayFilter []byte) {
		var filters []bson.Raw
		if len(arrayFilter) > 0 {
			filters = []bson.Raw{arrayFilter}
		}
		u, err := update.Compile(spec, filters)
		if err != nil {
			updateFuzzCheckErr(t, err)
			return
		}
		if u == nil {
			t.Fatal("nil update without an error")
		}
	})
}

// FuzzApplyUpdate: applying any compiled update to any document gives a
// coded error and no document, or a valid document; the input is never
// modified and an unmodified result equals the input.
func FuzzApplyUpdate(f *testing.F) {
	for i, s := range updateFuzzSeeds(f) {
		f.Add(s[0], s[1], s[2], i%3-1, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, spec, doc, arrayFilter []byte, pos int, insert bool) {
		var filters []bson.Raw
		if len(arrayFilter) > 0 {
			filters = []bson.Raw{arrayFilter}
		}
		u, err := update.Compile(spec, filters)
		if err != nil {
			updateFuzzCheckErr(t, err)
			return
		}
		orig := append([]byte(nil), doc...)
		out, modified, err := u.Apply(doc, update.ApplyOptions{Position: pos, Insert: insert})
		if !bytes.Equal(doc, orig) {
			t.Fatal("Apply modified its input")
		}
		if err != nil {
			updateFuzzCheckErr(t, err)
			if out != nil || modified {
				t.Fatal("failed Apply returned a document")
			}
			return
		}
		if err := bsoncore.Document(out).Validate(); err != nil {
			t.Fatalf("Apply produced invalid BSON: %v", err)
		}
		if len(doc) == 0 {
			// An empty input stands for the empty document.
			doc = []byte{5, 0, 0, 0, 0}
		}
		if !modified && !bytes.Equal(out, doc) {
			t.Fatal("unmodified result differs from the input")
		}
	})
}
