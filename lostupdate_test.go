package concord_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// counterDoc is the one document the lost-update tests fight over.
type counterDoc struct {
	ID  int   `bson:"_id"`
	V   int64 `bson:"v"`
	Ver int64 `bson:"ver"`
}

// openMemDB opens an in-memory DB with the default options, closed at the
// end of the test.
func openMemDB(t *testing.T) *concord.DB { return openMemDBWith(t, nil) }

// openMemDBWith opens an in-memory DB with opts, closed at the end of the test.
func openMemDBWith(t *testing.T, opts *concord.Options) *concord.DB {
	t.Helper()
	db, err := concord.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// newCounter inserts {_id: 1, v: 0, ver: 0} into test.counter.
func newCounter(t *testing.T, db *concord.DB) *concord.Collection {
	t.Helper()
	coll := db.Database("test").Collection("counter")
	if _, err := coll.InsertOne(context.Background(), counterDoc{ID: 1}); err != nil {
		t.Fatal(err)
	}
	return coll
}

// readCounter returns the counter document as committed.
func readCounter(t *testing.T, ctx context.Context, coll *concord.Collection) counterDoc {
	t.Helper()
	var d counterDoc
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&d); err != nil {
		t.Errorf("FindOne: %v", err)
	}
	return d
}

// TestLostUpdate shows the classic read-modify-write race and the three ways
// MongoDB's semantics close it: a version in the filter (compare-and-set), a
// retry loop around it, and a transaction.
func TestLostUpdate(t *testing.T) {
	const n = 100
	ctx := context.Background()

	// Every writer reads before any writes (a barrier), so all read v == 0:
	// a blind replace loses all increments but one. Deterministic, not a flake.
	t.Run("no_version_check_loses_updates", func(t *testing.T) {
		coll := newCounter(t, openMemDB(t))
		var read, done sync.WaitGroup
		read.Add(n)
		for range n {
			done.Add(1)
			go func() {
				defer done.Done()
				d := readCounter(t, ctx, coll)
				read.Done()
				read.Wait()
				res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, counterDoc{ID: 1, V: d.V + 1})
				if err != nil {
					t.Errorf("ReplaceOne: %v", err)
					return
				}
				if res.MatchedCount != 1 {
					t.Errorf("ReplaceOne matched %d, want 1", res.MatchedCount)
				}
			}()
		}
		done.Wait()
		final := readCounter(t, ctx, coll)
		if final.V >= n {
			t.Fatalf("final v = %d after %d blind increments: expected lost updates", final.V, n)
		}
		if final.V != 1 {
			t.Errorf("final v = %d, want 1 (every writer read 0)", final.V)
		}
	})

	// With the version in the filter a stale writer matches nothing instead of
	// overwriting: the final value is exactly the number of writes that
	// reported a modification.
	casRound := func(t *testing.T, barrier bool) (final counterDoc, wins int64) {
		coll := newCounter(t, openMemDB(t))
		var read, done sync.WaitGroup
		read.Add(n)
		var won atomic.Int64
		for range n {
			done.Add(1)
			go func() {
				defer done.Done()
				d := readCounter(t, ctx, coll)
				if barrier {
					read.Done()
					read.Wait()
				}
				res, err := coll.ReplaceOne(ctx,
					bson.D{{Key: "_id", Value: 1}, {Key: "ver", Value: d.Ver}},
					counterDoc{ID: 1, V: d.V + 1, Ver: d.Ver + 1})
				if err != nil {
					t.Errorf("ReplaceOne: %v", err)
					return
				}
				if res.MatchedCount != res.ModifiedCount || res.MatchedCount > 1 {
					t.Errorf("ReplaceOne matched %d modified %d, want equal and at most 1", res.MatchedCount, res.ModifiedCount)
				}
				if res.ModifiedCount == 1 {
					won.Add(1)
				}
			}()
		}
		done.Wait()
		return readCounter(t, ctx, coll), won.Load()
	}
	t.Run("version_in_filter_loses_nothing", func(t *testing.T) {
		final, wins := casRound(t, false)
		if final.V != wins || final.Ver != wins {
			t.Fatalf("final v = %d ver = %d, but %d writes reported a modification", final.V, final.Ver, wins)
		}
		if wins < 1 {
			t.Fatalf("no write succeeded")
		}
	})
	t.Run("version_in_filter_one_winner_per_version", func(t *testing.T) {
		final, wins := casRound(t, true)
		if wins != 1 || final.V != 1 || final.Ver != 1 {
			t.Fatalf("all read version 0: wins = %d, final v = %d ver = %d, want 1, 1, 1", wins, final.V, final.Ver)
		}
	})

	// A writer that lost re-reads and tries again: every increment lands.
	t.Run("version_in_filter_with_retry_reaches_n", func(t *testing.T) {
		coll := newCounter(t, openMemDB(t))
		var done sync.WaitGroup
		var wins, attempts atomic.Int64
		for range n {
			done.Add(1)
			go func() {
				defer done.Done()
				for try := 0; try < 100*n; try++ {
					attempts.Add(1)
					d := readCounter(t, ctx, coll)
					res, err := coll.ReplaceOne(ctx,
						bson.D{{Key: "_id", Value: 1}, {Key: "ver", Value: d.Ver}},
						counterDoc{ID: 1, V: d.V + 1, Ver: d.Ver + 1})
					if err != nil {
						t.Errorf("ReplaceOne: %v", err)
						return
					}
					if res.ModifiedCount == 1 {
						wins.Add(1)
						return
					}
				}
				t.Errorf("increment did not land after %d attempts", 100*n)
			}()
		}
		done.Wait()
		final := readCounter(t, ctx, coll)
		if final.V != n || final.Ver != n || wins.Load() != n {
			t.Fatalf("final v = %d ver = %d wins = %d, want %d each", final.V, final.Ver, wins.Load(), n)
		}
		t.Logf("%d increments took %d attempts", n, attempts.Load())
	})

	// Read and write in one transaction: a concurrent commit after the read
	// makes the write a WriteConflict, WithTransaction retries, nothing is lost.
	t.Run("transaction_read_modify_write_reaches_n", func(t *testing.T) {
		db := openMemDB(t)
		coll := newCounter(t, db)
		const workers = 10
		var done sync.WaitGroup
		var calls atomic.Int64
		for range workers {
			done.Add(1)
			go func() {
				defer done.Done()
				for range n / workers {
					_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
						calls.Add(1)
						var d counterDoc
						if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&d); err != nil {
							return nil, err
						}
						_, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, counterDoc{ID: 1, V: d.V + 1, Ver: d.Ver})
						return nil, err
					})
					if err != nil {
						t.Errorf("WithTransaction: %v", err)
						return
					}
				}
			}()
		}
		done.Wait()
		if final := readCounter(t, ctx, coll); final.V != n {
			t.Fatalf("final v = %d, want %d", final.V, n)
		}
		t.Logf("%d transactions took %d callback runs", n, calls.Load())
	})
}
