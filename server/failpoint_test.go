package server_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/server"
)

// newTestCommandsEnv is a server with test commands enabled.
func newTestCommandsEnv(tb testing.TB) *coreEnv {
	return newCoreEnvWith(tb, func(s *server.Server) { s.EnableTestCommands = true })
}

// commandLog records the names of the commands a client started, in order.
type commandLog struct {
	mu    sync.Mutex
	names []string
}

func (l *commandLog) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		l.mu.Lock()
		l.names = append(l.names, e.CommandName)
		l.mu.Unlock()
	}}
}

// count returns how many commands named name started.
func (l *commandLog) count(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.names {
		if s == name {
			n++
		}
	}
	return n
}

// monitoredClient connects with replica-set discovery, recording the commands it sends.
func (e *coreEnv) monitoredClient(tb testing.TB, opts *options.ClientOptions) (*mongo.Client, *commandLog) {
	tb.Helper()
	log := &commandLog{}
	if opts == nil {
		opts = options.Client()
	}
	opts.ApplyURI("mongodb://" + e.addr + "/").SetServerSelectionTimeout(5 * time.Second).SetMonitor(log.monitor())
	c, err := mongo.Connect(opts)
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c, log
}

// failCommand arms the failCommand fail point through c.
func failCommand(tb testing.TB, c *mongo.Client, mode any, data bson.D) {
	tb.Helper()
	cmd := bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: mode}}
	if data != nil {
		cmd = append(cmd, bson.E{Key: "data", Value: data})
	}
	err := c.Database("admin").RunCommand(context.Background(), cmd).Err()
	if err != nil {
		tb.Fatalf("configureFailPoint: %v", err)
	}
}

func TestFailPoint_CommandNotFoundWithoutTestCommands(t *testing.T) {
	e := newCoreEnv(t)
	r := e.dial(t)
	reply := r.cmd(bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "alwaysOn"}, {Key: "$db", Value: "admin"}})
	if got := code(reply); got != 59 {
		t.Fatalf("configureFailPoint without test commands: code %d, want 59 CommandNotFound: %v", got, reply)
	}
}

func TestFailPoint_DriverRetriesWriteAfterRetryableError(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, log := e.monitoredClient(t, nil)
	ctx := context.Background()
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "errorCode", Value: 91},
	})
	coll := c.Database("fp").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("InsertOne with one ShutdownInProgress on the way: %v", err)
	}
	if n := log.count("insert"); n != 2 {
		t.Fatalf("insert sent %d times, want 2 (the failure, then the retry)", n)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("CountDocuments = %d, %v; want 1", n, err)
	}
	// {times: 1} is used up: the next insert is sent once.
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	if n := log.count("insert"); n != 3 {
		t.Fatalf("insert sent %d times, want 3", n)
	}
}

func TestFailPoint_CloseConnectionMakesDriverRetry(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, log := e.monitoredClient(t, nil)
	ctx := context.Background()
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "closeConnection", Value: true},
	})
	coll := c.Database("fp").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("InsertOne after a dropped connection: %v", err)
	}
	if n := log.count("insert"); n != 2 {
		t.Fatalf("insert sent %d times, want 2", n)
	}
	// Without retries the network error reaches the application, and the write did not happen.
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "closeConnection", Value: true},
	})
	noRetry, _ := e.monitoredClient(t, options.Client().SetRetryWrites(false))
	_, err := noRetry.Database("fp").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 2}})
	if !mongo.IsNetworkError(err) {
		t.Fatalf("InsertOne without retries = %v, want a network error", err)
	}
	if n, _ := coll.CountDocuments(ctx, bson.D{{Key: "_id", Value: 2}}); n != 0 {
		t.Fatalf("the closed command's write applied")
	}
}

