package pgserver_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// copySteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): COPY ... FROM STDIN sends
// in (through pgconn's CopyFrom) and wants its command tag, COPY ... TO STDOUT wants the data received, any other
// statement wants its rows and tag as in compareSteps; "ERROR " and a SQLSTATE for a failing one.
var copySteps = []struct{ sql, in, want string }{
	{"CREATE TABLE cp (id int8 PRIMARY KEY, name text, qty int4 DEFAULT 5, tags text[], note text)", "", "CREATE TABLE"},
	{"COPY cp (id, name, qty, tags, note) FROM STDIN", "1\talice\t3\t{a,b}\tx\\ty\n2\t\\N\t4\t{}\tline\\nbreak\n\\.\n", "COPY 2"},
	{"COPY cp (id, name) FROM STDIN WITH (FORMAT csv, HEADER true)", "id,name\n3,\"bob, jr\"\n4,\"say \"\"hi\"\"\"\n5,\n6,\"\"\n", "COPY 4"},
	{"COPY cp (id, name) FROM STDIN (FORMAT csv, DELIMITER ';', NULL 'NA')", "7;NA\n8;\"multi\nline\"\n", "COPY 2"},
	{"SELECT id, name IS NULL, qty, note FROM cp ORDER BY id", "", "1|f|3|x\ty\n2|t|4|line\nbreak\n3|f|5|\n4|f|5|\n5|t|5|\n6|f|5|\n7|t|5|\n8|f|5|\nSELECT 8"},
	{"COPY cp (id, name) TO STDOUT", "", "1\talice\n2\t\\N\n3\tbob, jr\n4\tsay \"hi\"\n5\t\\N\n6\t\n7\t\\N\n8\tmulti\\nline\n"},
	{"COPY cp (id, name, tags) TO STDOUT WITH (FORMAT csv, HEADER)", "", "id,name,tags\n1,alice,\"{a,b}\"\n2,,{}\n3,\"bob, jr\",\n4,\"say \"\"hi\"\"\",\n5,,\n6,\"\",\n7,,\n8,\"multi\nline\",\n"},
	{"COPY (SELECT id, qty * 2 AS double FROM cp WHERE id < 3 ORDER BY id) TO STDOUT (FORMAT csv)", "", "1,6\n2,8\n"},
	{"COPY cp (id, name) FROM STDIN", "9\tok\n10\n", "ERROR 22P04"},
	{"COPY cp (id, name) FROM STDIN", "11\ta\tb\n", "ERROR 22P04"},
	{"COPY cp (id, name) FROM STDIN", "12\tfine\nx\tbad\n", "ERROR 22P02 CONTEXT COPY cp, line 2, column id: \"x\""},
	{"COPY cp (id, name) FROM STDIN", "1\tdup\n", "ERROR 23505 CONTEXT COPY cp, line 1"},
	{"COPY cp (id, name, qty) FROM STDIN (FORMAT csv, HEADER)", "id,name,qty\n14,a,1\n15,b,many\n", "ERROR 22P02 CONTEXT COPY cp, line 3, column qty: \"many\""},
	{"COPY (SELECT id, name, qty FROM cp WHERE id IN (1, 2) ORDER BY id) TO STDOUT (FORMAT csv, FORCE_QUOTE *)", "", "\"1\",\"alice\",\"3\"\n\"2\",,\"4\"\n"},
	{"COPY (SELECT id, name FROM cp WHERE id IN (1, 2) ORDER BY id) TO STDOUT (FORMAT csv, FORCE_QUOTE (name))", "", "1,\"alice\"\n2,\n"},
	{"COPY cp (id, name) FROM STDIN (FORMAT csv)", "13,\"open\n", "ERROR 22P04"},
	{"SELECT count(*) FROM cp", "", "8\nSELECT 1"},
	{"COPY cp (nope) FROM STDIN", "", "ERROR 42703"},
	{"COPY cp FROM STDIN (FORMAT xml)", "", "ERROR 22023"},
	{"COPY cp FROM STDIN (DELIMITER 'ab')", "", "ERROR 0A000"},
	{"BEGIN", "", "BEGIN"},
	{"COPY cp (id, name) FROM STDIN", "20\tin-txn\n", "COPY 1"},
	{"ROLLBACK", "", "ROLLBACK"},
	{"SELECT count(*) FROM cp WHERE id = 20", "", "0\nSELECT 1"},
	{"DROP TABLE cp", "", "DROP TABLE"},
}

