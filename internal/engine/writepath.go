package engine

import (
	"bytes"

	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The write path. Every write of an existing document (update, delete,
// findAndModify; one document or many) goes through claimLatest, which is
// what makes a filtered write a compare-and-set: between a scan reading a
// document and the write claiming it, another writer may commit a new
// version, and writing without re-reading would lose that writer's update,
// while writing without re-checking the filter would apply a
// compare-and-set whose condition no longer holds. For example, with
// {_id: 1, ver: 3} stored, two clients run update({_id: 1, ver: 3},
// {$inc: {ver: 1}}); both scans match ver 3, one claims and commits ver 4,
// the other then claims, reads ver 4, re-checks, and matches 0: exactly one
// of them succeeds.
//
// claimFirst (the first match, for the single-document writes) and
// writeEach (every candidate, for the multi-document ones) are the two
// loops around it; retrying is the retry point of the single-document ones.

// claimLatest claims the document of cd for the operation and returns its
// newest version in the operation's view, re-checked against f unless it is
// the very version the scan matched. Outcomes:
//   - ok: the operation owns the key; cur is the version to write (never
//     nil) and pos the matched array position for "$" (-1 for none).
//   - not ok, nil error: the document is gone or no longer matches f; the
//     claim is given up, so no writer waits on it.
//   - a *conflictError: another transaction owns the key or, in a
//     transaction, it was committed after the snapshot; nothing was claimed,
//     and the caller's retry point (op.conflict) waits or fails the
//     statement.
//   - another error: f's evaluation error ($expr) or a storage error; the
//     claim is given up.
//
// A candidate the scan did not read (cd.doc nil: an _id point outside a
// transaction, see op.first) is read here for the first time: it is counted
// as examined, and not as a conflict. A read candidate whose document
// changed since (deleted included) is a conflict the operation absorbs
// (MongoDB's WriteConflict, then ensureStillMatches).
func (o *op) claimLatest(cd candidate, f docMatcher) (cur bson.Raw, pos int, ok bool, err error) {
	t := o.t()
	key := string(cd.key)
	if err := t.claim(key); err != nil {
		return nil, 0, false, err
	}
	cur, err = t.getDoc(cd.key)
	if err != nil {
		t.unclaim(key)
		return nil, 0, false, err
	}
	pos = cd.pos
	switch {
	case cd.doc == nil:
		if cur != nil {
			o.st.KeysExamined++
			o.st.DocsExamined++
		}
	case !bytes.Equal(cur, cd.doc):
		o.countConflict()
	default:
		return cur, pos, true, nil // the version the scan matched
	}
	if cur != nil {
		if ok, pos, err = f.MatchErr(cur); ok && err == nil {
			return cur, pos, true, nil
		}
	}
	t.unclaim(key)
	return nil, 0, false, err
}

// claimFirst finds the first document of c matching f (in srt order when
// srt is set) and claims it through claimLatest; a document that changed
// after the scan and no longer matches makes it scan again. found is false
// when no document matches (c nil included). Errors are claimLatest's and
// the scan's; a *conflictError is for the caller's retry point.
func (o *op) claimFirst(c *collection, f docMatcher, srt *order.Sort) (key []byte, cur bson.Raw, pos int, found bool, err error) {
	for {
		cd, ok, err := o.first(c, f, srt)
		if err != nil || !ok {
			return nil, nil, 0, false, err
		}
		cur, pos, ok, err := o.claimLatest(cd, f)
		if err != nil || ok {
			return cd.key, cur, pos, ok, err
		}
		if cd.doc == nil {
			return nil, nil, 0, false, nil // the _id point read found no matching document
		}
	}
}

// first returns the first matching document of c (in sort order when srt is
// set). Without a sort, an _id equality (an idFilter, or a filter planned as
// IDHACK) is no scan: outside a transaction it is not read (the caller claims
// the document and reads its latest version itself), in a transaction it is
// a point read of the transaction's view (pointInView).
func (o *op) first(c *collection, f docMatcher, srt *order.Sort) (candidate, bool, error) {
	if c == nil {
		return candidate{}, false, nil
	}
	qf, ok := f.(*filter.Filter)
	if !ok {
		// An idFilter, which only statements without a sort use (see
		// idEquality's callers).
		o.st.PlanSummary = "IDHACK"
		return o.pointInView(docKey(c.id, f.(*idFilter).id), f)
	}
	p, err := planWith(c, qf, hinted(o.ctx, planOptions{asOf: o.t().indexAsOf(c)}))
	if err != nil {
		return candidate{}, false, err
	}
	if p.kind == planIDHack && srt == nil {
		o.st.PlanSummary = p.summary
		return o.pointInView(p.points[0], qf)
	}
	var best candidate
	found := false
	err = o.e.scan(o.ctx, o.t(), c, qf, p, o.st, func(cd candidate) (bool, error) {
		if !found || srt.Compare(cd.doc, best.doc) < 0 {
			best, found = cd, true
		}
		return srt != nil, nil
	})
	return best, found, err
}

// pointInView is first for the one document key an _id equality names.
// Outside a transaction it is the candidate, unread. In a transaction the
// document is read in its view, as a scan of the plan reads it: a document
// the transaction does not see, or that f does not match there, is not
// matched, so never claimed.
func (o *op) pointInView(key []byte, f docMatcher) (candidate, bool, error) {
	if o.txn == nil {
		return candidate{key: key, pos: -1}, true, nil
	}
	doc, err := o.txn.getDoc(key)
	if err != nil || doc == nil {
		return candidate{}, false, err
	}
	o.st.KeysExamined++
	o.st.DocsExamined++
	ok, pos, err := f.MatchErr(doc)
	if err != nil || !ok {
		return candidate{}, false, err
	}
	return candidate{key: key, doc: doc, pos: pos}, true, nil
}

// writeFunc writes the claimed document at key of c, whose current version
// is cur (never nil) matched at array position pos. modified is false when
// the write left the document as it was. A *conflictError is for the
// caller's retry point.
type writeFunc func(c *collection, key []byte, cur bson.Raw, pos int) (modified bool, err error)

// writeCount is what a multi-document write did: documents matched and
// written (or left unchanged), and of those, modified.
type writeCount struct {
	matched, modified int64
}

// writeEach writes every candidate of c (the scan's matches, in order, each
// key once) that still matches f when claimed, through claimLatest and
// write, then commits the operation's last unit. Outside a transaction a
// conflict commits the current unit and waits (op.conflict), and a unit
// whose commit is lost to a catalog change is redone on the new catalog
// from its first candidate, its counts taken back; when the collection is
// gone by then, writeEach returns what it counted. In a transaction a
// conflict is WriteConflict (112). Errors are write's, the scan's and the
// interruption codes.
func (o *op) writeEach(ns Namespace, c *collection, cands []candidate, f docMatcher, write writeFunc) (writeCount, error) {
	var n writeCount
	mark, markN := 0, n // the first candidate of the current unit, and the counts before it
	redo := func() bool {
		if c = o.e.lookupColl(ns); c == nil {
			return false
		}
		n = markN
		return true
	}
	for i := 0; ; {
		if i == len(cands) {
			err := o.flush()
			if err != errRedoUnit {
				return n, err
			}
			if !redo() {
				return n, nil
			}
			i = mark
			continue
		}
		if err := o.e.checkCtx(o.ctx); err != nil {
			return n, err
		}
		cur, pos, ok, err := o.claimLatest(cands[i], f)
		modified := false
		if ok {
			modified, err = write(c, cands[i].key, cur, pos)
		}
		if _, isC := isConflict(err); isC {
			switch err = o.conflict(err); err {
			case nil:
				// The unit before the conflict is committed; the next
				// one starts with this candidate.
				mark, markN = i, n
			case errRedoUnit:
				if !redo() {
					return n, nil
				}
				i = mark
			default:
				return n, err
			}
			continue
		}
		if err != nil {
			return n, err
		}
		if ok {
			n.matched++
			if modified {
				n.modified++
			}
		}
		i++
	}
}

// retrying runs attempt until it returns anything but a write conflict; at
// each conflict op.conflict waits (outside a transaction, committing the
// current unit first) or turns it into WriteConflict (112, in a
// transaction). attempt must start from scratch each time.
func (o *op) retrying(attempt func() error) error {
	for {
		err := attempt()
		if _, ok := isConflict(err); !ok {
			return err
		}
		if err = o.conflict(err); err != nil {
			return err
		}
	}
}
