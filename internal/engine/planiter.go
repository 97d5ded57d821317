package engine

import (
	"bytes"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// storedIter reads the documents of one plan from storage, in the plan's
// order. Like Pebble's levelIter under its mergingIter, it knows nothing of
// a transaction's own writes: overlayIter lays them over it. There is one
// implementation per plan kind: pointIter, rangeIter, indexIter. Not safe
// for concurrent use.
type storedIter interface {
	// next moves to the plan's next document key; false at the end or on
	// an error (see err).
	next() bool
	// key returns the current document key; it is never reused, so it
	// stays valid after next.
	key() []byte
	// load returns the stored document at key, nil when there is none; the
	// caller owns it.
	load() (bson.Raw, error)
	// err returns the error that ended the iteration, if any.
	err() error
	// keysExamined returns the index keys read so far (the profiler's
	// keysExamined).
	keysExamined() int64
	// close releases the iterator's storage resources; it may be called
	// more than once.
	close()
}

var (
	_ storedIter = (*pointIter)(nil)
	_ storedIter = (*rangeIter)(nil)
	_ storedIter = (*indexIter)(nil)
)

// pointIter reads fixed document keys (planIDHack, planIDPoints), in the
// order given. Every key is visited, whether or not a document is stored
// there: the overlay may have one.
type pointIter struct {
	r    pebble.Reader
	keys [][]byte
	i    int // keys[i-1] is the current key
}

func (p *pointIter) next() bool {
	if p.i == len(p.keys) {
		return false
	}
	p.i++
	return true
}

func (p *pointIter) key() []byte             { return p.keys[p.i-1] }
func (p *pointIter) load() (bson.Raw, error) { return pebbleGet(p.r, p.keys[p.i-1]) }
func (p *pointIter) err() error              { return nil }
func (p *pointIter) keysExamined() int64     { return 0 } // counted by the overlay: see ownNone
func (p *pointIter) close()                  {}

// Forward scans step from key to key with Pebble's NextPrefix rather than Next (with Pebble's default
// comparer every key is its own prefix, so the two land on the same key). Next walks every older version of
// the key it leaves, and a document updated 100,000 times since the memtable last flushed has that many there:
// a scan of 100 documents over it took 10.6 ms instead of 0.06 (BenchmarkScan_ManyVersions). NextPrefix takes
// one step, and past a key with more versions a few more, then seeks. A step over keys of one version costs
// about 15 to 30 ns more than Next's (under 3% of a collection scan's time per document). Reverse scans have no
// such call and still walk the versions.

// rangeIter reads the documents stored in a range of document keys
// (planCollScan, planIDRange), in key order (reverse: from the last). With countKeys every key
// visited counts as examined (the _id index's keys). With lend its key and
// documents are Pebble's own bytes, valid until the next call of next:
// the caller copies what it keeps (see planIter.lend).
type rangeIter struct {
	it        *pebble.Iterator
	countKeys bool
	reverse   bool
	lend      bool
	started   bool
	keys      int64
	k         []byte
}

// open starts r on reader over [lo, hi), backwards when reverse is set.
func (r *rangeIter) open(reader pebble.Reader, lo, hi []byte, countKeys, reverse bool) error {
	it, err := reader.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return storageError(err)
	}
	*r = rangeIter{it: it, countKeys: countKeys, reverse: reverse}
	return nil
}

func (r *rangeIter) next() bool {
	var ok bool
	switch {
	case !r.started:
		r.started = true
		if r.reverse {
			ok = r.it.Last()
		} else {
			ok = r.it.First()
		}
	case r.reverse:
		ok = r.it.Prev()
	default:
		ok = r.it.NextPrefix() // see the note above rangeIter
	}
	if !ok {
		return false
	}
	if r.lend {
		r.k = r.it.Key()
	} else {
		r.k = append([]byte(nil), r.it.Key()...)
	}
	if r.countKeys {
		r.keys++
	}
	return true
}

func (r *rangeIter) key() []byte { return r.k }

