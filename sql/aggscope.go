package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// An aggregate belongs to the query level of the columns it aggregates, as in PostgreSQL: the nearest level any
// column of its arguments comes from, its own query's when it names none. So max(o.b) in a subquery of a grouped
// query aggregates that query's group, and `SELECT (SELECT sum(b)) FROM t` is an aggregate query over t (one row,
// the sum). Evaluation finds the level by where the arguments' columns resolve (aggScope); whether a query is
// grouped by an aggregate inside one of its subqueries, and whether a subquery's aggregate of an enclosing
// query's columns leaves the subquery ungrouped, are decided from the names before a row is read: a column
// qualified with a source of the enclosing query that the subquery does not name, or an unqualified column of a
// subquery without FROM.

// aggColumnRefs are the column references of an aggregate call's arguments, FILTER and ORDER BY, not inside a
// subquery.
func aggColumnRefs(f *pg.FuncCall) []*pg.ColumnRef {
	var out []*pg.ColumnRef
	collect := func(n *pg.Node) {
		walkNoSub(n, func(m *pg.Node) bool {
			if cr := m.GetColumnRef(); cr != nil {
				out = append(out, cr)
			}
			return false
		})
	}
	for _, a := range f.Args {
		collect(a)
	}
	collect(f.AggFilter)
	for _, o := range f.AggOrder {
		collect(o)
	}
	return out
}

// aggScope is the scope whose group an aggregate call evaluated in sc aggregates: the nearest one (from sc
// outwards) where a column of its arguments resolves; nil when it names none (its own query's, the nearest
// grouped scope).
func aggScope(f *pg.FuncCall, sc *scope) *scope {
	if sc == nil || sc.outer == nil {
		return nil
	}
	var nearest *scope
	nearestDepth := -1
	for _, cr := range aggColumnRefs(f) {
		fields := columnFields(cr)
		depth := 0
		for s := sc; s != nil; s, depth = s.outer, depth+1 {
			if nearestDepth >= 0 && depth >= nearestDepth {
				break
			}
			outerQual := len(fields) >= 2 && s.outer.qualifies(fields[0])
			if _, _, found, _ := s.lookupHere(fields, outerQual); found {
				nearest, nearestDepth = s, depth
				break
			}
		}
		if nearestDepth == 0 {
			break
		}
	}
	return nearest
}

// fromItemNames are the names a SELECT's FROM items go by: an alias, else a table's name.
func fromItemNames(items []*pg.Node) map[string]bool {
	names := map[string]bool{}
	var add func(n *pg.Node)
	add = func(n *pg.Node) {
		switch {
		case n.GetRangeVar() != nil:
			rv := n.GetRangeVar()
			if rv.Alias != nil {
				names[rv.Alias.Aliasname] = true
			} else {
				names[rv.Relname] = true
			}
		case n.GetRangeSubselect() != nil && n.GetRangeSubselect().Alias != nil:
			names[n.GetRangeSubselect().Alias.Aliasname] = true
		case n.GetRangeFunction() != nil:
			if a := n.GetRangeFunction().Alias; a != nil {
				names[a.Aliasname] = true
			} else {
				return // named by its function: a name no enclosing column is qualified with here
			}
		case n.GetJoinExpr() != nil:
			j := n.GetJoinExpr()
			if j.Alias != nil {
				names[j.Alias.Aliasname] = true
			}
			add(j.Larg)
			add(j.Rarg)
		}
	}
	for _, it := range items {
		add(it)
	}
	return names
}

// outerAggregate reports whether aggregate f, in sel (whose enclosing query's scope is outer), aggregates only
// columns of enclosing queries, so that it is not sel's: it names at least one column and each is qualified
// with a source of an enclosing query that sel's FROM does not name, or unqualified, found outside and a column
// of none of sel's FROM items (fromLacks). here, when not nil, requires that one of them be a column of that scope (the enclosing level
// the caller asks about) and none further out.
func (x *exec) outerAggregate(f *pg.FuncCall, sel *pg.SelectStmt, outer, here *scope) bool {
	if outer == nil {
		return false
	}
	refs := aggColumnRefs(f)
	if len(refs) == 0 {
		return false
	}
	inner := fromItemNames(sel.FromClause)
	atHere := false
	for _, cr := range refs {
		fields := columnFields(cr)
		if len(fields) == 0 || fields[len(fields)-1] == "*" {
			return false
		}
		switch {
		case len(fields) >= 2 && !inner[fields[0]] && outer.qualifies(fields[0]):
			if here != nil {
				if !isQualifier(here.cols, fields[0]) {
					return false
				}
				atHere = true
			}
		case len(fields) == 1 && (len(sel.FromClause) == 0 || x.fromLacks(sel.FromClause, fields[0])):
			if _, _, found, _ := outer.lookup(fields); !found {
				return false
			}
			if here != nil {
				if _, _, found, _ := here.lookupHere(fields, false); !found {
					return false
				}
				atHere = true
			}
		default:
			return false
		}
	}
	return here == nil || atHere
}

// ownAggregate reports whether sel's target list calls an aggregate of sel's own level (outside a subquery), or
// a subquery in it or in HAVING calls one of sel's level's columns (srcCols its FROM clause's columns).
func (x *exec) ownAggregate(sel *pg.SelectStmt, outer *scope, srcCols []relCol) bool {
	// One pass over the target list finds sel's own aggregates and the subqueries in it (walkNoSub stops at them).
	var subs []*pg.SubLink
	for _, t := range sel.TargetList {
		if walkNoSub(t.GetResTarget().Val, func(m *pg.Node) bool {
			if sl := m.GetSubLink(); sl != nil {
				subs = append(subs, sl)
				return false
			}
			f := m.GetFuncCall()
			return f != nil && isAggregate(f) && !x.outerAggregate(f, sel, outer, nil)
		}) {
			return true
		}
	}
	if len(subs) == 0 {
		return false
	}
	here := &scope{cols: srcCols, row: make([]any, len(srcCols)), outer: outer}
	ofHere := func(m protoreflect.Message) bool {
		sl, ok := m.Interface().(*pg.SubLink)
		sub := sl.GetSubselect().GetSelectStmt()
		if !ok || sub == nil {
			return false
		}
		for _, n := range append(append([]*pg.Node{sub.WhereClause, sub.HavingClause}, sub.TargetList...), sub.SortClause...) {
			if walkNoSub(n, func(m *pg.Node) bool {
				f := m.GetFuncCall()
				return f != nil && isAggregate(f) && x.outerAggregate(f, sub, here, here)
			}) {
				return true
			}
		}
		return false
	}
	for _, sl := range subs {
		if walk(sl.ProtoReflect(), ofHere) {
			return true
		}
	}
	return false
}

// fromLacks reports whether no FROM item of items has a column named name, as far as the catalog tells: each is
// a table or view with declared columns (a schemaless collection, a WITH query, a subquery or a function may
// have any name, and then it is not known to lack it).
func (x *exec) fromLacks(items []*pg.Node, name string) bool {
	for _, it := range items {
		switch {
		case it.GetRangeVar() != nil:
			rv := it.GetRangeVar()
			if rv.Schemaname != "" && rv.Schemaname != "public" || x.cte(rv.Relname) != nil {
				return false
			}
			t, err := x.lookupTable(rv.Relname, 0)
			if err != nil || !t.declared || len(t.Columns) == 0 || t.column(name) != nil {
				return false
			}
		case it.GetJoinExpr() != nil:
			j := it.GetJoinExpr()
			if !x.fromLacks([]*pg.Node{j.Larg, j.Rarg}, name) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
