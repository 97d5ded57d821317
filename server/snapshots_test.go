package server_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestSnapshotSession_Driver reads through a driver session with snapshot: true: its reads keep seeing the
// point in time of its first read (the driver sends that read's atClusterTime with the next ones) while other
// clients change the data.
func TestSnapshotSession_Driver(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("snap").Collection("c")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: "old"}}, bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: "old"}}}); err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartSession(options.Session().SetSnapshot(true))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	sctx := mongo.NewSessionContext(ctx, sess)
	var doc struct{ V string }
	if err := coll.FindOne(sctx, bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil || doc.V != "old" {
		t.Fatalf("first snapshot read: %v %v", doc, err)
	}
	if _, err := coll.UpdateMany(ctx, bson.D{}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: "new"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}, {Key: "v", Value: "new"}}); err != nil {
		t.Fatal(err)
	}
	if err := coll.FindOne(sctx, bson.D{{Key: "_id", Value: 2}}).Decode(&doc); err != nil || doc.V != "old" {
		t.Fatalf("second snapshot read: %v %v, want the first read's point in time", doc, err)
	}
	vals := coll.Distinct(sctx, "v", bson.D{})
	var got []string
	if err := vals.Decode(&got); err != nil || len(got) != 1 || got[0] != "old" {
		t.Fatalf("snapshot distinct: %v %v", got, err)
	}
	cur, err := coll.Aggregate(sctx, bson.A{bson.D{{Key: "$count", Value: "n"}}})
	if err != nil {
		t.Fatal(err)
	}
	var counts []struct{ N int }
	if err := cur.All(sctx, &counts); err != nil || len(counts) != 1 || counts[0].N != 2 {
		t.Fatalf("snapshot aggregate: %v %v, want 2 documents", counts, err)
	}
	// Outside the session the new state shows.
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}).Decode(&doc); err != nil || doc.V != "new" {
		t.Fatalf("read outside the session: %v %v", doc, err)
	}
}

// TestSnapshotRead_AtClusterTime checks the wire rules of readConcern snapshot outside a transaction: the reply's
// atClusterTime, a read at it after later commits, and mongod's errors for times in the future, too old, or
// given without level snapshot.
func TestSnapshotRead_AtClusterTime(t *testing.T) {
	e := newCoreEnv(t)
	r := e.dial(t)
	mustOK(t, "insert", r.cmd(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}}}, {Key: "$db", Value: "snap"}}))
	find := func(rc bson.D) bson.Raw {
		return r.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "readConcern", Value: rc}, {Key: "$db", Value: "snap"}})
	}
	first := mustOK(t, "snapshot find", find(bson.D{{Key: "level", Value: "snapshot"}}))
	tv, iv, ok := first.Lookup("cursor", "atClusterTime").TimestampOK()
	if !ok {
		t.Fatalf("snapshot find without cursor.atClusterTime: %v", first)
	}
	at := bson.Timestamp{T: tv, I: iv}
	mustOK(t, "update", r.cmd(bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 2}}}}}}}}, {Key: "$db", Value: "snap"}}))
	again := mustOK(t, "find at the time", find(bson.D{{Key: "level", Value: "snapshot"}, {Key: "atClusterTime", Value: at}}))
	if n := again.Lookup("cursor", "firstBatch", "0", "n").AsInt64(); n != 1 {
		t.Fatalf("read at atClusterTime saw n = %d, want 1", n)
	}
	if got := again.Lookup("cursor", "atClusterTime"); !got.Equal(first.Lookup("cursor", "atClusterTime")) {
		t.Fatalf("atClusterTime %v, want %v", got, at)
	}
	distinct := mustOK(t, "distinct", r.cmd(bson.D{{Key: "distinct", Value: "c"}, {Key: "key", Value: "n"}, {Key: "readConcern", Value: bson.D{{Key: "level", Value: "snapshot"}, {Key: "atClusterTime", Value: at}}}, {Key: "$db", Value: "snap"}}))
	if v := distinct.Lookup("values", "0").AsInt64(); v != 1 || distinct.Lookup("atClusterTime").Type != bson.TypeTimestamp {
		t.Fatalf("distinct at the time: %v", distinct)
	}
	for _, tc := range []struct {
		name string
		rc   bson.D
		code int32
	}{
		{"a time in the future", bson.D{{Key: "level", Value: "snapshot"}, {Key: "atClusterTime", Value: bson.Timestamp{T: at.T + 3600, I: 1}}}, 72},
		{"a time before the history", bson.D{{Key: "level", Value: "snapshot"}, {Key: "atClusterTime", Value: bson.Timestamp{T: 1, I: 1}}}, 239},
		{"atClusterTime without level snapshot", bson.D{{Key: "level", Value: "local"}, {Key: "atClusterTime", Value: at}}, 72},
		{"atClusterTime of the wrong type", bson.D{{Key: "level", Value: "snapshot"}, {Key: "atClusterTime", Value: 5}}, 14},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := code(find(tc.rc)); got != tc.code {
				t.Fatalf("code %d, want %d", got, tc.code)
			}
		})
	}
	// A write's operationTime is readable at once; after later commits no snapshot holds it.
	w := mustOK(t, "insert", r.cmd(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 2}}}}, {Key: "$db", Value: "snap"}}))
	opTime := w.Lookup("operationTime")
	ot, oi, _ := opTime.TimestampOK()
	at2 := bson.Timestamp{T: ot, I: oi}
	res := mustOK(t, "find at a write's operationTime", find(bson.D{{Key: "level", Value: "snapshot"}, {Key: "atClusterTime", Value: at2}}))
	if docs, _ := res.Lookup("cursor", "firstBatch").Array().Values(); len(docs) != 2 {
		t.Fatalf("read at the insert's operationTime: %v", res)
	}
}
