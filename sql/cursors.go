package sql

import (
	"context"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DECLARE name [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR SELECT ..., FETCH and MOVE in every direction, CLOSE
// name | ALL, as pg_dump --inserts and psql's FETCH_COUNT read tables. DECLARE runs the query at once, in the
// transaction, and keeps its rows; FETCH hands them out. A cursor closes when its transaction block ends, unless
// it is WITH HOLD and the block commits (or it was declared outside a block): then it stays until CLOSE or the
// session's end, as PostgreSQL's does. A NO SCROLL cursor refuses to move backward, as PostgreSQL's does; any other scrolls,
// where PostgreSQL's scrolls only when its plan can run backward.

// PostgreSQL's CURSOR_OPT_SCROLL, CURSOR_OPT_NO_SCROLL and CURSOR_OPT_HOLD: DECLARE's SCROLL, NO SCROLL and WITH
// HOLD.
const (
	cursorOptScroll   = 0x2
	cursorOptNoScroll = 0x4
	cursorOptHold     = 0x20
)

// endCursors closes the cursors a transaction block's end closes: all but the held ones, and the block's own
// WITH HOLD cursors if it committed, which are held from now on.
func (s *Session) endCursors(committed bool) {
	for name, c := range s.cursors {
		switch {
		case c.held:
		case c.hold && committed:
			c.held = true
		default:
			c.release(context.Background())
			delete(s.cursors, name)
		}
	}
}

// cursor is a cursor DECLARE (or PL/pgSQL's OPEN) made: the rows of its query and its position, how many FETCH
// has handed out (PL/pgSQL's FETCH moves it both ways, and one past the last row).
type cursor struct {
	name     string
	cols     []Column
	rows     [][]any
	pos      int
	noScroll bool
	// hold marks a WITH HOLD cursor, which outlives the transaction that made it if that commits; held, one whose
	// transaction has committed, which later transactions' ends leave open.
	hold, held bool
	// failed marks a cursor a FETCH failed in (moved backward while NO SCROLL): PostgreSQL's failed portal, which
	// no FETCH or MOVE can run again, even after a ROLLBACK TO an earlier savepoint.
	failed bool
	// more makes the rest of rows, as FETCH needs them, for a cursor over a query run a chunk at a time
	// (stream.go); nil once they are all made. A NO SCROLL cursor forgets the rows it has passed. pending is the
	// error of the row after the last one made, which the FETCH that needs that row fails with.
	more    *cursorSource
	pending error
	// base counts the rows a NO SCROLL cursor has forgotten: rows holds rows base+1 onward.
	base int
}

// cursorSource is the query of a cursor whose rows are made a chunk at a time: DECLARE's parameters, and the
// scan of its table.
type cursorSource struct {
	sel        *pg.SelectStmt
	ts         *tableStream
	params     []any
	paramTypes []uint32
	// volatile marks a query that calls a volatile function (nextval, random): a failed chunk is not run again a
	// document at a time, which would call it again for the rows before the failing one. The FETCH that needs
	// any of the chunk's rows fails instead.
	volatile bool
}

// chunk runs the query over the table's next chunk in x (the statement asking for rows), adding the rows to c:
// their columns.
func (m *cursorSource) chunk(x *exec, c *cursor) ([]Column, error) {
	params, types, streaming := x.params, x.paramTypes, x.streaming
	x.params, x.paramTypes, x.streaming = m.params, m.paramTypes, m.ts
	defer func() { x.params, x.paramTypes, x.streaming = params, types, streaming }()
	m.ts.armed = true
	rel, err := x.selectRows(m.sel, nil, -1)
	if err != nil && !m.ts.empty && len(m.ts.last) > 0 && !m.volatile {
		// A row of the chunk failed: PostgreSQL's cursor hands out the rows before it first, and fails the FETCH
		// that reaches it. The chunk runs again a document at a time up to the failing one.
		docs := m.ts.last
		m.ts.last = nil
		var cols []Column
		for _, d := range docs {
			m.ts.replay, m.ts.armed = []bson.Raw{d}, true
			rel, err := x.selectRows(m.sel, nil, -1)
			if err != nil {
				c.pending = err
				break
			}
			var rows [][]any
			cols, rows = resultOf(rel)
			c.rows = append(c.rows, rows...)
		}
		if c.pending == nil {
			c.pending = err // it failed over the chunk, not over any of its documents alone
		}
		c.release(x.ctx)
		return cols, nil
	}
	if err != nil {
		return nil, err
	}
	cols, rows := resultOf(rel)
	typeUntyped(cols, rows)
	c.rows = append(c.rows, rows...)
	if !m.ts.empty && (m.ts.done || m.ts.armed) {
		c.release(x.ctx)
	}
	return cols, nil
}

// queryCallsVolatile reports whether a query calls a volatile built-in function.
func queryCallsVolatile(sel *pg.SelectStmt) bool {
	return walk(sel.ProtoReflect(), func(m protoreflect.Message) bool {
		f, ok := m.Interface().(*pg.FuncCall)
		return ok && volatileFuncs[funcName(f)]
	})
}

// release ends a cursor's source, if it has one.
func (c *cursor) release(ctx context.Context) {
	if c.more != nil {
		c.more.ts.close(ctx)
		c.more = nil
	}
}

// freezeCursors makes the rest of the rows of the cursors that make them as FETCH needs them, before a statement
// that may write: a cursor's rows are those of the block as its DECLARE found it, which the block's later writes
// do not change, as in PostgreSQL. Another transaction's writes the block's snapshot does not see; FETCH, MOVE,
// CLOSE, SET, SHOW, transaction control and a SELECT that calls no user-defined function write nothing.
func (x *exec) freezeCursors(n *pg.Node) {
	lazy := false
	for _, c := range x.s.cursors {
		lazy = lazy || c.more != nil
	}
	if !lazy || !x.mayWrite(n) {
		return
	}
	for _, c := range x.s.cursors {
		for c.more != nil {
			if _, err := c.more.chunk(x, c); err != nil {
				c.pending = err // the FETCH that needs the rows fails with it
				c.release(x.ctx)
			}
		}
	}
}

// mayWrite reports whether a statement may write the tables (freezeCursors).
func (x *exec) mayWrite(n *pg.Node) bool {
	switch {
	case n.GetFetchStmt() != nil, n.GetClosePortalStmt() != nil, n.GetVariableSetStmt() != nil,
		n.GetVariableShowStmt() != nil, n.GetTransactionStmt() != nil:
		return false
	case n.GetSelectStmt() == nil && n.GetDeclareCursorStmt() == nil:
		return true
	}
	return walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.InsertStmt, *pg.UpdateStmt, *pg.DeleteStmt, *pg.MergeStmt, *pg.IntoClause:
			return true
		case *pg.FuncCall:
			return x.userFunction(v) != nil
		case *pg.ColumnRef: // t.f may call f(t) (attributeCall)
			fields := columnFields(v)
			return len(fields) == 2 && x.userFunctionNamed(fields[1])
		case *pg.RangeVar: // a view's query may call anything
			t, err := x.lookupTable(v.Relname, v.Location)
			return err == nil && t.View != ""
		}
		return false
	})
}

