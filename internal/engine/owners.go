package engine

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// ownerShards is the number of independently locked parts of the owner table;
// a power of two so a hash picks one with a mask.
const ownerShards = 64

// ownerEntry is the concurrency state of one key (a document key or a unique
// index key): the live transaction that has written it and not yet finished,
// and the timestamp of the last commit that changed it.
type ownerEntry struct {
	owner        *Txn
	lastCommitTs uint64
}

// ownerShard is one locked part of the owner table.
type ownerShard struct {
	mu sync.Mutex
	m  map[string]*ownerEntry
}

// ownerTable implements first-updater-wins: a key can be owned by one live
// transaction at a time, and a transaction whose snapshot predates the key's
// last commit may not write it. Entries that no live snapshot could conflict
// with are pruned (see Engine.maybePrune).
type ownerTable struct {
	seed   maphash.Seed
	shards [ownerShards]ownerShard
	size   atomic.Int64
}

// init prepares the shards; called once by Open.
func (o *ownerTable) init() {
	o.seed = maphash.MakeSeed()
	for i := range o.shards {
		o.shards[i].m = make(map[string]*ownerEntry)
	}
}

// shard returns the shard of key.
func (o *ownerTable) shard(key string) *ownerShard {
	return &o.shards[maphash.String(o.seed, key)&(ownerShards-1)]
}

// claim makes t the owner of key. It fails with the current owner when
// another transaction owns the key, and (for a transaction with a snapshot,
// checkTs) with a nil owner when the key was committed after t's snapshot.
func (o *ownerTable) claim(key string, t *Txn, checkTs bool) (holder *Txn, ok bool) {
	s := o.shard(key)
	s.mu.Lock()
	e := s.m[key]
	if e == nil {
		s.m[key] = &ownerEntry{owner: t}
		s.mu.Unlock()
		o.size.Add(1)
		return nil, true
	}
	switch {
	case e.owner == t:
	case e.owner != nil:
		holder = e.owner
		s.mu.Unlock()
		return holder, false
	case checkTs && e.lastCommitTs > t.readTs:
		s.mu.Unlock()
		return nil, false
	default:
		e.owner = t
	}
	s.mu.Unlock()
	return nil, true
}

// lastCommit returns the key's last commit timestamp (0 when unknown, i.e.
// older than every live snapshot).
func (o *ownerTable) lastCommit(key string) uint64 {
	s := o.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[key]; e != nil {
		return e.lastCommitTs
	}
	return 0
}

// release ends t's ownership of key; commitTs > 0 records that t's commit
// changed the key at that timestamp.
func (o *ownerTable) release(key string, t *Txn, commitTs uint64) {
	s := o.shard(key)
	s.mu.Lock()
	if e := s.m[key]; e != nil && e.owner == t {
		e.owner = nil
		if commitTs > 0 {
			e.lastCommitTs = commitTs
		}
	}
	s.mu.Unlock()
}

// prune drops unowned entries committed at or before horizon: every live and
// future snapshot is at least as new, so they can never cause a conflict.
func (o *ownerTable) prune(horizon uint64) {
	for i := range o.shards {
		s := &o.shards[i]
		s.mu.Lock()
		n := 0
		for k, e := range s.m {
			if e.owner == nil && e.lastCommitTs <= horizon {
				delete(s.m, k)
				n++
			}
		}
		s.mu.Unlock()
		o.size.Add(int64(-n))
	}
}
