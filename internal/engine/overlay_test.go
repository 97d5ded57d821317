package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestScan_Overlay runs each plan kind in a transaction whose own writes
// update, delete and insert documents, and checks the documents the scan
// yields (in order) and what it examined: own writes replace or hide the
// stored documents at the keys a plan visits, and own new documents merge in
// by key (collection and _id range scans), come last (index scans) or are
// left out (_id points, which they cannot match).
func TestScan_Overlay(t *testing.T) {
	ctx := context.Background()
	e, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ns := Namespace{DB: "test", Coll: "overlay"}
	raw := func(d bson.D) bson.Raw {
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Stored: {_id: i, g: i % 3} for i in 0..9, indexed on g.
	var docs []bson.Raw
	for i := 0; i < 10; i++ {
		docs = append(docs, raw(bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % 3}}))
	}
	if _, err := e.Insert(ctx, nil, ns, docs, true, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CreateIndex(ctx, nil, ns, IndexSpec{Key: bson.D{{Key: "g", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	// Own writes: _id 2 moves from g 2 to g 1, _id 4 (g 1) is deleted, and
	// _id -5 and 20 (g 1) are new.
	tx := e.Begin()
	defer tx.Abort()
	if _, err := e.Update(ctx, tx, ns, UpdateSpec{Filter: raw(bson.D{{Key: "_id", Value: 2}}), Update: raw(bson.D{{Key: "$set", Value: bson.D{{Key: "g", Value: 1}}}})}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Delete(ctx, tx, ns, raw(bson.D{{Key: "_id", Value: 4}}), false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Insert(ctx, tx, ns, []bson.Raw{raw(bson.D{{Key: "_id", Value: 20}, {Key: "g", Value: 1}}), raw(bson.D{{Key: "_id", Value: -5}, {Key: "g", Value: 1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	c := e.lookupColl(ns)

	cases := []struct {
		name           string
		filter         bson.D
		plan           string
		want           string // the _ids yielded, in order
		keys, examined int64
	}{
		{"a collection scan merges own new documents by key", bson.D{},
			"COLLSCAN", "[-5 0 1 2 3 5 6 7 8 9 20]", 0, 11},
		{"an _id point reads a stored document", bson.D{{Key: "_id", Value: 3}},
			"IDHACK", "[3]", 1, 1},
		{"an _id point of an own delete finds nothing", bson.D{{Key: "_id", Value: 4}},
			"IDHACK", "[]", 0, 0},
		{"an _id point reads an own new document", bson.D{{Key: "_id", Value: 20}},
			"IDHACK", "[20]", 1, 1},
		{"_id points come in key order, own writes replacing stored ones", bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{9, 4, 20, 2}}}}},
			"IXSCAN { _id: 1 }", "[2 9 20]", 3, 3},
		{"an _id range counts stored keys and merges own new documents in range", bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 3}}}},
			"IXSCAN { _id: 1 }", "[3 5 6 7 8 9 20]", 7, 7},
		{"an index scan adds own new and moved documents last, in key order", bson.D{{Key: "g", Value: 1}},
			"IXSCAN { g: 1 }", "[1 7 -5 2 20]", 3, 5},
		{"an index entry of a document the transaction moved reads its own version", bson.D{{Key: "g", Value: 2}},
			"IXSCAN { g: 1 }", "[5 8]", 3, 5},
		{"an index range scan includes its bound's entries, which the filter removes", bson.D{{Key: "g", Value: bson.D{{Key: "$gt", Value: 1}}}},
			"IXSCAN { g: 1 }", "[5 8]", 6, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.Compile(raw(tc.filter))
			if err != nil {
				t.Fatal(err)
			}
			var st Stats
			var ids []any
			err = e.scan(ctx, tx, c, f, planFor(c, f), &st, func(cd candidate) (bool, error) {
				if got := docID(cd.doc); string(docKey(c.id, got)) != string(cd.key) {
					t.Errorf("key %x does not hold _id %v", cd.key, got)
				}
				ids = append(ids, docID(cd.doc).Int32())
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ids); got != tc.want && !(tc.want == "[]" && ids == nil) {
				t.Errorf("yielded %s, want %s", got, tc.want)
			}
			if st.PlanSummary != tc.plan || st.KeysExamined != tc.keys || st.DocsExamined != tc.examined {
				t.Errorf("plan %q, keys %d, docs %d examined; want %q, %d, %d", st.PlanSummary, st.KeysExamined, st.DocsExamined, tc.plan, tc.keys, tc.examined)
			}
		})
	}
}
