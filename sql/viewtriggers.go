package sql

// INSTEAD OF triggers: a view's row triggers that run in place of an INSERT, UPDATE or DELETE on it. The statement
// finds its rows (the rows an INSERT gives, the view's rows an UPDATE or DELETE selects, with an UPDATE's new
// values) and calls each INSTEAD OF trigger of the event for each row, with NEW and OLD in the view's columns;
// the trigger writes what it will, and a row counts (in the command tag, and for RETURNING, which sees the row the
// trigger returned) unless a trigger returned NULL. The view's BEFORE and AFTER statement triggers fire around
// such a write, and only around one: a write an automatically updatable view passes to its table fires the
// table's, as in PostgreSQL.

import (
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// insteadOf are view t's INSTEAD OF triggers of event, in name order.
func (t *table) insteadOf(event int) []trigger {
	var out []trigger
	for _, tg := range t.Triggers {
		if tg.Instead && tg.Events&event != 0 && !tg.Disabled {
			out = append(out, tg)
		}
	}
	slices.SortFunc(out, func(a, b trigger) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// insteadStatement runs run, a write to view t that its INSTEAD OF triggers of event handle, between the view's
// BEFORE and AFTER statement triggers of the event (set: an UPDATE's columns).
func (x *exec) insteadStatement(t *table, event int, set []string, run func() (*relation, string, error)) (*relation, string, error) {
	if x.describe || len(t.triggersOf(event, true, false, set))+len(t.triggersOf(event, false, false, set)) == 0 {
		return run()
	}
	if x.s.txn == nil {
		return nil, "", errNeedsBlock
	}
	if err := x.fireStatement(t, event, true, set); err != nil {
		return nil, "", err
	}
	rel, tag, err := run()
	if err != nil {
		return nil, "", err
	}
	if err := x.fireStatement(t, event, false, set); err != nil {
		return nil, "", err
	}
	return rel, tag, nil
}

// fireInstead calls the triggers for one row, each given the row the one before returned: the row the last one
// returned, nil when one returned NULL.
func (x *exec) fireInstead(t *table, tgs []trigger, event int, old, new []any) ([]any, error) {
	cur := new
	for i := range tgs {
		rec, err := x.callTrigger(t, &tgs[i], event, old, cur)
		if err != nil || rec == nil {
			return nil, err
		}
		if len(rec.vals) != len(t.Columns) {
			return nil, &Error{Code: CodeDatatypeMismatch, Message: "returned row structure does not match the structure of the triggering table",
				Detail: fmt.Sprintf("Number of returned columns (%d) does not match expected column count (%d).", len(rec.vals), len(t.Columns)), Where: "PL/pgSQL function " + tgs[i].Func + "() during function exit"}
		}
		cur = rec.vals
		if event == trigDelete {
			cur = old // a DELETE's trigger returns OLD, or anything but NULL, to count the row
		}
	}
	if cur == nil {
		cur = old
	}
	return cur, nil
}

// viewRowsReturning evaluates a RETURNING list over rows in view t's columns, named as alias.
func (x *exec) viewRowsReturning(list []*pg.Node, t *table, alias string, rows [][]any) (*relation, error) {
	if list == nil {
		return nil, nil
	}
	src := &relation{}
	for _, c := range t.Columns {
		src.cols = append(src.cols, relCol{qual: alias, name: c.Name, oid: c.Type})
	}
	src.rows = rows
	return x.project(&pg.SelectStmt{TargetList: list}, src, nil, -1)
}

// viewColumn is the index of view t's column name; 42703 for none.
func viewColumn(t *table, name string) (int, error) {
	i := slices.IndexFunc(t.Columns, func(c column) bool { return c.Name == name })
	if i < 0 {
		return 0, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, t.Name)
	}
	return i, nil
}

// insteadInsert runs INSERT on a view with INSTEAD OF INSERT triggers.
func (x *exec) insteadInsert(t *table, tgs []trigger, ins *pg.InsertStmt) (*relation, string, error) {
	alias := ins.Relation.Relname
	if ins.Relation.Alias != nil {
		alias = ins.Relation.Alias.Aliasname
	}
	if ins.OnConflictClause != nil {
		return nil, "", unsupported("ON CONFLICT on a view with INSTEAD OF triggers")
	}
	var idx []int // the view column each of the statement's columns is
	if len(ins.Cols) == 0 {
		for i := range t.Columns {
			idx = append(idx, i)
		}
	}
	for _, c := range ins.Cols {
		i, err := viewColumn(t, c.GetResTarget().GetName())
		if err != nil {
			return nil, "", err
		}
		idx = append(idx, i)
	}
	if x.describe {
		// The parameters take the types of the columns they are values for.
		switch sel := ins.SelectStmt.GetSelectStmt(); {
		case sel != nil && len(sel.ValuesLists) > 0:
			for _, l := range sel.ValuesLists {
				for j, it := range l.GetList().GetItems() {
					if j < len(idx) {
						x.hint(it, t.Columns[idx[j]].Type, &scope{})
					}
				}
			}
		case sel != nil:
			if _, err := x.query(sel); err != nil {
				return nil, "", err
			}
		}
		rel, err := x.viewRowsReturning(ins.ReturningList, t, alias, nil)
		return rel, "INSERT 0 0", err
	}
	if x.s.txn == nil {
		return nil, "", errNeedsBlock
	}
	var src [][]any
	switch sel := ins.SelectStmt.GetSelectStmt(); {
	case sel == nil:
		src = [][]any{nil} // DEFAULT VALUES
	case len(sel.ValuesLists) > 0:
		for _, l := range sel.ValuesLists {
			var row []any
			for _, it := range l.GetList().GetItems() {
				if it.GetSetToDefault() != nil {
					row = append(row, nil) // a view column's default is NULL
					continue
				}
				v, err := x.eval(it, &scope{})
				if err != nil {
					return nil, "", err
				}
				row = append(row, v)
			}
			src = append(src, row)
		}
	default:
		res, err := x.query(sel)
		if err != nil {
			return nil, "", err
		}
		src = res.Rows
	}
	var out [][]any
	for _, r := range src {
		if len(r) > len(idx) {
			return nil, "", errorf(CodeSyntaxError, "INSERT has more expressions than target columns")
		}
		if len(r) < len(idx) && len(ins.Cols) > 0 && ins.SelectStmt != nil {
			return nil, "", errorf(CodeSyntaxError, "INSERT has more target columns than expressions")
		}
		new := make([]any, len(t.Columns))
		for j, v := range r {
			c := t.Columns[idx[j]]
			if v != nil {
				cv, err := coerce(v, c.Type)
				if err != nil {
					return nil, "", err
				}
				v = cv
			}
			new[idx[j]] = v
		}
		got, err := x.fireInstead(t, tgs, trigInsert, nil, new)
		if err != nil {
			return nil, "", err
		}
		if got != nil {
			out = append(out, got)
		}
	}
	rel, err := x.viewRowsReturning(ins.ReturningList, t, alias, out)
	return rel, fmt.Sprintf("INSERT 0 %d", len(out)), err
}

// insteadRows are the view's rows an UPDATE or DELETE with INSTEAD OF triggers acts on: each row of the view the
// statement's FROM (USING) and WHERE select, followed by extra's values for it.
func (x *exec) insteadRows(t *table, rv *pg.RangeVar, from []*pg.Node, where *pg.Node, extra []*pg.Node) ([][]any, error) {
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	targets := []*pg.Node{{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: &pg.Node{Node: &pg.Node_ColumnRef{ColumnRef: &pg.ColumnRef{
		Fields: []*pg.Node{pg.MakeStrNode(alias), {Node: &pg.Node_AStar{AStar: &pg.A_Star{}}}}}}}}}}}
	for _, e := range extra {
		targets = append(targets, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: e}}})
	}
	sel := &pg.SelectStmt{TargetList: targets, WhereClause: where,
		FromClause: append([]*pg.Node{{Node: &pg.Node_RangeVar{RangeVar: rv}}}, from...)}
	res, err := x.query(sel)
	if err != nil {
		return nil, err
	}
	return res.Rows, nil
}

