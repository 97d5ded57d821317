package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// checkSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): CHECK constraints on
// columns and tables, their generated names, NULL passing a check, updates refused atomically, ALTER TABLE
// ADD (NOT VALID) / DROP CONSTRAINT, RENAME and DROP COLUMN, and the statement atomicity of a multi-row UPDATE
// and DELETE. An error is "ERROR", its SQLSTATE and the constraint it names, if any.
var checkSteps = []struct{ sql, want string }{
	{"CREATE TABLE ck1 (id int8 PRIMARY KEY, qty int4 NOT NULL CHECK (qty >= 0), price numeric CHECK (price > 0), lo int4, hi int4, " +
		"status text, CONSTRAINT range_ok CHECK (lo <= hi), CHECK (status IN ('new', 'old')))", "CREATE TABLE"},
	{"INSERT INTO ck1 VALUES (1, 5, 10, 1, 2, 'new')", "INSERT 0 1"},
	{"INSERT INTO ck1 VALUES (2, -1, 10, 1, 2, 'new')", "ERROR 23514 ck1_qty_check"},
	{"INSERT INTO ck1 VALUES (3, 1, 10, 3, 2, 'new')", "ERROR 23514 range_ok"},
	{"INSERT INTO ck1 VALUES (4, 1, 0, 1, 2, 'new')", "ERROR 23514 ck1_price_check"},
	{"INSERT INTO ck1 VALUES (5, 1, 1, 1, 2, 'bad')", "ERROR 23514 ck1_status_check"},
	{"INSERT INTO ck1 VALUES (5, -1, -1, 1, 2, 'bad')", "ERROR 23514 ck1_price_check"}, // the first by name
	{"INSERT INTO ck1 VALUES (6, 1, NULL, NULL, 1, NULL)", "INSERT 0 1"},
	{"UPDATE ck1 SET qty = qty - 6 WHERE id = 1", "ERROR 23514 ck1_qty_check"},
	{"UPDATE ck1 SET qty = qty - 5 WHERE id = 1", "UPDATE 1"},
	{"UPDATE ck1 SET qty = qty - 1 WHERE id = 1 AND qty >= 1", "UPDATE 0"},
	{"SELECT id, qty FROM ck1 ORDER BY id", "1|0\n6|1\nSELECT 2"},
	{"UPDATE ck1 SET lo = 2", "ERROR 23514 range_ok"},
	{"SELECT count(*) FROM ck1 WHERE lo = 2", "0\nSELECT 1"},
	{"UPDATE ck1 SET qty = qty - 1", "ERROR 23514 ck1_qty_check"},
	{"SELECT id, qty FROM ck1 ORDER BY id", "1|0\n6|1\nSELECT 2"},
	{"ALTER TABLE ck1 ADD CONSTRAINT hi_small CHECK (hi BETWEEN 0 AND 1)", "ERROR 23514 hi_small"},
	{"INSERT INTO ck1 VALUES (7, 1, 1, 1, 5, 'new')", "INSERT 0 1"},
	{"ALTER TABLE ck1 ADD CONSTRAINT hi_small CHECK (hi BETWEEN 0 AND 10)", "ALTER TABLE"},
	{"ALTER TABLE ck1 ADD CONSTRAINT hi_small CHECK (hi > 0)", "ERROR 42710"},
	{"INSERT INTO ck1 VALUES (8, 1, 1, 1, 11, 'new')", "ERROR 23514 hi_small"},
	{"ALTER TABLE ck1 DROP CONSTRAINT hi_small", "ALTER TABLE"},
	{"ALTER TABLE ck1 DROP CONSTRAINT hi_small", "ERROR 42704"},
	{"ALTER TABLE ck1 DROP CONSTRAINT IF EXISTS hi_small", "ALTER TABLE"},
	{"INSERT INTO ck1 VALUES (8, 1, 1, 1, 11, 'new')", "INSERT 0 1"},
	{"ALTER TABLE ck1 ADD CHECK (qty < 100) NOT VALID", "ALTER TABLE"},
	{"INSERT INTO ck1 VALUES (9, 100, 1, 1, 2, 'old')", "ERROR 23514 ck1_qty_check1"},
	{"ALTER TABLE ck1 RENAME COLUMN qty TO quantity", "ALTER TABLE"},
	{"UPDATE ck1 SET quantity = -1 WHERE id = 7", "ERROR 23514 ck1_qty_check"},
	{"UPDATE ck1 SET quantity = 99 WHERE id = 7", "UPDATE 1"},
	{"SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0 ORDER BY 1",
		"ck1_price_check\nck1_qty_check\nck1_qty_check1\nck1_status_check\nrange_ok\nSELECT 5"},
	{"ALTER TABLE ck1 DROP COLUMN lo", "ALTER TABLE"},
	{"SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0 ORDER BY 1",
		"ck1_price_check\nck1_qty_check\nck1_qty_check1\nck1_status_check\nSELECT 4"},
	{"INSERT INTO ck1 VALUES (9, 1, 1, 50, 'old')", "INSERT 0 1"},
	{"CREATE TABLE ck2 (a int4 CHECK (a > (SELECT 1)))", "ERROR 0A000"},
	{"CREATE TABLE ck2 (a int4 CHECK (b > 0))", "ERROR 42703"},
	{"CREATE TABLE ck2 (a int4 CHECK (sum(a) > 0))", "ERROR 42803"},
	{"CREATE TABLE ck2 (a int4, b int4 UNIQUE, CHECK (a < b), CHECK (a NOT IN (1, 2)), CHECK (b NOT BETWEEN 10 AND 20))", "CREATE TABLE"},
	{"INSERT INTO ck2 VALUES (3, 2)", "ERROR 23514 ck2_check"},
	{"INSERT INTO ck2 VALUES (1, 5)", "ERROR 23514 ck2_a_check"},
	{"INSERT INTO ck2 VALUES (3, 15)", "ERROR 23514 ck2_b_check"},
	{"INSERT INTO ck2 VALUES (3, 25), (NULL, 5), (4, NULL)", "INSERT 0 3"},
	{"INSERT INTO ck2 VALUES (5, 6), (7, 7)", "ERROR 23514 ck2_check"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO ck2 VALUES (5, 6)", "INSERT 0 1"},
	{"INSERT INTO ck2 VALUES (7, 7)", "ERROR 23514 ck2_check"},
	{"COMMIT", "ROLLBACK"},
	{"SELECT count(*) FROM ck2", "3\nSELECT 1"},
	// A statement changes every row it matches or none: the unique violation on the second row undoes the first.
	{"UPDATE ck2 SET b = 26 WHERE a IS NULL OR a = 3", "ERROR 23505"},
	{"SELECT a, b FROM ck2 ORDER BY a NULLS FIRST", "|5\n3|25\n4|\nSELECT 3"},
	{"UPDATE ck2 SET a = a + 30, b = b + 30 WHERE b IS NOT NULL", "UPDATE 2"},
	{"SELECT a, b FROM ck2 ORDER BY a NULLS FIRST", "|35\n4|\n33|55\nSELECT 3"},
	{"DROP TABLE ck1", "DROP TABLE"},
	{"DROP TABLE ck2", "DROP TABLE"},
}

// runChecks runs checkSteps on a connection.
// checkFuncSteps: CHECK expressions with the functions and matches the storage evaluates (length, char_length,
// octet_length, btrim/ltrim/rtrim, abs, num_nulls/num_nonnulls, cardinality, array_length, LIKE, ILIKE, ~, ~*
// and their negations, IN over an expression), NULL passing, the checks of $inc and array updates, and ALTER
// TABLE ... ADD CHECK over existing rows.
var checkFuncSteps = []struct{ sql, want string }{
	{"CREATE TABLE ckf (id int PRIMARY KEY, name text CHECK (length(name) > 0), code varchar(10) CHECK (char_length(code) BETWEEN 2 AND 5), " +
		"email text CHECK (email LIKE '%@%'), slug text CHECK (slug ~ '^[a-z0-9-]+$'), a int, b int, CONSTRAINT one_of CHECK (num_nonnulls(a, b) = 1), " +
		"t text CHECK (btrim(t) <> ''), tags text[] CHECK (cardinality(tags) <= 3))", "CREATE TABLE"},
	{"INSERT INTO ckf VALUES (1, 'x', 'ab', 'a@b', 'ok-1', 1, NULL, 'x', '{a}')", "INSERT 0 1"},
	{"INSERT INTO ckf VALUES (2, '', 'ab', 'a@b', 'ok', 1, NULL, 'x', '{a}')", "ERROR 23514 ckf_name_check"},
	{"INSERT INTO ckf VALUES (3, 'x', 'a', 'a@b', 'ok', 1, NULL, 'x', '{a}')", "ERROR 23514 ckf_code_check"},
	{"INSERT INTO ckf VALUES (4, 'x', 'ab', 'ab', 'ok', 1, NULL, 'x', '{a}')", "ERROR 23514 ckf_email_check"},
	{"INSERT INTO ckf VALUES (5, 'x', 'ab', 'a@b', 'Bad', 1, NULL, 'x', '{a}')", "ERROR 23514 ckf_slug_check"},
	{"INSERT INTO ckf VALUES (6, 'x', 'ab', 'a@b', 'ok', 1, 2, 'x', '{a}')", "ERROR 23514 one_of"},
	{"INSERT INTO ckf VALUES (7, 'x', 'ab', 'a@b', 'ok', NULL, NULL, 'x', '{a}')", "ERROR 23514 one_of"},
	{"INSERT INTO ckf VALUES (8, 'x', 'ab', 'a@b', 'ok', NULL, 2, '   ', '{a}')", "ERROR 23514 ckf_t_check"},
	{"INSERT INTO ckf VALUES (9, 'x', 'ab', 'a@b', 'ok', NULL, 2, ' y ', '{a,b,c,d}')", "ERROR 23514 ckf_tags_check"},
	{"INSERT INTO ckf VALUES (10, NULL, NULL, NULL, NULL, NULL, 2, NULL, NULL)", "INSERT 0 1"},
	{"UPDATE ckf SET name = '' WHERE id = 1", "ERROR 23514 ckf_name_check"},
	{"UPDATE ckf SET b = 5 WHERE id = 1", "ERROR 23514 one_of"},
	{"SELECT id, name, code, email, slug, a, b, t, tags FROM ckf ORDER BY id", "1|x|ab|a@b|ok-1|1||x|{a}\n10||||||2||\nSELECT 2"},
	{"CREATE TABLE ckg (id int PRIMARY KEY, s text, c char(6), v varchar(20), n int, tags int[], CHECK (octet_length(s) <= 6), CHECK (length(c) >= 2), " +
		"CONSTRAINT v_fmt CHECK (v NOT LIKE 'x%' AND v ILIKE '%A_'), CONSTRAINT v_re CHECK (v !~* '^bad'), CONSTRAINT n_abs CHECK (abs(n) < 10), " +
		"CONSTRAINT tag_len CHECK (array_length(tags, 1) IN (1, 2) OR tags = '{}'), " +
		"CONSTRAINT s_len CHECK (char_length(ltrim(rtrim(s, '.'), '-')) IN (1, 2, 3, 4)))", "CREATE TABLE"},
	{"INSERT INTO ckg VALUES (1, 'ab', 'ab', 'qa1', 0, '{1}')", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (2, 'ééé', 'ab', 'qa1', 0, '{1}')", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (3, 'éé', 'ab    ', 'qa1', 0, '{1}')", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (4, 'ab', 'a', 'qa1', 0, '{1}')", "ERROR 23514 ckg_c_check"},
	{"INSERT INTO ckg VALUES (5, 'ab', 'ab', 'xa1', 0, '{1}')", "ERROR 23514 v_fmt"},
	{"INSERT INTO ckg VALUES (6, 'ab', 'ab', 'qA', 0, '{1}')", "ERROR 23514 v_fmt"},
	{"INSERT INTO ckg VALUES (7, 'ab', 'ab', 'BADa1', 0, '{1}')", "ERROR 23514 v_re"},
	{"INSERT INTO ckg VALUES (8, 'ab', 'ab', 'qa1', -10, '{1}')", "ERROR 23514 n_abs"},
	{"INSERT INTO ckg VALUES (9, 'ab', 'ab', 'qa1', -9, '{}')", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (10, 'ab', 'ab', 'qa1', 9, '{1,2,3}')", "ERROR 23514 tag_len"},
	{"INSERT INTO ckg VALUES (11, '--..', 'ab', 'qa1', 9, '{1}')", "ERROR 23514 s_len"},
	{"INSERT INTO ckg VALUES (12, '-ab.', 'ab', 'qa1', 9, NULL)", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (13, NULL, NULL, NULL, NULL, NULL)", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (14, 'a', 'ab', E'qa\\n', 1, '{1}')", "INSERT 0 1"},
	{"UPDATE ckg SET n = n + 5 WHERE id = 1", "UPDATE 1"},
	{"UPDATE ckg SET n = n + 5 WHERE id = 1", "ERROR 23514 n_abs"},
	{"UPDATE ckg SET n = n - 20 WHERE id = 9", "ERROR 23514 n_abs"},
	{"UPDATE ckg SET tags = array_append(tags, 7) WHERE id = 1", "UPDATE 1"},
	{"UPDATE ckg SET tags = array_append(tags, 8) WHERE id = 1", "ERROR 23514 tag_len"},
	{"SELECT id, s, c, v, n, tags FROM ckg ORDER BY id",
		"1|ab|ab    |qa1|5|{1,7}\n2|ééé|ab    |qa1|0|{1}\n3|éé|ab    |qa1|0|{1}\n9|ab|ab    |qa1|-9|{}\n12|-ab.|ab    |qa1|9|\n13|||||\n14|a|ab    |qa\n|1|{1}\nSELECT 7"},
	{"ALTER TABLE ckg ADD CONSTRAINT s_not_dash CHECK (s NOT LIKE '-%')", "ERROR 23514 s_not_dash"},
	{"ALTER TABLE ckg ADD CONSTRAINT s_lit CHECK (s LIKE '%\\%%' OR s LIKE 'a_' OR s LIKE '-a%' OR s LIKE 'é%')", "ERROR 23514 s_lit"},
	{"DELETE FROM ckg WHERE id IN (13, 14)", "DELETE 2"},
	{"ALTER TABLE ckg ADD CONSTRAINT s_lit CHECK (s LIKE '%\\%%' OR s LIKE 'a_' OR s LIKE '-a%' OR s LIKE 'é%')", "ALTER TABLE"},
	{"INSERT INTO ckg VALUES (16, 'zz%', 'ab', 'qa1', 1, '{1}')", "INSERT 0 1"},
	{"INSERT INTO ckg VALUES (17, 'zz', 'ab', 'qa1', 1, '{1}')", "ERROR 23514 s_lit"},
	{"INSERT INTO ckg VALUES (18, 'é', 'ab', 'qa1', 1, '{1}')", "INSERT 0 1"},
	{"ALTER TABLE ckg ADD CONSTRAINT s_nn CHECK (num_nulls(s, c, v) = 0 AND num_nonnulls(n, tags, id) = 3)", "ERROR 23514 s_nn"},
	{"ALTER TABLE ckg ADD CONSTRAINT s_nn CHECK (num_nulls(s, c, v) = 0 AND num_nonnulls(n, tags, id) >= 2)", "ALTER TABLE"},
	{"INSERT INTO ckg VALUES (19, 'é', 'ab', 'qa1', NULL, NULL)", "ERROR 23514 s_nn"},
	{"INSERT INTO ckg VALUES (19, 'é', 'ab', 'qa1', NULL, '{1}')", "INSERT 0 1"},
	// A regular expression's $ is the end of the text, and its . matches a newline, as in PostgreSQL.
	{"CREATE TABLE ckh (a text CHECK (btrim(a, NULL) = 'x'), b text CHECK (b LIKE NULL), c text CHECK (c ~ 'a.$'))", "CREATE TABLE"},
	{"INSERT INTO ckh VALUES ('x', 'y', 'za')", "ERROR 23514 ckh_c_check"},
	{"INSERT INTO ckh VALUES ('x', 'y', E'za\\n')", "INSERT 0 1"},
	{"INSERT INTO ckh VALUES ('x', 'y', E'a\\nb')", "ERROR 23514 ckh_c_check"},
	{"SELECT 'é' LIKE 'é', 'héllo' LIKE 'h_llo', E'a\\nb' LIKE 'a_b', E'a\\nb' ~ 'a.b', E'ab\\n' ~ 'b$', 'AÉ' ILIKE 'aé'", "t|t|t|t|f|t\nSELECT 1"},
	{"SELECT 'a' LIKE 'a\\', 'ab' LIKE 'a\\b', 'a%' LIKE 'a\\%', 'ab' LIKE 'a\\%'", "f|t|t|f\nSELECT 1"},
	{"DROP TABLE ckf", "DROP TABLE"},
	{"DROP TABLE ckg", "DROP TABLE"},
	{"DROP TABLE ckh", "DROP TABLE"},
}

func runChecks(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, checkSteps)
	runSteps(t, who, c, checkFuncSteps)
}

// TestCheck_NeverNegative: 32 clients each take one from a stock of 20 with an UPDATE whose WHERE clause does not
// check the bound; the table's CHECK (qty >= 0) does, atomically with each decrement: exactly 20 succeed, the
// other 12 fail with check_violation, and the stock ends at 0, never below.
func TestCheck_NeverNegative(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE stock (id int8 PRIMARY KEY, qty int8 NOT NULL CHECK (qty >= 0))"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "INSERT INTO stock VALUES (1, 20)"); err != nil {
		t.Fatal(err)
	}
	const clients = 32
	counts := concurrentOutcomes(t, url, clients, "UPDATE stock SET qty = qty - 1 WHERE id = 1", 1)
	if counts["ok"] != 20 || counts["23514"] != clients-20 {
		t.Fatalf("outcomes %v, want 20 ok and %d check violations", counts, clients-20)
	}
	var qty int64
	if err := setup.QueryRow(ctx, "SELECT qty FROM stock WHERE id = 1").Scan(&qty); err != nil || qty != 0 {
		t.Fatalf("qty %d, %v; want 0", qty, err)
	}
}

// TestCheck_CardinalityBound: 32 clients each append their number to one row's array under CHECK
// (cardinality(tags) <= 5), a bound the UPDATE itself does not state: the storage checks the array each append
// produces, atomically with it, so exactly 5 succeed and the array ends with 5 elements.
func TestCheck_CardinalityBound(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE capped (id int8 PRIMARY KEY, tags int8[] NOT NULL CHECK (cardinality(tags) <= 5))"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "INSERT INTO capped VALUES (1, '{}')"); err != nil {
		t.Fatal(err)
	}
	const clients = 32
	counts := concurrentOutcomes(t, url, clients, "UPDATE capped SET tags = array_append(tags, 1) WHERE id = 1", 1)
	if counts["ok"] != 5 || counts["23514"] != clients-5 {
		t.Fatalf("outcomes %v, want 5 ok and %d check violations", counts, clients-5)
	}
	var n int64
	if err := setup.QueryRow(ctx, "SELECT cardinality(tags) FROM capped WHERE id = 1").Scan(&n); err != nil || n != 5 {
		t.Fatalf("cardinality %d, %v; want 5", n, err)
	}
}

