package engine

import (
	"encoding/binary"

	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// docMatcher re-checks a document against a statement's filter, reporting
// the matched array position for the positional "$" operator (-1 for none)
// and the evaluation error of a $expr, which fails the statement.
// *filter.Filter is the general one; *idFilter is the {_id: v} shortcut.
type docMatcher interface {
	MatchErr(doc bson.Raw) (bool, int, error)
}

var (
	_ docMatcher = (*filter.Filter)(nil)
	_ docMatcher = (*idFilter)(nil)
)

// idFilterMaxBytes bounds the filters idEquality looks at: an _id equality
// is small, and a large filter is something else.
const idFilterMaxBytes = 256

// idFilter is the filter {_id: id} for an id of a type whose equality is
// plain (see idEquality). It needs no compilation: its plan is IDHACK on the
// document key of id, and its match is MongoDB's equality of the _id.
type idFilter struct {
	id bson.RawValue
}

// idEquality returns the idFilter for a filter that is exactly {_id: v}
// with v an int32, int64, double, string or ObjectID, and nil for anything
// else (which the caller compiles as usual, and which reports its own
// errors). For these types filter.Compile would produce a single
// equality on _id whose match, on a stored document (whose _id is never an
// array), is value.Equal; null (which also matches a missing field),
// regexes, documents (which may be operator documents), arrays and the
// rarer types are left to the general path.
func idEquality(filter bson.Raw) *idFilter {
	if len(filter) < 5 || len(filter) > idFilterMaxBytes || filter.Validate() != nil {
		return nil
	}
	// Validate reads the declared length only; trailing bytes past it are
	// read differently by the compiled filter, so leave them to it.
	if int(binary.LittleEndian.Uint32(filter)) != len(filter) {
		return nil
	}
	el, err := filter.IndexErr(0)
	// KeyBytes, not Key: this runs for every update by _id and Key allocates.
	if err != nil || len(filter) != 4+len(el)+1 || string(bsoncore.Element(el).KeyBytes()) != "_id" {
		return nil // not exactly one element, or not _id
	}
	v := el.Value()
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeObjectID:
		return &idFilter{id: v}
	case bson.TypeString:
		// Validate accepts a string whose declared length is 0 (no room for
		// its terminating NUL); the compiled filter does not plan on it.
		if _, ok := v.StringValueOK(); ok {
			return &idFilter{id: v}
		}
	}
	return nil
}

// MatchErr is MatchPosition; an _id equality cannot fail.
func (f *idFilter) MatchErr(doc bson.Raw) (bool, int, error) {
	ok, pos := f.MatchPosition(doc)
	return ok, pos, nil
}

// MatchPosition reports whether doc's _id equals the filter's value as a
// MongoDB equality does (1, NumberLong(1) and 1.0 are equal; NaN equals
// NaN); no array is involved, so the position is -1.
func (f *idFilter) MatchPosition(doc bson.Raw) (bool, int) {
	return value.Equal(docID(doc), f.id), -1
}
