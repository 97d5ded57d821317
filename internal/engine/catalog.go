package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"sort"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
)

// Namespace names a collection: database and collection name.
type Namespace struct{ DB, Coll string }

// String returns "db.coll", MongoDB's namespace string.
func (ns Namespace) String() string { return ns.DB + "." + ns.Coll }

// DatabaseInfo is one entry of ListDatabases.
type DatabaseInfo struct {
	Name       string
	SizeOnDisk int64
	Empty      bool
}

// CollectionInfo is one entry of ListCollections.
type CollectionInfo struct {
	Name string
	Type string // "collection" or "view"
	// Options are the creation options (validator, view definition).
	Options CollOptions
	// UUID is the collection's UUID (zero for a view): new for every creation, kept by a rename and a restart.
	UUID [16]byte
}

// collection is one immutable version of a collection's catalog entry. A DDL
// change installs a new *collection; a transaction that wrote through an old
// version fails at commit (its index maintenance would be stale).
type collection struct {
	ns          Namespace
	id          uint32
	indexes     []*index // secondary indexes; the _id index is the document key itself
	nextIndexID uint32
	opts        CollOptions
	validator   *filter.Validator    // opts.Validator compiled; nil for none
	rules       fieldRules           // opts.Computed and opts.Defaults compiled
	coll        *collation.Collation // opts.Collation parsed: the default collation; nil for simple
	// images is changeStreamPreAndPostImages: change streams get the documents' versions before and after
	// every write.
	images bool
	// uuid is the collection's UUID (mongod's collectionUUID), kept by a rename.
	uuid [16]byte
}

// newUUID returns a random (version 4) UUID.
func newUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// catalogRecord is the persisted form of a collection.
type catalogRecord struct {
	DB          string        `bson:"db"`
	Coll        string        `bson:"coll"`
	ID          int64         `bson:"id"`
	NextIndexID int64         `bson:"nextIndexID"`
	Indexes     []indexRecord `bson:"indexes"`
	Options     *CollOptions  `bson:"options,omitempty"`
	Images      bool          `bson:"changeStreamPreAndPostImages,omitempty"`
	UUID        []byte        `bson:"uuid,omitempty"`
}

// indexRecord is the persisted form of an index definition.
type indexRecord struct {
	Name    string   `bson:"name"`
	Key     bson.D   `bson:"key"`
	Unique  bool     `bson:"unique"`
	ID      int64    `bson:"id"`
	Sparse  bool     `bson:"sparse,omitempty"`
	Partial bson.Raw `bson:"partial,omitempty"`
	// TTL is expireAfterSeconds plus one, so that the zero value of a
	// record written before TTL indexes existed means none.
	TTL      int64 `bson:"ttl,omitempty"`
	Hidden   bool  `bson:"hidden,omitempty"`
	Multikey bool  `bson:"multikey,omitempty"`
	// Collation is the index's normalized collation document (none: binary keys).
	Collation bson.Raw `bson:"collation,omitempty"`
	// Wildcard is a wildcard index's wildcardProjection.
	Wildcard bson.Raw `bson:"wildcard,omitempty"`
}

// record returns the persisted form of c.
func (c *collection) record() catalogRecord {
	r := catalogRecord{DB: c.ns.DB, Coll: c.ns.Coll, ID: int64(c.id), NextIndexID: int64(c.nextIndexID), Indexes: []indexRecord{}, Images: c.images, UUID: c.uuid[:]}
	for _, ix := range c.indexes {
		r.Indexes = append(r.Indexes, indexRecord{Name: ix.name, Key: ix.key, Unique: ix.unique, ID: int64(ix.id),
			Sparse: ix.sparse, Partial: ix.partialRaw, TTL: ix.ttl + 1, Hidden: ix.hidden, Multikey: ix.isMultikey(),
			Collation: ix.collDoc, Wildcard: ix.spec().WildcardProjection})
	}
	if o := c.opts; !o.isZero() {
		r.Options = &o
	}
	return r
}

// clone returns a copy of c that a DDL change may modify.
func (c *collection) clone() *collection {
	n := *c
	n.indexes = append([]*index(nil), c.indexes...)
	return &n
}

