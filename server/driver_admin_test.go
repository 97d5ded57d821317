package server

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/concorddb/concord/internal/frontend"
)

// seedAdmin inserts n documents {_id: i, a: i, pad: "..."} into app.c and indexes a.
func seedAdmin(t *testing.T, e *crudEnv, n int) {
	t.Helper()
	ctx := context.Background()
	docs := make([]any, n)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: int32(i)}, {Key: "a", Value: int32(i)}, {Key: "pad", Value: strings.Repeat("x", i)}}
	}
	if _, err := e.client.Database("app").Collection("c").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Database("app").Collection("c").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
}

// TestDriver_Validate validates a sound collection (counts per index, valid: true), then one whose index was
// broken through the engine's test hook (valid: false, the missing and extra entries named).
func TestDriver_Validate(t *testing.T) {
	e := newCrudEnv(t, "")
	seedAdmin(t, e, 10)
	for _, full := range []bool{false, true} {
		r := e.mustRun(t, "app", bson.D{{Key: "validate", Value: "c"}, {Key: "full", Value: full}})
		if !r.Lookup("valid").Boolean() || lookupInt(t, r, "nrecords") != 10 || lookupInt(t, r, "nIndexes") != 2 {
			t.Fatalf("full=%v: %v", full, r)
		}
		if lookupInt(t, r, "keysPerIndex", "_id_") != 10 || lookupInt(t, r, "keysPerIndex", "a_1") != 10 {
			t.Fatalf("keysPerIndex %v", r.Lookup("keysPerIndex"))
		}
		if !r.Lookup("indexDetails", "a_1", "valid").Boolean() || len(mustValues(t, r, "errors")) != 0 || len(mustValues(t, r, "warnings")) != 0 {
			t.Fatalf("details %v", r)
		}
	}
	id := bson.RawValue{Type: bson.TypeInt32, Value: []byte{4, 0, 0, 0}}
	if err := frontend.DamageIndexForTest(e.db, "app", "c", "a_1", id); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(t, "app", bson.D{{Key: "validate", Value: "c"}, {Key: "full", Value: true}})
	if r.Lookup("valid").Boolean() || r.Lookup("indexDetails", "a_1", "valid").Boolean() || !r.Lookup("indexDetails", "_id_", "valid").Boolean() {
		t.Fatalf("a damaged index validates: %v", r)
	}
	missing := mustValues(t, r, "missingIndexEntries")
	extra := mustValues(t, r, "extraIndexEntries")
	if len(missing) != 1 || len(extra) != 1 || len(mustValues(t, r, "errors")) == 0 {
		t.Fatalf("missing %v extra %v errors %v", missing, extra, r.Lookup("errors"))
	}
	if got := missing[0].Document().Lookup("idKey", "_id").Int32(); got != 4 {
		t.Fatalf("missing entry of _id %d, want 4", got)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "validate", Value: "nope"}}); commandCode(err) != 26 {
		t.Fatalf("validate of a missing collection: %v, want NamespaceNotFound", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "validate", Value: "c"}, {Key: "full", Value: "yes"}}); commandCode(err) != 14 {
		t.Fatalf("full as a string: %v, want TypeMismatch", err)
	}
}

// mustValues returns the values of the array at path in d.
func mustValues(t *testing.T, d bson.Raw, path ...string) []bson.RawValue {
	t.Helper()
	arr, ok := d.Lookup(path...).ArrayOK()
	if !ok {
		t.Fatalf("%v is not an array in %v", path, d)
	}
	vals, err := arr.Values()
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// TestDriver_Compact compacts a collection most of whose documents were deleted: bytesFreed is reported and
// what remains is intact.
func TestDriver_Compact(t *testing.T) {
	e := newCrudEnv(t, "")
	seedAdmin(t, e, 300)
	ctx := context.Background()
	if _, err := e.client.Database("app").Collection("c").DeleteMany(ctx, bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 20}}}}); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(t, "app", bson.D{{Key: "compact", Value: "c"}})
	if v, ok := r.Lookup("bytesFreed").Int64OK(); !ok || v < 0 {
		t.Fatalf("bytesFreed %v", r)
	}
	if n, err := e.client.Database("app").Collection("c").CountDocuments(ctx, bson.D{}); err != nil || n != 20 {
		t.Fatalf("count after compact %d, %v", n, err)
	}
	if r := e.mustRun(t, "app", bson.D{{Key: "validate", Value: "c"}}); !r.Lookup("valid").Boolean() {
		t.Fatalf("invalid after compact: %v", r)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "compact", Value: "nope"}}); commandCode(err) != 26 {
		t.Fatalf("compact of a missing collection: %v", err)
	}
}

