package engine

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/expr"
)

// A command's variables ($$NOW, $$CLUSTER_TIME and its let) are fixed when
// the command starts and seen by every document and statement it runs, as
// in mongod. They travel in the context, beside the read snapshot, because
// they belong to the command rather than to one statement: an update
// command's statements all see the same ones.

// commandTime is what WithCommandTime stores.
type commandTime struct {
	now         time.Time
	clusterTime bson.Timestamp
}

type commandTimeKey struct{}

type commandScopeKey struct{}

// WithCommandTime returns a context whose operations bind $$NOW to now and
// $$CLUSTER_TIME to clusterTime (which a zero Timestamp leaves unbound:
// referencing it is then 17276, as on a standalone mongod). Without it, each
// operation binds $$NOW to the time it starts.
func WithCommandTime(ctx context.Context, now time.Time, clusterTime bson.Timestamp) context.Context {
	return context.WithValue(ctx, commandTimeKey{}, commandTime{now: now, clusterTime: clusterTime})
}

// WithLet returns a context whose operations see the let variables of let
// (a document of expressions, nil for none), evaluated once here with the
// $$NOW and $$CLUSTER_TIME of ctx (see WithCommandTime; $$NOW is the time
// of this call without it). Errors are expr.CommandScope's.
func WithLet(ctx context.Context, let bson.Raw) (context.Context, error) {
	ct := commandTimeFrom(ctx)
	scope, err := expr.CommandScope(let, ct.now, ct.clusterTime)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, commandScopeKey{}, scope), nil
}

// commandTimeFrom returns the command time of ctx, or now with no cluster
// time.
func commandTimeFrom(ctx context.Context) commandTime {
	if ct, ok := ctx.Value(commandTimeKey{}).(commandTime); ok {
		return ct
	}
	return commandTime{now: time.Now()}
}

// scopeFrom returns the scope an operation compiles its expressions in: the
// one WithLet stored, or one binding only the command's time.
func scopeFrom(ctx context.Context) *expr.Scope {
	if s, ok := ctx.Value(commandScopeKey{}).(*expr.Scope); ok {
		return s
	}
	ct := commandTimeFrom(ctx)
	s, _ := expr.CommandScope(nil, ct.now, ct.clusterTime) // without let it cannot fail
	return s
}
