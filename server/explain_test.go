package server_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// explainEnv is a collection of 100 documents {_id: i, a: i % 10, b: i} with an index on a.
func explainEnv(t *testing.T) (*mongo.Database, *mongo.Collection) {
	t.Helper()
	e := newCoreEnv(t)
	c := e.client(t)
	db := c.Database("shop")
	coll := db.Collection("items")
	docs := make([]any, 100)
	for i := range docs {
		docs[i] = bson.D{{Key: "_id", Value: i}, {Key: "a", Value: i % 10}, {Key: "b", Value: i}}
	}
	ctx := context.Background()
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "a", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	return db, coll
}

// explain runs {explain: cmd, verbosity} and returns the reply.
func explain(t *testing.T, db *mongo.Database, cmd bson.D, verbosity string) bson.Raw {
	t.Helper()
	raw, err := db.RunCommand(context.Background(), bson.D{{Key: "explain", Value: cmd}, {Key: "verbosity", Value: verbosity}}).Raw()
	if err != nil {
		t.Fatalf("explain %v: %v", cmd, err)
	}
	return raw
}

// stages lists the stage names of a plan from the top down.
func stages(plan bson.Raw) []string {
	var out []string
	for {
		out = append(out, plan.Lookup("stage").StringValue())
		in, err := plan.LookupErr("inputStage")
		if err != nil {
			return out
		}
		plan = in.Document()
	}
}

// leaf returns the deepest stage of a plan.
func leaf(plan bson.Raw) bson.Raw {
	for {
		in, err := plan.LookupErr("inputStage")
		if err != nil {
			return plan
		}
		plan = in.Document()
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func num(v bson.RawValue) int64 { n, _ := v.AsInt64OK(); return n }

// TestExplain_Find checks the plans of find: an index equality, a range on a descending index, a collection
// scan, and the SORT / LIMIT / PROJECTION stages, with the keys and documents the run examined.
func TestExplain_Find(t *testing.T) {
	db, coll := explainEnv(t)
	ctx := context.Background()

	r := explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "a", Value: 3}}}}, "executionStats")
	qp := r.Lookup("queryPlanner").Document()
	if ns := qp.Lookup("namespace").StringValue(); ns != "shop.items" {
		t.Errorf("namespace = %q", ns)
	}
	if pq := qp.Lookup("parsedQuery").Document().String(); pq != `{"a": {"$eq": {"$numberInt":"3"}}}` {
		t.Errorf("parsedQuery = %s", pq)
	}
	wp := qp.Lookup("winningPlan").Document()
	if got := stages(wp); !equalStrings(got, []string{"FETCH", "IXSCAN"}) {
		t.Fatalf("stages = %v", got)
	}
	ix := leaf(wp)
	if ix.Lookup("indexName").StringValue() != "a_1" || ix.Lookup("indexBounds").Document().String() != `{"a": ["[3, 3]"]}` {
		t.Errorf("IXSCAN = %v", ix)
	}
	if n := len(mustValues(t, qp.Lookup("rejectedPlans"))); n != 0 {
		t.Errorf("rejectedPlans has %d plans", n)
	}
	es := r.Lookup("executionStats").Document()
	if num(es.Lookup("nReturned")) != 10 || num(es.Lookup("totalKeysExamined")) != 10 || num(es.Lookup("totalDocsExamined")) != 10 {
		t.Errorf("executionStats = %v", es)
	}
	if _, err := es.LookupErr("allPlansExecution"); err == nil {
		t.Errorf("allPlansExecution at executionStats verbosity")
	}

	// A collection scan examines every document; sort, skip, limit and projection stack above it.
	r = explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "b", Value: bson.D{{Key: "$lt", Value: 50}}}}},
		{Key: "sort", Value: bson.D{{Key: "b", Value: -1}}}, {Key: "skip", Value: 2}, {Key: "limit", Value: 5}, {Key: "projection", Value: bson.D{{Key: "b", Value: 1}}}}, "allPlansExecution")
	wp = r.Lookup("queryPlanner", "winningPlan").Document()
	if got := stages(wp); !equalStrings(got, []string{"PROJECTION_DEFAULT", "SKIP", "SORT", "COLLSCAN"}) {
		t.Fatalf("stages = %v", got)
	}
	es = r.Lookup("executionStats").Document()
	if num(es.Lookup("nReturned")) != 5 || num(es.Lookup("totalDocsExamined")) != 100 || num(es.Lookup("totalKeysExamined")) != 0 {
		t.Errorf("executionStats = %v", es)
	}
	if n := len(mustValues(t, es.Lookup("allPlansExecution"))); n != 0 {
		t.Errorf("allPlansExecution has %d entries", n)
	}

	// A range on a descending index: bounds run from the top of the number bracket down.
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "b", Value: -1}, {Key: "a", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	r = explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "b", Value: bson.D{{Key: "$gt", Value: 95}}}}}}, "executionStats")
	ix = leaf(r.Lookup("queryPlanner", "winningPlan").Document())
	if ix.Lookup("indexName").StringValue() != "b_-1_a_1" || ix.Lookup("indexBounds").Document().String() != `{"b": ["[inf.0, 95)"],"a": ["[MinKey, MaxKey]"]}` {
		t.Errorf("IXSCAN = %v", ix)
	}
	if es := r.Lookup("executionStats").Document(); num(es.Lookup("nReturned")) != 4 || num(es.Lookup("totalDocsExamined")) > 5 {
		t.Errorf("executionStats = %v", es)
	}
	// _id equality is IDHACK; queryPlanner verbosity runs nothing.
	r = explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: 7}}}}, "queryPlanner")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"IDHACK"}) {
		t.Errorf("stages = %v", got)
	}
	if _, err := r.LookupErr("executionStats"); err == nil {
		t.Errorf("executionStats at queryPlanner verbosity")
	}
	if r.Lookup("command", "find").StringValue() != "items" || r.Lookup("serverInfo", "version").StringValue() == "" {
		t.Errorf("command / serverInfo = %v / %v", r.Lookup("command"), r.Lookup("serverInfo"))
	}
}

