package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/wire"
)

// mustDoc marshals v or fails the test.
func mustDoc(t testing.TB, v any) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msgBytes builds an OP_MSG from raw section bytes, setting the header length.
func msgBytes(flags uint32, sections ...[]byte) []byte {
	b := wire.AppendHeader(nil, wire.Header{RequestID: 7, OpCode: wire.OpMsg})
	b = binary.LittleEndian.AppendUint32(b, flags)
	for _, s := range sections {
		b = append(b, s...)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// kind0 is a kind-0 section holding doc.
func kind0(doc []byte) []byte { return append([]byte{0}, doc...) }

// kind1 is a kind-1 section with the given identifier and documents.
func kind1(id string, docs ...[]byte) []byte {
	body := append([]byte(id), 0)
	for _, d := range docs {
		body = append(body, d...)
	}
	out := []byte{1}
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(body)))
	return append(out, body...)
}

// parseCases are the OP_MSG table tests; they also seed FuzzReadMessage.
func parseCases(t testing.TB) []struct {
	name    string
	msg     []byte
	wantErr error
	want    bson.D // the merged command when no error
} {
	ins := mustDoc(t, bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}})
	d1 := mustDoc(t, bson.D{{Key: "_id", Value: int32(1)}})
	d2 := mustDoc(t, bson.D{{Key: "_id", Value: int32(2)}})
	withChecksum := wire.AppendChecksum(wire.AppendMsg(nil, 1, 0, 0, ins), 0)
	badChecksum := append([]byte(nil), withChecksum...)
	badChecksum[len(badChecksum)-1] ^= 0xff
	badBSON := append([]byte(nil), ins...)
	badBSON[len(badBSON)-1] = 1 // no terminator
	nested := mustDoc(t, bson.D{{Key: "a", Value: bson.D{{Key: "b", Value: "x"}}}})
	badNested := append([]byte(nil), nested...)
	badNested[7] = 0x7f // inner document's length grows past the outer document
	return []struct {
		name    string
		msg     []byte
		wantErr error
		want    bson.D
	}{
		{name: "body only", msg: msgBytes(0, kind0(ins)), want: bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}}},
		{name: "body and sequence", msg: msgBytes(0, kind0(ins), kind1("documents", d1, d2)), want: bson.D{
			{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"},
			{Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "_id", Value: int32(2)}}}},
		}},
		{name: "sequence before body", msg: msgBytes(0, kind1("documents", d1), kind0(ins)), want: bson.D{
			{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"},
			{Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: int32(1)}}}},
		}},
		{name: "empty sequence", msg: msgBytes(0, kind0(ins), kind1("documents")), want: bson.D{
			{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}, {Key: "documents", Value: bson.A{}},
		}},
		{name: "moreToCome and exhaustAllowed", msg: msgBytes(uint32(wire.MoreToCome|wire.ExhaustAllowed|1<<20), kind0(ins)), want: bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}}},
		{name: "valid checksum", msg: withChecksum, want: bson.D{{Key: "insert", Value: "c"}, {Key: "$db", Value: "test"}}},
		{name: "bad checksum", msg: badChecksum, wantErr: wire.ErrChecksum},
		{name: "checksum flag without checksum", msg: msgBytes(uint32(wire.ChecksumPresent)), wantErr: wire.ErrMalformed},
		{name: "unknown required flag", msg: msgBytes(1<<5, kind0(ins)), wantErr: wire.ErrMalformed},
		{name: "no body", msg: msgBytes(0, kind1("documents", d1)), wantErr: wire.ErrMalformed},
		{name: "two bodies", msg: msgBytes(0, kind0(ins), kind0(ins)), wantErr: wire.ErrMalformed},
		{name: "unknown section kind", msg: msgBytes(0, kind0(ins), []byte{2, 0, 0, 0, 0}), wantErr: wire.ErrMalformed},
		{name: "duplicate sequence", msg: msgBytes(0, kind0(ins), kind1("documents", d1), kind1("documents", d2)), wantErr: wire.ErrMalformed},
		{name: "empty identifier", msg: msgBytes(0, kind0(ins), kind1("", d1)), wantErr: wire.ErrMalformed},
		{name: "sequence size too large", msg: msgBytes(0, kind0(ins), []byte{1, 0xff, 0xff, 0, 0, 'x', 0}), wantErr: wire.ErrMalformed},
		{name: "sequence truncated document", msg: msgBytes(0, kind0(ins), kind1("documents", d1[:len(d1)-1])), wantErr: wire.ErrInvalidBSON},
		{name: "invalid body", msg: msgBytes(0, kind0(badBSON)), wantErr: wire.ErrInvalidBSON},
		{name: "invalid nested document", msg: msgBytes(0, kind0(badNested)), wantErr: wire.ErrInvalidBSON},
		{name: "truncated body", msg: msgBytes(0, kind0(ins[:10])), wantErr: wire.ErrInvalidBSON},
		{name: "no flags", msg: msgBytes(0)[:wire.HeaderLen], wantErr: wire.ErrTooShort},
	}
}

