package sql

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// query runs a SELECT and returns its rows.
func (x *exec) query(sel *pg.SelectStmt) (*Result, error) {
	if sel.IntoClause != nil {
		return nil, unsupported("SELECT INTO")
	}
	if len(sel.LockingClause) > 0 {
		if err := checkLocking(sel); err != nil {
			return nil, err
		}
		if !x.describe {
			x.lockSel = sel
			defer func() { x.lockSel = nil }()
		}
	}
	rel, err := x.selectRows(sel, nil, -1)
	if err != nil {
		return nil, err
	}
	cols, rows := resultOf(rel)
	return &Result{Columns: cols, Rows: rows, Tag: fmt.Sprintf("SELECT %d", len(rows))}, nil
}

// withCTEs evaluates a WITH clause's queries in order, each seeing the ones
// before it; pop removes them again.
func (x *exec) withCTEs(w *pg.WithClause, outer *scope) (pop func(), err error) {
	if w.Recursive {
		for _, c := range w.Ctes {
			if cte := c.GetCommonTableExpr(); referencesSelf(cte) {
				if err := checkRecursion(cte); err != nil {
					return nil, err
				}
			}
		}
	}
	frame := map[string]*relation{}
	x.ctes = append(x.ctes, frame)
	pop = func() { x.ctes = x.ctes[:len(x.ctes)-1] }
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		var rel *relation
		q := cte.Ctequery
		m := x.planMark()
		switch {
		case w.Recursive && isRecursive(cte):
			rel, err = x.recursiveCTE(cte, frame, outer)
		case cte.SearchClause != nil || cte.CycleClause != nil:
			err = &Error{Code: CodeSyntaxError, Message: "WITH query is not recursive", Position: int(cte.Location) + 1}
		case q.GetSelectStmt() != nil:
			rel, err = x.selectRows(q.GetSelectStmt(), outer, -1)
		case q.GetInsertStmt() != nil:
			rel, _, err = x.insert(q.GetInsertStmt())
		case q.GetUpdateStmt() != nil:
			rel, _, err = x.update(q.GetUpdateStmt())
		case q.GetDeleteStmt() != nil:
			rel, _, err = x.delete(q.GetDeleteStmt())
		default:
			err = unsupported("this WITH query")
		}
		if err != nil {
			pop()
			return nil, err
		}
		x.planCTE(m, cte.Ctename)
		frame[cte.Ctename] = nameCTE(cte, rel)
	}
	return pop, nil
}

// nameCTE makes a WITH query's result the relation its name and column aliases give.
func nameCTE(cte *pg.CommonTableExpr, rel *relation) *relation {
	if rel == nil {
		rel = &relation{}
	}
	out := &relation{rows: rel.rows}
	vis := rel.visible("")
	for _, c := range rel.cols {
		c.qual = cte.Ctename
		out.cols = append(out.cols, c)
	}
	for i, a := range cte.Aliascolnames {
		if i < len(vis) {
			out.cols[vis[i]].name = a.GetString_().GetSval()
		}
	}
	return out
}

// isRecursive reports whether a WITH RECURSIVE query refers to itself: a UNION [ALL] whose right side names it.
func isRecursive(cte *pg.CommonTableExpr) bool {
	sel := cte.Ctequery.GetSelectStmt()
	if sel == nil || sel.Op != pg.SetOperation_SETOP_UNION || sel.Rarg == nil {
		return false
	}
	return walk(sel.Rarg.ProtoReflect(), func(m protoreflect.Message) bool {
		rv, ok := m.Interface().(*pg.RangeVar)
		return ok && rv.Schemaname == "" && rv.Relname == cte.Ctename
	})
}

// maxRecursiveRows bounds the rows a recursive WITH query may produce (one that never ends would otherwise
// exhaust the server's memory); statement_timeout and a cancel request end it sooner.
const maxRecursiveRows = 1_000_000

