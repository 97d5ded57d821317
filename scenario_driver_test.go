package concord_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/session"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
)

// driverTarget runs scenario scripts through the official Go driver against
// a server started in the test, on 127.0.0.1:0 over an in-memory DB. Every
// actor has its own client, named after it (appName), so that its profile
// entries are its own; ops outside any session use the client "outside".
// Database "test" is profiled (level 2) for "stats".
type driverTarget struct {
	db     *concord.DB
	srv    *server.Server
	addr   string
	served chan error

	mu      sync.Mutex
	clients map[string]*mongo.Client // by appName
}

var _ scenarioTarget = (*driverTarget)(nil)

// outsideApp is the appName of the client that runs ops outside any session.
const outsideApp = "outside"

// openDriverTarget starts a server over a fresh in-memory DB with policy and
// turns the profiler on. Clients are disconnected when the test ends.
func openDriverTarget(tb testing.TB, policy concord.WaitPolicy) scenarioTarget {
	tb.Helper()
	db, err := concord.Open("", &concord.Options{WaitPolicy: policy})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	t := &driverTarget{db: db, srv: &server.Server{DB: db}, addr: l.Addr().String(),
		served: make(chan error, 1), clients: map[string]*mongo.Client{}}
	go func() { t.served <- t.srv.Serve(l) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, c := range t.clients {
			_ = c.Disconnect(ctx)
		}
	})
	outside, err := t.client(outsideApp)
	if err != nil {
		tb.Fatal(err)
	}
	if err := outside.Database("test").RunCommand(context.Background(), bson.D{{Key: "profile", Value: 2}}).Err(); err != nil {
		tb.Fatalf("profile: %v", err)
	}
	return t
}

func (t *driverTarget) name() string { return "driver" }

// client returns the client named app, connecting it on first use. Server
// selection gives up after 2 s, so that ops after the server has gone fail
// quickly.
func (t *driverTarget) client(app string) (*mongo.Client, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.clients[app]; ok {
		return c, nil
	}
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + t.addr + "/?directConnection=true").
		SetAppName(app).SetServerSelectionTimeout(2 * time.Second))
	if err != nil {
		return nil, err
	}
	t.clients[app] = c
	return c, nil
}

// database returns database name as the client named app reaches it.
func (t *driverTarget) database(app, name string) (*mongo.Database, error) {
	c, err := t.client(app)
	if err != nil {
		return nil, err
	}
	return c.Database(name), nil
}

// appOf is the appName of actor's client.
func appOf(actor string) string {
	if actor == "" {
		return outsideApp
	}
	return actor
}

func (t *driverTarget) collection(actor, name string) (scenarioColl, error) {
	db, err := t.database(appOf(actor), "test")
	if err != nil {
		return nil, err
	}
	return driverColl{db.Collection(name)}, nil
}

func (t *driverTarget) startSession(actor string) (scenarioSession, error) {
	c, err := t.client(appOf(actor))
	if err != nil {
		return nil, err
	}
	s, err := c.StartSession()
	if err != nil {
		return nil, err
	}
	return driverSession{s}, nil
}

// profile reads the newest entry of actor's client in test.system.profile.
func (t *driverTarget) profile(ctx context.Context, actor string) (context.Context, func() (opStats, error)) {
	return ctx, func() (opStats, error) {
		db, err := t.database(outsideApp, "test")
		if err != nil {
			return opStats{}, err
		}
		cur, err := db.Collection("system.profile").Find(context.Background(), bson.D{{Key: "appName", Value: appOf(actor)}})
		if err != nil {
			return opStats{}, err
		}
		docs, err := driverDrain(context.Background(), cur)
		if err != nil {
			return opStats{}, err
		}
		if len(docs) == 0 {
			return opStats{}, fmt.Errorf("no profile entry for appName %q", appOf(actor))
		}
		p := docs[len(docs)-1]
		n := func(field string) int64 {
			v, _ := p.Lookup(field).AsInt64OK()
			return v
		}
		return opStats{nMatched: n("nMatched"), nModified: n("nModified"), writeConflicts: n("writeConflicts"), numYield: n("numYield")}, nil
	}
}

