package occ

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/store"
)

// HistoryOptions turns on a collection's version history.
type HistoryOptions struct {
	// Collection names the history collection, in the same database; "<collection>_history" by default.
	Collection string
}

// HistoryEntry is one versioned write as the history keeps it. The entry of version N holds the document as
// that write left it, which is also the previous version of the write that made N+1: reading the entries in
// order replays every version the document went through since the history was turned on.
type HistoryEntry struct {
	// EntryID is the entry's own _id.
	EntryID bson.ObjectID `bson:"_id"`
	// ID is the document's _id.
	ID bson.RawValue `bson:"doc"`
	// Version is the version the write made; a delete takes the version after the last one.
	Version int64 `bson:"version"`
	// Op is "insert", "update", "replace", "delete" or "revert".
	Op string `bson:"op"`
	// By is the user of the write's context (WithUser), empty when there was none.
	By string `bson:"by,omitempty"`
	// At is when the write was made, by Options.Now.
	At time.Time `bson:"at"`
	// Document is the document as written (nil for a delete).
	Document bson.Raw `bson:"document,omitempty"`
}

// ErrNoHistory is returned when a collection keeps no history, or its history has no entry for the version
// asked for.
var ErrNoHistory = errors.New("occ: no such version in the history")

// recorded runs fn, a write and its history entry, in one transaction: the caller's when ctx is inside
// WithTransaction, else one of its own, run again after a transient transaction error (a write conflict with
// another transaction: the write then waits for nothing, as a single write would, but fails and is retried
// here). Any other error, a version conflict included, is returned at once: running the same versioned write
// again could only conflict again.
func (c *Collection) recorded(ctx context.Context, fn func(ctx context.Context) error) error {
	if inTransaction(ctx) {
		return fn(ctx)
	}
	sess, err := c.st.StartSession(ctx)
	if err != nil {
		return err
	}
	defer sess.EndSession(context.WithoutCancel(ctx))
	deadline := time.Now().Add(defaultTxnTimeout)
	sctx := sess.Context(context.WithValue(ctx, txnKey{}, true))
	for attempt := 0; ; attempt++ {
		err := runOnce(sctx, sess, fn, deadline)
		if err == nil || !store.IsTransientTransactionError(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(defaultTxnRetry.Backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("occ: history transaction retry stopped: %w (last error: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// record inserts the history entry of w, which succeeded with res, in the transaction of ctx.
func (c *Collection) record(ctx context.Context, w *write, res Result) error {
	op := w.op
	if op == "" {
		op = [...]string{writeInsert: "insert", writeUpdate: "update", writeReplace: "replace", writeDelete: "delete"}[w.kind]
		if w.kind == writeUpdate && w.upsert && res.NewVersion == 1 {
			op = "insert"
		}
	}
	e := bson.D{{Key: "doc", Value: w.id}, {Key: "version", Value: res.NewVersion}, {Key: "op", Value: op}}
	if w.kind == writeDelete {
		e[1].Value = w.expected + 1
	}
	if u := userOf(ctx); u != "" {
		e = append(e, bson.E{Key: "by", Value: u})
	}
	e = append(e, bson.E{Key: "at", Value: bson.NewDateTimeFromTime(c.opts.Now())})
	if w.kind != writeDelete {
		e = append(e, bson.E{Key: "document", Value: w.after})
	}
	_, err := c.hist.InsertOne(ctx, e)
	return err
}

// History returns the history of the document with _id id, oldest version first; empty when it has none.
// ErrNoHistory when the collection keeps no history.
func (c *Collection) History(ctx context.Context, id any) ([]HistoryEntry, error) {
	if c.hist == nil {
		return nil, ErrNoHistory
	}
	docs, err := c.hist.Find(ctx, bson.D{{Key: "doc", Value: id}}, &store.FindOptions{Sort: bson.D{{Key: "version", Value: 1}, {Key: "_id", Value: 1}}})
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, len(docs))
	for i, d := range docs {
		if err := bson.Unmarshal(d, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AsOf returns the document with _id id as version version left it; ErrNoHistory when the history has no
// such version (never written, pruned, or a delete).
func (c *Collection) AsOf(ctx context.Context, id any, version int64) (bson.Raw, error) {
	if c.hist == nil {
		return nil, ErrNoHistory
	}
	e, err := c.hist.FindOne(ctx, bson.D{{Key: "doc", Value: id}, {Key: "version", Value: version}},
		&store.FindOptions{Sort: bson.D{{Key: "_id", Value: -1}}})
	if errors.Is(err, store.ErrNoDocuments) {
		return nil, fmt.Errorf("%w: %s _id %v version %d", ErrNoHistory, c.ns, id, version)
	}
	if err != nil {
		return nil, err
	}
	doc, ok := e.Lookup("document").DocumentOK()
	if !ok {
		return nil, fmt.Errorf("%w: %s _id %v version %d is a delete", ErrNoHistory, c.ns, id, version)
	}
	return doc, nil
}

// Revert makes the document with _id id hold again what version version held, as a new versioned write (a
// replace at the current version, recorded as "revert"): the version moves forward, never back. A concurrent
// write makes it read and try again, as Modify does (Options.Retry).
func (c *Collection) Revert(ctx context.Context, id any, version int64) (Result, error) {
	old, err := c.AsOf(ctx, id, version)
	if err != nil {
		return Result{}, err
	}
	d, err := toD(old)
	if err != nil {
		return Result{}, err
	}
	d = withoutKey(d, c.opts.VersionField)
	once := func(ctx context.Context) (Result, error) {
		_, cur, err := c.FindByID(ctx, id)
		if err != nil {
			return Result{}, err
		}
		return c.exec(ctx, &write{kind: writeReplace, id: id, expected: cur, doc: d, op: "revert"})
	}
	if inTransaction(ctx) {
		return once(ctx)
	}
	var res Result
	attempts, err := c.opts.Retry.Do(ctx, c.opts.Metrics, c.ns, func(ctx context.Context) error {
		r, err := once(ctx)
		res = r
		return err
	})
	res.Attempts = attempts
	return res, err
}

// PruneOptions says which history entries PruneHistory deletes. Both conditions may be given; an entry is
// deleted when either holds.
type PruneOptions struct {
	// Keep, when positive, keeps the Keep latest versions of the document and deletes the older ones.
	Keep int64
	// OlderThan, when positive, deletes the entries written more than OlderThan ago (by Options.Now).
	OlderThan time.Duration
}

// PruneHistory deletes history entries of the document with _id id (of every document when id is nil, for
// OlderThan only) and returns how many. Concord has no TTL indexes; against MongoDB a TTL index on the history
// collection's "at" field prunes by age on its own.
func (c *Collection) PruneHistory(ctx context.Context, id any, p PruneOptions) (int64, error) {
	if c.hist == nil {
		return 0, ErrNoHistory
	}
	var or bson.A
	if p.OlderThan > 0 {
		or = append(or, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: bson.NewDateTimeFromTime(c.opts.Now().Add(-p.OlderThan))}}}})
	}
	if p.Keep > 0 && id != nil {
		last, err := c.hist.FindOne(ctx, bson.D{{Key: "doc", Value: id}}, &store.FindOptions{Sort: bson.D{{Key: "version", Value: -1}},
			Projection: bson.D{{Key: "version", Value: 1}}})
		if err != nil && !errors.Is(err, store.ErrNoDocuments) {
			return 0, err
		}
		if err == nil {
			or = append(or, bson.D{{Key: "version", Value: bson.D{{Key: "$lte", Value: last.Lookup("version").AsInt64() - p.Keep}}}})
		}
	}
	if len(or) == 0 {
		return 0, nil
	}
	filter := bson.D{{Key: "$or", Value: or}}
	if id != nil {
		filter = append(bson.D{{Key: "doc", Value: id}}, filter...)
	}
	return c.hist.DeleteMany(ctx, filter)
}
