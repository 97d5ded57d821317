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
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
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

// cursorChunkSteps run cursors over more rows than one chunk (sql/stream.go), whose rows are made as FETCH
// needs them: every direction across chunk boundaries, a NO SCROLL cursor that forgets the rows it passed, and
// a row that fails to evaluate, which fails the FETCH reaching it (the rows before it fetched first) and not
// DECLARE. Compared with PostgreSQL 15 (TestCompare_PostgreSQL).
var cursorChunkSteps = []struct{ sql, want string }{
	{"CREATE TABLE cur_big (id int PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO cur_big SELECT g, 'v' || g FROM generate_series(1, 3000) g", "INSERT 0 3000"},
	{"BEGIN", "BEGIN"},
	{"DECLARE c CURSOR FOR SELECT id, v FROM cur_big WHERE id % 2 = 1", "DECLARE CURSOR"},
	{"MOVE 510 IN c", "MOVE 510"},
	{"FETCH 3 FROM c", "1021|v1021\n1023|v1023\n1025|v1025\nFETCH 3"},
	{"FETCH RELATIVE 600 FROM c", "2225|v2225\nFETCH 1"},
	{"FETCH BACKWARD 2 FROM c", "2223|v2223\n2221|v2221\nFETCH 2"},
	{"FETCH ABSOLUTE -1 FROM c", "2999|v2999\nFETCH 1"},
	{"FETCH ABSOLUTE 1024 FROM c", "2047|v2047\nFETCH 1"},
	{"MOVE FORWARD ALL IN c", "MOVE 476"},
	{"FETCH PRIOR FROM c", "2999|v2999\nFETCH 1"},
	{"FETCH FIRST FROM c", "1|v1\nFETCH 1"},
	{"CLOSE c", "CLOSE CURSOR"},
	{"DECLARE n NO SCROLL CURSOR FOR SELECT id FROM cur_big WHERE v LIKE '%7'", "DECLARE CURSOR"},
	{"MOVE 150 IN n", "MOVE 150"},
	{"FETCH 2 FROM n", "1507\n1517\nFETCH 2"},
	{"FETCH ALL FROM n", "1527\n1537\n1547\n1557\n1567\n1577\n1587\n1597\n1607\n1617\n1627\n1637\n1647\n1657\n1667\n1677\n1687\n1697\n1707\n1717\n1727\n1737\n1747\n1757\n1767\n1777\n1787\n1797\n1807\n1817\n1827\n1837\n1847\n1857\n1867\n1877\n1887\n1897\n1907\n1917\n1927\n1937\n1947\n1957\n1967\n1977\n1987\n1997\n2007\n2017\n2027\n2037\n2047\n2057\n2067\n2077\n2087\n2097\n2107\n2117\n2127\n2137\n2147\n2157\n2167\n2177\n2187\n2197\n2207\n2217\n2227\n2237\n2247\n2257\n2267\n2277\n2287\n2297\n2307\n2317\n2327\n2337\n2347\n2357\n2367\n2377\n2387\n2397\n2407\n2417\n2427\n2437\n2447\n2457\n2467\n2477\n2487\n2497\n2507\n2517\n2527\n2537\n2547\n2557\n2567\n2577\n2587\n2597\n2607\n2617\n2627\n2637\n2647\n2657\n2667\n2677\n2687\n2697\n2707\n2717\n2727\n2737\n2747\n2757\n2767\n2777\n2787\n2797\n2807\n2817\n2827\n2837\n2847\n2857\n2867\n2877\n2887\n2897\n2907\n2917\n2927\n2937\n2947\n2957\n2967\n2977\n2987\n2997\nFETCH 148"},
	{"FETCH BACKWARD 1 FROM n", "ERROR 55000 cursor can only scan forward"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"DECLARE e CURSOR FOR SELECT id, 10 / (id - 1500) FROM cur_big", "DECLARE CURSOR"},
	{"MOVE 1400 IN e", "MOVE 1400"},
	{"FETCH 2 FROM e", "1401|0\n1402|0\nFETCH 2"},
	{"FETCH 200 FROM e", "ERROR 22012 division by zero"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"DECLARE e CURSOR FOR SELECT 10 / (id - 5) FROM cur_big", "DECLARE CURSOR"},
	{"FETCH 4 FROM e", "-2\n-3\n-5\n-10\nFETCH 4"},
	{"FETCH 1 FROM e", "ERROR 22012 division by zero"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"DECLARE b CURSOR FOR SELECT nope FROM cur_big", "ERROR 42703 column \"nope\" does not exist"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"DECLARE u CURSOR FOR SELECT id FROM cur_big WHERE id > 2990", "DECLARE CURSOR"},
	{"UPDATE cur_big SET id = id + 10000 WHERE id > 2995", "UPDATE 5"},
	{"FETCH ALL FROM u", "2991\n2992\n2993\n2994\n2995\n2996\n2997\n2998\n2999\n3000\nFETCH 10"},
	{"DECLARE u2 CURSOR FOR SELECT id, v FROM cur_big WHERE id > 2997", "DECLARE CURSOR"},
	{"SELECT count(*) FROM cur_big WHERE id > 10000", "5\nSELECT 1"},
	{"UPDATE cur_big SET v = 'new' WHERE id > 2990", "UPDATE 10"},
	{"FETCH ALL FROM u2", "12996|v2996\n12997|v2997\n12998|v2998\n12999|v2999\n13000|v3000\nFETCH 5"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"DECLARE z NO SCROLL CURSOR FOR SELECT id FROM cur_big", "DECLARE CURSOR"},
	{"MOVE BACKWARD 0 IN z", "MOVE 0"},
	{"FETCH BACKWARD 0 FROM z", "ERROR 55000 cursor can only scan forward"},
	{"ROLLBACK", "ROLLBACK"},
	{"DROP TABLE cur_big", "DROP TABLE"},
}

