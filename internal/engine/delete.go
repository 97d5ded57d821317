package engine

import (
	"bytes"
	"context"

	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Delete deletes the first matching document, or every one when multi, and
// returns how many it deleted. Outside a transaction it waits for documents
// owned by a transaction and re-checks the filter on the latest version; in
// a transaction a conflict is WriteConflict (112) and aborts it.
func (e *Engine) Delete(ctx context.Context, t *Txn, ns Namespace, filterDoc bson.Raw, multi bool, st *Stats) (int64, error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	m := e.metricsFor(ctx)
	m.delete.Add(1)
	var n int64
	err := e.runWrite(ctx, t, st, func(o *op) error {
		n = 0
		o.result = (*deleteCount)(&n)
		f, err := filter.Compile(filterDoc)
		if err != nil {
			return err
		}
		if !multi {
			for {
				c := e.lookupColl(ns)
				ok, err := o.deleteFirst(c, f)
				if _, isC := isConflict(err); isC {
					if err = o.conflict(err); err != nil {
						return err
					}
					continue
				}
				if ok {
					n = 1
				}
				return err
			}
		}
		c := e.lookupColl(ns)
		if c == nil {
			return nil
		}
		cands, err := e.collect(o.ctx, o.t(), c, f, o.st)
		if err != nil {
			return err
		}
		mark, markN := 0, n
		run := func(from int) error {
			for i := from; i < len(cands); {
				if err := e.checkCtx(o.ctx); err != nil {
					return err
				}
				ok, err := o.deleteDoc(c, cands[i], f)
				if _, isC := isConflict(err); isC {
					err = o.conflict(err)
					if err == errRedoUnit {
						if c = e.lookupColl(ns); c == nil {
							return nil
						}
						i, n = mark, markN
						continue
					}
					if err != nil {
						return err
					}
					mark, markN = i, n
					continue
				}
				if err != nil {
					return err
				}
				if ok {
					n++
				}
				i++
			}
			return nil
		}
		if err := run(0); err != nil {
			return err
		}
		return o.flushMulti(func() error {
			if c = e.lookupColl(ns); c == nil {
				return nil
			}
			n = markN
			return run(mark)
		})
	})
	st.NDeleted += n
	m.docDeleted.Add(n)
	return n, err
}

// deleteFirst deletes the first matching document; false when none matches.
func (o *op) deleteFirst(c *collection, f *filter.Filter) (bool, error) {
	for {
		cd, ok, err := o.first(c, f, nil)
		if err != nil || !ok {
			return false, err
		}
		done, err := o.deleteDoc(c, cd, f)
		if err != nil || done {
			return done, err
		}
		if cd.doc == nil {
			return false, nil
		}
	}
}

// deleteDoc claims and deletes one candidate; false when it is gone or no
// longer matches.
func (o *op) deleteDoc(c *collection, cd candidate, f *filter.Filter) (bool, error) {
	t := o.t()
	key := string(cd.key)
	if err := t.claim(key); err != nil {
		return false, err
	}
	cur, err := t.getDoc(cd.key)
	if err != nil {
		return false, err
	}
	if cur == nil {
		t.unclaim(key)
		return false, nil
	}
	if cd.doc == nil {
		o.st.KeysExamined++
		o.st.DocsExamined++
	}
	if cd.doc == nil || !bytes.Equal(cur, cd.doc) {
		if cd.doc != nil {
			o.countConflict()
		}
		matched, _, err := f.MatchErr(cur)
		if err != nil || !matched {
			t.unclaim(key)
			return false, err
		}
	}
	if err := t.putDoc(c, cd.key, docID(cur), cur, nil); err != nil {
		return false, err
	}
	return true, nil
}

// deleteCount is a delete's result: the documents deleted.
type deleteCount int64

// appendSummary appends deleted.
func (n *deleteCount) appendSummary(dst []byte) ([]byte, bool) {
	return bsoncore.AppendInt64Element(dst, "deleted", int64(*n)), true
}
