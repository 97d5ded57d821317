package server

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// Fail points are mongod's test hooks: configureFailPoint arms a named point in the server, and the code at that
// point misbehaves as told the next times it is reached. Drivers' own test suites use two of them, with
// mongod's modes and data fields: failCommand makes a chosen command fail, hang or drop its connection, and
// onPrimaryTransactionalWrite drops the connection of a retryable write's statement, or fails it uncommitted. configureFailPoint exists only when Server.EnableTestCommands is set, as
// mongod has it only under --setParameter enableTestCommands=1.

// codeFailCommandClosedConnection (50985) is the error a command failed by closeConnection raises; the client
// never sees it, since the connection is closed instead of answered.
const codeFailCommandClosedConnection codes.Code = 50985

// failPointMessage is the errmsg of a command failed through failCommand, as mongod words it.
const failPointMessage = "Failing command via 'failCommand' failpoint"

// failMode says when an armed fail point fires.
type failMode int

const (
	failOff      failMode = iota
	failAlwaysOn          // every time it is reached
	failTimes             // the next n times, then off
	failSkip              // not the next n times, then every time
)

// failPoint is one named point: its mode, its parsed data T and how often it fired. A failPoint is safe for
// concurrent use.
type failPoint[T any] struct {
	// on mirrors mode != failOff, so that commands pass a disarmed point without taking mu.
	on atomic.Bool

	mu   sync.Mutex
	mode failMode
	// n is what remains of {times: n} or {skip: n}.
	n int64
	// spec is the parsed data; nil when off.
	spec *T
	// entered counts the times the point fired since the server started (mongod's timesEntered).
	entered int64
}

// set replaces the mode and data and returns how often the point fired before, which configureFailPoint
// reports as count.
func (p *failPoint[T]) set(mode failMode, n int64, spec *T) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.n, p.spec = mode, n, spec
	if mode == failOff {
		p.spec = nil
	}
	p.on.Store(mode != failOff)
	return p.entered
}

// fire reports whether the point fires now for a command the predicate accepts, and returns its data. As in
// mongod, the predicate is asked first and only an accepted command uses up one of {times: n} or {skip: n}.
func (p *failPoint[T]) fire(pred func(*T) bool) (*T, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == failOff || (pred != nil && !pred(p.spec)) {
		return nil, false
	}
	switch p.mode {
	case failTimes:
		p.n--
		if p.n <= 0 {
			p.mode = failOff
			p.on.Store(false)
		}
	case failSkip:
		if p.n > 0 {
			p.n--
			return nil, false
		}
	}
	p.entered++
	return p.spec, true
}

// active reports, without taking the lock, whether the point may fire; fire decides under the lock.
func (p *failPoint[T]) active() bool { return p.on.Load() }

// failCommandSpec is the data of the failCommand fail point, checked when the point is configured.
type failCommandSpec struct {
	// commands are the names of the commands to fail (failCommands), canonical (see canonicalCommand).
	commands map[string]bool
	// closeConnection closes the connection instead of answering.
	closeConnection bool
	// errorCode, when hasErrorCode, fails the command with that code.
	errorCode    codes.Code
	hasErrorCode bool
	// errorLabels, when hasErrorLabels, replace the labels the server would have computed.
	errorLabels    []string
	hasErrorLabels bool
	// writeConcernError is appended to the reply of a write command that otherwise succeeds.
	writeConcernError bson.Raw
	// blockTime delays the command by that much when blockConnection is set.
	blockConnection bool
	blockTime       time.Duration
	// appName and namespace, when set, restrict the point to one application's connections and to one
	// namespace.
	appName   *string
	namespace *string
}

// matches is mongod's shouldActivateFailCommandFailPoint: the command is named in failCommands (never
// configureFailPoint itself) and its connection and namespace are the ones asked for, if any. Every Concord
// client is external, so failInternalCommands changes nothing.
func (f *failCommandSpec) matches(name, ns string, c *Conn) bool {
	if name == "configureFailPoint" || !f.commands[canonicalCommand(name)] {
		return false
	}
	if f.appName != nil && c.AppName() != *f.appName {
		return false
	}
	return f.namespace == nil || *f.namespace == ns
}

// canonicalCommand maps a command's aliases to one name, so that failCommands: ["isMaster"] also fails hello
// and ismaster, as mongod matches a command by any of its aliases.
func canonicalCommand(name string) string {
	switch name {
	case "isMaster", "ismaster":
		return "hello"
	case "buildinfo":
		return "buildInfo"
	}
	return name
}

