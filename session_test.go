package concord_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func startSession(t *testing.T, db *concord.DB) *concord.Session {
	t.Helper()
	s, err := db.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.EndSession(context.Background()) })
	return s
}

func TestSession_StateErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	insert := func(s *concord.Session) error {
		_, err := coll.InsertOne(concord.NewSessionContext(ctx, s), bson.D{})
		return err
	}
	tests := []struct {
		name  string
		steps func(s *concord.Session) error // returns the error of the last step
		want  error
	}{
		{"commit without start", func(s *concord.Session) error { return s.CommitTransaction(ctx) }, concord.ErrNoTransactionStarted},
		{"abort without start", func(s *concord.Session) error { return s.AbortTransaction(ctx) }, concord.ErrNoTransactionStarted},
		{"start twice", func(s *concord.Session) error {
			_ = s.StartTransaction()
			return s.StartTransaction()
		}, concord.ErrTransactionInProgress},
		{"start twice after a statement", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = insert(s)
			return s.StartTransaction()
		}, concord.ErrTransactionInProgress},
		{"commit after abort", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = insert(s)
			_ = s.AbortTransaction(ctx)
			return s.CommitTransaction(ctx)
		}, concord.ErrCommitAfterAbort},
		{"abort after commit", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = insert(s)
			_ = s.CommitTransaction(ctx)
			return s.AbortTransaction(ctx)
		}, concord.ErrAbortAfterCommit},
		{"abort twice", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = s.AbortTransaction(ctx)
			return s.AbortTransaction(ctx)
		}, concord.ErrAbortTwice},
		{"commit of an empty transaction", func(s *concord.Session) error {
			_ = s.StartTransaction()
			return s.CommitTransaction(ctx)
		}, nil},
		{"commit twice", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = insert(s)
			_ = s.CommitTransaction(ctx)
			return s.CommitTransaction(ctx)
		}, nil},
		{"commit empty twice", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = s.CommitTransaction(ctx)
			return s.CommitTransaction(ctx)
		}, nil},
		{"start after commit", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = insert(s)
			_ = s.CommitTransaction(ctx)
			return s.StartTransaction()
		}, nil},
		{"start after abort", func(s *concord.Session) error {
			_ = s.StartTransaction()
			_ = s.AbortTransaction(ctx)
			return s.StartTransaction()
		}, nil},
		{"start after end", func(s *concord.Session) error {
			s.EndSession(ctx)
			return s.StartTransaction()
		}, concord.ErrSessionEnded},
		{"operation after end", func(s *concord.Session) error {
			s.EndSession(ctx)
			return insert(s)
		}, concord.ErrSessionEnded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startSession(t, db)
			if err := tc.steps(s); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if m := db.Metrics(); m.Transactions.CurrentOpen != 0 {
		t.Errorf("CurrentOpen = %d after every session ended, want 0", m.Transactions.CurrentOpen)
	}
}

func TestSession_Transaction_IsolationAndCommit(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, d("_id", 1, "n", 0)); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, db)
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if !s.TransactionRunning() {
		t.Error("TransactionRunning = false after StartTransaction")
	}
	sctx := concord.NewSessionContext(ctx, s)
	if concord.SessionFromContext(sctx) != s {
		t.Fatal("SessionFromContext did not return the session")
	}
	if _, err := coll.UpdateOne(sctx, d("_id", 1), d("$set", d("n", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(sctx, d("_id", 2)); err != nil {
		t.Fatal(err)
	}
	// The transaction reads its own writes ...
	if n, err := coll.CountDocuments(sctx, nil); err != nil || n != 2 {
		t.Errorf("in txn: count = %d, %v; want 2", n, err)
	}
	// ... and nobody else sees them before the commit.
	var doc struct{ N int }
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&doc); err != nil || doc.N != 0 {
		t.Errorf("outside before commit: n = %d, %v; want 0", doc.N, err)
	}
	if err := coll.FindOne(ctx, d("_id", 2)).Err(); !errors.Is(err, concord.ErrNoDocuments) {
		t.Errorf("outside before commit: _id 2 visible (%v)", err)
	}
	// Writes committed after the snapshot are invisible to the transaction.
	if _, err := coll.InsertOne(ctx, d("_id", 3)); err != nil {
		t.Fatal(err)
	}
	if n, err := coll.CountDocuments(sctx, nil); err != nil || n != 2 {
		t.Errorf("in txn after an outside insert: count = %d, %v; want 2", n, err)
	}
	if err := s.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if s.TransactionRunning() {
		t.Error("TransactionRunning = true after commit")
	}
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&doc); err != nil || doc.N != 1 {
		t.Errorf("after commit: n = %d, %v; want 1", doc.N, err)
	}
	if n, err := coll.CountDocuments(ctx, nil); err != nil || n != 3 {
		t.Errorf("after commit: count = %d, %v; want 3", n, err)
	}
	// After the commit the session runs operations outside any transaction.
	if _, err := coll.InsertOne(sctx, d("_id", 4)); err != nil {
		t.Fatal(err)
	}
	if err := coll.FindOne(ctx, d("_id", 4)).Err(); err != nil {
		t.Errorf("session write after commit not visible: %v", err)
	}
}

