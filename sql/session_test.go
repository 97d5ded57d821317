package sql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// openSession opens a fresh database and a session on it.
func openSession(t testing.TB) *sql.Session {
	t.Helper()
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := sql.NewEngine(db).NewSession("test", "")
	t.Cleanup(s.Close)
	return s
}

// run runs statements and renders their results: one line per row,
// values separated by |, then the command tag.
func run(t testing.TB, s *sql.Session, text string) string {
	t.Helper()
	var b strings.Builder
	err := s.Query(context.Background(), text, func(r *sql.Result) error {
		if r.Columns != nil {
			names := make([]string, len(r.Columns))
			for i, c := range r.Columns {
				names[i] = c.Name
			}
			b.WriteString(strings.Join(names, "|") + "\n")
		}
		for _, row := range r.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					vals[i] = "NULL"
				} else {
					vals[i] = fmt.Sprint(sql.FormatText(v))
				}
			}
			b.WriteString(strings.Join(vals, "|") + "\n")
		}
		b.WriteString(r.Tag + "\n")
		return nil
	})
	if err != nil {
		b.WriteString("ERROR " + sql.AsError(err).Code + ": " + sql.AsError(err).Message + "\n")
	}
	return b.String()
}

func TestSession_Smoke(t *testing.T) {
	s := openSession(t)
	for _, c := range []struct{ in, want string }{
		{"CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL, version int4, tags text[])", "CREATE TABLE\n"},
		{"INSERT INTO accounts (id, balance, version, tags) VALUES ('a', 100, 1, ARRAY['x']), ('b', 50, 1, '{}')", "INSERT 0 2\n"},
		{"SELECT id, balance FROM accounts ORDER BY id", "id|balance\na|100\nb|50\nSELECT 2\n"},
		{"UPDATE accounts SET balance = balance - 30, version = version + 1 WHERE id = 'a' AND version = 1 AND balance >= 30", "UPDATE 1\n"},
		{"UPDATE accounts SET balance = balance - 30 WHERE id = 'a' AND version = 1", "UPDATE 0\n"},
		{"SELECT id, balance, version FROM accounts WHERE id = 'a'", "id|balance|version\na|70|2\nSELECT 1\n"},
		{"UPDATE accounts SET tags = ARRAY_APPEND_UNIQUE(tags, 'y') WHERE id = 'a' AND NOT ARRAY_CONTAINS(tags, 'y') RETURNING tags", "tags\n{x,y}\nUPDATE 1\n"},
		{"UPDATE accounts SET tags = ARRAY_REMOVE(tags, 'x') WHERE id = 'a' RETURNING id, tags", "id|tags\na|{y}\nUPDATE 1\n"},
		{"SELECT count(*), sum(balance) FROM accounts", "count|sum\n2|120\nSELECT 1\n"},
		{"DELETE FROM accounts WHERE balance < 60 RETURNING id", "id\nb\nDELETE 1\n"},
		{"INSERT INTO accounts (id, balance) VALUES ('a', 1)", "ERROR 23505: duplicate key value violates unique constraint \"accounts_pkey\"\n"},
		{"INSERT INTO accounts (id, balance) VALUES ('c', 1) ON CONFLICT (id) DO NOTHING", "INSERT 0 1\n"},
		{"INSERT INTO accounts (id, balance) VALUES ('c', 5) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance RETURNING balance", "balance\n6\nINSERT 0 1\n"},
		{"SELECT * FROM nope", "ERROR 42P01: relation \"nope\" does not exist\n"},
		{"SELECT nope FROM accounts", "ERROR 42703: column \"nope\" does not exist\n"},
		{"SELEC 1", "ERROR 42601: syntax error at or near \"SELEC\"\n"},
		{"SELECT id, ROW_NUMBER() OVER (ORDER BY id DESC) AS n FROM accounts ORDER BY id", "id|n\na|2\nc|1\nSELECT 2\n"},
		{"WITH t AS (SELECT id, balance FROM accounts) SELECT a.id, CASE WHEN a.balance > 10 THEN 'big' ELSE 'small' END FROM t a ORDER BY 1", "id|case\na|big\nc|small\nSELECT 2\n"},
		{"SELECT a.id, b.id FROM accounts a LEFT JOIN accounts b ON a.id = b.id AND b.balance > 10 ORDER BY a.id", "id|id\na|a\nc|NULL\nSELECT 2\n"},
		{"SELECT id FROM accounts WHERE id IN (SELECT id FROM accounts WHERE balance > 10)", "id\na\nSELECT 1\n"},
	} {
		if got := run(t, s, c.in); got != c.want {
			t.Errorf("%s\ngot:\n%s\nwant:\n%s", c.in, got, c.want)
		}
	}
}

