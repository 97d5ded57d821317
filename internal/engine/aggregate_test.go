package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// TestAggregate_StageMemoryLimit: with the engine's stage limit lowered, a
// $sort over more than it spills and returns every document in order, and
// with allowDiskUse: false fails with QueryExceededMemoryLimitNoDiskUseAllowed.
func TestAggregate_StageMemoryLimit(t *testing.T) {
	e := openMem(t, engine.Options{StageMemoryLimit: 4 << 10, SpillDir: t.TempDir()})
	ctx := context.Background()
	const n = 300
	docs := make([]bson.D, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "k", Value: (i * 7) % n}}
	}
	mustInsert(t, e, docs...)
	pipeline := []bson.Raw{doc(bson.D{{Key: "$sort", Value: bson.D{{Key: "k", Value: 1}}}})}
	out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%d documents, want %d", len(out), n)
	}
	for i, d := range out {
		if k := d.Lookup("k").Int32(); k != int32(i) {
			t.Fatalf("document %d has k %d", i, k)
		}
	}
	_, err = e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline, NoDiskUse: true}, nil)
	if codes.CodeOf(err) != codes.QueryExceededMemoryLimitNoDiskUseAllowed {
		t.Fatalf("allowDiskUse false: %v, want code 292", err)
	}
}

// TestAggregate_LookupReadsIndex: an equality $lookup on an indexed
// foreignField examines only the matching foreign documents, not the
// foreign collection once per outer document.
func TestAggregate_LookupReadsIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	foreign := engine.Namespace{DB: ns.DB, Coll: "f"}
	if _, err := e.CreateIndex(ctx, nil, foreign, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	var fdocs []bson.Raw
	for i := range 1000 {
		fdocs = append(fdocs, doc(bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}}))
	}
	if _, err := e.Insert(ctx, nil, foreign, fdocs, true, nil); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "fk", Value: 5}}, bson.D{{Key: "_id", Value: 2}, {Key: "fk", Value: bson.A{7, 8}}})
	pipeline := []bson.Raw{doc(bson.D{{Key: "$lookup", Value: bson.D{
		{Key: "from", Value: "f"}, {Key: "localField", Value: "fk"}, {Key: "foreignField", Value: "k"}, {Key: "as", Value: "m"},
	}}})}
	var st engine.Stats
	out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, &st)
	if err != nil || len(out) != 2 {
		t.Fatalf("%v %v", out, err)
	}
	for i, want := range []int{1, 2} {
		if m, _ := out[i].Lookup("m").Array().Values(); len(m) != want {
			t.Fatalf("document %d joined %d, want %d: %v", i, len(m), want, out[i])
		}
	}
	// 2 outer documents scanned, then 1 + 2 foreign ones through the index.
	if st.DocsExamined != 5 || st.PlanSummary != "COLLSCAN" {
		t.Fatalf("docsExamined %d, planSummary %q: want 5 and the outer collection's COLLSCAN", st.DocsExamined, st.PlanSummary)
	}

	// The pipeline form with a correlated equality on a let variable reads
	// through the index too: the outer document by _id, then its one
	// foreign document.
	pipeline = []bson.Raw{doc(bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: 1}}}}), doc(bson.D{{Key: "$lookup", Value: bson.D{
		{Key: "from", Value: "f"},
		{Key: "let", Value: bson.D{{Key: "fk", Value: "$fk"}}},
		{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$fk"}}}}}}}}},
		{Key: "as", Value: "m"},
	}}})}
	st = engine.Stats{}
	out, err = e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, &st)
	if err != nil || len(out) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	if m, _ := out[0].Lookup("m").Array().Values(); len(m) != 1 || m[0].Document().Lookup("k").Int32() != 5 {
		t.Fatalf("pipeline form joined %v", out[0])
	}
	if st.DocsExamined != 2 {
		t.Fatalf("pipeline form: docsExamined %d, want 2", st.DocsExamined)
	}
}

// TestAggregate_LookupLetBindsVariables: a pipeline $lookup's let
// variables are bound per outer document, including for a nested $lookup
// that reads the outer variable.
func TestAggregate_LookupLetBindsVariables(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	foreign := engine.Namespace{DB: ns.DB, Coll: "f"}
	if _, err := e.Insert(ctx, nil, foreign, []bson.Raw{
		doc(bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: "a"}, {Key: "q", Value: 5}}),
		doc(bson.D{{Key: "_id", Value: 2}, {Key: "k", Value: "a"}, {Key: "q", Value: 1}}),
		doc(bson.D{{Key: "_id", Value: 3}, {Key: "k", Value: "b"}, {Key: "q", Value: 9}}),
	}, true, nil); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: "a"}, {Key: "min", Value: 2}}, bson.D{{Key: "_id", Value: 2}, {Key: "k", Value: "b"}, {Key: "min", Value: 0}})
	pipeline := []bson.Raw{doc(bson.D{{Key: "$lookup", Value: bson.D{
		{Key: "from", Value: "f"},
		{Key: "let", Value: bson.D{{Key: "key", Value: "$k"}, {Key: "min", Value: "$min"}}},
		{Key: "pipeline", Value: bson.A{
			bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$and", Value: bson.A{
				bson.D{{Key: "$eq", Value: bson.A{"$k", "$$key"}}},
				bson.D{{Key: "$gte", Value: bson.A{"$q", "$$min"}}},
			}}}}}}},
			bson.D{{Key: "$lookup", Value: bson.D{
				{Key: "from", Value: "f"},
				{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$key"}}}}}}}}},
				{Key: "as", Value: "same"},
			}}},
			bson.D{{Key: "$project", Value: bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: bson.D{{Key: "$size", Value: "$same"}}}}}},
		}},
		{Key: "as", Value: "m"},
	}}})}
	out, err := e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
	if err != nil || len(out) != 2 {
		t.Fatalf("%v %v", out, err)
	}
	want := []string{`[{"_id": {"$numberInt":"1"},"n": {"$numberInt":"2"}}]`, `[{"_id": {"$numberInt":"3"},"n": {"$numberInt":"1"}}]`}
	for i, w := range want {
		if got := out[i].Lookup("m").String(); got != w {
			t.Fatalf("document %d: m = %s, want %s", i, got, w)
		}
	}
}

