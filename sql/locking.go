package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// SELECT ... FOR UPDATE (FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE) locks the documents behind the rows it
// returns for the statement's transaction (Collection.LockForUpdate): until the transaction ends, another
// transaction writing or locking one of them fails with 40001, a write outside a transaction waits, and a row
// another transaction changed after this one's snapshot cannot be locked (40001). So transactions that lock
// the rows their decision reads (the doctors on call, the seats of a flight) cannot both commit a decision made
// on the same rows: no write skew. Every strength is an exclusive lock, and a lock another transaction holds is
// a conflict at once (40001; 55P03 with NOWAIT) rather than a wait, as Concord's transactions never wait.
// SKIP LOCKED leaves out the rows another transaction holds, before LIMIT, as PostgreSQL does.

// lockStrength is the clause's name in PostgreSQL's messages.
func lockStrength(lc *pg.LockingClause) string {
	switch lc.Strength {
	case pg.LockClauseStrength_LCS_FORNOKEYUPDATE:
		return "FOR NO KEY UPDATE"
	case pg.LockClauseStrength_LCS_FORSHARE:
		return "FOR SHARE"
	case pg.LockClauseStrength_LCS_FORKEYSHARE:
		return "FOR KEY SHARE"
	}
	return "FOR UPDATE"
}

// checkLocking refuses what PostgreSQL refuses with a locking clause.
func checkLocking(sel *pg.SelectStmt) error {
	what := lockStrength(sel.LockingClause[0].GetLockingClause())
	refuse := func(with string) error {
		return errorf(CodeFeatureNotSupported, "%s is not allowed with %s", what, with)
	}
	switch {
	case sel.Op != pg.SetOperation_SETOP_NONE && sel.Op != pg.SetOperation_SET_OPERATION_UNDEFINED:
		return refuse("UNION/INTERSECT/EXCEPT")
	case len(sel.DistinctClause) > 0:
		return refuse("DISTINCT clause")
	case len(sel.GroupClause) > 0:
		return refuse("GROUP BY clause")
	case sel.HavingClause != nil:
		return refuse("HAVING clause")
	case hasAggregate(sel.TargetList):
		return refuse("aggregate functions")
	}
	for _, t := range sel.TargetList {
		if walkNoSub(t, func(n *pg.Node) bool { return n.GetFuncCall() != nil && n.GetFuncCall().Over != nil }) {
			return refuse("window functions")
		}
	}
	return nil
}

// lockRows locks the documents behind the rows of a SELECT ... FOR UPDATE, sorted and not yet limited, and
// applies OFFSET and LIMIT: with SKIP LOCKED to the rows it could lock (rows past the limit are not locked),
// otherwise before locking.
func (x *exec) lockRows(sel *pg.SelectStmt, out *relation, keys [][]any, outer *scope) ([][]any, error) {
	var lc []*pg.LockingClause
	for _, n := range sel.LockingClause {
		lc = append(lc, n.GetLockingClause())
	}
	// The document columns each clause covers (FOR UPDATE OF a, b: those sources only).
	cols := map[int]*pg.LockingClause{}
	for i, c := range out.cols {
		if !c.hidden || c.table == "" {
			continue
		}
		for _, l := range lc {
			if len(l.LockedRels) == 0 {
				cols[i] = l
			}
			for _, r := range l.LockedRels {
				rv := r.GetRangeVar()
				name := rv.Relname
				if rv.Alias != nil {
					name = rv.Alias.Aliasname
				}
				if name == c.qual {
					cols[i] = l
				}
			}
		}
	}
	skip := false
	for _, l := range lc {
		skip = skip || l.WaitPolicy == pg.LockWaitPolicy_LockWaitSkip
	}
	if !skip {
		rows, err := x.limit(sel, out.rows, keys, outer)
		if err != nil {
			return nil, err
		}
		for i, l := range cols {
			if _, err := x.lockDocs(out.cols[i].table, rows, i, l, false); err != nil {
				return nil, err
			}
		}
		return rows, nil
	}
	// SKIP LOCKED: lock row by row, in order, until OFFSET + LIMIT rows are held.
	off, lim, err := x.limitBounds(sel, outer)
	if err != nil {
		return nil, err
	}
	var kept [][]any
	for _, row := range out.rows {
		if lim >= 0 && int64(len(kept)) >= off+lim {
			break
		}
		held := true
		for i, l := range cols {
			ok, err := x.lockDocs(out.cols[i].table, [][]any{row}, i, l, true)
			if err != nil {
				return nil, err
			}
			held = held && ok
		}
		if held {
			kept = append(kept, row)
		}
	}
	if off >= int64(len(kept)) {
		return nil, nil
	}
	return kept[off:], nil
}

// lockDocs locks the documents in column col of rows, of table, for the statement's transaction; with skip it
// reports whether all of them are now held rather than failing on one another transaction holds.
func (x *exec) lockDocs(table string, rows [][]any, col int, l *pg.LockingClause, skip bool) (bool, error) {
	var ids []bson.RawValue
	for _, r := range rows {
		if doc, ok := r[col].(bson.Raw); ok {
			if id, err := doc.LookupErr("_id"); err == nil {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return true, nil
	}
	locked, err := x.s.db().collection(table).lockForUpdate(x.ctx, ids, skip)
	if err != nil {
		if e := AsError(err); l.WaitPolicy == pg.LockWaitPolicy_LockWaitError && e.Code == CodeSerializationFailure {
			return false, &Error{Code: CodeLockNotAvailable, Message: fmt.Sprintf("could not obtain lock on row in relation %q", table), Cause: err}
		}
		return false, err
	}
	for _, ok := range locked {
		if !ok {
			return false, nil
		}
	}
	return true, nil
}
