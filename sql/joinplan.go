package sql

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Joins read less and pair faster than the nested loops of joinMatch alone:
//
//   - The conditions of a WHERE clause (and of an inner join's ON) that name the columns of one table only are
//     that table's scan's filter (pushdown), so the storage reads what the filter selects, by an index when one
//     fits. A condition goes to a table on the side of a join whose rows it may remove without changing the
//     result: either side of an inner join, the preserved side of an outer join for WHERE, the nullable side for
//     ON. The whole clause is still evaluated over the joined rows.
//   - Equalities between a column of each side (a.id = b.a_id), in ON or in the WHERE clause of a FROM list, pair
//     the rows through a hash table of one side, when both columns have types whose equal values have one key
//     (numbers, text, booleans, dates and times); the join's conditions are still evaluated for each pair found.

// fromNames are the sources one FROM clause names: each qualifier with its columns, nil when they are not known
// before the source is read (a schemaless table, a subquery, a WITH query, a view).
type fromNames map[string]map[string]bool

// namesOf collects the sources of a FROM list's items, joins walked.
func (x *exec) namesOf(items []*pg.Node) fromNames {
	names := fromNames{}
	var add func(n *pg.Node)
	add = func(n *pg.Node) {
		switch {
		case n.GetRangeVar() != nil:
			rv := n.GetRangeVar()
			qual := rv.Relname
			if rv.Alias != nil {
				qual = rv.Alias.Aliasname
			}
			names[qual] = nil
			if rv.Schemaname != "" || (rv.Alias != nil && len(rv.Alias.Colnames) > 0) || x.cte(rv.Relname) != nil || isCatalogName(rv.Relname) {
				return
			}
			t, err := x.lookupTable(rv.Relname, rv.Location)
			if err != nil || !t.declared || t.View != "" {
				return
			}
			cols := map[string]bool{}
			for _, c := range t.Columns {
				cols[c.Name] = true
			}
			names[qual] = cols
		case n.GetRangeFunction() != nil:
			rf := n.GetRangeFunction()
			cols := map[string]bool{"value": true, "key": true, "ordinality": true, "relid": true}
			qual := ""
			for _, fn := range rf.Functions {
				for _, f := range fn.GetList().GetItems() {
					if fc := f.GetFuncCall(); fc != nil {
						qual = funcName(fc)
						cols[qual] = true
					}
				}
			}
			if rf.Alias != nil {
				qual = rf.Alias.Aliasname
				cols[qual] = true
				for _, c := range rf.Alias.Colnames {
					cols[c.GetString_().GetSval()] = true
				}
			}
			names[qual] = cols
		case n.GetRangeSubselect() != nil:
			if a := n.GetRangeSubselect().Alias; a != nil {
				names[a.Aliasname] = nil
			} else {
				names[""] = nil
			}
		case n.GetRangeTableSample() != nil:
			add(n.GetRangeTableSample().Relation)
		case n.GetJoinExpr() != nil:
			j := n.GetJoinExpr()
			add(j.Larg)
			add(j.Rarg)
			if j.Alias != nil {
				names[j.Alias.Aliasname] = nil
			}
		default:
			names[""] = nil
		}
	}
	for _, it := range items {
		add(it)
	}
	return names
}

// pushableTo reports whether condition c names, of the FROM clause's sources, only the one qualified qual: its
// unqualified names are no other source's columns (and every other source's columns are known), its qualified
// ones are qual's or an enclosing query's. A subquery in c keeps it above the scan.
func (names fromNames) pushableTo(c *pg.Node, qual string) bool {
	ok := true
	walkNoSub(c, func(n *pg.Node) bool { // not reflection's walk: this runs for every statement with a WHERE
		switch v := n.Node.(type) {
		case *pg.Node_SubLink:
			ok = false
		case *pg.Node_ColumnRef:
			switch v := v.ColumnRef; len(v.Fields) {
			case 1:
				name := v.Fields[0].GetString_()
				if name == nil {
					ok = false
					break
				}
				for q, cols := range names {
					if q != qual && (cols == nil || cols[name.GetSval()]) {
						ok = false
					}
				}
			case 2:
				q := v.Fields[0].GetString_().GetSval()
				if _, other := names[q]; other && q != qual || v.Fields[1].GetString_() == nil {
					ok = false
				}
			default:
				ok = false
			}
		}
		return !ok
	})
	return ok
}

