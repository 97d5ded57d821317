package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
)

// TestFindBatches_AsFind checks that a batched stream with no writes beside it hands out what Find returns, for
// filters, skips, limits, projections, collations and let variables, over a collection scan, an _id range, _id
// lookups and an index, in batches of 1, 7 and the default.
func TestFindBatches_AsFind(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 500 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 7}, {Key: "s", Value: fmt.Sprint("v", i)}})
	}
	for i := range 1500 { // _ids of other types: a collection scan resumes across them
		var id any = fmt.Sprintf("%cd%d", "iI"[i%2], i)
		if i%3 == 0 {
			id = float64(i) + 0.5
		}
		mustInsert(t, e, bson.D{{Key: "_id", Value: id}, {Key: "k", Value: i % 5}, {Key: "s", Value: fmt.Sprint("S", i%4)}})
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
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
	specs := []engine.FindSpec{
		{},
		{Filter: doc(bson.D{{Key: "k", Value: 3}})},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 100}}}}), Skip: 10, Limit: 25},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: 400}}}}), Skip: 150},
		{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{7, 3, "Id1", 99}}}}})},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$in", Value: bson.A{1, 2}}}}}), Projection: doc(bson.D{{Key: "s", Value: 1}})},
		{Limit: -3},
		{Skip: 1800},
		{Skip: 1, Limit: 1030},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 2}}}}), Hint: doc(bson.D{{Key: "$natural", Value: 1}})},
		{Filter: doc(bson.D{{Key: "s", Value: "s1"}}), Collation: ci},
		{Filter: doc(bson.D{{Key: "s", Value: "s1"}, {Key: "k", Value: bson.D{{Key: "$gte", Value: 0}}}}), Collation: ci, Limit: 100},
		{Filter: doc(bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$x"}}}}})},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gt", Value: 0}}}, {Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$k", "$$x"}}}}})},
		// Sorts: an index's order and the _id order stream, others are read whole.
		{Sort: doc(bson.D{{Key: "k", Value: 1}})},
		{Sort: doc(bson.D{{Key: "k", Value: -1}}), Skip: 5, Limit: 1040},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 3}}}}), Sort: doc(bson.D{{Key: "k", Value: 1}}), Projection: doc(bson.D{{Key: "s", Value: 1}})},
		{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$in", Value: bson.A{4, 1}}}}}), Sort: doc(bson.D{{Key: "k", Value: -1}})},
		{Sort: doc(bson.D{{Key: "_id", Value: 1}}), Skip: 3},
		{Sort: doc(bson.D{{Key: "_id", Value: -1}}), Limit: 30},
		{Filter: doc(bson.D{{Key: "k", Value: 2}}), Sort: doc(bson.D{{Key: "s", Value: 1}})},
		{Sort: doc(bson.D{{Key: "k", Value: 1}}), Collation: ci, Limit: 50},
	}
	for i, spec := range specs {
		want, err := e.Find(lctx, nil, ns, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Fatalf("spec %d finds nothing: a poor test", i)
		}
		for _, size := range []int{1, 7, 0} {
			s, err := e.FindBatches(lctx, ns, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if size > 0 {
				s.SetBatch(size)
			}
			got := drain(t, s)
			if len(got) != len(want) {
				t.Fatalf("spec %d (batches of %d): %d documents, Find %d", i, size, len(got), len(want))
			}
			for j := range got {
				if !bytesEqual(got[j], want[j]) {
					t.Fatalf("spec %d (batches of %d), document %d: %v, Find %v", i, size, j, got[j], want[j])
				}
			}
		}
	}
	if s, err := e.FindBatches(ctx, engine.Namespace{DB: "test", Coll: "none"}, engine.FindSpec{}, nil); err != nil || len(drain(t, s)) != 0 {
		t.Fatalf("a missing collection: %v", err)
	}
}

