package sql

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// PostgreSQL's frame option bits (nodes/parsenodes.h).
const (
	frameNonDefault              = 0x00001
	frameRange                   = 0x00002
	frameRows                    = 0x00004
	frameGroups                  = 0x00008
	frameStartUnboundedPreceding = 0x00020
	frameEndUnboundedFollowing   = 0x00100
	frameStartCurrentRow         = 0x00200
	frameEndCurrentRow           = 0x00400
	frameStartOffsetPreceding    = 0x00800
	frameEndOffsetPreceding      = 0x01000
	frameStartOffsetFollowing    = 0x02000
	frameEndOffsetFollowing      = 0x04000
	frameExcludeCurrentRow       = 0x08000
	frameExcludeGroup            = 0x10000
	frameExcludeTies             = 0x20000

	frameStartOffset = frameStartOffsetPreceding | frameStartOffsetFollowing
	frameEndOffset   = frameEndOffsetPreceding | frameEndOffsetFollowing
)

// windowingError is PostgreSQL's 42P20 at a position of the statement.
func windowingError(loc int32, hint, format string, args ...any) *Error {
	return &Error{Code: CodeWindowingError, Message: fmt.Sprintf(format, args...), Hint: hint, Position: int(loc) + 1}
}

// namedWindows resolves a SELECT's WINDOW clause, in order, as PostgreSQL's transformWindowDefinitions does: a
// definition may name an earlier one (WINDOW w2 AS (w1 ORDER BY b)) and copy its PARTITION BY and ORDER BY. A name
// given twice is 42P20, a reference to a window not defined before it 42704, and the rules of mergeWindow apply.
func namedWindows(clause []*pg.Node) (map[string]*pg.WindowDef, error) {
	named := map[string]*pg.WindowDef{}
	for _, n := range clause {
		d := n.GetWindowDef()
		if d == nil {
			continue
		}
		if _, dup := named[d.Name]; dup {
			return nil, windowingError(d.Location, "", "window %q is already defined", d.Name)
		}
		w, err := mergeWindow(d, named)
		if err != nil {
			return nil, err
		}
		named[d.Name] = w
	}
	return named, nil
}

// refuseWindowCalls is PostgreSQL's 42P20 for a window call in a clause that takes none (RETURNING), found
// before the statement does anything.
func refuseWindowCalls(list []*pg.Node, clause string) error {
	var call *pg.FuncCall
	for _, n := range list {
		walkNoSub(n, func(m *pg.Node) bool {
			if f := m.GetFuncCall(); f != nil && f.Over != nil {
				call = f
			}
			return call != nil
		})
		if call != nil {
			return windowingError(call.Location, "", "window functions are not allowed in %s", clause)
		}
	}
	return nil
}

// callWindow is the window a call's OVER clause stands for: a named window (OVER w), or its own specification,
// which may copy a named one (OVER (w ROWS 2 PRECEDING)).
func callWindow(over *pg.WindowDef, named map[string]*pg.WindowDef) (*pg.WindowDef, error) {
	if over.Name != "" && over.Refname == "" && len(over.PartitionClause) == 0 && len(over.OrderClause) == 0 &&
		over.FrameOptions&frameNonDefault == 0 {
		w, ok := named[over.Name]
		if !ok {
			return nil, &Error{Code: CodeUndefinedObject, Message: fmt.Sprintf("window %q does not exist", over.Name),
				Position: int(over.Location) + 1}
		}
		return w, nil
	}
	return mergeWindow(over, named)
}

// mergeWindow is the window d specifies, with the named window it refers to copied in, by the SQL standard's
// rules as PostgreSQL applies them: the PARTITION BY comes from the named window (d may not have its own), the
// ORDER BY from either but not both, and the frame from d, the named window having none (so OVER (w) differs from
// OVER w: the first is refused when w has a frame). Each broken rule is 42P20; an unknown name is 42704. The frame
// is then checked (checkFrame).
func mergeWindow(d *pg.WindowDef, named map[string]*pg.WindowDef) (*pg.WindowDef, error) {
	w := d
	if d.Refname != "" {
		ref, ok := named[d.Refname]
		if !ok {
			return nil, &Error{Code: CodeUndefinedObject, Message: fmt.Sprintf("window %q does not exist", d.Refname),
				Position: int(d.Location) + 1}
		}
		if len(d.PartitionClause) > 0 {
			return nil, windowingError(d.Location, "", "cannot override PARTITION BY clause of window %q", d.Refname)
		}
		if len(d.OrderClause) > 0 && len(ref.OrderClause) > 0 {
			return nil, windowingError(d.Location, "", "cannot override ORDER BY clause of window %q", d.Refname)
		}
		if ref.FrameOptions&frameNonDefault != 0 {
			hint := ""
			if d.Name == "" && len(d.OrderClause) == 0 && d.FrameOptions&frameNonDefault == 0 {
				hint = "Omit the parentheses in this OVER clause."
			}
			return nil, windowingError(d.Location, hint, "cannot copy window %q because it has a frame clause", d.Refname)
		}
		w = &pg.WindowDef{Name: d.Name, PartitionClause: ref.PartitionClause, OrderClause: d.OrderClause,
			FrameOptions: d.FrameOptions, StartOffset: d.StartOffset, EndOffset: d.EndOffset, Location: d.Location}
		if len(w.OrderClause) == 0 {
			w.OrderClause = ref.OrderClause
		}
	}
	return w, checkFrame(w)
}

