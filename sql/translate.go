package sql

import (
	"math"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// translator turns expressions over one table's columns into the query
// language: filters, $expr and update operators. Everything an expression
// uses besides that table's columns (literals, parameters, now(), columns of
// outer scopes, EXCLUDED) is evaluated first and becomes a constant.
type translator struct {
	x     *exec
	t     *table
	alias string
	outer *scope // what constants may refer to
	// fromRow: outer is a row of UPDATE ... FROM, which the WHERE clause may not pair with any target row.
	fromRow bool
	// plan, when set, holds the decisions an earlier translation of the
	// same statement over the same table made from the parse tree alone;
	// planning is set while the first translation records them.
	plan     *exprPlan
	planning bool
	// checking: the expression is a CHECK constraint's, which the storage must evaluate whole, so the string,
	// array and null-counting functions of checkFuncs and LIKE and regular expression matches translate too (a
	// WHERE clause evaluates what does not translate above the storage instead).
	checking bool
}

// exprPlan is what translating a statement's expressions over one table
// decided from the parse tree alone: which expressions are constants and
// which column references name the table's columns. A statement that runs
// again over the same table (the same *table: the catalog has not changed)
// translates without walking its expressions again; only its constants
// (parameters among them) are evaluated. Complete and read-only once
// published (statement.plan).
type exprPlan struct {
	t      *table
	alias  string
	consts map[*pg.Node]bool
	cols   map[*pg.Node]planCol
}

// planCol is a recorded translator.column answer.
type planCol struct {
	path string
	oid  uint32
	ok   bool
}

// newTranslator returns the translator of a statement's top-level UPDATE
// or DELETE, n, over t, without outer scope: with the statement's plan when
// one was recorded for t, else recording one (published by publishPlan
// once the statement has run).
func (x *exec) newTranslator(n any, t *table, alias string) *translator {
	tr := &translator{x: x, t: t, alias: alias}
	st := x.st
	if st == nil || x.describe || !st.isTop(n) {
		return tr
	}
	if _, cached := x.s.e.b.catalogGeneration(); !cached {
		return tr // every lookup reads a new *table: a plan would never be reused
	}
	if p := st.plan.Load(); p != nil && p.t == t && p.alias == alias {
		tr.plan = p
		return tr
	}
	tr.plan = &exprPlan{t: t, alias: alias, consts: map[*pg.Node]bool{}, cols: map[*pg.Node]planCol{}}
	tr.planning = true
	return tr
}

// publishPlan keeps the plan tr recorded for the statement's next runs.
func (x *exec) publishPlan(tr *translator) {
	if tr.planning && x.st != nil {
		x.st.plan.Store(tr.plan)
		tr.planning = false
	}
}

// column returns the document path and declared type of a reference to
// the translator's table, ok false for anything else.
// scalarStored reports whether a column of type oid (of a table CREATE TABLE declared) is never stored as an
// array: not an array, json or jsonb column, nor a schemaless field, which a MongoDB client may have written as
// one.
func scalarStored(oid uint32, declared bool) bool {
	return declared && oid != 0 && oid != OIDUnknown && !isArrayType(oid) && oid != OIDJSON && oid != OIDJSONB
}

func (tr *translator) column(n *pg.Node) (path string, oid uint32, ok bool) {
	if tr.plan == nil {
		return tr.column1(n)
	}
	if c, found := tr.plan.cols[n]; found {
		return c.path, c.oid, c.ok
	}
	path, oid, ok = tr.column1(n)
	if tr.planning {
		tr.plan.cols[n] = planCol{path, oid, ok}
	}
	return path, oid, ok
}

func (tr *translator) column1(n *pg.Node) (path string, oid uint32, ok bool) {
	cr := n.GetColumnRef()
	if cr == nil {
		if len(tr.t.Computed) > 0 {
			// An expression index's expression: its hidden field, which the index is on (exprindex.go).
			if field := tr.computedField(n); field != "" {
				cols := tableCols(tr.t, tr.alias)
				return field, tr.x.typeOf(n, &scope{cols: cols, row: make([]any, len(cols))}), true
			}
		}
		return "", 0, false
	}
	f := columnFields(cr)
	if f[len(f)-1] == "*" {
		return "", 0, false
	}
	if len(f) >= 2 && f[0] == tr.alias {
		f = f[1:]
	} else if tr.outer != nil && (len(f) >= 2 || tr.fromRow || !tr.t.declared || tr.t.column(f[0]) == nil) {
		// An outer query's column, unless an unqualified name is the table's own: a subquery's own columns hide
		// the outer query's of the same name, as in PostgreSQL (WHERE id = o.aid compares the subquery's id).
		if _, _, found, _ := tr.outer.lookup(f); found {
			return "", 0, false
		}
	}
	if tr.t.declared {
		c := tr.t.column(f[0])
		if c == nil {
			return "", 0, false
		}
		if len(f) > 1 {
			if c.Type != OIDJSONB && c.Type != OIDJSON {
				return "", 0, false
			}
			return tr.t.field(f[0]) + "." + strings.Join(f[1:], "."), 0, true
		}
		return tr.t.field(f[0]), c.Type, true
	}
	if len(f) == 1 && strings.Contains(f[0], ".") {
		return f[0], 0, true
	}
	return strings.Join(f, "."), 0, true
}

// isConst reports whether n uses none of the table's columns, no
// subquery and no aggregate: it can be evaluated once, before the write.
func (tr *translator) isConst(n *pg.Node) bool {
	if tr.plan == nil {
		return tr.isConst1(n)
	}
	if c, found := tr.plan.consts[n]; found {
		return c
	}
	c := tr.isConst1(n)
	if tr.planning {
		tr.plan.consts[n] = c
	}
	return c
}

func (tr *translator) isConst1(n *pg.Node) bool {
	return !walkNoSub(n, func(m *pg.Node) bool {
		if m.GetSubLink() != nil {
			return true
		}
		if f := m.GetFuncCall(); f != nil && (isAggregate(f) || f.Over != nil || volatileFuncs[funcName(f)]) {
			return true
		}
		_, _, ok := tr.column(m)
		return ok
	})
}

// volatileFuncs give another value at each call: evaluated once for a whole statement they would give every
// row the same one (UPDATE t SET id = nextval('s') numbers the rows in PostgreSQL), so an expression calling
// one is evaluated row by row.
var volatileFuncs = map[string]bool{"nextval": true, "setval": true, "random": true, "gen_random_uuid": true, "uuid_generate_v4": true, "clock_timestamp": true,
	"gen_salt": true, "gen_random_bytes": true}

// constant evaluates a constant expression.
func (tr *translator) constant(n *pg.Node) (any, error) {
	sc := tr.outer
	if sc == nil {
		sc = &scope{}
	}
	return tr.x.eval(n, sc)
}

// stored converts a value for comparison with or storage in a column.
func stored(v any, oid uint32) (any, bool) {
	if oid == OIDTimestamp {
		oid = OIDTimestamptz
	}
	if s, ok := v.(string); ok && oid == OIDBpchar {
		v = strings.TrimRight(s, " ") // char(n) values are kept without trailing spaces (typmod.go)
	}
	b, err := toBSON(v, oid)
	if err != nil {
		return nil, false
	}
	return b, true
}

// compared is stored for a constant a column of type oid is compared with: a fractional number beside an
// integer column keeps its fraction (i > 1.5 is not i > 2), as a decimal128 that the storage compares exactly.
func compared(v any, oid uint32) (any, bool) {
	if isIntType(oid) && fractional(v) {
		d, isDec := v.(*apd.Decimal)
		switch {
		case !isDec:
			return v, true
		case d.Form == apd.Finite:
			b, err := decToBSON(d)
			return b, err == nil
		}
	}
	return stored(v, oid)
}

// fractional reports whether v is a number with a fraction (or a numeric NaN or infinity): one an integer column
// does not take as it is.
func fractional(v any) bool {
	switch x := v.(type) {
	case *apd.Decimal:
		_, frac := decIntegral(x)
		return frac || x.Form != apd.Finite
	case float64:
		return x != math.Trunc(x)
	}
	return false
}

// filter translates a WHERE clause into a filter matching exactly the
// documents for which it is true. ok is false when some part cannot be
// translated; err reports a failure evaluating a constant.
func (tr *translator) filter(n *pg.Node) (f bson.D, ok bool, err error) {
	conds, ok, err := tr.truth(n, true)
	if err != nil || !ok {
		return nil, ok, err
	}
	return mergeConds(conds), true, nil
}

// mergeConds joins conditions into one filter document: distinct
// top-level fields side by side (so that {_id: v} stays an _id lookup), and
// the rest under $and.
func mergeConds(conds []bson.D) bson.D {
	out := bson.D{}
	var rest bson.A
	seen := map[string]bool{}
	for _, c := range conds {
		if len(c) == 1 && !seen[c[0].Key] && !strings.HasPrefix(c[0].Key, "$") {
			seen[c[0].Key] = true
			out = append(out, c[0])
			continue
		}
		rest = append(rest, c)
	}
	if len(rest) > 0 {
		out = append(out, bson.E{Key: "$and", Value: rest})
	}
	return out
}

// truth translates "n is want" (true or false, never NULL) into a list of
// conditions that must all hold.
func (tr *translator) truth(n *pg.Node, want bool) ([]bson.D, bool, error) {
	if n == nil {
		return nil, want, nil
	}
	if tr.isConst(n) {
		v, err := tr.constant(n)
		if err != nil {
			return nil, false, err
		}
		if b := asBool(v); b == want {
			return nil, true, nil
		}
		return []bson.D{{{Key: "$expr", Value: false}}}, true, nil
	}
	switch {
	case n.GetBoolExpr() != nil:
		b := n.GetBoolExpr()
		if b.Boolop == pg.BoolExprType_NOT_EXPR {
			return tr.truth(b.Args[0], !want)
		}
		conj := (b.Boolop == pg.BoolExprType_AND_EXPR) == want
		var parts [][]bson.D
		for _, a := range b.Args {
			c, ok, err := tr.truth(a, want)
			if err != nil || !ok {
				return nil, ok, err
			}
			parts = append(parts, c)
		}
		if conj {
			var all []bson.D
			for _, p := range parts {
				all = append(all, p...)
			}
			return all, true, nil
		}
		or := bson.A{}
		for _, p := range parts {
			or = append(or, mergeConds(p))
		}
		return []bson.D{{{Key: "$or", Value: or}}}, true, nil
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		path, oid, ok := tr.column(nt.Arg)
		if !ok {
			return nil, false, nil
		}
		isNull := (nt.Nulltesttype == pg.NullTestType_IS_NULL) == want
		if (oid == OIDJSONB || oid == OIDJSON) && tr.t.declared {
			// SQL's NULL is an absent field; a null there is the JSON null, a value.
			return []bson.D{{{Key: path, Value: bson.D{{Key: "$exists", Value: !isNull}}}}}, true, nil
		}
		if scalarStored(oid, tr.t.declared) {
			if isNull {
				return []bson.D{{{Key: path, Value: nil}}}, true, nil
			}
			return []bson.D{{{Key: path, Value: bson.D{{Key: "$ne", Value: nil}}}}}, true, nil
		}
		// {f: null} matches an array holding a null too ({a,NULL}, [null, 1]): a NULL is a missing or null value
		// that is not an array.
		notArray := bson.D{{Key: path, Value: bson.D{{Key: "$not", Value: bson.D{{Key: "$type", Value: "array"}}}}}}
		if isNull {
			return []bson.D{{{Key: "$and", Value: bson.A{bson.D{{Key: path, Value: nil}}, notArray}}}}, true, nil
		}
		return []bson.D{{{Key: "$or", Value: bson.A{bson.D{{Key: path, Value: bson.D{{Key: "$ne", Value: nil}}}},
			bson.D{{Key: path, Value: bson.D{{Key: "$type", Value: "array"}}}}}}}}, true, nil
	case n.GetAExpr() != nil:
		return tr.comparison(n.GetAExpr(), want)
	case n.GetFuncCall() != nil:
		f := n.GetFuncCall()
		if funcName(f) == "array_contains" && len(f.Args) == 2 && tr.isConst(f.Args[1]) {
			path, oid, ok := tr.column(f.Args[0])
			if !ok {
				return nil, false, nil
			}
			v, err := tr.constant(f.Args[1])
			if err != nil {
				return nil, false, err
			}
			sv, ok := stored(v, types[oid].elem)
			if !ok || v == nil {
				return nil, false, nil
			}
			if want {
				return []bson.D{{{Key: path, Value: sv}}}, true, nil
			}
			// false: an array (not NULL) without the value.
			return []bson.D{{{Key: path, Value: bson.D{{Key: "$type", Value: "array"}, {Key: "$ne", Value: sv}}}}}, true, nil
		}
	case n.GetColumnRef() != nil:
		path, _, ok := tr.column(n)
		if !ok {
			return nil, false, nil
		}
		return []bson.D{{{Key: path, Value: want}}}, true, nil
	}
	// Anything else as a $expr.
	e, ok, err := tr.exprTruth(n, want)
	if err != nil || !ok {
		return nil, ok, err
	}
	return []bson.D{{{Key: "$expr", Value: e}}}, true, nil
}

// mongoOps maps comparison operators to the query language's, and their
// negations.
var mongoOps = map[string]string{"=": "$eq", "<>": "$ne", "!=": "$ne", "<": "$lt", ">": "$gt", "<=": "$lte", ">=": "$gte"}
var negated = map[string]string{"=": "<>", "<>": "=", "!=": "=", "<": ">=", ">": "<=", "<=": ">", ">=": "<"}
var flipped = map[string]string{"=": "=", "<>": "<>", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}

// comparison translates column-versus-constant comparisons into plain
// filters and anything else into a $expr.
func (tr *translator) comparison(a *pg.A_Expr, want bool) ([]bson.D, bool, error) {
	op := opName(a.Name)
	if typed, ok := tr.typedArrayLiterals(a); ok {
		// tags = '{a}': the literal is an array of the column's type, '{a}'::text[], compared whole.
		return tr.comparison(typed, want)
	}
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP:
		if _, isCmp := mongoOps[op]; !isCmp {
			break
		}
		col, other := a.Lexpr, a.Rexpr
		if _, _, ok := tr.column(col); !ok {
			col, other, op = a.Rexpr, a.Lexpr, flipped[op]
		}
		path, oid, ok := tr.column(col)
		if !ok || !tr.isConst(other) || isArrayType(oid) {
			break
		}
		if oid == OIDInterval {
			return nil, false, nil // stored as text, where '1 day' and '24 hours' differ: compared above
		}
		if oid == OIDJSONB || oid == OIDJSON {
			// The storage's comparisons match an array by its elements and order values of different types
			// apart: a jsonb value compares whole, in jsonb's order, above.
			return nil, false, nil
		}
		if (oid == OIDBytea || isEnumOID(oid)) && op != "=" && op != "<>" && op != "!=" {
			// The engine orders binary values by length first, PostgreSQL compares their bytes; an enum's values
			// are stored as labels, which do not sort as the type's order: evaluated above.
			return nil, false, nil
		}
		v, err := tr.constant(other)
		if err != nil {
			return nil, false, err
		}
		if v == nil {
			return []bson.D{{{Key: "$expr", Value: false}}}, true, nil
		}
		if oid == OIDTimestamptz { // text, a date or a timestamp beside one is read in the session's zone
			v = tr.x.castZone(v, other, &scope{outer: tr.outer}, oid)
		}
		if _, isTime := v.(time.Time); isTime && oid == OIDDate {
			oid = OIDTimestamptz // a date beside a timestamp is compared as one (midnight), not the timestamp cut to a date
		}
		sv, ok := compared(v, oid)
		if ok && oid == OIDFloat4 && !isStringLiteral(other) && tr.x.typeOf(other, &scope{outer: tr.outer}) != OIDFloat4 {
			// real > 0.1: PostgreSQL compares the real as a double with the double of the constant, not with the
			// constant rounded to a real (the stored 0.1::real is above 0.1).
			if f, isNum := toFloat(numeric(v)); isNum {
				sv = f
			}
		}
		if !ok {
			if isStringLiteral(other) && (isNumericType(oid) || oid == OIDBool) {
				if _, err := coerce(v, oid); err != nil {
					return nil, false, atLiteral(err, other) // id = 'x': 22P02 whether or not a row is read
				}
			}
			break
		}
		if !want {
			op = negated[op]
		}
		// PostgreSQL orders NaN above every number; the storage's range operators never match it.
		nanable := oid == OIDFloat4 || oid == OIDFloat8 || oid == OIDNumeric
		if nanable && (isNaN(v) || storedNaN(sv)) && op != "=" && op != "<>" && op != "!=" {
			return nil, false, nil // compared above
		}
		if nanable && (op == ">" || op == ">=") {
			return []bson.D{{{Key: "$or", Value: bson.A{
				bson.D{{Key: path, Value: bson.D{{Key: mongoOps[op], Value: sv}}}},
				bson.D{{Key: path, Value: math.NaN()}},
			}}}}, true, nil
		}
		switch op {
		case "=":
			if oid == 0 {
				// A schemaless field may hold an array, which {f: v} would
				// match by element.
				return []bson.D{{{Key: path, Value: bson.D{{Key: "$eq", Value: sv}, {Key: "$not", Value: bson.D{{Key: "$type", Value: "array"}}}}}}}, true, nil
			}
			return []bson.D{{{Key: path, Value: sv}}}, true, nil
		case "<>", "!=":
			return []bson.D{{{Key: path, Value: bson.D{{Key: "$nin", Value: bson.A{sv, nil}}}}}}, true, nil
		}
		return []bson.D{{{Key: path, Value: bson.D{{Key: mongoOps[op], Value: sv}}}}}, true, nil
	case pg.A_Expr_Kind_AEXPR_BETWEEN, pg.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		// x BETWEEN a AND b is x >= a AND x <= b; NOT BETWEEN is x < a OR x > b.
		if bounds := a.Rexpr.GetList(); bounds != nil && len(bounds.Items) == 2 {
			lo, hi, join := ">=", "<=", pg.BoolExprType_AND_EXPR
			if a.Kind == pg.A_Expr_Kind_AEXPR_NOT_BETWEEN {
				lo, hi, join = "<", ">", pg.BoolExprType_OR_EXPR
			}
			n := pg.MakeBoolExprNode(join, []*pg.Node{
				pg.MakeAExprNode(pg.A_Expr_Kind_AEXPR_OP, []*pg.Node{pg.MakeStrNode(lo)}, a.Lexpr, bounds.Items[0], a.Location),
				pg.MakeAExprNode(pg.A_Expr_Kind_AEXPR_OP, []*pg.Node{pg.MakeStrNode(hi)}, a.Lexpr, bounds.Items[1], a.Location),
			}, a.Location)
			return tr.truth(n, want)
		}
	case pg.A_Expr_Kind_AEXPR_IN:
		path, oid, ok := tr.column(a.Lexpr)
		if ok && (oid == OIDJSONB || oid == OIDJSON) {
			return nil, false, nil // compared whole, above (as for =)
		}
		if !ok || !tr.isConst(a.Rexpr) || isArrayType(oid) || oid == OIDInterval {
			break
		}
		v, err := tr.constant(a.Rexpr)
		if err != nil {
			return nil, false, err
		}
		// x IN (...) is true when x equals an item; it is false when x is not NULL, equals none and no item is NULL.
		positive := (op == "=") == want
		items := a.Rexpr.GetList().GetItems()
		asReal := oid == OIDFloat4 && tr.x.inListAsReal(items, &scope{outer: tr.outer})
		in := bson.A{}
		for i, e := range v.([]any) {
			if e == nil {
				if !positive {
					return []bson.D{{{Key: "$expr", Value: false}}}, true, nil
				}
				continue
			}
			if sv, _ := compared(e, oid); isNaN(e) || storedNaN(sv) {
				return nil, false, nil // the storage's $in does not match NaN: compared above
			}
			sv, ok := compared(e, oid)
			if !ok {
				return nil, false, nil
			}
			if ok && oid == OIDFloat4 && !asReal && i < len(items) && !isStringLiteral(items[i]) {
				if f, isNum := toFloat(numeric(e)); isNum {
					sv = f // compared as doubles, as real = 0.1 is
				}
			}
			in = append(in, sv)
		}
		if !positive {
			return []bson.D{{{Key: path, Value: bson.D{{Key: "$nin", Value: append(in, nil)}}}}}, true, nil
		}
		return []bson.D{{{Key: path, Value: bson.D{{Key: "$in", Value: in}}}}}, true, nil
	case pg.A_Expr_Kind_AEXPR_OP_ANY:
		// v = ANY(array column)
		if op == "=" && want && tr.isConst(a.Lexpr) {
			path, oid, ok := tr.column(a.Rexpr)
			if ok {
				v, err := tr.constant(a.Lexpr)
				if err != nil {
					return nil, false, err
				}
				if sv, ok := stored(v, types[oid].elem); ok && v != nil {
					return []bson.D{{{Key: path, Value: sv}}}, true, nil
				}
			}
		}
	}
	e, ok, err := tr.exprTruth(&pg.Node{Node: &pg.Node_AExpr{AExpr: a}}, want)
	if err != nil || !ok {
		return nil, ok, err
	}
	return []bson.D{{{Key: "$expr", Value: e}}}, true, nil
}

