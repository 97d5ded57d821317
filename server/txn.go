package server

import (
	"context"
	"reflect"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// runTransactionStatement runs a statement of a multi-document transaction (autocommit:false), including
// commitTransaction and abortTransaction, applying MongoDB's session rules (transaction_validation.cpp and
// TransactionParticipant::beginOrContinue) before the handler sees it. Checks that fail before the session is
// checked out leave the transaction as it was; any error after that aborts it.
func (s *Server) runTransactionStatement(ctx context.Context, inv *invocation) (bson.D, error) {
	a := &inv.args
	name := inv.req.Name
	switch {
	case a.autocommit:
		return nil, codes.New(codes.InvalidOptions, "Specifying autocommit=true is not allowed.")
	case a.hasStartTxn && !a.startTxn:
		return nil, codes.New(codes.InvalidOptions, "Specifying startTransaction=false is not allowed.")
	case name == "count":
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Cannot run 'count' in a multi-document transaction. Please see http://dochub.mongodb.org/core/transaction-count for a recommended alternative.")
	case !inv.cmd.InTxn && !inv.commitOrAbort:
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Cannot run '%s' in a multi-document transaction.", name)
	case inv.commitOrAbort && inv.req.DB != "admin":
		return nil, codes.New(codes.Unauthorized, "%s may only be run against the admin database.", name)
	case !inv.commitOrAbort && (inv.req.DB == "admin" || inv.req.DB == "config" || inv.req.DB == "local"):
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Cannot run command against the '%s' database in a transaction.", inv.req.DB)
	case a.hasWriteConcern && !inv.commitOrAbort:
		return nil, codes.New(codes.InvalidOptions, "writeConcern is not allowed within a multi-statement transaction")
	case a.startTxn && name == "killCursors":
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Cannot run killCursors as the first operation in a multi-document transaction.")
	case a.startTxn && name == "commitTransaction":
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Cannot start a transaction with a commit")
	case a.startTxn && name == "abortTransaction":
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Cannot start a transaction with an abort")
	case a.hasReadConcern && !a.startTxn:
		return nil, codes.New(codes.InvalidOptions, "Only the first command in a transaction may specify a readConcern")
	}

	ss, err := s.checkoutRestored(ctx, a.lsid)
	if err != nil {
		return nil, err
	}
	defer ss.checkin()

	n := a.txnNumber
	if n < ss.txnNumber {
		return nil, codes.New(codes.TransactionTooOld, "Cannot start transaction with { txnNumber: %d } on session %s because a newer transaction with txnNumberAndRetryCounter { txnNumber: %d, txnRetryCounter: 0 } has already started on this session.", n, sessionString(ss.id), ss.txnNumber)
	}
	if a.startTxn {
		if n == ss.txnNumber {
			return nil, codes.New(codes.ConflictingOperationInProgress, "Only servers in a sharded cluster can start a new transaction at the active transaction number")
		}
		if err := s.beginTransaction(ss, n); err != nil {
			return nil, err
		}
		if err := checkReadConcern(a.readConcern, true); err != nil {
			ss.abortTxn()
			return nil, err
		}
		ss.readLevel = ""
		if d, ok := a.readConcern.DocumentOK(); ok {
			ss.readLevel, _ = d.Lookup("level").StringValueOK()
		}
	} else {
		if n > ss.txnNumber || ss.kind != kindTxn {
			return nil, codes.New(codes.NoSuchTransaction, "Given transaction number %d does not match any in-progress transactions. The active transaction number is %d", n, ss.txnNumber)
		}
		switch ss.state {
		case txnAborted:
			return nil, txnAbortedError(n)
		case txnCommitted:
			if name == "commitTransaction" {
				return bson.D{}, nil // commit is idempotent
			}
			return nil, codes.New(codes.TransactionCommitted, "Transaction with { txnNumber: %d } has been committed.", n)
		}
		if ss.expired(time.Now()) {
			// The reaper runs once a second; do not let a statement slip into an expired transaction meanwhile.
			ss.abortTxn()
			return nil, txnAbortedError(n)
		}
	}

	switch name {
	case "commitTransaction":
		var stats frontend.CommitStats
		if err := ss.cs.CommitTransaction(frontend.WithCommitStats(frontend.WithSessionRecord(ctx, ss.id, committedRecord(n)), &stats)); err != nil {
			ss.abortTxn()
			return nil, rewriteNoSuchTransaction(err, n)
		}
		if stats.Operations > 0 {
			s.lastCommitted.Store(&lastCommitted{stats: stats, writeConcern: commitWriteConcern(a)})
		}
		ss.state = txnCommitted
		ss.closeTxnCursors()
		return bson.D{}, nil
	case "abortTransaction":
		ss.abortTxn()
		return bson.D{}, nil
	}

	inv.req.InTxn = true
	fields, err := s.callInTxn(concord.NewSessionContext(ctx, ss.cs), ss, inv)
	if err != nil {
		ss.abortTxn()
		return nil, rewriteNoSuchTransaction(err, n)
	}
	if hasWriteErrors(fields) {
		// A per-statement write error (e.g. DuplicateKey) fails the whole transaction (write_ops_exec.cpp
		// handleError); the reply itself stays ok:1 with writeErrors and no label.
		ss.abortTxn()
	}
	return fields, nil
}

// lastCommitted is serverStatus transactions.lastCommittedTransaction: the last commit that wrote anything.
type lastCommitted struct {
	stats        frontend.CommitStats
	writeConcern bson.D
}

// commitWriteConcern is the write concern a commitTransaction ran with, as mongod reports it: the command's,
// with wtimeout filled in, or the implicit default {w: "majority", wtimeout: 0}.
func commitWriteConcern(a *genericArgs) bson.D {
	wc := bson.D{{Key: "w", Value: "majority"}}
	if a.hasWriteConcern {
		if w, err := a.writeConcern.LookupErr("w"); err == nil {
			wc[0].Value = w
		}
		if j, err := a.writeConcern.LookupErr("j"); err == nil {
			wc = append(wc, bson.E{Key: "j", Value: j})
		}
	}
	wt := bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, 0)}
	if a.hasWriteConcern {
		if v, err := a.writeConcern.LookupErr("wtimeout"); err == nil {
			wt = v
		}
	}
	return append(wc, bson.E{Key: "wtimeout", Value: wt})
}