// checkFrame refuses, with 42P20, what PostgreSQL's parse analysis refuses in a window: a window function in its
// PARTITION BY or ORDER BY, RANGE with an offset without exactly one ORDER BY column, GROUPS without ORDER BY.
// (The grammar's own refusals, such as a frame starting at UNBOUNDED FOLLOWING, come from the parser.)
func checkFrame(w *pg.WindowDef) error {
	nested := false
	for _, n := range append(append([]*pg.Node{}, w.PartitionClause...), w.OrderClause...) {
		walkNoSub(n, func(m *pg.Node) bool {
			if f := m.GetFuncCall(); f != nil && f.Over != nil {
				nested = true
			}
			return nested
		})
	}
	if nested {
		return windowingError(w.Location, "", "window functions are not allowed in window definitions")
	}
	opts := w.FrameOptions
	if opts&frameRange != 0 && opts&(frameStartOffset|frameEndOffset) != 0 && len(w.OrderClause) != 1 {
		return windowingError(w.Location, "", "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column")
	}
	if opts&frameGroups != 0 && len(w.OrderClause) == 0 {
		return windowingError(w.Location, "", "GROUPS mode requires an ORDER BY clause")
	}
	return nil
}

// windowArity is how many arguments each window function takes, at least and at most: the window functions
// Concord has, the aggregates it computes over a frame among them.
var windowArity = map[string][2]int{"row_number": {0, 0}, "rank": {0, 0}, "dense_rank": {0, 0}, "percent_rank": {0, 0},
	"cume_dist": {0, 0}, "ntile": {1, 1}, "lag": {1, 3}, "lead": {1, 3}, "first_value": {1, 1}, "last_value": {1, 1},
	"nth_value": {2, 2}, "count": {1, 1}, "sum": {1, 1}, "avg": {1, 1}, "min": {1, 1}, "max": {1, 1},
	"bool_and": {1, 1}, "bool_or": {1, 1}, "every": {1, 1}, "stddev": {1, 1}, "stddev_samp": {1, 1},
	"stddev_pop": {1, 1}, "variance": {1, 1}, "var_samp": {1, 1}, "var_pop": {1, 1}, "array_agg": {1, 1},
	"string_agg": {2, 2}, "json_agg": {1, 1}, "jsonb_agg": {1, 1}}

