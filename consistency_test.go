package concord_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/checker"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// recorder collects a history from many goroutines against one monotonic clock.
type recorder[T any] struct {
	start time.Time
	mu    sync.Mutex
	ops   []T
}

func (r *recorder[T]) now() time.Duration { return time.Since(r.start) }

func (r *recorder[T]) add(op T) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// TestHistory_RegistersLinearizable: single-document reads, writes, compare-and-swaps on a version filter and
// increments returning the new value, from concurrent clients on a few hot documents, form a linearizable history
// (checked with porcupine). A lost update, a stale read or a compare-and-swap won twice would make it fail.
func TestHistory_RegistersLinearizable(t *testing.T) {
	const keys, workers = 3, 6
	ctx := context.Background()
	db := openMemDB(t)
	coll := db.Database("test").Collection("registers")
	initial := map[string]int64{}
	for i := range keys {
		k := fmt.Sprintf("r%d", i)
		initial[k] = 0
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: k}, {Key: "v", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
	}
	type reg struct {
		V int64 `bson:"v"`
	}
	rec := &recorder[checker.RegisterOp]{start: time.Now()}
	var casWon, casLost atomic.Int64
	runWorkers(t, historySeed(t), workers, func(w int, rng *rand.Rand) bool {
		key := fmt.Sprintf("r%d", rng.IntN(keys))
		id := bson.D{{Key: "_id", Value: key}}
		op := checker.RegisterOp{Client: w, Key: key, Invoke: rec.now()}
		var err error
		switch rng.IntN(4) {
		case 0:
			op.Kind = checker.Read
			var r reg
			err = coll.FindOne(ctx, id).Decode(&r)
			op.Value, op.HasValue = r.V, true
		case 1:
			op.Kind, op.Arg = checker.Write, rng.Int64N(8)
			_, err = coll.UpdateOne(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: op.Arg}}}})
		case 2:
			op.Kind, op.Arg, op.Arg2 = checker.CAS, rng.Int64N(8), rng.Int64N(8)
			var res *concord.UpdateResult
			filter := bson.D{{Key: "_id", Value: key}, {Key: "v", Value: op.Arg}}
			res, err = coll.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: op.Arg2}}}})
			if err == nil {
				op.OK = res.MatchedCount == 1
				if op.OK {
					casWon.Add(1)
				} else {
					casLost.Add(1)
				}
			}
		default:
			op.Kind, op.Arg = checker.Inc, 1+rng.Int64N(3)
			var r reg
			err = coll.FindOneAndUpdate(ctx, id, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: op.Arg}}}},
				&concord.FindOneAndUpdateOptions{ReturnDocument: concord.After}).Decode(&r)
			op.Value, op.HasValue = r.V, true
		}
		op.Complete = rec.now()
		if err != nil {
			t.Errorf("%v: %v", op, err)
			return false
		}
		rec.add(op)
		return true
	})
	t.Logf("%d operations, %d compare-and-swaps won, %d lost", len(rec.ops), casWon.Load(), casLost.Load())
	if casWon.Load() == 0 || casLost.Load() == 0 {
		t.Fatalf("history too short to test anything: %d compare-and-swaps won, %d lost", casWon.Load(), casLost.Load())
	}
	res := checker.CheckRegisters(rec.ops, initial, time.Minute)
	if res.TimedOut {
		t.Fatalf("the linearizability check of %d operations timed out", len(rec.ops))
	}
	if !res.Linearizable {
		for _, op := range res.Ops {
			t.Log(op)
		}
		t.Fatalf("the history of %s is not linearizable", res.Key)
	}
}

// TestHistory_ListAppendSnapshotIsolation runs Elle's list-append workload: transactions of random appends (a
// $push upsert of a value unique to its key) and reads of whole lists over a few keys, some aborted on purpose,
// and checks the history for every anomaly snapshot isolation forbids (aborted and intermediate reads, dependency
// cycles with at most one anti-dependency, lost updates, reads that do not repeat).
func TestHistory_ListAppendSnapshotIsolation(t *testing.T) {
	txns, committed, aborted := listAppendHistory(t, 5, true)
	if committed < 100 || aborted == 0 {
		t.Fatalf("history too short to test anything: %d committed, %d aborted", committed, aborted)
	}
	for _, a := range checker.CheckTransactions(txns) {
		t.Error(a)
	}
}

