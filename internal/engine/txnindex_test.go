package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// insertIn inserts docs into ns in tx (nil: outside a transaction) and returns the first write error or error.
func insertIn(e *engine.Engine, tx *engine.Txn, ns engine.Namespace, docs ...bson.D) error {
	raws := make([]bson.Raw, len(docs))
	for i, d := range docs {
		raws[i] = doc(d)
	}
	res, err := e.Insert(context.Background(), tx, ns, raws, true, nil)
	if err == nil && len(res.WriteErrors) > 0 {
		err = res.WriteErrors[0].Err
	}
	return err
}

// indexKeys returns the keys the named index of ns holds, read from the index alone (returnKey) outside any
// transaction, as "field=value" strings in index order.
func indexKeys(t *testing.T, e *engine.Engine, ns engine.Namespace, name string) []string {
	t.Helper()
	out, err := e.Find(context.Background(), nil, ns, engine.FindSpec{HintName: name, ReturnKey: true}, nil)
	if err != nil {
		t.Fatalf("scan of index %s: %v", name, err)
	}
	var keys []string
	for _, d := range out {
		elems, _ := d.Elements()
		for _, el := range elems {
			v := el.Value().String()
			if n, ok := el.Value().AsInt64OK(); ok {
				v = fmt.Sprint(n)
			}
			keys = append(keys, el.Key()+"="+v)
		}
	}
	return keys
}

