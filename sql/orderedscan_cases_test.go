package sql

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// orderedExec runs statements, failing the test on an error.
func orderedExec(t *testing.T, s *Session, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if err := s.Query(context.Background(), q, func(*Result) error { return nil }); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// orderedLimits checks that q LIMIT n is the first n rows of q (which, without a LIMIT, has no ordered scan).
func orderedLimits(t *testing.T, s *Session, q string, ns ...int) {
	t.Helper()
	all := orderedRows(t, s, q)
	parts := strings.Split(all, ";")
	for _, n := range ns {
		want := ""
		if n <= len(parts) {
			want = strings.Join(parts[:n], ";")
		} else {
			want = all
		}
		got := orderedRows(t, s, fmt.Sprintf("%s LIMIT %d", q, n))
		if got != want {
			t.Errorf("%s LIMIT %d:\n got  %s\n want %s (all: %s)", q, n, got, want, all)
		}
	}
}

// orderedInsertRaw inserts documents over the MongoDB port, without validation.
func orderedInsertRaw(t *testing.T, db *concord.DB, coll string, docs ...bson.D) {
	t.Helper()
	c := db.Database("test").Collection(coll)
	for _, d := range docs {
		if _, err := c.InsertOne(concord.WithoutValidation(context.Background()), d); err != nil {
			t.Fatal(err)
		}
	}
}

// The tests below check that a SELECT ... LIMIT n is the first n rows of the same SELECT without it, where the
// ordered scan reads its table in the storage's order: values written over the MongoDB port, index kinds,
// composite keys, a transaction's own writes, views, CTEs and prepared statements.

// A NOT NULL second sort key left out over the MongoDB port: SQL reads NULL, which sorts last ascending, the
// storage first.
func TestOrderedScan_LimitMissingSecondKey(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL, n int NOT NULL)",
		"INSERT INTO t SELECT i, i % 3, i FROM generate_series(1, 12) i",
		"CREATE INDEX t_g ON t (g)", "CREATE INDEX t_n ON t (n)")
	orderedInsertRaw(t, db, "t", bson.D{{Key: "_id", Value: int64(100)}, {Key: "g", Value: int32(0)}})
	orderedLimits(t, s, "SELECT id, g, n FROM t ORDER BY g, n", 1, 2, 5)
	orderedLimits(t, s, "SELECT id, g, n FROM t ORDER BY g DESC, n DESC", 1, 2, 5)
}

// _id: null as a later sort key (the primary key).
func TestOrderedScan_LimitNullIdSecondKey(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL)",
		"INSERT INTO t SELECT i, i % 3 FROM generate_series(1, 12) i",
		"CREATE INDEX t_g ON t (g)")
	orderedInsertRaw(t, db, "t", bson.D{{Key: "_id", Value: nil}, {Key: "g", Value: int32(0)}})
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g, id", 1, 2, 5)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC, id DESC", 1, 2, 5)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY id", 1, 2, 13)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY id DESC", 1, 2, 13)
}

// Array values (multikey) in an int column, in the middle of the range.
func TestOrderedScan_LimitArrayMiddle(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL)",
		"INSERT INTO t SELECT i, i * 10 FROM generate_series(1, 10) i",
		"CREATE INDEX t_g ON t (g)")
	orderedInsertRaw(t, db, "t", bson.D{{Key: "_id", Value: int64(100)}, {Key: "g", Value: bson.A{int32(15), int32(95)}}})
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g", 1, 2, 3)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC", 1, 2, 3)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g NULLS FIRST", 1, 2, 3)
}

// A double (fraction) and a null-containing array in an int column.
func TestOrderedScan_LimitDoubleMiddle(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int)",
		"INSERT INTO t SELECT i, i * 10 FROM generate_series(1, 10) i",
		"CREATE INDEX t_g ON t (g)")
	orderedInsertRaw(t, db, "t", bson.D{{Key: "_id", Value: int64(100)}, {Key: "g", Value: 15.5}})
	orderedInsertRaw(t, db, "t", bson.D{{Key: "_id", Value: int64(101)}, {Key: "g", Value: bson.A{nil, int32(25)}}})
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g", 1, 2, 3, 4)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC", 1, 2, 3, 11)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC NULLS LAST", 1, 2, 3, 11)
}

// Sparse and collated indexes on the sort key.
func TestOrderedScan_LimitIndexKinds(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int, s text)",
		"INSERT INTO t SELECT i, CASE WHEN i % 4 = 0 THEN NULL ELSE i END, CASE WHEN i % 2 = 0 THEN 'B' || i ELSE 'a' || i END FROM generate_series(1, 12) i")
	c := db.Database("test").Collection("t")
	ctx := context.Background()
	for _, m := range []concord.IndexModel{
		{Keys: bson.D{{Key: "g", Value: 1}}, Sparse: true},
		{Keys: bson.D{{Key: "s", Value: 1}}, Collation: bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}},
	} {
		if _, err := c.CreateIndex(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g NULLS FIRST, id", 1, 2, 4)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC NULLS LAST, id", 1, 2, 11)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g, id", 1, 2, 11)
	orderedLimits(t, s, "SELECT id, s FROM t ORDER BY s, id", 1, 2, 4)
	orderedLimits(t, s, "SELECT id, s FROM t ORDER BY s DESC, id", 1, 2, 4)
}

