package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"
)

// accessShareLock is PostgreSQL's number for LOCK TABLE's ACCESS SHARE MODE (AccessShareLock).
const accessShareLock = 1

// lockTable runs LOCK TABLE name [, ...] IN ACCESS SHARE MODE, which pg_dump sends for every table it dumps, in
// its transaction block: the tables must exist (42P01), and the lock itself changes nothing, as ACCESS SHARE
// conflicts only with ACCESS EXCLUSIVE (the lock DROP and ALTER TABLE take), and Concord's DDL does not wait for
// a reader's snapshot, which keeps seeing the tables as they were. Outside a transaction block it is 25P01, as
// in PostgreSQL; any other lock mode is 0A000.
func (x *exec) lockTable(ls *pg.LockStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "LOCK TABLE"}, nil
	}
	if ls.Mode != accessShareLock {
		return nil, unsupported("LOCK TABLE in a mode other than ACCESS SHARE")
	}
	if x.s.status == TxIdle {
		return nil, errorf(CodeNoActiveSQLTransaction, "LOCK TABLE can only be used in transaction blocks")
	}
	for _, n := range ls.Relations {
		rv := n.GetRangeVar()
		if rv == nil {
			continue
		}
		if rv.Schemaname != "" && rv.Schemaname != "public" {
			return nil, errorf(CodeUndefinedTable, "relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname)
		}
		if _, err := x.lookupTable(rv.Relname, rv.Location); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "LOCK TABLE"}, nil
}
