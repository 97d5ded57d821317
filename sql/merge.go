package sql

import (
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// merge runs MERGE INTO target USING source ON condition WHEN ... as PostgreSQL 15 does: the source is joined to
// the target (a left join, so that a source row matching no target row is kept), and each joined row takes the
// first WHEN clause of its kind (MATCHED or NOT MATCHED) whose condition holds. A target row that a second source
// row would update or delete is 21000. The rows are written through the same pieces as INSERT and UPDATE
// (document, setOf, moveKey, writeColl's checks), in one transaction (needsTxn), so the statement is atomic. The
// tag counts the rows inserted, updated and deleted.
func (x *exec) merge(ms *pg.MergeStmt) (*relation, string, error) {
	if err := mergePG15(ms); err != nil {
		return nil, "", err
	}
	if ms.WithClause != nil {
		pop, err := x.withCTEs(ms.WithClause, nil)
		if err != nil {
			return nil, "", err
		}
		defer pop()
	}
	if v, err := x.lookupTable(ms.Relation.Relname, ms.Relation.Location); err == nil && v.View != "" {
		return nil, "", &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("cannot execute MERGE on relation %q", v.Name),
			Detail: "This operation is not supported for views."}
	}
	m := x.planMark()
	t, alias, err := x.target(ms.Relation)
	if err != nil {
		return nil, "", err
	}
	whens, err := mergeClauses(t, ms)
	if err != nil {
		return nil, "", err
	}
	// The events of its actions, in PostgreSQL's order of their BEFORE statement triggers.
	var events []int
	for _, ev := range []struct {
		cmd   pg.CmdType
		event int
	}{{pg.CmdType_CMD_INSERT, trigInsert}, {pg.CmdType_CMD_UPDATE, trigUpdate}, {pg.CmdType_CMD_DELETE, trigDelete}} {
		if slices.ContainsFunc(whens, func(w *pg.MergeWhenClause) bool { return w.CommandType == ev.cmd }) {
			if err := x.needsTriggerBlock(t, ev.event); err != nil {
				return nil, "", err
			}
			events = append(events, ev.event)
		}
	}
	if err := sameNameAsTarget([]*pg.Node{ms.SourceRelation}, alias); err != nil {
		return nil, "", err
	}
	saved := x.from
	x.from = x.namesOf([]*pg.Node{ms.SourceRelation, {Node: &pg.Node_RangeVar{RangeVar: ms.Relation}}})
	defer func() { x.from = saved }()
	src, err := x.fromItem(ms.SourceRelation, nil, nil)
	if err != nil {
		return nil, "", err
	}
	if err := notMatchedRefs(t, alias, whens, src); err != nil {
		return nil, "", err
	}
	tgt, err := x.scan(t, alias, nil)
	if err != nil {
		return nil, "", err
	}
	joined, err := x.join(src, tgt, pg.JoinType_JOIN_LEFT, ms.JoinCondition, nil)
	if err != nil {
		return nil, "", err
	}
	docCol := len(joined.cols) - 1 // the target's document; nil when the source row matched none
	if x.describe {
		x.typeMerge(t, whens, joined.cols, len(src.cols))
		x.planModify(m, "Merge", t, alias, nil, 0)
		return nil, "MERGE 0", nil
	}
	if !x.inTxn {
		return nil, "", errNeedsTxn
	}
	coll := x.writeColl(t)
	done := map[string]bool{} // the target rows updated or deleted so far, by _id
	var n int
	var after []rowEvent // the rows written to a table with triggers, for their AFTER row triggers
	for _, ev := range events {
		if t.hasTriggers(ev) {
			if err := x.fireStatement(t, ev, true, nil); err != nil {
				return nil, "", err
			}
		}
	}
	for _, row := range joined.rows {
		doc, matched := row[docCol].(bson.Raw)
		sc := &scope{cols: joined.cols, row: row}
		if !matched {
			sc = &scope{cols: joined.cols[:len(src.cols)], row: row[:len(src.cols)]} // the source's row alone
		}
		w, err := x.mergeAction(whens, matched, sc)
		if err != nil {
			return nil, "", err
		}
		if w == nil || w.CommandType == pg.CmdType_CMD_NOTHING {
			continue
		}
		if w.CommandType == pg.CmdType_CMD_INSERT {
			wrote, err := x.mergeInsert(t, coll, w, sc, &after)
			if err != nil {
				return nil, "", err
			}
			if wrote {
				n++
			}
			continue
		}
		id := doc.Lookup("_id")
		key := string(id.Value) + string(rune(id.Type))
		if done[key] {
			return nil, "", &Error{Code: CodeCardinalityViolation, Message: "MERGE command cannot affect row a second time",
				Hint: "Ensure that not more than one source row matches any one target row."}
		}
		done[key] = true
		wrote, err := x.mergeMatched(t, coll, w, doc, sc, &after)
		if err != nil {
			return nil, "", err
		}
		if wrote {
			n++
		}
	}
	for _, ev := range after {
		var set []string
		if _, err := x.fireRow(t, ev.event, false, set, ev.old, ev.new); err != nil {
			return nil, "", err
		}
	}
	for _, ev := range []int{trigUpdate, trigDelete, trigInsert} { // PostgreSQL's order of the AFTER ones
		if slices.Contains(events, ev) && t.hasTriggers(ev) {
			if err := x.fireStatement(t, ev, false, nil); err != nil {
				return nil, "", err
			}
		}
	}
	x.planModify(m, "Merge", t, alias, nil, n)
	return nil, fmt.Sprintf("MERGE %d", n), nil
}