// TestDriver_DataSize sums the documents of a whole collection and of an index range [min, max).
func TestDriver_DataSize(t *testing.T) {
	e := newCrudEnv(t, "")
	seedAdmin(t, e, 10)
	ctx := context.Background()
	sizes := map[int32]int64{}
	var total int64
	cur, err := e.client.Database("app").Collection("c").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	for cur.Next(ctx) {
		sizes[cur.Current.Lookup("_id").Int32()] = int64(len(cur.Current))
		total += int64(len(cur.Current))
	}
	r := e.mustRun(t, "admin", bson.D{{Key: "dataSize", Value: "app.c"}})
	if lookupInt(t, r, "size") != total || lookupInt(t, r, "numObjects") != 10 {
		t.Fatalf("whole collection: %v, want size %d", r, total)
	}
	if _, ok := r.Lookup("millis").Int64OK(); !ok {
		t.Fatalf("millis %v", r)
	}
	r = e.mustRun(t, "admin", bson.D{{Key: "dataSize", Value: "app.c"}, {Key: "keyPattern", Value: bson.D{{Key: "a", Value: 1}}},
		{Key: "min", Value: bson.D{{Key: "a", Value: 3}}}, {Key: "max", Value: bson.D{{Key: "a", Value: 6}}}})
	if want := sizes[3] + sizes[4] + sizes[5]; lookupInt(t, r, "size") != want || lookupInt(t, r, "numObjects") != 3 {
		t.Fatalf("range [3, 6): %v, want size %d", r, want)
	}
	r = e.mustRun(t, "admin", bson.D{{Key: "dataSize", Value: "app.none"}})
	if lookupInt(t, r, "size") != 0 || lookupInt(t, r, "numObjects") != 0 {
		t.Fatalf("missing collection: %v", r)
	}
}

// TestDriver_Top counts the operations run on a namespace by kind, with their times.
func TestDriver_Top(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("app").Collection("t")
	for i := 0; i < 2; i++ {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: i}}).Err(); err != nil && err != mongo.ErrNoDocuments {
			t.Fatal(err)
		}
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 0}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.CountDocuments(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	r := e.mustRun(t, "admin", bson.D{{Key: "top", Value: 1}})
	if note, _ := r.Lookup("totals", "note").StringValueOK(); note != "all times in microseconds" {
		t.Fatalf("note %q", note)
	}
	want := map[string]int64{"total": 8, "readLock": 4, "writeLock": 4, "queries": 3, "getmore": 0, "insert": 2,
		"update": 1, "remove": 1, "commands": 1}
	for slot, n := range want {
		if got := lookupInt(t, r, "totals", "app.t", slot, "count"); got != n {
			t.Errorf("%s.count = %d, want %d", slot, got, n)
		}
		if _, err := r.LookupErr("totals", "app.t", slot, "time"); err != nil {
			t.Errorf("%s.time missing", slot)
		}
	}
	if _, err := e.run(t, "app", bson.D{{Key: "top", Value: 1}}); commandCode(err) != 13 {
		t.Fatalf("top outside admin: %v, want Unauthorized", err)
	}
}

// TestDriver_FsyncLock holds the fsync lock while clients write and read concurrently: writes wait until
// fsyncUnlock (or fail at their maxTimeMS), reads go on, and lockCount counts the holds. Run it under -race.
func TestDriver_FsyncLock(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := e.client.Database("app").Collection("f")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	if r := e.mustRun(t, "admin", bson.D{{Key: "fsync", Value: 1}}); lookupInt(t, r, "numFiles") != 1 {
		t.Fatalf("fsync %v", r)
	}
	r := e.mustRun(t, "admin", bson.D{{Key: "fsync", Value: 1}, {Key: "lock", Value: true}})
	if lookupInt(t, r, "lockCount") != 1 {
		t.Fatalf("fsync lock: %v", r)
	}
	const writers = 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i := 1; i <= writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}}); err != nil {
				t.Errorf("insert %d: %v", i, err)
			}
			mu.Lock()
			done++
			mu.Unlock()
		}(i)
	}
	// Reads go on under the lock.
	for i := 0; i < 5; i++ {
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 0}}).Err(); err != nil {
			t.Fatalf("read under the fsync lock: %v", err)
		}
	}
	_, err := e.run(t, "app", bson.D{{Key: "insert", Value: "f"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 99}}}}, {Key: "maxTimeMS", Value: 50}})
	if commandCode(err) != 50 {
		t.Fatalf("write with maxTimeMS under the lock: %v, want MaxTimeMSExpired", err)
	}
	if r := e.mustRun(t, "admin", bson.D{{Key: "fsync", Value: 1}, {Key: "lock", Value: true}}); lookupInt(t, r, "lockCount") != 2 {
		t.Fatalf("second lock: %v", r)
	}
	mu.Lock()
	if done != 0 {
		t.Fatalf("%d writes completed under the fsync lock", done)
	}
	mu.Unlock()
	if n, _ := coll.CountDocuments(ctx, bson.D{}); n != 1 {
		t.Fatalf("%d documents under the lock, want 1", n)
	}
	if r := e.mustRun(t, "admin", bson.D{{Key: "fsyncUnlock", Value: 1}}); lookupInt(t, r, "lockCount") != 1 {
		t.Fatalf("first unlock: %v", r)
	}
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	if done != 0 {
		t.Fatalf("%d writes completed while one hold remains", done)
	}
	mu.Unlock()
	if r := e.mustRun(t, "admin", bson.D{{Key: "fsyncUnlock", Value: 1}}); lookupInt(t, r, "lockCount") != 0 {
		t.Fatalf("second unlock: %v", r)
	}
	wg.Wait()
	if n, _ := coll.CountDocuments(ctx, bson.D{}); n != 1+writers {
		t.Fatalf("%d documents after unlock, want %d", n, 1+writers)
	}
	if _, err := e.run(t, "admin", bson.D{{Key: "fsyncUnlock", Value: 1}}); commandCode(err) != 20 {
		t.Fatalf("unlock when not locked: %v, want IllegalOperation", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "fsync", Value: 1}}); commandCode(err) != 13 {
		t.Fatalf("fsync outside admin: %v, want Unauthorized", err)
	}
}

