package engine

import (
	"sync/atomic"
	"time"
)

// Index usage, as $indexStats reports it: how many statements each index served since a point in time
// (the engine's start, or the index's creation after it). The counts live in memory, keyed by collection
// and index id, so they restart with the server, as mongod's do; the _id index is index id 0.

// IndexUsage is one index's use: Ops statements planned on it since Since.
type IndexUsage struct {
	Spec  IndexSpec
	Ops   int64
	Since time.Time
}

type usageKey struct{ coll, index uint32 }

// indexUsage counts the statements served by one index since since (set once).
type indexUsage struct {
	ops   atomic.Int64
	since time.Time
}

// usageOf returns the counter of index id ix of collection coll, created (counting since the engine's
// start) on first use.
func (e *Engine) usageOf(coll, ix uint32) *indexUsage {
	k := usageKey{coll, ix}
	if u, ok := e.usages.Load(k); ok {
		return u.(*indexUsage)
	}
	u, _ := e.usages.LoadOrStore(k, &indexUsage{since: e.started})
	return u.(*indexUsage)
}

// countUse records one statement planned on index id ix of collection coll.
func (e *Engine) countUse(coll, ix uint32) { e.usageOf(coll, ix).ops.Add(1) }

// resetUse starts the count of a new index at zero, now.
func (e *Engine) resetUse(coll, ix uint32) {
	e.usages.Store(usageKey{coll, ix}, &indexUsage{since: time.Now()})
}

// IndexUsages returns the usage of every index of ns (the _id index first), nothing for a collection that
// does not exist.
func (e *Engine) IndexUsages(ns Namespace) ([]IndexUsage, error) {
	specs, err := e.ListIndexes(ns)
	if err != nil || len(specs) == 0 {
		return nil, err
	}
	c := e.lookupColl(ns)
	if c == nil {
		return nil, nil
	}
	ids := map[string]uint32{idIndexName: 0}
	for _, ix := range c.indexes {
		ids[ix.name] = ix.id
	}
	out := make([]IndexUsage, 0, len(specs))
	for _, s := range specs {
		id, ok := ids[s.Name]
		if !ok {
			continue
		}
		u := e.usageOf(c.id, id)
		out = append(out, IndexUsage{Spec: s, Ops: u.ops.Load(), Since: u.since})
	}
	return out, nil
}
