package sql

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ServerVersion is the PostgreSQL version Concord reports to clients.
const ServerVersion = "15.0"

// statementCacheSize bounds the parse trees an Engine keeps by text.
const statementCacheSize = 1024

// Engine runs SQL over one *concord.DB. It holds what sessions share: the
// parse-tree cache. Safe for concurrent use; it owns nothing that needs
// closing (the DB stays the caller's).
type Engine struct {
	b       backend
	started time.Time // pg_postmaster_start_time
	cache   *stmtCache
	tables  tableCache
	enums   enumCache
	funcs   funcCache
	nextPID atomic.Uint32
	stats   counters
	// locks are the sessions' table locks (tablelock.go).
	locks tableLocks
	// notify are the sessions listening for notifications (notify.go).
	notify notifier
	// token names the Engine in the markers of the indexes its blocks build at once; swept holds a *sync.Once
	// per database for sweepPendingIndexes (pendingindex.go).
	token string
	swept sync.Map
	// sessions are the live sessions, by pid (activity.go).
	sessions sessionRegistry
	// nextXID is the last transaction number handed out (Session.transactionNumber).
	nextXID atomic.Uint64
}

// NewEngine returns an Engine over db.
func NewEngine(db *concord.DB) *Engine {
	// nextval's writes change no definition: they must not empty the caches of table definitions and described
	// statements (Session.revalidate) at every INSERT into a serial column.
	db.IgnoreForCatalogGeneration(sequencesCollection)
	return newEngine(embedded{db})
}

// newEngine is an Engine over backend b.
func newEngine(b backend) *Engine {
	e := &Engine{b: b, cache: newStmtCache(statementCacheSize), token: newEngineToken(), started: time.Now()}
	e.locks.dbOID = e.databaseOID
	return e
}

// databaseOID is the oid pg_database shows for db (0 when it cannot be read).
func (e *Engine) databaseOID(ctx context.Context, db string) int64 {
	oids, _ := e.databaseOIDs(ctx)
	return oids[db]
}

// Transaction status of a session, as ReadyForQuery reports it.
const (
	TxIdle   byte = 'I' // not in a transaction block
	TxActive byte = 'T' // in a transaction block
	TxFailed byte = 'E' // in a failed transaction block: only ROLLBACK is accepted
)

// Session is one connection's state: its database, its user, its
// transaction block. Not safe for concurrent use: run one statement at a
// time. Close it to abort an open transaction.
type Session struct {
	// rng is the generator random() draws from once setseed has seeded it; nil before.
	rng      *rand.Rand
	e        *Engine
	database string
	userName string
	pid      uint32
	status   byte
	txn      backendTxn // the transaction block's; nil when idle
	// paramTypes are the parameter types of the prepared statement Execute is running (exec.paramTypes).
	paramTypes []uint32
	txnStart   time.Time // now() inside the transaction block
	// txReadOnly: the transaction block is read-only (readonly.go); blockRan: it has run a query.
	txReadOnly, blockRan bool
	// serverAddr and serverPort are where the client connected (SetServerAddr).
	serverAddr string
	serverPort int
	// rowWaitCancel cancels the running statement when lock_timeout is set; rowWaitTimer is the running wait
	// for a row's timer that calls it (observeRowWait).
	rowWaitCancel context.CancelCauseFunc
	rowWaitTimer  *time.Timer
	// params are the run-time parameters (settings.go): statement_timeout bounds every statement. defaults are
	// the startup message's, which RESET returns to; block holds what a transaction block's SETs leave at its end.
	params, defaults paramSet
	block            *blockParams
	// sequences are the values nextval last gave this session, by sequence (currval); lastSeq is the sequence
	// nextval last stepped (lastval).
	sequences map[string]int64
	lastSeq   string
	// advisory are the advisory locks the session holds or held (advisory.go).
	advisory map[advisoryKey]*advisoryCounts
	// locks are the table locks the session holds and waits for (tablelock.go).
	locks sessionLocks
	// implicit is set while the statements of one multi-statement Query
	// run in their implicit transaction block.
	implicit bool
	// ownBlock is set while a statement runs in the transaction block runStmt1 opened for it (a CALL or DO outside
	// a block): its procedure may COMMIT and ROLLBACK (plrun.go). txnGen counts the transactions begun, so that an
	// exec made in one sees that another has replaced it.
	ownBlock bool
	txnGen   uint64
	// authorize checks statements' accesses; nil allows everything.
	authorize Authorizer
	// copySrc gives COPY ... FROM STDIN its data (copy.go); nil in the embedded driver.
	copySrc CopySource
	// savepoints are the transaction block's savepoints, oldest first (names may repeat: the newest counts).
	savepoints []savepoint
	// inbox holds the notifications delivered to the session; pendingListen and pendingNotify are the
	// transaction block's LISTENs and NOTIFYs, which take effect when it commits (notify.go).
	inbox         inbox
	pendingListen []listenOp
	pendingNotify []Notification
	// named are the statements PREPARE made, by name (preparesql.go).
	named map[string]*Stmt
	// ddl is what the transaction block's DDL made (blockddl.go); nil when it has made nothing.
	ddl *blockDDL
	// deferred are the checks of the block's deferred foreign keys, run at COMMIT; constraints its SET
	// CONSTRAINTS (deferred.go).
	deferred    []deferredCheck
	constraints constraintModes
	// written are the tables the transaction block has written to (blockDB).
	written map[string]bool
	// cursors are the transaction block's cursors, by name (cursors.go).
	cursors map[string]*cursor
	// fetchedBeforeError are the rows a failed FETCH made before the row that failed (ExecuteBatch).
	fetchedBeforeError [][]any
	portals            int // the unnamed portals PL/pgSQL's OPEN has named (plcursors.go)
	notice             func(*Error)
	// noticesSent counts the notices given to notice: a statement that sent one is not run again (runOwnBlock).
	noticesSent int
	// transRows are the rows the running statement wrote to tables whose triggers have transition tables, by
	// table and event, kept for the AFTER statement triggers (triggers.go).
	transRows map[string][]rowEvent
	// started is when the session started; act is what it publishes of itself to other sessions (activity.go).
	started time.Time
	act     activity
	// xid is the transaction's number (transactionNumber); 0 until it asks for one.
	xid uint64
	// temps are the session's temporary tables, by name (temptables.go).
	temps map[string]tempTable
	// plPrep keeps what the calls of PL/pgSQL functions prepared, by parsed body, for their next calls (plrun.go).
	plPrep map[*plFunc]*plPrepared
}

