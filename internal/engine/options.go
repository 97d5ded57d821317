package engine

import (
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// WaitPolicy says how a write outside a transaction waits for a document (or
// unique key) that a transaction owns. Either way the write ends only by
// success, its context's deadline or cancellation, or Close; the policies
// differ only in how quickly the waiter notices that the owner finished.
type WaitPolicy int

// The wait policies.
const (
	// WaitPark (the default) parks the waiter on the owning transaction and
	// wakes it the moment that transaction commits or aborts.
	WaitPark WaitPolicy = iota
	// WaitBackoff reproduces MongoDB's stepped backoff: attempts 0-3 retry at
	// once, 4-9 sleep 1 ms, 10-99 5 ms, 100-199 10 ms, 200 and more 100 ms.
	WaitBackoff
)

// String names the policy ("park", "backoff").
func (p WaitPolicy) String() string {
	if p == WaitBackoff {
		return "backoff"
	}
	return "park"
}

// defaultTxnLifetime is MongoDB's transactionLifetimeLimitSeconds default.
const defaultTxnLifetime = 60 * time.Second

// defaultDiskReserve is Options.DiskReserve's default: room for Pebble to flush two memtables (32 MiB each) and write
// its manifest once writes are refused.
const defaultDiskReserve = 64 << 20

// Options configures an Engine. The zero value is an in-memory engine with
// MongoDB's defaults.
type Options struct {
	// Dir is the Pebble directory; "" keeps everything in memory (Pebble on
	// vfs.NewMem), through the same code path as on disk.
	Dir string
	// WaitPolicy is how non-transactional writes wait on a transaction.
	WaitPolicy WaitPolicy
	// TxnLifetime is transactionLifetimeLimitSeconds; 0 means 60 s.
	TxnLifetime time.Duration
	// FS is the filesystem Pebble runs on; nil means the operating system's
	// (or memory when Dir is ""). Tests put a fault-injecting one here.
	FS vfs.FS
	// DiskReserve is the free space, in bytes, below which writes are refused with OutOfDiskSpace (14031) so
	// that a filling disk never fails a write of the write-ahead log (which would stop all writes until the
	// engine is reopened; see fault.go). 0 means 64 MiB; a negative value turns the check off.
	DiskReserve int64
	// NoSync acknowledges commits without waiting for the WAL fsync. A crash
	// may then lose acknowledged writes: for tests and benchmarks only.
	NoSync bool
	// StageMemoryLimit is the memory each $sort or $group of an aggregation
	// may hold before it spills to a temporary file (or fails, with
	// allowDiskUse: false); 0 means mongod's 100 MiB (agg.DefaultMemoryLimit).
	StageMemoryLimit int64
	// SpillDir is where aggregation stages spill; "" means os.TempDir().
	SpillDir string
	// ChangeLogBytes bounds the change log that change streams resume from (changelog.go): past it the oldest
	// changes are pruned. 0 means 1 GiB.
	ChangeLogBytes int64
	// ChangeLogAge is how long changes are kept at most; 0 means 24 hours, a negative value keeps them until
	// ChangeLogBytes is reached.
	ChangeLogAge time.Duration
	// TTLMonitorSleep is the time between two passes of the TTL monitor
	// (mongod's ttlMonitorSleepSecs); 0 means 60 s.
	TTLMonitorSleep time.Duration
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.DiskReserve == 0 {
		o.DiskReserve = defaultDiskReserve
	}
	if o.TxnLifetime <= 0 {
		o.TxnLifetime = defaultTxnLifetime
	}
	if o.ChangeLogBytes <= 0 {
		o.ChangeLogBytes = defaultChangeLogBytes
	}
	if o.ChangeLogAge == 0 {
		o.ChangeLogAge = defaultChangeLogAge
	}
	return o
}
