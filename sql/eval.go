package sql

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// eval evaluates an expression for the row sc holds, with SQL's
// three-valued logic (nil is NULL).
func (x *exec) eval(n *pg.Node, sc *scope) (any, error) {
	switch {
	case n == nil:
		return nil, nil
	case n.GetAConst() != nil:
		return constValue(n.GetAConst())
	case n.GetSetToDefault() != nil:
		if !x.insertValues {
			return nil, &Error{Code: CodeSyntaxError, Message: "DEFAULT is not allowed in this context",
				Position: int(n.GetSetToDefault().Location) + 1}
		}
		return defaultMarker{}, nil
	case n.GetParamRef() != nil:
		i := int(n.GetParamRef().Number)
		if x.describe && (i < 1 || i > len(x.params)) {
			return nil, nil // being typed, or a plain EXPLAIN given no such value
		}
		if i < 1 || i > len(x.params) {
			return nil, errorf(CodeUndefinedParameter, "there is no parameter $%d", i)
		}
		return x.params[i-1], nil
	case n.GetColumnRef() != nil:
		cr := n.GetColumnRef()
		fields := columnFields(cr)
		v, _, found, err := sc.lookup(fields)
		if err != nil {
			return nil, err
		}
		if !found {
			if fc := x.attributeCall(fields, cr, sc); fc != nil {
				return x.eval(fc, sc)
			}
			return nil, unknownColumn(fields, cr.Location, sc)
		}
		return v, nil
	case n.GetAExpr() != nil:
		return x.evalAExpr(n.GetAExpr(), sc)
	case n.GetBoolExpr() != nil:
		return x.evalBool(n.GetBoolExpr(), sc)
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		v, err := x.eval(nt.Arg, sc)
		if err != nil {
			return nil, err
		}
		if r, isRecord := v.(record); isRecord {
			// A row IS NULL when every field is, IS NOT NULL when none is (both false for a row of both).
			want := nt.Nulltesttype == pg.NullTestType_IS_NULL
			for _, f := range r.vals {
				if (f == nil) != want {
					return false, nil
				}
			}
			return true, nil
		}
		return (v == nil) == (nt.Nulltesttype == pg.NullTestType_IS_NULL), nil
	case n.GetBooleanTest() != nil:
		bt := n.GetBooleanTest()
		v, err := x.eval(bt.Arg, sc)
		if err != nil {
			return nil, err
		}
		switch bt.Booltesttype {
		case pg.BoolTestType_IS_TRUE:
			return v == true, nil
		case pg.BoolTestType_IS_NOT_TRUE:
			return v != true, nil
		case pg.BoolTestType_IS_FALSE:
			return v == false, nil
		case pg.BoolTestType_IS_NOT_FALSE:
			return v != false, nil
		case pg.BoolTestType_IS_UNKNOWN:
			return v == nil, nil
		default:
			return v != nil, nil
		}
	case n.GetSubLink() != nil:
		return x.evalSubLink(n.GetSubLink(), sc)
	case n.GetCaseExpr() != nil:
		return x.evalCase(n.GetCaseExpr(), sc)
	case n.GetGroupingFunc() != nil:
		return groupingFunc(n.GetGroupingFunc().Args, sc), nil
	case n.GetCoalesceExpr() != nil:
		args := n.GetCoalesceExpr().Args
		t, err := x.literalType(n.GetCoalesceExpr(), func() []*pg.Node { return args }, sc)
		if err != nil {
			return nil, err
		}
		for _, a := range args {
			v, err := x.evalAs(a, t, sc)
			if err != nil || v != nil {
				return v, err
			}
		}
		return nil, nil
	case n.GetMinMaxExpr() != nil:
		mm := n.GetMinMaxExpr()
		t, err := x.literalType(mm, func() []*pg.Node { return mm.Args }, sc)
		if err != nil {
			return nil, err
		}
		var best any
		for _, a := range mm.Args {
			v, err := x.evalAs(a, t, sc)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			c, _ := compare(v, best)
			if best == nil || (mm.Op == pg.MinMaxOp_IS_GREATEST && c > 0) || (mm.Op == pg.MinMaxOp_IS_LEAST && c < 0) {
				best = v
			}
		}
		return best, nil
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if d, err := x.domainNamed(tc.TypeName); err != nil || d != nil {
			if err != nil {
				return nil, err
			}
			return x.castDomain(tc, d, sc)
		}
		oid, err := x.resolveType(tc.TypeName)
		if err != nil {
			if v, ok, rerr := x.rowTypeCast(tc, sc); ok {
				return v, rerr
			}
			return nil, err
		}
		v, err := x.eval(tc.Arg, sc)
		if err != nil {
			return nil, err
		}
		if isRegclass(tc.TypeName) {
			return x.regclassOf(v)
		}
		if isRegtype(tc.TypeName) {
			return x.regtypeOf(v)
		}
		if s, ok := v.(string); ok && typeNameIs(tc.TypeName, "regproc") {
			return strings.TrimPrefix(s, "pg_catalog."), nil // a function's name, as pg_type.typinput holds it
		}
		if n, ok := v.(int64); ok && typeNameIs(tc.TypeName, "regproc") {
			// A database function's oid (pg_trigger.tgfoid::regproc, as pg_dump reads it): its name.
			if fns, err := x.userFunctions(); err == nil {
				for _, list := range fns {
					for _, fn := range list {
						if int64(fn.OID) == n {
							return fn.Name, nil
						}
					}
				}
			}
		}
		typmod, err := typmodOf(tc.TypeName, oid)
		if err != nil {
			return nil, err
		}
		if a, isArr := v.([]any); isArr && (oid == OIDText || oid == OIDVarchar) && IsVector(x.typeOf(tc.Arg, sc)) {
			parts := make([]string, len(a)) // an int2vector's text is its elements apart: indkey::text is "1 2"
			for i, e := range a {
				parts[i] = formatText(e)
			}
			v = strings.Join(parts, " ")
		}
		if oid == OIDText || oid == OIDVarchar {
			v = x.numericText(v, tc.Arg, sc)
			if b, ok := v.(bool); ok {
				v = strconv.FormatBool(b) // a boolean casts to 'true' or 'false' (its output is t or f)
			}
		}
		if f, isFloat := v.(float64); isFloat && oid == OIDNumeric && !math.IsInf(f, 0) && !math.IsNaN(f) && x.typeOf(tc.Arg, sc) == OIDFloat4 {
			v = strconv.FormatFloat(f, 'g', 6, 64) // a real's six significant digits, as PostgreSQL's float4_numeric
		}
		if s, ok := v.(string); ok && oid == OIDInterval && typmod > 0 {
			iv, err := parseIntervalFields(s, typmod) // interval '7' day: 7 days
			if err != nil {
				return nil, atLiteral(err, tc.Arg)
			}
			v = iv
		}
		c, err := coerce(x.castZone(x.relativeTime(v, oid), tc.Arg, sc, oid), oid)
		if err != nil {
			if e, ok := err.(*Error); ok && e.Position == 0 && isStringLiteral(tc.Arg) {
				e.Position = int(tc.Arg.GetAConst().Location) + 1 // PostgreSQL reads the literal as the type
			}
			return nil, err
		}
		return applyTypmod(c, oid, typmod, true)
	case n.GetFuncCall() != nil:
		return x.evalFunc(n.GetFuncCall(), sc)
	case n.GetSqlvalueFunction() != nil:
		return x.sqlValue(n.GetSqlvalueFunction())
	case n.GetAArrayExpr() != nil:
		a, err := x.evalList(n.GetAArrayExpr().Elements, sc)
		if err == nil {
			err = checkArrayShape(a)
		}
		return a, err
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection()
		v, err := x.eval(ind.Arg, sc)
		if err != nil {
			return nil, err
		}
		if _, isArr := v.([]any); isArr && IsVector(x.typeOf(ind.Arg, sc)) {
			return x.indirectFrom(v, ind.Indirection, sc, 0)
		}
		if rec, ok := v.(record); ok && rec.typ != "" && len(ind.Indirection) > 0 {
			// (t).nope of a table's row: PostgreSQL names it as the column t.nope.
			if f := ind.Indirection[0].GetString_(); f != nil && !slices.Contains(rec.names, f.Sval) {
				if cr := ind.Arg.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
					return nil, &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %s.%s does not exist", cr.Fields[0].GetString_().Sval, f.Sval),
						Position: int(cr.Location) + 1}
				}
			}
		}
		return x.indirect(v, ind.Indirection, sc)
	case n.GetList() != nil:
		return x.evalList(n.GetList().Items, sc)
	case n.GetNamedArgExpr() != nil:
		return x.eval(n.GetNamedArgExpr().Arg, sc)
	case n.GetCollateClause() != nil:
		return x.eval(n.GetCollateClause().Arg, sc)
	case n.GetRowExpr() != nil:
		return x.rowValue(n.GetRowExpr(), sc)
	}
	return nil, unsupported(fmt.Sprintf("the expression %s", nodeName(n)))
}

