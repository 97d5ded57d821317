package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/wire"
)

// TestCompression_Driver runs CRUD through the official driver with each compressor and checks, in
// serverStatus, that the server decompressed requests and compressed replies with that compressor and no other.
func TestCompression_Driver(t *testing.T) {
	e := newCoreEnv(t)
	for _, name := range []string{"snappy", "zlib", "zstd"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			before := compressionCounters(t, e.client(t))
			var hello bson.Raw
			opts := options.Client().ApplyURI("mongodb://" + e.addr + "/").SetServerSelectionTimeout(5 * time.Second).
				SetCompressors([]string{name}).SetMonitor(&event.CommandMonitor{})
			c, err := mongo.Connect(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Disconnect(ctx)
			coll := c.Database("z").Collection(name)
			docs := make([]any, 200)
			for i := range docs {
				docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "text", Value: strings.Repeat("compressible ", 40)}}
			}
			if _, err := coll.InsertMany(ctx, docs); err != nil {
				t.Fatal(err)
			}
			cur, err := coll.Find(ctx, bson.D{}, options.Find().SetBatchSize(50))
			if err != nil {
				t.Fatal(err)
			}
			var got []bson.Raw
			if err := cur.All(ctx, &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != 200 {
				t.Fatalf("found %d documents, want 200", len(got))
			}
			hello = mustOK(t, "hello", e.dial(t).cmd(bson.D{{Key: "hello", Value: 1}, {Key: "compression", Value: bson.A{"lz4", name, "snappy"}}, {Key: "$db", Value: "admin"}}))
			list, _ := hello.Lookup("compression").Array().Values()
			if len(list) == 0 || list[0].StringValue() != name {
				t.Fatalf("hello compression = %v, want %s first", hello.Lookup("compression"), name)
			}
			after := compressionCounters(t, e.client(t))
			for _, other := range []string{"snappy", "zlib", "zstd"} {
				// The uncompressed side: replies before compression, requests after decompression.
				for _, k := range []string{"compressor.bytesIn", "decompressor.bytesOut"} {
					d := after[other+"."+k] - before[other+"."+k]
					if other == name && d < 200*500 {
						t.Errorf("%s %s bytesIn grew by %d, want at least the documents' size", other, k, d)
					}
					if other != name && d != 0 {
						t.Errorf("%s %s bytesIn grew by %d while only %s was used", other, k, d, name)
					}
				}
			}
			// The replies were smaller on the wire than as commands saw them.
			if after[name+".compressor.bytesOut"]-before[name+".compressor.bytesOut"] >= after[name+".compressor.bytesIn"]-before[name+".compressor.bytesIn"] {
				t.Errorf("%s did not shrink the replies: %v", name, after)
			}
		})
	}
}

