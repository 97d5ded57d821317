package server_test

import (
	"bytes"
	"context"
	"errors"
	"log"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/wire"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// insertCmd is an insert of docs into test.c.
func insertCmd(docs ...bson.D) bson.D {
	a := bson.A{}
	for _, d := range docs {
		a = append(a, d)
	}
	return bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: a}, {Key: "$db", Value: "test"}}
}

// findCmd is a find on test.c.
func findCmd(filter bson.D) bson.D {
	return bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: filter}, {Key: "$db", Value: "test"}}
}

// firstBatch returns the documents of a find reply.
func firstBatch(t *testing.T, r bson.Raw) []bson.Raw {
	t.Helper()
	mustOK(t, "find", r)
	vals, err := r.Lookup("cursor", "firstBatch").Array().Values()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bson.Raw, len(vals))
	for i, v := range vals {
		out[i] = v.Document()
	}
	return out
}

// commitCmd and abortCmd end transaction txn on lsid.
func commitCmd(lsid bson.D, txn int64) bson.D {
	return txnCmd(bson.D{{Key: "commitTransaction", Value: 1}, {Key: "$db", Value: "admin"}}, lsid, txn, false)
}

func abortCmd(lsid bson.D, txn int64) bson.D {
	return txnCmd(bson.D{{Key: "abortTransaction", Value: 1}, {Key: "$db", Value: "admin"}}, lsid, txn, false)
}

func TestTxn_DriverCommitAndAbort(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("test").Collection("accounts")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: "a"}, {Key: "bal", Value: 100}}, bson.D{{Key: "_id", Value: "b"}, {Key: "bal", Value: 0}}}); err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "a"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "bal", Value: -30}}}}); err != nil {
			return nil, err
		}
		return coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "b"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "bal", Value: 30}}}})
	})
	if err != nil {
		t.Fatalf("WithTransaction: %v", err)
	}
	// An aborted transaction leaves nothing behind.
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := mongo.NewSessionContext(ctx, sess)
	if _, err := coll.InsertOne(sctx, bson.D{{Key: "_id", Value: "c"}}); err != nil {
		t.Fatal(err)
	}
	if err := sess.AbortTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0]["bal"] != int32(70) || docs[1]["bal"] != int32(30) {
		t.Fatalf("after commit and abort: %v", docs)
	}
}

