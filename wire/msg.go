package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strconv"

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
	m := new(Msg)
	if err := ParseMsgInto(m, msg); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseMsgInto is ParseMsg into an existing Msg, reusing the slices of its previous contents so that a
// connection parsing message after message allocates nothing for the framing. On error m holds no message.
func ParseMsgInto(m *Msg, msg []byte) error {
	seqs := m.Sequences[:0]
	*m = Msg{}
	if len(msg) < HeaderLen+4 {
		return fmt.Errorf("%w: OP_MSG without flagBits", ErrTooShort)
	}
	b := msg[HeaderLen:]
	flags := MsgFlags(binary.LittleEndian.Uint32(b))
	b = b[4:]
	if unknown := flags & requiredMask &^ knownFlags; unknown != 0 {
		return fmt.Errorf("%w: unknown required OP_MSG flag bits 0x%x", ErrMalformed, uint32(unknown))
	}
	if flags&ChecksumPresent != 0 {
		if len(b) < 4 {
			return fmt.Errorf("%w: checksum flag set but no checksum", ErrMalformed)
		}
		n := len(msg) - 4
		want := binary.LittleEndian.Uint32(msg[n:])
		if got := crc32.Checksum(msg[:n], castagnoli); got != want {
			return fmt.Errorf("%w: computed 0x%08x, message says 0x%08x", ErrChecksum, got, want)
		}
		b = b[:len(b)-4]
	}
	var body bson.Raw
	for len(b) > 0 {
		kind := b[0]
		b = b[1:]
		switch kind {
		case 0:
			if body != nil {
				return fmt.Errorf("%w: more than one kind-0 section", ErrMalformed)
			}
			doc, rest, err := readDocument(b)
			if err != nil {
				return err
			}
			body, b = bson.Raw(doc), rest
		case 1:
			size, _, ok := readInt32(b)
			if !ok || size < 5 || int64(size) > int64(len(b)) {
				return fmt.Errorf("%w: bad document sequence size %d", ErrMalformed, size)
			}
			sec := b[4:size]
			b = b[size:]
			end := bytes.IndexByte(sec, 0)
			if end <= 0 {
				return fmt.Errorf("%w: bad document sequence identifier", ErrMalformed)
			}
			for _, s := range seqs {
				if s.Identifier == string(sec[:end]) {
					return fmt.Errorf("%w: duplicate document sequence %q", ErrMalformed, sec[:end])
				}
			}
			var docs []bson.Raw
			if len(seqs) < cap(seqs) {
				docs = seqs[:len(seqs)+1][len(seqs)].Documents[:0]
			}
			seq := Sequence{Identifier: identifier(sec[:end])}
			sec = sec[end+1:]
			for len(sec) > 0 {
				doc, rest, err := readDocument(sec)
				if err != nil {
					return err
				}
				docs = append(docs, bson.Raw(doc))
				sec = rest
			}
			seq.Documents = docs
			seqs = append(seqs, seq)
		default:
			return fmt.Errorf("%w: unknown OP_MSG section kind %d", ErrMalformed, kind)
		}
	}
	if body == nil {
		return fmt.Errorf("%w: OP_MSG without a kind-0 section", ErrMalformed)
	}
	m.Flags, m.Body = flags, body
	if len(seqs) > 0 {
		m.Sequences = seqs
	} else if cap(seqs) > 0 {
		m.Sequences = seqs[:0]
	}
	return nil
}

