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

// TestStatement_PlanFollowsTheCatalog: the translation an UPDATE recorded
// over a table is reused by every session running the same text while the
// table stays the same, and recorded again when the table changes: here a
// declared table whose id is the document's _id is replaced by a
// collection whose id is an ordinary field. Parameters are evaluated anew
// on every run (NULL included).
func TestStatement_PlanFollowsTheCatalog(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	e := sql.NewEngine(db)
	s1, s2 := e.NewSession("shop", ""), e.NewSession("shop", "")
	defer s1.Close()
	defer s2.Close()
	const upd = "UPDATE t SET n = n + 1 WHERE id = 1"
	for _, step := range []struct {
		s     *sql.Session
		query string
		want  string
	}{
		{s1, "CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0), (2, 0)", "CREATE TABLE\nINSERT 0 2\n"},
		{s1, upd, "UPDATE 1\n"},
		{s2, upd, "UPDATE 1\n"},
		{s2, "SELECT id, n FROM t ORDER BY id", "id|n\n1|2\n2|0\nSELECT 2\n"},
		{s1, "DROP TABLE t", "DROP TABLE\n"},
	} {
		if got := run(t, step.s, step.query); got != step.want {
			t.Fatalf("%s\ngot:\n%s\nwant:\n%s", step.query, got, step.want)
		}
	}
	// Over the MongoDB port: _id 1 is not the row with id 1.
	coll := db.Database("shop").Collection("t")
	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "id", Value: 2}, {Key: "n", Value: 10}},
		bson.D{{Key: "_id", Value: 2}, {Key: "id", Value: 1}, {Key: "n", Value: 20}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := run(t, s2, upd); got != "UPDATE 1\n" {
		t.Fatalf("%s over the collection: %s", upd, got)
	}
	if got := run(t, s1, "SELECT _id, n FROM t ORDER BY _id"); got != "_id|n\n1|10\n2|21\nSELECT 2\n" {
		t.Fatalf("after the update over the collection:\n%s", got)
	}
	// A prepared statement's parameters, NULL among them.
	st, err := s1.Prepare(ctx, "UPDATE t SET n = n + $1 WHERE id = $2", []uint32{sql.OIDInt8, sql.OIDInt8})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]any{{"5", "2"}, {"7", "2"}, {nil, "1"}} {
		if _, err := s1.Execute(ctx, st, p); err != nil {
			t.Fatal(err)
		}
	}
	if got := run(t, s1, "SELECT _id, n FROM t ORDER BY _id"); got != "_id|n\n1|22\n2|NULL\nSELECT 2\n" {
		t.Fatalf("after the prepared updates:\n%s", got)
	}
}

// TestStatement_PlanSharedConcurrently: sessions running the same UPDATE
// text at once share its parse tree and plan; no increment is lost (run
// with -race).
func TestStatement_PlanSharedConcurrently(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := sql.NewEngine(db)
	setup := e.NewSession("test", "")
	defer setup.Close()
	if err := exec(setup, "CREATE TABLE c (id int PRIMARY KEY, n int); INSERT INTO c VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	const clients, each = 8, 50
	errs := make(chan error, clients)
	for range clients {
		go func() {
			s := e.NewSession("test", "")
			defer s.Close()
			st, err := s.Prepare(context.Background(), "UPDATE c SET n = n + $1 WHERE id = $2", nil)
			for i := 0; i < each && err == nil; i++ {
				_, err = s.Execute(context.Background(), st, []any{"1", "1"})
			}
			errs <- err
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got, want := run(t, setup, "SELECT n FROM c"), "n\n400\nSELECT 1\n"; got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