// cursorFailSteps are lazy cursors that fail, with savepoints (so not over a MongoDB deployment): a cursor whose
// query failed cannot run again after a ROLLBACK TO, whether its chunk was run again row by row or not (a
// volatile call), as PostgreSQL's. Compared with PostgreSQL 15 (TestCompare_PostgreSQL).
var cursorFailSteps = []struct{ sql, want string }{
	{"CREATE TABLE cur_f (id int PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO cur_f SELECT g FROM generate_series(1, 3000) g", "INSERT 0 3000"},
	{"BEGIN", "BEGIN"},
	{"DECLARE c NO SCROLL CURSOR FOR SELECT id, 1 / (id - 1500) AS q, random() < 2 AS r FROM cur_f", "DECLARE CURSOR"},
	{"SAVEPOINT s", "SAVEPOINT"},
	{"MOVE 1000 IN c", "MOVE 1000"},
	{"MOVE 1000 IN c", "ERROR 22012 division by zero"},
	{"ROLLBACK TO s", "ROLLBACK"},
	{"MOVE ALL IN c", "ERROR 55000 portal \"c\" cannot be run"},
	{"ROLLBACK TO s", "ROLLBACK"},
	{"DECLARE d NO SCROLL CURSOR FOR SELECT id, 1 / (id - 1500) AS q FROM cur_f", "DECLARE CURSOR"},
	{"SAVEPOINT t", "SAVEPOINT"},
	{"MOVE 1000 IN d", "MOVE 1000"},
	{"MOVE 1000 IN d", "ERROR 22012 division by zero"},
	{"ROLLBACK TO t", "ROLLBACK"},
	{"FETCH 1 FROM d", "ERROR 55000 portal \"d\" cannot be run"},
	{"ROLLBACK", "ROLLBACK"},
	// A write through a view's function, and through t.f notation, after DECLARE does not reach the cursor.
	{"CREATE FUNCTION wr() RETURNS int LANGUAGE sql AS $$ DELETE FROM cur_f WHERE id > 1500; SELECT 1 $$", "CREATE FUNCTION"},
	{"CREATE FUNCTION wr2(r cur_f) RETURNS int LANGUAGE sql AS $$ DELETE FROM cur_f WHERE id > 1000; SELECT 1 $$", "CREATE FUNCTION"},
	{"CREATE VIEW vw AS SELECT wr() AS x", "CREATE VIEW"},
	{"BEGIN", "BEGIN"},
	{"DECLARE v CURSOR FOR SELECT id FROM cur_f", "DECLARE CURSOR"},
	{"FETCH 2 FROM v", "1\n2\nFETCH 2"},
	{"SELECT * FROM vw", "1\nSELECT 1"},
	{"MOVE ALL IN v", "MOVE 2998"},
	{"DECLARE w CURSOR FOR SELECT id FROM cur_f", "DECLARE CURSOR"},
	{"SELECT x.wr2 FROM (SELECT * FROM cur_f WHERE id = 1) x", "1\nSELECT 1"},
	{"MOVE ALL IN w", "MOVE 1500"},
	{"ROLLBACK", "ROLLBACK"},
	{"DROP VIEW vw", "DROP VIEW"},
	{"DROP FUNCTION wr()", "DROP FUNCTION"},
	{"DROP FUNCTION wr2(cur_f)", "DROP FUNCTION"},
	{"DROP TABLE cur_f", "DROP TABLE"},
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
	out, tag, err := renderQuery(ctx, c, q, []any{mode})
	if err != nil {
		return "ERROR " + sqlState(err)
	}
	return digest(out, tag)
}