// mergePG15 refuses what PostgreSQL 15's grammar has no MERGE for, as its parser does (42601): RETURNING and WHEN
// NOT MATCHED BY SOURCE came in PostgreSQL 17.
func mergePG15(ms *pg.MergeStmt) error {
	if len(ms.ReturningList) > 0 {
		return errorf(CodeSyntaxError, "syntax error at or near \"RETURNING\"")
	}
	for _, n := range ms.MergeWhenClauses {
		if n.GetMergeWhenClause().MatchKind == pg.MergeMatchKind_MERGE_WHEN_NOT_MATCHED_BY_SOURCE {
			return errorf(CodeSyntaxError, "syntax error at or near \"BY\"")
		}
	}
	return nil
}

// mergeClauses checks a MERGE's WHEN clauses before any row is read, as PostgreSQL's analysis does: a clause after
// an unconditional one of its kind is unreachable (42601), an assigned or inserted column must exist (42703), and
// SET follows UPDATE's rules (multiple assignment, identity columns).
func mergeClauses(t *table, ms *pg.MergeStmt) ([]*pg.MergeWhenClause, error) {
	var whens []*pg.MergeWhenClause
	unconditional := map[bool]bool{} // by matched
	for _, n := range ms.MergeWhenClauses {
		w := n.GetMergeWhenClause()
		matched := w.MatchKind == pg.MergeMatchKind_MERGE_WHEN_MATCHED
		if unconditional[matched] {
			return nil, errorf(CodeSyntaxError, "unreachable WHEN clause specified after unconditional WHEN clause")
		}
		if w.Condition == nil {
			unconditional[matched] = true
		}
		if w.CommandType == pg.CmdType_CMD_UPDATE {
			if err := expandMultiAssign(w.TargetList); err != nil {
				return nil, err
			}
			if err := checkIdentityUpdate(t, w.TargetList); err != nil {
				return nil, err
			}
		}
		seen := map[string]bool{}
		for _, tg := range w.TargetList {
			rt := tg.GetResTarget()
			if len(rt.Indirection) > 0 {
				return nil, unsupported("assigning to a field or an element of a column in MERGE")
			}
			if t.declared && t.column(rt.Name) == nil {
				return nil, &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %q of relation %q does not exist", rt.Name, t.Name), Position: int(rt.Location) + 1}
			}
			if seen[rt.Name] {
				return nil, errorf(CodeSyntaxError, "multiple assignments to same column %q", rt.Name)
			}
			seen[rt.Name] = true
		}
		if w.CommandType == pg.CmdType_CMD_INSERT {
			if len(w.Values) > 0 && len(w.TargetList) == 0 && !t.declared {
				return nil, errorf(CodeSyntaxError, "INSERT into %q, a collection without declared columns, needs a column list", t.Name)
			}
			names := len(w.TargetList)
			if names == 0 {
				names = len(t.Columns)
			}
			if len(w.Values) > names {
				return nil, errorf(CodeSyntaxError, "INSERT has more expressions than target columns")
			}
			if len(w.TargetList) > 0 && len(w.Values) < len(w.TargetList) {
				return nil, errorf(CodeSyntaxError, "INSERT has more target columns than expressions")
			}
		}
		whens = append(whens, w)
	}
	return whens, nil
}