func TestSession_Transaction_AbortAndEndDiscard(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	for _, how := range []string{"abort", "end"} {
		t.Run(how, func(t *testing.T) {
			s, err := db.StartSession()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.StartTransaction(); err != nil {
				t.Fatal(err)
			}
			if _, err := coll.InsertOne(concord.NewSessionContext(ctx, s), d("_id", how)); err != nil {
				t.Fatal(err)
			}
			if how == "abort" {
				if err := s.AbortTransaction(ctx); err != nil {
					t.Fatal(err)
				}
			}
			s.EndSession(ctx)
			if err := coll.FindOne(ctx, d("_id", how)).Err(); !errors.Is(err, concord.ErrNoDocuments) {
				t.Errorf("discarded insert visible: %v", err)
			}
		})
	}
	if m := db.Metrics(); m.Transactions.CurrentOpen != 0 || m.Transactions.TotalAborted < 2 {
		t.Errorf("transactions = %+v, want none open and 2 aborted", m.Transactions)
	}
}

func TestSession_Transaction_WriteConflict(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, d("_id", 1, "n", 0)); err != nil {
		t.Fatal(err)
	}
	a, b := startSession(t, db), startSession(t, db)
	actx, bctx := concord.NewSessionContext(ctx, a), concord.NewSessionContext(ctx, b)
	if err := a.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := b.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(actx, d("_id", 1), d("$inc", d("n", 1))); err != nil {
		t.Fatal(err)
	}
	_, err := coll.UpdateOne(bctx, d("_id", 1), d("$inc", d("n", 10)))
	if !concord.IsWriteConflict(err) || !concord.IsTransientTransactionError(err) {
		t.Fatalf("second writer: err = %v, want WriteConflict labelled TransientTransactionError", err)
	}
	// The conflict aborted b: its commit fails with NoSuchTransaction.
	err = b.CommitTransaction(ctx)
	if codeOf(err) != 251 || !concord.IsTransientTransactionError(err) {
		t.Errorf("commit of the loser: err = %v, want NoSuchTransaction (251) labelled TransientTransactionError", err)
	}
	if err := a.CommitTransaction(ctx); err != nil {
		t.Fatalf("commit of the winner: %v", err)
	}
	var doc struct{ N int }
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&doc); err != nil || doc.N != 1 {
		t.Errorf("n = %d, %v; want 1", doc.N, err)
	}
}