// evalList evaluates each node of an array constructor or a list, in order.
func (x *exec) evalList(nodes []*pg.Node, sc *scope) ([]any, error) {
	out := make([]any, len(nodes))
	for i, e := range nodes {
		v, err := x.eval(e, sc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// nodeName names a node's kind for error messages.
func nodeName(n *pg.Node) string {
	s := fmt.Sprintf("%T", n.GetNode())
	s = strings.TrimPrefix(s, "*pg_query.Node_")
	return s
}

// attributeCall is PostgreSQL's functional notation for a reference t.f that names no column of t: a call f(t)
// of a function whose one parameter is a table's row, nil when there is none.
func (x *exec) attributeCall(fields []string, cr *pg.ColumnRef, sc *scope) *pg.Node {
	if len(fields) != 2 || !sc.qualifies(fields[0]) || builtInName(fields[1]) {
		return nil
	}
	fc := &pg.FuncCall{Funcname: []*pg.Node{pg.MakeStrNode(fields[1])}, Location: cr.Location,
		Args: []*pg.Node{{Node: &pg.Node_ColumnRef{ColumnRef: &pg.ColumnRef{Fields: []*pg.Node{pg.MakeStrNode(fields[0])}, Location: cr.Location}}}}}
	fn := x.userFunction(fc)
	if fn == nil || len(fn.ArgTypes) != 1 || len(fn.ArgTables) != 1 || fn.ArgTables[0] == "" || fn.returnsSet() {
		return nil
	}
	return &pg.Node{Node: &pg.Node_FuncCall{FuncCall: fc}}
}

// unknownColumn is the 42703 of a reference no source in sc has, or the 42P01 of a qualifier that names no source.
func unknownColumn(fields []string, loc int32, sc *scope) *Error {
	if len(fields) == 2 && !sc.qualifies(fields[0]) {
		return &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("missing FROM-clause entry for table %q", fields[0]),
			Position: int(loc) + 1}
	}
	if len(fields) > 1 {
		return &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %s does not exist", strings.Join(fields, ".")),
			Position: int(loc) + 1, Hint: sc.nearestColumn(fields)}
	}
	return &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %q does not exist", fields[0]), Position: int(loc) + 1,
		Hint: sc.nearestColumn(fields)}
}

// nearestColumn is PostgreSQL's hint for a misspelt column (fields: [name] or [qualifier, name]): the column of
// the sources in scope (of the qualifier's, when given) nearest the name by edit distance, if it differs in at most
// half the name's characters and no other column is as near, or the two columns of two sources equally near.
func (sc *scope) nearestColumn(fields []string) string {
	name, qual := fields[len(fields)-1], ""
	if len(fields) == 2 {
		qual = fields[0]
	}
	best := len(name)/2 + 1
	var found []string
	for s := sc; s != nil; s = s.outer {
		for _, c := range s.cols {
			if c.hidden || c.whole || c.qual == "" || (qual != "" && c.qual != qual) {
				continue
			}
			d := levenshtein(name, c.name)
			ref := fmt.Sprintf("\"%s.%s\"", c.qual, c.name)
			switch {
			case d < best:
				best, found = d, []string{ref}
			case d == best && len(found) > 0 && !slices.Contains(found, ref):
				found = append(found, ref)
			}
		}
	}
	switch len(found) {
	case 1:
		return "Perhaps you meant to reference the column " + found[0] + "."
	case 2:
		return "Perhaps you meant to reference the column " + found[0] + " or the column " + found[1] + "."
	}
	return ""
}

// levenshtein is the edit distance of a and b (insertions, deletions and substitutions of a byte each cost 1).
func levenshtein(a, b string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// constValue is a literal's value: integers are int64, other numbers
// numerics (*apd.Decimal), as in PostgreSQL.
func constValue(c *pg.A_Const) (any, error) {
	if c.Isnull {
		return nil, nil
	}
	switch v := c.Val.(type) {
	case *pg.A_Const_Ival:
		return int64(v.Ival.Ival), nil
	case *pg.A_Const_Fval:
		s := v.Fval.Fval
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
		d, ok := parseDecimal(s)
		if !ok {
			return nil, errorf(CodeInvalidTextRep, "invalid number %q", s)
		}
		return d, nil
	case *pg.A_Const_Sval:
		return v.Sval.Sval, nil
	case *pg.A_Const_Boolval:
		return v.Boolval.Boolval, nil
	case *pg.A_Const_Bsval:
		return v.Bsval.Bsval, nil
	}
	return nil, nil
}

// opName returns an A_Expr's operator ("=", "+", "~~").
func opName(names []*pg.Node) string {
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1].GetString_().GetSval()
}

