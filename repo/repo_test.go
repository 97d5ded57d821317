package repo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store/storetest"
)

// item is the entity of these tests.
type item struct {
	ID      string `bson:"_id"`
	Name    string `bson:"name"`
	Price   int64  `bson:"price"`
	Stock   int64  `bson:"stock"`
	Version int64  `bson:"version"`
}

func newRepo(t *testing.T, b *storetest.Backend, name string, opts *occ.Options) *repo.Repository[item] {
	t.Helper()
	var o occ.Options
	if opts != nil {
		o = *opts
	}
	o.Metrics = &occ.Metrics{}
	r, err := repo.New[item](occ.New(b.Store, b.Database, name, &o))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRepository_CRUD: Insert sets version 1, Save moves it and sends only changed fields, a stale Save or
// Delete is a conflict, Get of a missing _id is not found.
func TestRepository_CRUD(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "items", nil)
		pen := &item{ID: "pen", Name: "pen", Price: 2}
		if err := r.Insert(ctx, pen); err != nil || pen.Version != 1 {
			t.Fatalf("Insert: %v, version %d", err, pen.Version)
		}
		if err := r.Insert(ctx, &item{ID: "pen"}); !errors.Is(err, occ.ErrConflict) {
			t.Errorf("Insert of an existing _id: %v, want a conflict", err)
		}
		stale, err := r.Get(ctx, "pen")
		if err != nil {
			t.Fatal(err)
		}
		// A field the entity does not hold, set by someone else, must survive the save.
		if _, err := r.Collection().Unversioned().UpdateOne(ctx, bson.D{{Key: "_id", Value: "pen"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "color", Value: "red"}}}}, nil); err != nil {
			t.Fatal(err)
		}
		pen.Price = 3
		if err := r.Save(ctx, pen); err != nil || pen.Version != 2 {
			t.Fatalf("Save: %v, version %d", err, pen.Version)
		}
		stale.Stock = 9
		var ce *occ.ConflictError
		if err := r.Save(ctx, stale); !errors.As(err, &ce) || ce.Expected != 1 || ce.Current != 2 {
			t.Errorf("stale Save: %v, want a conflict expected 1 current 2", err)
		}
		if err := r.Delete(ctx, stale); !errors.Is(err, occ.ErrConflict) {
			t.Errorf("stale Delete: %v, want a conflict", err)
		}
		doc, _, _ := r.Collection().FindByID(ctx, "pen")
		if doc.Lookup("color").StringValue() != "red" || doc.Lookup("price").Int64() != 3 || doc.Lookup("stock").Int64() != 0 {
			t.Errorf("stored %v", doc)
		}
		if err := r.Delete(ctx, pen); err != nil {
			t.Errorf("Delete: %v", err)
		}
		if _, err := r.Get(ctx, "pen"); !errors.Is(err, occ.ErrNotFound) {
			t.Errorf("Get after Delete: %v, want not found", err)
		}
	})
}

// TestRepository_LostUpdate is seed 002's scenario through the repository: 100 concurrent users each add 1 to
// a counter. Naive (Get, then a plain write of the value read plus one) loses updates, and the test counts
// them; versioned without retry (Get, Save) turns every lost update into a conflict error; versioned with
// retry (Update) ends at exactly 100.
func TestRepository_LostUpdate(t *testing.T) {
	const users = 100
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		run := func(t *testing.T, name string, opts *occ.Options, user func(r *repo.Repository[item], read *sync.WaitGroup) error) (*repo.Repository[item], *item, int64) {
			r := newRepo(t, b, name, opts)
			if err := r.Insert(ctx, &item{ID: "c"}); err != nil {
				t.Fatal(err)
			}
			var read, done sync.WaitGroup
			read.Add(users)
			var failed atomic.Int64
			for range users {
				done.Add(1)
				go func() {
					defer done.Done()
					if err := user(r, &read); err != nil {
						if !errors.Is(err, occ.ErrConflict) {
							t.Error(err)
						}
						failed.Add(1)
					}
				}()
			}
			done.Wait()
			final, err := r.Get(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			return r, final, failed.Load()
		}
		// Every user reads, waits until all have read, then writes: the outcome does not depend on scheduling.
		getAll := func(r *repo.Repository[item], read *sync.WaitGroup) (*item, error) {
			it, err := r.Get(ctx, "c")
			read.Done()
			read.Wait()
			return it, err
		}

		t.Run("naive", func(t *testing.T) {
			_, final, _ := run(t, "naive", nil, func(r *repo.Repository[item], read *sync.WaitGroup) error {
				it, err := getAll(r, read)
				if err != nil {
					return err
				}
				_, err = r.Collection().Unversioned().UpdateOne(ctx, bson.D{{Key: "_id", Value: "c"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "stock", Value: it.Stock + 1}}}}, nil)
				return err
			})
			t.Logf("%s: naive read-modify-write lost %d of %d updates", b.Name, users-final.Stock, users)
			if final.Stock >= users {
				t.Errorf("naive read-modify-write ended at %d: no update lost", final.Stock)
			}
		})
		t.Run("versioned_no_retry", func(t *testing.T) {
			r, final, conflicts := run(t, "noretry", nil, func(r *repo.Repository[item], read *sync.WaitGroup) error {
				it, err := getAll(r, read)
				if err != nil {
					return err
				}
				it.Stock++
				return r.Save(ctx, it)
			})
			saves := users - conflicts
			if final.Stock != saves || final.Version != 1+saves || r.Collection().Metrics().Collection(r.Collection().Namespace()).Conflicts != conflicts {
				t.Errorf("final %+v after %d saves and %d conflicts", final, saves, conflicts)
			}
		})
		t.Run("versioned_retry", func(t *testing.T) {
			retry := &occ.Retry{MaxRetries: 100000, Base: time.Millisecond, Factor: 1.5, Max: 20 * time.Millisecond}
			_, final, failed := run(t, "retry", &occ.Options{Retry: retry}, func(r *repo.Repository[item], _ *sync.WaitGroup) error {
				_, _, err := r.Update(ctx, "c", func(it *item) error { it.Stock++; return nil })
				return err
			})
			if final.Stock != users || final.Version != users+1 || failed != 0 {
				t.Errorf("final %+v with %d failures, want stock %d", final, failed, users)
			}
		})
	})
}
