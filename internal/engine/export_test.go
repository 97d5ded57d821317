package engine

import "time"

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