// recursiveCTE evaluates WITH RECURSIVE name AS (base UNION [ALL] step) as PostgreSQL does: the base's rows are
// the first working table; the step runs on the working table (which the name refers to inside it) until it
// returns no new rows, each round's rows becoming the next working table; UNION leaves out rows already produced.
func (x *exec) recursiveCTE(cte *pg.CommonTableExpr, frame map[string]*relation, outer *scope) (*relation, error) {
	sel := cte.Ctequery.GetSelectStmt()
	if sel.Larg == nil || sel.Larg.WithClause != nil || len(sel.SortClause) > 0 || sel.LimitCount != nil {
		return nil, unsupported("this recursive WITH query (write base UNION [ALL] step)")
	}
	base, err := x.selectRows(sel.Larg, outer, -1)
	if err != nil {
		return nil, err
	}
	step, n := sel.Rarg, len(base.visible(""))
	var ext *cteExtras // SEARCH and CYCLE (ctesearch.go)
	if cte.SearchClause != nil || cte.CycleClause != nil {
		cols, rows := resultOf(base)
		names, oids := make([]string, len(cols)), make([]uint32, len(cols))
		base = &relation{rows: make([][]any, len(rows))}
		for i, c := range cols {
			names[i], oids[i] = c.Name, c.OID
			if i < len(cte.Aliascolnames) {
				names[i] = cte.Aliascolnames[i].GetString_().GetSval()
			}
			base.cols = append(base.cols, relCol{name: c.Name, oid: c.OID, typmod: c.TypMod, scale: c.Scale})
		}
		if ext, err = x.newCTEExtras(cte, names, oids, outer); err != nil {
			return nil, err
		}
		if step, err = ext.withParent(step, cte.Ctename); err != nil {
			return nil, err
		}
		for i, r := range rows {
			base.rows[i] = ext.extend(r, n, nil)
		}
		base.cols = append(base.cols, ext.cols()...)
	}
	seen := map[string]bool{}
	fresh := func(rows [][]any) [][]any {
		if sel.All {
			return rows
		}
		var out [][]any
		for _, r := range rows {
			if k := groupKey(r); !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
		return out
	}
	all := &relation{cols: base.cols, rows: fresh(base.rows)}
	work := all.rows
	for len(work) > 0 && !x.describe {
		if err := x.ctx.Err(); err != nil {
			return nil, err
		}
		if ext != nil {
			work = slices.DeleteFunc(slices.Clone(work), func(r []any) bool { return !ext.expands(r, n) })
			if len(work) == 0 {
				break
			}
		}
		frame[cte.Ctename] = nameCTE(cte, &relation{cols: base.cols, rows: work})
		stepRel, err := x.selectRows(step, outer, -1)
		if err != nil {
			return nil, err
		}
		if len(stepRel.visible("")) != len(base.visible("")) {
			return nil, errorf(CodeSyntaxError, "each UNION query must have the same number of columns")
		}
		_, rows := resultOf(stepRel)
		if ext != nil {
			for i, r := range rows {
				rows[i] = ext.extend(r, n, r[n:])
			}
		}
		work = fresh(rows)
		all.rows = append(all.rows, work...)
		if len(all.rows) > maxRecursiveRows {
			return nil, errorf(CodeProgramLimitExceeded, "recursive query %q produced more than %d rows", cte.Ctename, maxRecursiveRows)
		}
	}
	if x.describe {
		// Type the step too (its parameters), against the base's columns.
		frame[cte.Ctename] = nameCTE(cte, &relation{cols: base.cols})
		if _, err := x.selectRows(step, outer, -1); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// cte returns the WITH query named name in scope, or nil.
func (x *exec) cte(name string) *relation {
	for i := len(x.ctes) - 1; i >= 0; i-- {
		if r, ok := x.ctes[i][name]; ok {
			if len(x.subRuns) > 0 {
				x.noteCTE(i, name, r)
			}
			return r
		}
	}
	return nil
}

// selectRows evaluates a SELECT into a relation of its output columns.
// limit, when not negative, is a bound on the rows the caller needs (1 for
// EXISTS).
func (x *exec) selectRows(sel *pg.SelectStmt, outer *scope, limit int) (*relation, error) {
	if sel.WithClause != nil {
		pop, err := x.withCTEs(sel.WithClause, outer)
		if err != nil {
			return nil, err
		}
		defer pop()
	}
	if sel.Op != pg.SetOperation_SETOP_NONE && sel.Op != pg.SetOperation_SET_OPERATION_UNDEFINED {
		return x.setOp(sel, outer)
	}
	if len(sel.ValuesLists) > 0 {
		m := x.planMark()
		rel, err := x.values(sel.ValuesLists, outer)
		if err != nil {
			return nil, err
		}
		x.planLeaf(m, "Values Scan", `"*VALUES*"`, "", x.rowsOf(rel))
		return x.orderAndLimit(sel, rel, outer, m)
	}
	m := x.planMark()
	// A window function in WHERE, or an aggregate in WHERE of a query with no outer one (in a subquery it may be
	// the outer query's), is refused before a row is read, as PostgreSQL's parser refuses it.
	var misplaced *pg.FuncCall
	walkNoSub(sel.WhereClause, func(n *pg.Node) bool {
		if f := n.GetFuncCall(); f != nil && (f.Over != nil || outer == nil && isAggregate(f)) {
			misplaced = f
		}
		return misplaced != nil
	})
	switch {
	case misplaced != nil && misplaced.Over != nil:
		return nil, &Error{Code: CodeWindowingError, Message: "window functions are not allowed in WHERE", Position: int(misplaced.Location) + 1}
	case misplaced != nil:
		return nil, &Error{Code: CodeGroupingError, Message: "aggregate functions are not allowed in WHERE", Position: int(misplaced.Location) + 1}
	}
	saved := x.ordered
	ord := x.orderedScanOf(sel, outer)
	x.ordered = ord
	src, err := x.fromClause(sel.FromClause, sel.WhereClause, outer)
	x.ordered = saved
	if err != nil {
		return nil, err
	}
	// WHERE
	if sel.WhereClause != nil {
		sc := &scope{cols: src.cols, outer: outer}
		if x.describe || len(src.rows) == 0 || !x.typesPassed() {
			sc.row = make([]any, len(src.cols))
		}
		if sc.row != nil {
			if err := x.checkTypes(sel.WhereClause, sc); err != nil {
				return nil, err
			}
		}
		if x.describe {
			x.condition(sel.WhereClause, sc)
		} else if len(src.rows) == 0 {
			if err := x.checkRefs(sel.WhereClause, sc); err != nil {
				return nil, err
			}
		}
		kept := src.rows[:0:0]
		for _, row := range src.rows {
			sc.row = row
			v, err := x.eval(sel.WhereClause, sc)
			if err != nil {
				return nil, err
			}
			if truthy(v) {
				kept = append(kept, row)
			}
		}
		src = &relation{cols: src.cols, rows: kept}
		x.planFilter(m, "Filter", sel.WhereClause, x.rowsOf(src))
	}
	if ord != nil && ord.used && int64(ord.got) >= ord.need && int64(len(src.rows)) < ord.need {
		// The WHERE clause kept fewer rows than the statement needs of those the ordered scan read, and the
		// table may hold more: read it whole.
		x.noOrderedScan = true
		defer func() { x.noOrderedScan = false }()
		return x.selectRows(sel, outer, limit)
	}
	if x.recording() {
		x.ex.projMark = &m
	}
	return x.project(sel, src, outer, limit)
}

// values evaluates a VALUES list.
func (x *exec) values(lists []*pg.Node, outer *scope) (*relation, error) {
	rel := &relation{}
	first := lists[0].GetList().Items
	sc := &scope{outer: outer}
	for i, e := range first {
		rel.cols = append(rel.cols, relCol{name: fmt.Sprintf("column%d", i+1), oid: x.typeOf(e, sc)})
	}
	if !x.insertValues { // an INSERT converts each value to its column's type instead
		for i := range rel.cols {
			oid, err := x.valuesColumn(lists, i, sc)
			if err != nil {
				return nil, err
			}
			rel.cols[i].oid = oid // VALUES (1), (2.5) is a numeric column
		}
		for _, l := range lists[1:] { // VALUES ($1::int, $2::text), ($3, $4): a later row's parameter takes its column's type
			for i, e := range l.GetList().Items {
				if i < len(rel.cols) {
					x.hint(e, rel.cols[i].oid, sc)
				}
			}
		}
	}
	if x.describe {
		return rel, nil
	}
	for _, l := range lists {
		items := l.GetList().Items
		if len(items) != len(rel.cols) {
			e := &Error{Code: CodeSyntaxError, Message: "VALUES lists must all be the same length"}
			if len(items) > 0 {
				e.Position = nodeLocation(items[0]) + 1
			}
			return nil, e
		}
		row := make([]any, len(items))
		for i, e := range items {
			v, err := x.eval(e, sc)
			if err != nil {
				return nil, err
			}
			if s, ok := v.(string); ok && !x.insertValues && isLiteral(e) && category(rel.cols[i].oid) != OIDText && rel.cols[i].oid != 0 {
				if v, err = coerce(x.zonedInput(s, rel.cols[i].oid), rel.cols[i].oid); err != nil {
					return nil, err // VALUES (1), ('x'): the literal takes the column's type, as in PostgreSQL
				}
			}
			row[i] = v
		}
		rel.rows = append(rel.rows, row)
	}
	return rel, nil
}

// setOp evaluates UNION, INTERSECT and EXCEPT.
func (x *exec) setOp(sel *pg.SelectStmt, outer *scope) (*relation, error) {
	m := x.planMark()
	l, err := x.selectRows(sel.Larg, outer, -1)
	if err != nil {
		return nil, err
	}
	r, err := x.selectRows(sel.Rarg, outer, -1)
	if err != nil {
		return nil, err
	}
	lv, rv := l.visible(""), r.visible("")
	if len(lv) != len(rv) {
		return nil, errorf(CodeSyntaxError, "each %s query must have the same number of columns", strings.TrimPrefix(sel.Op.String(), "SETOP_"))
	}
	oids, err := setOpColumns(sel, l, r, lv, rv)
	if err != nil {
		return nil, err
	}
	out := &relation{}
	for k, i := range lv {
		out.cols = append(out.cols, relCol{name: l.cols[i].name, oid: oids[k]})
	}
	pick := func(rel *relation, vis []int) [][]any {
		rows := make([][]any, len(rel.rows))
		for k, row := range rel.rows {
			o := make([]any, len(vis))
			for j, i := range vis {
				o[j] = row[i]
			}
			rows[k] = o
		}
		return rows
	}
	lr, rr := pick(l, lv), pick(r, rv)
	// A side's literal string takes the column's type (SELECT 1 UNION SELECT '1' is one row, as in PostgreSQL).
	for _, rows := range [][][]any{lr, rr} {
		for _, row := range rows {
			for j, v := range row {
				if s, ok := v.(string); ok && out.cols[j].oid != 0 && category(out.cols[j].oid) != OIDText && out.cols[j].oid != OIDUnknown {
					c, err := coerce(x.zonedInput(s, out.cols[j].oid), out.cols[j].oid)
					if err != nil {
						return nil, err
					}
					row[j] = c
				}
			}
		}
	}
	switch sel.Op {
	case pg.SetOperation_SETOP_UNION:
		out.rows = append(lr, rr...)
		if !sel.All {
			out.rows = distinctRows(out.rows)
		}
	case pg.SetOperation_SETOP_INTERSECT, pg.SetOperation_SETOP_EXCEPT:
		// With ALL, a row the left side has m times and the right side n times comes out min(m, n) times from
		// INTERSECT and max(m-n, 0) times from EXCEPT; without ALL, once if it would come out at all.
		right := map[string]int{}
		for _, row := range rr {
			right[groupKey(row)]++
		}
		intersect := sel.Op == pg.SetOperation_SETOP_INTERSECT
		for _, row := range lr {
			k := groupKey(row)
			n := right[k]
			if !sel.All {
				if (n > 0) == intersect {
					out.rows = append(out.rows, row)
				}
				continue
			}
			switch {
			case intersect && n > 0:
				right[k] = n - 1
				out.rows = append(out.rows, row)
			case !intersect && n > 0:
				right[k] = n - 1
			case !intersect:
				out.rows = append(out.rows, row)
			}
		}
		if !sel.All {
			out.rows = distinctRows(out.rows)
		}
	}
	x.planSetOp(m, sel, len(lr)+len(rr), out)
	return x.orderAndLimit(sel, out, outer, m)
}

// orderAndLimit applies the ORDER BY, OFFSET and LIMIT of a set operation or a VALUES list to its rows, whose
// columns the sort keys name.
func (x *exec) orderAndLimit(sel *pg.SelectStmt, out *relation, outer *scope, m planMark) (*relation, error) {
	if x.recording() {
		defer func() { x.planSortLimit(m, sel, out) }()
	}
	if x.describe {
		dsc := &scope{cols: out.cols, row: make([]any, len(out.cols)), outer: outer}
		for _, s := range sel.SortClause {
			x.typeOf(s.GetSortBy().Node, dsc)
		}
		x.hint(sel.LimitCount, OIDInt8, dsc)
		x.hint(sel.LimitOffset, OIDInt8, dsc)
		return out, nil
	}
	if len(sel.SortClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil {
		sc := &scope{cols: out.cols, outer: outer}
		keys, err := x.sortKeys(sel.SortClause, out.rows, func(i int) *scope { sc.row = out.rows[i]; return sc })
		if err != nil {
			return nil, err
		}
		perm := sortPerm(keys, sel.SortClause)
		out.rows, keys = permute(out.rows, keys, perm)
		if out.rows, err = x.limit(sel, out.rows, keys, outer); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func distinctRows(rows [][]any) [][]any {
	seen := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		k := groupKey(r)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// fromClause builds the relation of a FROM list: its items cross-joined.
// where is offered to a single table's scan for pushdown.
func (x *exec) fromClause(items []*pg.Node, where *pg.Node, outer *scope) (*relation, error) {
	if len(items) == 0 {
		x.planLeaf(x.planMark(), "Result", "", "", x.rowsOf(&relation{rows: [][]any{{}}}))
		if x.describe {
			return &relation{}, nil
		}
		return &relation{rows: [][]any{{}}}, nil
	}
	if err := uniqueFromNames(items, nil); err != nil {
		return nil, err
	}
	saved := x.from
	x.from = x.namesOf(items)
	defer func() { x.from = saved }()
	var rel *relation
	for _, it := range items {
		if rel != nil && isLateral(it) {
			var err error
			if rel, err = x.lateral(rel, it, pg.JoinType_JOIN_INNER, nil, outer); err != nil {
				return nil, err
			}
			continue
		}
		if rel != nil {
			x.lookupAlias, x.lookup = x.keyLookup(conjuncts(where), rel, it)
		}
		r, err := x.fromItem(it, where, outer)
		x.lookupAlias, x.lookup = "", nil
		if err != nil {
			return nil, err
		}
		if rel == nil {
			rel = r
			continue
		}
		// The WHERE clause's equalities between the two pair their rows (the clause is evaluated over them after).
		if rel, err = x.joinOn(rel, r, pg.JoinType_JOIN_INNER, nil, conjuncts(where), outer); err != nil {
			return nil, err
		}
	}
	return rel, nil
}

// fromItem builds one FROM item: a table, a WITH query, a subquery, a join.
func (x *exec) fromItem(n *pg.Node, where *pg.Node, outer *scope) (*relation, error) {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		alias := rv.Relname
		if rv.Alias != nil {
			alias = rv.Alias.Aliasname
		}
		m := x.planMark()
		if rv.Schemaname == "" {
			if c := x.cte(rv.Relname); c != nil {
				x.planLeaf(m, "CTE Scan", rv.Relname, alias, x.rowsOf(c))
				return requalify(c, alias, rv.Alias), nil
			}
		}
		if rv.Schemaname == "pg_catalog" || rv.Schemaname == "information_schema" || isCatalogName(rv.Relname) {
			rel, err := x.catalogRelation(rv.Schemaname, rv.Relname)
			if err != nil {
				return nil, err
			}
			x.planLeaf(m, "Catalog Scan", rv.Relname, alias, x.rowsOf(rel))
			return requalify(rel, alias, rv.Alias), nil
		}
		if rv.Schemaname != "" && rv.Schemaname != "public" {
			return nil, &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname), Position: int(rv.Location) + 1}
		}
		mode := lockAccessShare
		if x.lockSel != nil {
			mode = lockRowShare // SELECT ... FOR UPDATE / SHARE
		}
		if err := x.lockRelSeen(rv, mode, true); err != nil {
			return nil, err
		}
		t, err := x.lookupTable(rv.Relname, rv.Location)
		if err != nil {
			if rel, ok, serr := x.sequenceRelation(rv.Relname); serr != nil || ok {
				if serr != nil {
					return nil, serr
				}
				x.planLeaf(m, "Seq Scan", rv.Relname, alias, x.rowsOf(rel))
				return requalify(rel, alias, rv.Alias), nil
			}
			return nil, err
		}
		if err := matViewUnpopulated(t); err != nil && !x.describe {
			return nil, err // a read, not a description (CREATE VIEW over it, a prepared statement's)
		}
		if t.View != "" {
			rel, err := x.viewRows(t)
			if err != nil {
				return nil, err
			}
			x.planAdd(m, &planNode{typ: "Subquery Scan", relation: rv.Relname, alias: alias}, x.rowsOf(rel))
			return requalify(rel, alias, rv.Alias), nil
		}
		if rv.Alias != nil && len(rv.Alias.Colnames) > 0 {
			// FROM t AS a(x, y) renames the columns, in order: the WHERE clause, evaluated above the scan, uses
			// the new names, which the storage's filter does not know.
			rel, err := x.scan(t, alias, nil)
			if err != nil {
				return nil, err
			}
			if len(rv.Alias.Colnames) > len(rel.visible("")) {
				return nil, errorf(CodeInvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified",
					alias, len(rel.visible("")), len(rv.Alias.Colnames))
			}
			return requalify(rel, alias, rv.Alias), nil
		}
		var filter bson.D
		if where != nil && x.from != nil {
			var own []*pg.Node
			for _, c := range conjuncts(where) {
				if x.from.pushableTo(c, alias) {
					own = append(own, c)
				}
			}
			where = andOf(own)
		}
		if where != nil {
			var err error
			if filter, err = x.pushdownChecked(where, t, alias, outer); err != nil {
				return nil, err
			}
		}
		lookedUp := x.lookup != nil && x.lookupAlias == alias
		if lookedUp {
			// The keys the rows already read ask for (keyLookup).
			filter = andFilter(filter, x.lookup)
			x.lookupAlias, x.lookup = "", nil
		}
		rel, err := x.scan(t, alias, filter)
		if lookedUp && x.recording() {
			if n := x.planTop(m); n != nil {
				n.prop("Key Lookup", x.ex.lookupRule)
			}
		}
		if err != nil || where == nil || len(x.from) < 2 || x.describe {
			if err == nil && where != nil && len(x.from) >= 2 {
				x.planFilter(m, "Filter", where, -1)
			}
			return rel, err
		}
		// Among other sources, the rows are filtered by the conditions on this table alone before they meet the
		// others (the function calls after it in FROM run on the rows that pass, as in PostgreSQL's plan); the
		// WHERE clause is evaluated again over the joined rows.
		sc := &scope{cols: rel.cols, outer: outer}
		kept := rel.rows[:0:0]
		for _, row := range rel.rows {
			sc.row = row
			v, err := x.eval(where, sc)
			if err != nil {
				return nil, err
			}
			if truthy(v) {
				kept = append(kept, row)
			}
		}
		x.planFilter(m, "Filter", where, len(kept))
		return &relation{cols: rel.cols, rows: kept}, nil
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		m := x.planMark()
		// A subquery in FROM sees the enclosing queries' columns (a correlated subquery's FROM subquery may name
		// them); a LATERAL one also the items before it, which lateral puts in outer.
		rel, err := x.selectRows(rs.Subquery.GetSelectStmt(), outer, -1)
		if err != nil {
			return nil, err
		}
		alias := ""
		if rs.Alias != nil {
			alias = rs.Alias.Aliasname
		}
		x.planAdd(m, &planNode{typ: "Subquery Scan", relation: alias}, x.rowsOf(rel))
		return requalify(rel, alias, rs.Alias), nil
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		lw, rw := joinSides(j, where)
		l, err := x.fromItem(j.Larg, lw, outer)
		if err != nil {
			return nil, err
		}
		if isLateral(j.Rarg) && len(j.UsingClause) == 0 && !j.IsNatural {
			return x.lateral(l, j.Rarg, j.Jointype, j.Quals, outer)
		}
		if j.Jointype == pg.JoinType_JOIN_INNER || j.Jointype == pg.JoinType_JOIN_LEFT {
			x.lookupAlias, x.lookup = x.keyLookup(conjuncts(rw), l, j.Rarg)
		}
		r, err := x.fromItem(j.Rarg, rw, outer)
		x.lookupAlias, x.lookup = "", nil
		if err != nil {
			return nil, err
		}
		if len(j.UsingClause) > 0 || j.IsNatural {
			return x.joinUsing(l, r, j, outer)
		}
		return x.join(l, r, j.Jointype, j.Quals, outer)
	case n.GetRangeFunction() != nil:
		m := x.planMark()
		rel, err := x.rangeFunction(n.GetRangeFunction(), outer)
		if err == nil && x.recording() {
			name := ""
			for q := range x.namesOf([]*pg.Node{n}) {
				name = q
			}
			x.planLeaf(m, "Function Scan", name, "", x.rowsOf(rel))
		}
		return rel, err
	}
	if ts := n.GetRangeTableSample(); ts != nil {
		return x.tableSample(ts, where, outer)
	}
	return nil, unsupported("this FROM item (" + nodeName(n) + ")")
}

// requalify renames a relation's source to alias, with the alias's column
// names when it lists them.
func requalify(rel *relation, alias string, a *pg.Alias) *relation {
	out := &relation{rows: rel.rows, cols: make([]relCol, len(rel.cols))}
	copy(out.cols, rel.cols)
	vis := rel.visible("")
	for i := range out.cols {
		out.cols[i].qual = alias
	}
	if a != nil {
		for i, c := range a.Colnames {
			if i < len(vis) {
				out.cols[vis[i]].name = c.GetString_().GetSval()
			}
		}
	}
	return out
}

// join joins two relations (nested loops; quals evaluated per pair).
func (x *exec) join(l, r *relation, kind pg.JoinType, quals *pg.Node, outer *scope) (*relation, error) {
	return x.joinOn(l, r, kind, quals, conjuncts(quals), outer)
}

// joinOn is join, its rows paired through a hash table by the equalities among pairing (quals' conjuncts, or
// the enclosing WHERE clause's for an inner join) that match a column of each side.
func (x *exec) joinOn(l, r *relation, kind pg.JoinType, quals *pg.Node, pairing []*pg.Node, outer *scope) (*relation, error) {
	cols := append(append([]relCol{}, l.cols...), r.cols...)
	sc := &scope{cols: cols, outer: outer}
	if x.describe && quals != nil {
		sc.row = make([]any, len(cols))
		x.typeOf(quals, sc)
	}
	var match func(row []any) (bool, error)
	if quals != nil && !x.describe && (len(l.rows) == 0 || len(r.rows) == 0) {
		sc.row = make([]any, len(cols))
		if err := x.checkRefs(quals, sc); err != nil {
			return nil, err
		}
	}
	if quals != nil {
		match = func(row []any) (bool, error) {
			sc.row = row
			v, err := x.eval(quals, sc)
			return truthy(v), err
		}
	}
	start := time.Now()
	var lk, rk []int
	// Described under EXPLAIN, the rule is shown: a hash join when the equalities allow one.
	if !x.describe && len(l.rows) > 0 && len(r.rows) > 1 || x.describe && x.recording() {
		var clear []*pg.Node
		for _, c := range pairing {
			if x.from.unambiguous(c) {
				clear = append(clear, c)
			}
		}
		lk, rk = equiKeys(clear, l, r)
	}
	if len(lk) > 0 && !x.describe {
		out, hashed, err := joinHashed(l, r, kind, match, lk, rk)
		if err != nil {
			return nil, err
		}
		if !hashed {
			lk, rk = nil, nil
		}
		x.planJoin(joinNode(kind, l, r, lk, rk, quals), len(out.rows), start)
		return out, nil
	}
	out, err := joinMatch(l, r, kind, match)
	if err != nil {
		return nil, err
	}
	if x.recording() {
		x.planJoin(joinNode(kind, l, r, lk, rk, quals), x.rowsOf(out), start)
	}
	return out, nil
}

// joinMatch joins two relations by nested loops, keeping the pairs of rows match accepts (every pair when match is
// nil), and for outer joins the rows of either side that matched nothing, padded with NULLs.
func joinMatch(l, r *relation, kind pg.JoinType, match func(row []any) (bool, error)) (*relation, error) {
	return joinPairs(l, r, kind, match, nil)
}

// joinHashed is joinMatch with the candidate rows of r for a row of l found in a hash table of r's rows by the
// values of their columns rk, those of l's row being its columns lk: a row with a NULL among them (which equals
// nothing) has no candidates. A row of l with a value hashKey does not know is tried against every row of r.
// hashed is false when a value of r's keys is of a kind hashKey does not know: the rows were joined by joinMatch.
func joinHashed(l, r *relation, kind pg.JoinType, match func(row []any) (bool, error), lk, rk []int) (rel *relation, hashed bool, err error) {
	key := func(row []any, idx []int) (k string, null, ok bool) {
		for _, i := range idx {
			if row[i] == nil {
				return "", true, true
			}
			part, known := hashKey(row[i])
			if !known {
				return "", false, false
			}
			k += strconv.Itoa(len(part)) + ":" + part
		}
		return k, false, true
	}
	table := map[string][]int{}
	for i, rr := range r.rows {
		k, null, ok := key(rr, rk)
		if !ok {
			rel, err := joinMatch(l, r, kind, match) // a value of a kind hashKey does not know
			return rel, false, err
		}
		if !null {
			table[k] = append(table[k], i)
		}
	}
	all := rowIndexes(len(r.rows))
	rel, err = joinPairs(l, r, kind, match, func(lr []any) []int {
		k, null, ok := key(lr, lk)
		switch {
		case !ok:
			return all
		case null:
			return nil
		}
		return table[k]
	})
	return rel, true, err
}

// rowIndexes is 0, 1, ..., n-1: every row of a relation of n rows.
func rowIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// maxJoinRows bounds the rows a join of two relations may hold, so that a FROM list without conditions pairing
// its sources (whose product a nested loop builds in memory) fails instead of exhausting the server's memory.
var maxJoinRows = 10_000_000 // a variable for its test

// errJoinTooLarge is the error of a join past maxJoinRows: 54000, PostgreSQL's program_limit_exceeded.
func errJoinTooLarge() error {
	return &Error{Code: CodeProgramLimitExceeded,
		Message: fmt.Sprintf("a join of more than %d rows is more than Concord holds in memory", maxJoinRows),
		Hint:    "Pair the FROM list's sources with equalities between their columns (a.id = b.a_id), which a hash join uses."}
}

// joinPairs pairs each row of l with the rows of r that candidates names (every row when candidates is nil),
// keeping the pairs match accepts, and for outer joins the rows of either side that matched nothing, padded
// with NULLs.
func joinPairs(l, r *relation, kind pg.JoinType, match func(row []any) (bool, error), candidates func([]any) []int) (*relation, error) {
	out := &relation{cols: append(append([]relCol{}, l.cols...), r.cols...)}
	rightMatched := make([]bool, len(r.rows))
	nullsL, nullsR := make([]any, len(l.cols)), make([]any, len(r.cols))
	var all []int
	if candidates == nil {
		all = rowIndexes(len(r.rows))
	}
	for _, lr := range l.rows {
		matched := false
		cand := all
		if candidates != nil {
			cand = candidates(lr)
		}
		for _, k := range cand {
			rr := r.rows[k]
			row := append(append(make([]any, 0, len(out.cols)), lr...), rr...)
			if match != nil {
				ok, err := match(row)
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			matched = true
			rightMatched[k] = true
			if len(out.rows) >= maxJoinRows {
				return nil, errJoinTooLarge()
			}
			out.rows = append(out.rows, row)
		}
		if !matched && (kind == pg.JoinType_JOIN_LEFT || kind == pg.JoinType_JOIN_FULL) {
			out.rows = append(out.rows, append(append(make([]any, 0, len(out.cols)), lr...), nullsR...))
		}
	}
	if kind == pg.JoinType_JOIN_RIGHT || kind == pg.JoinType_JOIN_FULL {
		for k, rr := range r.rows {
			if !rightMatched[k] {
				out.rows = append(out.rows, append(append(make([]any, 0, len(out.cols)), nullsL...), rr...))
			}
		}
	}
	return out, nil
}

// scan reads a table's documents matching filter into a relation: its
// declared columns, or for a schemaless table the union of the fields
// found, plus the hidden document column.
func (x *exec) scan(t *table, alias string, filter bson.D) (*relation, error) {
	m := x.planMark()
	if filter == nil {
		filter = bson.D{}
	}
	coll := x.s.db().collection(t.Name)
	var docs []bson.Raw
	var fields []relCol // a streamed schemaless table's columns (stream.go)
	if x.describe {
		if !t.declared {
			if raw, err := coll.findOne(x.base, bson.D{}); err == nil {
				docs = append(docs, raw)
			}
		}
	} else if ts := x.streaming; ts != nil && ts.armed && ts.table == t.Name {
		var err error
		if !t.declared {
			if fields, err = ts.fieldsOf(x.ctx, coll, filter); err != nil {
				return nil, err
			}
		}
		if docs, err = ts.chunk(x.ctx, coll, filter); err != nil {
			return nil, err
		}
	} else if r := x.orderedRead(t, alias); r != nil {
		var err error
		var ok bool
		if docs, ok, err = r.read(x.ctx, coll, filter, x.ordered.need); err != nil {
			return nil, err
		}
		if ok {
			x.ordered.used, x.ordered.got = true, len(docs)
		} else if docs, err = coll.find(x.ctx, filter, nil, 0); err != nil {
			return nil, err
		}
	} else {
		var err error
		if docs, err = coll.find(x.ctx, filter, nil, 0); err != nil {
			return nil, err
		}
	}
	if x.recording() {
		took, rows := time.Since(m.start), len(docs)
		if x.describe {
			rows = -1
		}
		x.planAdd(m, x.scanNode(coll, t, alias, filter), rows).dur = took
	}
	rel := &relation{}
	if t.declared {
		for _, c := range t.Columns {
			rel.cols = append(rel.cols, relCol{qual: alias, name: c.Name, oid: c.Type, typmod: c.TypMod, field: t.field(c.Name)})
		}
	} else {
		if fields != nil {
			for _, c := range fields {
				c.qual = alias
				rel.cols = append(rel.cols, c)
			}
		} else {
			rel.cols = unionFields(docs, alias)
		}
		if len(rel.cols) == 0 {
			rel.cols = append(rel.cols, relCol{qual: alias, name: "_id", field: "_id"})
		}
	}
	rel.cols = append(rel.cols, relCol{qual: alias, hidden: true, open: !t.declared, table: t.Name})
	if x.describe {
		return rel, nil
	}
	rel.rows = make([][]any, len(docs))
	for i, d := range docs {
		row := make([]any, len(rel.cols))
		for j, c := range rel.cols[:len(rel.cols)-1] {
			row[j] = cellValue(d, c)
		}
		row[len(row)-1] = d
		rel.rows[i] = row
	}
	return rel, nil
}

// unionFields are the columns of a schemaless table's documents: every field any of them has, in the order they
// first come, typed as its first value is.
func unionFields(docs []bson.Raw, alias string) []relCol {
	var cols []relCol
	seen := map[string]bool{}
	for _, d := range docs {
		elems, _ := d.Elements()
		for _, e := range elems {
			k := e.Key()
			if !seen[k] {
				seen[k] = true
				cols = append(cols, relCol{qual: alias, name: k, field: k, oid: valueOID(fromBSON(e.Value()))})
			}
		}
	}
	return cols
}

// lookupPath reads a dotted path of a document.
func lookupPath(d bson.Raw, path string) bson.RawValue {
	if path == "" {
		return bson.RawValue{}
	}
	parts := splitPath(path)
	v, err := d.LookupErr(parts...)
	if err != nil {
		return bson.RawValue{}
	}
	return v
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

// checkProjectionRefs fails, as PostgreSQL does before reading a row, when the target list, GROUP BY, HAVING,
// ORDER BY or a window names a column no source has: over no rows nothing is evaluated and the reference would
// go unnoticed. GROUP BY and ORDER BY may also name an output column.
func (x *exec) checkProjectionRefs(sel *pg.SelectStmt, src *relation, outer *scope) error {
	sc := &scope{cols: src.cols, row: make([]any, len(src.cols)), outer: outer}
	outputs := map[string]bool{}
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		if cr := rt.Val.GetColumnRef(); cr != nil {
			f := columnFields(cr)
			if f[len(f)-1] == "*" {
				continue
			}
		}
		if err := x.checkRefs(rt.Val, sc); err != nil {
			return err
		}
		if rt.Name != "" {
			outputs[rt.Name] = true
		} else {
			outputs[exprName(rt.Val)] = true
		}
	}
	if err := x.checkRefs(sel.HavingClause, sc); err != nil {
		return err
	}
	byOutput := func(n *pg.Node) error {
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && outputs[columnFields(cr)[0]] {
			if _, _, found, _ := sc.lookup(columnFields(cr)); !found {
				return nil // an output column's name
			}
		}
		return x.checkRefs(n, sc)
	}
	for _, g := range sel.GroupClause {
		if err := byOutput(g); err != nil {
			return err
		}
	}
	for _, s := range sel.SortClause {
		if err := byOutput(s.GetSortBy().GetNode()); err != nil {
			return err
		}
	}
	for _, w := range sel.WindowClause {
		if err := x.checkRefs(w, sc); err != nil {
			return err
		}
	}
	return nil
}

// project applies grouping, window functions, the target list, DISTINCT,
// ORDER BY and LIMIT to the rows of a FROM clause (after WHERE).
func (x *exec) project(sel *pg.SelectStmt, src *relation, outer *scope, limit int) (*relation, error) {
	targets := sel.TargetList
	grouped := len(sel.GroupClause) > 0 || sel.HavingClause != nil || x.ownAggregate(sel, outer, src.cols)
	pm, rec := x.takeProjMark()
	nrows := func(n int) int { // a count for the plan: none while describing
		if x.describe {
			return -1
		}
		return n
	}
	if err := nonIntegerConstant(sel.GroupClause, "GROUP BY"); err != nil {
		return nil, err
	}
	if len(src.rows) == 0 && !x.describe {
		if err := x.checkProjectionRefs(sel, src, outer); err != nil {
			return nil, err
		}
	}
	// Each input row (or group) becomes a scope.
	type unit struct {
		row   []any
		group [][]any
		set   map[string]bool // with grouping sets, the group's (groupingSetGroups)
	}
	var units []unit
	if grouped {
		if targets = expandStars(targets, src); len(targets) != len(sel.TargetList) || !slices.Equal(targets, sel.TargetList) {
			// A * of a grouped query is its columns: GROUP BY 1 is the first, and the others must be grouped.
			g := proto.Clone(sel).(*pg.SelectStmt)
			g.TargetList = targets
			sel = g
		}
		if err := checkGrouping(sel, src); err != nil {
			return nil, err
		}
		if sets, ok := expandGroupingSets(sel.GroupClause); ok {
			groups, err := x.groupingSetGroups(sets, targets, src, outer)
			if err != nil {
				return nil, err
			}
			for _, g := range groups {
				units = append(units, unit{row: g.row, group: g.group, set: g.set})
			}
		} else if len(sel.GroupClause) == 0 {
			units = []unit{{row: firstOr(src.rows, len(src.cols)), group: src.rows}}
			if src.rows == nil {
				units[0].group = [][]any{}
			}
		} else {
			idx := map[string]int{}
			sc := &scope{cols: src.cols, outer: outer}
			for _, row := range src.rows {
				sc.row = row
				k, err := x.groupKeyOf(sel.GroupClause, targets, sc)
				if err != nil {
					return nil, err
				}
				if i, ok := idx[k]; ok {
					units[i].group = append(units[i].group, row)
					continue
				}
				idx[k] = len(units)
				units = append(units, unit{row: row, group: [][]any{row}})
			}
		}
	} else {
		units = make([]unit, len(src.rows))
		for i, r := range src.rows {
			units[i] = unit{row: r}
		}
	}
	scopeOf := func(i int) *scope {
		return &scope{cols: src.cols, row: units[i].row, group: units[i].group, outer: outer, rowIdx: i, grouping: units[i].set}
	}
	// HAVING
	if sel.HavingClause != nil {
		kept := units[:0:0]
		for i := range units {
			v, err := x.eval(sel.HavingClause, scopeOf(i))
			if err != nil {
				return nil, err
			}
			if truthy(v) {
				kept = append(kept, units[i])
			}
		}
		units = kept
	}
	if rec && grouped {
		n := &planNode{typ: "Aggregate", strategy: "Plain"}
		if len(sel.GroupClause) > 0 {
			n.strategy, n.head = "Hashed", "HashAggregate"
			n.prop("Group Key", exprList(sel.GroupClause))
		}
		if sel.HavingClause != nil {
			n.prop("Filter", exprText(sel.HavingClause))
		}
		x.planAdd(pm, n, nrows(len(units)))
	}
	// Window functions, computed over the units in their window's order.
	tsc := &scope{cols: src.cols, row: make([]any, len(src.cols)), outer: outer, group: [][]any{}}
	window, err := x.windows(sel, targets, len(units), scopeOf, tsc)
	if err != nil {
		return nil, err
	}
	if rec && hasWindowCall(sel) {
		x.planAdd(pm, &planNode{typ: "WindowAgg"}, nrows(len(units)))
	}
	// Target list.
	out := &relation{}
	type target struct {
		expr *pg.Node
		col  int // >= 0: a column of src copied by *
	}
	var tlist []target
	dsc := &scope{cols: src.cols, row: make([]any, len(src.cols)), outer: outer, group: [][]any{}}
	for _, t := range targets {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil {
			f := columnFields(cr)
			if f[len(f)-1] == "*" {
				qual := ""
				if len(f) == 2 {
					qual = f[0]
					if !isQualifier(src.cols, qual) {
						return nil, &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("missing FROM-clause entry for table %q", qual),
							Position: int(cr.Location) + 1}
					}
				}
				for _, i := range src.visible(qual) {
					tlist = append(tlist, target{col: i})
					out.cols = append(out.cols, relCol{name: src.cols[i].name, oid: src.cols[i].oid, typmod: src.cols[i].typmod, scale: src.cols[i].scale})
				}
				continue
			}
		}
		if ind := rt.Val.GetAIndirection(); ind != nil && len(ind.Indirection) == 1 && ind.Indirection[0].GetAStar() != nil {
			// (f(x)).*: a column for each of the record's fields, each reading the expression.
			if cr := ind.Arg.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && isQualifier(src.cols, columnFields(cr)[0]) {
				for _, i := range src.visible(columnFields(cr)[0]) { // (t).*, as t.*
					tlist = append(tlist, target{col: i})
					out.cols = append(out.cols, relCol{name: src.cols[i].name, oid: src.cols[i].oid, typmod: src.cols[i].typmod, scale: src.cols[i].scale})
				}
				continue
			}
			cols := x.compositeColumns(ind.Arg)
			if cols == nil {
				return nil, unsupported("(expression).* other than of a function returning records or a row cast to a table's type")
			}
			for _, c := range cols {
				field := &pg.Node{Node: &pg.Node_AIndirection{AIndirection: &pg.A_Indirection{Arg: ind.Arg,
					Indirection: []*pg.Node{pg.MakeStrNode(c.name)}}}}
				tlist = append(tlist, target{expr: field, col: -1})
				out.cols = append(out.cols, relCol{name: c.name, oid: c.oid})
			}
			continue
		}
		name := rt.Name
		if name == "" {
			name = exprName(rt.Val)
		}
		tlist = append(tlist, target{expr: rt.Val, col: -1})
		dsc.window = window
		if err := x.checkTypes(rt.Val, dsc); err != nil {
			return nil, err
		}
		col := relCol{name: name, oid: x.typeOf(rt.Val, dsc), typmod: typmodOfExpr(rt.Val, dsc)}
		if col.oid == OIDNumeric && col.typmod == 0 {
			if s := scaleOfExpr(rt.Val, dsc); s > 0 {
				col.scale = int32(s)
			}
		}
		out.cols = append(out.cols, col)
	}
	if x.lockSel == sel {
		// SELECT ... FOR UPDATE: each output row keeps its sources' documents, to be locked (locking.go).
		for i, c := range src.cols {
			if c.hidden && c.table != "" {
				tlist = append(tlist, target{col: i})
				out.cols = append(out.cols, c)
			}
		}
	}
	if x.describe {
		for _, s := range sel.SortClause {
			x.typeOf(s.GetSortBy().Node, dsc)
		}
		x.condition(sel.HavingClause, dsc) // HAVING count(*) > $1: an integer parameter
		x.hint(sel.LimitCount, OIDInt8, dsc)
		x.hint(sel.LimitOffset, OIDInt8, dsc)
	}
	out.rows = make([][]any, 0, len(units))
	// rowUnit maps output rows to their units: a set-returning function in the target list makes several rows of one.
	var rowUnit []int
	var srfs []*pg.FuncCall // set-returning calls of the target list
	for _, t := range tlist {
		if t.expr != nil {
			walkNoSub(t.expr, func(m *pg.Node) bool {
				if f := m.GetFuncCall(); f != nil && f.Over == nil && (setReturning[funcName(f)] || x.userSetFunction(f) != nil) {
					srfs = append(srfs, f)
				}
				return false
			})
		}
	}
	evalRow := func(i int, sc *scope) ([]any, error) {
		row := make([]any, len(tlist))
		for j, t := range tlist {
			if t.col >= 0 {
				row[j] = units[i].row[t.col]
				continue
			}
			v, err := x.eval(t.expr, sc)
			if err != nil {
				return nil, err
			}
			row[j] = v
		}
		return row, nil
	}
	for i := range units {
		sc := scopeOf(i)
		sc.window = window
		if len(srfs) == 0 {
			row, err := evalRow(i, sc)
			if err != nil {
				return nil, err
			}
			out.rows = append(out.rows, row)
			rowUnit = append(rowUnit, i)
			continue
		}
		// As PostgreSQL 10 and later: the set-returning calls advance in step, as many rows as the longest set
		// gives, the shorter ones NULL past their end; each row evaluates the items with the calls' current values.
		sets := make([][]any, len(srfs))
		n := 0
		for k, f := range srfs {
			vals, err := x.targetSet(f, sc)
			if err != nil {
				return nil, err
			}
			sets[k] = vals
			n = max(n, len(vals))
		}
		x.srfValue = map[*pg.FuncCall]any{}
		for r := 0; r < n; r++ {
			for k, f := range srfs {
				x.srfValue[f] = nil
				if r < len(sets[k]) {
					x.srfValue[f] = sets[k][r]
				}
			}
			row, err := evalRow(i, sc)
			if err != nil {
				x.srfValue = nil
				return nil, err
			}
			out.rows = append(out.rows, row)
			rowUnit = append(rowUnit, i)
		}
		x.srfValue = nil
	}
	if rec && len(srfs) > 0 {
		x.planAdd(pm, &planNode{typ: "ProjectSet"}, nrows(len(out.rows)))
	}
	// ORDER BY and DISTINCT ON's expressions: output names and positions first, then input expressions.
	// An output name two different items share is ambiguous there (-1), as in PostgreSQL.
	alias := map[string]int{}
	for i, c := range out.cols {
		j, dup := alias[c.name]
		switch {
		case !dup:
			alias[c.name] = i
		case j >= 0 && !sameTarget(tlist[j].expr, tlist[i].expr, tlist[j].col, tlist[i].col):
			alias[c.name] = -1
		}
	}
	orderScope := func(i int) *scope {
		sc := scopeOf(rowUnit[i])
		sc.window = window
		sc.alias, sc.aliasV = alias, out.rows[i]
		return sc
	}
	distinctOn := len(sel.DistinctClause) > 0 && sel.DistinctClause[0].GetNode() != nil // plain DISTINCT is one empty node
	if len(sel.DistinctClause) > 0 && !distinctOn {
		if err := checkDistinctOrder(sel); err != nil {
			return nil, err
		}
	}
	var onKeys [][]any
	if distinctOn {
		if err := checkDistinctOn(sel); err != nil {
			return nil, err
		}
		onSort := make([]*pg.Node, len(sel.DistinctClause))
		for i, e := range sel.DistinctClause {
			onSort[i] = &pg.Node{Node: &pg.Node_SortBy{SortBy: &pg.SortBy{Node: e}}}
		}
		if onKeys, err = x.sortKeys(onSort, out.rows, orderScope); err != nil {
			return nil, err
		}
		if len(sel.SortClause) == 0 { // sorted on them, as PostgreSQL's sort-and-unique plan leaves the rows
			out.rows, onKeys = permute(out.rows, onKeys, sortPerm(onKeys, onSort))
		}
	}
	var tieKeys [][]any // the ORDER BY keys of out.rows, for FETCH FIRST ... WITH TIES
	if len(sel.SortClause) > 0 {
		keys, err := x.sortKeys(sel.SortClause, out.rows, orderScope)
		if err != nil {
			return nil, err
		}
		perm := sortPerm(keys, sel.SortClause)
		out.rows, onKeys = permute(out.rows, onKeys, perm)
		tieKeys, _ = permute(keys, nil, perm)
	}
	if rec && (len(sel.SortClause) > 0 || distinctOn) {
		keys := sel.SortClause
		if len(keys) == 0 {
			keys = sel.DistinctClause
		}
		x.planAdd(pm, &planNode{typ: "Sort"}, nrows(len(out.rows))).prop("Sort Key", exprList(keys))
	}
	switch {
	case distinctOn:
		// The first row of each set of rows equal on the DISTINCT ON expressions, in ORDER BY's order.
		seen := map[string]bool{}
		kept, keptKeys := out.rows[:0:0], tieKeys[:0:0]
		for i, row := range out.rows {
			if k := groupKey(onKeys[i]); !seen[k] {
				seen[k] = true
				kept = append(kept, row)
				if tieKeys != nil {
					keptKeys = append(keptKeys, tieKeys[i])
				}
			}
		}
		out.rows, tieKeys = kept, keptKeys
	case len(sel.DistinctClause) > 0:
		// ORDER BY names only output columns here (checkDistinctOrder): equal rows have equal keys.
		seen := map[string]bool{}
		kept, keptKeys := out.rows[:0:0], tieKeys[:0:0]
		for i, row := range out.rows {
			if k := groupKey(row); !seen[k] {
				seen[k] = true
				kept = append(kept, row)
				if tieKeys != nil {
					keptKeys = append(keptKeys, tieKeys[i])
				}
			}
		}
		out.rows, tieKeys = kept, keptKeys
	}
	if rec && len(sel.DistinctClause) > 0 {
		if distinctOn {
			x.planAdd(pm, &planNode{typ: "Unique"}, nrows(len(out.rows)))
		} else {
			x.planAdd(pm, &planNode{typ: "Aggregate", strategy: "Hashed", head: "HashAggregate"}, nrows(len(out.rows))).prop("Group Key", "(all columns)")
		}
	}
	if x.lockSel == sel {
		if out.rows, err = x.lockRows(sel, out, tieKeys, outer); err != nil {
			return nil, err
		}
	} else if out.rows, err = x.limit(sel, out.rows, tieKeys, outer); err != nil {
		return nil, err
	}
	if rec && x.lockSel == sel {
		x.planAdd(pm, &planNode{typ: "LockRows"}, nrows(len(out.rows)))
	} else if rec && (sel.LimitCount != nil || sel.LimitOffset != nil) {
		x.planAdd(pm, &planNode{typ: "Limit"}, nrows(len(out.rows)))
	}
	if limit >= 0 && len(out.rows) > limit {
		out.rows = out.rows[:limit]
	}
	return out, nil
}

// sameTarget reports whether two select list items are the same expression: the same column copied by *, or
// the same column reference.
func sameTarget(a, b *pg.Node, colA, colB int) bool {
	if colA >= 0 || colB >= 0 {
		return colA == colB
	}
	ca, cb := a.GetColumnRef(), b.GetColumnRef()
	return ca != nil && cb != nil && slices.Equal(columnFields(ca), columnFields(cb))
}

// firstOr returns the first row, or a row of NULLs.
func firstOr(rows [][]any, n int) []any {
	if len(rows) > 0 {
		return rows[0]
	}
	return make([]any, n)
}

// groupValue evaluates a GROUP BY item: an expression, an output column's
// name or its position.
// groupKeyOf is the key of the group the row of sc falls in by the GROUP BY items gs.
func (x *exec) groupKeyOf(gs []*pg.Node, targets []*pg.Node, sc *scope) (string, error) {
	key := make([]any, len(gs))
	for i, g := range gs {
		v, err := x.groupValue(g, targets, sc)
		if err != nil {
			return "", err
		}
		key[i] = v
	}
	return groupKey(key), nil
}

func (x *exec) groupValue(g *pg.Node, targets []*pg.Node, sc *scope) (any, error) {
	if c := g.GetAConst(); c != nil {
		if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
			i := int(iv.Ival.Ival)
			if i < 1 || i > len(targets) {
				return nil, &Error{Code: CodeInvalidColumnReference, Message: fmt.Sprintf("GROUP BY position %d is not in select list", i), Position: int(c.Location) + 1}
			}
			return x.eval(targets[i-1].GetResTarget().Val, sc)
		}
	}
	if cr := g.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		name := columnFields(cr)[0]
		if _, _, found, _ := sc.lookupHere([]string{name}, false); !found {
			for _, t := range targets {
				// An output column's name: AS, or the name PostgreSQL gives an expression (GROUP BY upper).
				if rt := t.GetResTarget(); rt.Name == name || rt.Name == "" && rt.Val.GetColumnRef() == nil && exprName(rt.Val) == name {
					return x.eval(rt.Val, sc)
				}
			}
		}
	}
	return x.eval(g, sc)
}

// sortKeys evaluates the ORDER BY keys of every row.
func (x *exec) sortKeys(sortBy []*pg.Node, rows [][]any, scopeOf func(int) *scope) ([][]any, error) {
	keys := make([][]any, len(rows))
	if err := nonIntegerConstant(sortBy, "ORDER BY"); err != nil {
		return nil, err
	}
	if err := checkSortOperators(sortBy); err != nil {
		return nil, err
	}
	for i := range rows {
		sc := scopeOf(i)
		k := make([]any, len(sortBy))
		for j, s := range sortBy {
			n := s.GetSortBy().Node
			if c := n.GetAConst(); c != nil {
				if iv, ok := c.Val.(*pg.A_Const_Ival); ok {
					p := int(iv.Ival.Ival)
					if p < 1 || p > len(rows[i]) {
						return nil, &Error{Code: CodeInvalidColumnReference, Message: fmt.Sprintf("ORDER BY position %d is not in select list", p), Position: int(c.Location) + 1}
					}
					k[j] = rows[i][p-1]
					continue
				}
			}
			v, err := x.eval(n, sc)
			if err != nil {
				return nil, err
			}
			k[j] = v
		}
		keys[i] = k
	}
	return keys, nil
}

// sortPerm is the stable order of rows by their sort keys, as indexes.
func sortPerm(keys [][]any, sortBy []*pg.Node) []int {
	perm := make([]int, len(keys))
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(a, b int) bool { return lessKeys(keys[perm[a]], keys[perm[b]], sortBy) })
	return perm
}

// permute returns rows and, when not nil, their companion keys in the order perm gives.
func permute(rows, keys [][]any, perm []int) ([][]any, [][]any) {
	r := make([][]any, len(perm))
	var k [][]any
	if keys != nil {
		k = make([][]any, len(perm))
	}
	for i, p := range perm {
		r[i] = rows[p]
		if k != nil {
			k[i] = keys[p]
		}
	}
	return r, k
}

// nonIntegerConstant is PostgreSQL's 42601 for a constant other than an integer (a position) among GROUP BY or
// ORDER BY items (what names the clause), found before any row is read.
func nonIntegerConstant(items []*pg.Node, what string) error {
	for _, it := range items {
		n := it
		if sb := it.GetSortBy(); sb != nil {
			n = sb.Node
		}
		if c := n.GetAConst(); c != nil && (c.Isnull || c.GetFval() != nil || c.GetSval() != nil || c.GetBoolval() != nil) {
			return &Error{Code: CodeSyntaxError, Message: "non-integer constant in " + what, Position: int(c.Location) + 1}
		}
	}
	return nil
}

// sortOperator is the operator of ORDER BY ... USING op.
func sortOperator(sb *pg.SortBy) string {
	if len(sb.UseOp) == 0 {
		return ""
	}
	return sb.UseOp[len(sb.UseOp)-1].GetString_().Sval
}

// checkSortOperators refuses (42809), as PostgreSQL does, an ORDER BY ... USING operator that is not an ordering
// one: < and > (and the text pattern operators ~<~ and ~>~, the same order here, strings comparing byte by byte).
func checkSortOperators(sortBy []*pg.Node) error {
	for _, s := range sortBy {
		if sb := s.GetSortBy(); sb != nil && sb.SortbyDir == pg.SortByDir_SORTBY_USING {
			switch op := sortOperator(sb); op {
			case "<", ">", "~<~", "~>~":
			default:
				return &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("operator %s is not a valid ordering operator", op),
					Hint: `Ordering operators must be "<" or ">" members of btree operator families.`, Position: int(sb.Location) + 1}
			}
		}
	}
	return nil
}

