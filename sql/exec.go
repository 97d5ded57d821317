package sql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// errNeedsTxn is returned by a statement that found, having started outside
// any transaction, that it must read and write in one; run runs it again in
// an internal transaction. Nothing was written when it is returned.
var errNeedsTxn = errors.New("statement needs a transaction")

// exec is the state of one statement's execution.
type exec struct {
	s  *Session
	st *statement // the statement run; nil while describing

	ctx       context.Context // carries the transaction's session, when in one
	base      context.Context // without it: catalog reads
	params    []any
	paramOIDs []uint32 // when describing: the parameter types being inferred
	// paramTypes are the types of a prepared statement's parameters when it runs (typeOf gives them: d - $1 of a
	// date parameter is date arithmetic).
	paramTypes []uint32
	describe   bool   // plan and type only: scan no rows, write nothing
	inTxn      bool   // statements run in a transaction (a block or an internal one)
	txnGen     uint64 // the session's transaction ctx carries (Session.txnGen)
	// atomic is set while a function's or trigger's body runs: a procedure it calls may not end the transaction.
	atomic bool
	// cascadeChecks counts the writes through views WITH CASCADED CHECK OPTION under way: the views under them
	// check their rows too (viewwrite.go).
	cascadeChecks int
	// transition are the transition tables (REFERENCING) of the statement trigger being called, by name.
	transition map[string]*relation
	// looked are the tables the statement looked up, by name: a duplicate key's message names its constraint from
	// them after a failure has ended the block's transaction, through which a block that changed the catalog reads it.
	looked map[string]*table
	ctes   []map[string]*relation
	nowT   time.Time
	// insertValues is set while an INSERT's own VALUES list is evaluated: DEFAULT is allowed there.
	insertValues bool
	// lockSel is the SELECT ... FOR UPDATE whose rows are being read (locking.go).
	lockSel *pg.SelectStmt
	// warnings are the statement's warnings (Result.Warnings).
	warnings []*Error
	// viewDepth counts the views being evaluated inside one another.
	viewDepth int
	// fillingMatView is the materialized view a REFRESH is writing, droppingMatViews set while DROP MATERIALIZED
	// VIEW drops them as tables (matviews.go).
	fillingMatView   string
	droppingMatViews bool
	// from names the sources of the FROM clause being read, for the conditions pushed to its tables' scans
	// (joinplan.go).
	from fromNames
	// ordered is the ORDER BY ... LIMIT the one table of the SELECT whose FROM is being read may read in order;
	// noOrderedScan is set while a SELECT reads again without it (orderedscan.go).
	ordered       *orderedScan
	noOrderedScan bool
	// lookup is the extra filter keyLookup gave the table scan about to be read under the alias lookupAlias.
	lookup      bson.D
	lookupAlias string
	// subResults are the subqueries of expressions run so far, their rows kept when they read nothing of the rows
	// around them; subRuns are those under way (initplan.go).
	subResults map[*pg.SubLink]*subResult
	subRuns    []*subRun
	// funcs are the database's functions (CREATE FUNCTION), read at the statement's first call of a name no
	// built-in function has; funcDepth counts the function bodies being run inside one another (functions.go).
	funcs     map[string][]*userFunc
	funcDepth int
	// srfValue is the current value of each set-returning call of a select list while its rows are made.
	srfValue map[*pg.FuncCall]any
	// copyIn is the COPY ... FROM STDIN being run, read before the statement's transaction began (copy.go).
	copyIn *copyInput
	// fk holds the foreign-key checks that wait for the statement's end (fkeys.go); nil outside a statement
	// run in a transaction.
	fk *fkPending
	// indexes memoizes pgIndexes for the statement, which may ask for them once per catalog row; relNames the
	// relations' names for regclass casts.
	indexes  []pgIndex
	relNames []string
	// ex records the plan of the statement EXPLAIN runs (explain.go); nil otherwise.
	ex *planRecorder
	// unseen names the relations the statement's DDL found missing when it would have waited for their lock
	// (lockRelDDL): its lookups find them missing too.
	unseen map[string]bool
	// sink takes the rows of the statement sinkStmt when it streams them (stream.go); streaming is the scan of
	// a streamed query under way.
	sink      RowSink
	sinkStmt  *pg.Node
	streaming *tableStream
	// litTypes keeps, by COALESCE, GREATEST / LEAST or CASE expression, the type its untyped literals are read as
	// (literalType).
	litTypes map[any]uint32
}

