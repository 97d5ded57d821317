package concord_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// TestDatabase_CollectionOptions_SurviveRestart creates a validated collection and a view, reopens the database
// and checks that the validator still refuses a bad document (with its errInfo) and the view still reads through
// its pipeline.
func TestDatabase_CollectionOptions_SurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	validator, _ := bson.Marshal(bson.D{{Key: "$jsonSchema", Value: bson.D{{Key: "required", Value: bson.A{"name"}}}}})
	pipeline, _ := bson.Marshal(bson.D{{Key: "0", Value: bson.D{{Key: "$match", Value: bson.D{{Key: "name", Value: "b"}}}}}})
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := db.Database("app")
	if err := d.CreateCollection(ctx, "people", concord.CollectionOptions{Validator: validator, ValidationLevel: "moderate"}); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateCollection(ctx, "bs", concord.CollectionOptions{ViewOn: "people", Pipeline: pipeline}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Collection("people").InsertMany(ctx, []any{bson.D{{Key: "name", Value: "a"}}, bson.D{{Key: "name", Value: "b"}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d = db.Database("app")
	_, err = d.Collection("people").InsertOne(ctx, bson.D{{Key: "_id", Value: 7}, {Key: "other", Value: 1}})
	var ce *concord.Error
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Fatalf("insert after restart: %v, want DocumentValidationFailure", err)
	}
	if ce.ErrInfo == nil || ce.ErrInfo[0].Key != "failingDocumentId" || ce.ErrInfo[0].Value != int32(7) {
		t.Fatalf("errInfo %v", ce.ErrInfo)
	}
	specs, err := d.ListCollectionSpecifications(ctx, nil)
	if err != nil || len(specs) != 2 {
		t.Fatalf("specs %v %v", specs, err)
	}
	if specs[0].Name != "bs" || specs[0].Type != "view" || specs[0].Options.ViewOn != "people" {
		t.Fatalf("view after restart: %+v", specs[0])
	}
	if specs[1].Options.ValidationLevel != "moderate" || len(specs[1].Options.Validator) == 0 {
		t.Fatalf("collection after restart: %+v", specs[1])
	}
	n, err := d.Collection("bs").CountDocuments(ctx, nil)
	if err != nil || n != 1 {
		t.Fatalf("count on the view after restart: %d %v", n, err)
	}
}

// TestDatabase_ModifyCollection_RacesWithWrites sets a validator while writers insert documents that break it:
// every insert that starts after ModifyCollection has returned must be refused (121), whichever catalog version
// it first wrote through, and every document the collection holds that breaks the validator was acknowledged
// before ModifyCollection returned.
func TestDatabase_ModifyCollection_RacesWithWrites(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	d := db.Database("race")
	if err := d.CreateCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	coll := d.Collection("c")
	validator, _ := bson.Marshal(bson.D{{Key: "ok", Value: true}})
	var (
		set      atomic.Bool
		mu       sync.Mutex
		accepted []int // ids acknowledged while the validator was not yet known to be set
		late     []int // ids acknowledged although their insert started after the validator was set
		wg       sync.WaitGroup
	)
	const writers, perWriter = 4, 200
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				id := w*perWriter + i
				after := set.Load()
				_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "ok", Value: false}})
				var ce *concord.Error
				switch {
				case err == nil && after:
					mu.Lock()
					late = append(late, id)
					mu.Unlock()
				case err == nil:
					mu.Lock()
					accepted = append(accepted, id)
					mu.Unlock()
				case !errors.As(err, &ce) || ce.Code != 121:
					t.Errorf("insert %d: %v", id, err)
				}
			}
		}(w)
	}
	time.Sleep(2 * time.Millisecond)
	if err := d.ModifyCollection(ctx, "c", func(o *concord.CollectionOptions) error {
		o.Validator = validator
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	set.Store(true)
	wg.Wait()
	if len(late) > 0 {
		t.Fatalf("%d inserts started after the validator was set were accepted: %v", len(late), late)
	}
	n, err := coll.CountDocuments(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(accepted)) {
		t.Fatalf("the collection holds %d documents, %d were acknowledged", n, len(accepted))
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "ok", Value: true}}); err != nil {
		t.Fatalf("a conforming insert: %v", err)
	}
}

// TestDatabase_RenameCollection renames a validated, indexed collection: its documents, unique index and
// validator go with it, the old name is empty, a missing source is NamespaceNotFound (26) and an existing target
// NamespaceExists (48).
func TestDatabase_RenameCollection(t *testing.T) {
	ctx := context.Background()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := db.Database("app")
	validator, _ := bson.Marshal(bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: 0}}}})
	if err := d.CreateCollection(ctx, "a", concord.CollectionOptions{Validator: validator}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Collection("a").CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "u", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Collection("a").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}, {Key: "u", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := d.RenameCollection(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Collection("a").CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("old name holds %d documents (%v)", n, err)
	}
	b := d.Collection("b")
	if n, err := b.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("new name holds %d documents (%v)", n, err)
	}
	if _, err := b.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: -1}}); codeOf(err) != 121 {
		t.Fatalf("a document the validator refuses: %v, want DocumentValidationFailure", err)
	}
	if _, err := b.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: 1}, {Key: "u", Value: "x"}}); !concord.IsDuplicateKey(err) {
		t.Fatalf("a duplicate of the unique index: %v, want DuplicateKey", err)
	}
	if err := d.RenameCollection(ctx, "nosuch", "c"); codeOf(err) != 26 {
		t.Fatalf("missing source: %v, want NamespaceNotFound", err)
	}
	if err := d.CreateCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if err := d.RenameCollection(ctx, "b", "c"); codeOf(err) != 48 {
		t.Fatalf("existing target: %v, want NamespaceExists", err)
	}
}
