package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// writeBatch is a write command's statements (insert's documents, update's updates, delete's deletes) on their
// way through runWriteBatch, the one loop the three commands share, as mongod's write_ops_exec does.
type writeBatch struct {
	// stmts are the statements as sent. A statement's number (the i of runWriteBatch's run, a write error's
	// index, a retryable write's statement id in retriedStmtIds) is its position in it.
	stmts   []bson.Raw
	ordered bool
	// profileOp is the profiler's op for one system.profile entry per statement ("update", "remove"), each
	// with its own statistics; "" when the statements share the command's statistics and the command records
	// one entry itself (insert, whose documents the engine writes in one operation).
	profileOp string
	// coll is the collection written, of the database of the request.
	coll string
	// preRun is set when the statements already ran before the loop (insert's, which the engine writes in one
	// operation): run only reports their outcome, so they do not pass the onPrimaryTransactionalWrite point.
	preRun bool
	// replay folds the recorded result of statement i, which a retried write does not run again (req.stmts),
	// into the reply.
	replay func(i int, result bson.Raw)
}

// runWriteBatch runs b's statements in order: run runs statement i with ctx, which carries the statement's
// OpStats, and returns its failure. A failure becomes a write error of the reply (mongod's WriteError: index,
// code, errmsg, keyPattern/keyValue), after which an ordered batch, and any batch in a transaction, stops and an
// unordered one goes on; but a failure that fails the whole command (failsWholeCommand: an interruption, or a
// transaction's transient error) is returned as err instead, and the statements that ran before it stay
// applied, as in mongod. Every statement's statistics end up in req.Stats. It returns the reply's writeErrors
// (nil when none) and the last write error, which an insert's profiler entry reports. run is a parameter of its
// own rather than a field of b so that the handlers' closures, and the counts they capture, stay on the stack.
func (s *Server) runWriteBatch(ctx context.Context, req *Request, b writeBatch, run func(ctx context.Context, i int) error) (writeErrors bson.A, last, err error) {
	for i := range b.stmts {
		st, stCtx := req.Stats, ctx
		var started time.Time
		if b.profileOp != "" {
			// A lone statement's statistics are the command's: it fills req.Stats, already in ctx, directly.
			if st == nil || len(b.stmts) > 1 || concord.OpStatsFromContext(ctx) != st {
				st = &concord.OpStats{}
				stCtx = concord.WithOpStats(ctx, st)
			}
			started = time.Now()
		}
		if r := req.stmts; r != nil && !b.preRun {
			if res, ok := r.done[i]; ok {
				if b.replay != nil {
					b.replay(i, res)
				}
				req.retried = append(req.retried, i)
				continue
			}
			stCtx = r.contextFor(stCtx, req.lsid, i)
		}
		err := s.transactionalWritePointFor(req, b)
		if err == nil {
			err = run(stCtx, i)
		}
		addStats(req.Stats, st)
		if b.profileOp != "" && s.profiler.on(req.DB) {
			s.profileRecord(ctx, req, profileRecord{op: b.profileOp, ns: ns(req.DB, b.coll), command: b.stmts[i], st: st, started: started, err: err})
		}
		if err == nil {
			continue
		}
		e, _ := codes.As(commandError(err))
		if failsWholeCommand(e, req.InTxn) {
			return nil, nil, e
		}
		writeErrors, last = append(writeErrors, writeErrorDoc(i, e)), e
		if b.ordered || req.InTxn {
			break
		}
	}
	return writeErrors, last, nil
}

// noteStmt records that statement i of a retryable write of several statements ran, with the result summary
// that summary builds; it does nothing for other writes.
func (req *Request) noteStmt(i int, summary func() bson.Raw) {
	if req.stmts != nil {
		req.stmts.markDone(i, summary())
	}
}

// transactionalWritePointFor passes a statement of b through the onPrimaryTransactionalWrite point, unless it
// already ran.
func (s *Server) transactionalWritePointFor(req *Request, b writeBatch) error {
	if b.preRun {
		return nil
	}
	return s.transactionalWritePoint(req)
}

// withWriteErrors appends writeErrors to a write command's reply when there are any.
func withWriteErrors(reply bson.D, writeErrors bson.A) bson.D {
	if len(writeErrors) == 0 {
		return reply
	}
	return append(reply, bson.E{Key: "writeErrors", Value: writeErrors})
}
