package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/wire"
)

// TestServer_BadInput sends hostile bytes over raw TCP. Framing errors close that connection; a well-framed
// message with bad content is answered with an error. Either way the server keeps serving others and the data
// stays intact.
func TestServer_BadInput(t *testing.T) {
	e := newCoreEnv(t)
	good := e.dial(t)
	mustOK(t, "seed", good.cmd(insertCmd(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: "kept"}})))

	ping, _ := bson.Marshal(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}})
	pingMsg := wire.AppendMsg(nil, 1, 0, 0, ping)
	header := func(length int32, op wire.OpCode) []byte {
		return wire.AppendHeader(nil, wire.Header{Length: length, RequestID: 1, OpCode: op})
	}
	withLength := func(b []byte, n int) []byte {
		b = append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(b, uint32(n))
		return b
	}
	badBSON := append([]byte(nil), ping...)
	badBSON[len(badBSON)-1] = 7
	deep := []byte{5, 0, 0, 0, 0}
	for range 300 {
		inner := deep
		deep = binary.LittleEndian.AppendUint32(nil, uint32(4+3+len(inner)+1))
		deep = append(deep, 0x03, 'a', 0)
		deep = append(deep, inner...)
		deep = append(deep, 0)
	}
	unknownKind := wire.AppendMsg(nil, 1, 0, 0, ping)
	unknownKind = append(unknownKind, 9, 1, 2, 3)
	unknownKind = withLength(unknownKind, len(unknownKind))
	badChecksum := wire.AppendChecksum(wire.AppendMsg(nil, 1, 0, 0, ping), 0)
	badChecksum[len(badChecksum)-1] ^= 0x55
	goodChecksum := wire.AppendChecksum(wire.AppendMsg(nil, 1, 0, 0, ping), 0)
	unknownCmd, _ := bson.Marshal(bson.D{{Key: "foo", Value: 1}, {Key: "$db", Value: "admin"}})
	emptyCmd, _ := bson.Marshal(bson.D{})
	dupSeq, _ := bson.Marshal(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{}}, {Key: "$db", Value: "test"}})
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: 1}})

	cases := []struct {
		name string
		in   []byte
		// wantCode is the error code of the reply; 0 with wantClose means no reply, the connection closes.
		wantCode  int32
		wantClose bool
		// desync: the declared length was wrong, so the bytes after the message are read as a new one.
		desync bool
		// compressed: the request was OP_COMPRESSED, so the reply comes compressed the same way.
		compressed bool
	}{
		{name: "truncated header", in: pingMsg[:7], wantClose: true},
		{name: "truncated body", in: pingMsg[:len(pingMsg)-5], wantClose: true},
		{name: "length below header", in: header(4, wire.OpMsg), wantClose: true},
		{name: "negative length", in: header(-100, wire.OpMsg), wantClose: true},
		{name: "2 GiB length", in: header(0x7fffffff, wire.OpMsg), wantClose: true},
		{name: "length over maxMessageSizeBytes", in: header(48000001, wire.OpMsg), wantClose: true},
		{name: "length shorter than content", in: withLength(pingMsg, len(pingMsg)-3), wantCode: 22, desync: true},
		{name: "OP_MSG without flags", in: header(16, wire.OpMsg), wantCode: 17},
		{name: "invalid BSON", in: wire.AppendMsg(nil, 1, 0, 0, badBSON), wantCode: 22},
		{name: "nesting too deep", in: wire.AppendMsg(nil, 1, 0, 0, deep), wantCode: 22},
		{name: "unknown section kind", in: unknownKind, wantCode: 17},
		{name: "bad checksum", in: badChecksum, wantCode: 17},
		{name: "good checksum", in: goodChecksum},
		{name: "unknown opcode", in: append(header(20, 2002), 0, 0, 0, 0), wantCode: 17},
		{name: "OP_COMPRESSED with an unknown compressor", in: append(header(25, wire.OpCompressed), 0xdd, 7, 0, 0, 0, 0, 0, 0, 9), wantClose: true},
		{name: "OP_COMPRESSED wrapping an unknown opcode", in: append(header(25, wire.OpCompressed), make([]byte, 9)...), wantCode: 17, compressed: true},
		{name: "unknown command", in: wire.AppendMsg(nil, 1, 0, 0, unknownCmd), wantCode: 59},
		{name: "empty command", in: wire.AppendMsg(nil, 1, 0, 0, emptyCmd), wantCode: 9},
		{name: "field both inline and as a sequence", in: wire.AppendMsg(nil, 1, 0, 0, dupSeq, wire.Sequence{Identifier: "documents", Documents: []bson.Raw{doc}}), wantCode: 17},
		{name: "garbage", in: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), wantClose: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := e.dial(t)
			rc.send(tc.in)
			if tc.wantClose {
				if cw, ok := rc.c.(*net.TCPConn); ok && len(tc.in) < wire.HeaderLen {
					cw.CloseWrite() // a truncated header only shows as such at EOF
				} else if ok && tc.name == "truncated body" {
					cw.CloseWrite()
				}
				rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
				n, err := rc.c.Read(make([]byte, 1))
				if n != 0 || !errors.Is(err, io.EOF) && !isReset(err) {
					t.Fatalf("read after bad frame: n=%d err=%v, want the server to close", n, err)
				}
				return
			}
			var r bson.Raw
			if tc.compressed {
				_, zmsg, err := rc.read()
				if err != nil {
					t.Fatal(err)
				}
				_, msg, _, err := wire.Decompress(nil, zmsg, 0)
				if err != nil {
					t.Fatalf("reply: %v", err)
				}
				m, err := wire.ParseMsg(msg)
				if err != nil {
					t.Fatal(err)
				}
				r = m.Body
			} else {
				r = rc.readMsg()
			}
			if got := code(r); got != tc.wantCode {
				t.Fatalf("code %d, want %d: %v", got, tc.wantCode, r)
			}
			if tc.desync {
				return
			}
			// The connection is still usable after an answered error.
			mustOK(t, "ping after error", rc.cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
		})
	}

	// moreToCome: no reply; the next reply answers the next request.
	rc := e.dial(t)
	rc.send(wire.AppendMsg(nil, 50, 0, wire.MoreToCome, ping))
	r := rc.cmd(bson.D{{Key: "hello", Value: 1}, {Key: "$db", Value: "admin"}})
	if !r.Lookup("isWritablePrimary").Boolean() {
		t.Fatalf("reply after moreToCome: %v", r)
	}

	// The server still serves new clients and the data is intact.
	c := e.client(t)
	var got bson.M
	if err := c.Database("test").Collection("c").FindOne(context.Background(), bson.D{{Key: "_id", Value: 1}}).Decode(&got); err != nil || got["v"] != "kept" {
		t.Fatalf("data after bad input: %v %v", got, err)
	}
	mustOK(t, "ping on the first connection", good.cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
}

// isReset reports a connection reset, which is how a close with unread data can show.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}
