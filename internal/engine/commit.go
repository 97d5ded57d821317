package engine

import (
	"bytes"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// errCatalogChanged: a collection the txn wrote was dropped or changed
// (index created/dropped) after the txn wrote through it.
var errCatalogChanged = &conflictError{}

// pending is a published commit whose WAL fsync has not been awaited: its batch and its commit timestamp. A
// zero pending (nil batch) is a commit that wrote nothing.
type pending struct {
	b  *pebble.Batch
	ts uint64
}

// commit publishes t's buffered writes as one Pebble batch. Under commitMu
// it checks the catalog versions, assigns commitTs = clock+1, applies the
// batch without waiting for the fsync, records the new versions in the
// document cache, stamps and releases the owned keys (waking parked
// writers) and advances the clock. The returned batch must be
// passed to syncWait, outside every lock, before acknowledging: that is the
// early lock release that lets one fsync cover many commits. With no writes
// it returns no batch, unless t created collections: the batch then deletes
// their pending markers (pendingcreate.go) and holds t's session record, if
// any, which a retried commit must find. On error t is aborted.
func (e *Engine) commit(t *Txn) (pending, error) {
	if len(t.writes) == 0 && len(t.created) == 0 {
		t.release(0)
		e.finishCommit(t)
		return pending{}, nil
	}
	track := e.tracking()
	var start time.Time
	if track {
		start = time.Now()
	}
	var collBuf [1]*collection
	b, colls, err := e.buildBatch(t, collBuf[:0])
	if err == nil {
		if err = committedCreations(b, t); err != nil {
			b.Close()
		}
	}
	if err != nil {
		t.abortLocked(nil)
		return pending{}, err
	}
	var cacheBuf [1]docCacheEntry
	cached := e.docs.prepare(cacheBuf[:0], t)
	changes := e.feed.prepare(t)
	e.commitMu.Lock()
	for _, c := range colls {
		if e.lookupColl(c.ns) != c {
			e.commitMu.Unlock()
			b.Close()
			t.abortLocked(nil)
			return pending{}, errCatalogChanged
		}
	}
	ts := e.clock.Load() + 1
	seq, err := e.feed.logChanges(b, changes, ts)
	if err == nil {
		err = e.apply(b, true)
	}
	if err != nil {
		e.commitMu.Unlock()
		b.Close()
		t.abortLocked(nil)
		return pending{}, storageError(err)
	}
	// The cache changes before the keys are released: the next owner of a
	// key may read it from the cache at once.
	e.docs.install(cached, ts)
	e.feed.publish(changes, seq)
	t.release(ts)
	e.clock.Store(ts)
	for _, c := range colls {
		if e.catalogData(c.ns.Coll) {
			e.catGen.Add(1) // catalog data of a layer above
			break
		}
	}
	e.finishCommit(t)
	e.commitMu.Unlock()
	if track {
		e.m.commitTime.since(start)
	}
	e.maybePrune()
	return pending{b, ts}, nil
}

// finishCommit marks t committed and wakes its waiters.
func (e *Engine) finishCommit(t *Txn) {
	t.publishCreated()
	t.state.Store(int32(TxnCommitted))
	t.finish()
	if t.explicit {
		e.m.txnCommitted.Add(1)
		e.m.txnOpen.Add(-1)
		e.m.txnInactive.Add(-1)
	}
}

// syncWait waits until the WAL fsync covering p has completed, then frees its batch. The WAL is written in commit
// order, so every commit up to p's timestamp is durable then: Sync need not sync again for them.
func (e *Engine) syncWait(p pending) error {
	if p.b == nil {
		return nil
	}
	var err error
	if !e.opts.NoSync {
		if e.tracking() {
			start := time.Now()
			err = p.b.SyncWait()
			e.m.syncT.since(start)
		} else {
			err = p.b.SyncWait()
		}
	}
	p.b.Close()
	if err != nil {
		// The failure recorded when the log broke says what happened and what happens next.
		if f := e.failure.Load(); f != nil {
			return f
		}
		return storageError(err)
	}
	e.markDurable(p.ts)
	return nil
}

// buildBatch turns t's buffered writes into a batch: index entries of the
// base versions that the new versions no longer have are deleted first, then
// new entries and documents are set, so a unique key moved between two
// documents of one txn ends up set. It runs outside commitMu: the bases are
// stable because t owns their keys. The collections written are appended
// to colls.
func (e *Engine) buildBatch(t *Txn, colls []*collection) (*pebble.Batch, []*collection, error) {
	b := e.db.NewBatch()
	type put struct{ k, v []byte }
	var putBuf [4]put
	puts := putBuf[:0]
	for _, k := range t.order {
		w := t.writes[k]
		if !containsColl(colls, w.coll) {
			colls = append(colls, w.coll)
		}
		for _, ix := range w.coll.indexes {
			oldEnts, _, err := ix.entries(w.base)
			if err != nil {
				oldEnts = nil // an unindexable base never had entries
			}
			newEnts, multi, err := ix.entries(w.doc)
			if err != nil {
				b.Close()
				return nil, nil, err
			}
			if multi {
				// Persist the index's multikey flag with the first
				// document that makes it multikey (see loadCatalog).
				if err := b.Set(multikeyKey(w.coll.id, ix.id), nil, nil); err != nil {
					b.Close()
					return nil, nil, storageError(err)
				}
			}
			inNew, inOld := entrySet(newEnts), entrySet(oldEnts)
			for _, oe := range oldEnts {
				if inNew(oe.key) < 0 {
					if err := b.Delete(indexEntryKey(w.coll.id, ix, oe.key, w.id), nil); err != nil {
						b.Close()
						return nil, nil, storageError(err)
					}
				}
			}
			for _, ne := range newEnts {
				// An entry whose key stays is rewritten when its exact
				// values change (5 becoming 5.0 keeps the key).
				if i := inOld(ne.key); i < 0 || !bytes.Equal(oldEnts[i].vals, ne.vals) {
					puts = append(puts, put{indexEntryKey(w.coll.id, ix, ne.key, w.id), entryValue(w.id, ne.vals)})
				}
			}
		}
		if w.doc == nil {
			if w.base != nil {
				if err := b.Delete(w.key, nil); err != nil {
					b.Close()
					return nil, nil, storageError(err)
				}
			}
			continue
		}
		puts = append(puts, put{w.key, w.doc})
	}
	for _, p := range puts {
		if err := b.Set(p.k, p.v, nil); err != nil {
			b.Close()
			return nil, nil, storageError(err)
		}
	}
	for _, x := range t.extra {
		var err error
		if x.del {
			err = b.Delete(x.key, nil)
		} else {
			err = b.Set(x.key, x.value, nil)
		}
		if err != nil {
			b.Close()
			return nil, nil, storageError(err)
		}
	}
	if r := t.record; r != nil {
		var key [17]byte
		key[0] = prefixSession
		copy(key[1:], r.id[:])
		if err := b.Set(key[:], r.value, nil); err != nil {
			b.Close()
			return nil, nil, storageError(err)
		}
	}
	return b, colls, nil
}

// containsColl reports whether cs holds c.
func containsColl(cs []*collection, c *collection) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// entrySet returns a lookup of entries by key, giving the entry's index
// or -1: a linear scan for the usual one entry, a map for multikey
// documents with many elements.
func entrySet(ents []indexEntry) func([]byte) int {
	if len(ents) <= 8 {
		return func(k []byte) int {
			for i, en := range ents {
				if string(en.key) == string(k) {
					return i
				}
			}
			return -1
		}
	}
	m := make(map[string]int, len(ents))
	for i, en := range ents {
		m[string(en.key)] = i
	}
	return func(k []byte) int {
		if i, ok := m[string(k)]; ok {
			return i
		}
		return -1
	}
}

// keySet returns a membership test for keys: a linear scan for the usual
// one or two keys, a map for multikey documents with many elements.
func keySet(keys [][]byte) func([]byte) bool {
	if len(keys) <= 8 {
		return func(k []byte) bool { return containsKey(keys, k) }
	}
	m := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		m[string(k)] = struct{}{}
	}
	return func(k []byte) bool {
		_, ok := m[string(k)]
		return ok
	}
}

// containsKey reports whether keys holds k.
func containsKey(keys [][]byte, k []byte) bool {
	for _, x := range keys {
		if string(x) == string(k) {
			return true
		}
	}
	return false
}

// maybePrune drops owner-table entries that no live or future snapshot can
// conflict with, once the table has doubled since the last prune. The
// horizon is min(clock, oldest live read timestamp), computed under commitMu
// so that no snapshot can be taken with an older timestamp afterwards.
func (e *Engine) maybePrune() {
	if e.owners.size.Load() < e.pruneAt.Load() || !e.pruning.CompareAndSwap(false, true) {
		return
	}
	defer e.pruning.Store(false)
	e.commitMu.Lock()
	horizon := e.clock.Load()
	e.liveMu.Lock()
	for t := range e.live {
		if t.readTs < horizon {
			horizon = t.readTs
		}
	}
	e.liveMu.Unlock()
	e.commitMu.Unlock()
	e.owners.prune(horizon)
	next := 2 * e.owners.size.Load()
	if next < minPruneSize {
		next = minPruneSize
	}
	e.pruneAt.Store(next)
}

// docID returns the _id of a stored document.
func docID(doc bson.Raw) bson.RawValue { return doc.Lookup("_id") }
