package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/wire"
)

// crudEnv is an in-process server on 127.0.0.1:0 over a fresh DB, with an official-driver client.
type crudEnv struct {
	db     *concord.DB
	srv    *Server
	addr   string
	client *mongo.Client
}

// newCrudEnv starts a server over an in-memory DB (dir "") or an on-disk one, and connects a client. Everything
// is torn down when the test ends.
func newCrudEnv(tb testing.TB, dir string) *crudEnv {
	tb.Helper()
	db, err := concord.Open(dir, nil)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		tb.Fatalf("Listen: %v", err)
	}
	srv := &Server{DB: db}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	e := &crudEnv{db: db, srv: srv, addr: l.Addr().String()}
	e.client = e.newClient(tb, 0)
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.client.Disconnect(ctx)
		_ = srv.Shutdown(ctx)
		<-done
		db.Close()
	})
	return e
}

// newClient connects another client (maxPool 0 = driver default); it is disconnected at cleanup.
func (e *crudEnv) newClient(tb testing.TB, maxPool uint64) *mongo.Client {
	tb.Helper()
	opts := options.Client().ApplyURI("mongodb://" + e.addr + "/?directConnection=true").
		SetServerSelectionTimeout(5 * time.Second)
	if maxPool > 0 {
		opts.SetMaxPoolSize(maxPool)
	}
	c, err := mongo.Connect(opts)
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	if e.client != nil {
		tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	}
	return c
}

// run sends cmd to database dbName and returns the reply (an error for ok:0). A reply carrying writeErrors is
// returned as a reply, not as the driver's WriteException.
func (e *crudEnv) run(tb testing.TB, dbName string, cmd bson.D) (bson.Raw, error) {
	tb.Helper()
	return rawReply(e.client.Database(dbName).RunCommand(context.Background(), cmd))
}

// rawReply returns a RunCommand reply, treating a WriteException (ok:1 with writeErrors) as success.
func rawReply(res *mongo.SingleResult) (bson.Raw, error) {
	r, err := res.Raw()
	var we mongo.WriteException
	if errors.As(err, &we) && r != nil {
		return r, nil
	}
	return r, err
}

// mustRun is run that fails the test on a command error.
func (e *crudEnv) mustRun(tb testing.TB, dbName string, cmd bson.D) bson.Raw {
	tb.Helper()
	r, err := e.run(tb, dbName, cmd)
	if err != nil {
		tb.Fatalf("%v: %v", cmd[0].Key, err)
	}
	return r
}

// keys lists a document's field names in order.
func keys(tb testing.TB, d bson.Raw) []string {
	tb.Helper()
	elems, err := d.Elements()
	if err != nil {
		tb.Fatalf("Elements: %v", err)
	}
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = e.Key()
	}
	return out
}

// commandCode returns the code of a command error (0 if err is not one).
func commandCode(err error) int32 {
	var ce mongo.CommandError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func lookupInt(tb testing.TB, d bson.Raw, path ...string) int64 {
	tb.Helper()
	v, err := d.LookupErr(path...)
	if err != nil {
		tb.Fatalf("%v missing in %v", path, d)
	}
	n, ok := v.AsInt64OK()
	if !ok {
		tb.Fatalf("%v is %v, not a number", path, v)
	}
	return n
}

func TestDriver_CRUDRoundTrip(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("app").Collection("people")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "ann"}, {Key: "age", Value: 30}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 2}, {Key: "name", Value: "bob"}, {Key: "age", Value: 25}},
		bson.D{{Key: "_id", Value: 3}, {Key: "name", Value: "cy"}, {Key: "age", Value: 41}}}); err != nil {
		t.Fatalf("InsertMany: %v", err)
	}
	var got []struct {
		ID   int    `bson:"_id"`
		Name string `bson:"name"`
	}
	cur, err := coll.Find(ctx, bson.D{{Key: "age", Value: bson.D{{Key: "$gte", Value: 30}}}},
		options.Find().SetSort(bson.D{{Key: "age", Value: -1}}).SetProjection(bson.D{{Key: "name", Value: 1}}))
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	if err := cur.All(ctx, &got); err != nil {
		t.Fatalf("All: %v", err)
	}
	if len(got) != 2 || got[0].Name != "cy" || got[1].Name != "ann" {
		t.Fatalf("Find sorted = %+v, want cy, ann", got)
	}
	res, err := coll.UpdateMany(ctx, bson.D{}, bson.D{{Key: "$inc", Value: bson.D{{Key: "age", Value: 1}}}})
	if err != nil || res.MatchedCount != 3 || res.ModifiedCount != 3 {
		t.Fatalf("UpdateMany = %+v, %v; want 3/3", res, err)
	}
	res, err = coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "name", Value: "bobby"}})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("ReplaceOne = %+v, %v", res, err)
	}
	var bob bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 2}}).Decode(&bob); err != nil {
		t.Fatalf("FindOne: %v", err)
	}
	if bob["name"] != "bobby" || bob["age"] != nil {
		t.Fatalf("replaced doc = %v", bob)
	}
	del, err := coll.DeleteOne(ctx, bson.D{{Key: "age", Value: bson.D{{Key: "$gt", Value: 0}}}})
	if err != nil || del.DeletedCount != 1 {
		t.Fatalf("DeleteOne = %+v, %v", del, err)
	}
	del, err = coll.DeleteMany(ctx, bson.D{})
	if err != nil || del.DeletedCount != 2 {
		t.Fatalf("DeleteMany = %+v, %v", del, err)
	}
	if err := coll.FindOne(ctx, bson.D{}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("FindOne on empty = %v, want ErrNoDocuments", err)
	}
}

func TestDriver_UpdateReplyShape(t *testing.T) {
	e := newCrudEnv(t, "")
	e.mustRun(t, "app", bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 1}}}}})
	r := e.mustRun(t, "app", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}}},
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 7}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 2}}}}}, {Key: "upsert", Value: true}},
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}},
	}}})
	if got, want := keys(t, r)[:4], []string{"n", "nModified", "upserted", "ok"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("reply keys = %v, want prefix %v (%v)", got, want, r)
	}
	if n, nm := lookupInt(t, r, "n"), lookupInt(t, r, "nModified"); n != 3 || nm != 1 {
		t.Fatalf("n, nModified = %d, %d; want 3, 1 (no-op $set not counted)", n, nm)
	}
	up := r.Lookup("upserted").Array()
	vals, _ := up.Values()
	if len(vals) != 1 {
		t.Fatalf("upserted = %v, want one entry", up)
	}
	entry := vals[0].Document()
	if got := keys(t, entry); !reflect.DeepEqual(got, []string{"index", "_id"}) {
		t.Fatalf("upserted entry keys = %v", got)
	}
	if lookupInt(t, entry, "index") != 1 || lookupInt(t, entry, "_id") != 7 {
		t.Fatalf("upserted entry = %v, want {index: 1, _id: 7}", entry)
	}

	// The driver's view of the same shape.
	coll := e.client.Database("app").Collection("c")
	res, err := coll.UpdateOne(context.Background(), bson.D{{Key: "_id", Value: "new"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 9}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil || res.UpsertedCount != 1 || res.UpsertedID != "new" || res.MatchedCount != 0 {
		t.Fatalf("UpdateOne upsert = %+v, %v", res, err)
	}

	// A replacement with multi:true and a pipeline update are per-statement errors.
	r = e.mustRun(t, "app", bson.D{{Key: "update", Value: "c"}, {Key: "ordered", Value: false}, {Key: "updates", Value: bson.A{
		bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "x", Value: 1}}}, {Key: "multi", Value: true}},
		bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$bogus", Value: bson.D{{Key: "x", Value: 1}}}}}},
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}},
	}}})
	if n := lookupInt(t, r, "n"); n != 1 {
		t.Fatalf("unordered batch with two bad statements: n = %d, want 1 (%v)", n, r)
	}
	wes, _ := r.Lookup("writeErrors").Array().Values()
	if len(wes) != 2 || lookupInt(t, wes[0].Document(), "index") != 0 || lookupInt(t, wes[1].Document(), "index") != 1 {
		t.Fatalf("writeErrors = %v, want indexes 0 and 1", wes)
	}

	// A malformed statement fails the whole command before anything runs.
	_, err = e.run(t, "app", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}},
		bson.D{{Key: "q", Value: 5}, {Key: "u", Value: bson.D{}}},
	}}})
	if commandCode(err) != 14 {
		t.Fatalf("q of the wrong type: %v, want TypeMismatch 14", err)
	}
	var doc bson.M
	if err := coll.FindOne(context.Background(), bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil || doc["v"] != int32(3) {
		t.Fatalf("doc after batches = %v, %v; want v 3", doc, err)
	}
}

func TestDriver_DuplicateKeyWriteError(t *testing.T) {
	e := newCrudEnv(t, "")
	e.mustRun(t, "app", bson.D{{Key: "createIndexes", Value: "u"}, {Key: "indexes", Value: bson.A{
		bson.D{{Key: "key", Value: bson.D{{Key: "email", Value: 1}}}, {Key: "name", Value: "email_1"}, {Key: "unique", Value: true}}}}})
	e.mustRun(t, "app", bson.D{{Key: "insert", Value: "u"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "email", Value: "a@x"}}}}})

	tests := []struct {
		name       string
		doc        bson.D
		keyPattern bson.D
		keyValue   bson.D
		index      string
	}{
		{"id", bson.D{{Key: "_id", Value: 1}, {Key: "email", Value: "b@x"}}, bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "_id", Value: int32(1)}}, "_id_"},
		{"unique index", bson.D{{Key: "_id", Value: 2}, {Key: "email", Value: "a@x"}}, bson.D{{Key: "email", Value: int32(1)}}, bson.D{{Key: "email", Value: "a@x"}}, "email_1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.mustRun(t, "app", bson.D{{Key: "insert", Value: "u"}, {Key: "documents", Value: bson.A{tc.doc}}})
			if n := lookupInt(t, r, "n"); n != 0 {
				t.Fatalf("n = %d, want 0", n)
			}
			wes, _ := r.Lookup("writeErrors").Array().Values()
			if len(wes) != 1 {
				t.Fatalf("writeErrors = %v", wes)
			}
			we := wes[0].Document()
			if got, want := keys(t, we), []string{"index", "code", "errmsg", "keyPattern", "keyValue"}; !reflect.DeepEqual(got, want) {
				t.Fatalf("write error keys = %v, want %v", got, want)
			}
			if lookupInt(t, we, "code") != 11000 {
				t.Fatalf("code = %v", we)
			}
			wantMsg := fmt.Sprintf("E11000 duplicate key error collection: app.u index: %s dup key: ", tc.index)
			if msg := we.Lookup("errmsg").StringValue(); len(msg) < len(wantMsg) || msg[:len(wantMsg)] != wantMsg {
				t.Fatalf("errmsg = %q, want prefix %q", msg, wantMsg)
			}
			wantPattern, _ := bson.Marshal(tc.keyPattern)
			wantValue, _ := bson.Marshal(tc.keyValue)
			if got := we.Lookup("keyPattern").Document(); !bsonEqual(got, wantPattern) {
				t.Fatalf("keyPattern = %v, want %v", got, bson.Raw(wantPattern))
			}
			if got := we.Lookup("keyValue").Document(); !bsonEqual(got, wantValue) {
				t.Fatalf("keyValue = %v, want %v", got, bson.Raw(wantValue))
			}
		})
	}

	// The driver surfaces it as a WriteException that mongo.IsDuplicateKeyError recognizes.
	_, err := e.client.Database("app").Collection("u").InsertOne(context.Background(), bson.D{{Key: "email", Value: "a@x"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("InsertOne duplicate = %v, want a duplicate key error", err)
	}
}

// bsonEqual compares two documents by their extended JSON, which ignores nothing but is stable for small docs.
func bsonEqual(a, b bson.Raw) bool { return a.String() == b.String() }

func TestDriver_OrderedAndUnorderedInsert(t *testing.T) {
	e := newCrudEnv(t, "")
	docs := bson.A{bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "_id", Value: 3}}}
	tests := []struct {
		name        string
		ordered     bool
		wantN       int64
		wantIndexes []int64
	}{
		{"ordered stops at the first error", true, 1, []int64{1}},
		{"unordered goes on", false, 3, []int64{1, 3}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			coll := fmt.Sprintf("c%d", i)
			r := e.mustRun(t, "app", bson.D{{Key: "insert", Value: coll}, {Key: "documents", Value: docs}, {Key: "ordered", Value: tc.ordered}})
			if n := lookupInt(t, r, "n"); n != tc.wantN {
				t.Fatalf("n = %d, want %d", n, tc.wantN)
			}
			wes, _ := r.Lookup("writeErrors").Array().Values()
			var got []int64
			for _, we := range wes {
				got = append(got, lookupInt(t, we.Document(), "index"))
			}
			if !reflect.DeepEqual(got, tc.wantIndexes) {
				t.Fatalf("write error indexes = %v, want %v", got, tc.wantIndexes)
			}
			count, err := e.client.Database("app").Collection(coll).CountDocuments(context.Background(), bson.D{})
			if err != nil || count != tc.wantN {
				t.Fatalf("count = %d, %v; want %d", count, err, tc.wantN)
			}
		})
	}
	// The driver's unordered InsertMany reports every failure.
	_, err := e.client.Database("app").Collection("d").InsertMany(context.Background(), []any(docs), options.InsertMany().SetOrdered(false))
	var we mongo.BulkWriteException
	if !errors.As(err, &we) || len(we.WriteErrors) != 2 {
		t.Fatalf("InsertMany unordered = %v, want 2 write errors", err)
	}
}

