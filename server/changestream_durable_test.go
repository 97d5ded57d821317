package server_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/server"
)

// serveDir serves the database in dir until the returned stop is called; stop closes the client, the server
// and the database, as a shutdown does.
func serveDir(t *testing.T, dir string) (c *mongo.Client, stop func()) {
	t.Helper()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{DB: db}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c, err = mongo.Connect(options.Client().ApplyURI("mongodb://" + l.Addr().String() + "/?directConnection=true").SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = c.Disconnect(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-served
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(stop)
	return c, stop
}

// wantServerCode checks that err is a server error with code.
func wantServerCode(t *testing.T, err error, code int) {
	t.Helper()
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(code) {
		t.Fatalf("error %v, want code %d", err, code)
	}
}

func insertIDs(t *testing.T, coll *mongo.Collection, ids ...int) {
	t.Helper()
	for _, id := range ids {
		if _, err := coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: id}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChangeStream_ResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	c, stop := serveDir(t, dir)
	coll := c.Database("cs").Collection("restart")
	cs, err := coll.Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	insertIDs(t, coll, 1, 2, 3)
	first := nextEvent(t, cs)
	token := cs.ResumeToken()
	opTime, inc := first.Lookup("clusterTime").Timestamp()
	_ = cs.Close(ctx)
	stop()

	c, _ = serveDir(t, dir)
	coll = c.Database("cs").Collection("restart")
	insertIDs(t, coll, 4)
	for _, tc := range []struct {
		name string
		opts *options.ChangeStreamOptionsBuilder
		want []int32
	}{
		{"resumeAfter", options.ChangeStream().SetResumeAfter(token), []int32{2, 3, 4}},
		{"startAfter", options.ChangeStream().SetStartAfter(token), []int32{2, 3, 4}},
		{"startAtOperationTime", options.ChangeStream().SetStartAtOperationTime(&bson.Timestamp{T: opTime, I: inc}), []int32{1, 2, 3, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := coll.Watch(ctx, mongo.Pipeline{}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close(ctx)
			for _, want := range tc.want {
				ev := nextEvent(t, cs)
				if opType(ev) != "insert" || ev.Lookup("documentKey", "_id").Int32() != want {
					t.Fatalf("event %v, want the insert of %d", ev, want)
				}
			}
			noEvent(t, cs, 100*time.Millisecond)
		})
	}
}

func TestChangeStream_HistoryLost(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("cs").Collection("lost")
	cs, err := coll.Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(ctx)
	insertIDs(t, coll, 1, 2)
	nextEvent(t, cs)
	token := cs.ResumeToken()
	// Two days on, the default 24-hour retention has pruned every change.
	if err := frontend.PruneChangeLog(e.db, time.Now().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err = coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetResumeAfter(token))
	wantServerCode(t, err, 286)
	// The stream that had read everything before the changes went goes on.
	insertIDs(t, coll, 3)
	for _, want := range []int32{2, 3} {
		if ev := nextEvent(t, cs); ev.Lookup("documentKey", "_id").Int32() != want {
			t.Fatalf("event %v, want the insert of %d", ev, want)
		}
	}
}

func TestChangeStream_DDLEvents(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	db := c.Database("ddl")
	expanded, err := db.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetShowExpandedEvents(true))
	if err != nil {
		t.Fatal(err)
	}
	defer expanded.Close(ctx)
	plain, err := db.Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close(ctx)
	collStream, err := db.Collection("a").Watch(ctx, mongo.Pipeline{})
	if err != nil {
		t.Fatal(err)
	}
	defer collStream.Close(ctx)

	if err := db.CreateCollection(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("a").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "x", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	insertIDs(t, db.Collection("a"), 1)
	if err := db.Collection("a").Indexes().DropOne(ctx, "x_1"); err != nil {
		t.Fatal(err)
	}
	if err := db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "a"}, {Key: "changeStreamPreAndPostImages", Value: bson.D{{Key: "enabled", Value: true}}}}).Err(); err != nil {
		t.Fatal(err)
	}
	rename := bson.D{{Key: "renameCollection", Value: "ddl.a"}, {Key: "to", Value: "ddl.b"}}
	if err := c.Database("admin").RunCommand(ctx, rename).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Collection("b").CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("renamed collection holds %d documents (%v), want 1", n, err)
	}
	if err := db.Drop(ctx); err != nil {
		t.Fatal(err)
	}

	for _, want := range []string{"create", "createIndexes", "insert", "dropIndexes", "modify", "rename", "drop", "dropDatabase", "invalidate"} {
		ev := nextEvent(t, expanded)
		if opType(ev) != want {
			t.Fatalf("expanded stream: %v, want %s", ev, want)
		}
		switch want {
		case "createIndexes":
			if ev.Lookup("operationDescription", "indexes").Array().Index(0).Document().Lookup("name").StringValue() != "x_1" {
				t.Fatalf("createIndexes event %v", ev)
			}
		case "rename":
			if ev.Lookup("to", "coll").StringValue() != "b" || ev.Lookup("operationDescription", "to", "coll").StringValue() != "b" {
				t.Fatalf("rename event %v", ev)
			}
		case "dropDatabase":
			if ev.Lookup("ns", "db").StringValue() != "ddl" {
				t.Fatalf("dropDatabase event %v", ev)
			}
		}
	}
	for _, want := range []string{"insert", "rename", "drop", "dropDatabase", "invalidate"} {
		if ev := nextEvent(t, plain); opType(ev) != want {
			t.Fatalf("stream without expanded events: %v, want %s", ev, want)
		}
	}
	// The stream on the renamed collection ends with its rename.
	for _, want := range []string{"insert", "rename", "invalidate"} {
		if ev := nextEvent(t, collStream); opType(ev) != want {
			t.Fatalf("collection stream: %v, want %s", ev, want)
		}
	}
}

