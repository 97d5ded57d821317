package engine_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// TestAnchor: the engine keeps one snapshot of its own, older than a transaction's, replaced over time: a
// transaction's snapshot comes and goes beside it, no replacement leaks one, and Close closes it (Pebble refuses
// to close with a snapshot open).
func TestAnchor(t *testing.T) {
	defer engine.SetAnchorEvery(5 * time.Millisecond)()
	ctx := context.Background()
	e, err := engine.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.OpenSnapshots(); n != 1 {
		t.Fatalf("%d snapshots open on a new engine, want the anchor alone", n)
	}
	tx := e.Begin()
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if n := e.OpenSnapshots(); n != 2 {
		t.Fatalf("%d snapshots open with a transaction started, want 2", n)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // about twenty replacements
	if n := e.OpenSnapshots(); n != 1 {
		t.Fatalf("%d snapshots open after the commit and the anchor's replacements, want 1", n)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
