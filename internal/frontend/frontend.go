// Package frontend is what a server exposing a concord.DB over a protocol needs beyond the embeddable API:
// counting the commands it runs in the DB's metrics, keeping its own bookkeeping out of them, and storing a
// per-session record atomically with the writes it describes, as mongod keeps config.transactions.
//
// The split is database/sql's, which keeps what applications call apart from database/sql/driver, what only
// the other side needs: package concord is what embedding programs call, this package what front ends
// need besides. The wire server (package server) uses it; a PostgreSQL-protocol server and an HTTP metrics
// endpoint are meant to use it too, and add what they need here rather than to concord's API. Embedding
// programs have no reason to call it, which is why it is internal and why TestLayers lets only front ends
// import it.
package frontend

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/engineref"
)

// CountCommand adds one to opcounters.command of db's metrics (concord.DB.Metrics). The engine counts the
// reads and writes it runs itself; a front end counts the other commands it serves. It is safe for concurrent
// use; after Close it does nothing that anyone reads.
func CountCommand(db *concord.DB) {
	eng, _ := engineref.Of(db)
	eng.CountCommand()
}

// CountGetMore adds one to opcounters.getmore of db's metrics: a front end that hands results out in batches
// (the engine returns them whole) counts each further batch asked for. It is safe for concurrent use.
func CountGetMore(db *concord.DB) {
	eng, _ := engineref.Of(db)
	eng.CountGetMore()
}

// WithoutMetrics returns a context whose operations are left out of the server-wide counters that
// concord.DB.Metrics reports (opcounters, metrics.document, metrics.operation.writeConflicts): reads and
// writes run with it still do their work and still fill an OpStats installed by concord.WithOpStats, but count
// as if they had not run. It is for a front end's own bookkeeping writes, such as the profiler's system.profile
// entries, which mongod does not count. Transaction counters are unaffected.
func WithoutMetrics(ctx context.Context) context.Context {
	return engine.WithoutMetrics(ctx)
}

// WithSessionRecord returns a context under which Session.CommitTransaction also stores value (a BSON
// document) as the record of the logical session id, atomically with the transaction's writes: after a crash
// either both are there or neither. A commit that writes nothing stores nothing. Outside a transaction, the
// first insert, update, delete or FindOneAndX run under the context stores it with its last writes, value then
// extended with a "result" field summarising the operation's result. The record replaces the session's previous
// one. A MongoDB front end keeps there what mongod keeps in config.transactions, so that a commit or a
// retryable write retried after a restart is recognised as done instead of applied twice.
func WithSessionRecord(ctx context.Context, id [16]byte, value []byte) context.Context {
	return engine.WithSessionRecord(ctx, id, value)
}

// CommitStats describes what a committed transaction wrote (WithCommitStats).
type CommitStats = engine.CommitStats

// WithCommitStats returns a context under which Session.CommitTransaction fills st with the number of
// documents the transaction wrote and the bytes its commit logged, once it has committed; what mongod reports
// as serverStatus transactions.lastCommittedTransaction.
func WithCommitStats(ctx context.Context, st *CommitStats) context.Context {
	return engine.WithCommitStats(ctx, st)
}

// SessionRecord returns the record last stored for the logical session id (WithSessionRecord), or nil when
// there is none. The bytes belong to the caller. After Close it returns concord.ErrClosed.
func SessionRecord(db *concord.DB, id [16]byte) ([]byte, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return nil, err
	}
	return eng.SessionRecord(id)
}

// PruneSessionRecords deletes the session records (WithSessionRecord) for which expired returns true and returns
// how many it deleted. Each record is judged again under the commit lock just before it is deleted, so that a
// record a commit has just replaced is judged by its new value; expired therefore runs with that lock held and
// must not call into db. After Close it returns concord.ErrClosed.
func PruneSessionRecords(db *concord.DB, expired func(id [16]byte, value []byte) bool) (int, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return 0, err
	}
	return eng.PruneSessionRecords(expired)
}

