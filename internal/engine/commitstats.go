package engine

import "context"

// CommitStats describes what a committed transaction wrote, as mongod's serverStatus
// transactions.lastCommittedTransaction reports it.
type CommitStats struct {
	// Operations counts the documents the transaction inserted, updated or deleted (a document written several
	// times counts once: the transaction keeps its final version only).
	Operations int64
	// Bytes is the size of what the commit logged: each new document version, or the _id of a deleted one.
	Bytes int64
}

type commitStatsKey struct{}

// WithCommitStats returns a context under which Txn.Commit fills st once the transaction is committed. A commit
// that wrote nothing leaves it zero.
func WithCommitStats(ctx context.Context, st *CommitStats) context.Context {
	return context.WithValue(ctx, commitStatsKey{}, st)
}

// commitStatsFrom returns the CommitStats of ctx, or nil.
func commitStatsFrom(ctx context.Context) *CommitStats {
	st, _ := ctx.Value(commitStatsKey{}).(*CommitStats)
	return st
}

// commitStats measures t's buffered writes; it must run before the commit clears them.
func (t *Txn) commitStats() CommitStats {
	var st CommitStats
	for _, w := range t.writes {
		st.Operations++
		if w.doc != nil {
			st.Bytes += int64(len(w.doc))
		} else {
			st.Bytes += int64(len(w.id.Value))
		}
	}
	return st
}
