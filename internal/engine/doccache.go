package engine

import (
	"hash/maphash"
	"math"
	"strings"
	"sync"
)

// Document cache bounds. The budget counts key and document bytes plus an
// estimate of the map's own overhead per entry; documents larger than
// docCacheMaxDoc are not cached (their point read is cheap next to their
// size).
const (
	docCacheShards   = 64
	docCacheBytes    = 32 << 20
	docCacheMaxDoc   = 16 << 10
	docCacheOverhead = 64
)

// docCache holds the latest committed version of recently written
// documents, by document key, so that a write outside a transaction can
// skip Pebble's point read (a memtable skiplist seek, then the sstables) for
// documents written recently: a hot document, or a working set that fits.
//
// Invariant: an entry is always the latest committed version of its key.
// Entries are only set by commit, under commitMu, after the batch is applied
// and before the committing transaction releases its keys; a dropped
// collection's entries are purged under commitMu when it is dropped.
// Readers must own the key in the owner table (see Txn.getDoc): then no
// commit of the key can be in flight, so a cached entry is exactly what
// Pebble would return. A missing entry says nothing: read Pebble.
//
// A transaction reads at its snapshot without owning the key (getAt): an
// entry carries its commit timestamp, and one no later than the snapshot's is
// the version the snapshot holds. Snapshots are taken under commitMu, so
// every commit up to the snapshot's timestamp has installed its entries by
// then, and installs follow commit order, so the entry is the newest version
// up to that timestamp.
//
// Stored documents are private copies and never modified; get returns a
// copy, since callers may hand documents to users. Safe for concurrent use.
type docCache struct {
	seed   maphash.Seed
	shards [docCacheShards]docCacheShard
}

// docCacheShard is one locked part of the cache.
type docCacheShard struct {
	mu           sync.Mutex
	m            map[string]*docCacheItem
	bytes        int
	hits, misses int64 // lookups by get
}

// docCacheItem holds one cached document; replacing a version changes doc in
// place, so a commit of a cached key costs a single map lookup.
type docCacheItem struct {
	doc []byte
	ts  uint64 // the commit timestamp of doc
}

// docCacheEntry is one change prepared outside commitMu: the document's new
// version (a private copy), or nil when it was deleted or is not cached.
type docCacheEntry struct {
	key string
	doc []byte
}

// init prepares the shards; called once by Open.
func (c *docCache) init() {
	c.seed = maphash.MakeSeed()
	for i := range c.shards {
		c.shards[i].m = make(map[string]*docCacheItem)
	}
}

// shard returns the shard of key.
func (c *docCache) shard(key []byte) *docCacheShard {
	return &c.shards[maphash.Bytes(c.seed, key)&(docCacheShards-1)]
}

// shardString is shard for a string key (maphash hashes both alike).
func (c *docCache) shardString(key string) *docCacheShard {
	return &c.shards[maphash.String(c.seed, key)&(docCacheShards-1)]
}

// get returns a copy of the cached latest version of the document at key;
// ok is false when the cache does not know it. The caller owns key.
func (c *docCache) get(key []byte) (doc []byte, ok bool) {
	return c.getAt(key, math.MaxUint64)
}

// getAt returns a copy of the cached version of the document at key as a
// snapshot at readTs holds it; ok is false when the cache cannot tell (no
// entry, or one committed after readTs).
func (c *docCache) getAt(key []byte, readTs uint64) (doc []byte, ok bool) {
	s := c.shard(key)
	s.mu.Lock()
	it := s.m[string(key)]
	var v []byte
	if it != nil && it.ts <= readTs {
		v = it.doc
		s.hits++
	} else {
		s.misses++
	}
	s.mu.Unlock()
	if v == nil {
		return nil, false
	}
	return append([]byte(nil), v...), true
}

// prepare appends the cache changes of t's buffered writes to dst, copying
// the new versions; it runs before commitMu is taken.
func (c *docCache) prepare(dst []docCacheEntry, t *Txn) []docCacheEntry {
	out := dst
	for _, k := range t.order {
		w := t.writes[k]
		var doc []byte
		if w.doc != nil && len(w.doc) <= docCacheMaxDoc {
			doc = append([]byte(nil), w.doc...)
		}
		out = append(out, docCacheEntry{key: k, doc: doc})
	}
	return out
}

// install records changes committed at ts; the caller holds commitMu and
// has applied the batch, and the committing transaction still owns the keys.
func (c *docCache) install(entries []docCacheEntry, ts uint64) {
	for _, en := range entries {
		s := c.shardString(en.key)
		s.mu.Lock()
		switch it := s.m[en.key]; {
		case it != nil && en.doc != nil:
			s.bytes += len(en.doc) - len(it.doc)
			it.doc, it.ts = en.doc, ts
		case it != nil:
			delete(s.m, en.key)
			s.bytes -= len(en.key) + len(it.doc) + docCacheOverhead
		case en.doc != nil:
			s.m[en.key] = &docCacheItem{doc: en.doc, ts: ts}
			s.bytes += len(en.key) + len(en.doc) + docCacheOverhead
		}
		s.evict()
		s.mu.Unlock()
	}
}

// evict drops entries (in the map's random iteration order) until the shard
// is back within a quarter below its budget; the caller holds s.mu.
func (s *docCacheShard) evict() {
	const budget = docCacheBytes / docCacheShards
	if s.bytes <= budget {
		return
	}
	for k, it := range s.m {
		delete(s.m, k)
		s.bytes -= len(k) + len(it.doc) + docCacheOverhead
		if s.bytes <= budget*3/4 {
			return
		}
	}
}

// purge drops every entry whose key starts with prefix (a dropped
// collection's documents); the caller holds commitMu.
func (c *docCache) purge(prefix []byte) {
	p := string(prefix)
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, it := range s.m {
			if strings.HasPrefix(k, p) {
				delete(s.m, k)
				s.bytes -= len(k) + len(it.doc) + docCacheOverhead
			}
		}
		s.mu.Unlock()
	}
}

// counts returns the hits and misses of get so far.
func (c *docCache) counts() (hits, misses int64) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		hits += s.hits
		misses += s.misses
		s.mu.Unlock()
	}
	return hits, misses
}
