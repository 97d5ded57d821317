package engine_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// ids returns the integer _ids of docs in order.
func ids(t testing.TB, docs []bson.Raw) []int64 {
	var out []int64
	for _, d := range docs {
		out = append(out, intField(t, d, "_id"))
	}
	return out
}

func equalIDs(a []int64, b ...int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFind_PlansAndIndexes(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 5}, {Key: "tags", Value: bson.A{"x", "y"}}, {Key: "s", Value: "b"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 7.5}, {Key: "tags", Value: bson.A{"y"}}, {Key: "s", Value: "a"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "a", Value: "str"}, {Key: "tags", Value: "z"}},
		bson.D{{Key: "_id", Value: 4}, {Key: "a", Value: int64(9)}, {Key: "s", Value: "c"}},
		bson.D{{Key: "_id", Value: 5}},
	)
	for _, spec := range []engine.IndexSpec{
		{Key: bson.D{{Key: "a", Value: 1}}},
		{Key: bson.D{{Key: "tags", Value: 1}}},
		{Key: bson.D{{Key: "s", Value: -1}, {Key: "a", Value: 1}}},
	} {
		if _, err := e.CreateIndex(ctx, nil, ns, spec); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		filter bson.D
		plan   string
		want   []int64
	}{
		{"idhack", bson.D{{Key: "_id", Value: 3}}, "IDHACK", []int64{3}},
		{"id in", bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{4, 1, 99}}}}}, "IXSCAN { _id: 1 }", []int64{1, 4}},
		{"id range", bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 3}}}}, "IXSCAN { _id: 1 }", []int64{4, 5}},
		{"eq numbers across types", bson.D{{Key: "a", Value: 9.0}}, "IXSCAN { a: 1 }", []int64{4}},
		{"range stays in type bracket", bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 6}}}}, "IXSCAN { a: 1 }", []int64{2, 4}},
		{"lt range", bson.D{{Key: "a", Value: bson.D{{Key: "$lt", Value: 7.5}}}}, "IXSCAN { a: 1 }", []int64{1}},
		{"multikey eq", bson.D{{Key: "tags", Value: "y"}}, "IXSCAN { tags: 1 }", []int64{1, 2}},
		{"multikey in dedups", bson.D{{Key: "tags", Value: bson.D{{Key: "$in", Value: bson.A{"x", "y"}}}}}, "IXSCAN { tags: 1 }", []int64{1, 2}},
		{"null matches missing", bson.D{{Key: "a", Value: nil}}, "IXSCAN { a: 1 }", []int64{5}},
		{"descending compound range", bson.D{{Key: "s", Value: bson.D{{Key: "$gt", Value: "a"}}}}, "IXSCAN { s: -1, a: 1 }", []int64{4, 1}},
		{"collscan", bson.D{{Key: "b", Value: bson.D{{Key: "$exists", Value: false}}}}, "COLLSCAN", []int64{1, 2, 3, 4, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var st engine.Stats
			out, err := e.Find(ctx, nil, ns, engine.FindSpec{Filter: doc(c.filter)}, &st)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(t, out)
			if c.name == "range stays in type bracket" || c.name == "multikey eq" || c.name == "multikey in dedups" {
				// index order: sort ids for comparison
				if len(got) == 2 && got[0] > got[1] {
					got[0], got[1] = got[1], got[0]
				}
			}
			if !equalIDs(got, c.want...) || st.PlanSummary != c.plan {
				t.Fatalf("got %v plan %q, want %v %q", got, st.PlanSummary, c.want, c.plan)
			}
			if st.NReturned != int64(len(c.want)) {
				t.Fatalf("nReturned %d", st.NReturned)
			}
		})
	}
}

