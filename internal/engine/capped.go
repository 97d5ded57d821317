package engine

import (
	"encoding/binary"
	"sort"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/concorddb/concord/internal/codes"
)

// Capped collections. A capped collection's natural order is insertion order, and the insert that takes it past
// its size (the sum of its documents' BSON sizes) or its maximum document count removes the oldest documents in
// the same commit. Insertion order is kept in order entries, stored under the collection's index prefix with
// index id 0 (no index has it), so that a drop removes them with the index entries:
//
//	prefixIndex collID(4) 0(4) seq(8)  ->  document key
//
// A document deleted by a user leaves its entry behind; an entry whose document is gone, or whose document was
// inserted again later (under a newer entry), is stale and skipped, and removed when eviction reaches it.
//
// Writes to a capped collection are serialised by its cappedState's mutex, held for the whole statement (mongod
// serialises them too), and are refused inside multi-document transactions, as mongod refuses them: so no other
// writer owns a document the eviction removes.

// cappedOrderIndex is the index id of the order entries.
const cappedOrderIndex = 0

// cappedOrderKey returns the order entry key of insertion seq in collection collID.
func cappedOrderKey(collID uint32, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(indexPrefix(collID, cappedOrderIndex), seq)
}

// cappedEntry is one order entry.
type cappedEntry struct {
	seq uint64
	key string // document key
}

// cappedState is a capped collection's insertion order and totals, as committed. mu is held by the statement
// writing the collection; the fields are valid only while loaded.
type cappedState struct {
	mu     sync.Mutex
	loaded bool
	fifo   []cappedEntry     // entries, oldest first, stale ones included
	latest map[string]uint64 // document key -> seq of its live entry
	count  int64             // live documents
	bytes  int64             // their total BSON size
	next   uint64            // seq of the next insert
	// unwritten are entries load gave to documents that had none; the next insert's commit writes them.
	unwritten []cappedEntry
}

// rawWrite is a key a commit sets (del false) or deletes besides its documents and index entries.
type rawWrite struct {
	key, value []byte
	del        bool
}

// cappedFor returns the state of the capped collection c.
func (e *Engine) cappedFor(c *collection) *cappedState {
	e.cappedMu.Lock()
	defer e.cappedMu.Unlock()
	if e.capped == nil {
		e.capped = map[uint32]*cappedState{}
	}
	cs := e.capped[c.id]
	if cs == nil {
		cs = &cappedState{}
		e.capped[c.id] = cs
	}
	return cs
}

// cappedWriteError is mongod's refusal of a write to a capped collection inside a transaction.
func cappedWriteError(ns Namespace) error {
	return codes.New(codes.OperationNotSupportedInTransaction,
		"Collection '%s' is a capped collection. Writes in transactions are not supported on capped collections.", ns.String())
}

// lockCapped prepares a write statement on ns: when ns is a capped collection it refuses a transaction's write
// and otherwise locks the collection's state for the statement. The returned function ends the statement:
// dirty (the statement failed, or it changed documents without keeping the state) makes the next writer reload
// the state from storage. It returns nil, nil for any other namespace.
func (e *Engine) lockCapped(t *Txn, ns Namespace) (func(dirty bool), *cappedState, error) {
	c := e.lookupColl(ns)
	if c == nil || !c.opts.Capped {
		return nil, nil, nil
	}
	if t != nil && t.explicit {
		return nil, nil, cappedWriteError(ns)
	}
	cs := e.cappedFor(c)
	cs.mu.Lock() // before the gate: cappedState.mu -> Engine.gate (docs/locking.md)
	if !cs.loaded {
		if err := e.enter(); err != nil {
			cs.mu.Unlock()
			return nil, nil, err
		}
		err := cs.load(e, c)
		e.exit()
		if err != nil {
			cs.mu.Unlock()
			return nil, nil, err
		}
	}
	return func(dirty bool) {
		if dirty {
			cs.loaded = false
		}
		cs.mu.Unlock()
	}, cs, nil
}