// windows computes the window function calls of a select's target list, ORDER BY and DISTINCT ON: for each call,
// its value for each of n rows (units of a grouped query), with the window its OVER clause gives (named windows of
// the WINDOW clause resolved), PARTITION BY, ORDER BY and any frame: ROWS, RANGE or GROUPS, bounds UNBOUNDED,
// CURRENT ROW or an offset PRECEDING / FOLLOWING, and EXCLUDE. scopeOf(i) is row i's scope; tsc, a scope of no
// row, types expressions. An aggregate windowArity does not list is 0A000.
func (x *exec) windows(sel *pg.SelectStmt, targets []*pg.Node, n int, scopeOf func(int) *scope,
	tsc *scope) (map[*pg.FuncCall][]any, error) {
	named, err := namedWindows(sel.WindowClause)
	if err != nil {
		return nil, err
	}
	for _, def := range sel.WindowClause {
		// A window no call uses is analysed all the same: its expressions must name columns that exist (only the
		// references are evaluated, so that nothing else runs, nextval() say).
		var bad error
		walkNoSub(def, func(m *pg.Node) bool {
			if m.GetColumnRef() != nil {
				_, bad = x.eval(m, tsc)
			}
			return bad != nil
		})
		if bad != nil {
			return nil, bad
		}
	}
	var calls []*pg.FuncCall
	var nested *pg.FuncCall // a window call inside an aggregate's arguments, which PostgreSQL refuses
	collect := func(m *pg.Node) bool {
		f := m.GetFuncCall()
		switch {
		case f == nil:
		case f.Over != nil:
			calls = append(calls, f)
		case aggregates[funcName(f)]:
			for _, a := range append(append([]*pg.Node{f.AggFilter}, f.Args...), f.AggOrder...) {
				walkNoSub(a, func(m *pg.Node) bool {
					if g := m.GetFuncCall(); g != nil && g.Over != nil && nested == nil {
						nested = g
					}
					return nested != nil
				})
			}
		}
		return nested != nil
	}
	for _, t := range targets {
		walkNoSub(t.GetResTarget().Val, collect)
	}
	for _, s := range sel.SortClause {
		walkNoSub(s.GetSortBy().Node, collect) // ORDER BY sum(x) OVER w
	}
	for _, d := range sel.DistinctClause {
		walkNoSub(d, collect) // DISTINCT ON (rank() OVER w)
	}
	if nested != nil {
		return nil, &Error{Code: CodeGroupingError, Message: "aggregate function calls cannot contain window function calls",
			Position: int(nested.Location) + 1}
	}
	if len(calls) == 0 {
		return nil, nil
	}
	out := map[*pg.FuncCall][]any{}
	for _, f := range calls {
		name := funcName(f)
		if f.AggWithinGroup {
			return nil, &Error{Code: CodeFeatureNotSupported, Message: "OVER is not supported for ordered-set aggregate " + name,
				Position: int(f.Location) + 1}
		}
		if _, ok := windowArity[name]; !ok {
			if aggregates[name] {
				return nil, unsupported("aggregate " + name + " as a window function")
			}
			return nil, &Error{Code: "42809", Message: "OVER specified, but " + name + " is not a window function nor an aggregate function",
				Position: int(f.Location) + 1}
		}
		if n, arity := len(f.Args), windowArity[name]; (n < arity[0] || n > arity[1]) && !(f.AggStar && name == "count") {
			return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s with %d arguments does not exist", name, len(f.Args)),
				Position: int(f.Location) + 1}
		}
		if varianceAggregates[name] {
			if err := varianceArgError(name, x.typeOf(f.Args[0], tsc)); err != nil {
				return nil, err
			}
		}
		win, err := callWindow(f.Over, named)
		if err != nil {
			return nil, err
		}
		if f.AggDistinct {
			return nil, errorf(CodeFeatureNotSupported, "DISTINCT is not implemented for window functions")
		}
		if len(f.AggOrder) > 0 {
			return nil, errorf(CodeFeatureNotSupported, "aggregate ORDER BY is not implemented for window functions")
		}
		if err := checkSortOperators(win.OrderClause); err != nil {
			return nil, err
		}
		offsets, err := x.frameOffsetTypes(win, tsc)
		if err != nil {
			return nil, err
		}
		// Partition keys, order keys, arguments and FILTER per row.
		part := make([]string, n)
		order := make([][]any, n)
		args := make([][]any, len(f.Args))
		for a := range args {
			args[a] = make([]any, n)
		}
		keep := make([]bool, n)
		for i := 0; i < n; i++ {
			sc := scopeOf(i)
			pk := make([]any, len(win.PartitionClause))
			for j, p := range win.PartitionClause {
				if pk[j], err = x.eval(p, sc); err != nil {
					return nil, err
				}
			}
			part[i] = groupKey(pk)
			ok := make([]any, len(win.OrderClause))
			for j, o := range win.OrderClause {
				if ok[j], err = x.eval(o.GetSortBy().Node, sc); err != nil {
					return nil, err
				}
			}
			order[i] = ok
			for a, arg := range f.Args {
				if args[a][i], err = x.eval(arg, sc); err != nil {
					return nil, err
				}
			}
			keep[i] = true
			if f.AggFilter != nil {
				v, err := x.eval(f.AggFilter, sc)
				if err != nil {
					return nil, err
				}
				keep[i] = truthy(v)
			}
		}
		start, end, err := x.frameOffsets(win, offsets, tsc.outer)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			out[f] = nil
			continue
		}
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		sort.SliceStable(perm, func(a, b int) bool {
			if part[perm[a]] != part[perm[b]] {
				return part[perm[a]] < part[perm[b]]
			}
			return lessKeys(order[perm[a]], order[perm[b]], win.OrderClause)
		})
		w := &windowCall{f: f, name: name, win: win, start: start, end: end, args: args, keep: keep, order: order,
			vals: make([]any, n)}
		for start := 0; start < n; {
			end := start + 1
			for end < n && part[perm[end]] == part[perm[start]] {
				end++
			}
			if err := w.partition(perm[start:end]); err != nil {
				return nil, err
			}
			start = end
		}
		out[f] = w.vals
	}
	return out, nil
}

