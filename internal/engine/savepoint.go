package engine

import (
	"maps"
	"slices"

	"github.com/concorddb/concord/internal/codes"
)

// Savepoint is a point in a transaction that RollbackTo returns its writes to: a copy of what the transaction
// had buffered and claimed then (SQL's SAVEPOINT; MongoDB has no such thing).
type Savepoint struct {
	t      *Txn
	writes []docWrite // the buffered writes, in order
	uniq   map[string]string
	claims map[string]bool
	extra  int
	// created are the collections the transaction had created, with the versions it had made of them.
	created []createdColl
}

// Savepoint marks the transaction's current writes. From then on a failed statement no longer aborts the
// transaction (the abort guard of MongoDB's transactions) but leaves it failed: until RollbackTo, its
// statements and its commit are refused (IllegalOperation), so what the failed statement wrote never commits.
// An expired transaction is aborted all the same.
func (t *Txn) Savepoint() (*Savepoint, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.activeLocked(); err != nil {
		return nil, err
	}
	if t.failed {
		return nil, failedError()
	}
	t.keepOnError = true
	sp := &Savepoint{t: t, uniq: maps.Clone(t.uniq), claims: maps.Clone(t.claims), extra: len(t.extra), created: slices.Clone(t.created)}
	sp.writes = make([]docWrite, 0, len(t.order))
	for _, k := range t.order {
		sp.writes = append(sp.writes, *t.writes[k])
	}
	return sp, nil
}

// RollbackTo returns the transaction's writes to what they were at sp, which stays usable: the documents and
// unique keys written since are forgotten, and the keys claimed since are released (other transactions may
// write them again). The snapshot stays the one the transaction read from. What the transaction did to the
// catalog since sp is undone too, as an abort undoes it: a collection it created since is dropped again
// (unless another client has changed it or committed documents to it: theirs then), and an index it created
// since on a collection it created before is dropped. A capped collection written since sp cannot be rolled
// back (IllegalOperation). Should the catalog change fail (storage), the transaction is aborted.
//
// A write outside any transaction that waits for the transaction to end before writing to a collection it
// created (awaitCreated) keeps waiting until then, even once RollbackTo has dropped the collection.
func (t *Txn) RollbackTo(sp *Savepoint) error {
	if err := t.e.enter(); err != nil {
		return err
	}
	defer t.e.exit()
	t.mu.Lock()
	defer t.mu.Unlock()
	if sp == nil || sp.t != t {
		return codes.New(codes.IllegalOperation, "savepoint of another transaction")
	}
	if err := t.activeLocked(); err != nil {
		return err
	}
	if len(t.extra) != sp.extra {
		return codes.New(codes.IllegalOperation, "cannot roll back to a savepoint past a capped collection's write")
	}
	if err := t.rollbackCatalog(sp.created); err != nil {
		ce, ok := codes.As(err)
		if !ok {
			ce = storageError(err)
		}
		t.abortLocked(ce)
		return ce.InTransaction()
	}
	// A claim taken since sp is released; one sp had keeps its written flag of then (an unwritten claim given
	// up since sp stays given up: it protects no write).
	claims := make(map[string]bool, len(sp.claims))
	for k, written := range sp.claims {
		if _, ok := t.claims[k]; ok {
			claims[k] = written
		}
	}
	for k := range t.claims {
		if _, ok := claims[k]; !ok {
			t.e.owners.release(k, t, 0)
		}
	}
	t.claims = claims
	t.failed = false
	t.uniq = maps.Clone(sp.uniq)
	t.writes = make(map[string]*docWrite, len(sp.writes))
	t.order = make([]string, 0, len(sp.writes))
	t.write1, t.lastClaim = docWrite{}, ""
	for i := range sp.writes {
		w := sp.writes[i]
		k := string(w.key)
		// A write to a collection t created names the version t made last (restored by rollbackCatalog).
		for _, cc := range t.created {
			if w.coll.ns == cc.ns && w.coll.id == cc.id {
				w.coll = cc.last
			}
		}
		t.writes[k] = &w
		t.order = append(t.order, k)
	}
	return nil
}

// rollbackCatalog undoes what t did to the catalog since it had created the collections in keep (a savepoint's
// copy of t.created): the collections t created since are dropped again, as an abort drops them, and each one
// of keep that t changed since (indexes it created) gets back its version of then, under a new version whose
// index ids stay unused. The caller holds t.mu.
func (t *Txn) rollbackCatalog(keep []createdColl) error {
	e := t.e
	if since := t.created[len(keep):]; len(since) > 0 {
		dropped := slices.Clone(since)
		t.created = t.created[:len(keep):len(keep)]
		// Dropped while still pending, so that no write outside a transaction slips in meanwhile.
		e.dropCreated(dropped)
		e.unpublish(t, dropped)
	}
	for i, then := range keep {
		cur := &t.created[i]
		if cur.last == then.last {
			continue
		}
		if err := e.restoreCreated(cur, then.last); err != nil {
			return err
		}
	}
	return nil
}

// restoreCreated gives a collection t created, cc, back the version old that t had made of it before: the
// indexes t created since are dropped with their entries. A collection someone else changed since t did is
// left as it is (theirs: t's commit then fails on the version it wrote through).
func (e *Engine) restoreCreated(cc *createdColl, old *collection) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(cc.ns)
	if c == nil || c != cc.last {
		return nil
	}
	nc := old.clone()
	nc.nextIndexID = c.nextIndexID // an index id is never used twice
	b := e.db.NewBatch()
	for _, ix := range c.indexes {
		if slices.ContainsFunc(old.indexes, func(o *index) bool { return o.id == ix.id }) {
			continue
		}
		p := indexPrefix(c.id, ix.id)
		if err := b.DeleteRange(p, prefixSuccessor(p), nil); err != nil {
			b.Close()
			return storageError(err)
		}
		if err := b.Delete(multikeyKey(c.id, ix.id), nil); err != nil {
			b.Close()
			return storageError(err)
		}
	}
	if err := e.installCollection(cc.ns, nc, b, nil); err != nil {
		return err
	}
	cc.last = nc
	return nil
}

// failedError refuses a statement or the commit of a transaction whose statement failed after a Savepoint.
func failedError() *codes.Error {
	return codes.New(codes.IllegalOperation, "a statement of this transaction failed: roll back to a savepoint, or abort")
}

// activeLocked is NoSuchTransaction for an aborted transaction and TransactionCommitted for a committed one.
func (t *Txn) activeLocked() error {
	switch TxnState(t.state.Load()) {
	case TxnAborted:
		return abortedError().InTransaction()
	case TxnCommitted:
		return committedError()
	}
	return nil
}

// KeepsOnError reports whether a failed statement leaves the transaction active (after a Savepoint).
func (t *Txn) KeepsOnError() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.keepOnError
}