func TestSession_Transaction_FailedStatementAborts(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, d("_id", 1)); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, db)
	sctx := concord.NewSessionContext(ctx, s)
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(sctx, d("_id", 2)); err != nil {
		t.Fatal(err)
	}
	_, err := coll.InsertOne(sctx, d("_id", 1))
	if !concord.IsDuplicateKey(err) || concord.IsTransientTransactionError(err) {
		t.Fatalf("duplicate in txn: err = %v, want DuplicateKey without TransientTransactionError", err)
	}
	_, err = coll.InsertOne(sctx, d("_id", 3))
	if codeOf(err) != 251 || !concord.IsTransientTransactionError(err) {
		t.Errorf("statement after the failure: err = %v, want NoSuchTransaction (251) labelled transient", err)
	}
	if err := s.CommitTransaction(ctx); codeOf(err) != 251 {
		t.Errorf("commit: err = %v, want NoSuchTransaction (251)", err)
	}
	if n, err := coll.CountDocuments(ctx, nil); err != nil || n != 1 {
		t.Errorf("count = %d, %v; want 1 (nothing of the transaction)", n, err)
	}

	// A client-side argument error never reaches the engine and leaves the
	// transaction usable, as with the driver.
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(sctx, d("_id", 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(sctx, d("_id", 5), d("x", 1)); err == nil {
		t.Fatal("replacement document accepted by UpdateOne")
	}
	if err := s.CommitTransaction(ctx); err != nil {
		t.Errorf("commit after a client-side error: %v", err)
	}
}

func TestSession_WrongDB(t *testing.T) {
	ctx := context.Background()
	db1, db2 := openTest(t), openTest(t)
	s := startSession(t, db1)
	_, err := db2.Database("d").Collection("c").InsertOne(concord.NewSessionContext(ctx, s), d())
	if !errors.Is(err, concord.ErrWrongDB) {
		t.Errorf("err = %v, want ErrWrongDB", err)
	}
}

func TestCollection_NonTransactionalWrite_WaitsAndTimesOut(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, d("_id", 1, "v", 1)); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, db)
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(concord.NewSessionContext(ctx, s), d("_id", 1), d("$set", d("v", 2))); err != nil {
		t.Fatal(err)
	}

	// The deadline is maxTimeMS: a write blocked past it fails with 50.
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err := coll.UpdateOne(tctx, d("_id", 1), d("$set", d("v", 3)))
	cancel()
	if codeOf(err) != 50 {
		t.Fatalf("blocked write past its deadline: err = %v, want MaxTimeMSExpired (50)", err)
	}

	// A compare-and-set write waits for the transaction, then re-checks its
	// filter: the version it expected is gone, so it matches nothing.
	done := make(chan *concord.UpdateResult, 1)
	go func() {
		res, err := coll.UpdateOne(ctx, d("_id", 1, "v", 1), d("$set", d("v", 10)))
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case <-done:
		t.Fatal("write did not wait for the transaction holding the document")
	case <-time.After(50 * time.Millisecond):
	}
	if err := s.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res == nil || res.MatchedCount != 0 {
			t.Errorf("CAS after the transaction = %+v, want matched 0", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiting write not woken by the commit")
	}
}

func TestWithTransaction_RetriesTransientErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	calls := 0
	res, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		calls++
		if _, err := coll.InsertOne(ctx, d("_id", calls)); err != nil {
			return nil, err
		}
		if calls <= 2 {
			return nil, &concord.Error{Code: 112, Message: "injected", Labels: []string{concord.TransientTransactionError}}
		}
		return "done", nil
	})
	if err != nil || res != "done" {
		t.Fatalf("WithTransaction = %v, %v", res, err)
	}
	if calls != 3 {
		t.Errorf("callback ran %d times, want 3", calls)
	}
	// Only the third attempt committed: the first two were aborted.
	var got []int32
	cur, err := coll.Find(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = ids(t, cur)
	if len(got) != 1 || got[0] != 3 {
		t.Errorf("documents = %v, want only [3]", got)
	}
	m := db.Metrics()
	if m.Transactions.TotalAborted != 2 || m.Transactions.TotalCommitted != 1 {
		t.Errorf("aborted %d committed %d, want 2 and 1", m.Transactions.TotalAborted, m.Transactions.TotalCommitted)
	}
}

func TestWithTransaction_OtherErrorAbortsWithoutRetry(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	boom := errors.New("boom")
	calls := 0
	res, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		calls++
		if _, err := coll.InsertOne(ctx, d("_id", 1)); err != nil {
			return nil, err
		}
		return "partial", boom
	})
	if !errors.Is(err, boom) || res != "partial" || calls != 1 {
		t.Fatalf("WithTransaction = %v, %v after %d calls; want partial, boom, 1", res, err, calls)
	}
	if n, err := coll.CountDocuments(ctx, nil); err != nil || n != 0 {
		t.Errorf("count = %d, %v; want 0 (aborted)", n, err)
	}
}

func TestWithTransaction_CallbackEndsTransaction(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	s := startSession(t, db)
	res, err := s.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		if _, err := coll.InsertOne(ctx, d("_id", 1)); err != nil {
			return nil, err
		}
		return 7, concord.SessionFromContext(ctx).AbortTransaction(ctx)
	})
	if err != nil || res != 7 {
		t.Fatalf("WithTransaction = %v, %v", res, err)
	}
	if n, _ := coll.CountDocuments(ctx, nil); n != 0 {
		t.Errorf("count = %d, want 0: the callback aborted", n)
	}
	if s.TransactionRunning() {
		t.Error("transaction still running")
	}
}