// typedArrayLiterals is a, a comparison of a column of an array type with untyped string literals (one, or a list
// of them for IN), with each literal cast to the column's type; ok is false for any other comparison.
func (tr *translator) typedArrayLiterals(a *pg.A_Expr) (*pg.A_Expr, bool) {
	arrayType := func(n *pg.Node) uint32 {
		if _, oid, ok := tr.column(n); ok && isArrayType(oid) && !IsVector(oid) && types[oid].elem != 0 {
			return oid
		}
		return 0
	}
	cast := func(n *pg.Node, oid uint32) (*pg.Node, bool) {
		if l := n.GetList(); l != nil {
			items := make([]*pg.Node, len(l.Items))
			changed := false
			for i, it := range l.Items {
				items[i], changed = it, changed || isStringLiteral(it)
				if isStringLiteral(it) {
					items[i] = castTo(it, oid)
				}
			}
			return &pg.Node{Node: &pg.Node_List{List: &pg.List{Items: items}}}, changed
		}
		if !isStringLiteral(n) {
			return n, false
		}
		return castTo(n, oid), true
	}
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_OP, pg.A_Expr_Kind_AEXPR_DISTINCT, pg.A_Expr_Kind_AEXPR_NOT_DISTINCT, pg.A_Expr_Kind_AEXPR_IN:
	default:
		return nil, false // 'red' = ANY(tags): the literal is an element
	}
	with := func(l, r *pg.Node) *pg.A_Expr {
		return &pg.A_Expr{Kind: a.Kind, Name: a.Name, Lexpr: l, Rexpr: r, Location: a.Location}
	}
	if oid := arrayType(a.Lexpr); oid != 0 && a.Rexpr != nil {
		if r, ok := cast(a.Rexpr, oid); ok {
			return with(a.Lexpr, r), true
		}
	}
	if a.Rexpr != nil && a.Kind != pg.A_Expr_Kind_AEXPR_IN {
		if oid := arrayType(a.Rexpr); oid != 0 {
			if l, ok := cast(a.Lexpr, oid); ok {
				return with(l, a.Rexpr), true
			}
		}
	}
	return nil, false
}

