package server

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// Request is one command as the server received it. Body is a copy owned by the request (the message buffer
// it was read into is reused), so Body and values sliced from it stay valid after the handler returns, e.g. for
// a cursor's getMore.
type Request struct {
	// Name is the command name as sent, e.g. "find": the first key of the body.
	Name string
	// DB is the command's $db.
	DB string
	// Body is the command document. OP_MSG kind-1 sequences are appended to it as array fields named by their
	// identifier, so handlers see one document whichever way the client split the message.
	Body bson.Raw
	// Conn is the client connection the command arrived on.
	Conn *Conn
	// InTxn reports that the statement belongs to a multi-document transaction. The context then carries the
	// transaction's concord.Session (concord.NewSessionContext), so handlers just pass ctx to the concord API.
	InTxn bool
	// Stats, when non-nil, collects the statement's profiler statistics; core already put it in the context
	// (concord.WithOpStats), so handlers only read it after the operation.
	Stats *concord.OpStats
	// lsid (when hasLsid) and txnNumber (0 when absent) are the command's generic arguments, as core parsed
	// and checked them.
	lsid      [16]byte
	hasLsid   bool
	txnNumber int64
	// visibleDB, when non-nil, limits listDatabases to the databases it accepts: those the user has
	// privileges on, when it lacks listDatabases (mongod's authorizedDatabases).
	visibleDB func(db string) bool
	// retryableWrite is set for a retryable write (txnNumber without autocommit), whose statements pass the
	// onPrimaryTransactionalWrite fail point.
	retryableWrite bool
	// changeStream is set by getMore once it found its cursor to be a change stream's.
	changeStream bool
}

// connID returns the id of the request's connection, 0 when it came on none (an in-process call).
func (r *Request) connID() int64 {
	if r.Conn == nil {
		return 0
	}
	return r.Conn.ID
}

// Handler runs one command. It returns the reply fields without ok, $clusterTime and operationTime (core adds
// them), or an error: a *concord.Error becomes {ok: 0, errmsg, code, codeName, errorLabels...}; anything else
// is reported as InternalError. Handlers are called concurrently for different connections.
type Handler func(ctx context.Context, s *Server, req *Request) (bson.D, error)

// Command describes one entry of the command table: how core dispatches it and which session rules apply
// before the handler runs.
type Command struct {
	// Handler runs the command.
	Handler Handler
	// InTxn allows the command inside a multi-document transaction (find, getMore, killCursors, insert,
	// update, delete, findAndModify, aggregate, distinct, create, createIndexes); any other command sent with
	// autocommit:false fails with OperationNotSupportedInTransaction.
	InTxn bool
	// Retryable marks a retryable write (insert, update, delete, findAndModify): core deduplicates it by
	// (lsid, txnNumber) and returns the stored reply to a retry.
	Retryable bool
	// TestOnly marks a test command (configureFailPoint): it exists only when Server.EnableTestCommands is
	// set, and is CommandNotFound otherwise, as in a mongod started without enableTestCommands.
	TestOnly bool
	// Counter is "" for commands counted in opcounters.command, or "none" for commands that count themselves
	// in the engine (find, getMore, insert, update, delete).
	Counter string
}