// TestDriver_FeatureCompatibilityVersion sets the FCV down and up with mongod's confirmations and refusals,
// and reads it back from getParameter and from its stored document.
func TestDriver_FeatureCompatibilityVersion(t *testing.T) {
	e := newCrudEnv(t, "")
	fcv := func() string {
		r := e.mustRun(t, "admin", bson.D{{Key: "getParameter", Value: 1}, {Key: "featureCompatibilityVersion", Value: 1}})
		return r.Lookup("featureCompatibilityVersion", "version").StringValue()
	}
	if v := fcv(); v != "7.0" {
		t.Fatalf("initial FCV %q", v)
	}
	set := func(v string, confirm bool) error {
		cmd := bson.D{{Key: "setFeatureCompatibilityVersion", Value: v}}
		if confirm {
			cmd = append(cmd, bson.E{Key: "confirm", Value: true})
		}
		_, err := e.run(t, "admin", cmd)
		return err
	}
	err := set("6.0", false)
	if commandCode(err) != 7369100 || !strings.Contains(err.Error(), "FCV downgrade") {
		t.Fatalf("downgrade without confirm: %v", err)
	}
	if err := set("6.0", true); err != nil {
		t.Fatal(err)
	}
	if v := fcv(); v != "6.0" {
		t.Fatalf("FCV after downgrade %q", v)
	}
	var stored struct{ Version string }
	if err := e.db.Database("admin").Collection("system.version").FindOne(context.Background(), bson.D{{Key: "_id", Value: "featureCompatibilityVersion"}}).Decode(&stored); err != nil || stored.Version != "6.0" {
		t.Fatalf("stored FCV %+v, %v", stored, err)
	}
	if err := set("7.0", false); commandCode(err) != 7369100 || !strings.Contains(err.Error(), "Once you have upgraded to 7.0") {
		t.Fatalf("upgrade without confirm: %v", err)
	}
	if err := set("5.0", true); commandCode(err) != 4926900 {
		t.Fatalf("unknown version: %v", err)
	}
	if err := set("6.3", true); commandCode(err) != 5147403 {
		t.Fatalf("last continuous: %v", err)
	}
	if err := set("7.0", true); err != nil {
		t.Fatal(err)
	}
	if v := fcv(); v != "7.0" {
		t.Fatalf("FCV after upgrade %q", v)
	}
	if _, err := e.run(t, "admin", bson.D{{Key: "setFeatureCompatibilityVersion", Value: 7}, {Key: "confirm", Value: true}}); commandCode(err) != 14 {
		t.Fatalf("numeric version: %v", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "setFeatureCompatibilityVersion", Value: "7.0"}, {Key: "confirm", Value: true}}); commandCode(err) != 13 {
		t.Fatalf("outside admin: %v", err)
	}
}

// TestDriver_HostCommands covers connPoolStats, logRotate and the listing of the administration commands.
func TestDriver_HostCommands(t *testing.T) {
	e := newCrudEnv(t, "")
	r := e.mustRun(t, "admin", bson.D{{Key: "connPoolStats", Value: 1}})
	for _, f := range []string{"numClientConnections", "totalInUse", "totalAvailable", "totalCreated"} {
		if lookupInt(t, r, f) != 0 {
			t.Errorf("%s = %v", f, r.Lookup(f))
		}
	}
	if _, ok := r.Lookup("pools").DocumentOK(); !ok {
		t.Errorf("pools %v", r)
	}
	e.mustRun(t, "admin", bson.D{{Key: "logRotate", Value: 1}})
	e.mustRun(t, "admin", bson.D{{Key: "logRotate", Value: "server"}})
	if _, err := e.run(t, "admin", bson.D{{Key: "logRotate", Value: "audit"}}); commandCode(err) != 4 {
		t.Fatalf("audit rotate: %v", err)
	}
	if _, err := e.run(t, "app", bson.D{{Key: "logRotate", Value: 1}}); commandCode(err) != 13 {
		t.Fatalf("logRotate outside admin: %v", err)
	}
	cmds := e.mustRun(t, "admin", bson.D{{Key: "listCommands", Value: 1}})
	for _, name := range []string{"validate", "compact", "dataSize", "top", "fsync", "fsyncUnlock",
		"setFeatureCompatibilityVersion", "connPoolStats", "logRotate"} {
		if _, err := cmds.LookupErr("commands", name); err != nil {
			t.Errorf("listCommands lacks %s", name)
		}
	}
}