func (x *exec) evalAExpr(a *pg.A_Expr, sc *scope) (any, error) {
	op := opName(a.Name)
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			r, err := x.eval(a.Rexpr, sc)
			if err != nil || r == nil {
				return nil, err
			}
			switch op {
			case "-":
				if iv, ok := r.(interval); ok {
					return iv.neg(), nil
				}
				if f, ok := r.(float64); ok {
					return -f, nil // -(0.0::float8) is -0, as in PostgreSQL
				}
				return arith("-", int64(0), r)
			case "+":
				return r, nil
			case "@":
				return x.scalarFunc("abs", nil, []any{r})
			case "|/", "||/": // of a float8, whatever number it is given
				f, err := coerce(numeric(r), OIDFloat8)
				if err != nil {
					return nil, err
				}
				if op == "|/" {
					return x.scalarFunc("sqrt", nil, []any{f})
				}
				v, _, err := builtin("cbrt", []any{f})
				return v, err
			case "~":
				if i, ok := numeric(r).(int64); ok {
					return ^i, nil
				}
				if in, ok := r.(inetValue); ok {
					return notInet(in), nil
				}
			}
			return nil, unsupported("prefix operator " + op)
		}
		if lr, rr := a.Lexpr.GetRowExpr(), a.Rexpr.GetRowExpr(); lr != nil && rr != nil {
			return x.rowCompare(op, lr.Args, rr.Args, sc)
		}
		l, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		if op == "||" {
			// An untyped literal or parameter beside a bytea is a bytea, as PostgreSQL resolves bytea || bytea; an
			// untyped literal beside an array is an array of its type, as PostgreSQL resolves anyarray || anyarray
			// (tags || '{x}' adds x; tags || 'x' is a malformed array literal).
			if l, r, err = byteaOperands(l, r, a.Lexpr, a.Rexpr); err != nil {
				return nil, err
			}
			if l, r, err = x.arrayLiteralOperands(l, r, a.Lexpr, a.Rexpr, sc); err != nil {
				return nil, err
			}
			if (l == nil) != (r == nil) {
				if v, ok := x.nullArrayConcat(l, r, a.Lexpr, a.Rexpr, sc); ok {
					return v, nil
				}
			}
			_, la := l.([]any)
			_, ra := r.([]any)
			if !la && !ra { // text || text: a numeric(p,s) shows its scale (1.50 || 'x' is 1.50x)
				l, r = x.numericText(l, a.Lexpr, sc), x.numericText(r, a.Rexpr, sc)
				l, r = x.shownTime(l, a.Lexpr, sc), x.shownTime(r, a.Rexpr, sc)
			}
		}
		switch op {
		case "=", "<>", "!=", "<", ">", "<=", ">=":
			l, r = x.bpcharOperands(l, r, a.Lexpr, a.Rexpr, sc)
			l, r = x.zonedOperands(l, r, a.Lexpr, a.Rexpr, sc)
			if l, r, err = x.literalOperands(l, r, a.Lexpr, a.Rexpr, sc); err != nil {
				return nil, err
			}
			if l, r, err = x.arrayLiteralOperands(l, r, a.Lexpr, a.Rexpr, sc); err != nil {
				return nil, err // tags = '{a}': the literal is a text[]
			}
		}
		switch op {
		case "@>", "<@", "&&":
			// tags @> '{x}': the untyped literal is an array of the other side's type, as in PostgreSQL.
			if isStringLiteral(a.Lexpr) && isStringLiteral(a.Rexpr) {
				return nil, &Error{Code: "42725", Message: "operator is not unique: unknown " + op + " unknown",
					Hint: "Could not choose a best candidate operator. You might need to add explicit type casts.", Position: int(a.Location) + 1}
			}
			if l, r, err = x.arrayLiteralOperands(l, r, a.Lexpr, a.Rexpr, sc); err != nil {
				return nil, err
			}
		case "+", "-", "*", "/", "%":
			// '1.5' + 1 is 22P02: the untyped literal takes the integer's type, as in PostgreSQL.
			if isStringLiteral(a.Lexpr) != isStringLiteral(a.Rexpr) {
				if l, r, err = x.literalOperands(l, r, a.Lexpr, a.Rexpr, sc); err != nil {
					return nil, err
				}
			}
		}
		_, lTime := l.(time.Time)
		_, rTime := r.(time.Time)
		if (op == "+" || op == "-") && (lTime || rTime) { // typed only when a date may be in it: not per row of every sum
			if lt, rt := x.typeOf(a.Lexpr, sc), x.typeOf(a.Rexpr, sc); dateArith(op, lt, rt) != 0 {
				return x.zonedDateOp(op, l, r, lt, rt)
			}
		}
		return binaryOp(op, l, r)
	case pg.A_Expr_Kind_AEXPR_OP_ANY, pg.A_Expr_Kind_AEXPR_OP_ALL:
		l, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		if str, isText := r.(string); isText && isStringLiteral(a.Rexpr) {
			// x = ANY('{a,b}'): an untyped literal is an array of the left side's type, as in PostgreSQL.
			if r, err = coerce(str, OIDTextArray); err != nil {
				return nil, err
			}
			if e := x.typeOf(a.Lexpr, sc); e != 0 && types[e].array != 0 {
				if r, err = coerce(r, types[e].array); err != nil {
					return nil, err
				}
			}
		}
		arr, ok := r.([]any)
		if r == nil {
			return nil, nil
		}
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "op ANY/ALL (array) requires array on right side")
		}
		return quantified(op, l, arr, a.Kind == pg.A_Expr_Kind_AEXPR_OP_ALL)
	case pg.A_Expr_Kind_AEXPR_IN:
		if lr := a.Lexpr.GetRowExpr(); lr != nil {
			// (a, b) IN ((1, 2), (3, 4)) is (a, b) = (1, 2) OR (a, b) = (3, 4); NOT IN the negation.
			var in any = false
			for _, it := range a.Rexpr.GetList().GetItems() {
				rr := it.GetRowExpr()
				if rr == nil {
					return nil, errorf(CodeDatatypeMismatch, "operator does not exist: record = %s", TypeName(x.typeOf(it, sc)))
				}
				eq, err := x.rowCompare("=", lr.Args, rr.Args, sc)
				if err != nil {
					return nil, err
				}
				in = or3(in, eq)
			}
			if op == "<>" {
				return not3(in), nil
			}
			return in, nil
		}
		l, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		arr, _ := r.([]any)
		if lt := x.typeOf(a.Lexpr, sc); isArrayType(lt) && !IsVector(lt) && l != nil ||
			lt != 0 && !isArrayType(lt) && lt != OIDText && lt != OIDUnknown {
			// i IN ('1', '2'), tags IN ('{a}', '{b}'): an untyped literal is a value of the left side's type (22P02
			// when it is not one).
			typed := make([]any, len(arr))
			for i, e := range arr {
				typed[i] = e
				if it := a.Rexpr.GetList().GetItems(); i < len(it) && isStringLiteral(it[i]) && e != nil {
					v, err := coerce(e, lt)
					if err != nil {
						return nil, atLiteral(err, it[i])
					}
					typed[i] = v
				}
			}
			arr = typed
		}
		if _, isReal := l.(float64); isReal && x.typeOf(a.Lexpr, sc) == OIDFloat4 && x.inListAsReal(a.Rexpr.GetList().GetItems(), sc) {
			// real IN (0.1, 0.2): the items' common type with the real is real, so each number rounds to one.
			rounded := make([]any, len(arr))
			for i, e := range arr {
				rounded[i] = e
				if f, isNum := toFloat(numeric(e)); isNum && e != nil {
					rounded[i] = float64(float32(f))
				}
			}
			arr = rounded
		}
		if s, ok := l.(string); ok && x.typeOf(a.Lexpr, sc) == OIDBpchar {
			l = strings.TrimRight(s, " ")
			trimmed := make([]any, len(arr))
			for i, e := range arr {
				if es, ok := e.(string); ok {
					e = strings.TrimRight(es, " ")
				}
				trimmed[i] = e
			}
			arr = trimmed
		}
		if op == "<>" {
			v, err := quantified("<>", l, arr, true)
			return v, err
		}
		return quantified("=", l, arr, false)
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE, pg.A_Expr_Kind_AEXPR_SIMILAR:
		// SIMILAR TO is ~ (!~ for NOT) with the regular expression similar_to_escape makes of the pattern.
		l, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		return binaryOp(op, l, r)
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN,
		pg.A_Expr_Kind_AEXPR_BETWEEN_SYM, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		v, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		bounds := a.Rexpr.GetList().GetItems()
		if len(bounds) != 2 {
			return nil, errorf(CodeSyntaxError, "BETWEEN needs two bounds")
		}
		lo, err := x.eval(bounds[0], sc)
		if err != nil {
			return nil, err
		}
		hi, err := x.eval(bounds[1], sc)
		if err != nil {
			return nil, err
		}
		if a.Kind == pg.A_Expr_Kind_AEXPR_BETWEEN_SYM || a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			if c, ok := compare(lo, hi); ok && c > 0 {
				lo, hi = hi, lo
			}
		}
		vlo, lo := x.zonedOperands(v, lo, a.Lexpr, bounds[0], sc)
		ge, err := binaryOp(">=", vlo, lo)
		if err != nil {
			return nil, err
		}
		vhi, hi := x.zonedOperands(v, hi, a.Lexpr, bounds[1], sc)
		le, err := binaryOp("<=", vhi, hi)
		if err != nil {
			return nil, err
		}
		res := and3(ge, le)
		if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN || a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM {
			return not3(res), nil
		}
		return res, nil
	case pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		if lr, rr := a.Lexpr.GetRowExpr(), a.Rexpr.GetRowExpr(); lr != nil && rr != nil {
			// (a, b) IS NOT DISTINCT FROM (1, NULL): every pair of fields is, a NULL beside a NULL the same.
			if len(lr.Args) != len(rr.Args) {
				return nil, errorf(CodeSyntaxError, "unequal number of entries in row expressions")
			}
			same := true
			for i := range lr.Args {
				v, err := x.evalAExpr(&pg.A_Expr{Kind: pg.A_Expr_Kind_AEXPR_NOT_DISTINCT, Name: a.Name, Lexpr: lr.Args[i], Rexpr: rr.Args[i]}, sc)
				if err != nil {
					return nil, err
				}
				same = same && v == true
			}
			return same == (a.Kind == pg.A_Expr_Kind_AEXPR_NOT_DISTINCT), nil
		}
		l, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		if l, r, err = x.arrayLiteralOperands(l, r, a.Lexpr, a.Rexpr, sc); err != nil {
			return nil, err
		}
		same := (l == nil && r == nil)
		if l != nil && r != nil {
			c, _ := compare(l, r)
			same = c == 0
		}
		return same == (a.Kind == pg.A_Expr_Kind_AEXPR_NOT_DISTINCT), nil
	case pg.A_Expr_Kind_AEXPR_NULLIF:
		l, err := x.eval(a.Lexpr, sc)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(a.Rexpr, sc)
		if err != nil {
			return nil, err
		}
		if eq, _ := binaryOp("=", l, r); eq == true {
			return nil, nil
		}
		return l, nil
	}
	return nil, unsupported("the operator " + op)
}

