package wire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// MsgFlags are OP_MSG flagBits.
type MsgFlags uint32

// The OP_MSG flag bits. The low 16 bits are required: an unknown one set is an error. The high 16 are optional
// and ignored when unknown.
const (
	// ChecksumPresent: the message ends with a CRC-32C (Castagnoli) of everything before it.
	ChecksumPresent MsgFlags = 1 << 0
	// MoreToCome on a request: the client expects no reply.
	MoreToCome MsgFlags = 1 << 1
	// ExhaustAllowed: the client accepts several replies to one request. Concord never streams, so it only
	// tolerates the bit.
	ExhaustAllowed MsgFlags = 1 << 16

	requiredMask = 0xffff
	knownFlags   = ChecksumPresent | MoreToCome
)

// castagnoli is the CRC-32C table OP_MSG checksums use.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sequence is an OP_MSG kind-1 section: documents sent beside the command under an identifier such as
// "documents", "updates" or "deletes".
type Sequence struct {
	Identifier string
	Documents  []bson.Raw
}

// Msg is a parsed OP_MSG. Its documents alias the message bytes it was parsed from.
type Msg struct {
	Flags MsgFlags
	// Body is the kind-0 section: the command document.
	Body bson.Raw
	// Sequences are the kind-1 sections in message order.
	Sequences []Sequence
}

// ParseMsg parses a whole OP_MSG message (header included, as returned by ReadMessage). It validates every
// document, rejects unknown required flag bits and unknown section kinds, demands exactly one kind-0 section
// and unique sequence identifiers, and verifies the checksum when the flag says one is present.
func ParseMsg(msg []byte) (*Msg, error) {
	if len(msg) < HeaderLen+4 {
		return nil, fmt.Errorf("%w: OP_MSG without flagBits", ErrTooShort)
	}
	b := msg[HeaderLen:]
	flags := MsgFlags(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if unknown := flags & requiredMask &^ knownFlags; unknown != 0 {
		return nil, fmt.Errorf("%w: unknown required OP_MSG flag bits 0x%x", ErrMalformed, uint32(unknown))
	}
	if flags&ChecksumPresent != 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: checksum flag set but no checksum", ErrMalformed)
		}
		n := len(msg) - 4
		want := binary.LittleEndian.Uint32(msg[n:])
		if got := crc32.Checksum(msg[:n], castagnoli); got != want {
			return nil, fmt.Errorf("%w: computed 0x%08x, message says 0x%08x", ErrChecksum, got, want)
		}
		b = b[:len(b)-4]
	}
	m := &Msg{Flags: flags}
	for len(b) > 0 {
		kind := b[0]
		b = b[1:]
		switch kind {
		case 0:
			if m.Body != nil {
				return nil, fmt.Errorf("%w: more than one kind-0 section", ErrMalformed)
			}
			doc, rest, err := readDocument(b)
			if err != nil {
				return nil, err
			}
			m.Body, b = bson.Raw(doc), rest
		case 1:
			size, _, ok := readInt32(b)
			if !ok || size < 5 || int64(size) > int64(len(b)) {
				return nil, fmt.Errorf("%w: bad document sequence size %d", ErrMalformed, size)
			}
			sec := b[4:size]
			b = b[size:]
			id, sec, ok := readCString(sec)
			if !ok || id == "" {
				return nil, fmt.Errorf("%w: bad document sequence identifier", ErrMalformed)
			}
			for _, s := range m.Sequences {
				if s.Identifier == id {
					return nil, fmt.Errorf("%w: duplicate document sequence %q", ErrMalformed, id)
				}
			}
			seq := Sequence{Identifier: id}
			for len(sec) > 0 {
				doc, rest, err := readDocument(sec)
				if err != nil {
					return nil, err
				}
				seq.Documents = append(seq.Documents, bson.Raw(doc))
				sec = rest
			}
			m.Sequences = append(m.Sequences, seq)
		default:
			return nil, fmt.Errorf("%w: unknown OP_MSG section kind %d", ErrMalformed, kind)
		}
	}
	if m.Body == nil {
		return nil, fmt.Errorf("%w: OP_MSG without a kind-0 section", ErrMalformed)
	}
	return m, nil
}

// Command returns the command document with each kind-1 sequence appended as an array field named by its
// identifier, the form MongoDB's command parser sees. A sequence whose identifier is already a field of the
// body is an error. Without sequences it returns Body itself.
func (m *Msg) Command() (bson.Raw, error) {
	if len(m.Sequences) == 0 {
		return m.Body, nil
	}
	elems, err := m.Body.Elements()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBSON, err)
	}
	for _, s := range m.Sequences {
		for _, e := range elems {
			if e.Key() == s.Identifier {
				return nil, fmt.Errorf("%w: field %q appears both in the command and as a document sequence", ErrMalformed, s.Identifier)
			}
		}
	}
	size := len(m.Body)
	for _, s := range m.Sequences {
		size += len(s.Identifier) + 2 + 5
		for i, d := range s.Documents {
			size += 2 + len(itoa(i)) + len(d)
		}
	}
	dst := make([]byte, 0, size)
	dst = append(dst, m.Body[:len(m.Body)-1]...)
	for _, s := range m.Sequences {
		dst = append(dst, 0x04)
		dst = append(append(dst, s.Identifier...), 0)
		start := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		for i, d := range s.Documents {
			dst = append(dst, 0x03)
			dst = append(append(dst, itoa(i)...), 0)
			dst = append(dst, d...)
		}
		dst = append(dst, 0)
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst, uint32(len(dst)))
	return bson.Raw(dst), nil
}

// AppendMsg appends an OP_MSG with the given header ids, flags, body and sequences to dst. It never sets a
// checksum.
func AppendMsg(dst []byte, requestID, responseTo int32, flags MsgFlags, body bson.Raw, seqs ...Sequence) []byte {
	start := len(dst)
	dst = AppendHeader(dst, Header{RequestID: requestID, ResponseTo: responseTo, OpCode: OpMsg})
	dst = binary.LittleEndian.AppendUint32(dst, uint32(flags&^ChecksumPresent))
	dst = append(dst, 0)
	dst = append(dst, body...)
	for _, s := range seqs {
		dst = append(dst, 1)
		secStart := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = append(append(dst, s.Identifier...), 0)
		for _, d := range s.Documents {
			dst = append(dst, d...)
		}
		binary.LittleEndian.PutUint32(dst[secStart:], uint32(len(dst)-secStart))
	}
	return setLength(dst, start)
}

// AppendChecksum sets ChecksumPresent on the OP_MSG that starts at dst[start:] (built by AppendMsg) and appends
// its CRC-32C. Clients may send checksums; tests use this to build them.
func AppendChecksum(dst []byte, start int) []byte {
	flags := binary.LittleEndian.Uint32(dst[start+HeaderLen:])
	binary.LittleEndian.PutUint32(dst[start+HeaderLen:], flags|uint32(ChecksumPresent))
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start+4))
	sum := crc32.Checksum(dst[start:], castagnoli)
	return binary.LittleEndian.AppendUint32(dst, sum)
}

// itoa formats a small non-negative index as an array key.
func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