// Command returns the command document with each kind-1 sequence appended as an array field named by its
// identifier, the form MongoDB's command parser sees. A sequence whose identifier is already a field of the
// body is an error. Without sequences it returns Body itself.
func (m *Msg) Command() (bson.Raw, error) {
	if len(m.Sequences) == 0 {
		return m.Body, nil
	}
	id, found, malformed := m.bodyFieldNamedBySequence()
	if malformed {
		// Not a body ParseMsg accepted: split it the slow way, for its exact error.
		elems, err := m.Body.Elements()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidBSON, err)
		}
		for _, s := range m.Sequences {
			for _, e := range elems {
				if !found && e.Key() == s.Identifier {
					id, found = s.Identifier, true
				}
			}
		}
	}
	if found {
		return nil, fmt.Errorf("%w: field %q appears both in the command and as a document sequence", ErrMalformed, id)
	}
	size := len(m.Body)
	for _, s := range m.Sequences {
		size += len(s.Identifier) + 2 + 5
		for i, d := range s.Documents {
			size += 2 + digits(i) + len(d)
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
			dst = append(strconv.AppendInt(dst, int64(i), 10), 0)
			dst = append(dst, d...)
		}
		dst = append(dst, 0)
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst, uint32(len(dst)))
	return bson.Raw(dst), nil
}

// bodyFieldNamedBySequence returns the first sequence identifier (in sequence order) that is also a field of
// the body, walking the whole body once without allocating. malformed reports a body that cannot be walked,
// which takes precedence.
func (m *Msg) bodyFieldNamedBySequence() (id string, found, malformed bool) {
	if len(m.Body) < 5 || int64(int32(binary.LittleEndian.Uint32(m.Body))) != int64(len(m.Body)) || m.Body[len(m.Body)-1] != 0 {
		return "", false, true
	}
	first := len(m.Sequences) // index of the first sequence named by a field
	b := m.Body[4 : len(m.Body)-1]
	for len(b) > 0 {
		t := b[0]
		end := bytes.IndexByte(b[1:], 0)
		if end < 0 {
			return "", false, true
		}
		for i := 0; i < first; i++ {
			if string(b[1:1+end]) == m.Sequences[i].Identifier {
				first = i
				break
			}
		}
		rest, err := validateValue(t, b[2+end:], 0)
		if err != nil {
			return "", false, true
		}
		b = rest
	}
	if first < len(m.Sequences) {
		return m.Sequences[first].Identifier, true, false
	}
	return "", false, false
}

// identifier returns a sequence identifier as a string, without allocating for the ones drivers send.
func identifier(b []byte) string {
	switch string(b) {
	case "documents":
		return "documents"
	case "updates":
		return "updates"
	case "deletes":
		return "deletes"
	case "ops":
		return "ops"
	case "nsInfo":
		return "nsInfo"
	}
	return string(b)
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

// BeginMsg appends the header, flagBits and kind-0 section byte of an OP_MSG whose body document the caller
// appends next, so that a reply is encoded straight into the output buffer; EndMsg then fixes its length.
// start is where the message begins in the returned slice.
func BeginMsg(dst []byte, requestID, responseTo int32, flags MsgFlags) (start int, out []byte) {
	start = len(dst)
	dst = AppendHeader(dst, Header{RequestID: requestID, ResponseTo: responseTo, OpCode: OpMsg})
	dst = binary.LittleEndian.AppendUint32(dst, uint32(flags&^ChecksumPresent))
	return start, append(dst, 0)
}

// EndMsg completes the OP_MSG begun at dst[start:] by BeginMsg once its body has been appended.
func EndMsg(dst []byte, start int) []byte { return setLength(dst, start) }

// AppendChecksum sets ChecksumPresent on the OP_MSG that starts at dst[start:] (built by AppendMsg) and appends
// its CRC-32C. Clients may send checksums; tests use this to build them.
func AppendChecksum(dst []byte, start int) []byte {
	flags := binary.LittleEndian.Uint32(dst[start+HeaderLen:])
	binary.LittleEndian.PutUint32(dst[start+HeaderLen:], flags|uint32(ChecksumPresent))
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start+4))
	sum := crc32.Checksum(dst[start:], castagnoli)
	return binary.LittleEndian.AppendUint32(dst, sum)
}

// digits is the length of i's decimal form (i >= 0), the size of its array key.
func digits(i int) int {
	n := 1
	for i >= 10 {
		i /= 10
		n++
	}
	return n
}