func TestDriver_CursorBatches(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("app").Collection("many")
	docs := make([]any, 250)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: "x"}}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatalf("InsertMany: %v", err)
	}

	// Default first batch is 101 documents.
	r := e.mustRun(t, "app", bson.D{{Key: "find", Value: "many"}, {Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}})
	if got := keys(t, r.Lookup("cursor").Document()); !reflect.DeepEqual(got, []string{"firstBatch", "id", "ns"}) {
		t.Fatalf("cursor keys = %v", got)
	}
	first, _ := r.Lookup("cursor", "firstBatch").Array().Values()
	id := r.Lookup("cursor", "id").Int64()
	if len(first) != 101 || id == 0 || r.Lookup("cursor", "ns").StringValue() != "app.many" {
		t.Fatalf("first batch = %d docs, id %d, ns %v", len(first), id, r.Lookup("cursor", "ns"))
	}
	// getMore with a batch size, then without one (the rest, closing the cursor).
	r = e.mustRun(t, "app", bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "many"}, {Key: "batchSize", Value: 100}})
	next, _ := r.Lookup("cursor", "nextBatch").Array().Values()
	if len(next) != 100 || r.Lookup("cursor", "id").Int64() != id || lookupInt(t, next[0].Document(), "_id") != 101 {
		t.Fatalf("second batch = %d docs, id %v", len(next), r.Lookup("cursor", "id"))
	}
	r = e.mustRun(t, "app", bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "many"}})
	next, _ = r.Lookup("cursor", "nextBatch").Array().Values()
	if len(next) != 49 || r.Lookup("cursor", "id").Int64() != 0 {
		t.Fatalf("last batch = %d docs, id %v; want 49 and 0", len(next), r.Lookup("cursor", "id"))
	}
	_, err := e.run(t, "app", bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "many"}})
	if commandCode(err) != 43 {
		t.Fatalf("getMore on an exhausted cursor = %v, want CursorNotFound 43", err)
	}
	var ce mongo.CommandError
	if errors.As(err, &ce) && ce.Message != fmt.Sprintf("cursor id %d not found", id) {
		t.Fatalf("errmsg = %q", ce.Message)
	}

	// The driver iterates across many getMores.
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetBatchSize(7).SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	n := 0
	for cur.Next(ctx) {
		if got := cur.Current.Lookup("_id").AsInt64(); got != int64(n) {
			t.Fatalf("doc %d has _id %d", n, got)
		}
		n++
	}
	if cur.Err() != nil || n != 250 {
		t.Fatalf("iterated %d docs, err %v", n, cur.Err())
	}
	// Limit, skip and a negative limit (single batch).
	r = e.mustRun(t, "app", bson.D{{Key: "find", Value: "many"}, {Key: "skip", Value: 240}, {Key: "limit", Value: 5}, {Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}})
	first, _ = r.Lookup("cursor", "firstBatch").Array().Values()
	if len(first) != 5 || r.Lookup("cursor", "id").Int64() != 0 || lookupInt(t, first[0].Document(), "_id") != 240 {
		t.Fatalf("skip/limit batch = %v", r)
	}
	// A negative limit is the shell's convention, which drivers turn into limit and singleBatch: mongod 7.0's
	// find refuses it (find_command.idl, limit: validator gte 0).
	if _, err := e.run(t, "app", bson.D{{Key: "find", Value: "many"}, {Key: "limit", Value: -3}}); commandCode(err) != 51024 {
		t.Fatalf("negative limit: %v, want 51024", err)
	}
	r = e.mustRun(t, "app", bson.D{{Key: "find", Value: "many"}, {Key: "batchSize", Value: 10}, {Key: "singleBatch", Value: true}})
	if first, _ = r.Lookup("cursor", "firstBatch").Array().Values(); len(first) != 10 || r.Lookup("cursor", "id").Int64() != 0 {
		t.Fatalf("singleBatch = %v", r)
	}
	if n := e.srv.cursors.len(); n != 0 {
		t.Fatalf("%d cursors left open", n)
	}
}

func TestDriver_KillCursors(t *testing.T) {
	e := newCrudEnv(t, "")
	docs := bson.A{}
	for i := 0; i < 10; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}})
	}
	e.mustRun(t, "app", bson.D{{Key: "insert", Value: "k"}, {Key: "documents", Value: docs}})
	r := e.mustRun(t, "app", bson.D{{Key: "find", Value: "k"}, {Key: "batchSize", Value: 2}})
	id := r.Lookup("cursor", "id").Int64()
	if id == 0 {
		t.Fatal("cursor closed after 2 of 10 docs")
	}
	r = e.mustRun(t, "app", bson.D{{Key: "killCursors", Value: "k"}, {Key: "cursors", Value: bson.A{id, int64(12345)}}})
	if got := keys(t, r)[:4]; !reflect.DeepEqual(got, []string{"cursorsKilled", "cursorsNotFound", "cursorsAlive", "cursorsUnknown"}) {
		t.Fatalf("killCursors keys = %v", got)
	}
	killed, _ := r.Lookup("cursorsKilled").Array().Values()
	notFound, _ := r.Lookup("cursorsNotFound").Array().Values()
	if len(killed) != 1 || killed[0].Int64() != id || len(notFound) != 1 || notFound[0].Int64() != 12345 {
		t.Fatalf("killCursors reply = %v", r)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "k"}}); commandCode(err) != 43 {
		t.Fatalf("getMore after killCursors = %v, want 43", err)
	}
	// A driver cursor closed early sends killCursors.
	cur, err := e.client.Database("app").Collection("k").Find(context.Background(), bson.D{}, options.Find().SetBatchSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.cursors.len() != 1 {
		t.Fatalf("open cursors = %d, want 1", e.srv.cursors.len())
	}
	if err := cur.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if e.srv.cursors.len() != 0 {
		t.Fatalf("open cursors after Close = %d", e.srv.cursors.len())
	}
}

// Cursors belong to their logical session: closeSessions closes only the listed sessions' cursors (never one
// opened without an lsid), closeAllSessions every cursor of a session, and reapIdle the idle ones.
func TestCursorRegistry_SessionsAndReap(t *testing.T) {
	var r cursorRegistry
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	newCur := func() *concord.Cursor {
		c, err := db.Database("x").Collection("y").Find(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	s1, s2 := [16]byte{1}, [16]byte{2}
	add := func(c *serverCursor) int64 {
		id, err := r.add(c)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := add(&serverCursor{ns: "x.y", lsid: s1, hasLsid: true, cur: newCur()})
	b := add(&serverCursor{ns: "x.y", lsid: s2, hasLsid: true, cur: newCur()})
	noSession := add(&serverCursor{ns: "x.y", cur: newCur()})
	r.closeSessions([][16]byte{s1, {9}})
	if _, err := r.checkout(a); codes.CodeOf(err) != codes.CursorNotFound {
		t.Fatalf("checkout of an ended session's cursor = %v, want CursorNotFound", err)
	}
	c, err := r.checkout(b)
	if err != nil {
		t.Fatalf("cursor of another session: %v", err)
	}
	if _, err := r.checkout(b); err == nil {
		t.Fatal("a cursor in use was checked out twice")
	}
	// Ending the session of a cursor in use by a getMore: it leaves the registry now and closes on release.
	r.closeSessions([][16]byte{s2})
	if _, err := r.checkout(b); codes.CodeOf(err) != codes.CursorNotFound {
		t.Fatalf("checkout of a cursor whose session ended during a getMore = %v, want CursorNotFound", err)
	}
	r.release(c)
	if c.cur.Next(context.Background()) || r.len() != 1 {
		t.Fatalf("cursor of an ended session still open after release (registry holds %d)", r.len())
	}
	d := add(&serverCursor{ns: "x.y", lsid: s1, hasLsid: true, cur: newCur()})
	r.closeAllSessions()
	if _, err := r.checkout(d); err == nil {
		t.Fatal("killAllSessions left a session's cursor open")
	}
	nc, err := r.checkout(noSession)
	if err != nil {
		t.Fatalf("a cursor without a session was closed with the sessions: %v", err)
	}
	r.release(nc)
	r.reapIdle(time.Now(), defaultCursorTimeout)
	if r.len() != 1 {
		t.Fatal("a fresh cursor was reaped")
	}
	r.reapIdle(time.Now().Add(defaultCursorTimeout+time.Second), defaultCursorTimeout)
	if r.len() != 0 {
		t.Fatal("an idle cursor was not reaped")
	}
}

func TestDriver_Indexes(t *testing.T) {
	e := newCrudEnv(t, "")
	idx := func(key bson.D, name string, unique bool) bson.D {
		d := bson.D{{Key: "key", Value: key}, {Key: "name", Value: name}}
		if unique {
			d = append(d, bson.E{Key: "unique", Value: true})
		}
		return d
	}
	r := e.mustRun(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{idx(bson.D{{Key: "a", Value: 1}}, "a_1", true)}}})
	if got := keys(t, r)[:4]; !reflect.DeepEqual(got, []string{"numIndexesBefore", "numIndexesAfter", "createdCollectionAutomatically", "ok"}) {
		t.Fatalf("createIndexes keys = %v", got)
	}
	if lookupInt(t, r, "numIndexesBefore") != 1 || lookupInt(t, r, "numIndexesAfter") != 2 || !r.Lookup("createdCollectionAutomatically").Boolean() {
		t.Fatalf("createIndexes = %v", r)
	}
	r = e.mustRun(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{idx(bson.D{{Key: "a", Value: 1}}, "a_1", true)}}})
	if r.Lookup("note").StringValue() != "all indexes already exist" || lookupInt(t, r, "numIndexesAfter") != 2 {
		t.Fatalf("createIndexes again = %v", r)
	}
	r = e.mustRun(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{idx(bson.D{{Key: "b", Value: -1}, {Key: "c", Value: 1}}, "b_-1_c_1", false)}}})
	if lookupInt(t, r, "numIndexesBefore") != 2 || lookupInt(t, r, "numIndexesAfter") != 3 || r.Lookup("createdCollectionAutomatically").Boolean() {
		t.Fatalf("second createIndexes = %v", r)
	}
	// Conflicting definitions.
	if _, err := e.run(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{idx(bson.D{{Key: "z", Value: 1}}, "a_1", false)}}}); commandCode(err) != 86 {
		t.Fatalf("same name, other key = %v, want IndexKeySpecsConflict 86", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{idx(bson.D{{Key: "a", Value: 1}}, "other", true)}}}); commandCode(err) != 85 {
		t.Fatalf("same key, other name = %v, want IndexOptionsConflict 85", err)
	}
	// Driver view: listIndexes.
	specs, err := e.client.Database("app").Collection("ix").Indexes().ListSpecifications(context.Background())
	if err != nil || len(specs) != 3 {
		t.Fatalf("ListSpecifications = %v, %v", specs, err)
	}
	if specs[0].Name != "_id_" || specs[1].Name != "a_1" || specs[1].Unique == nil || !*specs[1].Unique || specs[2].Unique != nil {
		t.Fatalf("specs = %+v %+v %+v", specs[0], specs[1], specs[2])
	}
	// The unique index rejects duplicates.
	coll := e.client.Database("app").Collection("ix")
	if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "a", Value: 5}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "a", Value: 5}}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("duplicate a = %v", err)
	}
	// Bad specifications fail the command.
	for _, tc := range []struct {
		name string
		spec bson.D
	}{
		{"empty key", bson.D{{Key: "key", Value: bson.D{}}, {Key: "name", Value: "e"}}},
		{"text index", bson.D{{Key: "key", Value: bson.D{{Key: "t", Value: "text"}}}, {Key: "name", Value: "t"}}},
		{"no key", bson.D{{Key: "name", Value: "n"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.run(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{tc.spec}}}); err == nil {
				t.Fatalf("createIndexes %v succeeded", tc.spec)
			}
		})
	}
	// dropIndexes by key pattern, by name, "*", and the errors.
	r = e.mustRun(t, "app", bson.D{{Key: "dropIndexes", Value: "ix"}, {Key: "index", Value: bson.D{{Key: "b", Value: -1}, {Key: "c", Value: 1}}}})
	if lookupInt(t, r, "nIndexesWas") != 3 {
		t.Fatalf("dropIndexes by key = %v", r)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "dropIndexes", Value: "ix"}, {Key: "index", Value: "_id_"}}); commandCode(err) != 72 {
		t.Fatalf("drop _id_ = %v, want 72", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "dropIndexes", Value: "ix"}, {Key: "index", Value: "nope"}}); commandCode(err) != 27 {
		t.Fatalf("drop missing index = %v, want 27", err)
	}
	r = e.mustRun(t, "app", bson.D{{Key: "dropIndexes", Value: "ix"}, {Key: "index", Value: "*"}})
	if lookupInt(t, r, "nIndexesWas") != 2 {
		t.Fatalf("dropIndexes * = %v", r)
	}
	if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "a", Value: 5}}); err != nil {
		t.Fatalf("insert after dropping the unique index: %v", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "listIndexes", Value: "missing"}}); commandCode(err) != 26 {
		t.Fatalf("listIndexes on a missing collection = %v, want 26", err)
	}
	// Building a unique index over repeated keys fails with 11000.
	if _, err := e.run(t, "app", bson.D{{Key: "createIndexes", Value: "ix"}, {Key: "indexes", Value: bson.A{idx(bson.D{{Key: "a", Value: 1}}, "a_1", true)}}}); commandCode(err) != 11000 {
		t.Fatalf("unique index over duplicates = %v, want 11000", err)
	}
}