func TestFind_SortSkipLimitProjection(t *testing.T) {
	e := openMem(t, engine.Options{})
	for i := 1; i <= 6; i++ {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: (i * 7) % 6}, {Key: "x", Value: "p"}})
	}
	out, err := e.Find(context.Background(), nil, ns, engine.FindSpec{
		Sort:       doc(bson.D{{Key: "v", Value: -1}}),
		Skip:       1,
		Limit:      3,
		Projection: doc(bson.D{{Key: "x", Value: 0}}),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// v values: 1->1 2->2 3->3 4->4 5->5 6->0; desc: 5,4,3,2,1,6; skip 1 limit 3 -> 4,3,2
	if got := ids(t, out); !equalIDs(got, 4, 3, 2) {
		t.Fatalf("got %v", got)
	}
	if _, err := out[0].LookupErr("x"); err == nil {
		t.Fatal("projection kept x")
	}
	n, err := e.Count(context.Background(), nil, ns, doc(bson.D{{Key: "v", Value: bson.D{{Key: "$gt", Value: 1}}}}), 1, 2, nil, nil)
	if err != nil || n != 2 {
		t.Fatalf("count %d %v", n, err)
	}
}

func TestDistinct_FlattensArrays(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "t", Value: bson.A{1, 2}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "t", Value: 2.0}},
		bson.D{{Key: "_id", Value: 3}, {Key: "t", Value: "a"}},
		bson.D{{Key: "_id", Value: 4}},
	)
	vals, err := e.Distinct(context.Background(), nil, ns, "t", nil, nil, nil)
	if err != nil || len(vals) != 3 {
		t.Fatalf("%v %v", vals, err)
	}
}

func TestUpdate_MultiUpsertReplacementImmutable(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "g", Value: 1}, {Key: "v", Value: 0}},
		bson.D{{Key: "_id", Value: 2}, {Key: "g", Value: 1}, {Key: "v", Value: 0}},
		bson.D{{Key: "_id", Value: 3}, {Key: "g", Value: 2}, {Key: "v", Value: 0}},
	)
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "v", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	// A multi update moving documents forward in the index it scans updates
	// each document once.
	res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
		Filter: doc(bson.D{{Key: "v", Value: bson.D{{Key: "$gte", Value: 0}}}}),
		Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 10}}}}),
		Multi:  true,
	}, nil)
	if err != nil || res.Matched != 3 || res.Modified != 3 {
		t.Fatalf("multi: %+v %v", res, err)
	}
	if getV(t, e, 3) != 10 {
		t.Fatal("multi applied more than once")
	}
	// No-op update: matched, not modified.
	res, err = update(e, nil, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 10}}}})
	if err != nil || res.Matched != 1 || res.Modified != 0 {
		t.Fatalf("noop: %+v %v", res, err)
	}
	// Upsert seeded from the filter.
	var st engine.Stats
	res, err = e.Update(ctx, nil, ns, engine.UpdateSpec{
		Filter: doc(bson.D{{Key: "_id", Value: 9}, {Key: "g", Value: 7}}),
		Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}),
		Upsert: true,
	}, &st)
	if err != nil || res.Matched != 0 || res.UpsertedID.Type == 0 || st.NUpserted != 1 {
		t.Fatalf("upsert: %+v %v", res, err)
	}
	d := findAll(t, e, nil, bson.D{{Key: "_id", Value: 9}})
	if len(d) != 1 || intField(t, d[0], "g") != 7 || intField(t, d[0], "v") != 1 {
		t.Fatalf("upserted %v", d)
	}
	// Replacement upsert takes the filter's _id.
	res, err = e.Update(ctx, nil, ns, engine.UpdateSpec{
		Filter: doc(bson.D{{Key: "_id", Value: 10}}),
		Update: doc(bson.D{{Key: "r", Value: 1}}),
		Upsert: true,
	}, nil)
	if err != nil || res.UpsertedID.Type != bson.TypeInt32 {
		t.Fatalf("replacement upsert: %+v %v", res, err)
	}
	// Replacement keeps _id; changing _id is ImmutableField.
	_, err = update(e, nil, bson.D{{Key: "_id", Value: 10}}, bson.D{{Key: "$set", Value: bson.D{{Key: "_id", Value: 11}}}})
	wantCode(t, err, codes.ImmutableField)
	// Multi delete.
	n, err := e.Delete(ctx, nil, ns, doc(bson.D{{Key: "g", Value: 1}}), true, nil)
	if err != nil || n != 2 {
		t.Fatalf("delete many %d %v", n, err)
	}
}