func mustValues(t *testing.T, v bson.RawValue) []bson.RawValue {
	t.Helper()
	vals, err := v.Array().Values()
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// TestExplain_WritesDoNotWrite explains update, delete and findAndModify at executionStats: the reports count
// the documents the writes would touch, and the collection is unchanged.
func TestExplain_WritesDoNotWrite(t *testing.T) {
	db, coll := explainEnv(t)
	ctx := context.Background()
	r := explain(t, db, bson.D{{Key: "update", Value: "items"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}, {Key: "multi", Value: true}}}}}, "executionStats")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"UPDATE", "FETCH", "IXSCAN"}) {
		t.Errorf("update stages = %v", got)
	}
	top := r.Lookup("executionStats", "executionStages").Document()
	if num(top.Lookup("nMatched")) != 10 || num(top.Lookup("nWouldModify")) != 10 {
		t.Errorf("update executionStages = %v", top)
	}
	r = explain(t, db, bson.D{{Key: "delete", Value: "items"}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "b", Value: bson.D{{Key: "$gte", Value: 0}}}}}, {Key: "limit", Value: 0}}}}}, "executionStats")
	if top := r.Lookup("executionStats", "executionStages").Document(); top.Lookup("stage").StringValue() != "DELETE" || num(top.Lookup("nWouldDelete")) != 100 {
		t.Errorf("delete executionStages = %v", top)
	}
	r = explain(t, db, bson.D{{Key: "findAndModify", Value: "items"}, {Key: "query", Value: bson.D{{Key: "a", Value: 2}}}, {Key: "sort", Value: bson.D{{Key: "b", Value: 1}}}, {Key: "remove", Value: true}}, "executionStats")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"DELETE", "SORT", "FETCH", "IXSCAN"}) {
		t.Errorf("findAndModify stages = %v", got)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 100 {
		t.Fatalf("after explaining deletes: %d documents, %v", n, err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{{Key: "x", Value: 1}}); err != nil || n != 0 {
		t.Fatalf("after explaining an update: %d documents updated, %v", n, err)
	}
}

// TestExplain_CountDistinctAggregate explains count, distinct and aggregate (through the driver's aggregate
// explain option too).
func TestExplain_CountDistinctAggregate(t *testing.T) {
	db, _ := explainEnv(t)
	ctx := context.Background()
	r := explain(t, db, bson.D{{Key: "count", Value: "items"}, {Key: "query", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$in", Value: bson.A{4, 1}}}}}}}, "executionStats")
	if ix := leaf(r.Lookup("queryPlanner", "winningPlan").Document()); ix.Lookup("indexBounds").Document().String() != `{"a": ["[1, 1]","[4, 4]"]}` {
		t.Errorf("count IXSCAN = %v", ix)
	}
	if top := r.Lookup("executionStats", "executionStages").Document(); top.Lookup("stage").StringValue() != "COUNT" || num(top.Lookup("nCounted")) != 20 {
		t.Errorf("count executionStages = %v", top)
	}
	r = explain(t, db, bson.D{{Key: "distinct", Value: "items"}, {Key: "key", Value: "a"}, {Key: "query", Value: bson.D{{Key: "b", Value: bson.D{{Key: "$lt", Value: 30}}}}}}, "executionStats")
	if es := r.Lookup("executionStats").Document(); num(es.Lookup("nReturned")) != 10 || num(es.Lookup("totalDocsExamined")) != 100 {
		t.Errorf("distinct executionStats = %v", es)
	}
	r = explain(t, db, bson.D{{Key: "aggregate", Value: "items"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "a", Value: 5}}}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: nil}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	}}, {Key: "cursor", Value: bson.D{}}}, "executionStats")
	st := mustValues(t, r.Lookup("stages"))
	if len(st) != 2 {
		t.Fatalf("aggregate stages = %v", r.Lookup("stages"))
	}
	cursor := st[0].Document().Lookup("$cursor").Document()
	if leaf(cursor.Lookup("queryPlanner", "winningPlan").Document()).Lookup("indexName").StringValue() != "a_1" ||
		num(cursor.Lookup("executionStats", "nReturned")) != 1 || num(cursor.Lookup("executionStats", "totalKeysExamined")) != 10 {
		t.Errorf("$cursor = %v", cursor)
	}
	if _, err := st[1].Document().LookupErr("$group"); err != nil {
		t.Errorf("second stage = %v", st[1])
	}
	// A $sort that the index gives goes into the query layer: no $sort stage, and the scan stops at the limit.
	r = explain(t, db, bson.D{{Key: "aggregate", Value: "items"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 5}}}}}},
		bson.D{{Key: "$sort", Value: bson.D{{Key: "a", Value: -1}}}},
		bson.D{{Key: "$limit", Value: 3}},
	}}, {Key: "cursor", Value: bson.D{}}}, "executionStats")
	st = mustValues(t, r.Lookup("stages"))
	if len(st) != 2 {
		t.Fatalf("aggregate with an index's sort: stages = %v", r.Lookup("stages"))
	}
	cursor = st[0].Document().Lookup("$cursor").Document()
	ix := leaf(cursor.Lookup("queryPlanner", "winningPlan").Document())
	if ix.Lookup("indexName").StringValue() != "a_1" || ix.Lookup("direction").StringValue() != "backward" ||
		num(cursor.Lookup("executionStats", "totalDocsExamined")) != 3 {
		t.Errorf("$cursor of a pushed-down sort = %v", cursor)
	}
	if _, err := st[1].Document().LookupErr("$limit"); err != nil {
		t.Errorf("second stage = %v", st[1])
	}
	// A $project after the pushed-down $sort stays a stage: the index's order is read, not the index alone.
	r = explain(t, db, bson.D{{Key: "aggregate", Value: "items"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$match", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 5}}}}}},
		bson.D{{Key: "$sort", Value: bson.D{{Key: "a", Value: -1}}}},
		bson.D{{Key: "$project", Value: bson.D{{Key: "a", Value: 1}, {Key: "_id", Value: 0}}}},
	}}, {Key: "cursor", Value: bson.D{}}}, "executionStats")
	st = mustValues(t, r.Lookup("stages"))
	cursor = st[0].Document().Lookup("$cursor").Document()
	if len(st) != 2 || st[1].Document().Index(0).Key() != "$project" ||
		leaf(cursor.Lookup("queryPlanner", "winningPlan").Document()).Lookup("direction").StringValue() != "backward" ||
		num(cursor.Lookup("executionStats", "totalDocsExamined")) != 50 {
		t.Errorf("aggregate with a pushed-down sort and a $project: %v", r)
	}
	// One no index gives stays a stage.
	r = explain(t, db, bson.D{{Key: "aggregate", Value: "items"}, {Key: "pipeline", Value: bson.A{
		bson.D{{Key: "$sort", Value: bson.D{{Key: "b", Value: -1}}}}, bson.D{{Key: "$limit", Value: 3}},
	}}, {Key: "cursor", Value: bson.D{}}}, "queryPlanner")
	if st = mustValues(t, r.Lookup("stages")); len(st) != 3 || st[1].Document().Index(0).Key() != "$sort" {
		t.Errorf("aggregate with a sort no index gives: stages = %v", r.Lookup("stages"))
	}
	// aggregate's explain option (queryPlanner verbosity), as the driver sends it.
	raw, err := db.RunCommand(ctx, bson.D{{Key: "aggregate", Value: "items"}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "b", Value: 3}}}}}}, {Key: "explain", Value: true}}).Raw()
	if err != nil {
		t.Fatal(err)
	}
	if got := stages(raw.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"COLLSCAN"}) {
		t.Errorf("aggregate explain option: stages %v", got)
	}
}