// need makes the rows a FETCH or MOVE in direction dir by n reads, for a cursor whose rows are made as needed.
func (x *exec) need(c *cursor, dir pg.FetchDirection, n int64) error {
	if c.more == nil && c.pending == nil {
		return nil
	}
	p := int64(c.pos)
	want := int64(-1) // all of them
	switch dir {
	case pg.FetchDirection_FETCH_FORWARD, pg.FetchDirection_FETCH_RELATIVE:
		if n < 0 {
			return nil
		}
		if n < fetchAll/2 {
			want = p + n
		}
	case pg.FetchDirection_FETCH_BACKWARD:
		if n >= 0 {
			return nil
		}
		if -n < fetchAll/2 {
			want = p - n
		}
	case pg.FetchDirection_FETCH_ABSOLUTE:
		if n >= 0 {
			want = n
		}
	}
	if c.noScroll && c.pos-1 > c.base {
		// The rows it has passed, but the one it is on (MOVE 0 counts it): no FETCH of it returns them again.
		drop := min(c.pos-1-c.base, len(c.rows))
		clear(c.rows[:drop])
		c.rows, c.base = c.rows[drop:], c.base+drop
	}
	for c.more != nil && (want < 0 || int64(c.base+len(c.rows)) < want) {
		if _, err := c.more.chunk(x, c); err != nil {
			c.release(x.ctx)
			c.failed = true // PostgreSQL's portal fails with its query
			return err
		}
	}
	if c.pending != nil && (want < 0 || int64(c.base+len(c.rows)) < want) {
		c.failed = true // PostgreSQL's portal fails with its query
		return c.pending
	}
	return nil
}