func TestSession_PreparedTransactionControl(t *testing.T) {
	s := openSession(t)
	ctx := context.Background()
	for _, text := range []string{"BEGIN", "COMMIT"} {
		st, err := s.Prepare(ctx, text, nil)
		if err != nil {
			t.Fatalf("Prepare(%s): %v", text, err)
		}
		res, err := s.Execute(ctx, st, nil)
		if err != nil || res.Tag != text {
			t.Fatalf("Execute(%s): %v %v", text, res, err)
		}
		want := sql.TxActive
		if text == "COMMIT" {
			want = sql.TxIdle
		}
		if s.TxStatus() != want {
			t.Fatalf("after %s: status %c", text, s.TxStatus())
		}
	}
}

func TestEngine_Stats(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := sql.NewEngine(db)
	s := e.NewSession("test", "")
	defer s.Close()
	run(t, s, "CREATE TABLE t (k int8 PRIMARY KEY); INSERT INTO t VALUES (1); SELECT * FROM t; BEGIN; COMMIT")
	run(t, s, "INSERT INTO t VALUES (1)")
	run(t, s, "SELEC")
	st := e.Stats()
	for kind, n := range map[string]int64{"DDL": 1, "INSERT": 2, "SELECT": 1, "BEGIN": 1, "COMMIT": 1} {
		if st.Statements[kind] != n {
			t.Errorf("%s: %d statements, want %d (%v)", kind, st.Statements[kind], n, st.Statements)
		}
	}
	if st.Errors["23505"] != 1 || st.Errors["42601"] != 1 {
		t.Errorf("errors %v, want one 23505 and one 42601", st.Errors)
	}
}

// TestSession_UniqueAllowsNULLs: a UNIQUE column takes any number of NULLs, as in PostgreSQL (SQL writes NULL as
// an absent field and the unique index holds only rows that have one), and the index still serves an equality
// on the column: a lookup examines one document, not the table.
func TestSession_UniqueAllowsNULLs(t *testing.T) {
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sql.NewEngine(db).NewSession("test", "")
	defer s.Close()
	var b strings.Builder
	b.WriteString("CREATE TABLE users (id int8 PRIMARY KEY, email text UNIQUE); INSERT INTO users VALUES ")
	for i := range 200 {
		if i > 0 {
			b.WriteString(", ")
		}
		if i%2 == 0 {
			fmt.Fprintf(&b, "(%d, NULL)", i)
		} else {
			fmt.Fprintf(&b, "(%d, 'u%d@x')", i, i)
		}
	}
	if got := run(t, s, b.String()); strings.Contains(got, "ERROR") {
		t.Fatal(got)
	}
	if got := run(t, s, "INSERT INTO users VALUES (1000, 'u7@x')"); !strings.Contains(got, "ERROR 23505") {
		t.Fatalf("duplicate email: %s", got)
	}
	var st concord.OpStats
	ctx := concord.WithOpStats(context.Background(), &st)
	var got struct {
		ID int64 `bson:"_id"`
	}
	if err := db.Database("test").Collection("users").FindOne(ctx, bson.D{{Key: "email", Value: "u7@x"}}).Decode(&got); err != nil || got.ID != 7 {
		t.Fatalf("lookup: %+v, %v", got, err)
	}
	if st.DocsExamined != 1 {
		t.Fatalf("the lookup by email examined %d documents, want 1 (through the unique index)", st.DocsExamined)
	}
}

// TestSession_PartialIndexColumns: a column a partial index's WHERE clause names is neither renamed nor dropped
// while the index stands (0A000, naming the index); once the index is dropped both work, and the index's clause
// survives a reopen of the database (it is in the table's catalog entry).
func TestSession_PartialIndexColumns(t *testing.T) {
	dir := t.TempDir()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := sql.NewEngine(db).NewSession("test", "")
	run(t, s, "CREATE TABLE pv (id int PRIMARY KEY, a text, b int); CREATE UNIQUE INDEX pv_a ON pv (a) WHERE b > 0")
	for _, stmt := range []string{"ALTER TABLE pv RENAME COLUMN b TO c", "ALTER TABLE pv DROP COLUMN b"} {
		if got := run(t, s, stmt); !strings.Contains(got, "ERROR 0A000") || !strings.Contains(got, "pv_a") {
			t.Fatalf("%s: %s", stmt, got)
		}
	}
	s.Close()
	db.Close()
	if db, err = concord.Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s = sql.NewEngine(db).NewSession("test", "")
	defer s.Close()
	if got := run(t, s, "SELECT pg_get_indexdef('pv_a'::regclass)"); !strings.Contains(got, "WHERE (b > 0)") {
		t.Fatalf("after reopen: %s", got)
	}
	if got := run(t, s, "INSERT INTO pv VALUES (1, 'x', 1), (2, 'x', 0), (3, 'x', 2)"); !strings.Contains(got, "ERROR 23505") {
		t.Fatalf("duplicate covered row: %s", got)
	}
	if got := run(t, s, "DROP INDEX pv_a; ALTER TABLE pv RENAME COLUMN b TO c"); strings.Contains(got, "ERROR") {
		t.Fatal(got)
	}
	if got := run(t, s, "INSERT INTO pv VALUES (1, 'x', 1), (2, 'x', 1)"); strings.Contains(got, "ERROR") {
		t.Fatalf("after DROP INDEX: %s", got)
	}
}
