package engine_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// TestScan_ManyVersions: scans over documents with many versions in the memtable, deleted documents and a
// re-inserted one return each document once, at its latest version, in key order, forward and backward, through
// the collection, an _id range and an index, outside a transaction and in one with writes of its own; a snapshot
// taken before the last updates keeps seeing its own versions.
func TestScan_ManyVersions(t *testing.T) {
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	var docs []bson.Raw
	for i := 0; i < 40; i++ {
		docs = append(docs, doc(bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}))
	}
	if _, err := e.Insert(ctx, nil, ns, docs, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "g", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	update := func(tx *engine.Txn, id int, set bson.D) {
		t.Helper()
		spec := engine.UpdateSpec{Filter: doc(bson.D{{Key: "_id", Value: id}}), Update: doc(bson.D{{Key: "$set", Value: set}})}
		if _, err := e.Update(ctx, tx, ns, spec, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Documents 10 and 11 get 3,000 versions each; 20 to 24 are deleted, 22 is inserted again; 30 keeps one
	// version. g (indexed) changes with every update of 10, so its index entries come and go too.
	for v := 1; v <= 3000; v++ {
		update(nil, 10, bson.D{{Key: "n", Value: v}, {Key: "g", Value: v % 7}})
		update(nil, 11, bson.D{{Key: "n", Value: v}})
	}
	if _, err := e.Delete(ctx, nil, ns, doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 20}, {Key: "$lt", Value: 25}}}}), true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 22}, {Key: "n", Value: -1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	before := e.Begin() // its snapshot is taken at its first read, below
	defer before.Abort()
	if _, err := e.Find(ctx, before, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: 0}})}, nil); err != nil {
		t.Fatal(err)
	}
	for v := 3001; v <= 3500; v++ {
		update(nil, 11, bson.D{{Key: "n", Value: v}})
	}

	// want lists "id:n" of the documents a scan should return, in _id order.
	want := func(n11 int, own bool) []string {
		var out []string
		for i := 0; i < 40; i++ {
			switch {
			case i >= 20 && i < 25 && i != 22:
				continue
			case i == 10:
				out = append(out, "10:3000")
			case i == 11:
				out = append(out, fmt.Sprintf("11:%d", n11))
			case i == 22:
				out = append(out, "22:-1")
			case i == 30 && own:
				out = append(out, "30:77")
			default:
				out = append(out, fmt.Sprintf("%d:0", i))
			}
		}
		return out
	}
	got := func(tx *engine.Txn, spec engine.FindSpec) []string {
		t.Helper()
		res, err := e.Find(ctx, tx, ns, spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range res {
			out = append(out, fmt.Sprintf("%d:%d", d.Lookup("_id").AsInt64(), d.Lookup("n").AsInt64()))
		}
		return out
	}
	check := func(name string, g, w []string) {
		t.Helper()
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s:\n got %v\nwant %v", name, g, w)
		}
	}
	reversed := func(s []string) []string {
		out := make([]string, len(s))
		for i, v := range s {
			out[len(s)-1-i] = v
		}
		return out
	}
	own := e.Begin()
	defer own.Abort()
	update(own, 30, bson.D{{Key: "n", Value: 77}})
	for _, c := range []struct {
		name  string
		tx    *engine.Txn
		n11   int
		owned bool
	}{{"outside a transaction", nil, 3500, false}, {"in a transaction with its own write", own, 3500, true}, {"in a snapshot before the last updates", before, 3000, false}} {
		all := want(c.n11, c.owned)
		check(c.name+", collection scan", got(c.tx, engine.FindSpec{Filter: doc(bson.D{})}), all)
		check(c.name+", _id descending", got(c.tx, engine.FindSpec{Filter: doc(bson.D{}), Sort: doc(bson.D{{Key: "_id", Value: -1}})}), reversed(all))
		check(c.name+", _id range", got(c.tx, engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 5}, {Key: "$lt", Value: 31}}}})}), all[5:27])
		check(c.name+", index on g", got(c.tx, engine.FindSpec{Filter: doc(bson.D{{Key: "g", Value: 3000 % 7}})}), []string{"10:3000"})
	}
}