// SetContentionTracking turns db's latency histograms, write-wait counts and hot documents (concord.DB.Contention,
// concord.DB.HotDocuments) on, the default, or off. Write conflicts are counted either way. It is for measuring
// what the tracking costs: concord bench --tracking-off runs a second embedded target with it off.
func SetContentionTracking(db *concord.DB, on bool) {
	if eng, err := engineref.Of(db); err == nil {
		eng.SetContentionTracking(on)
	}
}

// ChangeStream, Change and its kinds are the engine's change feed (internal/engine/changes.go), which a front
// end turns into MongoDB change streams: commits in commit order, recorded while a stream is open.
type (
	ChangeStream = engine.ChangeStream
	Change       = engine.Change
)

// The kinds of Change.
const (
	ChangeWrite         = engine.ChangeWrite
	ChangeDrop          = engine.ChangeDrop
	ChangeCreate        = engine.ChangeCreate
	ChangeCreateIndexes = engine.ChangeCreateIndexes
	ChangeDropIndexes   = engine.ChangeDropIndexes
	ChangeRename        = engine.ChangeRename
	ChangeDropDatabase  = engine.ChangeDropDatabase
	ChangeModify        = engine.ChangeModify
)

// RenameCollection renames the collection db.from to toDB.to with its documents and indexes; dropTarget drops an
// existing target first (else NamespaceExists, 48). A missing source is NamespaceNotFound (26).
func RenameCollection(ctx context.Context, db *concord.DB, fromDB, from, toDB, to string, dropTarget bool) error {
	eng, err := engineref.Of(db)
	if err != nil {
		return err
	}
	return eng.RenameCollection(ctx, engine.Namespace{DB: fromDB, Coll: from}, engine.Namespace{DB: toDB, Coll: to}, dropTarget)
}

// SetChangeStreamImages turns the collection's changeStreamPreAndPostImages option on or off: with it, change
// streams get every write's document versions before and after. A missing collection is NamespaceNotFound (26).
func SetChangeStreamImages(ctx context.Context, db *concord.DB, dbName, coll string, on bool) error {
	eng, err := engineref.Of(db)
	if err != nil {
		return err
	}
	return eng.SetChangeStreamImages(ctx, engine.Namespace{DB: dbName, Coll: coll}, on)
}

// CollMod runs collMod on the collection: images, when non-nil, turns changeStreamPreAndPostImages on or off.
// Change streams see a modify event even when nothing changed, as with mongod. A missing collection is
// NamespaceNotFound (26).
func CollMod(ctx context.Context, db *concord.DB, dbName, coll string, images *bool) error {
	eng, err := engineref.Of(db)
	if err != nil {
		return err
	}
	return eng.CollMod(ctx, engine.Namespace{DB: dbName, Coll: coll}, images)
}

// ChangeStreamImages reports whether the collection has changeStreamPreAndPostImages on.
func ChangeStreamImages(db *concord.DB, dbName, coll string) bool {
	eng, err := engineref.Of(db)
	return err == nil && eng.ChangeStreamImages(engine.Namespace{DB: dbName, Coll: coll})
}

// PruneChangeLog applies the change log's retention as of now at once (the engine does so every second), so
// that a test can push changes out of it.
func PruneChangeLog(db *concord.DB, now time.Time) error {
	eng, err := engineref.Of(db)
	if err != nil {
		return err
	}
	return eng.PruneChangeLog(now)
}

// Watch opens a change stream on db: recent changes are kept in memory for it until it is closed, older ones
// are read from the change log. After Close it returns concord.ErrClosed.
func Watch(db *concord.DB) (*ChangeStream, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return nil, err
	}
	return eng.Watch()
}

// PlanDescription is the access path a query takes (DescribePlan).
type PlanDescription = engine.PlanDescription