func TestParseMsg(t *testing.T) {
	for _, tc := range parseCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.ParseMsg(tc.msg)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := m.Command()
			if err != nil {
				t.Fatal(err)
			}
			if want := mustDoc(t, tc.want); !bytes.Equal(cmd, want) {
				t.Fatalf("command = %v, want %v", cmd, bson.Raw(want))
			}
		})
	}
}

func TestMsg_Command_DuplicateField(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{}}})
	m, err := wire.ParseMsg(msgBytes(0, kind0(body), kind1("documents", mustDoc(t, bson.D{}))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Command(); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
}

func TestReadMessage(t *testing.T) {
	ping := wire.AppendMsg(nil, 3, 0, 0, mustDoc(t, bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
	header := func(length int32) []byte {
		return wire.AppendHeader(nil, wire.Header{Length: length, RequestID: 1, OpCode: wire.OpMsg})
	}
	cases := []struct {
		name    string
		in      []byte
		wantErr error
	}{
		{name: "whole message", in: ping},
		{name: "two messages, reads the first", in: append(append([]byte(nil), ping...), ping...)},
		{name: "empty stream", in: nil, wantErr: io.EOF},
		{name: "truncated header", in: ping[:10], wantErr: wire.ErrMalformed},
		{name: "truncated body", in: ping[:len(ping)-3], wantErr: wire.ErrMalformed},
		{name: "length below header", in: header(15), wantErr: wire.ErrTooShort},
		{name: "negative length", in: header(-1), wantErr: wire.ErrTooShort},
		{name: "2 GiB length", in: header(0x7fffffff), wantErr: wire.ErrTooLarge},
		{name: "just over the limit", in: header(wire.MaxMessageSize + 1), wantErr: wire.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, msg, err := wire.ReadMessage(bytes.NewReader(tc.in), nil, 0)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.OpCode != wire.OpMsg || h.RequestID != 3 || !bytes.Equal(msg, ping) {
				t.Fatalf("got header %+v, %d bytes", h, len(msg))
			}
		})
	}
}

// TestReadMessage_HugeLengthDoesNotAllocate checks that a hostile length is rejected before any buffer for
// the body exists.
func TestReadMessage_HugeLengthDoesNotAllocate(t *testing.T) {
	in := wire.AppendHeader(nil, wire.Header{Length: 0x7fffffff, OpCode: wire.OpMsg})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if _, _, err := wire.ReadMessage(bytes.NewReader(in), nil, 0); !errors.Is(err, wire.ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("rejecting 10 messages of 2 GiB allocated %d bytes", n)
	}
}

func TestQueryAndReply(t *testing.T) {
	hello := mustDoc(t, bson.D{{Key: "isMaster", Value: int32(1)}, {Key: "helloOk", Value: true}})
	q := wire.AppendQuery(nil, 9, 4, "admin.$cmd", 0, -1, hello)
	h, msg, err := wire.ReadMessage(bytes.NewReader(q), nil, 0)
	if err != nil || h.OpCode != wire.OpQuery {
		t.Fatalf("ReadMessage: %v %+v", err, h)
	}
	pq, err := wire.ParseQuery(msg)
	if err != nil {
		t.Fatal(err)
	}
	if pq.FullCollectionName != "admin.$cmd" || pq.Flags != 4 || pq.NumberToReturn != -1 || !bytes.Equal(pq.Command(), hello) {
		t.Fatalf("parsed %+v", pq)
	}
	wrapped := mustDoc(t, bson.D{{Key: "$query", Value: bson.Raw(hello)}, {Key: "$readPreference", Value: bson.D{{Key: "mode", Value: "primary"}}}})
	pw, err := wire.ParseQuery(wire.AppendQuery(nil, 1, 0, "admin.$cmd", 0, -1, wrapped))
	if err != nil || !bytes.Equal(pw.Command(), hello) {
		t.Fatalf("wrapped query: %v", err)
	}
	if _, err := wire.ParseQuery(q[:len(q)-2]); err == nil {
		t.Fatal("truncated OP_QUERY parsed")
	}

	r := wire.AppendReply(nil, 10, 9, hello)
	rh := wire.ParseHeader(r)
	if rh.OpCode != wire.OpReply || rh.ResponseTo != 9 || int(rh.Length) != len(r) {
		t.Fatalf("reply header %+v", rh)
	}
	pr, err := wire.ParseReply(r)
	if err != nil || pr.NumberReturned != 1 || len(pr.Documents) != 1 || !bytes.Equal(pr.Documents[0], hello) {
		t.Fatalf("ParseReply: %v %+v", err, pr)
	}
}

func TestValidate(t *testing.T) {
	good := mustDoc(t, bson.D{
		{Key: "s", Value: "x"}, {Key: "d", Value: 1.5}, {Key: "i", Value: int32(1)}, {Key: "l", Value: int64(2)},
		{Key: "b", Value: true}, {Key: "n", Value: nil}, {Key: "a", Value: bson.A{int32(1), "two"}},
		{Key: "o", Value: bson.NewObjectID()}, {Key: "bin", Value: bson.Binary{Subtype: 4, Data: make([]byte, 16)}},
		{Key: "re", Value: bson.Regex{Pattern: "a", Options: "i"}}, {Key: "ts", Value: bson.Timestamp{T: 1, I: 2}},
		{Key: "dec", Value: bson.NewDecimal128(1, 2)}, {Key: "min", Value: bson.MinKey{}}, {Key: "max", Value: bson.MaxKey{}},
		{Key: "cws", Value: bson.CodeWithScope{Code: "x", Scope: bson.D{{Key: "y", Value: int32(1)}}}},
	})
	if err := wire.Validate(good); err != nil {
		t.Fatalf("valid document rejected: %v", err)
	}
	deep := []byte{5, 0, 0, 0, 0}
	for range wire.MaxDepth + 2 {
		inner := deep
		deep = binary.LittleEndian.AppendUint32(nil, uint32(4+1+2+len(inner)+1))
		deep = append(deep, 0x03, 'a', 0)
		deep = append(deep, inner...)
		deep = append(deep, 0)
	}
	badBool := mustDoc(t, bson.D{{Key: "b", Value: true}})
	badBool[7] = 2
	badType := mustDoc(t, bson.D{{Key: "b", Value: true}})
	badType[4] = 0x42
	badString := mustDoc(t, bson.D{{Key: "s", Value: "abc"}})
	badString[7] = 0x40
	for name, doc := range map[string][]byte{
		"too deep":     deep,
		"bad boolean":  badBool,
		"unknown type": badType,
		"bad string":   badString,
		"trailing":     append(append([]byte(nil), good...), 0),
		"empty":        nil,
	} {
		t.Run(name, func(t *testing.T) {
			if err := wire.Validate(doc); !errors.Is(err, wire.ErrInvalidBSON) {
				t.Fatalf("err = %v, want ErrInvalidBSON", err)
			}
		})
	}
}

// FuzzReadMessage feeds arbitrary bytes through the reader and the parsers: they must return errors, never
// panic, and whatever parses must survive a round trip.
func FuzzReadMessage(f *testing.F) {
	for _, tc := range parseCases(f) {
		f.Add(tc.msg)
	}
	f.Add(wire.AppendQuery(nil, 1, 0, "admin.$cmd", 0, -1, mustDoc(f, bson.D{{Key: "isMaster", Value: 1}})))
	f.Add(wire.AppendHeader(nil, wire.Header{Length: 0x7fffffff, OpCode: wire.OpMsg}))
	for _, tc := range parseCases(f)[:3] {
		for _, c := range compressors {
			z, err := wire.AppendCompressed(nil, tc.msg, c)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(z)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, msg, err := wire.ReadMessage(bytes.NewReader(data), nil, 1<<20)
		if err != nil {
			return
		}
		if h.OpCode == wire.OpCompressed {
			// A declared size may not make the output grow past the limit, whatever the compressed bytes hold.
			var c wire.Compressor
			h, msg, c, err = wire.Decompress(nil, msg, 1<<20)
			if err != nil {
				return
			}
			if len(msg) > 1<<20 || int(h.Length) != len(msg) {
				t.Fatalf("decompressed %d bytes, header says %d, limit %d", len(msg), h.Length, 1<<20)
			}
			again, err := wire.AppendCompressed(nil, msg, c)
			if err != nil {
				t.Fatalf("recompressing with %s: %v", c, err)
			}
			if _, back, _, err := wire.Decompress(nil, again, 1<<20); err != nil || !bytes.Equal(back, msg) {
				t.Fatalf("round trip through %s changed the message: %v", c, err)
			}
		}
		switch h.OpCode {
		case wire.OpMsg:
			m, err := wire.ParseMsg(msg)
			if err != nil {
				return
			}
			cmd, err := m.Command()
			if err != nil {
				return
			}
			if err := wire.Validate(cmd); err != nil {
				t.Fatalf("merged command is invalid: %v", err)
			}
			again, err := wire.ParseMsg(wire.AppendMsg(nil, h.RequestID, 0, m.Flags&^wire.ChecksumPresent, m.Body, m.Sequences...))
			if err != nil {
				t.Fatalf("re-encoded message does not parse: %v", err)
			}
			cmd2, err := again.Command()
			if err != nil || !bytes.Equal(cmd, cmd2) {
				t.Fatalf("round trip changed the command: %v", err)
			}
		case wire.OpQuery:
			if q, err := wire.ParseQuery(msg); err == nil {
				_ = q.Command()
			}
		case wire.OpReply:
			_, _ = wire.ParseReply(msg)
		}
	})
}

// compressors are the compressors OP_COMPRESSED may name.
var compressors = []wire.Compressor{wire.CompressorNoop, wire.CompressorSnappy, wire.CompressorZlib, wire.CompressorZstd}

// TestCompressed_RoundTrip compresses every table message with every compressor and decompresses it again: the
// header's ids and opcode and the bytes come back unchanged, and the request's compressor is reported.
func TestCompressed_RoundTrip(t *testing.T) {
	for _, tc := range parseCases(t) {
		if int(wire.ParseHeader(tc.msg).Length) != len(tc.msg) {
			continue // a header that lies about its length is rebuilt from the real one
		}
		for _, c := range compressors {
			t.Run(tc.name+"/"+c.String(), func(t *testing.T) {
				z, err := wire.AppendCompressed([]byte("prefix"), tc.msg, c)
				if err != nil {
					t.Fatal(err)
				}
				z = z[len("prefix"):]
				h, zmsg, err := wire.ReadMessage(bytes.NewReader(z), nil, 0)
				if err != nil || h.OpCode != wire.OpCompressed {
					t.Fatalf("ReadMessage: %v %v", h.OpCode, err)
				}
				_, back, got, err := wire.Decompress([]byte("x"), zmsg, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got != c || !bytes.Equal(back, tc.msg) {
					t.Fatalf("round trip through %s gave %s and %x, want %x", c, got, back, tc.msg)
				}
			})
		}
	}
}

// TestDecompress_Limit refuses a message whose declared size exceeds the limit, and one whose data holds more
// than it declares, without producing more than the limit.
func TestDecompress_Limit(t *testing.T) {
	big := wire.AppendMsg(nil, 1, 0, 0, mustDoc(t, bson.D{{Key: "s", Value: strings.Repeat("a", 1<<16)}}))
	for _, c := range compressors {
		z, err := wire.AppendCompressed(nil, big, c)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := wire.Decompress(nil, z, 1<<15); !errors.Is(err, wire.ErrCompressed) {
			t.Errorf("%s: over the limit: %v, want ErrCompressed", c, err)
		}
		binary.LittleEndian.PutUint32(z[wire.HeaderLen+4:], 100) // declares less than it holds
		if _, _, _, err := wire.Decompress(nil, z, 0); !errors.Is(err, wire.ErrCompressed) {
			t.Errorf("%s: declared size too small: %v, want ErrCompressed", c, err)
		}
	}
}

// TestParseMsgIntoReuse parses every table case into one Msg reused after every other case: the result must be
// what a fresh ParseMsg gives, whatever the Msg held before.
func TestParseMsgIntoReuse(t *testing.T) {
	cases := parseCases(t)
	for _, prev := range cases {
		for _, tc := range cases {
			t.Run(prev.name+"/then/"+tc.name, func(t *testing.T) {
				var m wire.Msg
				_ = wire.ParseMsgInto(&m, prev.msg)
				err := wire.ParseMsgInto(&m, tc.msg)
				fresh, freshErr := wire.ParseMsg(tc.msg)
				if (err == nil) != (freshErr == nil) || (err != nil && err.Error() != freshErr.Error()) {
					t.Fatalf("err = %v, ParseMsg gave %v", err, freshErr)
				}
				if err != nil {
					return
				}
				cmd, err := m.Command()
				freshCmd, freshErr := fresh.Command()
				if (err == nil) != (freshErr == nil) || !bytes.Equal(cmd, freshCmd) || m.Flags != fresh.Flags {
					t.Fatalf("reused Msg gives %v (%v), fresh gives %v (%v)", cmd, err, freshCmd, freshErr)
				}
				if len(m.Sequences) != len(fresh.Sequences) {
					t.Fatalf("%d sequences, want %d", len(m.Sequences), len(fresh.Sequences))
				}
				for i, s := range m.Sequences {
					if s.Identifier != fresh.Sequences[i].Identifier || len(s.Documents) != len(fresh.Sequences[i].Documents) {
						t.Fatalf("sequence %d = %q with %d documents, want %q with %d", i, s.Identifier, len(s.Documents),
							fresh.Sequences[i].Identifier, len(fresh.Sequences[i].Documents))
					}
				}
			})
		}
	}
}

// TestBeginEndMsg checks that a message built in place equals AppendMsg's.
func TestBeginEndMsg(t *testing.T) {
	body := mustDoc(t, bson.D{{Key: "ok", Value: 1.0}})
	start, dst := wire.BeginMsg([]byte("prefix"), 7, 3, wire.MoreToCome|wire.ChecksumPresent)
	dst = wire.EndMsg(append(dst, body...), start)
	want := wire.AppendMsg(nil, 7, 3, wire.MoreToCome, body)
	if start != len("prefix") || !bytes.Equal(dst[start:], want) {
		t.Fatalf("BeginMsg/EndMsg built %x, want %x", dst[start:], want)
	}
}

// TestCommandFieldAlsoSequence checks the conflict between a body field and a sequence of the same name,
// whichever sequence and field position it concerns.
func TestCommandFieldAlsoSequence(t *testing.T) {
	d1 := mustDoc(t, bson.D{{Key: "_id", Value: int32(1)}})
	for _, tc := range []struct {
		name string
		body bson.D
		seqs []string
		want string // conflicting identifier, "" for none
	}{
		{name: "no conflict", body: bson.D{{Key: "update", Value: "c"}, {Key: "$db", Value: "d"}}, seqs: []string{"updates"}},
		{name: "last field", body: bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{}}}, seqs: []string{"documents"}, want: "documents"},
		{name: "first sequence wins", body: bson.D{{Key: "b", Value: 1}, {Key: "a", Value: 1}}, seqs: []string{"x", "a", "b"}, want: "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seqs []wire.Sequence
			for _, id := range tc.seqs {
				seqs = append(seqs, wire.Sequence{Identifier: id, Documents: []bson.Raw{d1}})
			}
			m, err := wire.ParseMsg(wire.AppendMsg(nil, 1, 0, 0, mustDoc(t, tc.body), seqs...))
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Command()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (!errors.Is(err, wire.ErrMalformed) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.want))):
				t.Fatalf("err = %v, want the conflict on %q", err, tc.want)
			}
		})
	}
}