// mergeAction returns the first WHEN clause for a joined row (matched or not) whose condition holds, nil when
// none does.
func (x *exec) mergeAction(whens []*pg.MergeWhenClause, matched bool, sc *scope) (*pg.MergeWhenClause, error) {
	for _, w := range whens {
		if (w.MatchKind == pg.MergeMatchKind_MERGE_WHEN_MATCHED) != matched {
			continue
		}
		if w.Condition == nil {
			return w, nil
		}
		v, err := x.eval(w.Condition, sc)
		if err != nil {
			return nil, err
		}
		if truthy(v) {
			return w, nil
		}
	}
	return nil, nil
}

// mergeInsert is WHEN NOT MATCHED THEN INSERT for the joined row in sc: the row is built as INSERT builds one
// (defaults, identity, NOT NULL, the columns' types) and written through coll's checks, after the table's BEFORE
// INSERT triggers; the row written is added to after for its AFTER triggers.
func (x *exec) mergeInsert(t *table, coll backendColl, w *pg.MergeWhenClause, sc *scope, after *[]rowEvent) (bool, error) {
	var names []string
	for _, tg := range w.TargetList {
		names = append(names, tg.GetResTarget().Name)
	}
	if names == nil && len(w.Values) > 0 {
		for _, c := range t.Columns {
			names = append(names, c.Name)
		}
	}
	row := make([]any, len(w.Values))
	x.insertValues = true // DEFAULT in VALUES is the column's default
	for i, e := range w.Values {
		v, err := x.eval(e, sc)
		if err != nil {
			x.insertValues = false
			return false, err
		}
		row[i] = v
	}
	x.insertValues = false
	if err := checkGenerated(t, names, row); err != nil {
		return false, err
	}
	switch w.Override {
	case pg.OverridingKind_OVERRIDING_SYSTEM_VALUE:
	case pg.OverridingKind_OVERRIDING_USER_VALUE:
		overrideUserValues(t, names, row)
	default:
		if err := checkIdentity(t, names, row); err != nil {
			return false, err
		}
	}
	doc, err := x.document(t, names, row)
	if err != nil {
		return false, err
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return false, err
	}
	fires := t.hasTriggers(trigInsert)
	if fires {
		if raw, err = x.beforeInsert(t, raw); err != nil || raw == nil {
			return false, err // nil: a BEFORE trigger skipped the row
		}
	}
	if err := coll.insertOne(x.ctx, bson.Raw(raw)); err != nil {
		return false, err
	}
	if fires {
		*after = append(*after, rowEvent{event: trigInsert, new: docValues(t, raw)})
	}
	return true, nil
}

