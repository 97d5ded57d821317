package sql

// Functions and procedures in LANGUAGE sql whose body is more than one query: several statements, or statements
// that write (INSERT, UPDATE, DELETE, MERGE, DDL). A call runs the statements in order, in the caller's
// transaction (a statement of its own outside a transaction block), with the arguments as parameters: by
// position ($1) and by name, where a name that is also a column of a table the statement reads is the column, as
// in PostgreSQL's SQL functions. A function's result is its last statement's rows (a SELECT's, or an INSERT,
// UPDATE or DELETE's RETURNING): the first row's first column for a scalar function. The statements run through
// the PL/pgSQL interpreter (plrun.go), as a body of plain statements whose variables are the parameters.

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// sqlBody reads a SQL-language routine's body: one SELECT (sel, run as a query), or the statements it holds
// (checked as CREATE FUNCTION checks them: a final statement that gives the function's result rows unless it
// returns void or is a procedure).
func (x *exec) sqlBody(fn *userFunc, body string) (*pg.SelectStmt, []*statement, error) {
	stmts, err := x.s.e.cache.parse(body)
	if err != nil {
		return nil, nil, err
	}
	if len(stmts) == 1 && !fn.Procedure {
		if sel := stmts[0].raw.Stmt.GetSelectStmt(); sel != nil && !writingWith(sel.WithClause) {
			return sel, nil, nil
		}
	}
	if fn.Procedure && !fn.OutParams || fn.Returns == OIDVoid && !fn.Procedure {
		return nil, stmts, nil
	}
	var last *pg.Node
	if len(stmts) > 0 {
		last = stmts[len(stmts)-1].raw.Stmt
	}
	if !givesRows(last) {
		return nil, nil, &Error{Code: CodeInvalidFunctionDefinition, Message: fmt.Sprintf("return type mismatch in function declared to return %s", TypeName(fn.Returns)),
			Detail: "Function's final statement must be SELECT or INSERT/UPDATE/DELETE RETURNING."}
	}
	return nil, stmts, nil
}

// writingWith reports whether a WITH clause holds a query that writes.
func writingWith(w *pg.WithClause) bool {
	for _, c := range w.GetCtes() {
		q := c.GetCommonTableExpr().GetCtequery()
		if q.GetInsertStmt() != nil || q.GetUpdateStmt() != nil || q.GetDeleteStmt() != nil || q.GetMergeStmt() != nil {
			return true
		}
	}
	return false
}

// finalColumns is PostgreSQL's 42P13 for a final statement that gives got columns where the function's result has
// want: a scalar result takes exactly one.
func (fn *userFunc) finalColumns(want, got int) *Error {
	if got == want || want == 1 && fn.Returns == OIDRecord && fn.RetTable == "" && !fn.OutParams {
		return nil
	}
	msg := "Final statement returns too few columns."
	switch {
	case want == 1 && len(fn.OutNames) == 0:
		msg = "Final statement must return exactly one column."
	case got > want:
		msg = "Final statement returns too many columns."
	}
	return &Error{Code: CodeInvalidFunctionDefinition, Message: fmt.Sprintf("return type mismatch in function declared to return %s", fn.resultName()),
		Detail: msg}
}

// checkFinal checks, as CREATE FUNCTION does, that a SQL function's final statement, when it is a SELECT of tables
// that exist already, gives as many columns as the function returns.
func (x *exec) checkFinal(fn *userFunc, stmts []*statement) error {
	if fn.Procedure || fn.Returns == OIDVoid || len(stmts) == 0 {
		return nil
	}
	sel := stmts[len(stmts)-1].raw.Stmt.GetSelectStmt()
	if sel == nil {
		return nil
	}
	args := make([]any, len(fn.ArgTypes))
	y := x.functionExec(fn, args)
	y.describe = true
	rel, err := y.selectRows(sel, functionScope(fn, args), -1)
	if err != nil {
		return nil // a table an earlier statement makes, say: the call checks the columns
	}
	want := 1
	if len(fn.OutNames) > 0 {
		want = len(fn.OutNames)
	}
	if e := fn.finalColumns(want, len(rel.visible(""))); e != nil {
		return e
	}
	return nil
}