func TestDriver_FindAndModify(t *testing.T) {
	e := newCrudEnv(t, "")
	e.mustRun(t, "app", bson.D{{Key: "insert", Value: "f"}, {Key: "documents", Value: bson.A{
		bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 1}}, bson.D{{Key: "_id", Value: 2}, {Key: "v", Value: 2}}}}})
	e.mustRun(t, "app", bson.D{{Key: "createIndexes", Value: "f"}, {Key: "indexes", Value: bson.A{
		bson.D{{Key: "key", Value: bson.D{{Key: "v", Value: 1}}}, {Key: "name", Value: "v_1"}, {Key: "unique", Value: true}}}}})
	fam := func(extra ...bson.E) bson.D { return append(bson.D{{Key: "findAndModify", Value: "f"}}, extra...) }
	tests := []struct {
		name      string
		cmd       bson.D
		wantLEO   string
		wantValue string
	}{
		{"update returns the old document",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 1}}}, bson.E{Key: "update", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 10}}}}}),
			`{"n": {"$numberInt":"1"},"updatedExisting": true}`, `{"_id": {"$numberInt":"1"},"v": {"$numberInt":"1"}}`},
		{"new returns the new document",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 1}}}, bson.E{Key: "update", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 10}}}}}, bson.E{Key: "new", Value: true}),
			`{"n": {"$numberInt":"1"},"updatedExisting": true}`, `{"_id": {"$numberInt":"1"},"v": {"$numberInt":"21"}}`},
		{"no match",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 9}}}, bson.E{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 0}}}}}),
			`{"n": {"$numberInt":"0"},"updatedExisting": false}`, `null`},
		{"upsert with new",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 3}}}, bson.E{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 3}}}}}, bson.E{Key: "upsert", Value: true}, bson.E{Key: "new", Value: true}),
			`{"n": {"$numberInt":"1"},"updatedExisting": false,"upserted": {"$numberInt":"3"}}`, `{"_id": {"$numberInt":"3"},"v": {"$numberInt":"3"}}`},
		{"upsert without new",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 4}}}, bson.E{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 4}}}}}, bson.E{Key: "upsert", Value: true}),
			`{"n": {"$numberInt":"1"},"updatedExisting": false,"upserted": {"$numberInt":"4"}}`, `null`},
		{"replacement with projection",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 2}}}, bson.E{Key: "update", Value: bson.D{{Key: "v", Value: 20}, {Key: "w", Value: 1}}}, bson.E{Key: "new", Value: true}, bson.E{Key: "fields", Value: bson.D{{Key: "w", Value: 1}, {Key: "_id", Value: 0}}}),
			`{"n": {"$numberInt":"1"},"updatedExisting": true}`, `{"w": {"$numberInt":"1"}}`},
		{"remove with sort",
			fam(bson.E{Key: "query", Value: bson.D{}}, bson.E{Key: "sort", Value: bson.D{{Key: "v", Value: -1}}}, bson.E{Key: "remove", Value: true}),
			`{"n": {"$numberInt":"1"}}`, `{"_id": {"$numberInt":"1"},"v": {"$numberInt":"21"}}`},
		{"remove no match",
			fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 99}}}, bson.E{Key: "remove", Value: true}),
			`{"n": {"$numberInt":"0"}}`, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.mustRun(t, "app", tc.cmd)
			if got := keys(t, r)[:3]; !reflect.DeepEqual(got, []string{"lastErrorObject", "value", "ok"}) {
				t.Fatalf("reply keys = %v", got)
			}
			if got := r.Lookup("lastErrorObject").Document().String(); got != tc.wantLEO {
				t.Fatalf("lastErrorObject = %s, want %s", got, tc.wantLEO)
			}
			v := r.Lookup("value")
			got := "null"
			if v.Type != bson.TypeNull {
				got = v.Document().String()
			}
			if got != tc.wantValue {
				t.Fatalf("value = %s, want %s", got, tc.wantValue)
			}
		})
	}
	// Errors are command errors; a duplicate key carries keyPattern/keyValue at the top level.
	_, err := e.run(t, "app", fam(bson.E{Key: "query", Value: bson.D{{Key: "_id", Value: 3}}}, bson.E{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 4}}}}}))
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 11000 || ce.Name != "DuplicateKey" {
		t.Fatalf("duplicate findAndModify = %v", err)
	}
	if kv, err := ce.Raw.LookupErr("keyValue", "v"); err != nil || kv.AsInt64() != 4 {
		t.Fatalf("keyValue in %v", ce.Raw)
	}
	for _, bad := range []bson.D{
		fam(bson.E{Key: "query", Value: bson.D{}}),
		fam(bson.E{Key: "remove", Value: true}, bson.E{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{}}}}),
		fam(bson.E{Key: "remove", Value: true}, bson.E{Key: "new", Value: true}),
	} {
		if _, err := e.run(t, "app", bad); commandCode(err) != 9 {
			t.Fatalf("%v = %v, want FailedToParse 9", bad, err)
		}
	}
	// Driver helpers.
	coll := e.client.Database("app").Collection("f")
	var doc bson.M
	err = coll.FindOneAndUpdate(context.Background(), bson.D{{Key: "_id", Value: 10}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 100}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&doc)
	if err != nil || doc["v"] != int32(100) {
		t.Fatalf("FindOneAndUpdate upsert after = %v, %v", doc, err)
	}
	if err := coll.FindOneAndDelete(context.Background(), bson.D{{Key: "_id", Value: 1234}}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("FindOneAndDelete no match = %v", err)
	}
}

func TestDriver_CountDistinctAggregate(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("app").Collection("s")
	var docs []any
	for i := 0; i < 20; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % 3}, {Key: "tags", Value: bson.A{"t", fmt.Sprint("n", i%2)}}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(t, "app", bson.D{{Key: "count", Value: "s"}, {Key: "query", Value: bson.D{{Key: "g", Value: 0}}}})
	if lookupInt(t, r, "n") != 7 {
		t.Fatalf("count = %v", r)
	}
	r = e.mustRun(t, "app", bson.D{{Key: "count", Value: "s"}, {Key: "skip", Value: 5}, {Key: "limit", Value: 4}})
	if lookupInt(t, r, "n") != 4 {
		t.Fatalf("count skip/limit = %v", r)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{{Key: "g", Value: bson.D{{Key: "$gt", Value: 0}}}}); err != nil || n != 13 {
		t.Fatalf("CountDocuments = %d, %v", n, err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}, options.Count().SetSkip(18)); err != nil || n != 2 {
		t.Fatalf("CountDocuments skip = %d, %v", n, err)
	}
	if n, err := coll.EstimatedDocumentCount(ctx); err != nil || n != 20 {
		t.Fatalf("EstimatedDocumentCount = %d, %v", n, err)
	}
	if n, err := e.client.Database("app").Collection("missing").CountDocuments(ctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("CountDocuments on a missing collection = %d, %v", n, err)
	}
	var gs []int32
	if err := coll.Distinct(ctx, "g", bson.D{}).Decode(&gs); err != nil || len(gs) != 3 {
		t.Fatalf("Distinct g = %v, %v", gs, err)
	}
	var tags []string
	if err := coll.Distinct(ctx, "tags", bson.D{{Key: "g", Value: 1}}).Decode(&tags); err != nil || len(tags) != 3 {
		t.Fatalf("Distinct tags = %v, %v", tags, err)
	}
	cur, err := coll.Aggregate(ctx, mongo.Pipeline{
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$g"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		{{Key: "$sort", Value: bson.D{{Key: "_id", Value: 1}}}},
	}, options.Aggregate().SetBatchSize(1))
	if err != nil {
		t.Fatalf("Aggregate: %v", err)
	}
	var groups []struct {
		ID int32 `bson:"_id"`
		N  int32 `bson:"n"`
	}
	if err := cur.All(ctx, &groups); err != nil {
		t.Fatal(err)
	}
	if len(groups) != 3 || groups[0].N != 7 || groups[1].N != 7 || groups[2].N != 6 {
		t.Fatalf("groups = %+v", groups)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "aggregate", Value: "s"}, {Key: "pipeline", Value: bson.A{}}}); commandCode(err) != 9 {
		t.Fatalf("aggregate without cursor = %v, want 9", err)
	}
	// allowDiskUse reaches the engine (its effect, past the 100 MiB stage limit, is tested there); a small
	// aggregation runs the same with it false, and a non-boolean is refused.
	r = e.mustRun(t, "app", bson.D{{Key: "aggregate", Value: "s"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}}}},
		{Key: "allowDiskUse", Value: false}, {Key: "cursor", Value: bson.D{}}})
	if got := r.Lookup("cursor", "firstBatch").String(); got != `[{"_id": null,"n": {"$numberInt":"20"}}]` {
		t.Fatalf("aggregate with allowDiskUse false = %s", got)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "aggregate", Value: "s"}, {Key: "pipeline", Value: bson.A{}},
		{Key: "allowDiskUse", Value: "yes"}, {Key: "cursor", Value: bson.D{}}}); commandCode(err) != 14 {
		t.Fatalf("allowDiskUse \"yes\" = %v, want TypeMismatch 14", err)
	}
	// mongosh's db.currentOp(): {aggregate: 1} on admin starting with $currentOp lists this very command.
	r = e.mustRun(t, "admin", bson.D{{Key: "aggregate", Value: 1}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$currentOp", Value: bson.D{}}}, bson.D{{Key: "$match", Value: bson.D{{Key: "command.aggregate", Value: 1}}}}}},
		{Key: "cursor", Value: bson.D{}}})
	if ops, _ := r.Lookup("cursor", "firstBatch").Array().Values(); len(ops) != 1 || ops[0].Document().Lookup("op").StringValue() != "command" {
		t.Fatalf("$currentOp = %v", r)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "aggregate", Value: 1}, {Key: "pipeline", Value: bson.A{}}, {Key: "cursor", Value: bson.D{}}}); commandCode(err) != 73 {
		t.Fatalf("aggregate: 1 without $currentOp = %v, want InvalidNamespace", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "distinct", Value: "s"}}); err == nil {
		t.Fatal("distinct without key succeeded")
	}
}

