package server

import (
	"context"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// argCase is one command sent over the wire and the error mongod gives it: code 0 means the command succeeds;
// msg, when set, is a part of the error message.
type argCase struct {
	name string
	cmd  bson.D
	code int32
	msg  string
}

// cmdWith is a command: its first field (name: value) followed by more fields.
func cmdWith(name string, value any, more ...bson.E) bson.D {
	return append(bson.D{{Key: name, Value: value}}, more...)
}

// e is a field of a command, for the tables below.
func e(k string, v any) bson.E { return bson.E{Key: k, Value: v} }

var (
	emptyD  = bson.D{}
	simple  = bson.D{{Key: "locale", Value: "simple"}}
	matchID = bson.D{{Key: "_id", Value: 1}}
	setX    = bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}
)

// runArgCases runs each case against app.c (one document {_id: 1}) and checks the code and message.
func runArgCases(t *testing.T, cases []argCase) {
	t.Helper()
	env := newCrudEnv(t, "")
	if _, err := env.client.Database("app").Collection("c").InsertOne(context.Background(), bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.run(t, "app", tc.cmd)
			if got := commandCode(err); got != tc.code {
				t.Fatalf("code %d (%v), want %d", got, err, tc.code)
			}
			if tc.msg != "" && (err == nil || !strings.Contains(err.Error(), tc.msg)) {
				t.Fatalf("error %v does not contain %q", err, tc.msg)
			}
		})
	}
}

// Source of the expectations: mongod 7.0's IDL (src/mongo/db/query/find_command.idl, aggregate_command.idl,
// count_command.idl, distinct_command.idl, src/mongo/db/ops/write_ops.idl, create_indexes.idl), the IDL
// parser's messages (idl_parser.cpp) and write_concern.cpp / read_concern_args.cpp.

func TestArgs_Find(t *testing.T) {
	find := func(more ...bson.E) bson.D { return cmdWith("find", "c", more...) }
	runArgCases(t, []argCase{
		{"valid with every option family", find(e("filter", matchID), e("sort", matchID), e("projection", matchID), e("hint", "_id_"),
			e("skip", 0), e("limit", int64(5)), e("batchSize", 0), e("singleBatch", true), e("collation", simple), e("let", emptyD),
			e("allowDiskUse", false), e("comment", "c"), e("maxTimeMS", 1000), e("readConcern", bson.D{{Key: "level", Value: "local"}})), 0, ""},
		{"filter not an object", find(e("filter", "x")), 14, "Expected field filterto be of type object"},
		{"sort a number", find(e("sort", 1)), 14, "Expected field sortto be of type object"},
		{"projection an array", find(e("projection", bson.A{})), 14, ""},
		{"hint a number", find(e("hint", 1)), 14, "BSON field 'find.hint' is the wrong type 'int', expected types '[string, object]'"},
		{"skip a string", find(e("skip", "1")), 14, "BSON field 'find.skip' is the wrong type 'string'"},
		{"negative limit", find(e("limit", -1)), 51024, "BSON field 'limit' value must be >= 0, actual value '-1'"},
		{"negative batchSize", find(e("batchSize", int64(-2))), 51024, "BSON field 'batchSize' value must be >= 0"},
		{"negative skip", find(e("skip", -3)), 51024, ""},
		{"singleBatch a number", find(e("singleBatch", 1)), 14, "Field 'singleBatch' should be a boolean value, but found: int"},
		{"allowDiskUse a string", find(e("allowDiskUse", "yes")), 14, ""},
		{"let not an object", find(e("let", 1)), 14, "BSON field 'find.let' is the wrong type 'int', expected type 'object'"},
		{"unknown field", find(e("foo", 1)), 40415, "BSON field 'find.foo' is an unknown field."},
		{"negative maxTimeMS", find(e("maxTimeMS", -1)), 2, ""},
		{"maxTimeMS a string", find(e("maxTimeMS", "1")), 2, ""},
		{"readConcern not an object", find(e("readConcern", "local")), 14, ""},
		{"readConcern level a number", find(e("readConcern", bson.D{{Key: "level", Value: 1}})), 14, ""},
		{"readConcern unknown level", find(e("readConcern", bson.D{{Key: "level", Value: "eventual"}})), 9, ""},
		{"readConcern unknown field", find(e("readConcern", bson.D{{Key: "foo", Value: 1}})), 72, "Unrecognized option in readConcern: foo"},
		{"readConcern afterClusterTime not a timestamp", find(e("readConcern", bson.D{{Key: "afterClusterTime", Value: 1}})), 14, ""},
	})
}

