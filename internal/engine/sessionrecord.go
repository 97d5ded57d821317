package engine

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// sessionRecord is what a server keeps durably for a logical session, as mongod keeps a session's transaction
// record in config.transactions: the engine stores the bytes and never reads them.
type sessionRecord struct {
	id    [16]byte
	value []byte
	// done is set once a write outside a transaction has stored the record
	// (op.attachRecord).
	done atomic.Bool
}

// sessionRecordKey is the context key of WithSessionRecord.
type sessionRecordKey struct{}

// WithSessionRecord returns a context under which Txn.Commit stores value as the record of the logical session
// id, in the same atomic batch as the transaction's writes: after a crash either both are there or neither.
// Outside a transaction, the first insert, update, delete or findAndModify run under the context stores it
// with its last writes, value (a BSON document) extended with a "result" field summarising the operation's
// result (see the operations). A commit with nothing to write stores nothing (there is nothing a retry could
// apply twice). The record replaces the session's previous one.
func WithSessionRecord(ctx context.Context, id [16]byte, value []byte) context.Context {
	return context.WithValue(ctx, sessionRecordKey{}, &sessionRecord{id: id, value: value})
}

// SessionRecord returns the record last committed for the logical session id, or nil when there is none.
func (e *Engine) SessionRecord(id [16]byte) ([]byte, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	v, closer, err := e.db.Get(sessionKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storageError(err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}