// castTo is n cast to the array type oid (n::elem[]).
func castTo(n *pg.Node, oid uint32) *pg.Node {
	tn := &pg.TypeName{Names: []*pg.Node{pg.MakeStrNode(types[types[oid].elem].typname)}, ArrayBounds: []*pg.Node{pg.MakeIntNode(-1)}, Location: -1}
	return &pg.Node{Node: &pg.Node_TypeCast{TypeCast: &pg.TypeCast{Arg: n, TypeName: tn, Location: -1}}}
}

// storedNaN reports whether a value as stored is a double's or a decimal's NaN.
func storedNaN(sv any) bool {
	switch x := sv.(type) {
	case float64:
		return math.IsNaN(x)
	case bson.Decimal128:
		return x.IsNaN()
	}
	return false
}

// sameOrder reports whether two sides of a comparison, where both are columns of known types, compare in the
// storage as in PostgreSQL: not an exact number beside a double (PostgreSQL compares them as doubles), not a
// char(n) beside another string type (PostgreSQL ignores the padding), not a timestamp with time zone beside a
// timestamp or date when the session's zone is not UTC (PostgreSQL reads the other in the zone).
func (tr *translator) sameOrder(l, r *pg.Node) bool {
	_, lo, lok := tr.column(l)
	_, ro, rok := tr.column(r)
	if !lok || !rok || lo == 0 || ro == 0 {
		return true
	}
	naive := func(o uint32) bool { return o == OIDTimestamp || o == OIDDate }
	if (lo == OIDTimestamptz && naive(ro) || ro == OIDTimestamptz && naive(lo)) && tr.x.zone() != time.UTC {
		return false
	}
	isFloat := func(o uint32) bool { return o == OIDFloat4 || o == OIDFloat8 }
	if isNumericType(lo) && isNumericType(ro) && isFloat(lo) != isFloat(ro) {
		return false
	}
	return (lo == OIDBpchar) == (ro == OIDBpchar)
}

