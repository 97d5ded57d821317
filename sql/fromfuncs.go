package sql

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// isLateral reports whether a FROM item may refer to the items before it: a function call (implicitly LATERAL,
// as in PostgreSQL) or a LATERAL subquery.
func isLateral(n *pg.Node) bool {
	if rf := n.GetRangeFunction(); rf != nil {
		// A function whose arguments name no column (generate_series(1, 32)) is evaluated once and joined as a
		// table is, by a hash join when the WHERE clause pairs it.
		return walk(rf.ProtoReflect(), func(m protoreflect.Message) bool {
			_, ref := m.Interface().(*pg.ColumnRef)
			return ref
		})
	}
	rs := n.GetRangeSubselect()
	return rs != nil && rs.Lateral
}

// lateral joins l with a FROM item evaluated once for each of l's rows, seeing that row's columns.
func (x *exec) lateral(l *relation, item *pg.Node, kind pg.JoinType, quals *pg.Node, outer *scope) (*relation, error) {
	if kind == pg.JoinType_JOIN_RIGHT || kind == pg.JoinType_JOIN_FULL {
		return nil, errorf(CodeFeatureNotSupported, "the combining JOIN type must be INNER or LEFT for a LATERAL reference")
	}
	rows := l.rows
	if x.describe || len(rows) == 0 {
		// The columns alone: evaluated on a row of NULLs, whose result is dropped.
		rows = [][]any{make([]any, len(l.cols))}
	}
	var out *relation
	start := time.Now()
	var inner *planNode // the plan of the item, its runs counted as loops
	for _, row := range rows {
		m := x.planMark()
		r, err := x.fromItem(item, nil, &scope{cols: l.cols, row: row, outer: outer})
		if err != nil {
			return nil, err
		}
		if n := x.planTop(m); n != nil {
			x.ex.stack = x.ex.stack[:m.at]
			if inner == nil {
				inner = n
			} else {
				mergePlan(inner, n)
			}
		}
		if x.recording() {
			x.ex.mute++
		}
		j, err := x.join(&relation{cols: l.cols, rows: [][]any{row}}, r, kind, quals, outer)
		if x.ex != nil && x.ex.mute > 0 {
			x.ex.mute--
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &relation{cols: j.cols}
		}
		if !x.describe && len(l.rows) > 0 {
			if len(out.rows)+len(j.rows) > maxJoinRows {
				return nil, errJoinTooLarge()
			}
			out.rows = append(out.rows, j.rows...)
		}
	}
	if inner != nil {
		x.ex.stack = append(x.ex.stack, inner)
		n := &planNode{typ: "Nested Loop", joinType: joinTypeName(kind)}
		if quals != nil {
			n.prop("Join Filter", exprText(quals))
		}
		x.planOver(2, n, x.rowsOf(out), time.Since(start))
	}
	return out, nil
}

