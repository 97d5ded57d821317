package server

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// naturalIDs returns the _ids of coll in natural order.
func naturalIDs(t *testing.T, coll *mongo.Collection) []int32 {
	t.Helper()
	cur, err := coll.Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for cur.Next(context.Background()) {
		ids = append(ids, cur.Current.Lookup("_id").Int32())
	}
	return ids
}

func TestDriver_Capped_CreateValidation(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("capv")
	for _, c := range []struct {
		name string
		cmd  bson.D
		code int32
	}{
		{"capped without size", bson.D{{Key: "create", Value: "a"}, {Key: "capped", Value: true}}, 72},
		{"size without capped", bson.D{{Key: "create", Value: "a"}, {Key: "size", Value: 4096}}, 72},
		{"max without capped", bson.D{{Key: "create", Value: "a"}, {Key: "max", Value: 5}}, 72},
		{"size zero", bson.D{{Key: "create", Value: "a"}, {Key: "capped", Value: true}, {Key: "size", Value: 0}}, 51024},
		{"size past 1 PB", bson.D{{Key: "create", Value: "a"}, {Key: "capped", Value: true}, {Key: "size", Value: int64(1<<50 + 1)}}, 51024},
		{"max of 2^31", bson.D{{Key: "create", Value: "a"}, {Key: "capped", Value: true}, {Key: "size", Value: 4096}, {Key: "max", Value: int64(1 << 31)}}, 51024},
	} {
		err := db.RunCommand(ctx, c.cmd).Err()
		if code, _ := serverError(t, err); code != c.code {
			t.Errorf("%s: code %d, want %d", c.name, code, c.code)
		}
	}
	if err := db.RunCommand(ctx, bson.D{{Key: "create", Value: "ok"}, {Key: "capped", Value: true}, {Key: "size", Value: 1000}, {Key: "max", Value: 3}}).Err(); err != nil {
		t.Fatal(err)
	}
	specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: "ok"}})
	if err != nil || len(specs) != 1 {
		t.Fatal(specs, err)
	}
	if got := specs[0].Options.String(); got != `{"capped": true,"size": {"$numberLong":"1024"},"max": {"$numberLong":"3"}}` {
		t.Fatalf("options %s: size must be rounded up to 1024", got)
	}
	var st bson.Raw
	if st, err = db.RunCommand(ctx, bson.D{{Key: "collStats", Value: "ok"}}).Raw(); err != nil {
		t.Fatal(err)
	}
	if !st.Lookup("capped").Boolean() || st.Lookup("maxSize").AsInt64() != 1024 || st.Lookup("max").AsInt64() != 3 {
		t.Fatalf("collStats: %s", st)
	}
}

func TestDriver_Capped_EvictsOldestInInsertionOrder(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("capped")
	if err := db.CreateCollection(ctx, "byMax", options.CreateCollection().SetCapped(true).SetSizeInBytes(1<<20).SetMaxDocuments(3)); err != nil {
		t.Fatal(err)
	}
	coll := db.Collection("byMax")
	// _ids out of order: natural order is insertion order, not _id order.
	for _, id := range []int32{5, 1, 4} {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(naturalIDs(t, coll)); got != "[5 1 4]" {
		t.Fatalf("natural order %s, want [5 1 4]", got)
	}
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: int32(2)}}, bson.D{{Key: "_id", Value: int32(3)}}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(naturalIDs(t, coll)); got != "[4 2 3]" {
		t.Fatalf("after two more inserts %s, want [4 2 3]", got)
	}
	// Deletes are allowed (mongod 5.0.7 and later); an _id inserted again goes last.
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: int32(4)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: int32(4)}}, bson.D{{Key: "_id", Value: int32(6)}}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(naturalIDs(t, coll)); got != "[3 4 6]" {
		t.Fatalf("after delete and reinsert %s, want [3 4 6]", got)
	}

	// By size: 1024 bytes hold 9 documents of 100 bytes.
	if err := db.CreateCollection(ctx, "bySize", options.CreateCollection().SetCapped(true).SetSizeInBytes(1024)); err != nil {
		t.Fatal(err)
	}
	sized := db.Collection("bySize")
	pad := string(make([]byte, 78)) // {_id: int32, p: string} of 100 bytes
	for i := int32(0); i < 20; i++ {
		doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "p", Value: pad}})
		if len(doc) != 100 {
			t.Fatalf("document of %d bytes", len(doc))
		}
		if _, err := sized.InsertOne(ctx, bson.Raw(doc)); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(naturalIDs(t, sized)); got != "[10 11 12 13 14 15 16 17 18 19]" {
		t.Fatalf("by size %s", got)
	}
	big, _ := bson.Marshal(bson.D{{Key: "_id", Value: 99}, {Key: "p", Value: string(make([]byte, 2000))}})
	if _, err := sized.InsertOne(ctx, bson.Raw(big)); err == nil {
		t.Fatal("a document larger than the capped size was inserted")
	}

	// Writes in a transaction are refused.
	sess, err := e.client.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(sc context.Context) (any, error) {
		return coll.InsertOne(sc, bson.D{{Key: "_id", Value: int32(100)}})
	})
	if code, _ := serverError(t, err); code != 263 {
		t.Fatalf("insert into a capped collection in a transaction: code %d, want 263", code)
	}
}

