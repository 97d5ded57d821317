package concord_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// openTest opens an in-memory DB closed at the end of the test.
func openTest(t testing.TB) *concord.DB {
	t.Helper()
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestDB_Open_InMemoryNilOptions(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := db.TransactionLifetime(); got != 60*time.Second {
		t.Errorf("default TransactionLifetime = %v, want 60s", got)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
}

func TestDB_Open_PersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	coll := db.Database("app").Collection("items")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "name", Value: "kept"}}); err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "name", Value: 1}}, Unique: true}); err != nil {
		t.Fatalf("CreateIndex: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db, err = concord.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	coll = db.Database("app").Collection("items")
	var doc struct {
		ID   int    `bson:"_id"`
		Name string `bson:"name"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil {
		t.Fatalf("FindOne after reopen: %v", err)
	}
	if doc.Name != "kept" {
		t.Errorf("name = %q, want kept", doc.Name)
	}
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "name", Value: "kept"}})
	if !concord.IsDuplicateKey(err) {
		t.Errorf("unique index after reopen: err = %v, want DuplicateKey", err)
	}
}

func TestDB_Close_OperationsReturnErrClosed(t *testing.T) {
	ctx := context.Background()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	coll := db.Database("d").Collection("c")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		err  error
	}{
		{"InsertOne", func() error { _, err := coll.InsertOne(ctx, bson.D{}); return err }()},
		{"Find", func() error { _, err := coll.Find(ctx, nil); return err }()},
		{"FindOne", coll.FindOne(ctx, nil).Err()},
		{"UpdateOne", func() error {
			_, err := coll.UpdateOne(ctx, nil, bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}})
			return err
		}()},
		{"DeleteMany", func() error { _, err := coll.DeleteMany(ctx, nil); return err }()},
		{"StartSession", func() error { _, err := db.StartSession(); return err }()},
		{"ListDatabaseNames", func() error { _, err := db.ListDatabaseNames(ctx); return err }()},
		{"CreateIndex", func() error {
			_, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}})
			return err
		}()},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !errors.Is(c.err, concord.ErrClosed) {
				t.Errorf("err = %v, want ErrClosed", c.err)
			}
		})
	}
}

func TestDB_ListDatabases(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, name := range []string{"zeta", "alpha"} {
		if _, err := db.Database(name).Collection("c").InsertOne(ctx, bson.D{{Key: "x", Value: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	names, err := db.ListDatabaseNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "alpha" || names[1] != "zeta" {
		t.Errorf("ListDatabaseNames = %v, want [alpha zeta]", names)
	}
	if err := db.Database("zeta").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	names, err = db.ListDatabaseNames(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "alpha" {
		t.Errorf("after Drop: ListDatabaseNames = %v, want [alpha]", names)
	}
}

func TestDatabase_ListCollectionNames_Filter(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	d := db.Database("d")
	for _, name := range []string{"orders", "items", "audit"} {
		if err := d.CreateCollection(ctx, name); err != nil {
			t.Fatalf("CreateCollection %s: %v", name, err)
		}
	}
	err := d.CreateCollection(ctx, "items")
	var ce *concord.Error
	if !errors.As(err, &ce) || ce.Code != 48 {
		t.Errorf("CreateCollection existing: err = %v, want NamespaceExists (48)", err)
	}
	tests := []struct {
		name   string
		filter any
		want   []string
	}{
		{"nil", nil, []string{"audit", "items", "orders"}},
		{"by name", bson.D{{Key: "name", Value: "items"}}, []string{"items"}},
		{"by regex", bson.D{{Key: "name", Value: bson.Regex{Pattern: "^o"}}}, []string{"orders"}},
		{"by type", bson.M{"type": "collection"}, []string{"audit", "items", "orders"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.ListCollectionNames(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestDB_Metrics_Counters(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	coll := db.Database("d").Collection("c")
	before := db.Metrics()
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		return coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}})
	}); err != nil {
		t.Fatal(err)
	}
	after := db.Metrics()
	deltas := []struct {
		name string
		got  int64
		want int64
	}{
		{"opcounters.insert", after.Opcounters.Insert - before.Opcounters.Insert, 2},
		{"opcounters.update", after.Opcounters.Update - before.Opcounters.Update, 1},
		{"opcounters.query", after.Opcounters.Query - before.Opcounters.Query, 1},
		{"opcounters.delete", after.Opcounters.Delete - before.Opcounters.Delete, 1},
		// Commands and getMores are a front end's to count (frontend.CountCommand); the API runs neither.
		{"opcounters.command", after.Opcounters.Command - before.Opcounters.Command, 0},
		{"opcounters.getmore", after.Opcounters.Getmore - before.Opcounters.Getmore, 0},
		{"document.inserted", after.Document.Inserted - before.Document.Inserted, 2},
		{"document.deleted", after.Document.Deleted - before.Document.Deleted, 1},
		{"transactions.totalStarted", after.Transactions.TotalStarted - before.Transactions.TotalStarted, 1},
		{"transactions.totalCommitted", after.Transactions.TotalCommitted - before.Transactions.TotalCommitted, 1},
		{"transactions.currentOpen", after.Transactions.CurrentOpen, 0},
	}
	for _, d := range deltas {
		if d.got != d.want {
			t.Errorf("%s delta = %d, want %d", d.name, d.got, d.want)
		}
	}
}

func TestDB_SetTransactionLifetime_AbortsOldTransactions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	db.SetTransactionLifetime(time.Second)
	if got := db.TransactionLifetime(); got != time.Second {
		t.Fatalf("TransactionLifetime = %v, want 1s", got)
	}
	coll := db.Database("d").Collection("c")
	s, err := db.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.EndSession(ctx)
	if err := s.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	sctx := concord.NewSessionContext(ctx, s)
	if _, err := coll.InsertOne(sctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	// The reaper runs every second at this limit: within a few periods the
	// transaction must be gone.
	deadline := time.Now().Add(10 * time.Second)
	for db.Metrics().Transactions.CurrentOpen != 0 {
		if time.Now().After(deadline) {
			t.Fatal("transaction still open 10s after a 1s lifetime")
		}
		time.Sleep(50 * time.Millisecond)
	}
	err = s.CommitTransaction(ctx)
	if !concord.IsTransientTransactionError(err) {
		t.Errorf("commit of an expired transaction: err = %v, want a TransientTransactionError", err)
	}
	if n, err := coll.CountDocuments(ctx, nil); err != nil || n != 0 {
		t.Errorf("CountDocuments = %d, %v; want 0 (expired transaction discarded)", n, err)
	}
}

func TestDatabase_CollectionUUID_SurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	uuidOf := func(db *concord.DB, name string) [16]byte {
		t.Helper()
		specs, err := db.Database("u").ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: name}})
		if err != nil || len(specs) != 1 {
			t.Fatalf("ListCollectionSpecifications: %v %v", specs, err)
		}
		return specs[0].UUID
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Database("u").CreateCollection(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	before := uuidOf(db, "c")
	if before == ([16]byte{}) {
		t.Fatal("a new collection has no UUID")
	}
	db.Close()
	if db, err = concord.Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if after := uuidOf(db, "c"); after != before {
		t.Fatalf("UUID %x became %x across a restart", before, after)
	}
}

func TestCollection_Capped_OrderSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	ids := func(db *concord.DB) string {
		t.Helper()
		cur, err := db.Database("cap").Collection("c").Find(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for cur.Next(ctx) {
			out = append(out, cur.Current.Lookup("_id").String())
		}
		return strings.Join(out, " ")
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Database("cap").CreateCollection(ctx, "c", concord.CollectionOptions{Capped: true, Size: 4096, Max: 3}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int32{3, 1, 2} {
		if _, err := db.Database("cap").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if db, err = concord.Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := ids(db); got != `{"$numberInt":"3"} {"$numberInt":"1"} {"$numberInt":"2"}` {
		t.Fatalf("natural order after a restart: %s", got)
	}
	if _, err := db.Database("cap").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: int32(0)}}); err != nil {
		t.Fatal(err)
	}
	if got := ids(db); got != `{"$numberInt":"1"} {"$numberInt":"2"} {"$numberInt":"0"}` {
		t.Fatalf("after an insert past max: %s", got)
	}
}
