// Package engine is Concord's storage and concurrency engine: the catalog,
// documents and indexes in Pebble, MongoDB's transaction and write-conflict
// semantics in an in-memory layer on top, and the CRUD operations on raw
// BSON that the embeddable API and the wire server expose.
//
// Concurrency model (see docs/locking.md for the lock order):
//   - every commit is one Pebble batch, applied under the commit mutex with a
//     commit timestamp, published (owners released, waiters woken) and only
//     then, after the mutex is released, acknowledged once the WAL fsync that
//     covers it completes (early lock release + group commit);
//   - a transaction reads a snapshot (read timestamp + Pebble snapshot taken
//     together at its first statement) overlaid with its own writes;
//   - writes claim their document keys and unique-index keys in the owner
//     table (first updater wins); a transaction that loses gets WriteConflict,
//     a write outside a transaction waits for the owner and retries.
package engine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/concorddb/concord/internal/codes"
)

// Engine is an open database. All methods are safe for concurrent use. Close
// it to release its files and goroutines.
type Engine struct {
	opts Options
	// started is when Open began; usages counts the statements each index served since then (indexstats.go).
	started time.Time
	usages  sync.Map
	db      *pebble.DB
	fs      vfs.FS // what Pebble runs on, under walFS
	dir     string // Pebble's directory on fs

	// failure is the storage failure that fenced the engine (fault.go); nil while writes are accepted.
	failure atomic.Pointer[codes.Error]
	space   spaceState // guarded by commitMu

	// commitMu orders commits: timestamp assignment, batch application and
	// publication happen under it, as do snapshot creation and catalog swaps.
	commitMu sync.Mutex
	clock    atomic.Uint64 // timestamp of the last published commit
	// idxGen counts the indexes built since the engine opened: each, once its entries are committed, takes the
	// next value as its generation (index.built), and a snapshot reads this before it is taken (Txn.idxAsOf).
	idxGen  atomic.Uint64
	durable atomic.Uint64 // every commit up to this timestamp is in the synced WAL (see Sync)

	owners ownerTable

	// ddlMu serialises catalog changes; catMu guards colls and nextCollID.
	ddlMu sync.Mutex
	catMu sync.RWMutex
	// cappedMu guards capped, the states of capped collections by collection id (capped.go).
	cappedMu sync.Mutex
	capped   map[uint32]*cappedState
	colls    map[Namespace]*collection
	// pending maps the collections created by a transaction still open to that transaction: they are in the
	// catalog (the transaction writes through them) but not listed to anyone until it commits (catMu).
	pending    map[Namespace]*Txn
	nextCollID uint32
	// catGen is the catalog generation (CatalogGeneration): bumped after every change of colls or pending
	// and after every commit that wrote a system.* collection not in notCatalog.
	catGen atomic.Uint64
	// notCatalog are the system.* collection names whose writes leave catGen alone (IgnoreForCatalog).
	notCatalog atomic.Pointer[map[string]bool]

	// liveMu guards live: explicit transactions holding a snapshot.
	liveMu sync.Mutex
	live   map[*Txn]struct{}
	// streams are the DocStreams open (liveMu), which Close ends.
	streams map[*DocStream]struct{}

	// gate: operations hold it shared; Close takes it exclusively after
	// closing, so it waits for in-flight operations before closing Pebble.
	gate    sync.RWMutex
	closed  atomic.Bool
	closing chan struct{}

	lifetime   atomic.Int64 // TxnLifetime in nanoseconds
	reaperKick chan struct{}
	reaperDone chan struct{}

	// The TTL monitor (ttl.go): its sleep in nanoseconds and its counters.
	ttlSleep   atomic.Int64
	ttlKick    chan struct{}
	ttlDone    chan struct{}
	ttlDeleted atomic.Int64
	ttlPasses  atomic.Int64

	pruning atomic.Bool
	pruneAt atomic.Int64

	// updates caches compiled update documents by their bytes.
	updates updateCache
	// docs caches the latest committed version of recently written
	// documents (see docCache for the invariant).
	docs docCache

	// feed records every commit's changes for change streams (changes.go, changelog.go); the pruner keeps
	// the change log within its retention and closes prunerDone when it stops.
	feed       changeFeed
	prunerDone chan struct{}
	// anchorDone is closed when anchorKeeper has closed the anchor snapshot (anchor.go).
	anchorDone chan struct{}

	m counters

	// hasReferences is set once a collection with references is opened or made (references.go): until then a
	// deletion looks for no referencing collection.
	hasReferences atomic.Bool
}

