package engine_test

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
)

// fieldsOf returns a document's fields by name, so results can be compared
// whatever their field order (a covered read writes fields in index order,
// as mongod does).
func fieldsOf(t testing.TB, d bson.Raw) map[string]bson.RawValue {
	t.Helper()
	elems, err := d.Elements()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bson.RawValue{}
	for _, e := range elems {
		out[e.Key()] = e.Value()
	}
	return out
}

// sameResults fails unless got and want hold the same documents, field by
// field with the same BSON types and bytes, in the same order.
func sameResults(t testing.TB, got, want []bson.Raw) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d documents, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range got {
		g, w := fieldsOf(t, got[i]), fieldsOf(t, want[i])
		if len(g) != len(w) {
			t.Fatalf("document %d: got %v, want %v", i, got[i], want[i])
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || gv.Type != wv.Type || string(gv.Value) != string(wv.Value) {
				t.Fatalf("document %d field %s: got %v (%v), want %v (%v)", i, k, gv, gv.Type, wv, wv.Type)
			}
		}
	}
}

// findStats runs a find and returns its documents and statistics.
func findStats(t testing.TB, e *engine.Engine, tx *engine.Txn, spec engine.FindSpec) ([]bson.Raw, engine.Stats) {
	t.Helper()
	var st engine.Stats
	out, err := e.Find(context.Background(), tx, ns, spec, &st)
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	return out, st
}

// natural is the hint that forces a collection scan: the fetching read a
// covered one must agree with.
var natural = doc(bson.D{{Key: "$natural", Value: 1}})

func TestCover_FindAnswersFromIndexWithExactTypes(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}})
	dec, _ := bson.ParseDecimal128("5.00")
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: int32(5)}, {Key: "b", Value: "x"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: int64(5)}, {Key: "b", Value: bson.Symbol("w")}},
		bson.D{{Key: "_id", Value: 3}, {Key: "a", Value: 5.0}, {Key: "b", Value: bson.D{{Key: "n", Value: int64(1)}}}},
		bson.D{{Key: "_id", Value: 4}, {Key: "a", Value: dec}},
		bson.D{{Key: "_id", Value: 5}, {Key: "a", Value: 6.5}, {Key: "b", Value: nil}},
		bson.D{{Key: "_id", Value: 6}, {Key: "b", Value: int32(7)}, {Key: "a", Value: int32(7)}, {Key: "c", Value: 1}},
		bson.D{{Key: "_id", Value: 7}, {Key: "a", Value: "five"}},
	)
	cases := []struct {
		name             string
		filter, sort     bson.D
		proj             bson.D
		covered          bool
		wantDocsExamined int64
	}{
		{name: "equality on numbers returns each document's own numeric type",
			filter: bson.D{{Key: "a", Value: 5}}, proj: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}, {Key: "_id", Value: 0}}, covered: true},
		{name: "a range with a sort on the index fields",
			filter: bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 5}}}}, sort: bson.D{{Key: "a", Value: -1}, {Key: "b", Value: -1}},
			proj: bson.D{{Key: "b", Value: 1}, {Key: "_id", Value: 0}}, covered: true},
		{name: "a missing field stays missing, not null",
			filter: bson.D{{Key: "a", Value: bson.D{{Key: "$gt", Value: 5.5}}}}, proj: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}, {Key: "_id", Value: 0}}, covered: true},
		{name: "a filter on a second index field is applied to the entries",
			filter: bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 0}}}, {Key: "b", Value: bson.D{{Key: "$type", Value: "string"}}}},
			proj:   bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}}, covered: true},
		{name: "_id is fetched when not excluded",
			filter: bson.D{{Key: "a", Value: 5}}, proj: bson.D{{Key: "a", Value: 1}}, wantDocsExamined: 4},
		{name: "a projected field outside the index needs the document",
			filter: bson.D{{Key: "a", Value: 7}}, proj: bson.D{{Key: "c", Value: 1}, {Key: "_id", Value: 0}}, wantDocsExamined: 1},
		{name: "a filter field outside the index needs the document",
			filter: bson.D{{Key: "a", Value: 7}, {Key: "c", Value: 1}}, proj: bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}}, wantDocsExamined: 1},
		{name: "null equality on a non-sparse index is not covered",
			filter: bson.D{{Key: "a", Value: 5}, {Key: "b", Value: nil}}, proj: bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}}, wantDocsExamined: 1},
		{name: "no projection returns whole documents",
			filter: bson.D{{Key: "a", Value: 7}}, wantDocsExamined: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := engine.FindSpec{Filter: doc(tc.filter)}
			if tc.sort != nil {
				spec.Sort = doc(tc.sort)
			}
			if tc.proj != nil {
				spec.Projection = doc(tc.proj)
			}
			got, st := findStats(t, e, nil, spec)
			spec.Hint = natural
			want, _ := findStats(t, e, nil, spec)
			if tc.sort == nil {
				// Index order and _id order differ; compare in _id-free form sorted by bytes.
				sortRaw(got)
				sortRaw(want)
			}
			sameResults(t, got, want)
			if tc.covered {
				if st.DocsExamined != 0 || st.KeysExamined == 0 || len(got) == 0 {
					t.Fatalf("covered read examined %d documents and %d keys for %d results", st.DocsExamined, st.KeysExamined, len(got))
				}
				d, err := e.DescribeFind(context.Background(), ns, engine.FindSpec{Filter: spec.Filter, Sort: spec.Sort, Projection: spec.Projection})
				if err != nil || !d.Covered || d.Stage != "IXSCAN" {
					t.Fatalf("DescribeFind = %+v, %v; want a covered IXSCAN", d, err)
				}
				return
			}
			if st.DocsExamined != tc.wantDocsExamined {
				t.Fatalf("docsExamined = %d, want %d", st.DocsExamined, tc.wantDocsExamined)
			}
		})
	}
}