// withLastCommitted appends lastCommittedTransaction to serverStatus's transactions section d, unless no
// commit has written anything yet: mongod omits the field until then.
func (s *Server) withLastCommitted(d bson.D) bson.D {
	lc := s.lastCommitted.Load()
	if lc == nil {
		return d
	}
	return append(d, bson.E{Key: "lastCommittedTransaction", Value: bson.D{
		{Key: "operationCount", Value: lc.stats.Operations},
		{Key: "oplogOperationBytes", Value: lc.stats.Bytes},
		{Key: "writeConcern", Value: lc.writeConcern},
	}})
}

// committedRecord is the durable record of a session whose transaction n committed (WithSessionRecord), as
// mongod's config.transactions entry.
func committedRecord(n int64) []byte {
	return sessionRecordDoc(n, "committed", "", false)
}

// sessionRecordDoc builds a session's durable record: {txnNumber, state, cmd?, at, remove?}, with at the time of
// the write, by which pruneRecords expires it.
func sessionRecordDoc(n int64, state, cmd string, remove bool) []byte {
	idx, d := bsoncore.AppendDocumentStart(make([]byte, 0, 64))
	d = bsoncore.AppendInt64Element(d, "txnNumber", n)
	d = bsoncore.AppendStringElement(d, "state", state)
	if cmd != "" {
		d = bsoncore.AppendStringElement(d, "cmd", cmd)
	}
	d = bsoncore.AppendDateTimeElement(d, "at", time.Now().UnixMilli())
	if remove {
		d = bsoncore.AppendBooleanElement(d, "remove", true)
	}
	d, _ = bsoncore.AppendDocumentEnd(d, idx)
	return d
}

