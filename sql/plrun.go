package sql

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// errNeedsBlock is returned by a statement that runs PL/pgSQL (a DO block, a call of a PL/pgSQL function)
// outside a transaction block: Session.runStmt1 runs it again inside one, committed when it succeeds. A body's
// EXCEPTION clauses roll back to savepoints, which only a transaction block has.
var errNeedsBlock = errors.New("statement needs a transaction block")

// maxLoopIterations bounds the iterations of one loop, as maxRecursiveRows bounds a recursive query: a body that
// never leaves its loop ends with an error instead of running until the statement is canceled.
const maxLoopIterations = 100_000_000

// plRun is one run of a PL/pgSQL body: a DO block's, or a function call's.
type plRun struct {
	x  *exec // the statement that runs the body; its statements run in copies of it
	f  *plFunc
	fn *userFunc // nil for a DO block

	vals     []any    // each datum's value (records: *plRecord)
	types    []uint32 // each scalar datum's type (a CASE's hidden variable takes its value's)
	prep     *plPrepared
	rowCount int64
	// caught is the error the innermost running handler caught (RAISE; re-raises it, GET STACKED DIAGNOSTICS
	// reads it).
	caught *Error
	ret    any
	retSet [][]any
	depth  int // savepoints taken
	steps  int
	// tagged are the errors this run has given their context (PostgreSQL's CONTEXT line of the statement).
	tagged map[*Error]bool
	// trig is a trigger function's call: NEW, OLD and the TG_ variables (triggers.go); nil otherwise.
	trig *plTrigger
	// sqlRes is the result of a SQL-language routine's last statement run.
	sqlRes *Result
	// transition are a statement trigger's transition tables, which the body's statements read as WITH queries.
	transition map[string]*relation
	// scope are the variables of the loops and blocks running, innermost last (varNamed).
	scope []int
	// labels are the labeled blocks and loops running, innermost last, with their variables: label.name finds
	// one of them.
	labels []plLabel
}

// plLabel is a running block's or loop's label and the variables it declares.
type plLabel struct {
	name string
	vars []int
}

// plPrepared is what a run needs of its body before it starts, and compiles as it goes: kept by the session
// between calls of a function (Session.plPrep) while the catalog stays at the generation it was made at, since
// the types and tables the body names decide it.
type plPrepared struct {
	gen   uint64
	types []uint32 // each scalar datum's declared type
	// rowtype marks the scalar-declared variables of a table's row type (v t%ROWTYPE, v t): records.
	rowtype map[int]bool
	// compiled holds each expression's statement, its variables made parameters.
	compiled map[*plExpr]*plCompiled
	// fields are the record fields the body's SQL reads that have no datum of their own (v.f of a %ROWTYPE
	// variable, a TG_ variable): parameter len(datums)+i+1 is fields[i].
	fields []plField
}

// plPrepMax bounds the bodies a session keeps prepared: past it, it starts again.
const plPrepMax = 64

// plField is a field of a record variable.
type plField struct {
	rec  int
	name string
}

// plRecord is a record variable's row. null marks a variable of a table's row type not assigned yet: the whole row
// is NULL, and each field reads NULL of its column's type until one is assigned.
type plRecord struct {
	names []string
	oids  []uint32
	vals  []any
	null  bool
}

// plCompiled is an expression or statement of a body, parsed, with the datums it reads as its parameters
// ($n is datum n-1).
type plCompiled struct {
	st   *statement
	refs []int
	text string // a statement's own text, for the context of its errors ("" for an expression)
}

type plFlow int

const (
	plNext plFlow = iota
	plExit
	plContinue
	plReturn
)

// doBlock runs DO: an anonymous PL/pgSQL block.
func (x *exec) doBlock(ds *pg.DoStmt) (*Result, error) {
	body, lang := "", "plpgsql"
	for _, a := range ds.Args {
		d := a.GetDefElem()
		switch d.Defname {
		case "as":
			body = d.Arg.GetString_().GetSval()
		case "language":
			lang = strings.ToLower(d.Arg.GetString_().GetSval())
		}
	}
	if lang != "plpgsql" {
		if lang == "sql" || lang == "c" || lang == "internal" {
			return nil, errorf(CodeFeatureNotSupported, "language \"%s\" does not support inline code execution", lang)
		}
		return nil, errorf(CodeUndefinedObject, "language \"%s\" does not exist", lang)
	}
	f, err := plParse("DO " + dollarQuote(body))
	if err != nil {
		return nil, err
	}
	if x.describe {
		return &Result{Tag: "DO"}, nil
	}
	if x.s.txn == nil {
		return nil, errNeedsBlock
	}
	if _, _, err := x.runPL(f, nil, nil, nil); err != nil {
		return nil, err
	}
	return &Result{Tag: "DO"}, nil
}

// callPL runs a PL/pgSQL function's body for one call: its value, or its rows for a set-returning function.
func (x *exec) callPL(fn *userFunc, args []any) (*relation, error) {
	rel := fn.resultRelation()
	if x.describe {
		return rel, nil
	}
	if x.s.txn == nil {
		return nil, errNeedsBlock
	}
	f, err := plParseCached(plSource(fn, fn.Body))
	if err != nil {
		return nil, err
	}
	atomic := x.atomic
	x.atomic = true // a function's body may not end the transaction
	p, flow, err := x.runPL(f, fn, args, nil)
	x.atomic = atomic
	if err != nil {
		return nil, err
	}
	switch {
	case fn.OutParams && !fn.SetOf:
		rel.rows = [][]any{p.outRow()}
	case fn.RetTable != "" && !fn.SetOf:
		if flow != plReturn {
			return nil, errorf("2F005", "control reached end of function without RETURN")
		}
		row := make([]any, len(fn.OutNames))
		if rec, ok := p.ret.(record); ok {
			for i, n := range fn.OutNames {
				if j := slices.Index(rec.names, n); j >= 0 {
					row[i] = rec.vals[j]
				} else if i < len(rec.vals) && len(rec.names) == 0 {
					row[i] = rec.vals[i]
				}
			}
		} else if p.ret != nil {
			return nil, errorf(CodeDatatypeMismatch, "cannot return non-composite value from function returning composite type")
		}
		rel.rows = [][]any{row}
	case fn.SetOf || len(fn.OutNames) > 0:
		rel.rows = p.retSet
	case flow != plReturn && fn.Returns != OIDVoid:
		return nil, errorf("2F005", "control reached end of function without RETURN")
	default:
		rel.rows = [][]any{{p.ret}}
	}
	return rel, nil
}

// runPL runs a parsed PL/pgSQL body for one call: a DO block's (fn nil) or a routine's, with its arguments, and
// for a trigger function what the trigger gives it. It returns the run (its RETURN's value and rows) and how the
// body ended.
func (x *exec) runPL(f *plFunc, fn *userFunc, args []any, trig *plTrigger) (*plRun, plFlow, error) {
	p := &plRun{x: x, f: f, fn: fn, trig: trig}
	if trig != nil {
		p.transition = x.transition
	}
	if err := p.start(args); err != nil {
		return nil, plNext, err
	}
	flow, _, err := p.block(f.action)
	for local, param := range f.fromParam {
		p.vals[param] = p.vals[local] // an INOUT parameter's value
	}
	return p, flow, err
}

// start gives each datum its type and its first value: the arguments, a trigger's rows and FOUND. A block gives
// its declared variables theirs when it is entered (enterBlock).
func (p *plRun) start(args []any) error {
	if err := p.prepare(); err != nil {
		return err
	}
	p.vals, p.types = make([]any, len(p.f.datums)), slices.Clone(p.prep.types)
	p.tagged = map[*Error]bool{}
	copy(p.vals, args)
	for i, a := range args {
		if r, ok := a.(record); ok && (p.prep.rowtype[i] || p.f.datums[i].kind == "rec") {
			r, err := p.asTableRow(i, r)
			if err != nil {
				return err
			}
			p.vals[i] = &plRecord{names: r.names, oids: r.oids, vals: r.vals} // a row-typed parameter's row
		}
	}
	if p.trig != nil {
		for i, d := range p.f.datums {
			if d.kind == "rec" && d.name == "new" && p.trig.new != nil {
				p.vals[i] = p.trig.new
			}
			if d.kind == "rec" && d.name == "old" && p.trig.old != nil {
				p.vals[i] = p.trig.old
			}
		}
	}
	if p.f.found >= 0 {
		p.vals[p.f.found] = false
	}
	return nil
}

