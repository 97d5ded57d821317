package server

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// A collection created inside a transaction is locked until the transaction ends, as in mongod: another
// client's write outside a transaction waits for the commit or abort.
func TestDriver_CollectionCreatedInTxn_OtherWritersWait(t *testing.T) {
	for _, commit := range []bool{true, false} {
		name := map[bool]string{true: "commit", false: "abort"}[commit]
		t.Run(name, func(t *testing.T) {
			e := newCrudEnv(t, "")
			ctx := context.Background()
			coll := e.client.Database("tc").Collection("fresh")
			sess, err := e.client.StartSession()
			if err != nil {
				t.Fatal(err)
			}
			defer sess.EndSession(ctx)
			if err := sess.StartTransaction(); err != nil {
				t.Fatal(err)
			}
			sc := mongo.NewSessionContext(ctx, sess)
			if _, err := coll.InsertOne(sc, bson.D{{Key: "_id", Value: "txn"}}); err != nil {
				t.Fatal(err)
			}
			// A write outside a transaction waits.
			done := make(chan error, 1)
			go func() {
				_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "outside"}})
				done <- err
			}()
			select {
			case err := <-done:
				t.Fatalf("the write outside the transaction did not wait: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			if commit {
				err = sess.CommitTransaction(ctx)
			} else {
				err = sess.AbortTransaction(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("the waiting write: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the waiting write did not resume after the transaction ended")
			}
			cur, err := coll.Find(ctx, bson.D{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for cur.Next(ctx) {
				ids = append(ids, cur.Current.Lookup("_id").StringValue())
			}
			want := map[bool]string{true: "[outside txn]", false: "[outside]"}[commit]
			if got := fmtStrings(ids); got != want {
				t.Fatalf("documents %s, want %s", got, want)
			}
		})
	}
}

// fmtStrings formats ss sorted, as [a b].
func fmtStrings(ss []string) string {
	out := append([]string(nil), ss...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	s := "["
	for i, x := range out {
		if i > 0 {
			s += " "
		}
		s += x
	}
	return s + "]"
}