// savepoint is one SAVEPOINT of a transaction block, with what ROLLBACK TO puts back besides the writes: the
// run-time parameters (and what the block's SETs leave at commit) and the LISTEN, UNLISTEN and NOTIFY
// statements the block had run, and the transaction-level advisory locks it held, as PostgreSQL undoes those of
// a rolled-back subtransaction.
type savepoint struct {
	name           string
	sp             any // the backend's
	params         paramSet
	after          *paramSet // the block's values at commit; nil when no SET had run yet
	listen, notify int
	advisory       map[advisoryKey][2]int // transaction-level advisory holds (advisoryXactHolds)
	tableLocks     map[lockTag]uint16     // the table locks held (tableLocks.holds)
	ddl            *blockDDL              // what the block's DDL had made
	deferred       []deferredCheck        // the deferred checks the block had (a later SET CONSTRAINTS ... IMMEDIATE may run some)
	constraints    constraintModes        // its SET CONSTRAINTS
	cursors        map[string]bool        // the cursors open then: ROLLBACK TO closes those opened since
}

// NewSession starts a session on database for user.
func (e *Engine) NewSession(database, user string) *Session {
	if database == "" {
		database = "postgres"
	}
	if user == "" {
		user = "concord"
	}
	e.sweepPendingIndexes(database)
	e.sweepTemps(database)
	s := &Session{e: e, database: database, userName: user, pid: e.nextPID.Add(1), status: TxIdle, started: time.Now()}
	s.act.stateChange = s.started
	e.sessions.add(s)
	return s
}

// PID is the session's process id, as pg_backend_pid() reports it.
func (s *Session) PID() uint32 { return s.pid }

// TxStatus is the session's transaction status: TxIdle, TxActive or
// TxFailed.
func (s *Session) TxStatus() byte { return s.status }

// Database is the session's database name.
func (s *Session) Database() string { return s.database }

func (s *Session) db() backendDB {
	d := s.e.b.database(s.database)
	if len(s.temps) > 0 {
		d = tempDB{backendDB: d, s: s} // a temporary table's name reaches its storage name
	}
	if s.txn != nil && !s.implicit {
		return blockDB{backendDB: d, s: s} // records the tables the block writes (blockddl.go)
	}
	return d
}

func (s *Session) user() string { return s.userName }

// Close aborts the session's open transaction, if any, and takes the session out of pg_stat_activity.
func (s *Session) Close() {
	s.e.sessions.remove(s)
	s.abortBlock()
	s.dropTemps()
	s.e.locks.release(s)
	s.releaseAdvisory(true)
	s.e.notify.apply(s, listenOp{off: true})
	s.SetNotifyHook(nil)
}

// abortBlock rolls back the transaction block, if one is open (ROLLBACK, a failed implicit block).
func (s *Session) abortBlock() {
	if s.txn != nil {
		s.txn.abort(context.Background())
		s.txn = nil
	}
	s.status = TxIdle
	s.endBlock(false)
}