// exprTruth translates "n is want" into an aggregation expression. A
// comparison holds only when both sides are not NULL (the query language
// orders null below every number, SQL does not compare it at all).
func (tr *translator) exprTruth(n *pg.Node, want bool) (any, bool, error) {
	switch {
	case n.GetBoolExpr() != nil:
		b := n.GetBoolExpr()
		if b.Boolop == pg.BoolExprType_NOT_EXPR {
			return tr.exprTruth(b.Args[0], !want)
		}
		conj := (b.Boolop == pg.BoolExprType_AND_EXPR) == want
		parts := bson.A{}
		for _, a := range b.Args {
			e, ok, err := tr.exprTruth(a, want)
			if err != nil || !ok {
				return nil, ok, err
			}
			parts = append(parts, e)
		}
		if conj {
			return bson.D{{Key: "$and", Value: parts}}, true, nil
		}
		return bson.D{{Key: "$or", Value: parts}}, true, nil
	case tr.checking && n.GetAExpr() != nil && isMatch(n.GetAExpr()):
		return tr.matchTruth(n.GetAExpr(), want)
	case tr.checking && n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_IN:
		return tr.inTruth(n.GetAExpr(), want)
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_OP:
		a := n.GetAExpr()
		op := opName(a.Name)
		mop, isCmp := mongoOps[op]
		if !isCmp {
			return nil, false, nil
		}
		if !tr.sameOrder(a.Lexpr, a.Rexpr) {
			return nil, false, nil
		}
		if !want {
			mop = mongoOps[negated[op]]
		}
		l, ok, err := tr.expr(a.Lexpr)
		if err != nil || !ok {
			return nil, ok, err
		}
		r, ok, err := tr.expr(a.Rexpr)
		if err != nil || !ok {
			return nil, ok, err
		}
		return bson.D{{Key: "$and", Value: bson.A{
			bson.D{{Key: "$gt", Value: bson.A{l, nil}}},
			bson.D{{Key: "$gt", Value: bson.A{r, nil}}},
			bson.D{{Key: mop, Value: bson.A{l, r}}},
		}}}, true, nil
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		e, ok, err := tr.expr(nt.Arg)
		if err != nil || !ok {
			return nil, ok, err
		}
		isNull := bson.D{{Key: "$lte", Value: bson.A{e, nil}}}
		if (nt.Nulltesttype == pg.NullTestType_IS_NULL) == want {
			return isNull, true, nil
		}
		return bson.D{{Key: "$not", Value: bson.A{isNull}}}, true, nil
	case n.GetFuncCall() != nil && funcName(n.GetFuncCall()) == "array_contains" && len(n.GetFuncCall().Args) == 2:
		f := n.GetFuncCall()
		arr, ok, err := tr.expr(f.Args[0])
		if err != nil || !ok {
			return nil, ok, err
		}
		v, ok, err := tr.expr(f.Args[1])
		if err != nil || !ok {
			return nil, ok, err
		}
		in := any(bson.D{{Key: "$in", Value: bson.A{v, arr}}})
		if !want {
			in = bson.D{{Key: "$not", Value: bson.A{in}}}
		}
		return bson.D{{Key: "$and", Value: bson.A{bson.D{{Key: "$isArray", Value: bson.A{arr}}}, in}}}, true, nil
	}
	return nil, false, nil
}

