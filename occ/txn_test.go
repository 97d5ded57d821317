package occ_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
	"github.com/concorddb/concord/store/storetest"
)

// account is the document of the transfer example.
type account struct {
	ID      string `bson:"_id"`
	Balance int64  `bson:"balance"`
	Version int64  `bson:"version"`
}

// errInsufficientFunds refuses a transfer; it is not retried.
var errInsufficientFunds = errors.New("insufficient funds")

// transferFunds is the seed's transfer: read both accounts, check the balance, debit and credit them with
// versioned writes and record the transfer, all in one transaction.
func transferFunds(ctx context.Context, st store.Store, accounts, transfers *occ.Collection, from, to string, amount int64) error {
	return occ.WithTransaction(ctx, st, func(ctx context.Context) error {
		if _, err := occ.Modify(ctx, accounts, from, func(a *account) error {
			if a.Balance < amount {
				return errInsufficientFunds
			}
			a.Balance -= amount
			return nil
		}); err != nil {
			return err
		}
		if _, err := occ.Modify(ctx, accounts, to, func(a *account) error { a.Balance += amount; return nil }); err != nil {
			return err
		}
		_, err := transfers.Insert(ctx, bson.D{{Key: "from", Value: from}, {Key: "to", Value: to}, {Key: "amount", Value: amount}})
		return err
	}, &occ.TxnOptions{Metrics: accounts.Metrics()})
}

// TestWithTransaction_TransferFunds: 16 goroutines move money between 4 accounts. Money is conserved, no
// balance goes negative, every account's version is 1 plus the transfers that touched it, and every transfer
// the callers saw succeed is recorded exactly once.
func TestWithTransaction_TransferFunds(t *testing.T) {
	const (
		workers   = 16
		perWorker = 10
		initial   = 100
	)
	names := []string{"a", "b", "c", "d"}
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		accounts := newCollection(t, b, "accounts", nil)
		transfers := newCollection(t, b, "transfers", nil)
		for _, n := range names {
			if _, err := accounts.Insert(ctx, account{ID: n, Balance: initial}); err != nil {
				t.Fatal(err)
			}
		}
		var ok, refused atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for range perWorker {
					i := rng.IntN(len(names))
					j := (i + 1 + rng.IntN(len(names)-1)) % len(names)
					err := transferFunds(ctx, b.Store, accounts, transfers, names[i], names[j], 1+rng.Int64N(60))
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, errInsufficientFunds):
						refused.Add(1)
					default:
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()

		recs, err := transfers.Unversioned().Find(ctx, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(recs)) != ok.Load() {
			t.Errorf("%d transfers recorded, %d succeeded", len(recs), ok.Load())
		}
		touched := map[string]int64{}
		for _, r := range recs {
			touched[r.Lookup("from").StringValue()]++
			touched[r.Lookup("to").StringValue()]++
		}
		var total int64
		for _, n := range names {
			doc, v, err := accounts.FindByID(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			bal := doc.Lookup("balance").Int64()
			total += bal
			if bal < 0 {
				t.Errorf("account %s has a negative balance %d", n, bal)
			}
			if v != 1+touched[n] {
				t.Errorf("account %s at version %d, want 1 + %d transfers", n, v, touched[n])
			}
		}
		if total != initial*int64(len(names)) {
			t.Errorf("total %d, want %d", total, initial*len(names))
		}
		if ok.Load()+refused.Load() != workers*perWorker {
			t.Errorf("%d ok + %d refused, want %d", ok.Load(), refused.Load(), workers*perWorker)
		}
		t.Logf("%s: %d transfers, %d refused, metrics %+v", b.Name, ok.Load(), refused.Load(), accounts.Metrics().Snapshot())
	})
}