// asTableRow is argument i's row as the table's row its parameter takes: a ROW(...) not cast to the table's type
// has fields f1, f2, ..., which take the table's columns' names and types, as PostgreSQL converts it.
func (p *plRun) asTableRow(i int, r record) (record, error) {
	if p.fn == nil || i >= len(p.fn.ArgTables) || p.fn.ArgTables[i] == "" {
		return r, nil
	}
	t, err := p.x.lookupTable(p.fn.ArgTables[i], 0)
	if err != nil || len(t.Columns) != len(r.vals) {
		return r, nil
	}
	out := record{vals: make([]any, len(r.vals))}
	for j, c := range t.Columns {
		out.names, out.oids = append(out.names, c.Name), append(out.oids, c.Type)
		v := r.vals[j]
		if v != nil {
			if v, err = coerce(v, c.Type); err != nil {
				return r, err
			}
		}
		out.vals[j] = v
	}
	return out, nil
}

// prepare gives the run its body's prepared state: the one the session kept from an earlier call of the function
// at this catalog generation, or a new one (kept for the next call of a function's body, not of a DO block's).
func (p *plRun) prepare() error {
	s := p.x.s
	gen, keep := s.e.b.catalogGeneration()
	keep = keep && p.fn != nil && !p.x.blockChanged()
	if pr := s.plPrep[p.f]; keep && pr != nil && pr.gen == gen {
		p.prep = pr
		return nil
	}
	n := len(p.f.datums)
	pr := &plPrepared{gen: gen, types: make([]uint32, n), rowtype: map[int]bool{}, compiled: map[*plExpr]*plCompiled{}}
	for i, d := range p.f.datums {
		if d.kind != "var" {
			continue
		}
		if p.x.plRowType(d.typ) {
			pr.rowtype[i] = true
			continue
		}
		oid, err := p.x.plType(d.typ)
		if err != nil {
			return err
		}
		pr.types[i] = oid
	}
	if keep {
		if s.plPrep == nil || len(s.plPrep) >= plPrepMax {
			s.plPrep = map[*plFunc]*plPrepared{}
		}
		s.plPrep[p.f] = pr
	}
	p.prep = pr
	return nil
}

// plRowType reports whether a variable's declared type is a table's row: t%ROWTYPE, or the table's name.
func (x *exec) plRowType(name string) bool {
	base, ok := strings.CutSuffix(strings.ToLower(name), "%rowtype")
	if !ok {
		if _, err := typeFromName(&pg.TypeName{Names: []*pg.Node{pg.MakeStrNode(strings.Trim(base, `"`))}}); err == nil {
			return false
		}
		if strings.ContainsAny(base, " ([%") {
			return false
		}
	}
	_, err := x.lookupTable(strings.Trim(base, `"`), 0)
	return err == nil
}

// plType is the type a variable's declaration names: a type's name, or table.column%TYPE.
func (x *exec) plType(name string) (uint32, error) {
	if name == "" {
		return 0, nil
	}
	if base, ok := strings.CutSuffix(strings.ToLower(name), "%type"); ok {
		parts := strings.Split(base, ".")
		if len(parts) == 2 {
			t, err := x.lookupTable(parts[0], 0)
			if err != nil {
				return 0, err
			}
			if c := t.column(parts[1]); c != nil {
				return c.Type, nil
			}
		}
		return 0, unsupported("the %TYPE of " + base)
	}
	if strings.EqualFold(name, "record") {
		return 0, nil
	}
	n, err := parseExpr("NULL::" + name)
	if err != nil {
		return 0, errorf(CodeSyntaxError, "type \"%s\" is not a type's name", name)
	}
	tc := n.GetTypeCast()
	if tc == nil {
		return 0, errorf(CodeSyntaxError, "type \"%s\" is not a type's name", name)
	}
	return x.resolveType(tc.TypeName)
}

// stmts runs a list of statements until one leaves it (EXIT, CONTINUE, RETURN) or fails.
func (p *plRun) stmts(list []*plStmt) (plFlow, string, error) {
	for _, s := range list {
		if err := p.x.ctx.Err(); err != nil {
			return plNext, "", AsError(err)
		}
		flow, label, err := p.stmt(s)
		if err != nil || flow != plNext {
			return flow, label, err
		}
	}
	return plNext, "", nil
}

func (p *plRun) stmt(s *plStmt) (plFlow, string, error) {
	flow, label, err := p.stmt1(s)
	if err != nil && !errors.Is(err, errNeedsBlock) {
		err = p.context(err, s)
	}
	return flow, label, err
}

// plWhat names a statement in an error's context, as PostgreSQL's plpgsql_stmt_typename does.
var plWhat = map[string]string{"assign": "assignment", "if": "IF", "case": "CASE", "loop": "LOOP", "while": "WHILE",
	"fori": "FOR with integer loop variable", "fors": "FOR over SELECT rows", "foreach_a": "FOREACH over array",
	"exit": "EXIT", "return": "RETURN", "return_next": "RETURN NEXT", "return_query": "RETURN QUERY", "raise": "RAISE",
	"assert": "ASSERT", "execsql": "SQL statement", "dynexecute": "EXECUTE", "dynfors": "FOR over EXECUTE statement",
	"getdiag": "GET DIAGNOSTICS", "perform": "PERFORM", "commit": "COMMIT", "rollback": "ROLLBACK", "call": "CALL",
	"open": "OPEN", "fetch": "FETCH", "close": "CLOSE", "forc": "FOR over cursor"}

// context adds the line PostgreSQL's CONTEXT gives an error of the body, once: the function, the line and the
// statement that failed. A position in the body's SQL is dropped: it is not one in the client's statement.
func (p *plRun) context(err error, s *plStmt) error {
	e := AsError(err)
	if p.tagged[e] || s.kind == "block" {
		return err
	}
	what := plWhat[s.kind]
	if what == "" {
		what = s.kind
	}
	if s.isMove {
		what = "MOVE"
	}
	name := "inline_code_block"
	if p.fn != nil {
		name = p.fn.functionID()
	}
	line := fmt.Sprintf("PL/pgSQL function %s line %d at %s", name, s.lineno, what)
	if p.f.sqlLang {
		line = fmt.Sprintf("SQL function \"%s\" statement %d", p.fn.Name, s.lineno)
	}
	if e.Where != "" {
		line = e.Where + "\n" + line
	}
	c := *e
	c.Where, c.Position = line, 0
	p.tagged[&c] = true
	return &c
}

func (p *plRun) stmt1(s *plStmt) (plFlow, string, error) {
	switch s.kind {
	case "sqlstmt":
		res, err := p.run(s.query)
		if err != nil {
			return plNext, "", err
		}
		p.sqlRes = res
		return plNext, "", nil
	case "block":
		flow, label, err := p.block(s)
		if err == nil && flow == plExit && label != "" && label == s.label {
			return plNext, "", nil // EXIT label leaves the labeled block
		}
		return flow, label, err
	case "assign":
		v, err := p.eval(s.expr)
		if err != nil {
			return plNext, "", err
		}
		if s.subs != nil {
			return plNext, "", p.assignElement(s, v)
		}
		return plNext, "", p.assign(s.varno, v)
	case "if":
		ok, err := p.cond(s.cond)
		if err != nil || ok {
			if err != nil {
				return plNext, "", err
			}
			return p.stmts(s.thenBody)
		}
		for _, e := range s.elsifs {
			ok, err := p.cond(e.cond)
			if err != nil {
				return plNext, "", err
			}
			if ok {
				return p.stmts(e.stmts)
			}
		}
		return p.stmts(s.elseBody)
	case "case":
		return p.caseStmt(s)
	case "loop", "while", "fori", "fors", "foreach_a", "dynfors", "forc":
		return p.loop(s)
	case "exit":
		if s.cond != nil {
			ok, err := p.cond(s.cond)
			if err != nil || !ok {
				return plNext, "", err
			}
		}
		if s.isExit {
			return plExit, s.label, nil
		}
		return plContinue, s.label, nil
	case "return":
		if s.expr == nil && s.lineno == 0 && p.fn != nil && !p.fn.SetOf && (len(p.fn.OutNames) == 0 || p.fn.RetTable != "") && p.fn.Returns != OIDVoid {
			msg := "control reached end of function without RETURN"
			if p.trig != nil {
				msg = "control reached end of trigger procedure without RETURN"
			}
			e := &Error{Code: "2F005", Message: msg, Where: "PL/pgSQL function " + p.fn.functionID()}
			p.tagged[e] = true
			return plNext, "", e
		}
		if s.expr != nil {
			if p.fn != nil && p.fn.OutParams {
				return plNext, "", errorf(CodeDatatypeMismatch, "RETURN cannot have a parameter in function with OUT parameters")
			}
			if p.fn != nil && p.fn.returnsSet() {
				return plNext, "", errorf(CodeDatatypeMismatch, "RETURN cannot have a parameter in function returning set")
			}
			v, err := p.eval(s.expr)
			if err != nil {
				return plNext, "", err
			}
			p.ret = v
		}
		return plReturn, "", nil
	case "return_next":
		return plNext, "", p.returnNext(s)
	case "return_query":
		res, err := p.query(s)
		if err != nil {
			return plNext, "", err
		}
		for _, r := range res.Rows {
			p.retSet = append(p.retSet, r)
		}
		p.rowCount = int64(len(res.Rows))
		return plNext, "", nil
	case "raise":
		return plNext, "", p.raise(s)
	case "assert":
		ok, err := p.cond(s.cond)
		if err != nil || ok {
			return plNext, "", err
		}
		msg := "assertion failed"
		if s.expr != nil {
			v, err := p.eval(s.expr)
			if err != nil {
				return plNext, "", err
			}
			if v != nil {
				msg = formatText(v)
			}
		}
		return plNext, "", errorf("P0004", "%s", msg)
	case "execsql", "dynexecute":
		return plNext, "", p.execSQL(s)
	case "perform":
		res, err := p.run(s.expr)
		if err != nil {
			return plNext, "", err
		}
		p.setFound(len(res.Rows) > 0)
		p.rowCount = int64(len(res.Rows))
		return plNext, "", nil
	case "getdiag":
		return plNext, "", p.getDiag(s)
	case "commit", "rollback":
		return plNext, "", p.endTransaction(s.kind == "commit", s.chain)
	case "open":
		_, _, err := p.openCursor(s)
		return plNext, "", err
	case "fetch":
		return plNext, "", p.fetchCursor(s)
	case "close":
		name, err := p.cursorName(s.curvar)
		if err == nil && p.x.s.cursors[name] == nil {
			err = errorf("34000", "cursor \"%s\" does not exist", name)
		}
		if err == nil {
			delete(p.x.s.cursors, name)
		}
		return plNext, "", err
	case "call":
		return plNext, "", p.call(s)
	}
	return plNext, "", unsupported("PL/pgSQL's " + s.kind)
}

