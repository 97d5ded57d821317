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

// sessionRecordFrom returns the session record of ctx, or nil.
func sessionRecordFrom(ctx context.Context) *sessionRecord {
	r, _ := ctx.Value(sessionRecordKey{}).(*sessionRecord)
	return r
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

// PruneSessionRecords deletes the session records for which expired returns true, and returns how many it
// deleted. Each record is checked again and deleted under the commit lock, so that a record a commit has just
// replaced is judged by its new value and never lost; expired is then called with that lock held, so it must
// not call into the engine.
func (e *Engine) PruneSessionRecords(expired func(id [16]byte, value []byte) bool) (int, error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	var candidates [][16]byte
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixSession}, UpperBound: []byte{prefixSession + 1}})
	if err != nil {
		return 0, storageError(err)
	}
	for it.First(); it.Valid(); it.Next() {
		var id [16]byte
		if len(it.Key()) != 1+len(id) {
			continue
		}
		copy(id[:], it.Key()[1:])
		if expired(id, it.Value()) {
			candidates = append(candidates, id)
		}
	}
	if err := it.Close(); err != nil {
		return 0, storageError(err)
	}
	deleted := 0
	for _, id := range candidates {
		e.commitMu.Lock()
		v, closer, err := e.db.Get(sessionKey(id))
		if err == nil {
			stillExpired := expired(id, v)
			closer.Close()
			if stillExpired {
				b := e.db.NewBatch()
				if err = b.Delete(sessionKey(id), nil); err == nil {
					err = e.applyNoSync(b)
				}
				b.Close()
				if err == nil {
					deleted++
				}
			}
		} else if errors.Is(err, pebble.ErrNotFound) {
			err = nil
		}
		e.commitMu.Unlock()
		if err != nil {
			return deleted, storageError(err)
		}
	}
	return deleted, nil
}
