package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// mustIndex creates an index (not a TTL index) and fails the test on error.
func mustIndex(t testing.TB, e *engine.Engine, spec engine.IndexSpec) {
	t.Helper()
	if _, err := e.CreateIndex(context.Background(), nil, ns, spec); err != nil {
		t.Fatalf("create index %v: %v", spec.Key, err)
	}
}

// mustIndexTTL creates a TTL index with spec's ExpireAfterSeconds.
func mustIndexTTL(t testing.TB, e *engine.Engine, spec engine.IndexSpec) {
	t.Helper()
	spec.TTL = true
	if _, err := e.CreateIndex(context.Background(), nil, ns, spec); err != nil {
		t.Fatalf("create index %v: %v", spec.Key, err)
	}
}

// findSpec runs a find and returns the _id values in result order and the statistics.
func findSpec(t testing.TB, e *engine.Engine, spec engine.FindSpec) ([]int32, engine.Stats) {
	t.Helper()
	var st engine.Stats
	out, err := e.Find(context.Background(), nil, ns, spec, &st)
	if err != nil {
		t.Fatalf("find %v: %v", spec, err)
	}
	ids := make([]int32, len(out))
	for i, d := range out {
		ids[i] = d.Lookup("_id").Int32()
	}
	return ids, st
}

// seedGrid inserts documents {_id: i, a: i%10, b: i/10} for i in [0, 100).
func seedGrid(t testing.TB, e *engine.Engine) {
	t.Helper()
	var docs []bson.D
	for i := int32(0); i < 100; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "a", Value: i % 10}, {Key: "b", Value: i / 10}})
	}
	mustInsert(t, e, docs...)
}

func TestPlan_CompoundIndexBoundsEqualityPrefixAndRange(t *testing.T) {
	e := openMem(t, engine.Options{})
	seedGrid(t, e)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}})
	ids, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 3}, {Key: "b", Value: bson.D{{Key: "$gte", Value: 4}, {Key: "$lt", Value: 7}}}})})
	if st.PlanSummary != "IXSCAN { a: 1, b: -1 }" {
		t.Fatalf("plan %q, want the compound index", st.PlanSummary)
	}
	// The range's exclusive end is left to the filter re-check: 7 is read and dropped.
	if fmt.Sprint(ids) != "[63 53 43]" || st.DocsExamined != 4 || st.KeysExamined != 4 {
		t.Fatalf("ids %v, docsExamined %d, keysExamined %d: want 3 documents read through bounds on both fields", ids, st.DocsExamined, st.KeysExamined)
	}
}

func TestPlan_SortServedByIndexStopsAtLimit(t *testing.T) {
	e := openMem(t, engine.Options{})
	seedGrid(t, e)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}})
	for _, tc := range []struct {
		name string
		sort bson.D
		want []int32
	}{
		{"forward", bson.D{{Key: "b", Value: 1}}, []int32{2, 12, 22}},
		{"reverse", bson.D{{Key: "b", Value: -1}}, []int32{92, 82, 72}},
		{"both fields reversed", bson.D{{Key: "a", Value: -1}, {Key: "b", Value: -1}}, []int32{92, 82, 72}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 2}}), Sort: doc(tc.sort), Limit: 3})
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Fatalf("ids %v, want %v", ids, tc.want)
			}
			if st.DocsExamined != 3 {
				t.Fatalf("docsExamined %d: the index order should end the scan at the limit, with no sort", st.DocsExamined)
			}
		})
	}
	// A sort the index cannot give (mixed directions) is done in memory, correctly.
	ids, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 8}}}}),
		Sort: doc(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}), Limit: 2})
	if fmt.Sprint(ids) != "[98 88]" || st.DocsExamined != 20 {
		t.Fatalf("mixed-direction sort: ids %v docsExamined %d, want [98 88] after reading all 20 matches", ids, st.DocsExamined)
	}
}

func TestPlan_SortWithoutFilterUsesIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	seedGrid(t, e)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "b", Value: -1}}})
	ids, st := findSpec(t, e, engine.FindSpec{Sort: doc(bson.D{{Key: "b", Value: 1}}), Limit: 2})
	if st.PlanSummary != "IXSCAN { b: -1 }" || st.DocsExamined != 2 || len(ids) != 2 || ids[0] >= 10 || ids[1] >= 10 {
		t.Fatalf("plan %q docsExamined %d ids %v: want a backwards scan of {b: -1} stopping after 2", st.PlanSummary, st.DocsExamined, ids)
	}
}

