package engine

import (
	"context"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
	"github.com/concorddb/concord/internal/query/update"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// FindAndModifySpec is a findAndModify: the first document matching Filter
// in Sort order is updated (or removed); Fields projects the returned
// document.
type FindAndModifySpec struct {
	Filter, Sort, Update, Fields bson.Raw
	// Pipeline holds the stages of a pipeline-style update; when it is
	// not nil, Update is not used.
	Pipeline                  []bson.Raw
	ArrayFilters              []bson.Raw
	Remove, Upsert, ReturnNew bool
	// Collation orders and equates strings in the filter and the sort; nil compares bytes.
	Collation *collation.Collation
}

// FindAndModifyResult is lastErrorObject plus value: Doc is the pre-image
// (or post-image with ReturnNew), nil when nothing matched (or an upsert
// without ReturnNew).
type FindAndModifyResult struct {
	Doc             bson.Raw
	N               int64
	UpdatedExisting bool
	UpsertedID      bson.RawValue
}

// FindAndModify atomically finds, modifies and returns one document, with
// the same conflict handling as Update (including the upsert DuplicateKey
// retry outside transactions). Errors, DuplicateKey included, are returned
// as the operation's error.
func (e *Engine) FindAndModify(ctx context.Context, t *Txn, ns Namespace, spec FindAndModifySpec, st *Stats) (FindAndModifyResult, error) {
	if err := e.awaitCreated(ctx, t, ns); err != nil {
		return FindAndModifyResult{}, err
	}
	unlock, _, err := e.lockCapped(t, ns)
	if err != nil {
		return FindAndModifyResult{}, err
	}
	res, err := e.findAndModifyStmt(ctx, t, ns, spec, st)
	if unlock != nil {
		// The documents changed: the next insert reloads the collection's totals.
		unlock(true)
	}
	return res, err
}

// findAndModifyStmt is the statement of its exported namesake, with a capped collection's state locked.
func (e *Engine) findAndModifyStmt(ctx context.Context, t *Txn, ns Namespace, spec FindAndModifySpec, st *Stats) (FindAndModifyResult, error) {
	if err := e.enter(); err != nil {
		return FindAndModifyResult{}, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var res FindAndModifyResult
	err := e.runWrite(ctx, t, st, func(o *op) error {
		o.result = &res
		scope := scopeFrom(ctx).Collate(stringComparer(spec.Collation))
		f, err := filter.CompileIn(spec.Filter, scope)
		if err != nil {
			return err
		}
		srt, err := compileSort(spec.Sort, spec.Collation)
		if err != nil {
			return err
		}
		var proj *projection.Projection
		if len(spec.Fields) > 0 {
			if proj, err = projection.CompileIn(spec.Fields, scope); err != nil {
				return err
			}
		}
		var u *update.Update
		if !spec.Remove {
			if u, err = e.updates.compileSpec(ctx, spec.Update, spec.Pipeline, spec.ArrayFilters, spec.Collation); err != nil {
				return err
			}
		}
		for attempt := 0; ; attempt++ {
			err := o.retrying(func() error {
				res = FindAndModifyResult{}
				return o.findAndModify(ns, spec, f, srt, u, proj, &res)
			})
			if err != nil && o.txn == nil && attempt < upsertMaxAttempts && spec.Upsert && !res.UpdatedExisting &&
				shouldRetryDupKey(spec.Filter, err) {
				o.abandon()
				if werr := e.waitFor(o.ctx, nil, attempt+1); werr != nil {
					return werr
				}
				continue
			}
			return err
		}
	})
	if err != nil {
		return FindAndModifyResult{}, err
	}
	m := e.metricsFor(ctx)
	switch {
	case spec.Remove:
		st.NDeleted += res.N
		m.docDeleted.Add(res.N)
	case res.UpsertedID.Type != 0:
		st.NUpserted++
		m.docInserted.Add(1)
	default:
		st.NMatched += res.N
		m.docUpdated.Add(res.N)
	}
	return res, nil
}

// findAndModify is one attempt; conflicts are returned to the caller.
func (o *op) findAndModify(ns Namespace, spec FindAndModifySpec, f *filter.Filter, srt *order.Sort, u *update.Update, proj *projection.Projection, res *FindAndModifyResult) error {
	c := o.e.lookupColl(ns)
	key, cur, pos, found, err := o.claimFirst(c, f, srt)
	if err != nil {
		return err
	}
	if found {
		out := cur
		if spec.Remove {
			if err := o.removeDoc(c, key, cur); err != nil {
				return err
			}
		} else {
			modified, newDoc, err := o.applyUpdate(c, key, cur, pos, u)
			if err != nil {
				return err
			}
			if modified {
				o.st.NModified++
			}
			res.UpdatedExisting = true
			if spec.ReturnNew {
				out = newDoc
			}
		}
		res.N = 1
		return o.project(proj, out, pos, res)
	}
	if spec.Remove || !spec.Upsert {
		return nil
	}
	var ur UpdateResult
	var newDoc bson.Raw
	if err := o.upsert(ns, UpdateSpec{Filter: spec.Filter, Update: spec.Update, Pipeline: spec.Pipeline, ArrayFilters: spec.ArrayFilters, Upsert: true}, u, &ur, &newDoc); err != nil {
		return err
	}
	res.N = 1
	res.UpsertedID = ur.UpsertedID
	if spec.ReturnNew {
		return o.project(proj, newDoc, -1, res)
	}
	return nil
}

// project sets res.Doc to doc projected by proj.
func (o *op) project(proj *projection.Projection, doc bson.Raw, pos int, res *FindAndModifyResult) error {
	if proj == nil || doc == nil {
		res.Doc = doc
		return nil
	}
	out, err := proj.Apply(doc, pos)
	if err != nil {
		return err
	}
	res.Doc = out
	return nil
}

// appendSummary appends n, updatedExisting, the upserted _id and the returned
// document.
func (r *FindAndModifyResult) appendSummary(dst []byte) ([]byte, bool) {
	dst = bsoncore.AppendInt64Element(dst, "n", r.N)
	dst = bsoncore.AppendBooleanElement(dst, "updatedExisting", r.UpdatedExisting)
	if r.UpsertedID.Type != 0 {
		dst = bsoncore.AppendValueElement(dst, "upsertedId", bsoncore.Value{Type: bsoncore.Type(r.UpsertedID.Type), Data: r.UpsertedID.Value})
	}
	if r.Doc != nil {
		dst = bsoncore.AppendDocumentElement(dst, "value", r.Doc)
	}
	return dst, true
}