// TestCheck_MultiRowUpdateAtomic: concurrent UPDATEs of every row, refused by a CHECK once the last row would
// pass its bound, change all their rows or none. Rows 1 to 9 start at 0 and row 10 at 3 under CHECK (n <= 5);
// 8 clients each add 1 to every row: exactly 2 statements succeed, rows 1 to 9 end at 2 and row 10 at 5. A
// statement that stopped at row 10 after writing the others would leave rows 1 to 9 above 2.
func TestCheck_MultiRowUpdateAtomic(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE bounded (id int8 PRIMARY KEY, n int8 NOT NULL CHECK (n <= 5))"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "INSERT INTO bounded SELECT g, CASE WHEN g = 10 THEN 3 ELSE 0 END FROM generate_series(1, 10) AS g"); err != nil {
		t.Fatal(err)
	}
	const clients = 8
	counts := concurrentOutcomes(t, url, clients, "UPDATE bounded SET n = n + 1", 10)
	if counts["ok"] != 2 || counts["23514"] != clients-2 {
		t.Fatalf("outcomes %v, want 2 ok and %d check violations", counts, clients-2)
	}
	var lo, hi, last int64
	if err := setup.QueryRow(ctx, "SELECT min(n), max(n) FROM bounded WHERE id < 10").Scan(&lo, &hi); err != nil || lo != 2 || hi != 2 {
		t.Fatalf("rows 1 to 9 between %d and %d (%v), want all 2", lo, hi, err)
	}
	if err := setup.QueryRow(ctx, "SELECT n FROM bounded WHERE id = 10").Scan(&last); err != nil || last != 5 {
		t.Fatalf("row 10 at %d (%v), want 5", last, err)
	}
}

