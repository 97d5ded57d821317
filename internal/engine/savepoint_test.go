package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// TestSavepoint_RollbackTo returns a transaction to a savepoint: the inserts, updates, deletes and unique keys
// written since are forgotten, those before it commit, and the keys claimed since are free for others at once.
func TestSavepoint_RollbackTo(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}, {Key: "k", Value: "one"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: 0}, {Key: "k", Value: "two"}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil { // before the savepoint: kept
		t.Fatal(err)
	}
	sp, err := tx.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 2}}, incV); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 3}, {Key: "v", Value: 0}, {Key: "k", Value: "three"}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Delete(ctx, tx, ns, doc(bson.D{{Key: "_id", Value: 2}}), false, nil); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	// Inside the transaction: its view is the savepoint's.
	if docs := findAll(t, e, tx, nil); len(docs) != 2 {
		t.Fatalf("after RollbackTo the transaction sees %d documents, want 2", len(docs))
	}
	// _id 2, written and deleted after the savepoint, is free: another writer updates it without a conflict.
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 2}}, incV); err != nil {
		t.Fatalf("update of a key released by RollbackTo: %v", err)
	}
	// The unique key "three" the rolled-back insert held is free in the transaction and outside it.
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 4}, {Key: "v", Value: 0}, {Key: "k", Value: "three"}})}, true, nil); err != nil {
		t.Fatalf("insert of the released unique key: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if getV(t, e, 1) != 1 || getV(t, e, 2) != 1 {
		t.Fatalf("after commit: v of 1 = %d (want 1, the update before the savepoint), v of 2 = %d (want 1, the other writer's)", getV(t, e, 1), getV(t, e, 2))
	}
	if docs := findAll(t, e, nil, bson.D{{Key: "_id", Value: 3}}); len(docs) != 0 {
		t.Fatal("the insert after the savepoint was committed")
	}
	if docs := findAll(t, e, nil, bson.D{{Key: "k", Value: "three"}}); len(docs) != 1 {
		t.Fatalf("%d documents hold k=three, want 1", len(docs))
	}
}

// TestSavepoint_FailedStatement: after a savepoint a failed statement leaves the transaction active but failed
// (statements and commit refused) instead of aborting it; RollbackTo undoes what the statement wrote before
// failing and makes it usable again. Without a savepoint a failed statement still aborts the transaction.
func TestSavepoint_FailedStatement(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	sp, err := tx.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	// The first document is new, the second a duplicate: the statement fails after writing the first.
	res, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 5}}), doc(bson.D{{Key: "_id", Value: 1}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 1 || res.WriteErrors[0].Err.Code != codes.DuplicateKey {
		t.Fatalf("insert: %+v, %v", res, err)
	}
	if tx.State() != engine.TxnActive {
		t.Fatalf("state %v after a failed statement past a savepoint, want active", tx.State())
	}
	_, err = update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV)
	wantCode(t, err, codes.IllegalOperation)
	wantCode(t, tx.Commit(ctx), codes.IllegalOperation)
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if docs := findAll(t, e, nil, bson.D{{Key: "_id", Value: 5}}); len(docs) != 0 {
		t.Fatal("the failed statement's first insert was committed")
	}
	if getV(t, e, 1) != 1 {
		t.Fatalf("v = %d, want 1", getV(t, e, 1))
	}

	tx = e.Begin()
	if res, err := e.Insert(ctx, tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}})}, true, nil); err != nil || len(res.WriteErrors) != 1 {
		t.Fatalf("insert: %+v, %v", res, err)
	}
	if tx.State() != engine.TxnAborted {
		t.Fatalf("state %v after a failed statement without a savepoint, want aborted", tx.State())
	}
	if _, err := tx.Savepoint(); err == nil {
		t.Fatal("savepoint of an aborted transaction")
	}
}