// recordPruneInterval is how often the reaper deletes the durable records of expired sessions.
const recordPruneInterval = time.Minute

// pruneRecords deletes the durable records (the "at" of their last write) older than logicalSessionTimeout at
// now, of sessions the server is not holding: mongod expires a session's config.transactions entry with the
// session. A driver retries a write at once, never half an hour later.
//
// "at" is wall-clock time, the only clock that survives a restart, and the wall clock can jump. A record
// written while this server ran belongs to a session the server holds (never pruned) or has expired by the
// monotonic clock; a record written before the restart is kept until the server itself has run for
// logicalSessionTimeout by the monotonic clock (s.started), so a wall clock moved forward across a restart
// cannot expire the record of a write a driver is retrying at that moment.
func (s *Server) pruneRecords(now time.Time) (int, error) {
	if time.Since(s.started) < logicalSessionTimeout {
		return 0, nil
	}
	cutoff := bson.NewDateTimeFromTime(now.Add(-logicalSessionTimeout))
	return frontend.PruneSessionRecords(s.DB, func(id [16]byte, value []byte) bool {
		at, ok := bson.Raw(value).Lookup("at").DateTimeOK()
		return ok && bson.DateTime(at) < cutoff && !s.sessions.has(id)
	})
}

// checkoutRestored checks out the session lsid (sessions.checkout) and restores what its durable record says
// (restoreSession): how every statement of a transaction and every retryable write starts. The caller checks the
// session in.
func (s *Server) checkoutRestored(ctx context.Context, lsid [16]byte) (*session, error) {
	ss, err := s.sessions.checkout(ctx, lsid)
	if err != nil {
		return nil, err
	}
	if err := s.restoreSession(ss); err != nil {
		ss.checkin()
		return nil, err
	}
	return ss, nil
}

// restoreSession gives a session the server has not seen since it started (a restart, or its expiry) the
// transaction number of its durable record, as mongod reads config.transactions: a commit retried after a
// restart then finds its transaction committed instead of NoSuchTransaction, which a driver would answer by
// running the whole transaction again; a retryable write retried after a restart is answered from the record
// instead of being applied twice; and an older txnNumber is TransactionTooOld. The caller holds the session.
func (s *Server) restoreSession(ss *session) error {
	if ss.restored {
		return nil
	}
	if ss.txnNumber >= 0 {
		ss.restored = true
		return nil
	}
	raw, err := frontend.SessionRecord(s.DB, ss.id)
	if err != nil {
		return err // consulted again on the session's next command
	}
	ss.restored = true
	if raw == nil {
		return nil
	}
	rec := bson.Raw(raw)
	n, ok := rec.Lookup("txnNumber").Int64OK()
	if !ok {
		return nil
	}
	state, _ := rec.Lookup("state").StringValueOK()
	switch state {
	case "committed":
		ss.txnNumber, ss.kind, ss.state = n, kindTxn, txnCommitted
	case "retryable":
		if sr := stmtRecordFrom(rec, n); sr != nil {
			ss.txnNumber, ss.kind, ss.stmts = n, kindRetryable, sr
		} else if reply := replyFromRecord(rec); reply != nil {
			ss.txnNumber, ss.kind, ss.retryReply = n, kindRetryable, reply
		}
	}
	return nil
}

