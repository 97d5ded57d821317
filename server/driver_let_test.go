package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// birds loads the collection of jstests/core/command_let_variables.js, reduced to what the tests read.
func birds(t *testing.T, e *crudEnv) *mongo.Collection {
	t.Helper()
	coll := e.client.Database("app").Collection("birds")
	docs := []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "species", Value: "blackbird"}, {Key: "trend", Value: "no change"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "species", Value: "bullfinch"}, {Key: "trend", Value: "weak increase"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "species", Value: "chaffinch"}, {Key: "trend", Value: "weak decline"}},
		bson.D{{Key: "_id", Value: 4}, {Key: "species", Value: "thrush"}, {Key: "trend", Value: "weak decline"}},
	}
	if _, err := coll.InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return coll
}

// trendIs is {$expr: {$eq: ["$trend", "$$target"]}}.
var trendIs = bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$trend", "$$target"}}}}}

// TestDriver_Let_Commands runs commands with a let document as mongod's command_let_variables.js does: the
// variables reach the filter's $expr, a find projection, every stage of a pipeline and a $lookup's
// sub-pipeline; invalid let documents fail with mongod's codes.
func TestDriver_Let_Commands(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	birds(t, e)
	db := e.client.Database("app")
	cases := []struct {
		name string
		cmd  bson.D
		want string // a fragment of the reply's first batch, in relaxed extended JSON
		code int32
	}{
		{name: "find filter", cmd: bson.D{{Key: "find", Value: "birds"}, {Key: "filter", Value: trendIs},
			{Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "projection", Value: bson.D{{Key: "trend", Value: 0}, {Key: "species", Value: 0}}},
			{Key: "let", Value: bson.D{{Key: "target", Value: "weak decline"}}}},
			want: `[{"_id": {"$numberInt":"3"}},{"_id": {"$numberInt":"4"}}]`},
		{name: "find projection of an expression", cmd: bson.D{{Key: "find", Value: "birds"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: 1}}},
			{Key: "projection", Value: bson.D{{Key: "_id", Value: "$$c"}}},
			{Key: "let", Value: bson.D{{Key: "a", Value: 2}, {Key: "b", Value: bson.D{{Key: "$add", Value: bson.A{"$$a", 3}}}}, {Key: "c", Value: bson.D{{Key: "$multiply", Value: bson.A{"$$a", "$$b"}}}}}}},
			want: `[{"_id": {"$numberInt":"10"}}]`},
		{name: "aggregate stages", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}},
			{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: trendIs}}, bson.D{{Key: "$project", Value: bson.D{{Key: "_id", Value: 1}, {Key: "tag", Value: "$$tag"}}}}}},
			{Key: "let", Value: bson.D{{Key: "target", Value: "weak increase"}, {Key: "tag", Value: "up"}}}},
			want: `[{"_id": {"$numberInt":"2"},"tag": "up"}]`},
		{name: "aggregate $lookup sub-pipeline", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}},
			{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: 1}}}},
				bson.D{{Key: "$lookup", Value: bson.D{{Key: "from", Value: "birds"}, {Key: "as", Value: "same"},
					{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: trendIs}}, bson.D{{Key: "$project", Value: bson.D{{Key: "_id", Value: 1}}}}}}}}},
				bson.D{{Key: "$project", Value: bson.D{{Key: "same", Value: 1}}}}}},
			{Key: "let", Value: bson.D{{Key: "target", Value: "weak decline"}}}},
			want: `[{"_id": {"$numberInt":"1"},"same": [{"_id": {"$numberInt":"3"}},{"_id": {"$numberInt":"4"}}]}]`},
		{name: "a $let shadows a command variable", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}},
			{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "_id", Value: 1}}}},
				bson.D{{Key: "$project", Value: bson.D{{Key: "v", Value: bson.D{{Key: "$let", Value: bson.D{{Key: "vars", Value: bson.D{{Key: "variable", Value: "INNER"}}}, {Key: "in", Value: "$$variable"}}}}}}}}}},
			{Key: "let", Value: bson.D{{Key: "variable", Value: "OUTER"}}}},
			want: `[{"_id": {"$numberInt":"1"},"v": "INNER"}]`},
		{name: "let not an object", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}}, {Key: "pipeline", Value: bson.A{}}, {Key: "let", Value: 1}}, code: 14},
		{name: "undefined variable", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}},
			{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: trendIs}}}}, {Key: "let", Value: bson.D{{Key: "cat", Value: "x"}}}}, code: 17276},
		{name: "reserved name", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}}, {Key: "pipeline", Value: bson.A{}}, {Key: "let", Value: bson.D{{Key: "Reserved", Value: 1}}}}, code: 9},
		{name: "ROOT", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}}, {Key: "pipeline", Value: bson.A{}}, {Key: "let", Value: bson.D{{Key: "ROOT", Value: 1}}}}, code: 9},
		{name: "NOW", cmd: bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}}, {Key: "pipeline", Value: bson.A{}}, {Key: "let", Value: bson.D{{Key: "NOW", Value: 1}}}}, code: 4738901},
		{name: "CLUSTER_TIME", cmd: bson.D{{Key: "find", Value: "birds"}, {Key: "let", Value: bson.D{{Key: "CLUSTER_TIME", Value: 1}}}}, code: 4738901},
		{name: "a field in a value", cmd: bson.D{{Key: "find", Value: "birds"}, {Key: "let", Value: bson.D{{Key: "a", Value: "$_id"}}}}, code: 4890500},
		{name: "an undefined variable in a value", cmd: bson.D{{Key: "find", Value: "birds"}, {Key: "let", Value: bson.D{{Key: "a", Value: "$$oops"}}}}, code: 17276},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := db.RunCommand(ctx, tc.cmd).Raw()
			if tc.code != 0 {
				var se mongo.ServerError
				if !errors.As(err, &se) || !se.HasErrorCode(int(tc.code)) {
					t.Fatalf("err = %v, want code %d", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := raw.Lookup("cursor", "firstBatch").String()
			if compact(got) != compact(tc.want) {
				t.Fatalf("firstBatch = %s, want %s", got, tc.want)
			}
		})
	}
}

