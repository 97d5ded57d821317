package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/server"
)

// limFind is {find: coll, batchSize: n} in database "lim".
func limFind(coll string, batchSize int) bson.D {
	return bson.D{{Key: "find", Value: coll}, {Key: "batchSize", Value: batchSize}, {Key: "$db", Value: "lim"}}
}

// cursorOf returns the cursor id and batch of a find or getMore reply.
func cursorOf(t *testing.T, reply bson.Raw) (int64, []bson.RawValue) {
	t.Helper()
	cur := mustOK(t, "cursor reply", reply).Lookup("cursor").Document()
	batch := cur.Lookup("firstBatch")
	if batch.Type == 0 {
		batch = cur.Lookup("nextBatch")
	}
	vals, err := batch.Array().Values()
	if err != nil {
		t.Fatal(err)
	}
	return cur.Lookup("id").Int64(), vals
}

// exceeded checks that reply is ExceededMemoryLimit (146) with a message naming what.
func exceeded(t *testing.T, reply bson.Raw, what string) {
	t.Helper()
	if code(reply) != 146 || reply.Lookup("codeName").StringValue() != "ExceededMemoryLimit" ||
		!strings.Contains(reply.Lookup("errmsg").StringValue(), what) {
		t.Fatalf("reply %v, want ExceededMemoryLimit (146) about %q", reply, what)
	}
}

func insertLim(t *testing.T, c interface{ cmd(bson.D) bson.Raw }, coll string, n, size int) {
	t.Helper()
	docs := bson.A{}
	for i := range n {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("x", size)}})
	}
	mustOK(t, "insert", c.cmd(bson.D{{Key: "insert", Value: coll}, {Key: "documents", Value: docs}, {Key: "$db", Value: "lim"}}))
}

// A connection may keep at most MaxCursorsPerConn cursors open; past it a find that would leave one open fails
// with ExceededMemoryLimit, while its open cursors, its finds that end in their first batch and other
// connections keep working; ending a cursor makes room again.
func TestCursorLimits_CursorsPerConnection(t *testing.T) {
	env := newCoreEnvWith(t, func(s *server.Server) { s.MaxCursorsPerConn = 5 })
	a, b := env.dial(t), env.dial(t)
	insertLim(t, a, "c", 10, 10)

	var ids []int64
	for range 5 {
		id, batch := cursorOf(t, a.cmd(limFind("c", 1)))
		if id == 0 || len(batch) != 1 {
			t.Fatalf("find: cursor %d with %d documents, want an open cursor and 1", id, len(batch))
		}
		ids = append(ids, id)
	}
	exceeded(t, a.cmd(limFind("c", 1)), "open cursors")
	if id, batch := cursorOf(t, a.cmd(limFind("c", 100))); id != 0 || len(batch) != 10 {
		t.Fatalf("a find exhausted in its first batch: cursor %d with %d documents", id, len(batch))
	}
	if id, _ := cursorOf(t, b.cmd(limFind("c", 1))); id == 0 {
		t.Fatal("another connection could not open a cursor")
	}
	// The cursors count against the connection that opened them, whichever connection sends their getMores.
	getMore := func(id int64, n int) bson.D {
		return bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: n}, {Key: "$db", Value: "lim"}}
	}
	if _, batch := cursorOf(t, b.cmd(getMore(ids[0], 1))); len(batch) != 1 {
		t.Fatalf("getMore of an open cursor: %d documents", len(batch))
	}
	exceeded(t, a.cmd(limFind("c", 1)), "open cursors")
	// Exhausting one cursor and killing another make room for two.
	if id, _ := cursorOf(t, a.cmd(getMore(ids[0], 100))); id != 0 {
		t.Fatal("getMore of the whole rest left the cursor open")
	}
	mustOK(t, "killCursors", a.cmd(bson.D{{Key: "killCursors", Value: "c"}, {Key: "cursors", Value: bson.A{ids[1]}}, {Key: "$db", Value: "lim"}}))
	for range 2 {
		if id, _ := cursorOf(t, a.cmd(limFind("c", 1))); id == 0 {
			t.Fatal("no room after two cursors ended")
		}
	}
	exceeded(t, a.cmd(limFind("c", 1)), "open cursors")
	// An aggregation's cursor counts alike.
	agg := bson.D{{Key: "aggregate", Value: "c"}, {Key: "pipeline", Value: bson.A{}}, {Key: "cursor", Value: bson.D{{Key: "batchSize", Value: 1}}}, {Key: "$db", Value: "lim"}}
	exceeded(t, a.cmd(agg), "open cursors")
}

