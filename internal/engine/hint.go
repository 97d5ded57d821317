package engine

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// hintKey is the context key of a statement's hint.
type hintKey struct{}

// statementHint is what WithHint stores.
type statementHint struct {
	key  bson.Raw
	name string
}

// WithHint returns a context whose update, delete, findAndModify, aggregate, count or distinct plans with the
// index hint names: key is its key pattern ({$natural: 1} for a collection scan), or name its name when key is
// nil. A hint naming no usable index fails the statement with BadValue (2), as in mongod. Find takes its hint in
// FindSpec instead, beside min and max. A context carries the hint of one statement: the root package's methods
// install it per call.
func WithHint(ctx context.Context, key bson.Raw, name string) context.Context {
	if len(key) <= 5 && name == "" { // nil or {}: no hint
		return ctx
	}
	return context.WithValue(ctx, hintKey{}, statementHint{key: key, name: name})
}

// hinted returns o with the hint of ctx, if any.
func hinted(ctx context.Context, o planOptions) planOptions {
	if h, ok := ctx.Value(hintKey{}).(statementHint); ok {
		o.hint, o.hintName = h.key, h.name
	}
	return o
}

// isHinted reports whether ctx carries a hint.
func isHinted(ctx context.Context) bool {
	_, ok := ctx.Value(hintKey{}).(statementHint)
	return ok
}