func TestTxn_DriverWriteConflict(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("test").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := c.StartSession()
	sb, _ := c.StartSession()
	defer sa.EndSession(ctx)
	defer sb.EndSession(ctx)
	sa.StartTransaction()
	sb.StartTransaction()
	actx, bctx := mongo.NewSessionContext(ctx, sa), mongo.NewSessionContext(ctx, sb)
	set := func(v int) bson.D { return bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: v}}}} }
	if _, err := coll.UpdateOne(actx, bson.D{{Key: "_id", Value: 1}}, set(1)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := coll.UpdateOne(bctx, bson.D{{Key: "_id", Value: 1}}, set(2))
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 112 || !ce.HasErrorLabel("TransientTransactionError") || ce.HasErrorLabel("UnknownTransactionCommitResult") {
		t.Fatalf("B's update: %v, want WriteConflict with TransientTransactionError", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("WriteConflict took %v; it must be immediate", d)
	}
	err = sb.CommitTransaction(ctx)
	if !errors.As(err, &ce) || ce.Code != 251 || !ce.HasErrorLabel("TransientTransactionError") {
		t.Fatalf("B's commit: %v, want NoSuchTransaction with TransientTransactionError", err)
	}
	if err := sa.CommitTransaction(ctx); err != nil {
		t.Fatalf("A's commit: %v", err)
	}
	var doc bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil || doc["v"] != int32(1) {
		t.Fatalf("final doc %v, %v", doc, err)
	}
}

// TestTxn_Rules drives the session rules of spec §2.1-2.2 with raw commands carrying explicit lsid and
// txnNumber. Each case runs on its own server, seeded with {_id: 0}, and its own session: the transaction
// numbers a case relies on are set up by its own steps, so any case runs alone. After its steps, the
// collection holds exactly wantIDs: what the case committed, and nothing it aborted.
func TestTxn_Rules(t *testing.T) {
	type step struct {
		cmd       bson.D
		wantCode  int32
		wantLabel string // "" means no errorLabels at all
		wantMsg   string // substring of errmsg
	}
	lsid := newLsid() // the cases share no server, so one lsid serves them all
	ins := func(id int) bson.D { return insertCmd(bson.D{{Key: "_id", Value: id}}) }
	withField := func(cmd bson.D, k string, v any) bson.D { return append(cmd, bson.E{Key: k, Value: v}) }
	cases := []struct {
		name    string
		steps   []step
		wantIDs []int32
	}{
		{name: "TransactionTooOld", steps: []step{
			{cmd: txnCmd(ins(1), lsid, 5, true)},
			{cmd: txnCmd(ins(2), lsid, 4, true), wantCode: 225, wantMsg: "Cannot start transaction with { txnNumber: 4 } on session "},
			{cmd: commitCmd(lsid, 5)},
		}, wantIDs: []int32{0, 1}},
		{name: "TransactionTooOld message tail", steps: []step{
			{cmd: txnCmd(ins(1), lsid, 5, true)},
			{cmd: commitCmd(lsid, 5)},
			{cmd: txnCmd(ins(3), lsid, 3, true), wantCode: 225, wantMsg: "because a newer transaction with txnNumberAndRetryCounter { txnNumber: 5, txnRetryCounter: 0 } has already started on this session."},
		}, wantIDs: []int32{0, 1}},
		{name: "restart same number", steps: []step{
			{cmd: txnCmd(ins(4), lsid, 6, true)},
			{cmd: txnCmd(ins(5), lsid, 6, true), wantCode: 117},
			{cmd: abortCmd(lsid, 6)},
		}, wantIDs: []int32{0}},
		{name: "commit idempotent, then TransactionCommitted", steps: []step{
			{cmd: txnCmd(ins(6), lsid, 7, true)},
			{cmd: commitCmd(lsid, 7)},
			{cmd: commitCmd(lsid, 7)},
			{cmd: txnCmd(ins(7), lsid, 7, false), wantCode: 256, wantMsg: "Transaction with { txnNumber: 7 } has been committed."},
			{cmd: abortCmd(lsid, 7), wantCode: 256},
		}, wantIDs: []int32{0, 6}},
		{name: "abort twice", steps: []step{
			{cmd: txnCmd(ins(8), lsid, 8, true)},
			{cmd: abortCmd(lsid, 8)},
			{cmd: abortCmd(lsid, 8), wantCode: 251, wantLabel: "TransientTransactionError", wantMsg: "Transaction with { txnNumber: 8 } has been aborted."},
			{cmd: commitCmd(lsid, 8), wantCode: 251, wantLabel: "TransientTransactionError"},
		}, wantIDs: []int32{0}},
		{name: "continue unknown number", steps: []step{
			{cmd: txnCmd(ins(8), lsid, 8, true)},
			{cmd: abortCmd(lsid, 8)},
			{cmd: txnCmd(ins(9), lsid, 20, false), wantCode: 251, wantLabel: "TransientTransactionError", wantMsg: "Given transaction number 20 does not match any in-progress transactions. The active transaction number is 8"},
		}, wantIDs: []int32{0}},
		{name: "continue on a session that never started one", steps: []step{
			{cmd: txnCmd(ins(9), lsid, 20, false), wantCode: 251, wantLabel: "TransientTransactionError", wantMsg: "Given transaction number 20 does not match any in-progress transactions. The active transaction number is -1"},
		}, wantIDs: []int32{0}},
		{name: "new number aborts the transaction in progress", steps: []step{
			{cmd: txnCmd(ins(10), lsid, 21, true)},
			{cmd: txnCmd(ins(11), lsid, 22, true)},
			{cmd: commitCmd(lsid, 21), wantCode: 225},
			{cmd: commitCmd(lsid, 22)},
		}, wantIDs: []int32{0, 11}},
		{name: "count is not allowed", steps: []step{
			{cmd: txnCmd(bson.D{{Key: "count", Value: "c"}, {Key: "$db", Value: "test"}}, lsid, 23, true), wantCode: 263, wantMsg: "Cannot run 'count' in a multi-document transaction."},
		}, wantIDs: []int32{0}},
		{name: "killCursors, commit and abort cannot start", steps: []step{
			{cmd: txnCmd(bson.D{{Key: "killCursors", Value: "c"}, {Key: "cursors", Value: bson.A{int64(1)}}, {Key: "$db", Value: "test"}}, lsid, 24, true), wantCode: 263},
			{cmd: txnCmd(bson.D{{Key: "commitTransaction", Value: 1}, {Key: "$db", Value: "admin"}}, lsid, 24, true), wantCode: 263},
			{cmd: txnCmd(bson.D{{Key: "abortTransaction", Value: 1}, {Key: "$db", Value: "admin"}}, lsid, 24, true), wantCode: 263},
		}, wantIDs: []int32{0}},
		{name: "writeConcern inside a transaction", steps: []step{
			{cmd: withField(txnCmd(ins(12), lsid, 25, true), "writeConcern", bson.D{{Key: "w", Value: 1}}), wantCode: 72, wantMsg: "writeConcern is not allowed within a multi-statement transaction"},
		}, wantIDs: []int32{0}},
		{name: "readConcern on the second statement", steps: []step{
			{cmd: withField(txnCmd(ins(13), lsid, 26, true), "readConcern", bson.D{{Key: "level", Value: "snapshot"}})},
			{cmd: withField(txnCmd(ins(14), lsid, 26, false), "readConcern", bson.D{{Key: "level", Value: "local"}}), wantCode: 72, wantMsg: "Only the first command in a transaction may specify a readConcern"},
			{cmd: commitCmd(lsid, 26)},
		}, wantIDs: []int32{0, 13}},
		{name: "linearizable kills the transaction", steps: []step{
			{cmd: withField(txnCmd(ins(15), lsid, 27, true), "readConcern", bson.D{{Key: "level", Value: "linearizable"}}), wantCode: 72},
			{cmd: txnCmd(ins(16), lsid, 27, false), wantCode: 251, wantLabel: "TransientTransactionError"},
			{cmd: abortCmd(lsid, 27), wantCode: 251, wantLabel: "TransientTransactionError"},
		}, wantIDs: []int32{0}},
		{name: "garbage readConcern level", steps: []step{
			{cmd: withField(txnCmd(ins(17), lsid, 28, true), "readConcern", bson.D{{Key: "level", Value: "bogus"}}), wantCode: 9},
		}, wantIDs: []int32{0}},
		{name: "txnNumber on a non-retryable command", steps: []step{
			{cmd: append(findCmd(bson.D{}), bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: int64(30)}), wantCode: 50768},
		}, wantIDs: []int32{0}},
		{name: "autocommit true", steps: []step{
			{cmd: append(ins(18), bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: int64(31)}, bson.E{Key: "autocommit", Value: true}), wantCode: 72},
		}, wantIDs: []int32{0}},
		{name: "duplicate key aborts the transaction", steps: []step{
			{cmd: txnCmd(ins(0), lsid, 32, true)},
			{cmd: commitCmd(lsid, 32), wantCode: 251, wantLabel: "TransientTransactionError"},
		}, wantIDs: []int32{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rc := newCoreEnv(t).dial(t)
			mustOK(t, "seed", rc.cmd(insertCmd(bson.D{{Key: "_id", Value: 0}})))
			for i, s := range tc.steps {
				r := rc.cmd(s.cmd)
				if got := code(r); got != s.wantCode {
					t.Fatalf("step %d (%s): code %d, want %d: %v", i, s.cmd[0].Key, got, s.wantCode, r)
				}
				labels := errLabels(r)
				if s.wantLabel == "" && len(labels) > 0 || s.wantLabel != "" && !slices.Equal(labels, []string{s.wantLabel}) {
					t.Fatalf("step %d: errorLabels %v, want %q", i, labels, s.wantLabel)
				}
				if s.wantMsg != "" && !strings.Contains(r.Lookup("errmsg").StringValue(), s.wantMsg) {
					t.Fatalf("step %d: errmsg %q, want it to contain %q", i, r.Lookup("errmsg").StringValue(), s.wantMsg)
				}
			}
			var ids []int32
			for _, d := range firstBatch(t, rc.cmd(findCmd(bson.D{}))) {
				ids = append(ids, d.Lookup("_id").Int32())
			}
			if !slices.Equal(ids, tc.wantIDs) {
				t.Fatalf("ids %v, want %v", ids, tc.wantIDs)
			}
		})
	}
}

