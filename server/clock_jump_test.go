package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The cluster time of replies never goes back when the wall clock does (an NTP step, an administrator): after
// a step back of an hour, timestamps keep the second they had reached and count up in its increment.
func TestClusterClock_WallClockMovedBack(t *testing.T) {
	ahead := uint32(time.Now().Add(time.Hour).Unix())
	c := clusterClock{secs: ahead, inc: 7} // the last reading was an hour ahead of the wall clock now
	prev := bson.Timestamp{T: ahead, I: 7}
	for range 1000 {
		ts := c.now()
		if ts.T < prev.T || (ts.T == prev.T && ts.I <= prev.I) {
			t.Fatalf("cluster time went from %v to %v", prev, ts)
		}
		if ts.T != ahead {
			t.Fatalf("cluster time %v left the second %d it had reached for the wall clock's", ts, ahead)
		}
		prev = ts
	}
}

// Every duration the server measures (a transaction's expiry, a session's idleness, a cursor's idleness) runs
// on Go's monotonic clock, so that a step of the wall clock neither expires them early nor keeps them alive:
// the times they are measured from carry a monotonic reading. time.Now().UTC(), Round(0) or a time read from
// storage would not, and would make the comparisons wall-clock ones. (Moving the system's wall clock in a test
// would move it for everything on the machine, so no test does.)
func TestSessionsAndCursors_OnMonotonicClock(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("clock").Collection("c")
	for i := range 3 {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	sess := e.startTxn(t)
	if _, err := coll.InsertOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: 10}}); err != nil {
		t.Fatal(err)
	}
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetBatchSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close(ctx)

	monotonic := func(what string, tm time.Time) {
		t.Helper()
		if tm.IsZero() {
			t.Fatalf("%s is not set", what)
		}
		if !strings.Contains(tm.String(), " m=") {
			t.Errorf("%s %v has no monotonic reading", what, tm)
		}
	}
	e.srv.sessions.mu.Lock()
	var inTxn int
	for _, ss := range e.srv.sessions.m {
		monotonic("a session's last use", ss.lastUse)
		if !ss.started.IsZero() {
			inTxn++
			monotonic("a transaction's start", ss.started)
			monotonic("a transaction's expiry", ss.expires)
			if ss.expired(ss.started) || !ss.expired(ss.expires.Add(time.Millisecond)) {
				t.Errorf("a transaction started at %v expiring at %v: expired at its start, or not after its expiry", ss.started, ss.expires)
			}
		}
	}
	e.srv.sessions.mu.Unlock()
	if inTxn != 1 {
		t.Fatalf("%d sessions in a transaction, want 1", inTxn)
	}
	e.srv.cursors.mu.Lock()
	n := len(e.srv.cursors.byID)
	for _, c := range e.srv.cursors.byID {
		monotonic("a cursor's last use", c.lastUsed)
	}
	e.srv.cursors.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d open cursors, want 1", n)
	}
	if err := sess.AbortTransaction(ctx); err != nil {
		t.Fatal(err)
	}
}
