package server

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// Tailable cursors on capped collections: the cursor stays open when it has returned every document, and a
// getMore returns the documents inserted since, in natural (insertion) order. A getMore that finds nothing
// new returns an empty batch and keeps the cursor. With awaitData mongod waits up to maxTimeMS for an insert;
// Concord answers at once.

// codeCappedPositionLost is mongod's error when the document a tailable cursor stopped at was removed.
const codeCappedPositionLost codes.Code = 136

// tailState is what a tailable cursor needs to read further: its collection and filter, the _id of the last
// document it returned (unset before the first), and the documents read after it not yet returned.
type tailState struct {
	coll   *concord.Collection
	filter bson.Raw
	last   bson.RawValue
	buf    []bson.Raw
}

// note records doc as the last document returned.
func (t *tailState) note(doc bson.Raw) {
	if v, err := doc.LookupErr("_id"); err == nil {
		t.last = v
	}
}

// refill reads into buf the documents after the last returned one, in natural order. When that document is
// gone (removed by the collection's bound) the position is lost: CappedPositionLost (136).
func (t *tailState) refill(ctx context.Context) error {
	cur, err := t.coll.Find(ctx, t.filter)
	if err != nil {
		return commandError(err)
	}
	defer cur.Close(ctx)
	var docs []bson.Raw
	found := t.last.Type == 0
	for cur.Next(ctx) {
		if !found {
			if v, err := cur.Current.LookupErr("_id"); err == nil && v.Equal(t.last) {
				found = true
			}
			continue
		}
		docs = append(docs, cur.Current)
	}
	if err := cur.Err(); err != nil {
		return commandError(err)
	}
	if !found {
		return codes.New(codeCappedPositionLost, "CollectionScan died due to position in capped collection being deleted.")
	}
	t.buf = docs
	return nil
}

// isCapped reports whether db.coll is a capped collection.
func isCapped(ctx context.Context, s *Server, db, coll string) bool {
	specs, err := s.DB.Database(db).ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: coll}})
	return err == nil && len(specs) == 1 && specs[0].Options.Capped
}
