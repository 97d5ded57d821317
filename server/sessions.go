package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// logicalSessionTimeout is logicalSessionTimeoutMinutes: a session unused for this long is ended and its
// transaction aborted.
const logicalSessionTimeout = 30 * time.Minute

// txnKind says what the active txnNumber of a session was used for.
type txnKind int

// The uses of a transaction number.
const (
	kindNone txnKind = iota
	// kindRetryable: the number belongs to a retryable write.
	kindRetryable
	// kindTxn: the number belongs to a multi-document transaction.
	kindTxn
)

// txnState is the state of a session's multi-document transaction.
type txnState int

// The states of a transaction; a new txnNumber starts over at txnInProgress.
const (
	txnInProgress txnState = iota
	txnCommitted
	txnAborted
)

// session is the server side of a logical session (lsid): the active transaction number and what it was used
// for. Commands on one session run one at a time: a command checks the session out (lock) and every field
// below lock is guarded by holding it.
type session struct {
	id [16]byte
	// lock is a one-slot semaphore, so that a checkout can honour maxTimeMS and the reaper can try it.
	lock chan struct{}

	// ended is set, under lock, when the session is removed from the registry: a command that was waiting
	// for it starts over with a fresh session.
	ended bool

	lastUse   time.Time
	txnNumber int64 // active transaction number; -1 before the first
	kind      txnKind
	state     txnState
	// cs is the engine session carrying the transaction, created at the first transaction.
	cs *concord.Session
	// started is when the transaction's first statement arrived.
	started time.Time
	// expires is started plus transactionLifetimeLimitSeconds as set at that moment, as MongoDB fixes a
	// transaction's expiry date when it begins; zero means never.
	expires time.Time
	// restored is set once the session's durable record has been consulted (restoreSession).
	restored bool
	// readLevel is the readConcern level the transaction started with ("" when none was given).
	readLevel string
	// retryReply is the stored reply of the retryable write with the active txnNumber.
	retryReply bson.D
	// stmts records the statements of the active retryable write of several statements that have run.
	stmts *stmtRecord
	// cursors is the server's cursor registry: a transaction's cursors close when it ends.
	cursors *cursorRegistry
}

// sessionRegistry maps lsid ids to sessions.
type sessionRegistry struct {
	mu sync.Mutex
	m  map[[16]byte]*session
	// cursors is the server's cursor registry, handed to every session.
	cursors *cursorRegistry
}

// checkout returns the session for id, created on first use, holding its lock; release it with checkin.
// It waits for a command already using the session, up to ctx's deadline.
func (r *sessionRegistry) checkout(ctx context.Context, id [16]byte) (*session, error) {
	r.mu.Lock()
	ss, ok := r.m[id]
	if !ok {
		ss = &session{id: id, lock: make(chan struct{}, 1), txnNumber: -1, cursors: r.cursors}
		r.m[id] = ss
	}
	r.mu.Unlock()
	select {
	case ss.lock <- struct{}{}:
	default:
		// Busy: wait, up to the deadline. Only now ask ctx for its Done channel, which it allocates lazily.
		select {
		case ss.lock <- struct{}{}:
		case <-ctx.Done():
			return nil, asError(ctx.Err())
		}
	}
	// The session may have been ended while we waited; start over with a fresh one. Ending happens under the
	// session's lock, so holding it, the flag is settled without taking the registry's mutex again.
	if ss.ended {
		<-ss.lock
		return r.checkout(ctx, id)
	}
	return ss, nil
}

// checkin releases a session taken by checkout.
func (ss *session) checkin() {
	ss.lastUse = time.Now()
	<-ss.lock
}

// tryLock takes the session's lock if nobody holds it.
func (ss *session) tryLock() bool {
	select {
	case ss.lock <- struct{}{}:
		return true
	default:
		return false
	}
}

// expired reports whether the transaction outlived its lifetime limit at now. The caller holds the lock.
func (ss *session) expired(now time.Time) bool {
	return !ss.expires.IsZero() && now.After(ss.expires)
}

// abortTxn aborts the session's transaction if one is in progress. The caller holds the lock.
func (ss *session) abortTxn() {
	if ss.kind == kindTxn && ss.state == txnInProgress {
		ss.state = txnAborted
		if ss.cs != nil {
			_ = ss.cs.AbortTransaction(context.Background())
		}
		ss.closeTxnCursors()
	}
}

