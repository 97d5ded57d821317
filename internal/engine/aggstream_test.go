package engine_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/collation"
)

// stages encodes a pipeline.
func stages(ds ...bson.D) []bson.Raw {
	out := make([]bson.Raw, len(ds))
	for i, d := range ds {
		out[i] = doc(d)
	}
	return out
}

// TestAggregateBatches_AsAggregate checks that a batched pipeline with no writes beside it gives what Aggregate
// gives: per-document stages, blocking ones, $lookup, $facet, a collation, let variables, a view, and the
// pipelines read whole ($unionWith), in input batches of 1, 7 and the default.
func TestAggregateBatches_AsAggregate(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	other := engine.Namespace{DB: ns.DB, Coll: "other"}
	for i := range 2500 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 7}, {Key: "s", Value: fmt.Sprint("S", i%4)},
			{Key: "arr", Value: bson.A{i, i + 1}}})
	}
	for i := range 7 {
		if _, err := e.Insert(ctx, nil, other, []bson.Raw{doc(bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}, {Key: "name", Value: fmt.Sprint("k", i)}})}, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	view := engine.Namespace{DB: ns.DB, Coll: "v"}
	vp := doc(bson.D{{Key: "p", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: bson.D{{Key: "$lt", Value: 3}}}}}}}}}).Lookup("p").Value
	if err := e.CreateCollectionWithOptions(ctx, nil, view, engine.CollOptions{ViewOn: ns.Coll, Pipeline: vp}); err != nil {
		t.Fatal(err)
	}
	ci, err := collation.Parse(doc(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}))
	if err != nil {
		t.Fatal(err)
	}
	lctx, err := engine.WithLet(ctx, doc(bson.D{{Key: "x", Value: 3}}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		on   engine.Namespace
		spec engine.AggregateSpec
	}{
		{ns, engine.AggregateSpec{}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: 3}}}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 100}}}}}},
			bson.D{{Key: "$project", Value: bson.D{{Key: "s", Value: 1}}}}, bson.D{{Key: "$skip", Value: 7}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$k"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
			bson.D{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$sort", Value: bson.D{{Key: "s", Value: -1}, {Key: "_id", Value: 1}}}}, bson.D{{Key: "$limit", Value: 1100}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$unwind", Value: "$arr"}}, bson.D{{Key: "$skip", Value: 5}}, bson.D{{Key: "$limit", Value: 3000}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "other"}, {Key: "localField", Value: "k"},
			{Key: "foreignField", Value: "k"}, {Key: "as", Value: "o"}}}}, bson.D{{Key: "$limit", Value: 50}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$facet", Value: bson.D{{Key: "a", Value: bson.A{bson.D{{Key: "$count", Value: "n"}}}},
			{Key: "b", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: 1}}}}, bson.D{{Key: "$limit", Value: 2}}}}}}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "s", Value: "s1"}}}}), Collation: ci}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 1}}}}}},
			bson.D{{Key: "$match", Value: bson.D{{Key: "s", Value: "s2"}}}}), Collation: ci}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$x"}}}}}}})}},
		{view, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$project", Value: bson.D{{Key: "k", Value: 1}}}})}},
		{ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: 6}}}}, bson.D{{Key: "$unionWith", Value: "other"}})}},
	}
	for i, c := range cases {
		want, err := e.Aggregate(lctx, nil, c.on, c.spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("case %d gives nothing: a poor test", i)
		}
		for _, size := range []int{1, 7, 0} {
			s, err := e.AggregateBatches(lctx, c.on, c.spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if size > 0 {
				s.SetBatch(size)
			}
			got := drain(t, s)
			if len(got) != len(want) {
				t.Fatalf("case %d (batches of %d): %d documents, Aggregate %d", i, size, len(got), len(want))
			}
			for j := range got {
				if !bytesEqual(got[j], want[j]) {
					t.Fatalf("case %d (batches of %d), document %d: %v, Aggregate %v", i, size, j, got[j], want[j])
				}
			}
		}
	}
}

