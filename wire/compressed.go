package wire

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// Compressor is an OP_COMPRESSED compressorId.
type Compressor uint8

// The compressors of MongoDB's wire protocol. Noop is defined by the protocol but never negotiated.
const (
	CompressorNoop   Compressor = 0
	CompressorSnappy Compressor = 1
	CompressorZlib   Compressor = 2
	CompressorZstd   Compressor = 3
)

// String returns the compressor's name as hello's compression field spells it.
func (c Compressor) String() string {
	switch c {
	case CompressorNoop:
		return "noop"
	case CompressorSnappy:
		return "snappy"
	case CompressorZlib:
		return "zlib"
	case CompressorZstd:
		return "zstd"
	}
	return fmt.Sprintf("compressor %d", uint8(c))
}

// CompressorByName returns the compressor a hello's compression list names; ok is false for names Concord does
// not support (noop included: mongod never negotiates it).
func CompressorByName(name string) (Compressor, bool) {
	switch name {
	case "snappy":
		return CompressorSnappy, true
	case "zlib":
		return CompressorZlib, true
	case "zstd":
		return CompressorZstd, true
	}
	return 0, false
}

// compressedHeaderLen is the size of OP_COMPRESSED's fixed fields after the message header: originalOpcode,
// uncompressedSize and compressorId.
const compressedHeaderLen = 4 + 4 + 1

// ErrCompressed reports an OP_COMPRESSED message that cannot be decompressed: an unknown compressor, a declared
// size above the limit or one the compressed bytes do not match, or corrupt compressed data. mongod ends the
// connection on any of these, and so must the caller.
var ErrCompressed = errors.New("wire: bad compressed message")

// Decompress turns a whole OP_COMPRESSED message (header included, as returned by ReadMessage) into the message
// it wraps, appended to dst: the header is rebuilt with the original opcode and length and the request's ids.
// It returns the compressor the client used, so that the reply can be compressed the same way. maxSize <= 0
// means MaxMessageSize; a declared uncompressed size above it is refused before anything is allocated, and the
// output never grows past the declared size, whatever the compressed bytes say.
func Decompress(dst, msg []byte, maxSize int) (Header, []byte, Compressor, error) {
	if maxSize <= 0 {
		maxSize = MaxMessageSize
	}
	if len(msg) < HeaderLen+compressedHeaderLen {
		return Header{}, nil, 0, fmt.Errorf("%w: invalid compression message header", ErrCompressed)
	}
	h := ParseHeader(msg)
	b := msg[HeaderLen:]
	orig := OpCode(binary.LittleEndian.Uint32(b))
	size := int64(int32(binary.LittleEndian.Uint32(b[4:])))
	c := Compressor(b[8])
	data := b[compressedHeaderLen:]
	switch c {
	case CompressorNoop, CompressorSnappy, CompressorZlib, CompressorZstd:
	default:
		return h, nil, c, fmt.Errorf("%w: compression algorithm %d specified in message is not available", ErrCompressed, uint8(c))
	}
	if orig == OpCompressed {
		return h, nil, c, fmt.Errorf("%w: OP_COMPRESSED wraps OP_COMPRESSED", ErrCompressed)
	}
	if size < 0 || size+HeaderLen > int64(maxSize) {
		return h, nil, c, fmt.Errorf("%w: decompressed message would be larger than maximum message size", ErrCompressed)
	}
	start := len(dst)
	out := AppendHeader(dst, Header{Length: int32(size + HeaderLen), RequestID: h.RequestID, ResponseTo: h.ResponseTo, OpCode: orig})
	var err error
	switch c {
	case CompressorNoop:
		out = append(out, data...)
	case CompressorSnappy:
		var n int
		if n, err = snappy.DecodedLen(data); err == nil {
			if int64(n) != size {
				err = fmt.Errorf("snappy data holds %d bytes, message says %d", n, size)
				break
			}
			out = grow(out, n)
			var got []byte
			got, err = snappy.Decode(out[len(out):len(out)+n], data)
			if err == nil {
				out = out[:len(out)+len(got)]
			}
		}
	case CompressorZlib:
		var zr io.ReadCloser
		if zr, err = zlib.NewReader(bytes.NewReader(data)); err == nil {
			out, err = readLimited(out, zr, size)
			zr.Close()
		}
	case CompressorZstd:
		d := zstdDecoders.Get().(*zstd.Decoder)
		if err = d.Reset(bytes.NewReader(data)); err == nil {
			out, err = readLimited(out, d, size)
		}
		d.Reset(nil)
		zstdDecoders.Put(d)
	}
	if err != nil {
		return h, nil, c, fmt.Errorf("%w: %s: %v", ErrCompressed, c, err)
	}
	if int64(len(out)-start-HeaderLen) != size {
		return h, nil, c, fmt.Errorf("%w: decompressing message returned less data than expected", ErrCompressed)
	}
	return ParseHeader(out[start:]), out[start:], c, nil
}

// readLimited appends what r yields to dst, failing if it yields more than size bytes. dst grows as data
// arrives, so that a small message claiming a large size costs only what it really holds.
func readLimited(dst []byte, r io.Reader, size int64) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	n, err := buf.ReadFrom(io.LimitReader(r, size+1))
	if err != nil {
		return nil, err
	}
	if n > size {
		return nil, fmt.Errorf("data holds more than the %d bytes the message says", size)
	}
	return buf.Bytes(), nil
}

// grow makes room for n more bytes in b.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// zstdDecoders holds streaming zstd decoders: creating one allocates its window, so they are reused. Each is
// limited to MaxMessageSize of memory.
var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxMessageSize), zstd.WithDecoderMaxWindow(8<<20))
	if err != nil {
		panic(err) // only invalid options fail
	}
	return d
}}

// zstdEncoder compresses replies; EncodeAll is safe for concurrent use.
var zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(8<<20), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err) // only invalid options fail
	}
	return e
})

// zlibWriters holds zlib writers at the default level for reuse.
var zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

// AppendCompressed appends msg (a whole message, header included) to dst as an OP_COMPRESSED message with the
// same ids, compressed with c.
func AppendCompressed(dst, msg []byte, c Compressor) ([]byte, error) {
	if len(msg) < HeaderLen {
		return dst, fmt.Errorf("%w: message shorter than its header", ErrTooShort)
	}
	h := ParseHeader(msg)
	body := msg[HeaderLen:]
	start := len(dst)
	dst = AppendHeader(dst, Header{RequestID: h.RequestID, ResponseTo: h.ResponseTo, OpCode: OpCompressed})
	dst = binary.LittleEndian.AppendUint32(dst, uint32(h.OpCode))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(body)))
	dst = append(dst, byte(c))
	switch c {
	case CompressorNoop:
		dst = append(dst, body...)
	case CompressorSnappy:
		n := snappy.MaxEncodedLen(len(body))
		dst = grow(dst, n)
		enc := snappy.Encode(dst[len(dst):len(dst)+n], body)
		dst = dst[:len(dst)+len(enc)]
	case CompressorZlib:
		buf := bytes.NewBuffer(dst)
		w := zlibWriters.Get().(*zlib.Writer)
		w.Reset(buf)
		_, err := w.Write(body)
		if err == nil {
			err = w.Close()
		}
		zlibWriters.Put(w)
		if err != nil {
			return dst[:start], err
		}
		dst = buf.Bytes()
	case CompressorZstd:
		dst = zstdEncoder().EncodeAll(body, dst)
	default:
		return dst[:start], fmt.Errorf("%w: unknown compressor %d", ErrCompressed, uint8(c))
	}
	return setLength(dst, start), nil
}
