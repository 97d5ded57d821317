package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// TestComputedFields_MongoDBPortWrites writes a table with generated columns and expression indexes over the
// MongoDB port (the official Go driver) and checks what SQL then reads: every generated column and index
// expression computed as SQL computes it, in the column's stored type, by inserts, operator updates and
// replacements alike; a value written for one replaced by the computed one; a unique index on lower(email)
// holding against a MongoDB client's insert; an int4 column's overflow refused; and the computed fields following
// ALTER TABLE and DROP INDEX. Against a MongoDB deployment (the driver backend) nothing computes them: the test
// checks that SQL still does for its own writes and that the MongoDB client's row has none.
func TestComputedFields_MongoDBPortWrites(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, `CREATE TABLE items (id int PRIMARY KEY, email text, qty int, price numeric, w float8,
		total numeric GENERATED ALWAYS AS (qty * price) STORED,
		label text GENERATED ALWAYS AS (upper(email) || '!') STORED,
		twice int8 GENERATED ALWAYS AS (qty * 2) STORED,
		weight float8 GENERATED ALWAYS AS (w * qty) STORED,
		n int GENERATED ALWAYS AS (coalesce(qty, 0) + length(email)) STORED)`)
	mustExec(t, c, "CREATE UNIQUE INDEX items_email ON items (lower(email))")
	mustExec(t, c, "CREATE INDEX items_next ON items ((qty + 1))")
	mustExec(t, c, "INSERT INTO items (id, email, qty, price, w) VALUES (1, 'Ünï@x', 2, 2.50, 1.5)")
	coll := mongoFront(t, db).Database("test").Collection("items")
	price, _ := bson.ParseDecimal128("2.50")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "email", Value: "Zed@x"}, {Key: "qty", Value: 2},
		{Key: "price", Value: price}, {Key: "w", Value: 1.5}, {Key: "total", Value: 999}}); err != nil {
		t.Fatal(err)
	}
	rows := func(q string) string {
		t.Helper()
		r, err := c.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			vals, err := r.Values()
			if err != nil {
				t.Fatal(err)
			}
			var cells []string
			for _, v := range vals {
				cells = append(cells, strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(v), "\n", " ")))
			}
			out = append(out, strings.Join(cells, "|"))
		}
		if err := r.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return strings.Join(out, "\n")
	}
	const show = "SELECT id, total::text, label, twice, weight, n FROM items ORDER BY id"
	if os.Getenv(backendEnv) == "driver" {
		if got, want := rows(show), "1|5.00|ÜNÏ@X!|4|3|7\n2|999|<nil>|<nil>|<nil>|<nil>"; got != want {
			t.Fatalf("driver backend:\n%s\nwant\n%s", got, want)
		}
		return
	}
	if got, want := rows(show), "1|5.00|ÜNÏ@X!|4|3|7\n2|5.00|ZED@X!|4|3|7"; got != want {
		t.Fatalf("after the inserts:\n%s\nwant\n%s", got, want)
	}
	// The stored types are those SQL stores: numeric as decimal128, int8 as int64, int4 as int32, an index
	// expression's integer as int64.
	raw, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	sqlRaw, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]bson.Type{"total": bson.TypeDecimal128, "label": bson.TypeString, "twice": bson.TypeInt64,
		"weight": bson.TypeDouble, "n": bson.TypeInt32} {
		if got := raw.Lookup(field).Type; got != want {
			t.Errorf("%s stored as %v, want %v", field, got, want)
		}
	}
	elems, _ := sqlRaw.Elements()
	for _, e := range elems {
		if !strings.HasPrefix(e.Key(), "__x_") {
			continue
		}
		mv, err := raw.LookupErr(e.Key())
		if err != nil || mv.Type != e.Value().Type {
			t.Errorf("hidden field %s: %v over the MongoDB port, %v by SQL", e.Key(), mv, e.Value())
		}
	}
	if got := rows("SELECT id FROM items WHERE lower(email) = 'zed@x'"); got != "2" {
		t.Errorf("lower(email) = 'zed@x' found %q", got)
	}
	// The unique index on lower(email) holds against a MongoDB client.
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}, {Key: "email", Value: "ünÏ@X"}})
	var we mongo.WriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 11000 {
		t.Fatalf("insert of a duplicate lower(email): %v, want E11000", err)
	}
	// Operator updates, a forged value, a replacement.
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "qty", Value: 3}}},
		{Key: "$set", Value: bson.D{{Key: "twice", Value: -1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "email", Value: "new@x"}, {Key: "qty", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rows(show), "1|<nil>|NEW@X!|2|<nil>|6\n2|12.50|ZED@X!|10|7.5|10"; got != want {
		t.Fatalf("after the updates:\n%s\nwant\n%s", got, want)
	}
	// An int4 generated column's overflow refuses the write.
	_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "qty", Value: int64(3_000_000_000)}}}})
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 241 {
		t.Fatalf("update overflowing n: %v, want ConversionFailure (241)", err)
	}
	// The computed fields follow the table's definition.
	mustExec(t, c, "ALTER TABLE items RENAME COLUMN qty TO quantity")
	mustExec(t, c, "ALTER TABLE items ADD COLUMN tag text GENERATED ALWAYS AS (lower(email) || '#') STORED")
	mustExec(t, c, "DROP INDEX items_next")
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "quantity", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rows("SELECT id, total::text, tag FROM items ORDER BY id"), "1|<nil>|new@x#\n2|15.00|zed@x#"; got != want {
		t.Fatalf("after ALTER TABLE:\n%s\nwant\n%s", got, want)
	}
	if raw, err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}).Raw(); err != nil {
		t.Fatal(err)
	}
	if v := raw.Lookup("tag"); v.StringValue() != "zed@x#" {
		t.Errorf("tag over the MongoDB port %v", v)
	}
	elems, _ = raw.Elements()
	hidden := 0
	for _, e := range elems {
		if strings.HasPrefix(e.Key(), "__x_") {
			hidden++
		}
	}
	if hidden != 1 {
		t.Errorf("%d hidden fields after DROP INDEX items_next, want 1 (lower(email)): %s", hidden, raw)
	}
	// A table made in a transaction block computes its fields from the block's COMMIT on.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "CREATE TABLE blk (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 10) STORED)")
	mustExec(t, c, "INSERT INTO blk (id, a) VALUES (1, 1)")
	mustExec(t, c, "COMMIT")
	blk := mongoFront(t, db).Database("test").Collection("blk")
	if _, err := blk.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rows("SELECT id, b FROM blk ORDER BY id"), "1|10\n2|20"; got != want {
		t.Fatalf("table made in a block:\n%s\nwant\n%s", got, want)
	}
}
