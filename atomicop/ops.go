package atomicop

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// CompareAndSwap sets Field to New only if it currently equals Expected (and, when Version is non-zero, the
// version field equals Version). Under any number of concurrent racers with the same expectation exactly one
// applies.
type CompareAndSwap struct {
	ID       any
	Field    string
	Expected any
	New      any
	// Version, when non-zero, must also match Options.VersionField.
	Version int64
}

func (op CompareAndSwap) describe() (string, any) { return "compareAndSwap", op.ID }

func (op CompareAndSwap) run(ctx context.Context, o *Ops) (Result, error) {
	filter := bson.D{{Key: "_id", Value: op.ID}, {Key: op.Field, Value: bson.D{{Key: "$eq", Value: op.Expected}}}}
	if op.Version != 0 && o.opts.VersionField != "" {
		filter = append(filter, bson.E{Key: o.opts.VersionField, Value: op.Version})
	}
	ur, err := o.c.UpdateOne(ctx, filter, o.update(bson.D{{Key: "$set", Value: bson.D{{Key: op.Field, Value: op.New}}}}), nil)
	if err != nil {
		return Result{}, err
	}
	res := Result{Op: "compareAndSwap", Applied: ur.Matched == 1, Matched: ur.Matched, Modified: ur.Modified, Attempts: 1}
	if !res.Applied {
		return res, o.exists(ctx, op.ID)
	}
	return res, nil
}

// Increment adds By to the integer Field unless the result would leave [Min, Max]. The bound is part of the
// filter ({Field: {$gte: Min - By}} for a decrement, {$lte: Max - By} for an increment), so concurrent
// increments never cross it. A nil bound is no bound.
type Increment struct {
	ID       any
	Field    string
	By       int64
	Min, Max *int64
}

func (op Increment) describe() (string, any) { return "increment", op.ID }

func (op Increment) run(ctx context.Context, o *Ops) (Result, error) {
	filter := bson.D{{Key: "_id", Value: op.ID}}
	var bound bson.D
	if op.Min != nil && op.By < 0 {
		bound = append(bound, bson.E{Key: "$gte", Value: *op.Min - op.By})
	}
	if op.Max != nil && op.By > 0 {
		bound = append(bound, bson.E{Key: "$lte", Value: *op.Max - op.By})
	}
	if bound != nil {
		filter = append(filter, bson.E{Key: op.Field, Value: bound})
	}
	proj := &store.FindOneAndModifyOptions{ReturnAfter: true, Projection: bson.D{{Key: op.Field, Value: 1}}}
	doc, err := o.c.FindOneAndUpdate(ctx, filter, o.update(bson.D{{Key: "$inc", Value: bson.D{{Key: op.Field, Value: op.By}}}}), proj)
	res := Result{Op: "increment", Attempts: 1}
	if err == nil {
		res.Applied, res.Matched, res.Modified = true, 1, 1
		res.Value = doc.Lookup(op.Field)
		return res, nil
	}
	if !errors.Is(err, store.ErrNoDocuments) {
		return Result{}, err
	}
	cur, err := o.c.FindOne(ctx, bson.D{{Key: "_id", Value: op.ID}}, &store.FindOptions{Projection: bson.D{{Key: op.Field, Value: 1}}})
	if errors.Is(err, store.ErrNoDocuments) {
		return res, ErrNotFound
	}
	if err != nil {
		return Result{}, err
	}
	res.Refused = true
	res.Value = cur.Lookup(op.Field)
	return res, nil
}

// AddToSet adds Value to the array Field unless it is there already; Applied says whether it was added.
type AddToSet struct {
	ID    any
	Field string
	Value any
}

func (op AddToSet) describe() (string, any) { return "addToSet", op.ID }

func (op AddToSet) run(ctx context.Context, o *Ops) (Result, error) {
	// The filter requires the value to be absent, so that Applied (one document matched) is exact and a
	// version increments only when the array changes.
	filter := bson.D{{Key: "_id", Value: op.ID}, {Key: op.Field, Value: bson.D{{Key: "$ne", Value: op.Value}}}}
	return o.arrayUpdate(ctx, "addToSet", op.ID, filter, bson.D{{Key: "$addToSet", Value: bson.D{{Key: op.Field, Value: op.Value}}}})
}

