package server

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// The Stable API: a command sent with {apiVersion: "1", apiStrict: true} must belong to API Version 1, and so
// must every stage of an aggregation, or mongod refuses it with APIStrictError (323) before running it.

// apiV1Commands are the commands of API Version 1 (mongod 7.0), with the authentication commands a driver's
// handshake sends.
var apiV1Commands = map[string]bool{
	"abortTransaction": true, "aggregate": true, "authenticate": true, "collMod": true, "commitTransaction": true,
	"count": true, "create": true, "createIndexes": true, "delete": true, "drop": true, "dropDatabase": true,
	"dropIndexes": true, "endSessions": true, "explain": true, "find": true, "findAndModify": true, "getMore": true,
	"hello": true, "isMaster": true, "ismaster": true, "insert": true, "killCursors": true, "listCollections": true,
	"listIndexes": true, "ping": true, "refreshSessions": true, "update": true, "saslStart": true,
	"saslContinue": true, "logout": true,
}

// apiStrictStages are the aggregation stages outside API Version 1.
var apiStrictStages = map[string]bool{
	"$currentOp": true, "$collStats": true, "$indexStats": true, "$listLocalSessions": true, "$listSessions": true,
	"$planCacheStats": true, "$search": true, "$searchMeta": true, "$listSearchIndexes": true,
	"$listCatalog": true, "$shardedDataDistribution": true,
}

// checkAPIStrict refuses, under {apiVersion: "1", apiStrict: true}, a command or an aggregation stage that is
// not in API Version 1.
func checkAPIStrict(name string, body bson.Raw) error {
	strict, ok := body.Lookup("apiStrict").BooleanOK()
	if !ok || !strict {
		return nil
	}
	if v, ok := body.Lookup("apiVersion").StringValueOK(); !ok || v != "1" {
		return nil
	}
	if !apiV1Commands[name] {
		return codes.New(codes.APIStrictError, "Provided apiStrict:true, but the command %s is not in API Version 1", name)
	}
	if name != "aggregate" {
		return nil
	}
	stages, ok := body.Lookup("pipeline").ArrayOK()
	if !ok {
		return nil
	}
	vals, _ := stages.Values()
	for _, st := range vals {
		d, ok := st.DocumentOK()
		if !ok {
			continue
		}
		if e, err := d.IndexErr(0); err == nil && apiStrictStages[e.Key()] {
			return codes.New(codes.APIStrictError, "%s is not allowed with 'apiStrict: true' in API Version 1", e.Key())
		}
	}
	return nil
}