// sortRaw orders documents by their bytes.
func sortRaw(ds []bson.Raw) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && string(ds[j]) < string(ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func TestCover_UpdateKeepingTheKeyRewritesTheStoredType(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: int32(5)}})
	// 5 and 5.0 share a key: only the stored value says which it is.
	if _, err := e.Update(context.Background(), nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 1}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 5.0}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	got, st := findStats(t, e, nil, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 5}}),
		Projection: doc(bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}})})
	if st.DocsExamined != 0 || len(got) != 1 || got[0].Lookup("a").Type != bson.TypeDouble {
		t.Fatalf("got %v (docsExamined %d), want {a: 5.0} of type double from the index", got, st.DocsExamined)
	}
}

func TestCover_MultikeyIndexFetches(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: int32(5)}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: bson.A{int32(5), int32(6)}}})
	spec := engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 5}}), Projection: doc(bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}})}
	got, st := findStats(t, e, nil, spec)
	spec.Hint = natural
	want, _ := findStats(t, e, nil, spec)
	sortRaw(got)
	sortRaw(want)
	sameResults(t, got, want)
	if st.DocsExamined != 2 {
		t.Fatalf("docsExamined = %d, want 2: a multikey index covers nothing", st.DocsExamined)
	}
	if d, _ := e.DescribeFind(context.Background(), ns, spec); d.Covered {
		t.Fatal("DescribeFind says covered on a multikey index")
	}
}

func TestCover_DottedPathAndSparseIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "x.y", Value: 1}}, Sparse: true})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: bson.D{{Key: "y", Value: int64(3)}, {Key: "z", Value: 1}}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: int32(4)}},
		bson.D{{Key: "_id", Value: 3}, {Key: "x", Value: bson.D{{Key: "y", Value: nil}}}})
	for _, f := range []bson.D{
		{{Key: "x.y", Value: bson.D{{Key: "$gt", Value: 0}}}},
		{{Key: "x.y", Value: bson.D{{Key: "$lte", Value: int64(3)}}}},
	} {
		spec := engine.FindSpec{Filter: doc(f), Projection: doc(bson.D{{Key: "x.y", Value: 1}, {Key: "_id", Value: 0}})}
		got, st := findStats(t, e, nil, spec)
		if st.DocsExamined != 0 {
			t.Fatalf("%v: docsExamined = %d, want 0", f, st.DocsExamined)
		}
		spec.Hint = natural
		want, _ := findStats(t, e, nil, spec)
		sameResults(t, got, want)
	}
}

func TestCover_AggregateMatchProject(t *testing.T) {
	e := openMem(t, engine.Options{})
	seedGrid(t, e)
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}})
	pipeline := []bson.Raw{
		doc(bson.D{{Key: "$match", Value: bson.D{{Key: "a", Value: 3}}}}),
		doc(bson.D{{Key: "$project", Value: bson.D{{Key: "b", Value: 1}, {Key: "_id", Value: 0}}}}),
		doc(bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "s", Value: bson.D{{Key: "$sum", Value: "$b"}}}}}}),
	}
	var st engine.Stats
	out, err := e.Aggregate(context.Background(), nil, ns, engine.AggregateSpec{Pipeline: pipeline}, &st)
	if err != nil {
		t.Fatal(err)
	}
	// b = i/10 for the ten documents with a = 3: 0+1+...+9.
	if len(out) != 1 || out[0].Lookup("s").Int32() != 45 {
		t.Fatalf("got %v, want s: 45", out)
	}
	if st.DocsExamined != 0 || st.KeysExamined != 10 {
		t.Fatalf("examined %d documents and %d keys, want 0 and 10", st.DocsExamined, st.KeysExamined)
	}
}

