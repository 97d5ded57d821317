package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
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
	rows, err := x.query(dc.Query.GetSelectStmt())
	if err != nil {
		return nil, err
	}
	for i := range rows.Columns {
		if rows.Columns[i].OID == 0 {
			rows.Columns[i].OID = columnOIDFromValues(rows.Rows, i)
		}
	}
	if x.s.cursors == nil {
		x.s.cursors = map[string]*cursor{}
	}
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
	last := int64(len(c.rows))
	p := min(int64(c.pos), last+1)
	on := func(i int64) [][]any { // onto row i, or past the end it is beyond
		switch {
		case i < 1:
			c.pos = 0
		case i > last:
			c.pos = int(last + 1)
		default:
			c.pos = int(i)
			return c.rows[i-1 : i]
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
			return c.rows[p-1 : p], nil
		}
		return nil, nil
	}
	if dir == pg.FetchDirection_FETCH_FORWARD {
		if n > last-p {
			c.pos = int(last + 1)
			return c.rows[min(p, last):], nil
		}
		c.pos = int(p + n)
		return c.rows[p : p+n], nil
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
			rows = append(rows, c.rows[i-1])
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
	last := int64(len(c.rows))
	p := min(int64(c.pos), last+1)
	onRow := p >= 1 && p <= last
	switch dir {
	case pg.FetchDirection_FETCH_FORWARD, pg.FetchDirection_FETCH_RELATIVE:
		return n < 0 || n == 0 && !move && onRow
	case pg.FetchDirection_FETCH_BACKWARD:
		if n == fetchAll && move {
			return p != 0 // MOVE BACKWARD ALL goes back to the start, which a cursor there need not leave
		}
		return n > 0 || n == 0 && !move && onRow
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
		return errorf("55000", "portal \"%s\" cannot be run", c.name)
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
		x.s.cursors = nil
	} else if x.s.cursors[cp.Portalname] == nil {
		return nil, errorf("34000", "cursor \"%s\" does not exist", cp.Portalname)
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
