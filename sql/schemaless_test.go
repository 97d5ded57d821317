package sql_test

import (
	"context"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestSession_CollectionWrittenOverMongoDB: a collection no CREATE TABLE
// declared is a table of its documents' fields, nested fields and array
// elements included.
func TestSession_CollectionWrittenOverMongoDB(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	oid, _ := bson.ObjectIDFromHex("65a1b2c3d4e5f60718293a4b")
	_, err = db.Database("shop").Collection("users").InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: oid}, {Key: "name", Value: "ann"}, {Key: "age", Value: int32(31)},
			{Key: "address", Value: bson.D{{Key: "city", Value: "Oslo"}}}, {Key: "items", Value: bson.A{"a", "b"}}},
		bson.D{{Key: "_id", Value: 2}, {Key: "name", Value: "bo"}, {Key: "extra", Value: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := sql.NewEngine(db).NewSession("shop", "")
	defer s.Close()
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM users WHERE name = 'ann'", "_id|name|age|address|items\n65a1b2c3d4e5f60718293a4b|ann|31|{\"city\": \"Oslo\"}|{a,b}\nSELECT 1\n"},
		{"SELECT name, extra FROM users ORDER BY name", "name|extra\nann|NULL\nbo|t\nSELECT 2\n"},
		{"SELECT address.city, \"address.city\", address->>'city', items[2] FROM users WHERE age > 30", "city|address.city|?column?|items\nOslo|Oslo|Oslo|b\nSELECT 1\n"},
		{"SELECT name FROM users WHERE address.city = 'Oslo'", "name\nann\nSELECT 1\n"},
		{"UPDATE users SET age = age + 1 WHERE name = 'ann' RETURNING age", "age\n32\nUPDATE 1\n"},
		{"SELECT count(*) FROM users WHERE nosuchfield IS NULL", "count\n2\nSELECT 1\n"},
		// A schemaless table's whole row is its document, as jsonb.
		{"SELECT to_jsonb(u) ->> 'extra', u.name FROM users u WHERE u.name = 'bo'", "?column?|name\ntrue|bo\nSELECT 1\n"},
	} {
		if got := run(t, s, c.in); got != c.want {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", c.in, got, c.want)
		}
	}
	// The update kept the field's BSON type (int32 stays a number $inc'ed).
	raw, err := db.Database("shop").Collection("users").FindOne(ctx, bson.D{{Key: "_id", Value: oid}}).Raw()
	if err != nil || raw.Lookup("age").Type != bson.TypeInt32 && raw.Lookup("age").Type != bson.TypeInt64 {
		t.Fatalf("age after UPDATE: %v %v", raw, err)
	}
}

// TestSession_CorrelatedSubqueryOverSchemaless: a subquery over a collection without declared columns still
// reads the outer query's a.col as the outer row's column, not as a field "a.col" of its own documents.
func TestSession_CorrelatedSubqueryOverSchemaless(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	_, err = db.Database("shop").Collection("notes").InsertMany(ctx, []any{
		bson.D{{Key: "owner", Value: "ann"}, {Key: "body", Value: "x"}},
		bson.D{{Key: "owner", Value: "ann"}, {Key: "body", Value: "y"}},
		bson.D{{Key: "owner", Value: "bo"}, {Key: "body", Value: "z"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := sql.NewEngine(db).NewSession("shop", "")
	defer s.Close()
	run(t, s, "CREATE TABLE accts (id int8 PRIMARY KEY, owner text)")
	run(t, s, "INSERT INTO accts VALUES (1, 'ann'), (2, 'bo'), (3, 'cy')")
	for _, c := range []struct{ in, want string }{
		{"SELECT a.id, (SELECT count(*) FROM notes n WHERE n.owner = a.owner) AS notes FROM accts a ORDER BY a.id",
			"id|notes\n1|2\n2|1\n3|0\nSELECT 3\n"},
		{"SELECT a.id FROM accts a WHERE EXISTS (SELECT 1 FROM notes WHERE owner = a.owner AND body = 'z')",
			"id\n2\nSELECT 1\n"},
	} {
		if got := run(t, s, c.in); got != c.want {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", c.in, got, c.want)
		}
	}
}

// TestSession_DecimalsBesideDoubles: a number with a point in SQL is a numeric, but beside a field of no declared
// type, which documents written over the MongoDB port fill with doubles, it is a double: 0.1 finds the double
// 0.1 in filters, an increment keeps the field a double, and a numeric column's double reads as its 15 digits.
func TestSession_DecimalsBesideDoubles(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Database("shop").Collection("raw").InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: 0.1}, {Key: "y", Value: 1.5}},
		bson.D{{Key: "_id", Value: 2}, {Key: "x", Value: 0.2}},
	}); err != nil {
		t.Fatal(err)
	}
	s := sql.NewEngine(db).NewSession("shop", "")
	defer s.Close()
	for _, c := range []struct{ in, want string }{
		{"SELECT _id FROM raw WHERE x = 0.1", "_id\n1\nSELECT 1\n"},
		{"SELECT _id FROM raw WHERE x <= 0.2 ORDER BY _id", "_id\n1\n2\nSELECT 2\n"},
		{"SELECT _id FROM raw WHERE x IN (0.1, 0.2) ORDER BY _id", "_id\n1\n2\nSELECT 2\n"},
		{"UPDATE raw SET y = y + 0.5 WHERE _id = 1 RETURNING y", "y\n2\nUPDATE 1\n"},
		{"CREATE TABLE priced (id int PRIMARY KEY, p numeric)", "CREATE TABLE\n"},
	} {
		if got := run(t, s, c.in); got != c.want {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", c.in, got, c.want)
		}
	}
	raw, err := db.Database("shop").Collection("raw").FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Raw()
	if err != nil || raw.Lookup("y").Type != bson.TypeDouble {
		t.Fatalf("y after UPDATE: %v %v, want a double", raw, err)
	}
	// A double written over the MongoDB port into a numeric column computes as the numeric of its 15 digits.
	if _, err := db.Database("shop").Collection("priced").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "p", Value: 0.1}}); err != nil {
		t.Fatal(err)
	}
	if got, want := run(t, s, "SELECT p * 3, p / 3 FROM priced"), "?column?|?column?\n0.3|0.03333333333333333333\nSELECT 1\n"; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