// serverStatus runs serverStatus.
func (t *driverTarget) serverStatus() (bson.Raw, error) {
	return t.admin(bson.D{{Key: "serverStatus", Value: 1}})
}

// admin runs cmd on database admin.
func (t *driverTarget) admin(cmd bson.D) (bson.Raw, error) {
	db, err := t.database(outsideApp, "admin")
	if err != nil {
		return nil, err
	}
	return db.RunCommand(context.Background(), cmd).Raw()
}

func (t *driverTarget) writeConflicts() (int64, error) {
	r, err := t.serverStatus()
	if err != nil {
		return 0, err
	}
	n, _ := r.Lookup("metrics", "operation", "writeConflicts").AsInt64OK()
	return n, nil
}

func (t *driverTarget) transactionMetrics() (txnMetrics, error) {
	r, err := t.serverStatus()
	if err != nil {
		return txnMetrics{}, err
	}
	n := func(field string) int64 {
		v, _ := r.Lookup("transactions", field).AsInt64OK()
		return v
	}
	return txnMetrics{
		TotalStarted: n("totalStarted"), TotalCommitted: n("totalCommitted"), TotalAborted: n("totalAborted"),
		CurrentOpen: n("currentOpen"), CurrentActive: n("currentActive"), CurrentInactive: n("currentInactive"),
	}, nil
}

// setLifetime sets transactionLifetimeLimitSeconds, a whole number of
// seconds, with setParameter.
func (t *driverTarget) setLifetime(d time.Duration) error {
	if d%time.Second != 0 {
		return fmt.Errorf("transactionLifetimeLimitSeconds %v is not whole seconds", d)
	}
	_, err := t.admin(bson.D{{Key: "setParameter", Value: 1}, {Key: "transactionLifetimeLimitSeconds", Value: int32(d / time.Second)}})
	return err
}

// close shuts the server down gracefully, as "concord serve" does on
// SIGTERM (idle transactions are aborted, commands in flight finish), then
// closes the DB.
func (t *driverTarget) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-t.served; !errors.Is(err, server.ErrServerClosed) {
		return fmt.Errorf("serve returned %v", err)
	}
	return t.db.Close()
}

// driverClientErrors are the driver's client-side session errors, printed by
// the names the embedded API's counterparts have.
var driverClientErrors = []struct {
	err  error
	name string
}{
	{session.ErrSessionEnded, "SessionEnded"},
	{session.ErrNoTransactStarted, "NoTransactionStarted"},
	{session.ErrTransactInProgress, "TransactionInProgress"},
	{session.ErrAbortAfterCommit, "AbortAfterCommit"},
	{session.ErrAbortTwice, "AbortTwice"},
	{session.ErrCommitAfterAbort, "CommitAfterAbort"},
	{context.Canceled, "context canceled"},
	{context.DeadlineExceeded, "context deadline exceeded"},
}

func (t *driverTarget) describeError(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "no documents"
	}
	var sse topology.ServerSelectionError
	if errors.As(err, &sse) {
		return "client error server selection"
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil {
		indexes := make([]int, len(bwe.WriteErrors))
		errs := make([]serverError, len(bwe.WriteErrors))
		for i, we := range bwe.WriteErrors {
			indexes[i], errs[i] = we.Index, driverWriteError(we.WriteError, nil)
			errs[i].write = false // "bulk write error" says so
		}
		return bulkWriteErrors(indexes, errs)
	}
	var we mongo.WriteException
	if errors.As(err, &we) && we.WriteConcernError == nil && len(we.WriteErrors) == 1 {
		return driverWriteError(we.WriteErrors[0], we.Labels).String()
	}
	// A server error is a CommandError with a code; the driver wraps
	// context.DeadlineExceeded in MaxTimeMSExpired, so codes come first.
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Code != 0 {
		se := serverError{code: ce.Code, name: ce.Name, labels: ce.Labels, msg: ce.Message}
		se.keyPattern, _ = ce.Raw.Lookup("keyPattern").DocumentOK()
		se.keyValue, _ = ce.Raw.Lookup("keyValue").DocumentOK()
		return se.String()
	}
	for _, ce := range driverClientErrors {
		if errors.Is(err, ce.err) {
			return "client error " + ce.name
		}
	}
	if errors.As(err, &ce) { // a network error: no code, the driver's labels
		labels := ce.Labels
		if labels == nil {
			labels = []string{}
		}
		return fmt.Sprintf("client error network %v", labels)
	}
	return "client error " + err.Error()
}

