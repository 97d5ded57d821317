package sql

import (
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Stats are an Engine's counters since it was created: statements run by
// kind (SELECT, INSERT, UPDATE, DELETE, BEGIN, COMMIT, ROLLBACK, DDL,
// OTHER) and errors by SQLSTATE, what an exporter publishes beside the
// engine's metrics.
type Stats struct {
	Statements map[string]int64
	Errors     map[string]int64
}

// counters holds the Stats. Safe for concurrent use.
type counters struct {
	mu         sync.Mutex
	statements map[string]int64
	errors     map[string]int64
}

func (c *counters) add(kind, sqlstate string) {
	c.mu.Lock()
	if c.statements == nil {
		c.statements, c.errors = map[string]int64{}, map[string]int64{}
	}
	if kind != "" {
		c.statements[kind]++
	}
	if sqlstate != "" {
		c.errors[sqlstate]++
	}
	c.mu.Unlock()
}

// Stats returns a copy of the engine's counters.
func (e *Engine) Stats() Stats {
	e.stats.mu.Lock()
	defer e.stats.mu.Unlock()
	out := Stats{Statements: map[string]int64{}, Errors: map[string]int64{}}
	for k, v := range e.stats.statements {
		out.Statements[k] = v
	}
	for k, v := range e.stats.errors {
		out.Errors[k] = v
	}
	return out
}

// statementKind names a statement's kind for Stats.
func statementKind(n *pg.Node) string {
	switch {
	case n.GetSelectStmt() != nil:
		return "SELECT"
	case n.GetInsertStmt() != nil:
		return "INSERT"
	case n.GetUpdateStmt() != nil:
		return "UPDATE"
	case n.GetDeleteStmt() != nil, n.GetTruncateStmt() != nil:
		return "DELETE"
	case n.GetTransactionStmt() != nil:
		switch n.GetTransactionStmt().Kind {
		case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
			return "BEGIN"
		case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
			return "COMMIT"
		case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
			return "ROLLBACK"
		}
	case n.GetCreateStmt() != nil, n.GetIndexStmt() != nil, n.GetDropStmt() != nil, n.GetAlterTableStmt() != nil:
		return "DDL"
	}
	return "OTHER"
}
