package pgserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// streamSteps cross the 1,024-row chunks in which a streamed result is made (sql/stream.go): run in order
// against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), each SELECT over the simple protocol and again over
// the extended one, each COPY ... TO STDOUT through pgconn. A step wants the start of the SHA-256 of what the
// client received and the command tag, or "ERROR " and the SQLSTATE; the hashes are PostgreSQL's.
var streamSteps = []struct{ sql, want string }{
	{"CREATE TABLE stream_t (id int PRIMARY KEY, n int, s text, ts timestamptz, iv interval)", "CREATE TABLE"},
	{"INSERT INTO stream_t SELECT g, g % 7, 'row ' || g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour', g * interval '1 minute' FROM generate_series(1, 3000) g", "INSERT 0 3000"},
	{"SELECT * FROM stream_t", "07824ab22c6fea09 SELECT 3000 / e083b1cd257dd6bd SELECT 3000"},
	{"SELECT id, n * 2 + 1 AS m, upper(s), ts::date, iv + interval '1 day' FROM stream_t WHERE n <> 3", "0191d4f4ddb1e942 SELECT 2571 / dc9aad7d90c822f9 SELECT 2571"},
	{"SELECT s FROM stream_t WHERE id > 1024 AND id <= 2048", "758790244b07430e SELECT 1024"},
	{"SELECT id FROM stream_t WHERE id % 1024 = 0", "0a8d8b1935b61ddd SELECT 2 / 1fadf75770bcc0ea SELECT 2"},
	{"SELECT id, 10 / (id - 2500) FROM stream_t", "ERROR 22012"},
	{"SELECT count(*) FROM stream_t WHERE n = 0", "ab16147fdae6b952 SELECT 1 / 22486cd47edbc9a1 SELECT 1"},
	{"SET TIME ZONE 'America/New_York'", "SET"},
	{"SET intervalstyle = 'iso_8601'", "SET"},
	{"SELECT ts, iv FROM stream_t", "c20a18020696f93c SELECT 3000 / cc814d11704df9cf SELECT 3000"},
	{"COPY stream_t TO STDOUT", "d00eba9039c2975c COPY 3000"},
	{"COPY stream_t (iv, id) TO STDOUT (FORMAT csv, HEADER)", "57092e3b8fcd78e7 COPY 3000"},
	{"COPY (SELECT id, ts FROM stream_t WHERE n = 1) TO STDOUT", "b6917a35631a413a COPY 429"},
	{"COPY (SELECT id, 1 / (id - 3000) FROM stream_t) TO STDOUT", "ERROR 22012"},
	{"RESET TIME ZONE", "RESET"},
	{"RESET intervalstyle", "RESET"},
	{"BEGIN", "BEGIN"},
	{"UPDATE stream_t SET s = 'changed' WHERE id > 2990", "UPDATE 10"},
	{"SELECT id, s FROM stream_t WHERE id > 1000", "9e0b802976176888 SELECT 2000 / 5f7bd8a0d81df4ab SELECT 2000"},
	{"COPY stream_t (id, s) TO STDOUT", "55741e5666e940e3 COPY 3000"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT s FROM stream_t WHERE id > 2990", "d28e8e3a4086177b SELECT 10"},
	{"DROP TABLE stream_t", "DROP TABLE"},
}

// runStream runs streamSteps on a connection.
func runStream(t *testing.T, who string, c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	digest := func(out, tag string) string {
		return fmt.Sprintf("%x %s", sha256.Sum256([]byte(out)), tag)[:16] + " " + tag
	}
	for _, s := range streamSteps {
		var got []string
		upper := strings.ToUpper(s.sql)
		switch {
		case strings.HasPrefix(upper, "COPY"):
			var b bytes.Buffer
			tag, err := c.PgConn().CopyTo(ctx, &b, s.sql)
			if err != nil {
				got = append(got, "ERROR "+sqlState(err))
			} else {
				got = append(got, digest(b.String(), tag.String()))
			}
		case strings.HasPrefix(upper, "SELECT"):
			for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
				got = append(got, renderStream(ctx, c, s.sql, mode, digest))
			}
			if got[0] == got[1] {
				got = got[:1]
			}
		default:
			out, err := renderSimple(c, s.sql, nil)
			if err != nil {
				out = "ERROR " + sqlState(err)
			}
			got = append(got, out)
		}
		if g := strings.Join(got, " / "); g != s.want {
			t.Errorf("%s: %s\n got: %q\nwant: %q", who, s.sql, g, s.want)
		}
	}
}

// renderStream runs a query in mode and digests the rows' bytes as received (text or binary) and its tag.
func renderStream(ctx context.Context, c *pgx.Conn, q string, mode pgx.QueryExecMode, digest func(out, tag string) string) string {
	rows, err := c.Query(ctx, q, mode)
	if err != nil {
		return "ERROR " + sqlState(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		for i, v := range rows.RawValues() {
			if i > 0 {
				b.WriteByte('|')
			}
			b.Write(v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return "ERROR " + sqlState(err)
	}
	return digest(b.String(), rows.CommandTag().String())
}
