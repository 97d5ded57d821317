package repo_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store/storetest"
)

// TestHistory_EveryAcknowledgedWriteCountsOnce runs a random history over a few documents: 8 goroutines mixing
// every versioned write path (Modify with retry, UpdateOne from a version read earlier, Repository.Save, a batch
// in each mode, a unit of work over two documents, and a transaction of two Modifies). Each write adds 1 to a
// document's n and, when acknowledged, must have moved its version by exactly 1. At the end every document's n
// equals the acknowledged writes to it and its version is 1 + n: no acknowledged write lost, no failed write
// applied, on every path at once.
func TestHistory_EveryAcknowledgedWriteCountsOnce(t *testing.T) {
	const docs, workers, ops = 4, 8, 25
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "history", &occ.Options{Retry: &occ.Retry{MaxRetries: 1000, Base: time.Millisecond, Max: 10 * time.Millisecond}})
		c := r.Collection()
		ids := []string{"d0", "d1", "d2", "d3"}
		for _, id := range ids {
			if err := r.Insert(ctx, &item{ID: id}); err != nil {
				t.Fatal(err)
			}
		}
		var acked [docs]atomic.Int64
		idx := func(id string) int { return int(id[1] - '0') }
		inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "stock", Value: int64(1)}}}}
		// ok counts an acknowledged write to the given documents; a conflict is an expected outcome.
		ok := func(err error, touched ...string) {
			switch {
			case err == nil:
				for _, id := range touched {
					acked[idx(id)].Add(1)
				}
			case errors.Is(err, occ.ErrConflict):
			default:
				t.Error(err)
			}
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 3))
				for range ops {
					a := ids[rng.IntN(docs)]
					bID := ids[(idx(a)+1+rng.IntN(docs-1))%docs]
					switch rng.IntN(7) {
					case 0:
						_, err := occ.Modify(ctx, c, a, func(it *item) error { it.Stock++; return nil })
						ok(err, a)
					case 1:
						_, v, err := c.FindByID(ctx, a)
						if err == nil {
							_, err = c.UpdateOne(ctx, a, v, inc)
						}
						ok(err, a)
					case 2:
						it, err := r.Get(ctx, a)
						if err == nil {
							it.Stock++
							err = r.Save(ctx, it)
						}
						ok(err, a)
					case 3:
						rep, err := c.Batch(ctx, []occ.BatchItem{{ID: a, Update: inc}, {ID: bID, Update: inc}}, occ.Independent)
						if err != nil {
							t.Error(err)
							continue
						}
						for _, it := range rep.Items {
							if it.Status == occ.Updated {
								ok(nil, it.ID.(string))
							}
						}
					case 4:
						rep, err := c.Batch(ctx, []occ.BatchItem{{ID: a, Update: inc}, {ID: bID, Update: inc}}, occ.AllOrNothing)
						if err != nil {
							t.Error(err)
							continue
						}
						if n := rep.Count(occ.Updated); n == 2 {
							ok(nil, a, bID)
						} else if n != 0 {
							t.Errorf("all-or-nothing batch reported %d of 2 updated", n)
						}
					case 5:
						u := repo.NewUnit(b.Store, nil)
						x, err := r.Load(ctx, u, a)
						if err != nil {
							t.Error(err)
							continue
						}
						y, err := r.Load(ctx, u, bID)
						if err != nil {
							t.Error(err)
							continue
						}
						x.Stock++
						y.Stock++
						ok(u.Commit(ctx), a, bID)
					case 6:
						err := occ.WithTransaction(ctx, b.Store, func(ctx context.Context) error {
							for _, id := range []string{a, bID} {
								if _, err := occ.Modify(ctx, c, id, func(it *item) error { it.Stock++; return nil }); err != nil {
									return err
								}
							}
							return nil
						}, nil)
						ok(err, a, bID)
					}
				}
			}()
		}
		wg.Wait()
		var total int64
		for i, id := range ids {
			it, err := r.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if it.Stock != acked[i].Load() || it.Version != 1+it.Stock {
				t.Errorf("%s: n %d, version %d after %d acknowledged writes", id, it.Stock, it.Version, acked[i].Load())
			}
			total += it.Stock
		}
		t.Logf("%s: %d acknowledged writes", b.Name, total)
	})
}