// driverWriteError converts one write error; write errors carry no codeName.
func driverWriteError(we mongo.WriteError, labels []string) serverError {
	se := serverError{write: true, code: int32(we.Code), labels: labels, msg: we.Message}
	se.keyPattern, _ = we.Raw.Lookup("keyPattern").DocumentOK()
	se.keyValue, _ = we.Raw.Lookup("keyValue").DocumentOK()
	return se
}

// driverSession is a *mongo.Session.
type driverSession struct{ s *mongo.Session }

func (s driverSession) start() error                     { return s.s.StartTransaction() }
func (s driverSession) commit(ctx context.Context) error { return s.s.CommitTransaction(ctx) }
func (s driverSession) abort(ctx context.Context) error  { return s.s.AbortTransaction(ctx) }
func (s driverSession) end(ctx context.Context)          { s.s.EndSession(ctx) }
func (s driverSession) context(ctx context.Context) context.Context {
	return mongo.NewSessionContext(ctx, s.s)
}

// driverColl is a *mongo.Collection. The Go driver sends maxTimeMS only as
// what is left of a context deadline that also bounds its own wait for the
// reply, so the server's MaxTimeMSExpired would race the client's timeout:
// a write with maxTime is sent as a command carrying maxTimeMS instead
// (runWrite), as the shell sends it.
type driverColl struct{ c *mongo.Collection }

// errMaxTimeUnsupported is returned for maxTime on an op the scripts do not
// time out.
var errMaxTimeUnsupported = errors.New("maxTime is sent only with insert, update and delete")

// runWrite sends write command cmd on c's database with maxTimeMS.
func (c driverColl) runWrite(ctx context.Context, cmd bson.D, maxTime time.Duration) (bson.Raw, error) {
	cmd = append(cmd, bson.E{Key: "maxTimeMS", Value: maxTime.Milliseconds()})
	return c.c.Database().RunCommand(ctx, cmd).Raw()
}

func (c driverColl) insertOne(ctx context.Context, doc bson.Raw, o writeOpts) error {
	if o.maxTime > 0 {
		_, err := c.runWrite(ctx, bson.D{{Key: "insert", Value: c.c.Name()}, {Key: "documents", Value: bson.A{doc}}}, o.maxTime)
		return err
	}
	_, err := c.c.InsertOne(ctx, doc)
	return err
}

// insertMany reports how many documents were inserted: all of them on
// success; on write errors, those before the first when ordered, and all
// but the failed ones when not (the driver's result lists every _id sent).
func (c driverColl) insertMany(ctx context.Context, docs []any, o writeOpts) (int, error) {
	if o.maxTime > 0 {
		return 0, errMaxTimeUnsupported
	}
	_, err := c.c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(o.ordered))
	if err == nil {
		return len(docs), nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || len(bwe.WriteErrors) == 0 {
		return 0, err
	}
	if o.ordered {
		return bwe.WriteErrors[0].Index, err
	}
	return len(docs) - len(bwe.WriteErrors), err
}

