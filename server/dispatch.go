package server

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// genericArgs are the arguments any command may carry, which core interprets before the handler runs.
type genericArgs struct {
	db                        string
	hasDB                     bool
	lsid                      [16]byte
	hasLsid                   bool
	txnNumber                 int64
	hasTxnNumber              bool
	autocommit, hasAutocommit bool
	startTxn, hasStartTxn     bool
	readConcern               bson.RawValue
	hasReadConcern            bool
	hasWriteConcern           bool
	writeConcern              bson.Raw
	maxTimeMS                 int64
}

// invocation is one command on its way through core: the parsed generic arguments, the table entry and the
// request the handler will see. The request, its statistics and its currentOp entry live inside the invocation
// so that a command costs one allocation for all of them.
type invocation struct {
	args   genericArgs
	cmd    Command
	access commandAccess
	req    *Request
	// commitOrAbort is set for commitTransaction and abortTransaction, whose labels follow their own rule.
	commitOrAbort bool
	// labelOverride, when hasLabelOverride, are the errorLabels of a command failed by the failCommand fail
	// point: they replace the labels the server computes, as in mongod.
	labelOverride    []string
	hasLabelOverride bool
	// changeStream is set, for a failed command, when it is a change stream's aggregate or getMore.
	changeStream bool

	request Request
	stats   concord.OpStats
	op      op
}

// parseGeneric reads the generic arguments of body, checking their types as mongod's IDL parser does. It
// walks the body without allocating; the first error in field order wins, but malformed BSON anywhere is
// reported first, as when the fields were split up front.
func parseGeneric(body bson.Raw) (genericArgs, error) {
	var a genericArgs
	var first error
	it := newElemIter(body)
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		if first != nil {
			continue
		}
		if err := a.parseField(k, v); err != nil {
			first = err
		}
	}
	if it.malformed() {
		_, err := body.Elements()
		return genericArgs{}, codes.New(codes.InvalidBSON, "invalid command document: %v", err)
	}
	if first != nil {
		return genericArgs{}, first
	}
	return a, nil
}

// genericBool stores the boolean generic argument name in dst and sets has; any other type is TypeMismatch.
func genericBool(name string, v bson.RawValue, dst, has *bool) error {
	b, ok := v.BooleanOK()
	if !ok {
		return typeMismatch(name, v, "bool")
	}
	*dst, *has = b, true
	return nil
}

// parseField records one field of the command body if it is a generic argument.
func (a *genericArgs) parseField(k []byte, v bson.RawValue) error {
	switch string(k) {
	case "$db":
		s, ok := internString(v)
		if !ok {
			return typeMismatch("$db", v, "string")
		}
		a.db, a.hasDB = s, true
	case "lsid":
		d, ok := v.DocumentOK()
		if !ok {
			return typeMismatch("lsid", v, "object")
		}
		id, err := d.LookupErr("id")
		if err != nil {
			return codes.New(codeMissingField, "BSON field 'lsid.id' is missing but a required field")
		}
		sub, data, ok := id.BinaryOK()
		if !ok || sub != bson.TypeBinaryUUID || len(data) != 16 {
			return codes.New(codes.TypeMismatch, "BSON field 'lsid.id' is the wrong type '%s', expected type 'uuid'", typeName(id.Type))
		}
		copy(a.lsid[:], data)
		a.hasLsid = true
	case "txnNumber":
		n, ok := v.AsInt64OK()
		if !ok || (v.Type != bson.TypeInt64 && v.Type != bson.TypeInt32) {
			return typeMismatch("txnNumber", v, "long")
		}
		if n < 0 {
			return codes.New(codes.BadValue, "TxnNumber cannot be negative")
		}
		a.txnNumber, a.hasTxnNumber = n, true
	case "autocommit":
		return genericBool("autocommit", v, &a.autocommit, &a.hasAutocommit)
	case "startTransaction":
		return genericBool("startTransaction", v, &a.startTxn, &a.hasStartTxn)
	case "readConcern":
		if _, ok := v.DocumentOK(); !ok {
			return typeMismatch("readConcern", v, "object")
		}
		a.readConcern, a.hasReadConcern = v, true
	case "writeConcern":
		wc, ok := v.DocumentOK()
		if !ok {
			return typeMismatch("writeConcern", v, "object")
		}
		if err := checkWriteConcern(wc); err != nil {
			return err
		}
		a.writeConcern, a.hasWriteConcern = wc, true
	case "maxTimeMS":
		n, ok := v.AsInt64OK()
		if !ok {
			if f, isDouble := v.DoubleOK(); isDouble && f == float64(int64(f)) {
				n, ok = int64(f), true
			}
		}
		if !ok || n < 0 || n > 1<<31-1 {
			return codes.New(codes.BadValue, "%s value for maxTimeMS is out of range [0, 2147483647]", v.String())
		}
		a.maxTimeMS = n
	}
	return nil
}