// declareCursor runs DECLARE. Outside a transaction block it is 25P01, a name in use 42P03, as in PostgreSQL.
func (x *exec) declareCursor(dc *pg.DeclareCursorStmt) (*Result, error) {
	res := &Result{Tag: "DECLARE CURSOR"}
	if x.describe {
		return res, nil
	}
	hold := dc.Options&cursorOptHold != 0
	switch {
	case x.s.status == TxIdle && !hold:
		return nil, errorf(CodeNoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	case x.s.cursors[dc.Portalname] != nil:
		return nil, errorf("42P03", "cursor \"%s\" already exists", dc.Portalname)
	case dc.Query.GetSelectStmt() == nil:
		return nil, unsupported("a cursor over a statement other than SELECT")
	}
	noScroll := dc.Options&cursorOptNoScroll != 0
	if sel := dc.Query.GetSelectStmt(); len(sel.LockingClause) > 0 {
		// FOR UPDATE / FOR SHARE: PostgreSQL's cursor then reads forward only.
		if dc.Options&cursorOptScroll != 0 {
			return nil, &Error{Code: CodeFeatureNotSupported, Message: "DECLARE SCROLL CURSOR ... FOR " + lockingWord(sel) + " is not supported",
				Detail: "Scrollable cursors must be READ ONLY."}
		}
		noScroll = true
	}
	if x.s.cursors == nil {
		x.s.cursors = map[string]*cursor{}
	}
	if sel := dc.Query.GetSelectStmt(); !hold {
		if t := x.chunkedTable(sel); t != nil {
			// Its rows are made a chunk at a time as FETCH needs them, from the block's snapshot. DECLARE runs the
			// query over no rows: its errors of type and reference come now, those of evaluating a row when a FETCH
			// reaches it, as in PostgreSQL.
			c := &cursor{name: dc.Portalname, noScroll: noScroll,
				more: &cursorSource{sel: sel, ts: &tableStream{table: t.Name, empty: true}, params: x.params, paramTypes: x.paramTypes,
					volatile: queryCallsVolatile(sel)}}
			cols, err := c.more.chunk(x, c)
			if err != nil {
				return nil, err
			}
			c.more.ts.empty = false
			c.cols = cols
			x.s.cursors[dc.Portalname] = c
			return res, nil
		}
	}
	rows, err := x.query(dc.Query.GetSelectStmt())
	if err != nil {
		return nil, err
	}
	typeUntyped(rows.Columns, rows.Rows)
	// Outside a transaction block the statement's own transaction commits as it ends: a WITH HOLD cursor is held.
	x.s.cursors[dc.Portalname] = &cursor{name: dc.Portalname, cols: rows.Columns, rows: rows.Rows, noScroll: noScroll,
		hold: hold, held: hold && x.s.status == TxIdle}
	return res, nil
}

// fetch runs FETCH and MOVE: the rows fetched (or moved over), tagged FETCH n or MOVE n. An unknown cursor is
// 34000.
func (x *exec) fetch(fs *pg.FetchStmt) (*Result, error) {
	c := x.s.cursors[fs.Portalname]
	if c == nil {
		return nil, errorf("34000", "cursor \"%s\" does not exist", fs.Portalname)
	}
	res := &Result{Columns: c.cols}
	if fs.Ismove {
		res.Columns = nil
	}
	if x.describe {
		return res, nil
	}
	if !c.failed && !c.scansBackward(fs.Direction, fs.HowMany, fs.Ismove) {
		if err := x.need(c, fs.Direction, fs.HowMany); err != nil {
			if err == c.pending && fs.Direction == pg.FetchDirection_FETCH_FORWARD && !fs.Ismove {
				x.s.fetchedBeforeError = c.rows[min(c.pos-c.base, len(c.rows)):]
			}
			return nil, err
		}
	}
	rows, err := c.scroll(fs.Direction, fs.HowMany, fs.Ismove)
	if err != nil {
		return nil, err
	}
	res.Tag = fmt.Sprintf("FETCH %d", len(rows))
	if fs.Ismove {
		res.Tag = fmt.Sprintf("MOVE %d", len(rows))
	} else {
		res.Rows = rows
	}
	return res, nil
}

// scroll moves the cursor as PostgreSQL's FETCH and MOVE do, with the direction and count the parser gives
// (fetchAll for ALL; NEXT is FORWARD 1, PRIOR BACKWARD 1, FIRST ABSOLUTE 1, LAST ABSOLUTE -1): the rows fetched,
// in the order fetched. Its position is 0 before the first row, n on row n, and one past the last after it: a
// fetch that runs out of rows leaves it past the end it ran into, one that gets all it asked for on the last row
// it got.
func (c *cursor) scroll(dir pg.FetchDirection, n int64, move bool) ([][]any, error) {
	if err := c.check(dir, n, move); err != nil {
		return nil, err
	}
	last, base := int64(c.base+len(c.rows)), int64(c.base) // rows holds rows base+1 to last
	p := min(int64(c.pos), last+1)
	on := func(i int64) [][]any { // onto row i, or past the end it is beyond
		switch {
		case i < 1:
			c.pos = 0
		case i > last:
			c.pos = int(last + 1)
		default:
			c.pos = int(i)
			return c.rows[i-1-base : i-base]
		}
		return nil
	}
	switch dir {
	case pg.FetchDirection_FETCH_ABSOLUTE:
		if n < 0 {
			return on(last + n + 1), nil
		}
		return on(n), nil
	case pg.FetchDirection_FETCH_RELATIVE:
		if n != 0 {
			return on(p + n), nil
		}
		dir = pg.FetchDirection_FETCH_FORWARD
	case pg.FetchDirection_FETCH_FORWARD:
		if n < 0 {
			dir, n = pg.FetchDirection_FETCH_BACKWARD, -n
		}
	case pg.FetchDirection_FETCH_BACKWARD:
		if n < 0 {
			dir, n = pg.FetchDirection_FETCH_FORWARD, -n
		}
	}
	if n == 0 { // the current row again, if there is one
		if p >= 1 && p <= last {
			return c.rows[p-1-base : p-base], nil
		}
		return nil, nil
	}
	if dir == pg.FetchDirection_FETCH_FORWARD {
		if n > last-p {
			c.pos = int(last + 1)
			return c.rows[min(p, last)-base:], nil
		}
		c.pos = int(p + n)
		return c.rows[p-base : p+n-base], nil
	}
	from := p - 1 // the first row a backward fetch returns
	to := int64(1)
	if n > from {
		c.pos = 0
	} else {
		to = from - n + 1
		c.pos = int(to)
	}
	var rows [][]any
	for i := from; i >= to && i >= 1; i-- {
		if i <= last {
			rows = append(rows, c.rows[i-1-base])
		}
	}
	return rows, nil
}

// scansBackward reports whether a FETCH (or MOVE) in direction dir by n moves a NO SCROLL cursor backward or back
// to its start, which PostgreSQL refuses: backward, to an absolute row it reaches so (PostgreSQL's
// DoPortalRunFetch), and FETCH 0 of the current row, which backs up to fetch it again.
func (c *cursor) scansBackward(dir pg.FetchDirection, n int64, move bool) bool {
	if !c.noScroll {
		return false
	}
	last := int64(c.base + len(c.rows))
	p := min(int64(c.pos), last+1)
	onRow := p >= 1 && p <= last
	switch dir {
	case pg.FetchDirection_FETCH_FORWARD, pg.FetchDirection_FETCH_RELATIVE:
		return n < 0 || n == 0 && !move && onRow
	case pg.FetchDirection_FETCH_BACKWARD:
		if n == fetchAll && move {
			return p != 0 // MOVE BACKWARD ALL goes back to the start, which a cursor there need not leave
		}
		// FETCH BACKWARD 0 runs backward even off a row (PostgreSQL's executor starts backward, for no row).
		return n > 0 || n == 0 && !move
	case pg.FetchDirection_FETCH_ABSOLUTE:
		// PostgreSQL goes back to the start for a row less than halfway along, else moves from where it is; going
		// back to the start is backward unless the cursor is there and has fetched nothing.
		pos := min(p, last) // PostgreSQL's portalPos: past the end is on the last row, flagged
		switch {
		case n < 0:
			return true
		case n == 0 || n-1 <= pos/2:
			return p != 0
		case p == last+1:
			return n <= pos+1
		}
		return n <= pos
	}
	return false
}

// check is the error a FETCH or MOVE gives before it moves the cursor, nil for none: a failed cursor's, or a NO
// SCROLL cursor's moved backward, which fails it.
func (c *cursor) check(dir pg.FetchDirection, n int64, move bool) error {
	if c.failed {
		return errorf("55000", "portal \"%s\" cannot be run", strings.TrimPrefix(c.name, portalCursor("")))
	}
	if c.scansBackward(dir, n, move) {
		c.failed = true
		return &Error{Code: "55000", Message: "cursor can only scan forward", Hint: "Declare it with SCROLL option to enable backward scan."}
	}
	return nil
}

// closeCursor runs CLOSE name, or CLOSE ALL (an empty name). An unknown cursor is 34000.
func (x *exec) closeCursor(cp *pg.ClosePortalStmt) (*Result, error) {
	tag := "CLOSE CURSOR"
	if cp.Portalname == "" {
		tag = "CLOSE CURSOR ALL"
	}
	if x.describe {
		return &Result{Tag: tag}, nil
	}
	if cp.Portalname == "" {
		for _, c := range x.s.cursors {
			c.release(x.ctx)
		}
		x.s.cursors = nil
	} else if c := x.s.cursors[cp.Portalname]; c == nil {
		return nil, errorf("34000", "cursor \"%s\" does not exist", cp.Portalname)
	} else {
		c.release(x.ctx)
	}
	delete(x.s.cursors, cp.Portalname)
	return &Result{Tag: tag}, nil
}

// lockingWord is the first locking clause of sel as DECLARE's error names it: UPDATE, NO KEY UPDATE, SHARE or KEY
// SHARE.
func lockingWord(sel *pg.SelectStmt) string {
	switch sel.LockingClause[0].GetLockingClause().GetStrength() {
	case pg.LockClauseStrength_LCS_FORKEYSHARE:
		return "KEY SHARE"
	case pg.LockClauseStrength_LCS_FORSHARE:
		return "SHARE"
	case pg.LockClauseStrength_LCS_FORNOKEYUPDATE:
		return "NO KEY UPDATE"
	}
	return "UPDATE"
}
