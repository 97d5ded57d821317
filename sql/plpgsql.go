package sql

// PL/pgSQL: DO blocks and functions written in LANGUAGE plpgsql. PostgreSQL's own PL/pgSQL parser (pg_query's
// ParsePlPgSqlToJSON) reads a body into the tree this file decodes; plrun.go runs it. The SQL inside a body (its
// expressions, queries and statements) runs through this package as any statement does, each variable it names
// passed as a parameter.

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// plFunc is a parsed PL/pgSQL body: its variables (PostgreSQL's datums, by number) and its outermost block.
type plFunc struct {
	datums []*plDatum
	action *plStmt
	// found, sqlstate and sqlerrm are the numbers of the datums FOUND, SQLSTATE and SQLERRM (-1 for none).
	found int
	// rowVars are the variables declared with a table's row type that plParse made records (name → table).
	rowVars map[string]string
	// loopOnly are the variables of integer FOR loops, which no name outside their loop finds.
	loopOnly map[int]bool
	// declared are the variables a block's DECLARE section makes, which names find only while it runs.
	declared map[int]bool
	// aliases are the names ALIAS FOR declarations give: alias → the variable's name or $n (a parameter's).
	aliases map[string]string
	// fromParam are the records plParse declared for parameters of a table's row type whose fields the body
	// assigns (record → parameter): each starts as its argument, and an INOUT parameter's value is its record's.
	fromParam map[int]int
	// sqlLang marks a SQL-language routine's statements (sqlroutines.go): a name that is a column's as well as a
	// parameter's is the column, and errors name the statement by its number.
	sqlLang bool
}

// plDatum is one variable: a scalar (var), a record (rec), a list of variables assigned together (row: SELECT
// ... INTO a, b) or a record's field (recfield).
type plDatum struct {
	kind     string // "var", "rec", "row", "recfield"
	name     string
	lineno   int
	typ      string // a var's declared type, as written
	isConst  bool
	notNull  bool
	def      *plExpr
	fields   []int // a row's variables
	field    string
	parent   int // a recfield's record
	argument bool
	// cursorQuery is a bound cursor variable's query (c CURSOR [(args)] FOR query), nil for none; cursorArgs is the
	// row of its arguments' variables, -1 for none.
	cursorQuery   *plExpr
	cursorArgs    int
	cursorOptions int // DECLARE's [NO] SCROLL, as PostgreSQL's CURSOR_OPT_ bits
}

// plExpr is an expression, query or statement of the body, as SQL text.
type plExpr struct {
	query string
	mode  int // 0: a statement; 2: an expression; 3: an assignment (target := expression)
}

// plStmt is one statement of a body; kind is PostgreSQL's node name without PLpgSQL_stmt_.
type plStmt struct {
	kind   string
	lineno int
	label  string

	body, thenBody, elseBody []*plStmt
	elsifs                   []plCond // IF's ELSIF branches, CASE's WHEN branches
	haveElse                 bool

	cond, expr, query, lower, upper, step *plExpr
	varno                                 int // assign, return (retvarno), case (t_varno)
	loopVar                               int // fori, fors, foreach: the loop's variable (a var, rec or row)
	reverse, isExit, into, strict         bool
	target                                int // INTO's variable (-1: none)
	params                                []*plExpr
	handlers                              []plHandler

	// subs is an assignment's subscripts (a[i] := v, a[i][j] := v) as one query of them, nil for none; slice marks
	// a target with a slice (a[1:2] := ...).
	subs  *plExpr
	slice bool
	chain bool // COMMIT AND CHAIN, ROLLBACK AND CHAIN
	// decls are a block's declared variables, in the order declared (plScopeBlocks).
	decls []int

	// cursors: OPEN, FETCH, MOVE, CLOSE, FOR over a bound cursor
	curvar    int     // the cursor variable
	argquery  *plExpr // a bound cursor's arguments, as a query of them
	direction int     // FETCH's: PostgreSQL's FetchDirection (forward, backward, absolute, relative)
	howMany   int64   // FETCH's count, when no expression (expr) gives it
	isMove    bool
	// cursorOptions are OPEN's [NO] SCROLL, as PostgreSQL's CURSOR_OPT_ bits.
	cursorOptions int

	// raise
	level     int
	condname  string
	message   string
	options   []plRaiseOption
	diagItems []plDiagItem
	stacked   bool
}

type plCond struct {
	cond  *plExpr
	stmts []*plStmt
}

type plHandler struct {
	conditions []string // condition names, or SQLSTATEs
	action     []*plStmt
}

type plRaiseOption struct {
	kind int // PostgreSQL's PLpgSQL_raise_option_type: errcode, message, detail, hint, column, ...
	expr *plExpr
}