// TestTxn_LifetimeExpiry sets transactionLifetimeLimitSeconds to 1 and checks that an idle transaction is
// aborted: its commit reports NoSuchTransaction and its insert is gone.
func TestTxn_LifetimeExpiry(t *testing.T) {
	e := newCoreEnv(t)
	rc := e.dial(t)
	mustOK(t, "setParameter", rc.cmd(bson.D{{Key: "setParameter", Value: 1}, {Key: "transactionLifetimeLimitSeconds", Value: 1}, {Key: "$db", Value: "admin"}}))
	if got := e.db.TransactionLifetime(); got != time.Second {
		t.Fatalf("DB lifetime %v after setParameter", got)
	}
	before := rc.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
	lsid := newLsid()
	mustOK(t, "txn insert", rc.cmd(txnCmd(insertCmd(bson.D{{Key: "_id", Value: 1}}), lsid, 1, true)))
	time.Sleep(2500 * time.Millisecond)
	r := rc.cmd(commitCmd(lsid, 1))
	if code(r) != 251 || r.Lookup("errmsg").StringValue() != "Transaction with { txnNumber: 1 } has been aborted." || !slices.Equal(errLabels(r), []string{"TransientTransactionError"}) {
		t.Fatalf("commit after expiry: %v", r)
	}
	if docs := firstBatch(t, rc.cmd(findCmd(bson.D{}))); len(docs) != 0 {
		t.Fatalf("expired transaction's insert is visible: %v", docs)
	}
	after := rc.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
	b, _ := before.Lookup("transactions", "totalAborted").AsInt64OK()
	a, _ := after.Lookup("transactions", "totalAborted").AsInt64OK()
	if a != b+1 {
		t.Fatalf("totalAborted %d -> %d, want +1", b, a)
	}
}