func TestFailPoint_ErrorLabelsReplaceTheServers(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, log := e.monitoredClient(t, nil)
	ctx := context.Background()
	coll := c.Database("fp").Collection("c")

	// A code the server would not label, labelled RetryableWriteError by the fail point: the driver retries.
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "errorCode", Value: 8},
		{Key: "errorLabels", Value: bson.A{"RetryableWriteError"}},
	})
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	if n := log.count("insert"); n != 2 {
		t.Fatalf("insert sent %d times, want 2", n)
	}

	// A retriable code with the labels emptied: no label, so no retry.
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "errorCode", Value: 91},
		{Key: "errorLabels", Value: bson.A{}},
	})
	_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}})
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(91) || se.HasErrorLabel("RetryableWriteError") {
		t.Fatalf("InsertOne = %v, want code 91 without RetryableWriteError", err)
	}
	if n := log.count("insert"); n != 3 {
		t.Fatalf("insert sent %d times, want 3 (no retry)", n)
	}
}

func TestFailPoint_TransactionStatementLabelledTransient(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, _ := e.monitoredClient(t, nil)
	ctx := context.Background()
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}}, {Key: "errorCode", Value: 112},
	})
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	calls := 0
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		calls++
		return c.Database("fp").Collection("c").InsertOne(ctx, bson.D{{Key: "n", Value: calls}})
	})
	if err != nil {
		t.Fatalf("WithTransaction: %v", err)
	}
	if calls != 2 {
		t.Fatalf("callback ran %d times, want 2 (the WriteConflict is a TransientTransactionError)", calls)
	}
}

func TestFailPoint_BlockConnection(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, _ := e.monitoredClient(t, nil)
	ctx := context.Background()
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"find"}}, {Key: "blockConnection", Value: true}, {Key: "blockTimeMS", Value: 200},
	})
	start := time.Now()
	if err := c.Database("fp").Collection("c").FindOne(ctx, bson.D{}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("FindOne: %v", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Fatalf("blocked find took %v, want at least 200ms", d)
	}
	start = time.Now()
	if err := c.Database("fp").Collection("c").FindOne(ctx, bson.D{}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("FindOne: %v", err)
	}
	if d := time.Since(start); d >= 200*time.Millisecond {
		t.Fatalf("second find took %v: {times: 1} should be used up", d)
	}
}

func TestFailPoint_WriteConcernError(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, log := e.monitoredClient(t, nil)
	ctx := context.Background()
	failCommand(t, c, bson.D{{Key: "times", Value: 1}}, bson.D{
		{Key: "failCommands", Value: bson.A{"insert"}},
		{Key: "writeConcernError", Value: bson.D{{Key: "code", Value: 91}, {Key: "errmsg", Value: "Replication is being shut down"}}},
	})
	// The write applies, its reply carries a retriable write concern error labelled RetryableWriteError, so the
	// driver retries, and the retry is answered from the session's record.
	coll := c.Database("fp").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	if n := log.count("insert"); n != 2 {
		t.Fatalf("insert sent %d times, want 2", n)
	}
	if n, _ := coll.CountDocuments(ctx, bson.D{}); n != 1 {
		t.Fatalf("%d documents, want 1", n)
	}
}

func TestFailPoint_AppNameRestricts(t *testing.T) {
	e := newTestCommandsEnv(t)
	admin, _ := e.monitoredClient(t, nil)
	ctx := context.Background()
	failCommand(t, admin, "alwaysOn", bson.D{
		{Key: "failCommands", Value: bson.A{"find"}}, {Key: "errorCode", Value: 2}, {Key: "appName", Value: "victim"},
	})
	defer failCommand(t, admin, "off", nil)
	victim, _ := e.monitoredClient(t, options.Client().SetAppName("victim"))
	var se mongo.ServerError
	if err := victim.Database("fp").Collection("c").FindOne(ctx, bson.D{}).Err(); !errors.As(err, &se) || !se.HasErrorCode(2) {
		t.Fatalf("find from appName victim = %v, want code 2", err)
	}
	if err := admin.Database("fp").Collection("c").FindOne(ctx, bson.D{}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("find from another app = %v, want no documents", err)
	}
}