// literalOperands converts an untyped string literal compared with a number or a boolean to that type, as
// PostgreSQL types the literal before it reads a row: id = 'x' is 22P02 even when no row is compared.
func (x *exec) literalOperands(l, r any, ln, rn *pg.Node, sc *scope) (any, any, error) {
	return x.typedLiteral(l, r, ln, rn, sc, func(t uint32) bool { return isNumericType(t) || t == OIDBool })
}

// arrayLiteralOperands converts an untyped string literal beside an array to the array's type ('{x,y}' beside a
// text[] is the array of x and y).
func (x *exec) arrayLiteralOperands(l, r any, ln, rn *pg.Node, sc *scope) (any, any, error) {
	return x.typedLiteral(l, r, ln, rn, sc, func(t uint32) bool { return isArrayType(t) && !IsVector(t) })
}

// nullArrayConcat is l || r where one of them is NULL and either is an array, as PostgreSQL's array_cat,
// array_append and array_prepend take a NULL: a NULL array is an empty one (NULL::text[] || 'x'::text is {x}, an
// array || NULL of unknown type is the array) and a NULL element is added (arr || NULL::int adds a NULL). ok is
// false for other operands (text || NULL is NULL).
func (x *exec) nullArrayConcat(l, r any, ln, rn *pg.Node, sc *scope) (v any, ok bool) {
	lt, rt := x.typeOf(ln, sc), x.typeOf(rn, sc)
	if lt == OIDJSONB || rt == OIDJSONB || !isArrayType(lt) && !isArrayType(rt) || IsVector(lt) || IsVector(rt) {
		return nil, false
	}
	val, nullType, valFirst := l, rt, true
	if l == nil {
		val, nullType, valFirst = r, lt, false
	}
	arr, isArr := val.([]any)
	switch {
	case isArr && (isArrayType(nullType) || nullType == OIDUnknown || isNullConst(ln) || isNullConst(rn)):
		return append([]any{}, arr...), true // array || NULL array
	case isArr && valFirst:
		return append(append([]any{}, arr...), nil), true // array || NULL element
	case isArr:
		return append([]any{nil}, arr...), true // NULL element || array
	default:
		return []any{val}, true // NULL array || element, element || NULL array
	}
}

// isNullConst reports whether n is the constant NULL, of no type.
func isNullConst(n *pg.Node) bool {
	return n.GetAConst() != nil && n.GetAConst().Isnull
}

// typedLiteral converts the operand that is an untyped string literal to the other operand's type when takes
// that type, pointing a failure at the literal.
func (x *exec) typedLiteral(l, r any, ln, rn *pg.Node, sc *scope, takes func(uint32) bool) (any, any, error) {
	if isStringLiteral(rn) && r != nil {
		if t := x.typeOf(ln, sc); takes(t) {
			v, err := coerce(r, t)
			return l, v, atLiteral(err, rn)
		}
	}
	if isStringLiteral(ln) && l != nil {
		if t := x.typeOf(rn, sc); takes(t) {
			v, err := coerce(l, t)
			return v, r, atLiteral(err, ln)
		}
	}
	return l, r, nil
}

// atLiteral gives err, a literal's failed conversion, the literal's position when it has none, as PostgreSQL
// points at the literal.
func atLiteral(err error, lit *pg.Node) error {
	if e, ok := err.(*Error); ok && e.Position == 0 && lit.GetAConst() != nil {
		e.Position = int(lit.GetAConst().Location) + 1
	}
	return err
}

// inListAsReal reports whether real_x IN (items) compares its items as reals. PostgreSQL gives the items that are
// not columns, when there are more than one, a common type with x: real, unless one is a double. A single item is
// real_x = item, where a numeric constant is compared as a double (0.1::real = 0.1 is false).
func (x *exec) inListAsReal(items []*pg.Node, sc *scope) bool {
	nonColumns := 0
	for _, it := range items {
		if it.GetColumnRef() != nil {
			continue
		}
		nonColumns++
		if x.typeOf(it, sc) == OIDFloat8 {
			return false
		}
	}
	return nonColumns > 1
}

// isStringLiteral reports whether n is a string constant without a type ('x', not 'x'::text).
func isStringLiteral(n *pg.Node) bool {
	if c := n.GetAConst(); c != nil {
		_, ok := c.Val.(*pg.A_Const_Sval)
		return ok
	}
	return false
}

// rowCompare is the comparison of two row constructors, (a, b) < (1, 2), as PostgreSQL's RowCompareExpr makes it:
// = is true when every pair of fields is equal, false when one pair is not, else NULL; <> its negation; <, <=, >
// and >= decide on the first pair of fields that are not equal, NULL when a NULL comes before that pair, and
// when every pair is equal are true for <= and >= only.
func (x *exec) rowCompare(op string, l, r []*pg.Node, sc *scope) (any, error) {
	if len(l) != len(r) {
		return nil, errorf(CodeSyntaxError, "unequal number of entries in row expressions")
	}
	lv, err := x.evalArgs(l, sc)
	if err != nil {
		return nil, err
	}
	rv, err := x.evalArgs(r, sc)
	if err != nil {
		return nil, err
	}
	return rowCompareValues(op, lv, rv)
}

// rowCompareValues is rowCompare of two rows' evaluated fields, as many on each side.
func rowCompareValues(op string, lv, rv []any) (any, error) {
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
	default:
		return nil, errorf(CodeUndefinedFunction, "operator %s is not supported for row expressions", op)
	}
	if op == "=" || op == "<>" || op == "!=" {
		var eq any = true
		for i := range lv {
			v, err := binaryOp("=", lv[i], rv[i])
			if err != nil {
				return nil, err
			}
			eq = and3(eq, v)
		}
		if op == "=" {
			return eq, nil
		}
		return not3(eq), nil
	}
	for i := range lv {
		if lv[i] == nil || rv[i] == nil {
			return nil, nil
		}
		eq, err := binaryOp("=", lv[i], rv[i])
		if err != nil {
			return nil, err
		}
		if eq != true {
			return binaryOp(op, lv[i], rv[i])
		}
	}
	return op == "<=" || op == ">=", nil
}

// quantified is l op ANY(arr) (all false) or l op ALL(arr).
func quantified(op string, l any, arr []any, all bool) (any, error) {
	var sawNull bool
	for _, e := range arr {
		v, err := binaryOp(op, l, e)
		if err != nil {
			return nil, err
		}
		switch v {
		case nil:
			sawNull = true
		case true:
			if !all {
				return true, nil
			}
		case false:
			if all {
				return false, nil
			}
		}
	}
	if sawNull || (l == nil && len(arr) > 0) {
		return nil, nil
	}
	return all, nil
}

// and3, or3 and not3 are SQL's three-valued AND, OR and NOT.
func and3(a, b any) any {
	if a == false || b == false {
		return false
	}
	if a == nil || b == nil {
		return nil
	}
	return true
}

func or3(a, b any) any {
	if a == true || b == true {
		return true
	}
	if a == nil || b == nil {
		return nil
	}
	return false
}

func not3(a any) any {
	if a == nil {
		return nil
	}
	return a != true
}

func (x *exec) evalBool(b *pg.BoolExpr, sc *scope) (any, error) {
	switch b.Boolop {
	case pg.BoolExprType_NOT_EXPR:
		v, err := x.eval(b.Args[0], sc)
		if err != nil {
			return nil, err
		}
		return not3(asBool(v)), nil
	case pg.BoolExprType_AND_EXPR:
		var res any = true
		for _, a := range b.Args {
			v, err := x.eval(a, sc)
			if err != nil {
				return nil, err
			}
			if res = and3(res, asBool(v)); res == false {
				return false, nil
			}
		}
		return res, nil
	default:
		var res any = false
		for _, a := range b.Args {
			v, err := x.eval(a, sc)
			if err != nil {
				return nil, err
			}
			if res = or3(res, asBool(v)); res == true {
				return true, nil
			}
		}
		return res, nil
	}
}

// asBool reads a value as a boolean (nil stays NULL).
func asBool(v any) any {
	switch b := v.(type) {
	case nil:
		return nil
	case bool:
		return b
	}
	c, err := coerce(v, OIDBool)
	if err != nil {
		return nil
	}
	return c
}