func TestArgs_Aggregate(t *testing.T) {
	agg := func(more ...bson.E) bson.D { return cmdWith("aggregate", "c", more...) }
	runArgCases(t, []argCase{
		{"valid with let, hint and collation", agg(e("pipeline", bson.A{}), e("cursor", emptyD), e("let", emptyD), e("hint", "_id_"),
			e("collation", simple), e("allowDiskUse", true), e("comment", "c"), e("maxTimeMS", 1000)), 0, ""},
		{"missing pipeline", agg(e("cursor", emptyD)), 40414, "BSON field 'aggregate.pipeline' is missing but a required field"},
		{"pipeline an object", agg(e("pipeline", emptyD), e("cursor", emptyD)), 14, "BSON field 'aggregate.pipeline' is the wrong type 'object', expected type 'array'"},
		{"cursor a number", agg(e("pipeline", bson.A{}), e("cursor", 1)), 14, ""},
		{"negative cursor batchSize", agg(e("pipeline", bson.A{}), e("cursor", bson.D{{Key: "batchSize", Value: -1}})), 51024, ""},
		{"missing cursor", agg(e("pipeline", bson.A{})), 9, "The 'cursor' option is required"},
		{"explain a string", agg(e("pipeline", bson.A{}), e("explain", "yes")), 14, "Field 'explain' should be a boolean value"},
		{"allowDiskUse a number", agg(e("pipeline", bson.A{}), e("cursor", emptyD), e("allowDiskUse", 1)), 14, ""},
		{"hint a number", agg(e("pipeline", bson.A{}), e("cursor", emptyD), e("hint", 1)), 14, ""},
		{"let an array", agg(e("pipeline", bson.A{}), e("cursor", emptyD), e("let", bson.A{})), 14, ""},
		{"unknown field", agg(e("pipeline", bson.A{}), e("cursor", emptyD), e("foo", 1)), 40415, "BSON field 'aggregate.foo' is an unknown field."},
	})
}

func TestArgs_Insert(t *testing.T) {
	ins := func(more ...bson.E) bson.D { return cmdWith("insert", "c", more...) }
	doc := func(id int) bson.A { return bson.A{bson.D{{Key: "_id", Value: id}}} }
	runArgCases(t, []argCase{
		{"valid with a write concern", ins(e("documents", doc(10)), e("ordered", false), e("bypassDocumentValidation", 1),
			e("writeConcern", bson.D{{Key: "w", Value: 1}, {Key: "j", Value: true}, {Key: "wtimeout", Value: 100}}), e("comment", "c")), 0, ""},
		{"empty write concern is the default", ins(e("documents", doc(11)), e("writeConcern", emptyD)), 0, ""},
		{"missing documents", ins(), 40414, "BSON field 'insert.documents' is missing but a required field"},
		{"documents a string", ins(e("documents", "x")), 14, "BSON field 'insert.documents' is the wrong type 'string', expected type 'array'"},
		{"a document not an object", ins(e("documents", bson.A{1})), 14, ""},
		{"ordered a number", ins(e("documents", doc(12)), e("ordered", 1)), 14, "BSON field 'insert.ordered' is the wrong type 'int', expected type 'bool'"},
		{"bypassDocumentValidation a string", ins(e("documents", doc(13)), e("bypassDocumentValidation", "x")), 14, ""},
		{"unknown field", ins(e("documents", doc(14)), e("foo", 1)), 40415, "BSON field 'insert.foo' is an unknown field."},
		{"writeConcern not an object", ins(e("documents", doc(15)), e("writeConcern", 1)), 14, ""},
		{"w a boolean", ins(e("documents", doc(16)), e("writeConcern", bson.D{{Key: "w", Value: true}})), 9, "w has to be a number, string, or object; found: bool"},
		{"w negative", ins(e("documents", doc(17)), e("writeConcern", bson.D{{Key: "w", Value: -1}})), 9, "w has to be a non-negative number"},
		{"w empty tags", ins(e("documents", doc(18)), e("writeConcern", bson.D{{Key: "w", Value: emptyD}})), 9, "tagged write concern requires tags"},
		{"j a string", ins(e("documents", doc(19)), e("writeConcern", bson.D{{Key: "j", Value: "yes"}})), 14, "BSON field 'WriteConcernOptions.j' is the wrong type"},
		{"j and fsync", ins(e("documents", doc(20)), e("writeConcern", bson.D{{Key: "j", Value: true}, {Key: "fsync", Value: true}})), 9, "fsync and j options cannot be used together"},
	})
}

