package store_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/store"
	"github.com/concorddb/concord/store/storetest"
)

// TestCollection_RoundTrip runs every Collection method once on each backend and checks what it reports.
func TestCollection_RoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := b.Collection("round")
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}); err != nil {
			t.Fatalf("InsertOne: %v", err)
		}
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); !store.IsDuplicateKey(err) {
			t.Fatalf("second InsertOne: %v, want a duplicate key", err)
		}
		if _, err := c.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}, nil); !errors.Is(err, store.ErrNoDocuments) {
			t.Fatalf("FindOne missing: %v, want ErrNoDocuments", err)
		}
		res, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}, nil)
		if err != nil || res.Matched != 1 || res.Modified != 1 {
			t.Fatalf("UpdateOne: %+v, %v", res, err)
		}
		res, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 7}}}}, &store.UpdateOptions{Upsert: true})
		if err != nil || res.Matched != 0 || res.UpsertedID == nil {
			t.Fatalf("upsert: %+v, %v", res, err)
		}
		after, err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}, &store.FindOneAndModifyOptions{ReturnAfter: true})
		if err != nil || after.Lookup("n").AsInt64() != 3 {
			t.Fatalf("FindOneAndUpdate: %v, %v", after, err)
		}
		bres, err := c.BulkWrite(ctx, []store.WriteModel{
			{Op: store.OpReplaceOne, Filter: bson.D{{Key: "_id", Value: 2}}, Document: bson.D{{Key: "n", Value: 8}}},
			{Op: store.OpInsertOne, Document: bson.D{{Key: "_id", Value: 1}}},
			{Op: store.OpDeleteOne, Filter: bson.D{{Key: "_id", Value: 1}}},
		}, &store.BulkOptions{Unordered: true})
		var be *store.BulkError
		if !errors.As(err, &be) || len(be.Errors) != 1 || be.Errors[0].Index != 1 || !store.IsDuplicateKey(err) {
			t.Fatalf("BulkWrite error: %v, want the duplicate key of model 1 only", err)
		}
		if bres.Matched != 1 || bres.Modified != 1 || bres.Deleted != 1 {
			t.Fatalf("BulkWrite result: %+v", bres)
		}
		docs, err := c.Find(ctx, nil, &store.FindOptions{Sort: bson.D{{Key: "_id", Value: 1}}})
		if err != nil || len(docs) != 1 || docs[0].Lookup("n").AsInt64() != 8 {
			t.Fatalf("Find: %v, %v", docs, err)
		}
	})
}

// TestSession_Transaction commits one transaction and aborts another on each backend; a write conflict between
// two transactions is labelled TransientTransactionError on both.
func TestSession_Transaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := b.Collection("txn")
		if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 0}}); err != nil {
			t.Fatal(err)
		}
		s1, err := b.Store.StartSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s1.EndSession(ctx)
		s2, err := b.Store.StartSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.EndSession(ctx)
		inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
		id := bson.D{{Key: "_id", Value: 1}}
		if err := s1.StartTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := s2.StartTransaction(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UpdateOne(s1.Context(ctx), id, inc, nil); err != nil {
			t.Fatalf("first transaction's update: %v", err)
		}
		_, err = c.UpdateOne(s2.Context(ctx), id, inc, nil)
		if !store.IsTransientTransactionError(err) {
			t.Fatalf("second transaction's update: %v, want a TransientTransactionError", err)
		}
		_ = s2.AbortTransaction(ctx)
		if err := s1.CommitTransaction(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		doc, err := c.FindOne(ctx, id, nil)
		if err != nil || doc.Lookup("n").AsInt64() != 1 {
			t.Fatalf("after commit: %v, %v", doc, err)
		}
	})
}

// TestCollection_FindAndModifyFamily runs the rest of the interface on each backend: UpdateMany, the
// find-and-modify family with their options, Find's options, DeleteMany.
func TestCollection_FindAndModifyFamily(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := b.Collection("family")
		for i := range 5 {
			if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % 2}, {Key: "n", Value: i}}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := c.UpdateMany(ctx, bson.D{{Key: "g", Value: 0}}, bson.D{{Key: "$set", Value: bson.D{{Key: "even", Value: true}}}}, nil)
		if err != nil || res.Matched != 3 || res.Modified != 3 {
			t.Fatalf("UpdateMany: %+v, %v", res, err)
		}
		docs, err := c.Find(ctx, bson.D{{Key: "even", Value: true}}, &store.FindOptions{Sort: bson.D{{Key: "n", Value: -1}}, Skip: 1, Limit: 1, Projection: bson.D{{Key: "n", Value: 1}}})
		if err != nil || len(docs) != 1 || docs[0].String() != `{"_id": {"$numberInt":"2"},"n": {"$numberInt":"2"}}` {
			t.Fatalf("Find with options: %v, %v", docs, err)
		}
		before, err := c.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "n", Value: 10}}, &store.FindOneAndModifyOptions{Projection: bson.D{{Key: "n", Value: 1}}})
		if err != nil || before.Lookup("n").Int32() != 1 {
			t.Fatalf("FindOneAndReplace: %v, %v", before, err)
		}
		after, err := c.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: 9}}, bson.D{{Key: "n", Value: 9}}, &store.FindOneAndModifyOptions{Upsert: true, ReturnAfter: true})
		if err != nil || after.Lookup("n").Int32() != 9 {
			t.Fatalf("FindOneAndReplace upsert: %v, %v", after, err)
		}
		gone, err := c.FindOneAndDelete(ctx, bson.D{{Key: "g", Value: 1}}, &store.FindOneAndModifyOptions{Sort: bson.D{{Key: "n", Value: -1}}})
		if err != nil || gone.Lookup("_id").Int32() != 3 { // 1 lost its g to the replacement
			t.Fatalf("FindOneAndDelete by the highest n: %v, %v", gone, err)
		}
		if _, err := c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 42}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}, nil); !errors.Is(err, store.ErrNoDocuments) {
			t.Fatalf("FindOneAndUpdate of nothing: %v, want ErrNoDocuments", err)
		}
		n, err := c.DeleteMany(ctx, nil)
		if err != nil || n != 5 {
			t.Fatalf("DeleteMany: %d, %v", n, err)
		}
	})
}