// concurrentOutcomes runs stmt once on each of n connections at the same time and counts the outcomes: "ok"
// when it changed rows rows, else its SQLSTATE (or the error or tag when it has none).
func concurrentOutcomes(t *testing.T, url string, n int, stmt string, rows int64) map[string]int {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close(ctx)
			tag, err := c.Exec(ctx, stmt)
			got := outcome(err)
			if err == nil && tag.RowsAffected() != rows {
				got = fmt.Sprintf("tag %v", tag)
			}
			mu.Lock()
			counts[got]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return counts
}

// TestNumericRange_NeverOverflows: 32 clients each add 0.25 to a numeric(4,2) at 98.00 with an UPDATE whose WHERE
// clause does not check the bound; the storage holds the column's range atomically with each increment: exactly
// 7 succeed (99.75), the other 25 fail with numeric_value_out_of_range, and the value never reaches 100.00.
func TestNumericRange_NeverOverflows(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	if _, err := setup.Exec(ctx, "CREATE TABLE gauge (id int8 PRIMARY KEY, n numeric(4,2) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(ctx, "INSERT INTO gauge VALUES (1, 98)"); err != nil {
		t.Fatal(err)
	}
	const clients = 32
	counts := concurrentOutcomes(t, url, clients, "UPDATE gauge SET n = n + 0.25 WHERE id = 1", 1)
	if counts["ok"] != 7 || counts["22003"] != clients-7 {
		t.Fatalf("outcomes %v, want 7 ok and %d numeric overflows", counts, clients-7)
	}
	var n string
	if err := setup.QueryRow(ctx, "SELECT n::text FROM gauge WHERE id = 1").Scan(&n); err != nil || n != "99.75" {
		t.Fatalf("n %s, %v; want 99.75", n, err)
	}
}

