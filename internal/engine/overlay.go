package engine

import (
	"bytes"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ownOrder says how a plan's stored documents are ordered, and so where a
// transaction's own new documents (at keys the plan's storedIter does not
// visit) go in the merged view.
type ownOrder int

const (
	// ownNone: the plan visits fixed keys (_id points), and a document at
	// any other key cannot match its filter; a key is examined when it
	// holds a document in the view.
	ownNone ownOrder = iota
	// ownByKey: the plan visits every document key in [lo, hi) in order
	// (or in reverse order); own new documents in the range merge in by key.
	ownByKey
	// ownLast: the plan visits keys in another order (an index's); own new
	// documents it did not reach come after the stored ones, in key order.
	ownLast
)

// overlayIter is a transaction's view of one plan: the documents of the
// plan's storedIter with the transaction's own writes laid over them, as
// Pebble's mergingIter lays a newer level over an older one. An own write
// at a key the stored iterator visits replaces the stored document (an own
// delete hides it) without reading storage; own new documents are merged
// in as order says. Not safe for concurrent use.
type overlayIter struct {
	stored  storedIter
	order   ownOrder
	lo, hi  []byte // ownByKey: the range of own documents
	reverse bool   // ownByKey: the stored keys come last first, and so do own new documents

	writes map[string]*docWrite // the transaction's writes by key
	own    []*docWrite          // its writes to the collection in key order (not for ownNone)
	oi     int                  // own[oi] is the next own write to merge
	used   map[string]bool      // own writes that replaced a stored key's document
	keys   int64                // keys examined (ownNone)

	pending bool // stored is at a key not yet merged
	ended   bool // stored is exhausted
	k       []byte
	d       bson.Raw
	failure error
}

// init makes v t's view of stored for collection c.
func (v *overlayIter) init(t *Txn, c *collection, stored storedIter, order ownOrder, lo, hi []byte) {
	*v = overlayIter{stored: stored, order: order, lo: lo, hi: hi, writes: t.writes}
	if order != ownNone {
		v.own = t.ownWrites(c)
	}
}

// next moves to the next document of the view; false at the end or on an
// error (see err).
func (v *overlayIter) next() bool {
	for v.failure == nil {
		if !v.pending && !v.ended {
			if v.stored.next() {
				v.pending = true
			} else if v.failure = v.stored.err(); v.failure != nil {
				return false
			} else {
				v.ended = true
			}
		}
		if !v.pending {
			// Stored documents done: the own new documents left.
			if v.order == ownNone || v.oi == len(v.own) {
				return false
			}
			v.oi++
			if v.ownNew(v.ownAt(v.oi - 1)) {
				return true
			}
			continue
		}
		k := v.stored.key()
		if v.order == ownByKey && v.oi < len(v.own) && v.before(v.ownAt(v.oi).key, k) {
			// An own new document sorting before the stored key (after it, in reverse) comes first.
			v.oi++
			if v.ownNew(v.ownAt(v.oi - 1)) {
				return true
			}
			continue
		}
		v.pending = false
		doc, err := v.view(k)
		if err != nil {
			v.failure = err
			return false
		}
		if doc == nil {
			continue
		}
		if v.order == ownNone {
			v.keys++
		}
		v.k, v.d = k, doc
		return true
	}
	return false
}

// before reports whether key a comes before key b in the view's order.
func (v *overlayIter) before(a, b []byte) bool {
	if v.reverse {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

// ownAt returns the i-th own write in the view's order: own is in key order, read from its end in reverse.
func (v *overlayIter) ownAt(i int) *docWrite {
	if v.reverse {
		return v.own[len(v.own)-1-i]
	}
	return v.own[i]
}

// view returns the document at a key the stored iterator visits: the own
// write's when there is one (nil for an own delete), else the stored one.
func (v *overlayIter) view(k []byte) (bson.Raw, error) {
	if w, ok := v.writes[string(k)]; ok {
		if v.order != ownNone {
			if v.used == nil {
				v.used = map[string]bool{}
			}
			v.used[string(k)] = true
		}
		return w.doc, nil
	}
	return v.stored.load()
}

// ownNew makes w the current document when it is an own new document of
// the view: not a delete, not already merged at a stored key, and in range.
func (v *overlayIter) ownNew(w *docWrite) bool {
	if w.doc == nil || v.used[string(w.key)] {
		return false
	}
	if v.order == ownByKey && (bytes.Compare(w.key, v.lo) < 0 || bytes.Compare(w.key, v.hi) >= 0) {
		return false
	}
	v.k, v.d = w.key, w.doc
	return true
}

// key and doc return the current document and its key; the caller owns
// them (a stored document is a copy; an own document is the transaction's,
// which it never modifies in place).
func (v *overlayIter) key() []byte   { return v.k }
func (v *overlayIter) doc() bson.Raw { return v.d }

// err returns the error that ended the iteration, if any.
func (v *overlayIter) err() error { return v.failure }

// keysExamined returns the index keys read so far.
func (v *overlayIter) keysExamined() int64 { return v.keys + v.stored.keysExamined() }

// close releases the stored iterator.
func (v *overlayIter) close() { v.stored.close() }