func TestDriver_Catalog(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	d := e.client.Database("cat")
	if err := d.CreateCollection(ctx, "a"); err != nil {
		t.Fatalf("CreateCollection: %v", err)
	}
	if err := d.CreateCollection(ctx, "a"); commandCode(err) != 48 {
		t.Fatalf("create existing = %v, want NamespaceExists 48", err)
	}
	if _, err := d.Collection("b").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	names, err := d.ListCollectionNames(ctx, bson.D{})
	if err != nil || !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Fatalf("ListCollectionNames = %v, %v", names, err)
	}
	r := e.mustRun(t, "cat", bson.D{{Key: "listCollections", Value: 1}, {Key: "filter", Value: bson.D{{Key: "name", Value: "b"}}}})
	if r.Lookup("cursor", "ns").StringValue() != "cat.$cmd.listCollections" {
		t.Fatalf("listCollections ns = %v", r.Lookup("cursor", "ns"))
	}
	batch, _ := r.Lookup("cursor", "firstBatch").Array().Values()
	if len(batch) != 1 {
		t.Fatalf("listCollections filtered = %v", r)
	}
	if got := keys(t, batch[0].Document()); !reflect.DeepEqual(got, []string{"name", "type", "options", "info", "idIndex"}) {
		t.Fatalf("listCollections entry keys = %v", got)
	}
	if batch[0].Document().Lookup("type").StringValue() != "collection" || batch[0].Document().Lookup("info", "readOnly").Boolean() {
		t.Fatalf("entry = %v", batch[0])
	}
	specs, err := d.ListCollectionSpecifications(ctx, bson.D{})
	if err != nil || len(specs) != 2 || specs[0].Type != "collection" {
		t.Fatalf("ListCollectionSpecifications = %+v, %v", specs, err)
	}
	dbs, err := e.client.ListDatabases(ctx, bson.D{})
	if err != nil {
		t.Fatalf("ListDatabases: %v", err)
	}
	found := false
	for _, s := range dbs.Databases {
		found = found || s.Name == "cat"
	}
	if !found {
		t.Fatalf("ListDatabases = %+v, missing cat", dbs)
	}
	dbNames, err := e.client.ListDatabaseNames(ctx, bson.D{{Key: "name", Value: "cat"}})
	if err != nil || !reflect.DeepEqual(dbNames, []string{"cat"}) {
		t.Fatalf("ListDatabaseNames filtered = %v, %v", dbNames, err)
	}
	if _, err := e.run(t, "cat", bson.D{{Key: "listDatabases", Value: 1}}); commandCode(err) != 13 {
		t.Fatalf("listDatabases outside admin = %v", err)
	}
	r = e.mustRun(t, "cat", bson.D{{Key: "collStats", Value: "b"}})
	if r.Lookup("ns").StringValue() != "cat.b" || lookupInt(t, r, "count") != 1 || lookupInt(t, r, "nindexes") != 1 || lookupInt(t, r, "size") <= 0 {
		t.Fatalf("collStats = %v", r)
	}
	// mongosh's db.coll.stats() is an aggregation with $collStats.
	r = e.mustRun(t, "cat", bson.D{{Key: "aggregate", Value: "b"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$collStats", Value: bson.D{{Key: "storageStats", Value: bson.D{}}, {Key: "count", Value: bson.D{}}}}},
		bson.D{{Key: "$project", Value: bson.D{{Key: "ns", Value: 1}, {Key: "n", Value: "$storageStats.count"}, {Key: "count", Value: 1}}}}}},
		{Key: "cursor", Value: bson.D{}}})
	if stats, _ := r.Lookup("cursor", "firstBatch").Array().Values(); len(stats) != 1 || lookupInt(t, stats[0].Document(), "n") != 1 || lookupInt(t, stats[0].Document(), "count") != 1 {
		t.Fatalf("$collStats = %v", r)
	}
	r = e.mustRun(t, "cat", bson.D{{Key: "dbStats", Value: 1}})
	if lookupInt(t, r, "collections") != 2 || lookupInt(t, r, "objects") != 1 {
		t.Fatalf("dbStats = %v", r)
	}
	r = e.mustRun(t, "cat", bson.D{{Key: "drop", Value: "a"}})
	if lookupInt(t, r, "nIndexesWas") != 1 || r.Lookup("ns").StringValue() != "cat.a" {
		t.Fatalf("drop = %v", r)
	}
	_, err = e.run(t, "cat", bson.D{{Key: "drop", Value: "a"}})
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 26 || ce.Message != "ns not found" {
		t.Fatalf("drop missing = %v, want 26 ns not found", err)
	}
	if err := d.Collection("a").Drop(ctx); err != nil {
		t.Fatalf("driver Drop of a missing collection = %v (drivers ignore 26)", err)
	}
	if err := d.Drop(ctx); err != nil {
		t.Fatalf("dropDatabase: %v", err)
	}
	if names, _ := d.ListCollectionNames(ctx, bson.D{}); len(names) != 0 {
		t.Fatalf("collections after dropDatabase = %v", names)
	}
}

// profileEntries returns the system.profile documents of db matching filter, oldest first.
func profileEntries(t *testing.T, e *crudEnv, db string, filter bson.D) []bson.Raw {
	t.Helper()
	cur, err := e.client.Database(db).Collection("system.profile").Find(context.Background(), filter, options.Find().SetSort(bson.D{{Key: "ts", Value: 1}}))
	if err != nil {
		t.Fatalf("find system.profile: %v", err)
	}
	var out []bson.Raw
	for cur.Next(context.Background()) {
		out = append(out, append(bson.Raw(nil), cur.Current...))
	}
	return out
}

func TestDriver_Profiler(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	r := e.mustRun(t, "prof", bson.D{{Key: "profile", Value: -1}})
	if lookupInt(t, r, "was") != 0 || lookupInt(t, r, "slowms") != 100 || r.Lookup("sampleRate").Double() != 1.0 {
		t.Fatalf("profile -1 = %v", r)
	}
	e.mustRun(t, "prof", bson.D{{Key: "profile", Value: 2}})
	r = e.mustRun(t, "prof", bson.D{{Key: "profile", Value: -1}})
	if lookupInt(t, r, "was") != 2 {
		t.Fatalf("profile after setting 2 = %v", r)
	}
	coll := e.client.Database("prof").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err == nil {
		t.Fatal("duplicate insert succeeded")
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 5}}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "prof", bson.D{{Key: "profile", Value: 0}})

	updates := profileEntries(t, e, "prof", bson.D{{Key: "op", Value: "update"}})
	if len(updates) != 1 {
		t.Fatalf("update entries = %d", len(updates))
	}
	u := updates[0]
	want := []string{"op", "ns", "command", "keysExamined", "docsExamined", "nMatched", "nModified", "nUpserted", "numYield",
		"locks", "flowControl", "responseLength", "protocol", "millis", "planSummary", "ts", "client", "allUsers", "user"}
	got := keys(t, u)
	got = without(got, "_id", "responseLength")
	want = without(want, "responseLength")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("update entry keys = %v\nwant %v", got, want)
	}
	if u.Lookup("ns").StringValue() != "prof.c" || lookupInt(t, u, "nMatched") != 1 || lookupInt(t, u, "nModified") != 1 {
		t.Fatalf("update entry = %v", u)
	}
	if cmd := u.Lookup("command").Document(); cmd.Lookup("q", "_id").AsInt64() != 1 || cmd.Lookup("u", "$inc", "v").AsInt64() != 1 {
		t.Fatalf("update entry command is not the statement: %v", cmd)
	}
	// mongod records the parsed statement, defaults included, and its counters as int32 (appendNumber).
	if cmd := u.Lookup("command").Document(); cmd.Lookup("multi").Boolean() || cmd.Lookup("upsert").Boolean() {
		t.Fatalf("update entry command lacks multi/upsert false: %v", cmd)
	}
	for _, k := range []string{"nMatched", "nModified", "numYield", "millis", "keysExamined"} {
		if typ := u.Lookup(k).Type; typ != bson.TypeInt32 {
			t.Fatalf("update entry %s is %v, want int32", k, typ)
		}
	}
	if u.Lookup("locks", "Global", "acquireCount", "w").Type == 0 {
		t.Fatalf("update entry locks = %v", u.Lookup("locks"))
	}
	if u.Lookup("protocol").StringValue() != "op_msg" || u.Lookup("client").StringValue() != "127.0.0.1" {
		t.Fatalf("update entry = %v", u)
	}
	inserts := profileEntries(t, e, "prof", bson.D{{Key: "op", Value: "insert"}})
	if len(inserts) != 2 || lookupInt(t, inserts[0], "ninserted") != 1 {
		t.Fatalf("insert entries = %v", inserts)
	}
	// The failed insert's entry reports its write error, as mongod's errInfo does.
	if failed := inserts[1]; lookupInt(t, failed, "ok") != 0 || lookupInt(t, failed, "errCode") != 11000 || failed.Lookup("errName").StringValue() != "DuplicateKey" {
		t.Fatalf("failed insert entry = %v", failed)
	}
	queries := profileEntries(t, e, "prof", bson.D{{Key: "op", Value: "query"}})
	if len(queries) != 1 || lookupInt(t, queries[0], "nreturned") != 1 || queries[0].Lookup("command", "find").StringValue() != "c" {
		t.Fatalf("query entries = %v", queries)
	}
	removes := profileEntries(t, e, "prof", bson.D{{Key: "op", Value: "remove"}})
	if len(removes) != 1 || lookupInt(t, removes[0], "ndeleted") != 0 {
		t.Fatalf("remove entries = %v", removes)
	}
	// Level 0: nothing more is recorded; level 1 records only slow operations.
	before := len(profileEntries(t, e, "prof", bson.D{}))
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "prof", bson.D{{Key: "profile", Value: 1}, {Key: "slowms", Value: 100000}})
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	r = e.mustRun(t, "prof", bson.D{{Key: "profile", Value: 0}, {Key: "slowms", Value: 100}})
	if lookupInt(t, r, "was") != 1 || lookupInt(t, r, "slowms") != 100000 {
		t.Fatalf("profile reply = %v", r)
	}
	if after := len(profileEntries(t, e, "prof", bson.D{})); after != before {
		t.Fatalf("entries grew from %d to %d with profiling off / slowms high", before, after)
	}
	// Level 1 with slowms 0: every operation is slow enough.
	e.mustRun(t, "prof", bson.D{{Key: "profile", Value: 1}, {Key: "slowms", Value: 0}})
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "prof", bson.D{{Key: "profile", Value: 0}, {Key: "slowms", Value: 100}})
	if after := len(profileEntries(t, e, "prof", bson.D{{Key: "op", Value: "update"}})); after != 2 {
		t.Fatalf("update entries after a level-1 update with slowms 0 = %d, want 2", after)
	}
	if _, err := e.run(t, "prof", bson.D{{Key: "profile", Value: 3}}); commandCode(err) != 2 {
		t.Fatalf("profile 3 = %v, want BadValue", err)
	}
}

