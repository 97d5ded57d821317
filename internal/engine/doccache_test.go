package engine

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestDocCache_InstallGetPurge(t *testing.T) {
	var c docCache
	c.init()
	k1 := string(docKey(1, bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}))
	k2 := string(docKey(2, bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}))
	steps := []struct {
		name    string
		install []docCacheEntry
		purge   []byte
		want    map[string]string // key -> doc; "" = not cached
	}{
		{"set", []docCacheEntry{{k1, []byte("a")}, {k2, []byte("b")}}, nil, map[string]string{k1: "a", k2: "b"}},
		{"replace", []docCacheEntry{{k1, []byte("aa")}}, nil, map[string]string{k1: "aa", k2: "b"}},
		{"delete", []docCacheEntry{{k2, nil}}, nil, map[string]string{k1: "aa", k2: ""}},
		{"purge other collection", nil, docPrefix(2), map[string]string{k1: "aa"}},
		{"purge collection", nil, docPrefix(1), map[string]string{k1: ""}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			c.install(st.install, 1)
			if st.purge != nil {
				c.purge(st.purge)
			}
			for k, want := range st.want {
				got, ok := c.get([]byte(k))
				if ok != (want != "") || string(got) != want {
					t.Fatalf("get(%x) = %q, %v; want %q", k, got, ok, want)
				}
			}
		})
	}
	t.Run("getAt answers for snapshots at or after the commit", func(t *testing.T) {
		c.install([]docCacheEntry{{k1, []byte("v5")}}, 5)
		if got, ok := c.getAt([]byte(k1), 5); !ok || string(got) != "v5" {
			t.Fatalf("getAt(5) = %q, %v", got, ok)
		}
		if got, ok := c.getAt([]byte(k1), 9); !ok || string(got) != "v5" {
			t.Fatalf("getAt(9) = %q, %v", got, ok)
		}
		if got, ok := c.getAt([]byte(k1), 4); ok {
			t.Fatalf("getAt(4) = %q for a version committed at 5", got)
		}
		if got, ok := c.getAt([]byte(k2), 9); ok {
			t.Fatalf("getAt of an uncached key = %q", got)
		}
	})
	t.Run("get returns a copy", func(t *testing.T) {
		c.install([]docCacheEntry{{k1, []byte("xyz")}}, 1)
		got, _ := c.get([]byte(k1))
		got[0] = 'Q'
		if again, _ := c.get([]byte(k1)); string(again) != "xyz" {
			t.Fatalf("cached document changed through a returned copy: %q", again)
		}
	})
}

func TestDocCache_Budget(t *testing.T) {
	var c docCache
	c.init()
	doc := bytes.Repeat([]byte{'x'}, 1000)
	n := 4 * docCacheBytes / (len(doc) + docCacheOverhead)
	for i := 0; i < n; i++ {
		c.install([]docCacheEntry{{fmt.Sprintf("key%08d", i), doc}}, 1)
	}
	total := 0
	for i := range c.shards {
		s := &c.shards[i]
		sum := 0
		for k, it := range s.m {
			sum += len(k) + len(it.doc) + docCacheOverhead
		}
		if sum != s.bytes {
			t.Fatalf("shard %d accounts %d bytes, holds %d", i, s.bytes, sum)
		}
		total += sum
	}
	if total > docCacheBytes {
		t.Fatalf("cache holds %d bytes, budget %d", total, docCacheBytes)
	}
	if total < docCacheBytes/2 {
		t.Fatalf("cache holds only %d bytes of its %d budget", total, docCacheBytes)
	}
}

// TestDocCache_DropCollection checks that a dropped collection's cached
// versions are not served to a collection created later under the same
// name, and that updates see the latest committed version.
func TestDocCache_DropCollection(t *testing.T) {
	ctx := context.Background()
	e, err := Open(Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ns := Namespace{DB: "db", Coll: "c"}
	raw := func(d bson.D) bson.Raw { return mustRaw(t, d) }
	inc := raw(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})
	byID := raw(bson.D{{Key: "_id", Value: 1}})
	if _, err := e.Insert(ctx, nil, ns, []bson.Raw{raw(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 10}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if res, err := e.Update(ctx, nil, ns, UpdateSpec{Filter: byID, Update: inc}, nil); err != nil || res.Modified != 1 {
			t.Fatalf("update %d: %+v, %v", i, res, err)
		}
	}
	c := e.lookupColl(ns)
	if got, ok := e.docs.get(docKey(c.id, bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}})); !ok ||
		bson.Raw(got).Lookup("v").Int32() != 13 {
		t.Fatalf("cache holds %v, %v; want the latest version (v: 13)", bson.Raw(got), ok)
	}
	if err := e.DropCollection(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if res, err := e.Update(ctx, nil, ns, UpdateSpec{Filter: byID, Update: inc}, nil); err != nil || res.Matched != 0 {
		t.Fatalf("update after drop: %+v, %v; want no match", res, err)
	}
	if _, err := e.Insert(ctx, nil, ns, []bson.Raw{raw(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := e.Update(ctx, nil, ns, UpdateSpec{Filter: byID, Update: inc}, nil); err != nil || res.Modified != 1 {
		t.Fatalf("update of the new collection: %+v, %v", res, err)
	}
	c = e.lookupColl(ns)
	got, _ := pebbleGet(e.db, docKey(c.id, bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}))
	if v := bson.Raw(got).Lookup("v").Int32(); v != 1 {
		t.Fatalf("new collection's document has v: %d, want 1", v)
	}
}
