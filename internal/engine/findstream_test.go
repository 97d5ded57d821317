package engine_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
)

// drain reads a stream to its end and closes it.
func drain(t *testing.T, s *engine.DocStream) []bson.Raw {
	t.Helper()
	defer s.Close()
	var out []bson.Raw
	for {
		d, err := s.Next(context.Background())
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		if d == nil {
			return out
		}
		out = append(out, d)
	}
}

// TestFindStream_AsFind checks that a stream hands out what Find returns, for filters, skips, limits and
// projections, over a collection scan and an index.
func TestFindStream_AsFind(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 500 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 7}, {Key: "s", Value: fmt.Sprint("v", i)}})
	}
	for i := range 1500 { // _ids of other types, which a transaction's batches read by _id range only within a type
		var id any = fmt.Sprint("id", i)
		if i%3 == 0 {
			id = float64(i) + 0.5
		}
		mustInsert(t, e, bson.D{{Key: "_id", Value: id}, {Key: "k", Value: i % 5}})
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	specs := []engine.FindSpec{
		{},
		{Filter: doc(bson.D{{Key: "k", Value: 3}})},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 100}}}}), Skip: 10, Limit: 25},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$in", Value: bson.A{1, 2}}}}}), Projection: doc(bson.D{{Key: "s", Value: 1}})},
		{Limit: -3},
		{Skip: 1800},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 2}}}}), Hint: doc(bson.D{{Key: "$natural", Value: 1}})},
	}
	for i, spec := range specs {
		want, err := e.Find(ctx, nil, ns, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range []*engine.Txn{nil, e.Begin()} { // a scan, and a transaction's batches by _id
			s, err := e.FindStream(ctx, tx, ns, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, s)
			if len(got) != len(want) {
				t.Fatalf("spec %d (transaction %v): %d documents, Find %d", i, tx != nil, len(got), len(want))
			}
			for j := range got {
				if !bytesEqual(got[j], want[j]) {
					t.Fatalf("spec %d (transaction %v), document %d: %v, Find %v", i, tx != nil, j, got[j], want[j])
				}
			}
			if tx != nil {
				tx.Abort()
			}
		}
	}
	if s, err := e.FindStream(ctx, nil, engine.Namespace{DB: "test", Coll: "none"}, engine.FindSpec{}, nil); err != nil || len(drain(t, s)) != 0 {
		t.Fatalf("a missing collection: %v", err)
	}
}

func bytesEqual(a, b bson.Raw) bool { return string(a) == string(b) }

// TestFindStream_OnePointInTime checks that a stream open while other writers insert, update and delete reads
// the collection as it was when it opened.
func TestFindStream_OnePointInTime(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 2000 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}})
	}
	s, err := e.FindStream(ctx, nil, ns, engine.FindSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A plan that reads documents by _id as it goes: they too are of the stream's point in time.
	byKey, err := e.FindStream(ctx, nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{5, 1999, 7}}}}})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Next(context.Background())
	if err != nil || first == nil {
		t.Fatalf("first: %v", err)
	}
	set := engine.UpdateSpec{Filter: doc(bson.D{}), Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}), Multi: true}
	if _, err := e.Update(ctx, nil, ns, set, nil); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 5000}, {Key: "v", Value: 1}})
	if _, err := e.Delete(ctx, nil, ns, doc(bson.D{{Key: "_id", Value: 1999}}), false, nil); err != nil {
		t.Fatal(err)
	}
	keyed := drain(t, byKey)
	if len(keyed) != 3 {
		t.Fatalf("%d documents by _id, want 3", len(keyed))
	}
	for _, d := range keyed {
		if intField(t, d, "v") != 0 {
			t.Fatalf("a later write seen by _id: %v", d)
		}
	}
	rest := drain(t, s)
	if len(rest) != 1999 {
		t.Fatalf("%d documents after the first, want 1999", len(rest))
	}
	for _, d := range append(rest, first) {
		if intField(t, d, "v") != 0 {
			t.Fatalf("a later write seen: %v", d)
		}
	}
	if got := findAll(t, e, nil, bson.D{{Key: "v", Value: 1}}); len(got) != 2000 {
		t.Fatalf("after the stream: %d updated documents, want 2000", len(got))
	}
}