func TestOrderedScan_LimitPartialIndex(t *testing.T) {
	db, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL)",
		"INSERT INTO t SELECT i, i FROM generate_series(1, 12) i")
	c := db.Database("test").Collection("t")
	if _, err := c.CreateIndex(context.Background(), concord.IndexModel{Keys: bson.D{{Key: "g", Value: 1}},
		PartialFilterExpression: bson.D{{Key: "g", Value: bson.D{{Key: "$gt", Value: 5}}}}}); err != nil {
		t.Fatal(err)
	}
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g", 1, 2, 4)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC", 1, 2, 8)
	orderedLimits(t, s, "SELECT id, g FROM t WHERE g < 4 ORDER BY g DESC", 1, 2)
}

// Composite primary key.
func TestOrderedScan_LimitCompositeKey(t *testing.T) {
	_, s := orderedSession(t,
		"CREATE TABLE t (a int NOT NULL, b int NOT NULL, v int, PRIMARY KEY (a, b))",
		"INSERT INTO t SELECT i % 3, i, i FROM generate_series(1, 12) i")
	orderedLimits(t, s, "SELECT a, b FROM t ORDER BY a, b", 1, 2, 5)
	orderedLimits(t, s, "SELECT a, b FROM t ORDER BY a DESC, b", 1, 2, 5)
	orderedLimits(t, s, "SELECT a, b FROM t ORDER BY b DESC", 1, 2, 5)
}

// Transactions: own writes.
func TestOrderedScan_LimitTxn(t *testing.T) {
	_, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL)",
		"INSERT INTO t SELECT i, i FROM generate_series(1, 12) i",
		"CREATE INDEX t_g ON t (g)")
	orderedExec(t, s, "BEGIN", "INSERT INTO t VALUES (100, -5), (101, 50)", "UPDATE t SET g = 60 WHERE id = 1", "DELETE FROM t WHERE id = 12")
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g", 1, 2, 3)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g DESC", 1, 2, 3)
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY id DESC", 1, 2, 3)
	orderedExec(t, s, "ROLLBACK", "BEGIN ISOLATION LEVEL REPEATABLE READ", "INSERT INTO t VALUES (100, -5)")
	orderedLimits(t, s, "SELECT id, g FROM t ORDER BY g", 1, 2, 3)
	orderedExec(t, s, "COMMIT")
}

func TestOrderedScan_ViewsCTEsPrepared(t *testing.T) {
	_, s := orderedSession(t,
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL)",
		"INSERT INTO t SELECT i, i FROM generate_series(1, 12) i",
		"CREATE INDEX t_g ON t (g)",
		"CREATE VIEW v AS SELECT id, -g AS g FROM t",
		"CREATE TABLE u (id int8 PRIMARY KEY, g int NOT NULL)",
		"PREPARE p(int8, int8) AS SELECT id FROM t ORDER BY g DESC LIMIT $1 OFFSET $2")
	for _, c := range []struct{ q, want string }{
		{"SELECT id, g FROM v t ORDER BY g LIMIT 2", "12|-12;11|-11"},
		{"SELECT id, g FROM v AS t ORDER BY id DESC LIMIT 2", "12|-12;11|-11"},
		{"WITH t AS (SELECT id, -g AS g FROM t) SELECT * FROM (SELECT id, g FROM t ORDER BY g LIMIT 2) q", "12|-12;11|-11"},
		{"WITH t AS MATERIALIZED (SELECT id, -g AS g FROM t) SELECT (SELECT id FROM t ORDER BY g LIMIT 1)", "12"},
		{"EXECUTE p(2, 1)", "11;10"},
		{"EXECUTE p(3, 0)", "12;11;10"},
		{"SELECT id FROM t ORDER BY g LIMIT 2 OFFSET 11", "12"},
		{"SELECT (SELECT u.id FROM u ORDER BY u.g LIMIT 1) FROM t ORDER BY id LIMIT 1", "NULL"},
		{"SELECT id FROM t WHERE EXISTS (SELECT 1) ORDER BY g LIMIT 1", "1"},
	} {
		if got := orderedRows(t, s, c.q); got != c.want {
			t.Errorf("%s: %s, want %s", c.q, got, c.want)
		}
	}
	orderedExec(t, s, "INSERT INTO u SELECT id, g FROM t ORDER BY g DESC LIMIT 3")
	if got := orderedRows(t, s, "SELECT id FROM u ORDER BY id"); got != "10;11;12" {
		t.Errorf("insert select: %s", got)
	}
}