// handleConfigureFailPoint answers configureFailPoint: {configureFailPoint: name, mode, data}, for failCommand,
// failGetMoreAfterCursorCheckout and onPrimaryTransactionalWrite; the reply's count is how often the point
// fired before this call.
func handleConfigureFailPoint(_ context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "configureFailPoint may only be run against the admin database.")
	}
	first := req.Body.Index(0).Value()
	name, ok := first.StringValueOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "BSON field 'configureFailPoint' is the wrong type '%s', expected type 'string'", typeName(first.Type))
	}
	if name != "failCommand" && name != "onPrimaryTransactionalWrite" && name != "failGetMoreAfterCursorCheckout" {
		return nil, codes.New(codes.FailPointSetFailed, "%s not found", name)
	}
	mode, n, err := parseFailMode(req.Body.Lookup("mode"))
	if err != nil {
		return nil, err
	}
	var data bson.Raw
	if v, err := req.Body.LookupErr("data"); err == nil {
		doc, ok := v.DocumentOK()
		if !ok {
			return nil, codes.New(codes.TypeMismatch, "the 'data' option must be a JSON object")
		}
		data = doc
	}
	var count int64
	switch name {
	case "failCommand":
		spec, err := parseFailCommand(data)
		if err != nil {
			return nil, err
		}
		count = s.failCommand.set(mode, n, spec)
	case "failGetMoreAfterCursorCheckout":
		spec, err := parseFailCommand(data)
		if err != nil {
			return nil, err
		}
		spec.commands = map[string]bool{"getMore": true}
		if !spec.hasErrorCode {
			spec.errorCode, spec.hasErrorCode = codes.InternalError, true
		}
		count = s.failGetMore.set(mode, n, spec)
	case "onPrimaryTransactionalWrite":
		spec, err := parseTransactionalWrite(data)
		if err != nil {
			return nil, err
		}
		count = s.transactionalWrite.set(mode, n, spec)
	}
	return bson.D{{Key: "count", Value: count}}, nil
}

// parseFailMode reads mode: "off", "alwaysOn", {times: n} or {skip: n}, with FailPoint::parseBSON's errors.
func parseFailMode(v bson.RawValue) (failMode, int64, error) {
	switch v.Type {
	case 0:
		return 0, 0, codes.New(codes.IllegalOperation, "When setting a failpoint, you must supply a 'mode'")
	case bson.TypeString:
		switch s := v.StringValue(); s {
		case "off":
			return failOff, 0, nil
		case "alwaysOn":
			return failAlwaysOn, 0, nil
		default:
			return 0, 0, codes.New(codes.BadValue, "unknown mode: %s", s)
		}
	case bson.TypeEmbeddedDocument:
		doc := v.Document()
		for _, k := range []string{"times", "skip"} {
			nv, err := doc.LookupErr(k)
			if err != nil {
				continue
			}
			n, ok := integer(nv)
			if !ok {
				return 0, 0, codes.New(codes.TypeMismatch, "\"%s\" had the wrong type. Expected number, found %s", k, typeName(nv.Type))
			}
			if n < 0 {
				return 0, 0, codes.New(codes.BadValue, "'%s' option to 'mode' must be positive", k)
			}
			if n > math.MaxInt32 {
				return 0, 0, codes.New(codes.BadValue, "'%s' option to 'mode' is too large", k)
			}
			if k == "skip" {
				return failSkip, n, nil
			}
			if n == 0 {
				return failOff, 0, nil
			}
			return failTimes, n, nil
		}
		if _, err := doc.LookupErr("activationProbability"); err == nil {
			return 0, 0, codes.New(codes.BadValue, "'mode' {activationProbability: p} is not supported")
		}
		return 0, 0, codes.New(codes.BadValue, "'mode' must be one of 'off', 'alwaysOn', '{times:n}', '{skip:n}' or '{activationProbability:p}'")
	default:
		return 0, 0, codes.New(codes.TypeMismatch, "'mode' must be a string or JSON object")
	}
}

