package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// TestEngine_Validate_Consistent checks the counts of a sound collection with a multikey, a sparse and a partial
// index: each index holds exactly the entries its documents produce.
func TestEngine_Validate_Consistent(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: bson.A{1, 2, 3}}, {Key: "s", Value: 1}},
		bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 5}},
		bson.D{{Key: "_id", Value: 3}, {Key: "a", Value: 7}, {Key: "s", Value: 2}},
	)
	mustIndex(t, e, engine.IndexSpec{Name: "a_1", Key: bson.D{{Key: "a", Value: 1}}})
	mustIndex(t, e, engine.IndexSpec{Name: "s_1", Key: bson.D{{Key: "s", Value: 1}}, Sparse: true})
	mustIndex(t, e, engine.IndexSpec{Name: "p", Key: bson.D{{Key: "a", Value: -1}}, Partial: doc(bson.D{{Key: "a", Value: bson.D{{Key: "$gt", Value: 4}}}})})
	for _, full := range []bool{false, true} {
		r, err := e.Validate(context.Background(), ns, full)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Valid() || r.Records != 3 {
			t.Fatalf("full=%v: valid %v, records %d: %+v", full, r.Valid(), r.Records, r)
		}
		want := map[string]int64{"_id_": 3, "a_1": 5, "s_1": 2, "p": 2}
		for _, ix := range r.Indexes {
			if ix.Keys != want[ix.Name] || !ix.Valid {
				t.Errorf("full=%v: index %s: %d keys (valid %v), want %d", full, ix.Name, ix.Keys, ix.Valid, want[ix.Name])
			}
		}
	}
}

// TestEngine_Validate_DamagedIndex breaks an index (one entry deleted, one stray entry added) and checks that
// Validate reports both and calls the index invalid.
func TestEngine_Validate_DamagedIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}}, bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 2}})
	mustIndex(t, e, engine.IndexSpec{Name: "a_1", Key: bson.D{{Key: "a", Value: 1}}})
	id := bson.RawValue{Type: bson.TypeInt32, Value: []byte{2, 0, 0, 0}}
	if err := e.DamageIndexForTest(ns, "a_1", id); err != nil {
		t.Fatal(err)
	}
	r, err := e.Validate(context.Background(), ns, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid() || r.MissingCount != 1 || r.ExtraCount != 1 {
		t.Fatalf("valid %v, missing %d, extra %d; want false, 1, 1", r.Valid(), r.MissingCount, r.ExtraCount)
	}
	if r.Missing[0].Index != "a_1" || r.Missing[0].ID.Int32() != 2 {
		t.Fatalf("missing %+v", r.Missing[0])
	}
	if r.Indexes[0].Name != "_id_" || !r.Indexes[0].Valid || r.Indexes[1].Valid {
		t.Fatalf("indexes %+v", r.Indexes)
	}
}

func TestEngine_Validate_Missing(t *testing.T) {
	e := openMem(t, engine.Options{})
	_, err := e.Validate(context.Background(), engine.Namespace{DB: "x", Coll: "none"}, false)
	wantCode(t, err, codes.NamespaceNotFound)
}

// TestEngine_Compact checks that compacting a collection whose documents were deleted frees space and keeps
// what remains readable.
func TestEngine_Compact(t *testing.T) {
	e := openMem(t, engine.Options{})
	big := make([]byte, 4096)
	for i := 0; i < 200; i++ {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "b", Value: big}})
	}
	if err := e.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Delete(context.Background(), nil, ns, doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 10}}}}), true, nil); err != nil {
		t.Fatal(err)
	}
	freed, err := e.Compact(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if freed <= 0 {
		t.Fatalf("bytesFreed %d after deleting 190 documents of 4 KiB", freed)
	}
	if got := len(findAll(t, e, nil, bson.D{})); got != 10 {
		t.Fatalf("%d documents after compact, want 10", got)
	}
}
