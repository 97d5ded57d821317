package server

import (
	"context"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/wire"
)

// Version is the MongoDB version Concord reports in buildInfo and serverStatus: the release whose behaviour
// and wire version (21) it follows.
const Version = "7.0.0"

// versionArray is Version as buildInfo's versionArray.
var versionArray = bson.A{int32(7), int32(0), int32(0), int32(0)}

// handlePing answers ping.
func handlePing(context.Context, *Server, *Request) (bson.D, error) { return bson.D{}, nil }

// handleBuildInfo answers buildInfo. It carries no "ferretdb" key, so mongosh shows no non-genuine banner,
// and no "enterprise" module.
func handleBuildInfo(context.Context, *Server, *Request) (bson.D, error) {
	return bson.D{
		{Key: "version", Value: Version},
		{Key: "gitVersion", Value: "concord"},
		{Key: "modules", Value: bson.A{}},
		{Key: "allocator", Value: "go"},
		{Key: "javascriptEngine", Value: "none"},
		{Key: "sysInfo", Value: "deprecated"},
		{Key: "versionArray", Value: versionArray},
		{Key: "openssl", Value: bson.D{{Key: "running", Value: "disabled"}, {Key: "compiled", Value: "disabled"}}},
		{Key: "buildEnvironment", Value: bson.D{
			{Key: "distarch", Value: runtime.GOARCH},
			{Key: "target_arch", Value: runtime.GOARCH},
			{Key: "target_os", Value: runtime.GOOS},
			{Key: "cc", Value: runtime.Version()},
		}},
		{Key: "bits", Value: int32(strconv.IntSize)},
		{Key: "debug", Value: false},
		{Key: "maxBsonObjectSize", Value: int32(wire.MaxBSONObjectSize)},
		{Key: "storageEngines", Value: bson.A{"concord"}},
	}, nil
}

// handleGetCmdLineOpts answers getCmdLineOpts with the process arguments and the settings clients look for.
func handleGetCmdLineOpts(_ context.Context, s *Server, _ *Request) (bson.D, error) {
	argv := bson.A{}
	for _, a := range os.Args {
		argv = append(argv, a)
	}
	net := bson.D{}
	if host, port, err := splitHostPort(s.advertisedAddr()); err == nil {
		net = bson.D{{Key: "bindIp", Value: host}, {Key: "port", Value: int32(port)}}
	}
	return bson.D{
		{Key: "argv", Value: argv},
		{Key: "parsed", Value: bson.D{
			{Key: "net", Value: net},
			{Key: "replication", Value: bson.D{{Key: "replSet", Value: s.replSetName()}}},
		}},
	}, nil
}

// splitHostPort splits host:port with a numeric port.
func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	return host, port, err
}

// handleHostInfo answers hostInfo with what the Go runtime knows about the machine.
func handleHostInfo(context.Context, *Server, *Request) (bson.D, error) {
	hostname, _ := os.Hostname()
	return bson.D{
		{Key: "system", Value: bson.D{
			{Key: "currentTime", Value: bson.NewDateTimeFromTime(time.Now())},
			{Key: "hostname", Value: hostname},
			{Key: "cpuAddrSize", Value: int32(strconv.IntSize)},
			{Key: "numCores", Value: int32(runtime.NumCPU())},
			{Key: "cpuArch", Value: runtime.GOARCH},
			{Key: "numaEnabled", Value: false},
		}},
		{Key: "os", Value: bson.D{{Key: "type", Value: runtime.GOOS}, {Key: "name", Value: runtime.GOOS}}},
		{Key: "extra", Value: bson.D{}},
	}, nil
}

// handleWhatsMyURI answers whatsmyuri with the client's address.
func handleWhatsMyURI(_ context.Context, _ *Server, req *Request) (bson.D, error) {
	return bson.D{{Key: "you", Value: req.Conn.RemoteAddr}}, nil
}

