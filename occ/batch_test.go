package occ_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

// TestBatch_Report: each mode on a batch with a stale version and a missing _id.
func TestBatch_Report(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		for _, mode := range []occ.Mode{occ.AllOrNothing, occ.Independent} {
			c := newCollection(t, b, "batch", nil)
			_, _ = c.Unversioned().DeleteMany(ctx, nil)
			for i := range 3 {
				if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := c.UpdateOne(ctx, 1, 1, set("x", 1)); err != nil {
				t.Fatal(err)
			}
			inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
			r, err := c.Batch(ctx, []occ.BatchItem{{ID: 0, Version: 1, Update: inc}, {ID: 1, Version: 1, Update: inc}, {ID: 9, Update: inc}, {ID: 2, Update: inc}}, mode)
			if err != nil {
				t.Fatal(err)
			}
			ok := occ.Updated
			if mode == occ.AllOrNothing {
				ok = occ.RolledBack
			}
			want := []occ.ItemReport{
				{ID: 0, Status: ok, Expected: 1, Current: 2},
				{ID: 1, Status: occ.Conflict, Expected: 1, Current: 2},
				{ID: 9, Status: occ.NotFound},
				{ID: 2, Status: ok, Expected: 1, Current: 2},
			}
			if mode == occ.AllOrNothing {
				want[0].Current, want[3].Current = 1, 1
			}
			for i, w := range want {
				if got := r.Items[i]; got != w {
					t.Errorf("mode %d item %d: %+v, want %+v", mode, i, got, w)
				}
			}
			for i, wantN := range map[int]int32{0: 1, 1: 0, 2: 1} {
				doc, _, _ := c.FindByID(ctx, i)
				n, _ := doc.Lookup("n").AsInt64OK()
				if mode == occ.AllOrNothing {
					wantN = 0
				}
				if int32(n) != wantN {
					t.Errorf("mode %d: document %d has n %d, want %d", mode, i, n, wantN)
				}
			}
		}
	})
}

// TestBatch_ExactUnderContention: 16 writers keep bumping the even documents of a 20-document batch while the
// batch runs from versions read before. Afterwards every document agrees with its report: Updated means the
// batch's increment is there once, Conflict or RolledBack means it is not, and each version is 1 + the writers'
// saves + the batch's.
func TestBatch_ExactUnderContention(t *testing.T) {
	const docs, writers = 20, 16
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		for _, mode := range []occ.Mode{occ.AllOrNothing, occ.Independent} {
			ctx := context.Background()
			c := newCollection(t, b, "contended", &occ.Options{Retry: fastRetry})
			_, _ = c.Unversioned().DeleteMany(ctx, nil)
			items := make([]occ.BatchItem, docs)
			for i := range docs {
				if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: i}, {Key: "w", Value: int64(0)}, {Key: "b", Value: int64(0)}}); err != nil {
					t.Fatal(err)
				}
				items[i] = occ.BatchItem{ID: i, Version: 1, Update: bson.D{{Key: "$inc", Value: bson.D{{Key: "b", Value: int64(1)}}}}}
			}
			var started, wg sync.WaitGroup
			started.Add(writers)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 2))
					for n := range 5 {
						_, err := occ.Modify(ctx, c, 2*rng.IntN(docs/2), func(d *bson.M) error {
							(*d)["w"] = (*d)["w"].(int64) + 1
							return nil
						})
						if err != nil {
							t.Error(err)
						}
						if n == 0 {
							started.Done()
						}
					}
				}()
			}
			started.Wait()
			r, err := c.Batch(ctx, items, mode)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			for i, it := range r.Items {
				doc, v, err := c.FindByID(ctx, i)
				if err != nil {
					t.Fatal(err)
				}
				w, bb := doc.Lookup("w").Int64(), doc.Lookup("b").Int64()
				switch it.Status {
				case occ.Updated:
					if bb != 1 {
						t.Errorf("mode %d doc %d reported updated, b = %d", mode, i, bb)
					}
				case occ.Conflict, occ.RolledBack:
					if bb != 0 {
						t.Errorf("mode %d doc %d reported %v, b = %d", mode, i, it.Status, bb)
					}
					if it.Status == occ.Conflict && (it.Current <= it.Expected || i%2 == 1) {
						t.Errorf("mode %d doc %d: conflict %+v", mode, i, it)
					}
				default:
					t.Errorf("mode %d doc %d: %+v", mode, i, it)
				}
				if v != 1+w+bb {
					t.Errorf("mode %d doc %d at version %d, want 1 + %d writer saves + %d", mode, i, v, w, bb)
				}
				if mode == occ.Independent && i%2 == 1 && it.Status != occ.Updated {
					t.Errorf("untouched doc %d: %v", i, it.Status)
				}
			}
			if mode == occ.AllOrNothing && r.Count(occ.Updated) != 0 && r.Count(occ.Updated) != docs {
				t.Errorf("all-or-nothing batch half applied: %+v", r.Items)
			}
			t.Logf("%s mode %d: %d updated, %d conflicts, %d rolled back", b.Name, mode, r.Count(occ.Updated), r.Count(occ.Conflict), r.Count(occ.RolledBack))
		}
	})
}