// joinUsing is JOIN ... USING (cols) and NATURAL JOIN: the pairs whose named columns are equal, with each named
// column once at the front (for a FULL join the value of whichever side has one), then the other columns of
// both sides; the merged inputs stay reachable as a.col.
func (x *exec) joinUsing(l, r *relation, j *pg.JoinExpr, outer *scope) (*relation, error) {
	var names []string
	if j.IsNatural {
		for _, i := range l.visible("") {
			name := l.cols[i].name
			for _, k := range r.visible("") {
				if r.cols[k].name == name {
					names = append(names, name)
					break
				}
			}
		}
	} else {
		for _, n := range j.UsingClause {
			names = append(names, n.GetString_().GetSval())
		}
	}
	find := func(rel *relation, name, side string) (int, error) {
		idx := -1
		for _, i := range rel.visible("") {
			if rel.cols[i].name == name {
				if idx >= 0 {
					return 0, errorf(CodeAmbiguousColumn, "common column name \"%s\" appears more than once in %s table", name, side)
				}
				idx = i
			}
		}
		if idx < 0 {
			return 0, errorf(CodeUndefinedColumn, "column \"%s\" specified in USING clause does not exist in %s table", name, side)
		}
		return idx, nil
	}
	li, ri := make([]int, len(names)), make([]int, len(names))
	for k, name := range names {
		var err error
		if li[k], err = find(l, name, "left"); err != nil {
			return nil, err
		}
		if ri[k], err = find(r, name, "right"); err != nil {
			return nil, err
		}
	}
	nl := len(l.cols)
	match := func(row []any) (bool, error) {
		for k := range names {
			eq, err := binaryOp("=", row[li[k]], row[nl+ri[k]])
			if err != nil || eq != true {
				return false, err
			}
		}
		return true, nil
	}
	start := time.Now()
	joined, err := joinMatch(l, r, j.Jointype, match)
	if err != nil {
		return nil, err
	}
	if x.recording() {
		n := &planNode{typ: "Nested Loop", joinType: joinTypeName(j.Jointype)}
		n.prop("Join Filter", "USING ("+strings.Join(names, ", ")+")")
		x.planJoin(n, x.rowsOf(joined), start)
	}
	out := &relation{cols: make([]relCol, 0, len(names)+len(joined.cols))}
	for k, name := range names {
		oid := l.cols[li[k]].oid
		if oid == 0 || j.Jointype == pg.JoinType_JOIN_RIGHT {
			oid = r.cols[ri[k]].oid
		}
		out.cols = append(out.cols, relCol{name: name, oid: oid})
	}
	for i, c := range joined.cols {
		for k := range names {
			if i == li[k] || i == nl+ri[k] {
				c.merged = true
			}
		}
		out.cols = append(out.cols, c)
	}
	out.rows = make([][]any, len(joined.rows))
	for n, row := range joined.rows {
		o := make([]any, 0, len(out.cols))
		for k := range names {
			v := row[li[k]]
			if j.Jointype == pg.JoinType_JOIN_RIGHT || (v == nil && j.Jointype == pg.JoinType_JOIN_FULL) {
				v = row[nl+ri[k]]
			}
			o = append(o, v)
		}
		out.rows[n] = append(o, row...)
	}
	if j.Alias != nil {
		return requalify(out, j.Alias.Aliasname, j.Alias), nil
	}
	return out, nil
}