func TestWithTransaction_GivesUpAfterTimeout(t *testing.T) {
	defer concord.SetWithTransactionTimeout(100 * time.Millisecond)()
	ctx := context.Background()
	db := openTest(t)
	calls := 0
	start := time.Now()
	_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		calls++
		return nil, &concord.Error{Code: 112, Message: "always", Labels: []string{concord.TransientTransactionError}}
	})
	if !concord.IsWriteConflict(err) || !concord.IsTransientTransactionError(err) {
		t.Fatalf("err = %v, want the last WriteConflict, labels kept", err)
	}
	if calls < 2 {
		t.Errorf("callback ran %d times, want retries", calls)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("gave up after %v, want about 100ms", el)
	}
}

func TestWithTransaction_ContextCancelStopsRetrying(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openTest(t)
	calls := 0
	_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil, &concord.Error{Code: 112, Message: "again", Labels: []string{concord.TransientTransactionError}}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if calls != 3 {
		t.Errorf("callback ran %d times, want 3", calls)
	}
}

// TestWithTransaction_RealConflict forces two transactions to write the same
// document: the second meets the first's uncommitted write, gets a
// WriteConflict, and WithTransaction reruns it until the first commits.
func TestWithTransaction_RealConflict(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("bank").Collection("accounts")
	if _, err := coll.InsertOne(ctx, d("_id", "acct", "balance", 0)); err != nil {
		t.Fatal(err)
	}
	aWrote := make(chan struct{})
	bConflicted := make(chan struct{})
	var bCalls atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	deposit := func(ctx context.Context, amount int) error {
		var acct struct{ Balance int }
		if err := coll.FindOne(ctx, d("_id", "acct")).Decode(&acct); err != nil {
			return err
		}
		_, err := coll.UpdateOne(ctx, d("_id", "acct"), d("$set", d("balance", acct.Balance+amount)))
		return err
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		first := true
		_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
			if err := deposit(ctx, 10); err != nil {
				return nil, err
			}
			if first {
				first = false
				close(aWrote)
				<-bConflicted // commit only once b has hit our write
			}
			return nil, nil
		})
		errs <- err
	}()
	go func() {
		defer wg.Done()
		<-aWrote
		_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
			err := deposit(ctx, 5)
			if bCalls.Add(1) == 1 {
				if !concord.IsWriteConflict(err) {
					t.Errorf("first attempt of b: err = %v, want WriteConflict", err)
				}
				close(bConflicted)
			}
			return nil, err
		})
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("WithTransaction: %v", err)
		}
	}
	if n := bCalls.Load(); n < 2 {
		t.Errorf("b ran %d times, want a retry", n)
	}
	var acct struct{ Balance int }
	if err := coll.FindOne(ctx, d("_id", "acct")).Decode(&acct); err != nil || acct.Balance != 15 {
		t.Errorf("balance = %d, %v; want 15 (no lost update)", acct.Balance, err)
	}
}

// TestWithTransaction_NoLostUpdates runs read-modify-write transactions from
// several goroutines on one counter: every committed increment must show.
func TestWithTransaction_NoLostUpdates(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("counters")
	if _, err := coll.InsertOne(ctx, d("_id", "c", "n", 0)); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 15
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
					var c struct{ N int }
					if err := coll.FindOne(ctx, d("_id", "c")).Decode(&c); err != nil {
						return nil, err
					}
					return coll.UpdateOne(ctx, d("_id", "c"), d("$set", d("n", c.N+1)))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var c struct{ N int }
	if err := coll.FindOne(ctx, d("_id", "c")).Decode(&c); err != nil || c.N != workers*each {
		t.Errorf("n = %d, %v; want %d", c.N, err, workers*each)
	}
}

