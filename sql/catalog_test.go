package sql_test

import (
	"context"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/sql"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestEngine_CatalogChangesOverOtherPaths: the tables a statement looks up
// are cached by the engine, and every catalog change is seen by the next
// statement, whichever path made it: collections dropped, re-created and
// renamed through the embedded API (as the MongoDB port does), tables
// created, altered and dropped over SQL by another Engine on the same
// database.
func TestEngine_CatalogChangesOverOtherPaths(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	coll := db.Database("shop").Collection("items")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	s := sql.NewEngine(db).NewSession("shop", "")
	defer s.Close()
	other := sql.NewEngine(db).NewSession("shop", "")
	defer other.Close()
	steps := []struct {
		name   string
		change func() error
		query  string // run on s, the session that cached
		want   string
	}{
		{"a collection written over the MongoDB port is a table", nil,
			"SELECT a FROM items", "a\nx\nSELECT 1\n"},
		{"dropped through the API, the table is gone", func() error { return coll.Drop(ctx) },
			"SELECT a FROM items", "ERROR 42P01: relation \"items\" does not exist\n"},
		{"re-created by a first write, it is back with its new documents", func() error {
			_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: "y"}})
			return err
		}, "SELECT a FROM items", "a\ny\nSELECT 1\n"},
		{"renamed, the old name is gone", func() error {
			return frontend.RenameCollection(ctx, db, "shop", "items", "shop", "goods", false)
		}, "SELECT a FROM items", "ERROR 42P01: relation \"items\" does not exist\n"},
		{"and the new name is a table", nil, "SELECT a FROM goods", "a\ny\nSELECT 1\n"},
		{"created by CREATE TABLE on another engine, the table has its declared columns", func() error {
			return exec(other, "CREATE TABLE items (id int PRIMARY KEY, a text); INSERT INTO items VALUES (1, 'z')")
		}, "SELECT * FROM items", "id|a\n1|z\nSELECT 1\n"},
		{"altered by another engine, it has the new column", func() error {
			return exec(other, "ALTER TABLE items ADD COLUMN b int")
		}, "SELECT * FROM items", "id|a|b\n1|z|NULL\nSELECT 1\n"},
		{"dropped by another engine, it is gone", func() error {
			return exec(other, "DROP TABLE items")
		}, "SELECT * FROM items", "ERROR 42P01: relation \"items\" does not exist\n"},
		{"re-created by a write over the MongoDB port, it has no declared columns any more", func() error {
			_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "c", Value: "w"}})
			return err
		}, "SELECT * FROM items", "_id|c\n1|w\nSELECT 1\n"},
	}
	for _, step := range steps {
		if step.change != nil {
			if err := step.change(); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if got := run(t, s, step.query); got != step.want {
			t.Fatalf("%s: %s\ngot:\n%s\nwant:\n%s", step.name, step.query, got, step.want)
		}
	}
}

// exec runs statements and returns the first error.
func exec(s *sql.Session, text string) error {
	return s.Query(context.Background(), text, func(*sql.Result) error { return nil })
}