// Push appends Value to the array Field; a positive Cap keeps only the last Cap elements ($slice).
type Push struct {
	ID    any
	Field string
	Value any
	Cap   int
}

func (op Push) describe() (string, any) { return "push", op.ID }

func (op Push) run(ctx context.Context, o *Ops) (Result, error) {
	var arg any = op.Value
	if op.Cap > 0 {
		arg = bson.D{{Key: "$each", Value: bson.A{op.Value}}, {Key: "$slice", Value: -op.Cap}}
	}
	return o.arrayUpdate(ctx, "push", op.ID, bson.D{{Key: "_id", Value: op.ID}}, bson.D{{Key: "$push", Value: bson.D{{Key: op.Field, Value: arg}}}})
}

// Pull removes every element equal to Value from the array Field; Applied says whether there was one.
type Pull struct {
	ID    any
	Field string
	Value any
}

func (op Pull) describe() (string, any) { return "pull", op.ID }

func (op Pull) run(ctx context.Context, o *Ops) (Result, error) {
	filter := bson.D{{Key: "_id", Value: op.ID}, {Key: op.Field, Value: op.Value}}
	return o.arrayUpdate(ctx, "pull", op.ID, filter, bson.D{{Key: "$pull", Value: bson.D{{Key: op.Field, Value: op.Value}}}})
}

// arrayUpdate runs an array operator on the document filter matches only when the operator changes it;
// Applied is whether it matched.
func (o *Ops) arrayUpdate(ctx context.Context, name string, id any, filter, u bson.D) (Result, error) {
	ur, err := o.c.UpdateOne(ctx, filter, o.update(u), nil)
	if err != nil {
		return Result{}, err
	}
	res := Result{Op: name, Applied: ur.Matched == 1, Matched: ur.Matched, Modified: ur.Modified, Attempts: 1}
	if !res.Applied {
		return res, o.exists(ctx, id)
	}
	return res, nil
}

// Pop removes the last element of the array Field (the first with First) and returns it in Result.Value;
// Applied is false when the array was empty.
type Pop struct {
	ID    any
	Field string
	First bool
}

func (op Pop) describe() (string, any) { return "pop", op.ID }

func (op Pop) run(ctx context.Context, o *Ops) (Result, error) {
	dir := 1
	if op.First {
		dir = -1
	}
	filter := bson.D{{Key: "_id", Value: op.ID}, {Key: op.Field + ".0", Value: bson.D{{Key: "$exists", Value: true}}}}
	before, err := o.c.FindOneAndUpdate(ctx, filter, o.update(bson.D{{Key: "$pop", Value: bson.D{{Key: op.Field, Value: dir}}}}),
		&store.FindOneAndModifyOptions{Projection: bson.D{{Key: op.Field, Value: 1}}})
	res := Result{Op: "pop", Attempts: 1}
	if errors.Is(err, store.ErrNoDocuments) {
		return res, o.exists(ctx, op.ID)
	}
	if err != nil {
		return Result{}, err
	}
	vals, _ := before.Lookup(op.Field).Array().Values()
	if op.First {
		res.Value = vals[0]
	} else {
		res.Value = vals[len(vals)-1]
	}
	res.Applied, res.Matched, res.Modified = true, 1, 1
	return res, nil
}

// Upsert applies Update to the document matching Filter, inserting one built from both when none matches.
// Two concurrent upserts of the same key can both find nothing and both insert; the loser fails with a
// duplicate key on the key it filtered by (which must have a unique index, _id's or another, or MongoDB may
// store two documents). Upsert then retries, and the retry matches the winner's document and updates it, so
// the key ends with one document and every caller's update applied.
type Upsert struct {
	Filter any
	Update any
}

func (op Upsert) describe() (string, any) { return "upsert", op.Filter }