// TestAggregateBatches_EachCallItsOwnContext checks that a batched pipeline outlives the context it was opened
// with (a command's, done when its first batch is sent) and that each Next is bounded by its own: an expired one
// fails that call.
func TestAggregateBatches_EachCallItsOwnContext(t *testing.T) {
	e := openMem(t, engine.Options{})
	for i := range 3000 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 3}})
	}
	opened, cancel := context.WithCancel(context.Background())
	lctx, err := engine.WithLet(opened, doc(bson.D{{Key: "x", Value: 2}}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.AggregateBatches(lctx, ns, engine.AggregateSpec{Pipeline: stages(
		bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$x"}}}}}}})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetBatch(10)
	if d, err := s.Next(lctx); err != nil || d == nil {
		t.Fatalf("first: %v", err)
	}
	cancel()
	expired, stop := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer stop()
	var ce *codes.Error
	for range 300 { // enough documents to pass a context check
		if _, err = s.Next(expired); err != nil {
			break
		}
	}
	if !errors.As(err, &ce) || ce.Code != codes.MaxTimeMSExpired {
		t.Fatalf("Next with an expired context: %v, want MaxTimeMSExpired", err)
	}
	s.Close()

	s, err = e.AggregateBatches(lctx, ns, engine.AggregateSpec{Pipeline: stages(
		bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$x"}}}}}}})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		d, err := s.Next(context.Background()) // the let variables stay those of the canceled context
		if err != nil {
			t.Fatal(err)
		}
		if d == nil {
			break
		}
		if intField(t, d, "k") != 2 {
			t.Fatalf("document %v", d)
		}
		n++
	}
	if n != 1000 {
		t.Fatalf("%d documents, want 1000", n)
	}
	s.Close()
}

// TestAggregateBatches_ReadsTheLatestState checks that a batched pipeline's later batches see the writes
// committed meanwhile, and that it holds no snapshot between calls.
func TestAggregateBatches_ReadsTheLatestState(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 100 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: "old"}})
	}
	before := e.OpenSnapshots()
	s, err := e.AggregateBatches(ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$project", Value: bson.D{{Key: "v", Value: 1}}}})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetBatch(10)
	if d, err := s.Next(ctx); err != nil || d == nil {
		t.Fatalf("first: %v", err)
	}
	if n := e.OpenSnapshots(); n != before {
		t.Fatalf("%d snapshots open between calls, %d before", n, before)
	}
	if _, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 50}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: "new"}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range drain(t, s) {
		if id := intField(t, d, "_id"); id == 50 && d.Lookup("v").StringValue() != "new" {
			t.Fatalf("document 50 read as %v", d)
		}
	}
}

// TestAggregate_SortPushedDown checks a $sort after the leading $match (or leading) that an index's order, or
// _id's, gives: the scan reads in that order and stops at the $limit (docsExamined), in Aggregate and in a batched
// AggregateBatches (which then streams it, where a sort no plan gives is read whole), with the same documents as
// the pipeline run in memory over the collection: ties in _id order (read forwards), arrays of a multikey index by their least or
// greatest element, and a transaction's own writes.
func TestAggregate_SortPushedDown(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	var all []bson.Raw
	for i := range 1000 {
		d := bson.D{{Key: "_id", Value: int32(i)}, {Key: "k", Value: int32(i % 7)}, {Key: "s", Value: fmt.Sprint("S", (i*13)%10)},
			{Key: "m", Value: int32(i % 5)}, {Key: "u", Value: int32((i * 37) % 1000)}}
		if i%100 == 0 {
			d[3].Value = bson.A{int32(i % 3), int32(9 - i%4)} // makes {m: 1} multikey
		}
		mustInsert(t, e, d)
		all = append(all, doc(d))
	}
	for _, key := range []string{"k", "m", "u"} {
		if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: key, Value: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	match := func(f bson.D) bson.D { return bson.D{{Key: "$match", Value: f}} }
	sortBy := func(s ...bson.E) bson.D { return bson.D{{Key: "$sort", Value: bson.D(s)}} }
	limit := func(n int) bson.D { return bson.D{{Key: "$limit", Value: n}} }
	gte2 := match(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 2}}}})
	for _, c := range []struct {
		name     string
		pipeline []bson.Raw
		examined int64 // by Aggregate
	}{
		{"match-sort-limit", stages(gte2, sortBy(bson.E{Key: "k", Value: 1}), limit(5)), 5},
		{"sort-backwards", stages(sortBy(bson.E{Key: "u", Value: -1}), bson.D{{Key: "$skip", Value: 3}}, limit(5)), 8},
		{"sort-id", stages(sortBy(bson.E{Key: "_id", Value: 1}), limit(4)), 4},
		{"sort-id-descending", stages(sortBy(bson.E{Key: "_id", Value: -1}), limit(4)), 4},
		{"match-sort-id", stages(match(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 500}}}}), sortBy(bson.E{Key: "_id", Value: 1}), limit(4)), 4},
		{"sort-all", stages(gte2, sortBy(bson.E{Key: "k", Value: 1}), bson.D{{Key: "$project", Value: bson.D{{Key: "s", Value: 0}}}}), 714},
		{"not-indexed", stages(sortBy(bson.E{Key: "s", Value: 1}), limit(5)), 1000},
		{"multikey", stages(sortBy(bson.E{Key: "m", Value: -1}), limit(12)), 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := agg.Compile(c.pipeline)
			if err != nil {
				t.Fatal(err)
			}
			want, err := p.Run(ctx, all, nil)
			if err != nil {
				t.Fatal(err)
			}
			var st engine.Stats
			got, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: c.pipeline}, &st)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("Aggregate:\n got %v\nwant %v", got, want)
			}
			if st.DocsExamined != c.examined {
				t.Fatalf("Aggregate examined %d documents, want %d", st.DocsExamined, c.examined)
			}
			st = engine.Stats{}
			s, err := e.AggregateBatches(ctx, ns, engine.AggregateSpec{Pipeline: c.pipeline}, &st)
			if err != nil {
				t.Fatal(err)
			}
			s.SetBatch(10)
			if d, err := s.Next(ctx); err != nil || !bytesEqual(d, want[0]) {
				t.Fatalf("AggregateBatches' first document %v (%v), want %v", d, err, want[0])
			}
			if pushed := c.examined < 1000; pushed != (st.DocsExamined <= 10) {
				t.Fatalf("AggregateBatches examined %d documents for its first, pushed down %v", st.DocsExamined, pushed)
			}
			if got := append([]bson.Raw{want[0]}, drain(t, s)...); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("AggregateBatches:\n got %v\nwant %v", got, want)
			}
		})
	}
	// A transaction's own writes come before the index's order would put them: the $sort sorts.
	tx := e.Begin()
	defer tx.Abort()
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: int32(5000)}, {Key: "k", Value: int32(-1)}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.Aggregate(ctx, tx, ns, engine.AggregateSpec{Pipeline: stages(sortBy(bson.E{Key: "k", Value: 1}), limit(2))}, nil)
	if err != nil || len(got) != 2 || got[0].Lookup("_id").Int32() != 5000 || got[1].Lookup("_id").Int32() != 0 {
		t.Fatalf("in a transaction that wrote: %v, %v; want _ids 5000 and 0", got, err)
	}
}