// runCopy runs copySteps on a connection.
func runCopy(t *testing.T, who string, c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range copySteps {
		var got string
		var err error
		upper := strings.ToUpper(s.sql)
		switch {
		case strings.HasPrefix(upper, "COPY") && strings.Contains(upper, "FROM STDIN"):
			var tag interface{ String() string }
			tag, err = c.PgConn().CopyFrom(ctx, strings.NewReader(s.in), s.sql)
			if err == nil {
				got = tag.String()
			}
		case strings.HasPrefix(upper, "COPY"):
			var b bytes.Buffer
			_, err = c.PgConn().CopyTo(ctx, &b, s.sql)
			got = b.String()
		default:
			got, err = renderSimple(c, s.sql, nil)
		}
		if err != nil {
			got = "ERROR " + sqlState(err)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && strings.Contains(s.want, " CONTEXT ") {
				got += " CONTEXT " + pe.Where
			}
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q (%v)\nwant: %q", who, s.sql, got, err, s.want)
		}
	}
}

// TestCopy_PgxCopyFrom loads rows with pgx's CopyFrom (the binary format, values of every common type), reads
// them back, and checks that a failing copy inserts nothing and leaves the connection usable.
func TestCopy_PgxCopyFrom(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE bulk (id int8 PRIMARY KEY, n int4, f float8, ok bool, s text, at timestamptz, tags text[])"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var rows [][]any
	for i := range 5000 {
		rows = append(rows, []any{int64(i), int32(i % 7), float64(i) / 2, i%2 == 0, "row " + strings.Repeat("x", i%5), at, []string{"t", "u"}})
	}
	rows[3][4] = nil
	n, err := c.CopyFrom(ctx, pgx.Identifier{"bulk"}, []string{"id", "n", "f", "ok", "s", "at", "tags"}, pgx.CopyFromRows(rows))
	if err != nil || n != 5000 {
		t.Fatalf("CopyFrom: %d, %v", n, err)
	}
	var count, sumN int64
	var sumF float64
	if err := c.QueryRow(ctx, "SELECT count(*), sum(n), sum(f) FROM bulk").Scan(&count, &sumN, &sumF); err != nil {
		t.Fatal(err)
	}
	var wantN int64
	var wantF float64
	for i := range 5000 {
		wantN += int64(i % 7)
		wantF += float64(i) / 2
	}
	if count != 5000 || sumN != wantN || sumF != wantF {
		t.Fatalf("count %d sum(n) %d sum(f) %v, want 5000 %d %v", count, sumN, sumF, wantN, wantF)
	}
	var s *string
	var ok bool
	var gotAt time.Time
	var tags []string
	if err := c.QueryRow(ctx, "SELECT s, ok, at, tags FROM bulk WHERE id = 3").Scan(&s, &ok, &gotAt, &tags); err != nil {
		t.Fatal(err)
	}
	if s != nil || ok || !gotAt.Equal(at) || strings.Join(tags, ",") != "t,u" {
		t.Fatalf("row 3: %v %v %v %v", s, ok, gotAt, tags)
	}
	// A duplicate key in the middle: nothing of this copy is inserted.
	dup := [][]any{{int64(10001), int32(1), 1.0, true, "a", at, []string{}}, {int64(7), int32(1), 1.0, true, "dup", at, []string{}}}
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"bulk"}, []string{"id", "n", "f", "ok", "s", "at", "tags"}, pgx.CopyFromRows(dup)); sqlState(err) != "23505" {
		t.Fatalf("duplicate copy: %v", err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bulk").Scan(&count); err != nil || count != 5000 {
		t.Fatalf("after the failed copy: %d rows, %v", count, err)
	}
	// The server's files are out of reach (PostgreSQL allows them to superusers only).
	for _, q := range []string{"COPY bulk TO '/tmp/concord-copy-out'", "COPY bulk FROM '/etc/passwd'", "COPY bulk FROM PROGRAM 'id'"} {
		if _, err := c.Exec(ctx, q); sqlState(err) != "42501" {
			t.Errorf("%s: %v", q, err)
		}
	}
	// A client that gives up: CopyFail ends the copy with 57014 and nothing inserted.
	_, err = c.PgConn().CopyFrom(ctx, failingReader{}, "COPY bulk (id) FROM STDIN")
	if sqlState(err) != "57014" {
		t.Fatalf("failed copy: %v", err)
	}
	if err := c.QueryRow(ctx, "SELECT count(*) FROM bulk").Scan(&count); err != nil || count != 5000 {
		t.Fatalf("after CopyFail: %d rows, %v", count, err)
	}
}

// failingReader gives a row and then fails, so that pgconn sends CopyFail.
type failingReader struct{}

func (failingReader) Read(p []byte) (int, error) { return 0, errors.New("source broke") }
