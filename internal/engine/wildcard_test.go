package engine_test

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// wildcardDoc is a random document with nested documents, arrays of
// scalars and of documents, and values of several types.
func wildcardDoc(r *rand.Rand, id int) bson.D {
	scalar := func() any {
		switch r.Intn(6) {
		case 0:
			return int32(r.Intn(5))
		case 1:
			return float64(r.Intn(5)) + 0.5
		case 2:
			return int64(r.Intn(5))
		case 3:
			return fmt.Sprint("s", r.Intn(3))
		case 4:
			return nil
		}
		return r.Intn(2) == 0
	}
	d := bson.D{{Key: "_id", Value: id}}
	if r.Intn(4) > 0 {
		d = append(d, bson.E{Key: "a", Value: scalar()})
	}
	switch r.Intn(4) {
	case 0:
		d = append(d, bson.E{Key: "b", Value: bson.D{{Key: "c", Value: scalar()}, {Key: "d", Value: scalar()}}})
	case 1:
		d = append(d, bson.E{Key: "b", Value: bson.A{bson.D{{Key: "c", Value: scalar()}}, bson.D{{Key: "c", Value: scalar()}}, scalar()}})
	case 2:
		d = append(d, bson.E{Key: "b", Value: bson.D{}})
	}
	if r.Intn(2) == 0 {
		d = append(d, bson.E{Key: "arr", Value: bson.A{scalar(), scalar(), bson.A{scalar()}}})
	}
	return d
}

// wildcardQueries are filters over the paths wildcardDoc writes, with the
// plan a {"$**": 1} index gives them.
var wildcardQueries = []struct {
	filter bson.D
	plan   string
}{
	{bson.D{{Key: "a", Value: 3}}, "IXSCAN { $_path: 1, a: 1 }"},
	{bson.D{{Key: "a", Value: "s1"}}, "IXSCAN { $_path: 1, a: 1 }"},
	{bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 2}}}}, "IXSCAN { $_path: 1, a: 1 }"},
	{bson.D{{Key: "a", Value: bson.D{{Key: "$in", Value: bson.A{1, "s2", true}}}}}, "IXSCAN { $_path: 1, a: 1 }"},
	{bson.D{{Key: "b.c", Value: bson.D{{Key: "$lt", Value: 3}}}}, "IXSCAN { $_path: 1, b.c: 1 }"},
	{bson.D{{Key: "b.c", Value: "s0"}}, "IXSCAN { $_path: 1, b.c: 1 }"},
	{bson.D{{Key: "b.d", Value: false}}, "IXSCAN { $_path: 1, b.d: 1 }"},
	{bson.D{{Key: "b", Value: 2.5}}, "IXSCAN { $_path: 1, b: 1 }"},
	{bson.D{{Key: "arr", Value: 1}}, "IXSCAN { $_path: 1, arr: 1 }"},
	{bson.D{{Key: "arr", Value: bson.D{{Key: "$gt", Value: 1}}}, {Key: "a", Value: 0}}, "IXSCAN { $_path: 1, a: 1 }"},
	// Not served: null and missing, whole documents and arrays, positions.
	{bson.D{{Key: "a", Value: nil}}, "COLLSCAN"},
	{bson.D{{Key: "a", Value: bson.D{{Key: "$exists", Value: false}}}}, "COLLSCAN"},
	{bson.D{{Key: "b", Value: bson.D{{Key: "c", Value: 1}}}}, "COLLSCAN"},
	{bson.D{{Key: "arr", Value: bson.A{1}}}, "COLLSCAN"},
	{bson.D{{Key: "b.0.c", Value: 1}}, "COLLSCAN"},
	{bson.D{{Key: "b", Value: bson.D{}}}, "COLLSCAN"},
}

// checkWildcardQueries runs every wildcard query through the planner and
// through a collection scan (in tx's view when tx is not nil) and fails
// on any difference.
func checkWildcardQueries(t testing.TB, e *engine.Engine, tx *engine.Txn, wantPlans bool) {
	t.Helper()
	for _, q := range wildcardQueries {
		spec := engine.FindSpec{Filter: doc(q.filter), Sort: doc(bson.D{{Key: "_id", Value: 1}})}
		got, st := findStats(t, e, tx, spec)
		spec.Hint = natural
		want, _ := findStats(t, e, tx, spec)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v: planned %s read\n%v\nthe collection scan\n%v", q.filter, st.PlanSummary, got, want)
		}
		if wantPlans && st.PlanSummary != q.plan {
			t.Fatalf("%v: plan %q, want %q", q.filter, st.PlanSummary, q.plan)
		}
	}
}