// endTransaction runs COMMIT or ROLLBACK in a body: the transaction ends and a new one begins, as in PostgreSQL,
// for a DO block or a procedure that CALL runs outside a transaction block (through procedures and DO blocks
// only); elsewhere it is 2D000. AND CHAIN keeps the transaction read-only if it was.
func (p *plRun) endTransaction(commit, chain bool) error {
	s := p.x.s
	if p.x.atomic || !s.ownBlock || p.fn != nil && !p.fn.Procedure {
		return errorf("2D000", "invalid transaction termination")
	}
	if p.depth > 0 || len(s.savepoints) > 0 { // an EXCEPTION block under way, this body's or a caller's
		if commit {
			return errorf("2D000", "cannot commit while a subtransaction is active")
		}
		return errorf("2D000", "cannot roll back while a subtransaction is active")
	}
	kind, readOnly := pg.TransactionStmtKind_TRANS_STMT_ROLLBACK, s.txReadOnly
	if commit {
		kind = pg.TransactionStmtKind_TRANS_STMT_COMMIT
	}
	if _, err := s.transaction(p.x.base, &pg.TransactionStmt{Kind: kind}); err != nil {
		return err
	}
	if err := s.begin(p.x.base); err != nil {
		return err
	}
	if chain {
		s.txReadOnly = readOnly // every transaction here runs on a snapshot: read-only is the mode that differs
	}
	p.x.ctx, p.x.txnGen = s.txn.context(p.x.base), s.txnGen
	return nil
}

// call runs CALL in a body: the procedure, its OUT and INOUT values assigned to the variables passed for them.
func (p *plRun) call(s *plStmt) error {
	res, err := p.run(s.expr)
	if err != nil || len(res.Rows) != 1 {
		return err
	}
	c := p.prep.compiled[s.expr]
	f := c.st.raw.Stmt.GetCallStmt().GetFunccall()
	fn := p.x.userFunction(f)
	if fn == nil {
		return nil
	}
	out := 0
	for i := range fn.ArgTypes {
		m := fn.inMode(i)
		if m != 'o' && m != 'b' {
			continue
		}
		if i < len(f.Args) {
			a := f.Args[i]
			if pr := a.GetParamRef(); pr != nil && int(pr.Number) <= len(p.f.datums) && p.f.datums[pr.Number-1].kind == "var" {
				if err := p.assign(int(pr.Number)-1, res.Rows[0][out]); err != nil {
					return err
				}
			} else {
				return errorf(CodeSyntaxError, "procedure parameter \"%s\" is an output parameter but corresponding argument is not writable", fn.ArgNames[i])
			}
		}
		out++
	}
	return nil
}

// block runs a BEGIN ... END block. One with an EXCEPTION clause runs as a subtransaction: when its statements
// fail with an error a handler names, what they wrote is rolled back and the handler runs.
func (p *plRun) block(s *plStmt) (plFlow, string, error) {
	leave, err := p.enterBlock(s)
	if err != nil {
		return plNext, "", err
	}
	defer leave()
	if s.handlers == nil {
		return p.stmts(s.body)
	}
	p.depth++
	sp := fmt.Sprintf("\x00plpgsql%d", p.depth)
	defer func() { p.depth-- }()
	if err := p.x.s.savepointOp(pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT, sp); err != nil {
		return plNext, "", err
	}
	flow, label, err := p.stmts(s.body)
	if err == nil {
		return flow, label, p.x.s.savepointOp(pg.TransactionStmtKind_TRANS_STMT_RELEASE, sp)
	}
	if errors.Is(err, errNeedsBlock) {
		return plNext, "", err
	}
	e := AsError(err)
	for _, h := range s.handlers {
		if !plCatches(h.conditions, e.Code) {
			continue
		}
		if rerr := p.x.s.savepointOp(pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO, sp); rerr != nil {
			return plNext, "", rerr
		}
		if rerr := p.x.s.savepointOp(pg.TransactionStmtKind_TRANS_STMT_RELEASE, sp); rerr != nil {
			return plNext, "", rerr
		}
		for i, d := range p.f.datums {
			switch d.name {
			case "sqlstate":
				p.vals[i] = e.Code
			case "sqlerrm":
				p.vals[i] = e.Message
			}
		}
		outer := p.caught
		p.caught = e
		flow, label, err := p.stmts(h.action)
		p.caught = outer
		return flow, label, err
	}
	return plNext, "", err
}

// plCatches reports whether an EXCEPTION clause's conditions catch an error of SQLSTATE code: OTHERS catches
// all but a cancel and a failed assertion, as PostgreSQL's does.
func plCatches(conditions []string, code string) bool {
	for _, c := range conditions {
		if c == "others" {
			if code != CodeQueryCanceled && code != "P0004" {
				return true
			}
			continue
		}
		codes := plConditions[c]
		if codes == nil && len(c) == 5 {
			codes = []string{c} // WHEN SQLSTATE '22012'
		}
		for _, want := range codes {
			if want == code || strings.HasSuffix(want, "000") && len(code) == 5 && want[:2] == code[:2] {
				return true
			}
		}
	}
	return false
}