// unambiguous reports whether each unqualified column c names could be a column of one source at most (as
// PostgreSQL requires; an ambiguous name is an error once the condition is evaluated, which pairing rows by it
// must not skip). Without names (no FROM clause being read) nothing is known to be ambiguous.
func (names fromNames) unambiguous(c *pg.Node) bool {
	ok := true
	walk(c.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, isRef := m.Interface().(*pg.ColumnRef); isRef && len(cr.Fields) == 1 {
			name := cr.Fields[0].GetString_().GetSval()
			n := 0
			for _, cols := range names {
				if cols == nil || cols[name] {
					n++
				}
			}
			ok = n <= 1
		}
		return !ok
	})
	return ok
}

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(n *pg.Node) []*pg.Node {
	if n == nil {
		return nil
	}
	if b := n.GetBoolExpr(); b != nil && b.Boolop == pg.BoolExprType_AND_EXPR {
		return b.Args
	}
	return []*pg.Node{n}
}

// andOf joins conditions with AND; nil for none.
func andOf(conds []*pg.Node) *pg.Node {
	switch len(conds) {
	case 0:
		return nil
	case 1:
		return conds[0]
	}
	return pg.MakeBoolExprNode(pg.BoolExprType_AND_EXPR, conds, -1)
}

// joinSides distributes the conditions offered to a join (where: its enclosing WHERE clause's, or those its
// parent join passed down) and its own ON conditions to its two sides.
func joinSides(j *pg.JoinExpr, where *pg.Node) (l, r *pg.Node) {
	outer := conjuncts(where)
	var on []*pg.Node
	if len(j.UsingClause) == 0 && !j.IsNatural {
		on = conjuncts(j.Quals)
	}
	switch j.Jointype {
	case pg.JoinType_JOIN_INNER:
		both := append(append([]*pg.Node{}, outer...), on...)
		return andOf(both), andOf(both)
	case pg.JoinType_JOIN_LEFT:
		return andOf(outer), andOf(on)
	case pg.JoinType_JOIN_RIGHT:
		return andOf(on), andOf(outer)
	}
	return nil, nil
}

// equiKeys finds the equalities of column references among conds that pair a column of l with one of r: their
// column indexes in l and in r. When a side has a source whose unknown names are fields (a schemaless table, a
// catalog's columns Concord does not fill) only qualified references count: an unqualified one might be such a
// field.
func equiKeys(conds []*pg.Node, l, r *relation) (lk, rk []int) {
	open := false
	for _, rel := range []*relation{l, r} {
		for _, c := range rel.cols {
			open = open || c.open
		}
	}
	for _, c := range conds {
		a := c.GetAExpr()
		if a == nil || a.Kind != pg.A_Expr_Kind_AEXPR_OP || opName(a.Name) != "=" {
			continue
		}
		lc, rc := a.Lexpr.GetColumnRef(), a.Rexpr.GetColumnRef()
		if lc == nil || rc == nil || open && (len(lc.Fields) != 2 || len(rc.Fields) != 2) {
			continue
		}
		li, lInL := resolveIn(l, lc)
		ri, rInR := resolveIn(r, rc)
		if _, lInR := resolveIn(r, lc); lInL && rInR && !lInR {
			if _, rInL := resolveIn(l, rc); !rInL && hashable(l.cols[li].oid, r.cols[ri].oid) {
				lk, rk = append(lk, li), append(rk, ri)
			}
			continue
		}
		li, rInL := resolveIn(l, rc)
		ri, lInR := resolveIn(r, lc)
		if _, rInR := resolveIn(r, rc); rInL && lInR && !rInR {
			if _, lInL := resolveIn(l, lc); !lInL && hashable(l.cols[li].oid, r.cols[ri].oid) {
				lk, rk = append(lk, li), append(rk, ri)
			}
		}
	}
	return lk, rk
}

