package occ_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// openStore opens an in-memory embedded store for the examples.
func openStore() (store.Store, func()) {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	return store.Embedded(db), func() { db.Close() }
}

// A write based on a stale version fails with a conflict that says which version it expected and which it
// found, and writes nothing.
func ExampleCollection_UpdateOne() {
	st, done := openStore()
	defer done()
	ctx := context.Background()
	docs := occ.New(st, "app", "docs", nil)

	res, _ := docs.Insert(ctx, bson.D{{Key: "_id", Value: "readme"}, {Key: "title", Value: "Hello"}})
	fmt.Println("inserted at version", res.NewVersion)

	res, _ = docs.UpdateOne(ctx, "readme", 1, bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: "Hi"}}}})
	fmt.Println("updated to version", res.NewVersion)

	_, err := docs.UpdateOne(ctx, "readme", 1, bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: "Hey"}}}})
	var ce *occ.ConflictError
	if errors.As(err, &ce) {
		fmt.Printf("conflict: expected %d, current %d\n", ce.Expected, ce.Current)
	}
	_, err = docs.UpdateOne(ctx, "missing", 1, bson.D{{Key: "$set", Value: bson.D{{Key: "title", Value: "Hey"}}}})
	fmt.Println("not found:", errors.Is(err, occ.ErrNotFound))
	// Output:
	// inserted at version 1
	// updated to version 2
	// conflict: expected 1, current 2
	// not found: true
}

// Modify reads, applies the function and writes only what changed, retrying the whole read-modify-write if
// another writer got there first.
func ExampleModify() {
	st, done := openStore()
	defer done()
	ctx := context.Background()
	counters := occ.New(st, "app", "counters", nil)
	if _, err := counters.Insert(ctx, bson.D{{Key: "_id", Value: "visits"}, {Key: "n", Value: int64(0)}}); err != nil {
		log.Fatal(err)
	}

	type counter struct {
		N int64 `bson:"n"`
	}
	res, err := occ.Modify(ctx, counters, "visits", func(c *counter) error {
		c.N++
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("version %d -> %d in %d attempt(s)\n", res.PreviousVersion, res.NewVersion, res.Attempts)
	// Output: version 1 -> 2 in 1 attempt(s)
}

// The seed's transferFunds: both balances and the transfer record commit together, and a conflict with a
// concurrent transfer re-runs the function.
func ExampleWithTransaction() {
	st, done := openStore()
	defer done()
	ctx := context.Background()
	accounts := occ.New(st, "bank", "accounts", nil)
	for _, id := range []string{"alice", "bob"} {
		if _, err := accounts.Insert(ctx, bson.D{{Key: "_id", Value: id}, {Key: "balance", Value: int64(100)}}); err != nil {
			log.Fatal(err)
		}
	}
	type account struct {
		Balance int64 `bson:"balance"`
	}
	transfer := func(from, to string, amount int64) error {
		return occ.WithTransaction(ctx, st, func(ctx context.Context) error {
			if _, err := occ.Modify(ctx, accounts, from, func(a *account) error {
				if a.Balance < amount {
					return errors.New("insufficient funds")
				}
				a.Balance -= amount
				return nil
			}); err != nil {
				return err
			}
			_, err := occ.Modify(ctx, accounts, to, func(a *account) error { a.Balance += amount; return nil })
			return err
		}, nil)
	}
	fmt.Println(transfer("alice", "bob", 30))
	fmt.Println(transfer("alice", "bob", 300))
	for _, id := range []string{"alice", "bob"} {
		doc, v, _ := accounts.FindByID(ctx, id)
		fmt.Println(id, doc.Lookup("balance").Int64(), "version", v)
	}
	// Output:
	// <nil>
	// insufficient funds
	// alice 70 version 2
	// bob 130 version 2
}

// A batch reports every document's outcome.
func ExampleCollection_Batch() {
	st, done := openStore()
	defer done()
	ctx := context.Background()
	items := occ.New(st, "shop", "items", nil)
	for _, id := range []string{"pen", "ink"} {
		if _, err := items.Insert(ctx, bson.D{{Key: "_id", Value: id}, {Key: "price", Value: 1}}); err != nil {
			log.Fatal(err)
		}
	}
	raise := bson.D{{Key: "$inc", Value: bson.D{{Key: "price", Value: 1}}}}
	report, err := items.Batch(ctx, []occ.BatchItem{
		{ID: "pen", Version: 1, Update: raise},
		{ID: "ink", Version: 7, Update: raise},
		{ID: "cap", Update: raise},
	}, occ.Independent)
	if err != nil {
		log.Fatal(err)
	}
	for _, it := range report.Items {
		fmt.Printf("%v: %v (expected %d, current %d)\n", it.ID, it.Status, it.Expected, it.Current)
	}
	// Output:
	// pen: updated (expected 1, current 2)
	// ink: version conflict (expected 7, current 1)
	// cap: not found (expected 0, current 0)
}

// Retry re-runs a whole function after an optimistic conflict, with backoff and jitter, and gives up with an
// error that still says what the last conflict was.
func ExampleRetry_Do() {
	r := &occ.Retry{MaxRetries: 2, Base: time.Millisecond}
	attempts, err := r.Do(context.Background(), nil, "app.docs", func(context.Context) error {
		return &occ.ConflictError{Collection: "app.docs", ID: 1, Expected: 1, Current: 2}
	})
	fmt.Println(attempts, errors.Is(err, occ.ErrRetriesExhausted), errors.Is(err, occ.ErrConflict))
	// Output: 3 true true
}

// The toolkit's counters per collection, beside the engine's on the embedded backend.
func ExampleMetrics_Observe() {
	st, done := openStore()
	defer done()
	ctx := context.Background()
	m := &occ.Metrics{}
	docs := occ.New(st, "app", "docs", &occ.Options{Metrics: m})
	if _, err := docs.Insert(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		log.Fatal(err)
	}
	_, _ = docs.UpdateOne(ctx, 1, 5, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}})
	o := m.Observe(st)
	fmt.Println("conflicts:", o.Collections["app.docs"].Conflicts, "engine inserts:", o.Engine.Opcounters.Insert)
	// Output: conflicts: 1 engine inserts: 1
}