// loadCatalog reads every catalog record at Open.
func (e *Engine) loadCatalog() error {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixCatalog}, UpperBound: []byte{prefixCatalog + 1}})
	if err != nil {
		return storageError(err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var r catalogRecord
		if err := bson.Unmarshal(it.Value(), &r); err != nil {
			return codes.New(codes.InternalError, "corrupt catalog record: %v", err)
		}
		c := &collection{ns: Namespace{r.DB, r.Coll}, id: uint32(r.ID), nextIndexID: uint32(r.NextIndexID), images: r.Images}
		if copy(c.uuid[:], r.UUID) != len(c.uuid) {
			c.uuid = newUUID() // a collection created before collections had one
		}
		if r.Options != nil {
			c.opts = *r.Options
			v, err := c.opts.compile()
			if err != nil {
				return codes.New(codes.InternalError, "catalog entry of %s: validator: %v", c.ns.String(), err)
			}
			c.validator = v
			if c.rules, err = c.opts.compileComputed(); err != nil {
				return codes.New(codes.InternalError, "catalog entry of %s: computed fields: %v", c.ns.String(), err)
			}
			if len(c.opts.References) > 0 {
				e.hasReferences.Store(true)
			}
			if c.coll, err = c.opts.defaultCollation(); err != nil {
				return codes.New(codes.InternalError, "catalog entry of %s: collation: %v", c.ns.String(), err)
			}
		}
		for _, ir := range r.Indexes {
			ix, err := newIndexFromSpec(IndexSpec{Name: ir.Name, Key: ir.Key, Unique: ir.Unique, Sparse: ir.Sparse,
				Partial: ir.Partial, TTL: ir.TTL > 0, ExpireAfterSeconds: ir.TTL - 1, Hidden: ir.Hidden,
				Collation: ir.Collation, WildcardProjection: ir.Wildcard}, uint32(ir.ID))
			if err != nil {
				return err
			}
			if ir.Multikey || multikeyMarked(e.db, uint32(r.ID), uint32(ir.ID)) {
				ix.multikey.Store(true)
			}
			c.indexes = append(c.indexes, ix)
		}
		e.colls[c.ns] = c
		if c.id >= e.nextCollID {
			e.nextCollID = c.id + 1
		}
	}
	return wrapStorage(it.Error())
}

// validateNamespace rejects names MongoDB rejects.
func validateNamespace(ns Namespace) *codes.Error {
	bad := ns.DB == "" || ns.Coll == "" || strings.ContainsAny(ns.DB, "/\\. \"$\x00") ||
		strings.ContainsRune(ns.Coll, 0) || strings.HasPrefix(ns.Coll, "$") || len(ns.DB) > 63
	if bad {
		return codes.New(codes.InvalidNamespace, "Invalid namespace specified '%s'", ns.String())
	}
	return nil
}

// CatalogGeneration is a number that changes whenever the catalog may have: a collection created (also
// implicitly, by a first write), dropped, renamed, or given new options or indexes, a collection created by a
// transaction becoming visible with its commit (or gone with its abort), and a committed write to a system.*
// collection, where layers above the engine keep their own catalog data (SQL's table definitions). It changes
// after the change is visible to every reader, before the change is acknowledged: a reader that sees the same
// generation before and after reading catalog data read a catalog still current at the second look.
func (e *Engine) CatalogGeneration() uint64 { return e.catGen.Load() }

// IgnoreForCatalog makes committed writes to the system.* collections named coll (in every database) leave the
// catalog generation alone: a layer above keeps counters there, not data it caches (SQL's sequences, stepped by
// every INSERT into a serial column). Creating or dropping such a collection still changes the generation.
func (e *Engine) IgnoreForCatalog(coll string) {
	for {
		old := e.notCatalog.Load()
		m := map[string]bool{coll: true}
		if old != nil {
			if (*old)[coll] {
				return
			}
			for k := range *old {
				m[k] = true
			}
		}
		if e.notCatalog.CompareAndSwap(old, &m) {
			return
		}
	}
}

// catalogData reports whether committed writes to coll change the catalog generation.
func (e *Engine) catalogData(coll string) bool {
	if !strings.HasPrefix(coll, "system.") {
		return false
	}
	m := e.notCatalog.Load()
	return m == nil || !(*m)[coll]
}