// portalSteps are messages of the extended protocol sent to one connection, each line a Sync's worth: what comes
// back is summarized per line as the number of rows, then how the Execute ended (suspended, or its command tag),
// or the error's SQLSTATE. Compared with PostgreSQL 15 (TestCompare_PostgreSQL): a portal read a batch at a time,
// as pgjdbc's fetchSize reads one.
var portalSteps = []struct {
	msgs []pgproto3.FrontendMessage
	want string
}{
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "CREATE TABLE portal_t (id int PRIMARY KEY, v text)"}}, "CREATE TABLE"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "INSERT INTO portal_t SELECT g, 'v' || g FROM generate_series(1, 2600) g"}}, "INSERT 0 2600"},
	{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "o", Query: "SELECT id FROM portal_t WHERE id <= $1", ParameterOIDs: []uint32{23}},
		&pgproto3.Bind{PreparedStatement: "o", Parameters: [][]byte{[]byte("4")}},
		&pgproto3.Execute{MaxRows: 3}, &pgproto3.Execute{MaxRows: 3}, &pgproto3.Execute{MaxRows: 3}}, "3 suspended, 1 SELECT 1, 0 SELECT 0"},
	{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "i", Query: "INSERT INTO portal_t VALUES (5000, 'x'), (5001, 'y'), (5002, 'z') RETURNING id"},
		&pgproto3.Bind{PreparedStatement: "i"}, &pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{MaxRows: 2}}, "2 suspended, 1 INSERT 0 1"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "BEGIN"}}, "BEGIN"},
	{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: "SELECT id, v FROM portal_t WHERE id <= $1", ParameterOIDs: []uint32{23}},
		&pgproto3.Bind{DestinationPortal: "p", PreparedStatement: "s", Parameters: [][]byte{[]byte("2500")}},
		&pgproto3.Execute{Portal: "p", MaxRows: 1000}}, "1000 suspended"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "p", MaxRows: 1000}}, "1000 suspended"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "p", MaxRows: 1000}}, "500 SELECT 500"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "p", MaxRows: 1000}}, "0 SELECT 0"},
	{[]pgproto3.FrontendMessage{&pgproto3.Bind{DestinationPortal: "q", PreparedStatement: "s", Parameters: [][]byte{[]byte("4")}},
		&pgproto3.Execute{Portal: "q", MaxRows: 2}, &pgproto3.Execute{Portal: "q", MaxRows: 2}, &pgproto3.Execute{Portal: "q", MaxRows: 2}}, "2 suspended, 2 suspended, 0 SELECT 0"},
	{[]pgproto3.FrontendMessage{&pgproto3.Bind{DestinationPortal: "r", PreparedStatement: "s", Parameters: [][]byte{[]byte("3000")}},
		&pgproto3.Execute{Portal: "r", MaxRows: 2000}}, "2000 suspended"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "UPDATE portal_t SET v = 'new' WHERE id > 2000"}}, "UPDATE 603"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "r", MaxRows: 2000}}, "600 SELECT 600"},
	{[]pgproto3.FrontendMessage{&pgproto3.Close{ObjectType: 'P', Name: "r"}, &pgproto3.Execute{Portal: "r", MaxRows: 10}}, "0 ERROR 34000"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "ROLLBACK"}}, "ROLLBACK"},
	{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "e", Query: "SELECT 10 / (id - 1500) FROM portal_t"},
		&pgproto3.Query{String: "BEGIN"}}, "0 BEGIN"},
	{[]pgproto3.FrontendMessage{&pgproto3.Bind{DestinationPortal: "x", PreparedStatement: "e"},
		&pgproto3.Execute{Portal: "x", MaxRows: 1000}, &pgproto3.Execute{Portal: "x", MaxRows: 1000}}, "1000 suspended, 499 ERROR 22012"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "ROLLBACK"}}, "ROLLBACK"},
	{[]pgproto3.FrontendMessage{&pgproto3.Parse{Name: "t", Query: "SELECT id FROM portal_t WHERE id <= 30"},
		&pgproto3.Bind{DestinationPortal: "s4", PreparedStatement: "t"}, &pgproto3.Execute{Portal: "s4"}, &pgproto3.Execute{Portal: "s4"}}, "30 SELECT 30, 0 SELECT 0"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "BEGIN"}}, "BEGIN"},
	{[]pgproto3.FrontendMessage{&pgproto3.Bind{DestinationPortal: "p2", PreparedStatement: "t"}, &pgproto3.Execute{Portal: "p2", MaxRows: 10}}, "10 suspended"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "p2"}}, "20 SELECT 20"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "p2"}}, "0 SELECT 0"},
	{[]pgproto3.FrontendMessage{&pgproto3.Bind{DestinationPortal: "p3", PreparedStatement: "t"}, &pgproto3.Execute{Portal: "p3", MaxRows: 5}}, "5 suspended"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "CLOSE ALL"}}, "CLOSE CURSOR ALL"},
	{[]pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "p3", MaxRows: 5}}, "0 ERROR 34000"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "ROLLBACK"}}, "ROLLBACK"},
	{[]pgproto3.FrontendMessage{&pgproto3.Query{String: "DROP TABLE portal_t"}}, "DROP TABLE"},
}