func (c driverColl) update(ctx context.Context, filter, update bson.Raw, o writeOpts) (updateResult, error) {
	if o.maxTime > 0 {
		r, err := c.runWrite(ctx, bson.D{{Key: "update", Value: c.c.Name()}, {Key: "updates", Value: bson.A{bson.D{
			{Key: "q", Value: filter}, {Key: "u", Value: update}, {Key: "upsert", Value: o.upsert}, {Key: "multi", Value: o.many}}}}}, o.maxTime)
		if err != nil {
			return updateResult{}, err
		}
		n, _ := r.Lookup("n").AsInt64OK()
		modified, _ := r.Lookup("nModified").AsInt64OK()
		upserted, _ := r.Lookup("upserted").ArrayOK()
		vals, _ := upserted.Values()
		return updateResult{matched: n - int64(len(vals)), modified: modified, upserted: int64(len(vals))}, nil
	}
	var res *mongo.UpdateResult
	var err error
	if o.many {
		res, err = c.c.UpdateMany(ctx, filter, update, options.UpdateMany().SetUpsert(o.upsert))
	} else {
		res, err = c.c.UpdateOne(ctx, filter, update, options.UpdateOne().SetUpsert(o.upsert))
	}
	return driverUpdateResult(res, err)
}

func (c driverColl) replace(ctx context.Context, filter, doc bson.Raw, o writeOpts) (updateResult, error) {
	if o.maxTime > 0 {
		return updateResult{}, errMaxTimeUnsupported
	}
	return driverUpdateResult(c.c.ReplaceOne(ctx, filter, doc, options.Replace().SetUpsert(o.upsert)))
}

// driverUpdateResult converts an update's result.
func driverUpdateResult(res *mongo.UpdateResult, err error) (updateResult, error) {
	if err != nil {
		return updateResult{}, err
	}
	return updateResult{matched: res.MatchedCount, modified: res.ModifiedCount, upserted: res.UpsertedCount}, nil
}

func (c driverColl) delete(ctx context.Context, filter bson.Raw, o writeOpts) (int64, error) {
	if o.maxTime > 0 {
		limit := int32(1)
		if o.many {
			limit = 0
		}
		r, err := c.runWrite(ctx, bson.D{{Key: "delete", Value: c.c.Name()}, {Key: "deletes", Value: bson.A{bson.D{
			{Key: "q", Value: filter}, {Key: "limit", Value: limit}}}}}, o.maxTime)
		if err != nil {
			return 0, err
		}
		n, _ := r.Lookup("n").AsInt64OK()
		return n, nil
	}
	var res *mongo.DeleteResult
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

func (c driverColl) find(ctx context.Context, filter bson.Raw) ([]bson.Raw, error) {
	cur, err := c.c.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	return driverDrain(ctx, cur)
}

// driverDrain reads a cursor to its end and closes it.
func driverDrain(ctx context.Context, cur *mongo.Cursor) ([]bson.Raw, error) {
	defer cur.Close(ctx)
	var docs []bson.Raw
	for cur.Next(ctx) {
		docs = append(docs, append(bson.Raw(nil), cur.Current...))
	}
	return docs, cur.Err()
}

func (c driverColl) count(ctx context.Context, filter bson.Raw) (int64, error) {
	return c.c.CountDocuments(ctx, filter)
}

func (c driverColl) findOneAndUpdate(ctx context.Context, filter, update bson.Raw, o writeOpts) (bson.Raw, error) {
	if o.maxTime > 0 {
		return nil, errMaxTimeUnsupported
	}
	return c.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetUpsert(o.upsert)).Raw()
}

func (c driverColl) distinct(ctx context.Context, field string, filter bson.Raw) ([]bson.RawValue, error) {
	arr, err := c.c.Distinct(ctx, field, filter).Raw()
	if err != nil {
		return nil, err
	}
	return arr.Values()
}

func (c driverColl) aggregate(ctx context.Context, pipeline bson.A) ([]bson.Raw, error) {
	cur, err := c.c.Aggregate(ctx, pipeline)
	if err != nil {
		return nil, err
	}
	return driverDrain(ctx, cur)
}

func (c driverColl) createIndex(ctx context.Context, keys bson.Raw, unique bool) (string, error) {
	opts := options.Index()
	if unique {
		opts.SetUnique(true)
	}
	return c.c.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: opts})
}