// Column describes one column of a result.
type Column struct {
	Name string
	OID  uint32
	// TypMod is the type modifier of a column that is a table's column or a cast to a modified type (numeric(6,2)
	// shows two decimal places); 0 for none.
	TypMod int32
	// Scale is the number of decimal places a numeric expression's values show (price * 2 of a numeric(6,2)
	// column shows 10.00, as PostgreSQL's numeric values carry their scale); 0 for none. See DisplayMod.
	Scale int32
}

// Result is a statement's outcome: its rows (nil Columns for a statement
// that returns none) and its command tag ("UPDATE 1").
type Result struct {
	Columns []Column
	Rows    [][]any
	Tag     string
	// Warnings are what the statement warned of (PostgreSQL's WARNING notices: SET LOCAL outside a transaction
	// block, COMMIT without one), each with its SQLSTATE.
	Warnings []*Error
	// Copy is set for COPY ... TO STDOUT: Rows go to the client as copy data, formatted by Copy.
	Copy *CopyOut
	// Streamed is set when the rows went to the RowSink of the call's context (WithRowSink), not to Rows.
	Streamed bool
}

// Stmt is a prepared statement: one parsed statement with the types of
// its parameters and of the columns it returns. It may be executed many
// times, by its own session only.
type Stmt struct {
	Text      string
	stmt      *statement // nil for an empty statement
	ParamOIDs []uint32
	Columns   []Column // nil when the statement returns no rows
	// gen is the catalog generation Columns were described at (see Session.revalidate).
	gen uint64
}

// Empty reports whether the statement text held no statement.
func (st *Stmt) Empty() bool { return st.stmt == nil }

// Prepare parses text, which must hold at most one statement, and infers
// the types of its parameters (those given in paramOIDs, 0 for unknown,
// are kept) and of its result columns.
func (s *Session) Prepare(ctx context.Context, text string, paramOIDs []uint32) (*Stmt, error) {
	stmts, err := s.e.cache.parse(text)
	if err != nil {
		s.e.stats.add("", AsError(err).Code)
		s.failBlock()
		return nil, err
	}
	if len(stmts) > 1 {
		return nil, errorf(CodeSyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	st := &Stmt{Text: text}
	if len(stmts) == 0 {
		return st, nil
	}
	st.stmt = stmts[0]
	n := maxParam(text)
	if st.stmt.raw.Stmt.GetPrepareStmt() != nil {
		n = 0 // the $n of PREPARE's statement are its own parameters, given by EXECUTE
	}
	for len(paramOIDs) < n {
		paramOIDs = append(paramOIDs, 0)
	}
	st.ParamOIDs = append([]uint32(nil), paramOIDs...)
	st.gen, _ = s.e.b.catalogGeneration()
	x := s.newExec(ctx, nil)
	x.describe = true
	x.paramOIDs = st.ParamOIDs
	res, err := x.run(st.stmt)
	if err != nil {
		if e := AsError(err); e.Code != CodeInFailedSQLTransaction {
			return nil, err
		}
	}
	for i, t := range st.ParamOIDs {
		if t == 0 {
			st.ParamOIDs[i] = OIDText
		}
	}
	if res != nil && res.Columns != nil {
		st.Columns = describedColumns(res.Columns)
	}
	return st, nil
}

// describedColumns are a described statement's result columns, those of unknown type text.
func describedColumns(cols []Column) []Column {
	for i := range cols {
		if cols[i].OID == 0 {
			cols[i].OID = OIDText
		}
	}
	return cols
}

// revalidate describes a prepared statement that returns rows again once the catalog has changed since it was
// described (or while the session's block has changed it), as PostgreSQL re-plans a cached statement: when its
// result columns are no longer those the client was given (a column added to or dropped from the table of a
// SELECT *, a type changed), it fails with PostgreSQL's 0A000 "cached plan must not change result type", which
// pgx and other clients answer by preparing the statement anew. Each later execution fails the same way. A
// statement that no longer describes (its table dropped) is left for the execution to report.
func (s *Session) revalidate(ctx context.Context, st *Stmt) error {
	gen, ok := s.e.b.catalogGeneration()
	if !ok || gen == st.gen && s.ddl == nil {
		return nil
	}
	x := s.newExec(ctx, nil)
	x.describe = true
	x.paramOIDs = append([]uint32(nil), st.ParamOIDs...)
	res, err := x.run(st.stmt)
	if err != nil || res == nil {
		return nil
	}
	cols := describedColumns(res.Columns)
	same := len(cols) == len(st.Columns)
	for i := 0; same && i < len(cols); i++ {
		a, b := cols[i], st.Columns[i]
		same = a.Name == b.Name && a.OID == b.OID && a.TypMod == b.TypMod
	}
	if !same {
		return errorf(CodeFeatureNotSupported, "cached plan must not change result type")
	}
	if s.ddl == nil {
		st.gen = gen
	}
	return nil
}

// lockAndRevalidate takes the table locks of a prepared statement's execution (lockForExecute), then
// revalidates it, within the session's statement_timeout. Its errors are what the statement would fail with:
// 57014 when the wait is cancelled, 55P03 after lock_timeout, 40P01 on a deadlock, 0A000 from revalidate.
func (s *Session) lockAndRevalidate(ctx context.Context, st *Stmt) *Error {
	if s.params.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.params.timeout, errStatementTimeout)
		defer cancel()
	}
	err := s.lockForExecute(ctx, st.stmt)
	if err == nil {
		err = s.revalidate(ctx, st)
	}
	if err == nil {
		return nil
	}
	if context.Cause(ctx) == errStatementTimeout {
		return &Error{Code: CodeQueryCanceled, Message: "canceling statement due to statement timeout", Cause: err}
	}
	return AsError(err)
}