// resolveIn finds the one column of rel a reference names (as scope.lookup would), ok false when none or several.
func resolveIn(rel *relation, cr *pg.ColumnRef) (int, bool) {
	idx := -1
	for i, c := range rel.cols {
		if c.hidden {
			continue
		}
		var match bool
		switch len(cr.Fields) {
		case 1:
			match = !c.merged && c.name == cr.Fields[0].GetString_().GetSval()
		case 2:
			match = c.qual == cr.Fields[0].GetString_().GetSval() && c.name == cr.Fields[1].GetString_().GetSval()
		}
		if match {
			if idx >= 0 {
				return 0, false
			}
			idx = i
		}
	}
	return idx, idx >= 0
}

// hashable reports whether columns of types a and b may be paired by hashKey: both exact numbers (integers,
// numerics), both doubles, both text, both booleans, both dates or timestamps without time zone, or both
// timestamps with time zone (PostgreSQL compares one with a timestamp or date in the session's zone: the nested
// loop's evaluation does).
func hashable(a, b uint32) bool {
	class := func(oid uint32) int {
		switch oid {
		case OIDInt2, OIDInt4, OIDInt8, OIDNumeric, OIDOID: // an oid is a number (the catalogs' joins pair by them)
			return 1
		case OIDFloat4, OIDFloat8:
			return 5 // = compares an exact number with a double as doubles: 9007199254740993 equals 2^53
		case OIDText, OIDVarchar, OIDName:
			return 2
		case OIDBool:
			return 3
		case OIDDate, OIDTimestamp:
			return 4
		case OIDTimestamptz:
			return 6
		}
		return 0
	}
	return class(a) != 0 && class(a) == class(b)
}

// hashKey is a key equal for values that = finds equal: numbers by value whatever their representation (1, 1.0
// and the double 1 have one key), text by its bytes, times by their instant. ok is false for NULL (which equals
// nothing) and for values of other kinds.
func hashKey(v any) (string, bool) {
	switch x := v.(type) {
	case int64:
		return "i" + strconv.FormatInt(x, 10), true
	case float64:
		if x == float64(int64(x)) && x >= -9e18 && x <= 9e18 {
			return "i" + strconv.FormatInt(int64(x), 10), true
		}
		d, _, err := apd.NewFromString(strconv.FormatFloat(x, 'g', -1, 64))
		if err != nil {
			return "", false // NaN, infinities
		}
		return decHashKey(d)
	case *apd.Decimal:
		return decHashKey(x)
	case regclass:
		return "i" + strconv.FormatInt(x.oid, 10), true // = compares a regclass by its oid
	case string:
		return "s" + x, true
	case bool:
		if x {
			return "t", true
		}
		return "f", true
	case time.Time:
		return "T" + strconv.FormatInt(x.UnixNano(), 10), true
	}
	return "", false
}

// decHashKey is hashKey of a decimal: an integral one as the integer, another reduced to its shortest digits.
func decHashKey(d *apd.Decimal) (string, bool) {
	if d.Form != apd.Finite {
		return "", false
	}
	if i, err := d.Int64(); err == nil {
		var c apd.Decimal
		c.SetInt64(i)
		if c.Cmp(d) == 0 {
			return "i" + strconv.FormatInt(i, 10), true
		}
	}
	var r apd.Decimal
	r.Reduce(d)
	return "d" + r.Text('e'), true
}

// checkRefs fails as PostgreSQL does, before any row is read, when condition c names a column that none of the
// sources in sc has (42703) or several have (42702): conditions pushed into the tables' scans may leave no row
// for the condition to be evaluated over, and the reference would go unnoticed. Subqueries check their own.
func (x *exec) checkRefs(c *pg.Node, sc *scope) error {
	var bad error
	walkNoSub(c, func(m *pg.Node) bool {
		cr := m.GetColumnRef()
		if cr == nil {
			return false
		}
		fields := columnFields(cr)
		if fields[len(fields)-1] == "*" {
			return false
		}
		_, _, found, err := sc.lookup(fields)
		switch {
		case err != nil:
			bad = err
		case !found && !mayBeField(sc, fields) && x.attributeCall(fields, cr, sc) == nil:
			bad = unknownColumn(fields, cr.Location, sc)
		}
		return bad != nil
	})
	return bad
}