// rangeFunction is a function call in FROM: generate_series and unnest, one column named after the function
// (or the alias), with an ordinality column for WITH ORDINALITY. Any other function that returns one value
// (SELECT * FROM current_schema(), as ORMs ask) gives one row of it, as in PostgreSQL.
func (x *exec) rangeFunction(rf *pg.RangeFunction, outer *scope) (*relation, error) {
	if rf.IsRowsfrom {
		return x.rowsFrom(rf, outer)
	}
	if len(rf.Functions) != 1 {
		return nil, unsupported("several functions in one FROM item")
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil, unsupported("this FROM function")
	}
	f := items[0].GetFuncCall()
	name := funcName(f)
	sc := &scope{outer: outer}
	if _, ok := jsonRecordFuncs[name]; ok {
		return x.jsonToRecord(rf, f, sc)
	}
	if !builtInName(name) && jsonSets[name].cols == nil {
		if fn := x.userFunction(f); fn != nil {
			return x.functionFrom(rf, fn, f, sc) // a function made with CREATE FUNCTION (functions.go)
		}
	}
	if len(rf.Coldeflist) > 0 {
		return nil, errorf(CodeSyntaxError, "a column definition list is only allowed for functions returning \"record\"")
	}
	if name == "unnest" && len(f.Args) > 1 {
		return x.unnestMany(rf, f, sc)
	}
	var oid uint32
	scalar := false
	switch name {
	case "generate_series":
		if len(f.Args) < 2 || len(f.Args) > 3 {
			return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function generate_series with %d arguments does not exist", len(f.Args))}
		}
		oid = x.setType(f, sc)
		if oid == OIDTimestamptz {
			x.hint(f.Args[0], oid, sc)
			x.hint(f.Args[1], oid, sc)
			if len(f.Args) > 2 {
				x.hint(f.Args[2], OIDInterval, sc)
			}
		} else {
			for _, a := range f.Args {
				x.hint(a, oid, sc)
			}
		}
	case "unnest":
		if len(f.Args) != 1 {
			return nil, unsupported("unnest of several arrays")
		}
		oid = x.setType(f, sc)
	case "pg_partition_ancestors", "jsonb_object_keys", "json_object_keys", "regexp_split_to_table", "string_to_table":
		oid = OIDText
	case "regexp_matches":
		oid = OIDTextArray
	case "generate_subscripts":
		oid = OIDInt4
	case "jsonb_path_query", "jsonb_path_query_tz":
		oid = OIDJSONB
		if len(f.Args) > 1 {
			x.hint(f.Args[1], OIDJSONPath, sc)
		}
	default:
		if jsonSets[name].cols == nil {
			scalar = true
			oid = x.typeOf(items[0], sc)
			if oid == 0 || oid == OIDUnknown {
				oid = OIDText
			}
			break
		}
		oid = x.setType(f, sc)
	}
	// A function with OUT parameters names its columns after them, whatever the alias; another takes the alias's name.
	cols := []relCol{{name: name, oid: oid}}
	out := jsonSets[name].cols
	switch {
	case name == "pg_partition_ancestors":
		out = []relCol{{name: "relid", oid: OIDText}}
	case out != nil:
		out = append([]relCol{}, out...)
	}
	if out != nil {
		cols = out
	}
	qual := name
	dup := false // the value is in two columns
	if rf.Alias != nil {
		qual = rf.Alias.Aliasname
		switch {
		case out == nil:
			cols[0].name = rf.Alias.Aliasname
		case len(out) == 1 && len(rf.Alias.Colnames) == 0:
			// A function of one OUT parameter returns a scalar: the alias alone reads it (SELECT t FROM
			// jsonb_array_elements_text(x) AS t), and alias.value still does.
			cols = []relCol{out[0], {name: rf.Alias.Aliasname, oid: out[0].oid, whole: true}}
			dup = true
		}
	}
	for i := range cols {
		cols[i].qual = qual
	}
	if rf.Ordinality {
		cols = append(cols, relCol{qual: qual, name: "ordinality", oid: OIDInt8})
	}
	if rf.Alias != nil {
		if len(rf.Alias.Colnames) > len(cols) {
			return nil, errorf(CodeSyntaxError, "too many column aliases specified for function %s", name)
		}
		for i, c := range rf.Alias.Colnames {
			cols[i].name = c.GetString_().GetSval()
		}
	}
	rel := &relation{cols: cols}
	if x.describe {
		return rel, nil
	}
	var vals []any
	if scalar {
		v, err := x.eval(items[0], sc)
		if err != nil {
			return nil, err
		}
		vals = []any{v}
	} else {
		args, err := x.evalArgs(f.Args, sc)
		if err != nil {
			return nil, err
		}
		if vals, err = x.setValues(f, sc, oid, args); err != nil {
			return nil, err
		}
	}
	for i, v := range vals {
		row := []any{v}
		if r, isRow := v.(setRow); isRow {
			row = append([]any{}, r...)
		}
		if dup {
			row = append(row, v)
		}
		if rf.Ordinality {
			row = append(row, int64(i+1))
		}
		rel.rows = append(rel.rows, row)
	}
	return rel, nil
}

