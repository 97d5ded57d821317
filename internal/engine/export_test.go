package engine

import (
	"context"
	"time"
)

// Flush writes the memtable to sstables (tests that corrupt an sstable need one).
func (e *Engine) Flush() error { return e.db.Flush() }

// OpenSnapshots is the number of Pebble snapshots open.
func (e *Engine) OpenSnapshots() int { return e.db.Metrics().Snapshots.Count }

// SetAnchorEvery sets how often the anchor snapshot is replaced, for the engines opened afterwards.
func SetAnchorEvery(d time.Duration) (restore func()) {
	old := anchorEvery
	anchorEvery = d
	return func() { anchorEvery = old }
}

// CompactAll compacts every key the storage holds.
func (e *Engine) CompactAll() error {
	return e.db.Compact(context.Background(), []byte{}, []byte{0xff, 0xff, 0xff, 0xff}, false)
}

// ZombieTables is the number of sstables compacted away but still held by an open iterator.
func (e *Engine) ZombieTables() int64 { return e.db.Metrics().Table.ZombieCount }