// TestAggregate_ScanLendsDocuments: a collection scan that lends its stored
// bytes to a $group (which keeps nothing of them) and gives copies to the
// stages that keep documents ($sort) returns the same results as before,
// over sstables and with a transaction's own writes merged in. A leading
// $match, which the scan applies (the stage itself is skipped), leaves the
// same result and counts each document examined once. (That $group keeps
// nothing it borrowed is TestPipeline_BorrowedInput's check.) The
// collection is long enough for the $group's scan to move to a prefetching
// goroutine part of the way through, over several batches; an error in the
// $group while that goroutine reads stops it (goleak checks that it is
// gone).
func TestAggregate_ScanLendsDocuments(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	const n = 9000
	pad := strings.Repeat("p", 100)
	docs := make([]bson.D, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "g", Value: fmt.Sprintf("g%d", i%7)}, {Key: "v", Value: i}, {Key: "pad", Value: pad}}
	}
	mustInsert(t, e, docs...)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	group := doc(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$g"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		{Key: "max", Value: bson.D{{Key: "$max", Value: "$v"}}}, {Key: "last", Value: bson.D{{Key: "$last", Value: "$pad"}}}}}})
	sortDesc := doc(bson.D{{Key: "$sort", Value: bson.D{{Key: "v", Value: -1}}}})
	match := doc(bson.D{{Key: "$match", Value: bson.D{{Key: "v", Value: bson.D{{Key: "$gte", Value: 10}}}}}})

	tx := e.Begin()
	defer tx.Abort()
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: n}, {Key: "g", Value: "own"}, {Key: "v", Value: n}, {Key: "pad", Value: pad}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		tx      *engine.Txn
		docs    int // documents of the view
		matched int // of them, those the $match keeps
	}{
		{"committed", nil, n, n - 10},
		{"own writes", tx, n + 1, n + 1 - 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, withMatch := range []bool{false, true} {
				want := c.docs
				var pipeline []bson.Raw
				if withMatch {
					want, pipeline = c.matched, []bson.Raw{match}
				}
				st := &engine.Stats{}
				out, err := e.Aggregate(ctx, c.tx, ns, engine.AggregateSpec{Pipeline: append(pipeline, group)}, st)
				if err != nil {
					t.Fatal(err)
				}
				total := int32(0)
				for _, d := range out {
					id := d.Lookup("_id").StringValue()
					total += d.Lookup("n").Int32()
					if d.Lookup("last").StringValue() != pad {
						t.Fatalf("group %s: last pad %q", id, d.Lookup("last").StringValue())
					}
					if max := d.Lookup("max").Int32(); id != "own" && fmt.Sprintf("g%d", max%7) != id {
						t.Fatalf("group %s: max %d", id, max)
					}
				}
				if int(total) != want || st.DocsExamined != int64(c.docs) {
					t.Fatalf("match %v: %d documents grouped, %d examined; want %d and %d", withMatch, total, st.DocsExamined, want, c.docs)
				}
				sorted, err := e.Aggregate(ctx, c.tx, ns, engine.AggregateSpec{Pipeline: append(pipeline, sortDesc)}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(sorted) != want {
					t.Fatalf("match %v: $sort returned %d documents, want %d", withMatch, len(sorted), want)
				}
				for i, d := range sorted {
					if v := d.Lookup("v").Int32(); v != int32(c.docs-1-i) || d.Lookup("pad").StringValue() != pad {
						t.Fatalf("match %v: sorted document %d is %v", withMatch, i, d)
					}
				}
			}
			// 1 / (v - 8000) fails at the document v = 8000.
			failing := doc(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "s", Value: bson.D{{Key: "$sum",
				Value: bson.D{{Key: "$divide", Value: bson.A{1, bson.D{{Key: "$subtract", Value: bson.A{"$v", 8000}}}}}}}}}}}})
			if _, err := e.Aggregate(ctx, c.tx, ns, engine.AggregateSpec{Pipeline: []bson.Raw{failing}}, nil); err == nil {
				t.Fatal("division by zero in the $group: no error")
			}
		})
	}
}

// TestAggregate_PrefetchLargeDocuments: a $group over documents large
// enough for the prefetching scan's batches to end on their byte bound
// (a few dozen documents each) sees every document once.
func TestAggregate_PrefetchLargeDocuments(t *testing.T) {
	e := openMem(t, engine.Options{})
	const n = 4800 // the last 704 prefetched, about 128 to a batch
	pad := strings.Repeat("x", 2<<10)
	docs := make([]bson.D, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "v", Value: int64(i)}, {Key: "pad", Value: pad}}
	}
	mustInsert(t, e, docs...)
	group := doc(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		{Key: "total", Value: bson.D{{Key: "$sum", Value: "$v"}}}, {Key: "bytes", Value: bson.D{{Key: "$sum", Value: bson.D{{Key: "$strLenBytes", Value: "$pad"}}}}}}}})
	out, err := e.Aggregate(context.Background(), nil, ns, engine.AggregateSpec{Pipeline: []bson.Raw{group}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Lookup("n").Int32() != n || out[0].Lookup("total").Int64() != n*(n-1)/2 || out[0].Lookup("bytes").Int32() != int32(n*len(pad)) {
		t.Fatalf("got %v", out)
	}
}