// TestFindBatches_ReadsTheLatestStateEachBatch checks that each batch reads the writes committed before it, as a
// MongoDB cursor does between getMores: a document deleted, or updated so that it no longer matches, before its
// batch is read is not returned, one updated is returned as it is then, and one inserted is returned by a scan
// that has not passed it: a collection scan or an index scan, not a reverse index scan (a sort) that began past
// it. A multikey index's scan, whose _ids were found when it opened (it keeps its first 1,024 documents as it
// read them then), does not return it.
func TestFindBatches_ReadsTheLatestStateEachBatch(t *testing.T) {
	ctx := context.Background()
	for _, hint := range []string{"$natural", "k_1", "k_-1", "multikey"} {
		t.Run(hint, func(t *testing.T) {
			e := openMem(t, engine.Options{})
			for i := range 2000 {
				mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}, {Key: "v", Value: "old"}})
			}
			if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
				t.Fatal(err)
			}
			first := int64(0)
			var h, sort bson.Raw
			switch hint {
			case "$natural":
				h = doc(bson.D{{Key: "$natural", Value: 1}})
			case "k_1":
				h = doc(bson.D{{Key: "k", Value: 1}})
			case "k_-1":
				h, sort, first = doc(bson.D{{Key: "k", Value: 1}}), doc(bson.D{{Key: "k", Value: -1}}), 1999
			case "multikey":
				mustInsert(t, e, bson.D{{Key: "_id", Value: -1}, {Key: "k", Value: bson.A{-5, -6}}})
				h = doc(bson.D{{Key: "k", Value: 1}})
			}
			s, err := e.FindBatches(ctx, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 0}}}}), Hint: h, Sort: sort}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.SetBatch(10)
			if d, err := s.Next(ctx); err != nil || intField(t, d, "_id") != first {
				t.Fatalf("first: %v %v", d, err)
			}
			if s.Held() == 0 {
				t.Fatal("Held is 0 with nine documents read ahead")
			}
			set := func(id int, upd bson.D) {
				t.Helper()
				if _, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}), Update: doc(upd)}, nil); err != nil {
					t.Fatal(err)
				}
			}
			set(5, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: "new"}}}}) // read ahead already: old
			set(1500, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: "new"}}}})
			set(1600, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: -1}}}})
			if _, err := e.Delete(ctx, nil, ns, doc(bson.D{{Key: "_id", Value: 1700}}), false, nil); err != nil {
				t.Fatal(err)
			}
			mustInsert(t, e, bson.D{{Key: "_id", Value: 5000}, {Key: "k", Value: 5000}, {Key: "v", Value: "new"}})
			rest := drain(t, s)
			got := map[int64]string{first: "old"}
			for _, d := range rest {
				got[intField(t, d, "_id")] = d.Lookup("v").StringValue()
			}
			// The insert (k 5000) is ahead of a forward scan, behind the reverse one (which began at k 1999).
			ahead := hint == "$natural" || hint == "k_1"
			want := 1998
			if ahead {
				want = 1999
			}
			if len(rest)+1 != want || len(got) != want {
				t.Fatalf("%d documents (%d distinct), want %d", len(rest)+1, len(got), want)
			}
			_, inserted := got[5000]
			_, deleted := got[1700]
			_, moved := got[1600]
			if hint == "k_-1" {
				got[5] = "old" // read after the updates: the reverse scan starts at 1999
			}
			if got[5] != "old" || got[1500] != "new" || deleted || moved || inserted != ahead {
				t.Fatalf("5: %q, 1500: %q, 1700 returned %v, 1600 returned %v, 5000 returned %v", got[5], got[1500], deleted, moved, inserted)
			}
		})
	}
}

// TestFindBatches_HoldsNoIterator checks that a batched stream left open between batches holds neither a storage
// iterator nor a snapshot: the sstables a compaction replaced meanwhile are freed, as they are with no stream open,
// where a FindStream scan keeps them alive.
func TestFindBatches_HoldsNoIterator(t *testing.T) {
	ctx := context.Background()
	zombies, snapshots := map[string]int64{}, map[string]int{}
	for _, kind := range []string{"none", "stream", "batched"} {
		e := openMem(t, engine.Options{})
		insert := func(from int) {
			for i := from; i < from+300; i++ {
				mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("x", 100)}})
			}
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		insert(0)
		var s *engine.DocStream
		var err error
		switch kind {
		case "stream":
			s, err = e.FindStream(ctx, nil, ns, engine.FindSpec{}, nil)
		case "batched":
			s, err = e.FindBatches(ctx, ns, engine.FindSpec{}, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if s != nil {
			s.SetBatch(10)
			if d, err := s.Next(ctx); err != nil || d == nil {
				t.Fatalf("first: %v", err)
			}
		}
		insert(300)
		if err := e.CompactAll(); err != nil {
			t.Fatal(err)
		}
		zombies[kind], snapshots[kind] = e.ZombieTables(), e.OpenSnapshots()
		if s != nil {
			want := 299
			if kind == "batched" {
				want = 599 // each batch reads the latest state
			}
			if n := len(drain(t, s)); n != want {
				t.Fatalf("%s: %d documents after the first, want %d", kind, n, want)
			}
		}
	}
	if zombies["batched"] != zombies["none"] || zombies["stream"] <= zombies["none"] ||
		snapshots["batched"] != snapshots["none"] || snapshots["stream"] <= snapshots["none"] {
		t.Fatalf("compacted tables still held %v, snapshots open %v", zombies, snapshots)
	}
}

