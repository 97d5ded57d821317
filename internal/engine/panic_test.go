package engine

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// claimThenPanic is a write body that takes the document key of _id 1 in ns, as an update does, then panics.
func claimThenPanic(c *collection) func(o *op) error {
	return func(o *op) error {
		if err := o.t().claim(string(docKey(c.id, bson.RawValue{Type: bson.TypeInt32, Value: bsoncoreInt32(1)}))); err != nil {
			return err
		}
		panic("boom")
	}
}

// bsoncoreInt32 is the little-endian encoding of an int32 BSON value.
func bsoncoreInt32(v int32) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}

// mustPanic runs f and fails unless it panics with "boom".
func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the body's panic", r)
		}
	}()
	f()
}

// TestRunWrite_PanicReleasesKeys checks that a write whose body panics, outside a transaction and inside one,
// re-panics for its caller but leaves nothing held: the key it owned can be written at once, and the
// transaction is aborted and unlocked.
func TestRunWrite_PanicReleasesKeys(t *testing.T) {
	e, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	ns := Namespace{DB: "test", Coll: "c"}
	d, _ := bson.Marshal(bson.D{{Key: "_id", Value: int32(1)}, {Key: "n", Value: int32(0)}})
	if _, err := e.Insert(ctx, nil, ns, []bson.Raw{d}, true, nil); err != nil {
		t.Fatal(err)
	}
	c := e.lookupColl(ns)
	inc, _ := bson.Marshal(bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
	byID, _ := bson.Marshal(bson.D{{Key: "_id", Value: int32(1)}})
	update := func(txn *Txn) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := e.Update(ctx, txn, ns, UpdateSpec{Filter: byID, Update: inc}, nil)
		return err
	}

	mustPanic(t, func() { _ = e.runWrite(ctx, nil, nil, claimThenPanic(c)) })
	if err := update(nil); err != nil {
		t.Fatalf("update after a panicking write outside a transaction: %v (its key stayed owned)", err)
	}

	txn := e.Begin()
	mustPanic(t, func() { _ = e.runWrite(ctx, txn, nil, claimThenPanic(c)) })
	if got := txn.State(); got != TxnAborted {
		t.Fatalf("transaction state after a panicking statement = %v, want aborted", got)
	}
	if err := update(txn); err == nil {
		t.Fatal("a statement of the aborted transaction succeeded")
	}
	if err := update(nil); err != nil {
		t.Fatalf("update after a panicking transaction statement: %v (its key stayed owned)", err)
	}
}
