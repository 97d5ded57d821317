package sql

import "context"

// The extended query protocol's implicit transaction. PostgreSQL runs the
// statements a client executes between two Syncs in one transaction: the
// Sync commits it, an error rolls back the earlier statements of the batch,
// a BEGIN among them makes the block an ordinary one (which stays open
// after the Sync), and a COMMIT or ROLLBACK among them ends it. A front end
// calls BeginImplicit before the batch's statements, LeaveImplicit before a
// transaction-control statement among them, and EndImplicit at the Sync.

// BeginImplicit opens the implicit transaction block of an extended-protocol
// batch. It does nothing when a transaction block is open already.
func (s *Session) BeginImplicit(ctx context.Context) error {
	if s.status != TxIdle {
		return nil
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.implicit = true
	return nil
}

// Implicit reports whether the session is in an implicit transaction block.
func (s *Session) Implicit() bool { return s.implicit }

// LeaveImplicit hands the implicit block to the transaction-control
// statement about to run: after a BEGIN it is an ordinary block, a COMMIT
// or ROLLBACK ends it.
func (s *Session) LeaveImplicit() { s.implicit = false }

// EndImplicit ends the implicit transaction block, if one is open: it
// commits when ok and no statement of the block failed, and rolls back
// otherwise. It returns the commit's error (a 40001 when the transaction
// lost a conflict at commit), after which the block is rolled back.
func (s *Session) EndImplicit(ctx context.Context, ok bool) error {
	if !s.implicit {
		return nil
	}
	s.implicit = false
	if !ok || s.status != TxActive {
		s.abortBlock()
		return nil
	}
	err := s.txn.commit(ctx)
	s.txn, s.status = nil, TxIdle
	s.endBlock(err == nil)
	if err != nil {
		return AsError(err)
	}
	return nil
}

// TxnControl reports whether the statement is BEGIN, COMMIT, ROLLBACK or
// the like.
func (st *Stmt) TxnControl() bool { return st.stmt != nil && isTxnControl(st.stmt.raw.Stmt) }