func TestWithTransaction_BackoffSchedule(t *testing.T) {
	// The caps of the spec's table, by transactionAttempt.
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{1, 7500 * time.Microsecond},
		{2, 11250 * time.Microsecond},
		{3, 16875 * time.Microsecond},
		{10, 288325195}, // 5ms * 1.5^10
		{11, 432487792},
		{12, 500 * time.Millisecond},
		{40, 500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("attempt ", tc.attempt), func(t *testing.T) {
			got := concord.TxnBackoffCap(tc.attempt)
			if diff := got - tc.want; diff < -time.Microsecond || diff > time.Microsecond {
				t.Errorf("cap = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWithTransaction_CommitRetries(t *testing.T) {
	unknown := func(code concord.Code) error {
		return &concord.Error{Code: code, Message: "injected", Labels: []string{concord.UnknownTransactionCommitResult}}
	}
	transient := &concord.Error{Code: 251, Message: "injected", Labels: []string{concord.TransientTransactionError}}
	tests := []struct {
		name        string
		failures    []error // returned by the first commits, in order
		wantErrCode concord.Code
		wantCalls   int // callback runs
		wantCommits int // commits reaching the engine
		wantDocs    int64
	}{
		{"unknown result retries only the commit", []error{unknown(11600), unknown(11600)}, 0, 1, 3, 1},
		{"MaxTimeMSExpired is not retried", []error{unknown(50)}, 50, 1, 1, 0},
		{"transient commit error reruns the callback", []error{transient}, 0, 2, 2, 1},
		{"other commit error is returned", []error{&concord.Error{Code: 8, Message: "injected"}}, 8, 1, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := openTest(t)
			coll := db.Database("d").Collection("c")
			commits := 0
			defer concord.SetCommitHook(func(ctx context.Context, commit func(context.Context) error) error {
				commits++
				if commits <= len(tc.failures) {
					return tc.failures[commits-1]
				}
				return commit(ctx)
			})()
			calls := 0
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				calls++
				_, err := coll.UpdateOne(ctx, d("_id", 1), d("$inc", d("n", 1)), &concord.UpdateOptions{Upsert: true})
				return nil, err
			})
			if codeOf(err) != tc.wantErrCode || (tc.wantErrCode == 0) != (err == nil) {
				t.Errorf("err = %v, want code %d", err, tc.wantErrCode)
			}
			if calls != tc.wantCalls || commits != tc.wantCommits {
				t.Errorf("callback ran %d times, commit %d; want %d and %d", calls, commits, tc.wantCalls, tc.wantCommits)
			}
			if n, err := coll.CountDocuments(ctx, nil); err != nil || n != tc.wantDocs {
				t.Errorf("documents = %d, %v; want %d", n, err, tc.wantDocs)
			}
			if m := db.Metrics(); m.Transactions.CurrentOpen != 0 {
				t.Errorf("CurrentOpen = %d, want 0", m.Transactions.CurrentOpen)
			}
		})
	}
}

// TestCollection_LockForUpdate: a transaction's locks make another transaction's write or lock of the same
// documents a WriteConflict (SKIP LOCKED skips them), make a write outside a transaction wait, change no
// document, and end with the transaction; a document committed after the snapshot cannot be locked.
func TestCollection_LockForUpdate(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertMany(ctx, []any{d("_id", 1, "n", 0), d("_id", 2, "n", 0)}); err != nil {
		t.Fatal(err)
	}
	// Outside a transaction nothing is locked.
	if locked, err := coll.LockForUpdate(ctx, []any{1, 2}, false); err != nil || !locked[0] || !locked[1] {
		t.Fatalf("outside a transaction: %v, %v", locked, err)
	}
	a, b := startSession(t, db), startSession(t, db)
	actx, bctx := concord.NewSessionContext(ctx, a), concord.NewSessionContext(ctx, b)
	for _, s := range []*concord.Session{a, b} {
		if err := s.StartTransaction(); err != nil {
			t.Fatal(err)
		}
	}
	if locked, err := coll.LockForUpdate(actx, []any{1}, false); err != nil || !locked[0] {
		t.Fatalf("lock: %v, %v", locked, err)
	}
	// b skips the locked document and takes the other.
	locked, err := coll.LockForUpdate(bctx, []any{1, 2}, true)
	if err != nil || locked[0] || !locked[1] {
		t.Fatalf("SKIP LOCKED: %v, %v; want [false true]", locked, err)
	}
	// Without skipping, b's lock of document 1 is a conflict that aborts b.
	if _, err := coll.LockForUpdate(bctx, []any{1}, false); !concord.IsWriteConflict(err) || !concord.IsTransientTransactionError(err) {
		t.Fatalf("lock of a held document: %v, want WriteConflict", err)
	}
	// A write outside a transaction waits for a.
	wrote := make(chan error, 1)
	go func() {
		_, err := coll.UpdateOne(ctx, d("_id", 1), d("$inc", d("n", 5)))
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("a write outside a transaction did not wait for the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	c := startSession(t, db)
	cctx := concord.NewSessionContext(ctx, c)
	if err := c.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.FindOne(cctx, d("_id", 1)).Raw(); err != nil { // c's snapshot: before the write
		t.Fatal(err)
	}
	if err := a.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	// The write committed after c's snapshot: c cannot lock the document.
	if _, err := coll.LockForUpdate(cctx, []any{1}, false); !concord.IsWriteConflict(err) {
		t.Fatalf("lock of a document changed after the snapshot: %v, want WriteConflict", err)
	}
	var doc struct{ N int }
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&doc); err != nil || doc.N != 5 {
		t.Fatalf("n = %d, %v; want 5 (the lock changed nothing, the waiting write applied once)", doc.N, err)
	}
}

// TestSession_Savepoint: a savepoint taken before the transaction's first operation, a failed insert after it
// that leaves the transaction failed (its operations and commit refused, not aborted), and RollbackToSavepoint
// undoing the failed insert's first document so that the commit carries only what came after.
func TestSession_Savepoint(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, d("_id", 1, "n", 0)); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, db)
	sctx := concord.NewSessionContext(ctx, s)
	if _, err := s.Savepoint(); err != concord.ErrNoTransactionStarted {
		t.Fatalf("savepoint outside a transaction: %v", err)
	}
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sp, err := s.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertMany(sctx, []any{d("_id", 2), d("_id", 1)}); err == nil {
		t.Fatal("duplicate insert succeeded")
	}
	if !s.TransactionRunning() {
		t.Fatal("the failed insert ended the transaction")
	}
	if _, err := coll.InsertOne(sctx, d("_id", 3)); codeOf(err) != 20 {
		t.Fatalf("operation of a failed transaction: %v, want IllegalOperation", err)
	}
	if err := s.CommitTransaction(ctx); codeOf(err) != 20 {
		t.Fatalf("commit of a failed transaction: %v, want IllegalOperation", err)
	}
	if err := s.RollbackToSavepoint(sp); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(sctx, d("_id", 1), d("$inc", d("n", 1))); err != nil {
		t.Fatal(err)
	}
	if err := s.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := coll.CountDocuments(ctx, d()); err != nil || n != 1 {
		t.Fatalf("%d documents (%v), want 1: the failed insert's first document was committed", n, err)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&got); err != nil || got.N != 1 {
		t.Fatalf("n = %d (%v), want 1", got.N, err)
	}
}