// maxParam returns the highest $n in text (a cheap scan; the parse tree
// has the exact references).
func maxParam(text string) int {
	n := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '$' || i+1 >= len(text) || text[i+1] < '0' || text[i+1] > '9' {
			continue
		}
		j, v := i+1, 0
		for j < len(text) && text[j] >= '0' && text[j] <= '9' && v < 100000 {
			v = v*10 + int(text[j]-'0')
			j++
		}
		n = max(n, v)
	}
	return n
}

// Execute runs a prepared statement with its parameters, converted to the
// statement's parameter types.
func (s *Session) Execute(ctx context.Context, st *Stmt, params []any) (_ *Result, err error) {
	if st.stmt == nil {
		return &Result{Tag: ""}, nil
	}
	if len(params) != len(st.ParamOIDs) {
		return nil, errorf(CodeProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d",
			len(params), len(st.ParamOIDs))
	}
	if err := s.running(st.Text); err != nil {
		return nil, err
	}
	defer s.ran(&err)
	if st.Columns != nil && s.status != TxFailed {
		if err := s.lockAndRevalidate(ctx, st); err != nil {
			s.e.stats.add(statementKind(st.stmt.raw.Stmt), err.Code)
			if s.status == TxActive {
				s.status = TxFailed
			}
			s.releaseEnded()
			return nil, err
		}
	}
	vals := make([]any, len(params))
	for i, p := range params {
		v, err := coerce(readInZone(p, st.ParamOIDs[i], s.zone()), st.ParamOIDs[i])
		if err != nil {
			s.releaseEnded() // those lockAndRevalidate took
			return nil, err
		}
		vals[i] = v
	}
	s.paramTypes = st.ParamOIDs
	if sink := rowSinkFrom(ctx); sink != nil && st.Columns != nil {
		ctx = WithRowSink(ctx, &alignSink{want: st.Columns, out: sink})
	}
	res, err := s.runStmt(ctx, st.stmt, vals)
	s.paramTypes = nil
	if err != nil {
		return nil, err
	}
	if st.Columns != nil && res.Columns != nil {
		res.Rows = alignRows(st.Columns, res.Columns, res.Rows)
		res.Columns = st.Columns
	}
	return res, nil
}

// failBlock fails the transaction block in progress, as any error in one does in PostgreSQL (a syntax error
// too): only ROLLBACK (or ROLLBACK TO a savepoint) runs until it ends.
func (s *Session) failBlock() {
	if s.status == TxActive {
		s.status = TxFailed
	}
}

