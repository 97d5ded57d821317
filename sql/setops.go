package sql

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// setOpColumns gives the column types of a UNION, INTERSECT or EXCEPT of the visible columns lv of l and rv of r,
// as PostgreSQL's select_common_type does, before any row is read: a side's untyped literal ('x', NULL) takes the
// other side's type (and fails later with 22P02 if it is none of it; two of them are text), types of different
// categories are 42804 ("UNION types integer and text cannot be matched"), and types of one category that do not
// convert to each other implicitly are 42846 ("UNION could not convert type date to time without time zone").
// Integers, numerics and floats mix (the widest), as do the string types (text) and date with the timestamps
// (timestamptz when one side is).
func setOpColumns(sel *pg.SelectStmt, l, r *relation, lv, rv []int) ([]uint32, error) {
	lu, ru := literalColumns(sel.Larg), literalColumns(sel.Rarg)
	op := strings.TrimPrefix(sel.Op.String(), "SETOP_")
	out := make([]uint32, len(lv))
	for k := range lv {
		lt, rt := l.cols[lv[k]].oid, r.cols[rv[k]].oid
		lLit, rLit := k < len(lu) && lu[k], k < len(ru) && ru[k]
		switch {
		case lLit && rLit:
			out[k] = OIDText
		case lLit:
			out[k] = rt
		case rLit:
			out[k] = lt
		case lt == 0 || rt == 0 || lt == OIDUnknown || rt == OIDUnknown || lt == rt:
			out[k] = unifyType(lt, rt) // a type Concord does not know statically (a schemaless field's) is not judged
		default:
			t, err := commonType(op, lt, rt)
			if err != nil {
				return nil, err
			}
			out[k] = t
		}
	}
	return out, nil
}

// commonType is select_common_type's common type of two different known types, or its error.
func commonType(op string, lt, rt uint32) (uint32, error) {
	if lt == OIDOID && rt == OIDText || lt == OIDText && rt == OIDOID {
		// Concord types regclass values (pg_partition_ancestors', 'x'::regclass) as text; PostgreSQL's regclass
		// is in oid's category, and psql unions the two.
		return OIDOID, nil
	}
	lc, rc := commonCategory(lt), commonCategory(rt)
	if lc != rc {
		return 0, errorf(CodeDatatypeMismatch, "%s types %s and %s cannot be matched", op, TypeName(lt), TypeName(rt))
	}
	switch lc {
	case "N":
		return widen(lt, rt), nil
	case "S":
		return OIDText, nil // text is the category's preferred type
	case "D":
		switch {
		case lt == OIDTime || rt == OIDTime: // date, timestamp and timestamptz convert implicitly; time to none
		case lt == OIDTimestamptz || rt == OIDTimestamptz:
			return OIDTimestamptz, nil
		default:
			return OIDTimestamp, nil
		}
	case "A":
		if types[lt].elem != 0 && types[rt].elem != 0 {
			if e, err := commonType(op, types[lt].elem, types[rt].elem); err == nil && types[e].array != 0 {
				return types[e].array, nil // int4[] with int8[]: arrays convert as their elements do
			}
		}
	}
	return 0, errorf(CodeCannotCoerce, "%s could not convert type %s to %s", op, TypeName(rt), TypeName(lt))
}

// commonCategory is a type's pg_type.typcategory (typeCategory), E for an enum type.
func commonCategory(oid uint32) string {
	if isEnumOID(oid) {
		return "E"
	}
	return typeCategory(oid)
}

// valuesColumn is the type of column i of a VALUES list, as select_common_type makes it: the common type of its
// typed items (42804 or 42846 when they have none, as for a UNION), text when every item is an untyped literal.
func (x *exec) valuesColumn(lists []*pg.Node, i int, sc *scope) (uint32, error) {
	var oid uint32
	literals := true
	for _, l := range lists {
		items := l.GetList().Items
		if i >= len(items) {
			continue
		}
		if isLiteral(items[i]) {
			continue
		}
		literals = false
		t := x.typeOf(items[i], sc)
		switch {
		case t == 0 || t == OIDUnknown || t == oid:
		case oid == 0:
			oid = t
		default:
			c, err := commonType("VALUES", oid, t)
			if err != nil {
				return 0, err
			}
			oid = c
		}
	}
	if literals {
		return OIDText, nil
	}
	return oid, nil
}

// isLiteral reports whether n is an untyped literal: a string constant or NULL, PostgreSQL's unknown.
func isLiteral(n *pg.Node) bool {
	c := n.GetAConst()
	return c != nil && (c.Isnull || c.GetSval() != nil)
}

