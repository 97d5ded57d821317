package merge_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

type product struct {
	ID      string   `bson:"_id"`
	Version int64    `bson:"version"`
	Title   string   `bson:"title"`
	Price   float64  `bson:"price"`
	Stock   int32    `bson:"stock" merge:"counter,min=0"`
	Tags    []string `bson:"tags" merge:"set"`
}

func marshal(t *testing.T, v any) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResolve writes a merge on both backends: the caller edited a stale copy, others changed the document
// meanwhile; the merged document keeps every change, the version moves once past theirs, the log has the
// entry and the counters the outcome. An unresolvable edit writes nothing and is logged as a conflict.
func TestResolve(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := occ.WithUser(context.Background(), "alice")
		m := &occ.Metrics{}
		c := occ.New(b.Store, b.Database, "products", &occ.Options{Metrics: m})
		p := product{ID: "p1", Title: "Lamp", Price: 10, Stock: 5, Tags: []string{"home"}}
		if _, err := c.Insert(ctx, p); err != nil {
			t.Fatal(err)
		}
		p.Version = 1
		base := marshal(t, p)
		// Theirs: someone sold two lamps and tagged it.
		if _, err := c.UpdateOne(ctx, "p1", 1, bson.D{{Key: "$inc", Value: bson.D{{Key: "stock", Value: int32(-2)}}},
			{Key: "$push", Value: bson.D{{Key: "tags", Value: "sale"}}}}); err != nil {
			t.Fatal(err)
		}
		// Mine, from the stale base: a new title, one more lamp sold, a tag.
		mp := p
		mp.Title, mp.Stock, mp.Tags = "Desk lamp", 4, []string{"home", "desk"}
		policy, err := merge.PolicyOf[product]()
		if err != nil {
			t.Fatal(err)
		}
		opts := &merge.Options{Policy: policy, Log: b.Collection("merges")}
		res, r, err := merge.Resolve(ctx, c, "p1", base, marshal(t, mp), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.PreviousVersion != 2 || res.NewVersion != 3 || len(r.Resolved) != 2 {
			t.Fatalf("result %+v, resolved %+v", res, r.Resolved)
		}
		doc, _, _ := c.FindByID(ctx, "p1")
		var got product
		if err := bson.Unmarshal(doc, &got); err != nil {
			t.Fatal(err)
		}
		if got.Title != "Desk lamp" || got.Stock != 2 || doc.Lookup("stock").Type != bson.TypeInt32 ||
			len(got.Tags) != 3 || got.Tags[0] != "home" || got.Tags[1] != "sale" || got.Tags[2] != "desk" || got.Version != 3 {
			t.Fatalf("merged %v", doc)
		}

		// A collision no rule resolves: the price, changed on both sides.
		p = got
		base = marshal(t, p)
		if _, err := c.UpdateOne(ctx, "p1", 3, bson.D{{Key: "$set", Value: bson.D{{Key: "price", Value: 12.0}}}}); err != nil {
			t.Fatal(err)
		}
		mp = p
		mp.Price = 9
		_, r, err = merge.Resolve(ctx, c, "p1", base, marshal(t, mp), opts)
		var ce *merge.ConflictError
		if !errors.As(err, &ce) || len(ce.Conflicts) != 1 || ce.Conflicts[0].Path != "price" || r.Doc != nil {
			t.Fatalf("err %v", err)
		}
		if _, v, _ := c.FindByID(ctx, "p1"); v != 4 {
			t.Fatalf("a conflict wrote: version %d", v)
		}
		entries, err := b.Collection("merges").Find(ctx, nil, nil)
		if err != nil || len(entries) != 2 {
			t.Fatalf("log: %d entries, %v", len(entries), err)
		}
		var e0, e1 merge.LogEntry
		_ = bson.Unmarshal(entries[0], &e0)
		_ = bson.Unmarshal(entries[1], &e1)
		if e0.Outcome != "resolved" || e0.By != "alice" || e0.Merged == nil || e0.Theirs == nil || e0.Strategy != "merge" ||
			e1.Outcome != "conflict" || len(e1.Paths) != 1 || e1.Paths[0] != "price" || e1.Merged != nil {
			t.Fatalf("log %+v\n%+v", e0, e1)
		}
		cnt := m.Collection(c.Namespace()).Merges
		if cnt["merge/resolved"] != 1 || cnt["merge/conflict"] != 1 {
			t.Fatalf("counters %v", cnt)
		}
	})
}