// runPortals runs portalSteps on a connection of its own to url.
func runPortals(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pc, err := pgconn.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Conn.Close()
	fe := hc.Frontend
	for _, s := range portalSteps {
		for _, m := range s.msgs {
			fe.Send(m)
		}
		if _, ok := s.msgs[len(s.msgs)-1].(*pgproto3.Query); !ok {
			fe.Send(&pgproto3.Sync{})
		}
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		var got []string
		rows := 0
		end := func(what string) {
			got = append(got, fmt.Sprintf("%d %s", rows, what))
			rows = 0
		}
		for done := false; !done; {
			msg, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			switch m := msg.(type) {
			case *pgproto3.DataRow:
				rows++
			case *pgproto3.PortalSuspended:
				end("suspended")
			case *pgproto3.CommandComplete:
				end(string(m.CommandTag))
			case *pgproto3.ErrorResponse:
				end("ERROR " + m.Code)
			case *pgproto3.ReadyForQuery:
				done = true
			}
		}
		g := strings.Join(got, ", ")
		if _, ok := s.msgs[0].(*pgproto3.Query); ok && len(s.msgs) == 1 {
			g = strings.TrimPrefix(g, "0 ")
		}
		if g != s.want {
			t.Errorf("%s: %v\n got: %q\nwant: %q", who, s.msgs, g, s.want)
		}
	}
}

// runCursorSnapshot checks that a cursor's rows are the block's as its DECLARE found them: another session's
// commits between the DECLARE and the FETCH are not among them, though the block read nothing before the
// DECLARE (its snapshot is the DECLARE's). Against Concord and PostgreSQL 15 (TestCompare_PostgreSQL).
func runCursorSnapshot(t *testing.T, who, url string) {
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	exec := func(c *pgx.Conn, q string) {
		t.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %s: %v", who, q, err)
		}
	}
	exec(a, "CREATE TABLE snap_t (id int PRIMARY KEY, v int)")
	exec(a, "INSERT INTO snap_t SELECT g, g FROM generate_series(1, 3000) g")
	exec(a, "BEGIN")
	exec(a, "DECLARE c CURSOR FOR SELECT id FROM snap_t WHERE v % 2 = 1")
	exec(b, "INSERT INTO snap_t VALUES (5001, 5001)")
	exec(b, "UPDATE snap_t SET id = id + 10000 WHERE id = 1")
	exec(b, "DELETE FROM snap_t WHERE id = 3")
	got, err := renderSimple(a, "FETCH ALL FROM c", nil)
	if err != nil {
		t.Fatalf("%s: %v", who, err)
	}
	lines := strings.Split(got, "\n")
	if len(lines) != 1501 || lines[0] != "1" || lines[1] != "3" || lines[1499] != "2999" || lines[1500] != "FETCH 1500" {
		t.Errorf("%s: FETCH ALL after other sessions' writes: %d lines, %q ... %q", who, len(lines), lines[:2], lines[len(lines)-2:])
	}
	exec(a, "COMMIT")
	exec(a, "DROP TABLE snap_t")
}