// compact drops the spaces of extended JSON, so that expectations can be written readably.
func compact(s string) string { return strings.ReplaceAll(s, " ", "") }

// TestDriver_Let_Writes runs the write commands with let through the driver's helpers (each sends let at the
// command level): update with a pipeline, delete, findAndModify and a bulk write.
func TestDriver_Let_Writes(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := birds(t, e)
	rename := bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "species", Value: "$$name"}}}}}
	res, err := coll.UpdateOne(ctx, trendIs, rename, options.UpdateOne().SetLet(bson.D{{Key: "target", Value: "no change"}, {Key: "name", Value: "merle"}}))
	if err != nil || res.MatchedCount != 1 || res.ModifiedCount != 1 {
		t.Fatalf("UpdateOne = %+v, %v", res, err)
	}
	var got bson.M
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: 1}}).Decode(&got); err != nil || got["species"] != "merle" {
		t.Fatalf("after UpdateOne: %v, %v", got, err)
	}
	_, err = coll.UpdateOne(ctx, trendIs, rename, options.UpdateOne().SetLet(bson.D{{Key: "cat", Value: 1}}))
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(17276) {
		t.Fatalf("undefined variable in an update: %v", err)
	}

	var fam bson.M
	err = coll.FindOneAndUpdate(ctx, trendIs, bson.A{bson.D{{Key: "$project", Value: bson.D{{Key: "species", Value: "$$name"}}}}},
		options.FindOneAndUpdate().SetLet(bson.D{{Key: "target", Value: "weak increase"}, {Key: "name", Value: "questionable"}}).SetReturnDocument(options.After)).Decode(&fam)
	if err != nil || fam["_id"] != int32(2) || fam["species"] != "questionable" || fam["trend"] != nil {
		t.Fatalf("FindOneAndUpdate = %v, %v", fam, err)
	}

	bw, err := coll.BulkWrite(ctx, []mongo.WriteModel{
		mongo.NewUpdateManyModel().SetFilter(trendIs).SetUpdate(bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "seen", Value: "$$when"}}}}}),
		mongo.NewDeleteOneModel().SetFilter(bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{"$_id", "$$gone"}}}}}),
	}, options.BulkWrite().SetLet(bson.D{{Key: "target", Value: "weak decline"}, {Key: "when", Value: "spring"}, {Key: "gone", Value: 2}}))
	if err != nil || bw.MatchedCount != 2 || bw.ModifiedCount != 2 || bw.DeletedCount != 1 {
		t.Fatalf("BulkWrite = %+v, %v", bw, err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{{Key: "seen", Value: "spring"}}); err != nil || n != 2 {
		t.Fatalf("after BulkWrite: %d seen in spring, %v", n, err)
	}

	del, err := coll.DeleteMany(ctx, trendIs, options.DeleteMany().SetLet(bson.D{{Key: "target", Value: "weak decline"}}))
	if err != nil || del.DeletedCount != 2 {
		t.Fatalf("DeleteMany = %+v, %v", del, err)
	}
}