// lookupColl returns the current version of a collection, or nil.
func (e *Engine) lookupColl(ns Namespace) *collection {
	e.catMu.RLock()
	c := e.colls[ns]
	e.catMu.RUnlock()
	return c
}

// collOrCreate returns the collection, creating it (durably, as its own
// catalog commit) when missing: MongoDB creates collections implicitly on the
// first write, also inside a transaction. created reports that this call
// created it.
func (e *Engine) collOrCreate(t *Txn, ns Namespace) (c *collection, created bool, err error) {
	if c := e.lookupColl(ns); c != nil {
		return c, false, nil
	}
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	return e.collOrCreateLocked(t, ns)
}

// collOrCreateLocked is collOrCreate for a caller holding ddlMu. A collection a transaction t creates is
// stored with its pending marker.
func (e *Engine) collOrCreateLocked(t *Txn, ns Namespace) (c *collection, created bool, err error) {
	if c := e.lookupColl(ns); c != nil {
		return c, false, nil
	}
	if err := validateNamespace(ns); err != nil {
		return nil, false, err
	}
	c = &collection{ns: ns, id: e.nextCollID, nextIndexID: 1, uuid: newUUID()}
	if err := e.installCreated(t, ns, c); err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// createdColl is a collection a transaction created, explicitly or by its
// first write, identified by its id: a later drop and re-creation by someone
// else is another collection.
type createdColl struct {
	ns Namespace
	id uint32
	// last is the catalog version the transaction itself installed last:
	// another version means someone else changed the collection.
	last *collection
}

// noteCreated records in t (when it is a transaction) that it created c, so
// that aborting t drops c again.
func (t *Txn) noteCreated(c *collection) {
	if t != nil && t.explicit {
		t.created = append(t.created, createdColl{ns: c.ns, id: c.id, last: c})
		e := t.e
		e.catMu.Lock()
		if e.pending == nil {
			e.pending = map[Namespace]*Txn{}
		}
		e.pending[c.ns] = t
		e.catMu.Unlock()
		e.catGen.Add(1)
	}
}

// publishCreated ends the pending state of the collections t created, once t has committed or aborted.
func (t *Txn) publishCreated() { t.e.unpublish(t, t.created) }

// unpublish ends the pending state of the collections in created that t created (committed, aborted, or rolled
// back to a savepoint from before their creation).
func (e *Engine) unpublish(t *Txn, created []createdColl) {
	if len(created) == 0 {
		return
	}
	e.catMu.Lock()
	for _, cc := range created {
		if e.pending[cc.ns] == t {
			delete(e.pending, cc.ns)
		}
	}
	e.catMu.Unlock()
	e.catGen.Add(1)
}

// CreatedInOpenTxn reports whether ns was created by a transaction that has not committed yet: MongoDB lists
// such a collection, and its indexes, to no one until the commit.
func (e *Engine) CreatedInOpenTxn(ns Namespace) bool {
	e.catMu.RLock()
	defer e.catMu.RUnlock()
	return e.pending[ns] != nil
}

// noteChanged records that t installed nc as the new version of a
// collection it created.
func (t *Txn) noteChanged(nc *collection) {
	for i := range t.created {
		if t.created[i].ns == nc.ns && t.created[i].id == nc.id {
			t.created[i].last = nc
		}
	}
}

// createdColl reports whether t created c (the same collection, not one
// re-created under its name since).
func (t *Txn) createdColl(c *collection) bool {
	for _, cc := range t.created {
		if cc.ns == c.ns && cc.id == c.id {
			return true
		}
	}
	return false
}

// errNotEmpty stops dropCreated: someone else has written to the collection.
var errNotEmpty = errors.New("collection not empty")

// dropCreated undoes the creation of the collections an aborted transaction
// created, as MongoDB rolls back a collection created inside a transaction.
// Creation is its own catalog commit here, visible before the transaction
// ends, so another client may have used the collection meanwhile: one whose
// catalog entry someone else changed, or holding any committed document, is
// kept. The check and the drop
// happen together under commitMu, so no commit slips between them; a write
// that finds its collection gone redoes itself on a new one.
func (e *Engine) dropCreated(created []createdColl) {
	if len(created) == 0 {
		return
	}
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	defer e.clearPending(created)
	for _, cc := range created {
		c := e.lookupColl(cc.ns)
		if c == nil || c != cc.last {
			continue // gone, or changed by someone else (an index they created): theirs now
		}
		b := e.db.NewBatch()
		if err := b.DeleteRange(collIndexPrefix(c.id), prefixSuccessor(collIndexPrefix(c.id)), nil); err != nil {
			b.Close()
			continue
		}
		_ = e.installCollection(cc.ns, nil, b, func(*pebble.Batch) error {
			it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: docPrefix(c.id), UpperBound: prefixSuccessor(docPrefix(c.id))})
			if err != nil {
				return err
			}
			defer it.Close()
			if it.First() {
				return errNotEmpty
			}
			return wrapStorage(it.Error())
		})
	}
}

