package engine

import (
	"context"

	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/projection"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// FindSpec is a find: filter, sort, projection, skip and limit (0 = none;
// a negative limit is its absolute value, as for a single batch).
type FindSpec struct {
	Filter, Sort, Projection bson.Raw
	Skip, Limit              int64
}

// runRead runs a read in t's snapshot (as a transaction statement) or,
// outside a transaction, on the latest committed state (each scan reads one
// consistent point in time).
func (e *Engine) runRead(ctx context.Context, t *Txn, fn func(ctx context.Context, rt *Txn) error) error {
	if t == nil {
		return fn(ctx, &Txn{e: e, reader: e.db, started: true})
	}
	sctx, err := t.beginStmt(ctx)
	if err != nil {
		return err
	}
	return t.endStmt(sctx, fn(sctx, t))
}

// Find returns the matching documents, materialized; the caller owns them.
// In a transaction it reads the snapshot with the transaction's own writes.
func (e *Engine) Find(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats) ([]bson.Raw, error) {
	if src, stages, isView, err := e.resolveView(ns); isView {
		if err != nil {
			return nil, err
		}
		return e.findOnView(ctx, t, src, stages, spec, st)
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	m := e.metricsFor(ctx)
	m.query.Add(1)
	var out []bson.Raw
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		var err error
		out, err = e.find(ctx, rt, ns, spec, st)
		return err
	})
	st.NReturned += int64(len(out))
	m.docReturn.Add(int64(len(out)))
	return out, err
}

// find is Find inside a read context.
func (e *Engine) find(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats) ([]bson.Raw, error) {
	f, err := filter.Compile(spec.Filter)
	if err != nil {
		return nil, err
	}
	srt, err := compileSort(spec.Sort)
	if err != nil {
		return nil, err
	}
	var proj *projection.Projection
	if len(spec.Projection) > 0 {
		if proj, err = projection.Compile(spec.Projection); err != nil {
			return nil, err
		}
	}
	limit := spec.Limit
	if limit < 0 {
		limit = -limit
	}
	skip := spec.Skip
	if skip < 0 {
		skip = 0
	}
	c := e.lookupColl(ns)
	var cands []candidate
	err = e.scan(ctx, t, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
		cands = append(cands, cd)
		// Without a sort the scan can stop once skip+limit documents matched.
		return srt != nil || limit == 0 || int64(len(cands)) < skip+limit, nil
	})
	if err != nil {
		return nil, err
	}
	sortCandidates(cands, srt)
	if skip >= int64(len(cands)) {
		return []bson.Raw{}, nil
	}
	cands = cands[skip:]
	if limit > 0 && int64(len(cands)) > limit {
		cands = cands[:limit]
	}
	out := make([]bson.Raw, 0, len(cands))
	for _, cd := range cands {
		doc := cd.doc
		if proj != nil {
			if doc, err = proj.Apply(doc, cd.pos); err != nil {
				return nil, err
			}
		}
		out = append(out, doc)
	}
	return out, nil
}

// Count returns the number of matching documents after skip and limit (0 =
// none).
func (e *Engine) Count(ctx context.Context, t *Txn, ns Namespace, filterDoc bson.Raw, skip, limit int64, st *Stats) (int64, error) {
	if src, stages, isView, err := e.resolveView(ns); isView {
		if err != nil {
			return 0, err
		}
		return e.countOnView(ctx, t, src, stages, filterDoc, skip, limit, st)
	}
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var n int64
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		f, err := filter.Compile(filterDoc)
		if err != nil {
			return err
		}
		if limit < 0 {
			limit = -limit
		}
		c := e.lookupColl(ns)
		return e.scan(ctx, rt, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
			n++
			return limit == 0 || n < skip+limit, nil
		})
	})
	if err != nil {
		return 0, err
	}
	n -= skip
	if n < 0 {
		n = 0
	}
	if limit > 0 && n > limit {
		n = limit
	}
	return n, nil
}

// Distinct returns the distinct values of key (a dotted path) among the
// matching documents, arrays flattened into their elements, in MongoDB's
// value order.
func (e *Engine) Distinct(ctx context.Context, t *Txn, ns Namespace, key string, filterDoc bson.Raw, st *Stats) ([]bson.RawValue, error) {
	if src, stages, isView, err := e.resolveView(ns); isView {
		if err != nil {
			return nil, err
		}
		return e.distinctOnView(ctx, t, src, stages, key, filterDoc, st)
	}
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var vals []bson.RawValue
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		f, err := filter.Compile(filterDoc)
		if err != nil {
			return err
		}
		parts := splitPath(key)
		c := e.lookupColl(ns)
		return e.scan(ctx, rt, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
			distinctCollect(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: cd.doc}, parts, &vals)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return distinctSorted(vals), nil
}

// distinctSorted sorts vals in MongoDB's order and drops repeated values.
func distinctSorted(vals []bson.RawValue) []bson.RawValue {
	sortValues(vals)
	out := make([]bson.RawValue, 0, len(vals))
	for _, v := range vals {
		if len(out) == 0 || !value.Equal(out[len(out)-1], v) || out[len(out)-1].Type != v.Type && !(v.IsNumber() && out[len(out)-1].IsNumber()) {
			out = append(out, v)
		}
	}
	return out
}

// distinctCollect appends the values at parts, descending into arrays of
// documents and flattening a final array into its elements.
func distinctCollect(v bson.RawValue, parts []string, out *[]bson.RawValue) {
	if len(parts) == 0 {
		if v.Type == bson.TypeArray {
			arr, _ := v.ArrayOK()
			elems, _ := arr.Values()
			*out = append(*out, elems...)
			return
		}
		*out = append(*out, v)
		return
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		d, _ := v.DocumentOK()
		if sub, err := d.LookupErr(parts[0]); err == nil {
			distinctCollect(sub, parts[1:], out)
		}
	case bson.TypeArray:
		arr, _ := v.ArrayOK()
		elems, _ := arr.Values()
		for _, el := range elems {
			if el.Type == bson.TypeEmbeddedDocument {
				distinctCollect(el, parts, out)
			}
		}
	}
}