// frameOffsetTypes is the type a frame's offsets take: bigint for ROWS and GROUPS; for RANGE the type PostgreSQL's
// in_range support gives the ORDER BY column's (bigint for the integers, numeric, double precision, or interval
// for dates, timestamps, times and intervals; 0, the value as it is, for a column of no declared type). A RANGE
// offset the column's type has no in_range for is 0A000, an offset using the row's columns 42P10.
func (x *exec) frameOffsetTypes(w *pg.WindowDef, tsc *scope) (uint32, error) {
	opts := w.FrameOptions
	if opts&(frameStartOffset|frameEndOffset) == 0 {
		return 0, nil
	}
	what := map[bool]string{true: "ROWS", false: "GROUPS"}[opts&frameRows != 0]
	if opts&frameRange != 0 {
		what = "RANGE"
	}
	var want uint32
	for _, o := range []*pg.Node{w.StartOffset, w.EndOffset} {
		if o == nil {
			continue
		}
		if usesColumns(o, tsc) {
			return 0, &Error{Code: CodeInvalidColumnReference, Position: nodeLocation(o) + 1,
				Message: "argument of " + what + " must not contain variables"}
		}
		if what != "RANGE" {
			want = OIDInt8
			x.hint(o, OIDInt8, tsc)
			continue
		}
		col := x.typeOf(w.OrderClause[0].GetSortBy().Node, tsc)
		off := x.typeOf(o, tsc)
		if c := o.GetAConst(); c != nil && c.GetFval() != nil {
			if _, err := strconv.ParseInt(c.GetFval().Fval, 10, 64); err == nil {
				off = OIDInt8 // an integer past int4 is an int8 constant
			}
		}
		unknown := off == 0 || o.GetAConst() != nil && o.GetAConst().GetSval() != nil
		var fits bool
		switch col {
		case OIDInt2, OIDInt4, OIDInt8:
			want = OIDInt8
			fits = off == OIDInt2 || off == OIDInt4 || off == OIDInt8 || unknown
		case OIDNumeric:
			want = OIDNumeric
			fits = off == OIDNumeric || off == OIDInt2 || off == OIDInt4 || off == OIDInt8 || unknown
		case OIDFloat4, OIDFloat8:
			want = OIDFloat8
			fits = off == OIDFloat4 || off == OIDFloat8 || off == OIDNumeric || off == OIDInt2 || off == OIDInt4 ||
				off == OIDInt8 || unknown
		case OIDDate, OIDTimestamp, OIDTimestamptz, OIDInterval, OIDTime:
			want = OIDInterval
			fits = off == OIDInterval || unknown
		case 0:
			// A column of no declared type (a schemaless table's field): the offset is taken as it is, and
			// rangeBound refuses one that does not fit the keys.
			want, fits = 0, true
		default:
			return 0, &Error{Code: CodeFeatureNotSupported, Position: nodeLocation(o) + 1,
				Message: "RANGE with offset PRECEDING/FOLLOWING is not supported for column type " + TypeName(col)}
		}
		if !fits {
			return 0, &Error{Code: CodeFeatureNotSupported, Position: nodeLocation(o) + 1,
				Hint: "Cast the offset value to an appropriate type.",
				Message: fmt.Sprintf("RANGE with offset PRECEDING/FOLLOWING is not supported for column type %s and offset type %s",
					TypeName(col), TypeName(off))}
		}
		if off == 0 {
			x.hint(o, want, tsc)
		}
	}
	return want, nil
}

// usesColumns reports whether an expression refers to a column of the query's own rows (not an outer query's).
func usesColumns(n *pg.Node, sc *scope) bool {
	return walkNoSub(n, func(m *pg.Node) bool {
		if cr := m.GetColumnRef(); cr != nil {
			local := &scope{cols: sc.cols, row: sc.row}
			_, _, found, _ := local.lookup(columnFields(cr))
			return found
		}
		return false
	})
}

// nodeLocation is the position of an expression in the statement, or -1.
func nodeLocation(n *pg.Node) int {
	loc := -1
	walkNoSub(n, func(m *pg.Node) bool {
		switch v := m.Node.(type) {
		case *pg.Node_AConst:
			loc = int(v.AConst.Location)
		case *pg.Node_ColumnRef:
			loc = int(v.ColumnRef.Location)
		case *pg.Node_TypeCast:
			loc = int(v.TypeCast.Location)
		case *pg.Node_AExpr:
			loc = int(v.AExpr.Location)
		case *pg.Node_FuncCall:
			loc = int(v.FuncCall.Location)
		case *pg.Node_ParamRef:
			loc = int(v.ParamRef.Location)
		default:
			return false
		}
		return true
	})
	return loc
}

// frameOffsets evaluates a frame's offsets as the type frameOffsetTypes gave, once for the query whether it has
// rows or not, as PostgreSQL does: NULL is 22004, a negative ROWS or GROUPS offset 22013. (A RANGE offset is
// checked where it is used: rangeOffsetError.)
func (x *exec) frameOffsets(w *pg.WindowDef, typ uint32, outer *scope) (start, end any, err error) {
	if x.describe {
		return nil, nil, nil // no rows are read, and the parameters have no values yet
	}
	eval := func(o *pg.Node, which string) (any, error) {
		if o == nil {
			return nil, nil
		}
		v, err := x.eval(o, &scope{outer: outer})
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, errorf(CodeNullValueNotAllowed, "frame %s offset must not be null", which)
		}
		if v, err = coerce(numeric(v), typ); err != nil {
			return nil, err
		}
		if w.FrameOptions&frameRange == 0 {
			if v.(int64) < 0 {
				return nil, errorf(CodeInvalidPrecedingFollowing, "frame %s offset must not be negative", which)
			}
			return v, nil
		}
		return v, nil
	}
	if start, err = eval(w.StartOffset, "starting"); err != nil {
		return nil, nil, err
	}
	end, err = eval(w.EndOffset, "ending")
	return start, end, err
}

// windowCall is one window function call being computed.
type windowCall struct {
	f          *pg.FuncCall
	name       string
	win        *pg.WindowDef
	start, end any     // the frame's offsets, when it has them
	args       [][]any // per argument, per row
	keep       []bool  // FILTER's verdict per row
	order      [][]any // ORDER BY keys per row
	vals       []any   // the results per row
}