// expr translates a value expression into an aggregation expression:
// constants, the table's columns, + - * and COALESCE.
func (tr *translator) expr(n *pg.Node) (any, bool, error) {
	if tr.isConst(n) {
		v, err := tr.constant(n)
		if err != nil {
			return nil, false, err
		}
		if _, isInterval := v.(interval); isInterval {
			return nil, false, nil // the storage's date arithmetic has no months: evaluated here
		}
		sv, ok := stored(v, 0)
		if !ok {
			return nil, false, nil
		}
		return bson.D{{Key: "$literal", Value: sv}}, true, nil
	}
	if path, oid, ok := tr.column(n); ok {
		if oid == OIDTime || oid == OIDInterval || oid == OIDUUID || oid == OIDInet || oid == OIDCidr || isEnumOID(oid) {
			return nil, false, nil // stored as text (a uuid: read in any of its forms): evaluated here
		}
		if oid == OIDJSONB || oid == OIDJSON {
			return nil, false, nil // compared in jsonb's order, here
		}
		return "$" + path, true, nil
	}
	switch {
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_OP && n.GetAExpr().Lexpr != nil:
		a := n.GetAExpr()
		for _, side := range []*pg.Node{a.Lexpr, a.Rexpr} {
			if _, oid, ok := tr.column(side); ok && oid != 0 && !isNumericType(oid) {
				// The storage's $add takes dates as milliseconds and fails on text: + - * of a column that is
				// no number is evaluated here (date + 1 is a day later; text + 1 is 42883).
				return nil, false, nil
			}
		}
		var mop string
		switch opName(a.Name) {
		case "+":
			mop = "$add"
		case "-":
			mop = "$subtract"
		case "*":
			mop = "$multiply"
		default:
			return nil, false, nil
		}
		l, ok, err := tr.expr(a.Lexpr)
		if err != nil || !ok {
			return nil, ok, err
		}
		r, ok, err := tr.expr(a.Rexpr)
		if err != nil || !ok {
			return nil, ok, err
		}
		return bson.D{{Key: mop, Value: bson.A{l, r}}}, true, nil
	case n.GetCoalesceExpr() != nil:
		args := bson.A{}
		for _, a := range n.GetCoalesceExpr().Args {
			e, ok, err := tr.expr(a)
			if err != nil || !ok {
				return nil, ok, err
			}
			args = append(args, e)
		}
		return bson.D{{Key: "$ifNull", Value: args}}, true, nil
	case tr.checking && n.GetFuncCall() != nil:
		return tr.funcExpr(n.GetFuncCall())
	}
	return nil, false, nil
}