// blockCacheSize is the size of Pebble's block cache, for blocks. Pebble
// accounts its memtables in the cache too (each one reserves its size while
// it exists: the mutable one and those queued for flushing), so the cache is
// opened larger by memTableReserve; without that, two memtables could leave
// no room for a single block and every read would decompress its block again.
//
// memTableSize is 32 MiB rather than 64: every commit inserts its keys into the
// memtable's skiplist, and a search through a smaller one misses the processor's
// caches less often (the insert was the largest cost of an update's commit,
// about 10% of a server's CPU under 32 clients' spread updates). Paired runs of
// that workload (scripts/ab-spread.sh, docs/benchmarks.md) measured 32 MiB 0.4% to
// 7.8% faster than 64 MiB, and 24 and 16 MiB about the same as 32; 8 MiB, flushed
// four times as often, gained nothing.
const (
	blockCacheSize  = 128 << 20
	memTableSize    = 32 << 20
	memTableReserve = 2 * memTableSize
)

// minPruneSize is the owner-table size below which no pruning is attempted.
const minPruneSize = 4096

// Open opens (creating if needed) the database in opts.Dir, or an in-memory
// database when Dir is "".
func Open(opts Options) (*Engine, error) {
	opts = opts.withDefaults()
	e := &Engine{
		opts:       opts,
		started:    time.Now(),
		colls:      make(map[Namespace]*collection),
		nextCollID: 1,
		live:       make(map[*Txn]struct{}),
		streams:    make(map[*DocStream]struct{}),
		closing:    make(chan struct{}),
		reaperKick: make(chan struct{}, 1),
		reaperDone: make(chan struct{}),
		prunerDone: make(chan struct{}),
		anchorDone: make(chan struct{}),
		ttlKick:    make(chan struct{}, 1),
		ttlDone:    make(chan struct{}),
	}
	po := &pebble.Options{
		Logger:       quietLogger{},
		MemTableSize: memTableSize,
		// Every write outside a transaction reads its document by key first;
		// Pebble's 8 MiB default cache misses on a working set of a few
		// hundred thousand documents and each miss decompresses a block. The
		// cache is filled lazily, so a small database pays nothing for it.
		CacheSize: blockCacheSize + memTableReserve,
		EventListener: &pebble.EventListener{
			// Pebble's default stops the process (Logger.Fatalf) on the first corrupted block it reads.
			// The read that met it returns pebble.ErrCorruption, which reaches its client as
			// DataCorruptionDetected (12, storageError): one bad block must not take every other
			// document offline.
			DataCorruption: func(pebble.DataCorruptionInfo) {},
		},
	}
	// Bloom filters let a point read skip the sstables (above all the
	// overlapping L0 files after memtable flushes) that lack its key.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	dir := opts.Dir
	if dir == "" {
		po.FS = vfs.NewMem()
		dir = "concord"
	}
	if opts.FS != nil {
		po.FS = opts.FS
	}
	if po.FS == nil {
		po.FS = vfs.Default
	}
	e.fs, e.dir = po.FS, dir
	// Only on the operating system's filesystem with fsyncs: an in-memory or injected filesystem has no
	// journal to spare, and its tests count the log's writes.
	po.FS = walFS{FS: po.FS, e: e, zero: opts.Dir != "" && opts.FS == nil && !opts.NoSync}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, &codes.Error{Code: codes.InternalError, Message: "cannot open storage: " + err.Error(), Cause: err}
	}
	e.db = db
	e.owners.init()
	e.docs.init()
	e.pruneAt.Store(minPruneSize)
	e.lifetime.Store(int64(opts.TxnLifetime))
	if err := e.loadCatalog(); err != nil {
		db.Close()
		return nil, err
	}
	if err := e.loadChangeLog(); err != nil {
		db.Close()
		return nil, err
	}
	if err := e.dropUncommittedCreations(); err != nil {
		db.Close()
		return nil, err
	}
	sleep := opts.TTLMonitorSleep
	if sleep <= 0 {
		sleep = defaultTTLMonitorSleep
	}
	e.ttlSleep.Store(int64(sleep))
	go e.reaper()
	go e.pruner()
	go e.ttlMonitor()
	go e.anchorKeeper(db.NewSnapshot())
	return e, nil
}

