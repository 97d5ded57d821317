package atomicop_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/atomicop"
	"github.com/concorddb/concord/store"
	"github.com/concorddb/concord/store/storetest"
)

func id(v any) bson.D { return bson.D{{Key: "_id", Value: v}} }

// setup inserts docs into a fresh collection of b and returns its operations.
func setup(t *testing.T, b *storetest.Backend, name string, opts *atomicop.Options, docs ...bson.D) *atomicop.Ops {
	t.Helper()
	c := b.Collection(name)
	for _, d := range docs {
		if _, err := c.InsertOne(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	return atomicop.New(b.Store, b.Database, name, opts)
}

// race runs f(i) on n goroutines started together.
func race(n int, f func(i int)) {
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			f(i)
		}()
	}
	start.Done()
	done.Wait()
}

func get(t *testing.T, b *storetest.Backend, coll string, docID any) bson.Raw {
	t.Helper()
	doc, err := b.Collection(coll).FindOne(context.Background(), id(docID), nil)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestCompareAndSwap_OneWinnerOf32: 32 racers expect the same value; exactly one applies.
func TestCompareAndSwap_OneWinnerOf32(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ops := setup(t, b, "cas", &atomicop.Options{VersionField: "version"},
			bson.D{{Key: "_id", Value: 1}, {Key: "state", Value: "open"}, {Key: "version", Value: int64(1)}})
		var wins atomic.Int64
		var winner atomic.Int64
		race(32, func(i int) {
			res, err := ops.Do(context.Background(), atomicop.CompareAndSwap{ID: 1, Field: "state", Expected: "open", New: i, Version: 1})
			if err != nil {
				t.Error(err)
			}
			if res.Applied {
				wins.Add(1)
				winner.Store(int64(i))
			}
		})
		if wins.Load() != 1 {
			t.Fatalf("%d winners, want 1", wins.Load())
		}
		doc := get(t, b, "cas", 1)
		if got := doc.Lookup("state").AsInt64(); got != winner.Load() || doc.Lookup("version").AsInt64() != 2 {
			t.Errorf("document %v, want the winner %d's value at version 2", doc, winner.Load())
		}
		if _, err := ops.Do(context.Background(), atomicop.CompareAndSwap{ID: 2, Field: "state", Expected: "open", New: 1}); !errors.Is(err, atomicop.ErrNotFound) {
			t.Errorf("CAS on a missing _id: %v, want ErrNotFound", err)
		}
	})
}

// TestIncrement_NeverCrossesTheBound: 32 concurrent decrements of a stock of 10 with a floor of 0: exactly 10
// apply, 22 are refused, the stock ends at 0 and every applied result's value is in bounds.
func TestIncrement_NeverCrossesTheBound(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ops := setup(t, b, "stock", nil, bson.D{{Key: "_id", Value: "sku"}, {Key: "stock", Value: int64(10)}})
		zero := int64(0)
		var applied, refused atomic.Int64
		race(32, func(int) {
			res, err := ops.Do(context.Background(), atomicop.Increment{ID: "sku", Field: "stock", By: -1, Min: &zero})
			switch {
			case err != nil:
				t.Error(err)
			case res.Applied && res.Value.AsInt64() >= 0:
				applied.Add(1)
			case res.Refused && !res.Applied:
				refused.Add(1)
			default:
				t.Errorf("result %+v", res)
			}
		})
		if applied.Load() != 10 || refused.Load() != 22 {
			t.Errorf("%d applied, %d refused, want 10 and 22", applied.Load(), refused.Load())
		}
		if got := get(t, b, "stock", "sku").Lookup("stock").AsInt64(); got != 0 {
			t.Errorf("stock %d, want 0", got)
		}
		ten := int64(10)
		res, err := ops.Do(context.Background(), atomicop.Increment{ID: "sku", Field: "stock", By: 11, Max: &ten})
		if err != nil || !res.Refused || res.Value.AsInt64() != 0 {
			t.Errorf("increment past the ceiling: %+v, %v, want refused at 0", res, err)
		}
	})
}

