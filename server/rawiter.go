package server

import (
	"bytes"
	"encoding/binary"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// elemIter walks the elements of a document without allocating: bson.Raw.Elements builds a slice and every
// RawElement.Key a string, which the per-command argument parsing cannot afford. Keys are returned as bytes
// aliasing the document.
type elemIter struct {
	rest []byte
	bad  bool
}

// newElemIter starts iterating over doc; a malformed header is reported by malformed after the first next.
func newElemIter(doc []byte) elemIter {
	if len(doc) < 5 {
		return elemIter{bad: true}
	}
	n := int64(int32(binary.LittleEndian.Uint32(doc)))
	if n < 5 || n > int64(len(doc)) || doc[n-1] != 0 {
		return elemIter{bad: true}
	}
	return elemIter{rest: doc[4 : n-1]}
}

// next returns the next element; ok is false at the end or on malformed BSON.
func (it *elemIter) next() (key []byte, v bson.RawValue, ok bool) {
	if it.bad || len(it.rest) == 0 {
		return nil, bson.RawValue{}, false
	}
	t := bsoncore.Type(it.rest[0])
	end := bytes.IndexByte(it.rest[1:], 0)
	if end < 0 {
		it.bad = true
		return nil, bson.RawValue{}, false
	}
	key = it.rest[1 : 1+end]
	val, rest, ok := bsoncore.ReadValue(it.rest[2+end:], t)
	if !ok {
		it.bad = true
		return nil, bson.RawValue{}, false
	}
	it.rest = rest
	return key, bson.RawValue{Type: bson.Type(val.Type), Value: val.Data}, true
}

// malformed reports whether iteration stopped on malformed BSON rather than at the end.
func (it *elemIter) malformed() bool { return it.bad }

// lookupField returns the value of doc's first field named key, the zero RawValue when there is none or doc is
// malformed before it: bson.Raw.Lookup for one key, without its variadic path.
func lookupField(doc []byte, key string) bson.RawValue {
	it := newElemIter(doc)
	for k, v, ok := it.next(); ok; k, v, ok = it.next() {
		if string(k) == key {
			return v
		}
	}
	return bson.RawValue{}
}