func (r *rangeIter) load() (bson.Raw, error) {
	if r.lend {
		return r.it.Value(), nil
	}
	return append(bson.Raw(nil), r.it.Value()...), nil
}

func (r *rangeIter) err() error {
	if r.it == nil {
		return nil
	}
	if err := r.it.Error(); err != nil {
		return storageError(err)
	}
	return nil
}

func (r *rangeIter) keysExamined() int64 { return r.keys }

func (r *rangeIter) close() {
	if r.it != nil {
		r.it.Close()
		r.it = nil
	}
}

// indexIter reads the documents a secondary index's ranges point to
// (planIndex), in index order. Every entry counts as an examined key; a
// document with several entries in the ranges (a multikey index) is
// visited once, at its first.
type indexIter struct {
	r       pebble.Reader
	snap    *pebble.Snapshot // taken when r is the live DB; closed by close
	c       *collection
	ranges  []keyRange
	reverse bool // ranges are read last to first, each backwards

	ri      int              // ranges[ri-1] is being read
	it      *pebble.Iterator // nil between ranges
	docs    *pebble.Iterator // over the collection's documents, opened by the first load
	seen    map[string]bool  // document keys already visited
	keys    int64
	k       []byte
	failure error

	// covered builds documents from the entries' values (plan.covered):
	// fields are the index's, vals the current entry's value section, and
	// fetched counts the documents read instead (see cover.go).
	covered bool
	fields  []indexField
	vals    []byte
	valBuf  []bson.RawValue
	fetched int64

	// merge holds one iterator per range of a merge sort (plan.merge);
	// last is the one whose entry was returned last.
	merge     []mergeSrc
	mergeFrom []int
	last      int
}

// mergeSrc is one range of a merge sort: its iterator, positioned on an
// entry while ok.
type mergeSrc struct {
	it *pebble.Iterator
	ok bool
}

// open starts x on p's ranges of c, read through r. It keeps x's empty
// seen map, if any (see planIter.close).
func (x *indexIter) open(r pebble.Reader, c *collection, p *plan) {
	seen := x.seen
	if seen == nil {
		seen = map[string]bool{}
	}
	*x = indexIter{r: r, c: c, ranges: p.ranges, reverse: p.reverse, seen: seen, covered: p.covered, fields: p.ix.fields,
		last: -1}
	if p.merge {
		x.mergeFrom = p.mergeFrom
	}
	if db, ok := r.(*pebble.DB); ok {
		// Index entries and documents must come from one point in time.
		x.snap = db.NewSnapshot()
		x.r = x.snap
	}
}

func (x *indexIter) next() bool {
	if x.mergeFrom != nil {
		return x.nextMerged()
	}
	for x.failure == nil {
		var ok bool
		if x.it == nil {
			if x.ri == len(x.ranges) {
				return false
			}
			rg := x.ranges[x.ri]
			if x.reverse {
				rg = x.ranges[len(x.ranges)-1-x.ri]
			}
			x.ri++
			it, err := x.r.NewIter(&pebble.IterOptions{LowerBound: rg.lo, UpperBound: rg.hi})
			if err != nil {
				x.failure = storageError(err)
				return false
			}
			x.it = it
			if x.reverse {
				ok = it.Last()
			} else {
				ok = it.First()
			}
		} else if x.reverse {
			ok = x.it.Prev()
		} else {
			ok = x.it.NextPrefix() // see the note above rangeIter
		}
		if !ok {
			err := x.it.Error()
			x.it.Close()
			x.it = nil
			if err != nil {
				x.failure = storageError(err)
			}
			continue
		}
		if x.visit(x.it.Value()) {
			return true
		}
	}
	return false
}

// entryKey is the current index entry's key, valid until x moves on; nil
// for a merge, whose entries come from several iterators.
func (x *indexIter) entryKey() []byte {
	if x.mergeFrom != nil || x.it == nil {
		return nil
	}
	return x.it.Key()
}