// load reads the order entries and the collection's documents from the latest committed state. A document
// without a live entry (one an upsert inserted) is given one after every other, written with the next insert.
func (cs *cappedState) load(e *Engine, c *collection) error {
	lo := indexPrefix(c.id, cappedOrderIndex)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixSuccessor(lo)})
	if err != nil {
		return storageError(err)
	}
	cs.fifo, cs.latest, cs.count, cs.bytes, cs.next, cs.unwritten = nil, map[string]uint64{}, 0, 0, 1, nil
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != len(lo)+8 {
			continue
		}
		en := cappedEntry{seq: binary.BigEndian.Uint64(k[len(lo):]), key: string(it.Value())}
		cs.fifo = append(cs.fifo, en)
		cs.latest[en.key] = en.seq
		cs.next = en.seq + 1
	}
	if err := it.Close(); err != nil {
		return storageError(err)
	}
	present := make(map[string]bool, len(cs.latest))
	dp := docPrefix(c.id)
	dit, err := e.db.NewIter(&pebble.IterOptions{LowerBound: dp, UpperBound: prefixSuccessor(dp)})
	if err != nil {
		return storageError(err)
	}
	for dit.First(); dit.Valid(); dit.Next() {
		key := string(dit.Key())
		present[key] = true
		cs.count++
		cs.bytes += int64(len(dit.Value()))
		if _, ok := cs.latest[key]; !ok {
			en := cappedEntry{seq: cs.next, key: key}
			cs.next++
			cs.fifo = append(cs.fifo, en)
			cs.latest[key] = en.seq
			cs.unwritten = append(cs.unwritten, en)
		}
	}
	if err := dit.Close(); err != nil {
		return storageError(err)
	}
	for key := range cs.latest {
		if !present[key] {
			delete(cs.latest, key)
		}
	}
	cs.loaded = true
	return nil
}

// cappedInserted records, in the statement's unit, the insert of the document at key (size bytes) into the
// capped collection c, and removes the oldest documents while the collection is past its size or count. The
// new document itself is never removed: one document larger than the size was refused before it got here.
func (o *op) cappedInserted(cs *cappedState, c *collection, key []byte, size int) error {
	t := o.t()
	for _, en := range cs.unwritten {
		t.extra = append(t.extra, rawWrite{key: cappedOrderKey(c.id, en.seq), value: []byte(en.key)})
	}
	cs.unwritten = nil
	seq := cs.next
	cs.next++
	t.extra = append(t.extra, rawWrite{key: cappedOrderKey(c.id, seq), value: append([]byte(nil), key...)})
	cs.fifo = append(cs.fifo, cappedEntry{seq: seq, key: string(key)})
	cs.latest[string(key)] = seq
	cs.count++
	cs.bytes += int64(size)
	for (cs.bytes > c.opts.Size || c.opts.Max > 0 && cs.count > c.opts.Max) && cs.count > 1 && len(cs.fifo) > 1 {
		en := cs.fifo[0]
		cs.fifo = cs.fifo[1:]
		t.extra = append(t.extra, rawWrite{key: cappedOrderKey(c.id, en.seq), del: true})
		if cs.latest[en.key] != en.seq {
			continue // stale
		}
		delete(cs.latest, en.key)
		if err := t.claim(en.key); err != nil {
			return err
		}
		cur, err := t.getDoc([]byte(en.key))
		if err != nil {
			return err
		}
		if cur == nil {
			continue // deleted by a user meanwhile
		}
		if err := o.removeDoc(c, []byte(en.key), cur); err != nil {
			return err
		}
		cs.count--
		cs.bytes -= int64(len(cur))
	}
	return nil
}

// cappedTooLarge is mongod's refusal of a document larger than its capped collection.
func cappedTooLarge() error {
	return codes.New(codes.BadValue, "object to insert exceeds cappedMaxSize")
}

// insertionOrder sorts cands, documents of the capped collection c, into insertion order as t reads it: its
// natural order. Documents without an order entry (none should lack one) go last, in key order.
func (e *Engine) insertionOrder(t *Txn, c *collection, cands []candidate) error {
	lo := indexPrefix(c.id, cappedOrderIndex)
	it, err := t.reader.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixSuccessor(lo)})
	if err != nil {
		return storageError(err)
	}
	seqOf := make(map[string]uint64, len(cands))
	for it.First(); it.Valid(); it.Next() {
		if k := it.Key(); len(k) == len(lo)+8 {
			seqOf[string(it.Value())] = binary.BigEndian.Uint64(k[len(lo):])
		}
	}
	if err := it.Close(); err != nil {
		return storageError(err)
	}
	rank := func(cd candidate) uint64 {
		if s, ok := seqOf[string(cd.key)]; ok {
			return s
		}
		return ^uint64(0)
	}
	sort.SliceStable(cands, func(i, j int) bool { return rank(cands[i]) < rank(cands[j]) })
	return nil
}
