package server

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// fuzzCommandSeeds are valid commands of every CRUD handler and of the session and log commands, the starting
// points of FuzzCRUDHandlers.
var fuzzCommandSeeds = []bson.D{
	{{Key: "insert", Value: "c"}, {Key: "documents", Value: bson.A{bson.D{{Key: "_id", Value: 1}, {Key: "a", Value: bson.A{1, 2}}}}}, {Key: "ordered", Value: false}},
	{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}}, {Key: "upsert", Value: true}}}}},
	{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "a.$[x]", Value: 0}}}}}, {Key: "multi", Value: true}, {Key: "arrayFilters", Value: bson.A{bson.D{{Key: "x", Value: bson.D{{Key: "$gt", Value: 1}}}}}}}}}},
	{{Key: "delete", Value: "c"}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "a", Value: 2}}}, {Key: "limit", Value: 1}}}}},
	{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "a", Value: bson.D{{Key: "$gte", Value: 1}}}}}, {Key: "sort", Value: bson.D{{Key: "a", Value: -1}}}, {Key: "projection", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "skip", Value: 1}, {Key: "limit", Value: 3}, {Key: "batchSize", Value: 1}},
	{{Key: "getMore", Value: int64(1)}, {Key: "collection", Value: "c"}, {Key: "batchSize", Value: 2}},
	{{Key: "killCursors", Value: "c"}, {Key: "cursors", Value: bson.A{int64(1)}}},
	{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: 2}}}, {Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "b", Value: 1}}}}}, {Key: "upsert", Value: true}, {Key: "new", Value: true}, {Key: "fields", Value: bson.D{{Key: "b", Value: 1}}}},
	{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{}}, {Key: "sort", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "remove", Value: true}},
	{{Key: "count", Value: "c"}, {Key: "query", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "skip", Value: 0}, {Key: "limit", Value: 5}},
	{{Key: "distinct", Value: "c"}, {Key: "key", Value: "a"}, {Key: "query", Value: bson.D{}}},
	{{Key: "aggregate", Value: "c"}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$match", Value: bson.D{}}}, bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$a"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}}}}, {Key: "cursor", Value: bson.D{{Key: "batchSize", Value: 1}}}},
	{{Key: "aggregate", Value: 1}, {Key: "pipeline", Value: bson.A{bson.D{{Key: "$currentOp", Value: bson.D{}}}}}, {Key: "cursor", Value: bson.D{}}},
	{{Key: "listCollections", Value: 1}, {Key: "filter", Value: bson.D{{Key: "name", Value: "c"}}}, {Key: "nameOnly", Value: true}},
	{{Key: "listDatabases", Value: 1}, {Key: "nameOnly", Value: false}},
	{{Key: "listIndexes", Value: "c"}},
	{{Key: "createIndexes", Value: "c"}, {Key: "indexes", Value: bson.A{bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "a_1"}, {Key: "unique", Value: false}}}}},
	{{Key: "dropIndexes", Value: "c"}, {Key: "index", Value: bson.A{"a_1"}}},
	{{Key: "create", Value: "d"}},
	{{Key: "drop", Value: "d"}},
	{{Key: "collStats", Value: "c"}, {Key: "scale", Value: 1024}},
	{{Key: "dbStats", Value: 1}},
	{{Key: "profile", Value: 2}, {Key: "slowms", Value: 0}, {Key: "sampleRate", Value: 0.5}},
	{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "$expr", Value: bson.D{{Key: "$gt", Value: bson.A{bson.D{{Key: "$divide", Value: bson.A{1, "$a"}}}, 0}}}}}}},
	{{Key: "getLog", Value: "global"}},
	{{Key: "killSessions", Value: bson.A{bson.D{{Key: "id", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: make([]byte, 16)}}}}}},
	{{Key: "killAllSessions", Value: bson.A{}}},
	{{Key: "validate", Value: "c"}, {Key: "full", Value: true}},
	{{Key: "dataSize", Value: "fuzz.c"}, {Key: "keyPattern", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "min", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "max", Value: bson.D{{Key: "a", Value: 5}}}},
	{{Key: "compact", Value: "c"}},
	{{Key: "connPoolStats", Value: 1}},
}

// FuzzCRUDHandlers runs the argument check (argspec.go) and then the handlers of the command table (the CRUD
// ones seeded above, and any other a mutated name reaches) on mutated command bodies against a live in-memory
// DB: hostile input must give an error or a reply, never a panic or a hang.
func FuzzCRUDHandlers(f *testing.F) {
	for _, cmd := range fuzzCommandSeeds {
		b, err := bson.Marshal(cmd)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	db, err := concord.Open("", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	s := &Server{DB: db}
	s.init()
	f.Fuzz(func(t *testing.T, data []byte) {
		body := bson.Raw(data)
		if body.Validate() != nil {
			return // core rejects malformed BSON before dispatch
		}
		first, err := body.IndexErr(0)
		if err != nil {
			return
		}
		cmd, ok := commands[first.Key()]
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req := &Request{Name: first.Key(), DB: "fuzz", Body: body, Stats: &concord.OpStats{}}
		if first.Key() == "listDatabases" || first.Key() == "aggregate" {
			req.DB = "admin"
		}
		if checkCommandArgs(req) != nil {
			return // dispatch refuses the arguments before the handler runs
		}
		_, _ = cmd.Handler(concord.WithOpStats(ctx, req.Stats), s, req)
		if ctx.Err() != nil {
			t.Fatalf("%s did not return within 5s", first.Key())
		}
	})
}