// Close ends the engine: writes waiting on a transaction return
// InterruptedAtShutdown (11600), the reaper stops, open transactions are
// aborted and Pebble is closed once in-flight operations have returned.
// Later calls return InterruptedAtShutdown; Close itself is idempotent.
func (e *Engine) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(e.closing)
	<-e.reaperDone
	<-e.prunerDone
	<-e.ttlDone
	<-e.anchorDone
	e.gate.Lock()
	defer e.gate.Unlock()
	e.closeStreams()
	e.liveMu.Lock()
	var open []*Txn
	for t := range e.live {
		open = append(open, t)
	}
	e.liveMu.Unlock()
	for _, t := range open {
		t.mu.Lock()
		if t.state.Load() == int32(TxnActive) {
			t.abortLocked(shutdownError())
		}
		t.mu.Unlock()
	}
	if err := e.db.Close(); err != nil {
		return storageError(err)
	}
	return nil
}

// enter admits an operation; every successful enter is paired with exit.
func (e *Engine) enter() error {
	e.gate.RLock()
	if e.closed.Load() {
		e.gate.RUnlock()
		return shutdownError()
	}
	return nil
}

// exit ends an operation admitted by enter.
func (e *Engine) exit() { e.gate.RUnlock() }

// shutdownError is returned to operations ended by Close.
func shutdownError() *codes.Error {
	return codes.New(codes.InterruptedAtShutdown, "interrupted at shutdown")
}

// SetTxnLifetime changes transactionLifetimeLimitSeconds at run time; the
// reaper's period becomes clamp(d/2, 1s, 60s) at once. d <= 0 means 60 s.
func (e *Engine) SetTxnLifetime(d time.Duration) {
	if d <= 0 {
		d = defaultTxnLifetime
	}
	e.lifetime.Store(int64(d))
	select {
	case e.reaperKick <- struct{}{}:
	default:
	}
}

// TxnLifetime returns the current transaction lifetime limit.
func (e *Engine) TxnLifetime() time.Duration { return time.Duration(e.lifetime.Load()) }

// quietLogger drops Pebble's informational logging; errors still surface
// through return values, and fatal conditions still stop the process: Pebble
// calls Fatalf when it cannot go on (a failed MANIFEST write, a commit into a
// failed write-ahead log) and does not expect it to return. The engine keeps
// commits from reaching a failed log (fault.go), so a failing WAL write or
// fsync fences the engine instead of stopping the process.
type quietLogger struct{}

// Infof drops informational messages.
func (quietLogger) Infof(format string, args ...any) {}

// Errorf drops error messages; the errors themselves reach callers.
func (quietLogger) Errorf(format string, args ...any) {}

// Fatalf reports and stops, as Pebble requires.
func (quietLogger) Fatalf(format string, args ...any) { pebble.DefaultLogger.Fatalf(format, args...) }