// rowsFrom is ROWS FROM (f(...) [AS (column definitions)], ...): each function's rows side by side, the first
// row of each in the first row, as many rows as the longest has, the shorter ones' columns NULL past their ends;
// its columns are the functions' in order (with ordinality last), named by the alias or the first function.
func (x *exec) rowsFrom(rf *pg.RangeFunction, outer *scope) (*relation, error) {
	if len(rf.Functions) == 1 { // as the function alone in FROM: its alias names a scalar one's column
		one := &pg.RangeFunction{Lateral: rf.Lateral, Ordinality: rf.Ordinality, Alias: rf.Alias, Functions: rf.Functions}
		if items := rf.Functions[0].GetList().GetItems(); len(items) > 1 && items[1].GetList() != nil {
			one.Coldeflist = items[1].GetList().GetItems()
		}
		return x.rangeFunction(one, outer)
	}
	var rels []*relation
	qual := ""
	for _, fn := range rf.Functions {
		items := fn.GetList().GetItems()
		if len(items) == 0 || items[0].GetFuncCall() == nil {
			return nil, unsupported("this FROM function")
		}
		if qual == "" {
			qual = funcName(items[0].GetFuncCall())
		}
		one := &pg.RangeFunction{Lateral: rf.Lateral, Functions: []*pg.Node{fn}}
		if len(items) > 1 && items[1].GetList() != nil {
			one.Coldeflist = items[1].GetList().GetItems() // f() AS (a int, b text)
		}
		rel, err := x.rangeFunction(one, outer)
		if err != nil {
			return nil, err
		}
		rels = append(rels, rel)
	}
	if rf.Alias != nil {
		qual = rf.Alias.Aliasname
	}
	out := &relation{}
	n := 0
	for _, rel := range rels {
		for _, c := range rel.cols {
			c.qual = qual
			out.cols = append(out.cols, c)
		}
		n = max(n, len(rel.rows))
	}
	if rf.Ordinality {
		out.cols = append(out.cols, relCol{qual: qual, name: "ordinality", oid: OIDInt8})
	}
	if rf.Alias != nil {
		if len(rf.Alias.Colnames) > len(out.cols) {
			return nil, errorf(CodeInvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified",
				qual, len(out.cols), len(rf.Alias.Colnames))
		}
		for i, c := range rf.Alias.Colnames {
			out.cols[i].name = c.GetString_().GetSval()
		}
	}
	if x.describe {
		return out, nil
	}
	for k := range n {
		row := make([]any, 0, len(out.cols))
		for _, rel := range rels {
			if k < len(rel.rows) {
				row = append(row, rel.rows[k]...)
			} else {
				row = append(row, make([]any, len(rel.cols))...)
			}
		}
		if rf.Ordinality {
			row = append(row, int64(k+1))
		}
		out.rows = append(out.rows, row)
	}
	return out, nil
}

// unnestMany is unnest(a, b, ...) in FROM: a column for each array, named unnest unless the alias names them,
// and a row for each position up to the longest array's length, a shorter array's column NULL past its end, as in
// PostgreSQL (INSERT ... SELECT * FROM unnest($1::int[], $2::text[]) inserts rows from parallel arrays).
func (x *exec) unnestMany(rf *pg.RangeFunction, f *pg.FuncCall, sc *scope) (*relation, error) {
	qual := "unnest"
	if rf.Alias != nil {
		qual = rf.Alias.Aliasname
	}
	var cols []relCol
	for _, a := range f.Args {
		oid := types[x.typeOf(a, sc)].elem
		if oid == 0 {
			oid = OIDText
		}
		cols = append(cols, relCol{qual: qual, name: "unnest", oid: oid})
	}
	if rf.Ordinality {
		cols = append(cols, relCol{qual: qual, name: "ordinality", oid: OIDInt8})
	}
	if rf.Alias != nil {
		if len(rf.Alias.Colnames) > len(cols) {
			return nil, errorf(CodeInvalidColumnReference, "table \"%s\" has %d columns available but %d columns specified",
				qual, len(cols), len(rf.Alias.Colnames))
		}
		for i, c := range rf.Alias.Colnames {
			cols[i].name = c.GetString_().GetSval()
		}
	}
	rel := &relation{cols: cols}
	if x.describe {
		return rel, nil
	}
	args, err := x.evalArgs(f.Args, sc)
	if err != nil {
		return nil, err
	}
	arrays := make([][]any, len(args))
	n := 0
	for i, a := range args {
		if a == nil {
			continue // a NULL array has no elements
		}
		arr, ok := a.([]any)
		if !ok {
			return nil, errorf(CodeUndefinedFunction, "function unnest(%s) does not exist", TypeName(valueOID(a)))
		}
		arrays[i] = arr
		n = max(n, len(arr))
	}
	for k := range n {
		row := make([]any, 0, len(cols))
		for _, arr := range arrays {
			var v any
			if k < len(arr) {
				v = arr[k]
			}
			row = append(row, v)
		}
		if rf.Ordinality {
			row = append(row, int64(k+1))
		}
		rel.rows = append(rel.rows, row)
	}
	return rel, nil
}

