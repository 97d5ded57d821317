package occ

import (
	"maps"
	"sync"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/store"
)

// Counters are the toolkit's counts for one collection.
type Counters struct {
	// Conflicts counts versioned writes that failed with a *ConflictError.
	Conflicts int64
	// Retries counts re-runs of a caller's function after a conflict or a transient transaction error.
	Retries int64
	// RetriesExhausted counts retry loops that gave up with the error still there.
	RetriesExhausted int64
	// Merges counts conflict resolutions by strategy and outcome, keyed "strategy/outcome" (package merge:
	// "merge/resolved", "merge/conflict", "lww/resolved", ...).
	Merges map[string]int64
	// LockAcquired counts lock acquisitions (package lock), LockContended the attempts that found the lock
	// held, LockLost the renewals and releases of a lock no longer held, and Fenced the protected writes
	// refused because a newer token had written.
	LockAcquired, LockContended, LockLost, Fenced int64
}

// Metrics holds Counters per collection ("database.collection"; "" for transaction retries not caused by a
// versioned write). The zero value is ready to use, and it is safe for concurrent use.
type Metrics struct {
	mu sync.Mutex
	m  map[string]*Counters
}

// DefaultMetrics receives the counts of every Collection and transaction whose options name no Metrics.
var DefaultMetrics = &Metrics{}

// Snapshot returns a copy of the counters.
func (m *Metrics) Snapshot() map[string]Counters {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]Counters, len(m.m))
	for ns, c := range m.m {
		out[ns] = c.clone()
	}
	return out
}

// Collection returns a copy of one collection's counters.
func (m *Metrics) Collection(ns string) Counters {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.m[ns]; c != nil {
		return c.clone()
	}
	return Counters{}
}

// Reset sets every counter back to zero.
func (m *Metrics) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.m)
}

// clone returns a copy of c that shares no map with it.
func (c *Counters) clone() Counters {
	out := *c
	out.Merges = maps.Clone(c.Merges)
	return out
}

// Add applies f to ns's counters under the metrics' lock; the toolkit's other packages (merge, lock) count
// through it. f must only update the counters.
func (m *Metrics) Add(ns string, f func(*Counters)) { m.add(ns, f) }

// add applies f to ns's counters under the lock.
func (m *Metrics) add(ns string, f func(*Counters)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.m[ns]
	if c == nil {
		if m.m == nil {
			m.m = map[string]*Counters{}
		}
		c = &Counters{}
		m.m[ns] = c
	}
	f(c)
}

// Observed is what the application reads: the toolkit's counters beside, on the embedded backend, the
// engine's own (write conflicts, transactions, opcounters), taken at the same moment.
type Observed struct {
	// Collections holds the toolkit's counters per namespace.
	Collections map[string]Counters
	// Engine is the embedded engine's metrics, nil on the driver backend (read serverStatus there).
	Engine *concord.Metrics
}

// Observe returns m's counters joined to the engine's metrics of st when st is embedded.
func (m *Metrics) Observe(st store.Store) Observed {
	o := Observed{Collections: m.Snapshot()}
	if db := store.DB(st); db != nil {
		em := db.Metrics()
		o.Engine = &em
	}
	return o
}
