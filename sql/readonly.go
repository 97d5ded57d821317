package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// Read-only transactions, as PostgreSQL has them: BEGIN READ ONLY, START TRANSACTION READ ONLY and SET
// TRANSACTION READ ONLY make the transaction block read-only; default_transaction_read_only (SET, or SET SESSION
// CHARACTERISTICS AS TRANSACTION READ ONLY) makes every transaction the session starts read-only, the implicit
// transaction of a statement outside a block included. A statement that writes fails there with 25006.

// CodeReadOnlyTransaction is PostgreSQL's read_only_sql_transaction.
const CodeReadOnlyTransaction = "25006"

// readOnlyNow reports whether the statement about to run is in a read-only transaction.
func (s *Session) readOnlyNow() bool {
	if s.status != TxIdle {
		return s.txReadOnly
	}
	return s.params.readOnly
}

// checkReadOnly is the 25006 of a statement that writes, run in a read-only transaction.
func (s *Session) checkReadOnly(n *pg.Node) error {
	if !s.readOnlyNow() {
		return nil
	}
	if what := writeCommand(n); what != "" {
		return errorf(CodeReadOnlyTransaction, "cannot execute %s in a read-only transaction", what)
	}
	return nil
}

// writeCommand names a statement that writes as PostgreSQL's read-only error names it; "" for one that does not.
// A SELECT writes when one of its WITH queries does, and is named SELECT, as PostgreSQL names it.
func writeCommand(n *pg.Node) string {
	switch {
	case n.GetInsertStmt() != nil:
		return "INSERT"
	case n.GetUpdateStmt() != nil:
		return "UPDATE"
	case n.GetDeleteStmt() != nil:
		return "DELETE"
	case n.GetMergeStmt() != nil:
		return "MERGE"
	case n.GetSelectStmt() != nil:
		sel := n.GetSelectStmt()
		if sel.WithClause != nil {
			for _, c := range sel.WithClause.Ctes {
				if q := c.GetCommonTableExpr().GetCtequery(); q != nil && writeCommand(q) != "" {
					return "SELECT"
				}
			}
		}
		if len(sel.LockingClause) > 0 {
			if lc := sel.LockingClause[0].GetLockingClause(); lc != nil && (lc.Strength == pg.LockClauseStrength_LCS_FORSHARE || lc.Strength == pg.LockClauseStrength_LCS_FORKEYSHARE) {
				return "SELECT FOR SHARE"
			}
			return "SELECT FOR UPDATE"
		}
		if sel.IntoClause != nil {
			return "SELECT INTO"
		}
	case n.GetCreateStmt() != nil:
		return "CREATE TABLE"
	case n.GetCreateTableAsStmt() != nil && n.GetCreateTableAsStmt().Objtype == pg.ObjectType_OBJECT_MATVIEW:
		return "CREATE MATERIALIZED VIEW"
	case n.GetCreateTableAsStmt() != nil:
		return "CREATE TABLE AS"
	case n.GetRefreshMatViewStmt() != nil:
		return "REFRESH MATERIALIZED VIEW"
	case n.GetIndexStmt() != nil:
		return "CREATE INDEX"
	case n.GetViewStmt() != nil:
		return "CREATE VIEW"
	case n.GetCreateSeqStmt() != nil:
		return "CREATE SEQUENCE"
	case n.GetAlterSeqStmt() != nil:
		return "ALTER SEQUENCE"
	case n.GetCreateEnumStmt() != nil:
		return "CREATE TYPE"
	case n.GetAlterEnumStmt() != nil:
		return "ALTER TYPE"
	case n.GetCreateDomainStmt() != nil:
		return "CREATE DOMAIN"
	case n.GetCreateFunctionStmt() != nil:
		return "CREATE FUNCTION"
	case n.GetAlterDomainStmt() != nil:
		return "ALTER DOMAIN"
	case n.GetAlterTableStmt() != nil:
		return "ALTER " + objectWord(n.GetAlterTableStmt().Objtype)
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		if rs.RenameType == pg.ObjectType_OBJECT_COLUMN {
			return "ALTER " + objectWord(rs.RelationType)
		}
		return "ALTER " + objectWord(rs.RenameType)
	case n.GetDropStmt() != nil:
		return "DROP " + objectWord(n.GetDropStmt().RemoveType)
	case n.GetTruncateStmt() != nil:
		return "TRUNCATE TABLE"
	case n.GetCommentStmt() != nil:
		return "COMMENT"
	case n.GetCopyStmt() != nil && n.GetCopyStmt().IsFrom:
		return "COPY FROM"
	}
	return ""
}

// transactionMode applies the transaction_read_only and transaction_isolation items of BEGIN, START
// TRANSACTION or SET TRANSACTION to the block. After the block's first query a block may turn read-only but not
// back, and its isolation level may not change (25001), as in PostgreSQL.
func (s *Session) transactionMode(items []*pg.Node) error {
	for _, it := range items {
		d := it.GetDefElem()
		if d == nil {
			continue
		}
		switch d.Defname {
		case "transaction_read_only":
			on := d.Arg.GetAConst().GetIval().GetIval() != 0
			if !on && s.txReadOnly && s.blockRan {
				return errorf(CodeActiveSQLTransaction, "transaction read-write mode must be set before any query")
			}
			s.txReadOnly = on
		case "transaction_isolation":
			if s.blockRan {
				return errorf(CodeActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
			}
		}
	}
	return nil
}

// readOnlySetting reads default_transaction_read_only's value as a boolean's text (on, off, true, ...).
func readOnlySetting(v string) (on, ok bool) {
	b, err := coerce(v, OIDBool)
	if err != nil {
		return false, false
	}
	return b.(bool), true
}
