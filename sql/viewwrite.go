package sql

// Writes through views: INSERT, UPDATE and DELETE on a view that PostgreSQL would update automatically (one table
// or such view in FROM, no DISTINCT, GROUP BY, HAVING, LIMIT, OFFSET, WITH, set operation, aggregate, window or
// set-returning function) run as the same statement on the table under it. The statement is rewritten: a view
// column is the expression the view gives it, a row it writes or changes must satisfy the view's WHERE (which an
// UPDATE or DELETE adds to its own), and WITH [LOCAL | CASCADED] CHECK OPTION refuses a new row the view would not
// show (44000). A column the view computes (not a column of the table) cannot be assigned (0A000), and a view that
// is not automatically updatable is PostgreSQL's 55000 with its detail.

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// viewMap is what a write through an automatically updatable view needs of it.
type viewMap struct {
	view *table
	// base is the view's one FROM item; baseQual the name the view's query reads it by.
	base     *pg.RangeVar
	baseQual string
	// exprs are the view's columns as expressions over the base; baseCol the base column of those that are one.
	exprs   map[string]*pg.Node
	baseCol map[string]string
	where   *pg.Node // the view's WHERE, nil for none
	baseT   *table   // the base's definition
}

// viewCheckCol is the hidden RETURNING column a write through a view with a check option adds: the view's WHERE
// on the new row.
const viewCheckCol = "\x00viewcheck"

// viewMapOf reads view t's query for a write of kind ("insert into", "update", "delete from"); the 55000 of
// PostgreSQL for a view that is not automatically updatable.
func (x *exec) viewMapOf(t *table, kind string) (*viewMap, error) {
	raws, err := x.s.e.cache.parse(t.View)
	if err != nil || len(raws) != 1 || raws[0].raw.Stmt.GetSelectStmt() == nil {
		return nil, errorf(CodeInternalError, "view \"%s\" has an unreadable query: %v", t.Name, err)
	}
	sel := raws[0].raw.Stmt.GetSelectStmt()
	refuse := func(detail string) error {
		hint := map[string]string{"insert into": "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule.",
			"update":      "To enable updating the view, provide an INSTEAD OF UPDATE trigger or an unconditional ON UPDATE DO INSTEAD rule.",
			"delete from": "To enable deleting from the view, provide an INSTEAD OF DELETE trigger or an unconditional ON DELETE DO INSTEAD rule."}[kind]
		return &Error{Code: "55000", Message: fmt.Sprintf("cannot %s view \"%s\"", kind, t.Name), Detail: detail, Hint: hint}
	}
	switch {
	case sel.Op != pg.SetOperation_SETOP_NONE:
		return nil, refuse("Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.")
	case sel.WithClause != nil:
		return nil, refuse("Views containing WITH are not automatically updatable.")
	case len(sel.DistinctClause) > 0:
		return nil, refuse("Views containing DISTINCT are not automatically updatable.")
	case len(sel.GroupClause) > 0:
		return nil, refuse("Views containing GROUP BY are not automatically updatable.")
	case sel.HavingClause != nil:
		return nil, refuse("Views containing HAVING are not automatically updatable.")
	case sel.LimitCount != nil || sel.LimitOffset != nil:
		return nil, refuse("Views containing LIMIT or OFFSET are not automatically updatable.")
	case len(sel.ValuesLists) > 0 || len(sel.FromClause) != 1 || sel.FromClause[0].GetRangeVar() == nil:
		return nil, refuse("Views that do not select from a single table or view are not automatically updatable.")
	}
	if hasAggregate(sel.TargetList) {
		return nil, refuse("Views that return aggregate functions are not automatically updatable.")
	}
	if hasWindowCall(sel) {
		return nil, refuse("Views that return window functions are not automatically updatable.")
	}
	for _, tn := range sel.TargetList {
		v := tn.GetResTarget().GetVal()
		if f := v.GetFuncCall(); f != nil && (setReturning[funcName(f)] || x.userSetFunction(f) != nil) {
			return nil, refuse("Views that return set-returning functions are not automatically updatable.")
		}
	}
	rv := sel.FromClause[0].GetRangeVar()
	vm := &viewMap{view: t, base: rv, baseQual: rv.Relname, exprs: map[string]*pg.Node{}, baseCol: map[string]string{}, where: sel.WhereClause}
	if rv.Alias != nil {
		vm.baseQual = rv.Alias.Aliasname
	}
	bt, err := x.lookupTable(rv.Relname, 0)
	if err != nil {
		return nil, err
	}
	vm.baseT = bt
	// The view's columns, in order, as its select list gives them (a * is the base's columns).
	var exprs []*pg.Node
	for _, tn := range sel.TargetList {
		v := tn.GetResTarget().GetVal()
		if cr := v.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			for _, c := range bt.Columns {
				exprs = append(exprs, columnRefNode(c.Name))
			}
			continue
		}
		exprs = append(exprs, v)
	}
	for i, c := range t.Columns {
		if i >= len(exprs) {
			break
		}
		vm.exprs[c.Name] = exprs[i]
		if cr := exprs[i].GetColumnRef(); cr != nil {
			if f := columnFields(cr); len(f) == 1 || len(f) == 2 && f[0] == vm.baseQual {
				if bt.column(f[len(f)-1]) != nil || !bt.declared {
					vm.baseCol[c.Name] = f[len(f)-1]
				}
			}
		}
	}
	return vm, nil
}

