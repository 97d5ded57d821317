package sql

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// PostgreSQL resolves every operator and function of a statement against its operands' types before it reads a
// row, so a call no operator or function takes fails even over an empty table. checkTypes does the same for the
// mismatches Concord can name for certain: it looks only at operands whose type is plain to see (a column of a
// declared table, a constant, a cast), never at a parameter's or a schemaless field's, so it refuses nothing
// PostgreSQL accepts.

// textOnlyArgs are string functions that PostgreSQL defines for text (and some for bytea) only, with the
// positions of their text arguments: a number, boolean or date there matches no function (42883).
var textOnlyArgs = map[string][]int{
	"lower": {0}, "upper": {0}, "initcap": {0}, "length": {0}, "char_length": {0}, "character_length": {0},
	"octet_length": {0}, "reverse": {0}, "ascii": {0}, "md5": {0}, "quote_ident": {0},
	"btrim": {0, 1}, "ltrim": {0, 1}, "rtrim": {0, 1}, "replace": {0, 1, 2}, "translate": {0, 1, 2},
	"strpos": {0, 1}, "starts_with": {0, 1}, "split_part": {0, 1}, "left": {0}, "right": {0}, "repeat": {0},
	"lpad": {0, 2}, "rpad": {0, 2}, "substr": {0},
}

// scalarKind is the type of an operand whose type is plain to see, and whether it is one: a column reference, a
// constant other than a string or NULL, or a cast.
func (x *exec) scalarKind(n *pg.Node, sc *scope) (uint32, bool) {
	switch {
	case n == nil:
		return 0, false
	case n.GetColumnRef() != nil:
		if sc.schemaless(columnFields(n.GetColumnRef())) {
			return 0, false // a sample's type, not the column's
		}
	case n.GetTypeCast() != nil:
	case n.GetAConst() != nil:
		if isStringLiteral(n) || isNullLiteral(n) {
			return 0, false
		}
	default:
		return 0, false
	}
	t := x.typeOf(n, sc)
	return t, t != 0
}

// notText reports whether a value of type t never becomes text without a cast: a number, a boolean, a date or
// time.
func notText(t uint32) bool {
	switch {
	case isNumericType(t), t == OIDBool, t == OIDDate, t == OIDTime, t == OIDTimestamp, t == OIDTimestamptz,
		t == OIDInterval:
		return true
	}
	return false
}

// isTextType is a string type's.
func isTextType(t uint32) bool { return category(t) == OIDText }

// typesPassed reports whether the running statement passed its type checks before, at the catalog generation
// the session sees now: the checks depend only on the statement and the catalog, so they are skipped.
func (x *exec) typesPassed() bool {
	if x.st == nil || x.describe {
		return false
	}
	gen, ok := x.s.e.b.catalogGeneration()
	m := x.st.typesOK.Load()
	return ok && m != nil && m.gen == gen && m.db == x.s.database && !x.blockChanged() && len(x.s.temps) == 0
}

// typesChecked records that the running statement ran through its type checks without an error (it ran
// without one), at the catalog generation gen it was read at.
func (x *exec) typesChecked(gen uint64, ok bool) {
	if x.st == nil || !ok || x.describe || x.blockChanged() || len(x.s.temps) > 0 { // the session's own tables
		return
	}
	if m := x.st.typesOK.Load(); m == nil || m.gen != gen || m.db != x.s.database {
		x.st.typesOK.Store(&typesMark{db: x.s.database, gen: gen}) // once: the statement is shared by sessions
	}
}