// TestFindBatches_CollectionDropped checks that the batch after the collection was dropped, dropped and created
// again, or renamed, or after the index its plan reads was dropped, fails with QueryPlanKilled and mongod's words,
// as mongod's getMore does; an index the plan does not read may be dropped.
func TestFindBatches_CollectionDropped(t *testing.T) {
	ctx := context.Background()
	scan, byIndex := engine.FindSpec{}, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: bson.D{{Key: "$gte", Value: 0}}}})}
	dropIndex := func(e *engine.Engine) error { return e.DropIndex(ctx, ns, "k_1") }
	for _, c := range []struct {
		name   string
		spec   engine.FindSpec
		change func(e *engine.Engine) error
		want   string // "": no error
	}{
		{"drop/scan", scan, func(e *engine.Engine) error { return e.DropCollection(ctx, ns) }, "collection dropped"},
		{"drop/index", byIndex, func(e *engine.Engine) error { return e.DropCollection(ctx, ns) }, "collection dropped"},
		{"recreate/scan", scan, func(e *engine.Engine) error {
			if err := e.DropCollection(ctx, ns); err != nil {
				return err
			}
			mustInsert(t, e, bson.D{{Key: "_id", Value: 2000}, {Key: "k", Value: 1}})
			return nil
		}, "collection dropped"},
		{"rename/scan", scan, func(e *engine.Engine) error {
			return e.RenameCollection(ctx, ns, engine.Namespace{DB: ns.DB, Coll: "elsewhere"}, false)
		}, "collection renamed"},
		{"drop index/index", byIndex, dropIndex, "index 'k_1' dropped"},
		{"drop index/scan", scan, dropIndex, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := openMem(t, engine.Options{})
			for i := range 1100 {
				mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}})
			}
			if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
				t.Fatal(err)
			}
			spec := c.spec
			spec.Batch = 5
			s, err := e.FindBatches(ctx, ns, spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for range 5 {
				if d, err := s.Next(ctx); err != nil || d == nil {
					t.Fatalf("before the change: %v", err)
				}
			}
			if err := c.change(e); err != nil {
				t.Fatal(err)
			}
			n := 5
			for {
				var d bson.Raw
				if d, err = s.Next(ctx); err != nil || d == nil {
					break
				}
				n++
			}
			if c.want == "" {
				if err != nil || n != 1100 {
					t.Fatalf("%d documents, %v; want all 1,100", n, err)
				}
				return
			}
			ce := wantCode(t, err, codes.QueryPlanKilled)
			if !strings.Contains(ce.Error(), c.want) || n != 5 {
				t.Fatalf("after %d documents: %v; want after 5 %q", n, err, c.want)
			}
			if d, err := s.Next(ctx); d != nil || err == nil {
				t.Fatalf("after the failure: %v, %v; want the error again", d, err)
			}
		})
	}
}

// TestFindBatches_EngineClose checks that a batched stream's next batch after the engine closed fails with
// InterruptedAtShutdown.
func TestFindBatches_EngineClose(t *testing.T) {
	e, err := engine.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}})
	}
	s, err := e.FindBatches(context.Background(), ns, engine.FindSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetBatch(10)
	if d, err := s.Next(context.Background()); err != nil || d == nil {
		t.Fatalf("first: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for range 9 { // the batch read before
		if d, err := s.Next(context.Background()); err != nil || d == nil {
			t.Fatalf("read ahead: %v", err)
		}
	}
	_, err = s.Next(context.Background())
	wantCode(t, err, codes.InterruptedAtShutdown)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFindBatches_ErrorEndsTheStream checks that a batch failing part way (a document's filter fails) ends the
// stream: the documents before the failing one come first, as a read of one document at a time gives them, then
// the error, which every later Next returns again.
func TestFindBatches_ErrorEndsTheStream(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 100 {
		d := 1
		if i == 50 {
			d = 0
		}
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "d", Value: d}})
	}
	filter := doc(bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{bson.D{{Key: "$divide", Value: bson.A{1, "$d"}}}, 0}}}}})
	s, err := e.FindBatches(ctx, ns, engine.FindSpec{Filter: filter}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetBatch(100)
	n := 0
	var first error
	for {
		d, err := s.Next(ctx)
		if err != nil || d == nil {
			first = err
			break
		}
		if intField(t, d, "_id") != int64(n) {
			t.Fatalf("document %d: %v", n, d)
		}
		n++
	}
	if first == nil || n != 50 {
		t.Fatalf("%d documents, then %v; want the 50 before the one dividing by zero, then its error", n, first)
	}
	for range 3 {
		if d, err := s.Next(ctx); d != nil || err == nil || err.Error() != first.Error() {
			t.Fatalf("after the error: %v, %v; want the error again", d, err)
		}
	}
	if s.Held() != 0 {
		t.Fatalf("Held %d after the error", s.Held())
	}
}