func TestFindAndModify(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "q", Value: 1}, {Key: "p", Value: 3}},
		bson.D{{Key: "_id", Value: 2}, {Key: "q", Value: 1}, {Key: "p", Value: 1}},
	)
	res, err := e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{
		Filter:    doc(bson.D{{Key: "q", Value: 1}}),
		Sort:      doc(bson.D{{Key: "p", Value: 1}}),
		Update:    doc(bson.D{{Key: "$set", Value: bson.D{{Key: "taken", Value: true}}}}),
		ReturnNew: true,
		Fields:    doc(bson.D{{Key: "taken", Value: 1}}),
	}, nil)
	if err != nil || res.N != 1 || !res.UpdatedExisting || intField(t, res.Doc, "_id") != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := res.Doc.LookupErr("p"); err == nil {
		t.Fatal("fields projection ignored")
	}
	res, err = e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{Filter: doc(bson.D{{Key: "_id", Value: 1}}), Remove: true}, nil)
	if err != nil || res.N != 1 || intField(t, res.Doc, "p") != 3 {
		t.Fatalf("remove %+v %v", res, err)
	}
	res, err = e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{
		Filter: doc(bson.D{{Key: "_id", Value: 5}}), Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 1}}}}), Upsert: true,
	}, nil)
	if err != nil || res.N != 1 || res.UpdatedExisting || res.Doc != nil || res.UpsertedID.Type == 0 {
		t.Fatalf("upsert %+v %v", res, err)
	}
	res, err = e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{Filter: doc(bson.D{{Key: "_id", Value: 77}}), Remove: true}, nil)
	if err != nil || res.N != 0 || res.Doc != nil {
		t.Fatalf("no match %+v %v", res, err)
	}
}

func TestAggregate_LookupInTxn(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: "a"}})
	other := engine.Namespace{DB: "test", Coll: "o"}
	tx := e.Begin()
	if _, err := e.Insert(ctx, tx, other, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: "a"}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	pipeline := []bson.Raw{
		doc(bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: 1}}}}),
		doc(bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "o"}, {Key: "localField", Value: "k"}, {Key: "foreignField", Value: "k"}, {Key: "as", Value: "j"}}}}),
	}
	out, err := e.Aggregate(ctx, tx, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
	if err != nil || len(out) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	j, _ := out[0].Lookup("j").ArrayOK()
	if vals, _ := j.Values(); len(vals) != 1 {
		t.Fatalf("lookup in txn did not see own insert: %v", out[0])
	}
	out, err = e.Aggregate(ctx, nil, ns, engine.AggregateSpec{Pipeline: pipeline}, nil)
	if err != nil || len(out) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	j, _ = out[0].Lookup("j").ArrayOK()
	if vals, _ := j.Values(); len(vals) != 0 {
		t.Fatalf("lookup outside txn saw uncommitted insert: %v", out[0])
	}
	tx.Abort()
}

func TestCatalog_DDL(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if err := e.CreateCollection(ctx, nil, ns); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.CreateCollection(ctx, nil, ns), codes.NamespaceExists)
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}})
	other := engine.Namespace{DB: "other", Coll: "x"}
	if err := e.CreateCollection(ctx, nil, other); err != nil {
		t.Fatal(err)
	}
	dbs := e.ListDatabases()
	if len(dbs) != 2 || dbs[0].Name != "other" || dbs[1].Name != "test" || dbs[1].SizeOnDisk == 0 {
		t.Fatalf("dbs %+v", dbs)
	}
	if cs := e.ListCollections("test"); len(cs) != 1 || cs[0].Name != "c" {
		t.Fatalf("colls %+v", cs)
	}
	name, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}})
	if err != nil || name != "a_1_b_-1" {
		t.Fatalf("%q %v", name, err)
	}
	count, size, nidx, err := e.CollStats(ns)
	if err != nil || count != 1 || size == 0 || nidx != 2 {
		t.Fatalf("collstats %d %d %d %v", count, size, nidx, err)
	}
	wantCode(t, e.DropIndex(ctx, ns, "_id_"), codes.InvalidOptions)
	wantCode(t, e.DropIndex(ctx, ns, "nope"), codes.IndexNotFound)
	if err := e.DropIndex(ctx, ns, name); err != nil {
		t.Fatal(err)
	}
	// A txn that wrote before a drop cannot commit.
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	if err := e.DropCollection(ctx, ns); err != nil {
		t.Fatal(err)
	}
	wantCode(t, tx.Commit(ctx), codes.WriteConflict)
	wantCode(t, e.DropCollection(ctx, ns), codes.NamespaceNotFound)
	if len(findAll(t, e, nil, nil)) != 0 {
		t.Fatal("dropped collection still has documents")
	}
	if err := e.DropDatabase(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if dbs := e.ListDatabases(); len(dbs) != 0 {
		t.Fatalf("dbs after drops %+v", dbs)
	}
	// Recreating reuses no old data.
	mustInsert(t, e, bson.D{{Key: "_id", Value: 2}})
	if got := ids(t, findAll(t, e, nil, nil)); !equalIDs(got, 2) {
		t.Fatalf("got %v", got)
	}
}