// A profile entry carries the appName of the connection's handshake right after client (spec section 5.2), and
// only when the client announced one.
func TestDriver_ProfilerAppName(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	opts := options.Client().ApplyURI("mongodb://" + e.addr + "/?directConnection=true").
		SetServerSelectionTimeout(5 * time.Second).SetAppName("orders-service")
	named, err := mongo.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = named.Disconnect(context.Background()) })
	e.mustRun(t, "app", bson.D{{Key: "profile", Value: 2}})
	if _, err := named.Database("app").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Database("app").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "app", bson.D{{Key: "profile", Value: 0}})
	inserts := profileEntries(t, e, "app", bson.D{{Key: "op", Value: "insert"}})
	if len(inserts) != 2 {
		t.Fatalf("insert entries = %v", inserts)
	}
	withName, withoutName := keys(t, inserts[0]), keys(t, inserts[1])
	if i := indexOf(withName, "client"); i < 0 || i+1 >= len(withName) || withName[i+1] != "appName" {
		t.Fatalf("entry of the named client: keys %v, want appName right after client", withName)
	}
	if got := inserts[0].Lookup("appName").StringValue(); got != "orders-service" {
		t.Fatalf("appName = %q", got)
	}
	if indexOf(withoutName, "appName") >= 0 {
		t.Fatalf("entry of a client without an application name has appName: %v", inserts[1])
	}
}

// Only the first handshake's client.application.name is kept, and only when it is a string of at most 128 bytes.
func TestConn_RecordClientMetadata(t *testing.T) {
	hello := func(app any) bson.Raw {
		d := bson.D{{Key: "hello", Value: 1}}
		if app != nil {
			d = append(d, bson.E{Key: "client", Value: bson.D{{Key: "application", Value: bson.D{{Key: "name", Value: app}}}}})
		}
		b, err := bson.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	long := string(make([]byte, maxAppNameBytes+1))
	for _, tc := range []struct {
		name   string
		bodies []bson.Raw
		want   string
	}{
		{name: "none", bodies: []bson.Raw{hello(nil)}, want: ""},
		{name: "named", bodies: []bson.Raw{hello("app1")}, want: "app1"},
		{name: "first wins", bodies: []bson.Raw{hello("app1"), hello("app2")}, want: "app1"},
		{name: "heartbeat without client keeps it", bodies: []bson.Raw{hello("app1"), hello(nil)}, want: "app1"},
		{name: "wrong type ignored", bodies: []bson.Raw{hello(int32(7))}, want: ""},
		{name: "too long ignored", bodies: []bson.Raw{hello(long)}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Conn
			for _, b := range tc.bodies {
				c.recordClientMetadata(b)
			}
			if got := c.AppName(); got != tc.want {
				t.Fatalf("AppName = %q, want %q", got, tc.want)
			}
		})
	}
	if (*Conn)(nil).AppName() != "" {
		t.Fatal("AppName of no connection")
	}
}

// Writes to system.profile, the entries and the trimming of old ones, count in neither opcounters nor
// metrics.document, as in mongod: only the profiled operations themselves do.
func TestDriver_ProfileWritesNotCounted(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	// A full system.profile, and the write count one short of a trim: the first entry written also trims.
	old := make([]any, maxProfileEntries+3)
	for i := range old {
		old[i] = bson.D{{Key: "ts", Value: bson.NewDateTimeFromTime(time.Unix(int64(i), 0))}}
	}
	if _, err := e.db.Database("oc").Collection(profileCollection).InsertMany(ctx, old); err != nil {
		t.Fatal(err)
	}
	e.srv.profiler.mu.Lock()
	e.srv.profiler.written = map[string]int{"oc": profileTrimEvery - 1}
	e.srv.profiler.mu.Unlock()
	e.mustRun(t, "oc", bson.D{{Key: "profile", Value: 2}})
	status := func() bson.Raw { return e.mustRun(t, "admin", bson.D{{Key: "serverStatus", Value: 1}}) }
	before := status()
	coll := e.client.Database("oc").Collection("c")
	for i := 0; i < 3; i++ {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	after := status()
	e.mustRun(t, "oc", bson.D{{Key: "profile", Value: 0}})
	if n := len(profileEntries(t, e, "oc", bson.D{{Key: "op", Value: bson.D{{Key: "$in", Value: bson.A{"insert", "remove"}}}}})); n != 4 {
		t.Fatalf("profile entries of the writes = %d, want 4", n)
	}
	if err := e.db.Database("oc").Collection(profileCollection).FindOne(ctx, bson.D{{Key: "ts", Value: old[0].(bson.D)[0].Value}}).Err(); !errors.Is(err, concord.ErrNoDocuments) {
		t.Fatalf("the oldest profile entry survived (%v): the trim did not run", err)
	}
	for _, tc := range []struct {
		path []string
		want int64
	}{
		{[]string{"opcounters", "insert"}, 3},
		{[]string{"opcounters", "delete"}, 1},
		{[]string{"opcounters", "query"}, 0},
		{[]string{"metrics", "document", "inserted"}, 3},
		{[]string{"metrics", "document", "deleted"}, 1},
	} {
		if d := lookupInt(t, after, tc.path...) - lookupInt(t, before, tc.path...); d != tc.want {
			t.Errorf("%v grew by %d, want %d", tc.path, d, tc.want)
		}
	}
}

func without(ss []string, drop ...string) []string {
	var out []string
	for _, s := range ss {
		keep := true
		for _, d := range drop {
			keep = keep && s != d
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

// TestDriver_ProfileWriteConflictsPlacement checks where a profile entry puts the fields of the write conflicts
// an update met while waiting for a transaction: writeConflicts right after nUpserted, numYield right after it,
// as mongod writes them. That the update waits, applies, and counts its conflicts and yields is spec scenario 6,
// which testdata/scenarios/06_nontxn_waits_commit.txt checks through this server too.
func TestDriver_ProfileWriteConflictsPlacement(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("s6").Collection("c")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "s6", bson.D{{Key: "profile", Value: 2}})
	sess := e.startTxn(t)
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}
	if _, err := coll.UpdateOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: 1}}, inc); err != nil {
		t.Fatalf("txn update: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := e.newClient(t, 0).Database("s6").Collection("c").UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, inc)
		errc <- err
	}()
	// Commit only once the update waits for the transaction: being in flight (currentOp) is not enough, it may
	// not have reached the document yet. The hot-documents table notes a wait when the update starts it.
	waiting := func() bool {
		hot, _ := e.mustRun(t, "admin", bson.D{{Key: "serverStatus", Value: 1}}).Lookup("concord", "hotDocuments").Array().Values()
		return slices.ContainsFunc(hot, func(h bson.RawValue) bool {
			d := h.Document()
			n, ok := d.Lookup("totalWaits").AsInt64OK()
			if !ok {
				f, _ := d.Lookup("totalWaits").DoubleOK()
				n = int64(f)
			}
			return d.Lookup("ns").StringValue() == "s6.c" && n >= 1
		})
	}
	for deadline := time.Now().Add(60 * time.Second); !waiting(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the outside update never waited for the transaction")
		}
	}
	if err := sess.CommitTransaction(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("outside update: %v", err)
	}
	e.mustRun(t, "s6", bson.D{{Key: "profile", Value: 0}})
	var waited bson.Raw
	for _, p := range profileEntries(t, e, "s6", bson.D{{Key: "op", Value: "update"}}) {
		if _, err := p.LookupErr("writeConflicts"); err == nil {
			waited = p
		}
	}
	if waited == nil {
		t.Fatal("no update profile entry with writeConflicts")
	}
	if got := keys(t, waited); indexOf(got, "writeConflicts") != indexOf(got, "nUpserted")+1 || indexOf(got, "numYield") != indexOf(got, "writeConflicts")+1 {
		t.Fatalf("writeConflicts out of place: %v", got)
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// TestDriver_FindAndModifyUpsertRace checks what only findAndModify's reply shows of spec scenario 16: of
// concurrent findAndModify upserts on a uniquely indexed key, exactly one reports lastErrorObject.upserted (the
// losers' inserts are retried as updates). The race itself, for update and findAndModify, is
// testdata/scenarios/16_upsert_race.txt, which runs through this server too.
func TestDriver_FindAndModifyUpsertRace(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("s16").Collection("c")
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "k", Value: 1}}, Options: options.Index().SetUnique(true)}); err != nil {
		t.Fatal(err)
	}
	const clients = 8
	var inserted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := e.client.Database("s16").RunCommand(ctx, bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "k", Value: 2}}},
				{Key: "update", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "c", Value: 1}}}}}, {Key: "upsert", Value: true}, {Key: "new", Value: true}}).Raw()
			if err != nil {
				t.Errorf("findAndModify upsert: %v", err)
				return
			}
			if _, err := r.LookupErr("lastErrorObject", "upserted"); err == nil {
				inserted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	var doc struct{ C int }
	if err := coll.FindOne(ctx, bson.D{{Key: "k", Value: 2}}).Decode(&doc); err != nil || inserted.Load() != 1 || doc.C != clients {
		t.Fatalf("findAndModify race: %d upserted, c = %d, %v; want 1 and %d", inserted.Load(), doc.C, err, clients)
	}
}

// Transfers between accounts under WithTransaction, from several goroutines: the total is conserved.
func TestDriver_WithTransactionTransfers(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("bank").Collection("accounts")
	const accounts, initial = 4, 1000
	for i := 0; i < accounts; i++ {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "balance", Value: initial}}); err != nil {
			t.Fatal(err)
		}
	}
	const workers, transfers = 4, 15
	var wg sync.WaitGroup
	var attempts atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sess, err := e.client.StartSession()
			if err != nil {
				t.Error(err)
				return
			}
			defer sess.EndSession(ctx)
			for i := 0; i < transfers; i++ {
				from, to := (w+i)%accounts, (w+i+1)%accounts
				_, err := sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
					attempts.Add(1)
					if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: from}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: -7}}}}); err != nil {
						return nil, err
					}
					_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: to}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: 7}}}})
					return nil, err
				})
				if err != nil {
					t.Errorf("transfer: %v", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	cur, err := coll.Aggregate(ctx, mongo.Pipeline{{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "total", Value: bson.D{{Key: "$sum", Value: "$balance"}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var sums []struct{ Total int }
	if err := cur.All(ctx, &sums); err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Total != accounts*initial {
		t.Fatalf("total = %+v, want %d", sums, accounts*initial)
	}
	t.Logf("%d transfers took %d attempts", workers*transfers, attempts.Load())
}

// A transaction's cursor belongs to it; a duplicate key inside a transaction stops the batch (spec scenario 15).
func TestDriver_TransactionBatchStops(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	sess := e.startTxn(t)
	sctx := mongo.NewSessionContext(ctx, sess)
	r, err := rawReply(e.client.Database("s15").RunCommand(sctx, bson.D{{Key: "insert", Value: "c"}, {Key: "ordered", Value: false},
		{Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}}}}}))
	if err != nil {
		t.Fatalf("txn insert: %v", err)
	}
	wes, _ := r.Lookup("writeErrors").Array().Values()
	if lookupInt(t, r, "n") != 1 || len(wes) != 1 || lookupInt(t, wes[0].Document(), "index") != 1 || lookupInt(t, wes[0].Document(), "code") != 11000 {
		t.Fatalf("txn insert reply = %v; want n 1 and one 11000 at index 1", r)
	}
	if _, err := r.LookupErr("errorLabels"); err == nil {
		t.Fatalf("write error reply carries errorLabels: %v", r)
	}
	err = sess.CommitTransaction(ctx)
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 251 {
		t.Fatalf("commit after the duplicate = %v, want NoSuchTransaction 251", err)
	}
}

// A cursor opened in a transaction is continued inside it and refused from another session.
func TestDriver_TransactionCursor(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	e.insertIDs(t, "tc", 5)
	sess := e.startTxn(t)
	sctx := mongo.NewSessionContext(ctx, sess)
	r, err := e.client.Database("tc").RunCommand(sctx, bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 2}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	id := r.Lookup("cursor", "id").Int64()
	// e.run sends the driver's implicit session: another lsid than the cursor's.
	if _, err := e.run(t, "tc", bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}}); commandCode(err) != 50738 {
		t.Fatalf("getMore in another session = %v, want 50738", err)
	}
	r, err = e.client.Database("tc").RunCommand(sctx, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}}).Raw()
	if err != nil {
		t.Fatalf("getMore inside the transaction: %v", err)
	}
	if next, _ := r.Lookup("cursor", "nextBatch").Array().Values(); len(next) != 3 || r.Lookup("cursor", "id").Int64() != 0 {
		t.Fatalf("getMore = %v", r)
	}
	if err := sess.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGetMore_SessionRules checks mongod's rules for the session and transaction of a getMore, each with its