// setRow is one row of a set-returning function of several columns (jsonb_each's key and value).
type setRow []any

// jsonSets are the set-returning functions over json and jsonb: their columns (their OUT parameters), and
// whether their values are text.
var jsonSets = map[string]struct {
	cols []relCol
	text bool
}{
	"jsonb_array_elements":      {cols: []relCol{{name: "value", oid: OIDJSONB}}},
	"json_array_elements":       {cols: []relCol{{name: "value", oid: OIDJSON}}},
	"jsonb_array_elements_text": {cols: []relCol{{name: "value", oid: OIDText}}, text: true},
	"json_array_elements_text":  {cols: []relCol{{name: "value", oid: OIDText}}, text: true},
	"jsonb_each":                {cols: []relCol{{name: "key", oid: OIDText}, {name: "value", oid: OIDJSONB}}},
	"json_each":                 {cols: []relCol{{name: "key", oid: OIDText}, {name: "value", oid: OIDJSON}}},
	"jsonb_each_text":           {cols: []relCol{{name: "key", oid: OIDText}, {name: "value", oid: OIDText}}, text: true},
	"json_each_text":            {cols: []relCol{{name: "key", oid: OIDText}, {name: "value", oid: OIDText}}, text: true},
	// pg_options_to_table lists the storage options of a relation or column (pg_dump asks for them): Concord's
	// have none, and the catalogs show NULL for them, so it returns no rows.
	"pg_options_to_table": {cols: []relCol{{name: "option_name", oid: OIDText}, {name: "option_value", oid: OIDText}}, text: true},
}

// jsonSetFunc evaluates a set-returning function of jsonSets over j.
func jsonSetFunc(name string, j bson.RawValue) ([]any, error) {
	f := jsonSets[name]
	value := func(v bson.RawValue) any {
		if f.text {
			return jsonFieldText(v)
		}
		return v
	}
	if len(f.cols) == 1 {
		if j.Type != bson.TypeArray {
			what := "a scalar"
			if j.Type == bson.TypeEmbeddedDocument {
				what = "an object"
			}
			return nil, errorf(CodeInvalidParameterValue, "cannot extract elements from %s", what)
		}
		vals, _ := j.Array().Values()
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = value(v)
		}
		return out, nil
	}
	if j.Type != bson.TypeEmbeddedDocument {
		return nil, errorf(CodeInvalidParameterValue, "cannot call %s on a non-object", name)
	}
	elems, _ := j.Document().Elements()
	out := make([]any, len(elems))
	for i, e := range elems {
		out[i] = setRow{e.Key(), value(e.Value())}
	}
	return out, nil
}

// setReturning are the set-returning functions: in FROM, and at the top of a select list's item.
// pg_partition_ancestors lists the partitions above a partition: none, as Concord's tables are not partitioned
// (psql's \d asks for them).
var setReturning = map[string]bool{"generate_series": true, "unnest": true, "pg_partition_ancestors": true,
	"jsonb_object_keys": true, "json_object_keys": true, "regexp_matches": true, "generate_subscripts": true,
	"regexp_split_to_table": true, "string_to_table": true, "jsonb_path_query": true, "jsonb_path_query_tz": true,
	"_pg_expandarray": true}

func init() {
	for name := range jsonSets {
		setReturning[name] = true
	}
}