func TestArgs_Update(t *testing.T) {
	upd := func(more ...bson.E) bson.D { return cmdWith("update", "c", more...) }
	stmt := bson.A{bson.D{{Key: "q", Value: matchID}, {Key: "u", Value: setX}}}
	runArgCases(t, []argCase{
		{"valid with let, hint and collation", upd(e("updates", bson.A{bson.D{{Key: "q", Value: matchID}, {Key: "u", Value: setX},
			{Key: "hint", Value: "_id_"}, {Key: "collation", Value: simple}}}), e("let", emptyD), e("ordered", true)), 0, ""},
		{"missing updates", upd(), 40414, "BSON field 'update.updates' is missing but a required field"},
		{"updates an object", upd(e("updates", emptyD)), 14, ""},
		{"let a string", upd(e("updates", stmt), e("let", "x")), 14, "BSON field 'update.let' is the wrong type 'string', expected type 'object'"},
		{"ordered a string", upd(e("updates", stmt), e("ordered", "x")), 14, ""},
		{"unknown field", upd(e("updates", stmt), e("foo", 1)), 40415, "BSON field 'update.foo' is an unknown field."},
		{"unknown statement field", upd(e("updates", bson.A{bson.D{{Key: "q", Value: matchID}, {Key: "u", Value: setX}, {Key: "bar", Value: 1}}})), 40415, ""},
		{"statement without u", upd(e("updates", bson.A{bson.D{{Key: "q", Value: matchID}}})), 40414, ""},
		{"multi a string", upd(e("updates", bson.A{bson.D{{Key: "q", Value: matchID}, {Key: "u", Value: setX}, {Key: "multi", Value: "x"}}})), 14, ""},
	})
}

func TestArgs_Delete(t *testing.T) {
	del := func(more ...bson.E) bson.D { return cmdWith("delete", "c", more...) }
	stmt := bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 999}}}, {Key: "limit", Value: 1}}}
	runArgCases(t, []argCase{
		{"valid with let, hint and collation", del(e("deletes", bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 999}}}, {Key: "limit", Value: 1},
			{Key: "hint", Value: "_id_"}, {Key: "collation", Value: simple}}}), e("let", emptyD)), 0, ""},
		{"missing deletes", del(), 40414, "BSON field 'delete.deletes' is missing but a required field"},
		{"deletes a number", del(e("deletes", 1)), 14, ""},
		{"limit 2", del(e("deletes", bson.A{bson.D{{Key: "q", Value: emptyD}, {Key: "limit", Value: 2}}})), 9, ""},
		{"let a number", del(e("deletes", stmt), e("let", 1)), 14, ""},
		{"unknown field", del(e("deletes", stmt), e("foo", 1)), 40415, "BSON field 'delete.foo' is an unknown field."},
	})
}

func TestArgs_FindAndModify(t *testing.T) {
	fam := func(more ...bson.E) bson.D { return cmdWith("findAndModify", "c", more...) }
	q := e("query", matchID)
	runArgCases(t, []argCase{
		{"valid with let, hint and collation", fam(q, e("update", setX), e("new", true), e("let", emptyD), e("hint", "_id_"),
			e("collation", simple), e("fields", emptyD), e("sort", emptyD)), 0, ""},
		{"update and remove", fam(q, e("update", setX), e("remove", true)), 9, "Cannot specify both an update and remove=true"},
		{"neither update nor remove", fam(q), 9, "Either an update or remove=true must be specified"},
		{"new with remove", fam(q, e("remove", true), e("new", true)), 9, "Cannot specify both new=true and remove=true"},
		{"upsert with remove", fam(q, e("remove", true), e("upsert", true)), 9, "Cannot specify both upsert=true and remove=true"},
		{"arrayFilters with remove", fam(q, e("remove", true), e("arrayFilters", bson.A{})), 9, "Cannot specify arrayFilters and remove=true"},
		{"query a string", fam(e("query", "x"), e("remove", true)), 14, "BSON field 'findAndModify.query' is the wrong type 'string', expected type 'object'"},
		{"fields a number", fam(q, e("remove", true), e("fields", 1)), 14, ""},
		{"sort a string", fam(q, e("remove", true), e("sort", "x")), 14, ""},
		{"new a string", fam(q, e("update", setX), e("new", "x")), 14, ""},
		{"update a number", fam(q, e("update", 5)), 9, "Update argument must be either an object or an array"},
		{"hint a number", fam(q, e("remove", true), e("hint", 1)), 14, ""},
		{"unknown field", fam(q, e("remove", true), e("foo", 1)), 40415, "BSON field 'findAndModify.foo' is an unknown field."},
	})
}