// syncBuffer is a log sink safe for the server's goroutines and the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTxn_ExpiryWithoutFurtherUse checks what only the server's reaper provides on top of the engine's: a
// transaction that expires while its client stays away is logged as MongoDB logs it (id 20707), leaves
// currentOp's idle sessions and counts once in totalAborted, without the session being used again.
func TestTxn_ExpiryWithoutFurtherUse(t *testing.T) {
	logs := &syncBuffer{}
	e := newCoreEnvWith(t, func(s *server.Server) { s.ErrorLog = log.New(logs, "", 0) })
	e.db.SetTransactionLifetime(time.Second)
	rc := e.dial(t)
	status := func() int64 {
		r := rc.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
		n, _ := r.Lookup("transactions", "totalAborted").AsInt64OK()
		return n
	}
	idleTxns := func() int {
		r := mustOK(t, "currentOp", rc.cmd(bson.D{{Key: "currentOp", Value: 1}, {Key: "$db", Value: "admin"}}))
		vals, _ := r.Lookup("inprog").Array().Values()
		n := 0
		for _, v := range vals {
			if v.Document().Lookup("type").StringValue() == "idleSession" {
				n++
			}
		}
		return n
	}
	before := status()
	lsid := newLsid()
	mustOK(t, "txn insert", rc.cmd(txnCmd(insertCmd(bson.D{{Key: "_id", Value: 1}}), lsid, 7, true)))
	if n := idleTxns(); n != 1 {
		t.Fatalf("idle transactions in currentOp = %d, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "Aborting transaction with txnNumber 7") {
		if time.Now().After(deadline) {
			t.Fatalf("no abort logged for the expired transaction; log: %q", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "because it has been running for longer than 'transactionLifetimeLimitSeconds'") {
		t.Fatalf("abort log line = %q", logs.String())
	}
	if n := idleTxns(); n != 0 {
		t.Fatalf("idle transactions in currentOp after expiry = %d, want 0", n)
	}
	if after := status(); after != before+1 {
		t.Fatalf("totalAborted %d -> %d, want +1", before, after)
	}
	// getLog "global" has the event in mongod's JSON log format, with its log id.
	r := mustOK(t, "getLog", rc.cmd(bson.D{{Key: "getLog", Value: "global"}, {Key: "$db", Value: "admin"}}))
	lines, _ := r.Lookup("log").Array().Values()
	found := false
	for _, l := range lines {
		var ev struct {
			ID   int32 `bson:"id"`
			C    string
			Attr struct {
				TxnNumber int64 `bson:"txnNumber"`
			}
		}
		if err := bson.UnmarshalExtJSON([]byte(l.StringValue()), false, &ev); err != nil {
			t.Fatalf("log line %q: %v", l.StringValue(), err)
		}
		if ev.ID == 20707 && ev.C == "TXN" && ev.Attr.TxnNumber == 7 {
			found = true
		}
	}
	if !found {
		t.Fatalf("getLog global has no 20707 line for txnNumber 7: %v", r)
	}
}

// TestRetryableWrite_Dedup checks that a retried insert (same lsid and txnNumber) returns the stored reply
// without inserting again, and that an older txnNumber is TransactionTooOld.
func TestRetryableWrite_Dedup(t *testing.T) {
	e := newCoreEnv(t)
	rc := e.dial(t)
	lsid := newLsid()
	retryable := func(cmd bson.D, n int64) bson.D {
		return append(cmd, bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: n})
	}
	for i := range 2 {
		r := mustOK(t, "insert", rc.cmd(retryable(insertCmd(bson.D{{Key: "_id", Value: 1}}), 5)))
		if n, _ := r.Lookup("n").AsInt64OK(); n != 1 || r.Lookup("writeErrors").Type != 0 {
			t.Fatalf("attempt %d: %v", i, r)
		}
		if retried := r.Lookup("retriedStmtIds").Type != 0; retried != (i == 1) {
			t.Fatalf("attempt %d: retriedStmtIds present = %v: %v", i, retried, r)
		}
	}
	status := rc.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
	if n, _ := status.Lookup("transactions", "retriedCommandsCount").AsInt64OK(); n != 1 {
		t.Fatalf("retriedCommandsCount %d, want 1", n)
	}
	if n, _ := status.Lookup("transactions", "retriedStatementsCount").AsInt64OK(); n != 1 {
		t.Fatalf("retriedStatementsCount %d, want 1", n)
	}
	r := rc.cmd(retryable(insertCmd(bson.D{{Key: "_id", Value: 2}}), 4))
	if code(r) != 225 || !strings.HasPrefix(r.Lookup("errmsg").StringValue(), "Retryable write with txnNumber 4 is prohibited on session ") {
		t.Fatalf("older txnNumber: %v", r)
	}
	multi := bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}, {Key: "multi", Value: true}}}}, {Key: "$db", Value: "test"}}
	if r := rc.cmd(retryable(multi, 6)); code(r) != 72 {
		t.Fatalf("retryable multi update: %v", r)
	}
	if docs := firstBatch(t, rc.cmd(findCmd(bson.D{}))); len(docs) != 1 {
		t.Fatalf("%d documents, want 1", len(docs))
	}
}

