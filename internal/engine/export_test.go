package engine

// Flush writes the memtable to sstables (tests that corrupt an sstable need one).
func (e *Engine) Flush() error { return e.db.Flush() }