// TestAddToSet_16Racers: 16 concurrent add-unique of one value: it is stored once, and exactly one call
// reports that it changed the array.
func TestAddToSet_16Racers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ops := setup(t, b, "tags", &atomicop.Options{VersionField: "version"},
			bson.D{{Key: "_id", Value: 1}, {Key: "tags", Value: bson.A{"a"}}, {Key: "version", Value: int64(1)}})
		var changed atomic.Int64
		race(16, func(int) {
			res, err := ops.Do(context.Background(), atomicop.AddToSet{ID: 1, Field: "tags", Value: "x"})
			if err != nil {
				t.Error(err)
			}
			if res.Applied {
				changed.Add(1)
			}
		})
		doc := get(t, b, "tags", 1)
		vals, _ := doc.Lookup("tags").Array().Values()
		if changed.Load() != 1 || len(vals) != 2 || doc.Lookup("version").AsInt64() != 2 {
			t.Errorf("%d calls changed the array, document %v: want 1 change, tags [a x], version 2", changed.Load(), doc)
		}
	})
}

// TestUpsert_SurvivesTheInsertRace: 16 concurrent upserts of one key (by _id, and by a field with a unique
// index) leave one document with all 16 increments.
func TestUpsert_SurvivesTheInsertRace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		ops := setup(t, b, "upsert", nil)
		if b.DB != nil {
			_, err := b.DB.Database(b.Database).Collection("upsert").CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "email", Value: 1}}, Unique: true})
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, filter := range []bson.D{id("k"), {{Key: "email", Value: "ada@example.com"}}} {
			if filter[0].Key == "email" && b.DB == nil {
				continue // no unique index on a real MongoDB without the store creating one
			}
			var attempts, upserted atomic.Int64
			race(16, func(int) {
				res, err := ops.Do(ctx, atomicop.Upsert{Filter: filter, Update: bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}})
				if err != nil || !res.Applied {
					t.Errorf("Upsert: %+v, %v", res, err)
				}
				attempts.Add(int64(res.Attempts))
				if res.UpsertedID != nil {
					upserted.Add(1)
				}
			})
			docs, err := b.Collection("upsert").Find(ctx, filter, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 || docs[0].Lookup("n").AsInt64() != 16 || upserted.Load() != 1 {
				t.Errorf("filter %v: %d documents %v, %d inserts, want one document with n 16 inserted once", filter, len(docs), docs, upserted.Load())
			}
			t.Logf("%s, filter %v: %d writes for 16 upserts", b.Name, filter, attempts.Load())
		}
	})
}

// TestArrayAndSwap: push with a cap, pull, pop and swap report what they did.
func TestArrayAndSwap(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		ops := setup(t, b, "arr", nil, bson.D{{Key: "_id", Value: 1}, {Key: "log", Value: bson.A{1, 2}}, {Key: "a", Value: "x"}, {Key: "b", Value: int64(7)}})
		for _, v := range []int32{3, 4} {
			if res, err := ops.Do(ctx, atomicop.Push{ID: 1, Field: "log", Value: v, Cap: 3}); err != nil || !res.Applied {
				t.Fatalf("Push: %+v, %v", res, err)
			}
		}
		if res, err := ops.Do(ctx, atomicop.Pull{ID: 1, Field: "log", Value: 9}); err != nil || res.Applied {
			t.Errorf("Pull of an absent value: %+v, %v, want not applied", res, err)
		}
		if res, err := ops.Do(ctx, atomicop.Pull{ID: 1, Field: "log", Value: 3}); err != nil || !res.Applied {
			t.Errorf("Pull: %+v, %v", res, err)
		}
		res, err := ops.Do(ctx, atomicop.Pop{ID: 1, Field: "log", First: true})
		if err != nil || !res.Applied || res.Value.AsInt64() != 2 {
			t.Errorf("Pop first: %+v, %v, want 2", res, err)
		}
		if res, err := ops.Do(ctx, atomicop.Swap{ID: 1, A: "a", B: "b"}); err != nil || !res.Applied {
			t.Errorf("Swap: %+v, %v", res, err)
		}
		if res, err := ops.Do(ctx, atomicop.Swap{ID: 1, A: "a", B: "missing"}); err != nil || !res.Applied {
			t.Errorf("Swap with a missing field: %+v, %v", res, err)
		}
		doc := get(t, b, "arr", 1)
		want := `{"_id": {"$numberInt":"1"},"log": [{"$numberInt":"4"}],"b": "x","missing": {"$numberLong":"7"}}`
		if doc.String() != want {
			t.Errorf("document %s, want %s", doc, want)
		}
		res, err = ops.Do(ctx, atomicop.Pop{ID: 1, Field: "log"})
		if err != nil || !res.Applied {
			t.Errorf("Pop last: %+v, %v", res, err)
		}
		if res, err := ops.Do(ctx, atomicop.Pop{ID: 1, Field: "log"}); err != nil || res.Applied {
			t.Errorf("Pop of an empty array: %+v, %v, want not applied", res, err)
		}
	})
}

