package server_test

import (
	"context"
	"log"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/wire"
)

var hello = bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}}

// closed reports whether the server closed r: a read ends without a message.
func closed(r *rawConn) bool {
	_, _, err := r.read()
	return err != nil && !strings.Contains(err.Error(), "timeout")
}

// TestMaxConns opens connections past MaxConns: the excess is closed at once, the open ones keep working, and
// a slot freed is taken by the next client.
func TestMaxConns(t *testing.T) {
	logs := &syncBuffer{}
	e := newCoreEnvWith(t, func(s *server.Server) {
		s.MaxConns = 2
		s.ErrorLog = log.New(logs, "", 0)
	})
	a, b := e.dial(t), e.dial(t)
	mustOK(t, "hello a", a.cmd(hello))
	mustOK(t, "hello b", b.cmd(hello))
	extra := e.dial(t)
	if !closed(extra) {
		t.Fatal("a third connection was served past MaxConns 2")
	}
	mustOK(t, "hello a after the refusal", a.cmd(hello))
	mustOK(t, "hello b after the refusal", b.cmd(hello))
	if !strings.Contains(logs.String(), "Connection refused because there are too many open connections") {
		t.Errorf("the refusal was not logged: %q", logs.String())
	}
	st := b.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
	if av, rej := st.Lookup("connections", "available").Int32(), st.Lookup("connections", "rejected").Int64(); av != 0 || rej != 1 {
		t.Errorf("serverStatus connections: available %d, rejected %d; want 0 and 1", av, rej)
	}
	a.c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := e.dial(t)
		body, _ := bson.Marshal(hello)
		c.send(wire.AppendMsg(nil, c.nextID(), 0, 0, body))
		if _, _, err := c.read(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a freed slot was never reused")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMaxConns_Driver: a driver client keeps working while another is turned away.
func TestMaxConns_Driver(t *testing.T) {
	e := newCoreEnvWith(t, func(s *server.Server) { s.MaxConns = 2; s.ErrorLog = log.New(&syncBuffer{}, "", 0) })
	ctx := context.Background()
	first, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + e.addr + "/?maxPoolSize=1").SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Disconnect(ctx)
	coll := first.Database("t").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	second, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + e.addr + "/").SetServerSelectionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Disconnect(ctx)
	if err := second.Ping(ctx, nil); err == nil {
		t.Error("a client past MaxConns was served")
	}
	if _, err := coll.InsertOne(ctx, bson.D{}); err != nil {
		t.Errorf("the first client after the refusal: %v", err)
	}
}

// TestUnauthenticatedIdleTimeout: an idle connection that never authenticated is closed; an authenticated one
// is not.
func TestUnauthenticatedIdleTimeout(t *testing.T) {
	e := newAuthEnv(t, func(s *server.Server) { s.UnauthenticatedIdleTimeout = 700 * time.Millisecond })
	e.addUser(t, "app", "admin", "pw", nil, root)
	r := e.dial(t)
	mustOK(t, "hello", r.cmd(hello))
	time.Sleep(1200 * time.Millisecond)
	if !closed(r) {
		t.Error("an idle unauthenticated connection was kept")
	}
	c := connectAs(t, e.addr, "app", "pw", "&heartbeatFrequencyMS=500&maxPoolSize=1")
	ctx := context.Background()
	if _, err := c.Database("t").Collection("c").InsertOne(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	if _, err := c.Database("t").Collection("c").InsertOne(ctx, bson.D{}); err != nil {
		t.Errorf("insert after an idle wait on an authenticated connection: %v", err)
	}
}

// TestUnauthenticatedMessageSize: before authentication a message over 1 MiB closes the connection.
func TestUnauthenticatedMessageSize(t *testing.T) {
	e := newAuthEnv(t, nil)
	r := e.dial(t)
	body, _ := bson.Marshal(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "pad", Value: strings.Repeat("x", 2<<20)}}}}, {Key: "$db", Value: "t"}})
	// The server may close the connection once it has read the header, before the whole message is written:
	// a write that fails then is the behaviour under test, not an error.
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write(wire.AppendMsg(nil, r.nextID(), 0, 0, body)); err == nil && !closed(r) {
		t.Error("a 2 MiB message before authentication was read")
	}
	small := e.dial(t)
	reply := small.cmd(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{}}}, {Key: "$db", Value: "t"}})
	if code(reply) != 13 {
		t.Errorf("a small insert before authentication: %v, want Unauthorized", reply)
	}
}