// checkTypes fails, as PostgreSQL does before reading a row, on an arithmetic operator between a number and a
// string or two strings, on || between two values neither of which is a string, an array or a document, on a
// comparison between values of different kinds (compareKind), on a window function without OVER, on an aggregate
// given a type it does not take (checkAggregateArg), and on a string function given a number, boolean or date.
// Subqueries check their own.
func (x *exec) checkTypes(n *pg.Node, sc *scope) error {
	if x.typesPassed() {
		return nil
	}
	var bad error
	walkNoSub(n, func(m *pg.Node) bool {
		switch {
		case m.GetAExpr() != nil && m.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_NULLIF:
			// NULLIF(a, b) compares with a = b: types of different categories have no such operator.
			a := m.GetAExpr()
			lt, lok := x.scalarKind(a.Lexpr, sc)
			rt, rok := x.scalarKind(a.Rexpr, sc)
			if lok && rok && lt != rt && lt != OIDUnknown && rt != OIDUnknown {
				if _, err := commonType("NULLIF", lt, rt); err != nil {
					bad = noOperator(lt, "=", rt, int(a.Location))
				}
			}
		case m.GetAExpr() != nil:
			bad = x.checkOperator(m.GetAExpr(), sc)
		case m.GetFuncCall() != nil:
			f := m.GetFuncCall()
			name := funcName(f)
			ordered := len(f.Funcname) == 1 && (hypotheticalSet[name] && (f.AggWithinGroup || len(f.Args) > 0) || orderedSetAggregates[name])
			switch {
			case ordered && f.Over != nil && f.AggWithinGroup:
				bad = &Error{Code: CodeFeatureNotSupported, Message: "OVER is not supported for ordered-set aggregate " + name,
					Position: int(f.Location) + 1}
			case ordered && hypotheticalSet[name] && !f.AggWithinGroup && f.Over == nil:
				bad = &Error{Code: CodeWrongObjectType, Message: "WITHIN GROUP is required for ordered-set aggregate " + name,
					Position: int(f.Location) + 1}
			}
			if bad != nil {
				break
			}
			if pureWindow[name] && f.Over == nil && len(f.Funcname) == 1 {
				if hypotheticalSet[name] && f.AggWithinGroup {
					break // the hypothetical-set aggregate of the name (rank(3) WITHIN GROUP (ORDER BY x))
				}
				bad = &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("window function %s requires an OVER clause", name),
					Position: int(f.Location) + 1}
				break
			}
			if bad = x.checkTextArgs(f, sc); bad == nil {
				bad = x.checkAggregateArg(f, sc)
			}
		case m.GetCaseExpr() != nil:
			// PostgreSQL takes the ELSE first, then the THENs in order.
			ce := m.GetCaseExpr()
			if at, ok := x.scalarKind(ce.Arg, sc); ok && at != OIDUnknown {
				// CASE x WHEN v: each v is compared with x by =.
				for _, w := range ce.Args {
					vt, vok := x.scalarKind(w.GetCaseWhen().GetExpr(), sc)
					if !vok || vt == at || vt == OIDUnknown {
						continue
					}
					if _, err := commonType("CASE", at, vt); err != nil {
						bad = noOperator(at, "=", vt, int(w.GetCaseWhen().GetLocation()))
						return true
					}
				}
			}
			exprs := []*pg.Node{ce.Defresult}
			for _, w := range ce.Args {
				exprs = append(exprs, w.GetCaseWhen().GetResult())
			}
			bad = x.checkCommon("CASE", exprs, sc)
		case m.GetCoalesceExpr() != nil:
			bad = x.checkCommon("COALESCE", m.GetCoalesceExpr().Args, sc)
		case m.GetMinMaxExpr() != nil:
			what := "GREATEST"
			if m.GetMinMaxExpr().Op == pg.MinMaxOp_IS_LEAST {
				what = "LEAST"
			}
			bad = x.checkCommon(what, m.GetMinMaxExpr().Args, sc)
		case m.GetAArrayExpr() != nil:
			bad = x.checkCommon("ARRAY", m.GetAArrayExpr().Elements, sc)
		}
		return bad != nil
	})
	return bad
}

// checkCommon fails as PostgreSQL's select_common_type does on the results of a CASE, the arguments of COALESCE,
// GREATEST or LEAST, or an ARRAY's elements, when two whose types are plain to see are of different categories
// (42804, "CASE types text and integer cannot be matched") or do not convert to each other (42846), pointing
// at the one that does not fit.
func (x *exec) checkCommon(what string, exprs []*pg.Node, sc *scope) error {
	var have uint32
	for _, e := range exprs {
		t, ok := x.scalarKind(e, sc)
		if !ok || t == OIDUnknown {
			continue
		}
		if have == 0 || have == t {
			have = t
			continue
		}
		common, err := commonType(what, have, t)
		if err != nil {
			if pe, isErr := err.(*Error); isErr {
				if pe.Code == CodeCannotCoerce && what == "CASE" {
					pe.Message = "CASE/WHEN" + strings.TrimPrefix(pe.Message, "CASE") // as coerce_to_common_type names it
				}
				if loc := exprStart(e); loc >= 0 {
					pe.Position = loc + 1
				}
			}
			return err
		}
		have = common
	}
	return nil
}

