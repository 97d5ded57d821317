package sql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"runtime"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// recordSink is a RowSink that keeps what it is given.
type recordSink struct {
	starts int
	start  *sql.Result
	chunks []int
	ids    []int64
	// fail, when set, is returned by the Rows call of that number (from 1).
	fail   int
	onRows func()
}

func (k *recordSink) Start(r *sql.Result) error {
	k.starts++
	k.start = r
	return nil
}

func (k *recordSink) Rows(rows [][]any) error {
	k.chunks = append(k.chunks, len(rows))
	if len(k.chunks) == k.fail {
		return errors.New("client went away")
	}
	for _, r := range rows {
		if id, ok := r[0].(int64); ok {
			k.ids = append(k.ids, id)
		}
	}
	if k.onRows != nil {
		k.onRows()
	}
	return nil
}

// queryTo runs text with sink and returns its results.
func queryTo(t *testing.T, s *sql.Session, text string, sink sql.RowSink) ([]*sql.Result, error) {
	t.Helper()
	var out []*sql.Result
	err := s.Query(sql.WithRowSink(context.Background(), sink), text, func(r *sql.Result) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// TestStream_Chunks checks which statements stream to a RowSink and how: a one-table SELECT and COPY TO hand
// their rows over in chunks of 1,024, in order, inside and outside a transaction block; an ORDER BY does not
// stream; a sink's error ends the statement.
func TestStream_Chunks(t *testing.T) {
	s := openSession(t)
	run(t, s, "CREATE TABLE st (id int8 PRIMARY KEY, v text)")
	run(t, s, "INSERT INTO st SELECT g, 'v' || g FROM generate_series(1, 2500) g")
	inOrder := func(k *recordSink, from, to int64) {
		t.Helper()
		if int64(len(k.ids)) != to-from+1 {
			t.Fatalf("%d ids, want %d", len(k.ids), to-from+1)
		}
		for i, id := range k.ids {
			if id != from+int64(i) {
				t.Fatalf("id %d at %d", id, i)
			}
		}
	}
	for _, q := range []string{"SELECT id, v FROM st", "BEGIN; SELECT id, upper(v) FROM st WHERE id > 0; COMMIT"} {
		k := &recordSink{}
		res, err := queryTo(t, s, q, k)
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if len(res) == 3 {
			r = res[1]
		}
		if !r.Streamed || r.Rows != nil || r.Tag != "SELECT 2500" || k.starts != 1 || fmt.Sprint(k.chunks) != "[1024 1024 452]" {
			t.Fatalf("%s: streamed %v, %d rows in the result, tag %q, %d starts, chunks %v", q, r.Streamed, len(r.Rows), r.Tag, k.starts, k.chunks)
		}
		if len(k.start.Columns) != 2 || k.start.Columns[0].Name != "id" {
			t.Fatalf("%s: columns %+v", q, k.start.Columns)
		}
		inOrder(k, 1, 2500)
	}

	k := &recordSink{}
	res, err := queryTo(t, s, "SELECT id FROM st WHERE id > 2000 ORDER BY id", k)
	if err != nil || res[0].Streamed || len(res[0].Rows) != 500 || k.starts != 0 {
		t.Fatalf("ORDER BY: %v, streamed %v, %d rows, %d starts", err, res[0].Streamed, len(res[0].Rows), k.starts)
	}

	k = &recordSink{}
	res, err = queryTo(t, s, "COPY st TO STDOUT", k)
	if err != nil || !res[0].Streamed || res[0].Copy == nil || k.start.Copy == nil || res[0].Tag != "COPY 2500" || fmt.Sprint(k.chunks) != "[1024 1024 452]" {
		t.Fatalf("COPY: %v, %+v, chunks %v", err, res, k.chunks)
	}
	inOrder(k, 1, 2500)

	k = &recordSink{}
	res, err = queryTo(t, s, "SELECT id FROM st WHERE id = 7; SELECT id FROM st WHERE id <= 1030", k)
	// A query of one row by its key does not stream.
	if err != nil || len(res) != 2 || res[0].Streamed || len(res[0].Rows) != 1 || !res[1].Streamed || fmt.Sprint(k.chunks) != "[1024 6]" || k.starts != 1 {
		t.Fatalf("two statements: %v, chunks %v, %d starts", err, k.chunks, k.starts)
	}

	k = &recordSink{fail: 2}
	if _, err := queryTo(t, s, "SELECT id FROM st", k); err == nil || fmt.Sprint(k.chunks) != "[1024 1024]" {
		t.Fatalf("a failing sink: %v, chunks %v", err, k.chunks)
	}
	if got := run(t, s, "SELECT count(*) FROM st"); got != "count\n2500\nSELECT 1\n" {
		t.Fatalf("after a failing sink: %q", got)
	}
}

// TestStream_Memory checks that a streamed SELECT holds a chunk's memory, not the result's: over 96 MB of rows,
// the live heap at each chunk stays within 32 MB of what it was before the query.
func TestStream_Memory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 96 MB")
	}
	if raceEnabled {
		// Pebble's block cache, which fills as the table is read, is Go memory then: the heap would grow with the
		// table whatever the query holds. scripts/test.sh runs this test again without the race detector.
		t.Skip("the race detector puts the storage's block cache in the Go heap")
	}
	if os.Getenv("CONCORD_STREAM_MEMORY") == "" {
		// In a process of its own: the heap is then this test's alone, not also what the package's other tests
		// left running.
		cmd := osexec.Command(os.Args[0], "-test.run=^TestStream_Memory$", "-test.v")
		cmd.Env = append(os.Environ(), "CONCORD_STREAM_MEMORY=1")
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	db, err := concord.Open(t.TempDir(), &concord.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sql.NewEngine(db).NewSession("test", "")
	defer s.Close()
	run(t, s, "CREATE TABLE big (id int8 PRIMARY KEY, pad text)")
	for i := range 8 {
		run(t, s, fmt.Sprintf("INSERT INTO big SELECT g, repeat('x', 2000) || g FROM generate_series(%d, %d) g", i*6000+1, (i+1)*6000))
	}
	live := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	for _, q := range []string{"SELECT id, pad FROM big", "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT id, pad FROM big; COMMIT"} {
		base := live()
		var peak int64
		k := &recordSink{onRows: func() { peak = max(peak, live()) }}
		if _, err := queryTo(t, s, q, k); err != nil || len(k.ids) != 48000 {
			t.Fatalf("%s: %v: %d rows", q, err, len(k.ids))
		}
		t.Logf("%s: live heap before %d MB, at most %d MB while streaming", q, base>>20, peak>>20)
		if peak-base > 32<<20 {
			t.Fatalf("%s: the live heap grew by %d MB while streaming 96 MB", q, (peak-base)>>20)
		}
	}
	// A NO SCROLL cursor read to its end by FETCH 1000 (psql's FETCH_COUNT).
	base := live()
	run(t, s, "BEGIN")
	run(t, s, "DECLARE c NO SCROLL CURSOR FOR SELECT id, pad FROM big")
	var peak int64
	n := 0
	for {
		var rows int
		err := s.Query(context.Background(), "FETCH 1000 FROM c", func(r *sql.Result) error {
			rows = len(r.Rows)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if rows == 0 {
			break
		}
		n += rows
		peak = max(peak, live())
	}
	run(t, s, "COMMIT")
	t.Logf("cursor: live heap before %d MB, at most %d MB while fetching", base>>20, peak>>20)
	if n != 48000 || peak-base > 32<<20 {
		t.Fatalf("cursor: %d rows; the live heap grew by %d MB", n, (peak-base)>>20)
	}
}

// TestStream_Schemaless checks a streamed SELECT and COPY of a collection written without a table definition:
// its columns are every field of every matching document, the same in every chunk (a field only the last chunk's
// documents have included), as the whole result's; what streams equals what the session returns without a sink.
func TestStream_Schemaless(t *testing.T) {
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var docs []any
	for i := range 2500 {
		d := bson.D{{Key: "_id", Value: i}, {Key: "n", Value: i % 10}}
		if i >= 2300 {
			d = append(d, bson.E{Key: "late", Value: fmt.Sprint("l", i)})
		}
		docs = append(docs, d)
	}
	if _, err := db.Database("app").Collection("events").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	s := sql.NewEngine(db).NewSession("app", "")
	defer s.Close()
	for _, q := range []string{
		"SELECT * FROM events",
		"SELECT _id, late FROM events WHERE n < 5",
		"SELECT late FROM events WHERE late IS NOT NULL",
		"SELECT * FROM events WHERE n = 99",
	} {
		var whole []*sql.Result
		if err := s.Query(context.Background(), q, func(r *sql.Result) error { whole = append(whole, r); return nil }); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var got [][]any
		k := &rowsSink{rows: &got}
		res, err := queryTo(t, s, q, k)
		if err != nil {
			t.Fatalf("%s streamed: %v", q, err)
		}
		if !res[0].Streamed || res[0].Tag != whole[0].Tag || fmt.Sprint(k.cols) != fmt.Sprint(whole[0].Columns) ||
			fmt.Sprint(got) != fmt.Sprint(whole[0].Rows) {
			t.Fatalf("%s: streamed %v, tag %q, columns %v, %d rows; whole: tag %q, columns %v, %d rows",
				q, res[0].Streamed, res[0].Tag, k.cols, len(got), whole[0].Tag, whole[0].Columns, len(whole[0].Rows))
		}
	}
}

// rowsSink is a RowSink that keeps the columns and rows.
type rowsSink struct {
	cols []sql.Column
	rows *[][]any
}

func (k *rowsSink) Start(r *sql.Result) error { k.cols = r.Columns; return nil }

func (k *rowsSink) Rows(rows [][]any) error {
	*k.rows = append(*k.rows, rows...)
	return nil
}

// TestStream_CursorTimeout checks that a FETCH that statement_timeout stops fails, whatever chunk the stop meets,
// and that one it does not stop has each row once.
func TestStream_CursorTimeout(t *testing.T) {
	s := openSession(t)
	run(t, s, "CREATE TABLE ct (id int8 PRIMARY KEY, v text)")
	run(t, s, "INSERT INTO ct SELECT g, repeat('v', 50) FROM generate_series(1, 20000) g")
	stopped := 0
	for ms := 1; ms <= 80; ms += 3 {
		run(t, s, "BEGIN")
		run(t, s, "DECLARE c CURSOR FOR SELECT id, v FROM ct")
		run(t, s, fmt.Sprintf("SET LOCAL statement_timeout = '%dms'", ms))
		var rows [][]any
		err := s.Query(context.Background(), "FETCH 5000 FROM c", func(r *sql.Result) error {
			rows = r.Rows
			return nil
		})
		switch {
		case err != nil:
			if e := sql.AsError(err); e.Code != "57014" {
				t.Fatalf("%d ms: %v", ms, err)
			}
			stopped++
		case len(rows) != 5000:
			t.Fatalf("%d ms: %d rows", ms, len(rows))
		default:
			for i, r := range rows {
				if r[0] != int64(i+1) {
					t.Fatalf("%d ms: row %d is id %v", ms, i, r[0])
				}
			}
		}
		run(t, s, "ROLLBACK")
	}
	t.Logf("%d of the FETCHes stopped by the timeout", stopped)
}
