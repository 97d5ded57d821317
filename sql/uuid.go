package sql

import (
	"bytes"
	"encoding/hex"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A uuid column stores its values as their canonical text (lower-case xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), so
// that equality filters and unique indexes see one value whatever form it was written in; in the evaluator a
// value is a uuidValue, which compares by its bytes, as PostgreSQL's uuid does.

// OIDUUID and OIDUUIDArray are PostgreSQL's uuid and uuid[] types.
const (
	OIDUUID      uint32 = 2950
	OIDUUIDArray uint32 = 2951
)

// uuidValue is a value of type uuid.
type uuidValue [16]byte

// String is the value's canonical text.
func (u uuidValue) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// parseUUID reads uuid input as PostgreSQL's uuid_in does: 32 hex digits in either case, optionally in braces,
// with a hyphen allowed after any group of four digits but the last ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
// '{A0EEBC99...}', 'a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0ee-bc99-...'). Nothing else is allowed, spaces neither.
func parseUUID(s string) (uuidValue, bool) {
	var u uuidValue
	braces := len(s) > 0 && s[0] == '{'
	if braces {
		s = s[1:]
	}
	for i := 0; i < len(u); i++ {
		if len(s) < 2 {
			return u, false
		}
		hi, ok1 := unhex(s[0])
		lo, ok2 := unhex(s[1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[i] = hi<<4 | lo
		s = s[2:]
		if len(s) > 0 && s[0] == '-' && i%2 == 1 && i < len(u)-1 {
			s = s[1:]
		}
	}
	if braces {
		if len(s) == 0 || s[0] != '}' {
			return u, false
		}
		s = s[1:]
	}
	return u, s == ""
}

// uuidInput converts a value to a uuid: text by parseUUID (else 22P02, as PostgreSQL's), a BSON UUID (binary of
// subtype 4, written over the MongoDB port) by its bytes.
func uuidInput(v any) (any, error) {
	switch x := v.(type) {
	case uuidValue:
		return x, nil
	case string:
		u, ok := parseUUID(x)
		if !ok {
			return nil, errorf(CodeInvalidTextRep, "invalid input syntax for type uuid: \"%s\"", x)
		}
		return u, nil
	case bson.RawValue:
		if x.Type != bson.TypeBinary {
			break // a json value: no cast to uuid (42846)
		}
		if sub, b := x.Binary(); (sub == 4 || sub == 3) && len(b) == 16 {
			return uuidValue(b), nil
		}
	}
	return nil, errorf(CodeCannotCoerce, "cannot cast type %s to uuid", TypeName(valueOID(v)))
}

// uuidOperands converts the text operand of a comparison with a uuid to a uuid (22P02 when it is none), as
// PostgreSQL types the literal after the other side.
func uuidOperands(l, r *any) error {
	conv := func(u, other *any) error {
		if _, ok := (*u).(uuidValue); !ok {
			return nil
		}
		if _, ok := (*other).(string); !ok {
			return nil
		}
		v, err := uuidInput(*other)
		if err == nil {
			*other = v
		}
		return err
	}
	if err := conv(l, r); err != nil {
		return err
	}
	return conv(r, l)
}

// compareUUIDs orders uuids by their bytes, as PostgreSQL's uuid_cmp does (and as their canonical text sorts).
func compareUUIDs(a, b uuidValue) int { return bytes.Compare(a[:], b[:]) }

// UUIDBytes is a uuid value's 16 bytes, for package pgserver's binary form; ok is false for other values.
func UUIDBytes(v any) (b [16]byte, ok bool) {
	u, ok := v.(uuidValue)
	return u, ok
}
