package wire

import (
	"encoding/binary"
	"fmt"
)

// Validate checks that doc is exactly one well-formed BSON document: lengths agree with the bytes present at
// every level, strings and keys are terminated, element types are known and nesting stays within MaxDepth.
// Unlike bson.Raw.Validate it descends into embedded documents, arrays and code-with-scope, so a document that
// passes can be walked by any bson reader without tripping over bad lengths.
func Validate(doc []byte) error {
	rest, err := validateDoc(doc, 0)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: %d bytes after the document", ErrInvalidBSON, len(rest))
	}
	return nil
}

// validateDoc validates the document at the start of b and returns the bytes after it.
func validateDoc(b []byte, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: nesting deeper than %d", ErrInvalidBSON, MaxDepth)
	}
	if len(b) < 5 {
		return nil, fmt.Errorf("%w: document shorter than 5 bytes", ErrInvalidBSON)
	}
	n := int64(int32(binary.LittleEndian.Uint32(b)))
	if n < 5 || n > int64(len(b)) {
		return nil, fmt.Errorf("%w: document length %d does not fit in %d bytes", ErrInvalidBSON, n, len(b))
	}
	body, rest := b[4:n], b[n:]
	for {
		if len(body) == 0 {
			return nil, fmt.Errorf("%w: document not terminated", ErrInvalidBSON)
		}
		t := body[0]
		if t == 0 {
			if len(body) != 1 {
				return nil, fmt.Errorf("%w: bytes after the document terminator", ErrInvalidBSON)
			}
			return rest, nil
		}
		after, ok := skipCString(body[1:])
		if !ok {
			return nil, fmt.Errorf("%w: unterminated field name", ErrInvalidBSON)
		}
		var err error
		if body, err = validateValue(t, after, depth); err != nil {
			return nil, err
		}
	}
}

// validateValue validates one value of type t at the start of b and returns the bytes after it.
func validateValue(t byte, b []byte, depth int) ([]byte, error) {
	fixed := func(n int) ([]byte, error) {
		if len(b) < n {
			return nil, fmt.Errorf("%w: truncated value of type 0x%02x", ErrInvalidBSON, t)
		}
		return b[n:], nil
	}
	switch t {
	case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
		return fixed(8)
	case 0x02, 0x0D, 0x0E: // string, JavaScript, symbol
		return validateString(b)
	case 0x03, 0x04: // document, array
		return validateDoc(b, depth+1)
	case 0x05: // binary
		n, rest, ok := readInt32(b)
		if !ok || n < 0 || int64(n)+1 > int64(len(rest)) {
			return nil, fmt.Errorf("%w: bad binary length", ErrInvalidBSON)
		}
		if rest[0] == 0x02 { // old binary: inner length must agree
			inner, _, ok := readInt32(rest[1 : 1+n])
			if !ok || int64(inner)+4 != int64(n) {
				return nil, fmt.Errorf("%w: bad old-binary length", ErrInvalidBSON)
			}
		}
		return rest[1+n:], nil
	case 0x06, 0x0A, 0xFF, 0x7F: // undefined, null, minKey, maxKey
		return b, nil
	case 0x07: // ObjectId
		return fixed(12)
	case 0x08: // bool
		if len(b) < 1 || b[0] > 1 {
			return nil, fmt.Errorf("%w: bad boolean", ErrInvalidBSON)
		}
		return b[1:], nil
	case 0x0B: // regex: pattern and options
		rest, ok := skipCString(b)
		if ok {
			rest, ok = skipCString(rest)
		}
		if !ok {
			return nil, fmt.Errorf("%w: unterminated regex", ErrInvalidBSON)
		}
		return rest, nil
	case 0x0C: // DBPointer
		rest, err := validateString(b)
		if err != nil {
			return nil, err
		}
		if len(rest) < 12 {
			return nil, fmt.Errorf("%w: truncated DBPointer", ErrInvalidBSON)
		}
		return rest[12:], nil
	case 0x0F: // code with scope: total length, string, document
		n, rest, ok := readInt32(b)
		if !ok || n < 14 || int64(n) > int64(len(b)) {
			return nil, fmt.Errorf("%w: bad code-with-scope length", ErrInvalidBSON)
		}
		inner := rest[:n-4]
		inner, err := validateString(inner)
		if err != nil {
			return nil, err
		}
		inner, err = validateDoc(inner, depth+1)
		if err != nil {
			return nil, err
		}
		if len(inner) != 0 {
			return nil, fmt.Errorf("%w: code-with-scope length mismatch", ErrInvalidBSON)
		}
		return b[n:], nil
	case 0x10: // int32
		return fixed(4)
	case 0x13: // decimal128
		return fixed(16)
	}
	return nil, fmt.Errorf("%w: unknown element type 0x%02x", ErrInvalidBSON, t)
}

// validateString validates a length-prefixed, NUL-terminated string at the start of b.
func validateString(b []byte) ([]byte, error) {
	n, rest, ok := readInt32(b)
	if !ok || n < 1 || int64(n) > int64(len(rest)) || rest[n-1] != 0 {
		return nil, fmt.Errorf("%w: bad string", ErrInvalidBSON)
	}
	return rest[n:], nil
}