func (s *Session) newExec(ctx context.Context, params []any) *exec {
	ctx = s.observed(ctx)
	x := &exec{s: s, ctx: ctx, base: ctx, params: params, paramTypes: s.paramTypes}
	if s.txn != nil {
		x.ctx = s.txn.context(ctx)
		x.inTxn, x.txnGen = true, s.txnGen
	}
	return x
}

// warn records a warning of the statement.
func (x *exec) warn(w *Error) { x.warnings = append(x.warnings, w) }

// now is the statement's (in a transaction block, the transaction's)
// timestamp, at the millisecond precision a BSON date keeps.
func (x *exec) now() time.Time {
	if x.s.status == TxActive && !x.s.txnStart.IsZero() {
		return x.s.txnStart.Truncate(time.Millisecond)
	}
	return x.statementNow()
}

// statementNow is statement_timestamp(): the time the statement first asked for the time, the same for all of
// it (outside a transaction block, now() too).
func (x *exec) statementNow() time.Time {
	if x.nowT.IsZero() {
		x.nowT = time.Now().UTC().Truncate(time.Millisecond)
	}
	return x.nowT
}

// run runs one statement. Outside a transaction block, a statement that is
// not one atomic operation of the query language runs as an internal
// transaction, retried on write conflicts.
func (x *exec) run(st *statement) (*Result, error) {
	n := st.raw.Stmt
	if st.bad != nil {
		e := *st.bad
		return nil, &e
	}
	if !x.describe {
		x.st = st
		if cs := n.GetCopyStmt(); cs != nil && cs.IsFrom {
			if err := x.readCopyData(cs); err != nil {
				return nil, err
			}
		}
	}
	if !x.inTxn && !x.describe && !st.txn {
		res, err := x.dispatch(n)
		if !errors.Is(err, errNeedsTxn) {
			return res, err
		}
	}
	if !x.inTxn && !x.describe {
		var res *Result
		err := x.s.e.b.withTransaction(x.base, func(ctx context.Context) error {
			y := *x
			y.ctx, y.inTxn, y.ctes = ctx, true, nil
			var err error
			res, err = y.dispatchChecked(n)
			return err
		})
		return res, err
	}
	if x.inTxn && !x.describe {
		return x.dispatchChecked(n)
	}
	return x.dispatch(n)
}

// dispatchChecked dispatches a statement run in a transaction, then runs the foreign-key checks its writes left
// for its end, as PostgreSQL checks NO ACTION constraints once the statement is done.
func (x *exec) dispatchChecked(n *pg.Node) (*Result, error) {
	outer := x.fk
	x.fk = &fkPending{}
	res, err := x.dispatch(n)
	pending := x.fk
	x.fk = outer
	if err != nil {
		return nil, err
	}
	if err := pending.run(); err != nil {
		return nil, err
	}
	return res, nil
}