type plDiagItem struct {
	kind   string // ROW_COUNT, RETURNED_SQLSTATE, MESSAGE_TEXT, ...
	target int
}

// plCache keeps the parsed bodies of functions by their text, so that a function's body is parsed once and not at
// each call; a parsed body is never changed, and sessions share it. It holds at most plCacheMax bodies, and is
// emptied when it would hold more.
var plCache struct {
	mu sync.Mutex
	m  map[string]*plFunc
}

const plCacheMax = 256

// plParseCached is plParse of a function's text, from plCache when it holds it.
func plParseCached(stmt string) (*plFunc, error) {
	plCache.mu.Lock()
	f := plCache.m[stmt]
	plCache.mu.Unlock()
	if f != nil {
		return f, nil
	}
	f, err := plParse(stmt)
	if err != nil {
		return nil, err
	}
	plCache.mu.Lock()
	if plCache.m == nil || len(plCache.m) >= plCacheMax {
		plCache.m = map[string]*plFunc{}
	}
	plCache.m[stmt] = f
	plCache.mu.Unlock()
	return f, nil
}

// plParse parses a PL/pgSQL body: the text of a CREATE FUNCTION or DO statement.
func plParse(stmt string) (*plFunc, error) {
	text := returnNextVar.ReplaceAllString(stmt, "${1}(${2});")
	var rowVars map[string]string
	var paramRows map[string]bool
	js, err := pg.ParsePlPgSqlToJSON(text)
	for tries := 0; err != nil && tries < 64; tries++ {
		// The parser does not know a table's row type, so a field of a variable declared with one (r t, r
		// t%ROWTYPE) is no variable to it: the variable is declared a record instead, its table kept for the run.
		m := unknownField.FindStringSubmatch(err.Error())
		if m == nil {
			break
		}
		name := strings.ToLower(m[1])
		loc := rowDecl(name).FindStringSubmatchIndex(text)
		if loc == nil {
			break
		}
		if rowVars == nil {
			rowVars = map[string]string{}
		}
		rowVars[name] = strings.TrimSuffix(strings.ToLower(text[loc[4]:loc[5]]), "%rowtype")
		if rowVars[name] == "record" {
			delete(rowVars, name) // an OUT parameter of a table's row type, which the signature names record
		}
		if start := plBodyStart(text); start >= 0 && loc[0] < start {
			// A parameter: the parser makes no parameter a record, so the body's outermost block declares a record
			// of its name, which starts as the argument (plFunc.fromParam) and hides the parameter.
			if paramRows == nil {
				paramRows = map[string]bool{}
			}
			if paramRows[name] {
				break
			}
			paramRows[name] = true
			at := plBlockStart(text, start)
			text = text[:at] + " DECLARE " + quoteIdent(name) + " record; " + text[at:]
		} else {
			text = text[:loc[4]] + "record" + text[loc[5]:]
		}
		js, err = pg.ParsePlPgSqlToJSON(text)
	}
	if err != nil {
		return nil, plSyntaxError(err)
	}
	var top []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &top); err != nil || len(top) != 1 {
		return nil, errorf(CodeInternalError, "PL/pgSQL parse: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(top[0]["PLpgSQL_function"], &raw); err != nil {
		return nil, errorf(CodeInternalError, "PL/pgSQL parse: %v", err)
	}
	f := &plFunc{found: -1, rowVars: rowVars}
	for _, d := range plList(raw["datums"]) {
		kind, body := plNode(d)
		dt := &plDatum{kind: strings.TrimPrefix(kind, "PLpgSQL_"), name: plStr(body["refname"]), lineno: plNum(body["lineno"])}
		if dt.kind == "recfield" {
			dt.field, dt.parent = plStr(body["fieldname"]), plNum(body["recparentno"])
		}
		if t, ok := body["datatype"]; ok {
			_, tb := plNode(t)
			dt.typ = strings.TrimSpace(plStr(tb["typname"]))
		}
		dt.cursorQuery, dt.cursorArgs, dt.cursorOptions = plExprOf(body["cursor_explicit_expr"]), -1, plNum(body["cursor_options"])
		if _, ok := body["cursor_explicit_argrow"]; ok {
			dt.cursorArgs = plNum(body["cursor_explicit_argrow"])
		}
		dt.isConst, dt.notNull = plFlag(body["isconst"]), plFlag(body["notnull"])
		dt.def = plExprOf(body["default_val"])
		for _, fl := range plList(body["fields"]) {
			dt.fields = append(dt.fields, plNum(fl.(map[string]any)["varno"]))
		}
		if dt.name == "found" && dt.kind == "var" && f.found < 0 {
			f.found = len(f.datums)
		}
		f.datums = append(f.datums, dt)
	}
	f.action = f.stmt(raw["action"])
	f.loopOnly = map[int]bool{}
	plWalk(f.action, func(s *plStmt) {
		if s.kind == "fori" && s.loopVar >= 0 {
			f.loopOnly[s.loopVar] = true
		}
	})
	f.plScopeBlocks(plBodyOf(text))
	for name := range paramRows {
		param, local := -1, -1
		for i, d := range f.datums {
			switch {
			case d.name != name:
			case param < 0 && d.kind == "var" && (f.found < 0 || i < f.found):
				param = i
			case local < 0 && d.kind == "rec" && i > f.found:
				local = i
			}
		}
		if param >= 0 && local >= 0 {
			if f.fromParam == nil {
				f.fromParam = map[int]int{}
			}
			f.fromParam[local] = param
		}
	}
	return f, nil
}