// truthy reports whether a WHERE condition holds (NULL does not).
func truthy(v any) bool { return asBool(v) == true }

func (x *exec) evalCase(c *pg.CaseExpr, sc *scope) (any, error) {
	t, err := x.literalType(c, func() []*pg.Node { return caseResults(c) }, sc)
	if err != nil {
		return nil, err
	}
	var arg any
	if c.Arg != nil {
		var err error
		if arg, err = x.eval(c.Arg, sc); err != nil {
			return nil, err
		}
	}
	for _, w := range c.Args {
		cw := w.GetCaseWhen()
		v, err := x.eval(cw.Expr, sc)
		if err != nil {
			return nil, err
		}
		if c.Arg != nil {
			if v, err = binaryOp("=", arg, v); err != nil {
				return nil, err
			}
		}
		if truthy(v) {
			return x.evalAs(cw.Result, t, sc)
		}
	}
	return x.evalAs(c.Defresult, t, sc)
}

// caseResults are a CASE's results: each WHEN's, then the ELSE's when it has one.
func caseResults(c *pg.CaseExpr) []*pg.Node {
	results := make([]*pg.Node, 0, len(c.Args)+1)
	for _, w := range c.Args {
		results = append(results, w.GetCaseWhen().Result)
	}
	if c.Defresult != nil {
		results = append(results, c.Defresult)
	}
	return results
}

// literalType is resolveLiterals for expression e (a COALESCE, GREATEST / LEAST or CASE) whose results args
// returns, worked out on its first evaluation in the statement and kept for the rows after it.
func (x *exec) literalType(e any, args func() []*pg.Node, sc *scope) (uint32, error) {
	if t, ok := x.litTypes[e]; ok {
		return t, nil
	}
	t, err := x.resolveLiterals(args(), sc)
	if err != nil {
		return 0, err
	}
	if x.litTypes == nil {
		x.litTypes = map[any]uint32{}
	}
	x.litTypes[e] = t
	return t, nil
}

// literalTypes are the types an untyped string literal among COALESCE's, GREATEST's or LEAST's arguments or a
// CASE's results is read as when the others have that type (resolveLiterals).
var literalTypes = map[uint32]bool{OIDInt2: true, OIDInt4: true, OIDInt8: true, OIDNumeric: true, OIDFloat4: true,
	OIDFloat8: true, OIDBool: true, OIDDate: true}

// resolveLiterals is PostgreSQL's common type of COALESCE's, GREATEST's or LEAST's arguments or a CASE's results
// for the untyped string literals among them: when the other expressions agree on a number type, boolean or date,
// each such literal must be a valid value of it, checked before anything is evaluated (coalesce(1, 'a') is 22P02
// however the first argument turns out), and is read as one (evalAs). It returns that type, 0 when no literal
// needs it.
func (x *exec) resolveLiterals(args []*pg.Node, sc *scope) (uint32, error) {
	if !slices.ContainsFunc(args, isStringLiteral) {
		return 0, nil
	}
	t := x.commonType(args, sc)
	if !literalTypes[t] {
		return 0, nil
	}
	for _, a := range args {
		if isStringLiteral(a) {
			if _, err := coerce(a.GetAConst().GetSval().GetSval(), t); err != nil {
				if e, ok := err.(*Error); ok && e.Position == 0 {
					e.Position = int(a.GetAConst().Location) + 1
				}
				return 0, err
			}
		}
	}
	return t, nil
}

// evalAs evaluates n, an untyped string literal read as type t when t is not 0 (resolveLiterals).
func (x *exec) evalAs(n *pg.Node, t uint32, sc *scope) (any, error) {
	v, err := x.eval(n, sc)
	if err != nil || t == 0 || !isStringLiteral(n) {
		return v, err
	}
	return coerce(v, t)
}

// isNullLiteral reports whether n is the constant NULL.
func isNullLiteral(n *pg.Node) bool {
	c := n.GetAConst()
	return c != nil && c.Isnull
}

// indirect applies subscripts (1-based, as PostgreSQL's) and field
// selections to a value.
func (x *exec) indirect(v any, ind []*pg.Node, sc *scope) (any, error) {
	return x.indirectFrom(v, ind, sc, 1)
}

// indirectFrom is indirect with arrays subscripted from lower: 1 for PostgreSQL's arrays, 0 for an int2vector.
func (x *exec) indirectFrom(v any, ind []*pg.Node, sc *scope, lower int64) (any, error) {
	for n, i := range ind {
		switch {
		case i.GetAIndices() != nil:
			ai := i.GetAIndices()
			if ai.IsSlice {
				a, ok := v.([]any)
				if v == nil || !ok {
					if v != nil {
						return nil, unsupported("a slice of this value")
					}
					return nil, nil
				}
				var err error
				if v, err = x.slice(a, ai, sc, lower); err != nil || v == nil {
					return nil, err
				}
				continue
			}
			k, err := x.eval(ai.Uidx, sc)
			if err != nil {
				return nil, err
			}
			kv, err := coerce(k, OIDInt8)
			if err != nil || kv == nil {
				return nil, err
			}
			pos := kv.(int64) - lower + 1
			switch a := v.(type) {
			case []any:
				if pos < 1 || pos > int64(len(a)) {
					return nil, nil
				}
				v = a[pos-1]
				if _, sub := v.([]any); sub && (n+1 == len(ind) || ind[n+1].GetAIndices() == nil) {
					return nil, nil // fewer subscripts than a multi-dimensional array has dimensions: NULL
				}
			case bson.RawValue:
				if a.Type != bson.TypeArray {
					return nil, nil
				}
				vals, _ := a.Array().Values()
				if pos < 1 || pos > int64(len(vals)) {
					return nil, nil
				}
				v = fromBSON(vals[pos-1])
			default:
				return nil, nil
			}
		case i.GetString_() != nil:
			name := i.GetString_().GetSval()
			if rec, ok := v.(record); ok && !slices.Contains(rec.names, name) && rec.typ == "" {
				// (ROW(1, 2)).a: PostgreSQL resolves a record's field by name when it plans the statement.
				return nil, errorf(CodeUndefinedColumn, "could not identify column \"%s\" in record data type", name)
			}
			v = descend(v, []string{name})
		default:
			return nil, unsupported("this subscript")
		}
	}
	return v, nil
}

// slice is a[lo:hi] of a one-dimensional array subscripted from lower: the elements from lo to hi, both ends
// optional (a[:2], a[2:]) and cut to the array's bounds, an empty array when none is left, NULL for a NULL bound,
// as in PostgreSQL.
func (x *exec) slice(a []any, ai *pg.A_Indices, sc *scope, lower int64) (any, error) {
	bound := func(n *pg.Node, def int64) (int64, bool, error) {
		if n == nil {
			return def, true, nil
		}
		k, err := x.eval(n, sc)
		if err != nil || k == nil {
			return 0, false, err
		}
		kv, err := coerce(k, OIDInt8)
		if err != nil {
			return 0, false, err
		}
		return kv.(int64) - lower + 1, true, nil
	}
	lo, ok, err := bound(ai.Lidx, 1)
	if err != nil || !ok {
		return nil, err
	}
	hi, ok, err := bound(ai.Uidx, int64(len(a)))
	if err != nil || !ok {
		return nil, err
	}
	lo, hi = max(lo, 1), min(hi, int64(len(a)))
	if lo > hi {
		return []any{}, nil
	}
	return append([]any{}, a[lo-1:hi]...), nil
}

