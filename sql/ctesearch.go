package sql

import (
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// A recursive WITH query's SEARCH and CYCLE clauses (PostgreSQL 14 and later) add columns to its rows:
//
//	SEARCH DEPTH FIRST BY a, b SET ord   -- ord: the array of (a, b) records from the base row down to this one
//	SEARCH BREADTH FIRST BY a SET ord    -- ord: the record (depth, a), depth 0 for the base's rows
//	CYCLE a SET is_cycle [TO v DEFAULT d] USING path
//	                                     -- path: the array of (a) records so far; is_cycle: v when this row's (a)
//	                                     -- is already on its parent's path (the row is kept but not expanded), else d
//
// ORDER BY ord gives depth- or breadth-first order. As PostgreSQL rewrites the query, the recursive step reads its
// parent row's added columns (appended to its select list here) and computes its own from them.

// cteExtras are a recursive WITH query's SEARCH and CYCLE clauses, resolved against its columns.
type cteExtras struct {
	search    []int // the SEARCH columns' positions, nil without SEARCH
	breadth   bool
	seqName   string
	cycle     []int // the CYCLE columns' positions, nil without CYCLE
	markName  string
	pathName  string
	mark, def any    // the cycle mark's values: is_cycle TO mark DEFAULT def
	markType  uint32 // their type
	oids      []uint32
}

// newCTEExtras checks a recursive WITH query's SEARCH and CYCLE clauses against its column names, with PostgreSQL's
// errors; nil when it has neither.
func (x *exec) newCTEExtras(cte *pg.CommonTableExpr, names []string, oids []uint32, outer *scope) (*cteExtras, error) {
	s, c := cte.SearchClause, cte.CycleClause
	if s == nil && c == nil {
		return nil, nil
	}
	e := &cteExtras{oids: oids}
	positions := func(list []*pg.Node, what string, loc int32) ([]int, error) {
		var out []int
		for _, n := range list {
			name := n.GetString_().GetSval()
			i := slices.Index(names, name)
			if i < 0 {
				return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("%s column %q not in WITH query column list", what, name), Position: int(loc) + 1}
			}
			if slices.Contains(out, i) {
				return nil, &Error{Code: "42701", Message: fmt.Sprintf("%s column %q specified more than once", what, name), Position: int(loc) + 1}
			}
			out = append(out, i)
		}
		return out, nil
	}
	taken := func(name, what string, loc int32) error {
		if slices.Contains(names, name) {
			return &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("%s column name %q already used in WITH query column list", what, name), Position: int(loc) + 1}
		}
		return nil
	}
	var err error
	if s != nil {
		if e.search, err = positions(s.SearchColList, "search", s.Location); err != nil {
			return nil, err
		}
		if err := taken(s.SearchSeqColumn, "search sequence", s.Location); err != nil {
			return nil, err
		}
		e.breadth, e.seqName = s.SearchBreadthFirst, s.SearchSeqColumn
	}
	if c != nil {
		if e.cycle, err = positions(c.CycleColList, "cycle", c.Location); err != nil {
			return nil, err
		}
		if err := taken(c.CycleMarkColumn, "cycle mark", c.Location); err != nil {
			return nil, err
		}
		if err := taken(c.CyclePathColumn, "cycle path", c.Location); err != nil {
			return nil, err
		}
		if c.CycleMarkColumn == c.CyclePathColumn {
			return nil, &Error{Code: CodeSyntaxError, Message: "cycle mark column name and cycle path column name are the same", Position: int(c.Location) + 1}
		}
		if s != nil && s.SearchSeqColumn == c.CycleMarkColumn {
			return nil, &Error{Code: CodeSyntaxError, Message: "search sequence column name and cycle mark column name are the same", Position: int(s.Location) + 1}
		}
		if s != nil && s.SearchSeqColumn == c.CyclePathColumn {
			return nil, &Error{Code: CodeSyntaxError, Message: "search sequence column name and cycle path column name are the same", Position: int(s.Location) + 1}
		}
		e.markName, e.pathName = c.CycleMarkColumn, c.CyclePathColumn
		marks := []*pg.Node{c.CycleMarkValue, c.CycleMarkDefault}
		e.markType = x.commonType(marks, outer)
		if e.markType == OIDUnknown || e.markType == 0 {
			e.markType = OIDText
		}
		vals := make([]any, 2)
		for i, n := range marks {
			v, err := x.eval(n, outer)
			if err != nil {
				return nil, err
			}
			if vals[i], err = coerce(v, e.markType); err != nil {
				return nil, atLiteral(err, n)
			}
		}
		e.mark, e.def = vals[0], vals[1]
	}
	return e, nil
}

