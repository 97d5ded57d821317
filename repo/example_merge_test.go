package repo_test

import (
	"context"
	"fmt"
	"log"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/merge"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store"
)

// wallet's tags say how concurrent edits merge: the balance is a counter that must stay non-negative.
type wallet struct {
	ID      string `bson:"_id"`
	Version int64  `bson:"version"`
	Owner   string `bson:"owner"`
	Balance int64  `bson:"balance" merge:"counter,min=0"`
}

// A unit of work with a merge policy resolves a conflict at commit instead of failing: the deposit made
// meanwhile and this unit's withdrawal both apply.
func ExampleUnitOptions_merge() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	wallets, _ := repo.New[wallet](occ.New(st, "bank", "wallets", nil))
	_ = wallets.Insert(ctx, &wallet{ID: "w", Owner: "ann", Balance: 100})

	u := repo.NewUnit(st, &repo.UnitOptions{Merge: &merge.Options{}})
	w, _ := wallets.Load(ctx, u, "w")
	// Someone deposits 50 meanwhile.
	_, _, _ = wallets.Update(ctx, "w", func(w *wallet) error { w.Balance += 50; return nil })

	w.Balance -= 30
	fmt.Println("commit:", u.Commit(ctx))
	fmt.Println("balance", w.Balance, "version", w.Version)
	// Output:
	// commit: <nil>
	// balance 120 version 3
}