// integer returns a whole number of any numeric BSON type, as bsonExtractIntegerField accepts it.
func integer(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return v.AsInt64(), true
	case bson.TypeDouble:
		f := v.Double()
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// parseFailCommand checks the data of failCommand. mongod reads these fields only when a command reaches the
// point, so a mistyped field silently disables it there; Concord rejects it up front, which is the clearer
// failure for a test author, with the error mongod would raise at the command.
func parseFailCommand(data bson.Raw) (*failCommandSpec, error) {
	f := &failCommandSpec{commands: map[string]bool{}}
	if data == nil {
		return f, nil
	}
	elems, err := data.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "%v", err)
	}
	for _, e := range elems {
		v := e.Value()
		switch k := e.Key(); k {
		case "failCommands":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "'failCommands' must be an array of command names")
			}
			vals, _ := arr.Values()
			for _, c := range vals {
				if s, ok := c.StringValueOK(); ok {
					f.commands[canonicalCommand(s)] = true
				}
			}
		case "closeConnection", "blockConnection", "failInternalCommands":
			b, ok := v.BooleanOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "\"%s\" had the wrong type. Expected bool, found %s", k, typeName(v.Type))
			}
			switch k {
			case "closeConnection":
				f.closeConnection = b
			case "blockConnection":
				f.blockConnection = b
			}
		case "errorCode":
			n, ok := integer(v)
			if !ok || n < math.MinInt32 || n > math.MaxInt32 {
				return nil, codes.New(codes.TypeMismatch, "\"errorCode\" had the wrong type. Expected number, found %s", typeName(v.Type))
			}
			f.errorCode, f.hasErrorCode = codes.Code(n), true
		case "errorLabels":
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "'errorLabels' must be an array of strings")
			}
			vals, _ := arr.Values()
			f.errorLabels, f.hasErrorLabels = make([]string, 0, len(vals)), true
			for _, l := range vals {
				s, ok := l.StringValueOK()
				if !ok {
					return nil, codes.New(codes.TypeMismatch, "'errorLabels' must be an array of strings")
				}
				f.errorLabels = append(f.errorLabels, s)
			}
		case "writeConcernError":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "'writeConcernError' must be an object")
			}
			f.writeConcernError = d
		case "blockTimeMS":
			n, ok := integer(v)
			if !ok {
				return nil, codes.New(codes.InvalidOptions, "must specify 'blockTimeMS' when 'blockConnection' is true")
			}
			if n < 0 {
				return nil, codes.New(codes.InvalidOptions, "'blockTimeMS' must be non-negative")
			}
			f.blockTime = time.Duration(n) * time.Millisecond
		case "appName", "namespace":
			s, ok := v.StringValueOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "'%s' must be a string", k)
			}
			if k == "appName" {
				f.appName = &s
			} else {
				f.namespace = &s
			}
		}
	}
	if f.blockConnection {
		if _, err := data.LookupErr("blockTimeMS"); err != nil {
			return nil, codes.New(codes.InvalidOptions, "must specify 'blockTimeMS' when 'blockConnection' is true")
		}
	}
	return f, nil
}

// failPointNamespace is the namespace failCommand's namespace field is compared with: db.collection when the
// command's first value names a collection, else the database alone.
func failPointNamespace(req *Request) string {
	if c, ok := req.Body.Index(0).Value().StringValueOK(); ok && c != "" && !strings.ContainsRune(c, 0) {
		return req.DB + "." + c
	}
	return req.DB
}

// evaluateFailCommand is mongod's evaluateFailCommandFailPoint, run before a command: when failCommand fires
// for it (and asks to close, block or fail), it blocks for blockTimeMS, then closes the connection or returns
// the configured error. Labels given in errorLabels replace the server's own for this command.
func (s *Server) evaluateFailCommand(ctx context.Context, inv *invocation) error {
	if !s.failCommand.active() {
		return nil
	}
	req := inv.req
	ns := failPointNamespace(req)
	spec, ok := s.failCommand.fire(func(f *failCommandSpec) bool {
		return f.matches(req.Name, ns, req.Conn) && (f.closeConnection || f.blockConnection || f.hasErrorCode)
	})
	if !ok {
		return nil
	}
	if spec.hasErrorLabels {
		inv.labelOverride, inv.hasLabelOverride = spec.errorLabels, true
	}
	if spec.blockConnection {
		t := time.NewTimer(spec.blockTime)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if spec.closeConnection {
		req.Conn.dropReply()
		return codes.New(codeFailCommandClosedConnection, failPointMessage)
	}
	if spec.hasErrorCode {
		return codes.New(spec.errorCode, failPointMessage)
	}
	return nil
}

// failWriteConcern is the second half of failCommand, run after a command that takes a write concern
// succeeded: when the point fires with writeConcernError, that document is added to the reply, and its labels
// (errorLabels, or those the server derives from the write concern error's code) go with it.
func (s *Server) failWriteConcern(inv *invocation, fields bson.D) bson.D {
	if !s.failCommand.active() || !takesWriteConcern(inv) {
		return fields
	}
	req := inv.req
	ns := failPointNamespace(req)
	spec, ok := s.failCommand.fire(func(f *failCommandSpec) bool {
		return f.matches(req.Name, ns, req.Conn) && f.writeConcernError != nil
	})
	if !ok {
		return fields
	}
	fields = append(fields, bson.E{Key: "writeConcernError", Value: spec.writeConcernError})
	var l []string
	if spec.hasErrorLabels {
		l = spec.errorLabels
	} else if n, ok := integer(spec.writeConcernError.Lookup("code")); ok && codes.Code(n).Retriable() && retryableOrCommit(inv) {
		l = []string{codes.LabelRetryableWrite}
	}
	if len(l) > 0 {
		fields = append(fields, bson.E{Key: "errorLabels", Value: l})
	}
	return fields
}

// writeConcernCommands are the commands that accept a writeConcern (supportsWriteConcern in mongod).
var writeConcernCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
	"create": true, "drop": true, "dropDatabase": true, "createIndexes": true, "dropIndexes": true,
	"collMod": true, "renameCollection": true, "commitTransaction": true, "abortTransaction": true,
}

