package repo_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/concorddb/concord/merge"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store/storetest"
)

// account declares its merge policy in tags: the balance is a counter that must not go negative, the
// nickname takes the later writer's, the owner has no rule (a collision is an error).
type account struct {
	ID       string `bson:"_id"`
	Version  int64  `bson:"version"`
	Owner    string `bson:"owner"`
	Nickname string `bson:"nickname" merge:"mine"`
	Balance  int64  `bson:"balance" merge:"counter,min=0"`
}

func newAccounts(t *testing.T, b *storetest.Backend) *repo.Repository[account] {
	t.Helper()
	r, err := repo.New[account](occ.New(b.Store, b.Database, "accounts", &occ.Options{Metrics: &occ.Metrics{}}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestUnit_MergeAtCommit: two units load the same account; the first commits; the second, with a merge
// policy, resolves at commit instead of failing: both balance changes apply, its nickname wins, and the
// entity ends at the merged value and the new version. Without a merge policy the same commit fails; with a
// collision no rule resolves it fails too and writes nothing, its conflict carrying the merge's result.
func TestUnit_MergeAtCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newAccounts(t, b)
		if err := r.Insert(ctx, &account{ID: "a", Owner: "ann", Balance: 100}); err != nil {
			t.Fatal(err)
		}
		log := b.Collection("merges")
		withMerge := &repo.UnitOptions{Merge: &merge.Options{Log: log}}
		u1, u2, u3 := repo.NewUnit(b.Store, nil), repo.NewUnit(b.Store, withMerge), repo.NewUnit(b.Store, nil)
		a1, _ := r.Load(ctx, u1, "a")
		a2, _ := r.Load(ctx, u2, "a")
		a3, _ := r.Load(ctx, u3, "a")
		a1.Balance -= 30
		a1.Nickname = "one"
		if err := u1.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		a2.Balance += 5
		a2.Nickname = "two"
		if err := u2.Commit(ctx); err != nil {
			t.Fatalf("merge at commit: %v", err)
		}
		if a2.Balance != 75 || a2.Nickname != "two" || a2.Version != 3 {
			t.Fatalf("entity after the merge %+v", a2)
		}
		got, _ := r.Get(ctx, "a")
		if *got != *a2 {
			t.Fatalf("stored %+v, entity %+v", got, a2)
		}
		a3.Balance = 1
		var ce *repo.CommitError
		if err := u3.Commit(ctx); !errors.As(err, &ce) || ce.Conflicts[0].Merge != nil {
			t.Fatalf("without merge: %v", err)
		}

		// A collision without a rule, and a counter pushed below its bound.
		u4 := repo.NewUnit(b.Store, withMerge)
		a4, _ := r.Load(ctx, u4, "a")
		if _, _, err := r.Update(ctx, "a", func(a *account) error { a.Owner, a.Balance = "bob", a.Balance-70; return nil }); err != nil {
			t.Fatal(err)
		}
		a4.Owner, a4.Balance = "cat", a4.Balance-10
		err := u4.Commit(ctx)
		if !errors.As(err, &ce) || ce.Conflicts[0].Merge == nil || len(ce.Conflicts[0].Merge.Conflicts) != 2 {
			t.Fatalf("unresolvable merge: %v", err)
		}
		if got, _ := r.Get(ctx, "a"); got.Owner != "bob" || got.Balance != 5 || got.Version != 4 {
			t.Fatalf("a failed merge wrote: %+v", got)
		}
		if n, err := log.Find(ctx, nil, nil); err != nil || len(n) != 2 {
			t.Fatalf("conflict log: %d entries, %v", len(n), err)
		}
		cnt := r.Collection().Metrics().Collection(r.Collection().Namespace()).Merges
		if cnt["merge/resolved"] != 1 || cnt["merge/conflict"] != 1 {
			t.Fatalf("counters %v", cnt)
		}
	})
}

// TestUnit_MergeUnderContention: 16 units each load the account, add their own amount and commit with a merge
// policy, all at once. Every commit succeeds and the balance is the sum of every amount: merging never drops
// an update, even when the document moves again while a unit merges.
func TestUnit_MergeUnderContention(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newAccounts(t, b)
		if err := r.Insert(ctx, &account{ID: "a", Balance: 0}); err != nil {
			t.Fatal(err)
		}
		opts := &repo.UnitOptions{Merge: &merge.Options{}, MergeAttempts: 1000,
			Txn: &occ.TxnOptions{Retry: &occ.Retry{MaxRetries: 1000, Base: time.Millisecond, Max: 10 * time.Millisecond}}}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := repo.NewUnit(b.Store, opts)
				a, err := r.Load(ctx, u, "a")
				if err != nil {
					t.Error(err)
					return
				}
				<-start
				a.Balance += int64(w + 1)
				if err := u.Commit(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		got, _ := r.Get(ctx, "a")
		if got.Balance != 136 || got.Version != 17 {
			t.Fatalf("after 16 merged commits: %+v", got)
		}
	})
}

func newAccountsB(tb testing.TB, b *storetest.Backend) *repo.Repository[account] {
	r, err := repo.New[account](occ.New(b.Store, b.Database, "accounts", &occ.Options{Metrics: &occ.Metrics{}}))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
