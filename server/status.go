package server

import (
	"context"
	"os"
	"runtime"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxIncomingConnections is connections.available + current when MaxConns is 0: MongoDB's default.
const maxIncomingConnections = 1000000

// maxConns is the bound connections.available counts down from: MaxConns, or MongoDB's default.
func (s *Server) maxConns() int32 {
	if s.MaxConns > 0 {
		return int32(min(s.MaxConns, maxIncomingConnections))
	}
	return maxIncomingConnections
}

// handleServerStatus answers serverStatus with the sections clients and mongostat read. Counters come from
// the engine (opcounters, metrics, transactions) and from the server (connections, network).
func handleServerStatus(_ context.Context, s *Server, _ *Request) (bson.D, error) {
	m := s.DB.Metrics()
	now := time.Now()
	hostname, _ := os.Hostname()
	uptime := now.Sub(s.started)
	current := int32(s.currentConns())
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	const mib = 1 << 20

	return bson.D{
		{Key: "host", Value: hostname},
		{Key: "version", Value: Version},
		{Key: "process", Value: "concord"},
		{Key: "pid", Value: int64(os.Getpid())},
		{Key: "uptime", Value: uptime.Seconds()},
		{Key: "uptimeMillis", Value: uptime.Milliseconds()},
		{Key: "uptimeEstimate", Value: int64(uptime / time.Second)},
		{Key: "localTime", Value: bson.NewDateTimeFromTime(now)},
		{Key: "asserts", Value: bson.D{
			{Key: "regular", Value: int32(0)}, {Key: "warning", Value: int32(0)}, {Key: "msg", Value: int32(0)},
			{Key: "user", Value: int32(0)}, {Key: "rollovers", Value: int32(0)},
		}},
		{Key: "connections", Value: bson.D{
			{Key: "current", Value: current},
			{Key: "available", Value: max(s.maxConns()-current, 0)},
			{Key: "totalCreated", Value: s.connsCreated.Load()},
			{Key: "rejected", Value: s.connsRefused.Load()},
			{Key: "active", Value: int32(len(s.ops.list()))},
		}},
		{Key: "globalLock", Value: bson.D{
			{Key: "totalTime", Value: uptime.Microseconds()},
			{Key: "currentQueue", Value: bson.D{{Key: "total", Value: int32(0)}, {Key: "readers", Value: int32(0)}, {Key: "writers", Value: int32(0)}}},
			{Key: "activeClients", Value: bson.D{{Key: "total", Value: int32(0)}, {Key: "readers", Value: int32(0)}, {Key: "writers", Value: int32(0)}}},
		}},
		{Key: "mem", Value: bson.D{
			{Key: "bits", Value: int32(64)},
			{Key: "resident", Value: int32(ms.Sys / mib)},
			{Key: "virtual", Value: int32(ms.Sys / mib)},
			{Key: "supported", Value: true},
		}},
		{Key: "metrics", Value: bson.D{
			{Key: "cursor", Value: bson.D{
				{Key: "timedOut", Value: s.cursors.timedOut.Load()},
				{Key: "open", Value: bson.D{{Key: "total", Value: int64(s.cursors.len())}}},
			}},
			{Key: "document", Value: bson.D{
				{Key: "deleted", Value: m.Document.Deleted},
				{Key: "inserted", Value: m.Document.Inserted},
				{Key: "returned", Value: m.Document.Returned},
				{Key: "updated", Value: m.Document.Updated},
			}},
			{Key: "operation", Value: bson.D{
				{Key: "killedDueToClientDisconnect", Value: s.killedDisconnect.Load()},
				{Key: "killedDueToMaxTimeMSExpired", Value: s.killedMaxTime.Load()},
				{Key: "scanAndOrder", Value: int64(0)},
				{Key: "writeConflicts", Value: m.WriteConflicts},
			}},
		}},
		{Key: "network", Value: bson.D{
			{Key: "bytesIn", Value: s.bytesIn.Load()},
			{Key: "bytesOut", Value: s.bytesOut.Load()},
			{Key: "physicalBytesIn", Value: s.bytesIn.Load()},
			{Key: "physicalBytesOut", Value: s.bytesOut.Load()},
			{Key: "numRequests", Value: s.numRequests.Load()},
		}},
		{Key: "opcounters", Value: bson.D{
			{Key: "insert", Value: m.Opcounters.Insert},
			{Key: "query", Value: m.Opcounters.Query},
			{Key: "update", Value: m.Opcounters.Update},
			{Key: "delete", Value: m.Opcounters.Delete},
			{Key: "getmore", Value: m.Opcounters.Getmore},
			{Key: "command", Value: m.Opcounters.Command},
		}},
		{Key: "opcountersRepl", Value: bson.D{
			{Key: "insert", Value: int64(0)},
			{Key: "query", Value: int64(0)},
			{Key: "update", Value: int64(0)},
			{Key: "delete", Value: int64(0)},
			{Key: "getmore", Value: int64(0)},
			{Key: "command", Value: int64(0)},
		}},
		{Key: "repl", Value: bson.D{
			{Key: "hosts", Value: bson.A{s.advertisedAddr()}},
			{Key: "setName", Value: s.replSetName()},
			{Key: "setVersion", Value: int32(1)},
			{Key: "isWritablePrimary", Value: true},
			{Key: "secondary", Value: false},
			{Key: "primary", Value: s.advertisedAddr()},
			{Key: "me", Value: s.advertisedAddr()},
		}},
		{Key: "transactions", Value: bson.D{
			{Key: "retriedCommandsCount", Value: s.retriedCommands.Load()},
			{Key: "retriedStatementsCount", Value: s.retriedStatements.Load()},
			{Key: "transactionsCollectionWriteCount", Value: int64(0)},
			{Key: "currentActive", Value: m.Transactions.CurrentActive},
			{Key: "currentInactive", Value: m.Transactions.CurrentInactive},
			{Key: "currentOpen", Value: m.Transactions.CurrentOpen},
			{Key: "totalAborted", Value: m.Transactions.TotalAborted},
			{Key: "totalCommitted", Value: m.Transactions.TotalCommitted},
			{Key: "totalStarted", Value: m.Transactions.TotalStarted},
			{Key: "totalPrepared", Value: int64(0)},
			{Key: "totalPreparedThenCommitted", Value: int64(0)},
			{Key: "totalPreparedThenAborted", Value: int64(0)},
			{Key: "currentPrepared", Value: int64(0)},
		}},
		{Key: "concord", Value: concordStatus(s.DB)},
	}, nil
}