// codeMissingDB (40571) is returned for an OP_MSG without $db.
const codeMissingDB codes.Code = 40571

// typeMismatch is the IDL parser's error for a generic argument of the wrong type.
func typeMismatch(field string, v bson.RawValue, want string) error {
	return codes.New(codes.TypeMismatch, "BSON field '%s' is the wrong type '%s', expected type '%s'", field, typeName(v.Type), want)
}

// appendCommand runs one command and appends its encoded reply to dst. legacyDB is the database of an
// OP_QUERY handshake (its namespace names it); for OP_MSG it is empty and $db is required. body must not be
// modified or reused afterwards: handlers, cursors and stored retryable-write replies may keep slices of it.
func (c *Conn) appendCommand(dst []byte, body bson.Raw, legacyDB string) []byte {
	s := c.srv
	inv, err := s.prepare(c, body, legacyDB)
	var fields bson.D
	if err == nil {
		fields, err = s.execute(inv)
	}
	return s.appendReply(dst, inv, fields, err)
}

// runCommand runs one command and returns the encoded reply (see appendCommand).
func (c *Conn) runCommand(body bson.Raw, legacyDB string) bson.Raw {
	return c.appendCommand(nil, body, legacyDB)
}

// prepare parses body into an invocation: its name, generic arguments and table entry.
func (s *Server) prepare(c *Conn, body bson.Raw, legacyDB string) (*invocation, error) {
	it := newElemIter(body)
	key, _, ok := it.next()
	if !ok {
		return nil, codes.New(codes.FailedToParse, "command document is empty")
	}
	args, err := parseGeneric(body)
	if err != nil {
		return nil, err
	}
	if legacyDB != "" {
		args.db, args.hasDB = legacyDB, true
	}
	if !args.hasDB {
		return nil, codes.New(codeMissingDB, "OP_MSG requests require a $db argument")
	}
	e, ok := commandIndex[string(key)]
	if !ok || (e.cmd.TestOnly && !s.EnableTestCommands) {
		return nil, codes.New(codes.CommandNotFound, "no such command: '%s'", key)
	}
	inv := &invocation{
		args:          args,
		cmd:           e.cmd,
		access:        e.access,
		commitOrAbort: e.name == "commitTransaction" || e.name == "abortTransaction",
	}
	inv.request = Request{Name: e.name, DB: args.db, Body: body, Conn: c, lsid: args.lsid, hasLsid: args.hasLsid, txnNumber: args.txnNumber}
	inv.req = &inv.request
	return inv, nil
}

