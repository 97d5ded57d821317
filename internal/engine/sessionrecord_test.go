package engine_test

import (
	"bytes"
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// TestSessionRecord checks that a commit under WithSessionRecord stores the record with its writes, that a
// later one replaces it, and that a commit with nothing to write stores nothing.
func TestSessionRecord(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	id := [16]byte{1, 2, 3}
	if r, err := e.SessionRecord(id); err != nil || r != nil {
		t.Fatalf("record before any commit = %q, %v", r, err)
	}
	commit := func(write bool, value string) {
		t.Helper()
		tx := e.Begin()
		if write {
			if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "v", Value: value}})}, true, nil); err != nil {
				t.Fatal(err)
			}
		} else {
			findAll(t, e, tx, nil)
		}
		if err := tx.Commit(engine.WithSessionRecord(ctx, id, []byte(value))); err != nil {
			t.Fatal(err)
		}
	}
	commit(true, "first")
	commit(true, "second")
	commit(false, "read-only")
	if r, err := e.SessionRecord(id); err != nil || !bytes.Equal(r, []byte("second")) {
		t.Fatalf("record = %q, %v; want the last commit that wrote", r, err)
	}
	if r, _ := e.SessionRecord([16]byte{9}); r != nil {
		t.Fatalf("another session's record = %q", r)
	}
}