// TestExplain_BadInput checks explain's argument errors against mongod's codes.
func TestExplain_BadInput(t *testing.T) {
	db, _ := explainEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cmd  bson.D
		code int32
	}{
		{"explain is not a document", bson.D{{Key: "explain", Value: 1}}, 14},
		{"unknown verbosity", bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: "items"}}}, {Key: "verbosity", Value: "everything"}}, 2},
		{"unknown command", bson.D{{Key: "explain", Value: bson.D{{Key: "frobnicate", Value: "items"}}}}, 59},
		{"a command explain does not cover", bson.D{{Key: "explain", Value: bson.D{{Key: "insert", Value: "items"}, {Key: "documents", Value: bson.A{bson.D{}}}}}}, 20},
		{"bad filter", bson.D{{Key: "explain", Value: bson.D{{Key: "find", Value: "items"}, {Key: "filter", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$bogus", Value: 1}}}}}}}}, 2},
		{"two statements", bson.D{{Key: "explain", Value: bson.D{{Key: "delete", Value: "items"}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: bson.D{}}, {Key: "limit", Value: 0}}, bson.D{{Key: "q", Value: bson.D{}}, {Key: "limit", Value: 0}}}}}}}, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.RunCommand(ctx, tc.cmd).Err()
			var ce mongo.CommandError
			if !asCommandError(err, &ce) || ce.Code != tc.code {
				t.Fatalf("err = %v, want code %d", err, tc.code)
			}
		})
	}
}