// columnRefNode is a reference to a column by name.
func columnRefNode(fields ...string) *pg.Node {
	cr := &pg.ColumnRef{}
	for _, f := range fields {
		cr.Fields = append(cr.Fields, pg.MakeStrNode(f))
	}
	return &pg.Node{Node: &pg.Node_ColumnRef{ColumnRef: cr}}
}

// viewExpr is the view's expression for one of its columns, over the base as qual names it.
func (vm *viewMap) viewExpr(col, qual string) *pg.Node {
	return vm.requalify(proto.Clone(vm.exprs[col]).(*pg.Node), qual)
}

// requalify makes the references of n (the view's own expression) to the base's columns name it as qual.
func (vm *viewMap) requalify(n *pg.Node, qual string) *pg.Node {
	walkPrune(n, func(c *pg.Node) (bool, bool) {
		if cr := c.GetColumnRef(); cr != nil {
			f := columnFields(cr)
			switch {
			case len(f) == 1 && cr.Fields[0].GetAStar() == nil:
				cr.Fields = []*pg.Node{pg.MakeStrNode(qual), cr.Fields[0]}
			case len(f) == 2 && f[0] == vm.baseQual:
				cr.Fields[0] = pg.MakeStrNode(qual)
			}
		}
		return false, false
	})
	return n
}

// mapExpr rewrites a write's expression n, whose references to the view's columns name the view as qual (or
// nothing), into one over the base (named qual too): each reference becomes the view's expression for the
// column. Unqualified names are rewritten outside subqueries only (inside them a name may be a column of the
// subquery's own tables); excluded.col of ON CONFLICT becomes excluded's base column.
func (vm *viewMap) mapExpr(n *pg.Node, qual string, others bool) (*pg.Node, error) {
	if n == nil {
		return nil, nil
	}
	n = proto.Clone(n).(*pg.Node)
	// The references, found before any is replaced (a replacement's own references are the base's).
	type ref struct {
		node    *pg.Node
		outside bool // outside the expression's subqueries
	}
	var refs []ref
	outside := map[*pg.Node]bool{}
	walkPrune(n, func(c *pg.Node) (bool, bool) {
		if c.GetColumnRef() != nil {
			outside[c] = true
		}
		return false, false
	})
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if c, ok := m.Interface().(*pg.Node); ok && c.GetColumnRef() != nil {
			refs = append(refs, ref{c, outside[c]})
		}
		return false
	})
	for _, r := range refs {
		cr := r.node.GetColumnRef()
		f := columnFields(cr)
		if cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			continue
		}
		switch {
		case len(f) == 2 && f[0] == "excluded":
			if b, ok := vm.baseCol[f[1]]; ok {
				cr.Fields[1] = pg.MakeStrNode(b)
			}
		case len(f) == 2 && f[0] == qual:
			if vm.exprs[f[1]] == nil {
				return nil, &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %s.%s does not exist", f[0], f[1]), Position: int(cr.Location) + 1}
			}
			r.node.Node = vm.viewExpr(f[1], qual).Node
		case len(f) == 1 && r.outside && vm.exprs[f[0]] != nil:
			r.node.Node = vm.viewExpr(f[0], qual).Node
		case len(f) == 1 && r.outside && !others && vm.baseT.column(f[0]) != nil:
			// A column of the table the view leaves out is none of the view's.
			return nil, &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column \"%s\" does not exist", f[0]), Position: int(cr.Location) + 1}
		}
	}
	return n, nil
}

