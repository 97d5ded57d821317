package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
)

// op is the execution state of one write operation: either a statement of a
// multi-document transaction (txn set), or an operation outside one, which
// runs as a sequence of units: a unit commits whenever the operation must
// wait, so an operation never waits while owning keys (no deadlock between
// waiting writers) and, like MongoDB's per-document storage transactions, a
// multi-document write keeps what it did before the wait.
type op struct {
	e   *Engine
	ctx context.Context
	st  *Stats
	m   *counters // where metrics go (metricsFor)
	now time.Time

	txn  *Txn // statement of a transaction
	unit *Txn // current unit outside a transaction

	batches   []pending  // committed units awaiting their fsync
	batch1    [1]pending // batches' first backing array: most operations commit one unit
	scratch   Stats      // st when the caller wants no statistics
	conflicts int64      // write conflicts retried, for metrics
	// conflictKey is the owner-table key of the last conflict absorbed,
	// whose collection the conflicts are counted under.
	conflictKey string
	attempt     int // conflicts in a row, for WaitBackoff
	// result, set by the operation's body, describes its result for a
	// session record (attachRecord).
	result resultSummary
	// record is the session record of the context outside a transaction
	// (WithSessionRecord), looked up once per operation; nil for none.
	record *sessionRecord
}

// resultSummary is an operation's result as a session record notes it.
type resultSummary interface {
	// appendSummary appends the result's fields to dst (BSON elements);
	// ok is false when the result must not be recorded.
	appendSummary(dst []byte) (out []byte, ok bool)
}

// errRedoUnit reports that a unit could not commit because its collection's
// catalog entry changed (DDL); the work of that unit must be redone.
var errRedoUnit = errors.New("redo unit")

// t returns the transaction the operation writes through.
func (o *op) t() *Txn {
	if o.txn != nil {
		return o.txn
	}
	return o.unit
}

// isConflict reports whether err is an internal write conflict.
func isConflict(err error) (*conflictError, bool) {
	ce, ok := err.(*conflictError)
	return ce, ok
}

// countConflict records a write conflict that the operation absorbs (a
// document that changed between scan and write, or a key owned by another
// transaction); only operations outside transactions absorb conflicts.
func (o *op) countConflict() {
	if o.txn != nil {
		return
	}
	o.absorb(o.unit.lastClaim, false)
}

// conflict handles a write conflict at a retry point. In a transaction it
// returns WriteConflict (112), which aborts the transaction. Outside one it
// commits the current unit, waits according to the wait policy and returns
// nil so the caller retries; errRedoUnit when the unit's commit was lost, or
// the interruption error that ends the operation.
func (o *op) conflict(err error) error {
	ce, ok := isConflict(err)
	if !ok {
		return err
	}
	if o.txn != nil {
		o.txnConflict(ce.key)
		return writeConflictError()
	}
	o.absorb(ce.key, ce.owner != nil)
	if err := o.flush(); err != nil {
		return err
	}
	var start time.Time
	if ce.owner != nil {
		start = time.Now()
	}
	var ended func()
	if o.e.opts.WaitPolicy == WaitPark {
		ended = observeWait(o.ctx, ce.owner)
	}
	err = o.e.waitFor(o.ctx, ce.owner, o.attempt)
	if ended != nil {
		ended()
	}
	if ce.owner != nil {
		o.waited(start)
	}
	if err != nil {
		return err
	}
	o.attempt++
	return nil
}

// flush commits the current unit (outside a transaction) and starts a new
// one. It returns errRedoUnit when the commit failed on a catalog change.
func (o *op) flush() error {
	if o.txn != nil {
		return nil
	}
	u := o.unit
	o.unit = o.e.newUnit()
	return o.commitUnit(u)
}

// commitUnit commits u, keeping its batch for the fsync wait of finish. It
// returns errRedoUnit when the commit failed on a catalog change.
func (o *op) commitUnit(u *Txn) error {
	p, err := o.e.commit(u)
	if p.b != nil {
		o.batches = append(o.batches, p)
	}
	if err == errCatalogChanged {
		return errRedoUnit
	}
	return err
}

// finish ends an operation outside a transaction: it commits the last unit,
// waits for the fsync of every unit, and adds the absorbed conflicts to
// metrics.operation.writeConflicts.
func (o *op) finish() error {
	var err error
	if o.txn == nil {
		// The last unit: no new one is started (runWrite starts a fresh
		// unit if it runs the body again).
		u := o.unit
		o.unit = nil
		err = o.commitUnit(u)
	}
	if o.txn == nil && len(o.batches) == 0 && err == nil {
		// Nothing was written: the outcome (no match, no change) was decided on what the operation read, which
		// may be a commit whose fsync is still under way. Acknowledge it only once that is durable, as mongod
		// waits for the write concern on the system's last optime after a write that changed nothing.
		err = o.e.sync()
	}
	for _, p := range o.batches {
		if serr := o.e.syncWait(p); serr != nil && err == nil {
			err = serr
		}
	}
	clear(o.batches)
	o.batches = o.batches[:0]
	if o.conflicts > 0 {
		o.e.addConflicts(o.m, o.conflictKey, o.conflicts)
	}
	return err
}