func TestPlan_MultikeyIndexDoesNotServeSort(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}})
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: int32(1)}, {Key: "a", Value: bson.A{1, 9}}},
		bson.D{{Key: "_id", Value: int32(2)}, {Key: "a", Value: 5}},
	)
	// Descending, an array sorts by its largest element: 9 before 5.
	ids, _ := findSpec(t, e, engine.FindSpec{Sort: doc(bson.D{{Key: "a", Value: -1}})})
	if fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("ids %v, want [1 2]", ids)
	}
	// Ascending by smallest element: 1 before 5, and each document once.
	ids, _ = findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: bson.D{{Key: "$gt", Value: 0}}}}), Sort: doc(bson.D{{Key: "a", Value: 1}})})
	if fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("ids %v, want [1 2]", ids)
	}
}

func TestPlan_SparseIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}, Sparse: true})
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: int32(1)}, {Key: "a", Value: 1}},
		bson.D{{Key: "_id", Value: int32(2)}},
		bson.D{{Key: "_id", Value: int32(3)}, {Key: "a", Value: nil}},
	)
	if _, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 1}})}); st.PlanSummary != "IXSCAN { a: 1 }" {
		t.Fatalf("equality on a sparse index: plan %q", st.PlanSummary)
	}
	// {a: null} also matches the missing field, which the index leaves out: no index.
	ids, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: nil}})})
	if st.PlanSummary != "COLLSCAN" || len(ids) != 2 {
		t.Fatalf("{a: null}: plan %q ids %v, want COLLSCAN and 2 documents", st.PlanSummary, ids)
	}
	// Hinted, the sparse index returns only the documents it holds, as mongod's does.
	ids, _ = findSpec(t, e, engine.FindSpec{HintName: "a_1"})
	if fmt.Sprint(ids) != "[3 1]" {
		t.Fatalf("hinted sparse index: ids %v, want [3 1] (null sorts first, the missing one left out)", ids)
	}
}

func TestPlan_PartialIndexUsedWhenQueryImpliesIt(t *testing.T) {
	e := openMem(t, engine.Options{})
	seedGrid(t, e)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "b", Value: 1}}, Partial: doc(bson.D{{Key: "a", Value: bson.D{{Key: "$gt", Value: 5}}}})})
	for _, tc := range []struct {
		name   string
		filter bson.D
		plan   string
		n      int
	}{
		{"implied by a stricter range", bson.D{{Key: "b", Value: 3}, {Key: "a", Value: bson.D{{Key: "$gte", Value: 7}}}}, "IXSCAN { b: 1 }", 3},
		{"implied by an equality", bson.D{{Key: "b", Value: 3}, {Key: "a", Value: 8}}, "IXSCAN { b: 1 }", 1},
		{"not implied by a weaker range", bson.D{{Key: "b", Value: 3}, {Key: "a", Value: bson.D{{Key: "$gt", Value: 4}}}}, "COLLSCAN", 5},
		{"not implied without a condition", bson.D{{Key: "b", Value: 3}}, "COLLSCAN", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, st := findSpec(t, e, engine.FindSpec{Filter: doc(tc.filter)})
			if st.PlanSummary != tc.plan || len(ids) != tc.n {
				t.Fatalf("plan %q, %d documents; want %q, %d", st.PlanSummary, len(ids), tc.plan, tc.n)
			}
		})
	}
}

func TestPlan_HiddenIndexMaintainedButNotUsed(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}, Unique: true, Hidden: true})
	mustInsert(t, e, bson.D{{Key: "_id", Value: int32(1)}, {Key: "a", Value: 1}})
	if _, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: int32(2)}, {Key: "a", Value: 1}})}, true, nil); err == nil {
		// Insert reports duplicates as write errors.
	}
	if n := len(findAll(t, e, nil, nil)); n != 1 {
		t.Fatalf("%d documents: a hidden unique index must still refuse the duplicate", n)
	}
	if _, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 1}})}); st.PlanSummary != "COLLSCAN" {
		t.Fatalf("plan %q: a hidden index must not be chosen", st.PlanSummary)
	}
	if _, err := e.Find(ctx, nil, ns, engine.FindSpec{HintName: "a_1"}, nil); codes.CodeOf(err) != codes.BadValue {
		t.Fatalf("hint of a hidden index: %v, want BadValue", err)
	}
	off := false
	before, after, err := e.ModifyIndex(ctx, ns, engine.IndexChange{Name: "a_1", Hidden: &off})
	if err != nil || !before.Hidden || after.Hidden {
		t.Fatalf("unhide: %v before %v after %v", err, before.Hidden, after.Hidden)
	}
	if _, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 1}})}); st.PlanSummary != "IXSCAN { a: 1 }" {
		t.Fatalf("plan %q after unhiding", st.PlanSummary)
	}
}

