package occ_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

type journal struct {
	ID      string   `bson:"_id"`
	Version int64    `bson:"version"`
	N       int64    `bson:"n"`
	Log     []string `bson:"log"`
}

// TestHistory_ConcurrentWriters runs 16 writers, each appending to one document five times through Modify with
// retry. The history must hold exactly one entry per successful write (plus the insert), with versions 1, 2, 3,
// ... without a gap or a repeat, and replaying it must reproduce the document: each entry is the one before it
// with one more write applied (n + 1, one more log line, the version + 1), and the last is the document as
// stored.
func TestHistory_ConcurrentWriters(t *testing.T) {
	const writers, writes = 16, 5
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "journal", &occ.Options{History: &occ.HistoryOptions{},
			Retry: &occ.Retry{MaxRetries: 1000, Base: time.Millisecond, Max: 20 * time.Millisecond}})
		if _, err := c.Insert(occ.WithUser(ctx, "admin"), journal{ID: "j", Log: []string{}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		acked := 0
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				uctx := occ.WithUser(ctx, fmt.Sprintf("w%d", w))
				for i := range writes {
					_, err := occ.Modify(uctx, c, "j", func(j *journal) error {
						j.N++
						j.Log = append(j.Log, fmt.Sprintf("w%d.%d", w, i))
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if acked != writers*writes {
			t.Fatalf("acknowledged %d writes", acked)
		}
		hist, err := c.History(ctx, "j")
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1+acked {
			t.Fatalf("history has %d entries for %d writes and the insert", len(hist), acked)
		}
		var prev journal
		for i, e := range hist {
			var cur journal
			if err := bson.Unmarshal(e.Document, &cur); err != nil {
				t.Fatal(err)
			}
			if e.Version != int64(i+1) || cur.Version != e.Version {
				t.Fatalf("entry %d: version %d, document version %d", i, e.Version, cur.Version)
			}
			wantOp, wantBy := "update", "w"
			if i == 0 {
				wantOp, wantBy = "insert", "admin"
			}
			if e.Op != wantOp || len(e.By) < len(wantBy) || e.By[:len(wantBy)] != wantBy || e.At.IsZero() {
				t.Fatalf("entry %d: op %q by %q at %v", i, e.Op, e.By, e.At)
			}
			if i > 0 {
				if cur.N != prev.N+1 || len(cur.Log) != len(prev.Log)+1 || fmt.Sprint(cur.Log[:len(prev.Log)]) != fmt.Sprint(prev.Log) {
					t.Fatalf("entry %d is not entry %d plus one write: %+v after %+v", i, i-1, cur, prev)
				}
				if want := fmt.Sprintf("w%s.", e.By[1:]); cur.Log[len(cur.Log)-1][:len(want)] != want {
					t.Fatalf("entry %d by %s appended %s", i, e.By, cur.Log[len(cur.Log)-1])
				}
			}
			prev = cur
		}
		stored, _, err := c.FindByID(ctx, "j")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored, hist[len(hist)-1].Document) {
			t.Fatalf("replay ends at %v, stored %v", hist[len(hist)-1].Document, stored)
		}
	})
}

// TestHistory_AsOfRevertPrune reads a document as of an old version, reverts to it (a new version holding the
// old content), records a failed write and a rolled-back transaction as nothing, records a delete, and prunes
// by count and by age.
func TestHistory_AsOfRevertPrune(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var clock sync.Mutex
		c := newCollection(t, b, "docs", &occ.Options{History: &occ.HistoryOptions{Collection: "audit"},
			Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
		tick := func() { clock.Lock(); now = now.Add(time.Hour); clock.Unlock() }
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "title", Value: "a"}, {Key: "n", Value: int32(1)}}); err != nil {
			t.Fatal(err)
		}
		tick()
		if _, err := c.UpdateOne(ctx, 1, 1, set("title", "b")); err != nil {
			t.Fatal(err)
		}
		tick()
		if _, err := c.ReplaceOne(ctx, 1, 2, bson.D{{Key: "title", Value: "c"}}); err != nil {
			t.Fatal(err)
		}
		// A conflict and a rolled-back transaction leave no entry.
		if _, err := c.UpdateOne(ctx, 1, 1, set("title", "x")); !errors.Is(err, occ.ErrConflict) {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := occ.WithTransaction(ctx, b.Store, func(ctx context.Context) error {
			if _, err := c.UpdateOne(ctx, 1, 3, set("title", "y")); err != nil {
				return err
			}
			return boom
		}, nil); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		v1, err := c.AsOf(ctx, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v1.Lookup("title").StringValue() != "a" || v1.Lookup("n").Type != bson.TypeInt32 || v1.Lookup("version").AsInt64() != 1 {
			t.Fatalf("as of 1: %v", v1)
		}
		if v3, err := c.AsOf(ctx, 1, 3); err != nil || v3.Lookup("title").StringValue() != "c" || len(mustElems(v3)) != 3 {
			t.Fatalf("as of 3: %v, %v", v3, err)
		}
		if _, err := c.AsOf(ctx, 1, 4); !errors.Is(err, occ.ErrNoHistory) {
			t.Fatalf("as of 4: %v", err)
		}
		tick()
		res, err := c.Revert(occ.WithUser(ctx, "ops"), 1, 1)
		if err != nil || res.PreviousVersion != 3 || res.NewVersion != 4 {
			t.Fatalf("revert: %+v, %v", res, err)
		}
		cur, v, _ := c.FindByID(ctx, 1)
		if v != 4 || cur.Lookup("title").StringValue() != "a" || cur.Lookup("n").Int32() != 1 {
			t.Fatalf("after revert: %v", cur)
		}
		if _, err := c.DeleteOne(ctx, 1, 4); err != nil {
			t.Fatal(err)
		}
		hist, err := c.History(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		var ops []string
		for _, e := range hist {
			ops = append(ops, fmt.Sprintf("%d:%s", e.Version, e.Op))
		}
		if got := fmt.Sprint(ops); got != "[1:insert 2:update 3:replace 4:revert 5:delete]" || hist[3].By != "ops" || hist[4].Document != nil {
			t.Fatalf("history %s, %+v", got, hist[3])
		}
		if n, err := c.PruneHistory(ctx, 1, occ.PruneOptions{Keep: 3}); err != nil || n != 2 {
			t.Fatalf("prune keep 3: %d, %v", n, err)
		}
		// Entries 3, 4 and 5 are at hours 2, 3 and 3; "older than 30 minutes" at hour 3 is entry 3.
		if n, err := c.PruneHistory(ctx, nil, occ.PruneOptions{OlderThan: 30 * time.Minute}); err != nil || n != 1 {
			t.Fatalf("prune by age: %d, %v", n, err)
		}
		if hist, _ := c.History(ctx, 1); len(hist) != 2 || hist[0].Version != 4 {
			t.Fatalf("after pruning: %+v", hist)
		}
	})
}

// TestHistory_TransactionAndBatch records the writes of a transaction and of both batch modes in the
// transaction that makes them: a batch rolled back leaves no entry.
func TestHistory_TransactionAndBatch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "items", &occ.Options{History: &occ.HistoryOptions{}})
		for i := range 2 {
			if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}); err != nil {
				t.Fatal(err)
			}
		}
		inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
		rep, err := c.Batch(ctx, []occ.BatchItem{{ID: 0, Update: inc}, {ID: 1, Version: 7, Update: inc}}, occ.AllOrNothing)
		if err != nil || rep.Items[0].Status != occ.RolledBack {
			t.Fatalf("batch: %+v, %v", rep, err)
		}
		if _, err := c.Batch(ctx, []occ.BatchItem{{ID: 0, Update: inc}, {ID: 1, Update: inc}}, occ.AllOrNothing); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Batch(ctx, []occ.BatchItem{{ID: 0, Update: inc}, {ID: 1, Version: 7, Update: inc}}, occ.Independent); err != nil {
			t.Fatal(err)
		}
		for i, want := range []int{3, 2} {
			hist, err := c.History(ctx, i)
			if err != nil || len(hist) != want {
				t.Fatalf("doc %d: %d entries, %v", i, len(hist), err)
			}
			if last := hist[len(hist)-1]; last.Document.Lookup("n").AsInt64() != int64(want-1) {
				t.Fatalf("doc %d: last entry %v", i, last.Document)
			}
		}
	})
}

func mustElems(d bson.Raw) []bson.RawElement {
	e, _ := d.Elements()
	return e
}