// TestFailPoint_ModesAndCount drives configureFailPoint over a raw connection: skip and times, the count in
// each reply, and failCommands matching a command by any of its names.
func TestFailPoint_ModesAndCount(t *testing.T) {
	e := newTestCommandsEnv(t)
	r := e.dial(t)
	configure := func(mode any, data bson.D) bson.Raw {
		t.Helper()
		cmd := bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: mode}}
		if data != nil {
			cmd = append(cmd, bson.E{Key: "data", Value: data})
		}
		return r.cmd(append(cmd, bson.E{Key: "$db", Value: "admin"}))
	}
	ping := func() int32 { return code(r.cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}})) }
	data := bson.D{{Key: "failCommands", Value: bson.A{"ping", "isMaster"}}, {Key: "errorCode", Value: 2}}

	mustOK(t, "skip", configure(bson.D{{Key: "skip", Value: 2}}, data))
	if got := []int32{ping(), ping(), ping(), ping()}; !slices.Equal(got, []int32{0, 0, 2, 2}) {
		t.Fatalf("ping codes under {skip: 2} = %v, want [0 0 2 2]", got)
	}
	reply := mustOK(t, "times", configure(bson.D{{Key: "times", Value: 2}}, data))
	if n, _ := reply.Lookup("count").AsInt64OK(); n != 2 {
		t.Fatalf("count = %d, want 2 (the times the point fired before)", n)
	}
	if got := []int32{ping(), ping(), ping()}; !slices.Equal(got, []int32{2, 2, 0}) {
		t.Fatalf("ping codes under {times: 2} = %v, want [2 2 0]", got)
	}
	mustOK(t, "alwaysOn", configure("alwaysOn", data))
	if got := code(r.cmd(bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})); got != 2 {
		t.Fatalf("hello under failCommands [isMaster] = code %d, want 2 (an alias of the same command)", got)
	}
	if got := code(configure("off", nil)); got != 0 {
		t.Fatalf("configureFailPoint itself failed: code %d", got)
	}
	if got := ping(); got != 0 {
		t.Fatalf("ping after off = code %d", got)
	}
}

func TestFailPoint_BadSpecs(t *testing.T) {
	e := newTestCommandsEnv(t)
	r := e.dial(t)
	for _, tc := range []struct {
		name string
		cmd  bson.D
		want int32
	}{
		{"an unknown fail point", bson.D{{Key: "configureFailPoint", Value: "noSuchPoint"}, {Key: "mode", Value: "off"}}, 266},
		{"a name that is not a string", bson.D{{Key: "configureFailPoint", Value: 1}, {Key: "mode", Value: "off"}}, 14},
		{"no mode", bson.D{{Key: "configureFailPoint", Value: "failCommand"}}, 20},
		{"an unknown mode", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "sometimes"}}, 2},
		{"a mode of the wrong type", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: 1}}, 14},
		{"negative times", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: bson.D{{Key: "times", Value: -1}}}}, 2},
		{"a mode document without times or skip", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: bson.D{{Key: "often", Value: 1}}}}, 2},
		{"data that is not a document", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "alwaysOn"}, {Key: "data", Value: "x"}}, 14},
		{"blockConnection without blockTimeMS", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "alwaysOn"}, {Key: "data", Value: bson.D{{Key: "blockConnection", Value: true}}}}, 72},
		{"a negative blockTimeMS", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "alwaysOn"}, {Key: "data", Value: bson.D{{Key: "blockConnection", Value: true}, {Key: "blockTimeMS", Value: -5}}}}, 72},
		{"an errorCode that is not a number", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "alwaysOn"}, {Key: "data", Value: bson.D{{Key: "errorCode", Value: "2"}}}}, 14},
		{"errorLabels that are not strings", bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "alwaysOn"}, {Key: "data", Value: bson.D{{Key: "errorLabels", Value: bson.A{1}}}}}, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := r.cmd(append(tc.cmd, bson.E{Key: "$db", Value: "admin"}))
			if got := code(reply); got != tc.want {
				t.Fatalf("code %d, want %d: %v", got, tc.want, reply)
			}
		})
	}
	// None of them armed the point.
	if got := code(r.cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}})); got != 0 {
		t.Fatalf("ping after rejected specs: code %d", got)
	}
	reply := r.cmd(bson.D{{Key: "configureFailPoint", Value: "failCommand"}, {Key: "mode", Value: "off"}, {Key: "$db", Value: "test"}})
	if got := code(reply); got != 13 {
		t.Fatalf("configureFailPoint outside admin: code %d, want 13 Unauthorized", got)
	}
}

