package engine

import (
	"context"
	"encoding/binary"
	"runtime"
	"strings"

	"github.com/cockroachdb/pebble/v2"
)

// awaitCreated is how a write statement meets a collection that another transaction created and has not
// committed: mongod holds that collection's exclusive lock until the commit, so a write outside a transaction
// waits for the transaction to end (then writes to the committed collection, or, after an abort, creates it
// anew). The creating transaction itself, other transactions (see below) and writes to any other collection
// pass. ctx's end (maxTimeMS) ends the wait with its error.
func (e *Engine) awaitCreated(ctx context.Context, t *Txn, ns Namespace) error {
	for {
		e.catMu.RLock()
		owner := e.pending[ns]
		e.catMu.RUnlock()
		if owner == nil || owner == t {
			return nil
		}
		if t != nil && t.explicit {
			// Another transaction writes through, as before this lock existed: mongod would fail it with
			// LockTimeout, but histories of concurrent transactions creating one collection rely on it.
			return nil
		}
		select {
		case <-owner.done:
			// An aborting transaction closes done, then drops what it created under ddlMu, then leaves
			// pending: let it (taking ddlMu waits for a drop under way).
			e.ddlMu.Lock()
			e.ddlMu.Unlock()
			runtime.Gosched()
		case <-ctx.Done():
			return e.checkCtx(ctx)
		}
	}
}

// A collection a transaction creates is stored at once (its catalog record), as the transaction's own until it
// commits; an abort drops it again (dropCreated). So that a crash before the commit leaves no such collection
// behind either, as in MongoDB, where the creation is part of the transaction, the collection is stored with a
// pending marker (pendingKey) that the transaction's commit batch deletes, and Open drops the collections whose
// marker is left, unless they hold documents (those of other transactions, which write through: theirs now).

// installCreated stores a new collection c that t creates (nil t: outside a transaction). A transaction's
// collection is pending (listed to no one) from before it is in the catalog, so that no listing shows it
// meanwhile; the caller then records it in t (noteCreated). The caller holds ddlMu.
func (e *Engine) installCreated(t *Txn, ns Namespace, c *collection) error {
	if t == nil || !t.explicit {
		return e.installCollection(ns, c, nil, nil)
	}
	e.catMu.Lock()
	if e.pending == nil {
		e.pending = map[Namespace]*Txn{}
	}
	e.pending[ns] = t
	e.catMu.Unlock()
	err := e.installCollection(ns, c, t.pendingBatch(c), nil)
	if err != nil {
		e.unpublish(t, []createdColl{{ns: ns}})
	}
	return err
}

// pendingBatch returns a batch holding the pending marker of c, which transaction t creates.
func (t *Txn) pendingBatch(c *collection) *pebble.Batch {
	b := t.e.db.NewBatch()
	if err := b.Set(pendingKey(c.ns), binary.BigEndian.AppendUint32(nil, c.id), nil); err != nil {
		b.Close()
		return nil
	}
	return b
}

// committedCreations adds to t's commit batch the deletion of the pending markers of the collections t created.
func committedCreations(b *pebble.Batch, t *Txn) error {
	for _, cc := range t.created {
		if err := b.Delete(pendingKey(cc.ns), nil); err != nil {
			return storageError(err)
		}
	}
	return nil
}

// clearPending deletes the pending markers of the collections an aborted transaction created, dropped or not.
func (e *Engine) clearPending(created []createdColl) {
	b := e.db.NewBatch()
	defer b.Close()
	for _, cc := range created {
		_ = b.Delete(pendingKey(cc.ns), nil)
	}
	_ = e.applyNoSync(b) // if this fails the markers stay: Open finds their collections gone or dropped, and deletes them
}

// dropUncommittedCreations, at Open, drops the collections created by transactions that never committed, and
// deletes every pending marker.
func (e *Engine) dropUncommittedCreations() error {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixPending}, UpperBound: []byte{prefixPending + 1}})
	if err != nil {
		return storageError(err)
	}
	var created []createdColl
	for it.First(); it.Valid(); it.Next() {
		db, coll, ok := strings.Cut(string(it.Key()[1:]), "\x00")
		v := it.Value()
		if !ok || len(v) != 4 {
			continue
		}
		ns := Namespace{DB: db, Coll: coll}
		c := e.colls[ns]
		if c != nil && c.id == binary.BigEndian.Uint32(v) {
			created = append(created, createdColl{ns: ns, id: c.id, last: c})
		} else {
			created = append(created, createdColl{ns: ns}) // the marker alone
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return storageError(err)
	}
	it.Close()
	e.dropCreated(created)
	return nil
}