// code, and that a refused getMore leaves the cursor usable by the right caller.
func TestGetMore_SessionRules(t *testing.T) {
	e := newCrudEnv(t, "")
	e.insertIDs(t, "gs", 20)
	w := dialWire(t, e)
	// with appends the generic arguments of a session (nil: none) and, for txn > 0, of its transaction.
	with := func(cmd bson.D, lsid bson.D, txn int64, start bool) bson.D {
		cmd = append(cmd, bson.E{Key: "$db", Value: "gs"})
		if lsid != nil {
			cmd = append(cmd, bson.E{Key: "lsid", Value: lsid})
		}
		if txn > 0 {
			cmd = append(cmd, bson.E{Key: "txnNumber", Value: txn}, bson.E{Key: "autocommit", Value: false})
			if start {
				cmd = append(cmd, bson.E{Key: "startTransaction", Value: true})
			}
		}
		return cmd
	}
	find := func(lsid bson.D, txn int64) int64 {
		t.Helper()
		r := w.cmd(with(bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 1}}, lsid, txn, txn > 0))
		id, _ := r.Lookup("cursor", "id").Int64OK()
		if replyCode(r) != 0 || id == 0 {
			t.Fatalf("find = %v", r)
		}
		return id
	}
	getMore := func(id int64, lsid bson.D, txn int64) bson.Raw {
		return w.cmd(with(bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: 1}}, lsid, txn, false))
	}
	expect := func(what string, r bson.Raw, code int32, msgPart string) {
		t.Helper()
		if got := replyCode(r); got != code {
			t.Fatalf("%s: code %d, want %d: %v", what, got, code, r)
		}
		if code == 0 {
			return
		}
		if name := r.Lookup("codeName").StringValue(); name != fmt.Sprintf("Location%d", code) {
			t.Fatalf("%s: codeName %q", what, name)
		}
		if msg := r.Lookup("errmsg").StringValue(); !strings.Contains(msg, msgPart) {
			t.Fatalf("%s: errmsg %q lacks %q", what, msg, msgPart)
		}
	}

	a, b := newWireLsid(), newWireLsid()
	noSession := find(nil, 0)
	expect("getMore in a session of a cursor opened in none", getMore(noSession, a, 0), 50736, "which was not created in a session, in session")
	expect("getMore without a session", getMore(noSession, nil, 0), 0, "")

	inA := find(a, 0)
	expect("getMore without an lsid", getMore(inA, nil, 0), 50737, ", without an lsid")
	expect("getMore in another session", getMore(inA, b, 0), 50738, "in session "+sessionText(b))
	find(a, 7) // starts transaction 7 of session a
	expect("getMore in a transaction of the cursor's session", getMore(inA, a, 7), 50739, "which was not created in a transaction, in transaction 7")
	expect("getMore in the cursor's session", getMore(inA, a, 0), 0, "")

	inTxn := find(b, 3)
	expect("getMore without the transaction", getMore(inTxn, b, 0), 50740, "which was created in transaction 3, without a txnNumber")
	expect("getMore in the transaction", getMore(inTxn, b, 3), 0, "")
	commit := bson.D{{Key: "commitTransaction", Value: 1}, {Key: "lsid", Value: b}, {Key: "txnNumber", Value: int64(3)},
		{Key: "autocommit", Value: false}, {Key: "$db", Value: "admin"}}
	expect("commit", w.cmd(commit), 0, "")
}

// newWireLsid returns a fresh lsid document {id: UUID} for raw commands.
func newWireLsid() bson.D {
	id := bson.NewObjectID()
	return bson.D{{Key: "id", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: append(id[:], 0x40, 0x80, 0x12, 0x34)}}}
}

// sessionText is the lsid's UUID as mongod prints it in messages.
func sessionText(lsid bson.D) string {
	data := lsid[0].Value.(bson.Binary).Data
	h := hex.EncodeToString(data)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// endTxn commits sess's transaction, or aborts it, failing the test on an error.
func endTxn(t *testing.T, sess *mongo.Session, commit bool) {
	t.Helper()
	var err error
	if commit {
		err = sess.CommitTransaction(context.Background())
	} else {
		err = sess.AbortTransaction(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
}

// insertIDs inserts n documents {_id: 0} .. {_id: n-1} into db.c.
func (e *crudEnv) insertIDs(t *testing.T, db string, n int) {
	t.Helper()
	docs := bson.A{}
	for i := 0; i < n; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}})
	}
	e.mustRun(t, db, bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: docs}})
}

// startTxn starts a session on e's client with a transaction in progress; the session ends with the test.
func (e *crudEnv) startTxn(t *testing.T, opts ...options.Lister[options.TransactionOptions]) *mongo.Session {
	t.Helper()
	sess, err := e.client.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.EndSession(context.Background()) })
	if err := sess.StartTransaction(opts...); err != nil {
		t.Fatal(err)
	}
	return sess
}

// wireConn is a raw OP_MSG client, so that a test chooses the connection and the lsid of every command.
type wireConn struct {
	t  *testing.T
	nc net.Conn
	id int32
}

// dialWire opens a raw connection to e's server; it is closed when the test ends.
func dialWire(t *testing.T, e *crudEnv) *wireConn {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &wireConn{t: t, nc: nc}
}

// cmd sends cmd and returns the reply body.
func (w *wireConn) cmd(cmd bson.D) bson.Raw {
	w.t.Helper()
	body, err := bson.Marshal(cmd)
	if err != nil {
		w.t.Fatal(err)
	}
	w.id++
	w.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := w.nc.Write(wire.AppendMsg(nil, w.id, 0, 0, body)); err != nil {
		w.t.Fatalf("write: %v", err)
	}
	_, msg, err := wire.ReadMessage(w.nc, nil, 0)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	m, err := wire.ParseMsg(msg)
	if err != nil {
		w.t.Fatalf("parse reply: %v", err)
	}
	return m.Body
}

// replyCode is a reply's code, 0 for ok: 1.
func replyCode(r bson.Raw) int32 {
	if ok, _ := r.Lookup("ok").AsFloat64OK(); ok == 1 {
		return 0
	}
	c, _ := r.Lookup("code").AsInt64OK()
	return int32(c)
}

// A cursor belongs to its logical session, not to the connection that opened it (as in mongod, where drivers
// send getMore on any pooled connection): it survives its connection closing, is continued from another
// connection, and dies when its session is ended; a getMore on it then fails with CursorNotFound (43).
func TestDriver_CursorOutlivesConnection(t *testing.T) {
	e := newCrudEnv(t, "")
	e.insertIDs(t, "cc", 6)
	lsid, other := newWireLsid(), newWireLsid()
	getMore := func(w *wireConn, id int64) bson.Raw {
		return w.cmd(bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: 1},
			{Key: "lsid", Value: lsid}, {Key: "$db", Value: "cc"}})
	}
	find := func(w *wireConn, session bson.D) int64 {
		r := w.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 1}, {Key: "lsid", Value: session}, {Key: "$db", Value: "cc"}})
		id, _ := r.Lookup("cursor", "id").Int64OK()
		if replyCode(r) != 0 || id == 0 {
			t.Fatalf("find = %v", r)
		}
		return id
	}

	first := dialWire(t, e)
	id := find(first, lsid)
	otherID := find(first, other)
	conns := e.srv.currentConns()
	first.nc.Close()
	// Wait for the server to finish with the connection: cursors tied to it would be closed by then.
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.currentConns() >= conns {
		if time.Now().After(deadline) {
			t.Fatal("the server did not notice the disconnect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := e.srv.cursors.len(); n != 2 {
		t.Fatalf("open cursors after their connection closed = %d, want 2", n)
	}

	second := dialWire(t, e)
	r := getMore(second, id)
	next, _ := r.Lookup("cursor", "nextBatch").Array().Values()
	if replyCode(r) != 0 || len(next) != 1 || next[0].Document().Lookup("_id").AsInt64() != 1 || r.Lookup("cursor", "id").Int64() != id {
		t.Fatalf("getMore from another connection = %v", r)
	}

	// endSessions of the cursor's lsid closes it; the cursor of another session stays.
	if r := second.cmd(bson.D{{Key: "endSessions", Value: bson.A{lsid}}, {Key: "$db", Value: "admin"}}); replyCode(r) != 0 {
		t.Fatalf("endSessions = %v", r)
	}
	if r := getMore(second, id); replyCode(r) != 43 || r.Lookup("codeName").StringValue() != "CursorNotFound" {
		t.Fatalf("getMore after endSessions = %v, want CursorNotFound", r)
	}
	if n := e.srv.cursors.len(); n != 1 {
		t.Fatalf("open cursors after endSessions = %d, want 1 (the other session's)", n)
	}
	if r := getMore(second, 987654321); replyCode(r) != 43 {
		t.Fatalf("getMore of an unknown cursor = %v, want CursorNotFound", r)
	}
	// killSessions and killAllSessions close sessions' cursors the same way.
	if r := second.cmd(bson.D{{Key: "killSessions", Value: bson.A{other}}, {Key: "$db", Value: "admin"}}); replyCode(r) != 0 {
		t.Fatalf("killSessions = %v", r)
	}
	if r := getMore(second, otherID); replyCode(r) != 43 {
		t.Fatalf("getMore after killSessions = %v, want CursorNotFound", r)
	}
	find(second, newWireLsid())
	if r := second.cmd(bson.D{{Key: "killAllSessions", Value: bson.A{}}, {Key: "$db", Value: "admin"}}); replyCode(r) != 0 {
		t.Fatalf("killAllSessions = %v", r)
	}
	if n := e.srv.cursors.len(); n != 0 {
		t.Fatalf("open cursors after killAllSessions = %d, want 0", n)
	}
}

// Batches stop before 16 MiB of documents, whatever the batch size.
func TestDriver_CursorBatchBytes(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	big := string(make([]byte, 1<<20))
	docs := make([]any, 20)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: big}}
	}
	if _, err := e.client.Database("bb").Collection("c").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(t, "bb", bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 100}})
	first, _ := r.Lookup("cursor", "firstBatch").Array().Values()
	size := 0
	for _, d := range first {
		size += len(d.Document())
	}
	id := r.Lookup("cursor", "id").Int64()
	if len(first) == 0 || len(first) >= 20 || size > maxBatchBytes || id == 0 {
		t.Fatalf("first batch: %d docs, %d bytes, cursor %d", len(first), size, id)
	}
	r = e.mustRun(t, "bb", bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}})
	next, _ := r.Lookup("cursor", "nextBatch").Array().Values()
	if len(first)+len(next) != 20 || r.Lookup("cursor", "id").Int64() != 0 {
		t.Fatalf("batches of %d and %d docs, cursor %v", len(first), len(next), r.Lookup("cursor", "id"))
	}
}

