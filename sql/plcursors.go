package sql

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// PL/pgSQL's cursors: OPEN (of a bound cursor, FOR a query, FOR EXECUTE a string), FETCH and MOVE in every
// direction, CLOSE, and FOR over a bound cursor. A cursor is the session's (cursors.go): OPEN runs its query at
// once and keeps the rows, under the portal name the cursor variable holds (a refcursor is that name, as text), so
// a function that returns an open cursor's name lets its caller FETCH from it with SQL until the transaction ends.

// cursorName is the portal a cursor variable names; 22004 when it is NULL.
func (p *plRun) cursorName(dno int) (string, error) {
	name, _ := p.vals[dno].(string)
	if name == "" {
		return "", errorf(CodeNullValueNotAllowed, "cursor variable \"%s\" is null", p.f.datums[dno].name)
	}
	return name, nil
}

// openCursor runs OPEN (and FOR's opening of a bound cursor): its rows, kept as the session's cursor under the
// variable's name (a bound cursor's own name, or a new "<unnamed portal n>", when the variable is NULL).
func (p *plRun) openCursor(s *plStmt) (string, *Result, error) {
	d := p.f.datums[s.curvar]
	name, _ := p.vals[s.curvar].(string)
	if name == "" {
		if d.cursorQuery != nil {
			name = d.name
		} else {
			p.x.s.portals++
			name = fmt.Sprintf("<unnamed portal %d>", p.x.s.portals)
		}
	}
	if p.x.s.cursors[name] != nil {
		return "", nil, errorf("42P03", "cursor \"%s\" already in use", name)
	}
	var res *Result
	var err error
	switch {
	case s.expr != nil:
		res, err = p.query(&plStmt{kind: "dynexecute", query: s.expr, params: s.params})
	case s.query != nil:
		res, err = p.run(s.query)
	case d.cursorQuery == nil:
		return "", nil, errorf(CodeSyntaxError, "cursor \"%s\" has no query", d.name)
	default:
		switch {
		case d.cursorArgs >= 0 && s.argquery == nil:
			return "", nil, errorf(CodeSyntaxError, "cursor \"%s\" has arguments", d.name)
		case d.cursorArgs < 0 && s.argquery != nil:
			return "", nil, errorf(CodeSyntaxError, "cursor \"%s\" has no arguments", d.name)
		case s.argquery != nil:
			args, err := p.run(s.argquery)
			if err != nil {
				return "", nil, err
			}
			var row []any
			if len(args.Rows) > 0 {
				row = args.Rows[0]
			}
			if err := p.assignRow(d.cursorArgs, args.Columns, row); err != nil {
				return "", nil, err
			}
		}
		res, err = p.run(d.cursorQuery)
	}
	if err != nil {
		return "", nil, err
	}
	if res.Columns == nil {
		return "", nil, errorf(CodeInvalidCursorDefinition, "cannot open %s query as cursor", strings.Fields(res.Tag + " ?")[0])
	}
	typeUntyped(res.Columns, res.Rows)
	if p.x.s.cursors == nil {
		p.x.s.cursors = map[string]*cursor{}
	}
	opts := s.cursorOptions
	if d.cursorQuery != nil && s.query == nil && s.expr == nil {
		opts = d.cursorOptions // a bound cursor's, as declared
	}
	p.x.s.cursors[name] = &cursor{name: name, cols: res.Columns, rows: res.Rows, noScroll: opts&cursorOptNoScroll != 0}
	p.vals[s.curvar] = name
	return name, res, nil
}

// CodeInvalidCursorDefinition is PostgreSQL's invalid_cursor_definition.
const CodeInvalidCursorDefinition = "42P11"

// fetchCursor runs FETCH [direction] cursor INTO target, and MOVE: the cursor's position moves (PostgreSQL's:
// 0 before the first row, n on row n, one past the last after it), FETCH assigns the row it lands on (NULLs for
// none), and FOUND tells whether there was one; MOVE's ROW_COUNT is the rows it passed.
func (p *plRun) fetchCursor(s *plStmt) error {
	name, err := p.cursorName(s.curvar)
	if err != nil {
		return err
	}
	c := p.x.s.cursors[name]
	if c == nil {
		return errorf("34000", "cursor \"%s\" does not exist", name)
	}
	n := s.howMany
	if s.expr != nil {
		v, err := p.eval(s.expr)
		if err != nil {
			return err
		}
		if v == nil {
			return errorf(CodeNullValueNotAllowed, "cursor count must not be null") // PostgreSQL: relative or absolute cursor position is null
		}
		iv, err := coerce(v, OIDInt4) // PostgreSQL's count is an integer: 22003 beyond one
		if err != nil {
			return err
		}
		n = iv.(int64)
	}
	if err := c.check(pg.FetchDirection(s.direction+1), n, s.isMove); err != nil {
		return err
	}
	last := int64(len(c.rows))
	if n != fetchAll {
		n = max(-(last + 2), min(n, last+2)) // past either end is as far as it goes
	}
	cur, to := int64(c.pos), int64(0)
	switch pg.FetchDirection(s.direction + 1) {
	case pg.FetchDirection_FETCH_FORWARD:
		to = cur + n
	case pg.FetchDirection_FETCH_BACKWARD:
		to = cur - n
	case pg.FetchDirection_FETCH_ABSOLUTE:
		to = n
		if n < 0 {
			to = last + n + 1
		}
	case pg.FetchDirection_FETCH_RELATIVE:
		to = cur + n
	}
	if n == fetchAll && (s.direction == 0 || s.direction == 1) {
		to = last + 1
		if s.direction == 1 {
			to = 0
		}
	}
	to = max(0, min(to, last+1))
	moved := to - cur
	if moved < 0 {
		moved = -moved
	}
	if moved > 0 && (to == 0 || to == last+1) {
		moved-- // the rows passed, not the position past them
	}
	c.pos = int(to)
	on := to >= 1 && to <= last
	p.setFound(on)
	if s.isMove {
		p.rowCount = moved
		if s.direction > 1 { // ABSOLUTE and RELATIVE move onto one row
			p.rowCount = 0
			if on {
				p.rowCount = 1
			}
		} else {
			p.setFound(moved > 0) // MOVE FORWARD and BACKWARD: whether it passed any row
		}
		return nil
	}
	var row []any
	if on {
		row = c.rows[to-1]
	}
	p.rowCount = 0
	if on {
		p.rowCount = 1
	}
	return p.assignRow(s.target, c.cols, row)
}

// fetchAll is PostgreSQL's FETCH_ALL, the count FETCH ALL and MOVE ALL carry.
const fetchAll = 9223372036854775807
