package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

func TestChangeFeed_CommitOrderAndHistoryLost(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 0}}) // before the watch: in the log
	s, err := e.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}})
	if _, err := update(e, nil, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.DropCollection(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	got, err := s.Changes(s.Start, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d changes, want 4 (two inserts, an update, a drop): %+v", len(got), got)
	}
	// Before the watch began: from the log, the collection's creation then the first insert.
	early, err := s.Changes(0, 10)
	if err != nil || len(early) < 2 || early[0].Kind != engine.ChangeCreate || early[1].Kind != engine.ChangeWrite || early[1].Seq != s.Start {
		t.Fatalf("Changes(0) = %+v, %v; want the create and the first insert, ending at Start %d", early, err, s.Start)
	}
	for i, c := range got {
		if i > 0 && c.Seq <= got[i-1].Seq {
			t.Fatalf("change %d: Seq %d not after %d", i, c.Seq, got[i-1].Seq)
		}
	}
	if got[0].Ts != got[1].Ts {
		t.Fatalf("the two documents of one insert committed at %d and %d, want one timestamp", got[0].Ts, got[1].Ts)
	}
	if got[0].Before != nil || got[0].After == nil || got[2].Before == nil || got[2].Replaced {
		t.Fatalf("insert %+v / update %+v: wrong versions", got[0], got[2])
	}
	if got[3].Kind != engine.ChangeDrop || got[3].NS != ns {
		t.Fatalf("last change %+v, want the drop of %v", got[3], ns)
	}
	// After the last change: nothing yet. Pruned: history lost.
	if more, err := s.Changes(got[3].Seq, 10); err != nil || len(more) != 0 {
		t.Fatalf("Changes after the last = %v, %v", more, err)
	}
	wantCode(t, s.Check(got[3].Seq+5), codes.ChangeStreamFatalError)
	if err := e.PruneChangeLog(time.Now().Add(48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Changes(0, 10)
	wantCode(t, err, codes.ChangeStreamHistoryLost)
	wantCode(t, s.Check(0), codes.ChangeStreamHistoryLost)
	if err := s.Check(got[3].Seq); err != nil {
		t.Fatalf("the last change's position after pruning everything: %v", err)
	}
}

// The change log outlives the engine: changes written before a restart are read after it, with their Seq,
// and new changes continue the numbering.
func TestChangeFeed_SurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}})
	if err := e.RenameCollection(context.Background(), ns, engine.Namespace{DB: "test", Coll: "d"}, false); err != nil {
		t.Fatal(err)
	}
	s, err := e.Watch()
	if err != nil {
		t.Fatal(err)
	}
	last := s.Start
	s.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	mustInsert(t, e, bson.D{{Key: "_id", Value: 2}})
	s, err = e.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Changes(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []engine.ChangeKind{engine.ChangeCreate, engine.ChangeWrite, engine.ChangeRename, engine.ChangeCreate, engine.ChangeWrite}
	if len(got) != len(kinds) {
		t.Fatalf("%d changes after the restart, want %d: %+v", len(got), len(kinds), got)
	}
	for i, k := range kinds {
		if got[i].Kind != k {
			t.Fatalf("change %d is kind %d, want %d", i, got[i].Kind, k)
		}
	}
	if got[2].Seq != last || got[2].To.Coll != "d" || got[3].Seq <= last {
		t.Fatalf("rename %+v (want Seq %d, to d), then %+v after it", got[2], last, got[3])
	}
	if id := got[4].ID.Int32(); id != 2 || got[1].After.Lookup("_id").Int32() != 1 {
		t.Fatalf("documents %v and %v", got[1].After, got[4].ID)
	}
}

// The log keeps no more than ChangeLogBytes: the pruner deletes the oldest changes, and resuming before them
// is history lost.
func TestChangeFeed_RetentionBySize(t *testing.T) {
	e := openMem(t, engine.Options{ChangeLogBytes: 4 << 10})
	s, err := e.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := s.Start
	for i := 0; i < 200; i++ {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("x", 100)}})
	}
	if err := e.PruneChangeLog(time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = s.Changes(start, 10)
	wantCode(t, err, codes.ChangeStreamHistoryLost)
	// The newest changes are kept, in memory and in the log.
	last := s.LastSeq()
	got, err := s.Changes(last-5, 10)
	if err != nil || len(got) != 5 {
		t.Fatalf("Changes(last-5) = %d changes, %v", len(got), err)
	}
}

// Concurrent writers, a reader following the feed and the pruner running all the time: the reader sees every
// write exactly once, in Seq order, and a transaction's writes consecutively with one timestamp.
func TestChangeFeed_ConcurrentWritersReaderAndPruner(t *testing.T) {
	e := openMem(t, engine.Options{ChangeLogBytes: 64 << 20})
	s, err := e.Watch()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Two documents in one insert: one commit.
				mustInsert(t, e, bson.D{{Key: "_id", Value: w*1000 + 2*i}}, bson.D{{Key: "_id", Value: w*1000 + 2*i + 1}})
			}
		}(w)
	}
	stop := make(chan struct{})
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		for {
			select {
			case <-stop:
				return
			default:
				_ = e.PruneChangeLog(time.Now())
			}
		}
	}()
	seen := map[int32]bool{}
	after := s.Start
	var last engine.Change
	for len(seen) < writers*each*2 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.Wait(ctx, after)
		cancel()
		if err != nil {
			t.Fatalf("after %d writes: %v", len(seen), err)
		}
		got, err := s.Changes(after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range got {
			if c.Seq <= after {
				t.Fatalf("Seq %d after %d", c.Seq, after)
			}
			after = c.Seq
			if c.Kind != engine.ChangeWrite {
				continue
			}
			id := c.ID.Int32()
			if seen[id] {
				t.Fatalf("document %d seen twice", id)
			}
			seen[id] = true
			if id%2 == 1 && (last.ID.Int32() != id-1 || last.Ts != c.Ts || last.Seq != c.Seq-1) {
				t.Fatalf("document %d (Seq %d, Ts %d) not right after %d (Seq %d, Ts %d) of its commit", id, c.Seq, c.Ts, last.ID.Int32(), last.Seq, last.Ts)
			}
			last = c
		}
	}
	wg.Wait()
	close(stop)
	<-pruned
}