// With a history, every versioned write keeps the version it made, in the same transaction: read the history,
// read a document as of a version, revert to it (a new version with the old content).
func ExampleCollection_History() {
	st, done := openStore()
	defer done()
	ctx := occ.WithUser(context.Background(), "ann")
	pages := occ.New(st, "wiki", "pages", &occ.Options{History: &occ.HistoryOptions{}})

	_, _ = pages.Insert(ctx, bson.D{{Key: "_id", Value: "home"}, {Key: "text", Value: "Welcome"}})
	_, _ = pages.UpdateOne(ctx, "home", 1, bson.D{{Key: "$set", Value: bson.D{{Key: "text", Value: "Welcome!"}}}})
	_, _ = pages.UpdateOne(occ.WithUser(ctx, "vandal"), "home", 2, bson.D{{Key: "$set", Value: bson.D{{Key: "text", Value: "spam"}}}})

	v2, _ := pages.AsOf(ctx, "home", 2)
	fmt.Println("as of 2:", v2.Lookup("text"))
	res, _ := pages.Revert(ctx, "home", 2)
	fmt.Println("reverted to version", res.NewVersion)
	hist, _ := pages.History(ctx, "home")
	for _, e := range hist {
		fmt.Println(e.Version, e.Op, e.By, e.Document.Lookup("text"))
	}
	// Output:
	// as of 2: "Welcome!"
	// reverted to version 4
	// 1 insert ann "Welcome"
	// 2 update ann "Welcome!"
	// 3 update vandal "spam"
	// 4 revert ann "Welcome!"
}