// visit makes the entry with value v current unless its document was
// visited already (a multikey document's other entry).
func (x *indexIter) visit(v []byte) bool {
	x.keys++
	id, vals := splitEntryValue(v)
	k := docKey(x.c.id, id)
	if x.seen[string(k)] {
		return false
	}
	x.seen[string(k)] = true
	x.k = k
	if x.covered {
		x.vals = append(x.vals[:0], vals...)
	}
	return true
}

// nextMerged is next for a merge sort: every range's iterator is open,
// and the next entry is the one whose key, past its range's fixed prefix,
// comes first (last when reverse).
func (x *indexIter) nextMerged() bool {
	if x.merge == nil {
		x.merge = make([]mergeSrc, len(x.ranges))
		for i, rg := range x.ranges {
			it, err := x.r.NewIter(&pebble.IterOptions{LowerBound: rg.lo, UpperBound: rg.hi})
			if err != nil {
				x.failure = storageError(err)
				return false
			}
			x.merge[i].it = it
			if x.reverse {
				x.merge[i].ok = it.Last()
			} else {
				x.merge[i].ok = it.First()
			}
		}
	} else if x.last >= 0 {
		m := &x.merge[x.last]
		if x.reverse {
			m.ok = m.it.Prev()
		} else {
			m.ok = m.it.NextPrefix() // see the note above rangeIter
		}
	}
	for x.failure == nil {
		best := -1
		for i := range x.merge {
			m := &x.merge[i]
			if !m.ok {
				if err := m.it.Error(); err != nil {
					x.failure = storageError(err)
					return false
				}
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			c := bytes.Compare(m.it.Key()[x.mergeFrom[i]:], x.merge[best].it.Key()[x.mergeFrom[best]:])
			if c < 0 && !x.reverse || c > 0 && x.reverse {
				best = i
			}
		}
		x.last = best
		if best < 0 {
			return false
		}
		if x.visit(x.merge[best].it.Value()) {
			return true
		}
		m := &x.merge[best]
		if x.reverse {
			m.ok = m.it.Prev()
		} else {
			m.ok = m.it.NextPrefix() // see the note above rangeIter
		}
	}
	return false
}

func (x *indexIter) key() []byte         { return x.k }
func (x *indexIter) err() error          { return x.failure }
func (x *indexIter) keysExamined() int64 { return x.keys }

// load reads the document at the current key through one iterator over
// the collection's documents, kept for the whole scan: a prefix seek on an
// open iterator costs a fraction of a Get, which builds its iterators
// afresh for every document (the bloom filters skip the sstables without
// the key either way).
func (x *indexIter) load() (bson.Raw, error) {
	if x.covered {
		// A covered scan builds the document from the entry (cover.go), and
		// reads it only for an entry that does not hold its fields' values.
		if vals, ok := parseEntryValues(x.vals, len(x.fields), x.valBuf); ok {
			x.valBuf = vals
			return coveredDoc(x.fields, vals), nil
		}
		x.fetched++
	}
	if x.docs == nil {
		lo := docPrefix(x.c.id)
		it, err := x.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixSuccessor(lo)})
		if err != nil {
			return nil, storageError(err)
		}
		x.docs = it
	}
	if !x.docs.SeekPrefixGE(x.k) || !bytes.Equal(x.docs.Key(), x.k) {
		if err := x.docs.Error(); err != nil {
			return nil, storageError(err)
		}
		return nil, nil
	}
	v, err := x.docs.ValueAndErr()
	if err != nil {
		return nil, storageError(err)
	}
	return append(bson.Raw(nil), v...), nil
}

func (x *indexIter) close() {
	if x.it != nil {
		x.it.Close()
		x.it = nil
	}
	for _, m := range x.merge {
		if m.it != nil {
			m.it.Close()
		}
	}
	x.merge = nil
	if x.docs != nil {
		x.docs.Close()
		x.docs = nil
	}
	if x.snap != nil {
		x.snap.Close()
		x.snap = nil
	}
}
