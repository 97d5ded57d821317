package pgserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

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
	// A dropped generated column is no longer computed: a write does not bring its field back.
	mustExec(t, c, "ALTER TABLE items DROP COLUMN label")
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "email", Value: "Y@x"}}}}); err != nil {
		t.Fatal(err)
	}
	if raw, err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}).Raw(); err != nil {
		t.Fatal(err)
	}
	if v, err := raw.LookupErr("label"); err == nil {
		t.Errorf("label %v after DROP COLUMN label", v)
	}
	// A collection dropped and made again over the MongoDB port gets its computed fields back from the first
	// statement that reads the table.
	if err := coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 9}, {Key: "email", Value: "Q"}, {Key: "quantity", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := rows("SELECT id, tag FROM items ORDER BY id"); got != "9|<nil>" {
		t.Errorf("the collection made again: %q", got)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 10}, {Key: "email", Value: "R"}, {Key: "quantity", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := rows("SELECT id, tag, twice FROM items WHERE id = 10"); got != "10|r#|2" {
		t.Errorf("after the table was read again: %q", got)
	}
	// A table made in a transaction block computes its fields from the block's COMMIT on.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "CREATE TABLE blk (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 10) STORED)")
	mustExec(t, c, "INSERT INTO blk (id, a) VALUES (1, 0)")
	mustExec(t, c, "UPDATE blk SET a = a + 1 WHERE id = 1")
	mustExec(t, c, "COMMIT")
	blk := mongoFront(t, db).Database("test").Collection("blk")
	if _, err := blk.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "a", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rows("SELECT id, b FROM blk ORDER BY id"), "1|10\n2|20"; got != want {
		t.Fatalf("table made in a block:\n%s\nwant\n%s", got, want)
	}
	// In a block, the storage computes the field of each write as the block makes it, and a ROLLBACK takes both
	// back.
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "UPDATE blk SET a = a + 1")
	if got, want := rows("SELECT id, a, b FROM blk ORDER BY id"), "1|2|20\n2|3|30"; got != want {
		t.Fatalf("in the block:\n%s\nwant\n%s", got, want)
	}
	mustExec(t, c, "ROLLBACK")
	if _, err := blk.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "a", Value: 5}}}}); err != nil {
		t.Fatal(err)
	}
	if got, want := rows("SELECT id, a, b FROM blk ORDER BY id"), "1|1|10\n2|7|70"; got != want {
		t.Fatalf("after the block:\n%s\nwant\n%s", got, want)
	}
}