// loop runs LOOP, WHILE and the FOR loops.
func (p *plRun) loop(s *plStmt) (plFlow, string, error) {
	switch s.kind {
	case "fori", "fors", "dynfors", "forc":
		// The loop's variable is the one its body's names find, another loop's of the same name or not.
		if s.loopVar >= 0 {
			p.scope = append(p.scope, s.loopVar)
			defer func() { p.scope = p.scope[:len(p.scope)-1] }()
			if s.label != "" {
				p.labels = append(p.labels, plLabel{s.label, []int{s.loopVar}})
				defer func() { p.labels = p.labels[:len(p.labels)-1] }()
			}
		}
	}
	iter := func() (bool, plFlow, string, error) {
		p.steps++
		if p.steps%1024 == 0 {
			if err := p.x.ctx.Err(); err != nil {
				return false, plNext, "", AsError(err)
			}
		}
		if p.steps > maxLoopIterations {
			return false, plNext, "", errorf(CodeProgramLimitExceeded, "a PL/pgSQL loop ran more than %d times", maxLoopIterations)
		}
		flow, label, err := p.stmts(s.body)
		if err != nil {
			return false, plNext, "", err
		}
		switch {
		case flow == plReturn:
			return false, flow, label, nil
		case (flow == plExit || flow == plContinue) && label != "" && label != s.label:
			return false, flow, label, nil // for an outer loop
		case flow == plExit:
			return false, plNext, "", nil
		}
		return true, plNext, "", nil
	}
	switch s.kind {
	case "loop", "while":
		for {
			if s.kind == "while" {
				ok, err := p.cond(s.cond)
				if err != nil || !ok {
					return plNext, "", err
				}
			}
			more, flow, label, err := iter()
			if err != nil || !more {
				return flow, label, err
			}
		}
	case "fori":
		bound := func(e *plExpr, what string) (int64, error) {
			v, err := p.eval(e)
			if err != nil {
				return 0, err
			}
			if v == nil {
				return 0, errorf(CodeNullValueNotAllowed, "%s bound of FOR loop cannot be null", what)
			}
			v, err = coerce(v, OIDInt4)
			if err != nil {
				return 0, err
			}
			return v.(int64), nil
		}
		lo, err := bound(s.lower, "lower")
		if err != nil {
			return plNext, "", err
		}
		hi, err := bound(s.upper, "upper")
		if err != nil {
			return plNext, "", err
		}
		step := int64(1)
		if s.step != nil {
			if step, err = bound(s.step, "BY value"); err != nil {
				return plNext, "", err
			}
			if step <= 0 {
				return plNext, "", errorf(CodeInvalidParameterValue, "BY value of FOR loop must be greater than zero")
			}
		}
		p.setFound(false)
		for i := lo; s.reverse && i >= hi || !s.reverse && i <= hi; {
			p.vals[s.loopVar] = i
			p.setFound(true)
			more, flow, label, err := iter()
			if err != nil || !more {
				return flow, label, err
			}
			if s.reverse {
				if i < math.MinInt32+step {
					break
				}
				i -= step
			} else {
				if i > math.MaxInt32-step {
					break
				}
				i += step
			}
		}
		return plNext, "", nil
	case "fors", "dynfors", "forc":
		var res *Result
		var err error
		if s.kind == "forc" {
			var name string
			if name, res, err = p.openCursor(s); err == nil {
				defer delete(p.x.s.cursors, name) // the loop's cursor closes when the loop ends
			}
		} else {
			res, err = p.query(s)
		}
		if err != nil {
			return plNext, "", err
		}
		p.setFound(false)
		for _, row := range res.Rows {
			if err := p.assignRow(s.loopVar, res.Columns, row); err != nil {
				return plNext, "", err
			}
			p.setFound(true)
			more, flow, label, err := iter()
			if err != nil || !more {
				return flow, label, err
			}
		}
		return plNext, "", nil
	case "foreach_a":
		v, err := p.eval(s.expr)
		if err != nil {
			return plNext, "", err
		}
		if v == nil {
			return plNext, "", errorf(CodeNullValueNotAllowed, "FOREACH expression must not be null")
		}
		elems, ok := v.([]any)
		if !ok {
			return plNext, "", errorf(CodeDatatypeMismatch, "FOREACH expression must yield an array, not type %s", TypeName(valueOID(v)))
		}
		for _, e := range elems {
			if err := p.assign(s.loopVar, e); err != nil {
				return plNext, "", err
			}
			more, flow, label, err := iter()
			if err != nil || !more {
				return flow, label, err
			}
		}
		return plNext, "", nil
	}
	return plNext, "", nil
}

// caseStmt runs CASE [expression] WHEN ... THEN ... [ELSE ...] END CASE.
func (p *plRun) caseStmt(s *plStmt) (plFlow, string, error) {
	if s.expr != nil {
		v, err := p.eval(s.expr)
		if err != nil {
			return plNext, "", err
		}
		p.vals[s.varno] = v // the WHEN expressions compare with it: "__Case__Variable_n__" IN (...)
		if v != nil {
			p.types[s.varno] = valueOID(v)
		}
	}
	for _, w := range s.elsifs {
		ok, err := p.cond(w.cond)
		if err != nil {
			return plNext, "", err
		}
		if ok {
			return p.stmts(w.stmts)
		}
	}
	if !s.haveElse {
		return plNext, "", errorf("20000", "case not found")
	}
	return p.stmts(s.elseBody)
}

// returnNext adds a row to a set-returning function's result: RETURN NEXT's value, or the current values of
// RETURNS TABLE's columns.
func (p *plRun) returnNext(s *plStmt) error {
	if p.fn == nil || !p.fn.SetOf && len(p.fn.OutNames) == 0 {
		return errorf(CodeSyntaxError, "cannot use RETURN NEXT in a non-SETOF function")
	}
	if s.expr != nil {
		v, err := p.eval(s.expr)
		if err != nil {
			return err
		}
		if rec, ok := v.(record); ok && len(p.fn.OutNames) > 0 {
			p.retSet = append(p.retSet, rec.vals)
			return nil
		}
		p.retSet = append(p.retSet, []any{v})
		return nil
	}
	row := make([]any, len(p.fn.OutNames))
	for i, n := range p.fn.OutNames {
		if d := p.datumNamed(n); d >= 0 {
			row[i] = p.vals[d]
			if r, ok := row[i].(*plRecord); ok {
				row[i] = nil // a parameter of a table's row type: its row, or NULL
				if r != nil && !r.null {
					row[i] = record{names: r.names, oids: r.oids, vals: r.vals}
				}
			}
		}
	}
	p.retSet = append(p.retSet, row)
	return nil
}

// datumNamed is the number of the first scalar variable called name, -1 for none.
func (p *plRun) datumNamed(name string) int {
	for i, d := range p.f.datums {
		if d.kind == "var" && d.name == name {
			return i
		}
	}
	return -1
}

// raise runs RAISE: a message to the client at NOTICE, WARNING or INFO, an error at EXCEPTION, or the caught
// error raised again.
func (p *plRun) raise(s *plStmt) error {
	if s.level >= 21 && s.message == "" && s.condname == "" && len(s.options) == 0 {
		if p.caught == nil {
			return errorf("0Z002", "RAISE without parameters cannot be used outside an exception handler")
		}
		return p.caught
	}
	e := &Error{}
	if s.condname != "" {
		e.Code = plCode(s.condname)
		if e.Code == "" {
			return errorf(CodeUndefinedObject, "unrecognized exception condition \"%s\"", s.condname)
		}
		e.Message = s.condname
	}
	if s.message != "" {
		args := make([]any, len(s.params))
		for i, a := range s.params {
			v, err := p.eval(a)
			if err != nil {
				return err
			}
			args[i] = v
		}
		msg, err := plFormat(s.message, args)
		if err != nil {
			return err
		}
		e.Message = msg
	}
	for _, o := range s.options {
		v, err := p.eval(o.expr)
		if err != nil {
			return err
		}
		if v == nil {
			return errorf(CodeNullValueNotAllowed, "RAISE statement option cannot be null")
		}
		text := formatText(v)
		switch o.kind {
		case 0:
			code := plCode(text)
			if code == "" {
				return errorf(CodeUndefinedObject, "unrecognized exception condition \"%s\"", text)
			}
			e.Code = code
		case 1:
			e.Message = text
		case 2:
			e.Detail = text
		case 3:
			e.Hint = text
		case 4:
			e.Column = text
		case 5:
			e.Constraint = text
		case 6:
			e.DataType = text
		case 7:
			e.Table = text
		}
	}
	switch {
	case s.level >= 21:
		if e.Code == "" {
			e.Code = "P0001"
		}
		if e.Message == "" {
			e.Message = e.Code
		}
		return e
	case s.level == 18 || s.level == 19 || s.level == 17:
		if e.Code == "" {
			e.Code = map[int]string{17: "00000", 18: "00000", 19: "01000"}[s.level]
		}
		e.Severity = map[int]string{17: "INFO", 18: "NOTICE", 19: ""}[s.level]
		if h := p.x.s.notice; h != nil && !p.x.describe {
			h(e) // to the client now, as PostgreSQL sends it
			p.x.s.noticesSent++
		} else {
			p.x.warn(e)
		}
	}
	return nil // LOG and DEBUG go to the server's log, which Concord does not keep for them
}

