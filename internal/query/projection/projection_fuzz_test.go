package projection_test

import (
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/projection"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzCompile checks that projections compile to a coded error or
// produce valid BSON from the table documents.
func FuzzCompile(f *testing.F) {
	for _, c := range projCases {
		f.Add([]byte(jsonDoc(f, c.proj)))
	}
	var docs []bson.Raw
	for _, c := range projCases[:10] {
		docs = append(docs, jsonDoc(f, c.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := projection.Compile(bson.Raw(data))
		checkCodedErr(t, "projection.Compile", data, err)
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

// checkCodedErr fails t unless err is nil or a *codes.Error with a code.
func checkCodedErr(t *testing.T, what string, input []byte, err error) {
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