func TestFailPoint_TransactionalWrite(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, log := e.monitoredClient(t, nil)
	ctx := context.Background()
	coll := c.Database("fp").Collection("c")
	arm := func(mode any, data bson.D) {
		t.Helper()
		cmd := bson.D{{Key: "configureFailPoint", Value: "onPrimaryTransactionalWrite"}, {Key: "mode", Value: mode}}
		if data != nil {
			cmd = append(cmd, bson.E{Key: "data", Value: data})
		}
		if err := c.Database("admin").RunCommand(ctx, cmd).Err(); err != nil {
			t.Fatalf("configureFailPoint: %v", err)
		}
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 0}}); err != nil {
		t.Fatal(err)
	}

	// The write commits, the connection drops, and the retry is answered from the session: applied once.
	arm(bson.D{{Key: "times", Value: 1}}, nil)
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatalf("UpdateOne: %v", err)
	}
	if n := log.count("update"); n != 2 {
		t.Fatalf("update sent %d times, want 2", n)
	}
	var got struct{ N int }
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&got); err != nil || got.N != 1 {
		t.Fatalf("n = %d (%v), want 1: the retry must not apply the $inc again", got.N, err)
	}

	// Failed before commit on the first attempt only: the retry applies it.
	arm(bson.D{{Key: "times", Value: 1}}, bson.D{{Key: "failBeforeCommitExceptionCode", Value: 1}})
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	// Failed before commit on both attempts: never applied.
	arm(bson.D{{Key: "times", Value: 2}}, bson.D{{Key: "failBeforeCommitExceptionCode", Value: 1}})
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}}); !mongo.IsNetworkError(err) {
		t.Fatalf("InsertOne failed twice = %v, want a network error", err)
	}
	var ids []bson.M
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "n", Value: 0}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Fatalf("documents %v, want _id 1 and 2", ids)
	}

	// Writes outside a retryable write never reach the point.
	arm("alwaysOn", bson.D{{Key: "failBeforeCommitExceptionCode", Value: 1}})
	noRetry, _ := e.monitoredClient(t, options.Client().SetRetryWrites(false))
	if _, err := noRetry.Database("fp").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 4}}); err != nil {
		t.Fatalf("InsertOne without txnNumber: %v", err)
	}
	arm("off", nil)
}

func TestWriteConcern_UnsatisfiableOnOneMember(t *testing.T) {
	e := newCoreEnv(t)
	r := e.dial(t)
	for _, tc := range []struct {
		name string
		w    any
		want int32
	}{
		{"w above the member count", int32(2), 100},
		{"an unknown tag set", "dc", 79},
		{"majority", "majority", 0},
		{"w 1", int32(1), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply := mustOK(t, "insert", r.cmd(bson.D{
				{Key: "insert", Value: "wc"}, {Key: "documents", Value: bson.A{bson.D{}}},
				{Key: "writeConcern", Value: bson.D{{Key: "w", Value: tc.w}}}, {Key: "$db", Value: "test"},
			}))
			if n, _ := reply.Lookup("n").AsInt64OK(); n != 1 {
				t.Fatalf("n = %d, want 1: the write applies whatever its write concern", n)
			}
			got, _ := reply.Lookup("writeConcernError", "code").AsInt64OK()
			if int32(got) != tc.want {
				t.Fatalf("writeConcernError.code = %d, want %d: %v", got, tc.want, reply)
			}
		})
	}
}