// targetSet evaluates a set-returning function at the top of a select list's item, for one row.
func (x *exec) targetSet(f *pg.FuncCall, sc *scope) ([]any, error) {
	if fn := x.userSetFunction(f); fn != nil {
		return x.functionSet(fn, f, sc)
	}
	args, err := x.evalArgs(f.Args, sc)
	if err != nil {
		return nil, err
	}
	if cols := jsonSets[funcName(f)].cols; len(cols) > 1 {
		// A function returning records (jsonb_each): each row a record of its columns, (a,1), whose fields
		// (jsonb_each(j)).key reads.
		vals, err := setFunc(funcName(f), OIDRecord, args, x.zone())
		if err != nil {
			return nil, err
		}
		names, oids := make([]string, len(cols)), make([]uint32, len(cols))
		for i, c := range cols {
			names[i], oids[i] = c.name, c.oid
		}
		for i, v := range vals {
			if r, ok := v.(setRow); ok {
				vals[i] = record{names: names, vals: r[:], oids: oids}
			}
		}
		return vals, nil
	}
	return x.setValues(f, sc, x.setType(f, sc), args)
}

// setValues is setFunc for the call f in scope sc: a vector's subscripts (generate_subscripts of an int2vector or
// oidvector, pg_index.indkey: Prisma's column_index) count from 0.
func (x *exec) setValues(f *pg.FuncCall, sc *scope, oid uint32, args []any) ([]any, error) {
	vals, err := setFunc(funcName(f), oid, args, x.zone())
	if err == nil && funcName(f) == "generate_subscripts" && len(f.Args) > 0 && IsVector(x.typeOf(f.Args[0], sc)) {
		for i := range vals {
			vals[i] = vals[i].(int64) - 1
		}
	}
	return vals, err
}

// setType is the type of a set-returning function's values.
func (x *exec) setType(f *pg.FuncCall, sc *scope) uint32 {
	if n := funcName(f); n == "pg_partition_ancestors" || n == "jsonb_object_keys" || n == "json_object_keys" || n == "regexp_split_to_table" ||
		n == "string_to_table" {
		return OIDText
	}
	if c := jsonSets[funcName(f)].cols; len(c) > 1 {
		return OIDRecord
	} else if c != nil {
		return c[0].oid
	}
	if n := funcName(f); n == "jsonb_path_query" || n == "jsonb_path_query_tz" {
		return OIDJSONB
	}
	if funcName(f) == "_pg_expandarray" {
		return OIDRecord
	}
	if funcName(f) == "regexp_matches" {
		return OIDTextArray
	}
	if funcName(f) == "generate_subscripts" {
		return OIDInt4
	}
	if funcName(f) == "unnest" {
		if len(f.Args) == 0 {
			return OIDText
		}
		if e := types[x.typeOf(f.Args[0], sc)].elem; e != 0 {
			return e
		}
		return OIDText
	}
	if len(f.Args) < 2 {
		return OIDInt4
	}
	oid := widen(x.typeOf(f.Args[0], sc), x.typeOf(f.Args[1], sc))
	if len(f.Args) > 2 && isNumericType(oid) {
		oid = widen(oid, x.typeOf(f.Args[2], sc)) // generate_series(1, 3, 0.5) is numeric
	}
	if funcName(f) == "generate_series" {
		// A parameter bound takes the other bound's type (generate_series(1, $1): integers), the step an
		// interval's for timestamps.
		bound := oid
		switch bound {
		case 0:
			bound = OIDInt4
		case OIDDate:
			bound = OIDTimestamptz // dates step as timestamps with time zone, as PostgreSQL resolves them
		}
		x.hint(f.Args[0], bound, sc)
		x.hint(f.Args[1], bound, sc)
		if len(f.Args) > 2 {
			step := bound
			if category(bound) == OIDTimestamptz {
				step = OIDInterval
			}
			x.hint(f.Args[2], step, sc)
		}
	}
	switch oid {
	case 0:
		return OIDInt4
	case OIDDate:
		return OIDTimestamptz
	}
	return oid
}

// maxSeries bounds the rows one generate_series may produce, so that a typo cannot exhaust the server's memory.
const maxSeries = 1_000_000

