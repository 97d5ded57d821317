package sql

import (
	"context"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Portals read a batch at a time. The extended protocol's Execute with a row limit (pgjdbc's fetchSize, node-postgres'
// cursors) in a transaction block reads a SELECT as a NO SCROLL cursor of the session named after the portal
// (cursors.go), so that a SELECT that streams (stream.go) is made a chunk at a time as the batches need it, and
// the block's writes between the batches do not change its rows, as PostgreSQL's portal's do not.

// portalCursor is the name of the cursor that reads portal: no SQL statement can name it.
func portalCursor(portal string) string { return "\x00portal " + portal }

// ExecuteBatch runs an Execute of portal (bound to prepared statement st with params) for at most n > 0 rows:
// the rows, aligned with st's columns. In a transaction block a SELECT runs as a cursor, the first call declaring
// it (started is set for the calls after it, which read on from it); ok is false for any other statement, and
// outside a block, which the caller runs with Execute instead. An error of a row the batch reaches comes with the
// rows before it, which PostgreSQL sends before its error.
func (s *Session) ExecuteBatch(ctx context.Context, st *Stmt, params []any, portal string, n int64, started bool) (rows [][]any, ok bool, err error) {
	name := portalCursor(portal)
	if s.cursors[name] == nil {
		if started {
			// Its cursor is gone: the block ended, or CLOSE ALL or a ROLLBACK TO closed it, as PostgreSQL's
			// portal. The error fails the block, as any does.
			s.failBlock()
			return nil, true, errorf("34000", "portal \"%s\" does not exist", portal)
		}
		if s.status != TxActive || s.implicit || st.stmt == nil || st.Columns == nil || st.stmt.raw.Stmt.GetSelectStmt() == nil {
			return nil, false, nil
		}
		decl := &pg.DeclareCursorStmt{Portalname: name, Options: cursorOptNoScroll, Query: st.stmt.raw.Stmt}
		ds := &Stmt{Text: st.Text, ParamOIDs: st.ParamOIDs,
			stmt: &statement{raw: &pg.RawStmt{Stmt: &pg.Node{Node: &pg.Node_DeclareCursorStmt{DeclareCursorStmt: decl}}}}}
		if _, err := s.Execute(ctx, ds, params); err != nil {
			return nil, true, err
		}
	}
	fetch := &pg.FetchStmt{Direction: pg.FetchDirection_FETCH_FORWARD, HowMany: n, Portalname: name}
	fs := &Stmt{Text: st.Text, stmt: &statement{raw: &pg.RawStmt{Stmt: &pg.Node{Node: &pg.Node_FetchStmt{FetchStmt: fetch}}}}}
	s.fetchedBeforeError = nil
	res, err := s.Execute(ctx, fs, nil)
	if err != nil {
		part := &Result{Columns: s.cursorColumns(name), Rows: s.fetchedBeforeError}
		s.fetchedBeforeError = nil
		s.showInZone(part)
		s.showIntervalStyle(part)
		return alignRows(st.Columns, part.Columns, part.Rows), true, err
	}
	return alignRows(st.Columns, res.Columns, res.Rows), true, nil
}

// cursorColumns are the columns of the cursor named name (none when it is gone).
func (s *Session) cursorColumns(name string) []Column {
	if c := s.cursors[name]; c != nil {
		return c.cols
	}
	return nil
}

// ClosePortal closes the cursor ExecuteBatch read portal with, if any: the portal was closed or bound again.
func (s *Session) ClosePortal(portal string) {
	if len(s.cursors) == 0 { // every Bind and Sync asks: most sessions have no cursor
		return
	}
	name := portalCursor(portal)
	if c := s.cursors[name]; c != nil {
		c.release(context.Background())
		delete(s.cursors, name)
	}
}