// takesWriteConcern reports whether the command is one that accepts a write concern (a transaction's
// statements too: mongod's failCommand adds writeConcernError to them as well).
func takesWriteConcern(inv *invocation) bool {
	return writeConcernCommands[inv.req.Name]
}

// retryableOrCommit reports whether labels for a retriable code include RetryableWriteError: a retryable
// write, or a transaction's commit or abort (error_labels.cpp isRetryableWriteError).
func retryableOrCommit(inv *invocation) bool {
	a := &inv.args
	return a.hasTxnNumber && (!a.hasAutocommit || inv.commitOrAbort)
}

// transactionalWriteSpec is the data of onPrimaryTransactionalWrite.
type transactionalWriteSpec struct {
	// closeConnection (default true) closes the connection instead of answering the command.
	closeConnection bool
	// failCode, when hasFailCode, fails the statement before it commits (failBeforeCommitExceptionCode).
	failCode    codes.Code
	hasFailCode bool
}

// parseTransactionalWrite checks the data of onPrimaryTransactionalWrite.
func parseTransactionalWrite(data bson.Raw) (*transactionalWriteSpec, error) {
	t := &transactionalWriteSpec{closeConnection: true}
	if v, err := data.LookupErr("closeConnection"); err == nil {
		b, ok := v.BooleanOK()
		if !ok {
			return nil, codes.New(codes.TypeMismatch, "\"closeConnection\" had the wrong type. Expected bool, found %s", typeName(v.Type))
		}
		t.closeConnection = b
	}
	if v, err := data.LookupErr("failBeforeCommitExceptionCode"); err == nil {
		n, ok := integer(v)
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			return nil, codes.New(codes.TypeMismatch, "\"failBeforeCommitExceptionCode\" had the wrong type. Expected number, found %s", typeName(v.Type))
		}
		t.failCode, t.hasFailCode = codes.Code(n), true
	}
	return t, nil
}

// transactionalWritePoint is mongod's onPrimaryTransactionalWrite, reached by a retryable write's statement
// just before it commits: each statement of an update or delete, an insert's whole batch (its documents commit
// together), a findAndModify. When the point fires, the connection is dropped once the command ends (unless
// closeConnection is false), and with failBeforeCommitExceptionCode the statement fails without applying.
//
// A retry then re-runs the command unless the session stored its reply: after a failure that fails the whole
// command (failBeforeCommitExceptionCode 1, InternalError, does), an update or delete runs only the statements
// its session's stmtRecord does not list as done.
func (s *Server) transactionalWritePoint(req *Request) error {
	if !req.retryableWrite || !s.transactionalWrite.active() {
		return nil
	}
	spec, ok := s.transactionalWrite.fire(nil)
	if !ok {
		return nil
	}
	if spec.closeConnection {
		req.Conn.dropReply()
	}
	if spec.hasFailCode {
		return codes.New(spec.failCode, "Failing write for test due to failpoint. The write must not be reflected.")
	}
	return nil
}

// failGetMoreAfterCheckout is mongod's failGetMoreAfterCursorCheckout, reached by a getMore once it holds its
// cursor: when it fires, the getMore fails with errorCode (InternalError by default) and, as any failed
// getMore, closes the cursor.
func (s *Server) failGetMoreAfterCheckout(req *Request, namespace string) error {
	if !s.failGetMore.active() {
		return nil
	}
	spec, ok := s.failGetMore.fire(func(f *failCommandSpec) bool { return f.matches("getMore", namespace, req.Conn) })
	if !ok {
		return nil
	}
	return codes.New(spec.errorCode, "Hit the 'failGetMoreAfterCursorCheckout' failpoint")
}
