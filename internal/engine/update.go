package engine

import (
	"bytes"
	"context"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/update"
	"github.com/concorddb/concord/internal/query/value"
)

// UpdateSpec is one update statement.
type UpdateSpec struct {
	Filter, Update bson.Raw
	// Pipeline holds the stages of a pipeline-style update; when it is
	// not nil, Update is not used.
	Pipeline      []bson.Raw
	ArrayFilters  []bson.Raw
	Upsert, Multi bool
	Sort          bson.Raw // updateOne's optional sort
	// Collation orders and equates strings in the filter and the sort; nil compares bytes.
	Collation *collation.Collation
}

// UpdateResult is the outcome of one update statement. UpsertedID has Type 0
// when nothing was upserted.
type UpdateResult struct {
	Matched, Modified int64
	UpsertedID        bson.RawValue
}

// upsertMaxAttempts bounds the DuplicateKey retries of an upsert (MongoDB's
// upsertMaxRetryAttemptsOnDuplicateKeyError default).
const upsertMaxAttempts = 100

// Update runs one update statement. Outside a transaction (t == nil) it
// never returns WriteConflict: a document owned by a transaction is waited
// for, and a document that changed since it was read is re-read and the
// filter re-checked (so a losing compare-and-set matches 0); an upsert that
// loses an insert race on a unique index covered by an equality-only filter
// is retried as MongoDB does. In a transaction a conflict is WriteConflict
// (112) and aborts it. Errors: the filter's and update's parse errors,
// ImmutableField (66), DuplicateKey (11000), interruption codes.
func (e *Engine) Update(ctx context.Context, t *Txn, ns Namespace, spec UpdateSpec, st *Stats) (UpdateResult, error) {
	if err := e.awaitCreated(ctx, t, ns); err != nil {
		return UpdateResult{}, err
	}
	unlock, _, err := e.lockCapped(t, ns)
	if err != nil {
		return UpdateResult{}, err
	}
	res, err := e.updateStmt(ctx, t, ns, spec, st)
	if unlock != nil {
		// The documents changed: the next insert reloads the collection's totals.
		unlock(true)
	}
	return res, err
}

// updateStmt is the statement of its exported namesake, with a capped collection's state locked.
func (e *Engine) updateStmt(ctx context.Context, t *Txn, ns Namespace, spec UpdateSpec, st *Stats) (UpdateResult, error) {
	if err := e.enter(); err != nil {
		return UpdateResult{}, err
	}
	defer e.exit()
	m := e.metricsFor(ctx)
	m.update.Add(1)
	var res UpdateResult
	err := e.runWrite(ctx, t, st, func(o *op) error {
		o.result = &res
		var f docMatcher
		if !spec.Multi && len(spec.Sort) == 0 && spec.Collation == nil && !isHinted(ctx) {
			if idf := idEquality(spec.Filter); idf != nil {
				f = idf
			}
		}
		if f == nil {
			qf, err := filter.CompileIn(spec.Filter, scopeFrom(ctx).Collate(stringComparer(spec.Collation)))
			if err != nil {
				return err
			}
			f = qf
		}
		u, err := e.updates.compileSpec(ctx, spec.Update, spec.Pipeline, spec.ArrayFilters, spec.Collation)
		if err != nil {
			return err
		}
		srt, err := compileSort(spec.Sort, spec.Collation)
		if err != nil {
			return err
		}
		for attempt := 0; ; attempt++ {
			res = UpdateResult{}
			err := o.update(ns, spec, f, u, srt, &res)
			if err != nil && o.txn == nil && attempt < upsertMaxAttempts && spec.Upsert && !spec.Multi &&
				res.Matched == 0 && shouldRetryDupKey(spec.Filter, err) {
				o.abandon()
				if werr := e.waitFor(o.ctx, nil, attempt+1); werr != nil {
					return werr
				}
				continue
			}
			return err
		}
	})
	if st != nil {
		st.NMatched += res.Matched
		st.NModified += res.Modified
		if res.UpsertedID.Type != 0 {
			st.NUpserted++
		}
	}
	m.docUpdated.Add(res.Matched)
	if res.UpsertedID.Type != 0 {
		m.docInserted.Add(1)
	}
	return res, err
}

// appendSummary appends matched, modified and the upserted _id.
func (r *UpdateResult) appendSummary(dst []byte) ([]byte, bool) {
	dst = bsoncore.AppendInt64Element(dst, "matched", r.Matched)
	dst = bsoncore.AppendInt64Element(dst, "modified", r.Modified)
	if r.UpsertedID.Type != 0 {
		dst = bsoncore.AppendValueElement(dst, "upsertedId", bsoncore.Value{Type: bsoncore.Type(r.UpsertedID.Type), Data: r.UpsertedID.Value})
	}
	return dst, true
}