// execute applies maxTimeMS, counting and the session rules, then runs the handler.
func (s *Server) execute(inv *invocation) (_ bson.D, err error) {
	a := &inv.args
	ctx, cancel := context.WithCancel(context.Background())
	if a.maxTimeMS > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), time.Duration(a.maxTimeMS)*time.Millisecond)
		defer func() {
			if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				s.killedMaxTime.Add(1)
			}
		}()
	}
	defer cancel()
	if c := inv.req.Conn; c != nil && c.nc != nil {
		c.watch.arm(c, cancel)
		defer c.watch.disarm(c)
	}
	o := s.ops.add(inv, cancel)
	defer s.ops.remove(o)
	defer func() { s.top.record(inv.req, time.Since(o.started)) }()
	if s.Logger != nil {
		defer func() { s.logSlow(inv, o.started, err) }()
	}

	if err := s.authorize(ctx, inv); err != nil {
		return nil, err
	}
	if err := checkAPIStrict(inv.req.Name, inv.req.Body); err != nil {
		return nil, err
	}
	if err := checkCommandArgs(inv.req); err != nil {
		return nil, err
	}
	st := &inv.stats
	ctx = concord.WithOpStats(ctx, st)
	inv.req.Stats = st
	if viewWriteCommands[inv.req.Name] {
		if coll, ok := inv.req.Body.Index(0).Value().StringValueOK(); ok {
			if err := viewWriteError(ctx, s, inv.req, coll); err != nil {
				return nil, err
			}
		}
	}
	if v, err := inv.req.Body.LookupErr("bypassDocumentValidation"); err == nil && v.Type == bson.TypeBoolean && v.Boolean() {
		ctx = concord.WithoutValidation(ctx)
	}
	defer s.logValidationWarnings(st)
	if inv.cmd.Counter == "" {
		frontend.CountCommand(s.DB)
	}

	if a.hasReadConcern && !a.hasAutocommit {
		if err := checkReadConcern(a.readConcern, false); err != nil {
			return nil, err
		}
		if err := checkSnapshotRead(inv.req.Name, a.readConcern); err != nil {
			return nil, err
		}
	}
	switch {
	case a.hasAutocommit && !a.hasTxnNumber:
		return nil, codes.New(codes.InvalidOptions, "'autocommit' field requires a transaction number to also be specified")
	case a.hasStartTxn && !a.hasAutocommit:
		return nil, codes.New(codes.InvalidOptions, "'startTransaction' field requires 'autocommit' field to also be specified")
	case a.hasTxnNumber && !a.hasLsid:
		return nil, codes.New(codes.InvalidOptions, "Transaction number requires a session ID to also be specified")
	case a.hasTxnNumber && !a.hasAutocommit && !inv.cmd.Retryable:
		return nil, codes.New(codes.NotARetryableWriteCommand, "txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and %s is not a retryable write command.", inv.req.Name)
	case !a.hasAutocommit && inv.commitOrAbort:
		return nil, codes.New(codes.CommandFailed, "%s must be run within a transaction", inv.req.Name)
	}
	// mongod consults the failCommand fail point once the command is parsed, before it touches the session.
	if err := s.evaluateFailCommand(ctx, inv); err != nil {
		return nil, err
	}
	if blockedByFsyncLock(inv.req) {
		if err := s.fsync.enterWrite(ctx); err != nil {
			return nil, err
		}
		defer s.fsync.exitWrite()
	}
	var fields bson.D
	switch {
	case a.hasAutocommit:
		fields, err = s.runTransactionStatement(ctx, inv)
	case a.hasTxnNumber:
		fields, err = s.runRetryableWrite(ctx, inv)
	case a.hasReadConcern && snapshotLevel(a.readConcern) && snapshotReadCommands[inv.req.Name]:
		fields, err = s.runSnapshotRead(ctx, inv, a.readConcern.Document())
	default:
		if a.hasReadConcern {
			if _, aerr := a.readConcern.Document().LookupErr("atClusterTime"); aerr == nil {
				return nil, codes.New(codes.InvalidOptions, "readConcern.atClusterTime is only valid with readConcern level 'snapshot'")
			}
		}
		fields, err = s.call(ctx, inv)
		if err == nil && a.hasReadConcern && durableLevel(a.readConcern) {
			// What the command read may include commits whose fsync is still under way: "majority" and
			// "linearizable" return only data a crash cannot take back.
			err = s.DB.Sync()
		}
	}
	if err != nil {
		return nil, err
	}
	if wce := unsatisfiableWriteConcern(inv); wce != nil {
		return append(fields, bson.E{Key: "writeConcernError", Value: wce}), nil
	}
	return s.failWriteConcern(inv, fields), nil
}

// snapshotLevel reports a readConcern of level "snapshot".
func snapshotLevel(rc bson.RawValue) bool {
	level, _ := rc.Document().Lookup("level").StringValueOK()
	return level == "snapshot"
}

// snapshotReadCommands are the commands that take readConcern level "snapshot" outside a transaction.
var snapshotReadCommands = map[string]bool{"find": true, "aggregate": true, "distinct": true}

// checkSnapshotRead refuses readConcern level "snapshot" outside a transaction on a command other than a
// read that supports it, as mongod does (writes, listCollections, listIndexes, listDatabases, ...).
func checkSnapshotRead(name string, rc bson.RawValue) error {
	level, _ := rc.Document().Lookup("level").StringValueOK()
	if level != "snapshot" || snapshotReadCommands[name] {
		return nil
	}
	return codes.New(codes.InvalidOptions, "Command %s does not support { readConcern: { level: \"snapshot\" } }", name)
}

