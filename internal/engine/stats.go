package engine

// Stats is what the profiler shows for one operation. The engine fills the
// Stats passed to an operation when it is non-nil; counts accumulate, so a
// caller may pass the same Stats to several calls of one command.
type Stats struct {
	KeysExamined, DocsExamined, NMatched, NModified, NUpserted, NInserted, NDeleted, NReturned int64
	// WriteConflicts counts write conflicts the operation retried (outside a
	// transaction); NumYield counts the yields that went with them.
	WriteConflicts, NumYield int64
	// PlanSummary is "IDHACK", "COLLSCAN" or "IXSCAN { k: 1 }".
	PlanSummary string
	// ValidationWarnings are the writes that broke a validator whose action is "warn".
	ValidationWarnings []ValidationWarning
}

// statsOrLocal returns st, or a scratch Stats when st is nil, so operations
// can always count.
func statsOrLocal(st *Stats) *Stats {
	if st == nil {
		return &Stats{}
	}
	return st
}