// plCode is the SQLSTATE a condition's name or a five-character code names, "" for neither.
func plCode(name string) string {
	if codes := plConditions[strings.ToLower(name)]; codes != nil {
		return codes[0]
	}
	if len(name) == 5 && strings.IndexFunc(name, func(r rune) bool { return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') }) < 0 {
		return name
	}
	return ""
}

// plFormat fills RAISE's message: each % takes the next argument's text (NULL: <NULL>), %% is a %.
func plFormat(msg string, args []any) (string, error) {
	var b strings.Builder
	n := 0
	for i := 0; i < len(msg); i++ {
		if msg[i] != '%' {
			b.WriteByte(msg[i])
			continue
		}
		if i+1 < len(msg) && msg[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if n >= len(args) {
			return "", errorf(CodeSyntaxError, "too few parameters specified for RAISE")
		}
		if args[n] == nil {
			b.WriteString("<NULL>")
		} else {
			b.WriteString(formatText(args[n]))
		}
		n++
	}
	if n < len(args) {
		return "", errorf(CodeSyntaxError, "too many parameters specified for RAISE")
	}
	return b.String(), nil
}

// execSQL runs a statement of the body (or EXECUTE's string), with INTO when it has one.
func (p *plRun) execSQL(s *plStmt) error {
	res, err := p.query(s)
	if err != nil {
		return err
	}
	n := rowsOf(res)
	p.rowCount = n
	isSelect := strings.HasPrefix(res.Tag, "SELECT")
	if !s.into {
		if s.kind == "execsql" && res.Columns != nil && isSelect && !plIsDML(s.query.query) {
			return &Error{Code: "42601", Message: "query has no destination for result data",
				Hint: "If you want to discard the results of a SELECT, use PERFORM instead."}
		}
		p.setFound(n > 0)
		return nil
	}
	switch {
	case len(res.Rows) == 0 && s.strict:
		return errorf("P0002", "query returned no rows")
	case len(res.Rows) > 1 && (s.strict || !isSelect):
		return &Error{Code: "P0003", Message: "query returned more than one row",
			Hint: "Make sure the query returns a single row, or use LIMIT 1."}
	}
	var row []any
	if len(res.Rows) > 0 {
		row = res.Rows[0]
	}
	p.setFound(len(res.Rows) > 0)
	return p.assignRow(s.target, res.Columns, row)
}

// plIsDML reports whether a statement's text is an INSERT, UPDATE, DELETE or MERGE (whose RETURNING rows need
// no destination when nothing asks for them).
func plIsDML(q string) bool {
	w := strings.ToUpper(strings.Fields(q + " x")[0])
	return w == "INSERT" || w == "UPDATE" || w == "DELETE" || w == "MERGE" || w == "WITH"
}

// rowsOf is the number of rows a statement's tag counts.
func rowsOf(res *Result) int64 {
	if i := strings.LastIndexByte(res.Tag, ' '); i >= 0 {
		if n, err := strconv.ParseInt(res.Tag[i+1:], 10, 64); err == nil {
			return n
		}
	}
	return int64(len(res.Rows))
}

// query runs a statement's query: its SQL with the variables as parameters, or EXECUTE's string with USING's.
func (p *plRun) query(s *plStmt) (*Result, error) {
	if s.kind != "dynexecute" && s.kind != "dynfors" && !(s.kind == "return_query" && s.expr != nil) {
		return p.run(s.query)
	}
	q := s.query
	if s.kind == "return_query" {
		q = s.expr
	}
	v, err := p.eval(q)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errorf(CodeNullValueNotAllowed, "query string argument of EXECUTE is null")
	}
	params := make([]any, len(s.params))
	types := make([]uint32, len(s.params))
	for i, e := range s.params {
		if params[i], err = p.eval(e); err != nil {
			return nil, err
		}
		if params[i] != nil {
			types[i] = valueOID(params[i])
		} else {
			types[i] = OIDText
		}
	}
	stmts, err := p.x.s.e.cache.parse(formatText(v))
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, errorf(CodeFeatureNotSupported, "EXECUTE of %d statements in one string", len(stmts))
	}
	return p.exec(stmts[0], formatText(v), params, types)
}

// getDiag runs GET [STACKED] DIAGNOSTICS.
func (p *plRun) getDiag(s *plStmt) error {
	for _, it := range s.diagItems {
		var v any
		if s.stacked {
			if p.caught == nil {
				return errorf("0Z002", "GET STACKED DIAGNOSTICS cannot be used outside an exception handler")
			}
			e := p.caught
			v = map[string]string{"RETURNED_SQLSTATE": e.Code, "MESSAGE_TEXT": e.Message, "PG_EXCEPTION_DETAIL": e.Detail,
				"PG_EXCEPTION_HINT": e.Hint, "COLUMN_NAME": e.Column, "CONSTRAINT_NAME": e.Constraint,
				"PG_DATATYPE_NAME": e.DataType, "TABLE_NAME": e.Table, "SCHEMA_NAME": "", "PG_EXCEPTION_CONTEXT": e.Where}[it.kind]
			if e.Table != "" && it.kind == "SCHEMA_NAME" {
				v = "public"
			}
		} else {
			switch it.kind {
			case "ROW_COUNT":
				v = p.rowCount
			case "PG_CONTEXT":
				v = ""
			default:
				return unsupported("GET DIAGNOSTICS " + it.kind)
			}
		}
		if err := p.assign(it.target, v); err != nil {
			return err
		}
	}
	return nil
}

// setFound sets FOUND.
func (p *plRun) setFound(b bool) {
	if p.f.found >= 0 {
		p.vals[p.f.found] = b
	}
}

// cond evaluates a condition: NULL is false.
func (p *plRun) cond(e *plExpr) (bool, error) {
	v, err := p.eval(e)
	if err != nil || v == nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		c, err := coerce(v, OIDBool)
		if err != nil {
			return false, err
		}
		b = c.(bool)
	}
	return b, nil
}

// eval evaluates an expression of the body: one value (NULL for no row).
func (p *plRun) eval(e *plExpr) (any, error) {
	res, err := p.run(e)
	if err != nil {
		return nil, err
	}
	if len(res.Columns) != 1 {
		return nil, errorf("42601", "query \"%s\" returned %d columns", e.sql(), len(res.Columns))
	}
	if len(res.Rows) > 1 {
		return nil, errorf("21000", "query \"%s\" returned more than one row", e.sql())
	}
	if len(res.Rows) == 0 {
		return nil, nil
	}
	return res.Rows[0][0], nil
}

// assign sets a scalar variable (or a record's field), converting the value to its declared type.
func (p *plRun) assign(dno int, v any) error {
	if dno < 0 || dno >= len(p.f.datums) {
		return errorf(CodeInternalError, "PL/pgSQL: no variable %d", dno)
	}
	d := p.f.datums[dno]
	switch {
	case p.prep.rowtype[dno]:
		if r, ok := v.(record); ok {
			p.vals[dno] = &plRecord{names: r.names, oids: r.oids, vals: append([]any(nil), r.vals...)}
			return nil
		}
		return errorf(CodeDatatypeMismatch, "cannot assign a non-composite value to a record variable")
	case d.kind == "var":
		if d.isConst && p.vals[dno] != nil {
			return errorf("22005", "variable \"%s\" is declared CONSTANT", d.name)
		}
		if v == nil && d.notNull {
			return errorf(CodeNullValueNotAllowed, "null value cannot be assigned to variable \"%s\" declared NOT NULL", d.name)
		}
		if v != nil && p.types[dno] != 0 {
			c, err := coerce(v, p.types[dno])
			if err != nil {
				return err
			}
			v = c
		}
		p.vals[dno] = v
		return nil
	case d.kind == "recfield":
		rec, _ := p.vals[d.parent].(*plRecord)
		if rec == nil {
			return errorf("55000", "record \"%s\" is not assigned yet", p.f.datums[d.parent].name)
		}
		for i, n := range rec.names {
			if n == d.field {
				if v != nil && rec.oids[i] != 0 {
					c, err := coerce(v, rec.oids[i])
					if err != nil {
						return err
					}
					v = c
				}
				rec.vals[i], rec.null = v, false
				return nil
			}
		}
		return errorf(CodeUndefinedColumn, "record \"%s\" has no field \"%s\"", p.f.datums[d.parent].name, d.field)
	case d.kind == "row":
		return p.assignRow(dno, nil, []any{v})
	case d.kind == "rec":
		if r, ok := v.(record); ok {
			p.vals[dno] = &plRecord{names: r.names, oids: r.oids, vals: append([]any(nil), r.vals...)}
			return nil
		}
	}
	return unsupported("assigning to PL/pgSQL's " + d.kind + " variables")
}

// assignElement runs an assignment to an array element, a[i] := v (a[i][j] := v for a nested array): a NULL
// array, or one too short, grows with NULLs up to the element, as PostgreSQL's does when its lower bound is 1.
func (p *plRun) assignElement(s *plStmt, v any) error {
	d := p.f.datums[s.varno]
	if s.slice || d.kind != "var" {
		return unsupported("assigning to an array slice or to an element of a record's field")
	}
	arrType := p.types[s.varno]
	elem := types[arrType].elem
	if elem == 0 {
		return errorf(CodeDatatypeMismatch, "cannot subscript type %s because it does not support subscripting", TypeName(arrType))
	}
	if d.isConst {
		return errorf("22005", "variable \"%s\" is declared CONSTANT", d.name)
	}
	res, err := p.run(s.subs)
	if err != nil {
		return err
	}
	if len(res.Rows) != 1 {
		return errorf(CodeDatatypeMismatch, "array subscripts did not give one row")
	}
	idx := make([]int, len(res.Rows[0]))
	for i, sv := range res.Rows[0] {
		if sv == nil {
			return errorf(CodeNullValueNotAllowed, "array subscript in assignment must not be null")
		}
		n, err := coerce(sv, OIDInt8)
		if err != nil {
			return err
		}
		if n.(int64) < 1 || n.(int64) > maxArrayElements {
			return errorf("2202E", "array subscript out of range")
		}
		idx[i] = int(n.(int64))
	}
	if v != nil {
		if v, err = coerce(v, elem); err != nil {
			return err
		}
	}
	arr, _ := p.vals[s.varno].([]any)
	out, err := setElement(arr, idx, v)
	if err != nil {
		return err
	}
	p.vals[s.varno] = out
	return nil
}