// limSortedFind is limFind sorted by a field no index has: the sort is done in memory, so the cursor holds its
// whole result.
func limSortedFind(coll string, batchSize int) bson.D {
	return append(limFind(coll, batchSize), bson.E{Key: "sort", Value: bson.D{{Key: "pad", Value: 1}, {Key: "_id", Value: 1}}})
}

// The results open cursors still hold count against their connection: a find that would take them past
// MaxCursorBytesPerConn fails with ExceededMemoryLimit, and returning results makes room.
func TestCursorLimits_BytesPerConnection(t *testing.T) {
	env := newCoreEnvWith(t, func(s *server.Server) { s.MaxCursorBytesPerConn = 64 << 10 })
	a := env.dial(t)
	insertLim(t, a, "c", 20, 10<<10) // 20 documents of about 10 KiB

	// Batch of 1: 19 documents (190 KiB) would stay in the cursor.
	exceeded(t, a.cmd(limSortedFind("c", 1)), "bytes")
	// Batches of 15: 5 documents (50 KiB) stay; a second such cursor would take the connection to 100 KiB.
	first, _ := cursorOf(t, a.cmd(limSortedFind("c", 15)))
	if first == 0 {
		t.Fatal("find of 15 of 20 documents left no cursor")
	}
	exceeded(t, a.cmd(limSortedFind("c", 15)), "bytes")
	// getMore of 4 of the 5: the first cursor holds 10 KiB now, so another 50 KiB fit.
	getMore := bson.D{{Key: "getMore", Value: first}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: 4}, {Key: "$db", Value: "lim"}}
	if _, batch := cursorOf(t, a.cmd(getMore)); len(batch) != 4 {
		t.Fatalf("getMore returned %d documents, want 4", len(batch))
	}
	if id, _ := cursorOf(t, a.cmd(limSortedFind("c", 15))); id == 0 {
		t.Fatal("no room after the first cursor returned results")
	}
}

// A find without a sort, or an aggregation without a stage that holds its input, holds only the document it read
// ahead of its batch, whatever the size of its result: cursors over a collection many times the connection's bound
// open, and each reads the whole collection in batches.
func TestCursorLimits_FindHoldsItsBatch(t *testing.T) {
	env := newCoreEnvWith(t, func(s *server.Server) { s.MaxCursorBytesPerConn = 64 << 10 })
	a := env.dial(t)
	insertLim(t, a, "c", 40, 10<<10) // 400 KiB
	mustOK(t, "createIndexes", a.cmd(bson.D{{Key: "createIndexes", Value: "c"}, {Key: "indexes", Value: bson.A{
		bson.D{{Key: "key", Value: bson.D{{Key: "pad", Value: 1}}}, {Key: "name", Value: "pad_1"}}}}, {Key: "$db", Value: "lim"}}))
	finds := []bson.D{
		limFind("c", 1), // a collection scan
		append(limFind("c", 1), bson.E{Key: "filter", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 0}}}}}), // an _id range
		append(limFind("c", 1), bson.E{Key: "hint", Value: "pad_1"}),                                                        // a secondary index
		append(limFind("c", 1), bson.E{Key: "sort", Value: bson.D{{Key: "pad", Value: -1}}}),                                // a sort an index serves
		append(limFind("c", 1), bson.E{Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}),                                 // a sort in _id order
		{{Key: "aggregate", Value: "c"}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 0}}}}}},
			bson.D{{Key: "$project", Value: bson.D{{Key: "pad", Value: 1}}}}}}, {Key: "cursor", Value: bson.D{{Key: "batchSize", Value: 1}}}, {Key: "$db", Value: "lim"}},
	}
	ids := make([]int64, len(finds))
	for i, f := range finds {
		id, batch := cursorOf(t, a.cmd(f))
		if id == 0 || len(batch) != 1 {
			t.Fatalf("find %v: cursor %d with %d documents", f, id, len(batch))
		}
		ids[i] = id
	}
	for i, id := range ids {
		seen := 1
		for id != 0 {
			getMore := bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: 3}, {Key: "$db", Value: "lim"}}
			var batch []bson.RawValue
			id, batch = cursorOf(t, a.cmd(getMore))
			seen += len(batch)
		}
		if seen != 40 {
			t.Fatalf("find %v returned %d documents, want 40", finds[i], seen)
		}
	}
}

