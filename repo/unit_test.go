package repo_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store/storetest"
)

// TestUnit_IdentityMapAndTracking: the same _id loads as the same pointer; Commit inserts the added entity,
// deletes the removed one, writes only the changed fields of the changed one, leaves the unchanged one alone,
// and moves the versions in the entities.
func TestUnit_IdentityMapAndTracking(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "unit", nil)
		for _, id := range []string{"a", "b", "c"} {
			if err := r.Insert(ctx, &item{ID: id, Price: 1}); err != nil {
				t.Fatal(err)
			}
		}
		u := repo.NewUnit(b.Store, nil)
		a1, err := r.Load(ctx, u, "a")
		if err != nil {
			t.Fatal(err)
		}
		many, err := r.LoadMany(ctx, u, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{"a", "b", "c"}}}}})
		if err != nil || len(many) != 3 || many[0] != a1 {
			t.Fatalf("LoadMany: %v, %v: want the same pointer for a", many, err)
		}
		a1.Price = 5
		if err := r.Remove(u, many[1]); err != nil {
			t.Fatal(err)
		}
		d := &item{ID: "d", Name: "new"}
		if err := r.Add(u, d); err != nil {
			t.Fatal(err)
		}
		// Someone else sets a field of a meanwhile, without a version: only the diff protects it.
		if _, err := r.Collection().Unversioned().UpdateOne(ctx, bson.D{{Key: "_id", Value: "a"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "stock", Value: int64(7)}}}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if a1.Version != 2 || d.Version != 1 || many[2].Version != 1 {
			t.Errorf("versions after commit: a %d, d %d, c %d; want 2, 1, 1", a1.Version, d.Version, many[2].Version)
		}
		got, _ := r.Find(ctx, nil)
		want := map[string][2]int64{"a": {5, 7}, "c": {1, 0}, "d": {0, 0}}
		if len(got) != len(want) {
			t.Errorf("stored %d documents, want %d", len(got), len(want))
		}
		for _, it := range got {
			if w, ok := want[it.ID]; !ok || it.Price != w[0] || it.Stock != w[1] {
				t.Errorf("stored %+v", it)
			}
		}
		// The unit goes on: a second change commits against the new snapshot.
		a1.Name = "again"
		if err := u.Commit(ctx); err != nil || a1.Version != 3 {
			t.Errorf("second commit: %v, version %d", err, a1.Version)
		}
	})
}

// TestUnit_ConflictListsExactlyTheConflictingDocument: two units load the same two documents; they change
// different fields of the first and the same field of the second. In field-level mode the second commit fails
// listing exactly the second document, with base, mine and theirs, and writes nothing.
func TestUnit_ConflictListsExactlyTheConflictingDocument(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "conflict", &occ.Options{FieldLevel: true})
		for _, id := range []string{"x", "y"} {
			if err := r.Insert(ctx, &item{ID: id, Name: id, Price: 10, Stock: 10}); err != nil {
				t.Fatal(err)
			}
		}
		u1, u2 := repo.NewUnit(b.Store, nil), repo.NewUnit(b.Store, nil)
		x1, _ := r.Load(ctx, u1, "x")
		y1, _ := r.Load(ctx, u1, "y")
		x2, _ := r.Load(ctx, u2, "x")
		y2, err := r.Load(ctx, u2, "y")
		if err != nil {
			t.Fatal(err)
		}
		x1.Price, y1.Stock = 11, 1
		x2.Stock, y2.Stock = 12, 2
		if err := u1.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		err = u2.Commit(ctx)
		var ce *repo.CommitError
		if !errors.As(err, &ce) || !errors.Is(err, occ.ErrConflict) {
			t.Fatalf("second commit: %v, want a *CommitError", err)
		}
		if len(ce.Conflicts) != 1 || ce.Conflicts[0].ID != "y" {
			t.Fatalf("conflicts %+v, want exactly y", ce.Conflicts)
		}
		c := ce.Conflicts[0]
		if c.Base.Lookup("stock").Int64() != 10 || c.Mine.Lookup("stock").Int64() != 2 || c.Theirs.Lookup("stock").Int64() != 1 ||
			len(c.Paths) != 1 || c.Paths[0] != "stock" || c.Expected != 1 || c.Current != 2 {
			t.Errorf("conflict %+v, want base 10, mine 2, theirs 1 on stock, versions 1 and 2", c)
		}
		x, _ := r.Get(ctx, "x")
		if x.Price != 11 || x.Stock != 10 || x.Version != 2 {
			t.Errorf("x after the failed commit: %+v, want only the first unit's change", x)
		}
		if x2.Version != 1 {
			t.Errorf("the failed unit moved its entity's version to %d", x2.Version)
		}
	})
}