func TestRenameCollection_Errors(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	admin := c.Database("admin")
	insertIDs(t, c.Database("rn").Collection("a"), 1)
	insertIDs(t, c.Database("rn").Collection("b"), 2)
	run := func(db *mongo.Database, cmd bson.D) error { return db.RunCommand(ctx, cmd).Err() }
	wantServerCode(t, run(c.Database("rn"), bson.D{{Key: "renameCollection", Value: "rn.a"}, {Key: "to", Value: "rn.c"}}), 13)
	wantServerCode(t, run(admin, bson.D{{Key: "renameCollection", Value: "rn.nope"}, {Key: "to", Value: "rn.c"}}), 26)
	wantServerCode(t, run(admin, bson.D{{Key: "renameCollection", Value: "rn.a"}, {Key: "to", Value: "rn.b"}}), 48)
	cs, err := c.Database("rn").Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetShowExpandedEvents(true))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(ctx)
	if err := run(admin, bson.D{{Key: "renameCollection", Value: "rn.a"}, {Key: "to", Value: "rn.b"}, {Key: "dropTarget", Value: true}}); err != nil {
		t.Fatal(err)
	}
	var got bson.M
	if err := c.Database("rn").Collection("b").FindOne(ctx, bson.D{}).Decode(&got); err != nil || got["_id"] != int32(1) {
		t.Fatalf("after rename with dropTarget, b holds %v (%v), want a's document", got, err)
	}
	names, _ := c.Database("rn").ListCollectionNames(ctx, bson.D{})
	if len(names) != 1 || names[0] != "b" {
		t.Fatalf("collections %v, want [b]", names)
	}
	// One event, as in mongod's oplog: the rename, naming the target it dropped by its UUID.
	ev := nextEvent(t, cs)
	if opType(ev) != "rename" || ev.Lookup("operationDescription", "dropTarget").Type != bson.TypeBinary ||
		ev.Lookup("collectionUUID").Type != bson.TypeBinary {
		t.Fatalf("event %v, want a rename with dropTarget and collectionUUID", ev)
	}
	// collMod with nothing to change is still a modify event.
	if err := run(c.Database("rn"), bson.D{{Key: "collMod", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, cs); opType(ev) != "modify" {
		t.Fatalf("event %v, want modify", ev)
	}
	wantServerCode(t, run(c.Database("rn"), bson.D{{Key: "collMod", Value: "nope"}}), 26)
}

func TestChangeStream_PreAndPostImages(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	db := c.Database("img")
	create := bson.D{{Key: "create", Value: "on"}, {Key: "changeStreamPreAndPostImages", Value: bson.D{{Key: "enabled", Value: true}}}}
	if err := db.RunCommand(ctx, create).Err(); err != nil {
		t.Fatal(err)
	}
	on, off := db.Collection("on"), db.Collection("off")
	insertIDs(t, off, 1)
	insertIDs(t, on, 1)
	opts := options.ChangeStream().SetFullDocument(options.Required).SetFullDocumentBeforeChange(options.Required)
	cs, err := on.Watch(ctx, mongo.Pipeline{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(ctx)
	if _, err := on.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := on.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "v", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := on.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, cs)
	if opType(ev) != "update" || ev.Lookup("fullDocument", "v").Int32() != 1 || ev.Lookup("fullDocumentBeforeChange", "v").Type != 0 ||
		ev.Lookup("fullDocumentBeforeChange", "_id").Int32() != 1 {
		t.Fatalf("update event %v: want the post-image {v: 1} and the pre-image without v", ev)
	}
	ev = nextEvent(t, cs)
	if opType(ev) != "replace" || ev.Lookup("fullDocument", "v").Int32() != 2 || ev.Lookup("fullDocumentBeforeChange", "v").Int32() != 1 {
		t.Fatalf("replace event %v", ev)
	}
	ev = nextEvent(t, cs)
	if opType(ev) != "delete" || ev.Lookup("fullDocumentBeforeChange", "v").Int32() != 2 {
		t.Fatalf("delete event %v", ev)
	}

	// Without the option there are no images: whenAvailable gives null, required fails with NoMatchingDocument.
	avail, err := off.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetFullDocument(options.WhenAvailable).SetFullDocumentBeforeChange(options.WhenAvailable))
	if err != nil {
		t.Fatal(err)
	}
	defer avail.Close(ctx)
	req, err := off.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetFullDocumentBeforeChange(options.Required))
	if err != nil {
		t.Fatal(err)
	}
	defer req.Close(ctx)
	if _, err := off.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, avail)
	if ev.Lookup("fullDocument").Type != bson.TypeNull || ev.Lookup("fullDocumentBeforeChange").Type != bson.TypeNull {
		t.Fatalf("whenAvailable without images: %v, want null images", ev)
	}
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if req.Next(ctx2) {
		t.Fatalf("required pre-image without images returned %v", req.Current)
	}
	wantServerCode(t, req.Err(), 47)
}

