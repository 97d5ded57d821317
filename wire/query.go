package wire

import (
	"encoding/binary"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Query is a parsed OP_QUERY. Since MongoDB 5.1 it is only used for the connection handshake
// ({isMaster: 1} or {hello: 1} sent to "admin.$cmd"). Its documents alias the message bytes.
type Query struct {
	Flags              int32
	FullCollectionName string
	NumberToSkip       int32
	NumberToReturn     int32
	// Query is the query document; for a command, the command itself, possibly wrapped as
	// {$query: <command>, $readPreference: ...} (see Command).
	Query bson.Raw
	// ReturnFieldsSelector is the optional projection document, nil when absent.
	ReturnFieldsSelector bson.Raw
}

// ParseQuery parses a whole OP_QUERY message (header included) and validates its documents.
func ParseQuery(msg []byte) (*Query, error) {
	if len(msg) < HeaderLen+4 {
		return nil, fmt.Errorf("%w: OP_QUERY without flags", ErrTooShort)
	}
	b := msg[HeaderLen:]
	q := &Query{Flags: int32(binary.LittleEndian.Uint32(b))}
	b = b[4:]
	var ok bool
	if q.FullCollectionName, b, ok = readCString(b); !ok {
		return nil, fmt.Errorf("%w: unterminated fullCollectionName", ErrMalformed)
	}
	if q.NumberToSkip, b, ok = readInt32(b); !ok {
		return nil, fmt.Errorf("%w: missing numberToSkip", ErrMalformed)
	}
	if q.NumberToReturn, b, ok = readInt32(b); !ok {
		return nil, fmt.Errorf("%w: missing numberToReturn", ErrMalformed)
	}
	doc, b, err := readDocument(b)
	if err != nil {
		return nil, err
	}
	q.Query = bson.Raw(doc)
	if len(b) > 0 {
		if doc, b, err = readDocument(b); err != nil {
			return nil, err
		}
		q.ReturnFieldsSelector = bson.Raw(doc)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the OP_QUERY documents", ErrMalformed, len(b))
	}
	return q, nil
}

// Command returns the command document of a command query: Query itself, or the value of its $query (or
// query) field when the driver wrapped the command to carry a read preference.
func (q *Query) Command() bson.Raw {
	for _, key := range []string{"$query", "query"} {
		if v, err := q.Query.LookupErr(key); err == nil {
			if d, ok := v.DocumentOK(); ok {
				return d
			}
		}
	}
	return q.Query
}

// AppendQuery appends an OP_QUERY to dst (used by tests and by clients of this package).
func AppendQuery(dst []byte, requestID int32, flags int32, fullCollectionName string, numberToSkip, numberToReturn int32, query bson.Raw) []byte {
	start := len(dst)
	dst = AppendHeader(dst, Header{RequestID: requestID, OpCode: OpQuery})
	dst = binary.LittleEndian.AppendUint32(dst, uint32(flags))
	dst = append(append(dst, fullCollectionName...), 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(numberToSkip))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(numberToReturn))
	dst = append(dst, query...)
	return setLength(dst, start)
}

// Reply is a parsed OP_REPLY.
type Reply struct {
	ResponseFlags  int32
	CursorID       int64
	StartingFrom   int32
	NumberReturned int32
	Documents      []bson.Raw
}

// AppendReply appends an OP_REPLY carrying the one document doc, answering the request responseTo.
func AppendReply(dst []byte, requestID, responseTo int32, doc bson.Raw) []byte {
	start := len(dst)
	dst = AppendHeader(dst, Header{RequestID: requestID, ResponseTo: responseTo, OpCode: OpReply})
	dst = binary.LittleEndian.AppendUint32(dst, 0) // responseFlags
	dst = binary.LittleEndian.AppendUint64(dst, 0) // cursorID
	dst = binary.LittleEndian.AppendUint32(dst, 0) // startingFrom
	dst = binary.LittleEndian.AppendUint32(dst, 1) // numberReturned
	dst = append(dst, doc...)
	return setLength(dst, start)
}

// ParseReply parses a whole OP_REPLY message (header included).
func ParseReply(msg []byte) (*Reply, error) {
	if len(msg) < HeaderLen+20 {
		return nil, fmt.Errorf("%w: OP_REPLY shorter than its fixed fields", ErrTooShort)
	}
	b := msg[HeaderLen:]
	r := &Reply{
		ResponseFlags:  int32(binary.LittleEndian.Uint32(b)),
		CursorID:       int64(binary.LittleEndian.Uint64(b[4:])),
		StartingFrom:   int32(binary.LittleEndian.Uint32(b[12:])),
		NumberReturned: int32(binary.LittleEndian.Uint32(b[16:])),
	}
	b = b[20:]
	for len(b) > 0 {
		doc, rest, err := readDocument(b)
		if err != nil {
			return nil, err
		}
		r.Documents = append(r.Documents, bson.Raw(doc))
		b = rest
	}
	return r, nil
}
