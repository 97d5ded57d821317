package engine_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// conflictOn makes one transaction's update of _id id fail with
// WriteConflict: a first transaction owns the document, a second writes it,
// then both abort.
func conflictOn(t *testing.T, e *engine.Engine, id int) {
	t.Helper()
	a, b := e.Begin(), e.Begin()
	if _, err := update(e, a, bson.D{{Key: "_id", Value: id}}, incV); err != nil {
		t.Fatal(err)
	}
	_, err := update(e, b, bson.D{{Key: "_id", Value: id}}, incV)
	wantCode(t, err, codes.WriteConflict)
	a.Abort()
	b.Abort()
}

func TestContention_TransactionConflictCountedOnce(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 7}, {Key: "v", Value: 0}})
	before := e.Metrics().WriteConflicts
	conflictOn(t, e, 7)
	if got := e.Metrics().WriteConflicts - before; got != 1 {
		t.Fatalf("writeConflicts grew by %d, want 1", got)
	}
	if got := e.Contention().WriteConflictsByCollection[ns]; got != 1 {
		t.Fatalf("conflicts of %s: %d, want 1", ns, got)
	}
	hot := e.HotDocuments(5)
	if len(hot) != 1 || hot[0].Namespace != ns || hot[0].TotalConflicts != 1 || hot[0].TotalWaits != 0 {
		t.Fatalf("hot documents %+v", hot)
	}
	if id, ok := hot[0].ID.AsInt64OK(); !ok || id != 7 {
		t.Fatalf("hot document _id %v, want 7", hot[0].ID)
	}
}

func TestContention_WaitTimed(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, incV)
		done <- err
	}()
	// The waiter notes its wait just before it starts waiting: hold the document from then on.
	eventually(t, "the waiter to wait", func() bool {
		h := e.HotDocuments(1)
		return len(h) == 1 && h[0].TotalWaits == 1
	})
	const hold = 50 * time.Millisecond
	time.Sleep(hold)
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	c := e.Contention()
	if c.WriteWaits != 1 || c.WriteWaitTime.Count != 1 {
		t.Fatalf("waits %d, histogram count %d; want 1 and 1", c.WriteWaits, c.WriteWaitTime.Count)
	}
	// A few milliseconds may pass between the note and the start of the timed wait (the unit's commit).
	if c.WriteWaitTime.Sum < hold-10*time.Millisecond {
		t.Fatalf("wait time %v, shorter than the %v the transaction held the document", c.WriteWaitTime.Sum, hold)
	}
	if got := e.Metrics().WriteConflicts; got != 1 || c.WriteConflictsByCollection[ns] != 1 {
		t.Fatalf("writeConflicts %d, of %s %d; want 1 and 1", got, ns, c.WriteConflictsByCollection[ns])
	}
	hot := e.HotDocuments(1)
	if len(hot) != 1 || hot[0].TotalWaits != 1 || hot[0].TotalConflicts != 0 {
		t.Fatalf("hot documents %+v", hot)
	}
	if c.CommitTime.Count < 3 { // the insert, the transaction, the waiter
		t.Fatalf("commit histogram counted %d commits", c.CommitTime.Count)
	}
}

func TestHotDocuments_SkewedNamesTheHotDocumentFirst(t *testing.T) {
	e := openMem(t, engine.Options{})
	for i := 0; i < 300; i++ {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}})
	}
	// _id 0 takes a conflict after every 10 on others; 200 others take one or two each.
	for i := 1; i <= 300; i++ {
		conflictOn(t, e, 1+i%200)
		if i%10 == 0 {
			conflictOn(t, e, 0)
		}
	}
	hot := e.HotDocuments(3)
	if len(hot) == 0 {
		t.Fatal("no hot documents")
	}
	if id, _ := hot[0].ID.AsInt64OK(); id != 0 || hot[0].TotalConflicts != 30 {
		t.Fatalf("hottest %v with %d conflicts, want _id 0 with 30; top %+v", hot[0].ID, hot[0].TotalConflicts, hot)
	}
}

func TestHotDocuments_UniformStaysBounded(t *testing.T) {
	e := openMem(t, engine.Options{})
	const n = 500
	for i := 0; i < n; i++ {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}})
	}
	for i := 0; i < n; i++ {
		conflictOn(t, e, i)
	}
	hot := e.HotDocuments(n)
	if len(hot) == 0 || len(hot) > 64 {
		t.Fatalf("%d hot documents tracked after %d distinct keys; the bound is 64", len(hot), n)
	}
	if got := e.Contention().WriteConflictsByCollection[ns]; got != n {
		t.Fatalf("conflicts %d, want %d", got, n)
	}
}

func TestContention_TrackingOff(t *testing.T) {
	e := openMem(t, engine.Options{})
	e.SetContentionTracking(false)
	mustInsert(t, e, bson.D{{Key: "_id", Value: 7}, {Key: "v", Value: 0}})
	conflictOn(t, e, 7)
	c := e.Contention()
	if c.CommitTime.Count != 0 || len(e.HotDocuments(5)) != 0 {
		t.Fatalf("tracking off, yet %d commits timed and hot documents %+v", c.CommitTime.Count, e.HotDocuments(5))
	}
	if got := e.Metrics().WriteConflicts; got != 1 {
		t.Fatalf("writeConflicts %d with tracking off, want 1 (counted either way)", got)
	}
	e.SetContentionTracking(true)
	conflictOn(t, e, 7)
	if len(e.HotDocuments(5)) != 1 {
		t.Fatal("tracking back on, yet no hot document")
	}
}