func (x *exec) checkOperator(a *pg.A_Expr, sc *scope) error {
	if a.Kind != pg.A_Expr_Kind_AEXPR_OP || len(a.Name) != 1 || a.Lexpr == nil || a.Rexpr == nil {
		return nil
	}
	op := a.Name[0].GetString_().GetSval()
	lt, lok := x.scalarKind(a.Lexpr, sc)
	rt, rok := x.scalarKind(a.Rexpr, sc)
	if !lok || !rok {
		return nil
	}
	mismatch := false
	switch op {
	case "+", "-", "*", "/", "%":
		mismatch = isTextType(lt) && (isTextType(rt) || isNumericType(rt)) || isNumericType(lt) && isTextType(rt)
	case "||":
		mismatch = notText(lt) && notText(rt)
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		// A string, a number, a boolean and a date or time compare only with their own kind: name = 1 and
		// d > 5 are errors in PostgreSQL, not comparisons that are false.
		lc, rc := compareKind(lt), compareKind(rt)
		mismatch = lc != "" && rc != "" && lc != rc && !isRegCast(a.Lexpr) && !isRegCast(a.Rexpr)
	}
	if !mismatch {
		return nil
	}
	return noOperator(lt, op, rt, int(a.Location))
}

// pureWindow are the functions that are window functions only: called without OVER they are 42809.
var pureWindow = map[string]bool{"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true,
	"cume_dist": true, "ntile": true, "lag": true, "lead": true, "first_value": true, "last_value": true, "nth_value": true}

// compareKind is the category of a type among those that compare only with their own: S (strings), N (numbers),
// B (booleans), D (dates and times); "" for any other type.
func compareKind(t uint32) string {
	switch c := commonCategory(t); c {
	case "S", "N", "B", "D":
		if t == OIDOID {
			return "" // an oid is compared with regclass values, which Concord types as text
		}
		return c
	}
	return ""
}

// isRegCast reports whether n is a cast to regclass, regtype or regproc: an oid to PostgreSQL, text to typeOf.
func isRegCast(n *pg.Node) bool {
	tc := n.GetTypeCast()
	return tc != nil && (isRegclass(tc.TypeName) || isRegtype(tc.TypeName) || typeNameIs(tc.TypeName, "regproc") ||
		typeNameIs(tc.TypeName, "regnamespace"))
}

// aggregateArgs are the aggregates whose argument must be a number (or an interval), and those whose argument
// must be of a type with an order PostgreSQL defines them for; a string, boolean, date or document given to the
// one, or a boolean or document to the other, matches no function (42883).
var (
	numericAggregates = map[string]bool{"sum": true, "avg": true, "stddev": true, "stddev_samp": true,
		"stddev_pop": true, "variance": true, "var_samp": true, "var_pop": true}
	orderedAggregates = map[string]bool{"min": true, "max": true}
)

// checkAggregateArg is 42883 for sum(text), avg(date), max(jsonb) and the like, before a row is read.
func (x *exec) checkAggregateArg(f *pg.FuncCall, sc *scope) error {
	name := funcName(f)
	if len(f.Args) != 1 || len(f.Funcname) != 1 || !numericAggregates[name] && !orderedAggregates[name] {
		return nil
	}
	t, ok := x.scalarKind(f.Args[0], sc)
	if !ok || t == OIDUnknown {
		return nil
	}
	bad := false
	switch {
	case numericAggregates[name]:
		bad = !isNumericType(t) && !(t == OIDInterval && (name == "sum" || name == "avg"))
	default:
		bad = t == OIDBool || t == OIDJSON || t == OIDJSONB
	}
	if !bad {
		return nil
	}
	return x.noSuchFunction(name, f, sc)
}

// noOperator is PostgreSQL's 42883 for an operator op no type pair lt, rt has, at the statement's offset loc.
func noOperator(lt uint32, op string, rt uint32, loc int) *Error {
	return &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("operator does not exist: %s %s %s", TypeName(lt), op, TypeName(rt)),
		Position: loc + 1, Hint: "No operator matches the given name and argument types. You might need to add explicit type casts."}
}

func (x *exec) checkTextArgs(f *pg.FuncCall, sc *scope) error {
	if len(f.Funcname) != 1 && !(len(f.Funcname) == 2 && f.Funcname[0].GetString_().GetSval() == "pg_catalog") {
		return nil
	}
	pos, ok := textOnlyArgs[funcName(f)]
	if !ok || f.AggStar || f.Over != nil {
		return nil
	}
	for _, i := range pos {
		if i >= len(f.Args) {
			break
		}
		if t, ok := x.scalarKind(f.Args[i], sc); ok && notText(t) {
			return x.noSuchFunction(funcName(f), f, sc)
		}
	}
	return nil
}

