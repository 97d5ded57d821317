package concord

import (
	"context"

	"github.com/concorddb/concord/internal/engine"
)

// OpStats is what MongoDB's profiler shows for one operation: keys and
// documents examined, documents matched, modified, upserted, inserted,
// deleted and returned, write conflicts met, yields and the plan summary
// ("IDHACK", "COLLSCAN", "IXSCAN { k: 1 }").
type OpStats = engine.Stats

// opStatsKey is the context key of the OpStats.
type opStatsKey struct{}

// WithOpStats returns a context that makes every operation run with it
// record its statistics in *st. Pass a fresh OpStats per operation to profile
// one at a time. st must not be read while an operation using the context is
// running: the operation writes it without locking.
func WithOpStats(ctx context.Context, st *OpStats) context.Context {
	return context.WithValue(ctx, opStatsKey{}, st)
}

// OpStatsFromContext returns the OpStats installed by WithOpStats, or nil.
func OpStatsFromContext(ctx context.Context) *OpStats {
	st, _ := ctx.Value(opStatsKey{}).(*OpStats)
	return st
}