// TestWithTransaction_AbortsOnError: an error from the function rolls back what it wrote and comes back as is.
func TestWithTransaction_AbortsOnError(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "abort", nil)
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
			t.Fatal(err)
		}
		boom := fmt.Errorf("boom")
		runs := 0
		err := occ.WithTransaction(ctx, b.Store, func(ctx context.Context) error {
			runs++
			if _, err := c.UpdateOne(ctx, 1, 1, set("n", 1)); err != nil {
				return err
			}
			return boom
		}, nil)
		if err != boom || runs != 1 {
			t.Fatalf("WithTransaction: %v after %d runs, want boom after 1", err, runs)
		}
		if _, v, _ := c.FindByID(ctx, 1); v != 1 {
			t.Errorf("version %d after the abort, want 1", v)
		}
	})
}

// TestWithTransaction_InsertConflict: inserting an existing _id in a transaction is a conflict reported at once,
// with the current version, and not retried (the same insert would conflict again).
func TestWithTransaction_InsertConflict(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "txninsert", nil)
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
			t.Fatal(err)
		}
		runs := 0
		err := occ.WithTransaction(ctx, b.Store, func(ctx context.Context) error {
			runs++
			_, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}})
			return err
		}, nil)
		var ce *occ.ConflictError
		if !errors.As(err, &ce) || ce.Current != 1 || runs != 1 || occ.Retryable(err) {
			t.Errorf("insert of an existing _id: %v after %d runs, want a final conflict at current version 1 after 1", err, runs)
		}
	})
}

// TestModify_UnversionedDocument: a document written before versioning is read as version 0 and becomes
// version 1 at its first versioned write.
func TestModify_UnversionedDocument(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "legacy", nil)
		if _, err := c.Unversioned().InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}); err != nil {
			t.Fatal(err)
		}
		res, err := occ.Modify(ctx, c, 1, func(d *bson.M) error { (*d)["n"] = 2; return nil })
		if err != nil || res.PreviousVersion != 0 || res.NewVersion != 1 {
			t.Fatalf("Modify: %+v, %v", res, err)
		}
		if _, err := c.UpdateOne(ctx, 1, 0, set("n", 3)); !errors.Is(err, occ.ErrConflict) {
			t.Errorf("a second write from version 0: %v, want a conflict", err)
		}
	})
}

// TestWithTransaction_RetriesOptimisticConflicts: a versioned write inside the function that loses to another
// writer fails with a *ConflictError; WithTransaction rolls back and runs the function again, which reads the
// new version and succeeds. The retry is counted under the collection.
func TestWithTransaction_RetriesOptimisticConflicts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "txnconflict", nil)
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
			t.Fatal(err)
		}
		runs := 0
		err := occ.WithTransaction(ctx, b.Store, func(ctx context.Context) error {
			runs++
			// The version is read outside the transaction (as a form read earlier would be), and on the first
			// run another writer moves it before the transaction's first statement: the transaction's snapshot
			// sees the new version, so its versioned write matches nothing and is a *ConflictError, not a
			// write conflict.
			doc, v, err := c.FindByID(context.Background(), 1)
			if err != nil {
				return err
			}
			if runs == 1 {
				if _, err := c.UpdateOne(context.Background(), 1, v, set("n", int64(100))); err != nil {
					return err
				}
			}
			if _, err := c.UpdateOne(ctx, 2, 1, set("touched", runs)); err != nil {
				return err
			}
			_, err = c.UpdateOne(ctx, 1, v, set("n", doc.Lookup("n").Int64()+1))
			return err
		}, &occ.TxnOptions{Metrics: c.Metrics()})
		if err != nil || runs != 2 {
			t.Fatalf("WithTransaction: %v after %d runs, want success at the second", err, runs)
		}
		doc, v, _ := c.FindByID(ctx, 1)
		if doc.Lookup("n").Int64() != 101 || v != 3 {
			t.Errorf("document 1: %v at version %d, want n 101 at version 3", doc, v)
		}
		if _, v, _ := c.FindByID(ctx, 2); v != 2 {
			t.Errorf("document 2 at version %d, want 2: the first run's write rolled back", v)
		}
		if m := c.Metrics().Collection(c.Namespace()); m.Retries != 1 || m.Conflicts != 1 {
			t.Errorf("counters %+v, want the conflict and its retry", m)
		}
	})
}