// maxArrayElements bounds the subscript an assignment may extend an array to (arrays here start at 1, so the
// elements before it are made NULLs).
const maxArrayElements = 1 << 20

// setElement is arr with the element at 1-based subscripts idx set to v: a copy, grown with NULLs where the
// last subscript is past its end.
func setElement(arr []any, idx []int, v any) ([]any, error) {
	i := idx[0]
	out := slices.Clone(arr)
	for len(out) < i {
		if len(idx) > 1 {
			return nil, errorf("2202E", "array subscript out of range")
		}
		out = append(out, nil)
	}
	if len(idx) == 1 {
		out[i-1] = v
		return out, nil
	}
	inner, ok := out[i-1].([]any)
	if !ok {
		return nil, errorf("2202E", "array subscript out of range")
	}
	sub, err := setElement(inner, idx[1:], v)
	if err != nil {
		return nil, err
	}
	out[i-1] = sub
	return out, nil
}

// assignRow sets a record, or the variables of a row, from a result's row (nil: no row, all NULL).
func (p *plRun) assignRow(dno int, cols []Column, row []any) error {
	if dno < 0 || dno >= len(p.f.datums) {
		return errorf(CodeInternalError, "PL/pgSQL: no variable %d", dno)
	}
	d := p.f.datums[dno]
	kind := d.kind
	if p.prep.rowtype[dno] {
		kind = "rec"
	}
	switch kind {
	case "rec":
		rec := &plRecord{vals: make([]any, len(cols))}
		for i, c := range cols {
			rec.names, rec.oids = append(rec.names, c.Name), append(rec.oids, c.OID)
			if row != nil {
				rec.vals[i] = row[i]
			}
		}
		p.vals[dno] = rec
		return nil
	case "row":
		if len(d.fields) == 1 && (p.prep.rowtype[d.fields[0]] || p.f.datums[d.fields[0]].kind == "rec") {
			return p.assignRow(d.fields[0], cols, row) // SELECT * INTO v: the whole row
		}
		for i, f := range d.fields {
			var v any
			if row != nil && i < len(row) {
				v = row[i]
			}
			if err := p.assign(f, v); err != nil {
				return err
			}
		}
		return nil
	}
	var v any
	if len(row) > 0 {
		v = row[0]
	}
	return p.assign(dno, v)
}

// run runs an expression or statement of the body.
func (p *plRun) run(e *plExpr) (*Result, error) {
	c, err := p.compile(e)
	if err != nil {
		return nil, err
	}
	n := len(p.f.datums) + len(p.prep.fields)
	params := make([]any, n)
	types := make([]uint32, n)
	for _, dno := range c.refs {
		if dno >= len(p.f.datums) {
			fl := p.prep.fields[dno-len(p.f.datums)]
			if fl.rec < 0 {
				params[dno], types[dno] = p.trigValue(fl.name)
			} else if params[dno], types[dno], err = p.field(fl.rec, fl.name); err != nil {
				return nil, err
			}
		} else if d := p.f.datums[dno]; d.kind == "recfield" {
			if params[dno], types[dno], err = p.field(d.parent, d.field); err != nil {
				return nil, err
			}
		} else if d.kind == "rec" || p.prep.rowtype[dno] {
			rec, _ := p.vals[dno].(*plRecord)
			switch {
			case rec != nil && rec.null:
			case rec != nil:
				params[dno] = record{names: rec.names, oids: rec.oids, vals: rec.vals}
			case p.trig == nil || d.name != "new" && d.name != "old":
				return nil, errorf("55000", "record \"%s\" is not assigned yet", d.name)
			}
			types[dno] = OIDRecord
		} else if d.kind == "var" {
			params[dno], types[dno] = p.vals[dno], p.types[dno]
			if types[dno] == 0 && params[dno] != nil {
				types[dno] = valueOID(params[dno])
			}
		}
		if types[dno] == 0 {
			types[dno] = OIDText
		}
	}
	return p.exec(c.st, c.text, params, types)
}

// field is a record variable's field: its value and type.
func (p *plRun) field(dno int, name string) (any, uint32, error) {
	rec, _ := p.vals[dno].(*plRecord)
	if rec == nil && p.trig != nil && (p.f.datums[dno].name == "new" || p.f.datums[dno].name == "old") {
		// NEW of a DELETE, OLD of an INSERT, both of a statement trigger: NULL, its fields NULL of their types.
		for i, n := range p.trig.names {
			if n == name {
				return nil, p.trig.oids[i], nil
			}
		}
		return nil, 0, errorf(CodeUndefinedColumn, "record \"%s\" has no field \"%s\"", p.f.datums[dno].name, name)
	}
	if rec == nil {
		return nil, 0, errorf("55000", "record \"%s\" is not assigned yet", p.f.datums[dno].name)
	}
	for i, n := range rec.names {
		if n == name {
			return rec.vals[i], rec.oids[i], nil
		}
	}
	return nil, 0, errorf(CodeUndefinedColumn, "record \"%s\" has no field \"%s\"", p.f.datums[dno].name, name)
}

// exec runs one statement in a copy of the body's exec, the parameters its own: in the statement's
// transaction, with the caller's privileges. text is the statement's, which the context of its errors quotes ("" for
// an expression's, which PostgreSQL's context does not quote).
func (p *plRun) exec(st *statement, text string, params []any, types []uint32) (*Result, error) {
	res, err := p.exec1(st, params, types)
	if err == nil || errors.Is(err, errNeedsBlock) {
		return res, err
	}
	e := *AsError(err)
	if text != "" {
		line := fmt.Sprintf("SQL statement \"%s\"", text)
		if e.Where != "" {
			line = e.Where + "\n" + line
		}
		e.Where = line
	}
	return nil, &e
}

func (p *plRun) exec1(st *statement, params []any, types []uint32) (*Result, error) {
	n := st.raw.Stmt
	if s := p.x.s; s.txn != nil && p.x.txnGen != s.txnGen {
		// A procedure this body called, or the body itself, committed: its statements run in the new transaction.
		p.x.ctx, p.x.txnGen = s.txn.context(p.x.base), s.txnGen
	}
	if n.GetTransactionStmt() != nil {
		return nil, errorf(CodeFeatureNotSupported, "unsupported transaction command in PL/pgSQL")
	}
	if err := p.x.s.checkAccess(st); err != nil {
		return nil, err
	}
	if err := p.x.s.checkReadOnly(n); err != nil { // a SELECT writes through a data-modifying WITH query
		return nil, err
	}
	y := *p.x
	y.params, y.paramTypes, y.paramOIDs = params, types, nil
	y.ctes, y.subResults, y.subRuns = nil, nil, nil
	if p.transition != nil {
		y.ctes = []map[string]*relation{p.transition}
	}
	y.transition, y.cascadeChecks = nil, 0
	y.warnings = nil
	y.funcDepth++
	if y.funcDepth > maxFunctionDepth {
		return nil, errorf("54001", "stack depth limit exceeded")
	}
	res, err := y.run(st)
	p.x.warnings = append(p.x.warnings, y.warnings...)
	if err != nil {
		return nil, y.uniqueViolation(err)
	}
	p.x.warnings = append(p.x.warnings, res.Warnings...)
	return res, nil
}

// compile parses an expression or statement of the body once for its prepared state, its references to
// variables made parameters.
func (p *plRun) compile(e *plExpr) (*plCompiled, error) {
	if c := p.prep.compiled[e]; c != nil {
		return c, nil
	}
	raws, err := parse(e.sql())
	if err != nil {
		return nil, err
	}
	if len(raws) != 1 {
		return nil, errorf(CodeSyntaxError, "a PL/pgSQL statement holds %d SQL statements", len(raws))
	}
	raw := raws[0]
	refs, err := p.bind(raw.Stmt)
	if err != nil {
		return nil, err
	}
	c := &plCompiled{st: newStatement(raw), refs: refs}
	p.prep.compiled[e] = c
	if e.mode == 0 {
		c.text = strings.TrimSpace(e.query)
	}
	return c, nil
}

