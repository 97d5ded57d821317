package concord_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// embeddedTarget runs scenario scripts on the embedded API: a *concord.DB in
// memory, called directly.
type embeddedTarget struct {
	db *concord.DB
}

var _ scenarioTarget = (*embeddedTarget)(nil)

// openEmbeddedTarget opens an in-memory DB with policy.
func openEmbeddedTarget(tb testing.TB, policy concord.WaitPolicy) scenarioTarget {
	db, err := concord.Open("", &concord.Options{WaitPolicy: policy})
	if err != nil {
		tb.Fatal(err)
	}
	return &embeddedTarget{db: db}
}

func (t *embeddedTarget) name() string { return "embedded" }

func (t *embeddedTarget) collection(_, name string) (scenarioColl, error) {
	return embeddedColl{t.db.Database("test").Collection(name)}, nil
}

func (t *embeddedTarget) startSession(string) (scenarioSession, error) {
	s, err := t.db.StartSession()
	if err != nil {
		return nil, err
	}
	return embeddedSession{s}, nil
}

// profile collects the op's statistics with concord.WithOpStats.
func (t *embeddedTarget) profile(ctx context.Context, _ string) (context.Context, func() (opStats, error)) {
	st := &concord.OpStats{}
	return concord.WithOpStats(ctx, st), func() (opStats, error) {
		return opStats{nMatched: st.NMatched, nModified: st.NModified, writeConflicts: st.WriteConflicts, numYield: st.NumYield}, nil
	}
}

func (t *embeddedTarget) writeConflicts() (int64, error) { return t.db.Metrics().WriteConflicts, nil }

func (t *embeddedTarget) transactionMetrics() (txnMetrics, error) {
	m := t.db.Metrics().Transactions
	return txnMetrics{
		TotalStarted: m.TotalStarted, TotalCommitted: m.TotalCommitted, TotalAborted: m.TotalAborted,
		CurrentOpen: m.CurrentOpen, CurrentActive: m.CurrentActive, CurrentInactive: m.CurrentInactive,
	}, nil
}

func (t *embeddedTarget) setLifetime(d time.Duration) error {
	t.db.SetTransactionLifetime(d)
	return nil
}

func (t *embeddedTarget) close() error { return t.db.Close() }

// embeddedClientErrors are the Go API's client-side errors (the driver's,
// but for ErrClosed), printed by name.
var embeddedClientErrors = []struct {
	err  error
	name string
}{
	{concord.ErrSessionEnded, "SessionEnded"},
	{concord.ErrNoTransactionStarted, "NoTransactionStarted"},
	{concord.ErrTransactionInProgress, "TransactionInProgress"},
	{concord.ErrAbortAfterCommit, "AbortAfterCommit"},
	{concord.ErrAbortTwice, "AbortTwice"},
	{concord.ErrCommitAfterAbort, "CommitAfterAbort"},
	{concord.ErrClosed, "Closed"},
}

func (t *embeddedTarget) describeError(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, concord.ErrNoDocuments) {
		return "no documents"
	}
	for _, ce := range embeddedClientErrors {
		if errors.Is(err, ce.err) {
			return "client error " + ce.name
		}
	}
	var bwe *concord.BulkWriteError
	if errors.As(err, &bwe) {
		indexes := make([]int, len(bwe.WriteErrors))
		errs := make([]serverError, len(bwe.WriteErrors))
		for i, we := range bwe.WriteErrors {
			indexes[i], errs[i] = we.Index, embeddedError(we.Err)
		}
		return bulkWriteErrors(indexes, errs)
	}
	var ce *concord.Error
	if errors.As(err, &ce) {
		return embeddedError(ce).String()
	}
	return fmt.Sprintf("unexpected error %T: %v", err, err)
}

// embeddedError converts a concord.Error.
func embeddedError(e *concord.Error) serverError {
	if e == nil {
		return serverError{name: "nil error"}
	}
	se := serverError{code: int32(e.Code), name: e.CodeName(), labels: e.Labels, msg: e.Message}
	se.keyPattern, _ = bson.Marshal(e.KeyPattern)
	se.keyValue, _ = bson.Marshal(e.KeyValue)
	return se
}

// embeddedSession is a *concord.Session.
type embeddedSession struct{ s *concord.Session }

func (s embeddedSession) start() error                     { return s.s.StartTransaction() }
func (s embeddedSession) commit(ctx context.Context) error { return s.s.CommitTransaction(ctx) }
func (s embeddedSession) abort(ctx context.Context) error  { return s.s.AbortTransaction(ctx) }
func (s embeddedSession) end(ctx context.Context)          { s.s.EndSession(ctx) }
func (s embeddedSession) context(ctx context.Context) context.Context {
	return concord.NewSessionContext(ctx, s.s)
}