func (x *exec) dispatch(n *pg.Node) (*Result, error) {
	if err := x.refuseInBlock(n); err != nil {
		return nil, err
	}
	if err := x.statementLocks(n); err != nil {
		return nil, err
	}
	switch {
	case n.GetExecuteStmt() != nil:
		// Only described: the columns of the statement PREPARE made (Session.runStmt runs it).
		if st, ok := x.s.named[n.GetExecuteStmt().Name]; ok {
			return &Result{Columns: st.Columns}, nil
		}
		return &Result{}, nil
	case n.GetTransactionStmt() != nil, n.GetPrepareStmt() != nil, n.GetDeallocateStmt() != nil:
		// Only described (a client may prepare BEGIN); Session.runStmt runs them.
		return &Result{}, nil
	case n.GetSelectStmt() != nil && n.GetSelectStmt().IntoClause != nil:
		sel := proto.Clone(n.GetSelectStmt()).(*pg.SelectStmt) // SELECT ... INTO name: CREATE TABLE name AS the SELECT
		into := sel.IntoClause
		sel.IntoClause = nil
		return x.createTableAs(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}}, into, false)
	case n.GetSelectStmt() != nil:
		if n == x.sinkStmt {
			if res, ok, err := x.streamQuery(n.GetSelectStmt()); ok {
				return res, err
			}
		}
		return x.query(n.GetSelectStmt())
	case n.GetCreateTableAsStmt() != nil:
		cta := n.GetCreateTableAsStmt()
		if cta.Objtype == pg.ObjectType_OBJECT_MATVIEW {
			return x.createMatView(cta)
		}
		if cta.Objtype != pg.ObjectType_OBJECT_TABLE {
			return nil, unsupported("CREATE TABLE AS of " + objectWord(cta.Objtype))
		}
		return x.createTableAs(cta.Query, cta.Into, cta.IfNotExists)
	case n.GetRefreshMatViewStmt() != nil:
		return x.refreshMatView(n.GetRefreshMatViewStmt())
	case n.GetExplainStmt() != nil:
		return x.explain(n.GetExplainStmt())
	case n.GetInsertStmt() != nil:
		rel, tag, err := x.insert(n.GetInsertStmt())
		return dmlResult(rel, tag, err)
	case n.GetUpdateStmt() != nil:
		rel, tag, err := x.update(n.GetUpdateStmt())
		return dmlResult(rel, tag, err)
	case n.GetDeleteStmt() != nil:
		rel, tag, err := x.delete(n.GetDeleteStmt())
		return dmlResult(rel, tag, err)
	case n.GetMergeStmt() != nil:
		rel, tag, err := x.merge(n.GetMergeStmt())
		return dmlResult(rel, tag, err)
	case n.GetCreateStmt() != nil:
		return x.createTable(n.GetCreateStmt())
	case n.GetViewStmt() != nil:
		return x.createView(n.GetViewStmt())
	case n.GetIndexStmt() != nil:
		return x.createIndex(n.GetIndexStmt())
	case n.GetDropStmt() != nil && n.GetDropStmt().RemoveType == pg.ObjectType_OBJECT_MATVIEW:
		return x.dropMatViews(n.GetDropStmt())
	case n.GetDropStmt() != nil:
		return x.drop(n.GetDropStmt())
	case n.GetTruncateStmt() != nil:
		return x.truncate(n.GetTruncateStmt())
	case n.GetRenameStmt() != nil:
		return x.rename(n.GetRenameStmt())
	case n.GetAlterTableStmt() != nil:
		return x.alterTable(n.GetAlterTableStmt())
	case n.GetVariableSetStmt() != nil:
		return x.setStmt(n.GetVariableSetStmt())
	case n.GetVariableShowStmt() != nil:
		return x.show(n.GetVariableShowStmt().Name)
	case n.GetDiscardStmt() != nil:
		return &Result{Tag: "DISCARD ALL"}, nil
	case n.GetCopyStmt() != nil:
		return x.copy(n.GetCopyStmt())
	case n.GetVacuumStmt() != nil:
		return x.vacuum(n.GetVacuumStmt())
	case n.GetReindexStmt() != nil:
		return x.reindex(n.GetReindexStmt())
	case n.GetClusterStmt() != nil:
		return x.cluster(n.GetClusterStmt())
	case n.GetCheckPointStmt() != nil:
		return &Result{Tag: "CHECKPOINT"}, nil // every commit is durable when acknowledged: nothing waits to be written
	case n.GetCreateExtensionStmt() != nil:
		return x.createExtension(n.GetCreateExtensionStmt())
	case n.GetCreateSchemaStmt() != nil:
		return x.createSchema(n.GetCreateSchemaStmt())
	case n.GetCommentStmt() != nil:
		return x.comment(n.GetCommentStmt())
	case n.GetCreateSeqStmt() != nil:
		return x.createSequenceStmt(n.GetCreateSeqStmt())
	case n.GetAlterSeqStmt() != nil:
		return x.alterSequence(n.GetAlterSeqStmt())
	case n.GetCreateEnumStmt() != nil:
		return x.createEnum(n.GetCreateEnumStmt())
	case n.GetConstraintsSetStmt() != nil:
		return x.setConstraints(n.GetConstraintsSetStmt())
	case n.GetLockStmt() != nil:
		return x.lockTableStmt(n.GetLockStmt())
	case n.GetAlterEnumStmt() != nil:
		return x.alterEnum(n.GetAlterEnumStmt())
	case n.GetCreateDomainStmt() != nil:
		return x.createDomain(n.GetCreateDomainStmt())
	case n.GetCreatedbStmt() != nil:
		return x.createDatabase(n.GetCreatedbStmt())
	case n.GetDropdbStmt() != nil:
		return x.dropDatabase(n.GetDropdbStmt())
	case n.GetCallStmt() != nil:
		return x.callProcedure(n.GetCallStmt())
	case n.GetCreateTrigStmt() != nil:
		return x.createTrigger(n.GetCreateTrigStmt())
	case n.GetDoStmt() != nil:
		return x.doBlock(n.GetDoStmt())
	case n.GetCreateFunctionStmt() != nil:
		return x.createFunction(n.GetCreateFunctionStmt())
	case n.GetAlterDomainStmt() != nil:
		return x.alterDomain(n.GetAlterDomainStmt())
	case n.GetDeclareCursorStmt() != nil:
		return x.declareCursor(n.GetDeclareCursorStmt())
	case n.GetFetchStmt() != nil:
		return x.fetch(n.GetFetchStmt())
	case n.GetClosePortalStmt() != nil:
		return x.closeCursor(n.GetClosePortalStmt())
	case n.GetAlterOwnerStmt() != nil:
		return x.alterOwner(n.GetAlterOwnerStmt())
	}
	if res, ok, err := x.dispatchNotify(n); ok {
		return res, err
	}
	if n.GetGrantStmt() != nil || n.GetGrantRoleStmt() != nil {
		return nil, &Error{Code: CodeFeatureNotSupported, Message: "GRANT and REVOKE are not supported by Concord: what a user may do comes from the user's roles",
			Hint: "Grant roles over the MongoDB port (grantRolesToUser). Restore a pg_dump script made with --no-privileges (-x)."}
	}
	return nil, unsupported(fmt.Sprintf("the statement %s", nodeName(n)))
}