// DescribePlan returns the access path a query with filter on db.coll would take now: the plan the engine
// runs, for explain. A filter that does not compile returns its *concord.Error.
func DescribePlan(db *concord.DB, dbName, coll string, filter []byte) (PlanDescription, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return PlanDescription{}, err
	}
	return eng.DescribePlan(engine.Namespace{DB: dbName, Coll: coll}, filter)
}

// FindSpec is a find's filter, sort, projection, hint, min / max and collation (DescribeFind).
type FindSpec = engine.FindSpec

// DescribeFind returns the access path the find spec on db.coll would take now, as the find plans it (sort,
// hint, projection and the let variables of ctx included, so Covered says whether it reads documents at
// all), for explain.
func DescribeFind(ctx context.Context, db *concord.DB, dbName, coll string, spec FindSpec) (PlanDescription, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return PlanDescription{}, err
	}
	return eng.DescribeFind(ctx, engine.Namespace{DB: dbName, Coll: coll}, spec)
}

// ReadSnapshot is a retained point in time of a DB (NewReadSnapshot).
type ReadSnapshot = engine.ReadSnapshot

// NewReadSnapshot takes a snapshot of db's latest committed state, for reads at a point in time outside a
// transaction (readConcern "snapshot"). The caller must Close it; until then db keeps the versions it shows.
func NewReadSnapshot(db *concord.DB) (*ReadSnapshot, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return nil, err
	}
	return eng.NewReadSnapshot()
}

// WithReadSnapshot returns a context under which reads outside a transaction read s.
func WithReadSnapshot(ctx context.Context, s *ReadSnapshot) context.Context {
	return engine.WithReadSnapshot(ctx, s)
}

// CommitTs returns the timestamp of db's latest commit (0 for a nil db and after Close): a snapshot taken now
// shows the commits up to it.
func CommitTs(db *concord.DB) uint64 {
	if db == nil {
		return 0
	}
	eng, err := engineref.Of(db)
	if err != nil {
		return 0
	}
	return eng.CommitTs()
}

// CreatedInOpenTxn reports whether db.coll was created by a transaction that has not committed yet, and is
// therefore listed to no one (listCollections, listIndexes) until it commits.
func CreatedInOpenTxn(db *concord.DB, dbName, coll string) bool {
	eng, err := engineref.Of(db)
	if err != nil {
		return false
	}
	return eng.CreatedInOpenTxn(engine.Namespace{DB: dbName, Coll: coll})
}

// TTLStats is the TTL monitor's counters, as serverStatus reports them in metrics.ttl.
type TTLStats = engine.TTLStats

// TTL returns the TTL monitor's counters (zero after Close).
func TTL(db *concord.DB) TTLStats {
	eng, err := engineref.Of(db)
	if err != nil {
		return TTLStats{}
	}
	return eng.TTLStats()
}

// TTLMonitorSleep returns the time between two passes of the TTL monitor (mongod's ttlMonitorSleepSecs).
func TTLMonitorSleep(db *concord.DB) time.Duration {
	eng, err := engineref.Of(db)
	if err != nil {
		return 0
	}
	return eng.TTLMonitorSleep()
}

// SetTTLMonitorSleep sets the time between two passes of the TTL monitor; the wait under way restarts with
// it. d <= 0 is ignored.
func SetTTLMonitorSleep(db *concord.DB, d time.Duration) {
	if eng, err := engineref.Of(db); err == nil {
		eng.SetTTLMonitorSleep(d)
	}
}

// IndexChange is a collMod change to one index (hidden, expireAfterSeconds).
type IndexChange = engine.IndexChange

// IndexSpec is an index definition as the engine keeps it.
type IndexSpec = engine.IndexSpec

// ModifyIndex applies a collMod index change to db.coll and returns the index before and after it. Errors
// are mongod's: NamespaceNotFound (26), IndexNotFound (27), InvalidOptions (72) for a TTL change to an index
// without one.
func ModifyIndex(ctx context.Context, db *concord.DB, dbName, coll string, ch IndexChange) (before, after IndexSpec, err error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return before, after, err
	}
	return eng.ModifyIndex(ctx, engine.Namespace{DB: dbName, Coll: coll}, ch)
}