func (op Upsert) run(ctx context.Context, o *Ops) (Result, error) {
	u, err := toD(op.Update)
	if err != nil {
		return Result{}, err
	}
	res := Result{Op: "upsert"}
	n, err := o.retry(ctx).Do(ctx, o.opts.Metrics, o.ns, func(ctx context.Context) error {
		ur, err := o.c.UpdateOne(ctx, op.Filter, o.update(u), &store.UpdateOptions{Upsert: true})
		if store.IsDuplicateKey(err) && !occ.InTransaction(ctx) {
			// Retryable as a conflict: nothing was written.
			return &occ.ConflictError{Collection: o.ns, ID: op.Filter, Unknown: true}
		}
		if err != nil {
			return err
		}
		res.Applied, res.Matched, res.Modified, res.UpsertedID = true, ur.Matched, ur.Modified, ur.UpsertedID
		return nil
	})
	res.Attempts = n
	return res, err
}

// Swap exchanges the values of fields A and B of one document (a missing field swaps as missing). MongoDB
// needs a pipeline update to do it in one write; Swap instead writes conditioned on both values it read and
// rereads and retries if either moved, which is as atomic: no other write lands between the read values and
// the swap.
type Swap struct {
	ID   any
	A, B string
}

func (op Swap) describe() (string, any) { return "swap", op.ID }

func (op Swap) run(ctx context.Context, o *Ops) (Result, error) {
	res := Result{Op: "swap"}
	n, err := o.retry(ctx).Do(ctx, o.opts.Metrics, o.ns, func(ctx context.Context) error {
		doc, err := o.c.FindOne(ctx, bson.D{{Key: "_id", Value: op.ID}}, &store.FindOptions{Projection: bson.D{{Key: op.A, Value: 1}, {Key: op.B, Value: 1}}})
		if errors.Is(err, store.ErrNoDocuments) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		a, aerr := doc.LookupErr(op.A)
		b, berr := doc.LookupErr(op.B)
		filter := bson.D{{Key: "_id", Value: op.ID}}
		var set, unset bson.D
		var eqs bson.A
		for _, f := range []struct {
			field string
			old   bson.RawValue
			oldOK bool
			now   bson.RawValue
			nowOK bool
		}{{op.A, a, aerr == nil, b, berr == nil}, {op.B, b, berr == nil, a, aerr == nil}} {
			if f.oldOK {
				eqs = append(eqs, bson.D{{Key: "$eq", Value: bson.A{"$" + f.field, bson.D{{Key: "$literal", Value: f.old}}}}})
			} else {
				filter = append(filter, bson.E{Key: f.field, Value: bson.D{{Key: "$exists", Value: false}}})
			}
			if f.nowOK {
				set = append(set, bson.E{Key: f.field, Value: f.now})
			} else {
				unset = append(unset, bson.E{Key: f.field, Value: ""})
			}
		}
		if len(eqs) > 0 {
			filter = append(filter, bson.E{Key: "$expr", Value: bson.D{{Key: "$and", Value: eqs}}})
		}
		var u bson.D
		if set != nil {
			u = append(u, bson.E{Key: "$set", Value: set})
		}
		if unset != nil {
			u = append(u, bson.E{Key: "$unset", Value: unset})
		}
		if u == nil {
			res.Applied, res.Matched = true, 1 // both missing: nothing to swap
			return nil
		}
		ur, err := o.c.UpdateOne(ctx, filter, o.update(u), nil)
		if err != nil {
			return err
		}
		if ur.Matched == 0 {
			return &occ.ConflictError{Collection: o.ns, ID: op.ID, Unknown: true}
		}
		res.Applied, res.Matched, res.Modified = true, ur.Matched, ur.Modified
		return nil
	})
	res.Attempts = n
	return res, err
}

// toD returns v as a bson.D.
func toD(v any) (bson.D, error) {
	if d, ok := v.(bson.D); ok {
		return d, nil
	}
	raw, err := bson.Marshal(v)
	if err != nil {
		return nil, err
	}
	var d bson.D
	return d, bson.Unmarshal(raw, &d)
}