// TestFindBatches_Stats checks what batched streams count: each returned document once in Stats.NReturned and
// in the engine's returned documents, one query for a find and none for an aggregation's input, and the work of
// each batch in the Stats set for it (a getMore's).
func TestFindBatches_Stats(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 100 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 10}})
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	k3 := doc(bson.D{{Key: "k", Value: 3}})
	for _, c := range []struct {
		name     string
		open     func(st *engine.Stats) (*engine.DocStream, error)
		queries  int64
		examined int64
	}{
		{"scan", func(st *engine.Stats) (*engine.DocStream, error) {
			return e.FindBatches(ctx, ns, engine.FindSpec{Filter: k3, Hint: doc(bson.D{{Key: "$natural", Value: 1}}), Batch: 3}, st)
		}, 1, 100},
		{"index", func(st *engine.Stats) (*engine.DocStream, error) {
			return e.FindBatches(ctx, ns, engine.FindSpec{Filter: k3, Batch: 3}, st)
		}, 1, 10},
		{"transaction", func(st *engine.Stats) (*engine.DocStream, error) {
			return e.FindStream(ctx, e.Begin(), ns, engine.FindSpec{Filter: k3, Batch: 3}, st)
		}, 1, 10},
		{"transaction scan", func(st *engine.Stats) (*engine.DocStream, error) {
			return e.FindStream(ctx, e.Begin(), ns, engine.FindSpec{Filter: k3, Hint: doc(bson.D{{Key: "$natural", Value: 1}}), Batch: 3}, st)
		}, 1, 100},
		{"aggregation", func(st *engine.Stats) (*engine.DocStream, error) {
			return e.AggregateBatches(ctx, ns, engine.AggregateSpec{Pipeline: stages(bson.D{{Key: "$match", Value: bson.D{{Key: "k", Value: 3}}}},
				bson.D{{Key: "$project", Value: bson.D{{Key: "k", Value: 1}}}}), Batch: 3}, st)
		}, 0, 10},
	} {
		before := e.Metrics()
		opened := &engine.Stats{}
		s, err := c.open(opened)
		if err != nil {
			t.Fatal(err)
		}
		later := &engine.Stats{}
		n := 0
		for {
			if n == 4 {
				s.SetStats(later) // a getMore's
			}
			d, err := s.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d == nil {
				break
			}
			n++
		}
		s.Close()
		after := e.Metrics()
		if n != 10 || opened.NReturned+later.NReturned != 10 || after.Document.Returned-before.Document.Returned != 10-10*(1-c.queries) ||
			after.Opcounters.Query-before.Opcounters.Query != c.queries {
			t.Fatalf("%s: %d documents, NReturned %d + %d, returned %d, queries %d", c.name, n, opened.NReturned, later.NReturned,
				after.Document.Returned-before.Document.Returned, after.Opcounters.Query-before.Opcounters.Query)
		}
		if later.DocsExamined == 0 {
			t.Fatalf("%s: the later batches examined nothing in their Stats", c.name)
		}
		// Each document is examined once, whichever batch reads it: an index plan's matches read again by _id
		// are not counted twice.
		if got := opened.DocsExamined + later.DocsExamined; got != c.examined {
			t.Errorf("%s: docsExamined %d + %d, want %d in all", c.name, opened.DocsExamined, later.DocsExamined, c.examined)
		}
	}
}