// TestDriver_NowAndClusterTime checks that $$NOW and $$CLUSTER_TIME have one value per command, whatever the
// number of documents and statements, and that $$CLUSTER_TIME is a Timestamp no later than the reply's
// operationTime.
func TestDriver_NowAndClusterTime(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	db := e.client.Database("app")
	coll := db.Collection("clock")
	var docs []any
	for i := 0; i < 500; i++ {
		docs = append(docs, bson.D{{Key: "_id", Value: i}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	stamp := func(v string) bson.A {
		return bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "t", Value: v}}}}}
	}
	cases := []struct {
		name     string
		variable string
		cmd      func(v string) bson.D
		stored   bool // the command writes t into the documents; otherwise its first batch holds them
	}{
		{"update pipeline, NOW", "$$NOW", func(v string) bson.D {
			return bson.D{{Key: "update", Value: "clock"}, {Key: "updates", Value: bson.A{
				bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: 250}}}}}, {Key: "u", Value: stamp(v)}, {Key: "multi", Value: true}},
				bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: 250}}}}}, {Key: "u", Value: stamp(v)}, {Key: "multi", Value: true}},
			}}}
		}, true},
		{"update pipeline, CLUSTER_TIME", "$$CLUSTER_TIME", func(v string) bson.D {
			return bson.D{{Key: "update", Value: "clock"}, {Key: "updates", Value: bson.A{
				bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: stamp(v)}, {Key: "multi", Value: true}}}}}
		}, true},
		{"aggregate, NOW", "$$NOW", func(v string) bson.D {
			return bson.D{{Key: "aggregate", Value: "clock"}, {Key: "cursor", Value: bson.D{{Key: "batchSize", Value: 1000}}},
				{Key: "pipeline", Value: bson.A{bson.D{{Key: "$project", Value: bson.D{{Key: "t", Value: v}}}}}}}
		}, false},
		{"aggregate, CLUSTER_TIME", "$$CLUSTER_TIME", func(v string) bson.D {
			return bson.D{{Key: "aggregate", Value: "clock"}, {Key: "cursor", Value: bson.D{{Key: "batchSize", Value: 1000}}},
				{Key: "pipeline", Value: bson.A{bson.D{{Key: "$project", Value: bson.D{{Key: "t", Value: v}}}}}}}
		}, false},
		{"find projection, NOW", "$$NOW", func(v string) bson.D {
			return bson.D{{Key: "find", Value: "clock"}, {Key: "batchSize", Value: 1000}, {Key: "projection", Value: bson.D{{Key: "t", Value: v}}}}
		}, false},
		{"find filter, CLUSTER_TIME", "$$CLUSTER_TIME", func(v string) bson.D {
			return bson.D{{Key: "find", Value: "clock"}, {Key: "batchSize", Value: 1000},
				{Key: "filter", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$eq", Value: bson.A{bson.D{{Key: "$type", Value: v}}, "timestamp"}}}}}},
				{Key: "projection", Value: bson.D{{Key: "t", Value: v}}}}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply, err := db.RunCommand(ctx, tc.cmd(tc.variable)).Raw()
			if err != nil {
				t.Fatal(err)
			}
			var vals []bson.RawValue
			if tc.stored {
				cur, err := coll.Find(ctx, bson.D{})
				if err != nil {
					t.Fatal(err)
				}
				for cur.Next(ctx) {
					vals = append(vals, cur.Current.Lookup("t"))
				}
			} else {
				batch, _ := reply.Lookup("cursor", "firstBatch").Array().Values()
				for _, d := range batch {
					vals = append(vals, d.Document().Lookup("t"))
				}
			}
			if len(vals) != 500 {
				t.Fatalf("%d documents, want 500", len(vals))
			}
			for _, v := range vals {
				if !v.Equal(vals[0]) {
					t.Fatalf("two values in one command: %v and %v", vals[0], v)
				}
			}
			if tc.variable == "$$NOW" {
				if vals[0].Type != bson.TypeDateTime {
					t.Fatalf("$$NOW = %v, want a date", vals[0])
				}
				return
			}
			ctT, ctI, ok := vals[0].TimestampOK()
			opT, opI, ok2 := reply.Lookup("operationTime").TimestampOK()
			if !ok || !ok2 || ctT == 0 {
				t.Fatalf("$$CLUSTER_TIME = %v, operationTime %v", vals[0], reply.Lookup("operationTime"))
			}
			if ctT > opT || ctT == opT && ctI > opI {
				t.Fatalf("$$CLUSTER_TIME %v is later than operationTime %v", vals[0], reply.Lookup("operationTime"))
			}
		})
	}
}

