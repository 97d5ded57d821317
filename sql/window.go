package sql

import (
	"fmt"
	"sort"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// PostgreSQL's frame option bits (nodes/parsenodes.h).
const (
	frameNonDefault              = 0x00001
	frameRows                    = 0x00004
	frameGroups                  = 0x00008
	frameStartUnboundedPreceding = 0x00020
	frameEndUnboundedFollowing   = 0x00100
	frameEndCurrentRow           = 0x00400
	frameExclusions              = 0x08000 | 0x10000 | 0x20000
)

// frame is a window's frame as Concord evaluates it: always from the partition's first row, to the current
// row (rows), to the current row's last peer (the default with ORDER BY), or to the partition's end (whole).
type frame struct{ rows, whole bool }

// windowFrame reads a window's frame clause: the default, or ROWS / RANGE from UNBOUNDED PRECEDING to
// CURRENT ROW or UNBOUNDED FOLLOWING; other frames are refused with 0A000.
func windowFrame(w *pg.WindowDef) (frame, error) {
	opts := w.FrameOptions
	if opts&frameNonDefault == 0 {
		return frame{whole: len(w.OrderClause) == 0}, nil
	}
	if opts&frameGroups != 0 || opts&frameStartUnboundedPreceding == 0 || opts&frameExclusions != 0 ||
		opts&(frameEndCurrentRow|frameEndUnboundedFollowing) == 0 {
		return frame{}, unsupported("this window frame (Concord has frames from UNBOUNDED PRECEDING to CURRENT ROW or UNBOUNDED FOLLOWING)")
	}
	f := frame{rows: opts&frameRows != 0, whole: opts&frameEndUnboundedFollowing != 0}
	if !f.rows && len(w.OrderClause) == 0 {
		f.whole = true // every row of the partition is a peer
	}
	return f, nil
}

// windowArity is how many arguments each window function takes, at least and at most: the window functions
// Concord has, the aggregates count, sum, avg, min and max among them.
var windowArity = map[string][2]int{"row_number": {0, 0}, "rank": {0, 0}, "dense_rank": {0, 0}, "percent_rank": {0, 0},
	"cume_dist": {0, 0}, "ntile": {1, 1}, "lag": {1, 3}, "lead": {1, 3}, "first_value": {1, 1}, "last_value": {1, 1},
	"nth_value": {2, 2}, "count": {1, 1}, "sum": {1, 1}, "avg": {1, 1}, "min": {1, 1}, "max": {1, 1}}

// windows computes the window function calls of a target list: for each call, its value for each of n rows
// (units of a grouped query), with PARTITION BY, ORDER BY and the frames windowFrame accepts. ROW_NUMBER, RANK,
// DENSE_RANK, PERCENT_RANK, CUME_DIST, NTILE, LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTH_VALUE and the aggregates
// count, sum, avg, min and max (with FILTER).
func (x *exec) windows(targets []*pg.Node, n int, scopeOf func(int) *scope) (map[*pg.FuncCall][]any, error) {
	var calls []*pg.FuncCall
	for _, t := range targets {
		walkNoSub(t.GetResTarget().Val, func(m *pg.Node) bool {
			if f := m.GetFuncCall(); f != nil && f.Over != nil {
				calls = append(calls, f)
			}
			return false
		})
	}
	if len(calls) == 0 {
		return nil, nil
	}
	out := map[*pg.FuncCall][]any{}
	for _, f := range calls {
		name := funcName(f)
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
		if f.Over.Refname != "" || f.Over.Name != "" {
			return nil, unsupported("named windows")
		}
		if f.AggDistinct {
			return nil, errorf(CodeFeatureNotSupported, "DISTINCT is not implemented for window functions")
		}
		fr, err := windowFrame(f.Over)
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
		if err := checkSortOperators(f.Over.OrderClause); err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			sc := scopeOf(i)
			pk := make([]any, len(f.Over.PartitionClause))
			for j, p := range f.Over.PartitionClause {
				if pk[j], err = x.eval(p, sc); err != nil {
					return nil, err
				}
			}
			part[i] = groupKey(pk)
			ok := make([]any, len(f.Over.OrderClause))
			for j, o := range f.Over.OrderClause {
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
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		sort.SliceStable(perm, func(a, b int) bool {
			if part[perm[a]] != part[perm[b]] {
				return part[perm[a]] < part[perm[b]]
			}
			return lessKeys(order[perm[a]], order[perm[b]], f.Over.OrderClause)
		})
		w := &windowCall{f: f, name: name, frame: fr, args: args, keep: keep, order: order, vals: make([]any, n)}
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

// windowCall is one window function call being computed.
type windowCall struct {
	f     *pg.FuncCall
	name  string
	frame frame
	args  [][]any // per argument, per row
	keep  []bool  // FILTER's verdict per row
	order [][]any // ORDER BY keys per row
	vals  []any   // the results per row
}

// partition computes the call for the rows p of one partition, in window order.
func (w *windowCall) partition(p []int) error {
	n := len(p)
	// peerEnd[k] is the index (in p) of the last peer of row k; peerStart[k] of the first.
	peerStart, peerEnd := make([]int, n), make([]int, n)
	for k := 0; k < n; {
		e := k + 1
		for e < n && groupKey(w.order[p[e]]) == groupKey(w.order[p[k]]) {
			e++
		}
		for j := k; j < e; j++ {
			peerStart[j], peerEnd[j] = k, e-1
		}
		k = e
	}
	frameEnd := func(k int) int {
		switch {
		case w.frame.whole:
			return n - 1
		case w.frame.rows:
			return k
		}
		return peerEnd[k]
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
		dense := int64(0)
		for k := 0; k < n; k++ {
			if peerStart[k] == k {
				dense++
			}
			var v any
			switch w.name {
			case "row_number":
				v = int64(k + 1)
			case "rank":
				v = int64(peerStart[k] + 1)
			case "dense_rank":
				v = dense
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
	case "first_value", "last_value", "nth_value":
		for k := 0; k < n; k++ {
			end := frameEnd(k)
			switch w.name {
			case "first_value":
				w.vals[p[k]] = arg(0, 0)
			case "last_value":
				w.vals[p[k]] = arg(0, end)
			default:
				nth, ok, err := intArg(1, k, 1)
				if err != nil {
					return err
				}
				if ok && nth <= 0 {
					return errorf("22016", "argument of nth_value must be greater than zero")
				}
				if ok && nth-1 <= int64(end) {
					w.vals[p[k]] = arg(0, int(nth-1))
				}
			}
		}
	default: // an aggregate over the frame from the partition's start: accumulated as the frame's end advances
		var count int64
		var acc any
		upto := -1
		for k := 0; k < n; k++ {
			for end := frameEnd(k); upto < end; {
				upto++
				i := p[upto]
				if !w.keep[i] {
					continue
				}
				if w.f.AggStar {
					count++
					continue
				}
				if len(w.args) == 0 {
					return errorf(CodeUndefinedFunction, "%s needs an argument", w.name)
				}
				v := w.args[0][i]
				if v == nil {
					continue
				}
				count++
				switch w.name {
				case "sum", "avg":
					if acc == nil {
						acc = int64(0)
					}
					var err error
					if acc, err = addToSum(acc, v); err != nil {
						return err
					}
				case "min", "max":
					c, _ := compare(v, acc)
					if acc == nil || (w.name == "max" && c >= 0) || (w.name == "min" && c <= 0) { // ties: the later
						acc = v
					}
				}
			}
			switch w.name {
			case "count":
				w.vals[p[k]] = count
			case "avg":
				if count > 0 {
					avg, err := average(numeric(acc), int64(count))
					if err != nil {
						return err
					}
					w.vals[p[k]] = avg
				}
			default:
				w.vals[p[k]] = acc
			}
		}
	}
	return nil
}