// TestBulk_AllOrNothing: a list with an operation that does not apply writes nothing and names it; the same
// list without it writes everything; the operation log records each operation in the transaction.
func TestBulk_AllOrNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		ops := setup(t, b, "bulk", &atomicop.Options{LogCollection: "oplog"},
			bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: int64(5)}, {Key: "s", Value: "a"}})
		zero := int64(0)
		list := []atomicop.Op{
			atomicop.Increment{ID: 1, Field: "n", By: -5, Min: &zero},
			atomicop.CompareAndSwap{ID: 1, Field: "s", Expected: "zzz", New: "b"},
			atomicop.AddToSet{ID: 1, Field: "t", Value: 1},
		}
		results, err := ops.Bulk(ctx, list)
		var be *atomicop.BulkError
		if !errors.As(err, &be) || be.Index != 1 || !errors.Is(err, atomicop.ErrNotApplied) {
			t.Fatalf("Bulk: %v, want operation 1 not applied", err)
		}
		if !results[0].Applied || results[1].Applied || results[2].Op != "" {
			t.Errorf("results %+v: want applied, not applied, not attempted", results)
		}
		if doc := get(t, b, "bulk", 1); doc.Lookup("n").AsInt64() != 5 {
			t.Errorf("after the rolled-back bulk: %v, want n 5", doc)
		}
		list[1] = atomicop.CompareAndSwap{ID: 1, Field: "s", Expected: "a", New: "b"}
		results, err = ops.Bulk(ctx, list)
		if err != nil || len(results) != 3 || !results[2].Applied {
			t.Fatalf("Bulk: %+v, %v", results, err)
		}
		doc := get(t, b, "bulk", 1)
		if doc.Lookup("n").AsInt64() != 0 || doc.Lookup("s").StringValue() != "b" {
			t.Errorf("after the bulk: %v", doc)
		}
		entries, err := b.Collection("oplog").Find(ctx, nil, nil)
		if err != nil || len(entries) != 3 {
			t.Errorf("operation log: %d entries (%v), want the 3 of the committed bulk", len(entries), err)
		}
	})
}

// losingStore is a store whose collections make the first upsert lose the insert race: a competing writer
// inserts the key first, and the upsert fails with the duplicate key MongoDB reports in that case. The engine
// (and MongoDB for an _id equality) usually retries such an upsert by itself, so without this the toolkit's own
// retry would go untested.
type losingStore struct {
	store.Store
	lost atomic.Bool
}

func (s *losingStore) Collection(database, name string) store.Collection {
	return &losingCollection{Collection: s.Store.Collection(database, name), s: s}
}

type losingCollection struct {
	store.Collection
	s *losingStore
}

func (c *losingCollection) UpdateOne(ctx context.Context, filter, update any, opts *store.UpdateOptions) (store.UpdateResult, error) {
	if opts != nil && opts.Upsert && !c.s.lost.Swap(true) {
		if _, err := c.Collection.InsertOne(ctx, bson.D{{Key: "_id", Value: "k"}, {Key: "n", Value: int64(10)}}); err != nil {
			return store.UpdateResult{}, err
		}
		return store.UpdateResult{}, &concord.Error{Code: 11000, Message: "E11000 duplicate key error"}
	}
	return c.Collection.UpdateOne(ctx, filter, update, opts)
}

// TestUpsert_RetriesAfterLosingTheInsertRace: an upsert that loses the insert race is retried as an update of
// the winner's document.
func TestUpsert_RetriesAfterLosingTheInsertRace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ops := atomicop.New(&losingStore{Store: b.Store}, b.Database, "lost", nil)
		res, err := ops.Do(context.Background(), atomicop.Upsert{Filter: id("k"), Update: bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}})
		if err != nil || !res.Applied || res.Attempts != 2 || res.UpsertedID != nil {
			t.Fatalf("Upsert: %+v, %v, want applied as an update at the second attempt", res, err)
		}
		if got := get(t, b, "lost", "k").Lookup("n").AsInt64(); got != 11 {
			t.Errorf("n = %d, want the winner's 10 plus 1", got)
		}
	})
}
