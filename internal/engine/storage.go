package engine

import (
	"encoding/binary"
	"errors"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
)

// Pebble key space. Every key starts with one of these bytes:
//
//	0x02 db 0x00 coll              catalog record of one collection (BSON)
//	0x03 lsid(16)                  the record a server keeps for a logical session (opaque bytes)
//	0x04 seq(8)                    one change of the change log (changelog.go)
//	0x05 name                      engine metadata: "changelog.first" (seq(8)), "changelog.id" (8 bytes)
//	0x06 collID(4) idxID(4)        marker: the index is multikey (empty value)
//	0x07 db 0x00 coll              marker: a transaction not yet committed created the collection -> collID(4)
//	0x10 collID(4) enc(_id)        latest committed document (raw BSON)
//	0x11 collID(4) idxID(4) enc(k) unique index entry -> raw _id value, values
//	0x11 collID(4) idxID(4) enc(k) enc(_id)  non-unique index entry -> raw _id value, values
//
// enc is the order-preserving encoding of keys.go; collection ids are never
// reused, so dropping a collection is a range deletion of its prefixes.
const (
	prefixCatalog  byte = 0x02
	prefixSession  byte = 0x03
	prefixChange   byte = 0x04
	prefixMeta     byte = 0x05
	prefixMultikey byte = 0x06
	prefixPending  byte = 0x07
	prefixDoc      byte = 0x10
	prefixIndex    byte = 0x11
)

// sessionKey is the key of a logical session's record.
func sessionKey(id [16]byte) []byte {
	return append([]byte{prefixSession}, id[:]...)
}

// catalogKey is the key of a collection's catalog record.
func catalogKey(ns Namespace) []byte {
	k := make([]byte, 0, 2+len(ns.DB)+len(ns.Coll))
	k = append(k, prefixCatalog)
	k = append(k, ns.DB...)
	k = append(k, 0)
	return append(k, ns.Coll...)
}

// pendingKey is the key of the marker of a collection created by a transaction that has not committed: the
// transaction's commit deletes it, and Open drops the collections whose marker a crash left (pendingcreate.go).
func pendingKey(ns Namespace) []byte {
	k := catalogKey(ns)
	k[0] = prefixPending
	return k
}

// docPrefix is the prefix of all document keys of a collection.
func docPrefix(collID uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{prefixDoc}, collID)
}

// docKey is the key of the document with the given _id.
func docKey(collID uint32, id bson.RawValue) []byte {
	// Sized for the usual encodings (a number usually takes 10 bytes, a string its
	// length plus 2) so that building the key allocates once.
	k := make([]byte, 0, 5+len(id.Value)+18)
	k = append(k, prefixDoc)
	k = binary.BigEndian.AppendUint32(k, collID)
	return appendKeyValue(k, id)
}

// multikeyKey is the marker key recording that an index is multikey.
func multikeyKey(collID, idxID uint32) []byte {
	k := binary.BigEndian.AppendUint32([]byte{prefixMultikey}, collID)
	return binary.BigEndian.AppendUint32(k, idxID)
}

// multikeyMarked reports whether the multikey marker of an index is stored.
func multikeyMarked(r pebble.Reader, collID, idxID uint32) bool {
	_, closer, err := r.Get(multikeyKey(collID, idxID))
	if err != nil {
		return false
	}
	closer.Close()
	return true
}

// indexPrefix is the prefix of all entries of one index.
func indexPrefix(collID, idxID uint32) []byte {
	k := binary.BigEndian.AppendUint32([]byte{prefixIndex}, collID)
	return binary.BigEndian.AppendUint32(k, idxID)
}

// collIndexPrefix is the prefix of all index entries of a collection.
func collIndexPrefix(collID uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{prefixIndex}, collID)
}

// rawIDValue stores an _id as its type byte followed by its value bytes.
func rawIDValue(id bson.RawValue) []byte {
	out := make([]byte, 0, 1+len(id.Value))
	out = append(out, byte(id.Type))
	return append(out, id.Value...)
}

// entryValue is the value of an index entry: the document's _id as
// rawIDValue writes it, then the entry's value section (see entryExact).
func entryValue(id bson.RawValue, vals []byte) []byte {
	out := make([]byte, 0, 1+len(id.Value)+len(vals))
	out = append(out, byte(id.Type))
	out = append(out, id.Value...)
	return append(out, vals...)
}

// parseRawID is the inverse of rawIDValue: the _id at the start of b (an
// index entry's value); the value is a copy.
func parseRawID(b []byte) bson.RawValue {
	id, _ := splitEntryValue(b)
	id.Value = append([]byte(nil), id.Value...)
	return id
}

// splitEntryValue splits an index entry's value into the _id (aliasing b)
// and the value section after it.
func splitEntryValue(b []byte) (id bson.RawValue, rest []byte) {
	if len(b) == 0 {
		return bson.RawValue{}, nil
	}
	t := bson.Type(b[0])
	v, rest, ok := bsoncore.ReadValue(b[1:], bsoncore.Type(t))
	if !ok {
		return bson.RawValue{Type: t, Value: b[1:]}, nil
	}
	return bson.RawValue{Type: t, Value: v.Data}, rest
}

// pebbleGet reads key from r, returning a copy, or nil when absent.
func pebbleGet(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storageError(err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// storageError wraps a Pebble failure as an InternalError, or as DataCorruptionDetected (12) when Pebble found
// stored data that fails its checksum or cannot be decoded: such data is never returned as a result.
func storageError(err error) *codes.Error {
	if ce, ok := codes.As(err); ok {
		return ce
	}
	if pebble.IsCorruptionError(err) {
		return &codes.Error{Code: codes.DataCorruptionDetected, Message: "data corruption detected in storage: " +
			err.Error() + "; restore the database from a backup", Cause: err}
	}
	return &codes.Error{Code: codes.InternalError, Message: "storage error: " + err.Error(), Cause: err}
}

// wrapStorage is storageError for an error that may be nil.
func wrapStorage(err error) error {
	if err == nil {
		return nil
	}
	return storageError(err)
}