// partition computes the call for the rows p of one partition, in window order.
func (w *windowCall) partition(p []int) error {
	n := len(p)
	// peerStart[k] and peerEnd[k] are the indexes (in p) of the first and last peers of row k, group[k] the index
	// of its peer group; groupStart and groupEnd the first and last row of each group.
	peerStart, peerEnd, group := make([]int, n), make([]int, n), make([]int, n)
	var groupStart, groupEnd []int
	for k := 0; k < n; {
		e := k + 1
		for e < n && groupKey(w.order[p[e]]) == groupKey(w.order[p[k]]) {
			e++
		}
		for j := k; j < e; j++ {
			peerStart[j], peerEnd[j], group[j] = k, e-1, len(groupStart)
		}
		groupStart, groupEnd = append(groupStart, k), append(groupEnd, e-1)
		k = e
	}
	arg := func(a, k int) any {
		if a < len(w.args) {
			return w.args[a][p[k]]
		}
		return nil
	}
	intArg := func(a, k int, def int64) (int64, bool, error) {
		if a >= len(w.args) {
			return def, true, nil
		}
		v := arg(a, k)
		if v == nil {
			return 0, false, nil
		}
		c, err := coerce(numeric(v), OIDInt8)
		if err != nil {
			return 0, false, err
		}
		return c.(int64), true, nil
	}
	switch w.name {
	case "row_number", "rank", "dense_rank", "percent_rank", "cume_dist":
		for k := 0; k < n; k++ {
			var v any
			switch w.name {
			case "row_number":
				v = int64(k + 1)
			case "rank":
				v = int64(peerStart[k] + 1)
			case "dense_rank":
				v = int64(group[k] + 1)
			case "percent_rank":
				v = 0.0
				if n > 1 {
					v = float64(peerStart[k]) / float64(n-1)
				}
			default:
				v = float64(peerEnd[k]+1) / float64(n)
			}
			w.vals[p[k]] = v
		}
		return nil
	case "ntile":
		buckets, ok, err := intArg(0, 0, 0)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if buckets <= 0 {
			return errorf("22014", "argument of ntile must be greater than zero")
		}
		size, extra := int64(n)/buckets, int64(n)%buckets
		bucket, left := int64(1), size+min(extra, 1)
		for k := 0; k < n; k++ {
			if left == 0 {
				bucket++
				left = size
				if bucket <= extra {
					left++
				}
			}
			w.vals[p[k]] = bucket
			left--
		}
		return nil
	case "lag", "lead":
		for k := 0; k < n; k++ {
			off, ok, err := intArg(1, k, 1)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if w.name == "lag" {
				off = -off
			}
			if t := int64(k) + off; t >= 0 && t < int64(n) {
				w.vals[p[k]] = arg(0, int(t))
			} else {
				w.vals[p[k]] = arg(2, k)
			}
		}
		return nil
	}
	fr := &frameBounds{w: w, p: p, peerStart: peerStart, peerEnd: peerEnd, group: group, groupStart: groupStart,
		groupEnd: groupEnd}
	if w.name == "first_value" || w.name == "last_value" || w.name == "nth_value" {
		for k := 0; k < n; k++ {
			s, e, err := fr.bounds(k)
			if err != nil {
				return err
			}
			nth := int64(1)
			if w.name == "nth_value" {
				v, ok, err := intArg(1, k, 1)
				if err != nil {
					return err
				}
				if ok && v <= 0 {
					return errorf("22016", "argument of nth_value must be greater than zero")
				}
				if !ok {
					continue
				}
				nth = v
			}
			found := -1
			switch {
			case w.win.FrameOptions&(frameExcludeCurrentRow|frameExcludeGroup|frameExcludeTies) == 0:
				// Without EXCLUDE the frame is the rows s to e.
				if w.name == "last_value" {
					found = e
				} else if nth-1 <= int64(e-s) {
					found = s + int(nth-1)
				}
				if found < s || found > e {
					found = -1
				}
			case w.name == "last_value":
				for j := e; j >= s && found < 0; j-- {
					if !fr.excluded(k, j) {
						found = j
					}
				}
			default: // the nth of the frame's rows EXCLUDE leaves
				seen := int64(0)
				for j := s; j <= e; j++ {
					if !fr.excluded(k, j) {
						if seen++; seen == nth {
							found = j
							break
						}
					}
				}
			}
			if found >= 0 {
				w.vals[p[k]] = arg(0, found)
			}
		}
		return nil
	}
	// An aggregate over each row's frame. While the frame's end does not move back (and nothing is excluded),
	// the rows entering it are added to the running state, and those leaving it at its start are taken out when
	// the aggregate can (aggRemover: count, and sum, avg and the statistical aggregates of integers and numerics,
	// as PostgreSQL's moving aggregates); else the state starts again from the frame's start. Either way the
	// result is the aggregate of the frame's rows in order, as if computed afresh.
	var acc aggAcc
	accStart, accEnd := 0, -1
	excl := w.win.FrameOptions&(frameExcludeCurrentRow|frameExcludeGroup|frameExcludeTies) != 0
	for k := 0; k < n; k++ {
		s, e, err := fr.bounds(k)
		if err != nil {
			return err
		}
		restart := acc == nil || excl || s < accStart || e < accEnd || s > accEnd+1
		if !restart && s > accStart {
			r, ok := acc.(aggRemover)
			restart = !ok
			for j := accStart; !restart && j < s; j++ {
				if v, in := w.input(p[j]); in {
					restart = !r.remove(v)
				}
			}
			accStart = s
		}
		if restart {
			acc, accStart, accEnd = newAggAcc(w.name), s, s-1
		}
		for accEnd < e {
			accEnd++
			if excl && fr.excluded(k, accEnd) {
				continue
			}
			if v, in := w.input(p[accEnd]); in {
				if err := acc.add(v); err != nil {
					return err
				}
			}
		}
		v, err := acc.result()
		if err != nil {
			return err
		}
		w.vals[p[k]] = v
	}
	return nil
}

