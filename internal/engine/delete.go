package engine

import (
	"context"
	"slices"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// DeleteSpec is one delete statement.
type DeleteSpec struct {
	Filter bson.Raw
	Multi  bool
	// Collation orders and equates strings in the filter; nil compares bytes.
	Collation *collation.Collation
}

// Delete deletes the first matching document, or every one when multi, and
// returns how many it deleted. Outside a transaction it waits for documents
// owned by a transaction and re-checks the filter on the latest version; in
// a transaction a conflict is WriteConflict (112) and aborts it.
func (e *Engine) Delete(ctx context.Context, t *Txn, ns Namespace, filterDoc bson.Raw, multi bool, st *Stats) (int64, error) {
	return e.DeleteWith(ctx, t, ns, DeleteSpec{Filter: filterDoc, Multi: multi}, st)
}

// DeleteWith is Delete of a DeleteSpec.
func (e *Engine) DeleteWith(ctx context.Context, t *Txn, ns Namespace, spec DeleteSpec, st *Stats) (int64, error) {
	if err := e.awaitCreated(ctx, t, ns); err != nil {
		return 0, err
	}
	unlock, _, err := e.lockCapped(t, ns)
	if err != nil {
		return 0, err
	}
	res, err := e.deleteStmt(ctx, t, ns, spec, st)
	if unlock != nil {
		// The documents changed: the next insert reloads the collection's totals.
		unlock(true)
	}
	return res, err
}

// deleteStmt is the statement of DeleteWith, with a capped collection's state locked. A deleteMany on a collection
// whose references name itself (a tree: employees naming their managers) deletes in passes, each keeping the
// documents that documents not yet deleted name, until none is kept, as SQL checks its foreign keys at the
// statement's end: deleting a manager and the employees naming it in one statement succeeds whatever their order.
// A pass that deletes nothing leaves documents named by others the statement does not delete: the last pass then
// refuses the first of them.
func (e *Engine) deleteStmt(ctx context.Context, t *Txn, ns Namespace, spec DeleteSpec, st *Stats) (int64, error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	m := e.metricsFor(ctx)
	m.delete.Add(1)
	if !spec.Multi || keepNamed(ctx) || !e.selfReferencing(ns) {
		n, _, err := e.deletePass(ctx, t, ns, spec, st)
		return n, err
	}
	var total int64
	for {
		n, kept, err := e.deletePass(keepNamedParents(ctx), t, ns, spec, st)
		total += n
		if err != nil || kept == 0 {
			return total, err
		}
		if n == 0 {
			n, _, err = e.deletePass(ctx, t, ns, spec, st)
			return total + n, err
		}
	}
}

// selfReferencing reports whether ns has a reference to itself.
func (e *Engine) selfReferencing(ns Namespace) bool {
	c := e.lookupColl(ns)
	return c != nil && slices.ContainsFunc(c.opts.References, func(r Reference) bool { return r.Coll == ns.Coll })
}

// deletePass runs deleteStmt's deletion once: the documents it deleted and, under keepNamedParents, those it kept.
func (e *Engine) deletePass(ctx context.Context, t *Txn, ns Namespace, spec DeleteSpec, st *Stats) (n, kept int64, err error) {
	filterDoc, multi := spec.Filter, spec.Multi
	m := e.metricsFor(ctx)
	err = e.runWrite(ctx, t, st, func(o *op) error {
		n = 0
		o.result = (*deleteCount)(&n)
		f, err := filter.CompileIn(filterDoc, scopeFrom(ctx).Collate(stringComparer(spec.Collation)))
		if err != nil {
			return err
		}
		if !multi {
			return o.retrying(func() error {
				n = 0
				c := e.lookupColl(ns)
				key, cur, _, found, err := o.claimFirst(c, f, nil)
				if err != nil || !found {
					return err
				}
				if err := o.removeDoc(c, key, cur); err != nil {
					return err
				}
				n = 1
				return nil
			})
		}
		c := e.lookupColl(ns)
		if c == nil {
			return nil
		}
		cands, err := e.collect(o.ctx, o.t(), c, f, o.st)
		if err != nil {
			return err
		}
		wc, err := o.writeEach(ns, c, cands, f, func(c *collection, key []byte, cur bson.Raw, _ int) (bool, error) {
			if err := o.removeDoc(c, key, cur); err != errParentNamed {
				return true, err
			}
			return false, nil // kept: children name it (keepNamedParents)
		})
		n, kept = wc.modified, wc.matched-wc.modified
		return err
	})
	st.NDeleted += n
	m.docDeleted.Add(n)
	return n, kept, err
}

// removeDoc buffers the deletion of the claimed document at key of c,
// whose current version is cur. Errors: a *conflictError on a unique-index
// key, for the caller's retry point.
func (o *op) removeDoc(c *collection, key []byte, cur bson.Raw) error {
	if c.opts.IsView() {
		return viewError(c.ns)
	}
	if err := o.checkParent(c, cur, nil); err != nil {
		return err
	}
	return o.t().putDoc(c, key, docID(cur), cur, nil)
}

// deleteCount is a delete's result: the documents deleted.
type deleteCount int64

// appendSummary appends deleted.
func (n *deleteCount) appendSummary(dst []byte) ([]byte, bool) {
	return bsoncore.AppendInt64Element(dst, "deleted", int64(*n)), true
}