// handleReplSetGetStatus describes the one-member replica set.
func handleReplSetGetStatus(_ context.Context, s *Server, _ *Request) (bson.D, error) {
	now := time.Now()
	ts := s.clock.now()
	optime := bson.D{{Key: "ts", Value: ts}, {Key: "t", Value: int64(1)}}
	return bson.D{
		{Key: "set", Value: s.replSetName()},
		{Key: "date", Value: bson.NewDateTimeFromTime(now)},
		{Key: "myState", Value: int32(1)},
		{Key: "term", Value: int64(1)},
		{Key: "heartbeatIntervalMillis", Value: int64(2000)},
		{Key: "majorityVoteCount", Value: int32(1)},
		{Key: "writeMajorityCount", Value: int32(1)},
		{Key: "votingMembersCount", Value: int32(1)},
		{Key: "writableVotingMembersCount", Value: int32(1)},
		{Key: "members", Value: bson.A{bson.D{
			{Key: "_id", Value: int32(0)},
			{Key: "name", Value: s.advertisedAddr()},
			{Key: "health", Value: 1.0},
			{Key: "state", Value: int32(1)},
			{Key: "stateStr", Value: "PRIMARY"},
			{Key: "uptime", Value: int64(now.Sub(s.started) / time.Second)},
			{Key: "optime", Value: optime},
			{Key: "optimeDate", Value: bson.NewDateTimeFromTime(time.Unix(int64(ts.T), 0))},
			{Key: "syncSourceHost", Value: ""},
			{Key: "syncSourceId", Value: int32(-1)},
			{Key: "infoMessage", Value: ""},
			{Key: "electionTime", Value: bson.Timestamp{T: uint32(s.started.Unix()), I: 1}},
			{Key: "electionDate", Value: bson.NewDateTimeFromTime(s.started)},
			{Key: "configVersion", Value: int32(1)},
			{Key: "configTerm", Value: int64(1)},
			{Key: "self", Value: true},
			{Key: "lastHeartbeatMessage", Value: ""},
		}}},
	}, nil
}

// handleGetLog answers getLog: "global" returns the in-memory log of the server's events in mongod's JSON
// format (ramLog), "startupWarnings" is empty, "*" lists the names.
func handleGetLog(_ context.Context, s *Server, req *Request) (bson.D, error) {
	v := req.Body.Lookup("getLog")
	name, ok := v.StringValueOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "Argument to getLog must be of type String; found %s of type %s", v.String(), typeName(v.Type))
	}
	switch name {
	case "*":
		return bson.D{{Key: "names", Value: bson.A{"global", "startupWarnings"}}}, nil
	case "global":
		lines, total := s.events.snapshot()
		log := make(bson.A, len(lines))
		for i, l := range lines {
			log[i] = l
		}
		return bson.D{{Key: "totalLinesWritten", Value: appendNumber(total)}, {Key: "log", Value: log}}, nil
	case "startupWarnings":
		return bson.D{{Key: "totalLinesWritten", Value: int32(0)}, {Key: "log", Value: bson.A{}}}, nil
	}
	return nil, codes.New(codes.OperationFailed, "No log named '%s'", name)
}

// handleEndSessions answers endSessions and killSessions: it ends the listed sessions, aborting their open
// transactions and closing their cursors. A session the server never saw may still own cursors (a plain find
// registers no session state), so cursors are closed for every listed id. killSessions first interrupts the
// sessions' commands in flight (Interrupted, 11601), as mongod kills their operations, so that it does not wait
// behind a write that is itself waiting on a conflict.
func handleEndSessions(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	ids, err := parseSessionIDs(req.Name, req.Body.Lookup(req.Name))
	if err != nil {
		return nil, err
	}
	if req.Name == "killSessions" {
		s.ops.killInSessions(req, func(lsid [16]byte) bool { return slices.Contains(ids, lsid) })
	}
	s.cursors.closeSessions(ids)
	return bson.D{}, s.sessions.endSessions(ctx, ids)
}

// handleKillAllSessions kills every session (Concord has no users, so any user pattern matches all):
// it interrupts their commands in flight, aborts their open transactions and closes every cursor opened in a
// session.
func handleKillAllSessions(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	if _, ok := req.Body.Lookup(req.Name).ArrayOK(); !ok {
		return nil, codes.New(codes.TypeMismatch, "BSON field '%s' is the wrong type, expected type 'array'", req.Name)
	}
	s.ops.killInSessions(req, func([16]byte) bool { return true })
	s.cursors.closeAllSessions()
	return bson.D{}, s.sessions.endSessions(ctx, s.sessions.ids())
}

// handleTxnOutsideSession is the table entry of commitTransaction and abortTransaction. Core runs both itself
// (runTransactionStatement), so the handler is reached only if that routing is bypassed.
func handleTxnOutsideSession(_ context.Context, _ *Server, req *Request) (bson.D, error) {
	return nil, codes.New(codes.CommandFailed, "%s must be run within a transaction", req.Name)
}
