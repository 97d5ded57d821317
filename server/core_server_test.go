package server_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/concorddb/concord/wire"
)

func TestServer_HandshakeAndHello(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	if err := c.Ping(ctx, nil); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	for _, name := range []string{"hello", "isMaster", "ismaster"} {
		t.Run(name, func(t *testing.T) {
			r, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: name, Value: 1}, {Key: "helloOk", Value: true}}).Raw()
			if err != nil {
				t.Fatal(err)
			}
			primaryKey := "isWritablePrimary"
			if name != "hello" {
				primaryKey = "ismaster"
			}
			if !r.Lookup(primaryKey).Boolean() || r.Lookup("secondary").Boolean() {
				t.Errorf("%s/secondary wrong: %v", primaryKey, r)
			}
			if s := r.Lookup("setName").StringValue(); s != "rs0" {
				t.Errorf("setName %q", s)
			}
			hosts := r.Lookup("hosts").Array().Index(0).StringValue()
			for _, f := range []string{"primary", "me"} {
				if r.Lookup(f).StringValue() != e.addr {
					t.Errorf("%s = %v, want %s", f, r.Lookup(f), e.addr)
				}
			}
			if hosts != e.addr {
				t.Errorf("hosts[0] = %s, want %s", hosts, e.addr)
			}
			want := map[string]int64{
				"setVersion": 1, "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
				"maxWriteBatchSize": 100000, "logicalSessionTimeoutMinutes": 30, "minWireVersion": 0, "maxWireVersion": 21,
			}
			for k, v := range want {
				if got, ok := r.Lookup(k).AsInt64OK(); !ok || got != v {
					t.Errorf("%s = %v, want %d", k, r.Lookup(k), v)
				}
			}
			if _, ok := r.Lookup("connectionId").AsInt64OK(); !ok {
				t.Errorf("connectionId missing")
			}
			if !r.Lookup("helloOk").Boolean() || r.Lookup("readOnly").Boolean() {
				t.Errorf("helloOk/readOnly wrong: %v", r)
			}
			if r.Lookup("localTime").Type != bson.TypeDateTime {
				t.Errorf("localTime missing")
			}
			for _, absent := range []string{"topologyVersion", "compression"} {
				if r.Lookup(absent).Type != 0 {
					t.Errorf("%s must not be sent", absent)
				}
			}
			if r.Lookup("operationTime").Type != bson.TypeTimestamp {
				t.Errorf("operationTime missing")
			}
			sig := r.Lookup("$clusterTime", "signature", "hash")
			if sub, data, ok := sig.BinaryOK(); !ok || sub != 0 || len(data) != 20 {
				t.Errorf("$clusterTime.signature.hash = %v", sig)
			}
			if k, ok := r.Lookup("$clusterTime", "signature", "keyId").Int64OK(); !ok || k != 0 {
				t.Errorf("keyId = %v", r.Lookup("$clusterTime", "signature", "keyId"))
			}
		})
	}
}

func TestServer_LegacyOpQuery(t *testing.T) {
	e := newCoreEnv(t)
	rc := e.dial(t)
	cases := []struct {
		name     string
		ns       string
		cmd      bson.D
		wantCode int32
	}{
		{name: "isMaster", ns: "admin.$cmd", cmd: bson.D{{Key: "isMaster", Value: 1}, {Key: "helloOk", Value: true}, {Key: "client", Value: bson.D{{Key: "driver", Value: bson.D{{Key: "name", Value: "x"}}}}}}},
		{name: "ismaster wrapped in $query", ns: "admin.$cmd", cmd: bson.D{{Key: "$query", Value: bson.D{{Key: "ismaster", Value: 1}}}, {Key: "$readPreference", Value: bson.D{{Key: "mode", Value: "primaryPreferred"}}}}},
		{name: "hello", ns: "test.$cmd", cmd: bson.D{{Key: "hello", Value: 1}}},
		{name: "other command", ns: "admin.$cmd", cmd: bson.D{{Key: "ping", Value: 1}}, wantCode: 352},
		{name: "legacy find", ns: "test.coll", cmd: bson.D{{Key: "x", Value: 1}}, wantCode: 352},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := bson.Marshal(tc.cmd)
			rc.send(wire.AppendQuery(nil, rc.nextID(), 4, tc.ns, 0, -1, q))
			h, msg, err := rc.read()
			if err != nil || h.OpCode != wire.OpReply || h.ResponseTo != rc.ids {
				t.Fatalf("reply %+v: %v", h, err)
			}
			r, err := wire.ParseReply(msg)
			if err != nil || len(r.Documents) != 1 {
				t.Fatalf("ParseReply: %v", err)
			}
			doc := r.Documents[0]
			if got := code(doc); got != tc.wantCode {
				t.Fatalf("code %d, want %d: %v", got, tc.wantCode, doc)
			}
			if tc.wantCode == 0 && doc.Lookup("maxWireVersion").Int32() != 21 {
				t.Fatalf("bad handshake reply %v", doc)
			}
		})
	}
}