// sql is the SQL an expression of the body runs as: a statement as it is, an expression (or an assignment's
// value) as SELECT expression.
func (e *plExpr) sql() string {
	switch e.mode {
	case 2:
		return "SELECT " + e.query
	case 3, 4, 5:
		return "SELECT " + plAssignValue(e.query)
	}
	return e.query
}

// plAssignValue is the expression of an assignment's text, "n := a * 2" (or "n = a * 2"): what follows the
// target and its operator.
func plAssignValue(text string) string {
	depth, quoted := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0 && c == ':' && i+1 < len(text) && text[i+1] == '=':
			return text[i+2:]
		case depth == 0 && c == '=':
			return text[i+1:]
		}
	}
	return text
}

// bind makes the statement's references to the body's variables parameters: a name that is a variable's, a
// record's field (r.f), a function's parameter qualified with its name. A name that is both a variable's and a
// column's of a table the statement reads is ambiguous (42702), as with PostgreSQL's plpgsql.variable_conflict
// at its default.
func (p *plRun) bind(n *pg.Node) ([]int, error) {
	cols, aliases := p.x.plColumnsInScope(n)
	seen := map[int]bool{}
	var refs []int
	var bindErr error
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		nn, ok := m.Interface().(*pg.Node)
		if !ok {
			return false
		}
		if ind := nn.GetAIndirection(); ind != nil && p.trig != nil {
			if cr := ind.Arg.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_().GetSval() == "tg_argv" {
				for _, i := range ind.Indirection {
					// TG_ARGV counts from 0, an array from 1.
					if ai := i.GetAIndices(); ai != nil && !ai.IsSlice && ai.Uidx != nil {
						ai.Uidx = &pg.Node{Node: &pg.Node_AExpr{AExpr: &pg.A_Expr{Kind: pg.A_Expr_Kind_AEXPR_OP,
							Name: []*pg.Node{pg.MakeStrNode("+")}, Lexpr: ai.Uidx, Rexpr: pg.MakeAConstIntNode(1, -1)}}}
					}
				}
			}
		}
		if pr := nn.GetParamRef(); pr != nil && p.f.sqlLang && pr.Number >= 1 && int(pr.Number) <= len(p.f.datums) && !seen[int(pr.Number)-1] {
			seen[int(pr.Number)-1] = true // $n of a SQL function: its parameter n
			refs = append(refs, int(pr.Number)-1)
		}
		cr := nn.GetColumnRef()
		if cr == nil {
			return false
		}
		var names []string
		for _, f := range cr.Fields {
			s := f.GetString_()
			if s == nil {
				return false // a star
			}
			names = append(names, s.Sval)
		}
		dno := -1
		switch len(names) {
		case 1:
			dno = p.named("", names[0])
			if dno < 0 && p.trig != nil && plTriggerVars[names[0]] && !cols[names[0]] {
				dno = p.extraField(-1, names[0])
			}
			if dno >= 0 && cols[names[0]] && p.f.sqlLang {
				return false // in a SQL function, the column
			}
			if dno >= 0 && cols[names[0]] {
				bindErr = &Error{Code: CodeAmbiguousColumn, Message: fmt.Sprintf("column reference \"%s\" is ambiguous", names[0]),
					Detail: "It could refer to either a PL/pgSQL variable or a table column."}
				return true
			}
		case 2:
			if aliases[names[0]] {
				return false
			}
			if v := p.named("", names[0]); v >= 0 && p.prep.rowtype[v] {
				dno = p.extraField(v, names[1])
			} else if v >= 0 && p.f.datums[v].kind == "rec" {
				dno = p.recField(v, names[1])
			} else if v, ok := p.labeled(names[0], names[1]); ok {
				dno = v
			} else if p.fn != nil && names[0] == p.fn.Name {
				dno = p.paramNamed(names[1])
			}
		case 3:
			// label.record.field, function.parameter.field
			v, ok := p.labeled(names[0], names[1])
			if !ok && p.fn != nil && names[0] == p.fn.Name {
				v = p.paramNamed(names[1])
				ok = v >= 0
			}
			if ok && !aliases[names[0]] {
				switch {
				case p.prep.rowtype[v]:
					dno = p.extraField(v, names[2])
				case p.f.datums[v].kind == "rec":
					dno = p.recField(v, names[2])
				}
			}
		}
		if dno < 0 {
			return false
		}
		nn.Node = &pg.Node_ParamRef{ParamRef: &pg.ParamRef{Number: int32(dno + 1), Location: cr.Location}}
		if !seen[dno] {
			seen[dno] = true
			refs = append(refs, dno)
		}
		return false
	})
	return refs, bindErr
}

// paramNamed is the number of the datum of the function's parameter name, as function.name finds it: the record
// plParse declared for a parameter of a table's row type whose fields the body assigns, else the parameter's
// own; -1 for none.
func (p *plRun) paramNamed(name string) int {
	for i, a := range p.fn.ArgNames {
		if a != name {
			continue
		}
		for local, param := range p.f.fromParam {
			if param == i {
				return local
			}
		}
		return i
	}
	return -1
}

// recField is the number of the datum of record rec's field.
func (p *plRun) recField(rec int, field string) int {
	for i, d := range p.f.datums {
		if d.kind == "recfield" && d.parent == rec && d.field == field {
			return i
		}
	}
	return p.extraField(rec, field)
}

// labeled is the variable label.name names: name among the variables of the innermost running block or loop
// labeled so.
func (p *plRun) labeled(label, name string) (int, bool) {
	for i := len(p.labels) - 1; i >= 0; i-- {
		if p.labels[i].name != label {
			continue
		}
		for j := len(p.labels[i].vars) - 1; j >= 0; j-- {
			if v := p.labels[i].vars[j]; p.f.datums[v].name == name {
				return v, true
			}
		}
		return -1, false
	}
	return -1, false
}

// varNamed is the number of the scalar variable a name refers to, -1 for none: the innermost running loop's or
// block's variable of that name, else a parameter or other variable no block declares (the last of the name).
func (p *plRun) varNamed(name string) int { return p.named("var", name) }

// recNamed is the number of the record variable called name, -1 for none, found as varNamed finds a variable.
func (p *plRun) recNamed(name string) int { return p.named("rec", name) }

// named finds a variable of kind ("var" or "rec"; "" for either) as varNamed does; an ALIAS's name finds what it
// names.
func (p *plRun) named(kind, name string) int {
	if v := p.named1(kind, name); v >= 0 || p.f.aliases == nil {
		return v
	}
	for range 8 { // an alias of an alias, not without end
		target, ok := p.f.aliases[name]
		if !ok {
			return -1
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(target, "$")); err == nil && strings.HasPrefix(target, "$") {
			if n >= 1 && n <= len(p.f.datums) && (n-1 < p.f.found || p.f.datums[n-1].argument) { // a parameter
				if d := p.f.datums[n-1]; d.kind == kind || kind == "" && (d.kind == "var" || d.kind == "rec") {
					return n - 1
				}
			}
			return -1
		}
		if v := p.named1(kind, target); v >= 0 {
			return v
		}
		name = target
	}
	return -1
}

func (p *plRun) named1(kind, name string) int {
	is := func(d *plDatum) bool {
		return d.name == name && (d.kind == kind || kind == "" && (d.kind == "var" || d.kind == "rec"))
	}
	for i := len(p.scope) - 1; i >= 0; i-- {
		if d := p.f.datums[p.scope[i]]; is(d) {
			return p.scope[i]
		}
	}
	for i := len(p.f.datums) - 1; i >= 0; i-- {
		if d := p.f.datums[i]; is(d) && !p.f.loopOnly[i] && !p.f.declared[i] {
			return i
		}
	}
	return -1
}

