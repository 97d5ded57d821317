// Package atomicop runs the atomic operations applications otherwise get wrong with a client-side
// read-modify-write: compare-and-swap, bounded increment, array add-unique / push / remove / pop, an upsert that
// survives the insert race, a swap of two fields, and a list of these in one transaction. Each is one
// server-side single-document write (the swap, which MongoDB cannot express without a pipeline update, is a
// write conditioned on both values it read, retried if they moved), so concurrent callers never lose each
// other's changes, on the embedded engine and on MongoDB alike.
//
// Build an Ops with New, then run an operation value (CompareAndSwap, Increment, AddToSet, Push, Pull, Pop,
// Upsert, Swap) with Do, or several with Bulk. Every operation reports a Result saying whether it applied.
// Ops is safe for concurrent use.
package atomicop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// Options configures Ops. A nil *Options, and each zero field, mean the defaults.
type Options struct {
	// VersionField, when set, is incremented by every operation that changes a document, so that versioned
	// writers (package occ) see the change as a new version. Empty by default: the documents are not versioned.
	VersionField string
	// LogCollection, when set, names a collection of the same database where every operation records itself:
	// op, _id or filter, outcome, duration, attempts, user (occ.WithUser) and time. Inside Bulk the entries are
	// written in the transaction; otherwise right after the operation, so a crash in between loses the entry.
	LogCollection string
	// Retry bounds the retries of Upsert (after losing the insert race) and Swap (after a value moved);
	// by default 10 retries from 1 ms.
	Retry *occ.Retry
	// Metrics counts those retries; occ.DefaultMetrics by default.
	Metrics *occ.Metrics
}

// Ops runs atomic operations on one collection.
type Ops struct {
	st   store.Store
	c    store.Collection
	log  store.Collection
	ns   string
	opts Options
}

// New returns the atomic operations of the named collection of st.
func New(st store.Store, database, name string, opts *Options) *Ops {
	o := &Ops{st: st, c: st.Collection(database, name), ns: database + "." + name}
	if opts != nil {
		o.opts = *opts
	}
	if o.opts.Retry == nil {
		o.opts.Retry = &occ.Retry{MaxRetries: 10, Base: time.Millisecond, Max: 50 * time.Millisecond}
	}
	if o.opts.Metrics == nil {
		o.opts.Metrics = occ.DefaultMetrics
	}
	if o.opts.LogCollection != "" {
		o.log = st.Collection(database, o.opts.LogCollection)
	}
	return o
}

// Result reports one operation.
type Result struct {
	// Op names the operation: "compareAndSwap", "increment", "addToSet", "push", "pull", "pop", "upsert", "swap".
	Op string
	// Applied is true when the operation changed (or, for a compare-and-swap to the value already there,
	// matched) the document: the compare-and-swap won, the increment stayed within its bounds, the array
	// changed, the upsert wrote, the swap matched.
	Applied bool
	// Matched and Modified are the write's counts.
	Matched, Modified int64
	// Refused is true when an increment would have crossed a bound.
	Refused bool
	// Value is the field's value after an increment (or its current value when refused), and the removed
	// element of a pop.
	Value bson.RawValue
	// UpsertedID is the _id an upsert inserted, nil when it updated.
	UpsertedID any
	// Attempts counts the writes sent (more than 1 after an upsert lost the insert race or a swap's values moved).
	Attempts int
}

// ErrNotFound is returned by an operation on an _id that does not exist (other than Upsert).
var ErrNotFound = errors.New("atomicop: document not found")

// Op is one atomic operation. The implementations are the types of this package.
type Op interface {
	run(ctx context.Context, o *Ops) (Result, error)
	// describe returns the op's name and the filter or _id it targets, for the operation log.
	describe() (string, any)
}

// Do runs op. An error means the operation could not run (a missing document is ErrNotFound); an operation
// that ran but did not apply (a lost compare-and-swap, a refused bound) returns a Result with Applied false
// and a nil error.
func (o *Ops) Do(ctx context.Context, op Op) (Result, error) {
	start := time.Now()
	res, err := op.run(ctx, o)
	if o.log != nil {
		if lerr := o.record(ctx, op, res, err, time.Since(start)); lerr != nil && err == nil {
			err = lerr
		}
	}
	return res, err
}

// ErrNotApplied is returned by Bulk when an operation ran but did not apply: the transaction was rolled back.
var ErrNotApplied = errors.New("atomicop: an operation did not apply")

// Bulk runs ops in one transaction (occ.WithTransaction, so conflicts with other transactions are retried):
// all of them apply or none. It returns a Result per operation of the last run. When an operation fails or does
// not apply, the transaction is rolled back and the error (ErrNotApplied for an operation that did not apply)
// says which; the results up to it tell what happened inside the rolled-back run, and the ones after it are
// zero (not attempted).
func (o *Ops) Bulk(ctx context.Context, ops []Op) ([]Result, error) {
	var results []Result
	err := occ.WithTransaction(ctx, o.st, func(ctx context.Context) error {
		results = make([]Result, len(ops))
		for i, op := range ops {
			res, err := o.Do(ctx, op)
			results[i] = res
			if err != nil {
				return &BulkError{Index: i, Err: err}
			}
			if !res.Applied {
				return &BulkError{Index: i, Err: ErrNotApplied}
			}
		}
		return nil
	}, nil)
	return results, err
}

// BulkError names the operation that stopped a Bulk.
type BulkError struct {
	Index int
	Err   error
}

func (e *BulkError) Error() string {
	return fmt.Sprintf("atomicop: bulk operation %d: %v", e.Index, e.Err)
}

// Unwrap returns the operation's error.
func (e *BulkError) Unwrap() error { return e.Err }

// record writes the operation log entry of op.
func (o *Ops) record(ctx context.Context, op Op, res Result, opErr error, took time.Duration) error {
	name, target := op.describe()
	entry := bson.D{
		{Key: "op", Value: name},
		{Key: "collection", Value: o.ns},
		{Key: "target", Value: target},
		{Key: "applied", Value: res.Applied},
		{Key: "attempts", Value: int32(res.Attempts)},
		{Key: "durationMicros", Value: took.Microseconds()},
		{Key: "at", Value: bson.NewDateTimeFromTime(time.Now())},
	}
	if opErr != nil {
		entry = append(entry, bson.E{Key: "error", Value: opErr.Error()})
	}
	if u := occ.UserFrom(ctx); u != "" {
		entry = append(entry, bson.E{Key: "user", Value: u})
	}
	_, err := o.log.InsertOne(ctx, entry)
	return err
}

// update returns u with the version increment added when the documents are versioned.
func (o *Ops) update(u bson.D) bson.D {
	if o.opts.VersionField == "" {
		return u
	}
	return append(u, bson.E{Key: "$inc", Value: bson.D{{Key: o.opts.VersionField, Value: int64(1)}}})
}

// exists tells a filter that matched nothing because of its conditions from a missing document.
func (o *Ops) exists(ctx context.Context, id any) error {
	_, err := o.c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, &store.FindOptions{Projection: bson.D{{Key: "_id", Value: 1}}})
	if errors.Is(err, store.ErrNoDocuments) {
		return ErrNotFound
	}
	return err
}

// retry returns the retry policy of Upsert and Swap: a single attempt inside a transaction, whose snapshot a
// retry would only read again.
func (o *Ops) retry(ctx context.Context) *occ.Retry {
	if occ.InTransaction(ctx) {
		return occ.NoRetry
	}
	return o.opts.Retry
}