// TestDriver_TransactionCreatesCollection is scenario 23 of the spec, MongoDB 4.4+: a transaction's insert into a
// missing collection creates it, so the document is there after commit; after abort the collection does not
// exist, whether the insert or an explicit create made it.
func TestDriver_TransactionCreatesCollection(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("implicit")
	run := func(commit bool, body func(ctx context.Context) error) {
		t.Helper()
		sess := e.startTxn(t)
		if err := body(mongo.NewSessionContext(ctx, sess)); err != nil {
			t.Fatal(err)
		}
		endTxn(t, sess, commit)
	}
	names := func() []string {
		t.Helper()
		n, err := db.ListCollectionNames(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(n)
		return n
	}

	run(true, func(ctx context.Context) error {
		_, err := db.Collection("committed").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}})
		return err
	})
	if n, err := db.Collection("committed").CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("documents after commit = %d, %v", n, err)
	}
	run(false, func(ctx context.Context) error {
		if _, err := db.Collection("aborted").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
			return err
		}
		return db.CreateCollection(ctx, "explicit")
	})
	if got := names(); !slices.Equal(got, []string{"committed"}) {
		t.Fatalf("collections after abort = %v, want [committed]", got)
	}
}

// TestDriver_ExprErrorFailsQuery checks that a $expr that fails to evaluate on a document the query reaches
// fails the command with the expression's error, as in mongod, instead of skipping the document: find,
// aggregate's $match and count fail with BadValue (2); an update reports it as a write error.
func TestDriver_ExprErrorFailsQuery(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("expr").Collection("c")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 1}, {Key: "d", Value: 2}}, bson.D{{Key: "_id", Value: 2}, {Key: "d", Value: 0}}}); err != nil {
		t.Fatal(err)
	}
	filter := bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{bson.D{{Key: "$divide", Value: bson.A{1, "$d"}}}, 0}}}}}
	wantDivide := func(what string, err error) {
		t.Helper()
		var ce mongo.CommandError
		var we mongo.WriteException
		switch {
		case errors.As(err, &ce):
			if ce.Code != 2 || !strings.Contains(ce.Message, "can't $divide by zero") {
				t.Fatalf("%s: %v", what, err)
			}
		case errors.As(err, &we):
			if len(we.WriteErrors) != 1 || we.WriteErrors[0].Code != 2 {
				t.Fatalf("%s: %v", what, err)
			}
		default:
			t.Fatalf("%s = %v, want can't $divide by zero (2)", what, err)
		}
	}
	cur, err := coll.Find(ctx, filter)
	if err == nil {
		var docs []bson.Raw
		err = cur.All(ctx, &docs)
	}
	wantDivide("find", err)
	cur, err = coll.Aggregate(ctx, mongo.Pipeline{{{Key: "$match", Value: filter}}})
	if err == nil {
		var docs []bson.Raw
		err = cur.All(ctx, &docs)
	}
	wantDivide("aggregate", err)
	_, err = coll.CountDocuments(ctx, filter)
	wantDivide("count", err)
	_, err = coll.UpdateMany(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}})
	wantDivide("update", err)
	// Reached only on documents where d is not 0, the same expression is fine.
	n, err := coll.CountDocuments(ctx, bson.D{{Key: "d", Value: bson.D{{Key: "$ne", Value: 0}}}, {Key: "$expr", Value: filter[0].Value}})
	if err != nil || n != 1 {
		t.Fatalf("count where the expression is never reached on d: 0 = %d, %v", n, err)
	}
}

// TestDriver_TransactionEndClosesCursors checks that the cursors a transaction opened close when it commits or
// aborts, as in mongod: a getMore then finds no cursor (43).
func TestDriver_TransactionEndClosesCursors(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	e.insertIDs(t, "tec", 5)
	for _, commit := range []bool{true, false} {
		sess := e.startTxn(t)
		sctx := mongo.NewSessionContext(ctx, sess)
		r, err := e.client.Database("tec").RunCommand(sctx, bson.D{{Key: "find", Value: "c"}, {Key: "batchSize", Value: 1}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		id := r.Lookup("cursor", "id").Int64()
		endTxn(t, sess, commit)
		_, err = e.client.Database("tec").RunCommand(sctx, bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "c"}}).Raw()
		if commandCode(err) != 43 {
			t.Fatalf("getMore after the transaction ended (commit %v) = %v, want CursorNotFound 43", commit, err)
		}
	}
}

// TestDriver_SystemCollectionInTransaction checks that a transaction may not write to a system collection
// (50791), as in mongod.
func TestDriver_SystemCollectionInTransaction(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	sess := e.startTxn(t)
	_, err := e.client.Database("sys").Collection("system.foo").InsertOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "x", Value: 1}})
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 50791 || ce.Name != "Location50791" || ce.Message != "Cannot write to system collection sys.system.foo within a transaction." {
		t.Fatalf("insert into a system collection in a transaction = %v, want 50791", err)
	}
	_ = sess.AbortTransaction(ctx)
}

// TestKillSessions_InterruptsWaitingWrite checks that killSessions interrupts the listed session's command in
// flight (here a retryable update waiting on another transaction's document) with Interrupted (11601) and
// returns at once, rather than waiting behind it; the transaction of another session is untouched.
func TestKillSessions_InterruptsWaitingWrite(t *testing.T) {
	e := newCrudEnv(t, "")
	e.mustRun(t, "ks", bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}}}})
	inc := bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}}}
	owner, waiter := newWireLsid(), newWireLsid()
	a := dialWire(t, e)
	r := a.cmd(bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: inc}, {Key: "lsid", Value: owner},
		{Key: "txnNumber", Value: int64(1)}, {Key: "autocommit", Value: false}, {Key: "startTransaction", Value: true}, {Key: "$db", Value: "ks"}})
	if replyCode(r) != 0 {
		t.Fatalf("transaction update: %v", r)
	}

	b := dialWire(t, e)
	body, _ := bson.Marshal(bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: inc}, {Key: "lsid", Value: waiter},
		{Key: "txnNumber", Value: int64(1)}, {Key: "$db", Value: "ks"}})
	if _, err := b.nc.Write(wire.AppendMsg(nil, 1, 0, 0, body)); err != nil {
		t.Fatal(err)
	}
	replies := make(chan bson.Raw, 1)
	go func() {
		b.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, msg, err := wire.ReadMessage(b.nc, nil, 0)
		if err != nil {
			replies <- nil
			return
		}
		m, _ := wire.ParseMsg(msg)
		replies <- m.Body
	}()
	// Wait until the update is in flight (waiting on the transaction).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		inFlight := false
		for _, o := range e.srv.ops.list() {
			if a := &o.inv.args; a.hasLsid && o.inv.req.Name == "update" {
				inFlight = true
			}
		}
		if inFlight {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the update never started")
		}
	}

	started := time.Now()
	k := dialWire(t, e)
	if r := k.cmd(bson.D{{Key: "killSessions", Value: bson.A{waiter}}, {Key: "$db", Value: "admin"}}); replyCode(r) != 0 {
		t.Fatalf("killSessions: %v", r)
	}
	if d := time.Since(started); d > 3*time.Second {
		t.Fatalf("killSessions took %v", d)
	}
	select {
	case r := <-replies:
		if replyCode(r) != 11601 {
			t.Fatalf("the killed session's update = %v, want Interrupted 11601", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the killed session's update is still waiting")
	}
	commit := bson.D{{Key: "commitTransaction", Value: 1}, {Key: "lsid", Value: owner}, {Key: "txnNumber", Value: int64(1)},
		{Key: "autocommit", Value: false}, {Key: "$db", Value: "admin"}}
	if r := a.cmd(commit); replyCode(r) != 0 {
		t.Fatalf("the other session's commit: %v", r)
	}
}

// TestDriver_TransactionCreateIndexes checks createIndexes inside a transaction, as mongod: a new index on an
// existing collection fails with OperationNotSupportedInTransaction (263); on a collection the transaction
// creates it succeeds and commits with it.
func TestDriver_TransactionCreateIndexes(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("txix")
	if _, err := db.Collection("old").InsertOne(ctx, bson.D{{Key: "a", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	sess, err := e.client.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	model := mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}

	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	_, err = db.Collection("old").Indexes().CreateOne(mongo.NewSessionContext(ctx, sess), model)
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 263 || !strings.Contains(ce.Message, "Cannot create new indexes on existing collection txix.old") {
		t.Fatalf("createIndexes on an existing collection in a transaction = %v, want 263", err)
	}
	_ = sess.AbortTransaction(ctx)

	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("fresh").Indexes().CreateOne(mongo.NewSessionContext(ctx, sess), model); err != nil {
		t.Fatalf("createIndexes on a new collection in a transaction: %v", err)
	}
	if err := sess.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	specs, err := db.Collection("fresh").Indexes().ListSpecifications(ctx)
	if err != nil || len(specs) != 2 || specs[1].Name != "a_1" {
		t.Fatalf("indexes after commit = %+v, %v", specs, err)
	}
}

// TestDriver_TransactionDDLNeedsLocalReadConcern checks mongod's rule that create and createIndexes run only in
// transactions with readConcern "local": under "snapshot" both fail with InvalidOptions (72) and create nothing.
func TestDriver_TransactionDDLNeedsLocalReadConcern(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("rcddl")
	for _, tc := range []struct {
		level string
		ok    bool
	}{{"snapshot", false}, {"local", true}} {
		sess := e.startTxn(t, options.Transaction().SetReadConcern(&readconcern.ReadConcern{Level: tc.level}))
		sctx := mongo.NewSessionContext(ctx, sess)
		errCreate := db.CreateCollection(sctx, "c_"+tc.level)
		_, errIndex := db.Collection("i_"+tc.level).Indexes().CreateOne(sctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}})
		if tc.ok {
			if errCreate != nil || errIndex != nil {
				t.Fatalf("readConcern %s: create %v, createIndexes %v", tc.level, errCreate, errIndex)
			}
			if err := sess.CommitTransaction(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			if commandCode(errCreate) != 72 {
				t.Fatalf("create under readConcern %s = %v, want InvalidOptions 72", tc.level, errCreate)
			}
			_ = sess.AbortTransaction(ctx)
		}
	}
	names, err := db.ListCollectionNames(ctx, bson.D{})
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"c_local", "i_local"}) {
		t.Fatalf("collections = %v, %v; want those of the local-readConcern transaction only", names, err)
	}
}