func lessKeys(a, b []any, sortBy []*pg.Node) bool {
	for j, s := range sortBy {
		if c := cmpSortKey(a[j], b[j], s.GetSortBy()); c != 0 {
			return c < 0
		}
	}
	return false
}

// sortDirection is how an ORDER BY item orders: descending or not, and NULLs first or last. USING > orders as
// DESC does, NULLs first by default too; USING < as ASC (sortKeys refuses any other).
func sortDirection(sb *pg.SortBy) (desc, nullsFirst bool) {
	desc = sb.SortbyDir == pg.SortByDir_SORTBY_DESC ||
		sb.SortbyDir == pg.SortByDir_SORTBY_USING && (sortOperator(sb) == ">" || sortOperator(sb) == "~>~")
	nullsFirst = desc
	switch sb.SortbyNulls {
	case pg.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	return desc, nullsFirst
}

// cmpSortKey orders two values of one ORDER BY item: negative when a comes first, 0 for peers.
func cmpSortKey(a, b any, sb *pg.SortBy) int {
	desc, nullsFirst := sortDirection(sb)
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case (a == nil) == nullsFirst:
			return -1
		}
		return 1
	}
	c, _ := compare(a, b)
	if desc {
		return -c
	}
	return c
}

// limit applies OFFSET and LIMIT.
func (x *exec) limit(sel *pg.SelectStmt, rows [][]any, keys [][]any, outer *scope) ([][]any, error) {
	off, lim, err := x.limitBounds(sel, outer)
	if err != nil {
		return nil, err
	}
	if off >= int64(len(rows)) {
		return nil, nil
	}
	rows = rows[off:]
	if lim < 0 || lim >= int64(len(rows)) {
		return rows, nil
	}
	end := lim
	if withTies(sel) && lim > 0 {
		// FETCH FIRST n ROWS WITH TIES: the rows after the n-th that sort equal to it come too.
		keys = keys[off:]
		for end < int64(len(rows)) && equalKeys(keys[end], keys[lim-1], sel.SortClause) {
			end++
		}
	}
	return rows[:end], nil
}

