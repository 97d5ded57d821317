package engine

import (
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestTxn_CreatedCollectionGoneAfterCrash: a collection a transaction created does not outlive a crash before
// the transaction's commit (a copy of the directory taken while it is open), as in MongoDB, where the creation
// is part of the transaction; collections whose creating transaction committed, with writes or without, stay;
// and the reopened directory creates the same names anew.
func TestTxn_CreatedCollectionGoneAfterCrash(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ns := func(name string) Namespace { return Namespace{DB: "pc", Coll: name} }
	one := func(id int) []bson.Raw {
		d, _ := bson.Marshal(bson.D{{Key: "_id", Value: id}})
		return []bson.Raw{d}
	}
	names := func(e *Engine) []string {
		var out []string
		for _, c := range e.ListCollections("pc") {
			out = append(out, c.Name)
		}
		slices.Sort(out)
		return out
	}

	open1 := e.Begin() // creates by its first insert, never commits
	if _, err := e.Insert(ctx, open1, ns("gone"), one(1), true, nil); err != nil {
		t.Fatal(err)
	}
	open2 := e.Begin() // creates explicitly, with an index, never commits
	if err := e.CreateCollectionWithOptions(ctx, open2, ns("gone2"), CollOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, open2, ns("gone2"), IndexSpec{Key: bson.D{{Key: "v", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	done := e.Begin() // creates by an insert and commits
	if _, err := e.Insert(ctx, done, ns("kept"), one(1), true, nil); err != nil {
		t.Fatal(err)
	}
	if err := done.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	empty := e.Begin() // creates explicitly, writes nothing, commits
	if err := e.CreateCollectionWithOptions(ctx, empty, ns("kept2"), CollOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := empty.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	crash := t.TempDir()
	copyDir(t, dir, crash)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, crash, crash} { // the crash copy twice: its markers were cleared the first time
		e, err := Open(Options{Dir: d})
		if err != nil {
			t.Fatalf("reopen %s: %v", d, err)
		}
		if got := names(e); !slices.Equal(got, []string{"kept", "kept2"}) {
			t.Errorf("reopened %s: collections %v, want [kept kept2]", d, got)
		}
		if n, err := e.Count(ctx, nil, ns("kept"), nil, 0, 0, nil, nil); err != nil || n != 1 {
			t.Errorf("reopened %s: kept holds %d documents (%v), want 1", d, n, err)
		}
		it, err := e.db.NewIter(nil)
		if err != nil {
			t.Fatal(err)
		}
		for it.SeekGE([]byte{prefixPending}); it.Valid() && it.Key()[0] == prefixPending; it.Next() {
			t.Errorf("reopened %s: a pending marker is left: %q", d, it.Key())
		}
		it.Close()
		tx := e.Begin()
		if _, err := e.Insert(ctx, tx, ns("gone"), one(2), true, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Abort(); err != nil {
			t.Fatal(err)
		}
		e.Close()
	}
}