// binaryOp applies an infix operator. Comparisons of NULL are NULL.
func binaryOp(op string, l, r any) (any, error) {
	if op == "@?" || op == "@@" {
		return jsonPathOp(op, l, r)
	}
	if v, ok, err := jsonbOp(op, l, r); ok {
		return v, err
	}
	switch op {
	case "||":
		if l == nil || r == nil {
			return nil, nil
		}
		la, lok := l.([]any)
		ra, rok := r.([]any)
		switch dl, dr := len(arrayDims(la)), len(arrayDims(ra)); {
		case lok && rok && dl == dr+1 && dr > 0:
			return append(append([]any{}, la...), ra), nil // {{1,2}} || {3,4}: a row added
		case lok && rok && dr == dl+1 && dl > 0:
			return append([]any{la}, ra...), nil
		case lok && rok && dl != dr && dl > 0 && dr > 0:
			return nil, &Error{Code: CodeArraySubscriptError, Message: "cannot concatenate incompatible arrays",
				Detail: "Arrays with differing dimensions are not compatible for concatenation."}
		case lok && rok:
			return append(append([]any{}, la...), ra...), nil
		case lok:
			return append(append([]any{}, la...), r), nil
		case rok:
			return append([]any{l}, ra...), nil
		}
		if lb, ok := l.(Bytea); ok {
			if rb, ok := r.(Bytea); ok {
				return lb + rb, nil
			}
		}
		return concatText(l) + concatText(r), nil
	case "#>", "#>>", "?", "?|", "?&":
		v, _, err := jsonOp(op, l, r)
		return v, err
	case "->", "->>":
		if l == nil || r == nil {
			return nil, nil
		}
		rv, ok := jsonValue(l)
		if !ok {
			if arr, isArr := l.([]any); isArr {
				if i, isInt := r.(int64); isInt && i >= 0 && i < int64(len(arr)) {
					if op == "->>" {
						return formatText(arr[i]), nil
					}
					return fromGo(arr[i]), nil
				}
			}
			return nil, nil
		}
		var out bson.RawValue
		switch k := r.(type) {
		case string:
			if rv.Type != bson.TypeEmbeddedDocument {
				return nil, nil
			}
			out = rv.Document().Lookup(k)
		case int64:
			if rv.Type != bson.TypeArray {
				// jsonb keeps a scalar as an array of one (its "raw scalar"): element 0, or -1, of it is the
				// scalar, as PostgreSQL reads it; json's text has no such array.
				if _, isJSON := l.(jsonText); !isJSON && rv.Type != bson.TypeEmbeddedDocument && (k == 0 || k == -1) {
					out = rv
					break
				}
				return nil, nil
			}
			vals, _ := rv.Array().Values()
			if k < 0 {
				k += int64(len(vals)) // from the end
			}
			if k < 0 || k >= int64(len(vals)) {
				return nil, nil
			}
			out = vals[k]
		}
		// A JSON null is a jsonb value (-> gives it, IS NULL is false); ->> makes it SQL NULL.
		if out.Type == 0 || out.Type == bson.TypeNull && op == "->>" {
			return nil, nil
		}
		if op == "->>" {
			return jsonFieldText(out), nil
		}
		return out, nil
	}
	if l == nil || r == nil {
		return nil, nil
	}
	if v, ok, err := inetOperator(op, l, r); ok {
		return v, err
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		if err := enumOperands(&l, &r); err != nil {
			return nil, err // a string that is no label of the other side's enum type: 22P02
		}
		if err := uuidOperands(&l, &r); err != nil {
			return nil, err
		}
		if err := inetOperands(&l, &r); err != nil {
			return nil, err
		}
		if lr, isRec := l.(record); isRec {
			if rr, isRec := r.(record); isRec {
				return compareRecords(op, lr, rr)
			}
		}
		c, ok := compare(l, r)
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "operator does not exist: %s %s %s",
				TypeName(valueOID(l)), op, TypeName(valueOID(r)))
		}
		return compared3(op, c), nil
	case "+", "-", "*", "/", "%", "^":
		return arith(op, l, r)
	case "&", "|", "#", "<<", ">>":
		li, lok := numeric(l).(int64)
		ri, rok := numeric(r).(int64)
		if lok && rok {
			return bitwise(op, li, ri), nil
		}
	case "~~", "!~~", "~~*", "!~~*":
		subject, pattern := formatText(l), formatText(r)
		if b, isBytea, _ := toBytea(l); isBytea && valueOID(l) == OIDBytea {
			// bytea LIKE matches bytes: each byte is read as one character.
			p, _, err := toBytea(r)
			if err != nil {
				return nil, err
			}
			subject, pattern = latin1(string(b)), latin1(string(p))
		}
		re, err := likeRegexp(pattern, strings.Contains(op, "*"))
		if err != nil {
			return nil, err
		}
		return re.MatchString(subject) == !strings.HasPrefix(op, "!"), nil
	case "~", "!~", "~*", "!~*":
		// PostgreSQL's . and bracket expressions match a newline too.
		pat := "(?s)" + formatText(r)
		if strings.Contains(op, "*") {
			pat = "(?is)" + formatText(r)
		}
		re, err := regexp.Compile(pat)
		if err != nil {
			return nil, errorf(CodeInvalidRegularExpression, "invalid regular expression: %v", err)
		}
		return re.MatchString(formatText(l)) == !strings.HasPrefix(op, "!"), nil
	case "@>", "<@":
		if op == "<@" {
			l, r = r, l
		}
		la, lok := l.([]any)
		ra, rok := r.([]any)
		if !lok || !rok {
			return nil, unsupported("@> on non-arrays")
		}
		for _, e := range ra {
			if v, _ := quantified("=", e, la, false); v != true {
				return false, nil
			}
		}
		return true, nil
	case "&&":
		la, _ := l.([]any)
		ra, _ := r.([]any)
		for _, e := range ra {
			if v, _ := quantified("=", e, la, false); v == true {
				return true, nil
			}
		}
		return false, nil
	}
	return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("operator does not exist: %s %s %s",
		TypeName(valueOID(l)), op, TypeName(valueOID(r)))}
}

// bitwise is an integer operator: and, or, xor (#), and the shifts, whose count is taken modulo 64 as the
// machine PostgreSQL runs on takes a bigint's.
func bitwise(op string, l, r int64) int64 {
	switch op {
	case "&":
		return l & r
	case "|":
		return l | r
	case "#":
		return l ^ r
	case "<<":
		return l << (uint64(r) & 63)
	}
	return l >> (uint64(r) & 63)
}

// likeRegexp compiles a LIKE pattern (% and _, backslash escapes).
func likeRegexp(p string, fold bool) (*regexp.Regexp, error) {
	if fold {
		return regexp.Compile("(?is)" + likePattern(p))
	}
	return regexp.Compile("(?s)" + likePattern(p))
}

// likePattern is the regular expression of a LIKE pattern, anchored at both ends of the text, in the syntax
// Go's regular expressions and the storage's share: % is .*, _ is one character, a backslash takes the next
// character as it is. A backslash at the end matches nothing (PostgreSQL fails with 22025 when its match reaches
// it, and answers false before).
func likePattern(p string) string {
	var b strings.Builder
	b.WriteString("^")
	escaped := false
	for _, c := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(c)))
			escaped = false
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteString(".")
		case c == '\\':
			escaped = true
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if escaped {
		b.WriteString(`\z.`)
	}
	b.WriteString(`\z`)
	return b.String()
}