// No batch grows past 16 MiB of documents, the first of a find as every getMore's (mongod's rule), whatever
// batchSize asks.
func TestCursorLimits_BatchesCappedAt16MiB(t *testing.T) {
	env := newCoreEnv(t)
	a := env.dial(t)
	a.wait = time.Minute // 12 MiB replies, under -race on a loaded machine
	const size = 6 << 20
	for i := range 5 { // one insert per document: a message may not exceed 48 MB
		insertDocs2 := bson.A{bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: strings.Repeat("x", size)}}}
		mustOK(t, "insert", a.cmd(bson.D{{Key: "insert", Value: "big"}, {Key: "documents", Value: insertDocs2}, {Key: "$db", Value: "lim"}}))
	}
	id, batch := cursorOf(t, a.cmd(bson.D{{Key: "find", Value: "big"}, {Key: "$db", Value: "lim"}}))
	if len(batch) != 2 || id == 0 {
		t.Fatalf("first batch of 6 MiB documents: %d documents (cursor %d), want 2 (12 MiB; a third would pass 16)", len(batch), id)
	}
	getMore := bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "big"}, {Key: "batchSize", Value: 100}, {Key: "$db", Value: "lim"}}
	id, batch = cursorOf(t, a.cmd(getMore))
	if len(batch) != 2 || id == 0 {
		t.Fatalf("getMore of batchSize 100: %d documents (cursor %d), want 2", len(batch), id)
	}
	getMore[0].Value = id
	if id, batch = cursorOf(t, a.cmd(getMore)); len(batch) != 1 || id != 0 {
		t.Fatalf("last getMore: %d documents (cursor %d), want the last one and the cursor closed", len(batch), id)
	}
}

// cursorTimeoutMillis is mongod's, 10 minutes, and settable at run time: a cursor left idle longer is closed
// (serverStatus metrics.cursor.timedOut counts it) and its getMore is CursorNotFound.
func TestCursorLimits_IdleTimeout(t *testing.T) {
	env := newCoreEnv(t)
	a := env.dial(t)
	param := func() int64 {
		r := mustOK(t, "getParameter", a.cmd(bson.D{{Key: "getParameter", Value: 1}, {Key: "cursorTimeoutMillis", Value: 1}, {Key: "$db", Value: "admin"}}))
		return r.Lookup("cursorTimeoutMillis").AsInt64()
	}
	if got := param(); got != 600_000 {
		t.Fatalf("cursorTimeoutMillis = %d, want 600000", got)
	}
	insertLim(t, a, "c", 3, 10)
	id, _ := cursorOf(t, a.cmd(limFind("c", 1)))
	mustOK(t, "setParameter", a.cmd(bson.D{{Key: "setParameter", Value: 1}, {Key: "cursorTimeoutMillis", Value: 200}, {Key: "$db", Value: "admin"}}))
	if got := param(); got != 200 {
		t.Fatalf("cursorTimeoutMillis = %d after setting 200", got)
	}
	status := func() (open, timedOut int64) {
		r := mustOK(t, "serverStatus", a.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}}))
		c := r.Lookup("metrics", "cursor").Document()
		return c.Lookup("open", "total").AsInt64(), c.Lookup("timedOut").AsInt64()
	}
	// The reaper passes once a second: wait for it to have closed the cursor.
	deadline := time.Now().Add(30 * time.Second)
	for {
		open, timedOut := status()
		if open == 0 && timedOut == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d cursors open, %d timed out; want 0 and 1", open, timedOut)
		}
		time.Sleep(50 * time.Millisecond)
	}
	getMore := bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}, {Key: "$db", Value: "lim"}}
	if r := a.cmd(getMore); code(r) != 43 {
		t.Fatalf("getMore of a timed-out cursor: %v, want CursorNotFound (43)", r)
	}
	if r := a.cmd(bson.D{{Key: "setParameter", Value: 1}, {Key: "cursorTimeoutMillis", Value: -1}, {Key: "$db", Value: "admin"}}); code(r) != 2 {
		t.Fatalf("cursorTimeoutMillis -1: %v, want BadValue", r)
	}
}