// embeddedColl is a *concord.Collection. maxTime becomes a context deadline,
// which the embedded API reports as MaxTimeMSExpired.
type embeddedColl struct{ c *concord.Collection }

// withMaxTime bounds ctx by o.maxTime.
func withMaxTime(ctx context.Context, o writeOpts) (context.Context, context.CancelFunc) {
	if o.maxTime <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, o.maxTime)
}

func (c embeddedColl) insertOne(ctx context.Context, doc bson.Raw, o writeOpts) error {
	ctx, cancel := withMaxTime(ctx, o)
	defer cancel()
	_, err := c.c.InsertOne(ctx, doc)
	return err
}

func (c embeddedColl) insertMany(ctx context.Context, docs []any, o writeOpts) (int, error) {
	ctx, cancel := withMaxTime(ctx, o)
	defer cancel()
	res, err := c.c.InsertMany(ctx, docs, &concord.InsertManyOptions{Ordered: &o.ordered})
	if res == nil {
		return 0, err
	}
	return len(res.InsertedIDs), err
}

func (c embeddedColl) update(ctx context.Context, filter, update bson.Raw, o writeOpts) (updateResult, error) {
	ctx, cancel := withMaxTime(ctx, o)
	defer cancel()
	var res *concord.UpdateResult
	var err error
	if o.many {
		res, err = c.c.UpdateMany(ctx, filter, update, &concord.UpdateOptions{Upsert: o.upsert})
	} else {
		res, err = c.c.UpdateOne(ctx, filter, update, &concord.UpdateOptions{Upsert: o.upsert})
	}
	return embeddedUpdateResult(res, err)
}

func (c embeddedColl) replace(ctx context.Context, filter, doc bson.Raw, o writeOpts) (updateResult, error) {
	ctx, cancel := withMaxTime(ctx, o)
	defer cancel()
	return embeddedUpdateResult(c.c.ReplaceOne(ctx, filter, doc, &concord.ReplaceOptions{Upsert: o.upsert}))
}

// embeddedUpdateResult converts an update's result.
func embeddedUpdateResult(res *concord.UpdateResult, err error) (updateResult, error) {
	if err != nil {
		return updateResult{}, err
	}
	return updateResult{matched: res.MatchedCount, modified: res.ModifiedCount, upserted: res.UpsertedCount}, nil
}

func (c embeddedColl) delete(ctx context.Context, filter bson.Raw, o writeOpts) (int64, error) {
	ctx, cancel := withMaxTime(ctx, o)
	defer cancel()
	var res *concord.DeleteResult
	var err error
	if o.many {
		res, err = c.c.DeleteMany(ctx, filter)
	} else {
		res, err = c.c.DeleteOne(ctx, filter)
	}
	if err != nil {
		return 0, err
	}
	return res.DeletedCount, nil
}

func (c embeddedColl) find(ctx context.Context, filter bson.Raw) ([]bson.Raw, error) {
	cur, err := c.c.Find(ctx, filter, &concord.FindOptions{Sort: bson.D{{Key: "_id", Value: 1}}})
	if err != nil {
		return nil, err
	}
	return embeddedDrain(ctx, cur)
}

// embeddedDrain reads a cursor to its end and closes it.
func embeddedDrain(ctx context.Context, cur *concord.Cursor) ([]bson.Raw, error) {
	defer cur.Close(ctx)
	var docs []bson.Raw
	for cur.Next(ctx) {
		docs = append(docs, append(bson.Raw(nil), cur.Current...))
	}
	return docs, cur.Err()
}

func (c embeddedColl) count(ctx context.Context, filter bson.Raw) (int64, error) {
	return c.c.CountDocuments(ctx, filter)
}

func (c embeddedColl) findOneAndUpdate(ctx context.Context, filter, update bson.Raw, o writeOpts) (bson.Raw, error) {
	ctx, cancel := withMaxTime(ctx, o)
	defer cancel()
	return c.c.FindOneAndUpdate(ctx, filter, update, &concord.FindOneAndUpdateOptions{Upsert: o.upsert}).Raw()
}

func (c embeddedColl) distinct(ctx context.Context, field string, filter bson.Raw) ([]bson.RawValue, error) {
	return c.c.Distinct(ctx, field, filter)
}

func (c embeddedColl) aggregate(ctx context.Context, pipeline bson.A) ([]bson.Raw, error) {
	cur, err := c.c.Aggregate(ctx, pipeline)
	if err != nil {
		return nil, err
	}
	return embeddedDrain(ctx, cur)
}

func (c embeddedColl) createIndex(ctx context.Context, keys bson.Raw, unique bool) (string, error) {
	return c.c.CreateIndex(ctx, concord.IndexModel{Keys: keys, Unique: unique})
}
