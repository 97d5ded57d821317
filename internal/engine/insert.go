package engine

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
)

// InsertResult is the outcome of an insert: the _ids of the inserted
// documents in order, and the per-document write errors.
type InsertResult struct {
	InsertedIDs []bson.RawValue
	WriteErrors []WriteError
}

// WriteError is a per-document error of a write command (e.g. DuplicateKey
// with KeyPattern and KeyValue); Index is the document's position.
type WriteError struct {
	Index int
	Err   *codes.Error
}

// Insert inserts documents, creating the collection if needed. _id is made
// the first field (an ObjectID is generated when absent). Per-document
// failures (DuplicateKey 11000, InvalidIdField 53, ...) are WriteErrors;
// ordered stops at the first. Outside a transaction an _id or unique key
// owned by an uncommitted transaction is waited for: after its commit the
// insert gets DuplicateKey, after its abort it succeeds. In a transaction a
// write error stops the batch and aborts the transaction; a key owned by
// another transaction is WriteConflict (112).
//
// Into a capped collection, the insert that takes it past its size or maximum count removes its oldest
// documents in the same commit (capped.go); a document larger than the collection is BadValue, and a
// transaction's insert is OperationNotSupportedInTransaction (263).
func (e *Engine) Insert(ctx context.Context, t *Txn, ns Namespace, docs []bson.Raw, ordered bool, st *Stats) (InsertResult, error) {
	if err := e.awaitCreated(ctx, t, ns); err != nil {
		return InsertResult{}, err
	}
	unlock, cs, err := e.lockCapped(t, ns)
	if err != nil {
		return InsertResult{}, err
	}
	if unlock == nil {
		return e.insert(ctx, t, ns, docs, ordered, st, nil)
	}
	res, err := e.insert(ctx, t, ns, docs, ordered, st, cs)
	unlock(err != nil)
	return res, err
}

// insert is Insert; cs is the locked state of the capped collection ns, nil for another collection.
func (e *Engine) insert(ctx context.Context, t *Txn, ns Namespace, docs []bson.Raw, ordered bool, st *Stats, cs *cappedState) (InsertResult, error) {
	if err := e.enter(); err != nil {
		return InsertResult{}, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var res InsertResult
	err := e.runWrite(ctx, t, st, func(o *op) error {
		res = InsertResult{}
		o.result = &res
		c, err := o.collOrCreate(ns)
		if err != nil {
			return err
		}
		type prepared struct {
			doc bson.Raw
			id  bson.RawValue
		}
		prep := make([]prepared, len(docs))
		mark, markRes := 0, res
		fail := func(i int, err error) bool {
			ce, ok := codes.As(err)
			if !ok {
				ce = storageError(err)
			}
			res.WriteErrors = append(res.WriteErrors, WriteError{Index: i, Err: ce})
			if o.txn != nil {
				o.txn.pendingAbort = ce
				return true
			}
			return ordered
		}
		for i := 0; i < len(docs); {
			if err := e.checkCtx(o.ctx); err != nil {
				return err
			}
			if prep[i].doc == nil {
				doc, id, err := prepareInsertDoc(docs[i])
				if err != nil {
					if fail(i, err) {
						break
					}
					i++
					continue
				}
				prep[i] = prepared{doc, id}
			}
			if cs != nil && int64(len(prep[i].doc)) > c.opts.Size {
				if fail(i, cappedTooLarge()) {
					break
				}
				i++
				continue
			}
			_, err := o.insertDoc(c, prep[i].doc, prep[i].id)
			if err == nil && cs != nil {
				err = o.cappedInserted(cs, c, docKey(c.id, prep[i].id), len(prep[i].doc))
			}
			if _, ok := isConflict(err); ok {
				err = o.conflict(err)
				if err == errRedoUnit {
					if c, err = o.collOrCreate(ns); err != nil {
						return err
					}
					if err := reloadCapped(e, cs, c); err != nil {
						return err
					}
					i, res = mark, markRes
					continue
				}
				if err != nil {
					return err
				}
				mark, markRes = i, cloneInsertResult(res)
				continue
			}
			if err != nil {
				if fail(i, err) {
					break
				}
				i++
				continue
			}
			res.InsertedIDs = append(res.InsertedIDs, prep[i].id)
			i++
		}
		if o.txn != nil {
			return nil
		}
		// Commit the last unit here so that a unit lost to a catalog change
		// is redone document by document.
		for {
			o.attachRecord()
			err := o.flush()
			if err != errRedoUnit {
				return err
			}
			if c, err = o.collOrCreate(ns); err != nil {
				return err
			}
			if err := reloadCapped(e, cs, c); err != nil {
				return err
			}
			redo := res
			res = markRes
			for i := mark; i < len(docs); i++ {
				if prep[i].doc == nil || !insertedAt(redo, prep[i].id) {
					continue
				}
				for {
					_, err := o.insertDoc(c, prep[i].doc, prep[i].id)
					if err == nil && cs != nil {
						err = o.cappedInserted(cs, c, docKey(c.id, prep[i].id), len(prep[i].doc))
					}
					if _, ok := isConflict(err); ok {
						if err = o.conflict(err); err != nil && err != errRedoUnit {
							return err
						}
						continue
					}
					if err != nil {
						fail(i, err)
					} else {
						res.InsertedIDs = append(res.InsertedIDs, prep[i].id)
					}
					break
				}
			}
		}
	})
	n := int64(len(res.InsertedIDs))
	st.NInserted += n
	m := e.metricsFor(ctx)
	m.insert.Add(int64(len(docs)))
	m.docInserted.Add(n)
	return res, err
}

// reloadCapped rereads the committed state of the capped collection c after a unit was lost (cs nil: not
// capped).
func reloadCapped(e *Engine, cs *cappedState, c *collection) error {
	if cs == nil {
		return nil
	}
	return cs.load(e, c)
}

// cloneInsertResult copies r so later appends do not alias it.
func cloneInsertResult(r InsertResult) InsertResult {
	return InsertResult{
		InsertedIDs: append([]bson.RawValue(nil), r.InsertedIDs...),
		WriteErrors: append([]WriteError(nil), r.WriteErrors...),
	}
}

// insertedAt reports whether r lists id as inserted.
func insertedAt(r InsertResult, id bson.RawValue) bool {
	for _, x := range r.InsertedIDs {
		if x.Type == id.Type && string(x.Value) == string(id.Value) {
			return true
		}
	}
	return false
}

// appendSummary appends inserted. An insert that met write errors is not
// recorded: running it again inserts nothing twice (its documents' _ids now
// exist), so its retry needs no record.
func (r *InsertResult) appendSummary(dst []byte) ([]byte, bool) {
	if len(r.WriteErrors) > 0 {
		return dst, false
	}
	return bsoncore.AppendInt64Element(dst, "inserted", int64(len(r.InsertedIDs))), true
}