// TestComputedFields_SameAsSQL checks, for each generation expression the storage is given, that its value is
// SQL's: the same text (a numeric's scale included) as SQL's evaluation of the expression over the row read
// back, for rows of positive, negative, zero, NULL and non-ASCII values, written by SQL and over the MongoDB
// port; and that the expressions whose storage value would differ (numeric with double precision, text with a
// number, division) are not given to the storage. (Embedded backend only: a MongoDB deployment has no computed
// fields, TestComputedFields_MongoDBPortWrites covers it.)
func TestComputedFields_SameAsSQL(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	cases := []struct {
		typ, expr string
		storage   bool
	}{
		{"int", "i + 1", true}, {"int", "i * i", true}, {"int", "i - 5", true}, {"int", "abs(i)", true},
		{"int", "coalesce(i, 0) * 2", true}, {"int", "length(s)", true}, {"int", "char_length(v)", true},
		{"int", "octet_length(s)", true}, {"int", "num_nulls(i, s)", true}, {"int8", "j * 2", true},
		{"int8", "i + j", true}, {"bigint", "i", true}, {"numeric", "n * 2", true}, {"numeric", "n + i", true},
		{"numeric", "n * n", true}, {"numeric", "coalesce(n, 0.5)", true}, {"numeric", "n - 1.25", true},
		{"numeric", "i * 1.10", true}, {"float8", "f * 2", true}, {"float8", "f + i", true}, {"float8", "f * f", true},
		{"float8", "i * 1.5::float8", true}, {"text", "lower(s)", true}, {"text", "upper(v)", true},
		{"text", "s || '-' || v", true}, {"text", "btrim(s)", true}, {"text", "ltrim(s, 'x')", true},
		{"text", "coalesce(s, v)", true}, {"text", "lower(s) || upper(s)", true}, {"varchar", "v", true},
		{"float8", "n * f", false}, {"text", "s || i", false}, {"int", "i / 2", false}, {"numeric(10,2)", "n * 3", false},
	}
	rows := []string{
		"(1, 3, 10, 2.50, 1.5, ' Ünï Straße ', 'aBc')",
		"(2, NULL, NULL, NULL, NULL, NULL, NULL)",
		"(3, -7, -9000000000, -0.001, -2.25, 'xxHIx', '')",
		"(4, 0, 0, 0, 0, '', 'ßİ')",
	}
	for i, tc := range cases {
		name := fmt.Sprintf("same%d", i)
		mustExec(t, c, fmt.Sprintf("CREATE TABLE %s (id int PRIMARY KEY, i int, j int8, n numeric, f float8, s text, v varchar, g %s GENERATED ALWAYS AS (%s) STORED)", name, tc.typ, tc.expr))
		specs, err := db.Database("test").ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: name}})
		if err != nil || len(specs) != 1 {
			t.Fatalf("%s: %v %v", name, specs, err)
		}
		if given := len(specs[0].Options.Computed) == 1 && specs[0].Options.Computed[0].Field == "g"; given != tc.storage {
			t.Errorf("%s %s: given to the storage %v, want %v (%v)", tc.typ, tc.expr, given, tc.storage, specs[0].Options.Computed)
			continue
		}
		mustExec(t, c, fmt.Sprintf("INSERT INTO %s (id, i, j, n, f, s, v) VALUES %s", name, strings.Join(rows, ", ")))
		if !tc.storage {
			continue
		}
		// The same rows again over the storage's API, as a MongoDB client writes them (ids 11 to 14).
		r, err := c.Query(ctx, fmt.Sprintf("SELECT id, i, j, n::text, f, s, v FROM %s", name))
		if err != nil {
			t.Fatal(err)
		}
		var docs []any
		for r.Next() {
			vals, err := r.Values()
			if err != nil {
				t.Fatal(err)
			}
			d := bson.D{{Key: "_id", Value: vals[0].(int32) + 10}}
			for k, col := range []string{"i", "j", "n", "f", "s", "v"} {
				v := vals[k+1]
				if v == nil {
					continue
				}
				if col == "n" {
					if v, err = bson.ParseDecimal128(v.(string)); err != nil {
						t.Fatal(err)
					}
				}
				d = append(d, bson.E{Key: col, Value: v})
			}
			docs = append(docs, d)
		}
		r.Close()
		if _, err := db.Database("test").Collection(name).InsertMany(ctx, docs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var bad []string
		r, err = c.Query(ctx, fmt.Sprintf("SELECT id, g::text, (%s)::text FROM %s ORDER BY id", tc.expr, name))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for r.Next() {
			var id int32
			var stored, sqls *string
			if err := r.Scan(&id, &stored, &sqls); err != nil {
				t.Fatal(err)
			}
			n++
			if (stored == nil) != (sqls == nil) || stored != nil && *stored != *sqls {
				bad = append(bad, fmt.Sprintf("row %d: stored %v, SQL %v", id, deref(stored), deref(sqls)))
			}
		}
		r.Close()
		if n != 2*len(rows) || len(bad) > 0 {
			t.Errorf("%s %s: %d rows; %s", tc.typ, tc.expr, n, strings.Join(bad, "; "))
		}
		if tc.typ == "float8" || tc.typ == "varchar" || tc.expr == "i" {
			continue
		}
		// The same expression in an index: its hidden field holds SQL's value, so a filter on the expression,
		// which reads the field, finds both the row SQL wrote and its twin written over the API.
		mustExec(t, c, fmt.Sprintf("CREATE INDEX ON %s ((%s))", name, tc.expr))
		r, err = c.Query(ctx, fmt.Sprintf("SELECT id, (%s)::text FROM %s WHERE id < 10 AND (%s) IS NOT NULL ORDER BY id", tc.expr, name, tc.expr))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int32]string{}
		for r.Next() {
			var id int32
			var v string
			if err := r.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			want[id] = v
		}
		r.Close()
		for id, v := range want {
			var ids []int32
			q := fmt.Sprintf("SELECT id FROM %s WHERE (%s) = '%s'::%s ORDER BY id", name, tc.expr, strings.ReplaceAll(v, "'", "''"), tc.typ)
			r, err := c.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var got int32
				if err := r.Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got%10 == id {
					ids = append(ids, got)
				}
			}
			r.Close()
			if len(ids) != 2 {
				t.Errorf("%s: found %v, want %d and %d", q, ids, id, id+10)
			}
		}
	}
}