// installCollection durably replaces ns's catalog entry with c (nil = drop),
// together with the extra mutations in b (range deletions) and those added by
// build, which runs under commitMu so that no commit interleaves with it
// (index builds read the latest committed documents). The caller holds
// ddlMu. The catalog swap happens under commitMu, so every commit sees either
// the old version (and fails its version check) or the new.
func (e *Engine) installCollection(ns Namespace, c *collection, b *pebble.Batch, build func(b *pebble.Batch) error) error {
	if b == nil {
		b = e.db.NewBatch()
	}
	defer b.Close()
	if c != nil {
		data, err := bson.Marshal(c.record())
		if err != nil {
			return codes.New(codes.InternalError, "catalog encode: %v", err)
		}
		if err := b.Set(catalogKey(ns), data, nil); err != nil {
			return storageError(err)
		}
	} else if err := b.Delete(catalogKey(ns), nil); err != nil {
		return storageError(err)
	}
	e.commitMu.Lock()
	if build != nil {
		if err := build(b); err != nil {
			e.commitMu.Unlock()
			return err
		}
	}
	encs := ddlChanges(ns, e.lookupColl(ns), c)
	seq, err := e.feed.logChanges(b, encs, e.clock.Load())
	if err != nil {
		e.commitMu.Unlock()
		return err
	}
	// The fsync is waited for after commitMu is released, as for commits. A drop frees space: it is not
	// refused on a nearly full disk.
	err = e.apply(b, c != nil)
	if err == nil {
		e.feed.publish(encs, seq)
		e.catMu.Lock()
		old := e.colls[ns]
		if c != nil {
			e.colls[ns] = c
			if c.id >= e.nextCollID {
				e.nextCollID = c.id + 1
			}
		} else {
			delete(e.colls, ns)
		}
		e.catMu.Unlock()
		e.catGen.Add(1)
		if old != nil && (c == nil || c.id != old.id) {
			// Its documents are gone (range deletion): so must their
			// cached versions be, before any commit can follow.
			e.docs.purge(docPrefix(old.id))
		}
	}
	e.commitMu.Unlock()
	if err != nil {
		return storageError(err)
	}
	if !e.opts.NoSync {
		if err := b.SyncWait(); err != nil {
			if f := e.failure.Load(); f != nil {
				return f
			}
			return storageError(err)
		}
	}
	return nil
}

// CreateCollection creates an empty collection. An existing one is
// NamespaceExists (48). With a transaction t, aborting t drops the collection
// again (dropCreated).
func (e *Engine) CreateCollection(ctx context.Context, t *Txn, ns Namespace) error {
	return e.CreateCollectionWithOptions(ctx, t, ns, CollOptions{})
}

// ddlStatement runs a catalog change f as a statement of t when t is a
// transaction: the first statement starts it (and counts it as started), and
// an error aborts it, as for any statement. f must release ddlMu before it
// returns: an abort takes ddlMu to drop what t created.
func (t *Txn) ddlStatement(ctx context.Context, f func() error) error {
	if t == nil || !t.explicit {
		return f()
	}
	sctx, err := t.beginStmt(ctx)
	if err != nil {
		return err
	}
	return t.endStmt(sctx, f())
}

