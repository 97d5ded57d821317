package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// setGroup is one group of a GROUP BY with grouping sets: a row standing for it, where the columns of the grouping
// expressions its set leaves out are NULL; its rows; and the texts of the expressions its set groups by, which
// grouping() asks.
type setGroup struct {
	row   []any
	group [][]any
	set   map[string]bool
}

// expandGroupingSets is the list of grouping sets a GROUP BY clause with ROLLUP, CUBE or GROUPING SETS stands
// for, each a list of expressions, as PostgreSQL expands them: the items of the clause multiply (GROUP BY a,
// ROLLUP (b, c) is (a, b, c), (a, b) and (a)), ROLLUP (a, b) is (a, b), (a) and (), CUBE (a, b) is every subset,
// and GROUPING SETS lists them, () being the empty one. ok is false for a clause without them.
func expandGroupingSets(items []*pg.Node) (sets [][]*pg.Node, ok bool) {
	for _, it := range items {
		if it.GetGroupingSet() != nil {
			ok = true
		}
	}
	if !ok {
		return nil, false
	}
	sets = [][]*pg.Node{{}}
	for _, it := range items {
		var opts [][]*pg.Node
		if gs := it.GetGroupingSet(); gs != nil {
			opts = groupingSetOptions(gs)
		} else {
			opts = [][]*pg.Node{{it}}
		}
		var next [][]*pg.Node
		for _, s := range sets {
			for _, o := range opts {
				next = append(next, append(append([]*pg.Node{}, s...), o...))
			}
		}
		sets = next
	}
	return sets, true
}

// groupingSetOptions is the list of sets one ROLLUP, CUBE, GROUPING SETS or () stands for.
func groupingSetOptions(gs *pg.GroupingSet) [][]*pg.Node {
	// An element of ROLLUP or CUBE is an expression or a parenthesized list of them, grouped together.
	elems := make([][]*pg.Node, len(gs.Content))
	for i, c := range gs.Content {
		if r := c.GetRowExpr(); r != nil {
			elems[i] = r.Args
		} else {
			elems[i] = []*pg.Node{c}
		}
	}
	concat := func(parts [][]*pg.Node) []*pg.Node {
		out := []*pg.Node{}
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	switch gs.Kind {
	case pg.GroupingSetKind_GROUPING_SET_EMPTY:
		return [][]*pg.Node{{}}
	case pg.GroupingSetKind_GROUPING_SET_ROLLUP:
		var out [][]*pg.Node
		for n := len(elems); n >= 0; n-- {
			out = append(out, concat(elems[:n]))
		}
		return out
	case pg.GroupingSetKind_GROUPING_SET_CUBE:
		// Every subset, the larger first, each in the order of the elements.
		var out [][]*pg.Node
		for size := len(elems); size >= 0; size-- {
			var pick func(from int, chosen [][]*pg.Node)
			pick = func(from int, chosen [][]*pg.Node) {
				if len(chosen) == size {
					out = append(out, concat(chosen))
					return
				}
				for i := from; i < len(elems); i++ {
					pick(i+1, append(chosen, elems[i]))
				}
			}
			pick(0, nil)
		}
		return out
	case pg.GroupingSetKind_GROUPING_SET_SETS:
		var out [][]*pg.Node
		for _, c := range gs.Content {
			switch {
			case c.GetGroupingSet() != nil:
				out = append(out, groupingSetOptions(c.GetGroupingSet())...)
			case c.GetRowExpr() != nil:
				out = append(out, c.GetRowExpr().Args)
			default:
				out = append(out, []*pg.Node{c})
			}
		}
		return out
	}
	return [][]*pg.Node{concat(elems)} // SIMPLE: the elements together
}

// resolveGroupItem is the expression a GROUP BY item stands for: an output column's for its position or its name
// (when no column of src has that name), else the item.
func resolveGroupItem(g *pg.Node, targets []*pg.Node, src *relation) *pg.Node {
	if c := g.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg.A_Const_Ival); ok && iv.Ival.Ival >= 1 && int(iv.Ival.Ival) <= len(targets) {
			return targets[iv.Ival.Ival-1].GetResTarget().Val
		}
	}
	if cr := g.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && srcColumn(cr, src) < 0 {
		name := columnFields(cr)[0]
		for _, t := range targets {
			if rt := t.GetResTarget(); rt.Name == name || rt.Name == "" && rt.Val.GetColumnRef() == nil && exprName(rt.Val) == name {
				return rt.Val
			}
		}
	}
	return g
}

// groupingSetGroups groups the rows of src by each grouping set in turn: a set's groups come after the previous
// set's, and the empty set makes one group even of no rows, as in PostgreSQL. An expression a set leaves out reads
// as NULL in its groups, as the columns it uses (and no expression of the set uses) are NULL in the row standing
// for each group; so an expression of those columns that is not NULL of NULLs (coalesce) reads otherwise.
func (x *exec) groupingSetGroups(sets [][]*pg.Node, targets []*pg.Node, src *relation, outer *scope) ([]setGroup, error) {
	colsOf := func(exprs []*pg.Node) map[int]bool {
		cols := map[int]bool{}
		for _, e := range exprs {
			walkPrune(resolveGroupItem(e, targets, src), func(n *pg.Node) (bool, bool) {
				if c := n.GetColumnRef(); c != nil {
					if i := srcColumn(c, src); i >= 0 {
						cols[i] = true
					}
				}
				return false, false
			})
		}
		return cols
	}
	var all []*pg.Node
	for _, s := range sets {
		all = append(all, s...)
	}
	allCols := colsOf(all)
	var out []setGroup
	sc := &scope{cols: src.cols, outer: outer}
	for _, set := range sets {
		present := map[string]bool{}
		for _, e := range set {
			present[exprText(e)] = true
			present[exprText(resolveGroupItem(e, targets, src))] = true
		}
		kept := colsOf(set)
		var nulls []int
		for c := range allCols {
			if !kept[c] {
				nulls = append(nulls, c)
			}
		}
		standIn := func(row []any) []any {
			r := append([]any{}, row...)
			for _, c := range nulls {
				r[c] = nil
			}
			return r
		}
		if len(set) == 0 {
			g := setGroup{row: standIn(firstOr(src.rows, len(src.cols))), group: src.rows, set: present}
			if g.group == nil {
				g.group = [][]any{}
			}
			out = append(out, g)
			continue
		}
		idx := map[string]int{}
		for _, row := range src.rows {
			sc.row = row
			k, err := x.groupKeyOf(set, targets, sc)
			if err != nil {
				return nil, err
			}
			if i, ok := idx[k]; ok {
				out[i].group = append(out[i].group, row)
				continue
			}
			idx[k] = len(out)
			out = append(out, setGroup{row: standIn(row), group: [][]any{row}, set: present})
		}
	}
	return out, nil
}

// groupingFunc is grouping(a, b, ...) in a group of a grouping set: a bit for each argument, the first the most
// significant, 1 when the group's set leaves it out; 0 without grouping sets.
func groupingFunc(args []*pg.Node, sc *scope) int64 {
	for ; sc != nil && sc.grouping == nil; sc = sc.outer {
	}
	if sc != nil {
		sc.read = true
	}
	var v int64
	for _, a := range args {
		v <<= 1
		if sc != nil && !sc.grouping[exprText(a)] {
			v |= 1
		}
	}
	return v
}
