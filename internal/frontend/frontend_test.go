package frontend_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/frontend"
)

// openTest opens an in-memory DB closed at the end of the test.
func openTest(t *testing.T) *concord.DB {
	t.Helper()
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCountCommand_CountGetMore(t *testing.T) {
	db := openTest(t)
	before := db.Metrics()
	frontend.CountCommand(db)
	frontend.CountCommand(db)
	frontend.CountGetMore(db)
	after := db.Metrics()
	if got := after.Opcounters.Command - before.Opcounters.Command; got != 2 {
		t.Errorf("opcounters.command grew by %d, want 2", got)
	}
	if got := after.Opcounters.Getmore - before.Opcounters.Getmore; got != 1 {
		t.Errorf("opcounters.getmore grew by %d, want 1", got)
	}
}

func TestWithoutMetrics_LeavesCountersAlone(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	before := db.Metrics()
	var st concord.OpStats
	uctx := concord.WithOpStats(frontend.WithoutMetrics(ctx), &st)
	if _, err := coll.InsertOne(uctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	after := db.Metrics()
	if after.Opcounters != before.Opcounters || after.Document != before.Document {
		t.Errorf("an uncounted insert changed the metrics: %+v -> %+v", before, after)
	}
	if st.NInserted != 1 {
		t.Errorf("OpStats.NInserted = %d, want 1: the operation's own statistics are still kept", st.NInserted)
	}
	if n, err := coll.CountDocuments(ctx, nil); err != nil || n != 1 {
		t.Fatalf("CountDocuments = %d, %v; want the uncounted insert applied", n, err)
	}
}

func TestSessionRecord_StoredWithTheCommitAndPruned(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	id := [16]byte{1}
	if rec, err := frontend.SessionRecord(db, id); err != nil || rec != nil {
		t.Fatalf("SessionRecord before any commit = %x, %v; want nil, nil", rec, err)
	}
	value, _ := bson.Marshal(bson.D{{Key: "txnNumber", Value: int64(3)}})
	sess, err := db.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(concord.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := sess.CommitTransaction(frontend.WithSessionRecord(ctx, id, value)); err != nil {
		t.Fatal(err)
	}
	rec, err := frontend.SessionRecord(db, id)
	if err != nil || !bytes.Equal(rec, value) {
		t.Fatalf("SessionRecord = %v, %v; want %v", bson.Raw(rec), err, bson.Raw(value))
	}

	keep := func([16]byte, []byte) bool { return false }
	if n, err := frontend.PruneSessionRecords(db, keep); err != nil || n != 0 {
		t.Fatalf("PruneSessionRecords(none expired) = %d, %v; want 0, nil", n, err)
	}
	var judged [][16]byte
	all := func(id [16]byte, _ []byte) bool { judged = append(judged, id); return true }
	if n, err := frontend.PruneSessionRecords(db, all); err != nil || n != 1 {
		t.Fatalf("PruneSessionRecords(all expired) = %d, %v; want 1, nil", n, err)
	}
	if len(judged) == 0 || judged[0] != id {
		t.Fatalf("expired was asked about %x, want %x", judged, id)
	}
	if rec, err := frontend.SessionRecord(db, id); err != nil || rec != nil {
		t.Fatalf("SessionRecord after pruning = %x, %v; want nil, nil", rec, err)
	}
}

func TestSessionRecord_AfterClose(t *testing.T) {
	db := openTest(t)
	db.Close()
	if _, err := frontend.SessionRecord(db, [16]byte{}); !errors.Is(err, concord.ErrClosed) {
		t.Errorf("SessionRecord after Close: %v, want ErrClosed", err)
	}
	if _, err := frontend.PruneSessionRecords(db, func([16]byte, []byte) bool { return true }); !errors.Is(err, concord.ErrClosed) {
		t.Errorf("PruneSessionRecords after Close: %v, want ErrClosed", err)
	}
}