// DropCollection drops a collection with its documents and indexes. A missing
// one is NamespaceNotFound (26); one that other collections' references name is
// OperationFailed (96), unless ctx is WithoutReferences. Transactions that
// wrote to it fail at commit.
func (e *Engine) DropCollection(ctx context.Context, ns Namespace) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	if err := e.dependents(ctx, ns, "drop", false); err != nil {
		return err
	}
	return e.dropLocked(ns)
}

// dropLocked drops ns; the caller holds ddlMu.
func (e *Engine) dropLocked(ns Namespace) error {
	c := e.lookupColl(ns)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "ns not found")
	}
	b := e.db.NewBatch()
	if err := b.DeleteRange(docPrefix(c.id), prefixSuccessor(docPrefix(c.id)), nil); err != nil {
		b.Close()
		return storageError(err)
	}
	if err := b.DeleteRange(collIndexPrefix(c.id), prefixSuccessor(collIndexPrefix(c.id)), nil); err != nil {
		b.Close()
		return storageError(err)
	}
	return e.installCollection(ns, nil, b, nil)
}

// DropDatabase drops every collection of db; a missing database is not an
// error (MongoDB replies ok).
func (e *Engine) DropDatabase(ctx context.Context, db string) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	nss := e.namespaces(db)
	for _, ns := range nss {
		if err := e.dropLocked(ns); err != nil {
			return err
		}
	}
	if len(nss) == 0 {
		return nil
	}
	return e.logDDL(Change{Kind: ChangeDropDatabase, NS: Namespace{DB: db}})
}

// namespaces lists the collections of db ("" = all), sorted.
func (e *Engine) namespaces(db string) []Namespace {
	e.catMu.RLock()
	var out []Namespace
	for ns := range e.colls {
		if (db == "" || ns.DB == db) && e.pending[ns] == nil {
			out = append(out, ns)
		}
	}
	e.catMu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].DB != out[j].DB {
			return out[i].DB < out[j].DB
		}
		return out[i].Coll < out[j].Coll
	})
	return out
}

// ListDatabases lists databases holding at least one collection, sorted by
// name. SizeOnDisk is the stored size of their documents and index entries.
func (e *Engine) ListDatabases() []DatabaseInfo {
	var out []DatabaseInfo
	for _, ns := range e.namespaces("") {
		_, size, _, _ := e.CollStats(ns)
		if n := len(out); n > 0 && out[n-1].Name == ns.DB {
			out[n-1].SizeOnDisk += size
			continue
		}
		out = append(out, DatabaseInfo{Name: ns.DB, SizeOnDisk: size})
	}
	for i := range out {
		if out[i].SizeOnDisk == 0 {
			// MongoDB reports allocated space; an existing database is never 0.
			out[i].SizeOnDisk = 4096
		}
	}
	return out
}

// ListCollections lists db's collections sorted by name.
func (e *Engine) ListCollections(db string) []CollectionInfo {
	var out []CollectionInfo
	for _, ns := range e.namespaces(db) {
		info := CollectionInfo{Name: ns.Coll, Type: "collection"}
		if c := e.lookupColl(ns); c != nil {
			info.Options = c.opts
			if c.opts.IsView() {
				info.Type = "view"
			} else {
				info.UUID = c.uuid
			}
		}
		out = append(out, info)
	}
	return out
}

// CollStats returns the number of documents, their total BSON size and the
// number of indexes (including _id) of the latest committed state. A missing
// collection is NamespaceNotFound (26).
func (e *Engine) CollStats(ns Namespace) (count, size int64, nindexes int, err error) {
	c := e.lookupColl(ns)
	if c == nil {
		return 0, 0, 0, codes.New(codes.NamespaceNotFound, "Collection [%s] not found.", ns.String())
	}
	if err := e.enter(); err != nil {
		return 0, 0, 0, err
	}
	defer e.exit()
	p := docPrefix(c.id)
	it, ierr := e.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixSuccessor(p)})
	if ierr != nil {
		return 0, 0, 0, storageError(ierr)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		count++
		size += int64(len(it.Value()))
	}
	return count, size, 1 + len(c.indexes), nil
}