// update translates an UPDATE's SET list into update operators: x = x + c
// is $inc, x = c $set, ARRAY_APPEND_UNIQUE $addToSet, ARRAY_REMOVE $pull,
// array_append $push, MERGE_JSON a $set of each field. ok is false when some
// assignment needs the row's values (the caller then reads and writes in a
// transaction).
//
// $inc makes a missing or NULL field the increment, where SQL's NULL + 1 is NULL: x = x + c on a column that
// may be NULL (not declared NOT NULL) makes the update a one-stage pipeline instead, {$set: {x: {$add: ["$x",
// c]}}} and the other assignments' values as literals, which is just as atomic; with array assignments beside
// it, ok is false.
func (tr *translator) update(targets []*pg.Node) (any, bool, error) {
	ops := map[string]bson.D{}
	var order []string
	nullableInc := false
	add := func(op, path string, v any) {
		if _, ok := ops[op]; !ok {
			order = append(order, op)
		}
		ops[op] = append(ops[op], bson.E{Key: path, Value: v})
	}
	seen := map[string]bool{}
	for _, t := range targets {
		rt := t.GetResTarget()
		if len(rt.Indirection) > 0 {
			return nil, false, nil // tags[2] = 'x': the array computed row by row (updateByRows, assignElement)
		}
		name := rt.Name
		if seen[name] {
			return nil, false, errorf(CodeSyntaxError, "multiple assignments to same column %q", name)
		}
		seen[name] = true
		col := tr.t.column(name) // nil for a schemaless table's field
		var oid uint32
		var typmod int32
		if col != nil {
			oid, typmod = col.Type, col.TypMod
		}
		if tr.t.declared && col == nil {
			return nil, false, &Error{Code: CodeUndefinedColumn, Message: "column \"" + name + "\" of relation \"" + tr.t.Name + "\" does not exist", Position: int(rt.Location) + 1}
		}
		path := tr.t.field(name)
		if path == "_id" || strings.HasPrefix(path, "_id.") {
			return nil, false, nil // a new key is a new document: updateByRows deletes the row and inserts it again
		}
		val := rt.Val
		if val.GetSetToDefault() != nil {
			return nil, false, nil // the column's default is evaluated per row (updateByRows)
		}
		if typmod > 0 && tr.fromRow {
			// UPDATE ... FROM: a source row's value is fitted to the column only for the rows it updates.
			return nil, false, nil
		}
		if tr.isConst(val) {
			v, err := tr.constant(val)
			if err != nil {
				return nil, false, err
			}
			if col != nil && col.NotNull && v == nil {
				// Refused row by row (updateByRows), as PostgreSQL refuses it: only when a row matches, and with
				// the row in its detail.
				return nil, false, nil
			}
			sv, err := toStored(tr.x.relativeTime(v, oid), oid, typmod)
			if err != nil {
				return nil, false, err
			}
			add("$set", path, sv)
			continue
		}
		same := func(n *pg.Node) bool { p, _, ok := tr.column(n); return ok && p == path }
		if a := val.GetAExpr(); a != nil && a.Kind == pg.A_Expr_Kind_AEXPR_OP && a.Lexpr != nil && (oid == 0 || isNumericType(oid)) {
			// x = x + c on a number is $inc; on a date or a timestamp it is date arithmetic, below.
			op := opName(a.Name)
			var delta *pg.Node
			switch {
			case (op == "+" || op == "-") && same(a.Lexpr) && tr.isConst(a.Rexpr):
				delta = a.Rexpr
			case op == "+" && same(a.Rexpr) && tr.isConst(a.Lexpr):
				delta = a.Lexpr
			}
			if delta != nil {
				v, err := tr.constant(delta)
				if err != nil {
					return nil, false, err
				}
				if v == nil {
					add("$set", path, nil)
					continue
				}
				if op == "-" {
					if v, err = arith("-", int64(0), numeric(v)); err != nil {
						return nil, false, err
					}
				}
				if _, isNum := toFloat(numeric(v)); !isNum {
					return nil, false, nil
				}
				if isIntType(oid) && fractional(numeric(v)) {
					return nil, false, nil // i - 0.5 is a numeric rounded to the column: computed row by row
				}
				sv, err := toBSON(numeric(v), oid)
				if err != nil {
					return nil, false, err
				}
				if typmod > 0 {
					// A numeric(p,s) column's increment stays $inc when the step has at most s decimal places, so
					// that the sum needs no rounding; otherwise each row is rounded (updateByRows). The sum is
					// checked against p by the collection's validator (rangeViolation).
					if fit, err := fitNumeric(numeric(v), typmod); err != nil || !sameNumber(fit, numeric(v)) {
						return nil, false, nil
					}
				}
				if col == nil || !col.NotNull {
					nullableInc = true
				}
				add("$inc", path, sv)
				continue
			}
		}
		if typmod > 0 {
			return nil, false, nil // a modified type checks each row's new value (updateByRows)
		}
		if f := val.GetFuncCall(); f != nil && len(f.Args) == 2 && same(f.Args[0]) && tr.isConst(f.Args[1]) {
			v, err := tr.constant(f.Args[1])
			if err != nil {
				return nil, false, err
			}
			var op string
			switch funcName(f) {
			case "array_append_unique":
				op = "$addToSet"
			case "array_remove":
				op = "$pull"
			case "array_append":
				op = "$push"
			case "merge_json", "jsonb_concat":
				doc, ok := v.(bson.RawValue)
				if !ok || doc.Type != bson.TypeEmbeddedDocument {
					return nil, false, nil
				}
				elems, _ := doc.Document().Elements()
				for _, e := range elems {
					add("$set", path+"."+e.Key(), e.Value())
				}
				continue
			}
			if op != "" {
				sv, err := toBSON(v, types[oid].elem)
				if err != nil {
					return nil, false, err
				}
				add(op, path, sv)
				continue
			}
		}
		return nil, false, nil
	}
	if nullableInc {
		set := bson.D{}
		for _, op := range order {
			for _, e := range ops[op] {
				switch op {
				case "$set":
					var v any = bson.D{{Key: "$literal", Value: e.Value}}
					if e.Value == nil {
						v = "$$REMOVE" // NULL is an absent field, as INSERT writes it
					}
					set = append(set, bson.E{Key: e.Key, Value: v})
				case "$inc":
					set = append(set, bson.E{Key: e.Key, Value: bson.D{{Key: "$add", Value: bson.A{"$" + e.Key, bson.D{{Key: "$literal", Value: e.Value}}}}}})
				default:
					return nil, false, nil
				}
			}
		}
		return bson.A{bson.D{{Key: "$set", Value: set}}}, true, nil
	}
	return operators(order, ops), true, nil
}