// As in mongod, a find's maxTimeMS bounds its cursor's getMores together: a cursor whose getMores each evaluate
// a costly filter over 1,200 documents fails with MaxTimeMSExpired (50) before its end, and is closed, where the
// same find without a time limit reads to its end.
func TestCursorLimits_MaxTimeMSAcrossGetMores(t *testing.T) {
	env := newCoreEnv(t)
	a := env.dial(t)
	a.wait = time.Minute
	docs := bson.A{}
	for i := range 12_000 {
		k := 0
		if i <= 1 || i%1_200 == 0 {
			k = 1
		}
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: k}})
	}
	mustOK(t, "insert", a.cmd(bson.D{{Key: "insert", Value: "slow"}, {Key: "documents", Value: docs}, {Key: "$db", Value: "lim"}}))
	// A range of 1,000 numbers made for each document.
	costly := bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{
		bson.D{{Key: "$size", Value: bson.D{{Key: "$range", Value: bson.A{0, bson.D{{Key: "$add", Value: bson.A{1000, "$k"}}}}}}}}, 1001}}}}}
	read := func(maxTimeMS int) (n int, failed bson.Raw) {
		find := bson.D{{Key: "find", Value: "slow"}, {Key: "filter", Value: costly}, {Key: "batchSize", Value: 1}, {Key: "$db", Value: "lim"}}
		if maxTimeMS > 0 {
			find = append(find, bson.E{Key: "maxTimeMS", Value: maxTimeMS})
		}
		id, batch := cursorOf(t, a.cmd(find))
		n = len(batch)
		for id != 0 {
			r := a.cmd(bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "slow"}, {Key: "batchSize", Value: 1}, {Key: "$db", Value: "lim"}})
			if code(r) != 0 {
				if again := a.cmd(bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "slow"}, {Key: "$db", Value: "lim"}}); code(again) != 43 {
					t.Fatalf("getMore after the failure: %v, want CursorNotFound (43)", again)
				}
				return n, r
			}
			var b []bson.RawValue
			id, b = cursorOf(t, r)
			n += len(b)
		}
		return n, nil
	}
	began := time.Now()
	if n, failed := read(0); n != 11 || failed != nil {
		t.Fatalf("without maxTimeMS: %d documents (%v), want 11", n, failed)
	}
	whole := time.Since(began)
	killed := func() int64 {
		r := mustOK(t, "serverStatus", a.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}}))
		return r.Lookup("metrics", "operation", "killedDueToMaxTimeMSExpired").AsInt64()
	}
	before := killed()
	// The find reads the first two documents; its getMores take the rest of the time.
	n, failed := read(int(whole.Milliseconds() / 4))
	if failed == nil || code(failed) != 50 || failed.Lookup("codeName").StringValue() != "MaxTimeMSExpired" {
		t.Fatalf("maxTimeMS of a quarter of the %v the read took: %d documents, then %v; want MaxTimeMSExpired before the end", whole, n, failed)
	}
	if k := killed() - before; k != 1 {
		t.Fatalf("metrics.operation.killedDueToMaxTimeMSExpired went up by %d, want 1", k)
	}
}

