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

// TestSessionRecord_OutsideTransaction checks that a write outside a transaction stores the record with its
// result appended, and that a second write under the same context (as the profiler's would be) leaves it.
func TestSessionRecord_OutsideTransaction(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	id := [16]byte{7}
	value, _ := bson.Marshal(bson.D{{Key: "txnNumber", Value: int64(4)}})
	rctx := engine.WithSessionRecord(ctx, id, value)
	spec := engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 1}}), Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})}
	if _, err := e.Update(rctx, nil, ns, spec, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Insert(rctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 2}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	raw, err := e.SessionRecord(id)
	if err != nil || raw == nil {
		t.Fatalf("record = %v, %v", raw, err)
	}
	rec := bson.Raw(raw)
	if n, _ := rec.Lookup("txnNumber").Int64OK(); n != 4 {
		t.Fatalf("record %v lost the caller's fields", rec)
	}
	if m, _ := rec.Lookup("result", "matched").Int64OK(); m != 1 {
		t.Fatalf("record %v: want the update's result (matched 1), not the later insert's", rec)
	}
	if mod, _ := rec.Lookup("result", "modified").Int64OK(); mod != 1 {
		t.Fatalf("record %v: modified", rec)
	}
}

// TestPruneSessionRecords_RecheckUnderCommitLock checks that pruning judges a record again before deleting it:
// one a commit replaced after the first look is kept.
func TestPruneSessionRecords_RecheckUnderCommitLock(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	commit := func(id [16]byte, value string) {
		t.Helper()
		tx := e.Begin()
		if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "v", Value: value}})}, true, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(engine.WithSessionRecord(ctx, id, []byte(value))); err != nil {
			t.Fatal(err)
		}
	}
	replaced, gone := [16]byte{1}, [16]byte{2}
	commit(replaced, "old")
	commit(gone, "old")
	n, err := e.PruneSessionRecords(func(id [16]byte, value []byte) bool {
		if id == replaced && string(value) == "old" {
			commit(replaced, "new") // a commit lands between the first look and the deletion
		}
		return string(value) == "old"
	})
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if r, _ := e.SessionRecord(replaced); string(r) != "new" {
		t.Fatalf("replaced record = %q, want it kept with its new value", r)
	}
	if r, _ := e.SessionRecord(gone); r != nil {
		t.Fatalf("expired record = %q, want it deleted", r)
	}
}
