package expr_test

import (
	"testing"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// FuzzCompile evaluates arbitrary expressions against fixed documents.
func FuzzCompile(f *testing.F) {
	// A $range just under mongod's 64 MiB bound is legitimate but takes seconds per evaluation; a 1 MiB bound
	// keeps the fuzzer on both sides of it at a fuzzer's pace.
	defer expr.SetMaxRangeBytes(1 << 20)()
	for _, tc := range aggExprCases {
		f.Add([]byte(aggDoc(f, `{"e": `+tc.expr+`}`)))
	}
	input := []bson.Raw{
		aggDoc(f, `{"_id": 1, "a": 1, "b": "x", "c": [1, 2, {"d": 3}], "e": {"f": null, "g": [{"h": 1.5}]}}`),
		aggDoc(f, `{"_id": 2, "a": {"$numberLong": "9223372036854775807"}, "c": [], "e": {"g": {"h": -1}}}`),
		aggDoc(f, `{"_id": 3, "a": 2.5, "b": null, "c": "s", "d": {"$numberDecimal": "1.5"}, "t": {"$date": "2020-01-01T00:00:00Z"}}`),
		aggDoc(f, `{"_id": 4}`),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := bson.Raw(data)
		if raw.Validate() != nil {
			return
		}
		v, err := raw.LookupErr("e")
		if err != nil {
			return
		}
		e, err := expr.Compile(v)
		if err != nil {
			requireCoded(t, err)
			return
		}
		for _, d := range input {
			if _, err := e.Eval(d); err != nil {
				requireCoded(t, err)
			}
		}
	})
}

// requireCoded fails t unless err carries a MongoDB code.
func requireCoded(t *testing.T, err error) {
	t.Helper()
	if _, ok := codes.As(err); !ok {
		t.Fatalf("error without a code: %v", err)
	}
}