func TestWildcard_PlannerAgreesWithCollectionScan(t *testing.T) {
	e := openMem(t, engine.Options{})
	r := rand.New(rand.NewSource(1))
	var docs []bson.D
	for i := 0; i < 300; i++ {
		docs = append(docs, wildcardDoc(r, i))
	}
	mustInsert(t, e, docs[:150]...)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}}})
	mustInsert(t, e, docs[150:]...) // built, then maintained
	checkWildcardQueries(t, e, nil, true)
	// Updates and deletes move and remove entries.
	for i := 0; i < 100; i++ {
		d := wildcardDoc(r, i)
		if _, err := e.Update(context.Background(), nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: i}}),
			Update: doc(d[1:])}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Delete(context.Background(), nil, ns, doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 250}}}}), true, nil); err != nil {
		t.Fatal(err)
	}
	checkWildcardQueries(t, e, nil, true)
	d, err := e.DescribePlan(ns, doc(bson.D{{Key: "b.c", Value: 1}}))
	kp, _ := bson.Marshal(d.KeyPattern)
	bounds, _ := bson.Marshal(d.Bounds)
	if err != nil || d.IndexName != "$**_1" || bson.Raw(kp).String() != `{"$_path": {"$numberInt":"1"},"b.c": {"$numberInt":"1"}}` ||
		bson.Raw(bounds).String() != `{"$_path": ["[\"b.c\", \"b.c\"]"],"b.c": ["[1, 1]"]}` {
		t.Fatalf("DescribePlan = %+v, %v", d, err)
	}
}

func TestWildcard_SubtreeAndProjection(t *testing.T) {
	cases := []struct {
		name    string
		spec    engine.IndexSpec
		served  []string // paths the index serves
		ignored []string // paths it must not serve
	}{
		{"a subtree holds its root and the paths below it",
			engine.IndexSpec{Key: bson.D{{Key: "b.$**", Value: 1}}}, []string{"b", "b.c"}, []string{"a", "arr", "_id"}},
		{"an inclusion projection",
			engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}}, WildcardProjection: doc(bson.D{{Key: "b.c", Value: 1}, {Key: "arr", Value: true}})},
			[]string{"b.c", "arr"}, []string{"a", "b.d", "b"}},
		{"an exclusion projection",
			engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}}, WildcardProjection: doc(bson.D{{Key: "b", Value: bson.D{{Key: "d", Value: 0}}}})},
			[]string{"a", "b.c", "arr"}, []string{"b.d", "_id"}},
		{"_id included by the projection",
			engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}}, WildcardProjection: doc(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}})},
			[]string{"a"}, []string{"b.c"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := openMem(t, engine.Options{})
			r := rand.New(rand.NewSource(2))
			for i := 0; i < 100; i++ {
				mustInsert(t, e, wildcardDoc(r, i))
			}
			mustIndex(t, e, tc.spec)
			checkWildcardQueries(t, e, nil, false)
			for _, path := range tc.served {
				if d, _ := e.DescribePlan(ns, doc(bson.D{{Key: path, Value: 1}})); d.Stage != "IXSCAN" {
					t.Errorf("%s: plan %s, want the wildcard index", path, d.Summary)
				}
			}
			for _, path := range tc.ignored {
				if d, _ := e.DescribePlan(ns, doc(bson.D{{Key: path, Value: 1}})); d.Stage == "IXSCAN" && path != "_id" {
					t.Errorf("%s: plan %s, want no wildcard index", path, d.Summary)
				}
			}
			specs, err := e.ListIndexes(ns)
			if err != nil || len(specs) != 2 || string(specs[1].WildcardProjection) != string(tc.spec.WildcardProjection) {
				t.Fatalf("ListIndexes = %+v, %v", specs, err)
			}
		})
	}
}