func TestDriver_Capped_ConcurrentInsertsKeepTheBound(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("cappedrace")
	const max = 10
	if err := db.CreateCollection(ctx, "c", options.CreateCollection().SetCapped(true).SetSizeInBytes(1<<20).SetMaxDocuments(max)); err != nil {
		t.Fatal(err)
	}
	coll := db.Collection("c")
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(w*1000 + i)}, {Key: "w", Value: int32(w)}, {Key: "i", Value: int32(i)}}); err != nil {
					errs <- err
					return
				}
				if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n > max {
					errs <- fmt.Errorf("count %d (%v) past max %d", n, err, max)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.Raw
	for cur.Next(ctx) {
		docs = append(docs, append(bson.Raw(nil), cur.Current...))
	}
	if len(docs) != max {
		t.Fatalf("%d documents left, want %d", len(docs), max)
	}
	// Per writer, the survivors are its last inserts, in its order: natural order is insertion order.
	last := map[int32]int32{}
	for _, d := range docs {
		w, i := d.Lookup("w").Int32(), d.Lookup("i").Int32()
		if prev, ok := last[w]; ok && i != prev+1 {
			t.Fatalf("writer %d: %d follows %d in natural order", w, i, prev)
		}
		last[w] = i
	}
	for w, i := range last {
		if i != each-1 {
			t.Fatalf("writer %d's last insert %d was removed while older ones stayed", w, each-1)
		}
	}
}

func TestDriver_Capped_TailableCursorReadsLaterInserts(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("tail")
	if err := db.CreateCollection(ctx, "c", options.CreateCollection().SetCapped(true).SetSizeInBytes(4096).SetMaxDocuments(3)); err != nil {
		t.Fatal(err)
	}
	coll := db.Collection("c")
	if _, err := coll.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: int32(1)}}, bson.D{{Key: "_id", Value: int32(2)}}}); err != nil {
		t.Fatal(err)
	}
	cur, err := coll.Find(ctx, bson.D{}, options.Find().SetCursorType(options.Tailable).SetBatchSize(2))
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close(ctx)
	var got []int32
	for i := 0; i < 2 && cur.TryNext(ctx); i++ {
		got = append(got, cur.Current.Lookup("_id").Int32())
	}
	if cur.TryNext(ctx) || cur.ID() == 0 {
		t.Fatalf("an exhausted tailable cursor must stay open with nothing new (id %d, err %v)", cur.ID(), cur.Err())
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(3)}}); err != nil {
		t.Fatal(err)
	}
	if !cur.TryNext(ctx) {
		t.Fatalf("the tailable cursor missed a later insert: %v", cur.Err())
	}
	got = append(got, cur.Current.Lookup("_id").Int32())
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("tailed %v", got)
	}
	_, err = coll.Find(ctx, bson.D{}, options.Find().SetCursorType(options.Tailable).SetSort(bson.D{{Key: "_id", Value: 1}}))
	if code, _ := serverError(t, err); code != 2 {
		t.Fatalf("tailable with a sort: code %d", code)
	}
	if _, err := e.client.Database("tail").Collection("plain").InsertOne(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Database("tail").Collection("plain").Find(ctx, bson.D{}, options.Find().SetCursorType(options.Tailable))
	if code, _ := serverError(t, err); code != 2 {
		t.Fatalf("tailable on a collection that is not capped: code %d", code)
	}
}

func TestDriver_Clustered_ListedAsMongodListsIt(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("clu")
	create := func(name string, spec bson.D) error {
		return db.RunCommand(ctx, bson.D{{Key: "create", Value: name}, {Key: "clusteredIndex", Value: spec}}).Err()
	}
	if err := create("c", bson.D{{Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "unique", Value: true}, {Key: "name", Value: "by id"}}); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]bson.D{
		"key other than _id": {{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "unique", Value: true}},
		"unique false":       {{Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "unique", Value: false}},
		"unique missing":     {{Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}},
	} {
		if err := create("bad", bad); err == nil {
			t.Errorf("%s: created", name)
		}
	}
	specs, err := db.ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: "c"}})
	if err != nil || len(specs) != 1 {
		t.Fatal(specs, err)
	}
	if got := specs[0].Options.Lookup("clusteredIndex").String(); got != `{"v": {"$numberInt":"2"},"key": {"_id": {"$numberInt":"1"}},"name": "by id","unique": true}` {
		t.Fatalf("listCollections options.clusteredIndex %s", got)
	}
	cur, err := db.Collection("c").Indexes().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ixs []bson.Raw
	for cur.Next(ctx) {
		ixs = append(ixs, append(bson.Raw(nil), cur.Current...))
	}
	if len(ixs) != 1 || ixs[0].String() != `{"v": {"$numberInt":"2"},"key": {"_id": {"$numberInt":"1"}},"name": "by id","unique": true,"clustered": true}` {
		t.Fatalf("listIndexes %v", ixs)
	}
	if _, err := db.Collection("c").InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "_id", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err == nil {
		t.Fatal("a duplicate _id was inserted into a clustered collection")
	}
}
