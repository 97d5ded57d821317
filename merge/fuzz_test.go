package merge_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
)

// FuzzMerge feeds arbitrary bytes as base, mine and theirs: a merge must never panic, and on valid documents a
// merge that succeeds yields a valid document.
func FuzzMerge(f *testing.F) {
	policy := &merge.Policy{Fields: map[string]merge.Rule{"a": {Kind: merge.Counter}, "b": {Kind: merge.Set},
		"c": {Kind: merge.Keyed, Key: "k"}, "d": {Kind: merge.Append}}}
	f.Add([]byte(doc("a", 1, "b", bson.A{1}, "c", bson.A{doc("k", 1, "v", 1)}, "d", bson.A{1})),
		[]byte(doc("a", 2, "b", bson.A{1, 2}, "c", bson.A{doc("k", 1, "v", 2)}, "d", bson.A{1, 2})),
		[]byte(doc("a", 3, "b", bson.A{3}, "c", bson.A{doc("k", 1, "v", 3), doc("k", 2)}, "d", bson.A{1, 3})), uint8(0))
	f.Add([]byte(doc("x", doc("y", 1))), []byte(doc("x", doc("y", 2))), []byte(doc("x", "s")), uint8(3))
	f.Fuzz(func(t *testing.T, b, m, th []byte, s uint8) {
		r, err := merge.Merge(b, m, th, merge.Strategy(s%5), policy)
		valid := bson.Raw(b).Validate() == nil && bson.Raw(m).Validate() == nil && bson.Raw(th).Validate() == nil
		if err == nil && valid {
			if verr := r.Doc.Validate(); verr != nil {
				t.Fatalf("merged an invalid document: %v", verr)
			}
		}
		_ = merge.Detect(b, m, th, policy)
	})
}