// TestNotNull_MongoDBPortWrites writes over the MongoDB port into a table with NOT NULL columns: a document that
// leaves one out or null is refused with DocumentValidationFailure, as an INSERT is with 23502, and the rule
// follows SET / DROP NOT NULL, at once outside a transaction block; in a block, DROP NOT NULL at once (the block
// may then write NULLs) and SET NOT NULL at its COMMIT, and a ROLLBACK puts the table's rule back. Against a
// MongoDB deployment (the driver backend) nothing keeps the rule for a MongoDB client.
func TestNotNull_MongoDBPortWrites(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, "CREATE TABLE nn (id int PRIMARY KEY, name text NOT NULL, age int, tag text NOT NULL)")
	coll := mongoFront(t, db).Database("test").Collection("nn")
	insert := func(d bson.D) error {
		_, err := coll.InsertOne(ctx, d)
		return err
	}
	refused := func(what string, err error) { t.Helper(); refusedByValidation(t, what, err) }
	if err := insert(bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "a"}, {Key: "tag", Value: "t"}}); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(backendEnv) == "driver" {
		if err := insert(bson.D{{Key: "_id", Value: 2}, {Key: "tag", Value: "t"}}); err != nil {
			t.Fatalf("driver backend: %v", err)
		}
		return
	}
	refused("a document without name", insert(bson.D{{Key: "_id", Value: 2}, {Key: "tag", Value: "t"}}))
	refused("a null name", insert(bson.D{{Key: "_id", Value: 3}, {Key: "name", Value: nil}, {Key: "tag", Value: "t"}}))
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "name", Value: ""}}}})
	refused("$unset of name", err)
	// An SQL write the storage refuses for a NOT NULL column is 23502.
	_, err = c.Exec(ctx, "UPDATE nn SET tag = CASE WHEN id > 100 THEN 'z' END WHERE id = 1")
	if sqlState(err) != "23502" {
		t.Errorf("UPDATE making tag NULL: %v, want 23502", err)
	}
	mustExec(t, c, "ALTER TABLE nn ALTER COLUMN name DROP NOT NULL")
	if err := insert(bson.D{{Key: "_id", Value: 4}, {Key: "tag", Value: "t"}}); err != nil {
		t.Errorf("a document without name after DROP NOT NULL: %v", err)
	}
	mustExec(t, c, "UPDATE nn SET age = 1")
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "ALTER TABLE nn ALTER COLUMN age SET NOT NULL")
	mustExec(t, c, "COMMIT")
	refused("a document without age after SET NOT NULL in a block", insert(bson.D{{Key: "_id", Value: 5}, {Key: "tag", Value: "t"}}))
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "ALTER TABLE nn ALTER COLUMN tag DROP NOT NULL")
	mustExec(t, c, "INSERT INTO nn (id, age, tag) VALUES (9, 1, NULL)")
	mustExec(t, c, "ROLLBACK")
	refused("a document without tag after a rolled-back DROP NOT NULL", insert(bson.D{{Key: "_id", Value: 6}, {Key: "age", Value: 1}}))
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM nn WHERE tag IS NULL OR age IS NULL").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows with a NULL in a NOT NULL column (%v)", n, err)
	}
}