// closeTxnCursors closes the cursors opened in the session's current transaction, which has just ended: as in
// mongod, a getMore on one then finds no cursor (43).
func (ss *session) closeTxnCursors() {
	if ss.cursors == nil {
		return
	}
	id, n := ss.id, ss.txnNumber
	ss.cursors.closeWhere(true, func(c *serverCursor) bool {
		return c.session != nil && c.hasLsid && c.lsid == id && c.txnNumber == n
	})
}

// end aborts the session's transaction and releases its engine session. The caller holds the lock and has
// removed the session from the registry.
func (ss *session) end() {
	ss.ended = true
	ss.release()
}

// release aborts the session's transaction and releases its engine session. The caller holds the lock.
func (ss *session) release() {
	ss.abortTxn()
	if ss.cs != nil {
		ss.cs.EndSession(context.Background())
		ss.cs = nil
	}
}

// endSessions ends the sessions with the given ids (endSessions, killSessions), waiting for commands using
// them up to ctx's deadline: their transactions are aborted and their engine sessions released. Each keeps its
// transaction number and the reply of its last retryable write until it expires (logicalSessionTimeout), as
// mongod keeps a session's transaction record, so that a retry is still answered from it rather than applied
// again, and an older txnNumber is still TransactionTooOld. Unknown ids are ignored, as MongoDB does.
func (r *sessionRegistry) endSessions(ctx context.Context, ids [][16]byte) error {
	for _, id := range ids {
		r.mu.Lock()
		ss, ok := r.m[id]
		r.mu.Unlock()
		if !ok {
			continue
		}
		select {
		case ss.lock <- struct{}{}:
		case <-ctx.Done():
			return asError(ctx.Err())
		}
		ss.release()
		<-ss.lock
	}
	return nil
}

// abortIdleTxns aborts the open transactions of the sessions no command is using.
func (r *sessionRegistry) abortIdleTxns() {
	for _, ss := range r.snapshot() {
		if !ss.tryLock() {
			continue
		}
		ss.abortTxn()
		<-ss.lock
	}
}

// has reports whether the registry holds the session id.
func (r *sessionRegistry) has(id [16]byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.m[id]
	return ok
}

// ids returns the ids of all sessions.
func (r *sessionRegistry) ids() [][16]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][16]byte, 0, len(r.m))
	for id := range r.m {
		out = append(out, id)
	}
	return out
}

// snapshot returns the current sessions.
func (r *sessionRegistry) snapshot() []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*session, 0, len(r.m))
	for _, ss := range r.m {
		out = append(out, ss)
	}
	return out
}

// reap aborts transactions that outlived transactionLifetimeLimitSeconds and ends sessions idle for longer
// than logicalSessionTimeoutMinutes. Sessions in use are left for the next pass, as MongoDB's killer skips
// sessions it cannot check out at once.
//
// The engine's reaper aborts expired transactions too, but the server cannot leave expiry to it: the engine
// does not log MongoDB's "Aborting transaction ... 'transactionLifetimeLimitSeconds'" line (id 20707), and
// concord.Session does not report an abort made under it, so the server could learn of it only when the
// session's next statement fails, leaving currentOp listing the transaction as open meanwhile and the line
// unlogged if the client never returns. This pass also applies the expiry date fixed when the transaction
// began, as MongoDB does, where the engine follows the current limit. The two never count an abort twice:
// concord aborts an engine transaction only while it is active, and the engine counts totalAborted.
func (r *sessionRegistry) reap(s *Server, now time.Time) {
	for _, ss := range r.snapshot() {
		if !ss.tryLock() {
			continue
		}
		if ss.kind == kindTxn && ss.state == txnInProgress && ss.expired(now) {
			// Aborted first, then logged: whoever reads the line finds the abort counted (totalAborted).
			txnNumber, id := ss.txnNumber, uuidString(ss.id)
			ss.abortTxn()
			s.logEvent("TXN", 20707, "Aborting transaction because it has been running for longer than 'transactionLifetimeLimitSeconds'",
				bson.D{{Key: "sessionId", Value: id}, {Key: "txnNumber", Value: txnNumber}},
				fmt.Sprintf("server: Aborting transaction with txnNumber %d on session %s because it has been running for longer than 'transactionLifetimeLimitSeconds'", txnNumber, id))
		}
		if now.Sub(ss.lastUse) > logicalSessionTimeout {
			r.mu.Lock()
			if r.m[ss.id] == ss {
				delete(r.m, ss.id)
			}
			r.mu.Unlock()
			ss.end()
		}
		<-ss.lock
	}
}