// TestRetryableWrite_DedupSurvivesEndingTheSession checks that endSessions and killSessions keep the session's
// transaction record, as mongod does: a retried $inc is answered from it and not applied again, and an older
// txnNumber is still TransactionTooOld.
func TestRetryableWrite_DedupSurvivesEndingTheSession(t *testing.T) {
	e := newCoreEnv(t)
	rc := e.dial(t)
	mustOK(t, "seed", rc.cmd(insertCmd(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})))
	for i, end := range []string{"endSessions", "killSessions"} {
		lsid := newLsid()
		n := int64(10 + i)
		inc := bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}}}},
			{Key: "$db", Value: "test"}, {Key: "lsid", Value: lsid}, {Key: "txnNumber", Value: n}}
		mustOK(t, "update", rc.cmd(inc))
		mustOK(t, end, rc.cmd(bson.D{{Key: end, Value: bson.A{lsid}}, {Key: "$db", Value: "admin"}}))
		r := mustOK(t, "retried update", rc.cmd(inc))
		if r.Lookup("retriedStmtIds").Type == 0 {
			t.Fatalf("after %s, the retry was applied again: %v", end, r)
		}
		older := append(bson.D{}, inc...)
		older[len(older)-1] = bson.E{Key: "txnNumber", Value: n - 1}
		if r := rc.cmd(older); code(r) != 225 {
			t.Fatalf("after %s, an older txnNumber: %v", end, r)
		}
	}
	docs := firstBatch(t, rc.cmd(findCmd(bson.D{})))
	if v, _ := docs[0].Lookup("v").AsInt64OK(); v != 2 {
		t.Fatalf("v = %d, want 2: one increment per session", v)
	}
}

