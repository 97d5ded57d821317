package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// TestPlan_InServesSortThroughMergeSort checks that an $in on a compound
// index's leading field serves a sort on the next field by merging one
// scan per value (mongod's SORT_MERGE): the result is in sort order, and
// with a limit the scan stops after as many keys as it returns.
func TestPlan_InServesSortThroughMergeSort(t *testing.T) {
	e := openMem(t, engine.Options{})
	seedGrid(t, e) // {_id: i, a: i%10, b: i/10}
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}})
	in := bson.D{{Key: "a", Value: bson.D{{Key: "$in", Value: bson.A{5, 1, 3}}}}}
	cases := []struct {
		name     string
		sort     bson.D
		limit    int64
		wantKeys int64 // 0: not checked
		merged   bool
	}{
		{"descending as the index", bson.D{{Key: "b", Value: -1}}, 4, 4, true},
		{"ascending, read backwards", bson.D{{Key: "b", Value: 1}}, 5, 5, true},
		{"no limit", bson.D{{Key: "b", Value: 1}}, 0, 30, true},
		{"a sort on the $in field is not merged", bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}, 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := engine.FindSpec{Filter: doc(in), Sort: doc(tc.sort), Limit: tc.limit}
			got, st := findStats(t, e, nil, spec)
			d, err := e.DescribeFind(context.Background(), ns, spec)
			if err != nil || d.Merge != tc.merged || d.Merge && len(d.MergeBounds) != 3 {
				t.Fatalf("DescribeFind = %+v, %v; want merge %v", d, err, tc.merged)
			}
			spec.Hint = natural
			want, _ := findStats(t, e, nil, spec)
			if len(got) != len(want) {
				t.Fatalf("got %d documents, want %d", len(got), len(want))
			}
			for i := range got {
				for _, k := range tc.sort {
					if !got[i].Lookup(k.Key).Equal(want[i].Lookup(k.Key)) {
						t.Fatalf("document %d: got %v, want %v", i, got[i], want[i])
					}
				}
			}
			if tc.wantKeys > 0 && st.KeysExamined != tc.wantKeys {
				t.Fatalf("keysExamined = %d, want %d", st.KeysExamined, tc.wantKeys)
			}
		})
	}
}
