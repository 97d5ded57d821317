package engine_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

var incV = bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}

func TestTxn_SnapshotIsolation(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if got := len(findAll(t, e, tx, nil)); got != 1 {
		t.Fatalf("txn sees %d docs", got)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 0}})
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	docs := findAll(t, e, tx, nil)
	if len(docs) != 1 || intField(t, docs[0], "v") != 0 {
		t.Fatalf("txn saw later commits: %v", docs)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestTxn_OwnWritesVisible(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}, bson.D{{Key: "_id", Value: 3}, {Key: "v", Value: 0}})
	ctx := context.Background()
	tx := e.Begin()
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: 5}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Delete(ctx, tx, ns, doc(bson.D{{Key: "_id", Value: 3}}), false, nil); err != nil || n != 1 {
		t.Fatalf("delete %d %v", n, err)
	}
	docs := findAll(t, e, tx, nil)
	if len(docs) != 2 || intField(t, docs[0], "_id") != 1 || intField(t, docs[0], "v") != 1 || intField(t, docs[1], "_id") != 2 {
		t.Fatalf("own writes: %v", docs)
	}
	if got := len(findAll(t, e, nil, nil)); got != 2 || getV(t, e, 1) != 0 {
		t.Fatalf("uncommitted writes leaked")
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if getV(t, e, 1) != 1 || len(findAll(t, e, nil, nil)) != 2 {
		t.Fatal("commit not applied")
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatalf("second commit: %v", err)
	}
}

func TestTxn_WriteConflictBetweenTxns(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	a, b := e.Begin(), e.Begin()
	if _, err := update(e, a, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	_, err := update(e, b, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 2}}}})
	ce := wantCode(t, err, codes.WriteConflict)
	if !ce.HasLabel(codes.LabelTransientTransaction) {
		t.Fatalf("112 without label: %v", ce)
	}
	if b.State() != engine.TxnAborted {
		t.Fatal("conflicting txn not aborted")
	}
	err = b.Commit(context.Background())
	ce = wantCode(t, err, codes.NoSuchTransaction)
	if !ce.HasLabel(codes.LabelTransientTransaction) {
		t.Fatalf("251 without label: %v", ce)
	}
	_, err = update(e, b, bson.D{{Key: "_id", Value: 1}}, incV)
	wantCode(t, err, codes.NoSuchTransaction)
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if getV(t, e, 1) != 1 {
		t.Fatal("winner's write lost")
	}
	m := e.Metrics().Transactions
	if m.TotalStarted != 2 || m.TotalCommitted != 1 || m.TotalAborted != 1 || m.CurrentOpen != 0 || m.CurrentActive != 0 || m.CurrentInactive != 0 {
		t.Fatalf("transaction metrics %+v", m)
	}
}

func TestTxn_InsertSameIDIsWriteConflict(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	// The collection exists: one a transaction created would be locked by it (LockTimeout, TestTxn_CreatedCollectionRollsBack).
	if err := e.CreateCollection(ctx, nil, ns); err != nil {
		t.Fatal(err)
	}
	a, b := e.Begin(), e.Begin()
	if _, err := e.Insert(ctx, a, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 5}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.Insert(ctx, b, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 5}})}, true, nil)
	wantCode(t, err, codes.WriteConflict)
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.Commit(ctx), codes.NoSuchTransaction)
	wantCode(t, b.Abort(), codes.NoSuchTransaction)
}

func TestTxn_WriteAfterSnapshotConflicts(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	tx := e.Begin()
	findAll(t, e, tx, nil) // establishes the snapshot
	mustInsert(t, e, bson.D{{Key: "_id", Value: 7}})
	_, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 7}})}, true, nil)
	wantCode(t, err, codes.WriteConflict)
	wantCode(t, tx.Commit(ctx), codes.NoSuchTransaction)
}

func TestTxn_NoSnapshotBeforeFirstStatement(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 9}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := getV(t, e, 1); v != 10 {
		t.Fatalf("v = %d, want 10", v)
	}
}

