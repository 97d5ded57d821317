package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

func TestEngine_CRUD_InMemory(t *testing.T) {
	e := openMem(t, engine.Options{})
	crudRoundTrip(t, e)
}

func TestEngine_CRUD_OnDisk_Reopen(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	crudRoundTrip(t, e)
	if _, err := e.CreateIndex(context.Background(), nil, ns, engine.IndexSpec{Key: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if got := len(findAll(t, e2, nil, nil)); got != 2 {
		t.Fatalf("after reopen: %d docs, want 2", got)
	}
	if v := getV(t, e2, 2); v != 20 {
		t.Fatalf("v = %d, want 20", v)
	}
	idx, err := e2.ListIndexes(ns)
	if err != nil || len(idx) != 2 || idx[1].Name != "k_1" || !idx[1].Unique {
		t.Fatalf("indexes after reopen: %+v %v", idx, err)
	}
	// The unique index survived with its entries: a duplicate k fails.
	res, err := e2.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 9}, {Key: "k", Value: "b"}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 1 || res.WriteErrors[0].Err.Code != codes.DuplicateKey {
		t.Fatalf("want dup on reopened unique index, got %+v %v", res, err)
	}
	var st engine.Stats
	out, err := e2.Find(context.Background(), nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "k", Value: "b"}})}, &st)
	if err != nil || len(out) != 1 || st.PlanSummary != "IXSCAN { k: 1 }" {
		t.Fatalf("index find after reopen: %d docs, plan %q, err %v", len(out), st.PlanSummary, err)
	}
}

// crudRoundTrip inserts, finds, updates and deletes through e.
func crudRoundTrip(t *testing.T, e *engine.Engine) {
	ctx := context.Background()
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 10}, {Key: "k", Value: "a"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: 20}, {Key: "k", Value: "b"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "v", Value: 30}, {Key: "k", Value: "c"}},
	)
	if got := len(findAll(t, e, nil, bson.D{{Key: "v", Value: bson.D{{Key: "$gte", Value: 20}}}})); got != 2 {
		t.Fatalf("find v>=20: %d", got)
	}
	var st engine.Stats
	res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
		Filter: doc(bson.D{{Key: "_id", Value: 1}}),
		Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 5}}}}),
	}, &st)
	if err != nil || res.Matched != 1 || res.Modified != 1 || st.PlanSummary != "IDHACK" {
		t.Fatalf("update by _id: %+v %v plan %q", res, err, st.PlanSummary)
	}
	if v := getV(t, e, 1); v != 15 {
		t.Fatalf("v = %d", v)
	}
	res, err = update(e, nil, bson.D{{Key: "k", Value: "c"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 31}}}})
	if err != nil || res.Matched != 1 || res.Modified != 1 {
		t.Fatalf("update by filter: %+v %v", res, err)
	}
	n, err := e.Delete(ctx, nil, ns, doc(bson.D{{Key: "v", Value: 31}}), false, nil)
	if err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	n, err = e.Delete(ctx, nil, ns, doc(bson.D{{Key: "_id", Value: 1}}), true, nil)
	if err != nil || n != 1 {
		t.Fatalf("delete multi by _id: %d %v", n, err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 4}, {Key: "v", Value: 40}})
	if got := len(findAll(t, e, nil, nil)); got != 2 {
		t.Fatalf("remaining docs: %d", got)
	}
}

func TestInsert_GeneratesObjectIDFirst(t *testing.T) {
	e := openMem(t, engine.Options{})
	res, err := e.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: "x"}}), doc(bson.D{{Key: "a", Value: 2}})}, true, nil)
	if err != nil || len(res.InsertedIDs) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	if res.InsertedIDs[1].Type != bson.TypeObjectID {
		t.Fatalf("generated _id type %v", res.InsertedIDs[1].Type)
	}
	for _, d := range findAll(t, e, nil, nil) {
		if first := d.Index(0); first.Key() != "_id" {
			t.Fatalf("_id not first in %v", d)
		}
	}
}

func TestInsert_ArrayIDIsInvalid(t *testing.T) {
	e := openMem(t, engine.Options{})
	res, err := e.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: bson.A{1}}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 1 || res.WriteErrors[0].Err.Code != codes.InvalidIdField ||
		res.WriteErrors[0].Err.Message != "can't use an array for _id" {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestInsert_DollarFieldInIDIsInvalid: mongod refuses to store an _id holding a '$'-prefixed field, however
// deep, with DollarPrefixedFieldName (52); '$' elsewhere in the _id's values is fine.
func TestInsert_DollarFieldInIDIsInvalid(t *testing.T) {
	e := openMem(t, engine.Options{})
	for _, id := range []bson.D{{{Key: "$a", Value: 1}}, {{Key: "a", Value: bson.D{{Key: "$b", Value: 1}}}}} {
		res, err := e.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: id}})}, true, nil)
		if err != nil || len(res.WriteErrors) != 1 || res.WriteErrors[0].Err.Code != codes.DollarPrefixedFieldName {
			t.Fatalf("_id %v: %+v %v", id, res, err)
		}
	}
	res, err := e.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: bson.D{{Key: "a", Value: "$b"}}}})}, true, nil)
	if err != nil || len(res.WriteErrors) != 0 {
		t.Fatalf("_id {a: \"$b\"}: %+v %v", res, err)
	}
}

func TestInsert_DuplicateID(t *testing.T) {
	e := openMem(t, engine.Options{})
	res, err := e.Insert(context.Background(), nil, ns, []bson.Raw{
		doc(bson.D{{Key: "_id", Value: 1}}), doc(bson.D{{Key: "_id", Value: 1}}), doc(bson.D{{Key: "_id", Value: 2}}),
	}, false, nil)
	if err != nil || len(res.InsertedIDs) != 2 || len(res.WriteErrors) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	we := res.WriteErrors[0]
	if we.Index != 1 || we.Err.Code != codes.DuplicateKey ||
		we.Err.Message != "E11000 duplicate key error collection: test.c index: _id_ dup key: { _id: 1 }" {
		t.Fatalf("write error %+v", we.Err)
	}
}