// retryableRecord is the durable record of retryable write n, stored with the write's last changes (the engine
// appends its result), or nil for a command whose retry after a restart is not answered from this record: an
// update or delete of several statements, which the engine runs as separate operations, keeps a stmtRecord
// instead. An insert of several documents is one engine operation, recorded only when every document went in.
func retryableRecord(req *Request, n int64) []byte {
	remove := false
	switch {
	case statementsField(req.Name) != "":
		if c := statementCount(req); c == 0 || c > 1 && req.Name != "insert" {
			return nil
		}
	case isFindAndModify(req.Name):
		remove, _ = rawBool(req.Name, "remove", req.Body.Lookup("remove"))
	default:
		return nil
	}
	return sessionRecordDoc(n, "retryable", req.Name, remove)
}

// replyFromRecord rebuilds the reply of a retryable write from its durable record with the commands' own
// reply builders; nil when the record has no result.
func replyFromRecord(rec bson.Raw) bson.D {
	res, ok := rec.Lookup("result").DocumentOK()
	if !ok {
		return nil
	}
	count := func(key string) int64 {
		v, _ := res.Lookup(key).AsInt64OK()
		return v
	}
	upserted := res.Lookup("upsertedId")
	switch cmd, _ := rec.Lookup("cmd").StringValueOK(); {
	case cmd == "insert":
		return bson.D{{Key: "n", Value: int32(count("inserted"))}}
	case cmd == "delete":
		return bson.D{{Key: "n", Value: int32(count("deleted"))}}
	case cmd == "update":
		if upserted.Type == 0 {
			return updateReply(count("matched"), count("modified"), nil)
		}
		return updateReply(count("matched")+1, count("modified"), bson.A{bson.D{{Key: "index", Value: int32(0)}, {Key: "_id", Value: upserted}}})
	case isFindAndModify(cmd):
		remove, _ := rec.Lookup("remove").BooleanOK()
		existing, _ := res.Lookup("updatedExisting").BooleanOK()
		doc, _ := res.Lookup("value").DocumentOK()
		return findAndModifyReply(count("n"), existing, upserted, remove, doc)
	}
	return nil
}