// TestHistory_ListAppendWithoutTransactions shows that the checker sees the anomalies of the same workload run
// without transactions, each statement on its own: a group of statements then reads and writes several
// versions, which snapshot isolation would forbid.
func TestHistory_ListAppendWithoutTransactions(t *testing.T) {
	txns, _, _ := listAppendHistory(t, 2, false)
	found := map[string]int{}
	for _, a := range checker.CheckTransactions(txns) {
		found[a.Kind]++
	}
	t.Logf("%d groups of statements, anomalies by kind: %v", len(txns), found)
	if found["non-repeatable-read"] == 0 || found["lost-update"]+found["G-single"] == 0 {
		t.Fatalf("the checker missed the anomalies of statements run outside transactions: %v", found)
	}
}

// listAppendHistory runs the list-append workload over keys documents for historyDuration and returns its
// history, with the counts of committed and aborted transactions. Without inTxn, each group of statements runs
// as independent statements and is recorded as committed.
func listAppendHistory(t *testing.T, keys int, inTxn bool) (txns []checker.Txn, committed, aborted int64) {
	const workers = 6
	ctx := context.Background()
	db := openMemDB(t)
	coll := db.Database("test").Collection("lists")
	type list struct {
		L []int64 `bson:"l"`
	}
	rec := &recorder[checker.Txn]{start: time.Now()}
	var nextValue, nextID, nCommitted, nAborted atomic.Int64
	errAbortOnPurpose := errors.New("abort on purpose")
	runWorkers(t, historySeed(t), workers, func(w int, rng *rand.Rand) bool {
		txn := checker.Txn{ID: int(nextID.Add(1)), Client: w, Invoke: rec.now()}
		sess, err := db.StartSession()
		if err != nil {
			t.Error(err)
			return false
		}
		defer sess.EndSession(ctx)
		sctx := ctx
		if inTxn {
			if err := sess.StartTransaction(); err != nil {
				t.Error(err)
				return false
			}
			sctx = concord.NewSessionContext(ctx, sess)
		}
		err = func() error {
			for range 1 + rng.IntN(4) {
				key := fmt.Sprintf("k%d", rng.IntN(keys))
				id := bson.D{{Key: "_id", Value: key}}
				if rng.IntN(2) == 0 {
					v := nextValue.Add(1)
					if _, err := coll.UpdateOne(sctx, id, bson.D{{Key: "$push", Value: bson.D{{Key: "l", Value: v}}}},
						&concord.UpdateOptions{Upsert: true}); err != nil {
						return err
					}
					txn.Ops = append(txn.Ops, checker.MicroOp{Append: true, Key: key, Value: v})
					continue
				}
				var l list
				err := coll.FindOne(sctx, id).Decode(&l)
				if err != nil && !errors.Is(err, concord.ErrNoDocuments) {
					return err
				}
				txn.Ops = append(txn.Ops, checker.MicroOp{Key: key, List: l.L})
			}
			if !inTxn {
				return nil
			}
			if rng.IntN(8) == 0 {
				return errAbortOnPurpose
			}
			return sess.CommitTransaction(sctx)
		}()
		txn.Complete = rec.now()
		switch {
		case err == nil:
			txn.Outcome = checker.Committed
			nCommitted.Add(1)
		case concord.IsUnknownTransactionCommitResult(err):
			txn.Outcome = checker.Indeterminate
		default:
			transientOrOnPurpose(t, err, errAbortOnPurpose)
			_ = sess.AbortTransaction(ctx)
			txn.Outcome = checker.Aborted
			nAborted.Add(1)
		}
		rec.add(txn)
		return !t.Failed()
	})
	t.Logf("%d transactions: %d committed, %d aborted", len(rec.ops), nCommitted.Load(), nAborted.Load())
	return rec.ops, nCommitted.Load(), nAborted.Load()
}

// transientOrOnPurpose fails the test unless err is the test's own abort or a transient transaction error.
func transientOrOnPurpose(t *testing.T, err, onPurpose error) {
	t.Helper()
	if errors.Is(err, onPurpose) {
		return
	}
	transientOnly(t, "list-append transaction", err)
}