func TestServer_AdminCommands(t *testing.T) {
	e := newCoreEnv(t)
	rc := e.dial(t)
	admin := func(cmd ...bson.E) bson.D { return append(bson.D(cmd), bson.E{Key: "$db", Value: "admin"}) }
	cases := []struct {
		name     string
		cmd      bson.D
		wantCode int32
		check    func(t *testing.T, r bson.Raw)
	}{
		{name: "ping", cmd: admin(bson.E{Key: "ping", Value: 1})},
		{name: "buildInfo", cmd: admin(bson.E{Key: "buildInfo", Value: 1}), check: func(t *testing.T, r bson.Raw) {
			if v := r.Lookup("version").StringValue(); !strings.HasPrefix(v, "7.0.") {
				t.Errorf("version %q", v)
			}
			if r.Lookup("versionArray").Array().Index(0).Int32() != 7 {
				t.Errorf("versionArray %v", r.Lookup("versionArray"))
			}
			if r.Lookup("ferretdb").Type != 0 {
				t.Errorf("ferretdb key present")
			}
		}},
		{name: "getParameter fcv", cmd: admin(bson.E{Key: "getParameter", Value: 1}, bson.E{Key: "featureCompatibilityVersion", Value: 1}), check: func(t *testing.T, r bson.Raw) {
			if v := r.Lookup("featureCompatibilityVersion", "version").StringValue(); v != "7.0" {
				t.Errorf("fcv %q", v)
			}
		}},
		{name: "getParameter all", cmd: admin(bson.E{Key: "getParameter", Value: "*"}), check: func(t *testing.T, r bson.Raw) {
			if r.Lookup("transactionLifetimeLimitSeconds").Int32() != 60 {
				t.Errorf("transactionLifetimeLimitSeconds %v", r.Lookup("transactionLifetimeLimitSeconds"))
			}
		}},
		{name: "getParameter unknown", cmd: admin(bson.E{Key: "getParameter", Value: 1}, bson.E{Key: "foo", Value: 1}), wantCode: 72},
		{name: "setParameter below minimum", cmd: admin(bson.E{Key: "setParameter", Value: 1}, bson.E{Key: "transactionLifetimeLimitSeconds", Value: 0}), wantCode: 2},
		{name: "setParameter unknown", cmd: admin(bson.E{Key: "setParameter", Value: 1}, bson.E{Key: "foo", Value: 1}), wantCode: 72},
		{name: "setParameter", cmd: admin(bson.E{Key: "setParameter", Value: 1}, bson.E{Key: "transactionLifetimeLimitSeconds", Value: 60}), check: func(t *testing.T, r bson.Raw) {
			if r.Lookup("was").Int32() != 60 {
				t.Errorf("was %v", r.Lookup("was"))
			}
		}},
		{name: "getCmdLineOpts", cmd: admin(bson.E{Key: "getCmdLineOpts", Value: 1}), check: func(t *testing.T, r bson.Raw) {
			if r.Lookup("argv").Type != bson.TypeArray {
				t.Errorf("argv missing")
			}
		}},
		{name: "hostInfo", cmd: admin(bson.E{Key: "hostInfo", Value: 1})},
		{name: "whatsmyuri", cmd: admin(bson.E{Key: "whatsmyuri", Value: 1}), check: func(t *testing.T, r bson.Raw) {
			if r.Lookup("you").StringValue() != rc.c.LocalAddr().String() {
				t.Errorf("you = %v", r.Lookup("you"))
			}
		}},
		{name: "replSetGetStatus", cmd: admin(bson.E{Key: "replSetGetStatus", Value: 1}), check: func(t *testing.T, r bson.Raw) {
			if r.Lookup("set").StringValue() != "rs0" || r.Lookup("members").Array().Index(0).Document().Lookup("stateStr").StringValue() != "PRIMARY" {
				t.Errorf("bad status %v", r)
			}
		}},
		{name: "getLog startupWarnings", cmd: admin(bson.E{Key: "getLog", Value: "startupWarnings"})},
		{name: "getLog global", cmd: admin(bson.E{Key: "getLog", Value: "global"})},
		{name: "connectionStatus", cmd: admin(bson.E{Key: "connectionStatus", Value: 1})},
		{name: "currentOp", cmd: admin(bson.E{Key: "currentOp", Value: 1}), check: func(t *testing.T, r bson.Raw) {
			ops, _ := r.Lookup("inprog").Array().Values()
			if len(ops) != 1 || ops[0].Document().Lookup("command", "currentOp").Type == 0 {
				t.Errorf("currentOp should list itself: %v", r)
			}
		}},
		{name: "killOp unknown op", cmd: admin(bson.E{Key: "killOp", Value: 1}, bson.E{Key: "op", Value: 12345})},
		{name: "endSessions", cmd: admin(bson.E{Key: "endSessions", Value: bson.A{newLsid()}})},
		{name: "killAllSessions", cmd: admin(bson.E{Key: "killAllSessions", Value: bson.A{}})},
		{name: "atlasVersion", cmd: admin(bson.E{Key: "atlasVersion", Value: 1}), wantCode: 59},
		{name: "unknown command", cmd: admin(bson.E{Key: "foo", Value: 1}), wantCode: 59, check: func(t *testing.T, r bson.Raw) {
			if r.Lookup("errmsg").StringValue() != "no such command: 'foo'" || r.Lookup("codeName").StringValue() != "CommandNotFound" {
				t.Errorf("bad error %v", r)
			}
			if ok, isDouble := r.Lookup("ok").DoubleOK(); !isDouble || ok != 0 {
				t.Errorf("ok must be double 0: %v", r.Lookup("ok"))
			}
		}},
		{name: "wrong case", cmd: admin(bson.E{Key: "IsMaster", Value: 1}), wantCode: 59},
		{name: "missing $db", cmd: bson.D{{Key: "ping", Value: 1}}, wantCode: 40571},
		{name: "commit outside a session", cmd: admin(bson.E{Key: "commitTransaction", Value: 1}), wantCode: 125},
		{name: "commit with txnNumber but no autocommit", cmd: admin(bson.E{Key: "commitTransaction", Value: 1}, bson.E{Key: "lsid", Value: newLsid()}, bson.E{Key: "txnNumber", Value: int64(1)}), wantCode: 50768},
		{name: "isMaster with txnNumber", cmd: admin(bson.E{Key: "isMaster", Value: 1}, bson.E{Key: "lsid", Value: newLsid()}, bson.E{Key: "txnNumber", Value: int64(0)}), wantCode: 50768},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rc.cmd(tc.cmd)
			if got := code(r); got != tc.wantCode {
				t.Fatalf("code %d, want %d: %v", got, tc.wantCode, r)
			}
			if r.Lookup("operationTime").Type != bson.TypeTimestamp || r.Lookup("$clusterTime", "clusterTime").Type != bson.TypeTimestamp {
				t.Errorf("reply lacks operationTime/$clusterTime: %v", r)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestServer_ServerStatus(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	if _, err := c.Database("test").Collection("c").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	r, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range [][]string{
		{"host"}, {"version"}, {"process"}, {"uptime"}, {"localTime"},
		{"opcounters", "insert"}, {"opcounters", "query"}, {"opcounters", "update"}, {"opcounters", "delete"},
		{"opcounters", "getmore"}, {"opcounters", "command"},
		{"connections", "current"}, {"connections", "available"}, {"connections", "totalCreated"},
		{"metrics", "operation", "writeConflicts"}, {"metrics", "document", "inserted"},
		{"network", "bytesIn"}, {"network", "bytesOut"}, {"network", "numRequests"}, {"mem", "resident"},
		{"transactions", "retriedCommandsCount"}, {"transactions", "retriedStatementsCount"},
		{"transactions", "transactionsCollectionWriteCount"}, {"transactions", "currentActive"},
		{"transactions", "currentInactive"}, {"transactions", "currentOpen"}, {"transactions", "totalAborted"},
		{"transactions", "totalCommitted"}, {"transactions", "totalStarted"}, {"transactions", "totalPrepared"},
		{"transactions", "totalPreparedThenCommitted"}, {"transactions", "totalPreparedThenAborted"},
		{"transactions", "currentPrepared"},
	} {
		if r.Lookup(path...).Type == 0 {
			t.Errorf("serverStatus lacks %s", strings.Join(path, "."))
		}
	}
	if n, _ := r.Lookup("opcounters", "insert").AsInt64OK(); n != 1 {
		t.Errorf("opcounters.insert = %d, want 1", n)
	}
	if n, _ := r.Lookup("opcounters", "command").AsInt64OK(); n < 1 {
		t.Errorf("opcounters.command = %d, want >= 1 (hello, serverStatus)", n)
	}
	if n, _ := r.Lookup("connections", "current").AsInt64OK(); n < 1 {
		t.Errorf("connections.current = %d", n)
	}
	if n, _ := r.Lookup("network", "numRequests").AsInt64OK(); n < 2 {
		t.Errorf("network.numRequests = %d", n)
	}
}

// TestServer_ShutdownFinishesInFlight checks that Shutdown lets a command in flight finish and answer, and does
// not wait for the transaction it waits on to expire: that transaction is between statements, so Shutdown
// aborts it, and the waiting update then applies on the committed value.
func TestServer_ShutdownFinishesInFlight(t *testing.T) {
	e := newCoreEnv(t)
	a := e.dial(t)
	b := e.dial(t)
	lsid := newLsid()
	mustOK(t, "seed", a.cmd(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}}}, {Key: "$db", Value: "test"}}))
	mustOK(t, "txn update", a.cmd(txnCmd(bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}}}}, {Key: "$db", Value: "test"}}, lsid, 1, true)))
	// b's update waits for a's transaction, which would live for the default 60 seconds.
	upd, _ := bson.Marshal(bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 10}}}}}}}}, {Key: "$db", Value: "test"}})
	b.send(wire.AppendMsg(nil, b.nextID(), 0, 0, upd))
	waitForOp(t, e.dial(t), "update")

	started := time.Now()
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- e.srv.Shutdown(ctx)
	}()
	r := b.readMsg()
	if n, _ := r.Lookup("nModified").AsInt64OK(); code(r) != 0 || n != 1 {
		t.Fatalf("in-flight update: %v", r)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(started); d > 5*time.Second {
		t.Fatalf("Shutdown took %v: it waited for the idle transaction to expire", d)
	}
	var got struct{ V int }
	if err := e.db.Database("test").Collection("c").FindOne(context.Background(), bson.D{}).Decode(&got); err != nil || got.V != 10 {
		t.Fatalf("document after shutdown = %+v, %v; want v 10 (the transaction aborted, the update applied)", got, err)
	}
}

// waitForOp polls currentOp on c until a command named name is in flight, so that a test acts only once the
// command it sent is being served (a write waiting on a conflict, say).
func waitForOp(t *testing.T, c *rawConn, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := c.cmd(bson.D{{Key: "currentOp", Value: 1}, {Key: "$db", Value: "admin"}})
		ops, _ := r.Lookup("inprog").Array().Values()
		for _, o := range ops {
			if o.Document().Lookup("command", name).Type != 0 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s command in flight", name)
}

// TestServer_NoGoroutineLeak connects and disconnects clients and checks that their goroutines end.
func TestServer_NoGoroutineLeak(t *testing.T) {
	e := newCoreEnv(t)
	ctx := context.Background()
	warm := e.dial(t)
	mustOK(t, "ping", warm.cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	for range 5 {
		c := e.client(t)
		if err := c.Ping(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
			t.Fatal(err)
		}
		rc := e.dial(t)
		rc.send([]byte{1, 2, 3})
		rc.c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after disconnects, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