// and is the conjunction of a and b, either of which may be nil.
func andNodes(a, b *pg.Node) *pg.Node {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &pg.Node{Node: &pg.Node_BoolExpr{BoolExpr: &pg.BoolExpr{Boolop: pg.BoolExprType_AND_EXPR, Args: []*pg.Node{a, b}}}}
}

// baseTarget is the view's base as the rewritten write's target, named as the write named the view.
func (vm *viewMap) baseTarget(qual string) *pg.RangeVar {
	return &pg.RangeVar{Relname: vm.base.Relname, Inh: true, Relpersistence: "p", Alias: &pg.Alias{Aliasname: qual}, Location: vm.base.Location}
}

// returning maps a write's RETURNING list: * is the view's columns, a column keeps the view's name for it.
func (vm *viewMap) returning(list []*pg.Node, qual string, others bool) ([]*pg.Node, error) {
	var out []*pg.Node
	for _, it := range list {
		rt := it.GetResTarget()
		if cr := rt.GetVal().GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil &&
			(len(cr.Fields) == 1 || cr.Fields[0].GetString_().GetSval() == qual) { // *, or the view's
			for _, c := range vm.view.Columns {
				out = append(out, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Name: c.Name, Val: vm.viewExpr(c.Name, qual)}}})
			}
			continue
		}
		nrt := proto.Clone(rt).(*pg.ResTarget)
		if nrt.Name == "" {
			if cr := rt.GetVal().GetColumnRef(); cr != nil {
				f := columnFields(cr)
				nrt.Name = f[len(f)-1]
			}
		}
		v, err := vm.mapExpr(rt.Val, qual, others)
		if err != nil {
			return nil, err
		}
		nrt.Val = v
		out = append(out, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: nrt}})
	}
	return out, nil
}

// check is the view's check option: "local", "cascaded", or "" (a CASCADED option of a view above it makes
// this view's WHERE count too).
func (x *exec) viewCheck(t *table) string {
	if t.CheckOption != "" {
		return t.CheckOption
	}
	if x.cascadeChecks > 0 {
		return "cascaded"
	}
	return ""
}

// checkedWrite runs a rewritten write whose new rows the view's check option holds to: its RETURNING carries the
// view's WHERE, which must be true for each row (44000), and is taken off the rows returned.
func (x *exec) checkedWrite(vm *viewMap, check string, qual string, returning *[]*pg.Node, run func() (*relation, string, error)) (*relation, string, error) {
	had := len(*returning) > 0
	if check != "" && vm.where != nil {
		if !x.inTxn && !x.describe {
			return nil, "", errNeedsTxn // a row that fails the check undoes the statement's others
		}
		*returning = append(*returning, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Name: viewCheckCol,
			Val: vm.requalify(proto.Clone(vm.where).(*pg.Node), qual)}}})
		for _, c := range vm.baseT.Columns { // the new row, for the error's detail
			*returning = append(*returning, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Name: viewCheckCol, Val: columnRefNode(qual, c.Name)}}})
		}
	}
	if check == "cascaded" {
		x.cascadeChecks++
		defer func() { x.cascadeChecks-- }()
	}
	rel, tag, err := run()
	if err != nil || check == "" || vm.where == nil || rel == nil {
		return rel, tag, err
	}
	last := len(rel.cols) - 1 - len(vm.baseT.Columns)
	if !x.describe {
		for _, r := range rel.rows {
			if r[last] != true {
				return nil, "", &Error{Code: "44000", Message: fmt.Sprintf("new row violates check option for view \"%s\"", vm.view.Name),
					Detail: x.failingRow(vm.baseT, r[last+1:])}
			}
		}
	}
	if !had {
		return nil, tag, nil
	}
	rel.cols = rel.cols[:last]
	for i := range rel.rows {
		rel.rows[i] = rel.rows[i][:last]
	}
	return rel, tag, nil
}

