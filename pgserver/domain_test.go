package pgserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// domainSteps: domains made, used as column types and in casts, altered and dropped, with PostgreSQL's errors and
// messages; compared with PostgreSQL 15 (TestCompare_PostgreSQL).
var domainSteps = []struct{ sql, want string }{
	{"CREATE DOMAIN dposint AS int CHECK (VALUE > 0)", ""},
	{"CREATE DOMAIN dnnint int NOT NULL DEFAULT 7", ""},
	{"CREATE DOMAIN demail AS text CONSTRAINT demail_at CHECK (VALUE LIKE '%@%') CHECK (length(VALUE) < 20)", ""},
	{"CREATE DOMAIN dprice AS numeric(6,2) CHECK (VALUE >= 0)", ""},
	{"CREATE DOMAIN dposint AS int", `ERROR 42710 type "dposint" already exists`},
	{"CREATE DOMAIN dbad AS int CHECK (foo > 0)", `ERROR 42703 column "foo" does not exist`},
	{"CREATE DOMAIN dbad AS int CHECK (VALUE > (SELECT 1))", "ERROR 0A000 cannot use subquery in check constraint"},
	{"CREATE DOMAIN dbad AS int NOT NULL NULL", "ERROR 42601 conflicting NULL/NOT NULL constraints"},
	{"CREATE DOMAIN dbad AS int DEFAULT 1 DEFAULT 2", "ERROR 42601 multiple default expressions"},
	{"CREATE TABLE dt (id int PRIMARY KEY, a dposint, b dnnint, e demail, p dprice)", ""},
	{"INSERT INTO dt (id, a) VALUES (1, 5)", "INSERT 0 1"},
	{"SELECT * FROM dt", "1|5|7||\nSELECT 1"},
	{"INSERT INTO dt (id, a) VALUES (2, -5)", `ERROR 23514 value for domain dposint violates check constraint "dposint_check"`},
	{"INSERT INTO dt (id, b) VALUES (3, NULL)", "ERROR 23502 domain dnnint does not allow null values"},
	{"INSERT INTO dt (id, e) VALUES (4, 'nope')", `ERROR 23514 value for domain demail violates check constraint "demail_at"`},
	{"INSERT INTO dt (id, e) VALUES (4, 'averyveryverylongname@x.com')", `ERROR 23514 value for domain demail violates check constraint "demail_check"`},
	{"INSERT INTO dt (id, p) VALUES (5, 1234.567)", "INSERT 0 1"},
	{"INSERT INTO dt (id, p) VALUES (5, -1)", `ERROR 23514 value for domain dprice violates check constraint "dprice_check"`},
	{"UPDATE dt SET a = a - 10", `ERROR 23514 value for domain dposint violates check constraint "dposint_check"`},
	{"UPDATE dt SET b = NULL", "ERROR 23502 domain dnnint does not allow null values"},
	{"UPDATE dt SET a = a + 1, e = 'a@b' WHERE id = 1 RETURNING a, e", "6|a@b\nUPDATE 1"},
	{"SELECT 5::dposint, '7'::dposint + 1", "5|8\nSELECT 1"},
	{"SELECT (-5)::dposint", `ERROR 23514 value for domain dposint violates check constraint "dposint_check"`},
	{"SELECT NULL::dnnint", "ERROR 23502 domain dnnint does not allow null values"},
	{"SELECT NULL::dposint IS NULL, 2.345::dprice", "t|2.35\nSELECT 1"},
	{"SELECT typname, typtype, format_type(typbasetype, typtypmod), typnotnull, typdefault FROM pg_type WHERE typname IN ('dposint', 'dnnint', 'demail', 'dprice') ORDER BY 1",
		"demail|d|text|f|\ndnnint|d|integer|t|7\ndposint|d|integer|f|\ndprice|d|numeric(6,2)|f|\nSELECT 4"},
	{"SELECT conname FROM pg_constraint WHERE contypid = 'dposint'::regtype OR contypid = 'demail'::regtype ORDER BY 1", "demail_at\ndemail_check\ndposint_check\nSELECT 3"},
	{"SELECT column_name, data_type, domain_name FROM information_schema.columns WHERE table_name = 'dt' ORDER BY ordinal_position",
		"id|integer|\na|integer|dposint\nb|integer|dnnint\ne|text|demail\np|numeric|dprice\nSELECT 5"},
	{"SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = 'dt'::regclass AND a.attnum > 0 ORDER BY a.attnum",
		"id|integer\na|dposint\nb|dnnint\ne|demail\np|dprice\nSELECT 5"},
	{"SELECT domain_name, data_type, domain_default FROM information_schema.domains WHERE domain_schema = 'public' ORDER BY 1",
		"demail|text|\ndnnint|integer|7\ndposint|integer|\ndprice|numeric|\nSELECT 4"},
	// ALTER DOMAIN: a new constraint is checked against the rows of the domain's columns first.
	{"ALTER DOMAIN dposint ADD CONSTRAINT dsmall CHECK (VALUE < 3)", `ERROR 23514 column "a" of table "dt" contains values that violate the new constraint`},
	{"ALTER DOMAIN dposint ADD CONSTRAINT dsmall CHECK (VALUE < 100)", "ALTER DOMAIN"},
	{"INSERT INTO dt (id, a) VALUES (6, 200)", `ERROR 23514 value for domain dposint violates check constraint "dsmall"`},
	{"UPDATE dt SET a = a * 100 WHERE id = 1", `ERROR 23514 value for domain dposint violates check constraint "dsmall"`},
	{"ALTER DOMAIN dposint DROP CONSTRAINT dsmall", "ALTER DOMAIN"},
	{"ALTER DOMAIN dposint DROP CONSTRAINT dsmall", `ERROR 42704 constraint "dsmall" of domain "dposint" does not exist`},
	{"ALTER DOMAIN dposint DROP CONSTRAINT IF EXISTS dsmall", "ALTER DOMAIN"},
	{"INSERT INTO dt (id, a) VALUES (6, 200)", "INSERT 0 1"},
	{"ALTER DOMAIN dnnint DROP NOT NULL", "ALTER DOMAIN"},
	{"ALTER DOMAIN dnnint SET DEFAULT 9", "ALTER DOMAIN"},
	{"INSERT INTO dt (id) VALUES (7)", "INSERT 0 1"},
	{"ALTER DOMAIN dnnint DROP DEFAULT", "ALTER DOMAIN"},
	{"INSERT INTO dt (id) VALUES (8)", "INSERT 0 1"},
	{"SELECT id, b FROM dt ORDER BY id", "1|7\n5|7\n6|7\n7|9\n8|\nSELECT 5"},
	{"ALTER DOMAIN dnnint SET NOT NULL", `ERROR 23502 column "b" of table "dt" contains null values`},
	{"DELETE FROM dt WHERE id = 8", "DELETE 1"},
	{"ALTER DOMAIN dnnint SET NOT NULL", "ALTER DOMAIN"},
	{"ALTER DOMAIN nope ADD CHECK (VALUE > 0)", `ERROR 42704 type "nope" does not exist`},
	// DROP: a domain a column or another domain has stays.
	{"DROP DOMAIN dposint", "ERROR 2BP01 cannot drop type dposint because other objects depend on it"},
	{"DROP TYPE dposint", "ERROR 2BP01 cannot drop type dposint because other objects depend on it"},
	{"DROP DOMAIN nope", `ERROR 42704 type "nope" does not exist`},
	{"DROP DOMAIN IF EXISTS nope", "DROP DOMAIN"},
	{"ALTER TABLE dt ADD COLUMN z dposint", "ALTER TABLE"},
	{"ALTER TABLE dt ADD COLUMN y dnnint", "ERROR 23502 domain dnnint does not allow null values"},
	{"CREATE DOMAIN ddd AS dposint CHECK (VALUE <> 4)", "CREATE DOMAIN"},
	{"SELECT 4::ddd", `ERROR 23514 value for domain ddd violates check constraint "ddd_check"`},
	{"SELECT 0::ddd", `ERROR 23514 value for domain ddd violates check constraint "dposint_check"`},
	{"SELECT 5::ddd + 1", "6\nSELECT 1"},
	// ALTER COLUMN ... TYPE to a domain holds the rows to it; to the base type again lets it go. ADD COLUMN with a
	// default the domain refuses is refused.
	{"CREATE TABLE dr (id int PRIMARY KEY, a int, b text)", ""},
	{"INSERT INTO dr VALUES (1, 5, 'x'), (2, -1, 'y')", ""},
	{"ALTER TABLE dr ALTER COLUMN a TYPE dposint", `ERROR 23514 value for domain dposint violates check constraint "dposint_check"`},
	{"DELETE FROM dr WHERE id = 2", "DELETE 1"},
	{"ALTER TABLE dr ALTER COLUMN a TYPE dposint", "ALTER TABLE"},
	{"INSERT INTO dr VALUES (3, -7, 'z')", `ERROR 23514 value for domain dposint violates check constraint "dposint_check"`},
	{"SELECT column_name, domain_name FROM information_schema.columns WHERE table_name = 'dr' ORDER BY ordinal_position", "id|\na|dposint\nb|\nSELECT 3"},
	{"ALTER TABLE dr ALTER COLUMN a TYPE int", "ALTER TABLE"},
	{"INSERT INTO dr VALUES (3, -7, 'z')", "INSERT 0 1"},
	{"ALTER TABLE dr ADD COLUMN c dposint DEFAULT 3", "ALTER TABLE"},
	{"ALTER TABLE dr ADD COLUMN d dposint DEFAULT -3", `ERROR 23514 value for domain dposint violates check constraint "dposint_check"`},
	{"SELECT * FROM dr ORDER BY id", "1|5|x|3\n3|-7|z|3\nSELECT 2"},
	{"DROP TABLE dr", "DROP TABLE"},
	{"DROP TABLE dt", "DROP TABLE"},
	{"DROP DOMAIN dposint, dnnint, demail, dprice", "ERROR 2BP01 cannot drop desired object(s) because other objects depend on them"},
	{"DROP DOMAIN ddd", "DROP DOMAIN"},
	{"DROP DOMAIN dposint, dnnint, demail, dprice", "DROP DOMAIN"},
}