// mergeMatched is WHEN MATCHED THEN UPDATE or DELETE of the target row doc, joined in sc: SET is evaluated as
// UPDATE evaluates it, a changed primary key moves the row. It reports whether a row was written (false when the
// row is gone, which the statement's transaction turns into a conflict on commit, or a BEFORE trigger skipped it);
// a row written to a table with triggers is added to after for its AFTER triggers.
func (x *exec) mergeMatched(t *table, coll backendColl, w *pg.MergeWhenClause, doc bson.Raw, sc *scope, after *[]rowEvent) (bool, error) {
	id := doc.Lookup("_id")
	idFilter := bson.D{{Key: "_id", Value: id}}
	if w.CommandType == pg.CmdType_CMD_DELETE {
		fires := t.hasTriggers(trigDelete)
		before, err := x.deleteRow(t, coll, idFilter, fires)
		if err != nil || before == nil {
			return false, err
		}
		if fires {
			*after = append(*after, rowEvent{event: trigDelete, old: docValues(t, before)})
		}
		return true, nil
	}
	set, err := x.setOf(t, w.TargetList, sc)
	if err != nil {
		return false, err
	}
	upFires := t.hasTriggers(trigUpdate)
	if upFires {
		if set, err = x.beforeUpdate(t, doc, set, setNames(w.TargetList), true); err != nil || set == nil {
			return false, err // nil: a BEFORE trigger skipped the row
		}
	}
	moved, _, set, err := x.moveKey(t, coll, doc, set)
	if err != nil {
		return false, err
	}
	if moved != nil || len(set) == 0 {
		return true, nil
	}
	written, err := coll.findOneAndUpdate(x.ctx, idFilter, operators([]string{"$set"}, map[string]bson.D{"$set": set}))
	if isNoDocuments(err) {
		return false, nil
	}
	if err == nil && upFires {
		*after = append(*after, rowEvent{event: trigUpdate, old: docValues(t, doc), new: docValues(t, written)})
	}
	return err == nil, err
}

// typeMerge types a described MERGE's parameters: conditions as they are used, SET values and INSERT values by
// the columns they go to. cols are the joined row's, the source's srcCols first; WHEN NOT MATCHED sees only those.
func (x *exec) typeMerge(t *table, whens []*pg.MergeWhenClause, cols []relCol, srcCols int) {
	for _, w := range whens {
		sc := &scope{cols: cols, row: make([]any, len(cols))}
		if w.MatchKind != pg.MergeMatchKind_MERGE_WHEN_MATCHED {
			sc = &scope{cols: cols[:srcCols], row: make([]any, srcCols)}
		}
		x.typeOf(w.Condition, sc)
		for _, tg := range w.TargetList {
			if rt := tg.GetResTarget(); w.CommandType == pg.CmdType_CMD_UPDATE {
				x.hint(rt.Val, t.colType(rt.Name), sc)
				x.typeOf(rt.Val, sc)
			}
		}
		for i, e := range w.Values {
			switch {
			case i < len(w.TargetList):
				x.hint(e, t.colType(w.TargetList[i].GetResTarget().Name), sc)
			case len(w.TargetList) == 0 && i < len(t.Columns):
				x.hint(e, t.Columns[i].Type, sc)
			}
			x.typeOf(e, sc)
		}
	}
}

// notMatchedRefs refuses, as PostgreSQL does, a WHEN NOT MATCHED clause's reference to the target, which has no row
// there: a name qualified by it is 42P01, an unqualified column only it has 42703.
func notMatchedRefs(t *table, alias string, whens []*pg.MergeWhenClause, src *relation) error {
	var bad error
	find := func(n *pg.Node) bool {
		cr := n.GetColumnRef()
		if cr == nil {
			return false
		}
		f := columnFields(cr)
		switch {
		case len(f) >= 2 && f[0] == alias && !slices.ContainsFunc(src.cols, func(c relCol) bool { return c.qual == alias }):
			bad = &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("invalid reference to FROM-clause entry for table %q", alias),
				Hint:     fmt.Sprintf("There is an entry for table %q, but it cannot be referenced from this part of the query.", alias),
				Position: int(cr.Location) + 1}
		case len(f) == 1 && t.declared && t.column(f[0]) != nil && !slices.ContainsFunc(src.cols, func(c relCol) bool { return !c.hidden && c.name == f[0] }):
			bad = &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %q does not exist", f[0]),
				Hint:     fmt.Sprintf("There is a column named %q in table %q, but it cannot be referenced from this part of the query.", f[0], alias),
				Position: int(cr.Location) + 1}
		}
		return bad != nil
	}
	for _, w := range whens {
		if w.MatchKind == pg.MergeMatchKind_MERGE_WHEN_MATCHED {
			continue
		}
		for _, n := range append([]*pg.Node{w.Condition}, w.Values...) {
			if walkNoSub(n, find) {
				return bad
			}
		}
	}
	return nil
}