// insertView runs INSERT on a view: on its base, the view's columns the statement names (all, in order, when it
// names none) made the base's.
func (x *exec) insertView(t *table, ins *pg.InsertStmt) (*relation, string, error) {
	if tgs := t.insteadOf(trigInsert); len(tgs) > 0 {
		return x.insteadStatement(t, trigInsert, nil, func() (*relation, string, error) { return x.insteadInsert(t, tgs, ins) })
	}
	vm, err := x.viewMapOf(t, "insert into")
	if err != nil {
		return nil, "", err
	}
	qual := ins.Relation.Relname
	if ins.Relation.Alias != nil {
		qual = ins.Relation.Alias.Aliasname
	}
	out := proto.Clone(ins).(*pg.InsertStmt)
	out.WithClause = nil // the caller's WITH queries are in scope
	out.Relation = vm.baseTarget(qual)
	cols := ins.Cols
	if len(cols) == 0 {
		// The view's columns, as many as the statement gives values for (none for DEFAULT VALUES).
		n := 0
		switch sel := ins.SelectStmt.GetSelectStmt(); {
		case sel == nil:
		case len(sel.ValuesLists) > 0:
			n = len(sel.ValuesLists[0].GetList().GetItems())
		case sel.Op == pg.SetOperation_SETOP_NONE && !hasStar(sel.TargetList):
			n = len(sel.TargetList)
		default:
			n = len(t.Columns)
		}
		n = min(n, len(t.Columns))
		for _, c := range t.Columns[:n] {
			cols = append(cols, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Name: c.Name}}})
		}
	}
	out.Cols = nil
	for _, c := range cols {
		rt := proto.Clone(c.GetResTarget()).(*pg.ResTarget)
		b, ok := vm.baseCol[rt.Name]
		if !ok {
			if vm.exprs[rt.Name] == nil {
				return nil, "", errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", rt.Name, t.Name)
			}
			return nil, "", &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("cannot insert into column \"%s\" of view \"%s\"", rt.Name, t.Name),
				Detail: "View columns that are not columns of their base relation are not updatable."}
		}
		rt.Name = b
		out.Cols = append(out.Cols, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: rt}})
	}
	if oc := out.OnConflictClause; oc != nil {
		for _, e := range oc.GetInfer().GetIndexElems() {
			if ie := e.GetIndexElem(); ie != nil && ie.Name != "" {
				if b, ok := vm.baseCol[ie.Name]; ok {
					ie.Name = b
				}
			}
		}
		for _, s := range oc.TargetList {
			rt := s.GetResTarget()
			b, ok := vm.baseCol[rt.Name]
			if !ok {
				return nil, "", &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("cannot update column \"%s\" of view \"%s\"", rt.Name, t.Name),
					Detail: "View columns that are not columns of their base relation are not updatable."}
			}
			v, err := vm.mapExpr(rt.Val, qual, false)
			if err != nil {
				return nil, "", err
			}
			rt.Name, rt.Val = b, v
		}
		if oc.WhereClause, err = vm.mapExpr(oc.WhereClause, qual, false); err != nil {
			return nil, "", err
		}
	}
	if out.ReturningList, err = vm.returning(ins.ReturningList, qual, false); err != nil {
		return nil, "", err
	}
	return x.checkedWrite(vm, x.viewCheck(t), qual, &out.ReturningList, func() (*relation, string, error) { return x.insert(out) })
}

