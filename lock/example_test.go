package lock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/lock"
	"github.com/concorddb/concord/store"
)

// A holder paused past its lease writes with a stale token and is refused; the new holder's write stays.
func Example() {
	db, err := concord.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	st := store.Embedded(db)
	ctx := context.Background()
	files := st.Collection("app", "files")
	_, _ = files.InsertOne(ctx, bson.D{{Key: "_id", Value: "report"}})
	guard := &lock.Guard{C: files}
	save := func(ls *lock.Lease, text string) error {
		_, err := guard.UpdateOne(ctx, ls.Token(), bson.D{{Key: "_id", Value: "report"}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "text", Value: text}}}}, nil)
		return err
	}

	a := lock.New(st, "app", "locks", &lock.Options{Owner: "A"})
	b := lock.New(st, "app", "locks", &lock.Options{Owner: "B"})
	la, _ := a.Acquire(ctx, "report", 50*time.Millisecond, time.Second)
	time.Sleep(100 * time.Millisecond) // A stalls past its TTL
	lb, _ := b.Acquire(ctx, "report", time.Minute, time.Second)
	fmt.Println("B's token is larger:", lb.Token() > la.Token())
	fmt.Println("B saves:", save(lb, "from B"))
	fmt.Println("A saves:", errors.Is(save(la, "from A"), lock.ErrFenced))
	fmt.Println("A releases:", la.Release(ctx))
	fmt.Println("B releases:", lb.Release(ctx))
	// Output:
	// B's token is larger: true
	// B saves: <nil>
	// A saves: true
	// A releases: lock: lease lost
	// B releases: <nil>
}
