package concord_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type person struct {
	ID   int    `bson:"_id"`
	Name string `bson:"name"`
	Age  int    `bson:"age"`
}

// people fills a collection with five documents, _id 1..5.
func people(t *testing.T) *concord.Collection {
	t.Helper()
	coll := openTest(t).Database("d").Collection("people")
	docs := []any{
		person{1, "ann", 31},
		person{2, "bob", 25},
		person{3, "cid", 40},
		person{4, "dee", 25},
		person{5, "eve", 35},
	}
	if _, err := coll.InsertMany(context.Background(), docs); err != nil {
		t.Fatalf("InsertMany: %v", err)
	}
	return coll
}

// ids returns the _id of every document of cur.
func ids(t *testing.T, cur *concord.Cursor) []int32 {
	t.Helper()
	ctx := context.Background()
	var out []int32
	for cur.Next(ctx) {
		out = append(out, cur.Current.Lookup("_id").Int32())
	}
	if err := cur.Err(); err != nil {
		t.Fatalf("cursor: %v", err)
	}
	return out
}

func d(kv ...any) bson.D {
	doc := bson.D{}
	for i := 0; i < len(kv); i += 2 {
		doc = append(doc, bson.E{Key: kv[i].(string), Value: kv[i+1]})
	}
	return doc
}

func TestCollection_CRUDRoundTrip(t *testing.T) {
	ctx := context.Background()
	coll := openTest(t).Database("d").Collection("c")

	res, err := coll.InsertOne(ctx, d("name", "ann", "age", 31))
	if err != nil {
		t.Fatalf("InsertOne: %v", err)
	}
	oid, ok := res.InsertedID.(bson.ObjectID)
	if !ok || oid.IsZero() {
		t.Fatalf("InsertedID = %#v, want a generated bson.ObjectID", res.InsertedID)
	}

	var got struct {
		ID   bson.ObjectID `bson:"_id"`
		Name string        `bson:"name"`
		Age  int           `bson:"age"`
	}
	if err := coll.FindOne(ctx, d("_id", oid)).Decode(&got); err != nil {
		t.Fatalf("FindOne: %v", err)
	}
	if got.ID != oid || got.Name != "ann" || got.Age != 31 {
		t.Fatalf("FindOne = %+v", got)
	}

	up, err := coll.UpdateOne(ctx, d("_id", oid), d("$inc", d("age", 1)))
	if err != nil {
		t.Fatalf("UpdateOne: %v", err)
	}
	if up.MatchedCount != 1 || up.ModifiedCount != 1 || up.UpsertedCount != 0 || up.UpsertedID != nil {
		t.Fatalf("UpdateOne = %+v", up)
	}
	if err := coll.FindOne(ctx, d("_id", oid)).Decode(&got); err != nil || got.Age != 32 {
		t.Fatalf("after update: %+v, %v", got, err)
	}

	del, err := coll.DeleteOne(ctx, d("_id", oid))
	if err != nil || del.DeletedCount != 1 {
		t.Fatalf("DeleteOne = %+v, %v", del, err)
	}
	if err := coll.FindOne(ctx, d("_id", oid)).Err(); !errors.Is(err, concord.ErrNoDocuments) {
		t.Fatalf("FindOne after delete: err = %v, want ErrNoDocuments", err)
	}
}

func TestCollection_InsertOne_IDs(t *testing.T) {
	ctx := context.Background()
	coll := openTest(t).Database("d").Collection("c")
	tests := []struct {
		name string
		doc  any
		want any
	}{
		{"string id", d("_id", "x", "a", 1), "x"},
		{"int32 id", d("_id", int32(7)), int32(7)},
		{"int64 id", bson.M{"_id": int64(8)}, int64(8)},
		{"document id", d("_id", d("k", "v")), d("k", "v")},
		{"raw with id", mustRaw(t, d("_id", "raw")), "raw"},
		{"struct id", person{ID: 9, Name: "n"}, int32(9)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := coll.InsertOne(ctx, tc.doc)
			if err != nil {
				t.Fatalf("InsertOne: %v", err)
			}
			if !reflect.DeepEqual(res.InsertedID, tc.want) {
				t.Fatalf("InsertedID = %#v, want %#v", res.InsertedID, tc.want)
			}
			if err := coll.FindOne(ctx, d("_id", tc.want)).Err(); err != nil {
				t.Fatalf("FindOne by InsertedID: %v", err)
			}
		})
	}
}

