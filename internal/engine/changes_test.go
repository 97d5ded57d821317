package engine_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

func TestChangeFeed_CommitOrderAndHistoryLost(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 0}}) // before the watch: never in the feed
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
	// After the last change: nothing yet. Before the watch began: not all recorded.
	if more, err := s.Changes(got[3].Seq, 10); err != nil || len(more) != 0 {
		t.Fatalf("Changes after the last = %v, %v", more, err)
	}
	_, err = s.Changes(s.Start-1, 10)
	wantCode(t, err, codes.ChangeStreamHistoryLost)
}