// withTies reports FETCH FIRST ... WITH TIES.
func withTies(sel *pg.SelectStmt) bool {
	return sel.LimitOption == pg.LimitOption_LIMIT_OPTION_WITH_TIES
}

// equalKeys reports whether two rows' ORDER BY keys sort equal.
func equalKeys(a, b []any, sortBy []*pg.Node) bool {
	return !lessKeys(a, b, sortBy) && !lessKeys(b, a, sortBy)
}

// limitBounds evaluates OFFSET (0 without one) and LIMIT (-1 without one, or LIMIT NULL / ALL).
func (x *exec) limitBounds(sel *pg.SelectStmt, outer *scope) (off, lim int64, err error) {
	sc := &scope{outer: outer}
	bound := func(n *pg.Node, code, msg string) (int64, bool, error) {
		if n == nil {
			return 0, false, nil
		}
		v, err := x.eval(n, sc)
		if err != nil || v == nil {
			return 0, false, err
		}
		c, err := coerce(v, OIDInt8)
		if err != nil {
			return 0, false, err
		}
		if c.(int64) < 0 {
			return 0, false, errorf(code, "%s", msg)
		}
		return c.(int64), true, nil
	}
	off, _, err = bound(sel.LimitOffset, "2201X", "OFFSET must not be negative")
	if err != nil {
		return 0, 0, err
	}
	lim, ok, err := bound(sel.LimitCount, "2201W", "LIMIT must not be negative")
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		if withTies(sel) {
			return 0, 0, errorf("2201W", "row count cannot be null in FETCH FIRST ... WITH TIES clause")
		}
		lim = -1
	}
	return off, lim, nil
}