// unsatisfiableWriteConcern is the writeConcernError of a write whose writeConcern a one-member replica set
// cannot satisfy, as mongod reports it once the write is applied: w greater than 1 (UnsatisfiableWriteConcern)
// or a tag set the configuration does not define (UnknownReplWriteConcern). Nil when the write concern can be
// met.
func unsatisfiableWriteConcern(inv *invocation) bson.D {
	a := &inv.args
	if !a.hasWriteConcern || !takesWriteConcern(inv) {
		return nil
	}
	w := a.writeConcern.Lookup("w")
	var code codes.Code
	var msg string
	if n, ok := integer(w); ok && n > 1 {
		code, msg = codes.UnsatisfiableWriteConcern, "Not enough data-bearing nodes"
	} else if tag, ok := w.StringValueOK(); ok && tag != "majority" {
		code, msg = codes.UnknownReplWriteConcern, fmt.Sprintf("No write concern mode named '%s' found in replica set configuration", tag)
	} else {
		return nil
	}
	return bson.D{
		{Key: "code", Value: int32(code)},
		{Key: "codeName", Value: code.Name()},
		{Key: "errmsg", Value: msg},
		{Key: "errInfo", Value: bson.D{{Key: "writeConcern", Value: a.writeConcern}}},
	}
}

// durableLevel reports whether a (validated) readConcern asks for data that survives a crash: "majority" or
// "linearizable". On a one-member replica set the majority is the member's own durable state.
func durableLevel(rc bson.RawValue) bool {
	level, _ := rc.Document().Lookup("level").StringValueOK()
	return level == "majority" || level == "linearizable"
}

// call runs the handler, turning a panic into InternalError so that one bad request cannot take the server
// down.
func (s *Server) call(ctx context.Context, inv *invocation) (fields bson.D, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logf("server: panic in %s: %v\n%s", inv.req.Name, r, debug.Stack())
			fields, err = nil, codes.New(codes.InternalError, "internal error in %s: %v", inv.req.Name, r)
		}
	}()
	return inv.cmd.Handler(ctx, s, inv.req)
}

// asError turns any error into the *codes.Error a client sees: an *codes.Error as is, a context's expiry as
// MaxTimeMSExpired or Interrupted, a closed database as InterruptedAtShutdown, anything else as InternalError.
func asError(err error) *codes.Error {
	if e, ok := codes.As(err); ok {
		return e
	}
	if e := codes.Interruption(err); e != nil {
		return e
	}
	if errors.Is(err, concord.ErrClosed) {
		return codes.New(codes.InterruptedAtShutdown, "interrupted at shutdown")
	}
	return &codes.Error{Code: codes.InternalError, Message: err.Error(), Cause: err}
}

// labels returns the errorLabels of e as MongoDB computes them (error_labels.cpp): from the top-level code and
// the kind of request only. Labels of other kinds set by lower layers are kept.
func labels(inv *invocation, e *codes.Error) []string {
	if inv != nil && inv.hasLabelOverride {
		return inv.labelOverride
	}
	var out []string
	for _, l := range e.Labels {
		if l != codes.LabelTransientTransaction && l != codes.LabelRetryableWrite {
			out = append(out, l)
		}
	}
	if inv == nil {
		return out
	}
	if inv.args.hasTxnNumber {
		if inv.args.hasAutocommit && isTransientTransactionError(e.Code, inv.commitOrAbort) {
			return append(out, codes.LabelTransientTransaction)
		}
		if (!inv.args.hasAutocommit && inv.cmd.Retryable) || inv.commitOrAbort {
			if e.Code.Retriable() {
				return append(out, codes.LabelRetryableWrite)
			}
		}
	}
	switch {
	case inv.changeStream && isResumableChangeStreamError(e.Code):
		out = append(out, codes.LabelResumableChangeStream)
	case e.Code == codes.ChangeStreamFatalError || e.Code == codes.ChangeStreamHistoryLost:
		out = append(out, codes.LabelNonResumableChangeStream)
	}
	return out
}