// unknownField matches the parser's error for an assignment to r.f where r is no record to it.
var unknownField = regexp.MustCompile(`^"([A-Za-z_][A-Za-z0-9_$]*)\.[^"]*" is not a known variable`)

// rowDecl matches the declaration of variable or parameter name with a type that may be a table's row type: the
// type is its second group.
func rowDecl(name string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(\b` + regexp.QuoteMeta(name) + `\s+)([A-Za-z_][A-Za-z0-9_$]*(?:%rowtype)?)(\s*(?:;|:=|=|,|\)|\bdefault\b))`)
}

// returnNextVar matches RETURN NEXT of a variable, whose variable the parser's tree leaves out: it is made an
// expression, (v), which the tree keeps.
var returnNextVar = regexp.MustCompile(`(?i)(\bRETURN\s+NEXT\s+)([A-Za-z_][A-Za-z0-9_$]*)\s*;`)

// plSyntaxError is a body's syntax error as PostgreSQL reports it.
func plSyntaxError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		return errorf(CodeSyntaxError, "%s", pe.Message)
	}
	return errorf(CodeSyntaxError, "%s", err.Error())
}

// node splits a decoded tree node, {"Kind": {...}}, into its kind and fields.
func plNode(v any) (string, map[string]any) {
	m, _ := v.(map[string]any)
	for k, b := range m {
		body, _ := b.(map[string]any)
		return k, body
	}
	return "", nil
}

func plList(v any) []any { l, _ := v.([]any); return l }

func plStr(v any) string { s, _ := v.(string); return s }

func plNum(v any) int { n, _ := v.(float64); return int(n) }

func plFlag(v any) bool { b, _ := v.(bool); return b }

func plExprOf(v any) *plExpr {
	if v == nil {
		return nil
	}
	_, b := plNode(v)
	if b == nil {
		return nil
	}
	return &plExpr{query: plStr(b["query"]), mode: plNum(b["parseMode"])}
}

// datumOf is the number of the datum a statement's variable field names: records carry their number, a loop's
// scalar variable is found by its name and line.
func (f *plFunc) datumOf(v any) int {
	kind, b := plNode(v)
	if b == nil {
		return -1
	}
	if kind == "PLpgSQL_row" {
		// An INTO list's row is not among the datums when it was made for the statement: keep it as one.
		fields := []int{}
		for _, fl := range plList(b["fields"]) {
			fields = append(fields, plNum(fl.(map[string]any)["varno"]))
		}
		for i, d := range f.datums {
			if d.kind == "row" && d.lineno == plNum(b["lineno"]) && slices.Equal(d.fields, fields) {
				return i
			}
		}
		f.datums = append(f.datums, &plDatum{kind: "row", name: plStr(b["refname"]), lineno: plNum(b["lineno"]), fields: fields})
		return len(f.datums) - 1
	}
	if d, ok := b["dno"]; ok {
		return plNum(d)
	}
	name, line := plStr(b["refname"]), plNum(b["lineno"])
	typ := ""
	if t, ok := b["datatype"]; ok {
		_, tb := plNode(t)
		typ = strings.TrimSpace(plStr(tb["typname"]))
	}
	for i, d := range f.datums {
		// The type tells an integer FOR loop's own variable from one declared on the same line.
		if d.name == name && d.lineno == line && "PLpgSQL_"+d.kind == kind && (typ == "" || d.typ == typ) {
			return i
		}
	}
	if kind == "PLpgSQL_rec" {
		return 0 // the first record's number is 0, which the tree leaves out
	}
	return -1
}

func (f *plFunc) stmts(v any) []*plStmt {
	var out []*plStmt
	for _, s := range plList(v) {
		out = append(out, f.stmt(s))
	}
	return out
}

func (f *plFunc) stmt(v any) *plStmt {
	kind, b := plNode(v)
	s := &plStmt{kind: strings.TrimPrefix(kind, "PLpgSQL_stmt_"), lineno: plNum(b["lineno"]), label: plStr(b["label"]), target: -1, loopVar: -1}
	s.body = f.stmts(b["body"])
	s.cond, s.expr, s.query = plExprOf(b["cond"]), plExprOf(b["expr"]), plExprOf(b["query"])
	s.lower, s.upper, s.step = plExprOf(b["lower"]), plExprOf(b["upper"]), plExprOf(b["step"])
	s.reverse, s.isExit, s.into, s.strict = plFlag(b["reverse"]), plFlag(b["is_exit"]), plFlag(b["into"]), plFlag(b["strict"])
	s.varno = plNum(b["varno"])
	for _, p := range plList(b["params"]) {
		s.params = append(s.params, plExprOf(p))
	}
	switch s.kind {
	case "commit", "rollback":
		s.chain = plFlag(b["chain"])
	case "open":
		s.curvar, s.argquery, s.cursorOptions = plNum(b["curvar"]), plExprOf(b["argquery"]), plNum(b["cursor_options"])
		if d := plExprOf(b["dynquery"]); d != nil {
			s.expr = d // OPEN ... FOR EXECUTE string [USING ...]
		}
	case "fetch":
		s.curvar, s.direction, s.isMove = plNum(b["curvar"]), plNum(b["direction"]), plFlag(b["is_move"])
		s.howMany = int64(1)
		if v, ok := b["how_many"].(float64); ok {
			s.howMany = int64(v)
			if v >= 9e18 {
				s.howMany = fetchAll // ALL, which JSON's float loses
			}
		}
	case "close":
		s.curvar = plNum(b["curvar"])
	case "forc":
		s.curvar, s.argquery = plNum(b["curvar"]), plExprOf(b["argquery"])
	case "assign":
		if s.expr != nil {
			s.subs, s.slice = plTargetSubscripts(s.expr.query)
		}
	case "if":
		s.thenBody, s.elseBody = f.stmts(b["then_body"]), f.stmts(b["else_body"])
		for _, e := range plList(b["elsif_list"]) {
			_, eb := plNode(e)
			s.elsifs = append(s.elsifs, plCond{cond: plExprOf(eb["cond"]), stmts: f.stmts(eb["stmts"])})
		}
	case "case":
		s.expr = plExprOf(b["t_expr"])
		s.varno = plNum(b["t_varno"])
		for _, e := range plList(b["case_when_list"]) {
			_, eb := plNode(e)
			s.elsifs = append(s.elsifs, plCond{cond: plExprOf(eb["expr"]), stmts: f.stmts(eb["stmts"])})
		}
		s.haveElse, s.elseBody = plFlag(b["have_else"]), f.stmts(b["else_stmts"])
	case "execsql":
		s.query = plExprOf(b["sqlstmt"])
	case "dynexecute", "dynfors":
		s.query = plExprOf(b["query"])
	case "return", "return_next":
		s.varno = -1 // RETURN's value is its expression: OUT parameters, which RETURN alone would return, are refused
	case "return_query":
		if d := plExprOf(b["dynquery"]); d != nil {
			s.expr = d
		}
	case "foreach_a":
		s.loopVar = s.varno
	case "raise":
		s.level, s.condname, s.message = plNum(b["elog_level"]), plStr(b["condname"]), plStr(b["message"])
		for _, o := range plList(b["options"]) {
			_, ob := plNode(o)
			s.options = append(s.options, plRaiseOption{kind: plNum(ob["opt_type"]), expr: plExprOf(ob["expr"])})
		}
	case "assert":
		s.expr = plExprOf(b["message"])
	case "getdiag":
		s.stacked = plFlag(b["is_stacked"])
		for _, d := range plList(b["diag_items"]) {
			_, db := plNode(d)
			s.diagItems = append(s.diagItems, plDiagItem{kind: plStr(db["kind"]), target: plNum(db["target"])})
		}
	}
	if t, ok := b["target"]; ok {
		s.target = f.datumOf(t)
	}
	if lv, ok := b["var"]; ok {
		s.loopVar = f.datumOf(lv)
	}
	if ex, ok := b["exceptions"]; ok {
		_, eb := plNode(ex)
		for _, e := range plList(eb["exc_list"]) {
			_, hb := plNode(e)
			var h plHandler
			for _, c := range plList(hb["conditions"]) {
				_, cb := plNode(c)
				h.conditions = append(h.conditions, plStr(cb["condname"]))
			}
			h.action = f.stmts(hb["action"])
			s.handlers = append(s.handlers, h)
		}
		if s.handlers == nil {
			s.handlers = []plHandler{} // EXCEPTION with no handler still makes the block a subtransaction
		}
	}
	return s
}

// plSource is the text PostgreSQL's PL/pgSQL parser reads for a function: a CREATE FUNCTION naming its
// parameters, so that the body's references to them are variables.
func plSource(fn *userFunc, body string) string {
	var b strings.Builder
	if fn.Procedure {
		b.WriteString("CREATE PROCEDURE ")
	} else {
		b.WriteString("CREATE FUNCTION ")
	}
	b.WriteString(quoteIdent(fn.Name))
	b.WriteString("(")
	// The parameters a call passes come first, in their order (the run's first datums are its arguments), then
	// a function's OUT ones.
	for i, t := range fn.ArgTypes {
		if i > 0 {
			b.WriteString(", ")
		}
		switch fn.inMode(i) {
		case 'o':
			b.WriteString("OUT ")
		case 'b':
			b.WriteString("INOUT ")
		case 'v':
			b.WriteString("VARIADIC ")
		}
		if n := fn.ArgNames[i]; n != "" {
			b.WriteString(quoteIdent(n) + " ")
		}
		if i < len(fn.ArgTables) && fn.ArgTables[i] != "" {
			b.WriteString(quoteIdent(fn.ArgTables[i])) // a table's row: a variable of its row type
			continue
		}
		b.WriteString(TypeName(t))
	}
	sep := len(fn.ArgTypes) > 0
	for i, n := range fn.OutNames {
		if !fn.OutParams || fn.Procedure || fn.outIsInOut(i) {
			continue
		}
		if sep {
			b.WriteString(", ")
		}
		sep = true
		b.WriteString("OUT " + quoteIdent(n) + " " + TypeName(fn.OutTypes[i]))
	}
	if fn.Procedure {
		b.WriteString(") LANGUAGE plpgsql AS ")
		b.WriteString(dollarQuote(body))
		return b.String()
	}
	b.WriteString(") RETURNS ")
	switch {
	case fn.RetTable != "" && fn.SetOf:
		b.WriteString("SETOF " + quoteIdent(fn.RetTable))
	case fn.RetTable != "":
		b.WriteString(quoteIdent(fn.RetTable))
	case fn.OutParams:
		b.WriteString(TypeName(fn.Returns))
	case len(fn.OutNames) > 0:
		b.WriteString("TABLE(")
		for i, n := range fn.OutNames {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(n) + " " + TypeName(fn.OutTypes[i]))
		}
		b.WriteString(")")
	case fn.SetOf:
		b.WriteString("SETOF " + TypeName(fn.Returns))
	default:
		b.WriteString(TypeName(fn.Returns))
	}
	b.WriteString(" LANGUAGE plpgsql AS ")
	b.WriteString(dollarQuote(body))
	return b.String()
}

// dollarQuote quotes a body with a dollar tag it does not hold.
func dollarQuote(body string) string {
	tag := "$plpgsql$"
	for i := 0; strings.Contains(body, tag); i++ {
		tag = fmt.Sprintf("$plpgsql%d$", i)
	}
	return tag + body + tag
}

// plpgsqlOID is pg_language's oid of plpgsql, as PostgreSQL 15's initdb gives it.
const plpgsqlOID = 13563

// plTargetSubscripts reads the subscripts of an assignment's target, "a[i + 1][2] := v": a query of them ("SELECT
// i + 1, 2"), nil when the target has none; slice is set when one is a slice.
func plTargetSubscripts(text string) (*plExpr, bool) {
	target := strings.TrimSuffix(text, plAssignValue(text))
	target = strings.TrimRight(strings.TrimSpace(target), ":=")
	open := strings.IndexByte(target, '[')
	if open < 0 {
		return nil, false
	}
	var subs []string
	depth, start, slice := 0, 0, false
	for i := open; i < len(target); i++ {
		switch c := target[i]; {
		case c == '[':
			if depth == 0 {
				start = i + 1
			}
			depth++
		case c == ']':
			depth--
			if depth == 0 {
				subs = append(subs, "("+target[start:i]+")")
			}
		case c == ':' && depth == 1 && !(i+1 < len(target) && target[i+1] == ':') && !(i > 0 && target[i-1] == ':'):
			slice = true
		}
	}
	if len(subs) == 0 {
		return nil, false
	}
	return &plExpr{query: strings.Join(subs, ", "), mode: 2}, slice
}
