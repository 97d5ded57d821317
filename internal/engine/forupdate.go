package engine

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// LockForUpdate makes the documents of ns with the given _ids transaction t's, as writing them would, without
// changing them: SQL's SELECT ... FOR UPDATE. Until t ends, another transaction's write or lock of one of them
// fails with WriteConflict, and a write outside a transaction waits; a document that a transaction committed
// after t's snapshot cannot be locked either (WriteConflict), as it could not be written. The locks end with t,
// committed or not, and leave no trace: a document t locked but did not write counts as unchanged afterwards.
//
// With skipLocked, a document another transaction holds is skipped instead (SKIP LOCKED): locked[i] reports
// whether ids[i] is now t's. Outside a transaction (t nil) nothing is locked and every locked[i] is true, as a
// statement's own locks end with it. An error (WriteConflict) aborts t, as a failed statement does.
func (e *Engine) LockForUpdate(ctx context.Context, t *Txn, ns Namespace, ids []bson.RawValue, skipLocked bool) (locked []bool, err error) {
	locked = make([]bool, len(ids))
	if t == nil {
		for i := range locked {
			locked[i] = true
		}
		return locked, nil
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	c := e.lookupColl(ns)
	err = e.runWrite(ctx, t, nil, func(o *op) error {
		if c == nil {
			return nil
		}
		for i, id := range ids {
			err := t.claim(string(docKey(c.id, id)))
			if ce, ok := isConflict(err); ok && skipLocked && ce.owner != nil {
				continue // held by another transaction
			}
			if err != nil {
				return err
			}
			locked[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return locked, nil
}