// insteadUpdate runs UPDATE on a view with INSTEAD OF UPDATE triggers: OLD each row it selects, NEW the row with
// the SET list's values.
func (x *exec) insteadUpdate(t *table, tgs []trigger, up *pg.UpdateStmt) (*relation, string, error) {
	alias := up.Relation.Relname
	if up.Relation.Alias != nil {
		alias = up.Relation.Alias.Aliasname
	}
	if err := expandMultiAssign(up.TargetList); err != nil {
		return nil, "", err
	}
	var set []int
	var vals []*pg.Node
	for _, s := range up.TargetList {
		rt := s.GetResTarget()
		i, err := viewColumn(t, rt.Name)
		if err != nil {
			return nil, "", err
		}
		if rt.Val.GetSetToDefault() != nil {
			rt = &pg.ResTarget{Name: rt.Name, Val: &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true}}}}
		}
		if x.describe {
			x.hint(rt.Val, t.Columns[i].Type, &scope{}) // a parameter takes its column's type
		}
		set, vals = append(set, i), append(vals, rt.Val)
	}
	if x.s.txn == nil && !x.describe {
		return nil, "", errNeedsBlock
	}
	rows, err := x.insteadRows(t, up.Relation, up.FromClause, up.WhereClause, vals) // typed only, when describing
	if err != nil {
		return nil, "", err
	}
	n := len(t.Columns)
	var out [][]any
	for _, r := range rows {
		old := r[:n]
		new := slices.Clone(old)
		for k, i := range set {
			v := r[n+k]
			if v != nil {
				if v, err = coerce(v, t.Columns[i].Type); err != nil {
					return nil, "", err
				}
			}
			new[i] = v
		}
		got, err := x.fireInstead(t, tgs, trigUpdate, old, new)
		if err != nil {
			return nil, "", err
		}
		if got != nil {
			out = append(out, got)
		}
	}
	rel, err := x.viewRowsReturning(up.ReturningList, t, alias, out)
	return rel, fmt.Sprintf("UPDATE %d", len(out)), err
}

// insteadDelete runs DELETE on a view with INSTEAD OF DELETE triggers: OLD each row it selects.
func (x *exec) insteadDelete(t *table, tgs []trigger, del *pg.DeleteStmt) (*relation, string, error) {
	alias := del.Relation.Relname
	if del.Relation.Alias != nil {
		alias = del.Relation.Alias.Aliasname
	}
	if x.s.txn == nil && !x.describe {
		return nil, "", errNeedsBlock
	}
	rows, err := x.insteadRows(t, del.Relation, del.UsingClause, del.WhereClause, nil) // typed only, when describing
	if err != nil {
		return nil, "", err
	}
	var out [][]any
	for _, r := range rows {
		old := r[:len(t.Columns)]
		got, err := x.fireInstead(t, tgs, trigDelete, old, nil)
		if err != nil {
			return nil, "", err
		}
		if got != nil {
			out = append(out, old)
		}
	}
	rel, err := x.viewRowsReturning(del.ReturningList, t, alias, out)
	return rel, fmt.Sprintf("DELETE %d", len(out)), err
}
