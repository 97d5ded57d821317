package server_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/wire"
)

// coreEnv is an in-process server on 127.0.0.1:0 over an in-memory DB, reached through its real address.
type coreEnv struct {
	db     *concord.DB
	srv    *server.Server
	addr   string
	served chan error
}

// newCoreEnv starts a server; it is shut down (and the DB closed) when the test ends.
func newCoreEnv(tb testing.TB) *coreEnv {
	tb.Helper()
	return newCoreEnvWith(tb, nil)
}

// newCoreEnvWith is newCoreEnv with configure (when non-nil) applied to the Server before it serves.
func newCoreEnvWith(tb testing.TB, configure func(*server.Server)) *coreEnv {
	tb.Helper()
	db, err := concord.Open("", nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		tb.Fatalf("Listen: %v", err)
	}
	e := &coreEnv{db: db, srv: &server.Server{DB: db}, addr: l.Addr().String(), served: make(chan error, 1)}
	if configure != nil {
		configure(e.srv)
	}
	go func() { e.served <- e.srv.Serve(l) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.srv.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
		if err := <-e.served; !errors.Is(err, server.ErrServerClosed) {
			tb.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("DB.Close: %v", err)
		}
	})
	return e
}

// client connects the official driver through the server's address with replica-set discovery (no
// directConnection): the server must list that address in hosts for this to work.
func (e *coreEnv) client(tb testing.TB) *mongo.Client {
	tb.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + e.addr + "/").SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// rawConn is a wire-level client: it sends exactly the bytes a test builds.
type rawConn struct {
	tb  testing.TB
	c   net.Conn
	ids int32
	// wait bounds each read and write (5 s when zero): long enough for a reply, short enough that a test
	// expecting none fails fast.
	wait time.Duration
}

// timeout returns the connection's bound on one read or write.
func (r *rawConn) timeout() time.Duration {
	if r.wait > 0 {
		return r.wait
	}
	return 5 * time.Second
}

// dial opens a raw connection to the server.
func (e *coreEnv) dial(tb testing.TB) *rawConn {
	tb.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		tb.Fatalf("Dial: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return &rawConn{tb: tb, c: c}
}

// send writes b.
func (r *rawConn) send(b []byte) {
	r.tb.Helper()
	r.c.SetWriteDeadline(time.Now().Add(r.timeout()))
	if _, err := r.c.Write(b); err != nil {
		r.tb.Fatalf("write: %v", err)
	}
}

// read reads one message, failing after the connection's timeout.
func (r *rawConn) read() (wire.Header, []byte, error) {
	r.c.SetReadDeadline(time.Now().Add(r.timeout()))
	return wire.ReadMessage(r.c, nil, 0)
}

// readMsg reads one OP_MSG reply and returns its body.
func (r *rawConn) readMsg() bson.Raw {
	r.tb.Helper()
	h, msg, err := r.read()
	if err != nil {
		r.tb.Fatalf("read reply: %v", err)
	}
	if h.OpCode != wire.OpMsg {
		r.tb.Fatalf("reply opcode %v, want OP_MSG", h.OpCode)
	}
	m, err := wire.ParseMsg(msg)
	if err != nil {
		r.tb.Fatalf("parse reply: %v", err)
	}
	return m.Body
}

// nextID returns a fresh requestID.
func (r *rawConn) nextID() int32 {
	r.ids++
	return r.ids
}

// cmd sends cmd as an OP_MSG and returns the reply body.
func (r *rawConn) cmd(cmd bson.D) bson.Raw {
	r.tb.Helper()
	body, err := bson.Marshal(cmd)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.send(wire.AppendMsg(nil, r.nextID(), 0, 0, body))
	return r.readMsg()
}

// code returns a reply's code (0 when ok is 1).
func code(reply bson.Raw) int32 {
	if ok, _ := reply.Lookup("ok").AsFloat64OK(); ok == 1 {
		return 0
	}
	c, _ := reply.Lookup("code").AsInt64OK()
	return int32(c)
}

// errLabels returns a reply's errorLabels.
func errLabels(reply bson.Raw) []string {
	var out []string
	arr, ok := reply.Lookup("errorLabels").ArrayOK()
	if !ok {
		return nil
	}
	vals, _ := arr.Values()
	for _, v := range vals {
		out = append(out, v.StringValue())
	}
	return out
}

// mustOK fails the test unless reply has ok: 1.
func mustOK(tb testing.TB, what string, reply bson.Raw) bson.Raw {
	tb.Helper()
	if code(reply) != 0 || reply.Lookup("ok").Type == 0 {
		tb.Fatalf("%s: %v", what, reply)
	}
	return reply
}

// lsid is a fresh logical session id as drivers send it.
func newLsid() bson.D {
	id := bson.NewObjectID()
	data := make([]byte, 16)
	copy(data, id[:])
	data[12], data[13], data[14], data[15] = 0x40, 0x80, 0x12, 0x34
	return bson.D{{Key: "id", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: data}}}
}

// txnCmd appends the transaction fields of statement txn on lsid to cmd; start marks the first statement.
func txnCmd(cmd bson.D, lsid bson.D, txn int64, start bool) bson.D {
	cmd = append(cmd, bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: txn})
	if start {
		cmd = append(cmd, bson.E{Key: "startTransaction", Value: true})
	}
	return append(cmd, bson.E{Key: "autocommit", Value: false})
}