// operators makes an update document of operators in order; a $set of NULL becomes an $unset, as SQL writes
// NULL as an absent field (which keeps rows with NULLs out of unique indexes, see uniquePartial).
func operators(order []string, ops map[string]bson.D) bson.D {
	var unset bson.D
	out := bson.D{}
	for _, op := range order {
		vals := ops[op]
		if op == "$set" {
			kept := bson.D{}
			for _, e := range vals {
				if e.Value == nil {
					unset = append(unset, bson.E{Key: e.Key, Value: ""})
				} else {
					kept = append(kept, e)
				}
			}
			if vals = kept; len(vals) == 0 {
				continue
			}
		}
		out = append(out, bson.E{Key: op, Value: vals})
	}
	if unset != nil {
		out = append(out, bson.E{Key: "$unset", Value: unset})
	}
	return out
}

// notNull is the 23502 of a NULL written to a NOT NULL column.
func notNull(tbl, col string) *Error {
	return &Error{Code: CodeNotNullViolation, Table: tbl, Column: col,
		Message: "null value in column \"" + col + "\" of relation \"" + tbl + "\" violates not-null constraint"}
}

// pushdown returns the part of a WHERE clause a table's scan can filter
// by: the conjuncts that translate, each exactly. The whole clause is still
// evaluated over the rows the scan returns.
func (x *exec) pushdown(where *pg.Node, t *table, alias string, outer *scope) bson.D {
	f, _ := x.pushdownChecked(where, t, alias, outer)
	return f
}

