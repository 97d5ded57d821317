package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// casKind is one way of writing a compare-and-set on a document's version:
// "if document d has ver v, move it to ver v+1". It reports whether it
// applied; a kind that deletes the document puts it back at ver v+1.
type casKind struct {
	name string
	cas  func(ctx context.Context, e *engine.Engine, d, v int) (bool, error)
}

// casFilter is {k: d, ver: v}: not an _id equality, so every plan reads the
// document in its scan and the write must re-check the version it claims.
func casFilter(d, v int) bson.Raw {
	return doc(bson.D{{Key: "k", Value: d}, {Key: "ver", Value: v}})
}

// casInc is the update of a compare-and-set.
var casInc = doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "ver", Value: 1}}}})

// casReinsert puts document d back at ver v+1 after a delete that applied.
func casReinsert(ctx context.Context, e *engine.Engine, d, v int) error {
	res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: d}, {Key: "k", Value: d}, {Key: "ver", Value: v + 1}})}, true, nil)
	if err == nil && len(res.WriteErrors) > 0 {
		err = res.WriteErrors[0].Err
	}
	return err
}

// casKinds covers every write of an existing document: updateOne (scanned,
// sorted, by _id), updateMany, deleteOne, deleteMany, findAndModify (update
// and remove) and an update in a transaction.
var casKinds = []casKind{
	{"updateOne", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: casFilter(d, v), Update: casInc}, nil)
		return res.Modified == 1, err
	}},
	{"updateOne sorted", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: casFilter(d, v), Update: casInc, Sort: doc(bson.D{{Key: "_id", Value: 1}})}, nil)
		return res.Modified == 1, err
	}},
	{"updateOne by _id", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		f := doc(bson.D{{Key: "_id", Value: d}, {Key: "ver", Value: v}})
		res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: f, Update: casInc}, nil)
		return res.Modified == 1, err
	}},
	{"updateMany", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: casFilter(d, v), Update: casInc, Multi: true}, nil)
		if err == nil && res.Modified > 1 {
			err = fmt.Errorf("updateMany of one document modified %d", res.Modified)
		}
		return res.Modified == 1, err
	}},
	{"findAndModify", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		res, err := e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{Filter: casFilter(d, v), Update: casInc}, nil)
		if err != nil || res.N == 0 {
			return false, err
		}
		if got, _ := res.Doc.Lookup("ver").AsInt64OK(); got != int64(v) {
			return true, fmt.Errorf("findAndModify {ver: %d} returned the pre-image %v", v, res.Doc)
		}
		return true, nil
	}},
	{"deleteOne", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		n, err := e.Delete(ctx, nil, ns, casFilter(d, v), false, nil)
		if err != nil || n == 0 {
			return false, err
		}
		return true, casReinsert(ctx, e, d, v)
	}},
	{"deleteMany", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		n, err := e.Delete(ctx, nil, ns, casFilter(d, v), true, nil)
		if err != nil || n == 0 {
			return false, err
		}
		if n > 1 {
			return true, fmt.Errorf("deleteMany of one document deleted %d", n)
		}
		return true, casReinsert(ctx, e, d, v)
	}},
	{"findAndModify remove", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		res, err := e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{Filter: casFilter(d, v), Remove: true}, nil)
		if err != nil || res.N == 0 {
			return false, err
		}
		if got, _ := res.Doc.Lookup("ver").AsInt64OK(); got != int64(v) {
			return true, fmt.Errorf("findAndModify remove {ver: %d} removed %v", v, res.Doc)
		}
		return true, casReinsert(ctx, e, d, v)
	}},
	{"update in a transaction", func(ctx context.Context, e *engine.Engine, d, v int) (bool, error) {
		tx := e.Begin()
		res, err := e.Update(ctx, tx, ns, engine.UpdateSpec{Filter: casFilter(d, v), Update: casInc}, nil)
		if err == nil {
			err = tx.Commit(ctx)
		} else {
			tx.Abort()
		}
		if codes.IsTransientTransactionError(err) {
			return false, nil // lost to a concurrent writer: first updater wins
		}
		return err == nil && res.Modified == 1, err
	}},
}

// TestWritePath_NoLostUpdate races compare-and-sets through every write kind
// on the same few documents: each client reads a document's version v and
// moves it to v+1 through one kind. Whatever the interleaving, a version
// moves on exactly once, so no (document, version) compare-and-set may apply
// twice and each document's final version must equal the compare-and-sets
// acknowledged on it. A write that claimed a document without re-reading
// it, or without re-checking the filter on a version newer than its scan's,
// would apply a second compare-and-set on the same version.
func TestWritePath_NoLostUpdate(t *testing.T) {
	const (
		ndocs   = 3
		fillers = 50 // documents the scans examine before and after the contended ones
		clients = 8
		rounds  = 200
	)
	ctx := context.Background()
	e := openMem(t, engine.Options{})
	var seed []bson.D
	for i := 0; i < fillers; i++ {
		seed = append(seed, bson.D{{Key: "_id", Value: -1 - i}, {Key: "k", Value: -1}, {Key: "ver", Value: 0}})
	}
	for d := 0; d < ndocs; d++ {
		seed = append(seed, bson.D{{Key: "_id", Value: d}, {Key: "k", Value: d}, {Key: "ver", Value: 0}})
	}
	mustInsert(t, e, seed...)

	var mu sync.Mutex
	applied := map[[2]int]string{} // (d, v) -> the kind whose compare-and-set applied
	perDoc := make([]int, ndocs)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				d := rand.IntN(ndocs)
				kind := casKinds[(c+i)%len(casKinds)]
				docs, err := e.Find(ctx, nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: d}})}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if len(docs) == 0 {
					continue // deleted and not yet put back
				}
				v64, _ := docs[0].Lookup("ver").AsInt64OK()
				v := int(v64)
				ok, err := kind.cas(ctx, e, d, v)
				if err != nil {
					t.Errorf("%s: %v", kind.name, err)
					return
				}
				if !ok {
					continue
				}
				mu.Lock()
				if prev, dup := applied[[2]int{d, v}]; dup {
					t.Errorf("document %d: compare-and-set on ver %d applied twice (%s, then %s)", d, v, prev, kind.name)
				}
				applied[[2]int{d, v}] = kind.name
				perDoc[d]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for d := 0; d < ndocs; d++ {
		if got := getVer(t, e, d); got != perDoc[d] {
			t.Errorf("document %d: ver %d, but %d compare-and-sets were acknowledged", d, got, perDoc[d])
		}
	}
	if t.Failed() {
		return
	}
	kinds := map[string]bool{}
	for _, k := range applied {
		kinds[k] = true
	}
	t.Logf("%d compare-and-sets applied through %d kinds", len(applied), len(kinds))
}

// getVer returns field ver of document d.
func getVer(t *testing.T, e *engine.Engine, d int) int {
	t.Helper()
	docs := findAll(t, e, nil, bson.D{{Key: "_id", Value: d}})
	if len(docs) != 1 {
		t.Fatalf("document %d: found %d", d, len(docs))
	}
	return int(intField(t, docs[0], "ver"))
}
