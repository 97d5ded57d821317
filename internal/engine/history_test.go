package engine_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// Randomised history: transfers in transactions, non-transactional
// increments of a counter document, and snapshot readers. Invariants: money
// is conserved in every snapshot a reader sees and at the end; the counter
// equals the acknowledged increments.
func TestHistory_TransfersCountersSnapshots(t *testing.T) {
	for _, policy := range []engine.WaitPolicy{engine.WaitPark, engine.WaitBackoff} {
		t.Run(policy.String(), func(t *testing.T) {
			e := openMem(t, engine.Options{WaitPolicy: policy})
			ctx := context.Background()
			const accounts, initial = 10, 100
			for i := 0; i < accounts; i++ {
				mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "balance", Value: initial}})
			}
			mustInsert(t, e, bson.D{{Key: "_id", Value: "counter"}, {Key: "v", Value: 0}})
			var acked atomic.Int64
			stop := time.Now().Add(700 * time.Millisecond)
			var wg sync.WaitGroup
			for w := 0; w < 6; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 7))
					for time.Now().Before(stop) {
						switch w % 3 {
						case 0: // transfer
							from := r.IntN(accounts)
							to := (from + 1 + r.IntN(accounts-1)) % accounts
							if err := transfer(ctx, e, from, to, r.IntN(5)); err != nil && !codes.IsTransientTransactionError(err) {
								t.Error(err)
								return
							}
						case 1: // counter increment outside a transaction
							res, err := update(e, nil, bson.D{{Key: "_id", Value: "counter"}}, incV)
							if err != nil || res.Modified != 1 {
								t.Errorf("%+v %v", res, err)
								return
							}
							acked.Add(1)
						case 2: // snapshot reader over two statements
							tx := e.Begin()
							a := sumBalances(t, e, tx)
							time.Sleep(time.Millisecond)
							b := sumBalances(t, e, tx)
							if a != accounts*initial || b != accounts*initial {
								t.Errorf("snapshot saw partial transfer: %d then %d", a, b)
							}
							if err := tx.Commit(ctx); err != nil {
								t.Error(err)
							}
						}
					}
				}()
			}
			wg.Wait()
			if got := sumBalances(t, e, nil); got != accounts*initial {
				t.Fatalf("money not conserved: %d", got)
			}
			if v := getV(t, e, "counter"); v != acked.Load() {
				t.Fatalf("counter %d, acknowledged %d", v, acked.Load())
			}
		})
	}
}

// sumBalances sums the balance of all accounts in tx's view.
func sumBalances(t testing.TB, e *engine.Engine, tx *engine.Txn) int64 {
	docs, err := e.Find(context.Background(), tx, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "balance", Value: bson.D{{Key: "$exists", Value: true}}}})}, nil)
	if err != nil {
		t.Error(err)
		return -1
	}
	var sum int64
	for _, d := range docs {
		sum += intField(t, d, "balance")
	}
	return sum
}

// Unique keys can move between documents inside one transaction, and a
// concurrent transaction claiming a key the first one released conflicts.
func TestTxn_UniqueKeyMoves(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: "a"}}, bson.D{{Key: "_id", Value: 2}, {Key: "k", Value: "b"}})
	tx := e.Begin()
	steps := []struct {
		id int
		k  string
	}{{1, "tmp"}, {2, "a"}, {1, "b"}}
	for _, s := range steps {
		if _, err := update(e, tx, bson.D{{Key: "_id", Value: s.id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: s.k}}}}); err != nil {
			t.Fatalf("step %+v: %v", s, err)
		}
	}
	other := e.Begin()
	_, err := e.Insert(ctx, other, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 3}, {Key: "k", Value: "tmp"}})}, true, nil)
	wantCode(t, err, codes.WriteConflict)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	out := findAll(t, e, nil, bson.D{{Key: "k", Value: "a"}})
	if len(out) != 1 || intField(t, out[0], "_id") != 2 {
		t.Fatalf("k=a -> %v", out)
	}
	out = findAll(t, e, nil, bson.D{{Key: "k", Value: "tmp"}})
	if len(out) != 0 {
		t.Fatalf("stale index entry: %v", out)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 4}, {Key: "k", Value: "tmp"}})
}