// plColumnsInScope are the column names of the tables a statement reads (the FROM lists of its SELECTs, an
// UPDATE's table and FROM list, a DELETE's table and USING list, an INSERT's table with ON CONFLICT DO UPDATE) and
// the names and aliases it reads them by.
func (x *exec) plColumnsInScope(n *pg.Node) (map[string]bool, map[string]bool) {
	cols, aliases := map[string]bool{}, map[string]bool{}
	ctes := map[string]bool{}
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if cte, ok := m.Interface().(*pg.CommonTableExpr); ok {
			ctes[cte.Ctename] = true
		}
		return false
	})
	addRel := func(rv *pg.RangeVar) {
		if rv == nil {
			return
		}
		aliases[rv.Relname] = true
		if rv.Alias != nil {
			aliases[rv.Alias.Aliasname] = true
		}
		if ctes[rv.Relname] || rv.Schemaname == "pg_catalog" || rv.Schemaname == "information_schema" {
			return
		}
		t, err := x.lookupTable(rv.Relname, 0)
		if err != nil {
			return // a missing table is the statement's own error when it runs
		}
		for _, c := range t.Columns {
			cols[c.Name] = true
		}
	}
	// addFrom adds a FROM list's tables and names; a subquery's own tables are its SELECT's, found by the walk below.
	addFrom := func(from []*pg.Node) {
		for _, f := range from {
			walkPrune(f, func(fn *pg.Node) (stop, prune bool) {
				switch r := fn.Node.(type) {
				case *pg.Node_RangeVar:
					addRel(r.RangeVar)
				case *pg.Node_RangeSubselect:
					if r.RangeSubselect.Alias != nil {
						aliases[r.RangeSubselect.Alias.Aliasname] = true
					}
					return false, true
				case *pg.Node_RangeFunction:
					if r.RangeFunction.Alias != nil {
						aliases[r.RangeFunction.Alias.Aliasname] = true
					}
				case *pg.Node_JoinExpr:
					if r.JoinExpr.Alias != nil {
						aliases[r.JoinExpr.Alias.Aliasname] = true
					}
				}
				return false, false
			})
		}
	}
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.InsertStmt:
			if v.OnConflictClause != nil && v.OnConflictClause.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
				addRel(v.Relation)
				aliases["excluded"] = true
			}
		case *pg.UpdateStmt:
			addRel(v.Relation)
			addFrom(v.FromClause)
		case *pg.DeleteStmt:
			addRel(v.Relation)
			addFrom(v.UsingClause)
		case *pg.SelectStmt:
			addFrom(v.FromClause)
		}
		return false
	})
	return cols, aliases
}

// checkPL checks a PL/pgSQL function's body as CREATE FUNCTION does: its syntax, and the syntax of the SQL in it.
func (x *exec) checkPL(fn *userFunc, body string) error {
	f, err := plParse(plSource(fn, body))
	if err != nil {
		return err
	}
	var check func(list []*plStmt) error
	checkExpr := func(e *plExpr) error {
		if e == nil {
			return nil
		}
		_, err := parse(e.sql())
		return err
	}
	check = func(list []*plStmt) error {
		for _, s := range list {
			if s.kind == "return" && s.expr != nil && fn.OutParams {
				return errorf(CodeDatatypeMismatch, "RETURN cannot have a parameter in function with OUT parameters")
			}
			if s.kind == "return" && s.expr != nil && fn.returnsSet() {
				return &Error{Code: CodeDatatypeMismatch, Message: "RETURN cannot have a parameter in function returning set",
					Hint: "Use RETURN NEXT or RETURN QUERY."}
			}
			for _, e := range []*plExpr{s.cond, s.expr, s.query, s.lower, s.upper, s.step} {
				if err := checkExpr(e); err != nil {
					return err
				}
			}
			for _, e := range s.params {
				if err := checkExpr(e); err != nil {
					return err
				}
			}
			for _, l := range [][]*plStmt{s.body, s.thenBody, s.elseBody} {
				if err := check(l); err != nil {
					return err
				}
			}
			for _, c := range s.elsifs {
				if err := checkExpr(c.cond); err != nil {
					return err
				}
				if err := check(c.stmts); err != nil {
					return err
				}
			}
			for _, h := range s.handlers {
				if err := check(h.action); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return check([]*plStmt{f.action})
}

// extraField is the parameter number (less one) of a field of record variable rec (-1: a TG_ variable) that has
// no datum of its own.
func (p *plRun) extraField(rec int, name string) int {
	i := slices.Index(p.prep.fields, plField{rec, name})
	if i < 0 {
		p.prep.fields = append(p.prep.fields, plField{rec, name})
		i = len(p.prep.fields) - 1
	}
	return len(p.f.datums) + i
}

// plTriggerVars are the special variables of a trigger function.
var plTriggerVars = map[string]bool{"tg_name": true, "tg_when": true, "tg_level": true, "tg_op": true, "tg_relid": true,
	"tg_relname": true, "tg_table_name": true, "tg_table_schema": true, "tg_nargs": true, "tg_argv": true}

// trigValue is a TG_ variable's value and type.
func (p *plRun) trigValue(name string) (any, uint32) {
	t := p.trig
	switch name {
	case "tg_name":
		return t.tg.Name, OIDName
	case "tg_when":
		if t.tg.Instead {
			return "INSTEAD OF", OIDText
		}
		if t.tg.Before {
			return "BEFORE", OIDText
		}
		return "AFTER", OIDText
	case "tg_level":
		if t.tg.Row {
			return "ROW", OIDText
		}
		return "STATEMENT", OIDText
	case "tg_op":
		return t.op, OIDText
	case "tg_relname", "tg_table_name":
		return t.table, OIDName
	case "tg_table_schema":
		return "public", OIDName
	case "tg_nargs":
		return int64(len(t.tg.Args)), OIDInt4
	case "tg_argv":
		arr := make([]any, len(t.tg.Args))
		for i, a := range t.tg.Args {
			arr[i] = a
		}
		return arr, OIDTextArray
	}
	return nil, OIDText // tg_relid: no oid to give
}

// callProcedure runs CALL procedure(args): its PL/pgSQL body, in a transaction block (its own outside one).
func (x *exec) callProcedure(cs *pg.CallStmt) (*Result, error) {
	f := cs.Funccall
	fn := x.userFunction(f)
	types := make([]string, len(f.Args)) // the call's argument types, as PostgreSQL's errors name them
	for i, a := range f.Args {
		types[i] = "unknown" // an untyped literal or NULL
		if t := x.typeOf(a, &scope{}); t != 0 && !isStringLiteral(a) && !isNullLiteral(a) {
			types[i] = TypeName(t)
		}
	}
	if fn == nil {
		if builtInName(funcName(f)) {
			return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("%s(%s) is not a procedure", funcName(f), strings.Join(types, ", ")),
				Hint: "To call a function, use SELECT.", Position: int(f.Location) + 1}
		}
		return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("procedure %s(%s) does not exist", funcName(f), strings.Join(types, ", ")),
			Position: int(f.Location) + 1, Hint: "No procedure matches the given name and argument types. You might need to add explicit type casts."}
	}
	if !fn.Procedure {
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("%s(%s) is not a procedure", fn.Name, strings.Join(types, ", ")),
			Hint: "To call a function, use SELECT.", Position: int(f.Location) + 1}
	}
	res := &Result{Tag: "CALL"}
	if fn.OutParams {
		// A procedure with OUT or INOUT parameters answers with one row of them.
		for i, n := range fn.OutNames {
			res.Columns = append(res.Columns, Column{Name: n, OID: fn.OutTypes[i]})
		}
	}
	if x.describe {
		return res, nil
	}
	if x.s.txn == nil {
		return nil, errNeedsBlock
	}
	args, err := x.functionArgs(fn, f, &scope{}, nil)
	if err != nil {
		return nil, err
	}
	for i := range args {
		if fn.inMode(i) == 'o' {
			args[i] = nil // an OUT parameter's argument only stands in for it: the body starts with NULL
		}
	}
	if fn.Language != "plpgsql" {
		_, stmts, err := x.sqlBody(fn, fn.Body)
		if err != nil {
			return nil, err
		}
		rel, err := x.callSQLRoutine(fn, stmts, args)
		if err == nil && fn.OutParams {
			// The OUT and INOUT parameters are the last statement's first row.
			if len(rel.rows) == 0 {
				return nil, errorf(CodeInternalError, "procedure returned null record")
			}
			row := make([]any, len(fn.OutNames))
			copy(row, rel.rows[0])
			res.Rows = [][]any{row}
		}
		return res, err
	}
	body, err := plParseCached(plSource(fn, fn.Body))
	if err != nil {
		return nil, err
	}
	p, _, err := x.runPL(body, fn, args, nil)
	if err != nil {
		return nil, err
	}
	if fn.OutParams {
		res.Rows = [][]any{p.outRow()}
	}
	return res, nil
}

// outRow is the values of the routine's OUT and INOUT parameters as its body left them.
func (p *plRun) outRow() []any {
	row := make([]any, len(p.fn.OutNames))
	for i, n := range p.fn.OutNames {
		if d := p.datumNamed(n); d >= 0 {
			row[i] = p.vals[d]
			if r, ok := row[i].(*plRecord); ok {
				row[i] = nil // a parameter of a table's row type: its row, or NULL
				if r != nil && !r.null {
					row[i] = record{names: r.names, oids: r.oids, vals: r.vals}
				}
			}
		}
	}
	return row
}