func asCommandError(err error, ce *mongo.CommandError) bool {
	e, ok := err.(mongo.CommandError)
	if ok {
		*ce = e
	}
	return ok
}

// TestExplain_SortByIDDescending: a find sorted by _id descending reads the documents from the last, stopping at
// the limit, with no SORT stage.
func TestExplain_SortByIDDescending(t *testing.T) {
	db, _ := explainEnv(t)
	r := explain(t, db, bson.D{{Key: "find", Value: "items"}, {Key: "sort", Value: bson.D{{Key: "_id", Value: -1}}}, {Key: "limit", Value: 2}}, "executionStats")
	if got := stages(r.Lookup("queryPlanner", "winningPlan").Document()); !equalStrings(got, []string{"LIMIT", "COLLSCAN"}) {
		t.Errorf("stages = %v, want LIMIT and COLLSCAN", got)
	}
	if scan := leaf(r.Lookup("queryPlanner", "winningPlan").Document()); scan.Lookup("direction").StringValue() != "backward" {
		t.Errorf("scan = %v, want direction backward", scan)
	}
	if es := r.Lookup("executionStats").Document(); num(es.Lookup("nReturned")) != 2 || num(es.Lookup("totalDocsExamined")) != 2 {
		t.Errorf("executionStats = %v", es)
	}
}
