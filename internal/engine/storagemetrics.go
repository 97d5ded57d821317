package engine

// StorageMetrics is the part of Pebble's metrics worth watching beside the
// engine's own: block cache effectiveness, WAL volume, compaction and flush
// activity, the memtables, L0's shape and the space used.
type StorageMetrics struct {
	BlockCacheHits, BlockCacheMisses int64
	BlockCacheBytes                  int64
	WALBytesWritten                  uint64
	Compactions, Flushes             int64
	MemTableBytes                    uint64
	L0Files                          int64
	L0Sublevels                      int32
	ReadAmp                          int
	DiskBytes                        uint64
}

// StorageMetrics returns a copy of Pebble's metrics; the zero value once the
// engine is closed. It takes Pebble's locks briefly: call it at scrape
// rate, not per operation.
func (e *Engine) StorageMetrics() StorageMetrics {
	if e.enter() != nil {
		return StorageMetrics{}
	}
	defer e.exit()
	m := e.db.Metrics()
	return StorageMetrics{
		BlockCacheHits:   m.BlockCache.Hits,
		BlockCacheMisses: m.BlockCache.Misses,
		BlockCacheBytes:  m.BlockCache.Size,
		WALBytesWritten:  m.WAL.BytesWritten,
		Compactions:      m.Compact.Count,
		Flushes:          m.Flush.Count,
		MemTableBytes:    m.MemTable.Size,
		L0Files:          m.Levels[0].TablesCount,
		L0Sublevels:      m.Levels[0].Sublevels,
		ReadAmp:          m.ReadAmp(),
		DiskBytes:        m.DiskSpaceUsage(),
	}
}
