package engine

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// ValidateResult is what Validate found in one collection, in the terms of mongod's validate command.
type ValidateResult struct {
	// Records counts the stored documents, the invalid ones included.
	Records int64
	// InvalidRecords counts the documents that are not valid BSON or are stored under a key that is not their
	// _id's; CorruptRecords holds the _id of each that has one (at most maxReported).
	InvalidRecords int64
	CorruptRecords []bson.RawValue
	// NonCompliant counts the documents that fail the collection's validator.
	NonCompliant int64
	// Indexes has one entry per index, the _id index first.
	Indexes []IndexValidation
	// Missing are documents' index keys that have no entry; Extra are entries no document has (at most
	// maxReported each).
	Missing, Extra []IndexProblem
	// MissingCount and ExtraCount count them all.
	MissingCount, ExtraCount int64
}

// IndexValidation is one index's part of a ValidateResult.
type IndexValidation struct {
	Name string
	// Keys counts the index's entries.
	Keys int64
	// Valid is false when an entry is missing, extra or points at the wrong document.
	Valid bool
}

// IndexProblem is one inconsistency between an index and the documents.
type IndexProblem struct {
	Index string
	// ID is the _id of the document concerned: the one lacking the entry, or the one an extra entry names.
	ID bson.RawValue
}

// maxReported bounds the problems a ValidateResult lists one by one; the counts go on.
const maxReported = 100

// Valid reports whether the collection showed no inconsistency: every document decodes under its own _id and
// every index holds exactly the entries its documents produce.
func (r *ValidateResult) Valid() bool {
	if r.InvalidRecords > 0 || r.MissingCount > 0 || r.ExtraCount > 0 {
		return false
	}
	for _, ix := range r.Indexes {
		if !ix.Valid {
			return false
		}
	}
	return true
}

// Validate checks the collection's stored documents and index entries against each other, at one point in
// time: every document must be valid BSON stored under the key of its _id, every index must hold exactly the
// entries its documents produce (partial and sparse rules applied), and every entry must name the _id of the
// document that produces it. full first flushes the memtable so that the check also reads, and so checksums,
// the newest sstables. It holds the collection's index keys in memory while it runs. Errors: NamespaceNotFound
// (26) for a missing collection, storage errors (DataCorruptionDetected 12 when Pebble finds a bad checksum).
func (e *Engine) Validate(ctx context.Context, ns Namespace, full bool) (*ValidateResult, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	if full {
		if err := e.db.Flush(); err != nil {
			return nil, storageError(err)
		}
	}
	// The snapshot and the catalog are read together under commitMu, so that the index list matches the data.
	e.commitMu.Lock()
	c := e.lookupColl(ns)
	snap := e.db.NewSnapshot()
	e.commitMu.Unlock()
	defer snap.Close()
	if c == nil {
		return nil, codes.New(codes.NamespaceNotFound, "Collection '%s' does not exist to validate.", ns.String())
	}
	r := &ValidateResult{}
	// expected[i] maps the entry key of index i each document produces to the stored _id value.
	expected := make([]map[string][]byte, len(c.indexes))
	for i := range expected {
		expected[i] = map[string][]byte{}
	}
	p := docPrefix(c.id)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixSuccessor(p)})
	if err != nil {
		return nil, storageError(err)
	}
	for it.First(); it.Valid(); it.Next() {
		if r.Records%1024 == 0 {
			if err := ctx.Err(); err != nil {
				it.Close()
				return nil, err
			}
		}
		r.Records++
		doc := bson.Raw(it.Value())
		id, idErr := doc.LookupErr("_id")
		if doc.Validate() != nil || idErr != nil || !bytes.Equal(docKey(c.id, id), it.Key()) {
			r.InvalidRecords++
			if idErr == nil && len(r.CorruptRecords) < maxReported {
				r.CorruptRecords = append(r.CorruptRecords, bson.RawValue{Type: id.Type, Value: bytes.Clone(id.Value)})
			}
			continue
		}
		if c.validator != nil {
			if ok, _, err := c.validator.Validate(doc); err != nil || !ok {
				r.NonCompliant++
			}
		}
		for i, ix := range c.indexes {
			ents, _, err := ix.entries(doc)
			if err != nil {
				// A document whose keys cannot be built cannot have its entries: report them as missing.
				r.addMissing(ix.name, id)
				continue
			}
			for _, en := range ents {
				expected[i][string(indexEntryKey(c.id, ix, en.key, id))] = entryValue(id, en.vals)
			}
		}
	}
	if err := it.Close(); err != nil {
		return nil, storageError(err)
	}
	r.Indexes = append(r.Indexes, IndexValidation{Name: idIndexName, Keys: r.Records - r.InvalidRecords, Valid: r.InvalidRecords == 0})
	for i, ix := range c.indexes {
		v, err := e.validateIndex(snap, c, ix, expected[i], r)
		if err != nil {
			return nil, err
		}
		r.Indexes = append(r.Indexes, v)
	}
	return r, nil
}