// givesRows reports whether a statement returns rows: a SELECT, or a write with RETURNING.
func givesRows(n *pg.Node) bool {
	switch {
	case n == nil:
		return false
	case n.GetSelectStmt() != nil:
		return true
	case n.GetInsertStmt() != nil:
		return len(n.GetInsertStmt().ReturningList) > 0
	case n.GetUpdateStmt() != nil:
		return len(n.GetUpdateStmt().ReturningList) > 0
	case n.GetDeleteStmt() != nil:
		return len(n.GetDeleteStmt().ReturningList) > 0
	}
	return false
}

// transactionWord is the command a transaction statement is, as PostgreSQL's errors name it.
func transactionWord(ts *pg.TransactionStmt) string {
	switch ts.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_COMMIT_PREPARED:
		return "COMMIT"
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_PREPARED, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK"
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT, pg.TransactionStmtKind_TRANS_STMT_RELEASE:
		return "SAVEPOINT"
	}
	return "BEGIN"
}

// sqlRoutine is a SQL-language routine's statements as a PL/pgSQL body: its parameters the variables, each
// statement one to run for its rows. It is kept in plCache by the routine's identity and body.
func sqlRoutine(fn *userFunc, stmts []*statement, body string) *plFunc {
	key := "\x00sql " + fn.ID + "\x00" + body
	plCache.mu.Lock()
	f := plCache.m[key]
	plCache.mu.Unlock()
	if f != nil {
		return f
	}
	f = &plFunc{found: -1, sqlLang: true}
	for i, n := range fn.ArgNames {
		typ := TypeName(fn.ArgTypes[i])
		if i < len(fn.ArgTables) && fn.ArgTables[i] != "" {
			typ = fn.ArgTables[i] // a table's row: a variable of its row type
		}
		f.datums = append(f.datums, &plDatum{kind: "var", name: n, typ: typ, argument: true})
	}
	block := &plStmt{kind: "block"}
	for i, st := range stmts {
		text := body
		if loc, n := int(st.raw.StmtLocation), int(st.raw.StmtLen); loc >= 0 && loc <= len(body) {
			text = body[loc:]
			if n > 0 && loc+n <= len(body) {
				text = body[loc : loc+n]
			}
		}
		block.body = append(block.body, &plStmt{kind: "sqlstmt", lineno: i + 1, query: &plExpr{query: strings.TrimSpace(text), mode: plSQLStatement}})
	}
	f.action = block
	plCache.mu.Lock()
	if plCache.m == nil || len(plCache.m) >= plCacheMax {
		plCache.m = map[string]*plFunc{}
	}
	plCache.m[key] = f
	plCache.mu.Unlock()
	return f
}

// plSQLStatement is the mode of a SQL-language routine's statement (plExpr.mode): run as written, its errors not
// quoting it.
const plSQLStatement = 100

// callSQLRoutine runs a SQL-language routine's statements for one call: the last one's rows, as the function's
// relation (nil rows for a procedure).
func (x *exec) callSQLRoutine(fn *userFunc, stmts []*statement, args []any) (*relation, error) {
	rel := fn.resultRelation()
	if x.describe {
		return rel, nil
	}
	for _, st := range stmts {
		if ts := st.raw.Stmt.GetTransactionStmt(); ts != nil {
			return nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("%s is not allowed in an SQL function", transactionWord(ts)),
				Where: fmt.Sprintf("SQL function \"%s\" during startup", fn.Name)}
		}
	}
	if x.s.txn == nil {
		return nil, errNeedsBlock
	}
	if fn.Volatility != "v" {
		for _, st := range stmts {
			if w := writeCommand(st.raw.Stmt); w != "" {
				return nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("%s is not allowed in a non-volatile function", w),
					Where: fmt.Sprintf("SQL function \"%s\" during startup", fn.Name)}
			}
		}
	}
	atomic := x.atomic
	x.atomic = true // a SQL routine's statements may not end the transaction, nor may a procedure they call
	p, _, err := x.runPL(sqlRoutine(fn, stmts, fn.Body), fn, args, nil)
	x.atomic = atomic
	if err != nil {
		return nil, err
	}
	if p.sqlRes != nil && (fn.Procedure && fn.OutParams || !fn.Procedure && fn.Returns != OIDVoid) {
		if err := fn.finalColumns(len(rel.cols), len(p.sqlRes.Columns)); err != nil {
			err.Where = fmt.Sprintf("SQL function \"%s\" during startup", fn.Name)
			return nil, err
		}
		rel.rows = p.sqlRes.Rows
	}
	return rel, nil
}