func mustRaw(t *testing.T, v any) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCollection_InsertOne_DuplicateKey(t *testing.T) {
	ctx := context.Background()
	coll := openTest(t).Database("d").Collection("c")
	if _, err := coll.InsertOne(ctx, d("_id", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := coll.InsertOne(ctx, d("_id", 1))
	var e *concord.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %#v, want *concord.Error", err)
	}
	if e.Code != 11000 || e.CodeName() != "DuplicateKey" || !concord.IsDuplicateKey(err) {
		t.Errorf("err = %v, want DuplicateKey (11000)", err)
	}
	if !reflect.DeepEqual(e.KeyValue, d("_id", int32(1))) {
		t.Errorf("KeyValue = %#v, want {_id: 1}", e.KeyValue)
	}
	if len(e.KeyPattern) != 1 || e.KeyPattern[0].Key != "_id" {
		t.Errorf("KeyPattern = %#v, want {_id: 1}", e.KeyPattern)
	}
	if len(e.Labels) != 0 {
		t.Errorf("Labels = %v, want none outside a transaction", e.Labels)
	}

	// A unique secondary index reports its own pattern and value.
	if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: d("email", 1), Unique: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.InsertOne(ctx, d("_id", 2, "email", "a@x")); err != nil {
		t.Fatal(err)
	}
	_, err = coll.InsertOne(ctx, d("_id", 3, "email", "a@x"))
	if !errors.As(err, &e) || e.Code != 11000 {
		t.Fatalf("err = %v, want DuplicateKey", err)
	}
	if !reflect.DeepEqual(e.KeyValue, d("email", "a@x")) {
		t.Errorf("KeyValue = %#v, want {email: \"a@x\"}", e.KeyValue)
	}
}

func TestCollection_InsertMany_BulkWriteError(t *testing.T) {
	ctx := context.Background()
	falseV := false
	tests := []struct {
		name      string
		opts      *concord.InsertManyOptions
		wantIDs   []any
		wantIndex []int
		wantCount int64
	}{
		{"ordered stops at first failure", nil, []any{int32(1), int32(2)}, []int{2}, 2},
		{"unordered tries every document", &concord.InsertManyOptions{Ordered: &falseV},
			[]any{int32(1), int32(2), int32(3)}, []int{2, 4}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			coll := openTest(t).Database("d").Collection("c")
			docs := []any{d("_id", 1), d("_id", 2), d("_id", 1), d("_id", 3), d("_id", 2)}
			res, err := coll.InsertMany(ctx, docs, tc.opts)
			var bwe *concord.BulkWriteError
			if !errors.As(err, &bwe) {
				t.Fatalf("err = %v, want *BulkWriteError", err)
			}
			if !concord.IsDuplicateKey(err) {
				t.Errorf("IsDuplicateKey(%v) = false", err)
			}
			var idx []int
			for _, we := range bwe.WriteErrors {
				idx = append(idx, we.Index)
				if we.Err.Code != 11000 {
					t.Errorf("write error %d: %v, want DuplicateKey", we.Index, we.Err)
				}
			}
			if !reflect.DeepEqual(idx, tc.wantIndex) {
				t.Errorf("write error indexes = %v, want %v", idx, tc.wantIndex)
			}
			if res == nil || !reflect.DeepEqual(res.InsertedIDs, tc.wantIDs) {
				t.Errorf("InsertedIDs = %#v, want %#v", res, tc.wantIDs)
			}
			if n, err := coll.CountDocuments(ctx, nil); err != nil || n != tc.wantCount {
				t.Errorf("CountDocuments = %d, %v; want %d", n, err, tc.wantCount)
			}
		})
	}
}