// TestNumericRange_MongoPort: a write over the MongoDB port (the root API here) to a table's numeric(p,s) column
// is held to the column's range too, by the same validator: DocumentValidationFailure (121).
func TestNumericRange_MongoPort(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE mr (id int PRIMARY KEY, n numeric(4,2))"); err != nil {
		t.Fatal(err)
	}
	coll := db.Database("test").Collection("mr")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(1)}, {Key: "n", Value: 99.5}}); err != nil {
		t.Fatal(err)
	}
	var ce *concord.Error
	_, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(2)}, {Key: "n", Value: 100.0}})
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Fatalf("insert of 100 into numeric(4,2): %v, want DocumentValidationFailure", err)
	}
	_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: -200}}}})
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Fatalf("$inc to -100.5: %v, want DocumentValidationFailure", err)
	}
	assertRows(t, c, "SELECT id, n::text FROM mr", "1 99.50")
}

// TestNumericRange_OlderTable: a table whose validator was set before it held numeric(p,s) ranges (no "ranges"
// in its catalog record, no validator) gets the range check at its next statement outside a transaction.
func TestNumericRange_OlderTable(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE old (id int PRIMARY KEY, n numeric(3,1))"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO old VALUES (1, 99)"); err != nil {
		t.Fatal(err)
	}
	// Make it as an older version left it.
	d := db.Database("test")
	if _, err := d.Collection("system.sql_tables").UpdateOne(ctx, bson.D{{Key: "_id", Value: "old"}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "ranges", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	if err := d.ModifyCollection(ctx, "old", func(o *concord.CollectionOptions) error { o.Validator = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	c2 := connect(t, url) // a new session, which reads the catalog afresh
	_, err := c2.Exec(ctx, "UPDATE old SET n = n + 5 WHERE id = 1")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22003" {
		t.Fatalf("an overflowing increment of an older table: %v, want 22003", err)
	}
	assertRows(t, c2, "SELECT n::text FROM old", "99.0")
}