func TestWildcard_RefusedSpecs(t *testing.T) {
	e := openMem(t, engine.Options{})
	star := bson.D{{Key: "$**", Value: 1}}
	proj := doc(bson.D{{Key: "a", Value: 1}})
	cases := []struct {
		name string
		spec engine.IndexSpec
		code codes.Code
	}{
		{"unique", engine.IndexSpec{Key: star, Unique: true}, codes.CannotCreateIndex},
		{"sparse", engine.IndexSpec{Key: star, Sparse: true}, codes.CannotCreateIndex},
		{"TTL", engine.IndexSpec{Key: star, TTL: true, ExpireAfterSeconds: 10}, codes.CannotCreateIndex},
		{"compound", engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}, {Key: "a", Value: 1}}}, codes.CannotCreateIndex},
		{"descending", engine.IndexSpec{Key: bson.D{{Key: "$**", Value: -1}}}, codes.CannotCreateIndex},
		{"two wildcards in a path", engine.IndexSpec{Key: bson.D{{Key: "a.$**.$**", Value: 1}}}, codes.CannotCreateIndex},
		{"a projection with a subtree", engine.IndexSpec{Key: bson.D{{Key: "a.$**", Value: 1}}, WildcardProjection: proj}, codes.FailedToParse},
		{"an empty projection", engine.IndexSpec{Key: star, WildcardProjection: doc(bson.D{})}, codes.FailedToParse},
		{"inclusion mixed with exclusion", engine.IndexSpec{Key: star, WildcardProjection: doc(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 0}})}, 31254},
		{"a computed field", engine.IndexSpec{Key: star, WildcardProjection: doc(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: "x"}})}, 51271},
		{"a projection on another index", engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}, WildcardProjection: proj}, codes.BadValue},
	}
	for _, tc := range cases {
		_, err := e.CreateIndex(context.Background(), nil, ns, tc.spec)
		if codes.CodeOf(err) != tc.code {
			t.Errorf("%s: err = %v, want code %d", tc.name, err, tc.code)
		}
	}
}

func TestWildcard_HintAndRestart(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 100; i++ {
		mustInsert(t, e, wildcardDoc(r, i))
	}
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}}, WildcardProjection: doc(bson.D{{Key: "b", Value: 0}})})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openMem(t, engine.Options{Dir: dir})
	checkWildcardQueries(t, e, nil, false)
	ids, st := findSpec(t, e, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 2}}), HintName: "$**_1", Sort: doc(bson.D{{Key: "_id", Value: 1}})})
	if st.PlanSummary != "IXSCAN { $_path: 1, a: 1 }" || st.DocsExamined != int64(len(ids)) {
		t.Fatalf("hinted find: plan %q, %d documents examined for %d results", st.PlanSummary, st.DocsExamined, len(ids))
	}
	// A hint of a wildcard index with no predicate it serves is refused.
	if _, err := e.Find(context.Background(), nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "b.c", Value: 1}}), HintName: "$**_1"}, nil); codes.CodeOf(err) != codes.BadValue {
		t.Fatalf("hint on an excluded path: err = %v, want BadValue", err)
	}
}

// TestWildcard_ConcurrentWriters rewrites documents while readers compare,
// in one transaction's snapshot, what the wildcard index finds with what a
// collection scan finds.
func TestWildcard_ConcurrentWriters(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "$**", Value: 1}}})
	r := rand.New(rand.NewSource(4))
	const n = 60
	for i := 0; i < n; i++ {
		mustInsert(t, e, wildcardDoc(r, i))
	}
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			for !stop.Load() {
				id := r.Intn(n)
				d := wildcardDoc(r, id)
				if r.Intn(5) == 0 {
					_, _ = e.Delete(ctx, nil, ns, doc(bson.D{{Key: "_id", Value: id}}), false, nil)
					_, _ = e.Insert(ctx, nil, ns, []bson.Raw{doc(d)}, true, nil)
					continue
				}
				_, _ = e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}), Update: doc(d[1:])}, nil)
			}
		}(int64(10 + w))
	}
	for i := 0; i < 15; i++ {
		tx := e.Begin()
		checkWildcardQueries(t, e, tx, false)
		tx.Abort()
	}
	stop.Store(true)
	wg.Wait()
	checkWildcardQueries(t, e, nil, true)
}
