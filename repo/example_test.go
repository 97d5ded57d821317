package repo_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store"
)

type product struct {
	ID      string `bson:"_id"`
	Name    string `bson:"name"`
	Price   int64  `bson:"price"`
	Version int64  `bson:"version"`
}

// A repository keeps the version in the struct: Save of a stale copy is a conflict.
func ExampleRepository() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	products, err := repo.New[product](occ.New(st, "shop", "products", nil))
	if err != nil {
		log.Fatal(err)
	}

	pen := &product{ID: "pen", Name: "Pen", Price: 2}
	if err := products.Insert(ctx, pen); err != nil {
		log.Fatal(err)
	}
	stale, _ := products.Get(ctx, "pen")
	pen.Price = 3
	fmt.Println(products.Save(ctx, pen), pen.Version)
	stale.Name = "Ballpoint"
	fmt.Println(errors.Is(products.Save(ctx, stale), occ.ErrConflict), stale.Version)
	// Output:
	// <nil> 2
	// true 1
}

// A unit of work: loads go through the identity map, Commit writes what changed in one transaction.
func ExampleUnit() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	products, err := repo.New[product](occ.New(st, "shop", "products", nil))
	if err != nil {
		log.Fatal(err)
	}
	if err := products.Insert(ctx, &product{ID: "pen", Price: 2}); err != nil {
		log.Fatal(err)
	}

	u := repo.NewUnit(st, nil)
	a, _ := products.Load(ctx, u, "pen")
	b, _ := products.Load(ctx, u, "pen")
	fmt.Println("same pointer:", a == b)
	a.Price = 4
	if err := products.Add(u, &product{ID: "ink", Price: 1}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Commit(ctx), a.Version)
	all, _ := products.Find(ctx, nil)
	for _, p := range all {
		fmt.Println(p.ID, p.Price, p.Version)
	}
	// Output:
	// same pointer: true
	// <nil> 2
	// ink 1 1
	// pen 4 2
}

// Run re-runs the whole function with a fresh unit of work when its commit conflicts.
func ExampleRun() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	products, err := repo.New[product](occ.New(st, "shop", "products", nil))
	if err != nil {
		log.Fatal(err)
	}
	if err := products.Insert(ctx, &product{ID: "pen", Price: 2}); err != nil {
		log.Fatal(err)
	}
	runs := 0
	err = repo.Run(ctx, st, nil, nil, func(ctx context.Context, u *repo.Unit) error {
		runs++
		p, err := products.Load(ctx, u, "pen")
		if err != nil {
			return err
		}
		if runs == 1 { // someone else changes the price meanwhile
			if _, _, err := products.Update(ctx, "pen", func(p *product) error { p.Price = 5; return nil }); err != nil {
				return err
			}
		}
		p.Price *= 2
		return nil
	})
	p, _ := products.Get(ctx, "pen")
	fmt.Println(err, runs, p.Price)
	// Output: <nil> 2 10
}
