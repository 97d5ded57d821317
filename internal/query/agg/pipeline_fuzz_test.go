package agg_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
)

// aggFuzzInput is the fixed input of fuzzed pipelines: a few shapes that
// exercise arrays, nesting, numbers of every type, null and missing.
const aggFuzzInput = `[
 {"_id": 1, "a": 1, "b": "x", "c": [1, 2, {"d": 3}], "e": {"f": null, "g": [{"h": 1.5}]}},
 {"_id": 2, "a": {"$numberLong": "9223372036854775807"}, "c": [], "e": {"g": {"h": -1}}},
 {"_id": 3, "a": 2.5, "b": null, "c": "s", "d": {"$numberDecimal": "1.5"}, "t": {"$date": "2020-01-01T00:00:00Z"}},
 {"_id": 4}
]`

// aggFuzzCollection is what $lookup sees in fuzzed pipelines.
const aggFuzzCollection = `[{"_id": 1, "k": 1, "a": [1, 2]}, {"_id": 2, "k": null}, {"_id": 3}]`

// FuzzCompilePipeline feeds arbitrary BSON as a pipeline: the document's
// "p" array holds the stages (any other document is one stage). Compiling
// and running must return nil or a *codes.Error, never panic, and a run
// whose $sort and $group spill to disk must agree with one in memory
// (or fail with $setWindowFields' or $facet's memory error).
func FuzzCompilePipeline(f *testing.F) {
	for _, tc := range aggPipelineCases {
		f.Add([]byte(aggDoc(f, `{"p": `+tc.pipeline+`}`)))
	}
	input := aggDocs(f, aggFuzzInput)
	env := aggEnv{}
	for _, name := range []string{"c", "inventory", "members", "stock", "h", "employees", "airports"} {
		env[name] = aggDocs(f, aggFuzzCollection)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := bson.Raw(data)
		if raw.Validate() != nil {
			// Malformed stages must still be rejected with a code.
			if _, err := agg.Compile([]bson.Raw{raw}); err != nil {
				aggRequireCoded(t, err)
			}
			return
		}
		stages := []bson.Raw{raw}
		if p, err := raw.LookupErr("p"); err == nil && p.Type == bson.TypeArray {
			stages = nil
			vals, _ := p.Array().Values()
			for _, v := range vals {
				if d, ok := v.DocumentOK(); ok {
					stages = append(stages, d)
				} else {
					stages = append(stages, bson.Raw(v.Value))
				}
			}
		}
		p, err := agg.Compile(stages)
		if err != nil {
			aggRequireCoded(t, err)
			return
		}
		want, err := p.Run(context.Background(), input, env)
		if err != nil {
			aggRequireCoded(t, err)
		}
		// With a memory limit every $sort and $group reaches, the spilling
		// paths must agree with the in-memory ones: the same error (both
		// are deterministic for a given input) and the same number of
		// documents ($group's order and $sample's choice may differ).
		it := p.Open(context.Background(), agg.Docs(input), env, agg.Options{MemoryLimit: 64, TempDir: t.TempDir()})
		got, gerr := agg.Drain(it)
		if cerr := it.Close(); cerr != nil {
			t.Fatalf("close after spilling: %v", cerr)
		}
		switch codes.CodeOf(gerr) {
		case 5414201, codes.QueryExceededMemoryLimitNoDiskUseAllowed, 4031700:
			// $setWindowFields holds a partition and $facet its input and
			// output in memory; they fail rather than spill. ($sort and
			// $group spill here: NoDiskUse is not set.)
			return
		}
		if (err == nil) != (gerr == nil) || (err == nil && len(got) != len(want)) {
			t.Fatalf("spilling run: %d documents, %v; in memory: %d documents, %v", len(got), gerr, len(want), err)
		}
	})
}

func aggRequireCoded(t *testing.T, err error) {
	t.Helper()
	if _, ok := codes.As(err); !ok {
		t.Fatalf("error without a code: %v", err)
	}
}
