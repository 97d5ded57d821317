package server

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// handleConnPoolStats answers connPoolStats with mongod's fields. Concord opens no connections to other servers
// (no replication, no sharding), so every count is a true zero and pools, hosts and replicaSets are empty.
func handleConnPoolStats(context.Context, *Server, *Request) (bson.D, error) {
	return bson.D{
		{Key: "numClientConnections", Value: int32(0)},
		{Key: "numAScopedConnections", Value: int32(0)},
		{Key: "totalInUse", Value: int32(0)},
		{Key: "totalAvailable", Value: int32(0)},
		{Key: "totalLeased", Value: int32(0)},
		{Key: "totalCreated", Value: int32(0)},
		{Key: "totalRefreshing", Value: int32(0)},
		{Key: "totalRefreshed", Value: int32(0)},
		{Key: "replicaSetMatchingStrategy", Value: "disabled"},
		{Key: "pools", Value: bson.D{}},
		{Key: "hosts", Value: bson.D{}},
		{Key: "replicaSets", Value: bson.D{}},
		{Key: "numReplicaSetMonitorsCreated", Value: int32(0)},
	}, nil
}

// handleLogRotate answers logRotate (admin only): {logRotate: 1 | "server" | "audit"}. Concord writes its log
// to the standard error stream (or the Logger the embedding program gives it), which has no file to reopen:
// the command logs mongod's "Log rotation initiated" line and succeeds, as mongod does when it logs to the
// console. "audit" is refused as by a server without an audit log.
func handleLogRotate(_ context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "logRotate may only be run against the admin database.")
	}
	v := req.Body.Index(0).Value()
	if kind, ok := v.StringValueOK(); ok && kind != "server" {
		if kind == "audit" {
			return nil, codes.New(codes.NoSuchKey, "Unknown log type for rotate: audit: the audit log is not enabled")
		}
		return nil, codes.New(codes.NoSuchKey, "Unknown log type for rotate: %s", kind)
	}
	s.logEvent("CONTROL", 23166, "Log rotation initiated", bson.D{{Key: "suffix", Value: ""}, {Key: "logType", Value: "server"}}, "Log rotation initiated")
	return bson.D{}, nil
}