// expandStars returns targets with each * (or t.*) replaced by references to the columns it stands for, qualified
// by their table; targets itself when there is none.
func expandStars(targets []*pg.Node, src *relation) []*pg.Node {
	var out []*pg.Node
	for i, t := range targets {
		cr := t.GetResTarget().Val.GetColumnRef()
		f := []string(nil)
		if cr != nil {
			f = columnFields(cr)
		}
		if len(f) == 0 || f[len(f)-1] != "*" || len(f) == 2 && !isQualifier(src.cols, f[0]) {
			if out != nil {
				out = append(out, t)
			}
			continue
		}
		if out == nil {
			out = append([]*pg.Node{}, targets[:i]...)
		}
		qual := ""
		if len(f) == 2 {
			qual = f[0]
		}
		for _, c := range src.visible(qual) {
			col := src.cols[c]
			fields := []*pg.Node{pg.MakeStrNode(col.name)}
			if col.qual != "" {
				fields = append([]*pg.Node{pg.MakeStrNode(col.qual)}, fields...)
			}
			ref := &pg.Node{Node: &pg.Node_ColumnRef{ColumnRef: &pg.ColumnRef{Fields: fields, Location: cr.Location}}}
			out = append(out, &pg.Node{Node: &pg.Node_ResTarget{ResTarget: &pg.ResTarget{Val: ref, Location: cr.Location}}})
		}
	}
	if out == nil {
		return targets
	}
	return out
}