func TestCover_StatementCollationReturnsStringsNotSortKeys(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "n", Value: 1}, {Key: "s", Value: 1}}})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}, {Key: "s", Value: "Bé"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: 1}, {Key: "s", Value: "a"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: 2}, {Key: "s", Value: "be"}})
	coll, err := collation.Parse(doc(bson.D{{Key: "locale", Value: "fr"}, {Key: "strength", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	got, st := findStats(t, e, nil, engine.FindSpec{Filter: doc(bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: 1}}}, {Key: "s", Value: "BE"}}),
		Sort: doc(bson.D{{Key: "s", Value: 1}}), Projection: doc(bson.D{{Key: "s", Value: 1}, {Key: "_id", Value: 0}}), Collation: coll})
	if st.DocsExamined != 0 || len(got) != 2 || got[0].Lookup("s").StringValue() != "Bé" || got[1].Lookup("s").StringValue() != "be" {
		t.Fatalf("got %v (docsExamined %d), want the stored strings Bé and be", got, st.DocsExamined)
	}
}

func TestCover_RestartKeepsExactValues(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}}})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: int64(9)}})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = openMem(t, engine.Options{Dir: dir})
	got, st := findStats(t, e, nil, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 9}}),
		Projection: doc(bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}})})
	if st.DocsExamined != 0 || len(got) != 1 || got[0].Lookup("a").Type != bson.TypeInt64 {
		t.Fatalf("got %v (docsExamined %d), want {a: NumberLong(9)} from the index", got, st.DocsExamined)
	}
}

// TestCover_ConcurrentWritersSnapshotConsistency moves amounts between
// documents in transactions while readers check that a covered read sees
// one point in time (the total is conserved) and, inside a transaction,
// exactly what a fetching read of the same snapshot sees.
func TestCover_ConcurrentWritersSnapshotConsistency(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "g", Value: 1}, {Key: "v", Value: 1}}})
	const n, total = 20, 2000
	var docs []bson.D
	for i := 0; i < n; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "g", Value: 1}, {Key: "v", Value: int64(total / n)}})
	}
	mustInsert(t, e, docs...)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			for !stop.Load() {
				from, to := r.Intn(n), r.Intn(n)
				if from == to {
					continue
				}
				amt := int64(r.Intn(5) + 1)
				tx := e.Begin()
				upd := func(id int, d int64) error {
					// Alternate the stored type: the covered read must follow it.
					_, err := e.Update(ctx, tx, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}),
						Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: d}}}})}, nil)
					return err
				}
				if err := upd(from, -amt); err != nil {
					tx.Abort()
					continue
				}
				if err := upd(to, amt); err != nil {
					tx.Abort()
					continue
				}
				_ = tx.Commit(ctx)
			}
		}(int64(w))
	}
	spec := engine.FindSpec{Filter: doc(bson.D{{Key: "g", Value: 1}}), Projection: doc(bson.D{{Key: "v", Value: 1}, {Key: "_id", Value: 0}})}
	sum := func(ds []bson.Raw) int64 {
		var s int64
		for _, d := range ds {
			s += d.Lookup("v").Int64()
		}
		return s
	}
	for i := 0; i < 200; i++ {
		got, st := findStats(t, e, nil, spec)
		if st.DocsExamined != 0 || sum(got) != total || len(got) != n {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("covered read %d: %d documents summing to %d (docsExamined %d), want %d summing to %d", i, len(got), sum(got), st.DocsExamined, n, total)
		}
		if i%10 == 0 {
			tx := e.Begin()
			cov, _ := findStats(t, e, tx, spec)
			fspec := spec
			fspec.Hint = natural
			fetched, _ := findStats(t, e, tx, fspec)
			tx.Abort()
			sortRaw(cov)
			sortRaw(fetched)
			if fmt.Sprint(cov) != fmt.Sprint(fetched) {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("in one transaction the covered read saw %v, the fetching read %v", cov, fetched)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
}