// Query runs every statement of text (the simple query protocol), calling
// fn with each result in turn, and stops at the first error.
//
// Several statements outside a transaction block run as one implicit
// transaction, as PostgreSQL runs them: all or nothing. An error rolls
// back what the earlier statements of the text did (their results were
// already passed to fn); a BEGIN among them turns the implicit block into
// an ordinary one, which stays open after the text; a COMMIT or ROLLBACK
// among them ends it, and the statements after it start another.
func (s *Session) Query(ctx context.Context, text string, fn func(*Result) error) (err error) {
	stmts, err := s.e.cache.parse(text)
	if err != nil {
		s.e.stats.add("", AsError(err).Code)
		s.failBlock()
		return err
	}
	if err := s.running(text); err != nil {
		return err
	}
	defer s.ran(&err)
	implicit, ended := false, false
	defer func() { s.implicit = false }()
	for i, st := range stmts {
		raw := st.raw
		if !implicit && s.status == TxIdle && len(stmts)-i > 1 && !isTxnControl(raw.Stmt) {
			if err := s.begin(ctx); err != nil {
				return err
			}
			implicit = true
		}
		if ts := raw.Stmt.GetTransactionStmt(); ts != nil && implicit {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
				implicit = false // the block is the client's now
				s.e.stats.add(statementKind(raw.Stmt), "")
				if err := s.transactionMode(ts.Options); err != nil {
					s.abortBlock()
					return err
				}
				if err := fn(&Result{Tag: "BEGIN"}); err != nil {
					s.abortBlock()
					return err
				}
				continue
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
				implicit = false // runStmt ends the block
				ended = true
			}
		}
		s.implicit = implicit
		res, err := s.runStmt(ctx, st, nil)
		if err == nil && ended {
			// PostgreSQL ends the implicit block as asked, and warns that no block was open.
			res.Warnings = noTransaction()
		}
		ended = false
		if err == nil {
			err = fn(res)
		}
		if err != nil {
			if implicit {
				s.abortBlock()
			}
			return err
		}
	}
	if implicit {
		res, err := s.transaction(ctx, &pg.TransactionStmt{Kind: pg.TransactionStmtKind_TRANS_STMT_COMMIT})
		if err != nil {
			return err
		}
		if res.Tag == "ROLLBACK" {
			return errorf(CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
	}
	return nil
}

// isTxnControl reports whether n is BEGIN, COMMIT, ROLLBACK or the like.
func isTxnControl(n *pg.Node) bool { return n.GetTransactionStmt() != nil }

// runStmt runs one statement: transaction control, or a statement in the
// transaction block (or, outside one, autocommitted), moving the block to
// failed when a statement in it fails.
func (s *Session) runStmt(ctx context.Context, st *statement, params []any) (*Result, error) {
	n := st.raw.Stmt
	if s.params.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.params.timeout, errStatementTimeout)
		defer cancel()
	}
	if s.params.lockTimeout > 0 {
		// lock_timeout bounds a wait for a row too (observeRowWait): the wait's timer cancels the statement.
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		s.rowWaitCancel = cancel
		defer func() {
			s.rowWaitCancel = nil
			cancel(nil)
		}()
	}
	if s.status == TxIdle {
		s.xid = 0 // an autocommitted statement is a transaction of its own
	}
	res, err := s.runStmt1(ctx, st, params)
	s.releaseFailed()
	if err == nil {
		s.showInZone(res)
		s.showIntervalStyle(res)
	}
	if err != nil && context.Cause(ctx) == errStatementTimeout {
		err = &Error{Code: CodeQueryCanceled, Message: "canceling statement due to statement timeout", Cause: err}
	}
	if err != nil && context.Cause(ctx) == errLockTimeout {
		err = &Error{Code: CodeLockNotAvailable, Message: "canceling statement due to lock timeout", Cause: err}
	}
	code := ""
	if err != nil {
		code = AsError(err).Code
	}
	s.e.stats.add(statementKind(n), code)
	return res, err
}

// releaseEnded drops the table locks of a statement that ended early: all of them when it ran outside a block
// (its own transaction is over), and inside one those a failed block can no longer use (releaseFailed).
func (s *Session) releaseEnded() {
	if s.status == TxIdle {
		s.e.locks.release(s)
		return
	}
	s.releaseFailed()
}

// releaseFailed drops the locks a failed block can no longer use, as PostgreSQL releases them when the error
// aborts the transaction, not at the ROLLBACK (a deadlock's victim frees the other sessions): all of them, the
// transaction and with it the documents it wrote too (a write waiting for one goes on), or, after a SAVEPOINT,
// the locks taken since the newest one (its subtransaction is what the error aborted; ROLLBACK TO takes the
// block up again with what it held before).
func (s *Session) releaseFailed() {
	switch {
	case s.status != TxFailed:
	case len(s.savepoints) == 0:
		s.e.locks.release(s)
		s.releaseAdvisory(false)
		if s.txn != nil && !s.implicit {
			s.txn.abort(context.Background())
			s.txn = nil
		}
	default:
		sp := s.savepoints[len(s.savepoints)-1]
		s.e.locks.keepOnly(s, sp.tableLocks)
		s.rollbackAdvisory(sp.advisory)
	}
}