// arith is +, -, *, /, % and ^ over numbers, and timestamp/interval
// arithmetic. Integer overflow is 22003, division by zero 22012.
func arith(op string, l, r any) (any, error) {
	if l == nil || r == nil {
		return nil, nil
	}
	switch lv := l.(type) {
	case time.Time:
		switch rv := r.(type) {
		case interval:
			if infinite(lv) != 0 && (op == "+" || op == "-") {
				return lv, nil
			}
			if op == "+" {
				return rv.addTo(lv)
			}
			if op == "-" {
				return rv.neg().addTo(lv)
			}
		case time.Time:
			if op == "-" {
				if infinite(lv) != 0 || infinite(rv) != 0 {
					return nil, errorf(CodeDatetimeFieldOverflow, "cannot subtract infinite timestamps")
				}
				return between(lv, rv), nil
			}
		case string:
			if d, err := parseInterval(rv); err == nil {
				return arith(op, l, d)
			}
		}
	case interval:
		switch rv := r.(type) {
		case interval:
			if op == "+" {
				return lv.add(rv)
			}
			if op == "-" {
				return lv.add(rv.neg())
			}
		case time.Time:
			if op == "+" && infinite(rv) != 0 {
				return rv, nil
			}
			if op == "+" {
				return lv.addTo(rv)
			}
		case string:
			if d, err := parseInterval(rv); err == nil && (op == "+" || op == "-") {
				return arith(op, l, d)
			}
		}
		if f, ok := toFloat(numeric(r)); ok && (op == "*" || op == "/") {
			if op == "/" && f == 0 {
				return nil, errorf(CodeDivisionByZero, "division by zero")
			}
			return lv.scale(f, op == "/")
		}
	default:
		if rv, ok := r.(interval); ok && op == "*" {
			if f, ok := toFloat(numeric(l)); ok {
				return rv.scale(f, false) // 2 * interval '1 day'
			}
		}
	}
	if v, ok, err := timeArith(op, l, r); ok || err != nil {
		return v, err
	}
	l, r = numeric(l), numeric(r)
	li, lInt := l.(int64)
	ri, rInt := r.(int64)
	if lInt && rInt && op != "^" {
		switch op {
		case "+":
			s := li + ri
			if (s > li) != (ri > 0) {
				return nil, errorf(CodeNumericOutOfRange, "bigint out of range")
			}
			return s, nil
		case "-":
			s := li - ri
			if (s < li) != (ri > 0) {
				return nil, errorf(CodeNumericOutOfRange, "bigint out of range")
			}
			return s, nil
		case "*":
			if li != 0 && ri != 0 {
				p := li * ri
				if p/ri != li || (li == -1 && ri == math.MinInt64) || (ri == -1 && li == math.MinInt64) {
					return nil, errorf(CodeNumericOutOfRange, "bigint out of range")
				}
				return p, nil
			}
			return int64(0), nil
		case "/", "%":
			if ri == 0 {
				return nil, errorf(CodeDivisionByZero, "division by zero")
			}
			if op == "/" {
				if li == math.MinInt64 && ri == -1 {
					return nil, errorf(CodeNumericOutOfRange, "bigint out of range")
				}
				return li / ri, nil
			}
			return li % ri, nil
		}
	}
	if ld, rd, ok := decOperands(l, r); ok && op != "^" {
		return decArith(op, ld, rd)
	}
	if op == "^" {
		if v, ok, err := numericMath("^", []any{l, r}); ok {
			return v, err
		}
	}
	lf, lok := toFloat(l)
	rf, rok := toFloat(r)
	if !lok || !rok {
		return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("operator does not exist: %s %s %s",
			TypeName(valueOID(l)), op, TypeName(valueOID(r)))}
	}
	switch op {
	case "+":
		return floatChecked(lf+rf, lf, rf, false)
	case "-":
		return floatChecked(lf-rf, lf, rf, false)
	case "*":
		return floatChecked(lf*rf, lf, rf, lf*rf == 0 && lf != 0 && rf != 0)
	case "/":
		if rf == 0 {
			return nil, errorf(CodeDivisionByZero, "division by zero")
		}
		return floatChecked(lf/rf, lf, rf, lf/rf == 0 && lf != 0 && !math.IsInf(rf, 0))
	case "%":
		if rf == 0 {
			return nil, errorf(CodeDivisionByZero, "division by zero")
		}
		return math.Mod(lf, rf), nil
	default:
		if lf == 0 && rf < 0 {
			return nil, errorf(CodeInvalidArgumentForPower, "zero raised to a negative power is undefined")
		}
		if lf < 0 && rf != math.Trunc(rf) && !math.IsInf(rf, 0) {
			return nil, errorf(CodeInvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
		}
		p := math.Pow(lf, rf)
		return floatChecked(p, lf, rf, p == 0 && lf != 0 && !math.IsInf(rf, 0))
	}
}

// floatChecked is the float8 result v of an operation on a and b, or the 22003 PostgreSQL's float_overflow_error
// and float_underflow_error raise: an infinite result from finite operands, or a result the caller found
// underflowed (a zero product of nonzero factors).
func floatChecked(v, a, b float64, underflow bool) (any, error) {
	if math.IsInf(v, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		return nil, errorf(CodeNumericOutOfRange, "value out of range: overflow")
	}
	if underflow {
		return nil, errorf(CodeNumericOutOfRange, "value out of range: underflow")
	}
	return v, nil
}

// numeric reads a string that holds a number as that number, as
// PostgreSQL resolves an unknown-typed literal beside a number: an integer,
// else a numeric.
func numeric(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return i
	}
	if d, ok := parseDecimal(s); ok {
		return d
	}
	if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
		return f
	}
	return v
}

// concatText is an operand of || as text: as a cast to text writes it (PostgreSQL's textanycat casts the other
// operand), so a boolean is true or false rather than its output's t or f.
func concatText(v any) string {
	if b, ok := v.(bool); ok {
		if b {
			return "true"
		}
		return "false"
	}
	return formatText(v)
}

// floatCmp orders two float8s as PostgreSQL's float8_cmp_internal does: NaN equal to NaN and above every other
// value, Infinity included.
func floatCmp(x, y float64) int {
	xNaN, yNaN := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xNaN && yNaN:
		return 0
	case xNaN:
		return 1
	case yNaN:
		return -1
	}
	return cmp3(x < y, x > y)
}

// toFloat is a number as a float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case *apd.Decimal:
		return decToFloat(x), true
	}
	return 0, false
}

// decOperands are two numbers as numerics when one is a numeric and the other a numeric or an integer (a float8
// with either makes the operation a float8 one, as in PostgreSQL).
func decOperands(l, r any) (*apd.Decimal, *apd.Decimal, bool) {
	ld, lDec := l.(*apd.Decimal)
	rd, rDec := r.(*apd.Decimal)
	if !lDec && !rDec {
		return nil, nil, false
	}
	if !lDec {
		i, ok := l.(int64)
		if !ok {
			return nil, nil, false
		}
		ld = decFromInt(i)
	}
	if !rDec {
		i, ok := r.(int64)
		if !ok {
			return nil, nil, false
		}
		rd = decFromInt(i)
	}
	return ld, rd, true
}