// hasAggregate reports whether a target list calls an aggregate outside a
// subquery.
func hasAggregate(targets []*pg.Node) bool {
	for _, t := range targets {
		if containsAggregate(t.GetResTarget().Val) {
			return true
		}
	}
	return false
}

func containsAggregate(n *pg.Node) bool {
	if n == nil {
		return false
	}
	return walkNoSub(n, func(m *pg.Node) bool {
		f := m.GetFuncCall()
		return f != nil && isAggregate(f)
	})
}

// walkNoSub reports whether fn holds for n or a node inside it, not
// looking into subqueries.
func walkNoSub(n *pg.Node, fn func(*pg.Node) bool) bool {
	if n == nil {
		return false
	}
	if fn(n) {
		return true
	}
	// The common expression nodes are walked directly: reflection over
	// them costs more than the rest of a small statement's translation.
	switch v := n.Node.(type) {
	case *pg.Node_SubLink:
		return false
	case *pg.Node_AConst, *pg.Node_ParamRef, *pg.Node_String_, *pg.Node_Integer, *pg.Node_Float, *pg.Node_Boolean, *pg.Node_AStar:
		return false
	case *pg.Node_ColumnRef:
		return walkList(v.ColumnRef.Fields, fn)
	case *pg.Node_AExpr:
		a := v.AExpr
		return walkList(a.Name, fn) || walkNoSub(a.Lexpr, fn) || walkNoSub(a.Rexpr, fn)
	case *pg.Node_BoolExpr:
		return walkNoSub(v.BoolExpr.Xpr, fn) || walkList(v.BoolExpr.Args, fn)
	case *pg.Node_NullTest:
		return walkNoSub(v.NullTest.Xpr, fn) || walkNoSub(v.NullTest.Arg, fn)
	}
	return walkChildren(n.ProtoReflect(), fn)
}