// TestDefaults_MongoDBPortWrites inserts documents over the MongoDB port (the official Go driver) into a table
// whose columns have defaults, and checks what SQL then reads: each constant default stored as an SQL INSERT
// stores it (the same BSON value), the time defaults the time of the insert, a document's own value (even null)
// kept, an SQL INSERT's explicit NULL left NULL, the defaults that need SQL (nextval, gen_random_uuid) left to
// it, and the defaults following SET / DROP DEFAULT and ADD COLUMN, and a transaction block's ROLLBACK. Against
// a MongoDB deployment (the driver backend) nothing fills a MongoDB client's document.
func TestDefaults_MongoDBPortWrites(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, `CREATE TABLE od (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', version int NOT NULL DEFAULT 0,
		price numeric(8,2) DEFAULT 9.5, tags text[] DEFAULT '{a,b}', neg int8 DEFAULT -3 * 2, flag boolean DEFAULT true,
		data jsonb DEFAULT '{"a": [1, 2.5]}', ratio float8 DEFAULT 0.25, code varchar(4) DEFAULT 'ab',
		created timestamptz NOT NULL DEFAULT now(), day date DEFAULT CURRENT_DATE, local timestamp DEFAULT LOCALTIMESTAMP,
		u uuid DEFAULT gen_random_uuid(), n int DEFAULT NULL)`)
	coll := mongoFront(t, db).Database("test").Collection("od")
	mustExec(t, c, "INSERT INTO od (id) VALUES (1)")
	mustExec(t, c, "INSERT INTO od (id, price, tags) VALUES (2, NULL, NULL)")
	start := time.Now().Add(-time.Second)
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 4}, {Key: "version", Value: 7}, {Key: "price", Value: nil}}); err != nil {
		t.Fatal(err)
	}
	doc := func(id int) bson.Raw {
		t.Helper()
		raw, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
		if err != nil {
			t.Fatalf("find %d: %v", id, err)
		}
		return raw
	}
	driver := os.Getenv(backendEnv) == "driver"
	constants := []string{"status", "version", "price", "tags", "neg", "flag", "data", "ratio", "code"}
	sqlRow, mongoRow := doc(1), doc(3)
	for _, f := range constants {
		want, got := sqlRow.Lookup(f), mongoRow.Lookup(f)
		switch {
		case driver && got.Type != 0:
			t.Errorf("driver backend: %s = %v in a MongoDB client's document, want none", f, got)
		case !driver && (got.Type != want.Type || !bytes.Equal(got.Value, want.Value)):
			t.Errorf("%s: the MongoDB client's document has %v (type %v), an SQL INSERT stores %v (type %v)", f, got, got.Type, want, want.Type)
		}
	}
	if driver {
		return
	}
	var status string
	var version int
	var price, tags, u, n any
	var recent, today, localRecent bool
	q := `SELECT status, version, price, tags, created > now() - interval '1 minute' AND created <= now() + interval '1 minute',
		day = CURRENT_DATE, local > LOCALTIMESTAMP - interval '1 minute', u, n FROM od WHERE id = $1`
	if err := c.QueryRow(ctx, q, 4).Scan(&status, &version, &price, &tags, &recent, &today, &localRecent, &u, &n); err != nil {
		t.Fatal(err)
	}
	if status != "new" || version != 7 || price != nil || tags == nil || !recent || !today || !localRecent || u != nil || n != nil {
		t.Errorf("row 4: %q %d %v %v recent %v today %v local %v u %v n %v; want new, its own 7, its own NULL price, the default tags, "+
			"the times of the insert, no uuid (gen_random_uuid is SQL's) and NULL n", status, version, price, tags, recent, today, localRecent, u, n)
	}
	if created := doc(3).Lookup("created"); created.Type != bson.TypeDateTime || created.Time().Before(start) {
		t.Errorf("created %v, want the time of the insert", created)
	}
	// An SQL INSERT's explicit NULLs stay NULL: SQL's own inserts skip the storage's defaults.
	var nulls int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM od WHERE id = 2 AND price IS NULL AND tags IS NULL").Scan(&nulls); err != nil || nulls != 1 {
		t.Errorf("SQL INSERT of explicit NULLs: %d rows with them NULL (%v), want 1", nulls, err)
	}
	refused := func(what string, err error) { t.Helper(); refusedByValidation(t, what, err) }
	statusOf := func(id int) string {
		t.Helper()
		v, err := doc(id).LookupErr("status")
		if err != nil {
			return "<none>"
		}
		return v.StringValue()
	}
	// Each step's statements, then a document inserted without status: the status it gets.
	for _, step := range []struct {
		sqls []string
		id   int
		want string
	}{
		{[]string{"ALTER TABLE od ALTER COLUMN status SET DEFAULT 'draft'"}, 5, "draft"},
		{[]string{"BEGIN", "ALTER TABLE od ALTER COLUMN status SET DEFAULT 'blocked'", "ROLLBACK"}, 6, "draft"},
		{[]string{"BEGIN", "ALTER TABLE od ALTER COLUMN status SET DEFAULT 'committed'", "COMMIT"}, 7, "committed"},
	} {
		for _, q := range step.sqls {
			mustExec(t, c, q)
		}
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: step.id}}); err != nil {
			t.Fatal(err)
		}
		if s := statusOf(step.id); s != step.want {
			t.Errorf("after %v: status %q, want %q", step.sqls, s, step.want)
		}
	}
	mustExec(t, c, "ALTER TABLE od ALTER COLUMN status DROP DEFAULT")
	_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 8}})
	refused("a document without the NOT NULL status after DROP DEFAULT", err)
	mustExec(t, c, "ALTER TABLE od ADD COLUMN priority int NOT NULL DEFAULT 3")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 9}, {Key: "status", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	var p1, p9 int
	if err := c.QueryRow(ctx, "SELECT (SELECT priority FROM od WHERE id = 1), (SELECT priority FROM od WHERE id = 9)").Scan(&p1, &p9); err != nil || p1 != 3 || p9 != 3 {
		t.Errorf("ADD COLUMN priority DEFAULT 3: rows 1 and 9 have %d and %d (%v)", p1, p9, err)
	}
}

