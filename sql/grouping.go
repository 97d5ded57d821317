package sql

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// checkGrouping refuses, as PostgreSQL does, a grouped query (GROUP BY, HAVING or an aggregate) whose select
// list, HAVING or ORDER BY uses a column of its FROM clause outside an aggregate call and outside every GROUP
// BY expression: 42803, `column "t.c" must appear in the GROUP BY clause or be used in an aggregate function`.
// Without the check such a column would show the value of an arbitrary row of its group. A column is grouped
// when a GROUP BY item names it (by any qualification, or through an output column's name or position), when
// an expression around it is a GROUP BY item (GROUP BY a + b covers a + b), or when its table's primary key
// is grouped (PostgreSQL's functional dependency). Subqueries are not looked into.
func checkGrouping(sel *pg.SelectStmt, src *relation) error {
	var items []*pg.Node // the GROUP BY expressions, an output column's name or position replaced by its expression
	for _, g := range sel.GroupClause {
		switch {
		case g.GetGroupingSet() != nil:
			return nil // grouping sets are refused elsewhere, or evaluated as given
		case g.GetAConst() != nil && g.GetAConst().GetIval() != nil:
			i := int(g.GetAConst().GetIval().Ival)
			if i >= 1 && i <= len(sel.TargetList) {
				items = append(items, sel.TargetList[i-1].GetResTarget().Val)
			}
			continue
		case g.GetColumnRef() != nil && len(g.GetColumnRef().Fields) == 1 && srcColumn(g.GetColumnRef(), src) < 0:
			name := columnFields(g.GetColumnRef())[0]
			for _, t := range sel.TargetList {
				if rt := t.GetResTarget(); rt.Name == name {
					items = append(items, rt.Val)
				}
			}
			continue
		}
		items = append(items, g)
	}
	grouped := map[int]bool{} // src columns named by a GROUP BY item
	for _, it := range items {
		if cr := it.GetColumnRef(); cr != nil {
			if i := srcColumn(cr, src); i >= 0 {
				grouped[i] = true
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
	covered := func(i int) bool { return grouped[i] || keyed[src.cols[i].qual] }
	var bad *pg.ColumnRef
	var badCol int
	var visit func(n *pg.Node) (stop, prune bool)
	visit = func(n *pg.Node) (bool, bool) {
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
		for _, it := range items {
			if it.GetColumnRef() == nil && sameExpr(n.ProtoReflect(), it.ProtoReflect()) {
				return false, true
			}
		}
		return false, false
	}
	check := func(n *pg.Node) bool { return walkPrune(n, visit) }
	for _, t := range sel.TargetList {
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
	for _, s := range sel.SortClause {
		n := s.GetSortBy().Node
		if n.GetAConst() != nil {
			continue // a position in the select list
		}
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && srcColumn(cr, src) < 0 {
			continue // an output column's name
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
		if c.hidden || c.merged || c.name != fields[len(fields)-1] || (len(fields) == 2 && c.qual != fields[0]) {
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
	return walkPruneChildren(n.ProtoReflect(), fn)
}

func walkPruneChildren(m protoreflect.Message, fn func(*pg.Node) (stop, prune bool)) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		visit := func(c protoreflect.Message) {
			if nn, ok := c.Interface().(*pg.Node); ok {
				found = walkPrune(nn, fn)
			} else {
				found = walkPruneChildren(c, fn)
			}
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				visit(l.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			visit(v.Message())
		}
		return !found
	})
	return found
}

// sameExpr reports whether two parse nodes are the same expression, wherever they are in the text (their
// location fields are not compared).
func sameExpr(a, b protoreflect.Message) bool {
	if a.Descriptor() != b.Descriptor() {
		return false
	}
	na, nb := 0, 0
	b.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if fd.Name() != "location" {
			nb++
		}
		return true
	})
	eq := true
	a.Range(func(fd protoreflect.FieldDescriptor, va protoreflect.Value) bool {
		if fd.Name() == "location" {
			return true
		}
		na++
		if !b.Has(fd) {
			eq = false
			return false
		}
		vb := b.Get(fd)
		switch {
		case fd.IsMap():
			eq = false
		case fd.IsList():
			la, lb := va.List(), vb.List()
			if la.Len() != lb.Len() {
				eq = false
				break
			}
			for i := 0; i < la.Len() && eq; i++ {
				if fd.Message() != nil {
					eq = sameExpr(la.Get(i).Message(), lb.Get(i).Message())
				} else {
					eq = la.Get(i).Equal(lb.Get(i))
				}
			}
		case fd.Message() != nil:
			eq = sameExpr(va.Message(), vb.Message())
		default:
			eq = va.Equal(vb)
		}
		return eq
	})
	return eq && na == nb
}