// input is what row i gives an aggregate: its argument (true for count(*), the text and its separator for
// string_agg), and whether it counts at all (FILTER passes it, and its argument is not NULL unless the aggregate
// takes NULLs).
func (w *windowCall) input(i int) (any, bool) {
	if !w.keep[i] {
		return nil, false
	}
	if w.f.AggStar {
		return true, true
	}
	v := w.args[0][i]
	if v == nil && w.name != "array_agg" && w.name != "json_agg" && w.name != "jsonb_agg" {
		return nil, false
	}
	if w.name == "string_agg" {
		return [2]any{v, w.args[1][i]}, true
	}
	return v, true
}

// frameBounds computes the frames of the rows of one partition.
type frameBounds struct {
	w                    *windowCall
	p                    []int
	peerStart, peerEnd   []int
	group                []int
	groupStart, groupEnd []int
}

// bounds is the frame of row k: the indexes (in p) of its first and last rows, empty when e < s.
func (fr *frameBounds) bounds(k int) (s, e int, err error) {
	n := len(fr.p)
	opts := fr.w.win.FrameOptions
	if opts&frameNonDefault == 0 {
		if len(fr.w.win.OrderClause) == 0 {
			return 0, n - 1, nil
		}
		return 0, fr.peerEnd[k], nil
	}
	switch {
	case opts&frameStartUnboundedPreceding != 0:
		s = 0
	case opts&frameStartCurrentRow != 0:
		s = k
		if opts&frameRows == 0 {
			s = fr.peerStart[k]
		}
	default:
		if s, err = fr.offsetBound(k, fr.w.start, opts&frameStartOffsetPreceding != 0, true); err != nil {
			return 0, 0, err
		}
	}
	switch {
	case opts&frameEndUnboundedFollowing != 0:
		e = n - 1
	case opts&frameEndCurrentRow != 0:
		e = k
		if opts&frameRows == 0 {
			e = fr.peerEnd[k]
		}
	default:
		if e, err = fr.offsetBound(k, fr.w.end, opts&frameEndOffsetPreceding != 0, false); err != nil {
			return 0, 0, err
		}
	}
	return max(s, 0), min(e, n-1), nil
}

// offsetBound is the first (head) or last row of row k's frame for a bound offset PRECEDING or FOLLOWING.
func (fr *frameBounds) offsetBound(k int, offset any, preceding, head bool) (int, error) {
	n := len(fr.p)
	opts := fr.w.win.FrameOptions
	switch {
	case opts&frameRows != 0:
		off := min(offset.(int64), int64(n)+1)
		if preceding {
			return int(max(int64(k)-off, -1)), nil
		}
		return int(min(int64(k)+off, int64(n))), nil
	case opts&frameGroups != 0:
		off := min(offset.(int64), int64(n)+1)
		g := int64(fr.group[k])
		if preceding {
			g -= off
		} else {
			g = min(g+off, int64(len(fr.groupStart)))
		}
		switch {
		case g < 0 && head:
			return 0, nil
		case g < 0:
			return -1, nil
		case g >= int64(len(fr.groupStart)) && head:
			return n, nil
		case g >= int64(len(fr.groupStart)):
			return n - 1, nil
		case head:
			return fr.groupStart[g], nil
		}
		return fr.groupEnd[g], nil
	}
	// RANGE: the rows whose key lies, in the window's order, at or after (head) or at or before the current key
	// moved back (PRECEDING) or forward by the offset.
	sb := fr.w.win.OrderClause[0].GetSortBy()
	desc, _ := sortDirection(sb)
	key := func(j int) any { return fr.w.order[fr.p[j]][0] }
	base := key(k)
	if base != nil {
		if err := rangeOffsetError(base, offset); err != nil {
			return 0, err
		}
	}
	bound, all, err := rangeBound(base, offset, preceding != desc)
	if err != nil {
		return 0, err
	}
	cmp := func(j int) int {
		v := key(j)
		if all && v != nil && !isNaN(v) {
			return 0 // every number is within an infinite offset of an infinite key
		}
		if all {
			return cmpSortKey(v, base, sb) // NULL and NaN keep their places
		}
		return cmpSortKey(v, bound, sb)
	}
	if head {
		return sort.Search(n, func(j int) bool { return cmp(j) >= 0 }), nil
	}
	return sort.Search(n, func(j int) bool { return cmp(j) > 0 }) - 1, nil
}

