package server

import (
	"encoding/binary"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxInterned and maxInternedLen bound the intern table: the strings come from clients, so it must not
// grow without limit.
const (
	maxInterned    = 1024
	maxInternedLen = 128
)

// interned holds the strings internString has seen: database and collection names, which every command
// carries and which take few distinct values.
var interned struct {
	mu sync.RWMutex
	m  map[string]string
}

// internString returns a BSON string value as a Go string like v.StringValueOK, without allocating when the
// same string was seen before (the usual case for $db and the collection name). ok is false when v is not a well-formed string.
func internString(v bson.RawValue) (s string, ok bool) {
	b, ok := rawStringBytes(v)
	if !ok {
		return v.StringValueOK()
	}
	interned.mu.RLock()
	s, ok = interned.m[string(b)]
	interned.mu.RUnlock()
	if ok {
		return s, true
	}
	s = string(b)
	interned.mu.Lock()
	if interned.m == nil {
		interned.m = make(map[string]string)
	}
	if len(interned.m) < maxInterned && len(s) <= maxInternedLen {
		interned.m[s] = s
	}
	interned.mu.Unlock()
	return s, true
}

// rawStringBytes returns the bytes of a well-formed BSON string value (length, bytes, NUL) exactly filling
// v.Value; false otherwise, leaving odd cases to the driver's reader.
func rawStringBytes(v bson.RawValue) ([]byte, bool) {
	if v.Type != bson.TypeString || len(v.Value) < 5 {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(v.Value)
	if n < 1 || uint64(n)+4 != uint64(len(v.Value)) || v.Value[len(v.Value)-1] != 0 {
		return nil, false
	}
	return v.Value[4 : len(v.Value)-1], true
}
