package engine

import (
	"context"
	"sync"
	"sync/atomic"
)

// Metrics is a copy of the server-wide counters that serverStatus reports.
type Metrics struct {
	// Opcounters: Insert counts documents, Update and Delete statements,
	// Query find operations; Getmore and Command are counted by the callers
	// through CountGetMore and CountCommand (the engine counts no commands:
	// FindAndModify, Aggregate, Count, Distinct and DDL are commands).
	Opcounters struct{ Insert, Query, Update, Delete, Getmore, Command int64 }
	// WriteConflicts is metrics.operation.writeConflicts: each operation
	// adds its total once, when it ends.
	WriteConflicts int64
	// Document is metrics.document: Updated counts matched documents, as
	// mongod's recordCurOpMetrics does.
	Document struct{ Inserted, Updated, Deleted, Returned int64 }
	// Transactions follows transaction_metrics_observer.cpp's transitions.
	Transactions struct {
		TotalStarted, TotalCommitted, TotalAborted, CurrentOpen, CurrentActive, CurrentInactive int64
	}
}

// counters are kept as atomics where the work happens.
type counters struct {
	insert, query, update, delete, getmore, command atomic.Int64
	writeConflicts                                  atomic.Int64
	docInserted, docUpdated, docDeleted, docReturn  atomic.Int64
	txnStarted, txnCommitted, txnAborted            atomic.Int64
	txnOpen, txnActive, txnInactive                 atomic.Int64

	// Contention (contention.go): waits and latencies, conflicts by
	// collection, and the hot documents.
	writeWaits                  atomic.Int64
	waitTime, commitTime, syncT histogram
	byColl                      sync.Map // collection id (uint32) -> *collConflicts
	hot                         hotDocs
	// untracked turns off the latency histograms, write waits and hot documents (SetContentionTracking).
	untracked atomic.Bool
}

// uncountedKey is the context key of WithoutMetrics.
type uncountedKey struct{}

// WithoutMetrics returns a context whose operations leave the server-wide
// operation counters alone: operations run with it add nothing to
// opcounters, metrics.document or metrics.operation.writeConflicts. It is
// for the server's own bookkeeping writes (system.profile), which mongod
// makes below the layer that counts operations. Per-operation Stats are
// still filled, and transaction counters are unaffected.
func WithoutMetrics(ctx context.Context) context.Context {
	return context.WithValue(ctx, uncountedKey{}, true)
}

// uncounted absorbs the counting of operations run under WithoutMetrics; it
// is never read.
var uncounted counters

// metricsFor returns the counters an operation run with ctx adds to: the
// engine's, or a sink nobody reads under WithoutMetrics. Each operation looks
// it up once.
func (e *Engine) metricsFor(ctx context.Context) *counters {
	if ctx.Value(uncountedKey{}) != nil {
		return &uncounted
	}
	return &e.m
}

// Metrics returns a copy of the counters.
func (e *Engine) Metrics() Metrics {
	var m Metrics
	m.Opcounters.Insert = e.m.insert.Load()
	m.Opcounters.Query = e.m.query.Load()
	m.Opcounters.Update = e.m.update.Load()
	m.Opcounters.Delete = e.m.delete.Load()
	m.Opcounters.Getmore = e.m.getmore.Load()
	m.Opcounters.Command = e.m.command.Load()
	m.WriteConflicts = e.m.writeConflicts.Load()
	m.Document.Inserted = e.m.docInserted.Load()
	m.Document.Updated = e.m.docUpdated.Load()
	m.Document.Deleted = e.m.docDeleted.Load()
	m.Document.Returned = e.m.docReturn.Load()
	m.Transactions.TotalStarted = e.m.txnStarted.Load()
	m.Transactions.TotalCommitted = e.m.txnCommitted.Load()
	m.Transactions.TotalAborted = e.m.txnAborted.Load()
	m.Transactions.CurrentOpen = e.m.txnOpen.Load()
	m.Transactions.CurrentActive = e.m.txnActive.Load()
	m.Transactions.CurrentInactive = e.m.txnInactive.Load()
	return m
}

// CountCommand adds one to opcounters.command (for commands other than
// find, getMore, insert, update and delete).
func (e *Engine) CountCommand() { e.m.command.Add(1) }

// CountGetMore adds one to opcounters.getmore.
func (e *Engine) CountGetMore() { e.m.getmore.Add(1) }