func TestCollection_InsertMany_GeneratesIDs(t *testing.T) {
	ctx := context.Background()
	coll := openTest(t).Database("d").Collection("c")
	res, err := coll.InsertMany(ctx, []any{d("a", 1), d("_id", "b"), bson.M{"a": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.InsertedIDs) != 3 {
		t.Fatalf("InsertedIDs = %v", res.InsertedIDs)
	}
	for i, id := range res.InsertedIDs {
		if err := coll.FindOne(ctx, d("_id", id)).Err(); err != nil {
			t.Errorf("document %d (_id %v): %v", i, id, err)
		}
	}
	if _, ok := res.InsertedIDs[0].(bson.ObjectID); !ok {
		t.Errorf("InsertedIDs[0] = %T, want bson.ObjectID", res.InsertedIDs[0])
	}
	if res.InsertedIDs[1] != "b" {
		t.Errorf("InsertedIDs[1] = %v, want b", res.InsertedIDs[1])
	}
	if _, err := coll.InsertMany(ctx, nil); err == nil {
		t.Error("InsertMany(nil) succeeded, want an error")
	}
}

func TestCollection_Find_Options(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	tests := []struct {
		name   string
		filter any
		opts   *concord.FindOptions
		want   []int32
	}{
		{"nil filter", nil, nil, []int32{1, 2, 3, 4, 5}},
		{"filter", d("age", 25), &concord.FindOptions{Sort: d("_id", 1)}, []int32{2, 4}},
		{"sort desc", nil, &concord.FindOptions{Sort: d("age", -1, "_id", 1)}, []int32{3, 5, 1, 2, 4}},
		{"skip limit", nil, &concord.FindOptions{Sort: d("_id", 1), Skip: 1, Limit: 2}, []int32{2, 3}},
		{"negative limit", nil, &concord.FindOptions{Sort: d("_id", -1), Limit: -2}, []int32{5, 4}},
		{"operator", d("age", d("$gt", 30)), &concord.FindOptions{Sort: d("_id", 1)}, []int32{1, 3, 5}},
		{"bson.M filter", bson.M{"name": "eve"}, nil, []int32{5}},
		{"raw filter", mustRaw(t, d("name", "cid")), nil, []int32{3}},
		{"no match", d("name", "zed"), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []*concord.FindOptions
			if tc.opts != nil {
				opts = append(opts, tc.opts)
			}
			cur, err := coll.Find(ctx, tc.filter, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, cur); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCollection_Find_Projection(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	cur, err := coll.Find(ctx, d("_id", 1), &concord.FindOptions{Projection: d("name", 1, "_id", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !cur.Next(ctx) {
		t.Fatalf("no document: %v", cur.Err())
	}
	var got bson.D
	if err := cur.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d("name", "ann")) {
		t.Errorf("projected = %v, want {name: ann}", got)
	}
	if cur.Next(ctx) {
		t.Error("second document, want one")
	}
	raw, err := coll.FindOne(ctx, d("_id", 2), &concord.FindOneOptions{Projection: d("age", 0)}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.LookupErr("age"); err == nil {
		t.Errorf("FindOne projection kept age: %v", raw)
	}
}

func TestCursor_All(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	cur, err := coll.Find(ctx, d("age", 25), &concord.FindOptions{Sort: d("_id", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if n := cur.RemainingBatchLength(); n != 2 {
		t.Errorf("RemainingBatchLength = %d, want 2", n)
	}
	var got []person
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	want := []person{{2, "bob", 25}, {4, "dee", 25}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}
	if cur.Next(ctx) {
		t.Error("Next after All returned true")
	}
	if err := cur.All(ctx, got); err == nil {
		t.Error("All with a non-pointer succeeded")
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	cur, err = coll.Find(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Next(cctx) || !errors.Is(cur.Err(), context.Canceled) {
		t.Errorf("Next with a cancelled context: err = %v, want context.Canceled", cur.Err())
	}
}

func TestCollection_FindOne_SortSkip(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	var p person
	if err := coll.FindOne(ctx, d("age", 25), &concord.FindOneOptions{Sort: d("_id", -1)}).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.ID != 4 {
		t.Errorf("sorted FindOne = %d, want 4", p.ID)
	}
	if err := coll.FindOne(ctx, nil, &concord.FindOneOptions{Sort: d("age", 1, "_id", 1), Skip: 2}).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.ID != 1 {
		t.Errorf("FindOne skip 2 = %d, want 1", p.ID)
	}
}

func TestCollection_Update_Options(t *testing.T) {
	ctx := context.Background()
	coll := people(t)

	res, err := coll.UpdateMany(ctx, d("age", 25), d("$set", d("young", true)))
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 2 {
		t.Fatalf("UpdateMany = %+v, %v", res, err)
	}
	res, err = coll.UpdateMany(ctx, d("age", 25), d("$set", d("young", true)))
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 0 {
		t.Fatalf("no-op UpdateMany = %+v, %v; want matched 2 modified 0", res, err)
	}

	res, err = coll.UpdateOne(ctx, d("_id", 10), d("$set", d("name", "new")), &concord.UpdateOptions{Upsert: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.MatchedCount != 0 || res.UpsertedCount != 1 || res.UpsertedID != int32(10) {
		t.Fatalf("upsert = %+v, want UpsertedID 10", res)
	}
	var up bson.D
	if err := coll.FindOne(ctx, d("_id", 10)).Decode(&up); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(up, d("_id", int32(10), "name", "new")) {
		t.Errorf("upserted = %v", up)
	}

	if _, err := coll.InsertOne(ctx, d("_id", 20, "grades", bson.A{80, 95, 100})); err != nil {
		t.Fatal(err)
	}
	res, err = coll.UpdateOne(ctx, d("_id", 20), d("$set", d("grades.$[g]", 0)),
		&concord.UpdateOptions{ArrayFilters: []any{d("g", d("$gte", 95))}})
	if err != nil || res.ModifiedCount != 1 {
		t.Fatalf("arrayFilters update = %+v, %v", res, err)
	}
	var g struct {
		Grades []int `bson:"grades"`
	}
	if err := coll.FindOne(ctx, d("_id", 20)).Decode(&g); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.Grades, []int{80, 0, 0}) {
		t.Errorf("grades = %v, want [80 0 0]", g.Grades)
	}

	res, err = coll.ReplaceOne(ctx, d("_id", 1), d("name", "ann2"))
	if err != nil || res.MatchedCount != 1 || res.ModifiedCount != 1 {
		t.Fatalf("ReplaceOne = %+v, %v", res, err)
	}
	var rep bson.D
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep, d("_id", int32(1), "name", "ann2")) {
		t.Errorf("replaced = %v, want {_id: 1, name: ann2}", rep)
	}
}

func TestCollection_Update_RejectsWrongDocumentKind(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	tests := []struct {
		name string
		run  func() error
		code concord.Code
		msg  string
	}{
		{"UpdateOne replacement", func() error {
			_, err := coll.UpdateOne(ctx, d("_id", 1), d("name", "x"))
			return err
		}, 9, "update document must contain key beginning with '$'"},
		{"UpdateMany replacement", func() error {
			_, err := coll.UpdateMany(ctx, nil, d("name", "x"))
			return err
		}, 9, "update document must contain key beginning with '$'"},
		{"UpdateOne empty", func() error {
			_, err := coll.UpdateOne(ctx, nil, d())
			return err
		}, 9, "update document must have at least one element"},
		{"FindOneAndUpdate replacement", func() error {
			return coll.FindOneAndUpdate(ctx, d("_id", 1), d("name", "x")).Err()
		}, 9, "update document must contain key beginning with '$'"},
		{"ReplaceOne operators", func() error {
			_, err := coll.ReplaceOne(ctx, d("_id", 1), d("$set", d("name", "x")))
			return err
		}, 2, "replacement document cannot contain keys beginning with '$'"},
		{"FindOneAndReplace operators", func() error {
			return coll.FindOneAndReplace(ctx, d("_id", 1), d("$set", d("name", "x"))).Err()
		}, 2, "replacement document cannot contain keys beginning with '$'"},
		{"pipeline update with $match", func() error {
			_, err := coll.UpdateOne(ctx, nil, bson.A{d("$match", d())})
			return err
		}, 72, "$match is not allowed to be used within an update"},
		{"pipeline update with arrayFilters", func() error {
			_, err := coll.UpdateOne(ctx, nil, bson.A{d("$set", d("a", 1))}, &concord.UpdateOptions{ArrayFilters: []any{d("x", 1)}})
			return err
		}, 9, "arrayFilters may not be specified for pipeline-style updates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var e *concord.Error
			if !errors.As(err, &e) || e.Code != tc.code || e.Message != tc.msg {
				t.Fatalf("err = %v, want code %d %q", err, tc.code, tc.msg)
			}
		})
	}
	var p person
	if err := coll.FindOne(ctx, d("_id", 1)).Decode(&p); err != nil || p.Name != "ann" {
		t.Errorf("document changed by a rejected update: %+v, %v", p, err)
	}
}

func TestCollection_FindOneAndX(t *testing.T) {
	ctx := context.Background()
	coll := people(t)

	var p person
	r := coll.FindOneAndUpdate(ctx, d("_id", 1), d("$inc", d("age", 1)))
	if err := r.Decode(&p); err != nil || p.Age != 31 {
		t.Fatalf("Before: %+v, %v; want age 31", p, err)
	}
	if n, existing, up := r.ModifyInfo(); n != 1 || !existing || up.Type != 0 {
		t.Errorf("ModifyInfo = %d %v %v", n, existing, up)
	}
	err := coll.FindOneAndUpdate(ctx, d("_id", 1), d("$inc", d("age", 1)),
		&concord.FindOneAndUpdateOptions{ReturnDocument: concord.After}).Decode(&p)
	if err != nil || p.Age != 33 {
		t.Fatalf("After: %+v, %v; want age 33", p, err)
	}
	p = person{}
	err = coll.FindOneAndUpdate(ctx, d("age", 25), d("$set", d("age", 26)),
		&concord.FindOneAndUpdateOptions{ReturnDocument: concord.After, Sort: d("_id", -1),
			Projection: d("age", 1)}).Decode(&p)
	if err != nil || p.ID != 4 || p.Age != 26 || p.Name != "" {
		t.Fatalf("sorted, projected: %+v, %v; want {4 '' 26}", p, err)
	}

	r = coll.FindOneAndUpdate(ctx, d("_id", 99), d("$set", d("name", "zed")))
	if !errors.Is(r.Err(), concord.ErrNoDocuments) {
		t.Errorf("no match: err = %v, want ErrNoDocuments", r.Err())
	}
	r = coll.FindOneAndUpdate(ctx, d("_id", 99), d("$set", d("name", "zed")),
		&concord.FindOneAndUpdateOptions{Upsert: true})
	if !errors.Is(r.Err(), concord.ErrNoDocuments) {
		t.Errorf("upsert, Before: err = %v, want ErrNoDocuments", r.Err())
	}
	if n, existing, up := r.ModifyInfo(); n != 1 || existing || up.Type == 0 || up.Int32() != 99 {
		t.Errorf("upsert ModifyInfo = %d %v %v, want 1 false 99", n, existing, up)
	}
	err = coll.FindOneAndUpdate(ctx, d("_id", 98), d("$set", d("name", "yan")),
		&concord.FindOneAndUpdateOptions{Upsert: true, ReturnDocument: concord.After}).Decode(&p)
	if err != nil || p.ID != 98 || p.Name != "yan" {
		t.Errorf("upsert, After: %+v, %v", p, err)
	}

	p = person{}
	err = coll.FindOneAndReplace(ctx, d("_id", 2), d("name", "bobby"),
		&concord.FindOneAndReplaceOptions{ReturnDocument: concord.After}).Decode(&p)
	if err != nil || p.ID != 2 || p.Name != "bobby" || p.Age != 0 {
		t.Errorf("FindOneAndReplace After: %+v, %v", p, err)
	}

	err = coll.FindOneAndDelete(ctx, nil, &concord.FindOneAndDeleteOptions{Sort: d("age", -1)}).Decode(&p)
	if err != nil || p.ID != 3 {
		t.Errorf("FindOneAndDelete oldest: %+v, %v; want _id 3", p, err)
	}
	if err := coll.FindOne(ctx, d("_id", 3)).Err(); !errors.Is(err, concord.ErrNoDocuments) {
		t.Errorf("deleted document still found: %v", err)
	}
	if err := coll.FindOneAndDelete(ctx, d("_id", 3)).Err(); !errors.Is(err, concord.ErrNoDocuments) {
		t.Errorf("FindOneAndDelete no match: %v, want ErrNoDocuments", err)
	}
}

func TestCollection_Delete(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	res, err := coll.DeleteOne(ctx, d("age", 25))
	if err != nil || res.DeletedCount != 1 {
		t.Fatalf("DeleteOne = %+v, %v", res, err)
	}
	res, err = coll.DeleteMany(ctx, d("age", d("$gte", 30)))
	if err != nil || res.DeletedCount != 3 {
		t.Fatalf("DeleteMany = %+v, %v; want 3", res, err)
	}
	res, err = coll.DeleteMany(ctx, nil)
	if err != nil || res.DeletedCount != 1 {
		t.Fatalf("DeleteMany(nil) = %+v, %v; want 1", res, err)
	}
}

func TestCollection_CountDistinctAggregate(t *testing.T) {
	ctx := context.Background()
	coll := people(t)

	counts := []struct {
		name   string
		filter any
		opts   *concord.CountOptions
		want   int64
	}{
		{"all", nil, nil, 5},
		{"filtered", d("age", 25), nil, 2},
		{"skip", nil, &concord.CountOptions{Skip: 2}, 3},
		{"limit", nil, &concord.CountOptions{Limit: 4}, 4},
		{"skip past end", nil, &concord.CountOptions{Skip: 9}, 0},
	}
	for _, tc := range counts {
		t.Run("count "+tc.name, func(t *testing.T) {
			var opts []*concord.CountOptions
			if tc.opts != nil {
				opts = append(opts, tc.opts)
			}
			n, err := coll.CountDocuments(ctx, tc.filter, opts...)
			if err != nil || n != tc.want {
				t.Errorf("CountDocuments = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
	if n, err := coll.EstimatedDocumentCount(ctx); err != nil || n != 5 {
		t.Errorf("EstimatedDocumentCount = %d, %v", n, err)
	}
	if n, err := coll.Database().Collection("missing").EstimatedDocumentCount(ctx); err != nil || n != 0 {
		t.Errorf("EstimatedDocumentCount of a missing collection = %d, %v", n, err)
	}

	vals, err := coll.Distinct(ctx, "age", d("age", d("$lt", 36)))
	if err != nil {
		t.Fatal(err)
	}
	var ages []int32
	for _, v := range vals {
		ages = append(ages, v.Int32())
	}
	if !reflect.DeepEqual(ages, []int32{25, 31, 35}) {
		t.Errorf("Distinct = %v, want [25 31 35]", ages)
	}

	pipelines := []struct {
		name     string
		pipeline any
	}{
		{"bson.A", bson.A{d("$match", d("age", 25)), d("$sort", d("_id", 1))}},
		{"[]bson.D", []bson.D{d("$match", d("age", 25)), d("$sort", d("_id", 1))}},
		{"[]bson.M", []bson.M{{"$match": bson.M{"age": 25}}, {"$sort": bson.M{"_id": 1}}}},
		{"[]any", []any{d("$match", d("age", 25)), bson.M{"$sort": bson.M{"_id": 1}}}},
		{"[]bson.Raw", []bson.Raw{mustRaw(t, d("$match", d("age", 25))), mustRaw(t, d("$sort", d("_id", 1)))}},
		{"raw array", mustRawArray(t, bson.A{d("$match", d("age", 25)), d("$sort", d("_id", 1))})},
	}
	for _, tc := range pipelines {
		t.Run("aggregate "+tc.name, func(t *testing.T) {
			cur, err := coll.Aggregate(ctx, tc.pipeline)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(t, cur); !reflect.DeepEqual(got, []int32{2, 4}) {
				t.Errorf("ids = %v, want [2 4]", got)
			}
		})
	}
	if _, err := coll.Aggregate(ctx, d("$match", d())); err == nil {
		t.Error("Aggregate with a document instead of a pipeline succeeded")
	}
}

func mustRawArray(t *testing.T, a bson.A) bson.Raw {
	t.Helper()
	_, b, err := bson.MarshalValue(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCollection_Indexes(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	name, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: d("age", 1, "name", -1)})
	if err != nil || name != "age_1_name_-1" {
		t.Fatalf("CreateIndex = %q, %v; want age_1_name_-1", name, err)
	}
	if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: d("age", 1), Unique: true}); !concord.IsDuplicateKey(err) {
		t.Errorf("unique index over repeated ages: err = %v, want DuplicateKey", err)
	}
	if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: d("name", 1), Name: "by_name", Unique: true}); err != nil {
		t.Fatal(err)
	}
	specs, err := coll.ListIndexes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range specs {
		got = append(got, s.Name)
		if s.Namespace != "d.people" {
			t.Errorf("%s: Namespace = %q", s.Name, s.Namespace)
		}
	}
	if !reflect.DeepEqual(got, []string{"_id_", "age_1_name_-1", "by_name"}) {
		t.Fatalf("indexes = %v", got)
	}
	if !specs[2].Unique || specs[1].Unique || specs[0].Unique {
		t.Errorf("Unique flags = %v %v %v, want false false true", specs[0].Unique, specs[1].Unique, specs[2].Unique)
	}
	if k := specs[1].KeysDocument.Index(1).Key(); k != "name" {
		t.Errorf("second key = %q, want name", k)
	}
	if err := coll.DropIndex(ctx, "_id_"); codeOf(err) != 72 {
		t.Errorf("DropIndex _id_: %v, want InvalidOptions (72)", err)
	}
	if err := coll.DropIndex(ctx, "nope"); codeOf(err) != 27 {
		t.Errorf("DropIndex missing: %v, want IndexNotFound (27)", err)
	}
	if err := coll.DropIndex(ctx, "by_name"); err != nil {
		t.Fatal(err)
	}
	st, err := coll.Stats(ctx)
	if err != nil || st.Count != 5 || st.NIndexes != 2 || st.Size <= 0 {
		t.Errorf("Stats = %+v, %v; want 5 docs, 2 indexes", st, err)
	}
	if err := coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := coll.Drop(ctx); err != nil {
		t.Errorf("second Drop: %v, want nil", err)
	}
	if n, err := coll.CountDocuments(ctx, nil); err != nil || n != 0 {
		t.Errorf("after Drop: %d, %v", n, err)
	}
}

func codeOf(err error) concord.Code {
	var e *concord.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestCollection_HostileInput(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	bad := bson.Raw{9, 0, 0, 0, 0x10, 'a', 0, 1} // truncated
	tests := []struct {
		name string
		run  func() error
	}{
		{"insert raw", func() error { _, err := coll.InsertOne(ctx, bad); return err }},
		{"insert bytes", func() error { _, err := coll.InsertOne(ctx, []byte{1, 2}); return err }},
		{"filter raw", func() error { _, err := coll.Find(ctx, bad); return err }},
		{"update raw", func() error { _, err := coll.UpdateOne(ctx, nil, bad); return err }},
		{"nil document", func() error { _, err := coll.InsertOne(ctx, nil); return err }},
		{"scalar document", func() error { _, err := coll.InsertOne(ctx, 42); return err }},
		{"array document", func() error { _, err := coll.InsertOne(ctx, bson.A{1}); return err }},
		{"scalar pipeline", func() error { _, err := coll.Aggregate(ctx, 7); return err }},
		{"bad pipeline bytes", func() error { _, err := coll.Aggregate(ctx, bad); return err }},
		{"pipeline of scalars", func() error { _, err := coll.Aggregate(ctx, bson.A{1}); return err }},
		{"unknown operator", func() error { _, err := coll.Find(ctx, d("a", d("$bogus", 1))); return err }},
		{"empty index keys", func() error { _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: d()}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var e *concord.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *concord.Error", err)
			}
		})
	}
}

func TestWithOpStats(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	var st concord.OpStats
	sctx := concord.WithOpStats(ctx, &st)
	if concord.OpStatsFromContext(sctx) != &st {
		t.Fatal("OpStatsFromContext did not return the installed stats")
	}
	if _, err := coll.UpdateMany(sctx, d("age", 25), d("$set", d("x", 1))); err != nil {
		t.Fatal(err)
	}
	if st.NMatched != 2 || st.NModified != 2 || st.DocsExamined < 2 {
		t.Errorf("stats = %+v, want nMatched 2, nModified 2, docsExamined >= 2", st)
	}
}

// FuzzCollection_Raw feeds arbitrary bytes as a document, a filter and an
// update: every call must return (an error or a result), never panic.
func FuzzCollection_Raw(f *testing.F) {
	seeds := []bson.D{
		d("_id", 1, "a", 1),
		d("a", d("$gt", 1)),
		d("$set", d("a", 2)),
		d("a", bson.A{1, d("b", 2)}),
	}
	for _, s := range seeds {
		b, _ := bson.Marshal(s)
		f.Add([]byte(b))
	}
	f.Add([]byte{5, 0, 0, 0, 0})
	f.Add([]byte{9, 0, 0, 0, 0x10, 'a', 0, 1})
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	coll := db.Database("fuzz").Collection("c")
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		raw := bson.Raw(b)
		_, _ = coll.InsertOne(ctx, raw)
		if cur, err := coll.Find(ctx, raw); err == nil {
			_ = cur.Close(ctx)
		}
		_, _ = coll.UpdateMany(ctx, nil, raw)
		_, _ = coll.ReplaceOne(ctx, nil, raw)
		_, _ = coll.Aggregate(ctx, raw)
		_, _ = coll.DeleteMany(ctx, raw)
	})
}