// TestFindStream_EngineClose checks that closing the engine with a stream open neither waits for the stream nor
// leaves it readable: its Next fails with InterruptedAtShutdown, and its Close still returns.
func TestFindStream_EngineClose(t *testing.T) {
	e, err := engine.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}})
	}
	s, err := e.FindStream(context.Background(), nil, ns, engine.FindSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := s.Next(context.Background()); err != nil || d == nil {
		t.Fatalf("first: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = s.Next(context.Background())
	wantCode(t, err, codes.InterruptedAtShutdown)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFindStream_TransactionBatches checks a transaction's stream over more documents than one batch fetches:
// the transaction's snapshot with its own writes, in the plan's order, projected, with the transaction's other
// statements running between its batches.
func TestFindStream_TransactionBatches(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 3000 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 3}, {Key: "v", Value: 0}})
	}
	tx := e.Begin()
	defer tx.Abort()
	set := engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 2900}}}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}), Multi: true}
	if _, err := e.Update(ctx, tx, ns, set, nil); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 9000}, {Key: "k", Value: 0}}) // after the snapshot
	spec := engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$ne", Value: 1}}}}), Projection: doc(bson.D{{Key: "_id", Value: 0}, {Key: "k", Value: 0}})}
	s, err := e.FindStream(ctx, tx, ns, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, updated := 0, 0
	for {
		d, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if d == nil {
			break
		}
		if _, err := d.LookupErr("_id"); err == nil {
			t.Fatalf("projected out _id: %v", d)
		}
		if n%500 == 0 { // the transaction's own statements between batches
			if _, err := e.Find(ctx, tx, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: n}})}, nil); err != nil {
				t.Fatal(err)
			}
		}
		updated += int(intField(t, d, "v"))
		n++
	}
	if n != 2000 || updated != 67 {
		t.Fatalf("%d documents, %d of them updated; want 2000 and 67", n, updated)
	}
}

// TestFindStream_Transaction checks that a stream in a transaction reads the transaction's snapshot with its
// own writes.
func TestFindStream_Transaction(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}})
	tx := e.Begin()
	defer tx.Abort()
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 2}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 3}})
	s, err := e.FindStream(ctx, tx, ns, engine.FindSpec{Sort: doc(bson.D{{Key: "_id", Value: 1}})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := drain(t, s)
	if len(got) != 2 || intField(t, got[0], "_id") != 1 || intField(t, got[1], "_id") != 2 {
		t.Fatalf("in the transaction: %v", got)
	}
}

// TestFindStream_TransactionNaN checks a transaction's stream over _ids that a range cannot bound: NaN, the
// lowest number, matched by $gte NaN alone.
func TestFindStream_TransactionNaN(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for _, id := range []any{math.NaN(), 1, 2.5, math.Inf(-1)} {
		mustInsert(t, e, bson.D{{Key: "_id", Value: id}})
	}
	tx := e.Begin()
	defer tx.Abort()
	s, err := e.FindStream(ctx, tx, ns, engine.FindSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := drain(t, s); len(got) != 4 {
		t.Fatalf("%d documents, want 4: %v", len(got), got)
	}
}

// TestFindStream_TransactionCollationAndLet checks a transaction's stream whose filter has a collation and let
// variables: every batch matches as the find does.
func TestFindStream_TransactionCollationAndLet(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 3000 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: fmt.Sprintf("%c%04d", "aBc"[i%3], i)}, {Key: "a", Value: i % 2}})
	}
	ci, err := collation.Parse(doc(bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}))
	if err != nil {
		t.Fatal(err)
	}
	lctx, err := engine.WithLet(ctx, doc(bson.D{{Key: "x", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	spec := engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: "A"}}},
		{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$a", "$$x"}}}}}), Collation: ci}
	want, err := e.Find(lctx, nil, ns, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx := e.Begin()
	defer tx.Abort()
	s, err := e.FindStream(lctx, tx, ns, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := 0
	for {
		d, err := s.Next(ctx) // the batches' context has no let of its own
		if err != nil {
			t.Fatal(err)
		}
		if d == nil {
			break
		}
		n++
	}
	if n != len(want) || n != 1500 {
		t.Fatalf("%d documents, Find %d, want 1500", n, len(want))
	}
}
