package query

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

// filterIter iterates the elements of a raw document or array without
// allocating. Malformed input ends the iteration early (ok false) instead of
// panicking, so hostile bytes can never crash a match.
type filterIter struct {
	rest []byte
}

// filterIterOf returns an iterator over doc's elements, or an exhausted one
// when doc is not a well-formed document header.
func filterIterOf(doc []byte) filterIter {
	if len(doc) < 5 {
		return filterIter{}
	}
	n := int(int32(binary.LittleEndian.Uint32(doc)))
	if n < 5 || n > len(doc) {
		return filterIter{}
	}
	return filterIter{rest: doc[4 : n-1]}
}

// next returns the next element's key bytes and value. The key aliases the
// document, so comparing it with string(key) == s does not allocate.
func (it *filterIter) next() (key []byte, v bson.RawValue, ok bool) {
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
	n := filterValueLen(t, body)
	if n < 0 || n > len(body) {
		it.rest = nil
		return nil, bson.RawValue{}, false
	}
	it.rest = body[n:]
	return key, bson.RawValue{Type: t, Value: body[:n:n]}, true
}

// filterValueLen returns the encoded length of a value of type t at the start
// of b, or -1 when the type is unknown or b is too short. It is on the hot
// path of every lookup, hence the flat switch without helpers.
func filterValueLen(t bson.Type, b []byte) int {
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

// filterLookup returns the value of field key in doc, or a zero RawValue
// (missing) when absent. It does not allocate.
func filterLookup(doc []byte, key string) bson.RawValue {
	it := filterIterOf(doc)
	for {
		k, v, ok := it.next()
		if !ok {
			return bson.RawValue{}
		}
		if string(k) == key {
			return v
		}
	}
}

// filterPath is a parsed dotted path. num[i] is the array index that part i
// denotes, or -1 when the part is not a canonical non-negative integer; it is
// precomputed so that array traversal never formats numbers.
type filterPath struct {
	full  string
	parts []string
	num   []int
}

// filterParsePath splits a dotted path. It never fails; callers validate
// emptiness where MongoDB does.
func filterParsePath(p string) filterPath {
	parts := strings.Split(p, ".")
	num := make([]int, len(parts))
	for i, s := range parts {
		num[i] = filterArrayIndex(s)
	}
	return filterPath{full: p, parts: parts, num: num}
}

// filterArrayIndex returns the array index written by s ("0", "12"), or -1.
// Like MongoDB, any all-digit part is an index candidate ("01" compares as a
// field name and never equals an index, since indexes are written without
// leading zeros).
func filterArrayIndex(s string) int {
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

// filterWalk yields the values path denotes in doc exactly as MongoDB's
// BSONElementIterator does: a missing field yields one missing value; an
// array met before the end of the path is traversed (documents in it are
// searched for the rest of the path, and a numeric next part also indexes
// it); an array at the end of the path yields each element and then the
// whole array, unless leafArrays is false, in which case only the whole array
// is yielded (the behaviour of $size and $elemMatch).
func filterWalk(doc []byte, p *filterPath, start int, leafArrays bool, override int, vis *filterVisit) bool {
	cur := doc
	i := start
	var v bson.RawValue
	for {
		v = filterLookup(cur, p.parts[i])
		if v.Type == 0 {
			return filterYield(vis, v, -1, override)
		}
		if i == len(p.parts)-1 || v.Type == bson.TypeArray {
			break
		}
		if v.Type != bson.TypeEmbeddedDocument {
			return filterYield(vis, bson.RawValue{}, -1, override)
		}
		cur = v.Value
		i++
	}
	if v.Type != bson.TypeArray {
		return filterYield(vis, v, -1, override)
	}
	if i == len(p.parts)-1 && !leafArrays {
		return filterYield(vis, v, -1, override)
	}
	return filterWalkArray(v, p, i+1, leafArrays, override, vis)
}

// filterWalkArray traverses the array arr with the path remaining from part
// rest (rest == len(parts) means the path ends at arr).
func filterWalkArray(arr bson.RawValue, p *filterPath, rest int, leafArrays bool, override int, vis *filterVisit) bool {
	it := filterIterOf(arr.Value)
	more := rest < len(p.parts)
	want := -1
	if more {
		want = p.num[rest]
	}
	for k := 0; ; k++ {
		_, e, ok := it.next()
		if !ok {
			break
		}
		if !more {
			if filterYield(vis, e, k, override) {
				return true
			}
			continue
		}
		sub := override
		if sub < 0 {
			sub = k
		}
		if e.Type == bson.TypeEmbeddedDocument {
			if filterWalk(e.Value, p, rest, leafArrays, sub, vis) {
				return true
			}
		}
		if k != want {
			continue
		}
		// Array offset match: the element itself is addressed by the path.
		if rest == len(p.parts)-1 {
			if filterYield(vis, e, -1, override) {
				return true
			}
			continue
		}
		switch e.Type {
		case bson.TypeEmbeddedDocument:
			if filterWalk(e.Value, p, rest+1, leafArrays, override, vis) {
				return true
			}
		case bson.TypeArray:
			if filterWalkArray(e, p, rest+1, leafArrays, override, vis) {
				return true
			}
		}
	}
	if more {
		return false
	}
	return filterYield(vis, arr, -1, override)
}

// filterYield hands v to the visitor with the outermost array offset. The
// visitor is a concrete type, not an interface, so that it stays on the
// caller's stack: Match must not allocate.
func filterYield(vis *filterVisit, v bson.RawValue, off, override int) bool {
	if override >= 0 {
		off = override
	}
	return vis.visit(v, off)
}