// txnWriteCommands are the write commands, whose target mongod refuses inside a transaction when it is a
// system collection.
var txnWriteCommands = map[string]bool{"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true}

// callInTxn runs a statement of a transaction on ss: as s.call, except for what mongod refuses within a
// transaction: a write to a system collection (50791), and create or createIndexes in a transaction whose
// readConcern is not "local" (InvalidOptions).
func (s *Server) callInTxn(ctx context.Context, ss *session, inv *invocation) (bson.D, error) {
	if ddl := inv.req.Name == "create" || inv.req.Name == "createIndexes"; ddl && ss.readLevel != "" && ss.readLevel != "local" {
		return nil, codes.New(codes.InvalidOptions, "Cannot run '%s' in a multi-document transaction with readConcern level '%s': collections and indexes are created only in transactions with readConcern level 'local'", inv.req.Name, ss.readLevel)
	}
	if txnWriteCommands[inv.req.Name] {
		if coll, ok := inv.req.Body.Index(0).Value().StringValueOK(); ok && strings.HasPrefix(coll, "system.") {
			return nil, codes.New(codes.SystemCollectionInTransaction, "Cannot write to system collection %s.%s within a transaction.", inv.req.DB, coll)
		}
	}
	return s.call(ctx, inv)
}

// beginTransaction starts transaction n on ss, aborting the one in progress, as a new txnNumber does.
func (s *Server) beginTransaction(ss *session, n int64) error {
	ss.abortTxn()
	ss.txnNumber, ss.kind, ss.state = n, kindTxn, txnInProgress
	ss.started, ss.retryReply, ss.stmts, ss.expires = time.Now(), nil, nil, time.Time{}
	if lt := s.DB.TransactionLifetime(); lt > 0 {
		ss.expires = ss.started.Add(lt)
	}
	if ss.cs == nil {
		cs, err := s.DB.StartSession()
		if err != nil {
			ss.state = txnAborted
			return err
		}
		ss.cs = cs
	}
	if err := ss.cs.StartTransaction(); err != nil {
		ss.state = txnAborted
		return err
	}
	return nil
}

// txnAbortedError is NoSuchTransaction for an aborted transaction, as TransactionParticipant words it.
func txnAbortedError(n int64) *codes.Error {
	return codes.New(codes.NoSuchTransaction, "Transaction with { txnNumber: %d } has been aborted.", n)
}

// rewriteNoSuchTransaction gives a NoSuchTransaction from the engine (its transaction was aborted under it,
// e.g. by the lifetime limit) the wording clients see from MongoDB; other errors pass unchanged.
func rewriteNoSuchTransaction(err error, n int64) error {
	if codes.CodeOf(err) == codes.NoSuchTransaction {
		return txnAbortedError(n)
	}
	return err
}

// hasWriteErrors reports whether a write reply carries a non-empty writeErrors array.
func hasWriteErrors(fields bson.D) bool {
	for _, e := range fields {
		if e.Key != "writeErrors" {
			continue
		}
		v := reflect.ValueOf(e.Value)
		if v.Kind() == reflect.Slice && v.Len() == 0 {
			return false
		}
		return e.Value != nil
	}
	return false
}

// checkReadConcern validates a readConcern argument. Inside a transaction only local, majority and snapshot
// are allowed.
func checkReadConcern(v bson.RawValue, inTxn bool) error {
	if v.Type == 0 {
		return nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return typeMismatch("readConcern", v, "object")
	}
	if err := checkReadConcernFields(d); err != nil {
		return err
	}
	lv, err := d.LookupErr("level")
	if err != nil {
		return nil
	}
	level, ok := lv.StringValueOK()
	if !ok {
		return typeMismatch("readConcern.level", lv, "string")
	}
	switch level {
	case "local", "majority", "snapshot":
		return nil
	case "available", "linearizable":
		if inTxn {
			return codes.New(codes.InvalidOptions, "The readConcern level must be either 'local' (default), 'majority' or 'snapshot' in order to run in a transaction")
		}
		return nil
	}
	return codes.New(codes.FailedToParse, "%s is not a valid readConcern level: must be one of 'local', 'majority', 'linearizable', 'available' or 'snapshot'", level)
}

// runRetryableWrite runs a retryable write (txnNumber without autocommit): a retry of the session's active
// txnNumber returns the stored reply instead of writing again.
func (s *Server) runRetryableWrite(ctx context.Context, inv *invocation) (bson.D, error) {
	a := &inv.args
	if err := checkRetryableStatements(inv.req); err != nil {
		return nil, err
	}
	ss, err := s.checkoutRestored(ctx, a.lsid)
	if err != nil {
		return nil, err
	}
	defer ss.checkin()

	n := a.txnNumber
	switch {
	case n < ss.txnNumber:
		return nil, codes.New(codes.TransactionTooOld, "Retryable write with txnNumber %d is prohibited on session %s because a newer transaction with txnNumber %d has already started on this session.", n, sessionString(ss.id), ss.txnNumber)
	case n == ss.txnNumber && ss.kind == kindTxn:
		return nil, codes.New(codes.IncompleteTransactionHistory, "Cannot retry a retryable write that has been converted into a transaction")
	case n == ss.txnNumber && ss.retryReply != nil:
		return s.retriedReply(inv.req, ss.retryReply), nil
	case n > ss.txnNumber:
		ss.abortTxn()
		ss.txnNumber, ss.kind, ss.retryReply, ss.stmts = n, kindRetryable, nil, nil
	}
	if (inv.req.Name == "update" || inv.req.Name == "delete") && statementCount(inv.req) > 1 {
		if ss.stmts == nil || ss.stmts.txnNumber != n || ss.stmts.cmd != inv.req.Name {
			ss.stmts = newStmtRecord(n, inv.req.Name)
		}
		inv.req.stmts = ss.stmts
	} else if rec := retryableRecord(inv.req, n); rec != nil {
		ctx = frontend.WithSessionRecord(ctx, ss.id, rec)
	}
	inv.req.retryableWrite = true
	fields, err := s.call(ctx, inv)
	if err != nil {
		return nil, err
	}
	ss.retryReply = fields
	if skipped := inv.req.retried; len(skipped) > 0 && !hasWriteErrors(fields) {
		// Statements answered from the record of an earlier, interrupted run: mongod lists them.
		s.retriedCommands.Add(1)
		s.retriedStatements.Add(int64(len(skipped)))
		fields = append(fields[:len(fields):len(fields)], bson.E{Key: "retriedStmtIds", Value: retriedStmts(skipped)})
	}
	return fields, nil
}

// retriedReply is the stored reply of a retryable write answered again, marked as MongoDB marks it: write
// commands list the statements that were not executed again in retriedStmtIds, findAndModify carries
// retriedStmtId. A stored reply with write errors is returned as it was.
func (s *Server) retriedReply(req *Request, stored bson.D) bson.D {
	stmts := int64(statementCount(req))
	s.retriedCommands.Add(1)
	s.retriedStatements.Add(stmts)
	out := append(bson.D(nil), stored...)
	switch {
	case hasWriteErrors(stored):
	case isFindAndModify(req.Name):
		out = append(out, bson.E{Key: "retriedStmtId", Value: int32(0)})
	default:
		ids := make(bson.A, stmts)
		for i := range ids {
			ids[i] = int32(i)
		}
		out = append(out, bson.E{Key: "retriedStmtIds", Value: ids})
	}
	return out
}

// statementCount returns how many statements a retryable write carries, numbered from 0 as the batch loop
// numbers them (runWriteBatch) and retriedStmtIds lists them: the length of insert's documents, update's updates or
// delete's deletes (0 when the array is missing or malformed), 1 for findAndModify.
func statementCount(req *Request) int {
	field := statementsField(req.Name)
	if field == "" {
		return 1
	}
	arr, ok := req.Body.Lookup(field).ArrayOK()
	if !ok {
		return 0
	}
	n := 0
	for it := newElemIter(arr); ; n++ {
		if _, _, ok := it.next(); !ok {
			if it.malformed() {
				return 0
			}
			return n
		}
	}
}

// statementsField names the array holding a write command's statements.
func statementsField(cmd string) string {
	switch cmd {
	case "insert":
		return "documents"
	case "update":
		return "updates"
	case "delete":
		return "deletes"
	}
	return ""
}

// checkRetryableStatements rejects statements that cannot be retried: multi-document updates and deletes.
func checkRetryableStatements(req *Request) error {
	field, flag, msg := "", "", ""
	switch req.Name {
	case "update":
		field, flag, msg = "updates", "multi", "Cannot use (or request) retryable writes with multi=true"
	case "delete":
		field, flag, msg = "deletes", "limit", "Cannot use (or request) retryable writes with limit=0"
	default:
		return nil
	}
	arr, ok := req.Body.Lookup(field).ArrayOK()
	if !ok {
		return nil
	}
	found := false
	it := newElemIter(arr)
	for {
		_, v, ok := it.next()
		if !ok {
			break
		}
		if found {
			continue // walk on: a malformed array is never checked, as when it was split up front
		}
		d, ok := v.DocumentOK()
		if !ok {
			continue
		}
		fv, err := d.LookupErr(flag)
		if err != nil {
			continue
		}
		multi, _ := fv.BooleanOK()
		found = flag == "multi" && multi || flag == "limit" && isZero(fv)
	}
	if !found || it.malformed() {
		// A malformed array is left for the handler to report.
		return nil
	}
	return codes.New(codes.InvalidOptions, "%s", msg)
}

// isZero reports whether v is a numeric zero.
func isZero(v bson.RawValue) bool {
	if n, ok := v.AsInt64OK(); ok {
		return n == 0
	}
	if f, ok := v.DoubleOK(); ok {
		return f == 0
	}
	return false
}
