package sql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A transaction block's CREATE INDEX on a table from before the block is built at once, outside the block's
// transaction (blockddl.go), so a crash before the block ends would leave the index standing although the block
// never committed. To take it away, the index gets a marker in pendingIndexesCollection before it is built,
// written outside every transaction, and the block's transaction writes the marker's commit record beside it: a
// COMMIT makes the record durable with the rest of the block, a rollback (or a crash) takes it away. The block's
// end deletes both (a rollback after dropping the index). A marker that outlives its block names an index whose
// block either committed (its record is there: the index stays) or did not (the index is dropped): the first
// session of its database after a restart settles it (Engine.sweepPendingIndexes). Markers carry the token of
// the Engine that wrote them, and an Engine never settles the markers of one still running in the process.

// pendingIndexesCollection holds the markers of the indexes transaction blocks built at once and have not ended.
const pendingIndexesCollection = "system.sql_pending_indexes"

// liveEngines are the tokens of this process's Engines: their blocks may be running.
var liveEngines sync.Map

// newEngineToken returns a new Engine's token, registered as live.
func newEngineToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	t := hex.EncodeToString(b[:])
	liveEngines.Store(t, true)
	return t
}

// pendingIndexID is the _id of the marker of index name on table; its commit record's is the same with
// committedSuffix.
func pendingIndexID(table, name string) string { return table + "\x00" + name }

// committedSuffix ends the _id of a marker's commit record.
const committedSuffix = "\x00committed"

// markerAndRecord is the filter of the marker whose _id is id and of its commit record.
func markerAndRecord(id string) bson.D {
	return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{id, id + committedSuffix}}}}}
}

// markPendingIndex writes the marker of an index about to be built at once, outside every transaction, and its
// commit record in the block's transaction.
func (x *exec) markPendingIndex(table, name string) error {
	coll := x.s.e.b.database(x.s.database).collection(pendingIndexesCollection)
	id := pendingIndexID(table, name)
	_, _ = coll.deleteMany(x.base, markerAndRecord(id))
	if err := coll.insertOne(x.base, bson.D{{Key: "_id", Value: id}, {Key: "table", Value: table},
		{Key: "index", Value: name}, {Key: "engine", Value: x.s.e.token}}); err != nil {
		return err
	}
	return coll.insertOne(x.ctx, bson.D{{Key: "_id", Value: id + committedSuffix}})
}

// unmarkPendingIndex deletes an index's marker and commit record once its block has ended (a rollback after
// dropping the index).
func (s *Session) unmarkPendingIndex(table, name string) {
	coll := s.e.b.database(s.database).collection(pendingIndexesCollection)
	id := pendingIndexID(table, name)
	_, _ = coll.deleteMany(context.Background(), markerAndRecord(id))
}

// sweepPendingIndexes settles, once per database and Engine, the markers no live Engine's block holds: an index
// whose block committed stays, any other is dropped; the markers go. Failures are left for a later Engine.
func (e *Engine) sweepPendingIndexes(database string) {
	once, _ := e.swept.LoadOrStore(database, &sync.Once{})
	once.(*sync.Once).Do(func() {
		ctx := context.Background()
		db := e.b.database(database)
		names, err := db.listCollectionNames(ctx, bson.D{{Key: "name", Value: pendingIndexesCollection}})
		if err != nil || len(names) == 0 {
			return
		}
		coll := db.collection(pendingIndexesCollection)
		docs, err := coll.find(ctx, bson.D{{Key: "engine", Value: bson.D{{Key: "$exists", Value: true}}}}, nil, 0)
		if err != nil {
			return
		}
		for _, d := range docs {
			owner, _ := d.Lookup("engine").StringValueOK()
			if _, live := liveEngines.Load(owner); live {
				continue
			}
			table, _ := d.Lookup("table").StringValueOK()
			index, _ := d.Lookup("index").StringValueOK()
			id := pendingIndexID(table, index)
			if _, err := coll.findOne(ctx, bson.D{{Key: "_id", Value: id + committedSuffix}}); isNoDocuments(err) {
				if err := db.collection(table).dropIndex(ctx, index); err != nil && !indexGone(err) {
					continue
				}
			} else if err != nil {
				continue
			}
			_, _ = coll.deleteMany(ctx, markerAndRecord(id))
		}
	})
}

// indexGone reports whether dropping an index failed because it, or its collection, no longer exists.
func indexGone(err error) bool {
	var ce *concord.Error
	return errors.As(err, &ce) && (ce.Code == 26 || ce.Code == 27) // NamespaceNotFound, IndexNotFound
}
