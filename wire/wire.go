// Package wire reads and writes MongoDB wire-protocol messages: the message header, OP_MSG (the only opcode
// used after the handshake), OP_QUERY (the legacy handshake) and OP_REPLY (its answer). It knows nothing of
// commands or of the database; it only frames and checks bytes, so every decoder here is safe on hostile input:
// bad input is an error, never a panic, and a declared length is checked before any allocation.
package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// OpCode identifies a message's format.
type OpCode int32

// The opcodes Concord knows. Legacy opcodes other than OP_QUERY were removed from MongoDB in 5.1 and are
// rejected like any unknown opcode.
const (
	OpReply      OpCode = 1
	OpQuery      OpCode = 2004
	OpCompressed OpCode = 2012
	OpMsg        OpCode = 2013
)

// String returns the opcode's name as the MongoDB documentation spells it.
func (c OpCode) String() string {
	switch c {
	case OpReply:
		return "OP_REPLY"
	case OpQuery:
		return "OP_QUERY"
	case OpCompressed:
		return "OP_COMPRESSED"
	case OpMsg:
		return "OP_MSG"
	}
	return fmt.Sprintf("opcode %d", int32(c))
}

// HeaderLen is the size of MsgHeader: messageLength, requestID, responseTo and opCode, little-endian int32s.
const HeaderLen = 16

// Size limits MongoDB announces in hello and enforces.
const (
	// MaxMessageSize is maxMessageSizeBytes: the largest message accepted, header included.
	MaxMessageSize = 48000000
	// MaxBSONObjectSize is maxBsonObjectSize: the largest user document.
	MaxBSONObjectSize = 16 * 1024 * 1024
	// MaxWriteBatchSize is maxWriteBatchSize: the most statements in one write command.
	MaxWriteBatchSize = 100000
	// MaxDepth is the deepest nesting of documents and arrays accepted in a message (MongoDB's maxBSONDepth).
	MaxDepth = 200
)

// Errors returned by the readers. Framing errors (ErrTooShort, ErrTooLarge, io errors) leave the stream at an
// unknown position, so the connection must be closed; errors from ParseMsg and ParseQuery concern one complete
// message and can be answered.
var (
	// ErrTooShort reports a messageLength smaller than the header or than the opcode's fixed fields.
	ErrTooShort = errors.New("wire: message too short")
	// ErrTooLarge reports a messageLength above the limit; nothing was allocated for the body.
	ErrTooLarge = errors.New("wire: message too large")
	// ErrMalformed reports a message whose fields do not fit its length or are invalid.
	ErrMalformed = errors.New("wire: malformed message")
	// ErrChecksum reports an OP_MSG whose CRC-32C trailer does not match its bytes.
	ErrChecksum = errors.New("wire: checksum mismatch")
	// ErrInvalidBSON reports a document that is not valid BSON.
	ErrInvalidBSON = errors.New("wire: invalid BSON")
)

// Header is MsgHeader, the 16 bytes that start every message.
type Header struct {
	// Length is messageLength: the whole message's size in bytes, header included.
	Length int32
	// RequestID identifies the message; a reply carries it in ResponseTo.
	RequestID int32
	// ResponseTo is the RequestID of the request a reply answers, 0 in requests.
	ResponseTo int32
	// OpCode is the message's format.
	OpCode OpCode
}

// ParseHeader decodes the header at the start of b, which must hold at least HeaderLen bytes.
func ParseHeader(b []byte) Header {
	return Header{
		Length:     int32(binary.LittleEndian.Uint32(b[0:])),
		RequestID:  int32(binary.LittleEndian.Uint32(b[4:])),
		ResponseTo: int32(binary.LittleEndian.Uint32(b[8:])),
		OpCode:     OpCode(binary.LittleEndian.Uint32(b[12:])),
	}
}

// AppendHeader appends h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(h.Length))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(h.RequestID))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(h.ResponseTo))
	return binary.LittleEndian.AppendUint32(dst, uint32(h.OpCode))
}

// ReadMessage reads one whole message (header included) from r into buf, growing it if needed, and returns
// the header and the message bytes, which alias buf. maxSize <= 0 means MaxMessageSize. The declared length is
// checked before the body is read, so a hostile length costs nothing. An error other than io.EOF at a
// message boundary leaves r at an unknown position.
func ReadMessage(r io.Reader, buf []byte, maxSize int) (Header, []byte, error) {
	if maxSize <= 0 {
		maxSize = MaxMessageSize
	}
	if cap(buf) < HeaderLen {
		buf = make([]byte, HeaderLen, 4096)
	}
	buf = buf[:HeaderLen]
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Header{}, nil, fmt.Errorf("%w: truncated header", ErrMalformed)
		}
		return Header{}, nil, err
	}
	h := ParseHeader(buf)
	if h.Length < HeaderLen {
		return h, nil, fmt.Errorf("%w: messageLength %d is smaller than the header", ErrTooShort, h.Length)
	}
	if int64(h.Length) > int64(maxSize) {
		return h, nil, fmt.Errorf("%w: messageLength %d exceeds maxMessageSizeBytes %d", ErrTooLarge, h.Length, maxSize)
	}
	n := int(h.Length)
	if cap(buf) < n {
		nb := make([]byte, n)
		copy(nb, buf)
		buf = nb
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf[HeaderLen:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return h, nil, fmt.Errorf("%w: truncated body: %d of %d bytes", ErrMalformed, HeaderLen, n)
		}
		return h, nil, err
	}
	return h, buf, nil
}

// readInt32 reads a little-endian int32 from the start of b.
func readInt32(b []byte) (int32, []byte, bool) {
	if len(b) < 4 {
		return 0, b, false
	}
	return int32(binary.LittleEndian.Uint32(b)), b[4:], true
}

// readCString reads a NUL-terminated string from the start of b.
func readCString(b []byte) (string, []byte, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", b, false
}

// skipCString returns the bytes after the NUL-terminated string at the start of b, without allocating the
// string: validation only needs to know where it ends.
func skipCString(b []byte) ([]byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return b, false
	}
	return b[i+1:], true
}

// readDocument splits one BSON document off the start of b and validates it.
func readDocument(b []byte) ([]byte, []byte, error) {
	n, _, ok := readInt32(b)
	if !ok {
		return nil, b, fmt.Errorf("%w: truncated document length", ErrInvalidBSON)
	}
	if n < 5 || int64(n) > int64(len(b)) {
		return nil, b, fmt.Errorf("%w: document length %d does not fit in %d bytes", ErrInvalidBSON, n, len(b))
	}
	doc := b[:n]
	if err := Validate(doc); err != nil {
		return nil, b, err
	}
	return doc, b[n:], nil
}

// setLength writes the final message length into the header that starts at dst[start:].
func setLength(dst []byte, start int) []byte {
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}
