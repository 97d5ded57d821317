package engine

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// RenameCollection renames the collection from to `to`, keeping its documents and indexes (their keys name the
// collection's id, not its name). A missing source is NamespaceNotFound (26); an existing target is
// NamespaceExists (48) unless dropTarget, which drops it first. Renaming a collection to itself is
// IllegalOperation (20); renaming a collection that references name, or dropping one so, is OperationFailed (96)
// (unless ctx is WithoutReferences). Transactions that wrote through the old name fail at commit, as after a drop.
func (e *Engine) RenameCollection(ctx context.Context, from, to Namespace, dropTarget bool) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := validateNamespace(to); err != nil {
		return err
	}
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(from)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "Source collection %s does not exist", from.String())
	}
	if from == to {
		return codes.New(codes.IllegalOperation, "Can't rename a collection to itself")
	}
	if err := e.dependents(ctx, from, "rename", true); err != nil {
		return err
	}
	desc := bson.D{{Key: "to", Value: bson.D{{Key: "db", Value: to.DB}, {Key: "coll", Value: to.Coll}}}}
	b := e.db.NewBatch()
	defer b.Close()
	target := e.lookupColl(to)
	if target != nil {
		if !dropTarget {
			return codes.New(codes.NamespaceExists, "target namespace exists")
		}
		if err := e.dependents(ctx, to, "drop", false); err != nil {
			return err
		}
		// The target goes in the rename's own batch: one change, a rename naming the target it dropped, as
		// in mongod's oplog.
		for _, p := range [][]byte{docPrefix(target.id), collIndexPrefix(target.id)} {
			if err := b.DeleteRange(p, prefixSuccessor(p), nil); err != nil {
				return storageError(err)
			}
		}
		desc = append(desc, bson.E{Key: "dropTarget", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: target.uuid[:]}})
	}
	nc := c.clone()
	nc.ns = to
	data, err := bson.Marshal(nc.record())
	if err != nil {
		return codes.New(codes.InternalError, "catalog encode: %v", err)
	}
	if err := b.Delete(catalogKey(from), nil); err != nil {
		return storageError(err)
	}
	if err := b.Set(catalogKey(to), data, nil); err != nil {
		return storageError(err)
	}
	ch := Change{Kind: ChangeRename, NS: from, To: to, UUID: c.uuid}
	ch.Desc, _ = bson.Marshal(desc)
	encs := [][]byte{encodeChange(&ch)}
	e.commitMu.Lock()
	seq, err := e.feed.logChanges(b, encs, e.clock.Load())
	if err == nil {
		err = e.apply(b, true)
	}
	if err == nil {
		e.feed.publish(encs, seq)
		e.catMu.Lock()
		delete(e.colls, from)
		e.colls[to] = nc
		e.catMu.Unlock()
		e.catGen.Add(1)
		if target != nil {
			e.docs.purge(docPrefix(target.id))
		}
	}
	e.commitMu.Unlock()
	if err != nil {
		return storageError(err)
	}
	return e.syncBatch(b)
}

// CollMod changes ns's options: images, when non-nil, turns changeStreamPreAndPostImages on or off. Like
// mongod's collMod it records a modify change even when nothing changes. A missing collection is
// NamespaceNotFound (26).
func (e *Engine) CollMod(ctx context.Context, ns Namespace, images *bool) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(ns)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	if images != nil && c.images != *images {
		nc := c.clone()
		nc.images = *images
		return e.installCollection(ns, nc, nil, nil) // records the modify change
	}
	ch := Change{Kind: ChangeModify, NS: ns, UUID: c.uuid}
	ch.Desc, _ = bson.Marshal(bson.D{})
	return e.logDDL(ch)
}

// SetChangeStreamImages turns changeStreamPreAndPostImages on or off for ns, recording a modify change when
// that changes it. A missing collection is NamespaceNotFound (26).
func (e *Engine) SetChangeStreamImages(ctx context.Context, ns Namespace, on bool) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	c := e.lookupColl(ns)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	if c.images == on {
		return nil
	}
	nc := c.clone()
	nc.images = on
	return e.installCollection(ns, nc, nil, nil)
}

// ChangeStreamImages reports whether ns keeps pre- and post-images for change streams (false when missing).
func (e *Engine) ChangeStreamImages(ns Namespace) bool {
	c := e.lookupColl(ns)
	return c != nil && c.images
}

// logDDL writes one catalog change that changes no catalog entry (a database dropped) to the change log.
func (e *Engine) logDDL(ch Change) error {
	encs := [][]byte{encodeChange(&ch)}
	b := e.db.NewBatch()
	defer b.Close()
	e.commitMu.Lock()
	seq, err := e.feed.logChanges(b, encs, e.clock.Load())
	if err == nil {
		err = e.apply(b, false)
	}
	if err == nil {
		e.feed.publish(encs, seq)
	}
	e.commitMu.Unlock()
	if err != nil {
		return storageError(err)
	}
	return e.syncBatch(b)
}

// syncBatch waits for the WAL fsync covering an applied catalog batch.
func (e *Engine) syncBatch(b interface{ SyncWait() error }) error {
	if e.opts.NoSync {
		return nil
	}
	if err := b.SyncWait(); err != nil {
		if f := e.failure.Load(); f != nil {
			return f
		}
		return storageError(err)
	}
	return nil
}