// walkList applies walkNoSub to each node of a list, in order.
func walkList(l []*pg.Node, fn func(*pg.Node) bool) bool {
	for _, c := range l {
		if walkNoSub(c, fn) {
			return true
		}
	}
	return false
}

// walkChildren applies walkNoSub to the nodes inside m.
func walkChildren(m protoreflect.Message, fn func(*pg.Node) bool) bool {
	return eachChild(m, func(n *pg.Node) bool { return walkNoSub(n, fn) })
}

// eachChild calls visit on each node directly inside m (through the messages that are not nodes), in order,
// until visit returns true; it reports whether one did.
func eachChild(m protoreflect.Message, visit func(*pg.Node) bool) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		one := func(c protoreflect.Message) {
			if nn, ok := c.Interface().(*pg.Node); ok {
				found = visit(nn)
			} else {
				found = eachChild(c, visit)
			}
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !found; i++ {
				one(l.Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			one(v.Message())
		}
		return !found
	})
	return found
}

// sqlValueNames are the column names of the SQL-standard functions written without parentheses.
var sqlValueNames = map[pg.SQLValueFunctionOp]string{
	pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE: "current_date", pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME: "current_time",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N: "current_time", pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP: "current_timestamp",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N: "current_timestamp", pg.SQLValueFunctionOp_SVFOP_LOCALTIME: "localtime",
	pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N: "localtime", pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP: "localtimestamp",
	pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N: "localtimestamp", pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE: "current_role",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_USER: "current_user", pg.SQLValueFunctionOp_SVFOP_USER: "user",
	pg.SQLValueFunctionOp_SVFOP_SESSION_USER: "session_user", pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG: "current_catalog",
	pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA: "current_schema",
}