// TestFindBatches_EmptyBatch checks that a batch by _id whose documents were all deleted since the stream opened
// does not end the stream: the next batch is read.
func TestFindBatches_EmptyBatch(t *testing.T) {
	ctx := context.Background()
	for _, inTxn := range []bool{false, true} {
		e := openMem(t, engine.Options{})
		for i := range 10 {
			mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: 1}})
		}
		if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "k_1", Key: bson.D{{Key: "k", Value: 1}}}); err != nil {
			t.Fatal(err)
		}
		spec := engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: 1}}), Batch: 2}
		var s *engine.DocStream
		var err error
		tx := e.Begin()
		if inTxn {
			s, err = e.FindStream(ctx, tx, ns, spec, nil)
		} else {
			s, err = e.FindBatches(ctx, ns, spec, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		del := doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{2, 3}}}}})
		if inTxn {
			_, err = e.Delete(ctx, tx, ns, del, true, nil)
		} else {
			_, err = e.Delete(ctx, nil, ns, del, true, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := len(drain(t, s)); n != 8 {
			t.Fatalf("transaction %v: %d documents, want 8", inTxn, n)
		}
		tx.Abort()
	}
}

// TestFindBatches_SortStreams: a sort that a plan reads in order (an index on the sort's field, either direction;
// _id ascending) reads in batches, holding nothing between them; one no plan serves in order (a field without an
// index, _id descending, an index that is multikey) is read whole when the stream opens.
func TestFindBatches_SortStreams(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	for i := range 50 {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i % 5}, {Key: "m", Value: i}, {Key: "s", Value: i}})
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 50}, {Key: "k", Value: 1}, {Key: "m", Value: bson.A{1, 2}}, {Key: "s", Value: 50}})
	for _, name := range []string{"k", "m"} {
		if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: name + "_1", Key: bson.D{{Key: name, Value: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		sort    bson.D
		batched bool
	}{
		{bson.D{{Key: "k", Value: 1}}, true},
		{bson.D{{Key: "k", Value: -1}}, true},
		{bson.D{{Key: "_id", Value: 1}}, true},
		{bson.D{{Key: "_id", Value: -1}}, false},
		{bson.D{{Key: "s", Value: 1}}, false},
		{bson.D{{Key: "m", Value: 1}}, false}, // multikey: its order is not the sort's
	} {
		spec := engine.FindSpec{Sort: doc(c.sort), Batch: 2}
		want, err := e.Find(ctx, nil, ns, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		s, err := e.FindBatches(ctx, ns, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Batched() != c.batched {
			t.Errorf("sort %v: Batched %v, want %v", c.sort, s.Batched(), c.batched)
		}
		got := drain(t, s)
		if len(got) != len(want) {
			t.Fatalf("sort %v: %d documents, Find %d", c.sort, len(got), len(want))
		}
		for j := range got {
			if !bytesEqual(got[j], want[j]) {
				t.Fatalf("sort %v, document %d: %v, Find %v", c.sort, j, got[j], want[j])
			}
		}
	}
}

// TestFindBatches_IndexTurnsMultikey: an index that turns multikey while a stream reads it (an array written to a
// document the stream has returned, and to one it has not reached) returns every document once: a document with
// several entries is taken at its first in the plan's ranges, sorted or not.
func TestFindBatches_IndexTurnsMultikey(t *testing.T) {
	for _, sorted := range []bool{false, true} {
		e := openMem(t, engine.Options{})
		ctx := context.Background()
		for i := range 10 {
			mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "a", Value: i}})
		}
		if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Name: "a_1", Key: bson.D{{Key: "a", Value: 1}}}); err != nil {
			t.Fatal(err)
		}
		spec := engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 0}}}}), Batch: 3}
		if sorted {
			spec.Sort = doc(bson.D{{Key: "a", Value: 1}})
		}
		s, err := e.FindBatches(ctx, ns, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Batched() {
			t.Fatal("the index's scan is read whole")
		}
		var ids []int64
		for range 3 {
			d, err := s.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, intField(t, d, "_id"))
		}
		for id, a := range map[int]bson.A{1: {1, 8}, 7: {4, 7}} { // 1 returned already; 7's entries in two batches
			if _, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}),
				Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: a}}}})}, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range drain(t, s) {
			ids = append(ids, intField(t, d, "_id"))
		}
		want := []int64{0, 1, 2, 3, 4, 7, 5, 6, 8, 9} // 7 at its entry 4, after 4 (same key, the lower _id)
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("sorted %v: %v, want %v", sorted, ids, want)
		}
	}
}

// TestFindBatches_SortErrorFirst: a stream whose sort and projection are both invalid reports the sort's error, as
// Find does.
func TestFindBatches_SortErrorFirst(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}})
	spec := engine.FindSpec{Sort: doc(bson.D{{Key: "a", Value: "bad"}}), Projection: doc(bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 0}})}
	_, want := e.Find(ctx, nil, ns, spec, nil)
	_, got := e.FindBatches(ctx, ns, spec, nil)
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Fatalf("FindBatches: %v; Find: %v", got, want)
	}
}
