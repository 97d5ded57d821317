package concord

import (
	"context"
	"sort"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord/internal/engine"
)

// WaitPolicy says how a write outside a transaction waits for a document
// that another transaction holds.
type WaitPolicy = engine.WaitPolicy

// The wait policies.
const (
	// WaitPark (the default) parks the waiting write on the owning
	// transaction and wakes it the moment that transaction commits or aborts.
	WaitPark = engine.WaitPark
	// WaitBackoff reproduces MongoDB's stepped sleep schedule between retries
	// (none for attempts 0-3, then 1 ms, 5 ms, 10 ms, 100 ms).
	WaitBackoff = engine.WaitBackoff
)

// Options configures Open. A nil *Options, and the zero value of every
// field, mean the defaults.
type Options struct {
	// WaitPolicy chooses how blocked writes outside transactions wait.
	WaitPolicy WaitPolicy
	// TransactionLifetime is MongoDB's transactionLifetimeLimitSeconds: a
	// transaction still open this long after its first statement is aborted.
	// Zero means 60 seconds. It can be changed later with
	// SetTransactionLifetime.
	TransactionLifetime time.Duration
	// NoSync acknowledges commits without waiting for fsync. A crash may then
	// lose acknowledged writes; use it only for tests and benchmarks.
	NoSync bool
	// ChangeLogSize bounds, in bytes, the log of changes that change streams
	// read and resume from (MongoDB's oplog size): past it the oldest changes
	// are deleted and resuming before them is ChangeStreamHistoryLost (286).
	// Zero means 1 GiB.
	ChangeLogSize int64
	// ChangeLogAge is how long changes stay in that log at most. Zero means
	// 24 hours; a negative value bounds the log by ChangeLogSize only.
	ChangeLogAge time.Duration
}

// Metrics is a copy of the server-wide counters that MongoDB reports in
// serverStatus (opcounters, metrics.operation.writeConflicts,
// metrics.document and the transactions section). The operations count
// themselves; opcounters.command and opcounters.getmore count only what a
// server serving the DB counts there, as the API runs neither.
type Metrics = engine.Metrics

// DB is an open Concord database. It is safe for concurrent use by any
// number of goroutines; so are the Database and Collection values it hands
// out. Close it when done.
type DB struct {
	eng    *engine.Engine
	closed atomic.Bool
}

// Open opens (creating if needed) the database stored in dir. An empty dir
// opens a fresh in-memory database that runs the same code paths and
// disappears at Close. opts may be nil.
func Open(dir string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	eng, err := engine.Open(engine.Options{
		Dir:         dir,
		WaitPolicy:  o.WaitPolicy,
		TxnLifetime: o.TransactionLifetime,
		NoSync:      o.NoSync,

		ChangeLogBytes: o.ChangeLogSize,
		ChangeLogAge:   o.ChangeLogAge,
	})
	if err != nil {
		return nil, err
	}
	return &DB{eng: eng}, nil
}

// Close aborts every open transaction, ends every waiting operation with
// InterruptedAtShutdown (11600) and closes the storage. Operations started
// afterwards return ErrClosed. Closing twice is a no-op.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	return db.eng.Close()
}

// check returns ErrClosed once Close has been called.
func (db *DB) check() error {
	if db.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Database returns a handle on the named database. Databases exist once
// they hold a collection; the handle itself creates nothing. Invalid names
// are reported by the first operation.
func (db *DB) Database(name string) *Database {
	return &Database{db: db, name: name}
}

// DatabaseSpecification describes one database, as listDatabases does.
type DatabaseSpecification struct {
	Name       string
	SizeOnDisk int64
	Empty      bool
}

// ListDatabases returns every database that holds at least one collection,
// sorted by name.
func (db *DB) ListDatabases(ctx context.Context) ([]DatabaseSpecification, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	infos := db.eng.ListDatabases()
	specs := make([]DatabaseSpecification, 0, len(infos))
	for _, in := range infos {
		specs = append(specs, DatabaseSpecification{Name: in.Name, SizeOnDisk: in.SizeOnDisk, Empty: in.Empty})
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

// ListDatabaseNames returns the names ListDatabases would, sorted.
func (db *DB) ListDatabaseNames(ctx context.Context) ([]string, error) {
	specs, err := db.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names, nil
}

// CatalogGeneration returns a number that changes whenever the catalog may have changed: a collection created
// (explicitly or by its first write), dropped or renamed, its options or indexes changed, a collection created
// in a transaction becoming visible at its commit, or a write to a system.* collection committed (but see IgnoreForCatalogGeneration; where layers
// above keep catalog data of their own, as package sql keeps its table definitions). It changes after the change
// is visible and before it is acknowledged, so a cache of catalog data read while the generation was g is
// current as long as the generation is still g. It is 0 after Open and never decreases; it is not persisted.
func (db *DB) CatalogGeneration() uint64 { return db.eng.CatalogGeneration() }

// IgnoreForCatalogGeneration makes committed writes to the system.* collections named coll (in every database)
// leave CatalogGeneration alone, for a layer above that keeps counters rather than cached catalog data there
// (package sql's sequences, stepped by every INSERT into a serial column). Creating, dropping or renaming such a
// collection still changes the generation.
func (db *DB) IgnoreForCatalogGeneration(coll string) { db.eng.IgnoreForCatalog(coll) }

// Metrics returns a snapshot of the server-wide counters.
func (db *DB) Metrics() Metrics { return db.eng.Metrics() }

// SetTransactionLifetime changes transactionLifetimeLimitSeconds at run
// time. It applies to open transactions too: the reaper aborts any whose
// first statement is older than d.
func (db *DB) SetTransactionLifetime(d time.Duration) { db.eng.SetTxnLifetime(d) }

// Sync returns once every write visible to reads when it was called is durable. A write becomes visible to
// other readers as soon as it commits, slightly before the WAL fsync that its own caller waits for, so a reader
// can see a write that a crash would take back; call Sync after reading and before acting on what was read
// outside the database when that matters. The commit of a read-only transaction does this itself. It returns
// ErrClosed after Close, or a storage error.
func (db *DB) Sync() error {
	if err := db.check(); err != nil {
		return err
	}
	return db.eng.Sync()
}

// TransactionLifetime returns the current transaction lifetime limit.
func (db *DB) TransactionLifetime() time.Duration { return db.eng.TxnLifetime() }
