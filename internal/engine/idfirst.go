package engine

import (
	"encoding/binary"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// IDFirst returns a new document whose first element is _id: id, followed
// by doc's elements in order without doc's first _id element, if it has
// one: MongoDB stores _id first, and this is the one place that builds such
// a document. doc must be a valid document (bson.Raw.Validate); its
// elements are read as bson.Raw.Elements reads them, so bytes past them are
// not copied. The result is newly allocated and owned by the caller;
// neither doc nor id is retained. IDFirst does not check the size limit or
// the _id's type: its callers do.
func IDFirst(id bson.RawValue, doc bson.Raw) bson.Raw {
	var rest []byte
	left := 0 // declared bytes of elements and terminator not yet read
	if len(doc) >= 5 {
		rest, left = doc[4:], int(binary.LittleEndian.Uint32(doc))-4
	}
	// length, type, "_id\x00", the value, the other elements, terminator.
	out := make([]byte, 4, 4+1+4+len(id.Value)+len(rest))
	out = append(out, byte(id.Type), '_', 'i', 'd', 0)
	out = append(out, id.Value...)
	dropped := false
	for left > 1 {
		el, r, ok := bsoncore.ReadElement(rest)
		if !ok {
			break
		}
		left -= len(rest) - len(r)
		rest = r
		if !dropped && string(el.KeyBytes()) == "_id" {
			dropped = true
			continue
		}
		out = append(out, el...)
	}
	out = append(out, 0)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	return out
}