// A cursor reads no further than its batch and the one document it reads ahead, as mongod reads no further than
// its batch: a document deleted past that before the next getMore is not returned, and an error on a document
// past the batch fails the getMore that reaches it, not the batch before it (whose documents are returned).
func TestCursorLimits_ReadsNoFurtherThanItsBatch(t *testing.T) {
	env := newCoreEnv(t)
	a, b := env.dial(t), env.dial(t)
	docs := bson.A{}
	for i := range 40 {
		x := 1
		if i == 7 {
			x = 0
		}
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "x", Value: x}})
	}
	mustOK(t, "insert", a.cmd(bson.D{{Key: "insert", Value: "ahead"}, {Key: "documents", Value: docs}, {Key: "$db", Value: "lim"}}))
	ids := func(batch []bson.RawValue) []int64 {
		var out []int64
		for _, v := range batch {
			out = append(out, v.Document().Lookup("_id").AsInt64())
		}
		return out
	}
	getMore := func(id int64, n int) bson.Raw {
		return a.cmd(bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "ahead"}, {Key: "batchSize", Value: n}, {Key: "$db", Value: "lim"}})
	}
	find := func(filter bson.D, extra ...bson.E) bson.D {
		return append(bson.D{{Key: "find", Value: "ahead"}, {Key: "filter", Value: filter}, {Key: "$db", Value: "lim"}}, extra...)
	}
	divides := bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{bson.D{{Key: "$divide", Value: bson.A{1, "$x"}}}, 0}}}}}
	small := bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: 10}}}}

	// Batches of 2 then 4 end at _id 5: the document that divides by zero (7) is past them.
	id, batch := cursorOf(t, a.cmd(find(divides, bson.E{Key: "batchSize", Value: 2})))
	if fmt.Sprint(ids(batch)) != "[0 1]" {
		t.Fatalf("first batch %v", ids(batch))
	}
	if id, batch = cursorOf(t, getMore(id, 4)); fmt.Sprint(ids(batch)) != "[2 3 4 5]" {
		t.Fatalf("getMore of 4: %v", ids(batch))
	}
	if r := getMore(id, 4); code(r) != 2 {
		t.Fatalf("the getMore reaching _id 7: %v, want BadValue (2)", r)
	}
	// A first batch of 7 ends at _id 6; the read ahead reaches 7: the batch comes, the next getMore fails.
	id, batch = cursorOf(t, a.cmd(find(divides, bson.E{Key: "batchSize", Value: 7})))
	if fmt.Sprint(ids(batch)) != "[0 1 2 3 4 5 6]" || id == 0 {
		t.Fatalf("first batch of 7: %v, cursor %d", ids(batch), id)
	}
	if r := getMore(id, 1); code(r) != 2 {
		t.Fatalf("getMore after the read ahead failed: %v, want BadValue (2)", r)
	}
	if r := getMore(id, 1); code(r) != 43 {
		t.Fatalf("getMore after the failure: %v, want CursorNotFound (43)", r)
	}
	// A document deleted past the batch and its read-ahead is not returned; the same for a find with a limit
	// larger than its batchSize.
	for _, extra := range [][]bson.E{{{Key: "batchSize", Value: 2}}, {{Key: "batchSize", Value: 2}, {Key: "limit", Value: 50}}} {
		mustOK(t, "update", a.cmd(bson.D{{Key: "update", Value: "ahead"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "gone", Value: false}}}}}, {Key: "multi", Value: true}}}}, {Key: "$db", Value: "lim"}}))
		id, _ = cursorOf(t, a.cmd(find(bson.D{{Key: "gone", Value: false}, {Key: "_id", Value: small[0].Value}}, extra...)))
		if id, batch = cursorOf(t, getMore(id, 2)); fmt.Sprint(ids(batch)) != "[2 3]" {
			t.Fatalf("%v: second batch %v", extra, ids(batch))
		}
		mustOK(t, "update", b.cmd(bson.D{{Key: "update", Value: "ahead"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 5}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "gone", Value: true}}}}}}}}, {Key: "$db", Value: "lim"}}))
		if _, batch = cursorOf(t, getMore(id, 2)); fmt.Sprint(ids(batch)) != "[4 6]" {
			t.Fatalf("%v: after _id 5 stopped matching: %v, want [4 6]", extra, ids(batch))
		}
	}
}