// TestDriver_HintBeyondFind sends hint with update, delete, findAndModify, count, distinct and aggregate: an
// index that does not exist is mongod's BadValue (2), and explain shows (and runs) the hinted index although the
// filter is on another field.
func TestDriver_HintBeyondFind(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	coll := birds(t, e)
	db := e.client.Database("app")
	if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "trend", Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	bySpecies := bson.D{{Key: "species", Value: "thrush"}}
	cases := []struct {
		name string
		cmd  func(hint any) bson.D
	}{
		{"update", func(hint any) bson.D {
			return bson.D{{Key: "update", Value: "birds"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bySpecies},
				{Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}, {Key: "hint", Value: hint}}}}}
		}},
		{"delete", func(hint any) bson.D {
			return bson.D{{Key: "delete", Value: "birds"}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "species", Value: "none"}}},
				{Key: "limit", Value: 0}, {Key: "hint", Value: hint}}}}}
		}},
		{"findAndModify", func(hint any) bson.D {
			return bson.D{{Key: "findAndModify", Value: "birds"}, {Key: "query", Value: bySpecies},
				{Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "y", Value: 1}}}}}, {Key: "hint", Value: hint}}
		}},
		{"count", func(hint any) bson.D {
			return bson.D{{Key: "count", Value: "birds"}, {Key: "query", Value: bySpecies}, {Key: "hint", Value: hint}}
		}},
		{"distinct", func(hint any) bson.D {
			return bson.D{{Key: "distinct", Value: "birds"}, {Key: "key", Value: "trend"}, {Key: "query", Value: bySpecies}, {Key: "hint", Value: hint}}
		}},
		{"aggregate", func(hint any) bson.D {
			return bson.D{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}},
				{Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bySpecies}}}}, {Key: "hint", Value: hint}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, hint := range []any{"trend_1", bson.D{{Key: "trend", Value: 1}}} {
				reply, err := db.RunCommand(ctx, tc.cmd(hint)).Raw()
				if err != nil {
					t.Fatalf("hint %v: %v", hint, err)
				}
				if we, err := reply.LookupErr("writeErrors"); err == nil {
					t.Fatalf("hint %v: writeErrors %v", hint, we)
				}
				ex, err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: tc.cmd(hint)}, {Key: "verbosity", Value: "executionStats"}}).Raw()
				if err != nil {
					t.Fatalf("explain: %v", err)
				}
				if s := compact(ex.String()); !strings.Contains(s, `"indexName":"trend_1"`) || !strings.Contains(s, `"totalKeysExamined":{"$numberInt":"4"}`) && !strings.Contains(s, `"totalKeysExamined":{"$numberInt":"3"}`) || strings.Contains(s, "COLLSCAN") {
					t.Fatalf("explain with hint %v does not show trend_1: %s", hint, s)
				}
			}
			for _, hint := range []any{"nope_1", bson.D{{Key: "nope", Value: 1}}} {
				reply, err := db.RunCommand(ctx, tc.cmd(hint)).Raw()
				code := int32(0)
				var se mongo.ServerError
				if errors.As(err, &se) && se.HasErrorCode(2) {
					code = 2
				} else if we, err := reply.LookupErr("writeErrors"); err == nil {
					vals, _ := we.Array().Values()
					c, _ := vals[0].Document().Lookup("code").AsInt64OK()
					code = int32(c)
				}
				if code != 2 || !strings.Contains(reply.String()+errString(err), "hint provided does not correspond to an existing index") {
					t.Fatalf("hint %v: reply %v, err %v; want BadValue (2)", hint, reply, err)
				}
			}
			ex, err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: tc.cmd(bson.D{})}}).Raw()
			if err != nil || !strings.Contains(ex.String(), "COLLSCAN") {
				t.Fatalf("explain without a hint: %v, %v", ex, err)
			}
		})
	}
}

// errString is err's message, "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestDriver_Let_Explain explains commands whose expressions read a let variable: the explained run sees it.
func TestDriver_Let_Explain(t *testing.T) {
	e := newCrudEnv(t, "")
	ctx := context.Background()
	birds(t, e)
	db := e.client.Database("app")
	let := bson.D{{Key: "target", Value: "weak decline"}}
	for _, cmd := range []bson.D{
		{{Key: "find", Value: "birds"}, {Key: "filter", Value: trendIs}, {Key: "let", Value: let}},
		{{Key: "aggregate", Value: "birds"}, {Key: "cursor", Value: bson.D{}}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: trendIs}}}}, {Key: "let", Value: let}},
		{{Key: "delete", Value: "birds"}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: trendIs}, {Key: "limit", Value: 0}}}}, {Key: "let", Value: let}},
	} {
		ex, err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: cmd}, {Key: "verbosity", Value: "executionStats"}}).Raw()
		if err != nil {
			t.Fatalf("explain %v: %v", cmd[0].Key, err)
		}
		if s := compact(ex.String()); !strings.Contains(s, `"nReturned":{"$numberInt":"2"}`) && !strings.Contains(s, `"nWouldDelete":{"$numberInt":"2"}`) {
			t.Fatalf("explain %v: %s", cmd[0].Key, s)
		}
	}
}
