package server

import (
	"context"
	"maps"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// parameter is a server parameter visible to getParameter, settable at run time when set is non-nil.
type parameter struct {
	get func(s *Server) any
	set func(s *Server, v bson.RawValue) error
}

// parameters are the server parameters Concord knows, by name.
var parameters = map[string]parameter{
	"cursorTimeoutMillis": {
		get: func(s *Server) any { return int64(s.cursorIdleTimeout() / time.Millisecond) },
		set: func(s *Server, v bson.RawValue) error {
			n, ok := v.AsInt64OK()
			if !ok {
				f, isDouble := v.DoubleOK()
				if !isDouble || f != float64(int64(f)) {
					return codes.New(codes.BadValue, "Invalid value for parameter cursorTimeoutMillis: %s", v.String())
				}
				n = int64(f)
			}
			if n < 0 {
				return codes.New(codes.BadValue, "Invalid value for parameter cursorTimeoutMillis: %d is not greater than or equal to 0", n)
			}
			if n == 0 {
				n = -1 // stored as "set" so that 0 does not mean the default; a cursor then times out at once
			}
			s.cursorTimeout.Store(n)
			return nil
		},
	},
	// featureCompatibilityVersion is the version persisted by setFeatureCompatibilityVersion (fcv.go); a
	// storage error reading it reports the binary's own version.
	"featureCompatibilityVersion": {get: func(s *Server) any {
		v, err := featureCompatibilityVersion(context.Background(), s.DB)
		if err != nil {
			v = fcvLatest
		}
		return bson.D{{Key: "version", Value: v}}
	}},
	"logLevel":                               {get: func(*Server) any { return int32(0) }, set: func(*Server, bson.RawValue) error { return nil }},
	"maxTransactionLockRequestTimeoutMillis": {get: func(*Server) any { return int32(5) }},
	"ttlMonitorSleepSecs": {
		get: func(s *Server) any { return int32(frontend.TTLMonitorSleep(s.DB) / time.Second) },
		set: func(s *Server, v bson.RawValue) error {
			n, ok := v.AsInt64OK()
			if !ok || n < 1 {
				return codes.New(codes.BadValue, "Invalid value for parameter ttlMonitorSleepSecs: %s", v.String())
			}
			frontend.SetTTLMonitorSleep(s.DB, time.Duration(n)*time.Second)
			return nil
		},
	},
	"transactionLifetimeLimitSeconds": {
		get: func(s *Server) any { return int32(s.DB.TransactionLifetime() / time.Second) },
		set: func(s *Server, v bson.RawValue) error {
			n, ok := v.AsInt64OK()
			if !ok {
				f, isDouble := v.DoubleOK()
				if !isDouble || f != float64(int64(f)) {
					return codes.New(codes.BadValue, "Invalid value for parameter transactionLifetimeLimitSeconds: %s", v.String())
				}
				n = int64(f)
			}
			if n < 1 {
				return codes.New(codes.BadValue, "Invalid value for parameter transactionLifetimeLimitSeconds: %d is not greater than or equal to 1", n)
			}
			s.DB.SetTransactionLifetime(time.Duration(n) * time.Second)
			return nil
		},
	},
}

// defaultCursorTimeout is cursorTimeoutMillis' default, mongod's: a cursor unused for this long is closed by
// the reaper.
const defaultCursorTimeout = 10 * time.Minute

// cursorIdleTimeout is cursorTimeoutMillis: how long a cursor may stay unused before the reaper closes it.
func (s *Server) cursorIdleTimeout() time.Duration {
	switch n := s.cursorTimeout.Load(); {
	case n == 0:
		return defaultCursorTimeout
	case n < 0:
		return 0
	default:
		return time.Duration(n) * time.Millisecond
	}
}

// handleGetParameter answers getParameter: {getParameter: 1, name: 1, ...}, {getParameter: "*"} for all, or
// {getParameter: {showDetails: true}, name: 1} for value and settability.
func handleGetParameter(_ context.Context, s *Server, req *Request) (bson.D, error) {
	elems, err := req.Body.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "%v", err)
	}
	first := elems[0].Value()
	all := false
	details := false
	if str, ok := first.StringValueOK(); ok && str == "*" {
		all = true
	}
	if d, ok := first.DocumentOK(); ok {
		if v, err := d.LookupErr("allParameters"); err == nil {
			all, _ = v.BooleanOK()
		}
		if v, err := d.LookupErr("showDetails"); err == nil {
			details, _ = v.BooleanOK()
		}
	}
	value := func(p parameter) any {
		if !details {
			return p.get(s)
		}
		return bson.D{
			{Key: "value", Value: p.get(s)},
			{Key: "settableAtRuntime", Value: p.set != nil},
			{Key: "settableAtStartup", Value: true},
		}
	}
	var out bson.D
	if all {
		for _, name := range slices.Sorted(maps.Keys(parameters)) {
			out = append(out, bson.E{Key: name, Value: value(parameters[name])})
		}
		return out, nil
	}
	for _, e := range elems[1:] {
		if isGenericArg(e.Key()) {
			continue
		}
		if p, ok := parameters[e.Key()]; ok {
			out = append(out, bson.E{Key: e.Key(), Value: value(p)})
		}
	}
	if len(out) == 0 {
		return nil, codes.New(codes.InvalidOptions, "no option found to get")
	}
	return out, nil
}

// handleSetParameter answers setParameter: {setParameter: 1, name: value}. It replies with the previous value
// as "was". Unknown or read-only parameters are errors, as in mongod.
func handleSetParameter(_ context.Context, s *Server, req *Request) (bson.D, error) {
	elems, err := req.Body.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "%v", err)
	}
	var out bson.D
	for _, e := range elems[1:] {
		name := e.Key()
		if isGenericArg(name) {
			continue
		}
		p, ok := parameters[name]
		if !ok {
			return nil, codes.New(codes.InvalidOptions, "Attempted to set unknown parameter '%s'", name)
		}
		if p.set == nil {
			return nil, codes.New(codes.IllegalOperation, "Cannot set parameter '%s' at runtime", name)
		}
		was := p.get(s)
		if err := p.set(s, e.Value()); err != nil {
			return nil, err
		}
		if out == nil {
			out = bson.D{{Key: "was", Value: was}}
		}
	}
	if out == nil {
		return nil, codes.New(codes.InvalidOptions, "no option found to set, use help:true to see options ")
	}
	return out, nil
}

// isGenericArg reports whether name is an argument every command may carry rather than a command field.
func isGenericArg(name string) bool {
	switch name {
	case "$db", "lsid", "$clusterTime", "txnNumber", "autocommit", "startTransaction", "readConcern",
		"writeConcern", "maxTimeMS", "comment", "$readPreference", "apiVersion", "apiStrict",
		"apiDeprecationErrors", "$audit", "$client", "mayBypassWriteBlocking":
		return true
	}
	return false
}
