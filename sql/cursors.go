package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// DECLARE name [NO SCROLL] CURSOR [WITHOUT HOLD] FOR SELECT ..., FETCH [FORWARD | NEXT] [n | ALL] [FROM | IN]
// name, MOVE, CLOSE name | ALL, in a transaction block, as pg_dump --inserts and psql's FETCH_COUNT read tables.
// DECLARE runs the query at once, in the block's transaction, and keeps its rows; FETCH hands them out in order.
// The cursors close when the block ends. WITH HOLD and backward fetches are 0A000.

// cursorOptHold is PostgreSQL's CURSOR_OPT_HOLD, DECLARE's WITH HOLD.
const cursorOptHold = 0x20

// cursor is a cursor DECLARE (or PL/pgSQL's OPEN) made: the rows of its query and its position, how many FETCH
// has handed out (PL/pgSQL's FETCH moves it both ways, and one past the last row).
type cursor struct {
	cols []Column
	rows [][]any
	pos  int
}

// declareCursor runs DECLARE. Outside a transaction block it is 25P01, a name in use 42P03, as in PostgreSQL.
func (x *exec) declareCursor(dc *pg.DeclareCursorStmt) (*Result, error) {
	res := &Result{Tag: "DECLARE CURSOR"}
	if x.describe {
		return res, nil
	}
	switch {
	case dc.Options&cursorOptHold != 0:
		return nil, unsupported("WITH HOLD cursors")
	case x.s.status == TxIdle:
		return nil, errorf(CodeNoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	case x.s.cursors[dc.Portalname] != nil:
		return nil, errorf("42P03", "cursor \"%s\" already exists", dc.Portalname)
	case dc.Query.GetSelectStmt() == nil:
		return nil, unsupported("a cursor over a statement other than SELECT")
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
	x.s.cursors[dc.Portalname] = &cursor{cols: rows.Columns, rows: rows.Rows}
	return res, nil
}

// fetch runs FETCH and MOVE forward: the next n rows (all that are left for ALL), tagged FETCH n or MOVE n. An
// unknown cursor is 34000.
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
	if fs.Direction != pg.FetchDirection_FETCH_FORWARD || fs.HowMany < 0 {
		return nil, unsupported("FETCH other than forward (cursors here do not scroll)")
	}
	c.pos = min(c.pos, len(c.rows)) // past the last row, where a PL/pgSQL FETCH may have left it
	n := len(c.rows) - c.pos
	if fs.HowMany < int64(n) {
		n = int(fs.HowMany)
	}
	if !fs.Ismove {
		res.Rows = c.rows[c.pos : c.pos+n]
	}
	c.pos += n
	res.Tag = fmt.Sprintf("FETCH %d", n)
	if fs.Ismove {
		res.Tag = fmt.Sprintf("MOVE %d", n)
	}
	return res, nil
}

// closeCursor runs CLOSE name, or CLOSE ALL (an empty name). An unknown cursor is 34000.
func (x *exec) closeCursor(cp *pg.ClosePortalStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "CLOSE CURSOR"}, nil
	}
	if cp.Portalname == "" {
		x.s.cursors = nil
	} else if x.s.cursors[cp.Portalname] == nil {
		return nil, errorf("34000", "cursor \"%s\" does not exist", cp.Portalname)
	}
	delete(x.s.cursors, cp.Portalname)
	return &Result{Tag: "CLOSE CURSOR"}, nil
}