// compileSort compiles an optional sort specification under coll (nil: bytes).
func compileSort(s bson.Raw, coll *collation.Collation) (*order.Sort, error) {
	if len(s) == 0 {
		return nil, nil
	}
	return order.CompileColl(s, stringComparer(coll))
}

// update runs one update statement in o, absorbing conflicts outside a
// transaction. f is the statement's filter: a *filter.Filter, or an idFilter
// (see idEquality). A multi update updates each document at most once.
func (o *op) update(ns Namespace, spec UpdateSpec, f docMatcher, u *update.Update, srt *order.Sort, res *UpdateResult) error {
	if spec.Multi {
		return o.updateMany(ns, spec, f.(*filter.Filter), u, res)
	}
	return o.retrying(func() error {
		*res = UpdateResult{}
		c := o.e.lookupColl(ns)
		key, cur, pos, found, err := o.claimFirst(c, f, srt)
		if err != nil {
			return err
		}
		if !found {
			if spec.Upsert {
				return o.upsert(ns, spec, u, res, nil)
			}
			return nil
		}
		modified, _, err := o.applyUpdate(c, key, cur, pos, u)
		if err != nil {
			return err
		}
		res.Matched = 1
		if modified {
			res.Modified = 1
		}
		return nil
	})
}

// applyUpdate applies u to cur, the claimed current version of the document
// at key (matched at array position pos), and buffers the result. modified
// is false, and the claim given up, when u changes nothing; newDoc is the
// document after the update either way. Errors: u's, ImmutableField (66),
// BSONObjectTooLarge (10334), DuplicateKey (11000) and a *conflictError on
// a unique-index key.
func (o *op) applyUpdate(c *collection, key []byte, cur bson.Raw, pos int, u *update.Update) (modified bool, newDoc bson.Raw, err error) {
	newDoc, modified, err = u.Apply(cur, update.ApplyOptions{Position: pos, Now: o.now})
	if err != nil {
		return false, nil, err
	}
	t := o.t()
	if !modified {
		t.unclaim(string(key))
		return false, newDoc, nil
	}
	if newDoc, err = c.withComputed(newDoc); err != nil {
		return false, nil, err
	}
	if err := checkUpdatedDoc(cur, newDoc); err != nil {
		return false, nil, err
	}
	if err := o.validate(c, cur, newDoc); err != nil {
		return false, nil, err
	}
	if err := o.checkChild(c, cur, newDoc); err != nil {
		return false, nil, err
	}
	if err := o.checkParent(c, cur, newDoc); err != nil {
		return false, nil, err
	}
	if err := t.putDoc(c, key, docID(cur), cur, newDoc); err != nil {
		return false, nil, err
	}
	t.writes[string(key)].replaced = u.IsReplacement()
	return true, newDoc, nil
}