// WithCommandTime returns a context whose operations see now as $$NOW and clusterTime as $$CLUSTER_TIME: a
// front end fixes them when a command starts, so that every document and statement of the command sees the
// same values, as mongod does. A zero clusterTime leaves $$CLUSTER_TIME undefined, as on a standalone mongod.
func WithCommandTime(ctx context.Context, now time.Time, clusterTime bson.Timestamp) context.Context {
	return engine.WithCommandTime(ctx, now, clusterTime)
}

// WithLet returns a context whose operations see the command's let variables: let (nil for none) is a document
// of expressions, evaluated once here against no document, after WithCommandTime. Errors are mongod's: an invalid
// or reserved variable name, a value reading a field, an undefined variable, or the expression's own error.
func WithLet(ctx context.Context, let bson.Raw) (context.Context, error) {
	return engine.WithLet(ctx, let)
}

// DescribeHintedPlan is DescribePlan for a statement with a hint: an index name (a string) or key pattern (a
// document, {$natural: 1} for a collection scan); a zero hint is none. A hint naming no usable index is
// BadValue (2), as the statement would fail. The filter may use the let variables of ctx (WithLet).
func DescribeHintedPlan(ctx context.Context, db *concord.DB, dbName, coll string, filter []byte, hint bson.RawValue) (PlanDescription, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return PlanDescription{}, err
	}
	var key bson.Raw
	var name string
	if s, ok := hint.StringValueOK(); ok {
		name = s
	} else if d, ok := hint.DocumentOK(); ok && len(d) > 5 {
		key = d
	}
	return eng.DescribeHintedPlan(ctx, engine.Namespace{DB: dbName, Coll: coll}, filter, key, name)
}

// ValidateResult is what Validate found, and IndexProblem one inconsistency it lists
// (internal/engine/validate.go).
type (
	ValidateResult = engine.ValidateResult
	IndexProblem   = engine.IndexProblem
)

// Validate checks db.coll's documents and index entries against each other at one point in time, for the
// validate command; full also flushes the memtable first. A missing collection is NamespaceNotFound (26).
func Validate(ctx context.Context, db *concord.DB, dbName, coll string, full bool) (*ValidateResult, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return nil, err
	}
	return eng.Validate(ctx, engine.Namespace{DB: dbName, Coll: coll}, full)
}

// Compact compacts db.coll's key ranges in storage and returns the bytes freed (Pebble's estimate).
func Compact(ctx context.Context, db *concord.DB, dbName, coll string) (int64, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return 0, err
	}
	return eng.Compact(ctx, engine.Namespace{DB: dbName, Coll: coll})
}

// Checkpoint makes every commit so far durable and flushes the memtable to sstables (the fsync command).
func Checkpoint(db *concord.DB) error {
	eng, err := engineref.Of(db)
	if err != nil {
		return err
	}
	return eng.Checkpoint()
}

// DamageIndexForTest breaks the named index of db.coll (one entry of the document id deleted, one stray entry
// added) so that tests of the validate command can see it fail. Nothing but tests calls it.
func DamageIndexForTest(db *concord.DB, dbName, coll, index string, id bson.RawValue) error {
	eng, err := engineref.Of(db)
	if err != nil {
		return err
	}
	return eng.DamageIndexForTest(engine.Namespace{DB: dbName, Coll: coll}, index, id)
}

// IndexUsage is one index's use since a point in time, for $indexStats.
type IndexUsage = engine.IndexUsage

// IndexUsages returns how many statements each index of db.coll served, and since when.
func IndexUsages(db *concord.DB, dbName, coll string) ([]IndexUsage, error) {
	eng, err := engineref.Of(db)
	if err != nil {
		return nil, err
	}
	return eng.IndexUsages(engine.Namespace{DB: dbName, Coll: coll})
}