// pushdownChecked is pushdown, with the error of a constant that does not convert to the type of the column it
// is compared with (id = 'x': 22P02): PostgreSQL reports it before it reads a row, so an empty table does too.
func (x *exec) pushdownChecked(where *pg.Node, t *table, alias string, outer *scope) (bson.D, error) {
	tr := &translator{x: x, t: t, alias: alias, outer: outer}
	var conjuncts []*pg.Node
	if b := where.GetBoolExpr(); b != nil && b.Boolop == pg.BoolExprType_AND_EXPR {
		conjuncts = b.Args
	} else {
		conjuncts = []*pg.Node{where}
	}
	var conds []bson.D
	for _, c := range conjuncts {
		if !tr.isPushable(c) {
			continue
		}
		cs, ok, err := tr.truth(c, true)
		if e, isErr := err.(*Error); isErr && e.Code == CodeInvalidTextRep && e.Position > 0 {
			return nil, err // a literal's conversion (atLiteral)
		}
		if err == nil && ok {
			conds = append(conds, cs...)
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return mergeConds(conds), nil
}

// isPushable reports whether a conjunct refers to nothing but the table,
// constants and outer columns (not another source of the same query).
func (tr *translator) isPushable(n *pg.Node) bool {
	return !walkNoSub(n, func(m *pg.Node) bool {
		if m.GetSubLink() != nil {
			return true
		}
		cr := m.GetColumnRef()
		if cr == nil {
			return false
		}
		if _, _, ok := tr.column(m); ok {
			return false
		}
		if tr.outer != nil {
			if _, _, found, _ := tr.outer.lookup(columnFields(cr)); found {
				return false
			}
		}
		return true
	})
}