func TestPlan_HintAndMinMax(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	seedGrid(t, e)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "b", Value: 1}}})
	_, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 1}}), Hint: doc(bson.D{{Key: "b", Value: 1}})})
	if st.PlanSummary != "IXSCAN { b: 1 }" || st.KeysExamined != 100 {
		t.Fatalf("hint by key pattern: plan %q keys %d", st.PlanSummary, st.KeysExamined)
	}
	if _, st = findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 1}}), Hint: doc(bson.D{{Key: "$natural", Value: 1}})}); st.PlanSummary != "COLLSCAN" {
		t.Fatalf("$natural hint: plan %q", st.PlanSummary)
	}
	for _, bad := range []engine.FindSpec{{HintName: "nope"}, {Hint: doc(bson.D{{Key: "c", Value: 1}})}} {
		_, err := e.Find(ctx, nil, ns, bad, nil)
		if ce, ok := err.(*codes.Error); !ok || ce.Code != codes.BadValue || ce.Message != "hint provided does not correspond to an existing index" {
			t.Fatalf("bad hint %+v: %v", bad, err)
		}
	}
	// min inclusive, max exclusive, in index order.
	ids, _ := findSpec(t, e, engine.FindSpec{HintName: "a_1_b_1", Min: doc(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 8}}),
		Max: doc(bson.D{{Key: "a", Value: 2}, {Key: "b", Value: 1}})})
	if fmt.Sprint(ids) != "[81 91 2]" {
		t.Fatalf("min/max: ids %v, want [81 91 2]", ids)
	}
	if _, err := e.Find(ctx, nil, ns, engine.FindSpec{Min: doc(bson.D{{Key: "a", Value: 1}})}, nil); codes.CodeOf(err) != 51173 {
		t.Fatalf("min without hint: %v, want 51173", err)
	}
}

func TestTTL_PassRemovesExpiredDocuments(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	mustIndexTTL(t, e, engine.IndexSpec{Key: bson.D{{Key: "at", Value: 1}}, ExpireAfterSeconds: 60})
	now := time.Now()
	old := bson.NewDateTimeFromTime(now.Add(-2 * time.Minute))
	fresh := bson.NewDateTimeFromTime(now)
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: int32(1)}, {Key: "at", Value: old}},
		bson.D{{Key: "_id", Value: int32(2)}, {Key: "at", Value: fresh}},
		bson.D{{Key: "_id", Value: int32(3)}, {Key: "at", Value: "not a date"}},
		bson.D{{Key: "_id", Value: int32(4)}, {Key: "at", Value: bson.A{fresh, old}}},
		bson.D{{Key: "_id", Value: int32(5)}},
	)
	e.RunTTLPass(ctx, now)
	ids, _ := findSpec(t, e, engine.FindSpec{Sort: doc(bson.D{{Key: "_id", Value: 1}})})
	if fmt.Sprint(ids) != "[2 3 5]" {
		t.Fatalf("after a pass: %v, want [2 3 5] (an array expires by its earliest date)", ids)
	}
	if st := e.TTLStats(); st.DeletedDocuments != 2 || st.Passes != 1 {
		t.Fatalf("ttl stats %+v, want 2 deleted in 1 pass", st)
	}
	// collMod lengthens the TTL: nothing more expires now.
	long := int64(3600)
	if _, _, err := e.ModifyIndex(ctx, ns, engine.IndexChange{Key: bson.D{{Key: "at", Value: 1}}, ExpireAfterSeconds: &long}); err != nil {
		t.Fatal(err)
	}
	e.RunTTLPass(ctx, now.Add(10*time.Minute))
	if n := len(findAll(t, e, nil, nil)); n != 3 {
		t.Fatalf("%d documents after a pass with a 1 h TTL, want 3", n)
	}
}

