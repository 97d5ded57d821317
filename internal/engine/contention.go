package engine

import (
	"encoding/binary"
	"sync/atomic"
	"time"
)

// Contention is a copy of the counters of contention and latency that
// serverStatus has no field for; they are exported as Prometheus metrics
// and in serverStatus' concord section.
type Contention struct {
	// WriteConflictsByCollection splits metrics.operation.writeConflicts
	// by the collection of the contended key.
	WriteConflictsByCollection map[Namespace]int64
	// WriteWaits counts the times a write outside a transaction waited for
	// a transaction holding its document; WriteWaitTime is how long each
	// wait took.
	WriteWaits    int64
	WriteWaitTime Histogram
	// CommitTime is the time of each commit (single-document units and
	// transactions alike) from the batch's build to its publication;
	// SyncWaitTime the wait that follows for the WAL fsync covering it.
	CommitTime, SyncWaitTime Histogram
	// DocCache counts the document cache's lookups.
	DocCache struct{ Hits, Misses int64 }
}

// Contention returns a copy of the contention counters.
func (e *Engine) Contention() Contention {
	var c Contention
	c.WriteConflictsByCollection = make(map[Namespace]int64)
	e.m.byColl.Range(func(_, v any) bool {
		cc := v.(*collConflicts)
		c.WriteConflictsByCollection[cc.ns] += cc.n.Load()
		return true
	})
	c.WriteWaits = e.m.writeWaits.Load()
	c.WriteWaitTime = e.m.waitTime.snapshot()
	c.CommitTime = e.m.commitTime.snapshot()
	c.SyncWaitTime = e.m.syncT.snapshot()
	c.DocCache.Hits, c.DocCache.Misses = e.docs.counts()
	return c
}

// SetContentionTracking turns the latency histograms, the write-wait counts and the hot documents on (the
// default) or off, at once and for every operation; write conflicts are counted either way. It exists to
// measure what tracking costs (concord bench --tracking-off).
func (e *Engine) SetContentionTracking(on bool) { e.m.untracked.Store(!on) }

// tracking reports whether contention tracking is on.
func (e *Engine) tracking() bool { return !e.m.untracked.Load() }

// collConflicts counts the write conflicts of one collection; ns is the
// name the collection had when its first conflict was counted.
type collConflicts struct {
	ns Namespace
	n  atomic.Int64
}

// collOfKey returns the collection id an owner-table key belongs to
// (document and index keys both start with a prefix byte and the id).
func collOfKey(key string) (uint32, bool) {
	if len(key) < 5 {
		return 0, false
	}
	return binary.BigEndian.Uint32([]byte(key[1:5])), true
}

// addConflicts adds n write conflicts met on key to m: to
// metrics.operation.writeConflicts, and, when m is the engine's own counters
// (not WithoutMetrics' sink), to the count of key's collection.
func (e *Engine) addConflicts(m *counters, key string, n int64) {
	m.writeConflicts.Add(n)
	if m != &e.m {
		return
	}
	id, ok := collOfKey(key)
	if !ok {
		return
	}
	v, ok := m.byColl.Load(id)
	if !ok {
		cc := &collConflicts{ns: e.collName(id)}
		v, _ = m.byColl.LoadOrStore(id, cc)
	}
	v.(*collConflicts).n.Add(n)
}

// collName returns the namespace of the collection with the given id, or
// the zero Namespace once it is gone. It scans the catalog: callers are off
// the fast path (a collection's first conflict).
func (e *Engine) collName(id uint32) Namespace {
	e.catMu.RLock()
	defer e.catMu.RUnlock()
	for ns, c := range e.colls {
		if c.id == id {
			return ns
		}
	}
	return Namespace{}
}

// txnConflict records the WriteConflict that ends a transaction's statement
// on key: counted at once in metrics.operation.writeConflicts (MongoDB 8
// counts a transaction's WriteConflict too) and noted as a conflict of key.
func (o *op) txnConflict(key string) {
	o.e.addConflicts(o.m, key, 1)
	if o.e.tracking() {
		o.e.m.hot.note(key, false, time.Now())
	}
}

// absorb records a write conflict on key that an operation outside a
// transaction absorbs and retries; wait says it is about to wait for the
// transaction that holds key. The operation's conflicts reach
// metrics.operation.writeConflicts when it finishes.
func (o *op) absorb(key string, wait bool) {
	o.conflicts++
	o.st.WriteConflicts++
	o.st.NumYield++
	if key != "" {
		o.conflictKey = key
	}
	if o.e.tracking() {
		o.e.m.hot.note(key, wait, time.Now())
	}
}

// waited records a wait for a transaction that began at start.
func (o *op) waited(start time.Time) {
	if !o.e.tracking() {
		return
	}
	o.m.writeWaits.Add(1)
	o.m.waitTime.since(start)
}