// updateView runs UPDATE on a view: on its base, of the rows the view shows (its WHERE and the statement's).
func (x *exec) updateView(t *table, up *pg.UpdateStmt) (*relation, string, error) {
	if tgs := t.insteadOf(trigUpdate); len(tgs) > 0 {
		var set []string
		for _, s := range up.TargetList {
			set = append(set, s.GetResTarget().GetName())
		}
		return x.insteadStatement(t, trigUpdate, set, func() (*relation, string, error) { return x.insteadUpdate(t, tgs, up) })
	}
	vm, err := x.viewMapOf(t, "update")
	if err != nil {
		return nil, "", err
	}
	qual := up.Relation.Relname
	if up.Relation.Alias != nil {
		qual = up.Relation.Alias.Aliasname
	}
	out := proto.Clone(up).(*pg.UpdateStmt)
	out.WithClause = nil // the caller's WITH queries are in scope
	out.Relation = vm.baseTarget(qual)
	for _, s := range out.TargetList {
		rt := s.GetResTarget()
		b, ok := vm.baseCol[rt.Name]
		if !ok {
			if vm.exprs[rt.Name] == nil {
				return nil, "", errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", rt.Name, t.Name)
			}
			return nil, "", &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("cannot update column \"%s\" of view \"%s\"", rt.Name, t.Name),
				Detail: "View columns that are not columns of their base relation are not updatable."}
		}
		v, err := vm.mapExpr(rt.Val, qual, len(up.FromClause) > 0)
		if err != nil {
			return nil, "", err
		}
		rt.Name, rt.Val = b, v
	}
	var where *pg.Node
	if vm.where != nil {
		where = vm.requalify(proto.Clone(vm.where).(*pg.Node), qual)
	}
	w, err := vm.mapExpr(up.WhereClause, qual, len(up.FromClause) > 0)
	if err != nil {
		return nil, "", err
	}
	out.WhereClause = andNodes(where, w)
	if out.ReturningList, err = vm.returning(up.ReturningList, qual, len(up.FromClause) > 0); err != nil {
		return nil, "", err
	}
	return x.checkedWrite(vm, x.viewCheck(t), qual, &out.ReturningList, func() (*relation, string, error) { return x.update(out) })
}

// deleteView runs DELETE on a view: on its base, of the rows the view shows.
func (x *exec) deleteView(t *table, del *pg.DeleteStmt) (*relation, string, error) {
	if tgs := t.insteadOf(trigDelete); len(tgs) > 0 {
		return x.insteadStatement(t, trigDelete, nil, func() (*relation, string, error) { return x.insteadDelete(t, tgs, del) })
	}
	vm, err := x.viewMapOf(t, "delete from")
	if err != nil {
		return nil, "", err
	}
	qual := del.Relation.Relname
	if del.Relation.Alias != nil {
		qual = del.Relation.Alias.Aliasname
	}
	out := proto.Clone(del).(*pg.DeleteStmt)
	out.WithClause = nil // the caller's WITH queries are in scope
	out.Relation = vm.baseTarget(qual)
	var where *pg.Node
	if vm.where != nil {
		where = vm.requalify(proto.Clone(vm.where).(*pg.Node), qual)
	}
	w, err := vm.mapExpr(del.WhereClause, qual, len(del.UsingClause) > 0)
	if err != nil {
		return nil, "", err
	}
	out.WhereClause = andNodes(where, w)
	if out.ReturningList, err = vm.returning(del.ReturningList, qual, len(del.UsingClause) > 0); err != nil {
		return nil, "", err
	}
	return x.delete(out)
}

// checkOptionName is a view's check option as CREATE VIEW gives it: "local", "cascaded", or "" for none.
func checkOptionName(o pg.ViewCheckOption) string {
	switch o {
	case pg.ViewCheckOption_LOCAL_CHECK_OPTION:
		return "local"
	case pg.ViewCheckOption_CASCADED_CHECK_OPTION:
		return "cascaded"
	}
	return ""
}

// hasStar reports whether a select list has a * (all of a relation's columns).
func hasStar(targets []*pg.Node) bool {
	for _, t := range targets {
		if cr := t.GetResTarget().GetVal().GetColumnRef(); cr != nil && len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return true
		}
	}
	return false
}