// abandon releases the current unit's claims without committing (an
// operation outside a transaction restarting from scratch with nothing
// written).
func (o *op) abandon() {
	if o.txn == nil && o.unit != nil {
		o.unit.abortLocked(nil)
		o.unit = o.e.newUnit()
	}
}

// runWrite runs body as one write operation. In a transaction body runs once
// inside a statement (conflicts become 112 and abort the transaction).
// Outside one, body runs in units; when restartable (single-document
// operations, which restart from their scan) a lost final commit (catalog
// change) reruns body from the start. A nil st counts into scratch space.
func (e *Engine) runWrite(ctx context.Context, t *Txn, st *Stats, body func(o *op) error) error {
	o := opPool.Get().(*op)
	defer putOp(o)
	*o = op{e: e, ctx: ctx, st: st, m: e.metricsFor(ctx), now: time.Now()}
	o.batches = o.batch1[:0]
	if st == nil {
		o.st = &o.scratch
	}
	if t != nil {
		sctx, err := t.beginStmt(ctx)
		if err != nil {
			return err
		}
		o.ctx, o.txn = sctx, t
		err = o.runBody(body)
		if ce, ok := isConflict(err); ok {
			o.txnConflict(ce.key)
			err = writeConflictError()
		}
		return t.endStmt(sctx, err)
	}
	o.record = sessionRecordFrom(ctx)
	for {
		o.unit = e.newUnit()
		err := o.runBody(body)
		if _, ok := isConflict(err); ok {
			// Bodies absorb conflicts; one escaping is an engine bug, but
			// outside a transaction it must never reach the client as 112.
			err = codes.New(codes.InternalError, "unhandled write conflict")
		}
		if err == errRedoUnit {
			o.abandon()
			continue
		}
		if err == nil {
			o.attachRecord()
		}
		ferr := o.finish()
		if ferr == errRedoUnit {
			continue
		}
		if err != nil {
			return err
		}
		if ferr == nil {
			o.recordDone()
		}
		return ferr
	}
}

// attachRecord makes the current unit's commit store the session record of
// the operation's context (WithSessionRecord), with the operation's result
// summary appended as its "result" field, so that the record and the writes
// it describes are durable together. A record is stored by the first
// operation that commits under it; later ones (the profiler's) leave it.
func (o *op) attachRecord() {
	rec := o.record
	if rec == nil || o.result == nil || o.unit == nil || rec.done.Load() || len(rec.value) < 5 {
		return
	}
	doc := make([]byte, 0, len(rec.value)+64)
	idx, doc := bsoncore.AppendDocumentStart(doc)
	doc = append(doc, rec.value[4:len(rec.value)-1]...)
	ridx, doc := bsoncore.AppendDocumentElementStart(doc, "result")
	doc, ok := o.result.appendSummary(doc)
	if !ok {
		return
	}
	doc, _ = bsoncore.AppendDocumentEnd(doc, ridx)
	doc, _ = bsoncore.AppendDocumentEnd(doc, idx)
	o.unit.record = &sessionRecord{id: rec.id, value: doc}
}

// recordDone marks the context's session record as stored, once the
// operation that attached it has committed.
func (o *op) recordDone() {
	if o.record != nil && o.result != nil {
		o.record.done.Store(true)
	}
}

// collOrCreate is Engine.collOrCreate for the operation: a collection that a
// transaction creates is recorded in it, so that aborting the transaction
// drops it again.
func (o *op) collOrCreate(ns Namespace) (*collection, error) {
	c, created, err := o.e.collOrCreate(o.txn, ns)
	if created {
		o.txn.noteCreated(c)
	}
	return c, err
}

// runBody runs body. A panic in it (a bug, never bad input) must not outlive the operation holding what it
// holds: the keys of its unit, which other writers would wait on forever, or its transaction's statement, which
// keeps the transaction locked. So runBody releases them, aborting the unit or the transaction, and panics
// again for the caller to report (the server answers InternalError).
func (o *op) runBody(body func(o *op) error) error {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if o.txn != nil {
			_ = o.txn.endStmt(o.ctx, codes.New(codes.InternalError, "internal error: %v", r))
		} else if o.unit != nil {
			o.unit.abortLocked(nil)
			o.unit = nil
		}
		panic(r)
	}()
	return body(o)
}

// opPool recycles op values: every write allocates one, and nothing keeps an
// op past its runWrite (bodies only use it while they run).
var opPool = sync.Pool{New: func() any { return new(op) }}

// putOp returns o to opPool, dropping what it references so that a pooled
// op keeps no context, transaction or batch alive.
func putOp(o *op) {
	*o = op{}
	opPool.Put(o)
}