func TestChangeStream_UpdateDescriptionArrays(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("ud").Collection("a")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "arr", Value: bson.A{1, 2, 3}}, {Key: "p", Value: bson.A{1}}}); err != nil {
		t.Fatal(err)
	}
	cs, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetShowExpandedEvents(true))
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close(ctx)
	upd := bson.D{{Key: "$pop", Value: bson.D{{Key: "arr", Value: 1}}}, {Key: "$push", Value: bson.D{{Key: "p", Value: 9}}}}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, upd); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, cs)
	ud := ev.Lookup("updateDescription").Document()
	if ud.Lookup("updatedFields", "p.1").Int32() != 9 {
		t.Fatalf("updateDescription %v: want p.1 = 9", ud)
	}
	tr := ud.Lookup("truncatedArrays").Array().Index(0).Document()
	if tr.Lookup("field").StringValue() != "arr" || tr.Lookup("newSize").Int32() != 2 {
		t.Fatalf("truncatedArrays %v, want arr to 2", tr)
	}
	if comps := ud.Lookup("disambiguatedPaths", "p.1").Array(); comps.Index(1).Int32() != 1 {
		t.Fatalf("disambiguatedPaths %v, want p.1 as [p, 1]", ud.Lookup("disambiguatedPaths"))
	}
}

// A getMore on a change stream waits up to its maxTimeMS (the driver's maxAwaitTimeMS) for an event, returns an
// empty batch when none came, and returns as soon as one does.
func TestChangeStream_MaxAwaitTime(t *testing.T) {
	e := newCoreEnv(t)
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("cs").Collection("await")
	// One explicit session for the aggregate and its getMore: the cursor belongs to the session that opened it, and
	// two RunCommands may take different implicit sessions from the driver's pool.
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	sctx := mongo.NewSessionContext(ctx, sess)
	var opened bson.Raw
	agg := bson.D{{Key: "aggregate", Value: "await"}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$changeStream", Value: bson.D{}}}}}, {Key: "cursor", Value: bson.D{}}}
	if err := c.Database("cs").RunCommand(sctx, agg).Decode(&opened); err != nil {
		t.Fatal(err)
	}
	id := opened.Lookup("cursor", "id").Int64()
	start := time.Now()
	var more bson.Raw
	getMore := bson.D{{Key: "getMore", Value: id}, {Key: "collection", Value: "await"}, {Key: "maxTimeMS", Value: 300}}
	if err := c.Database("cs").RunCommand(sctx, getMore).Decode(&more); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Fatalf("the getMore returned after %v, before its maxTimeMS of 300 ms", waited)
	}
	if n, _ := more.Lookup("cursor", "nextBatch").Array().Values(); len(n) != 0 || more.Lookup("cursor", "id").Int64() != id {
		t.Fatalf("getMore on an idle collection: %v, want an empty batch and the cursor kept", more)
	}

	long, err := coll.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetMaxAwaitTime(4*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer long.Close(ctx)
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = coll.InsertOne(context.Background(), bson.D{{Key: "_id", Value: 1}})
	}()
	start = time.Now()
	if ev := nextEvent(t, long); opType(ev) != "insert" {
		t.Fatalf("event %v", ev)
	}
	if waited := time.Since(start); waited > 3500*time.Millisecond {
		t.Fatalf("the event came after %v: the getMore waited out its maxAwaitTimeMS instead of returning it", waited)
	}
}