// endAll ends every session not in use (shutdown): their transactions are aborted.
func (r *sessionRegistry) endAll(s *Server) {
	for _, ss := range r.snapshot() {
		if !ss.tryLock() {
			continue
		}
		r.mu.Lock()
		if r.m[ss.id] == ss {
			delete(r.m, ss.id)
		}
		r.mu.Unlock()
		ss.end()
		<-ss.lock
	}
}

// uuidString formats a session id the way MongoDB prints it.
func uuidString(id [16]byte) string {
	h := hex.EncodeToString(id[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sessionString is the session as mongod names it in messages: the id, then the hash of the (empty) user.
func sessionString(id [16]byte) string {
	return uuidString(id) + " - 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= -  - "
}

// parseSessionIDs reads the {id: UUID} documents of endSessions / killSessions.
func parseSessionIDs(cmd string, v bson.RawValue) ([][16]byte, error) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "BSON field '%s' is the wrong type '%s', expected type 'array'", cmd, typeName(v.Type))
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "%v", err)
	}
	ids := make([][16]byte, 0, len(vals))
	for _, e := range vals {
		d, ok := e.DocumentOK()
		if !ok {
			return nil, codes.New(codes.TypeMismatch, "BSON field '%s' element is the wrong type '%s', expected type 'object'", cmd, typeName(e.Type))
		}
		idv, err := d.LookupErr("id")
		if err != nil {
			return nil, codes.New(codeMissingField, "BSON field '%s.id' is missing but a required field", cmd)
		}
		sub, data, ok := idv.BinaryOK()
		if !ok || sub != bson.TypeBinaryUUID || len(data) != 16 {
			return nil, codes.New(codes.TypeMismatch, "BSON field '%s.id' is the wrong type '%s', expected type 'uuid'", cmd, typeName(idv.Type))
		}
		var id [16]byte
		copy(id[:], data)
		ids = append(ids, id)
	}
	return ids, nil
}

// noUserDigest is a session's uid when no user is authenticated: the SHA-256 of the empty user name, as mongod
// computes it.
var noUserDigest = sha256.Sum256(nil)

// listLocal answers $listLocalSessions: one document {_id: {id, uid}, lastUse} per session the server holds,
// and the requesting command's own session (req's lsid, which mongod registers as the command starts), sorted
// by id. The server holds the sessions that ran a transaction or a retryable write. Its argument ({} or
// {allUsers: true}) changes nothing without authentication. A session a command is using reports the current
// time as its last use.
func (r *sessionRegistry) listLocal(req *Request, arg bson.RawValue) ([]bson.Raw, error) {
	if _, ok := arg.DocumentOK(); !ok {
		return nil, codes.New(codes.TypeMismatch, "$listLocalSessions options must be specified in an object, but found: %s", typeName(arg.Type))
	}
	r.mu.Lock()
	all := make([]*session, 0, len(r.m)+1)
	for _, ss := range r.m {
		all = append(all, ss)
	}
	if _, ok := r.m[req.lsid]; req.hasLsid && !ok {
		// Not checked out, so its lock is free and its last use is now.
		all = append(all, &session{id: req.lsid, lock: make(chan struct{}, 1), lastUse: time.Now()})
	}
	r.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return bytes.Compare(all[i].id[:], all[j].id[:]) < 0 })
	out := make([]bson.Raw, 0, len(all))
	for _, ss := range all {
		last := time.Now()
		if ss.tryLock() {
			last = ss.lastUse
			<-ss.lock
		}
		doc, err := bson.Marshal(bson.D{
			{Key: "_id", Value: bson.D{
				{Key: "id", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: append([]byte(nil), ss.id[:]...)}},
				{Key: "uid", Value: bson.Binary{Data: noUserDigest[:]}},
			}},
			{Key: "lastUse", Value: bson.NewDateTimeFromTime(last)},
		})
		if err != nil {
			return nil, commandError(err)
		}
		out = append(out, doc)
	}
	return out, nil
}