// rangeBound is base moved by offset (down when sub), as PostgreSQL's in_range functions compare: exactly for
// integers and numerics, in float8 for floats, by the interval's months, days and time for dates, timestamps and
// intervals. A NULL base gives NULL (its frame is its peers). all is set when an infinite offset meets an
// infinite key it cannot move (Infinity − Infinity), which PostgreSQL takes as every value being in the frame.
func rangeBound(base, offset any, sub bool) (bound any, all bool, err error) {
	if base == nil {
		return nil, false, nil
	}
	bad := unsupported(fmt.Sprintf("RANGE with offset PRECEDING/FOLLOWING over %s with an offset of %s",
		TypeName(valueOID(base)), TypeName(valueOID(offset))))
	op := map[bool]string{true: "-", false: "+"}[sub]
	iv, isInterval := offset.(interval)
	switch b := base.(type) {
	case int64, float64, *apd.Decimal:
		bf, bFloat := b.(float64)
		of, oFloat := offset.(float64)
		if bFloat || oFloat {
			var ok1, ok2 bool
			if bf, ok1 = toFloat(b); !ok1 {
				return nil, false, bad
			}
			if of, ok2 = toFloat(offset); !ok2 {
				return nil, false, bad
			}
			if math.IsInf(of, 0) && math.IsInf(bf, 0) && (sub && bf > 0 || !sub && bf < 0) {
				return nil, true, nil
			}
			if sub {
				return bf - of, false, nil
			}
			return bf + of, false, nil
		}
		bd, od := asDecimal(b), asDecimal(offset)
		if od == nil {
			return nil, false, bad
		}
		if od.Form == apd.Infinite && bd.Form == apd.Infinite && bd.Negative != sub {
			return nil, true, nil
		}
		d, err := decArith(op, bd, od)
		return d, false, err
	case time.Time:
		if !isInterval {
			return nil, false, bad
		}
		if sub {
			iv = iv.neg()
		}
		t, err := iv.addTo(b)
		return t, false, err
	case interval:
		if !isInterval {
			return nil, false, bad
		}
		if sub {
			iv = iv.neg()
		}
		out, err := b.add(iv)
		return out, false, err
	case timeOfDay:
		if !isInterval {
			return nil, false, bad
		}
		// The offset's time only, without wrapping past midnight, as PostgreSQL's in_range_time_interval.
		if sub {
			return b - timeOfDay(iv.us), false, nil
		}
		return b + timeOfDay(iv.us), false, nil
	}
	return nil, false, bad
}

// asDecimal is an integer or a numeric as a numeric; nil for anything else.
func asDecimal(v any) *apd.Decimal {
	switch x := v.(type) {
	case int64:
		return decFromInt(x)
	case *apd.Decimal:
		return x
	}
	return nil
}

// isNaN reports whether v is a float8 or numeric NaN.
func isNaN(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x)
	case *apd.Decimal:
		return x.Form == apd.NaN
	}
	return false
}

// rangeOffsetError is 22013 for a RANGE offset that is negative or NaN, which PostgreSQL's in_range functions
// refuse when they compare a row's key, base (so not over a partition whose keys are all NULL). For a time only
// the offset's time counts.
func rangeOffsetError(base, offset any) error {
	bad := false
	switch o := offset.(type) {
	case int64:
		bad = o < 0
	case float64:
		bad = o < 0 || math.IsNaN(o)
	case *apd.Decimal:
		bad = o.Form == apd.NaN || o.Negative
	case interval:
		bad = compareIntervals(o, interval{}) < 0
		if _, isTime := base.(timeOfDay); isTime {
			bad = o.us < 0
		}
	}
	if bad {
		return errorf(CodeInvalidPrecedingFollowing, "invalid preceding or following size in window function")
	}
	return nil
}

// excluded reports whether EXCLUDE leaves row j out of row k's frame.
func (fr *frameBounds) excluded(k, j int) bool {
	opts := fr.w.win.FrameOptions
	switch {
	case opts&frameExcludeCurrentRow != 0:
		return j == k
	case opts&frameExcludeGroup != 0:
		return fr.group[j] == fr.group[k]
	case opts&frameExcludeTies != 0:
		return j != k && fr.group[j] == fr.group[k]
	}
	return false
}

// aggAcc is an aggregate's running state over a window frame: add takes each value that is not NULL (true for
// count(*)), result gives the aggregate of those added so far.
type aggAcc interface {
	add(v any) error
	result() (any, error)
}

// aggRemover is an aggAcc that can take back a value it was given, as PostgreSQL's inverse transition functions
// do. remove reports false when it cannot (a float8, an infinity, a value it does not hold): the state is then no
// longer valid and must start again.
type aggRemover interface {
	remove(v any) bool
}

// scaleCount counts the values of each display scale a numeric state holds, so that, values taken out, its sums
// show the scale of the largest remaining one, as sums of those values alone would.
type scaleCount map[int]int

// of is v's scale, and whether v is an integer or a finite numeric.
func (scaleCount) of(v any) (int, bool) {
	switch x := v.(type) {
	case int64:
		return 0, true
	case *apd.Decimal:
		return decScale(x), x.Form == apd.Finite
	}
	return 0, false
}

// max is the largest scale counted.
func (c scaleCount) max() int {
	m := 0
	for s, n := range c {
		if n > 0 && s > m {
			m = s
		}
	}
	return m
}