func TestArgs_Count(t *testing.T) {
	count := func(more ...bson.E) bson.D { return cmdWith("count", "c", more...) }
	runArgCases(t, []argCase{
		{"valid with hint, collation and let", count(e("query", matchID), e("hint", "_id_"), e("collation", simple), e("let", emptyD),
			e("limit", 5), e("skip", 0)), 0, ""},
		{"query a string", count(e("query", "x")), 14, "BSON field 'count.query' is the wrong type 'string', expected type 'object'"},
		{"limit a string", count(e("limit", "1")), 14, ""},
		{"negative skip", count(e("skip", -1)), 51024, ""},
		{"hint a number", count(e("hint", 5)), 14, ""},
		{"unknown field", count(e("foo", 1)), 40415, "BSON field 'count.foo' is an unknown field."},
	})
}

func TestArgs_Distinct(t *testing.T) {
	distinct := func(more ...bson.E) bson.D { return cmdWith("distinct", "c", more...) }
	runArgCases(t, []argCase{
		{"valid with hint, collation and let", distinct(e("key", "_id"), e("query", emptyD), e("collation", simple), e("hint", "_id_"), e("let", emptyD)), 0, ""},
		{"missing key", distinct(e("query", emptyD)), 40414, "BSON field 'distinct.key' is missing but a required field"},
		{"key a number", distinct(e("key", 5)), 14, "BSON field 'distinct.key' is the wrong type 'int', expected type 'string'"},
		{"query a string", distinct(e("key", "_id"), e("query", "x")), 14, ""},
		{"unknown field", distinct(e("key", "_id"), e("foo", 1)), 40415, "BSON field 'distinct.foo' is an unknown field."},
	})
}

func TestArgs_CreateIndexes(t *testing.T) {
	ci := func(more ...bson.E) bson.D { return cmdWith("createIndexes", "c", more...) }
	index := bson.A{bson.D{{Key: "key", Value: bson.D{{Key: "x", Value: 1}}}, {Key: "name", Value: "x_1"}}}
	runArgCases(t, []argCase{
		{"valid with commitQuorum", ci(e("indexes", index), e("commitQuorum", "majority")), 0, ""},
		{"missing indexes", ci(), 40414, "BSON field 'createIndexes.indexes' is missing but a required field"},
		{"indexes a string", ci(e("indexes", "x")), 14, ""},
		{"unknown field", ci(e("indexes", index), e("foo", 1)), 40415, "BSON field 'createIndexes.foo' is an unknown field."},
	})
}

// TestArgs_GenericFields sends the generic arguments mongod accepts on every command to each validated one (the
// driver adds $db, lsid, $clusterTime and $readPreference itself).
func TestArgs_GenericFields(t *testing.T) {
	generic := []bson.E{e("comment", bson.D{{Key: "any", Value: "thing"}}), e("maxTimeMS", 5000), e("apiDeprecationErrors", false)}
	with := func(cmd bson.D) bson.D { return append(cmd, generic...) }
	runArgCases(t, []argCase{
		{"find", with(cmdWith("find", "c")), 0, ""},
		{"aggregate", with(cmdWith("aggregate", "c", e("pipeline", bson.A{}), e("cursor", emptyD))), 0, ""},
		{"insert", with(cmdWith("insert", "c", e("documents", bson.A{bson.D{{Key: "_id", Value: 2}}}))), 0, ""},
		{"update", with(cmdWith("update", "c", e("updates", bson.A{bson.D{{Key: "q", Value: matchID}, {Key: "u", Value: setX}}}))), 0, ""},
		{"delete", with(cmdWith("delete", "c", e("deletes", bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 2}}}, {Key: "limit", Value: 1}}}))), 0, ""},
		{"findAndModify", with(cmdWith("findAndModify", "c", e("query", matchID), e("update", setX))), 0, ""},
		{"count", with(cmdWith("count", "c")), 0, ""},
		{"distinct", with(cmdWith("distinct", "c", e("key", "_id"))), 0, ""},
		{"createIndexes", with(cmdWith("createIndexes", "c", e("indexes", bson.A{bson.D{{Key: "key", Value: bson.D{{Key: "y", Value: 1}}}, {Key: "name", Value: "y_1"}}}))), 0, ""},
		{"validate", with(cmdWith("validate", "c")), 0, ""},
	})
}