// mayBeField reports whether a name that no column of sc took may still be a field of a schemaless source's
// documents: several such sources share a scope, and which of them has the field shows only in their rows.
func mayBeField(sc *scope, fields []string) bool {
	if len(fields) > 1 && sc.qualifies(fields[0]) {
		return false
	}
	for s := sc; s != nil; s = s.outer {
		open := 0
		for _, c := range s.cols {
			if c.open {
				open++
			}
		}
		if open > 1 {
			return true
		}
	}
	return false
}

// Bounds of the keys a key lookup asks the storage for: by the primary key (an index) up to maxKeyLookups, by
// another column (which may have no index: the filter is then tested on every row) up to maxFieldLookups. Past
// them the other table is read whole and paired through the hash table.
const (
	maxKeyLookups   = 1000
	maxFieldLookups = 16
)

// keyLookup is the extra filter of the scan of FROM item n, a table joined to the rows of l already read: when
// an equality among conds links a column of l with a column of n's table (of a type hashable pairs), the
// table's rows are read by the distinct values l holds ({col: {$in: [...]}}, by an index when one fits, as an
// index nested-loop join reads them), as many as the bounds above allow. Only for joins where n's rows that match no
// row of l are not wanted: an inner join, or the nullable side of a LEFT join (conds then being its ON's).
func (x *exec) keyLookup(conds []*pg.Node, l *relation, n *pg.Node) (string, bson.D) {
	rv := n.GetRangeVar()
	// Described under EXPLAIN, the rule is shown with no values.
	if rv == nil || x.from == nil || len(l.rows) == 0 && !(x.describe && x.recording()) || rv.Schemaname != "" || x.cte(rv.Relname) != nil || isCatalogName(rv.Relname) {
		return "", nil
	}
	alias := rv.Relname
	if rv.Alias != nil {
		if len(rv.Alias.Colnames) > 0 {
			return "", nil
		}
		alias = rv.Alias.Aliasname
	}
	t, err := x.lookupTable(rv.Relname, rv.Location)
	if err != nil || !t.declared || t.View != "" {
		return "", nil
	}
	for _, c := range l.cols {
		if c.open {
			return "", nil
		}
	}
	for _, c := range conds {
		a := c.GetAExpr()
		if a == nil || a.Kind != pg.A_Expr_Kind_AEXPR_OP || opName(a.Name) != "=" {
			continue
		}
		for _, side := range [2][2]*pg.Node{{a.Lexpr, a.Rexpr}, {a.Rexpr, a.Lexpr}} {
			mine, theirs := side[0].GetColumnRef(), side[1].GetColumnRef()
			if mine == nil || theirs == nil || !x.from.pushableTo(side[0], alias) || x.from.pushableTo(side[1], alias) {
				continue
			}
			fields := columnFields(mine)
			if len(fields) == 2 && fields[0] != alias || len(fields) > 2 {
				continue // an enclosing query's column (pushableTo passes it as a constant), not the table's
			}
			col := t.column(fields[len(fields)-1])
			li, ok := resolveIn(l, theirs)
			if col == nil || !ok || !hashable(l.cols[li].oid, col.Type) {
				continue
			}
			limit := maxFieldLookups
			if t.field(col.Name) == "_id" {
				limit = maxKeyLookups
			}
			if f := lookupFilter(l, li, t.field(col.Name), col.Type, limit); f != nil {
				if x.recording() {
					x.ex.lookupRule = fmt.Sprintf("(%s = %s) for the distinct values read before, at most %d", exprTextNoParen(side[0]), colText(l.cols[li]), limit)
				}
				return alias, f
			}
		}
	}
	return "", nil
}

// lookupFilter is {field: {$in: [the distinct values of l's column li]}} for a column of type oid, nil when there
// are more than limit of them or one the filter cannot hold. An empty list matches no row: l's column
// holds only NULLs, which equal nothing.
func lookupFilter(l *relation, li int, field string, oid uint32, limit int) bson.D {
	seen := map[string]bool{}
	vals := bson.A{}
	for _, row := range l.rows {
		v := row[li]
		if v == nil {
			continue
		}
		k, ok := hashKey(v)
		if !ok {
			return nil
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		if len(seen) > limit {
			return nil
		}
		sv, ok := stored(v, oid)
		if !ok {
			return nil
		}
		vals = append(vals, sv)
	}
	return bson.D{{Key: field, Value: bson.D{{Key: "$in", Value: vals}}}}
}