// compare orders two non-NULL values of comparable types; ok is false for
// values that cannot be compared (a number and a boolean).
func compare(a, b any) (int, bool) {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0, true
		case a == nil:
			return 1, true // NULLs sort last, as in PostgreSQL's ascending order
		default:
			return -1, true
		}
	}
	if x, ok := a.(regclass); ok {
		switch y := numeric(b).(type) {
		case regclass:
			return cmp3(x.oid < y.oid, x.oid > y.oid), true
		case int64:
			return cmp3(x.oid < y, x.oid > y), true
		case string:
			return strings.Compare(x.text(), y), true
		}
		return 0, false
	}
	if _, ok := b.(regclass); ok {
		c, valid := compare(b, a)
		return -c, valid
	}
	if rv, ok := a.(bson.RawValue); ok && rv.Type == bson.TypeBinary {
		a, _, _ = toBytea(rv)
	}
	if x, ok := a.(Bytea); ok {
		y, isBytea, err := toBytea(b)
		if !isBytea || err != nil {
			return 0, false
		}
		return strings.Compare(string(x), string(y)), true
	}
	if _, ok := b.(Bytea); ok {
		c, valid := compare(b, a)
		return -c, valid
	}
	if rv, ok := b.(bson.RawValue); ok && rv.Type == bson.TypeBinary {
		c, valid := compare(b, a)
		return -c, valid
	}
	if ad, bd, ok := decOperands(a, b); ok {
		return decCompare(ad, bd), true
	}
	if ea, ok := a.(enumValue); ok {
		switch y := b.(type) {
		case enumValue:
			return compareEnums(ea, y)
		case string:
			c, err := enumInput(ea.typ, y)
			if err != nil {
				return 0, false
			}
			return compareEnums(ea, c.(enumValue))
		}
		return 0, false
	}
	if eb, ok := b.(enumValue); ok {
		c, valid := compare(eb, a)
		return -c, valid
	}
	if ia, ok := a.(inetValue); ok {
		ib, err := inetInput(b, ia.cidr)
		if err != nil {
			return 0, false
		}
		return compareInets(ia, ib.(inetValue)), true
	}
	if ib, ok := b.(inetValue); ok {
		c, valid := compare(ib, a)
		return -c, valid
	}
	if ua, ok := a.(uuidValue); ok {
		ub, err := uuidInput(b)
		if err != nil {
			return 0, false
		}
		return compareUUIDs(ua, ub.(uuidValue)), true
	}
	if ub, ok := b.(uuidValue); ok {
		c, valid := compare(ub, a)
		return -c, valid
	}
	if d, ok := a.(*apd.Decimal); ok {
		switch y := b.(type) {
		case float64:
			return compare(decToFloat(d), y)
		case string:
			if _, ok := numeric(y).(string); ok {
				return 0, false // not a number: PostgreSQL's 22P02
			}
			return compare(a, numeric(y))
		}
		if _, isDec := b.(*apd.Decimal); !isDec {
			c, ok := compare(b, a)
			return -c, ok
		}
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			return floatCmp(float64(x), y), true
		case string:
			if _, ok := numeric(y).(string); ok {
				return 0, false // not a number: PostgreSQL's 22P02
			}
			return compare(a, numeric(y))
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return floatCmp(x, float64(y)), true
		case float64:
			return floatCmp(x, y), true
		case *apd.Decimal:
			return compare(x, decToFloat(y))
		case string:
			if _, ok := numeric(y).(string); ok {
				return 0, false // not a number: PostgreSQL's 22P02
			}
			return compare(a, numeric(y))
		}
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), true
		case bson.RawValue:
			c, ok := compare(y, x)
			return -c, ok
		case int64, float64, *apd.Decimal:
			if n := numeric(x); n != any(x) {
				return compare(n, b)
			}
			return 0, false
		case bool, time.Time, interval, timeOfDay, []any:
			c, err := coerce(x, valueOID(b))
			if err != nil {
				return 0, false
			}
			return compare(c, b)
		}
	case bool:
		switch y := b.(type) {
		case bool:
			return cmp3(!x && y, x && !y), true
		case string:
			return compare(b, a)
		}
	case time.Time:
		switch y := b.(type) {
		case time.Time:
			return x.Compare(y), true
		case string:
			c, s := compare(b, a)
			return -c, s
		}
	case interval:
		switch y := b.(type) {
		case interval:
			return compareIntervals(x, y), true
		case string:
			c, s := compare(b, a)
			return -c, s
		}
	case timeOfDay:
		switch y := b.(type) {
		case timeOfDay:
			return cmp3(x < y, x > y), true
		case string:
			c, s := compare(b, a)
			return -c, s
		}
	case record:
		// Field by field, a NULL after any value, as PostgreSQL's btree order of records (SEARCH's sequences).
		y, ok := b.(record)
		if !ok {
			return 0, false
		}
		for i := 0; i < len(x.vals) && i < len(y.vals); i++ {
			if c, ok := compare(x.vals[i], y.vals[i]); !ok || c != 0 {
				return c, ok
			}
		}
		return cmp3(len(x.vals) < len(y.vals), len(x.vals) > len(y.vals)), true
	case []any:
		y, ok := b.([]any)
		if !ok {
			if s, isStr := b.(string); isStr {
				c, ok := compare(s, a)
				return -c, ok
			}
			return 0, false
		}
		if len(arrayDims(x)) > 1 || len(arrayDims(y)) > 1 {
			return compareArrays(x, y)
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			if c, ok := compare(x[i], y[i]); !ok || c != 0 {
				return c, ok
			}
		}
		return cmp3(len(x) < len(y), len(x) > len(y)), true
	case bson.RawValue:
		y, ok := b.(bson.RawValue)
		if !ok {
			s, isText := b.(string)
			if !isText {
				return strings.Compare(formatJSON(x), formatText(b)), true
			}
			j, err := jsonOf(s) // an untyped literal beside a jsonb value is a jsonb value
			if err != nil {
				return 0, false
			}
			y = j
		}
		return jsonbCompare(x, y), true
	}
	return 0, false
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

// intKey is the grouping key of an integer: a float64's for one that a float64 holds exactly.
func intKey(x int64) string {
	k := "n" + strconv.FormatFloat(float64(x), 'g', -1, 64)
	if float64(x) != float64(int64(float64(x))) || x > 1<<53 || x < -(1<<53) {
		k += "i" + strconv.FormatInt(x, 10)
	}
	return k
}

// writeJSONBKey writes the grouping key of a jsonb (or any stored) value: numbers by value wherever they are
// ('1.0'::jsonb and '1'::jsonb are one value, as jsonb's equality has it), objects by their keys in jsonb's order,
// arrays element by element, anything else by its bytes.
func writeJSONBKey(b *strings.Builder, v bson.RawValue) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		b.WriteString(groupKey([]any{fromBSON(v)}))
	case bson.TypeEmbeddedDocument:
		elems, _ := bson.Raw(jsonbCanon(v).Value).Elements()
		b.WriteString("{" + strconv.Itoa(len(elems)))
		for _, e := range elems {
			b.WriteString(":" + strconv.Itoa(len(e.Key())) + ":" + e.Key())
			writeJSONBKey(b, e.Value())
		}
		b.WriteByte('}')
	case bson.TypeArray:
		vals, _ := bson.Raw(v.Value).Values()
		b.WriteString("[" + strconv.Itoa(len(vals)))
		for _, e := range vals {
			b.WriteByte(',')
			writeJSONBKey(b, e)
		}
		b.WriteByte(']')
	default:
		b.WriteString("b" + strconv.Itoa(int(v.Type)) + ":" + strconv.Itoa(len(v.Value)) + ":")
		b.Write(v.Value)
	}
}

// compareRecords is a comparison of two composite values field by field, as PostgreSQL's record_eq and record_cmp:
// the first pair of fields that differ decides, a NULL field equal to a NULL one and above any value (so a row
// with a NULL equals itself). Rows of different lengths are 42804.
func compareRecords(op string, l, r record) (any, error) {
	if len(l.vals) != len(r.vals) {
		return nil, errorf(CodeDatatypeMismatch, "cannot compare record types with different numbers of columns")
	}
	c := 0
	for i := range l.vals {
		var ok bool
		if c, ok = compare(l.vals[i], r.vals[i]); !ok {
			return nil, errorf(CodeDatatypeMismatch, "operator does not exist: %s %s %s",
				TypeName(valueOID(l.vals[i])), op, TypeName(valueOID(r.vals[i])))
		}
		if c != 0 {
			break
		}
	}
	return compared3(op, c), nil
}

// compared3 is comparison operator op's answer for c, a three-way comparison of its operands.
func compared3(op string, c int) bool {
	switch op {
	case "=":
		return c == 0
	case "<>", "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// compareArrays compares arrays of which one at least is multi-dimensional as PostgreSQL's array_cmp does: their
// elements in row-major order, then the number of elements, of dimensions, and the dimensions' lengths.
func compareArrays(x, y []any) (int, bool) {
	fx, fy := flattenArray(x, nil), flattenArray(y, nil)
	for i := 0; i < len(fx) && i < len(fy); i++ {
		if c, ok := compare(fx[i], fy[i]); !ok || c != 0 {
			return c, ok
		}
	}
	if len(fx) != len(fy) {
		return cmp3(len(fx) < len(fy), true), true
	}
	dx, dy := arrayDims(x), arrayDims(y)
	if len(dx) != len(dy) {
		return cmp3(len(dx) < len(dy), true), true
	}
	for i := range dx {
		if dx[i] != dy[i] {
			return cmp3(dx[i] < dy[i], true), true
		}
	}
	return 0, true
}

// flattenArray appends a's elements, in row-major order, to out.
func flattenArray(a []any, out []any) []any {
	for _, e := range a {
		if sub, ok := e.([]any); ok {
			out = flattenArray(sub, out)
		} else {
			out = append(out, e)
		}
	}
	return out
}

// groupKey encodes values so that equal values (1 and 1.0 too) have equal
// keys: the key of GROUP BY, DISTINCT and hash joins.
func groupKey(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			b.WriteString("N")
		case int64:
			b.WriteString(intKey(x))
		case float64:
			b.WriteString("n" + strconv.FormatFloat(x, 'g', -1, 64))
		case *apd.Decimal:
			b.WriteString(decKey(x))
		case interval:
			d, us := x.cmpKey() // '1 day' and '24 hours' are one value
			fmt.Fprintf(&b, "v%d/%d", d, us)
		case string:
			b.WriteString("s" + strconv.Itoa(len(x)) + ":" + x)
		case bson.RawValue:
			b.WriteByte('j')
			writeJSONBKey(&b, x)
		default:
			s := formatText(x)
			b.WriteString("o" + strconv.Itoa(len(s)) + ":" + s)
		}
		b.WriteByte(0)
	}
	return b.String()
}
