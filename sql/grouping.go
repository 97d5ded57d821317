package sql

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// checkGrouping refuses, as PostgreSQL does, a grouped query (GROUP BY, HAVING or an aggregate) whose select
// list, HAVING, named windows or ORDER BY use a column of a table in its FROM clause outside an aggregate call
// while that column is not grouped: 42803, `column "t.c" must appear in the GROUP BY clause or be used in an
// aggregate function`. Without the check such a column would show the value of an arbitrary row of its group. A
// column is grouped when a GROUP BY item names it (by any qualification, an output column's name or position, or
// the column a JOIN ... USING merged it into), or when its table's whole primary key is grouped (PostgreSQL's
// functional dependency).
//
// With a GROUP BY item that is an expression (GROUP BY lower(name)) the check is lenient where PostgreSQL's needs
// its analysis of expressions (n + 1::int is n + 1, pg_catalog.lower is lower): a column such an item uses passes
// anywhere (SELECT name ... GROUP BY lower(name) shows an arbitrary row's name, where PostgreSQL refuses it), and
// only a column no GROUP BY item uses is refused. With a position over *, an item that names nothing, or grouping
// sets, nothing is checked; and only the columns of stored tables are held to it (not those of subqueries, CTEs,
// functions or the catalogs). References inside a subquery are not looked into. A query it lets pass runs as
// before.
func checkGrouping(sel *pg.SelectStmt, src *relation) error {
	targets := sel.TargetList
	hasStar := false
	outNames := map[string]bool{}
	for _, t := range targets {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil {
			if f := columnFields(cr); f[len(f)-1] == "*" {
				hasStar = true
				continue
			}
		}
		name := rt.Name
		if name == "" {
			name = exprName(rt.Val)
		}
		outNames[name] = true
	}
	outputNamed := func(name string) *pg.Node {
		for _, t := range targets {
			rt := t.GetResTarget()
			if rt.Name == name || rt.Name == "" && rt.Val.GetColumnRef() == nil && exprName(rt.Val) == name {
				return rt.Val
			}
		}
		return nil
	}
	grouped := map[int]bool{}
	inExprs := map[int]bool{} // the columns GROUP BY items that are expressions use
	for _, g := range sel.GroupClause {
		switch {
		case g.GetAConst() != nil && g.GetAConst().GetIval() != nil:
			i := int(g.GetAConst().GetIval().Ival)
			if hasStar || i < 1 || i > len(targets) {
				return nil // a position over * is not resolved here; one out of range is refused when grouping
			}
			g = targets[i-1].GetResTarget().Val
		case g.GetColumnRef() != nil && len(g.GetColumnRef().Fields) == 1 && srcColumn(g.GetColumnRef(), src) < 0:
			if g = outputNamed(columnFields(g.GetColumnRef())[0]); g == nil {
				return nil // names nothing: refused when grouping
			}
		}
		if g.GetGroupingSet() != nil || g.GetRowExpr() != nil {
			return nil // refused when grouping
		}
		cr := g.GetColumnRef()
		if cr == nil {
			walkPrune(g, func(n *pg.Node) (bool, bool) {
				if c := n.GetColumnRef(); c != nil {
					if i := srcColumn(c, src); i >= 0 {
						inExprs[i] = true
					}
				}
				return false, false
			})
			continue
		}
		i := srcColumn(cr, src)
		if i < 0 {
			return nil
		}
		grouped[i] = true
	}
	// A JOIN ... USING column and the join inputs' columns it merged stand for one another.
	for i := range grouped {
		name := src.cols[i].name
		if !src.cols[i].merged && src.cols[i].qual != "" {
			continue
		}
		for j, c := range src.cols {
			if c.name == name && !c.hidden && (c.merged || c.qual == "") {
				grouped[j] = true
			}
		}
	}
	// Tables whose every primary key column is grouped: all their columns are.
	keyed := map[string]bool{}
	missing := map[string]bool{}
	for i, c := range src.cols {
		if c.hidden || c.qual == "" || !(c.field == "_id" || strings.HasPrefix(c.field, "_id.")) {
			continue
		}
		if grouped[i] {
			keyed[c.qual] = true
		} else {
			missing[c.qual] = true
		}
	}
	for q := range missing {
		delete(keyed, q)
	}
	covered := func(i int) bool {
		c := src.cols[i]
		// A column a grouped expression uses is let pass: telling whether its expression is that one (n + 1::int
		// and n + 1, pg_catalog.lower and lower) takes PostgreSQL's analysis of both.
		return c.field == "" || grouped[i] || c.qual != "" && keyed[c.qual] || inExprs[i]
	}
	var bad *pg.ColumnRef
	var badCol int
	visit := func(n *pg.Node) (bool, bool) {
		if f := n.GetFuncCall(); f != nil && f.Over == nil && isAggregate(f) {
			return false, true // an aggregate's arguments are evaluated per row
		}
		if cr := n.GetColumnRef(); cr != nil {
			if i := srcColumn(cr, src); i >= 0 && !covered(i) {
				bad, badCol = cr, i
				return true, false
			}
			return false, true
		}
		return false, false
	}
	check := func(n *pg.Node) bool { return walkPrune(n, visit) }
	for _, t := range targets {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil {
			if f := columnFields(cr); f[len(f)-1] == "*" {
				qual := ""
				if len(f) == 2 {
					qual = f[0]
				}
				for _, i := range src.visible(qual) {
					if !covered(i) {
						return groupingError(src.cols[i], int(cr.Location))
					}
				}
				continue
			}
		}
		if check(rt.Val) {
			return groupingError(src.cols[badCol], int(bad.Location))
		}
	}
	if check(sel.HavingClause) {
		return groupingError(src.cols[badCol], int(bad.Location))
	}
	for _, w := range sel.WindowClause { // a named window's PARTITION BY and ORDER BY, used or not
		if d := w.GetWindowDef(); d != nil {
			for _, n := range append(append([]*pg.Node{}, d.PartitionClause...), d.OrderClause...) {
				if check(n) {
					return groupingError(src.cols[badCol], int(bad.Location))
				}
			}
		}
	}
	for _, s := range sel.SortClause {
		n := s.GetSortBy().Node
		if n.GetAConst() != nil {
			continue // a position in the select list
		}
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && outNames[columnFields(cr)[0]] {
			continue // an output column's name, which ORDER BY takes before an input column's
		}
		if check(n) {
			return groupingError(src.cols[badCol], int(bad.Location))
		}
	}
	return nil
}