func (s *Session) runStmt1(ctx context.Context, st *statement, params []any) (*Result, error) {
	n := st.raw.Stmt
	if ts := n.GetTransactionStmt(); ts != nil {
		return s.transaction(ctx, ts)
	}
	if s.status == TxFailed {
		return nil, errorf(CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	switch {
	case n.GetPrepareStmt() != nil:
		return s.failing(s.prepareSQL(ctx, n.GetPrepareStmt()))
	case n.GetExecuteStmt() != nil:
		return s.failing(s.executeSQL(ctx, n.GetExecuteStmt()))
	case n.GetDeallocateStmt() != nil:
		return s.failing(s.deallocate(n.GetDeallocateStmt()))
	}
	if err := s.checkAccess(st); err != nil {
		if s.status == TxActive {
			s.status = TxFailed
		}
		s.releaseEnded() // those a prepared execution took before the check (lockForExecute)
		return nil, err
	}
	if err := s.checkReadOnly(n); err != nil {
		if s.status == TxActive {
			s.status = TxFailed
		}
		s.releaseEnded()
		return nil, err
	}
	if s.status != TxIdle && n.GetVariableSetStmt() == nil && n.GetVariableShowStmt() == nil {
		s.blockRan = true // SET TRANSACTION's modes are set before the block's first query
	}
	x := s.newExec(ctx, params)
	if sink := rowSinkFrom(ctx); sink != nil {
		x.sink, x.sinkStmt = &sessionSink{s: s, out: sink}, n
	}
	if len(s.cursors) > 0 {
		x.freezeCursors(n)
	}
	gen, genOK := s.e.b.catalogGeneration()
	res, err := x.run(st)
	if errors.Is(err, errNeedsBlock) && s.status == TxIdle {
		// PL/pgSQL runs: the statement runs again in a transaction block of its own, as PostgreSQL runs any.
		res, err = s.runOwnBlock(ctx, func() (*Result, error) {
			x = s.newExec(ctx, params)
			return x.run(st)
		})
	}
	if err == nil {
		x.typesChecked(gen, genOK)
	}
	s.transRows = nil // a failed statement's rows are no later one's
	if err != nil {
		err = x.uniqueViolation(err)
	}
	if s.status == TxIdle {
		s.releaseAdvisory(false) // an autocommitted statement's transaction-level advisory locks
		s.e.locks.release(s)     // and its table locks
		if err == nil {
			s.commitTemps() // its temporary tables' ON COMMIT actions
		}
	}
	if err != nil && s.status == TxActive {
		s.status = TxFailed
	}
	if err != nil {
		return nil, AsError(err)
	}
	if len(x.warnings) > 0 {
		res.Warnings = append(res.Warnings, x.warnings...)
	}
	typeUntyped(res.Columns, res.Rows)
	return res, nil
}

// runOwnBlock runs a statement that needs a transaction block (PL/pgSQL, triggers) in one of its own. A write
// conflict (40001) runs it again, after a short randomized pause, until it succeeds, fails otherwise or is
// canceled: as PostgreSQL's READ COMMITTED statement waits for the row's other writer and goes on, the
// autocommitted statement does not report the conflict. It is not run again once the client has seen a notice of
// the failed run or a procedure in it has committed.
func (s *Session) runOwnBlock(ctx context.Context, fn func() (*Result, error)) (*Result, error) {
	for attempt := 0; ; attempt++ {
		gen, notices := s.txnGen, s.noticesSent
		s.ownBlock = true
		res, err := s.inBlock(ctx, fn)
		s.ownBlock = false
		if err == nil || AsError(err).Code != CodeSerializationFailure || s.noticesSent != notices || s.txnGen-gen > 1 || ctx.Err() != nil {
			return res, err
		}
		pause := time.Duration(min(1<<min(attempt, 5), 20)) * time.Millisecond
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(pause/2 + rand.N(pause)):
		}
	}
}

// inBlock runs fn in a transaction block of its own, committed when fn succeeds and rolled back when it fails.
func (s *Session) inBlock(ctx context.Context, fn func() (*Result, error)) (*Result, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	res, err := fn()
	if err == nil && s.status == TxFailed {
		err = errorf(CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if err != nil {
		s.abortBlock()
		return nil, err
	}
	done, err := s.transaction(ctx, &pg.TransactionStmt{Kind: pg.TransactionStmtKind_TRANS_STMT_COMMIT})
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, done.Warnings...)
	return res, nil
}

// failing passes a statement's result on, moving an open transaction block to failed when it is an error.
func (s *Session) failing(res *Result, err error) (*Result, error) {
	if err != nil && s.status == TxActive {
		s.status = TxFailed
	}
	return res, err
}

// typeUntyped gives each column no declaration typed (OID 0) the type of its values (columnOIDFromValues).
func typeUntyped(cols []Column, rows [][]any) {
	for i := range cols {
		if cols[i].OID == 0 {
			cols[i].OID = columnOIDFromValues(rows, i)
		}
	}
}

// columnOIDFromValues is the type of a column no declaration typed: its non-NULL values' when they agree
// (float8 for integers and doubles), else text (a schemaless field may hold a number in one document and a string
// or binary data in another, and every value has a text form).
func columnOIDFromValues(rows [][]any, i int) uint32 {
	oid := uint32(0)
	for _, r := range rows {
		if r[i] == nil {
			continue
		}
		switch v := valueOID(r[i]); {
		case oid == 0:
			oid = v
		case v == oid:
		case (v == OIDInt8 || v == OIDFloat8) && (oid == OIDInt8 || oid == OIDFloat8):
			oid = OIDFloat8 // integers and doubles: doubles
		default:
			return OIDText
		}
	}
	if oid == 0 {
		return OIDText
	}
	return oid
}

// transaction runs BEGIN, COMMIT, ROLLBACK and the savepoint statements; two-phase commit is refused.
func (s *Session) transaction(ctx context.Context, ts *pg.TransactionStmt) (*Result, error) {
	switch ts.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
		if s.status != TxIdle {
			// PostgreSQL warns and carries on.
			return &Result{Tag: "BEGIN", Warnings: []*Error{
				errorf(CodeActiveSQLTransaction, "there is already a transaction in progress")}}, nil
		}
		if err := s.begin(ctx); err != nil {
			return nil, err
		}
		if err := s.transactionMode(ts.Options); err != nil {
			s.abortBlock()
			return nil, err
		}
		if ts.Kind == pg.TransactionStmtKind_TRANS_STMT_START {
			return &Result{Tag: "START TRANSACTION"}, nil
		}
		return &Result{Tag: "BEGIN"}, nil
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
		switch s.status {
		case TxIdle:
			return &Result{Tag: "COMMIT", Warnings: noTransaction()}, nil
		case TxFailed:
			s.abortBlock()
			return &Result{Tag: "ROLLBACK"}, nil
		}
		if err := s.runDeferred(s.txn.context(ctx), nil); err != nil {
			s.abortBlock() // PostgreSQL rolls the block back when a deferred check fails at COMMIT
			return nil, AsError(err)
		}
		err := s.txn.commit(ctx)
		ddl := s.ddl
		s.txn, s.status = nil, TxIdle
		s.endBlock(err == nil)
		if err != nil {
			return nil, AsError(err)
		}
		return &Result{Tag: "COMMIT", Warnings: s.commitDrops(ctx, ddl)}, nil
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		var warn []*Error
		if s.status == TxIdle {
			warn = noTransaction()
		}
		s.abortBlock()
		return &Result{Tag: "ROLLBACK", Warnings: warn}, nil
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT, pg.TransactionStmtKind_TRANS_STMT_RELEASE,
		pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return s.savepointStmt(ts)
	}
	if s.status == TxActive {
		s.status = TxFailed
	}
	return nil, unsupported(fmt.Sprintf("%s (two-phase commit)", strings.TrimPrefix(ts.Kind.String(), "TRANS_STMT_")))
}

// savepointStmt runs SAVEPOINT, RELEASE [SAVEPOINT] and ROLLBACK TO [SAVEPOINT] as PostgreSQL does: only in a
// transaction block; RELEASE forgets the savepoint and those after it; ROLLBACK TO undoes the writes since the
// savepoint, keeps it, forgets those after it, and makes a failed block usable again.
func (s *Session) savepointStmt(ts *pg.TransactionStmt) (*Result, error) {
	what := map[pg.TransactionStmtKind]string{pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT: "SAVEPOINT",
		pg.TransactionStmtKind_TRANS_STMT_RELEASE:     "RELEASE SAVEPOINT",
		pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO: "ROLLBACK TO SAVEPOINT"}[ts.Kind]
	if s.status == TxIdle || s.implicit {
		return nil, errorf(CodeNoActiveSQLTransaction, "%s can only be used in transaction blocks", what)
	}
	if err := s.savepointOp(ts.Kind, ts.SavepointName); err != nil {
		return nil, err
	}
	return &Result{Tag: map[pg.TransactionStmtKind]string{pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT: "SAVEPOINT",
		pg.TransactionStmtKind_TRANS_STMT_RELEASE: "RELEASE", pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO: "ROLLBACK"}[ts.Kind]}, nil
}

// savepointOp takes, releases or rolls back to a savepoint of the open transaction: the savepoint statements',
// and a PL/pgSQL block's with an EXCEPTION clause (plrun.go), which any block, an implicit one too, may run.
func (s *Session) savepointOp(kind pg.TransactionStmtKind, name string) error {
	fail := func(err error) error {
		s.status = TxFailed
		return AsError(err)
	}
	if kind == pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT {
		if s.status == TxFailed {
			return errorf(CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
		sp, err := s.txn.savepoint()
		if err != nil {
			return fail(err)
		}
		mark := savepoint{name: name, sp: sp, params: s.params.clone(), listen: len(s.pendingListen), notify: len(s.pendingNotify)}
		mark.advisory = s.advisoryXactHolds()
		mark.tableLocks = s.e.locks.holds(s)
		mark.ddl = s.ddl.clone()
		mark.deferred, mark.constraints = slices.Clone(s.deferred), s.constraints.clone()
		if len(s.cursors) > 0 { // a PL/pgSQL EXCEPTION block takes a savepoint on every entry: none made for none
			mark.cursors = make(map[string]bool, len(s.cursors))
			for name := range s.cursors {
				mark.cursors[name] = true
			}
		}
		if s.block != nil {
			after := s.block.after.clone()
			mark.after = &after
		}
		s.savepoints = append(s.savepoints, mark)
		return nil
	}
	i := len(s.savepoints) - 1
	for i >= 0 && s.savepoints[i].name != name {
		i--
	}
	if kind == pg.TransactionStmtKind_TRANS_STMT_RELEASE {
		if s.status == TxFailed {
			return errorf(CodeInFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
		}
		if i < 0 {
			return fail(errorf(CodeInvalidSavepoint, "savepoint \"%s\" does not exist", name))
		}
		s.savepoints = s.savepoints[:i]
		return nil
	}
	if i < 0 {
		return fail(errorf(CodeInvalidSavepoint, "savepoint \"%s\" does not exist", name))
	}
	var handed map[string]seqValue
	if s.ddl != nil {
		handed = s.ddl.handed
	}
	if err := s.txn.rollbackTo(s.savepoints[i].sp); err != nil {
		return fail(savepointError(err))
	}
	mark := s.savepoints[i]
	s.params = mark.params.clone()
	if s.block != nil {
		if mark.after != nil {
			s.block.after = mark.after.clone()
		} else {
			s.block.after = mark.params.clone()
		}
	}
	s.pendingListen, s.pendingNotify = s.pendingListen[:mark.listen], s.pendingNotify[:mark.notify]
	s.rollbackAdvisory(mark.advisory)
	s.e.locks.keepOnly(s, mark.tableLocks)
	s.dropBuilt(s.ddl, mark.ddl) // the indexes built at once since the savepoint
	var validators map[string]bson.D
	if s.ddl != nil {
		validators = s.ddl.validators
	}
	s.ddl = mark.ddl.clone()
	s.resyncValidators(validators)
	// The deferred checks are those of the savepoint's time: one run since (SET CONSTRAINTS ... IMMEDIATE) runs
	// again at COMMIT, as PostgreSQL fires a trigger event again whose firing a rollback undid.
	s.deferred, s.constraints = slices.Clone(mark.deferred), mark.constraints.clone()
	for name := range s.cursors {
		if !mark.cursors[name] {
			delete(s.cursors, name) // a cursor DECLAREd since the savepoint, as PostgreSQL drops its portal
		}
	}
	if err := s.keepHanded(context.Background(), handed); err != nil {
		return fail(err)
	}
	s.savepoints = s.savepoints[:i+1]
	s.status = TxActive
	return nil
}

// noTransaction is the warning of COMMIT or ROLLBACK outside a transaction block.
func noTransaction() []*Error {
	return []*Error{errorf(CodeNoActiveSQLTransaction, "there is no transaction in progress")}
}

// begin opens a transaction block.
func (s *Session) begin(ctx context.Context) error {
	txn, err := s.e.b.begin(ctx, s)
	if err != nil {
		return AsError(err)
	}
	s.txn, s.status, s.txnStart = txn, TxActive, time.Now().UTC()
	s.txnGen++
	s.xid = 0
	s.txReadOnly, s.blockRan = s.params.readOnly, false
	return nil
}

// alignRows fits rows to the columns a statement was described with: a
// collection written over the MongoDB port may show fields when the
// statement runs that the sample read at Prepare did not have (they are
// dropped), or lack some (they are NULL). Same-named columns are matched in
// order.
func alignRows(want, got []Column, rows [][]any) [][]any {
	if len(want) == len(got) {
		same := true
		for i := range want {
			same = same && want[i].Name == got[i].Name
		}
		if same {
			return rows
		}
	}
	pos := make([]int, len(want))
	used := make([]bool, len(got))
	for i, w := range want {
		pos[i] = -1
		for j, g := range got {
			if !used[j] && g.Name == w.Name {
				pos[i], used[j] = j, true
				break
			}
		}
	}
	out := make([][]any, len(rows))
	for r, row := range rows {
		o := make([]any, len(want))
		for i, p := range pos {
			if p >= 0 {
				o[i] = row[p]
			}
		}
		out[r] = o
	}
	return out
}

// transactionNumber is what txid_current and pg_current_xact_id answer: a number the Engine hands the
// transaction (the block, or an autocommitted statement) the first time one of them asks, the same for the rest
// of it, larger for every later transaction of any session of the Engine. It is not PostgreSQL's xid: nothing
// else uses it, writes do not take one, and it starts again from 1 when the Engine does. With ifAssigned it is
// NULL until the transaction has asked (txid_current_if_assigned, pg_current_xact_id_if_assigned).
func (s *Session) transactionNumber(ifAssigned bool) any {
	if s.xid == 0 {
		if ifAssigned {
			return nil
		}
		s.xid = s.e.nextXID.Add(1)
	}
	return int64(s.xid)
}