// dmlResult is the Result of INSERT, UPDATE and DELETE: rows only with
// RETURNING.
func dmlResult(rel *relation, tag string, err error) (*Result, error) {
	if err != nil {
		return nil, err
	}
	res := &Result{Tag: tag}
	if rel != nil {
		res.Columns, res.Rows = resultOf(rel)
	}
	return res, nil
}

// resultOf returns a relation's visible columns and rows.
func resultOf(rel *relation) ([]Column, [][]any) {
	vis := rel.visible("")
	cols := make([]Column, len(vis))
	for i, c := range vis {
		cols[i] = Column{Name: rel.cols[c].name, OID: rel.cols[c].oid, TypMod: rel.cols[c].typmod, Scale: rel.cols[c].scale}
	}
	rows := make([][]any, len(rel.rows))
	for r, row := range rel.rows {
		out := make([]any, len(vis))
		for i, c := range vis {
			out[i] = row[c]
		}
		rows[r] = out
	}
	return cols, rows
}

// builtinSettings are the run-time parameters' values before a session sets them.
func (x *exec) builtinSettings() map[string]string {
	vals := map[string]string{
		"transaction_isolation":         "repeatable read",
		"default_transaction_isolation": "repeatable read",
		"server_version":                ServerVersion,
		"server_version_num":            "150000",
		"server_encoding":               "UTF8",
		"client_encoding":               "UTF8",
		"datestyle":                     "ISO, MDY",
		"intervalstyle":                 "postgres",
		"timezone":                      "UTC",
		"standard_conforming_strings":   "on",
		"integer_datetimes":             "on",
		"search_path":                   `"$user", public`, // PostgreSQL's default; the public schema is the only one
		"max_identifier_length":         "63",
		"max_index_keys":                "32", // pgjdbc reads it to list a foreign key's columns
		"synchronous_commit":            "on", // every commit is durable before it is acknowledged
		"statement_timeout":             "0",
		"lock_timeout":                  "0",
		"deadlock_timeout":              "1s",
		"application_name":              "",
		"default_transaction_read_only": "off",
		"transaction_read_only":         "off",
	}
	if x.s.readOnlyNow() {
		vals["transaction_read_only"] = "on"
	}
	return vals
}

// settings are the session's run-time parameters: the built-in values, and those it set.
func (x *exec) settings() map[string]string {
	vals := x.builtinSettings()
	for k, v := range x.s.params.vals {
		vals[k] = v
	}
	return vals
}

// show answers SHOW name.
func (x *exec) show(name string) (*Result, error) {
	v, ok := x.s.params.vals[name]
	if !ok {
		if v, ok = x.builtinSettings()[name]; !ok {
			return nil, errorf(CodeUndefinedObject, "unrecognized configuration parameter %q", name)
		}
	}
	if n, ok := mixedCaseParams[name]; ok {
		name = n // SHOW's column is the parameter's name as PostgreSQL spells it
	}
	return &Result{Columns: []Column{{Name: name, OID: OIDText}}, Rows: [][]any{{v}}, Tag: "SHOW"}, nil
}