func groupingError(c relCol, loc int) error {
	name := c.name
	if c.qual != "" {
		name = c.qual + "." + c.name
	}
	return &Error{Code: CodeGroupingError, Position: loc + 1,
		Message: "column \"" + name + "\" must appear in the GROUP BY clause or be used in an aggregate function"}
}

// srcColumn is the index of the column of src (not an outer query's) that a column reference names, or -1.
func srcColumn(cr *pg.ColumnRef, src *relation) int {
	fields := columnFields(cr)
	if len(fields) > 2 || fields[len(fields)-1] == "*" {
		return -1
	}
	found := -1
	for i, c := range src.cols {
		if c.hidden || c.merged && len(fields) == 1 || c.name != fields[len(fields)-1] || (len(fields) == 2 && c.qual != fields[0]) {
			continue
		}
		if found >= 0 {
			return -1 // ambiguous: the evaluation reports it
		}
		found = i
	}
	return found
}

// walkPrune calls fn on n and the nodes inside it, outside subqueries, until fn says stop; it does not look
// inside a node for which fn says prune. It reports whether fn said stop.
func walkPrune(n *pg.Node, fn func(*pg.Node) (stop, prune bool)) bool {
	if n == nil || n.GetSubLink() != nil {
		return false
	}
	stop, prune := fn(n)
	if stop || prune {
		return stop
	}
	return eachChild(n.ProtoReflect(), func(c *pg.Node) bool { return walkPrune(c, fn) })
}