// exprNameStrong is exprName of a cast or a CASE, and whether the name is a strong one in PostgreSQL's
// FigureColname: a cast takes the name of what it casts when that is strong (x::int8 is x), else its type's, a
// weak one ('abc'::bytea::text is text); a CASE takes its ELSE's name when strong (CASE ... ELSE upper(k) END is
// upper), else the weak "case" (CASE ... END::text is text).
func exprNameStrong(n *pg.Node) (string, bool) {
	switch {
	case n.GetTypeCast() != nil:
		arg := n.GetTypeCast().Arg
		for arg.GetTypeCast() != nil {
			arg = arg.GetTypeCast().Arg
		}
		if inner, strong := exprNameStrong(arg); strong {
			return inner, true
		}
		tn := n.GetTypeCast().TypeName.Names
		return tn[len(tn)-1].GetString_().GetSval(), false
	case n.GetCaseExpr() != nil:
		if d := n.GetCaseExpr().Defresult; d != nil {
			if name, strong := exprNameStrong(d); strong {
				return name, true
			}
		}
		return "case", false
	}
	name := exprName(n)
	return name, name != "?column?"
}

// exprName is the column name PostgreSQL gives an unnamed expression.
func exprName(n *pg.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := columnFields(n.GetColumnRef())
		return f[len(f)-1]
	case n.GetFuncCall() != nil:
		return funcName(n.GetFuncCall())
	case n.GetTypeCast() != nil, n.GetCaseExpr() != nil:
		name, _ := exprNameStrong(n)
		return name
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetSqlvalueFunction() != nil:
		return sqlValueNames[n.GetSqlvalueFunction().Op]
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_NULLIF:
		return "nullif"
	case n.GetCollateClause() != nil:
		return exprName(n.GetCollateClause().Arg)
	case n.GetGroupingFunc() != nil:
		return "grouping"
	case n.GetRowExpr() != nil:
		return "row"
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection().Indirection
		if s := ind[len(ind)-1].GetString_(); s != nil {
			return s.Sval
		}
		return exprName(n.GetAIndirection().Arg)
	case n.GetSubLink() != nil:
		switch n.GetSubLink().SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK, pg.SubLinkType_ROWCOMPARE_SUBLINK:
			return "?column?" // x = ANY (SELECT ...), x IN (SELECT ...): an operator's result
		}
		if sel := n.GetSubLink().Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
			rt := sel.TargetList[0].GetResTarget()
			if rt.Name != "" {
				return rt.Name
			}
			return exprName(rt.Val)
		}
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().Op == pg.MinMaxOp_IS_GREATEST {
			return "greatest"
		}
		return "least"
	}
	return "?column?"
}

// uniqueFromNames refuses, as PostgreSQL's parser does, a FROM list (and the JOINs in it) that names two sources
// alike: 42712, table name "t" specified more than once. A source's name is its alias, else its table's or
// function's name; a JOIN with an alias is that one name. taken are names already in use (an UPDATE's target).
func uniqueFromNames(items []*pg.Node, taken []string) error {
	if len(items) == 1 && len(taken) == 0 && items[0].GetJoinExpr() == nil {
		return nil // one source: nothing to repeat (the common case, without a map)
	}
	seen := map[string]bool{}
	for _, n := range taken {
		seen[n] = true
	}
	var add func(n *pg.Node) error
	add = func(n *pg.Node) error {
		name := ""
		switch {
		case n.GetRangeVar() != nil:
			rv := n.GetRangeVar()
			name = rv.Relname
			if rv.Alias != nil {
				name = rv.Alias.Aliasname
			}
		case n.GetRangeSubselect() != nil:
			if a := n.GetRangeSubselect().Alias; a != nil {
				name = a.Aliasname
			}
		case n.GetRangeTableSample() != nil:
			return add(n.GetRangeTableSample().Relation)
		case n.GetRangeFunction() != nil:
			rf := n.GetRangeFunction()
			if rf.Alias != nil {
				name = rf.Alias.Aliasname
			} else if len(rf.Functions) == 1 {
				if items := rf.Functions[0].GetList().GetItems(); len(items) > 0 && items[0].GetFuncCall() != nil {
					name = funcName(items[0].GetFuncCall())
				}
			}
		case n.GetJoinExpr() != nil:
			j := n.GetJoinExpr()
			if j.Alias != nil {
				name = j.Alias.Aliasname
				break
			}
			if err := add(j.Larg); err != nil {
				return err
			}
			return add(j.Rarg)
		}
		if name == "" {
			return nil
		}
		if seen[name] {
			return &Error{Code: CodeDuplicateAlias, Message: fmt.Sprintf("table name %q specified more than once", name)}
		}
		seen[name] = true
		return nil
	}
	for _, it := range items {
		if err := add(it); err != nil {
			return err
		}
	}
	return nil
}