// TestPlan_IndexNewerThanSnapshot: a read of a snapshot taken before an index was built (a transaction's, a
// ReadSnapshot's) does not plan on that index, whose entries the snapshot does not hold: a $sort, a find's sort,
// a filter on its field and a hint of it read the documents the snapshot has (a hint of it is BadValue, as for
// an index that is not there), while reads of the latest state use it.
func TestPlan_IndexNewerThanSnapshot(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 5 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: int32(i)}, {Key: "k", Value: int32(10 - i)}})
	}
	tx := e.Begin()
	defer tx.Abort()
	if got := findAll(t, e, tx, nil); len(got) != 5 { // the transaction's snapshot
		t.Fatalf("%d documents", len(got))
	}
	rs, err := e.NewReadSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	byK := doc(bson.D{{Key: "k", Value: 1}})
	check := func(name string, tx *engine.Txn, ctx context.Context) {
		t.Helper()
		got, err := e.Aggregate(ctx, tx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$sort", Value: bson.D{{Key: "k", Value: 1}}}}, bson.D{{Key: "$limit", Value: 3}})}, nil)
		if err != nil || len(got) != 3 || got[0].Lookup("_id").Int32() != 4 {
			t.Fatalf("%s: Aggregate [$sort, $limit]: %v %v", name, got, err)
		}
		got, err = e.Find(ctx, tx, ns, engine.FindSpec{Sort: byK}, nil)
		if err != nil || len(got) != 5 || got[0].Lookup("_id").Int32() != 4 {
			t.Fatalf("%s: Find sorted by k: %v %v", name, got, err)
		}
		var st engine.Stats
		got, err = e.Find(ctx, tx, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: 8}})}, &st)
		if err != nil || len(got) != 1 || got[0].Lookup("_id").Int32() != 2 || st.PlanSummary != "COLLSCAN" {
			t.Fatalf("%s: Find {k: 8}: %v %v, plan %q", name, got, err, st.PlanSummary)
		}
		_, err = e.Find(ctx, tx, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: 8}}), Hint: byK}, nil)
		if c, ok := codes.As(err); !ok || c.Code != codes.BadValue {
			t.Fatalf("%s: Find hinted to the newer index: %v, want BadValue", name, err)
		}
	}
	check("transaction", tx, ctx)
	check("read snapshot", nil, engine.WithReadSnapshot(ctx, rs))
	var st engine.Stats
	if got, err := e.Find(ctx, nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: 8}})}, &st); err != nil || len(got) != 1 || st.PlanSummary != "IXSCAN { k: 1 }" {
		t.Fatalf("latest state: %v %v, plan %q", got, err, st.PlanSummary)
	}
	tx2 := e.Begin() // a snapshot taken after the index: it is used
	defer tx2.Abort()
	st = engine.Stats{}
	if got, err := e.Find(ctx, tx2, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: 8}})}, &st); err != nil || len(got) != 1 || st.PlanSummary != "IXSCAN { k: 1 }" {
		t.Fatalf("a later transaction: %v %v, plan %q", got, err, st.PlanSummary)
	}
}
