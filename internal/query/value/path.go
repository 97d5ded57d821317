package value

import (
	"bytes"
	"encoding/binary"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// This file holds the allocation-free walk over raw BSON that filters,
// projections and sorts share: element iteration, field lookup, and the
// traversal of dotted paths through embedded documents and arrays with
// MongoDB's array rules (mongo/db/matcher/path.cpp).

// Iter iterates the elements of a raw document or array without
// allocating. Malformed input ends the iteration early (ok false) instead of
// panicking, so hostile bytes can never crash a match.
type Iter struct {
	rest []byte
}

// IterOf returns an iterator over doc's elements, or an exhausted one
// when doc is not a well-formed document header.
func IterOf(doc []byte) Iter {
	if len(doc) < 5 {
		return Iter{}
	}
	n := int(int32(binary.LittleEndian.Uint32(doc)))
	if n < 5 || n > len(doc) {
		return Iter{}
	}
	return Iter{rest: doc[4 : n-1]}
}

// next returns the next element's key bytes and value. The key aliases the
// document, so comparing it with string(key) == s does not allocate.
func (it *Iter) Next() (key []byte, v bson.RawValue, ok bool) {
	if len(it.rest) < 2 {
		it.rest = nil
		return nil, bson.RawValue{}, false
	}
	t := bson.Type(it.rest[0])
	end := bytes.IndexByte(it.rest[1:], 0)
	if end < 0 {
		it.rest = nil
		return nil, bson.RawValue{}, false
	}
	end++
	key = it.rest[1:end]
	body := it.rest[end+1:]
	n := ValueLen(t, body)
	if n < 0 || n > len(body) {
		it.rest = nil
		return nil, bson.RawValue{}, false
	}
	it.rest = body[n:]
	return key, bson.RawValue{Type: t, Value: body[:n:n]}, true
}

// ValueLen returns the encoded length of a value of type t at the start
// of b, or -1 when the type is unknown or b is too short. It is on the hot
// path of every lookup, hence the flat switch without helpers.
func ValueLen(t bson.Type, b []byte) int {
	switch t {
	case bson.TypeDouble, bson.TypeDateTime, bson.TypeTimestamp, bson.TypeInt64:
		return 8
	case bson.TypeInt32:
		return 4
	case bson.TypeString, bson.TypeJavaScript, bson.TypeSymbol:
		if len(b) < 4 {
			return -1
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 1 {
			return -1
		}
		return 4 + n
	case bson.TypeEmbeddedDocument, bson.TypeArray, bson.TypeCodeWithScope:
		if len(b) < 4 {
			return -1
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 5 {
			return -1
		}
		return n
	case bson.TypeBinary:
		if len(b) < 4 {
			return -1
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 0 {
			return -1
		}
		return 5 + n
	case bson.TypeUndefined, bson.TypeNull, bson.TypeMinKey, bson.TypeMaxKey:
		return 0
	case bson.TypeObjectID:
		return 12
	case bson.TypeBoolean:
		return 1
	case bson.TypeDecimal128:
		return 16
	case bson.TypeRegex:
		p := bytes.IndexByte(b, 0)
		if p < 0 {
			return -1
		}
		o := bytes.IndexByte(b[p+1:], 0)
		if o < 0 {
			return -1
		}
		return p + 1 + o + 1
	case bson.TypeDBPointer:
		if len(b) < 4 {
			return -1
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 1 {
			return -1
		}
		return 4 + n + 12
	}
	return -1
}

// Lookup returns the value of field key in doc, or a zero RawValue
// (missing) when absent. It does not allocate.
func Lookup(doc []byte, key string) bson.RawValue {
	it := IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			return bson.RawValue{}
		}
		if string(k) == key {
			return v
		}
	}
}

// Path is a parsed dotted path. num[i] is the array index that part i
// denotes, or -1 when the part is not a canonical non-negative integer; it is
// precomputed so that array traversal never formats numbers.
type Path struct {
	Full  string
	Parts []string
	Num   []int
}

// ParsePath splits a dotted path. It never fails; callers validate
// emptiness where MongoDB does.
func ParsePath(p string) Path {
	parts := strings.Split(p, ".")
	num := make([]int, len(parts))
	for i, s := range parts {
		num[i] = ArrayIndex(s)
	}
	return Path{Full: p, Parts: parts, Num: num}
}

// ArrayIndex returns the array index written by s ("0", "12"), or -1.
// Like MongoDB, any all-digit part is an index candidate ("01" compares as a
// field name and never equals an index, since indexes are written without
// leading zeros).
func ArrayIndex(s string) int {
	if s == "" || len(s) > 9 {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	if len(s) > 1 && s[0] == '0' {
		return -1
	}
	return n
}

// ArrayElem returns element k of array v, or missing.
func ArrayElem(v bson.RawValue, k int) bson.RawValue {
	it := IterOf(v.Value)
	for j := 0; ; j++ {
		_, e, ok := it.Next()
		if !ok {
			return bson.RawValue{}
		}
		if j == k {
			return e
		}
	}
}