func TestTxn_DuplicateKeyAbortsWithoutLabel(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	tx := e.Begin()
	res, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}}), doc(bson.D{{Key: "_id", Value: 1}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 1 || res.WriteErrors[0].Index != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	we := res.WriteErrors[0].Err
	if we.Code != codes.DuplicateKey || len(we.Labels) != 0 || len(we.KeyPattern) != 1 || we.KeyPattern[0].Key != "_id" {
		t.Fatalf("write error %+v", we)
	}
	ce := wantCode(t, tx.Commit(ctx), codes.NoSuchTransaction)
	if !ce.HasLabel(codes.LabelTransientTransaction) {
		t.Fatal("no label on commit after dup")
	}
	if len(findAll(t, e, nil, nil)) != 0 {
		t.Fatal("aborted txn's insert visible")
	}
}

// waitScenario: a txn updates _id 1; a non-txn update of _id 1 waits until
// the txn ends. finish commits or aborts the txn.
func waitScenario(t *testing.T, policy engine.WaitPolicy, commit bool) {
	e := openMem(t, engine.Options{WaitPolicy: policy})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res engine.UpdateResult
		st  engine.Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.res, r.err = e.Update(context.Background(), nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 1}}), Update: doc(incV)}, &r.st)
		done <- r
	}()
	select {
	case r := <-done:
		t.Fatalf("non-txn update did not wait: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	if commit {
		if err := tx.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
	} else if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.res.Matched != 1 || r.res.Modified != 1 {
		t.Fatalf("waiter: %+v %v", r.res, r.err)
	}
	if r.st.WriteConflicts < 1 || r.st.NumYield < r.st.WriteConflicts {
		t.Fatalf("waiter stats %+v", r.st)
	}
	if got := e.Metrics().WriteConflicts; got != r.st.WriteConflicts {
		t.Fatalf("metrics writeConflicts %d, op %d", got, r.st.WriteConflicts)
	}
	want := int64(1)
	if commit {
		want = 2
	}
	if v := getV(t, e, 1); v != want {
		t.Fatalf("v = %d, want %d", v, want)
	}
}

func TestNonTxnUpdate_WaitsForCommit_Park(t *testing.T)    { waitScenario(t, engine.WaitPark, true) }
func TestNonTxnUpdate_WaitsForCommit_Backoff(t *testing.T) { waitScenario(t, engine.WaitBackoff, true) }
func TestNonTxnUpdate_WaitsForAbort_Park(t *testing.T)     { waitScenario(t, engine.WaitPark, false) }
func TestNonTxnUpdate_WaitsForAbort_Backoff(t *testing.T)  { waitScenario(t, engine.WaitBackoff, false) }

func TestNonTxnInsert_VsUncommittedInsert(t *testing.T) {
	for _, commit := range []bool{true, false} {
		name := "abort"
		if commit {
			name = "commit"
		}
		t.Run(name, func(t *testing.T) {
			e := openMem(t, engine.Options{})
			ctx := context.Background()
			tx := e.Begin()
			if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}})}, true, nil); err != nil {
				t.Fatal(err)
			}
			// maxTimeMS: the waiting insert ends with 50.
			tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			start := time.Now()
			_, err := e.Insert(tctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}})}, true, nil)
			cancel()
			ce := wantCode(t, err, codes.MaxTimeMSExpired)
			if ce.Message != "operation exceeded time limit" || time.Since(start) < 90*time.Millisecond {
				t.Fatalf("maxTime error %v after %v", ce, time.Since(start))
			}
			done := make(chan engine.InsertResult, 1)
			go func() {
				res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}})}, true, nil)
				if err != nil {
					t.Error(err)
				}
				done <- res
			}()
			time.Sleep(30 * time.Millisecond)
			if commit {
				if err := tx.Commit(ctx); err != nil {
					t.Fatal(err)
				}
			} else if err := tx.Abort(); err != nil {
				t.Fatal(err)
			}
			res := <-done
			if commit {
				if len(res.WriteErrors) != 1 || res.WriteErrors[0].Err.Code != codes.DuplicateKey {
					t.Fatalf("after commit want 11000, got %+v", res)
				}
			} else if len(res.InsertedIDs) != 1 || len(res.WriteErrors) != 0 {
				t.Fatalf("after abort want success, got %+v", res)
			}
		})
	}
}

func TestNonTxnUpdate_Cancelled(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 1}}), Update: doc(incV)}, nil)
	wantCode(t, err, codes.Interrupted)
	tx.Abort()
}

func TestOptimisticCAS_ExactlyOneWins(t *testing.T) {
	for i := 0; i < 20; i++ {
		e := openMem(t, engine.Options{})
		mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
		var wins atomic.Int64
		var wg sync.WaitGroup
		for c := 0; c < 2; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := update(e, nil, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}},
					bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: c}}}, {Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})
				if err != nil {
					t.Error(err)
				}
				if res.Matched != res.Modified {
					t.Errorf("matched %d modified %d", res.Matched, res.Modified)
				}
				wins.Add(res.Modified)
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || getV(t, e, 1) != 1 {
			t.Fatalf("wins %d v %d", wins.Load(), getV(t, e, 1))
		}
	}
}