// TestTxn_MaxTimeMS checks that maxTimeMS bounds a write waiting for a transaction (spec scenario 8).
func TestTxn_MaxTimeMS(t *testing.T) {
	e := newCoreEnv(t)
	a, b := e.dial(t), e.dial(t)
	lsid := newLsid()
	killed := func() int64 {
		r := b.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
		n, _ := r.Lookup("metrics", "operation", "killedDueToMaxTimeMSExpired").AsInt64OK()
		return n
	}
	before := killed()
	mustOK(t, "txn insert", a.cmd(txnCmd(insertCmd(bson.D{{Key: "_id", Value: 1}}), lsid, 1, true)))
	start := time.Now()
	r := b.cmd(append(insertCmd(bson.D{{Key: "_id", Value: 1}}), bson.E{Key: "maxTimeMS", Value: 100}))
	if code(r) != 50 {
		t.Fatalf("blocked insert with maxTimeMS: %v", r)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 3*time.Second {
		t.Fatalf("took %v, want about 100ms", d)
	}
	if after := killed(); after != before+1 {
		t.Fatalf("metrics.operation.killedDueToMaxTimeMSExpired %d -> %d, want +1", before, after)
	}
	mustOK(t, "abort", a.cmd(abortCmd(lsid, 1)))
}

// TestServer_CurrentOpKillOp finds a write waiting for a transaction with currentOp, kills it with killOp and
// checks that it fails with Interrupted; the idle transaction is listed as an idle session.
func TestServer_CurrentOpKillOp(t *testing.T) {
	e := newCoreEnv(t)
	a, b, admin := e.dial(t), e.dial(t), e.dial(t)
	lsid := newLsid()
	mustOK(t, "seed", a.cmd(insertCmd(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})))
	upd := func(v int) bson.D {
		return bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: v}}}}}}}}, {Key: "$db", Value: "test"}}
	}
	mustOK(t, "txn update", a.cmd(txnCmd(upd(1), lsid, 1, true)))
	body, _ := bson.Marshal(upd(2))
	b.send(wire.AppendMsg(nil, b.nextID(), 0, 0, body))

	var opid int64
	deadline := time.Now().Add(5 * time.Second)
	for opid == 0 && time.Now().Before(deadline) {
		r := mustOK(t, "currentOp", admin.cmd(bson.D{{Key: "currentOp", Value: 1}, {Key: "$db", Value: "admin"}}))
		ops, _ := r.Lookup("inprog").Array().Values()
		idle := false
		for _, o := range ops {
			d := o.Document()
			typ, _ := d.Lookup("type").StringValueOK()
			if n, _ := d.Lookup("transaction", "parameters", "txnNumber").Int64OK(); typ == "idleSession" && n == 1 {
				idle = true
			}
			op, _ := d.Lookup("op").StringValueOK()
			ns, _ := d.Lookup("ns").StringValueOK()
			if op == "update" && ns == "test.c" {
				opid, _ = d.Lookup("opid").AsInt64OK()
			}
		}
		if opid != 0 && !idle {
			t.Fatalf("the open transaction is not listed as an idle session: %v", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if opid == 0 {
		t.Fatal("the waiting update never showed in currentOp")
	}
	mustOK(t, "killOp", admin.cmd(bson.D{{Key: "killOp", Value: 1}, {Key: "op", Value: opid}, {Key: "$db", Value: "admin"}}))
	if r := b.readMsg(); code(r) != 11601 {
		t.Fatalf("killed update: %v", r)
	}
	mustOK(t, "commit", a.cmd(commitCmd(lsid, 1)))
	docs := firstBatch(t, a.cmd(findCmd(bson.D{})))
	if len(docs) != 1 || docs[0].Lookup("v").Int32() != 1 {
		t.Fatalf("after kill and commit: %v", docs)
	}
}

// TestServer_DisconnectInterruptsWaitingWrite checks that a write waiting for a transaction is interrupted
// when its client disconnects, so that it does not apply later.
func TestServer_DisconnectInterruptsWaitingWrite(t *testing.T) {
	e := newCoreEnv(t)
	a, b, admin := e.dial(t), e.dial(t), e.dial(t)
	lsid := newLsid()
	mustOK(t, "seed", a.cmd(insertCmd(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})))
	inc := bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}}}}, {Key: "$db", Value: "test"}}
	mustOK(t, "txn update", a.cmd(txnCmd(inc, lsid, 1, true)))
	body, _ := bson.Marshal(inc)
	b.send(wire.AppendMsg(nil, b.nextID(), 0, 0, body))
	waitForOp(t, admin, "update")
	b.c.Close()

	deadline := time.Now().Add(5 * time.Second)
	for {
		r := mustOK(t, "currentOp", admin.cmd(bson.D{{Key: "currentOp", Value: 1}, {Key: "idleSessions", Value: false}, {Key: "$db", Value: "admin"}}))
		ops, _ := r.Lookup("inprog").Array().Values()
		if len(ops) == 1 { // only currentOp itself
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the disconnected client's update is still running: %v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustOK(t, "commit", a.cmd(commitCmd(lsid, 1)))
	docs := firstBatch(t, a.cmd(findCmd(bson.D{})))
	if v := docs[0].Lookup("v").Int32(); v != 1 {
		t.Fatalf("v = %d, want 1: the abandoned update applied", v)
	}
	r := admin.cmd(bson.D{{Key: "serverStatus", Value: 1}, {Key: "$db", Value: "admin"}})
	if n, _ := r.Lookup("metrics", "operation", "killedDueToClientDisconnect").AsInt64OK(); n != 1 {
		t.Fatalf("metrics.operation.killedDueToClientDisconnect = %d, want 1", n)
	}
}

// TestTxn_LastCommittedTransaction checks serverStatus transactions.lastCommittedTransaction: absent before
// any commit that writes, then the operation count, logged bytes and write concern of the last such commit;
// a read-only commit and an abort leave it alone.
func TestTxn_LastCommittedTransaction(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	status := func() bson.Raw {
		t.Helper()
		raw, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		return raw.Lookup("transactions").Document()
	}
	if _, err := status().LookupErr("lastCommittedTransaction"); err == nil {
		t.Fatalf("lastCommittedTransaction before any commit: %v", status())
	}
	coll := c.Database("test").Collection("ledger")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	big := strings.Repeat("x", 1000)
	txnOpts := options.Transaction().SetWriteConcern(writeconcern.W1())
	if _, err := sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		for i := 1; i <= 3; i++ {
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "s", Value: big}}); err != nil {
				return nil, err
			}
		}
		return coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 0}})
	}, txnOpts); err != nil {
		t.Fatal(err)
	}
	check := func(ops int64, minBytes, maxBytes int64, w any) {
		t.Helper()
		lc := status().Lookup("lastCommittedTransaction").Document()
		if got := lc.Lookup("operationCount").Int64(); got != ops {
			t.Errorf("operationCount = %d, want %d (%v)", got, ops, lc)
		}
		if got := lc.Lookup("oplogOperationBytes").Int64(); got < minBytes || got > maxBytes {
			t.Errorf("oplogOperationBytes = %d, want in [%d, %d]", got, minBytes, maxBytes)
		}
		wc := lc.Lookup("writeConcern").Document()
		if got := wc.Lookup("w"); got.String() != bson.RawValue(w.(bson.RawValue)).String() {
			t.Errorf("writeConcern.w = %v, want %v", got, w)
		}
		if _, err := wc.LookupErr("wtimeout"); err != nil {
			t.Errorf("writeConcern without wtimeout: %v", wc)
		}
	}
	one := bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}
	check(4, 3*1000, 3*1100, one)
	// A read-only transaction and an aborted one change nothing.
	if _, err := sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		return nil, coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Err()
	}); err != nil {
		t.Fatal(err)
	}
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: 9}}); err != nil {
		t.Fatal(err)
	}
	if err := sess.AbortTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	check(4, 3*1000, 3*1100, one)
	// The default write concern of a commit is majority.
	if _, err := sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		return coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "s", Value: "y"}}}})
	}); err != nil {
		t.Fatal(err)
	}
	maj := bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, "majority")}
	check(1, 10, 100, maj)
}

