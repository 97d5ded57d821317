package engine

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// TestDocCache_MatchesStorageUnderLoad runs increments outside transactions
// (which read through the cache), transactions that update, replace
// (delete + insert) or abort, index DDL that makes units redo their work,
// and drops and re-creations of a second collection, all at once. Then
// every acknowledged increment must be in the counters, and every cached
// entry must be exactly what Pebble holds for its key.
func TestDocCache_MatchesStorageUnderLoad(t *testing.T) {
	ctx := context.Background()
	e, err := Open(Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cnt := Namespace{DB: "db", Coll: "counters"}
	churn := Namespace{DB: "db", Coll: "churn"}
	raw := func(d bson.D) bson.Raw { return mustRaw(t, d) }
	const ids = 6
	for i := 0; i < ids; i++ {
		if _, err := e.Insert(ctx, nil, cnt, []bson.Raw{raw(bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}})}, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	inc := raw(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})
	byID := func(i int) bson.Raw { return raw(bson.D{{Key: "_id", Value: i}}) }
	var acked [ids]atomic.Int64
	var wg sync.WaitGroup
	var stop atomic.Bool
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		stop.Store(true)
	}
	const rounds = 150
	// Increments outside transactions.
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for n := 0; n < rounds && !stop.Load(); n++ {
				i := r.IntN(ids)
				res, err := e.Update(ctx, nil, cnt, UpdateSpec{Filter: byID(i), Update: inc}, nil)
				if err != nil || res.Modified != 1 {
					fail("update %d: %+v %v", i, res, err)
					return
				}
				acked[i].Add(1)
			}
		}()
	}
	// Transactions: increment, replace (delete then insert the next
	// version), or increment and abort.
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 2))
			for n := 0; n < rounds && !stop.Load(); n++ {
				i := r.IntN(ids)
				tx := e.Begin()
				var err error
				switch kind := r.IntN(3); kind {
				case 0, 2:
					_, err = e.Update(ctx, tx, cnt, UpdateSpec{Filter: byID(i), Update: inc}, nil)
				case 1:
					var docs []bson.Raw
					docs, err = e.Find(ctx, tx, cnt, FindSpec{Filter: byID(i)}, nil)
					if err == nil && len(docs) != 1 {
						fail("txn find %d: %d documents", i, len(docs))
						return
					}
					if err == nil {
						_, err = e.Delete(ctx, tx, cnt, byID(i), false, nil)
					}
					if err == nil {
						v := docs[0].Lookup("v").AsInt64()
						var res InsertResult
						res, err = e.Insert(ctx, tx, cnt, []bson.Raw{raw(bson.D{{Key: "_id", Value: i}, {Key: "v", Value: v + 1}})}, true, nil)
						if err == nil && len(res.WriteErrors) > 0 {
							err = res.WriteErrors[0].Err
						}
					}
				}
				if err != nil {
					if !codes.IsTransientTransactionError(err) {
						fail("txn statement: %v", err)
						return
					}
					_ = tx.Abort()
					continue
				}
				if r.IntN(3) == 2 {
					if err := tx.Abort(); err != nil {
						fail("abort: %v", err)
						return
					}
					continue
				}
				if err := tx.Commit(ctx); err == nil {
					acked[i].Add(1)
				} else if !codes.IsTransientTransactionError(err) {
					fail("commit: %v", err)
					return
				}
			}
		}()
	}
	// Index DDL on the counters: units and transactions lose their commit
	// and redo their work on the new catalog version.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; n < 20 && !stop.Load(); n++ {
			if _, err := e.CreateIndex(ctx, nil, cnt, IndexSpec{Key: bson.D{{Key: "v", Value: 1}}}); err != nil {
				fail("create index: %v", err)
				return
			}
			if err := e.DropIndex(ctx, cnt, "v_1"); err != nil {
				fail("drop index: %v", err)
				return
			}
		}
	}()
	// A collection dropped and re-created under the same name while
	// documents of the same _ids are written to it.
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(9, 3))
		for n := 0; n < rounds && !stop.Load(); n++ {
			i := r.IntN(3)
			var err error
			switch r.IntN(4) {
			case 0:
				_, err = e.Insert(ctx, nil, churn, []bson.Raw{raw(bson.D{{Key: "_id", Value: i}, {Key: "n", Value: n}})}, true, nil)
			case 1, 2:
				_, err = e.Update(ctx, nil, churn, UpdateSpec{Filter: byID(i), Update: inc}, nil)
			case 3:
				err = e.DropCollection(ctx, churn)
				if ce, ok := codes.As(err); ok && ce.Code == codes.NamespaceNotFound {
					err = nil
				}
			}
			if err != nil {
				fail("churn: %v", err)
				return
			}
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	c := e.lookupColl(cnt)
	for i := 0; i < ids; i++ {
		got, err := pebbleGet(e.db, docKey(c.id, bson.RawValue{Type: bson.TypeInt32, Value: []byte{byte(i), 0, 0, 0}}))
		if err != nil || got == nil {
			t.Fatalf("counter %d: %v %v", i, got, err)
		}
		if v, want := bson.Raw(got).Lookup("v").AsInt64(), acked[i].Load(); v != want {
			t.Errorf("counter %d = %d, acknowledged %d", i, v, want)
		}
	}
	checkDocCacheMatchesStorage(t, e)
}

// checkDocCacheMatchesStorage fails when a cached entry differs from the
// latest committed version in Pebble (the engine must be quiescent).
func checkDocCacheMatchesStorage(t *testing.T, e *Engine) {
	t.Helper()
	n := 0
	for i := range e.docs.shards {
		s := &e.docs.shards[i]
		s.mu.Lock()
		for k, it := range s.m {
			n++
			got, err := pebbleGet(e.db, []byte(k))
			if err != nil || string(got) != string(it.doc) {
				t.Errorf("cache entry %x = %v, storage holds %v (%v)", k, bson.Raw(it.doc), bson.Raw(got), err)
			}
		}
		s.mu.Unlock()
	}
	if n == 0 {
		t.Error("nothing cached: the check checked nothing")
	}
}
