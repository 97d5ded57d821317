package server

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// maxWriteBatch is the largest number of statements one write command may carry (mongod's maxWriteBatchSize,
// advertised in hello).
const maxWriteBatch = 100000

// checkBatchSize rejects an empty or oversized write batch as mongod does.
func checkBatchSize(n int) error {
	if n < 1 || n > maxWriteBatch {
		return codes.New(codes.InvalidLength, "Write batch sizes must be between 1 and %d. Got %d operations.", maxWriteBatch, n)
	}
	return nil
}

// handleInsert runs insert: {insert, documents, ordered}. Reply {n, writeErrors?}: a document that fails (for
// example DuplicateKey, with keyPattern/keyValue) is a write error; ordered:true (the default) stops there,
// ordered:false goes on. Inside a transaction the batch always stops at the first error. Interruptions and a
// transaction's transient errors fail the whole command.
func handleInsert(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	reply, lastWriteErr, err := runInsert(ctx, s, req, a, collName)
	if s.profiler.on(req.DB) {
		profErr := err
		if profErr == nil && lastWriteErr != nil {
			profErr = lastWriteErr
		}
		s.profileRecord(ctx, req, profileRecord{op: "insert", ns: namespace, command: req.Body, st: req.Stats,
			started: started, err: profErr, responseLength: replyLength(reply)})
	}
	return reply, err
}

// runInsert parses and runs the insert. lastWriteErr is the last per-document failure, which the profiler reports.
func runInsert(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName string) (reply bson.D, lastWriteErr, err error) {
	docs, ordered, err := a.writeBatch("documents")
	if err != nil {
		return nil, nil, err
	}
	if req.InTxn {
		ordered = true
	}
	in := make([]any, len(docs))
	for i, d := range docs {
		in[i] = d
	}
	if err := s.transactionalWritePoint(req); err != nil {
		return nil, nil, err
	}
	res, err := s.DB.Database(req.DB).Collection(collName).InsertMany(ctx, in, &concord.InsertManyOptions{Ordered: &ordered})
	var bwe *concord.BulkWriteError
	if err != nil && !errors.As(err, &bwe) {
		return nil, nil, commandError(err)
	}
	// The engine wrote the documents in one operation; their failures go through the loop the statements of
	// update and delete go through.
	var failed map[int]*codes.Error
	if bwe != nil {
		failed = make(map[int]*codes.Error, len(bwe.WriteErrors))
		for _, we := range bwe.WriteErrors {
			failed[we.Index] = we.Err
			if we.Err == nil {
				failed[we.Index] = codes.New(codes.InternalError, "unknown write error")
			}
		}
	}
	b := writeBatch{stmts: docs, ordered: ordered, preRun: true}
	writeErrors, lastWriteErr, err := s.runWriteBatch(ctx, req, b, func(_ context.Context, i int) error {
		if e := failed[i]; e != nil {
			return e
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var n int
	if res != nil {
		n = len(res.InsertedIDs)
	}
	return withWriteErrors(bson.D{{Key: "n", Value: int32(n)}}, writeErrors), lastWriteErr, nil
}