// setFunc evaluates a set-returning function's values: generate_series(start, stop[, step]) over integers,
// numbers or timestamps (with an interval step; a timestamp with time zone's steps are added in loc, the session's
// zone), and unnest(array).
func setFunc(name string, oid uint32, args []any, loc *time.Location) ([]any, error) {
	want := map[string][2]int{"unnest": {1, 1}, "generate_series": {2, 3}, "pg_partition_ancestors": {1, 1},
		"jsonb_object_keys": {1, 1}, "json_object_keys": {1, 1}, "regexp_matches": {2, 3}, "generate_subscripts": {2, 3},
		"regexp_split_to_table": {2, 3}, "string_to_table": {2, 3}}[name]
	if jsonSets[name].cols != nil {
		want = [2]int{1, 1}
	}
	if name == "jsonb_path_query" || name == "jsonb_path_query_tz" {
		return jsonPathQuery(context.Background(), name, args)
	}
	if name == "_pg_expandarray" {
		return expandArray(args)
	}
	if len(args) < want[0] || len(args) > want[1] {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if name == "string_to_table" {
		// string_to_array's elements, one a row: its delimiter and null string may be NULL.
		v, _, err := builtin("string_to_array", args)
		a, _ := v.([]any)
		return a, err
	}
	for _, a := range args {
		if a == nil {
			return nil, nil
		}
	}
	if name == "pg_partition_ancestors" || name == "pg_options_to_table" {
		return nil, nil
	}
	if name == "generate_subscripts" {
		// generate_subscripts(array, dim [, reverse]): the subscripts of a one-dimensional array's dimension 1.
		a, ok := args[0].([]any)
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "generate_subscripts needs an array")
		}
		dim, isInt := args[1].(int64)
		if !isInt || dim != 1 {
			return nil, nil
		}
		out := make([]any, len(a))
		for i := range a {
			out[i] = int64(i + 1)
		}
		if len(args) > 2 && asBool(args[2]) == true {
			slices.Reverse(out)
		}
		return out, nil
	}
	if name == "regexp_split_to_table" {
		flags := ""
		if len(args) > 2 {
			flags = formatText(args[2])
		}
		return regexpSplit(formatText(args[0]), formatText(args[1]), flags)
	}
	if name == "regexp_matches" {
		flags := ""
		if len(args) > 2 {
			flags = formatText(args[2])
		}
		return regexpMatches(formatText(args[0]), formatText(args[1]), flags)
	}
	if jsonSets[name].cols != nil {
		j, err := jsonOf(args[0])
		if err != nil {
			return nil, err
		}
		return jsonSetFunc(name, j)
	}
	if name == "json_object_keys" {
		// json keeps its text's keys in their order (jsonb sorts them).
		text, isText := args[0].(string)
		if jt, ok := args[0].(jsonText); ok {
			text, isText = string(jt), true
		}
		if isText {
			if v, err := jsonDecode(text); err == nil {
				if d, ok := v.(bson.D); ok {
					keys := make([]any, len(d))
					for i, e := range d {
						keys[i] = e.Key
					}
					return keys, nil
				}
			}
		}
	}
	if name == "jsonb_object_keys" || name == "json_object_keys" {
		j, err := jsonOf(args[0])
		if err != nil {
			return nil, err
		}
		if j.Type != bson.TypeEmbeddedDocument {
			return nil, errorf(CodeInvalidParameterValue, "cannot call %s on a non-object", name)
		}
		elems, _ := j.Document().Elements()
		keys := make([]any, len(elems))
		for i, e := range elems {
			keys[i] = e.Key()
		}
		return keys, nil
	}
	if name == "unnest" {
		a, ok := args[0].([]any)
		if !ok {
			c, err := coerce(args[0], OIDTextArray)
			if err != nil {
				return nil, errorf(CodeDatatypeMismatch, "unnest needs an array")
			}
			a = c.([]any)
		}
		return arrayFlat(a), nil // a multi-dimensional array's elements in storage order
	}
	tooMany := errorf(CodeProgramLimitExceeded, "generate_series would return more than %d rows", maxSeries)
	switch oid {
	case OIDTimestamptz, OIDTimestamp:
		if len(args) < 3 {
			return nil, &Error{Code: CodeUndefinedFunction, Message: "function generate_series(timestamp with time zone, timestamp with time zone) does not exist",
				Hint: "Give a step: generate_series(start, stop, interval)."}
		}
		var ts [2]time.Time
		for i := range ts {
			v, err := coerce(args[i], OIDTimestamptz)
			if err != nil {
				return nil, err
			}
			ts[i] = v.(time.Time)
		}
		st, err := coerce(args[2], OIDInterval)
		if err != nil {
			return nil, err
		}
		step := st.(interval)
		dir := compareIntervals(step, interval{})
		if dir == 0 {
			return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
		}
		var out []any
		start := ts[0]
		if oid == OIDTimestamptz && infinite(start) == 0 {
			start = start.In(loc) // steps of days and months on the session zone's calendar
		}
		for t := start; (dir > 0 && !t.After(ts[1])) || (dir < 0 && !t.Before(ts[1])); {
			if len(out) == maxSeries {
				return nil, tooMany
			}
			out = append(out, t.UTC())
			next, err := step.addTo(t)
			if err != nil {
				return nil, err
			}
			t = next
		}
		return out, nil
	case OIDInt2, OIDInt4, OIDInt8:
		var n [3]int64
		n[2] = 1
		for i, a := range args {
			v, err := coerce(a, OIDInt8)
			if err != nil {
				return nil, err
			}
			n[i] = v.(int64)
		}
		if n[2] == 0 {
			return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
		}
		var out []any
		for i := n[0]; (n[2] > 0 && i <= n[1]) || (n[2] < 0 && i >= n[1]); i += n[2] {
			if len(out) == maxSeries {
				return nil, tooMany
			}
			out = append(out, i)
			if (n[2] > 0 && i > n[1]-n[2]) || (n[2] < 0 && i < n[1]-n[2]) {
				break // the next step would overflow or pass stop
			}
		}
		return out, nil
	}
	if oid == OIDNumeric {
		// Numerics step exactly, each value with the scale of start and step (1.0, 1.5, 2.0).
		d := [3]*apd.Decimal{nil, nil, decFromInt(1)}
		for i, a := range args {
			v, err := coerce(a, OIDNumeric)
			if err != nil {
				return nil, err
			}
			d[i] = v.(*apd.Decimal)
			if d[i].Form != apd.Finite {
				return nil, errorf(CodeInvalidParameterValue, "start, stop and step cannot be NaN or infinity")
			}
		}
		if d[2].IsZero() {
			return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
		}
		var out []any
		for v := d[0]; (d[2].Sign() > 0 && v.Cmp(d[1]) <= 0) || (d[2].Sign() < 0 && v.Cmp(d[1]) >= 0); {
			if len(out) == maxSeries {
				return nil, tooMany
			}
			out = append(out, v)
			next, err := decArith("+", v, d[2])
			if err != nil {
				return nil, err
			}
			v = next
		}
		return out, nil
	}
	var f [3]float64
	f[2] = 1
	for i, a := range args {
		v, err := coerce(a, OIDFloat8)
		if err != nil {
			return nil, err
		}
		f[i] = v.(float64)
	}
	if f[2] == 0 {
		return nil, errorf(CodeInvalidParameterValue, "step size cannot equal zero")
	}
	var out []any
	for k := 0; ; k++ {
		v := f[0] + float64(k)*f[2]
		if (f[2] > 0 && v > f[1]) || (f[2] < 0 && v < f[1]) {
			break
		}
		if len(out) == maxSeries {
			return nil, tooMany
		}
		out = append(out, v)
	}
	return out, nil
}

// expandArray is information_schema._pg_expandarray(a): a record (x, n) for each element x of a, n its position
// from 1. pgjdbc's getPrimaryKeys and getIndexInfo expand an index's keys (pg_index.indkey) with it.
func expandArray(args []any) ([]any, error) {
	a, ok := args[0].([]any)
	if !ok {
		return nil, errorf(CodeDatatypeMismatch, "_pg_expandarray needs an array")
	}
	out := make([]any, len(a))
	for i, e := range a {
		out[i] = record{names: []string{"x", "n"}, vals: []any{e, int64(i + 1)}, oids: []uint32{valueOID(e), OIDInt4}}
	}
	return out, nil
}