// mixedCaseParams are the parameters PostgreSQL spells in mixed case, by lower-case name.
var mixedCaseParams = map[string]string{"timezone": "TimeZone", "datestyle": "DateStyle", "intervalstyle": "IntervalStyle"}

// TimeZone is the session's TimeZone as SHOW writes it, which the PostgreSQL port reports to its client in
// ParameterStatus when it changes.
func (s *Session) TimeZone() string {
	if v, ok := s.params.vals["timezone"]; ok {
		return v
	}
	return "UTC"
}

// currentSetting is current_setting(name [, missing_ok]): SHOW's value, or NULL for an unknown name when
// missing_ok.
func (x *exec) currentSetting(args []any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errorf(CodeUndefinedFunction, "function current_setting with %d arguments does not exist", len(args))
	}
	if args[0] == nil {
		return nil, nil
	}
	res, err := x.show(strings.ToLower(formatText(args[0])))
	if err != nil {
		if len(args) == 2 && asBool(args[1]) == true {
			return nil, nil
		}
		return nil, err
	}
	return res.Rows[0][0], nil
}

// setConfig is set_config(name, value, is_local): SET, or SET LOCAL when is_local, of the parameter; it returns
// the value SHOW then gives. pg_dump and its scripts call it to empty search_path.
func (x *exec) setConfig(args []any) (any, error) {
	if len(args) != 3 {
		return nil, errorf(CodeUndefinedFunction, "function set_config with %d arguments does not exist", len(args))
	}
	if args[0] == nil {
		return nil, errorf(CodeNullValueNotAllowed, "SET requires parameter name")
	}
	value := ""
	if args[1] != nil {
		value = formatText(args[1])
	}
	local := asBool(args[2]) == true
	if local && x.s.status == TxIdle {
		return value, nil // SET LOCAL outside a block lasts no longer than the statement
	}
	if err := x.s.setParam(formatText(args[0]), value, local); err != nil {
		return nil, err
	}
	return x.currentSetting(args[:1])
}

// needsTxn reports whether a statement must run as an internal transaction
// outside a transaction block: anything reading more than one source or
// writing more than one document atomically. One-table reads, UPDATE and
// DELETE without FROM, USING or subqueries and one-row INSERT ... VALUES do
// not; an UPDATE or DELETE that finds its WHERE clause may match more than
// one row asks for one when it runs (errNeedsTxn).
func needsTxn(n *pg.Node) bool {
	if n.GetCreateStmt() != nil || n.GetAlterTableStmt() != nil || n.GetViewStmt() != nil {
		return false // DDL runs outside transactions; a subquery in it (a CHECK's, a view's) is not run
	}
	if walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch m.Interface().(type) {
		case *pg.SubLink, *pg.WithClause, *pg.JoinExpr, *pg.RangeSubselect, *pg.OnConflictClause:
			return true
		}
		return false
	}) {
		return true
	}
	switch {
	case n.GetExplainStmt() != nil:
		return n.GetExplainStmt().Query != nil && needsTxn(n.GetExplainStmt().Query)
	case n.GetSelectStmt() != nil:
		return len(n.GetSelectStmt().FromClause) > 1
	case n.GetInsertStmt() != nil:
		sel := n.GetInsertStmt().SelectStmt.GetSelectStmt()
		return sel == nil || len(sel.ValuesLists) != 1
	case n.GetUpdateStmt() != nil:
		return len(n.GetUpdateStmt().FromClause) > 0
	case n.GetDeleteStmt() != nil:
		return len(n.GetDeleteStmt().UsingClause) > 0
	case n.GetMergeStmt() != nil:
		return true // a join and any number of writes: all of them or none
	case n.GetTruncateStmt() != nil:
		ts := n.GetTruncateStmt() // all the tables or none, those CASCADE adds too
		return len(ts.Relations) > 1 || ts.Behavior == pg.DropBehavior_DROP_CASCADE
	case n.GetCopyStmt() != nil:
		cs := n.GetCopyStmt() // every row or none; a query's snapshot, as a SELECT's
		return cs.IsFrom || cs.Query != nil && needsTxn(cs.Query)
	}
	return false
}

// walk reports whether fn holds for m or any message inside it.
func walk(m protoreflect.Message, fn func(protoreflect.Message) bool) bool {
	if !m.IsValid() {
		return false
	}
	if fn(m) {
		return true
	}
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				found = walk(l.Get(i).Message(), fn)
			}
		case fd.Message() != nil && !fd.IsMap():
			found = walk(v.Message(), fn)
		}
		return !found
	})
	return found
}