func TestSnapshotReadConcern_RefusedOutsideReads(t *testing.T) {
	e := newCoreEnv(t)
	r := e.dial(t)
	snapshot := bson.E{Key: "readConcern", Value: bson.D{{Key: "level", Value: "snapshot"}}}
	for _, cmd := range []bson.D{
		{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{}}}},
		{{Key: "listCollections", Value: 1}},
		{{Key: "listIndexes", Value: "c"}},
	} {
		if got := code(r.cmd(append(cmd, snapshot, bson.E{Key: "$db", Value: "test"}))); got != 72 {
			t.Errorf("%s with readConcern snapshot: code %d, want 72 InvalidOptions", cmd[0].Key, got)
		}
	}
	mustOK(t, "find", r.cmd(bson.D{{Key: "find", Value: "c"}, snapshot, {Key: "$db", Value: "test"}}))
}

func TestListCommands(t *testing.T) {
	for _, testCommands := range []bool{false, true} {
		e := newCoreEnvWith(t, func(s *server.Server) { s.EnableTestCommands = testCommands })
		reply := mustOK(t, "listCommands", e.dial(t).cmd(bson.D{{Key: "listCommands", Value: 1}, {Key: "$db", Value: "admin"}}))
		cmds := reply.Lookup("commands").Document()
		for _, name := range []string{"find", "insert", "listCommands", "hello", "commitTransaction"} {
			if _, err := cmds.LookupErr(name); err != nil {
				t.Errorf("listCommands lacks %s", name)
			}
		}
		if _, err := cmds.LookupErr("configureFailPoint"); (err == nil) != testCommands {
			t.Errorf("configureFailPoint listed = %v with EnableTestCommands %v", err == nil, testCommands)
		}
	}
}

// TestRetryableMultiStatement_FailedMidway fails the second statement of a retryable update of three before it
// commits (the whole command fails) and retries the command: the first statement, which committed, is not
// run again, and the reply lists it in retriedStmtIds.
func TestRetryableMultiStatement_FailedMidway(t *testing.T) {
	e := newTestCommandsEnv(t)
	r := e.dial(t)
	lsid := newLsid()
	inc := func(id int) bson.D {
		return bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: id}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}, {Key: "upsert", Value: true}}
	}
	cmd := bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{inc(1), inc(2), inc(3)}},
		{Key: "lsid", Value: lsid}, {Key: "txnNumber", Value: int64(7)}, {Key: "$db", Value: "mid"}}
	mustOK(t, "arm", r.cmd(bson.D{{Key: "configureFailPoint", Value: "onPrimaryTransactionalWrite"}, {Key: "mode", Value: bson.D{{Key: "skip", Value: 1}}},
		{Key: "data", Value: bson.D{{Key: "closeConnection", Value: false}, {Key: "failBeforeCommitExceptionCode", Value: 1}}}, {Key: "$db", Value: "admin"}}))
	if reply := r.cmd(cmd); code(reply) != 1 {
		t.Fatalf("first attempt: %v, want InternalError from the fail point", reply)
	}
	mustOK(t, "disarm", r.cmd(bson.D{{Key: "configureFailPoint", Value: "onPrimaryTransactionalWrite"}, {Key: "mode", Value: "off"}, {Key: "$db", Value: "admin"}}))
	reply := mustOK(t, "retry", r.cmd(cmd))
	if reply.Lookup("n").AsInt64() != 3 {
		t.Fatalf("retry: %v, want n 3", reply)
	}
	if ids := reply.Lookup("retriedStmtIds").String(); ids != `[{"$numberInt":"0"}]` {
		t.Fatalf("retriedStmtIds = %s, want [0]", ids)
	}
	docs := r.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "$db", Value: "mid"}})
	for i := 0; i < 3; i++ {
		if v := docs.Lookup("cursor", "firstBatch", strconv.Itoa(i), "v").AsInt64(); v != 1 {
			t.Fatalf("document %d has v %d, want 1: %v", i+1, v, docs)
		}
	}
	// Retrying again returns the whole reply, every statement now retried.
	again := mustOK(t, "second retry", r.cmd(cmd))
	if vals, _ := again.Lookup("retriedStmtIds").Array().Values(); len(vals) != 3 {
		t.Fatalf("second retry: %v", again)
	}
}