// TestDriver_LifetimeAndCommitIdempotency runs two wire-level scenarios of the spec through the official
// driver: committing twice succeeds both times (scenario 20), and with transactionLifetimeLimitSeconds set to 1
// by setParameter, an idle transaction is aborted, so its commit fails with NoSuchTransaction (251) labelled
// TransientTransactionError and its insert is gone (scenario 11).
func TestDriver_LifetimeAndCommitIdempotency(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("life").Collection("c")
	sess := e.startTxn(t)
	if _, err := coll.InsertOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: "kept"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := sess.CommitTransaction(ctx); err != nil {
			t.Fatalf("commit %d: %v", i+1, err)
		}
	}

	admin := e.client.Database("admin")
	if err := admin.RunCommand(ctx, bson.D{{Key: "setParameter", Value: 1}, {Key: "transactionLifetimeLimitSeconds", Value: 1}}).Err(); err != nil {
		t.Fatal(err)
	}
	defer admin.RunCommand(ctx, bson.D{{Key: "setParameter", Value: 1}, {Key: "transactionLifetimeLimitSeconds", Value: 60}})
	if err := sess.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(mongo.NewSessionContext(ctx, sess), bson.D{{Key: "_id", Value: "expired"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	err := sess.CommitTransaction(ctx)
	var ce mongo.CommandError
	if !errors.As(err, &ce) || ce.Code != 251 || !ce.HasErrorLabel("TransientTransactionError") {
		t.Fatalf("commit after the lifetime limit = %v, want NoSuchTransaction 251 with TransientTransactionError", err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("documents = %d, %v; want only the committed one", n, err)
	}
}

// TestCommitRetryAfterRestart checks that a transaction's commit survives a restart as mongod's
// config.transactions does: the commit retried on the restarted server (as a driver retries it after a network
// error) succeeds instead of failing with NoSuchTransaction, which would make the driver run the transaction
// again; a statement of that transaction is TransactionCommitted (256) and an older txnNumber
// TransactionTooOld (225). The committed document is there once.
func TestCommitRetryAfterRestart(t *testing.T) {
	dir := t.TempDir()
	lsid := newWireLsid()
	txn := func(cmd bson.D, n int64, start bool) bson.D {
		cmd = append(cmd, bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: n}, bson.E{Key: "autocommit", Value: false})
		if start {
			cmd = append(cmd, bson.E{Key: "startTransaction", Value: true})
		}
		return cmd
	}
	insert := bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}}}}, {Key: "$db", Value: "rr"}}
	commit := bson.D{{Key: "commitTransaction", Value: 1}, {Key: "$db", Value: "admin"}}
	serveAt(t, dir, func(w *wireConn) {
		if r := w.cmd(txn(insert, 3, true)); replyCode(r) != 0 {
			t.Fatalf("insert: %v", r)
		}
		if r := w.cmd(txn(commit, 3, false)); replyCode(r) != 0 {
			t.Fatalf("commit: %v", r)
		}
	})
	serveAt(t, dir, func(w *wireConn) {
		if r := w.cmd(txn(commit, 3, false)); replyCode(r) != 0 {
			t.Fatalf("commit retried after the restart: %v", r)
		}
		if r := w.cmd(txn(insert, 3, false)); replyCode(r) != 256 {
			t.Fatalf("statement of the committed transaction after the restart: %v", r)
		}
		if r := w.cmd(txn(insert, 2, true)); replyCode(r) != 225 {
			t.Fatalf("older transaction after the restart: %v", r)
		}
		r := w.cmd(bson.D{{Key: "count", Value: "c"}, {Key: "$db", Value: "rr"}})
		if n, _ := r.Lookup("n").AsInt64OK(); n != 1 {
			t.Fatalf("count = %v, want 1", r)
		}
	})
}

// serveAt opens the database in dir, serves it on a loopback port, runs run with a raw connection, then shuts the
// server down and closes the database cleanly: a restart is two calls.
func serveAt(t *testing.T, dir string, run func(w *wireConn)) {
	t.Helper()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{DB: db}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	run(&wireConn{t: t, nc: nc})
	nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRetryableWriteAfterRestart checks that a retryable write retried on a restarted server (the write applied,
// its reply lost) is answered from the durable session record, with retriedStmtIds, instead of being applied
// again, as mongod answers it from config.transactions: an $inc stays applied once, an insert does not fail
// with DuplicateKey, a findAndModify returns the same document. A write of several statements has no durable
// record.
func TestRetryableWriteAfterRestart(t *testing.T) {
	dir := t.TempDir()
	lsid := newWireLsid()
	retryable := func(cmd bson.D, n int64) bson.D {
		return append(cmd, bson.E{Key: "$db", Value: "rw"}, bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: n})
	}
	inc := bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}},
		{Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}, {Key: "upsert", Value: true}}}}}
	insert := bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 2}}}}}
	fam := bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: 1}}},
		{Key: "update", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 10}}}}}, {Key: "new", Value: true}}
	cmds := []bson.D{inc, insert, fam}
	first := make([]bson.Raw, len(cmds))
	serveAt(t, dir, func(w *wireConn) {
		for i, cmd := range cmds {
			first[i] = w.cmd(retryable(cmd, int64(i+1)))
			if replyCode(first[i]) != 0 {
				t.Fatalf("%s: %v", cmd[0].Key, first[i])
			}
		}
	})
	serveAt(t, dir, func(w *wireConn) {
		// Only the latest txnNumber of the session is kept, as in mongod: retry the findAndModify.
		r := w.cmd(retryable(fam, 3))
		if replyCode(r) != 0 || r.Lookup("retriedStmtId").Type == 0 {
			t.Fatalf("findAndModify retried after the restart: %v", r)
		}
		if got, want := r.Lookup("value", "v").AsInt64(), first[2].Lookup("value", "v").AsInt64(); got != want {
			t.Fatalf("retried findAndModify returned v %d, the first %d", got, want)
		}
		if r := w.cmd(retryable(inc, 2)); replyCode(r) != 225 {
			t.Fatalf("an older txnNumber after the restart: %v", r)
		}
		docs := w.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "$db", Value: "rw"}})
		if v := docs.Lookup("cursor", "firstBatch", "0", "v").AsInt64(); v != 11 {
			t.Fatalf("v = %d after the restart, want 11 (1 + 10, each applied once)", v)
		}
	})
	// The $inc alone, retried after a restart.
	serveAt(t, dir, func(w *wireConn) {
		if r := w.cmd(retryable(inc, 4)); replyCode(r) != 0 {
			t.Fatalf("update: %v", r)
		}
	})
	serveAt(t, dir, func(w *wireConn) {
		r := w.cmd(retryable(inc, 4))
		if replyCode(r) != 0 || r.Lookup("retriedStmtIds").Type == 0 || r.Lookup("nModified").AsInt64() != 1 {
			t.Fatalf("update retried after the restart: %v", r)
		}
		docs := w.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "$db", Value: "rw"}})
		if v := docs.Lookup("cursor", "firstBatch", "0", "v").AsInt64(); v != 12 {
			t.Fatalf("v = %d, want 12: the retried $inc applied again", v)
		}
	})
	// The insert alone.
	serveAt(t, dir, func(w *wireConn) {
		if r := w.cmd(retryable(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 3}}}}}, 5)); replyCode(r) != 0 {
			t.Fatalf("insert: %v", r)
		}
	})
	serveAt(t, dir, func(w *wireConn) {
		r := w.cmd(retryable(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 3}}}}}, 5))
		if replyCode(r) != 0 || r.Lookup("writeErrors").Type != 0 || r.Lookup("retriedStmtIds").Type == 0 || r.Lookup("n").AsInt64() != 1 {
			t.Fatalf("insert retried after the restart: %v", r)
		}
	})
}

// TestRetryableMultiStatementAfterRestart checks that writes of several statements (an update of three, an
// insert of three documents, a delete of two) retried on a restarted server are answered from the durable
// record, with every statement in retriedStmtIds and nothing applied twice.
func TestRetryableMultiStatementAfterRestart(t *testing.T) {
	dir := t.TempDir()
	lsid := newWireLsid()
	retryable := func(cmd bson.D, n int64) bson.D {
		return append(cmd, bson.E{Key: "$db", Value: "rw"}, bson.E{Key: "lsid", Value: lsid}, bson.E{Key: "txnNumber", Value: n})
	}
	incStmt := func(id int) bson.D {
		return bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: id}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}, {Key: "upsert", Value: true}}
	}
	update := bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{incStmt(1), incStmt(2), incStmt(1)}}}
	insert := bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 10}}, bson.D{{Key: "_id", Value: 11}}, bson.D{{Key: "_id", Value: 12}}}}}
	del := bson.D{{Key: "delete", Value: "c"}, {Key: "deletes", Value: bson.A{
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 10}}}, {Key: "limit", Value: 1}},
		bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 11}}}, {Key: "limit", Value: 1}}}}}
	sum := func(w *wireConn) (int64, int64) {
		docs := w.cmd(bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: 10}}}}}, {Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "$db", Value: "rw"}})
		return docs.Lookup("cursor", "firstBatch", "0", "v").AsInt64(), docs.Lookup("cursor", "firstBatch", "1", "v").AsInt64()
	}
	countAll := func(w *wireConn) int64 {
		return w.cmd(bson.D{{Key: "count", Value: "c"}, {Key: "$db", Value: "rw"}}).Lookup("n").AsInt64()
	}
	for i, tc := range []struct {
		cmd   bson.D
		n     int64
		stmts int
		check func(w *wireConn)
	}{
		{update, 3, 3, func(w *wireConn) {
			if a, b := sum(w); a != 2 || b != 1 {
				t.Fatalf("v = %d, %d after the retried update, want 2, 1", a, b)
			}
		}},
		{insert, 3, 3, func(w *wireConn) {
			if n := countAll(w); n != 5 {
				t.Fatalf("%d documents after the retried insert, want 5", n)
			}
		}},
		{del, 2, 2, func(w *wireConn) {
			if n := countAll(w); n != 3 {
				t.Fatalf("%d documents after the retried delete, want 3", n)
			}
		}},
	} {
		n := int64(i + 1)
		var first bson.Raw
		serveAt(t, dir, func(w *wireConn) {
			first = w.cmd(retryable(tc.cmd, n))
			if replyCode(first) != 0 || first.Lookup("n").AsInt64() != tc.n {
				t.Fatalf("%s: %v", tc.cmd[0].Key, first)
			}
		})
		serveAt(t, dir, func(w *wireConn) {
			r := w.cmd(retryable(tc.cmd, n))
			if replyCode(r) != 0 || r.Lookup("n").AsInt64() != tc.n || r.Lookup("writeErrors").Type != 0 {
				t.Fatalf("%s retried after the restart: %v", tc.cmd[0].Key, r)
			}
			ids, _ := r.Lookup("retriedStmtIds").Array().Values()
			if len(ids) != tc.stmts {
				t.Fatalf("%s retried: retriedStmtIds %v, want %d statements", tc.cmd[0].Key, r.Lookup("retriedStmtIds"), tc.stmts)
			}
			if tc.cmd[0].Key == "update" {
				if up, _ := r.Lookup("upserted").Array().Values(); len(up) != 2 || r.Lookup("nModified").AsInt64() != 1 {
					t.Fatalf("update retried: %v, want the first reply's upserted and nModified: %v", r, first)
				}
			}
			tc.check(w)
		})
	}
}

// TestPruneSessionRecords checks that the durable record of a session expires with the session: kept while
// recent or while the server holds the session, deleted once older than logicalSessionTimeout.
func TestPruneSessionRecords(t *testing.T) {
	dir := t.TempDir()
	lsid := newWireLsid()
	var id [16]byte
	copy(id[:], lsid[0].Value.(bson.Binary).Data)
	serveAt(t, dir, func(w *wireConn) {
		r := w.cmd(bson.D{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}}}},
			{Key: "$db", Value: "pr"}, {Key: "lsid", Value: lsid}, {Key: "txnNumber", Value: int64(1)}})
		if replyCode(r) != 0 {
			t.Fatalf("insert: %v", r)
		}
	})
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &Server{DB: db}
	s.init()
	if rec, err := frontend.SessionRecord(db, id); err != nil || rec == nil {
		t.Fatalf("record after the insert = %v, %v", rec, err)
	}
	// A wall clock moved forward across the restart: the record looks expired, but a driver may be retrying
	// its write right now. Until the server has run for logicalSessionTimeout (by the monotonic clock) it is kept.
	jumped := time.Now().Round(0).Add(2 * logicalSessionTimeout) // Round(0): a wall-clock reading only
	if n, err := s.pruneRecords(jumped); err != nil || n != 0 {
		t.Fatalf("prune right after the restart, with the wall clock moved forward = %d, %v", n, err)
	}
	s.started = s.started.Add(-logicalSessionTimeout) // the server has run for the session timeout
	if n, err := s.pruneRecords(time.Now().Add(time.Minute)); err != nil || n != 0 {
		t.Fatalf("prune of a recent record = %d, %v", n, err)
	}
	ss, err := s.sessions.checkout(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	ss.checkin()
	later := time.Now().Add(logicalSessionTimeout + time.Minute)
	if n, err := s.pruneRecords(later); err != nil || n != 0 {
		t.Fatalf("prune of a session the server holds = %d, %v", n, err)
	}
	s.sessions.endAll(s)
	if n, err := s.pruneRecords(later); err != nil || n != 1 {
		t.Fatalf("prune of an expired session = %d, %v", n, err)
	}
	if rec, _ := frontend.SessionRecord(db, id); rec != nil {
		t.Fatalf("record after pruning = %v", bson.Raw(rec))
	}
}
