package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// FuzzOperations feeds arbitrary bytes as documents, filters and updates:
// hostile input must come back as an error, never a panic, and the engine
// must stay usable. A batched stream with no writes beside it must find what
// Find finds, or fail where Find fails.
func FuzzOperations(f *testing.F) {
	f.Add([]byte(doc(bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: bson.A{1, 2}}})), []byte(doc(bson.D{{Key: "a", Value: 1}})))
	f.Add([]byte(doc(bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: "x"}}}})), []byte(doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "a", Value: 1}}}})))
	f.Add([]byte{5, 0, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0x7f, 3})
	f.Add([]byte(doc(bson.D{{Key: "_id", Value: bson.A{1}}})), []byte(doc(bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: 0}}}})))
	e, err := engine.Open(engine.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, d, q []byte) {
		_, _ = e.Insert(ctx, nil, ns, []bson.Raw{d}, true, nil)
		_, _ = e.Find(ctx, nil, ns, engine.FindSpec{Filter: q, Sort: q, Projection: q}, nil)
		_, _ = e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: q, Update: d, Upsert: true}, nil)
		_, _ = e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: d, Update: q, Multi: true}, nil)
		_, _ = e.Delete(ctx, nil, ns, q, false, nil)
		_, _ = e.Distinct(ctx, nil, ns, "a.b", q, nil, nil)
		tx := e.Begin()
		_, _ = e.Insert(ctx, tx, ns, []bson.Raw{d}, true, nil)
		_, _ = e.Find(ctx, tx, ns, engine.FindSpec{Filter: q}, nil)
		_ = tx.Commit(ctx)
		spec := engine.FindSpec{Filter: q, Skip: int64(len(d) % 3), Limit: int64(len(q) % 4)}
		// Sorts the index serves in order (streamed) or not (read whole).
		if srt := []bson.D{nil, {{Key: "a", Value: 1}}, {{Key: "a", Value: -1}}, {{Key: "a", Value: 1}, {Key: "b", Value: -1}},
			{{Key: "_id", Value: 1}}, {{Key: "_id", Value: -1}}, {{Key: "b", Value: 1}}}[(len(q)/4)%7]; srt != nil {
			spec.Sort = doc(srt)
		}
		want, werr := e.Find(ctx, nil, ns, spec, nil)
		spec.Batch = 1 + len(d)%3
		var got []bson.Raw
		s, gerr := e.FindBatches(ctx, ns, spec, nil)
		for gerr == nil {
			var doc bson.Raw
			if doc, gerr = s.Next(ctx); doc == nil {
				break
			}
			got = append(got, doc)
		}
		if s != nil {
			s.Close()
		}
		if (werr == nil) != (gerr == nil) || werr == nil && len(got) != len(want) {
			t.Fatalf("Find: %d documents, %v; FindBatches: %d, %v", len(want), werr, len(got), gerr)
		}
		for i := range got {
			if !bytesEqual(got[i], want[i]) {
				t.Fatalf("document %d: FindBatches %v, Find %v", i, got[i], want[i])
			}
		}
		if _, err := e.Find(ctx, nil, ns, engine.FindSpec{}, nil); err != nil {
			t.Fatalf("engine unusable after hostile input: %v", err)
		}
	})
}