// names are the added columns' names, in PostgreSQL's order: the search sequence, the cycle mark, the path.
func (e *cteExtras) names() []string {
	var out []string
	if e.search != nil {
		out = append(out, e.seqName)
	}
	if e.cycle != nil {
		out = append(out, e.markName, e.pathName)
	}
	return out
}

// cols are the added columns.
func (e *cteExtras) cols() []relCol {
	var out []relCol
	if e.search != nil {
		oid := OIDRecordArray
		if e.breadth {
			oid = OIDRecord
		}
		out = append(out, relCol{name: e.seqName, oid: oid})
	}
	if e.cycle != nil {
		out = append(out, relCol{name: e.markName, oid: e.markType}, relCol{name: e.pathName, oid: OIDRecordArray})
	}
	return out
}

// fields is the record of row's values at positions.
func (e *cteExtras) fields(row []any, positions []int, lead ...any) record {
	r := record{vals: append([]any{}, lead...)}
	if len(lead) > 0 {
		r.oids = append(r.oids, OIDInt8)
	}
	for _, i := range positions {
		r.vals = append(r.vals, row[i])
		r.oids = append(r.oids, e.oids[i])
	}
	return r
}

// extend appends the added columns to row, a row of n columns of the query's own; parent is the added columns of
// the working table's row it came from, nil for a row of the base.
func (e *cteExtras) extend(row []any, n int, parent []any) []any {
	out := append(row[:n:n], make([]any, 0, len(e.names()))...)
	k := 0
	if e.search != nil {
		switch {
		case e.breadth && parent == nil:
			out = append(out, e.fields(row, e.search, int64(0)))
		case e.breadth:
			depth, _ := parent[k].(record)
			d, _ := depth.vals[0].(int64)
			out = append(out, e.fields(row, e.search, d+1))
		case parent == nil:
			out = append(out, []any{e.fields(row, e.search)})
		default:
			seq, _ := parent[k].([]any)
			out = append(out, append(slices.Clip(seq), e.fields(row, e.search)))
		}
		k++
	}
	if e.cycle != nil {
		here := e.fields(row, e.cycle)
		if parent == nil {
			out = append(out, e.def, []any{here})
		} else {
			path, _ := parent[k+1].([]any)
			mark := e.def
			for _, p := range path {
				if r, ok := p.(record); ok && groupKey(r.vals) == groupKey(here.vals) {
					mark = e.mark
					break
				}
			}
			out = append(out, mark, append(slices.Clip(path), here))
		}
	}
	return out
}

// expands reports whether a working table's row is expanded by the step: not when CYCLE marked it a cycle.
func (e *cteExtras) expands(row []any, n int) bool {
	if e.cycle == nil {
		return true
	}
	k := n
	if e.search != nil {
		k++
	}
	c, _ := compare(row[k], e.mark)
	return row[k] == nil || c != 0
}

// withParent is the recursive step with the working table's added columns appended to its select list, read
// through the name (or alias) the step gives the WITH query.
func (e *cteExtras) withParent(step *pg.SelectStmt, cteName string) (*pg.SelectStmt, error) {
	if step.Op != pg.SetOperation_SETOP_NONE && step.Op != pg.SetOperation_SET_OPERATION_UNDEFINED || len(step.DistinctClause) > 0 || len(step.ValuesLists) > 0 {
		return nil, unsupported("SEARCH or CYCLE on a recursive step with DISTINCT, VALUES or a set operation")
	}
	ref := ""
	var find func(n *pg.Node)
	find = func(n *pg.Node) {
		switch {
		case ref != "" || n == nil:
		case n.GetRangeVar() != nil:
			if rv := n.GetRangeVar(); rv.Schemaname == "" && rv.Relname == cteName {
				ref = rv.Relname
				if rv.Alias != nil {
					ref = rv.Alias.Aliasname
				}
			}
		case n.GetJoinExpr() != nil:
			find(n.GetJoinExpr().Larg)
			find(n.GetJoinExpr().Rarg)
		}
	}
	for _, f := range step.FromClause {
		find(f)
	}
	if ref == "" {
		return nil, unsupported("SEARCH or CYCLE on a recursive step that reads its WITH query other than in its FROM list")
	}
	out := proto.Clone(step).(*pg.SelectStmt)
	for _, name := range e.names() {
		col := pg.MakeColumnRefNode([]*pg.Node{pg.MakeStrNode(ref), pg.MakeStrNode(name)}, -1)
		out.TargetList = append(out.TargetList, pg.MakeResTargetNodeWithVal(col, -1))
	}
	return out, nil
}