func TestIndex_ParallelArrays(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: bson.A{1}}, {Key: "b", Value: bson.A{2}}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 1 || res.WriteErrors[0].Err.Code != codes.CannotIndexParallelArrays {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestFind_SortLimitKeepsTheFirst checks a sort the plan does not give with a limit (kept as a bounded top-k,
// not sorted whole) against the same sort without the limit, sliced: ties in scan order, arrays by their least or
// greatest element, missing fields as null, a positional projection, and a transaction's own writes.
func TestFind_SortLimitKeepsTheFirst(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "h", Value: 1}}})
	var docs []bson.D
	for i := range 300 {
		d := bson.D{{Key: "_id", Value: int64((i * 37) % 300)}, {Key: "h", Value: i % 5}}
		switch {
		case i%11 == 0: // no g: sorts as null
		case i%13 == 0:
			d = append(d, bson.E{Key: "g", Value: bson.A{i % 7, (i + 3) % 7}})
		default:
			d = append(d, bson.E{Key: "g", Value: i % 7})
		}
		docs = append(docs, d)
	}
	mustInsert(t, e, docs...)
	tx := e.Begin()
	defer tx.Abort()
	if _, err := e.Insert(context.Background(), tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: int64(1000)}, {Key: "g", Value: -1}, {Key: "h", Value: 2}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Update(context.Background(), tx, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: int64(5)}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "g", Value: 100}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	sorts := []bson.D{
		{{Key: "g", Value: 1}},
		{{Key: "g", Value: -1}},
		{{Key: "g", Value: 1}, {Key: "_id", Value: -1}},
		{{Key: "h", Value: 1}, {Key: "g", Value: -1}}, // the index on h does not give it
	}
	specs := []engine.FindSpec{
		{},
		{Filter: doc(bson.D{{Key: "h", Value: bson.D{{Key: "$gte", Value: 2}}}})},
		{Filter: doc(bson.D{{Key: "g", Value: bson.D{{Key: "$gte", Value: 3}}}}), Projection: doc(bson.D{{Key: "g.$", Value: 1}})},
	}
	for _, tx := range []*engine.Txn{nil, tx} {
		for _, base := range specs {
			for _, s := range sorts {
				spec := base
				spec.Sort = doc(s)
				all, err := e.Find(context.Background(), tx, ns, spec, nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, sl := range [][2]int64{{0, 1}, {0, 7}, {3, 10}, {0, -4}, {250, 100}, {0, 1000}, {400, 5}} {
					spec.Skip, spec.Limit = sl[0], sl[1]
					got, err := e.Find(context.Background(), tx, ns, spec, nil)
					if err != nil {
						t.Fatal(err)
					}
					lo, n := min(sl[0], int64(len(all))), sl[1]
					if n < 0 {
						n = -n
					}
					want := all[lo:min(lo+n, int64(len(all)))]
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("txn %v, filter %v, sort %v, skip %d limit %d:\n got %v\nwant %v", tx != nil, base.Filter, s, sl[0], sl[1], ids(t, got), ids(t, want))
					}
				}
			}
		}
	}
}