func TestTTL_MonitorRunsOnItsOwn(t *testing.T) {
	e := openMem(t, engine.Options{TTLMonitorSleep: 20 * time.Millisecond})
	mustIndexTTL(t, e, engine.IndexSpec{Key: bson.D{{Key: "at", Value: 1}}, ExpireAfterSeconds: 0})
	mustInsert(t, e, bson.D{{Key: "_id", Value: int32(1)}, {Key: "at", Value: bson.NewDateTimeFromTime(time.Now().Add(-time.Second))}})
	deadline := time.Now().Add(10 * time.Second)
	for len(findAll(t, e, nil, nil)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the monitor did not remove the expired document; stats %+v", e.TTLStats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestIndexOptions_SurviveReopen(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}, Sparse: true, Hidden: true})
	mustIndexTTL(t, e, engine.IndexSpec{Key: bson.D{{Key: "t", Value: 1}}, ExpireAfterSeconds: 0})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "p", Value: 1}}, Partial: doc(bson.D{{Key: "q", Value: bson.D{{Key: "$exists", Value: true}}}})})
	mustInsert(t, e, bson.D{{Key: "_id", Value: int32(1)}, {Key: "p", Value: bson.A{2, 1}}, {Key: "q", Value: 1}})
	e.Close()
	e, err = engine.Open(engine.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	specs, err := e.ListIndexes(ns)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%v %v %v %v %v %v", specs[1].Sparse, specs[1].Hidden, specs[1].TTL, specs[2].TTL, specs[2].ExpireAfterSeconds, len(specs[3].Partial) > 0)
	if got != "true true false true 0 true" {
		t.Fatalf("options after reopen: %s", got)
	}
	// The multikey flag survived: the array document still sorts by its smallest element.
	out, err := e.Find(context.Background(), nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "q", Value: 1}, {Key: "p", Value: bson.D{{Key: "$gte", Value: 0}}}}),
		Sort: doc(bson.D{{Key: "p", Value: 1}})}, nil)
	if err != nil || len(out) != 1 {
		t.Fatalf("find after reopen: %v %d", err, len(out))
	}
}

// TestTTL_KeepsNamedParents: a TTL pass over a collection that another's references name deletes the expired
// documents no child names and keeps the one a child names (the refusal of one deletion does not stop the others),
// until the child is gone.
func TestTTL_KeepsNamedParents(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	mustIndexTTL(t, e, engine.IndexSpec{Key: bson.D{{Key: "at", Value: 1}}, ExpireAfterSeconds: 60})
	now := time.Now()
	old := bson.NewDateTimeFromTime(now.Add(-2 * time.Minute))
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: int32(1)}, {Key: "at", Value: old}},
		bson.D{{Key: "_id", Value: int32(2)}, {Key: "at", Value: old}},
		bson.D{{Key: "_id", Value: int32(3)}, {Key: "at", Value: old}},
	)
	child := engine.Namespace{DB: ns.DB, Coll: "child"}
	opts := engine.CollOptions{References: []engine.Reference{{Name: "child_p", Fields: []string{"p"}, Coll: ns.Coll, ParentFields: []string{"_id"}}}}
	if err := e.CreateCollectionWithOptions(ctx, nil, child, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Insert(ctx, nil, child, []bson.Raw{doc(bson.D{{Key: "_id", Value: 10}, {Key: "p", Value: int32(2)}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	e.RunTTLPass(ctx, now)
	if ids, _ := findSpec(t, e, engine.FindSpec{Sort: doc(bson.D{{Key: "_id", Value: 1}})}); fmt.Sprint(ids) != "[2]" {
		t.Fatalf("after a pass: %v, want [2] (the named parent kept, the others expired)", ids)
	}
	if st := e.TTLStats(); st.DeletedDocuments != 2 {
		t.Fatalf("ttl stats %+v, want 2 deleted", st)
	}
	if _, err := e.Delete(ctx, nil, child, doc(bson.D{}), true, nil); err != nil {
		t.Fatal(err)
	}
	e.RunTTLPass(ctx, now)
	if ids, _ := findSpec(t, e, engine.FindSpec{}); len(ids) != 0 {
		t.Fatalf("after the child went: %v, want none", ids)
	}
}
