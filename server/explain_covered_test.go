package server_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestExplain_CoveredFind checks that a find whose filter and projection use only fields of an index is
// answered from the index: PROJECTION_COVERED over IXSCAN with no FETCH, totalDocsExamined 0, and the values
// returned are those of the documents, BSON types included.
func TestExplain_CoveredFind(t *testing.T) {
	db, coll := explainEnv(t)
	ctx := context.Background()
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 100}, {Key: "a", Value: int64(3)}, {Key: "b", Value: 3.5}}); err != nil {
		t.Fatal(err)
	}
	proj := bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}}
	r := explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "a", Value: 3}}},
		{Key: "projection", Value: proj}}, "executionStats")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"PROJECTION_COVERED", "IXSCAN"}) {
		t.Fatalf("stages = %v", got)
	}
	es := r.Lookup("executionStats").Document()
	if num(es.Lookup("nReturned")) != 11 || num(es.Lookup("totalKeysExamined")) != 11 || num(es.Lookup("totalDocsExamined")) != 0 {
		t.Errorf("executionStats = %v", es)
	}
	cur, err := coll.Find(ctx, bson.D{{Key: "a", Value: 3}}, options.Find().SetProjection(proj))
	if err != nil {
		t.Fatal(err)
	}
	var got []bson.Raw
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	types := map[bson.Type]int{}
	for _, d := range got {
		types[d.Lookup("a").Type]++
	}
	if len(got) != 11 || types[bson.TypeInt32] != 10 || types[bson.TypeInt64] != 1 {
		t.Errorf("covered find returned %v", got)
	}

	// With _id in the projection the documents are fetched.
	r = explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "a", Value: 3}}},
		{Key: "projection", Value: bson.D{{Key: "a", Value: 1}}}}, "executionStats")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"PROJECTION_DEFAULT", "FETCH", "IXSCAN"}) {
		t.Fatalf("stages = %v", got)
	}
	if num(r.Lookup("executionStats", "totalDocsExamined")) != 11 {
		t.Errorf("executionStats = %v", r.Lookup("executionStats"))
	}

	// An aggregate's leading $match and $project go into the query layer, covered alike.
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	r = explain(t, db, bson.D{{Key: "aggregate", Value: "items"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "a", Value: 4}, {Key: "b", Value: bson.D{{Key: "$gt", Value: 50}}}}}},
		bson.D{{Key: "$project", Value: bson.D{{Key: "b", Value: 1}, {Key: "_id", Value: 0}}}},
	}}, {Key: "cursor", Value: bson.D{}}}, "executionStats")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"PROJECTION_COVERED", "IXSCAN"}) {
		t.Fatalf("aggregate stages = %v (%v)", got, r)
	}
	if es := r.Lookup("executionStats").Document(); num(es.Lookup("nReturned")) != 5 || num(es.Lookup("totalDocsExamined")) != 0 {
		t.Errorf("aggregate executionStats = %v", es)
	}
}

// TestExplain_SortMerge checks that an $in on a compound index's leading field serves a sort on the next field
// through SORT_MERGE, one IXSCAN per value, with no SORT stage, and returns the documents in order.
func TestExplain_SortMerge(t *testing.T) {
	db, coll := explainEnv(t)
	ctx := context.Background()
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	filter := bson.D{{Key: "a", Value: bson.D{{Key: "$in", Value: bson.A{7, 2}}}}}
	sort := bson.D{{Key: "b", Value: -1}}
	r := explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: filter}, {Key: "sort", Value: sort}, {Key: "limit", Value: 3}}, "executionStats")
	wp := r.Lookup("queryPlanner", "winningPlan").Document()
	if got := stages(wp); !equalStrings(got, []string{"LIMIT", "FETCH", "SORT_MERGE"}) {
		t.Fatalf("stages = %v", got)
	}
	merge := wp.Lookup("inputStage", "inputStage").Document()
	scans := mustValues(t, merge.Lookup("inputStages"))
	if len(scans) != 2 || scans[0].Document().Lookup("indexBounds", "a").Array().String() != `["[2, 2]"]` ||
		scans[1].Document().Lookup("indexBounds", "a").Array().String() != `["[7, 7]"]` ||
		scans[0].Document().Lookup("direction").StringValue() != "backward" {
		t.Fatalf("SORT_MERGE inputs = %v", scans)
	}
	if es := r.Lookup("executionStats").Document(); num(es.Lookup("nReturned")) != 3 || num(es.Lookup("totalKeysExamined")) != 3 {
		t.Errorf("executionStats = %v", es)
	}
	cur, err := coll.Find(ctx, filter, options.Find().SetSort(sort).SetLimit(3))
	if err != nil {
		t.Fatal(err)
	}
	var got []bson.Raw
	if err := cur.All(ctx, &got); err != nil {
		t.Fatal(err)
	}
	// b = _id: the documents with a 2 or 7 and the largest b are 97, 92, 87.
	if len(got) != 3 || num(got[0].Lookup("b")) != 97 || num(got[1].Lookup("b")) != 92 || num(got[2].Lookup("b")) != 87 {
		t.Errorf("find = %v", got)
	}
}