// TestFind_SortByIDDescending checks that {_id: -1} is a scan of the document keys from the last, stopping at the
// limit, over a collection, an _id range and an _id $in, with _ids of several types, outside a transaction and
// in one whose own inserts, updates and deletes merge in: always the reverse of the {_id: 1} order.
func TestFind_SortByIDDescending(t *testing.T) {
	e := openMem(t, engine.Options{})
	var docs []bson.D
	for i := range 60 {
		var id any = int64(i * 3)
		switch i % 3 {
		case 1:
			id = fmt.Sprintf("s%02d", i)
		case 2:
			id = float64(i) + 0.5
		}
		docs = append(docs, bson.D{{Key: "_id", Value: id}, {Key: "n", Value: i}})
	}
	mustInsert(t, e, docs...)
	tx := e.Begin()
	defer tx.Abort()
	ctx := context.Background()
	for _, id := range []any{int64(-1), int64(4), "s00", "zz", 7.25} {
		if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: id}, {Key: "n", Value: 100}})}, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Update(ctx, tx, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: "s04"}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: -4}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Delete(ctx, tx, ns, doc(bson.D{{Key: "_id", Value: int64(9)}}), false, nil); err != nil {
		t.Fatal(err)
	}
	asc, desc := doc(bson.D{{Key: "_id", Value: 1}}), doc(bson.D{{Key: "_id", Value: -1}})
	for _, tc := range []struct {
		name   string
		filter bson.D
	}{
		{"collection", nil},
		{"range", bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 10}, {Key: "$lt", Value: 100}}}}},
		{"strings", bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: "s1"}}}}},
		{"in", bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{int64(0), int64(18), "s04", 7.25, int64(9), "zz", 2.5, 5.5}}}}}},
		{"other field", bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: 10}}}}},
	} {
		for _, tx := range []*engine.Txn{nil, tx} {
			var f bson.Raw
			if tc.filter != nil {
				f = doc(tc.filter)
			}
			fwd, err := e.Find(ctx, tx, ns, engine.FindSpec{Filter: f, Sort: asc}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(fwd) < 4 {
				t.Fatalf("%s: %d documents, a poor test", tc.name, len(fwd))
			}
			want := slices.Clone(fwd)
			slices.Reverse(want)
			got, err := e.Find(ctx, tx, ns, engine.FindSpec{Filter: f, Sort: desc}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s (txn %v):\n got %v\nwant %v", tc.name, tx != nil, got, want)
			}
			var st engine.Stats
			got, err = e.Find(ctx, tx, ns, engine.FindSpec{Filter: f, Sort: desc, Limit: 3}, &st)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want[:3]) {
				t.Fatalf("%s (txn %v), limit 3:\n got %v\nwant %v", tc.name, tx != nil, got, want[:3])
			}
			if tx == nil && tc.name != "other field" && st.DocsExamined != 3 {
				t.Fatalf("%s, limit 3: %d documents examined, want 3: a scan from the last key", tc.name, st.DocsExamined)
			}
		}
	}
}

// TestPlan_IndexSortThenID: an index's entries of equal keys are in _id order (a non-unique entry ends with its
// document's _id), so a sort by the index's fields then _id, all one way or all the other, reads the index and
// stops at the limit, as a unique index does; _id the other way is sorted in memory. The documents are those of
// the same sort read whole by a collection scan.
func TestPlan_IndexSortThenID(t *testing.T) {
	e := openMem(t, engine.Options{})
	for i := range 200 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: int64((i * 67) % 200)}, {Key: "k", Value: i % 7}, {Key: "u", Value: i}})
	}
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}})
	mustIndex(t, e, engine.IndexSpec{Key: bson.D{{Key: "u", Value: -1}}, Unique: true})
	natural := doc(bson.D{{Key: "$natural", Value: 1}})
	for _, c := range []struct {
		filter, sort bson.D
		served       bool
	}{
		{nil, bson.D{{Key: "k", Value: 1}, {Key: "_id", Value: 1}}, true},
		{nil, bson.D{{Key: "k", Value: -1}, {Key: "_id", Value: -1}}, true},
		{nil, bson.D{{Key: "k", Value: 1}, {Key: "_id", Value: -1}}, false},
		{bson.D{{Key: "k", Value: 3}}, bson.D{{Key: "_id", Value: -1}}, true},
		{bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 5}}}}, bson.D{{Key: "k", Value: -1}, {Key: "_id", Value: -1}}, true},
		{nil, bson.D{{Key: "u", Value: 1}, {Key: "_id", Value: -1}}, true},
	} {
		var f bson.Raw
		if c.filter != nil {
			f = doc(c.filter)
		}
		all, err := e.Find(context.Background(), nil, ns, engine.FindSpec{Filter: f, Sort: doc(c.sort), Hint: natural}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var st engine.Stats
		got, err := e.Find(context.Background(), nil, ns, engine.FindSpec{Filter: f, Sort: doc(c.sort), Limit: 5}, &st)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(all[:5]) {
			t.Fatalf("filter %v sort %v:\n got %v\nwant %v", c.filter, c.sort, ids(t, got), ids(t, all[:5]))
		}
		if served := st.DocsExamined == 5; served != c.served {
			t.Fatalf("filter %v sort %v: %d documents examined (plan %s), want the index's order %v", c.filter, c.sort, st.DocsExamined, st.PlanSummary, c.served)
		}
	}
}