// validateIndex reads every entry of ix, checking it against want (the entries the documents produce, consumed
// as they are found) and recording what is extra or missing in r.
func (e *Engine) validateIndex(snap *pebble.Snapshot, c *collection, ix *index, want map[string][]byte, r *ValidateResult) (IndexValidation, error) {
	v := IndexValidation{Name: ix.name, Valid: true}
	p := indexPrefix(c.id, ix.id)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixSuccessor(p)})
	if err != nil {
		return v, storageError(err)
	}
	for it.First(); it.Valid(); it.Next() {
		v.Keys++
		w, ok := want[string(it.Key())]
		// An entry written before entries stored their fields' values holds the _id alone.
		if !ok || !bytes.Equal(w, it.Value()) && !bytes.Equal(rawIDValue(parseRawID(w)), it.Value()) {
			v.Valid = false
			r.addExtra(ix.name, parseRawID(it.Value()))
			continue
		}
		delete(want, string(it.Key()))
	}
	if err := it.Close(); err != nil {
		return v, storageError(err)
	}
	for _, w := range want {
		v.Valid = false
		r.addMissing(ix.name, parseRawID(w))
	}
	return v, nil
}

func (r *ValidateResult) addMissing(index string, id bson.RawValue) {
	r.MissingCount++
	if len(r.Missing) < maxReported {
		r.Missing = append(r.Missing, IndexProblem{Index: index, ID: id})
	}
}

func (r *ValidateResult) addExtra(index string, id bson.RawValue) {
	r.ExtraCount++
	if len(r.Extra) < maxReported {
		r.Extra = append(r.Extra, IndexProblem{Index: index, ID: id})
	}
}

// Compact compacts the collection's documents and index entries in Pebble (a manual compaction of their key
// ranges, which drops deleted versions no snapshot needs) and returns the change of Pebble's estimate of the
// bytes they take on disk, never negative. Errors: NamespaceNotFound (26), storage errors.
func (e *Engine) Compact(ctx context.Context, ns Namespace) (bytesFreed int64, err error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	c := e.lookupColl(ns)
	if c == nil {
		return 0, codes.New(codes.NamespaceNotFound, "collection does not exist")
	}
	ranges := [][2][]byte{
		{docPrefix(c.id), prefixSuccessor(docPrefix(c.id))},
		{collIndexPrefix(c.id), prefixSuccessor(collIndexPrefix(c.id))},
	}
	usage := func() int64 {
		var n int64
		for _, rg := range ranges {
			if u, err := e.db.EstimateDiskUsage(rg[0], rg[1]); err == nil {
				n += int64(u)
			}
		}
		return n
	}
	before := usage()
	if err := e.db.Flush(); err != nil {
		return 0, storageError(err)
	}
	for _, rg := range ranges {
		if err := e.db.Compact(ctx, rg[0], rg[1], true); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, storageError(err)
		}
	}
	if freed := before - usage(); freed > 0 {
		return freed, nil
	}
	return 0, nil
}

// Checkpoint makes every commit so far durable and writes the memtable out to synced sstables, what fsync asks
// of mongod's storage engine (a checkpoint in WiredTiger).
func (e *Engine) Checkpoint() error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	if err := e.sync(); err != nil {
		return err
	}
	return wrapStorage(e.db.Flush())
}

// DamageIndexForTest breaks the named index of the collection to exercise Validate: it deletes the entry of
// the document with the given _id and adds an entry for a key no document has. It exists for tests of
// validate in front ends, which cannot reach Pebble; nothing else calls it.
func (e *Engine) DamageIndexForTest(ns Namespace, indexName string, id bson.RawValue) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	e.commitMu.Lock()
	defer e.commitMu.Unlock()
	c := e.lookupColl(ns)
	if c == nil {
		return codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns.String())
	}
	var ix *index
	for _, x := range c.indexes {
		if x.name == indexName {
			ix = x
		}
	}
	if ix == nil {
		return fmt.Errorf("no index %q", indexName)
	}
	doc, err := pebbleGet(e.db, docKey(c.id, id))
	if err != nil || doc == nil {
		return fmt.Errorf("no document %v: %v", id, err)
	}
	keys, err := ix.keys(doc)
	if err != nil || len(keys) == 0 {
		return fmt.Errorf("document %v has no entry in %s: %v", id, indexName, err)
	}
	b := e.db.NewBatch()
	defer b.Close()
	if err := b.Delete(indexEntryKey(c.id, ix, keys[0], id), nil); err != nil {
		return err
	}
	stray := appendKeyValue(nil, bson.RawValue{Type: bson.TypeString, Value: bsoncoreString("no such document")})
	if err := b.Set(indexEntryKey(c.id, ix, stray, id), rawIDValue(id), nil); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

// bsoncoreString is s as a BSON string value (length, bytes, NUL).
func bsoncoreString(s string) []byte {
	out := []byte{byte(len(s) + 1), byte((len(s) + 1) >> 8), byte((len(s) + 1) >> 16), byte((len(s) + 1) >> 24)}
	out = append(out, s...)
	return append(out, 0)
}