// TestResolve_MovesAgain merges while others keep writing: 8 goroutines each resolve a stale edit of their own
// counter delta against the same base; whatever the interleaving, every delta is applied once.
func TestResolve_MovesAgain(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := occ.New(b.Store, b.Database, "counters", &occ.Options{Metrics: &occ.Metrics{},
			Retry: &occ.Retry{MaxRetries: 1000, Base: time.Millisecond, Max: 10 * time.Millisecond}})
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
		base := doc("_id", "c", "n", int64(0), "version", int64(1))
		policy := &merge.Policy{Fields: map[string]merge.Rule{"n": {Kind: merge.Counter}}}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := merge.Resolve(ctx, c, "c", base, doc("_id", "c", "n", int64(w+1), "version", int64(1)), &merge.Options{Policy: policy}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		d, v, _ := c.FindByID(ctx, "c")
		if d.Lookup("n").Int64() != 36 || v != 9 {
			t.Fatalf("after 8 merges: %v", d)
		}
	})
}

// TestTouch_FieldTimestamps keeps per-field modification times beside the document on both backends and
// merges by them: the later change of each field wins, whichever side it is on.
func TestTouch_FieldTimestamps(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := occ.New(b.Store, b.Database, "notes", &occ.Options{Metrics: &occ.Metrics{}})
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		base := doc("_id", "n", "title", "t", "body", "b", "meta", doc("color", "red"))
		if _, err := c.Insert(ctx, base); err != nil {
			t.Fatal(err)
		}
		base, _, _ = c.FindByID(ctx, "n")
		// Theirs changed the body at t0+2 and the title at t0+1.
		theirs, err := merge.Touch(base, doc("_id", "n", "version", int64(1), "title", "T", "body", "B", "meta", doc("color", "red")), nil, t0.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		theirs, _ = merge.Touch(theirs, doc("_id", "n", "version", int64(1), "title", "T", "body", "B2", "meta", doc("color", "red"),
			"_modified", theirs.Lookup("_modified").Document()), nil, t0.Add(2*time.Second))
		if _, err := c.ReplaceOne(ctx, "n", 1, theirs); err != nil {
			t.Fatal(err)
		}
		// Mine changed both and the color, at t0+1.5: my title is later, their body is later.
		mine, _ := merge.Touch(base, doc("_id", "n", "version", int64(1), "title", "MINE", "body", "mine", "meta", doc("color", "blue")), nil, t0.Add(1500*time.Millisecond))
		_, r, err := merge.Resolve(ctx, c, "n", base, mine, &merge.Options{Strategy: merge.FieldTimestamps})
		if err != nil {
			t.Fatal(err)
		}
		got, _, _ := c.FindByID(ctx, "n")
		if got.Lookup("title").StringValue() != "MINE" || got.Lookup("body").StringValue() != "B2" ||
			got.Lookup("meta", "color").StringValue() != "blue" || len(r.Resolved) != 2 {
			t.Fatalf("merged %v (resolved %+v)", got, r.Resolved)
		}
		if ts := got.Lookup("_modified", "title").Time(); !ts.Equal(t0.Add(1500 * time.Millisecond)) {
			t.Fatalf("title stamp %v", ts)
		}
		// Stamps are per leaf path: the color, not all of meta.
		stamps := got.Lookup("_modified").Document()
		if ts, ok := stamps.Lookup("meta", "color").DateTimeOK(); !ok || ts != t0.Add(1500*time.Millisecond).UnixMilli() {
			t.Fatalf("stamps %v", stamps)
		}
		if _, err := stamps.LookupErr("meta", "size"); err == nil {
			t.Fatalf("stamps %v", stamps)
		}
	})
}