// atScale is d shown with scale places, exactly (d has no more).
func atScale(d *apd.Decimal, scale int) *apd.Decimal {
	out := new(apd.Decimal)
	if _, err := decCtx.Quantize(out, d, int32(-scale)); err != nil {
		return d
	}
	return out
}

// newAggAcc is the running state of one of the aggregates windowArity lists.
func newAggAcc(name string) aggAcc {
	switch name {
	case "count":
		return &countAcc{}
	case "sum", "avg":
		return &sumAcc{avg: name == "avg"}
	case "min", "max":
		return &extremeAcc{max: name == "max"}
	case "bool_and", "every", "bool_or":
		return &boolAcc{or: name == "bool_or"}
	case "array_agg", "json_agg", "jsonb_agg":
		return &arrayAcc{json: name != "array_agg"}
	case "string_agg":
		return &stringAcc{}
	}
	return newVarAcc(name)
}

type countAcc struct{ n int64 }

func (a *countAcc) add(any) error        { a.n++; return nil }
func (a *countAcc) remove(any) bool      { a.n--; return true }
func (a *countAcc) result() (any, error) { return a.n, nil }

// sumAcc is sum and avg: integers past int64 go on as a numeric (addToSum).
type sumAcc struct {
	avg    bool
	n      int64
	sum    any
	scales scaleCount // of the integers and finite numerics added
}

func (a *sumAcc) add(v any) error {
	if a.sum == nil {
		a.sum = int64(0)
	}
	s, err := addToSum(a.sum, v)
	a.sum = s
	a.n++
	if sc, ok := a.scales.of(numeric(v)); ok {
		if a.scales == nil {
			a.scales = scaleCount{}
		}
		a.scales[sc]++
	}
	return err
}

// remove takes an integer or a finite numeric back out of an integer or finite numeric sum.
func (a *sumAcc) remove(v any) bool {
	v = numeric(v)
	sc, ok := a.scales.of(v)
	if !ok || a.scales[sc] == 0 {
		return false
	}
	var out any
	switch sum := a.sum.(type) {
	case int64:
		if i, isInt := v.(int64); isInt && !(i < 0 && sum > math.MaxInt64+i || i > 0 && sum < math.MinInt64+i) {
			out = sum - i
			break
		}
		d, err := decArith("-", decFromInt(sum), asDecimal(v))
		if err != nil {
			return false
		}
		out = d
	case *apd.Decimal:
		if sum.Form != apd.Finite {
			return false
		}
		d, err := decArith("-", sum, asDecimal(v))
		if err != nil {
			return false
		}
		out = d
	default:
		return false
	}
	a.scales[sc]--
	if d, isDec := out.(*apd.Decimal); isDec {
		out = atScale(d, a.scales.max())
	}
	a.sum = out
	a.n--
	return true
}

func (a *sumAcc) result() (any, error) {
	if a.n == 0 {
		return nil, nil
	}
	if a.avg {
		return average(numeric(a.sum), a.n)
	}
	return a.sum, nil
}

// extremeAcc is min and max; of equal values the later, as PostgreSQL's larger and smaller functions keep it.
type extremeAcc struct {
	max  bool
	best any
}

func (a *extremeAcc) add(v any) error {
	c, _ := compare(v, a.best)
	if a.best == nil || (a.max && c >= 0) || (!a.max && c <= 0) {
		a.best = v
	}
	return nil
}

func (a *extremeAcc) result() (any, error) { return a.best, nil }

// boolAcc is bool_and (every) and bool_or.
type boolAcc struct {
	or, seen, val bool
}

func (a *boolAcc) add(v any) error {
	b := truthy(v)
	if !a.seen {
		a.seen, a.val = true, b
		return nil
	}
	if a.or {
		a.val = a.val || b
	} else {
		a.val = a.val && b
	}
	return nil
}

func (a *boolAcc) result() (any, error) {
	if !a.seen {
		return nil, nil
	}
	return a.val, nil
}

// arrayAcc is array_agg, or json_agg and jsonb_agg (json): every value, NULLs included.
type arrayAcc struct {
	json bool
	vals []any
}

func (a *arrayAcc) add(v any) error { a.vals = append(a.vals, v); return nil }

func (a *arrayAcc) result() (any, error) {
	if len(a.vals) == 0 {
		return nil, nil
	}
	vals := append([]any(nil), a.vals...) // the state goes on growing: the result must not share it
	if a.json {
		return coerce(vals, OIDJSONB)
	}
	return vals, nil
}

// stringAcc is string_agg: each value a [2]any of the text and its separator, which goes before it unless it is
// the first or NULL.
type stringAcc struct {
	b    strings.Builder
	seen bool
}

func (a *stringAcc) add(v any) error {
	pair := v.([2]any)
	if a.seen && pair[1] != nil {
		a.b.WriteString(formatText(pair[1]))
	}
	a.seen = true
	a.b.WriteString(formatText(pair[0]))
	return nil
}

func (a *stringAcc) result() (any, error) {
	if !a.seen {
		return nil, nil
	}
	return a.b.String(), nil
}