// isResumableChangeStreamError is the code half of error_labels.cpp's isResumableChangeStreamError: an error
// of a change stream's aggregate or getMore after which a driver may resume the stream.
func isResumableChangeStreamError(c codes.Code) bool {
	const retryChangeStream, failedToSatisfyReadPreference, staleEpoch, staleConfig codes.Code = 234, 133, 150, 13388
	switch c {
	case retryChangeStream, failedToSatisfyReadPreference, staleEpoch, staleConfig:
		return true
	}
	return c.Retriable()
}

// isChangeStreamCommand reports whether inv is a change stream's aggregate or getMore, whose errors may carry
// ResumableChangeStreamError.
func isChangeStreamCommand(inv *invocation) bool {
	switch inv.req.Name {
	case "aggregate":
		stages, ok := inv.req.Body.Lookup("pipeline").ArrayOK()
		if !ok {
			return false
		}
		v, err := stages.IndexErr(0)
		if err != nil {
			return false
		}
		first, ok := v.DocumentOK()
		return ok && isChangeStream(first)
	case "getMore":
		// Only once the getMore holds its cursor, as in mongod, where the label needs the cursor's
		// originating command: a getMore failed by failCommand before that carries no label.
		return inv.req.changeStream
	}
	return false
}

// isTransientTransactionError is isTransientTransactionError of error_labels.cpp, for replies without a
// writeConcernError (Concord never produces one).
func isTransientTransactionError(code codes.Code, commitOrAbort bool) bool {
	if code == codes.InternalTransactionNotSupported {
		return false
	}
	if code.Transient() {
		return true
	}
	if code == codes.NoSuchTransaction {
		return true
	}
	return !commitOrAbort && code.Retriable()
}

// errorFields is the reply of a failed command (commands.cpp appendCommandStatusNoThrow): ok 0.0, errmsg,
// code, codeName, extra info, errorLabels.
func errorFields(inv *invocation, err error) bson.D {
	e := asError(err)
	d := bson.D{
		{Key: "ok", Value: 0.0},
		{Key: "errmsg", Value: e.Message},
		{Key: "code", Value: int32(e.Code)},
		{Key: "codeName", Value: e.CodeName()},
	}
	if e.Code == codes.DuplicateKey {
		if e.KeyPattern != nil {
			d = append(d, bson.E{Key: "keyPattern", Value: e.KeyPattern})
		}
		if e.KeyValue != nil {
			d = append(d, bson.E{Key: "keyValue", Value: e.KeyValue})
		}
	}
	if e.ErrInfo != nil {
		d = append(d, bson.E{Key: "errInfo", Value: e.ErrInfo})
	}
	if l := labels(inv, e); len(l) > 0 {
		d = append(d, bson.E{Key: "errorLabels", Value: l})
	}
	return d
}

// reply encodes a command's reply: the handler's fields and ok, or the error fields, then $clusterTime and
// operationTime, which every reply of a replica-set member carries.
func (s *Server) reply(inv *invocation, fields bson.D, err error) bson.Raw {
	var d bson.D
	if err != nil {
		if inv != nil {
			inv.changeStream = isChangeStreamCommand(inv)
		}
		d = errorFields(inv, err)
	} else {
		d = make(bson.D, 0, len(fields)+3)
		d = append(d, fields...)
		d = append(d, bson.E{Key: "ok", Value: 1.0})
	}
	ts := s.clock.nowAfter(frontend.CommitTs(s.DB))
	d = append(d,
		bson.E{Key: "$clusterTime", Value: bson.D{
			{Key: "clusterTime", Value: ts},
			{Key: "signature", Value: bson.D{
				{Key: "hash", Value: bson.Binary{Subtype: 0, Data: make([]byte, 20)}},
				{Key: "keyId", Value: int64(0)},
			}},
		}},
		bson.E{Key: "operationTime", Value: ts},
	)
	raw, merr := bson.Marshal(d)
	if merr != nil {
		name := ""
		if inv != nil {
			name = inv.req.Name
		}
		s.logf("server: encoding the reply of %s: %v", name, merr)
		raw, _ = bson.Marshal(bson.D{
			{Key: "ok", Value: 0.0},
			{Key: "errmsg", Value: fmt.Sprintf("cannot encode reply: %v", merr)},
			{Key: "code", Value: int32(codes.InternalError)},
			{Key: "codeName", Value: codes.InternalError.Name()},
		})
	}
	return raw
}

// errorReply encodes the reply to a message that never became a command (a parse error).
func (s *Server) errorReply(err error) bson.Raw { return s.reply(nil, nil, err) }
