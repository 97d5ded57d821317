package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// collNames lists the collections of db.
func collNames(e *engine.Engine, db string) []string {
	var out []string
	for _, c := range e.ListCollections(db) {
		out = append(out, c.Name)
	}
	return out
}

// TestTxn_CreatedCollectionRollsBack checks that a collection a transaction creates, by its first insert or
// upsert or by an explicit create, is listed only once the transaction commits and is gone after an abort, as
// in MongoDB 4.4+; and that another client's write waits for the transaction to end and then creates the
// collection anew.
func TestTxn_CreatedCollectionRollsBack(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	nsOf := func(name string) engine.Namespace { return engine.Namespace{DB: "tc", Coll: name} }
	insert := func(tx *engine.Txn, name string, id int) {
		t.Helper()
		if _, err := e.Insert(ctx, tx, nsOf(name), []bson.Raw{doc(bson.D{{Key: "_id", Value: id}})}, true, nil); err != nil {
			t.Fatalf("insert into %s: %v", name, err)
		}
	}
	upsert := func(tx *engine.Txn, name string) {
		t.Helper()
		spec := engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 2}}), Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}), Upsert: true}
		if _, err := e.Update(ctx, tx, nsOf(name), spec, nil); err != nil {
			t.Fatalf("upsert into %s: %v", name, err)
		}
	}

	committed := e.Begin()
	insert(committed, "kept", 1)
	if got := collNames(e, "tc"); len(got) != 0 {
		t.Fatalf("collections before the creating transaction commits = %v, want none", got)
	}
	if !e.CreatedInOpenTxn(nsOf("kept")) {
		t.Fatal("CreatedInOpenTxn is false during the creating transaction")
	}
	if err := committed.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := collNames(e, "tc"); !slices.Equal(got, []string{"kept"}) || e.CreatedInOpenTxn(nsOf("kept")) {
		t.Fatalf("collections after the commit = %v, want [kept]", got)
	}

	aborted := e.Begin()
	insert(aborted, "inserted", 1)
	upsert(aborted, "upserted")
	if err := e.CreateCollection(ctx, aborted, nsOf("created")); err != nil {
		t.Fatal(err)
	}
	insert(aborted, "shared", 1)
	// Another client's write outside a transaction waits for the transaction to end.
	outside := make(chan error, 1)
	go func() {
		_, err := e.Insert(ctx, nil, nsOf("shared"), []bson.Raw{doc(bson.D{{Key: "_id", Value: 3}})}, true, nil)
		outside <- err
	}()
	select {
	case err := <-outside:
		t.Fatalf("the write outside the transaction did not wait: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	// Until the transaction ends, what it created is listed to no one.
	if got := collNames(e, "tc"); !slices.Equal(got, []string{"kept"}) {
		t.Fatalf("collections during the transaction = %v, want [kept]", got)
	}
	if err := aborted.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := <-outside; err != nil {
		t.Fatalf("the waiting write after the abort: %v", err)
	}
	if got := collNames(e, "tc"); !slices.Equal(got, []string{"kept", "shared"}) {
		t.Fatalf("collections after abort = %v, want [kept shared]", got)
	}
	if n := len(findAllIn(t, e, nsOf("shared"))); n != 1 {
		t.Fatalf("the other client's document in the kept collection: %d documents", n)
	}

	// A transaction that created nothing by its statements (never started) still undoes its explicit create.
	idle := e.Begin()
	if err := e.CreateCollection(ctx, idle, nsOf("idle")); err != nil {
		t.Fatal(err)
	}
	if err := idle.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := collNames(e, "tc"); slices.Contains(got, "idle") {
		t.Fatalf("collections after aborting an unstarted transaction = %v", got)
	}

	// The namespace is usable again, outside a transaction.
	insert(nil, "inserted", 1)
	if n := len(findAllIn(t, e, nsOf("inserted"))); n != 1 {
		t.Fatalf("insert after the rollback: %d documents", n)
	}
}

// findAllIn returns every document of ns outside a transaction.
func findAllIn(t *testing.T, e *engine.Engine, ns engine.Namespace) []bson.Raw {
	t.Helper()
	out, err := e.Find(context.Background(), nil, ns, engine.FindSpec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTxn_CreateIndexRules checks mongod's rule for indexes inside a transaction: a new index only on a
// collection the transaction creates (263 on any other, which aborts the transaction like any failed
// statement), an existing identical index accepted anywhere, and an aborted transaction taking its new
// collection and index with it.
func TestTxn_CreateIndexRules(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	old := engine.Namespace{DB: "ti", Coll: "old"}
	fresh := engine.Namespace{DB: "ti", Coll: "fresh"}
	if _, err := e.Insert(ctx, nil, old, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	byA := engine.IndexSpec{Name: "a_1", Key: bson.D{{Key: "a", Value: 1}}}
	if _, err := e.CreateIndex(ctx, nil, old, byA); err != nil {
		t.Fatal(err)
	}

	refused := e.Begin()
	if _, err := e.CreateIndex(ctx, refused, old, engine.IndexSpec{Name: "b_1", Key: bson.D{{Key: "b", Value: 1}}}); codeOf(err) != 263 {
		t.Fatalf("new index on an existing collection in a transaction = %v, want 263", err)
	}
	if refused.State() != engine.TxnAborted {
		t.Fatalf("a failed index statement left the transaction %v, want aborted", refused.State())
	}

	tx := e.Begin()
	if name, err := e.CreateIndex(ctx, tx, old, byA); err != nil || name != "a_1" {
		t.Fatalf("existing index in a transaction = %q, %v", name, err)
	}
	if _, err := e.CreateIndex(ctx, tx, fresh, byA); err != nil {
		t.Fatalf("index on a collection the transaction creates: %v", err)
	}
	if _, err := e.CreateIndex(ctx, tx, fresh, engine.IndexSpec{Name: "b_1", Key: bson.D{{Key: "b", Value: 1}}}); err != nil {
		t.Fatalf("second index on the transaction's collection: %v", err)
	}
	if err := tx.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := collNames(e, "ti"); !slices.Equal(got, []string{"old"}) {
		t.Fatalf("collections after abort = %v, want [old]", got)
	}

	// A collection the transaction created and already wrote to takes no new index (mongod: only an empty one).
	wrote := e.Begin()
	if _, err := e.Insert(ctx, wrote, fresh, []bson.Raw{doc(bson.D{{Key: "a", Value: 1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, wrote, fresh, byA); codeOf(err) != 263 {
		t.Fatalf("index on the transaction's non-empty collection = %v, want 263", err)
	}

	// A collection the transaction created but another client changed (an index of theirs) survives the abort.
	shared := engine.Namespace{DB: "ti", Coll: "shared"}
	tx2 := e.Begin()
	if _, err := e.Insert(ctx, tx2, shared, []bson.Raw{doc(bson.D{{Key: "a", Value: 1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, nil, shared, byA); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Abort(); err != nil {
		t.Fatal(err)
	}
	if specs, err := e.ListIndexes(shared); err != nil || len(specs) != 2 {
		t.Fatalf("indexes of the collection another client changed, after the abort = %v, %v; want it kept with a_1", specs, err)
	}
}

// TestTxn_DDLOnlyCommitStoresRecord checks that a transaction that only created a collection stores its session
// record at commit: the creation is durable, so a commit retried after a restart must find the record.
func TestTxn_DDLOnlyCommitStoresRecord(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	tx := e.Begin()
	if err := e.CreateCollection(ctx, tx, engine.Namespace{DB: "td", Coll: "c"}); err != nil {
		t.Fatal(err)
	}
	id := [16]byte{4}
	if err := tx.Commit(engine.WithSessionRecord(ctx, id, []byte("committed"))); err != nil {
		t.Fatal(err)
	}
	if r, err := e.SessionRecord(id); err != nil || string(r) != "committed" {
		t.Fatalf("record after a create-only commit = %q, %v", r, err)
	}
}

// codeOf is the MongoDB code of err, 0 for nil.
func codeOf(err error) int32 {
	var ce *codes.Error
	if errors.As(err, &ce) {
		return int32(ce.Code)
	}
	return 0
}

// TestTxn_CreateIsAStatement checks that a transaction whose first statement is a create starts then, as any
// first statement does: totalStarted and currentOpen count it.
func TestTxn_CreateIsAStatement(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	before := e.Metrics()
	tx := e.Begin()
	if err := e.CreateCollection(ctx, tx, engine.Namespace{DB: "ts", Coll: "c"}); err != nil {
		t.Fatal(err)
	}
	during := e.Metrics()
	if during.Transactions.TotalStarted != before.Transactions.TotalStarted+1 || during.Transactions.CurrentOpen != before.Transactions.CurrentOpen+1 {
		t.Fatalf("after a create as first statement: started %d -> %d, open %d -> %d", before.Transactions.TotalStarted, during.Transactions.TotalStarted, before.Transactions.CurrentOpen, during.Transactions.CurrentOpen)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTxn_AbortedCreationNeverListed: a collection an aborted transaction created is dropped before it leaves
// the pending state, so a listing never shows it about to go: every collection listed has its indexes.
func TestTxn_AbortedCreationNeverListed(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	done := make(chan struct{})
	failures := make(chan error, 1)
	go func() {
		defer close(failures)
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, c := range e.ListCollections("ta") {
				if _, err := e.ListIndexes(engine.Namespace{DB: "ta", Coll: c.Name}); err != nil {
					failures <- fmt.Errorf("listed %s, then: %w", c.Name, err)
					return
				}
			}
		}
	}()
	for i := range 300 {
		tx := e.Begin()
		if _, err := e.Insert(ctx, tx, engine.Namespace{DB: "ta", Coll: fmt.Sprintf("c%d", i%4)}, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1}})}, true, nil); err != nil {
			t.Fatal(err)
		}
		if err := tx.Abort(); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	if err := <-failures; err != nil {
		t.Fatal(err)
	}
}
