package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// nextEvent returns the stream's next event, failing the test after 5 s.
func nextEvent(t *testing.T, cs *mongo.ChangeStream) bson.Raw {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !cs.Next(ctx) {
		t.Fatalf("no event: %v", cs.Err())
	}
	return append(bson.Raw(nil), cs.Current...)
}

// noEvent checks that the stream has nothing within d.
func noEvent(t *testing.T, cs *mongo.ChangeStream, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if cs.TryNext(ctx) {
		t.Fatalf("unexpected event %v", cs.Current)
	}
}

func opType(ev bson.Raw) string { return ev.Lookup("operationType").StringValue() }

func TestChangeStream_CollectionEvents(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("cs").Collection("c")
	if err := c.Database("cs").CreateCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	cs, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetFullDocument(options.UpdateLookup))
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	defer cs.Close(ctx)
	// A write to another collection is not seen.
	if _, err := c.Database("cs").Collection("other").InsertOne(ctx, bson.D{{Key: "_id", Value: 9}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: 1}, {Key: "s", Value: bson.D{{Key: "x", Value: 1}, {Key: "y", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "b", Value: 2}, {Key: "s.x", Value: 5}}}, {Key: "$unset", Value: bson.D{{Key: "a", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "r", Value: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}

	ev := nextEvent(t, cs)
	if opType(ev) != "insert" || ev.Lookup("fullDocument", "a").Int32() != 1 || ev.Lookup("documentKey", "_id").Int32() != 1 ||
		ev.Lookup("ns", "coll").StringValue() != "c" {
		t.Fatalf("insert event %v", ev)
	}
	ev = nextEvent(t, cs)
	want := `{"updatedFields": {"s.x": {"$numberInt":"5"},"b": {"$numberInt":"2"}},"removedFields": ["a"],"truncatedArrays": []}`
	if opType(ev) != "update" || ev.Lookup("updateDescription").Document().String() != want {
		t.Fatalf("update event %v, want updateDescription %s", ev, want)
	}
	// updateLookup reads the document as it is now: already replaced and deleted, so null.
	if ev.Lookup("fullDocument").Type != bson.TypeNull {
		t.Fatalf("updateLookup of a deleted document = %v, want null", ev.Lookup("fullDocument"))
	}
	ev = nextEvent(t, cs)
	if opType(ev) != "replace" || !ev.Lookup("fullDocument", "r").Boolean() {
		t.Fatalf("replace event %v", ev)
	}
	ev = nextEvent(t, cs)
	if opType(ev) != "delete" || ev.Lookup("fullDocument").Type != 0 {
		t.Fatalf("delete event %v", ev)
	}
	if err := coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if ev = nextEvent(t, cs); opType(ev) != "drop" {
		t.Fatalf("event after drop %v", ev)
	}
	if ev = nextEvent(t, cs); opType(ev) != "invalidate" {
		t.Fatalf("event after drop %v, want invalidate", ev)
	}
}

func TestChangeStream_TransactionEventsArriveTogetherAfterCommit(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("cs").Collection("t")
	if err := c.Database("cs").CreateCollection(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	cs, err := c.Database("cs").Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	defer cs.Close(ctx)
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := mongo.NewSessionContext(ctx, sess)
	for i := 1; i <= 3; i++ {
		if _, err := coll.InsertOne(sctx, bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	noEvent(t, cs, 300*time.Millisecond)
	if err := sess.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	var ts []bson.Timestamp
	for i := 1; i <= 3; i++ {
		ev := nextEvent(t, cs)
		if opType(ev) != "insert" || ev.Lookup("documentKey", "_id").Int32() != int32(i) {
			t.Fatalf("event %d: %v", i, ev)
		}
		s, inc := ev.Lookup("clusterTime").Timestamp()
		ts = append(ts, bson.Timestamp{T: s, I: inc})
	}
	if ts[0] != ts[1] || ts[1] != ts[2] {
		t.Fatalf("clusterTimes %v: one transaction's events share its commit time", ts)
	}
}

func TestChangeStream_ResumeAfter(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("cs").Collection("r")
	first, err := coll.Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close(ctx)
	for i := 1; i <= 3; i++ {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	nextEvent(t, first)
	token := first.ResumeToken()
	resumed, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetResumeAfter(token))
	if err != nil {
		t.Fatalf("Watch resumeAfter: %v", err)
	}
	defer resumed.Close(ctx)
	for _, want := range []int32{2, 3} {
		if ev := nextEvent(t, resumed); ev.Lookup("documentKey", "_id").Int32() != want {
			t.Fatalf("resumed event %v, want _id %d", ev, want)
		}
	}
	// A $match after $changeStream filters the events.
	filtered, err := coll.Watch(ctx, mongo.Pipeline{{{Key: "$match", Value: bson.D{{Key: "operationType", Value: "delete"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer filtered.Close(ctx)
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 4}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 4}}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, filtered); opType(ev) != "delete" {
		t.Fatalf("filtered stream returned %v", ev)
	}
}

func TestChangeStream_BadResumeTokens(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("cs").Collection("b")
	for _, tc := range []struct {
		name  string
		token bson.D
		code  int32
	}{
		{"a token that is not hex", bson.D{{Key: "_data", Value: "zz"}}, 9},
		{"a token whose _data is not a string", bson.D{{Key: "_data", Value: 5}}, 40647},
		{"a token without _data", bson.D{{Key: "x", Value: "00"}}, 40647},
		{"an empty token", bson.D{{Key: "_data", Value: ""}}, 40649},
		{"a token of the wrong length", bson.D{{Key: "_data", Value: "00FF"}}, 280},
		// A token of another database's log: mongod cannot find such a token in its oplog either.
		{"a token of another database", bson.D{{Key: "_data", Value: "00000000000000010000000000000005000000000000000500"}}, 280},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetResumeAfter(tc.token))
			var se mongo.ServerError
			if !errors.As(err, &se) || !se.HasErrorCode(int(tc.code)) {
				t.Fatalf("Watch = %v, want code %d", err, tc.code)
			}
		})
	}
}

func TestChangeStream_DriverResumesAfterFailedGetMore(t *testing.T) {
	e := newTestCommandsEnv(t)
	c, log := e.monitoredClient(t, nil)
	ctx := context.Background()
	coll := c.Database("cs").Collection("resume")
	cs, err := coll.Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(ctx)
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, cs)
	err = c.Database("admin").RunCommand(ctx, bson.D{
		{Key: "configureFailPoint", Value: "failGetMoreAfterCursorCheckout"}, {Key: "mode", Value: bson.D{{Key: "times", Value: 1}}},
		{Key: "data", Value: bson.D{{Key: "errorCode", Value: 6}}},
	}).Err()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	// The getMore fails with HostUnreachable labelled ResumableChangeStreamError; the driver opens a new stream
	// after the last token and the event is not lost.
	if ev := nextEvent(t, cs); ev.Lookup("documentKey", "_id").Int32() != 2 {
		t.Fatalf("event after resume %v", ev)
	}
	if n := log.count("aggregate"); n != 2 {
		t.Fatalf("aggregate sent %d times, want 2 (the resume)", n)
	}
}