// indexNames lists the index names of ns ("" when ns does not exist).
func indexNames(e *engine.Engine, ns engine.Namespace) []string {
	specs, err := e.ListIndexes(ns)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

// TestTxn_CreateIndexOverWrites: on a collection a transaction created and wrote to, CreateIndex keeps
// mongod's refusal (263), and CreateIndexOverWrites builds the index over the transaction's documents: a
// unique one refuses their duplicates (11000 with keyPattern and keyValue), holds for the transaction's later
// writes, and its commit writes every entry; an abort leaves nothing.
func TestTxn_CreateIndexOverWrites(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	coll := engine.Namespace{DB: "tw", Coll: "c"}
	byA := engine.IndexSpec{Name: "a_1", Key: bson.D{{Key: "a", Value: 1}}}
	byB := engine.IndexSpec{Name: "b_1", Key: bson.D{{Key: "b", Value: 1}}, Unique: true}
	rows := []bson.D{
		{{Key: "_id", Value: 1}, {Key: "a", Value: 10}, {Key: "b", Value: "x"}},
		{{Key: "_id", Value: 2}, {Key: "a", Value: 20}, {Key: "b", Value: "y"}},
		{{Key: "_id", Value: 3}, {Key: "a", Value: 10}, {Key: "b", Value: "z"}},
	}

	// MongoDB's rule stays CreateIndex's.
	mongo := e.Begin()
	if err := insertIn(e, mongo, coll, rows...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, mongo, coll, byA); codeOf(err) != int32(codes.OperationNotSupportedInTransaction) {
		t.Fatalf("CreateIndex on the transaction's non-empty collection = %v, want 263", err)
	}
	if mongo.State() != engine.TxnAborted || indexNames(e, coll) != nil {
		t.Fatalf("after the refused index: transaction %v, collection indexes %v; want aborted, gone", mongo.State(), indexNames(e, coll))
	}

	// A unique index over the transaction's documents that repeat a key is refused, and nothing is left.
	dup := e.Begin()
	if err := insertIn(e, dup, coll, append(rows, bson.D{{Key: "_id", Value: 4}, {Key: "b", Value: "y"}})...); err != nil {
		t.Fatal(err)
	}
	_, err := e.CreateIndexOverWrites(ctx, dup, coll, byB)
	ce, _ := codes.As(err)
	if ce == nil || ce.Code != codes.DuplicateKey || len(ce.KeyPattern) != 1 || ce.KeyPattern[0].Key != "b" ||
		len(ce.KeyValue) != 1 || fmt.Sprint(ce.KeyValue[0].Value) != `"y"` {
		t.Fatalf("unique index over duplicates = %#v, want DuplicateKey on b: \"y\"", err)
	}
	if dup.State() != engine.TxnAborted || indexNames(e, coll) != nil {
		t.Fatalf("after the duplicate: transaction %v, indexes %v; want aborted, gone", dup.State(), indexNames(e, coll))
	}

	// Built over the documents, updated and deleted ones included; then held for the later writes.
	tx := e.Begin()
	if err := insertIn(e, tx, coll, rows...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Update(ctx, tx, coll, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 3}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "b", Value: "w"}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Delete(ctx, tx, coll, doc(bson.D{{Key: "_id", Value: 2}}), false, nil); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	for _, spec := range []engine.IndexSpec{byA, byB} {
		if _, err := e.CreateIndexOverWrites(ctx, tx, coll, spec); err != nil {
			t.Fatalf("index %s over the transaction's documents: %v", spec.Name, err)
		}
	}
	// "y" was deleted and "z" updated away: both are free; "x" and "w" are held.
	if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: 5}, {Key: "a", Value: 30}, {Key: "b", Value: "y"}},
		bson.D{{Key: "_id", Value: 6}, {Key: "a", Value: 30}, {Key: "b", Value: "z"}}); err != nil {
		t.Fatalf("insert of free unique keys after the index: %v", err)
	}
	if docs, err := e.Find(ctx, tx, coll, engine.FindSpec{Filter: doc(bson.D{{Key: "a", Value: 10}}), HintName: "a_1"}, nil); err != nil || len(docs) != 2 {
		t.Fatalf("the transaction's read through a_1: %d documents (%v), want 2", len(docs), err)
	}
	// Another transaction meets the keys the transaction holds as any key a transaction wrote.
	other := e.Begin()
	if err := insertIn(e, other, coll, bson.D{{Key: "_id", Value: 7}, {Key: "b", Value: "x"}}); codeOf(err) != int32(codes.WriteConflict) {
		t.Fatalf("another transaction's insert of a held unique key = %v, want WriteConflict", err)
	}
	sp, err := tx.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: 8}, {Key: "b", Value: "w"}}); codeOf(err) != int32(codes.DuplicateKey) {
		t.Fatalf("insert of a unique key the transaction's earlier document holds = %v, want DuplicateKey", err)
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got, want := indexKeys(t, e, coll, "b_1"), []string{`b="w"`, `b="x"`, `b="y"`, `b="z"`}; !slices.Equal(got, want) {
		t.Fatalf("b_1 after the commit holds %v, want %v", got, want)
	}
	if got, want := indexKeys(t, e, coll, "a_1"), []string{"a=10", "a=10", "a=30", "a=30"}; !slices.Equal(got, want) {
		t.Fatalf("a_1 after the commit holds %v, want %v", got, want)
	}
	if err := insertIn(e, nil, coll, bson.D{{Key: "_id", Value: 9}, {Key: "b", Value: "z"}}); codeOf(err) != int32(codes.DuplicateKey) {
		t.Fatalf("insert of a committed unique key = %v, want DuplicateKey", err)
	}

	// Committed straight after the build: the commit writes the entries of every document.
	plain := engine.Namespace{DB: "tw", Coll: "plain"}
	tx2 := e.Begin()
	if err := insertIn(e, tx2, plain, rows...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndexOverWrites(ctx, tx2, plain, byB); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got, want := indexKeys(t, e, plain, "b_1"), []string{`b="x"`, `b="y"`, `b="z"`}; !slices.Equal(got, want) {
		t.Fatalf("b_1 after the commit holds %v, want %v", got, want)
	}

	// Aborted: the collection, its documents and its indexes are gone.
	gone := engine.Namespace{DB: "tw", Coll: "gone"}
	ab := e.Begin()
	if err := insertIn(e, ab, gone, rows...); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndexOverWrites(ctx, ab, gone, byB); err != nil {
		t.Fatal(err)
	}
	if err := ab.Abort(); err != nil {
		t.Fatal(err)
	}
	if indexNames(e, gone) != nil || slices.Contains(collNames(e, "tw"), "gone") {
		t.Fatalf("after the abort: indexes %v, collections %v", indexNames(e, gone), collNames(e, "tw"))
	}
	if err := insertIn(e, nil, gone, bson.D{{Key: "_id", Value: 1}, {Key: "b", Value: "x"}}, bson.D{{Key: "_id", Value: 2}, {Key: "b", Value: "x"}}); err != nil {
		t.Fatalf("the aborted collection's keys outlived it: %v", err)
	}

	// Outside a transaction, and on a collection the transaction did not create, it is CreateIndex.
	if _, err := e.CreateIndexOverWrites(ctx, nil, coll, engine.IndexSpec{Key: bson.D{{Key: "c", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	old := e.Begin()
	if err := insertIn(e, old, coll, bson.D{{Key: "_id", Value: 10}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndexOverWrites(ctx, old, coll, engine.IndexSpec{Key: bson.D{{Key: "d", Value: 1}}}); codeOf(err) != int32(codes.OperationNotSupportedInTransaction) {
		t.Fatalf("index on an existing collection in a transaction = %v, want 263", err)
	}
}

// TestSavepoint_IndexOverWrites: RollbackTo a savepoint from before an index built over the transaction's
// writes drops the index and gives the transaction back its documents and keys of then, which commit.
func TestSavepoint_IndexOverWrites(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	coll := engine.Namespace{DB: "ts", Coll: "c"}
	byB := engine.IndexSpec{Name: "b_1", Key: bson.D{{Key: "b", Value: 1}}, Unique: true}
	tx := e.Begin()
	if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: 1}, {Key: "b", Value: 1}}, bson.D{{Key: "_id", Value: 2}, {Key: "b", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	sp, err := tx.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.Delete(ctx, tx, coll, doc(bson.D{{Key: "_id", Value: 2}}), false, nil); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: 3}, {Key: "b", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	// Documents 1 and 3 repeat b: 1, and the failed statement leaves the transaction failed, not aborted.
	if _, err := e.CreateIndexOverWrites(ctx, tx, coll, byB); codeOf(err) != int32(codes.DuplicateKey) {
		t.Fatalf("unique index over duplicates = %v, want DuplicateKey", err)
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndexOverWrites(ctx, tx, coll, byB); err != nil {
		t.Fatalf("unique index after RollbackTo: %v", err)
	}
	sp2, err := tx.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Update(ctx, tx, coll, engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: 2}}),
		Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "b", Value: 5}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndexOverWrites(ctx, tx, coll, engine.IndexSpec{Name: "c_1", Key: bson.D{{Key: "c", Value: 1}}, Unique: true, Sparse: true}); err != nil {
		t.Fatal(err)
	}
	if got := indexNames(e, coll); !slices.Equal(got, []string{"_id_", "b_1", "c_1"}) {
		t.Fatalf("indexes before RollbackTo = %v", got)
	}
	if err := tx.RollbackTo(sp2); err != nil {
		t.Fatal(err)
	}
	if got := indexNames(e, coll); !slices.Equal(got, []string{"_id_", "b_1"}) {
		t.Fatalf("indexes after RollbackTo = %v, want c_1 dropped", got)
	}
	// The key 2 is the transaction's again (document 2 holds it), 5 is free.
	if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: 4}, {Key: "b", Value: 2}}); codeOf(err) != int32(codes.DuplicateKey) {
		t.Fatalf("insert of the key restored by RollbackTo = %v, want DuplicateKey", err)
	}
	if err := tx.RollbackTo(sp2); err != nil {
		t.Fatal(err)
	}
	if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: 5}, {Key: "b", Value: 5}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if got, want := indexKeys(t, e, coll, "b_1"), []string{"b=1", "b=2", "b=5"}; !slices.Equal(got, want) {
		t.Fatalf("b_1 after the commit holds %v, want %v", got, want)
	}
}

// TestSavepoint_RollbackPastCreation: RollbackTo a savepoint from before a collection's creation drops the
// collection again, as an abort would, and the transaction goes on (it may create it anew) and commits what it
// wrote before the savepoint.
func TestSavepoint_RollbackPastCreation(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	nsOf := func(name string) engine.Namespace { return engine.Namespace{DB: "tr", Coll: name} }
	tx := e.Begin()
	if err := insertIn(e, tx, nsOf("before"), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	sp, err := tx.Savepoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := insertIn(e, tx, nsOf("inserted"), bson.D{{Key: "_id", Value: 1}, {Key: "k", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndexOverWrites(ctx, tx, nsOf("inserted"), engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, tx, nsOf("created")); err != nil {
		t.Fatal(err)
	}
	if err := tx.RollbackTo(sp); err != nil {
		t.Fatalf("RollbackTo past creations: %v", err)
	}
	for _, name := range []string{"inserted", "created"} {
		if indexNames(e, nsOf(name)) != nil || e.CreatedInOpenTxn(nsOf(name)) {
			t.Fatalf("%s after RollbackTo: indexes %v, pending %v; want gone", name, indexNames(e, nsOf(name)), e.CreatedInOpenTxn(nsOf(name)))
		}
	}
	if !e.CreatedInOpenTxn(nsOf("before")) {
		t.Fatal("the collection created before the savepoint is no longer the transaction's")
	}
	// Usable: it creates one of them anew, with the key the rolled-back index held.
	if err := insertIn(e, tx, nsOf("created"), bson.D{{Key: "_id", Value: 2}, {Key: "k", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := collNames(e, "tr"); !slices.Equal(got, []string{"before", "created"}) {
		t.Fatalf("collections after the commit = %v, want [before created]", got)
	}
	if n := len(findAllIn(t, e, nsOf("created"))); n != 1 {
		t.Fatalf("created holds %d documents, want 1", n)
	}
	// Another client's write to a rolled-back name creates it as theirs.
	if err := insertIn(e, nil, nsOf("inserted"), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
}

// TestTxn_IndexOverWritesConcurrent runs transactions at once, each creating its own collection, filling it and
// building unique and plain indexes over its documents; every other one repeats a key among its documents and
// must fail with DuplicateKey leaving nothing. The committed ones hold exactly their documents and index
// entries. Run under -race.
func TestTxn_IndexOverWritesConcurrent(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	const n, rows = 8, 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			coll := engine.Namespace{DB: "tcc", Coll: fmt.Sprintf("c%d", i)}
			tx := e.Begin()
			var docs []bson.D
			for r := range rows {
				u := r
				if i%2 == 1 && r == rows-1 {
					u = 0 // a duplicate among the transaction's own documents
				}
				docs = append(docs, bson.D{{Key: "_id", Value: r}, {Key: "u", Value: u}, {Key: "g", Value: r % 3}})
			}
			if err := insertIn(e, tx, coll, docs...); err != nil {
				errs[i] = err
				return
			}
			if _, err := e.CreateIndexOverWrites(ctx, tx, coll, engine.IndexSpec{Key: bson.D{{Key: "g", Value: 1}}}); err != nil {
				errs[i] = err
				return
			}
			if _, err := e.CreateIndexOverWrites(ctx, tx, coll, engine.IndexSpec{Key: bson.D{{Key: "u", Value: 1}}, Unique: true}); err != nil {
				errs[i] = err
				return
			}
			sp, err := tx.Savepoint()
			if err != nil {
				errs[i] = err
				return
			}
			if err := insertIn(e, tx, coll, bson.D{{Key: "_id", Value: rows}, {Key: "u", Value: 1}}); codeOf(err) != int32(codes.DuplicateKey) {
				errs[i] = fmt.Errorf("insert of a duplicate after the index: %v", err)
				return
			}
			if err := tx.RollbackTo(sp); err != nil {
				errs[i] = err
				return
			}
			errs[i] = tx.Commit(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		coll := engine.Namespace{DB: "tcc", Coll: fmt.Sprintf("c%d", i)}
		if i%2 == 1 {
			if codeOf(err) != int32(codes.DuplicateKey) || indexNames(e, coll) != nil {
				t.Errorf("transaction %d: %v, indexes %v; want DuplicateKey and nothing left", i, err, indexNames(e, coll))
			}
			continue
		}
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
			continue
		}
		if got := indexKeys(t, e, coll, "u_1"); len(got) != rows {
			t.Errorf("transaction %d: u_1 holds %d keys, want %d", i, len(got), rows)
		}
		if got := indexKeys(t, e, coll, "g_1"); len(got) != rows {
			t.Errorf("transaction %d: g_1 holds %d keys, want %d", i, len(got), rows)
		}
	}
}
