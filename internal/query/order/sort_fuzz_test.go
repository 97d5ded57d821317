package order_test

import (
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/order"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzCompile checks that sort specs compile to a coded error or order
// the table documents without panicking, antisymmetrically.
func FuzzCompile(f *testing.F) {
	for _, c := range sortCases {
		f.Add([]byte(jsonDoc(f, c.sort)))
	}
	var docs []bson.Raw
	for _, c := range sortCases {
		for _, d := range c.docs {
			docs = append(docs, jsonDoc(f, d))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := order.Compile(bson.Raw(data))
		checkCodedErr(t, "order.Compile", data, err)
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