// TestForeignKeys_MongoDBPortWrites writes over the MongoDB port (the official Go driver) into tables with
// foreign keys, by primary key, by a unique column and by a composite primary key named in another order, and
// checks that a document naming no parent row is refused with DocumentValidationFailure, as an INSERT is with
// 23503; that a parent row a child names can be neither deleted nor have its named key changed over the MongoDB
// port, while SQL's own DELETE still applies ON DELETE CASCADE and a deferred constraint still waits for COMMIT;
// and that the storage's references follow ADD and DROP CONSTRAINT and a block's ROLLBACK. Against a MongoDB deployment
// (the driver backend) nothing checks a MongoDB client's writes.
func TestForeignKeys_MongoDBPortWrites(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, "CREATE TABLE fp (id int PRIMARY KEY, code text UNIQUE)")
	mustExec(t, c, "CREATE TABLE fc (id int PRIMARY KEY, pid int REFERENCES fp ON DELETE CASCADE, code text REFERENCES fp (code))")
	mustExec(t, c, "CREATE TABLE fpp (a int, b text, PRIMARY KEY (a, b))")
	mustExec(t, c, "CREATE TABLE fcc (id int PRIMARY KEY, y text, x int, FOREIGN KEY (y, x) REFERENCES fpp (b, a))")
	mustExec(t, c, "INSERT INTO fp VALUES (1, 'a'), (2, 'b')")
	mustExec(t, c, "INSERT INTO fpp VALUES (1, 'x')")
	mdb := mongoFront(t, db).Database("test")
	insert := func(coll string, d bson.D) error {
		_, err := mdb.Collection(coll).InsertOne(ctx, d)
		return err
	}
	refused := func(what string, err error) { t.Helper(); refusedByValidation(t, what, err) }
	if err := insert("fc", bson.D{{Key: "_id", Value: 10}, {Key: "pid", Value: 1}, {Key: "code", Value: "a"}}); err != nil {
		t.Fatal(err)
	}
	if err := insert("fcc", bson.D{{Key: "_id", Value: 10}, {Key: "x", Value: 1}, {Key: "y", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(backendEnv) == "driver" {
		if err := insert("fc", bson.D{{Key: "_id", Value: 11}, {Key: "pid", Value: 99}}); err != nil {
			t.Fatalf("driver backend: %v", err)
		}
		return
	}
	refused("a child naming no parent by key", insert("fc", bson.D{{Key: "_id", Value: 11}, {Key: "pid", Value: 99}}))
	refused("a child naming no parent by a unique column", insert("fc", bson.D{{Key: "_id", Value: 11}, {Key: "code", Value: "zz"}}))
	refused("a child naming no parent by a composite key", insert("fcc", bson.D{{Key: "_id", Value: 11}, {Key: "x", Value: 1}, {Key: "y", Value: "nope"}}))
	if err := insert("fc", bson.D{{Key: "_id", Value: 12}, {Key: "pid", Value: nil}}); err != nil {
		t.Errorf("a child with a NULL key: %v", err)
	}
	_, err := mdb.Collection("fp").DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}})
	refused("deletion of a named parent", err)
	_, err = mdb.Collection("fp").UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "code", Value: "a2"}}}})
	refused("a change of a named unique key", err)
	_, err = mdb.Collection("fpp").DeleteMany(ctx, bson.D{})
	refused("deletion of a parent named by its composite key", err)
	// SQL's own checks and actions are unchanged.
	if _, err := c.Exec(ctx, "INSERT INTO fc (id, pid) VALUES (20, 99)"); sqlState(err) != "23503" {
		t.Errorf("SQL INSERT naming no parent: %v, want 23503", err)
	}
	mustExec(t, c, "DELETE FROM fp WHERE id = 2")
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM fc").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d children after deleting a parent none names (%v), want 2", n, err)
	}
	mustExec(t, c, "UPDATE fc SET code = NULL")
	mustExec(t, c, "DELETE FROM fp WHERE id = 1")
	if err := c.QueryRow(ctx, "SELECT count(*) FROM fc").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d children after ON DELETE CASCADE (%v), want 1 (the NULL key's)", n, err)
	}
	mustExec(t, c, "DELETE FROM fc WHERE id = 12")
	mustExec(t, c, "ALTER TABLE fc ADD CONSTRAINT fc_def FOREIGN KEY (id) REFERENCES fp DEFERRABLE INITIALLY DEFERRED")
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "INSERT INTO fc (id) VALUES (7)")
	mustExec(t, c, "INSERT INTO fp VALUES (7, 'g')")
	mustExec(t, c, "COMMIT")
	refused("a child naming no parent by a deferred key", insert("fc", bson.D{{Key: "_id", Value: 8}}))
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "INSERT INTO fp VALUES (10, 'j')")
	mustExec(t, c, "ALTER TABLE fcc ADD CONSTRAINT fcc_id FOREIGN KEY (id) REFERENCES fp")
	mustExec(t, c, "ROLLBACK")
	if err := insert("fcc", bson.D{{Key: "_id", Value: 30}}); err != nil {
		t.Errorf("a child naming no parent by a rolled-back ADD CONSTRAINT: %v", err)
	}
	mustExec(t, c, "ALTER TABLE fc DROP CONSTRAINT fc_def")
	mustExec(t, c, "ALTER TABLE fc DROP CONSTRAINT fc_pid_fkey")
	if err := insert("fc", bson.D{{Key: "_id", Value: 8}, {Key: "pid", Value: 99}}); err != nil {
		t.Errorf("a child after DROP CONSTRAINT: %v", err)
	}
	// A table others reference can be neither dropped nor renamed over the MongoDB port (its children would name
	// a collection that is gone); SQL's DROP and RENAME, which move the foreign keys, can.
	stillNamed := func(what string, err error) {
		t.Helper()
		var ce mongo.CommandError
		if !errors.As(err, &ce) || ce.Code != 96 {
			t.Errorf("%s: %v, want OperationFailed (96)", what, err)
		}
	}
	stillNamed("drop of a referenced collection", mdb.Collection("fpp").Drop(ctx))
	stillNamed("rename of a referenced collection", mdb.Client().Database("admin").RunCommand(ctx,
		bson.D{{Key: "renameCollection", Value: "test.fp"}, {Key: "to", Value: "test.fp2"}}).Err())
	mustExec(t, c, "ALTER TABLE fpp RENAME TO fpp2")
	refused("a child naming no parent of a renamed table", insert("fcc", bson.D{{Key: "_id", Value: 31}, {Key: "x", Value: 5}, {Key: "y", Value: "q"}}))
	if _, err := c.Exec(ctx, "DROP TABLE fpp2"); sqlState(err) != "2BP01" {
		t.Errorf("DROP TABLE of a referenced table: %v, want 2BP01", err)
	}
	mustExec(t, c, "DROP TABLE fpp2 CASCADE")
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "DROP TABLE fp CASCADE")
	mustExec(t, c, "COMMIT")
	var left int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename IN ('fp', 'fpp2')").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d dropped tables left (%v)", left, err)
	}
	if names, err := mdb.ListCollectionNames(ctx, bson.D{{Key: "name", Value: bson.D{{Key: "$in", Value: bson.A{"fp", "fpp2"}}}}}); err != nil || len(names) != 0 {
		t.Errorf("collections %v left after DROP TABLE ... CASCADE (%v)", names, err)
	}
	if err := insert("fcc", bson.D{{Key: "_id", Value: 32}, {Key: "x", Value: 5}, {Key: "y", Value: "q"}}); err != nil {
		t.Errorf("a child after its parent's DROP TABLE ... CASCADE: %v", err)
	}
}

// refusedByValidation fails unless err is a MongoDB write refused with DocumentValidationFailure (121).
func refusedByValidation(t *testing.T, what string, err error) {
	t.Helper()
	var we mongo.WriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 121 {
		t.Errorf("%s: %v, want DocumentValidationFailure (121)", what, err)
	}
}
