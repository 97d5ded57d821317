package occ_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

// newCollection returns a versioned collection of b with its own metrics.
func newCollection(t *testing.T, b *storetest.Backend, name string, opts *occ.Options) *occ.Collection {
	t.Helper()
	var o occ.Options
	if opts != nil {
		o = *opts
	}
	if o.Metrics == nil {
		o.Metrics = &occ.Metrics{}
	}
	return occ.New(b.Store, b.Database, name, &o)
}

func id(v any) bson.D { return bson.D{{Key: "_id", Value: v}} }

func set(k string, v any) bson.D { return bson.D{{Key: "$set", Value: bson.D{{Key: k, Value: v}}}} }

// TestCollection_EveryWritePathChecksTheVersion runs each versioned write with a stale version and with a
// missing _id: the first is a *ConflictError carrying the expected and current versions and the document is
// untouched; the second is ErrNotFound and not a conflict.
func TestCollection_EveryWritePathChecksTheVersion(t *testing.T) {
	paths := []struct {
		name  string
		write func(ctx context.Context, c *occ.Collection, id any, version int64) error
	}{
		{"UpdateOne", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			_, err := c.UpdateOne(ctx, id, v, set("n", 99))
			return err
		}},
		{"ReplaceOne", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			_, err := c.ReplaceOne(ctx, id, v, bson.D{{Key: "n", Value: 99}})
			return err
		}},
		{"FindOneAndUpdate", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			_, _, err := c.FindOneAndUpdate(ctx, id, v, set("n", 99))
			return err
		}},
		{"DeleteOne", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			_, err := c.DeleteOne(ctx, id, v)
			return err
		}},
		{"Upsert", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			_, err := c.Upsert(ctx, id, v, set("n", 99))
			return err
		}},
		{"Touch", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			_, err := c.Touch(ctx, id, v)
			return err
		}},
		{"Modify", func(ctx context.Context, c *occ.Collection, id any, v int64) error {
			// Modify reads the version itself: make it stale by moving the document inside fn.
			_, err := occ.Modify(ctx, c, id, func(d *bson.M) error {
				if _, err := c.UpdateOne(ctx, id, (*d)["version"].(int64), set("other", 1)); err != nil {
					return err
				}
				(*d)["n"] = int32(99)
				return nil
			})
			return err
		}},
	}
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		for _, p := range paths {
			t.Run(p.name, func(t *testing.T) {
				c := newCollection(t, b, "paths_"+p.name, &occ.Options{Retry: occ.NoRetry})
				if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 1}}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.UpdateOne(ctx, 1, 1, set("n", 2)); err != nil {
					t.Fatal(err)
				}
				err := p.write(ctx, c, 1, 1)
				var ce *occ.ConflictError
				if !errors.As(err, &ce) || !errors.Is(err, occ.ErrConflict) || errors.Is(err, occ.ErrNotFound) {
					t.Fatalf("stale write: %v, want a *ConflictError only", err)
				}
				wantCurrent := int64(2)
				if p.name == "Modify" {
					ce.Expected, wantCurrent = 1, 3
				}
				if ce.Expected != 1 || ce.Current != wantCurrent || ce.ID != 1 || ce.Collection != c.Namespace() {
					t.Errorf("conflict %+v, want expected 1, current %d, _id 1 in %s", ce, wantCurrent, c.Namespace())
				}
				doc, _, err := c.FindByID(ctx, 1)
				if err != nil || doc.Lookup("n").Int32() != 2 {
					t.Errorf("after the stale write the document is %v (%v), want n: 2 untouched", doc, err)
				}
				if p.name == "Upsert" {
					return // an upsert of a missing _id creates it
				}
				err = p.write(ctx, c, 2, 1)
				if !errors.Is(err, occ.ErrNotFound) || errors.Is(err, occ.ErrConflict) {
					t.Errorf("write to a missing _id: %v, want ErrNotFound only", err)
				}
				if got := c.Metrics().Collection(c.Namespace()).Conflicts; got != 1 {
					t.Errorf("conflicts counted %d, want 1", got)
				}
			})
		}
	})
}

// TestCollection_Insert: an insert writes version 1; inserting an existing _id is a conflict carrying the
// current version, not a duplicate-key error; a versioned upsert with expected 0 behaves the same.
func TestCollection_Insert(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		c := newCollection(t, b, "insert", &occ.Options{VersionField: "__v"})
		res, err := c.Insert(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: 1}})
		if err != nil || res.NewVersion != 1 {
			t.Fatalf("Insert: %+v, %v", res, err)
		}
		if _, err := c.UpdateOne(ctx, "a", 1, set("n", 2)); err != nil {
			t.Fatal(err)
		}
		_, err = c.Insert(ctx, bson.D{{Key: "_id", Value: "a"}})
		var ce *occ.ConflictError
		if !errors.As(err, &ce) || ce.Expected != 0 || ce.Current != 2 {
			t.Fatalf("second Insert: %v, want a conflict with current version 2", err)
		}
		_, err = c.Upsert(ctx, "a", 0, set("n", 3))
		if !errors.As(err, &ce) || ce.Current != 2 {
			t.Fatalf("Upsert of an existing _id with expected 0: %v, want a conflict", err)
		}
		res, err = c.Upsert(ctx, "b", 0, set("n", 3))
		if err != nil || res.NewVersion != 1 {
			t.Fatalf("Upsert of a new _id: %+v, %v", res, err)
		}
		doc, v, err := c.FindByID(ctx, "b")
		if err != nil || v != 1 || doc.Lookup("n").Int32() != 3 {
			t.Fatalf("upserted document %v version %d (%v)", doc, v, err)
		}
		res, err = c.Insert(ctx, bson.D{{Key: "n", Value: 1}})
		if err != nil || res.NewVersion != 1 {
			t.Fatalf("Insert without _id: %+v, %v", res, err)
		}
	})
}

// TestCollection_Audit: the stamps are written on insert and moved on update, with the context's user.
func TestCollection_Audit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		c := newCollection(t, b, "audit", &occ.Options{Audit: true, Now: func() time.Time { return clock }})
		ctx := occ.WithUser(context.Background(), "ada")
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
		if _, err := c.UpdateOne(occ.WithUser(context.Background(), "bob"), 1, 1, set("n", 1)); err != nil {
			t.Fatal(err)
		}
		doc, _, err := c.FindByID(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := doc.Lookup("createdAt").Time(); !got.Equal(clock.Add(-time.Hour)) {
			t.Errorf("createdAt %v", got)
		}
		if got := doc.Lookup("lastModified").Time(); !got.Equal(clock) {
			t.Errorf("lastModified %v", got)
		}
		if doc.Lookup("createdBy").StringValue() != "ada" || doc.Lookup("modifiedBy").StringValue() != "bob" {
			t.Errorf("stamps %v", doc)
		}
	})
}