// assignMismatch reports whether PostgreSQL refuses to store a value of type from in a column of type to without
// an explicit cast: no assignment cast leads from one to the other. Types it does not know the answer for are
// let through.
func assignMismatch(from, to uint32) bool {
	isTime := func(t uint32) bool { return category(t) == OIDTimestamptz }
	switch {
	case from == to || from == 0 || to == 0 || isTextType(to):
		return false
	case isNumericType(to):
		return isTextType(from) || from == OIDBool || isTime(from) || from == OIDInterval
	case to == OIDBool:
		return isTextType(from) || isNumericType(from) || isTime(from) || from == OIDInterval
	case isTime(to):
		return isTextType(from) || isNumericType(from) || from == OIDBool || from == OIDInterval
	case to == OIDInterval:
		return isTextType(from) || isNumericType(from) || from == OIDBool || isTime(from)
	case to == OIDJSONB:
		return isTextType(from) || isNumericType(from) || from == OIDBool || isTime(from) || from == OIDInterval
	}
	return false
}

// checkAssign is PostgreSQL's 42804 for an expression of a type plain to see (scalarKind) stored in column col of
// t, whose type no assignment cast reaches: `column "a" is of type integer but expression is of type text`.
func (x *exec) checkAssign(t *table, col string, e *pg.Node, sc *scope) error {
	if !t.declared || x.typesPassed() {
		return nil
	}
	to := t.colType(col)
	from, ok := x.scalarKind(e, sc)
	if !ok || !assignMismatch(from, to) {
		return nil
	}
	return assignError(col, to, from, e)
}

// assignError is the 42804 of expression e, of type from, stored in column col of type to.
func assignError(col string, to, from uint32, e *pg.Node) *Error {
	return &Error{Code: CodeDatatypeMismatch, Message: fmt.Sprintf("column %q is of type %s but expression is of type %s", col, TypeName(to), TypeName(from)),
		Position: exprStart(e) + 1, Hint: "You will need to rewrite or cast the expression."}
}

// exprStart is the position of an expression's first token, as PostgreSQL's exprLocation gives it: a cast's
// argument's for a cast.
func exprStart(n *pg.Node) int {
	if tc := n.GetTypeCast(); tc != nil {
		if a := exprStart(tc.Arg); a >= 0 && (a < int(tc.Location) || tc.Location < 0) {
			return a
		}
		return int(tc.Location)
	}
	return nodeLocation(n)
}

// checkSetTypes is checkAssign for each SET target of an UPDATE of t: the table's columns (and a FROM list's,
// fromCols) in scope. The scope is built only when a target is a column reference.
func (x *exec) checkSetTypes(t *table, alias string, targets []*pg.Node, fromCols []relCol) error {
	if !t.declared || x.typesPassed() {
		return nil
	}
	var sc *scope
	for _, tg := range targets {
		rt := tg.GetResTarget()
		if rt == nil || len(rt.Indirection) > 0 {
			continue
		}
		switch {
		case rt.Val.GetColumnRef() != nil, rt.Val.GetTypeCast() != nil:
			if sc == nil {
				cols := tableCols(t, alias)
				sc = &scope{cols: cols, row: make([]any, len(cols))}
				if fromCols != nil {
					sc.outer = &scope{cols: fromCols, row: make([]any, len(fromCols))}
				}
			}
		case rt.Val.GetAConst() != nil:
		default:
			continue
		}
		s := sc
		if s == nil {
			s = &scope{}
		}
		if err := x.checkAssign(t, rt.Name, rt.Val, s); err != nil {
			return err
		}
	}
	return nil
}

// checkSelectedTypes is checkAssign for INSERT ... SELECT: each output of a plain SELECT whose type is plain to
// see (a column, a cast, a constant other than a string) must reach its column's type by assignment. The
// outputs' types are the SELECT's own (rel).
func checkSelectedTypes(t *table, names []string, sel *pg.SelectStmt, rel *relation, vis []int) error {
	if !t.declared || len(sel.ValuesLists) > 0 || sel.Op != pg.SetOperation_SETOP_NONE && sel.Op != pg.SetOperation_SET_OPERATION_UNDEFINED ||
		len(sel.TargetList) != len(vis) {
		return nil
	}
	for i, tg := range sel.TargetList {
		rt := tg.GetResTarget()
		if rt == nil || i >= len(names) {
			break
		}
		e := rt.Val
		switch {
		case e.GetColumnRef() != nil:
			if f := columnFields(e.GetColumnRef()); f[len(f)-1] == "*" {
				return nil
			}
		case e.GetTypeCast() != nil:
		case e.GetAConst() != nil && !isStringLiteral(e) && !isNullLiteral(e):
		default:
			continue
		}
		to, from := t.colType(names[i]), rel.cols[vis[i]].oid
		if assignMismatch(from, to) {
			return assignError(names[i], to, from, e)
		}
	}
	return nil
}