// TestTxn_CreatedCollectionInvisibleUntilCommit checks through the driver that a collection a transaction
// creates (by an insert, by create, and by createIndexes with its index) is listed to no other client until the
// commit, and is gone after an abort.
func TestTxn_CreatedCollectionInvisibleUntilCommit(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	other := e.client(t)
	ctx := context.Background()
	db := c.Database("vis")
	names := func() []string {
		t.Helper()
		n, err := other.Database("vis").ListCollectionNames(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(n)
		return n
	}
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := mongo.NewSessionContext(ctx, sess)
	if _, err := db.Collection("byinsert").InsertOne(sctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCollection(sctx, "bycreate"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("byindex").Indexes().CreateOne(sctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("bycreate").Indexes().CreateOne(sctx, mongo.IndexModel{Keys: bson.D{{Key: "b", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	if got := names(); len(got) != 0 {
		t.Fatalf("another client lists %v before the commit", got)
	}
	err = other.Database("vis").RunCommand(ctx, bson.D{{Key: "listIndexes", Value: "byindex"}}).Err()
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 26 {
		t.Fatalf("listIndexes by another client before the commit: %v, want NamespaceNotFound", err)
	}
	if err := sess.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if got := names(); !slices.Equal(got, []string{"bycreate", "byindex", "byinsert"}) {
		t.Fatalf("after the commit another client lists %v", got)
	}
	specs, err := other.Database("vis").Collection("bycreate").Indexes().ListSpecifications(ctx)
	if err != nil || len(specs) != 2 {
		t.Fatalf("indexes after the commit: %v %v", specs, err)
	}
	// An abort takes the collection away; it was never listed.
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("gone").InsertOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if got := names(); slices.Contains(got, "gone") {
		t.Fatalf("listed during the transaction: %v", got)
	}
	if err := sess.AbortTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if got := names(); slices.Contains(got, "gone") {
		t.Fatalf("listed after the abort: %v", got)
	}
}
