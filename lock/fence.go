package lock

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// DefaultFenceField names the field in which a guarded document keeps the highest token that wrote it.
const DefaultFenceField = "fence"

// Guard makes writes to a collection carry a lease's fencing token: a guarded document keeps, in its fence
// field, the highest token that has written it, and a write whose token is lower matches nothing. The check and
// the stamp are in the filter and the update of the one write, so they are as atomic as the write itself.
type Guard struct {
	// C is the guarded collection.
	C store.Collection
	// Field names the fence field; DefaultFenceField when empty.
	Field string
	// Metrics counts refused writes (Fenced) under C's namespace; occ.DefaultMetrics when nil.
	Metrics *occ.Metrics
}

func (g *Guard) field() string {
	if g.Field == "" {
		return DefaultFenceField
	}
	return g.Field
}

// FenceFilter returns filter with the fencing condition added: the document's fence field is missing or not
// above token. filter itself is not modified.
func FenceFilter(filter bson.D, field string, token int64) bson.D {
	out := make(bson.D, 0, len(filter)+1)
	out = append(out, filter...)
	return append(out, bson.E{Key: field, Value: bson.D{{Key: "$not", Value: bson.D{{Key: "$gt", Value: token}}}}})
}

// FenceUpdate returns the operator document update with {$max: {field: token}} added, so that the document
// remembers the highest token that wrote it. update itself is not modified; it must not touch field.
func FenceUpdate(update bson.D, field string, token int64) bson.D {
	out := make(bson.D, len(update), len(update)+1)
	copy(out, update)
	for i, e := range out {
		if e.Key != "$max" {
			continue
		}
		if args, ok := e.Value.(bson.D); ok {
			out[i].Value = append(append(bson.D{}, args...), bson.E{Key: field, Value: token})
			return out
		}
	}
	return append(out, bson.E{Key: "$max", Value: bson.D{{Key: field, Value: token}}})
}

// UpdateOne applies update to the first document matching filter if no write with a higher token has reached
// it. When filter matches a document but the fence refuses the write, nothing is written and the error is
// ErrFenced; when filter matches nothing, the result says so (Matched 0) and the error is nil. With
// opts.Upsert, filter must name the _id: a missing document is created carrying the token, and a fenced one is
// ErrFenced (the upsert's insert collides with its _id). Without an _id a fenced document would look missing
// and the upsert would insert a second one.
func (g *Guard) UpdateOne(ctx context.Context, token int64, filter, update bson.D, opts *store.UpdateOptions) (store.UpdateResult, error) {
	res, err := g.C.UpdateOne(ctx, FenceFilter(filter, g.field(), token), FenceUpdate(update, g.field(), token), opts)
	if opts != nil && opts.Upsert && store.IsDuplicateKey(err) {
		return store.UpdateResult{}, g.fenced()
	}
	if err != nil || res.Matched > 0 || res.UpsertedID != nil {
		return res, err
	}
	// Nothing matched: was it the fence or the filter?
	_, ferr := g.C.FindOne(ctx, filter, &store.FindOptions{Projection: bson.D{{Key: "_id", Value: 1}}})
	if errors.Is(ferr, store.ErrNoDocuments) {
		return res, nil
	}
	if ferr != nil {
		return res, ferr
	}
	return res, g.fenced()
}

func (g *Guard) fenced() error {
	m := g.Metrics
	if m == nil {
		m = occ.DefaultMetrics
	}
	m.Add(g.C.Database()+"."+g.C.Name(), func(c *occ.Counters) { c.Fenced++ })
	return ErrFenced
}