// TestDomain_NeverBelowBound: 32 clients each take one from a stock of 20 whose column is a domain with CHECK
// (VALUE >= 0), with an UPDATE whose WHERE clause does not state the bound: the storage checks the domain's
// constraint atomically with each decrement, so exactly 20 succeed and the stock ends at 0.
func TestDomain_NeverBelowBound(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	for _, s := range []string{"CREATE DOMAIN quantity AS int8 CHECK (VALUE >= 0)", "CREATE TABLE dstock (id int8 PRIMARY KEY, qty quantity)",
		"INSERT INTO dstock VALUES (1, 20)"} {
		if _, err := setup.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	const clients = 32
	counts := concurrentOutcomes(t, url, clients, "UPDATE dstock SET qty = qty - 1 WHERE id = 1", 1)
	if counts["ok"] != 20 || counts["23514"] != clients-20 {
		t.Fatalf("outcomes %v, want 20 ok and %d check violations", counts, clients-20)
	}
	var qty int64
	if err := setup.QueryRow(ctx, "SELECT qty FROM dstock WHERE id = 1").Scan(&qty); err != nil || qty != 0 {
		t.Fatalf("qty %d, %v; want 0", qty, err)
	}
	// The refusal names the domain and its constraint, as PostgreSQL's does.
	_, err := setup.Exec(ctx, "UPDATE dstock SET qty = qty - 1 WHERE id = 1")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.DataTypeName != "quantity" || pe.ConstraintName != "quantity_check" || pe.SchemaName != "public" {
		t.Fatalf("error %#v, want the domain quantity's check", err)
	}
}

// TestDomain_MongoPort: a write over the MongoDB port (the root API here) to a column of a domain is held to the
// domain's constraints by the table's validator: DocumentValidationFailure (121), and ALTER DOMAIN's new
// constraint holds there too.
func TestDomain_MongoPort(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	for _, s := range []string{"CREATE DOMAIN dpos AS int CHECK (VALUE > 0)", "CREATE DOMAIN dreq AS text NOT NULL",
		"CREATE TABLE dm (id int PRIMARY KEY, n dpos, s dreq)"} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	coll := db.Database("test").Collection("dm")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(1)}, {Key: "n", Value: int32(5)}, {Key: "s", Value: "a"}}); err != nil {
		t.Fatal(err)
	}
	var ce *concord.Error
	for _, d := range []bson.D{
		{{Key: "_id", Value: int32(2)}, {Key: "n", Value: int32(-1)}, {Key: "s", Value: "a"}},
		{{Key: "_id", Value: int32(3)}, {Key: "n", Value: int32(1)}},
		{{Key: "_id", Value: int32(4)}, {Key: "n", Value: int32(1)}, {Key: "s", Value: nil}},
	} {
		if _, err := coll.InsertOne(ctx, d); !errors.As(err, &ce) || ce.Code != 121 {
			t.Fatalf("insert %v: %v, want DocumentValidationFailure", d, err)
		}
	}
	_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: -5}}}})
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Fatalf("$inc to 0: %v, want DocumentValidationFailure", err)
	}
	if _, err := c.Exec(ctx, "ALTER DOMAIN dpos ADD CONSTRAINT dsmall CHECK (VALUE < 10)"); err != nil {
		t.Fatal(err)
	}
	_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: int32(10)}}}})
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Fatalf("$set to 10 after ALTER DOMAIN: %v, want DocumentValidationFailure", err)
	}
	if _, err := c.Exec(ctx, "ALTER DOMAIN dpos DROP CONSTRAINT dsmall"); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: int32(10)}}}}); err != nil {
		t.Fatalf("$set to 10 after DROP CONSTRAINT: %v", err)
	}
	assertRows(t, c, "SELECT id, n, s FROM dm", "1 10 a")
}