// compressionCounters reads serverStatus network.compression as "snappy.compressor.bytesIn" -> n.
func compressionCounters(t *testing.T, c *mongo.Client) map[string]int64 {
	t.Helper()
	raw, err := c.Database("admin").RunCommand(context.Background(), bson.D{{Key: "serverStatus", Value: 1}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	elems, _ := raw.Lookup("network", "compression").Document().Elements()
	for _, e := range elems {
		for _, k := range []string{"compressor", "decompressor"} {
			for _, f := range []string{"bytesIn", "bytesOut"} {
				out[e.Key()+"."+k+"."+f] = e.Value().Document().Lookup(k, f).Int64()
			}
		}
	}
	if len(out) != 12 {
		t.Fatalf("network.compression = %v", raw.Lookup("network", "compression"))
	}
	return out
}

// compressedMsg builds an OP_COMPRESSED request wrapping an OP_MSG of cmd, then lets patch alter its fields.
func compressedMsg(t *testing.T, id int32, cmd bson.D, c wire.Compressor) []byte {
	t.Helper()
	body, err := bson.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	out, err := wire.AppendCompressed(nil, wire.AppendMsg(nil, id, 0, 0, body), c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompression_Replies checks on the wire that a compressed request is answered compressed with its own
// compressor, except for the commands that are never compressed, and that an uncompressed one is not.
func TestCompression_Replies(t *testing.T) {
	e := newCoreEnv(t)
	r := e.dial(t)
	for _, c := range []wire.Compressor{wire.CompressorSnappy, wire.CompressorZlib, wire.CompressorZstd, wire.CompressorNoop} {
		for _, tc := range []struct {
			cmd  string
			want wire.OpCode
		}{{"ping", wire.OpCompressed}, {"hello", wire.OpMsg}, {"isMaster", wire.OpMsg}, {"buildInfo", wire.OpCompressed}} {
			id := r.nextID()
			r.send(compressedMsg(t, id, bson.D{{Key: tc.cmd, Value: 1}, {Key: "$db", Value: "admin"}}, c))
			h, msg, err := r.read()
			if err != nil {
				t.Fatalf("%s over %s: %v", tc.cmd, c, err)
			}
			if h.OpCode != tc.want || h.ResponseTo != id {
				t.Fatalf("%s over %s: reply %v to %d, want %v to %d", tc.cmd, c, h.OpCode, h.ResponseTo, tc.want, id)
			}
			if h.OpCode == wire.OpCompressed {
				if got := wire.Compressor(msg[wire.HeaderLen+8]); got != c {
					t.Fatalf("%s over %s: reply compressed with %s", tc.cmd, c, got)
				}
				var err error
				if h, msg, _, err = wire.Decompress(nil, msg, 0); err != nil {
					t.Fatal(err)
				}
			}
			m, err := wire.ParseMsg(msg)
			if err != nil || h.ResponseTo != id {
				t.Fatalf("%s over %s: %v (responseTo %d)", tc.cmd, c, err, h.ResponseTo)
			}
			mustOK(t, tc.cmd, m.Body)
		}
	}
	reply := r.cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}) // readMsg demands OP_MSG
	mustOK(t, "uncompressed ping", reply)
}

// TestCompression_BadFrames sends OP_COMPRESSED frames that lie: each must close the connection (as mongod
// ends the session), and the server must go on serving others.
func TestCompression_BadFrames(t *testing.T) {
	e := newCoreEnv(t)
	ping := bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}
	setSize := func(b []byte, n uint32) []byte { binary.LittleEndian.PutUint32(b[wire.HeaderLen+4:], n); return b }
	cases := []struct {
		name string
		msg  func() []byte
	}{
		{"unknown compressor id", func() []byte {
			b := compressedMsg(t, 1, ping, wire.CompressorSnappy)
			b[wire.HeaderLen+8] = 9
			return b
		}},
		{"declared size above the maximum message size", func() []byte {
			return setSize(compressedMsg(t, 1, ping, wire.CompressorZlib), wire.MaxMessageSize)
		}},
		{"negative declared size", func() []byte { return setSize(compressedMsg(t, 1, ping, wire.CompressorZstd), 0xffffffff) }},
		{"snappy declared size too large", func() []byte {
			b := compressedMsg(t, 1, ping, wire.CompressorSnappy)
			return setSize(b, binary.LittleEndian.Uint32(b[wire.HeaderLen+4:])+1000)
		}},
		{"zlib declared size too small", func() []byte { return setSize(compressedMsg(t, 1, ping, wire.CompressorZlib), 10) }},
		{"zstd declared size too large", func() []byte {
			b := compressedMsg(t, 1, ping, wire.CompressorZstd)
			return setSize(b, 40<<20)
		}},
		{"noop declared size differs", func() []byte { return setSize(compressedMsg(t, 1, ping, wire.CompressorNoop), 3) }},
		{"corrupt zstd data", func() []byte {
			b := compressedMsg(t, 1, ping, wire.CompressorZstd)
			for i := wire.HeaderLen + 9; i < len(b); i++ {
				b[i] ^= 0x5a
			}
			return b
		}},
		{"compressed inside compressed", func() []byte {
			b := compressedMsg(t, 1, ping, wire.CompressorNoop)
			out, _ := wire.AppendCompressed(nil, b, wire.CompressorNoop)
			return out
		}},
		{"header without compression fields", func() []byte {
			return append(wire.AppendHeader(nil, wire.Header{Length: wire.HeaderLen + 3, RequestID: 1, OpCode: wire.OpCompressed}), 1, 2, 3)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.dial(t)
			r.send(tc.msg())
			if _, _, err := r.read(); !errors.Is(err, io.EOF) && !strings.Contains(errString(err), "reset") {
				t.Fatalf("read after a bad frame: %v, want the connection closed", err)
			}
			mustOK(t, "ping on a new connection", e.dial(t).cmd(ping))
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