// TestRun_RetriesWithAFreshUnit: a function whose first commit conflicts runs again with a new unit and
// succeeds.
func TestRun_RetriesWithAFreshUnit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "run", nil)
		if err := r.Insert(ctx, &item{ID: "a"}); err != nil {
			t.Fatal(err)
		}
		runs := 0
		err := repo.Run(ctx, b.Store, nil, &occ.Retry{MaxRetries: 3, Base: 1}, func(ctx context.Context, u *repo.Unit) error {
			runs++
			a, err := r.Load(ctx, u, "a")
			if err != nil {
				return err
			}
			if runs == 1 {
				if _, _, err := r.Update(ctx, "a", func(it *item) error { it.Stock += 100; return nil }); err != nil {
					return err
				}
			}
			a.Stock++
			return nil
		})
		a, _ := r.Get(ctx, "a")
		if err != nil || runs != 2 || a.Stock != 101 || a.Version != 3 {
			t.Errorf("Run: %v after %d runs, stored %+v; want success at run 2 with stock 101", err, runs, a)
		}
	})
}

// TestUnit_Lightweight: no identity map, nothing tracked; Attach saves with the version check.
func TestUnit_Lightweight(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "light", nil)
		if err := r.Insert(ctx, &item{ID: "a"}); err != nil {
			t.Fatal(err)
		}
		u := repo.NewUnit(b.Store, &repo.UnitOptions{Lightweight: true})
		a1, _ := r.Load(ctx, u, "a")
		a2, _ := r.Load(ctx, u, "a")
		if a1 == a2 {
			t.Fatal("lightweight unit returned the same pointer twice")
		}
		a1.Price = 9 // not attached: not written
		a2.Stock = 4
		if err := r.Attach(u, a2); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(ctx); err != nil || a2.Version != 2 {
			t.Fatalf("Commit: %v, version %d", err, a2.Version)
		}
		got, _ := r.Get(ctx, "a")
		if got.Price != 0 || got.Stock != 4 {
			t.Errorf("stored %+v, want only the attached change", got)
		}
	})
}

// TestUnit_AddExisting: adding an entity whose _id exists fails the commit with that document listed, at
// once, and writes nothing else.
func TestUnit_AddExisting(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		r := newRepo(t, b, "addexisting", nil)
		if err := r.Insert(ctx, &item{ID: "a"}); err != nil {
			t.Fatal(err)
		}
		u := repo.NewUnit(b.Store, nil)
		if err := r.Add(u, &item{ID: "b"}); err != nil {
			t.Fatal(err)
		}
		if err := r.Add(u, &item{ID: "a", Name: "again"}); err != nil {
			t.Fatal(err)
		}
		err := u.Commit(ctx)
		var ce *repo.CommitError
		if !errors.As(err, &ce) || len(ce.Conflicts) != 1 || ce.Conflicts[0].ID != "a" || ce.Conflicts[0].Current != 1 || ce.Conflicts[0].Theirs == nil {
			t.Fatalf("Commit: %v, want a conflict on a only", err)
		}
		if _, err := r.Get(ctx, "b"); !errors.Is(err, occ.ErrNotFound) {
			t.Errorf("b after the failed commit: %v, want not found", err)
		}
	})
}