// checkUpdatedDoc enforces what the update operators cannot: _id stays the
// same (ImmutableField 66) and the document stays within 16 MiB.
func checkUpdatedDoc(old, doc bson.Raw) error {
	oldID, newID := docID(old), docID(doc)
	if oldID.Type != newID.Type || !bytes.Equal(oldID.Value, newID.Value) {
		return codes.New(codes.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'")
	}
	if len(doc) > maxDocSize {
		return codes.New(codes.BSONObjectTooLarge, "Resulting document after update is larger than %d", maxDocSize)
	}
	return nil
}

// updateMany updates every document that matched at the start of the
// statement and still matches when it is written, each at most once, and
// upserts when none did.
func (o *op) updateMany(ns Namespace, spec UpdateSpec, f *filter.Filter, u *update.Update, res *UpdateResult) error {
	c := o.e.lookupColl(ns)
	if c != nil {
		cands, err := o.e.collect(o.ctx, o.t(), c, f, o.st)
		if err != nil {
			return err
		}
		n, err := o.writeEach(ns, c, cands, f, func(c *collection, key []byte, cur bson.Raw, pos int) (bool, error) {
			modified, _, err := o.applyUpdate(c, key, cur, pos, u)
			return modified, err
		})
		res.Matched, res.Modified = n.matched, n.modified
		if err != nil || n.matched > 0 {
			return err
		}
	}
	if spec.Upsert {
		return o.upsertRetrying(ns, spec, u, res)
	}
	return nil
}

// upsertRetrying is an upsert that absorbs conflicts by waiting and
// retrying (used where no scan precedes it).
func (o *op) upsertRetrying(ns Namespace, spec UpdateSpec, u *update.Update, res *UpdateResult) error {
	return o.retrying(func() error {
		*res = UpdateResult{}
		return o.upsert(ns, spec, u, res, nil)
	})
}

// upsert inserts the document an update with no match produces: the filter's
// equalities (update.UpsertSeed) with the update applied (or the replacement
// with the seed's _id), with an ObjectID _id when none. newDoc, when non-nil,
// receives the inserted document.
func (o *op) upsert(ns Namespace, spec UpdateSpec, u *update.Update, res *UpdateResult, newDoc *bson.Raw) error {
	seed, err := update.UpsertSeed(spec.Filter)
	if err != nil {
		return err
	}
	var doc bson.Raw
	if u.IsReplacement() {
		doc = replacementWithID(spec.Update, seed)
	} else if doc, _, err = u.Apply(seed, update.ApplyOptions{Position: -1, Insert: true, Now: o.now}); err != nil {
		return err
	}
	doc, id, err := prepareInsertDoc(doc)
	if err != nil {
		return err
	}
	c, err := o.collOrCreate(ns)
	if err != nil {
		return err
	}
	if doc, err = o.insertDoc(c, doc, id); err != nil {
		return err
	}
	res.UpsertedID = id
	if newDoc != nil {
		*newDoc = doc
	}
	return nil
}

// replacementWithID returns the replacement document, given the seed's _id
// (first) when it has none of its own.
func replacementWithID(repl, seed bson.Raw) bson.Raw {
	if _, err := repl.LookupErr("_id"); err == nil {
		return repl
	}
	id, err := seed.LookupErr("_id")
	if err != nil {
		return repl
	}
	return IDFirst(id, repl)
}

// insertDoc claims and inserts one prepared document, with its defaults and computed fields (withDefaults,
// withComputed), and returns the
// document written; an existing _id is DuplicateKey (11000).
func (o *op) insertDoc(c *collection, doc bson.Raw, id bson.RawValue) (bson.Raw, error) {
	t := o.t()
	key := docKey(c.id, id)
	if err := t.claim(string(key)); err != nil {
		return nil, err
	}
	cur, err := t.getDoc(key)
	if err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, idDupKeyError(c.ns, id)
	}
	if doc, err = c.withDefaults(o.ctx, doc, o.now); err != nil {
		return nil, err
	}
	if doc, err = c.withComputed(doc); err != nil {
		return nil, err
	}
	if err := o.validate(c, nil, doc); err != nil {
		return nil, err
	}
	if err := o.checkChild(c, nil, doc); err != nil {
		return nil, err
	}
	return doc, t.putDoc(c, key, id, nil, doc)
}

// shouldRetryDupKey is MongoDB's shouldRetryDuplicateKeyException: the
// filter is an equality (or an AND of equalities) whose paths are exactly
// the violated index's fields, with values equal to the duplicated key.
func shouldRetryDupKey(filter bson.Raw, err error) bool {
	ce, ok := codes.As(err)
	if !ok || ce.Code != codes.DuplicateKey || len(ce.KeyPattern) == 0 {
		return false
	}
	eqs := map[string]bson.RawValue{}
	if !equalityOnly(filter, eqs, 0) || len(eqs) != len(ce.KeyPattern) {
		return false
	}
	for i, kp := range ce.KeyPattern {
		v, ok := eqs[kp.Key]
		if !ok || i >= len(ce.KeyValue) {
			return false
		}
		kv, ok := ce.KeyValue[i].Value.(bson.RawValue)
		if !ok || !value.Equal(v, kv) {
			return false
		}
	}
	return true
}

// equalityOnly collects the equality paths of a filter made only of
// equalities ({a: v}, {a: {$eq: v}}, $and of such); false otherwise.
func equalityOnly(filter bson.Raw, eqs map[string]bson.RawValue, depth int) bool {
	if depth > 10 {
		return false
	}
	elems, err := filter.Elements()
	if err != nil || len(elems) == 0 {
		return false
	}
	for _, el := range elems {
		k, v := el.Key(), el.Value()
		if k == "$and" {
			arr, ok := v.ArrayOK()
			if !ok {
				return false
			}
			vals, _ := arr.Values()
			for _, sub := range vals {
				d, ok := sub.DocumentOK()
				if !ok || !equalityOnly(d, eqs, depth+1) {
					return false
				}
			}
			continue
		}
		if len(k) > 0 && k[0] == '$' {
			return false
		}
		switch v.Type {
		case bson.TypeRegex, bson.TypeArray:
			return false
		case bson.TypeEmbeddedDocument:
			d := v.Document()
			first, err := d.IndexErr(0)
			if err == nil && len(first.Key()) > 0 && first.Key()[0] == '$' {
				inner, _ := d.Elements()
				if len(inner) != 1 || first.Key() != "$eq" {
					return false
				}
				v = first.Value()
			}
		}
		if old, dup := eqs[k]; dup && !value.Equal(old, v) {
			return false
		}
		eqs[k] = v
	}
	return true
}

// sortCandidates orders candidates by srt (stable, so ties keep scan order).
func sortCandidates(cands []candidate, srt *order.Sort) {
	if srt == nil {
		return
	}
	sort.SliceStable(cands, func(i, j int) bool { return srt.Compare(cands[i].doc, cands[j].doc) < 0 })
}