func TestCounterRace_IncEqualsN(t *testing.T) {
	for _, policy := range []engine.WaitPolicy{engine.WaitPark, engine.WaitBackoff} {
		t.Run(policy.String(), func(t *testing.T) {
			e := openMem(t, engine.Options{WaitPolicy: policy})
			mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
			const clients, each = 32, 20
			var wg sync.WaitGroup
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						res, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV)
						if err != nil || res.Matched != 1 || res.Modified != 1 {
							t.Errorf("%+v %v", res, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if v := getV(t, e, 1); v != clients*each {
				t.Fatalf("v = %d, want %d", v, clients*each)
			}
		})
	}
}

func TestCounterRace_TxnsAndNonTxns(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	var applied atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if c%2 == 0 {
					if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
						t.Error(err)
						return
					}
					applied.Add(1)
					continue
				}
				tx := e.Begin()
				if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
					if !codes.IsTransientTransactionError(err) {
						t.Error(err)
					}
					continue
				}
				if err := tx.Commit(context.Background()); err == nil {
					applied.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if v := getV(t, e, 1); v != applied.Load() {
		t.Fatalf("v = %d, acknowledged %d", v, applied.Load())
	}
}

func TestUniqueIndex_DuplicateKeyShape(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	name, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}, Unique: true})
	if err != nil || name != "k_1" {
		t.Fatalf("%q %v", name, err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: 1}})
	res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 2}, {Key: "k", Value: 1}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	ce := res.WriteErrors[0].Err
	if ce.Code != codes.DuplicateKey || ce.Message != "E11000 duplicate key error collection: test.c index: k_1 dup key: { k: 1 }" {
		t.Fatalf("%v", ce)
	}
	if len(ce.KeyPattern) != 1 || ce.KeyPattern[0].Key != "k" || len(ce.KeyValue) != 1 || ce.KeyValue[0].Key != "k" {
		t.Fatalf("pattern %v value %v", ce.KeyPattern, ce.KeyValue)
	}
	// Updating another document onto the key is a duplicate too.
	mustInsert(t, e, bson.D{{Key: "_id", Value: 3}, {Key: "k", Value: 3}})
	_, err = update(e, nil, bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: 1}}}})
	wantCode(t, err, codes.DuplicateKey)
	// Moving the key away frees it.
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: 2}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	// Building a unique index over duplicates fails.
	mustInsert(t, e, bson.D{{Key: "_id", Value: 4}, {Key: "k", Value: 4}, {Key: "d", Value: 1}}, bson.D{{Key: "_id", Value: 5}, {Key: "k", Value: 5}, {Key: "d", Value: 1}})
	_, err = e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "d", Value: 1}}, Unique: true})
	wantCode(t, err, codes.DuplicateKey)
	if idx, _ := e.ListIndexes(ns); len(idx) != 2 {
		t.Fatalf("failed build left an index: %+v", idx)
	}
}

func TestUpsertRace_UniqueIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	const clients = 16
	var upserted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
				Filter: doc(bson.D{{Key: "k", Value: 1}}),
				Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "c", Value: 1}}}}),
				Upsert: true,
			}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			if res.UpsertedID.Type != 0 {
				upserted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	docs := findAll(t, e, nil, nil)
	if len(docs) != 1 || intField(t, docs[0], "c") != clients || upserted.Load() != 1 {
		t.Fatalf("docs %v upserted %d", docs, upserted.Load())
	}
}

func TestReaper_ExpiryReleasesParkedWriter(t *testing.T) {
	e := openMem(t, engine.Options{TxnLifetime: time.Second})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("released after %v", d)
	}
	if v := getV(t, e, 1); v != 1 {
		t.Fatalf("v = %d, want 1 (expired txn's write discarded)", v)
	}
	if tx.State() != engine.TxnAborted || tx.AbortReason() == nil || tx.AbortReason().Code != codes.TransactionExceededLifetimeLimitSeconds {
		t.Fatalf("state %v reason %v", tx.State(), tx.AbortReason())
	}
	wantCode(t, tx.Commit(context.Background()), codes.NoSuchTransaction)
	if m := e.Metrics().Transactions; m.TotalAborted != 1 || m.CurrentOpen != 0 || m.CurrentInactive != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