// TestCollection_CreateIndex_OverTransactionWrites: on a collection a transaction created and wrote to,
// CreateIndex is refused with 263 as by MongoDB, unless the model asks for OverTransactionWrites: the index is
// then built over the transaction's documents, a unique one refusing their duplicates (11000), and it holds
// them after the commit. RollbackToSavepoint past the collection's creation drops the collection again.
func TestCollection_CreateIndex_OverTransactionWrites(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("made")
	s := startSession(t, db)
	sctx := concord.NewSessionContext(ctx, s)
	fill := func() {
		t.Helper()
		if err := s.StartTransaction(); err != nil {
			t.Fatal(err)
		}
		if _, err := coll.InsertMany(sctx, []any{d("_id", 1, "k", "a"), d("_id", 2, "k", "b"), d("_id", 3, "k", "a")}); err != nil {
			t.Fatal(err)
		}
	}
	fill()
	if _, err := coll.CreateIndex(sctx, concord.IndexModel{Keys: d("k", 1)}); codeOf(err) != 263 {
		t.Fatalf("CreateIndex on the transaction's non-empty collection: %v, want 263", err)
	}
	_ = s.AbortTransaction(ctx)

	fill()
	if _, err := coll.CreateIndex(sctx, concord.IndexModel{Keys: d("k", 1), Unique: true, OverTransactionWrites: true}); codeOf(err) != 11000 {
		t.Fatalf("unique index over the transaction's duplicates: %v, want 11000", err)
	}
	_ = s.AbortTransaction(ctx)

	fill()
	if _, err := coll.DeleteOne(sctx, d("_id", 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.CreateIndex(sctx, concord.IndexModel{Keys: d("k", 1), Unique: true, OverTransactionWrites: true}); err != nil {
		t.Fatalf("unique index over the transaction's documents: %v", err)
	}
	sp, err := s.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	other := db.Database("d").Collection("other")
	if _, err := other.InsertOne(sctx, d("_id", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.RollbackToSavepoint(sp); err != nil {
		t.Fatalf("RollbackToSavepoint past a collection's creation: %v", err)
	}
	if err := s.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, d("_id", 4, "k", "b")); codeOf(err) != 11000 {
		t.Fatalf("insert of a key the committed index holds: %v, want 11000", err)
	}
	names, err := db.Database("d").ListCollectionNames(ctx, d())
	if err != nil || !slices.Equal(names, []string{"made"}) {
		t.Fatalf("collections after the commit: %v (%v), want [made]", names, err)
	}
}

// A write outside a transaction that waits for a document a transaction owns tells its context's WaitObserver
// the owner's SetTransactionTag as it starts waiting, and that the wait ended once the owner commits.
func TestSession_WaitObserver(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, db)
	s.SetTransactionTag("block A")
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := concord.NewSessionContext(ctx, s)
	if _, err := coll.UpdateOne(sctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	type event struct {
		tag     any
		waiting bool
	}
	events := make(chan event, 4)
	octx := concord.WithWaitObserver(ctx, func(tag any, waiting bool) { events <- event{tag, waiting} })
	done := make(chan error, 1)
	go func() {
		_, err := coll.UpdateOne(octx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 10}}}})
		done <- err
	}()
	select {
	case e := <-events:
		if e != (event{"block A", true}) {
			t.Fatalf("first event %+v, want the owner's tag and waiting", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting write told its observer nothing")
	}
	if err := s.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e := <-events; e != (event{nil, false}) {
		t.Fatalf("second event %+v, want the wait's end", e)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&got); err != nil || got.N != 11 {
		t.Fatalf("n = %d, %v; want 11", got.N, err)
	}
}

// TestSession_OverrideValidator: a transaction's override replaces the collection's validator for its own writes
// only (another writer meanwhile is checked by the collection's), a nil one checks nothing, an invalid one is
// refused, and the collection's validator is the same after the transaction ends.
func TestSession_OverrideValidator(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	dbase := db.Database("d")
	v, _ := bson.Marshal(d("n", d("$gte", 0)))
	if err := dbase.CreateCollection(ctx, "c", concord.CollectionOptions{Validator: v}); err != nil {
		t.Fatal(err)
	}
	coll := dbase.Collection("c")
	s := startSession(t, db)
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := concord.NewSessionContext(ctx, s)
	small, _ := bson.Marshal(d("n", d("$lt", 10)))
	if err := s.OverrideValidator("d", "c", small); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(sctx, d("_id", 1, "n", -5)); err != nil {
		t.Errorf("in txn, -5 under {n < 10}: %v", err)
	}
	if _, err := coll.InsertOne(ctx, d("_id", 3, "n", -1)); !isCode(err, 121) {
		t.Errorf("outside, -1 under {n >= 0}: %v, want DocumentValidationFailure", err)
	}
	if err := s.OverrideValidator("d", "c", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(sctx, d("_id", 4, "n", 50)); err != nil {
		t.Errorf("in txn, 50 under no validator: %v", err)
	}
	bad, _ := bson.Marshal(d("n", d("$nope", 1)))
	if err := s.OverrideValidator("d", "c", bad); err == nil {
		t.Error("an invalid validator was taken")
	}
	s.ClearValidatorOverride("d", "c")
	if _, err := coll.InsertOne(sctx, d("_id", 5, "n", -7)); !isCode(err, 121) {
		t.Errorf("in txn after the override is cleared, -7: %v, want DocumentValidationFailure", err)
	}
	_ = s.AbortTransaction(ctx)
	// A write the override refuses fails as the collection's validator would fail it.
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := s.OverrideValidator("d", "c", small); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(sctx, d("_id", 2, "n", 20)); !isCode(err, 121) {
		t.Errorf("in txn, 20 under {n < 10}: %v, want DocumentValidationFailure", err)
	}
	_ = s.AbortTransaction(ctx)
	if _, err := coll.InsertOne(ctx, d("_id", 6, "n", -2)); !isCode(err, 121) {
		t.Errorf("after the transaction, -2: %v, want DocumentValidationFailure", err)
	}
}

func isCode(err error, code int) bool {
	var ce *concord.Error
	return errors.As(err, &ce) && int(ce.Code) == code
}