// literalColumns reports which output columns of a side of a set operation are untyped literals (a string constant
// or NULL, PostgreSQL's unknown), by position; nil (none) for a side that is itself a set operation, a VALUES
// list or a SELECT with *, whose columns have types.
func literalColumns(n *pg.SelectStmt) []bool {
	if n == nil || n.Op != pg.SetOperation_SETOP_NONE || len(n.ValuesLists) > 0 {
		return nil
	}
	out := make([]bool, len(n.TargetList))
	for i, t := range n.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			return nil
		}
		if cr := rt.Val.GetColumnRef(); cr != nil {
			for _, f := range cr.Fields {
				if f.GetAStar() != nil {
					return nil // * may stand for any number of columns: positions no longer match
				}
			}
		}
		out[i] = isLiteral(rt.Val)
	}
	return out
}

// checkDistinctOn fails with 42P10, as PostgreSQL does, unless a SELECT's DISTINCT ON expressions are its leading
// ORDER BY expressions: the ORDER BY items among them come before every other one, and if an ORDER BY item is not
// among them, every one of them is among the ORDER BY items. An expression is compared by its text after an
// output column's number or name is replaced by the column's expression.
func checkDistinctOn(sel *pg.SelectStmt) error {
	key := func(n *pg.Node) string { return outputKey(sel, n) }
	on := map[string]bool{}
	for _, e := range sel.DistinctClause {
		on[key(e)] = true
	}
	matched, skipped := map[string]bool{}, false
	for _, s := range sel.SortClause {
		k := key(s.GetSortBy().Node)
		switch {
		case !on[k]:
			skipped = true
		case skipped:
			return errorf(CodeInvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
		default:
			matched[k] = true
		}
	}
	if skipped && len(matched) < len(on) {
		return errorf(CodeInvalidColumnReference, "SELECT DISTINCT ON expressions must match initial ORDER BY expressions")
	}
	return nil
}

// checkDistinctOrder refuses, as PostgreSQL does before a row is read, a plain SELECT DISTINCT's ORDER BY
// expression that is not in the select list (42P10): the rows left after DISTINCT have no such value to sort by.
// An output's position or name, an expression written as in the list, or a column where the list has a * is.
func checkDistinctOrder(sel *pg.SelectStmt) error {
	outputs := map[string]bool{}
	names := map[string]bool{} // the columns the list names, by their last name
	star := false
	for _, tg := range sel.TargetList {
		v := tg.GetResTarget().GetVal()
		if cr := v.GetColumnRef(); cr != nil {
			last := cr.Fields[len(cr.Fields)-1]
			if last.GetAStar() != nil {
				star = true
				continue
			}
			names[last.GetString_().GetSval()] = true
		}
		outputs[exprText(v)] = true
	}
	for _, s := range sel.SortClause {
		n := s.GetSortBy().Node
		if outputs[outputKey(sel, n)] {
			continue
		}
		if cr := n.GetColumnRef(); cr != nil {
			if last := cr.Fields[len(cr.Fields)-1].GetString_(); star || last != nil && names[last.Sval] {
				continue
			}
		}
		return &Error{Code: CodeInvalidColumnReference, Message: "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
			Position: leftmostLocation(n) + 1}
	}
	return nil
}

// leftmostLocation is the position of an expression's first token (the left operand's of an operator), or -1.
func leftmostLocation(n *pg.Node) int {
	loc := -1
	walkNoSub(n, func(m *pg.Node) bool {
		if l := nodeLocation(&pg.Node{Node: m.Node}); l >= 0 && (loc < 0 || l < loc) {
			if m.GetAExpr() == nil {
				loc = l
			}
		}
		return false
	})
	if loc < 0 {
		return exprStart(n)
	}
	return loc
}

// outputKey is the text of an ORDER BY or DISTINCT ON expression, with an output's position or name read as
// that output's expression.
func outputKey(sel *pg.SelectStmt, n *pg.Node) string {
	if c := n.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
			if k := int(iv.Ival.Ival); k >= 1 && k <= len(sel.TargetList) {
				n = sel.TargetList[k-1].GetResTarget().Val
			}
		}
	} else if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
		for _, tg := range sel.TargetList {
			if rt := tg.GetResTarget(); rt.Name != "" && rt.Name == cr.Fields[0].GetString_().Sval {
				n = rt.Val
				break
			}
		}
	}
	return exprText(n)
}