func TestClose_ParkedWriterGets11600_NoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	e, err := engine.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV)
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-errc, codes.InterruptedAtShutdown)
	if tx.State() != engine.TxnAborted {
		t.Fatal("open txn not aborted by Close")
	}
	_, err = update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV)
	wantCode(t, err, codes.InterruptedAtShutdown)
	eventually(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

func TestTxn_Metrics_ActiveInactive(t *testing.T) {
	e := openMem(t, engine.Options{})
	tx := e.Begin()
	if m := e.Metrics().Transactions; m.TotalStarted != 0 {
		t.Fatal("started counted at Begin")
	}
	findAll(t, e, tx, nil)
	m := e.Metrics().Transactions
	if m.TotalStarted != 1 || m.CurrentOpen != 1 || m.CurrentInactive != 1 || m.CurrentActive != 0 {
		t.Fatalf("idle txn metrics %+v", m)
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	m = e.Metrics().Transactions
	if m.TotalCommitted != 1 || m.CurrentOpen != 0 || m.CurrentInactive != 0 || m.CurrentActive != 0 {
		t.Fatalf("after commit %+v", m)
	}
}

var _ = errors.New

// TestTxn_UpdateByIDReadsItsView: an update by _id in a transaction (the IDHACK point read, no scan) matches what
// the transaction's snapshot and its own writes hold: a document inserted by another client after the snapshot
// is not matched and is no conflict, one changed after the snapshot is a WriteConflict, and the transaction's own
// insert and delete are seen.
func TestTxn_UpdateByIDReadsItsView(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}, bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: 0}})

	tx := e.Begin()
	findAll(t, e, tx, nil) // the snapshot
	mustInsert(t, e, bson.D{{Key: "_id", Value: 3}, {Key: "v", Value: 0}})
	res, err := update(e, tx, bson.D{{Key: "_id", Value: 3}}, incV)
	if err != nil || res.Matched != 0 {
		t.Fatalf("update of a document the snapshot does not hold: %+v, %v", res, err)
	}
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 4}, {Key: "v", Value: 10}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := update(e, tx, bson.D{{Key: "_id", Value: int64(4)}}, incV); err != nil || res.Matched != 1 || res.Modified != 1 {
		t.Fatalf("update of the transaction's own insert: %+v, %v", res, err)
	}
	if n, err := e.Delete(ctx, tx, ns, doc(bson.D{{Key: "_id", Value: 2}}), false, nil); err != nil || n != 1 {
		t.Fatalf("delete %d %v", n, err)
	}
	if res, err := update(e, tx, bson.D{{Key: "_id", Value: 2.0}}, incV); err != nil || res.Matched != 0 {
		t.Fatalf("update of the transaction's own delete: %+v, %v", res, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if getV(t, e, 3) != 0 || getV(t, e, 4) != 11 {
		t.Fatalf("after commit: _id 3 v=%d (want 0), _id 4 v=%d (want 11)", getV(t, e, 3), getV(t, e, 4))
	}

	// A guarded update by _id (the IDHACK plan of a compiled filter) matches the guard on the view's version.
	tx = e.Begin()
	findAll(t, e, tx, nil)
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 4}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 0}}}}); err != nil {
		t.Fatal(err)
	}
	if res, err := update(e, tx, bson.D{{Key: "_id", Value: 4}, {Key: "v", Value: bson.D{{Key: "$gte", Value: 20}}}}, incV); err != nil || res.Matched != 0 {
		t.Fatalf("guarded update whose guard fails in the snapshot: %+v, %v", res, err)
	}
	_, err = update(e, tx, bson.D{{Key: "_id", Value: 4}, {Key: "v", Value: bson.D{{Key: "$gte", Value: 10}}}}, incV)
	wantCode(t, err, codes.WriteConflict) // the snapshot's v=11 passes the guard; the write conflicts
	tx = e.Begin()
	if res, err := update(e, tx, bson.D{{Key: "_id", Value: 4}, {Key: "v", Value: bson.D{{Key: "$lt", Value: 1}}}}, incV); err != nil || res.Matched != 1 {
		t.Fatalf("guarded update: %+v, %v", res, err)
	}
	if err := tx.Commit(ctx); err != nil || getV(t, e, 4) != 1 {
		t.Fatalf("commit %v, v=%d", err, getV(t, e, 4))
	}

	tx = e.Begin()
	findAll(t, e, tx, nil)
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	_, err = update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV)
	wantCode(t, err, codes.WriteConflict)
}
