package engine_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// ns is the namespace most tests use.
var ns = engine.Namespace{DB: "test", Coll: "c"}

// doc marshals a bson.D (test helper; panics on marshal failure).
func doc(d bson.D) bson.Raw {
	b, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

// openMem opens an in-memory engine closed at test end.
func openMem(t testing.TB, opts engine.Options) *engine.Engine {
	t.Helper()
	e, err := engine.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// mustInsert inserts docs outside a transaction and fails on any error.
func mustInsert(t testing.TB, e *engine.Engine, docs ...bson.D) {
	t.Helper()
	raws := make([]bson.Raw, len(docs))
	for i, d := range docs {
		raws[i] = doc(d)
	}
	res, err := e.Insert(context.Background(), nil, ns, raws, true, nil)
	if err != nil || len(res.WriteErrors) > 0 {
		t.Fatalf("insert: %v %+v", err, res.WriteErrors)
	}
}

// findAll returns all documents matching filter (nil = all), outside or in txn.
func findAll(t testing.TB, e *engine.Engine, tx *engine.Txn, filter bson.D) []bson.Raw {
	t.Helper()
	var f bson.Raw
	if filter != nil {
		f = doc(filter)
	}
	out, err := e.Find(context.Background(), tx, ns, engine.FindSpec{Filter: f}, nil)
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	return out
}

// intField reads an integer field of a document.
func intField(t testing.TB, d bson.Raw, name string) int64 {
	t.Helper()
	v, err := d.LookupErr(name)
	if err != nil {
		t.Fatalf("field %s missing in %v", name, d)
	}
	n, ok := v.AsInt64OK()
	if !ok {
		t.Fatalf("field %s not a number in %v", name, d)
	}
	return n
}

// getV returns field v of the document with the given _id (outside txns).
func getV(t testing.TB, e *engine.Engine, id any) int64 {
	t.Helper()
	docs := findAll(t, e, nil, bson.D{{Key: "_id", Value: id}})
	if len(docs) != 1 {
		t.Fatalf("want 1 doc with _id %v, got %d", id, len(docs))
	}
	return intField(t, docs[0], "v")
}

// wantCode fails unless err is a *codes.Error with the code.
func wantCode(t testing.TB, err error, code codes.Code) *codes.Error {
	t.Helper()
	ce, ok := codes.As(err)
	if !ok || ce.Code != code {
		t.Fatalf("want code %d, got %v", code, err)
	}
	return ce
}

// update is a shorthand for an update outside or inside a txn.
func update(e *engine.Engine, tx *engine.Txn, filter, upd bson.D) (engine.UpdateResult, error) {
	return e.Update(context.Background(), tx, ns, engine.UpdateSpec{Filter: doc(filter), Update: doc(upd)}, nil)
}

// eventually polls cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
