package engine

import (
	"context"
	"sort"
	"strings"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// FindSpec is a find: filter, sort, projection, skip and limit (0 = none;
// a negative limit is its absolute value, as for a single batch).
type FindSpec struct {
	Filter, Sort, Projection bson.Raw
	Skip, Limit              int64
	// Batch is how many documents a stream reads from the storage at a time when it reads in batches (SetBatch;
	// 0: 1,024).
	Batch int
	// Hint forces an index: a key pattern document ({$natural: 1} for a
	// collection scan) or, with HintName, its name. A hint naming no usable
	// index is BadValue (2).
	Hint     bson.Raw
	HintName string
	// Min and Max bound the hinted index's keys (inclusive, exclusive).
	Min, Max bson.Raw
	// Collation orders and equates strings in the filter and the sort; nil
	// compares bytes.
	Collation *collation.Collation
	// ReturnKey returns each document's key in the index the plan reads
	// (returnKey) instead of the document: see indexKeyOf.
	ReturnKey bool
}

// stringComparer returns c as a value.StringComparer: nil (bytes) for the
// simple collation.
func stringComparer(c *collation.Collation) value.StringComparer {
	if c == nil {
		return nil
	}
	return c
}

// runRead runs a read in t's snapshot (as a transaction statement) or,
// outside a transaction, on the ReadSnapshot of ctx (WithReadSnapshot) or
// the latest committed state (each scan reads one consistent point in time).
func (e *Engine) runRead(ctx context.Context, t *Txn, fn func(ctx context.Context, rt *Txn) error) error {
	if t == nil {
		if rs := readSnapshotFrom(ctx); rs != nil {
			return fn(ctx, &Txn{e: e, reader: rs.snap, readTs: rs.ts, idxAsOf: rs.idxAsOf, started: true})
		}
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
	return e.find1(ctx, t, ns, spec, st, true)
}

// find1 is Find; an uncounted one (a stream's batch) adds nothing to the engine's query and returned-document
// counts, nor to st.NReturned.
func (e *Engine) find1(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats, counted bool) ([]bson.Raw, error) {
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
	var out []bson.Raw
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		var err error
		out, err = e.find(ctx, rt, ns, spec, st)
		return err
	})
	if counted {
		m := e.metricsFor(ctx)
		m.query.Add(1)
		st.NReturned += int64(len(out))
		m.docReturn.Add(int64(len(out)))
	}
	return out, err
}

// find is Find inside a read context.
func (e *Engine) find(ctx context.Context, t *Txn, ns Namespace, spec FindSpec, st *Stats) ([]bson.Raw, error) {
	sc := stringComparer(spec.Collation)
	scope := scopeFrom(ctx)
	f, err := filter.CompileColl(spec.Filter, scope, sc)
	if err != nil {
		return nil, err
	}
	var srt *order.Sort
	if len(spec.Sort) > 0 {
		if srt, err = order.CompileColl(spec.Sort, sc); err != nil {
			return nil, err
		}
	}
	var proj *projection.Projection
	if len(spec.Projection) > 0 {
		if proj, err = projection.CompileIn(spec.Projection, scope); err != nil {
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
	p, err := planWith(c, f, planOptions{sort: srt, hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max,
		collated: sc != nil, project: proj, asOf: t.indexAsOf(c)})
	if err != nil {
		return nil, err
	}
	// A plan in sort order saves the sort, unless the transaction's own
	// writes are merged in after the index's documents.
	inOrder := srt == nil || p.sorted && (p.kind != planIndex || !t.wroteTo(c))
	// A capped collection's natural order is insertion order, not _id order.
	natural := srt == nil && c != nil && c.opts.Capped && p.kind == planCollScan
	if natural {
		inOrder = false
	}
	var stop int64
	if limit > 0 {
		stop = skip + limit
	}
	cands, err := e.findScan(ctx, t, c, f, p, st, inOrder, srt, stop)
	if err != nil {
		return nil, err
	}
	// The index may have become multikey while the plan ran: its order is
	// then not the sort's (the flag is set before such a document commits,
	// so any document the scan saw is covered by this check).
	if inOrder && srt != nil && p.kind == planIndex && p.ix.isMultikey() {
		if cands, err = e.findScan(ctx, t, c, f, p, st, false, srt, stop); err != nil {
			return nil, err
		}
	}
	if natural {
		if err := e.insertionOrder(t, c, cands); err != nil {
			return nil, err
		}
	}
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
		if spec.ReturnKey {
			out = append(out, indexKeyOf(p, srt != nil, doc))
			continue
		}
		if proj != nil {
			if doc, err = proj.Apply(doc, cd.pos); err != nil {
				return nil, err
			}
		}
		out = append(out, doc)
	}
	return out, nil
}

// indexKeyOf returns doc's key in the index p reads, as find's returnKey shows it: {field: value} in key
// pattern order (null for a missing field) for a secondary index, {_id} for the _id index (a plan on _id, or a
// collection scan that serves a sort on _id, which mongod answers from its _id index), {} for a collection
// scan.
func indexKeyOf(p *plan, sorted bool, doc bson.Raw) bson.Raw {
	var fields []string
	switch {
	case p.kind == planIndex:
		for _, e := range p.ix.key {
			fields = append(fields, e.Key)
		}
	case p.kind != planCollScan || sorted && p.sorted:
		fields = []string{"_id"}
	}
	idx, out := bsoncore.AppendDocumentStart(nil)
	for _, f := range fields {
		v, err := doc.LookupErr(strings.Split(f, ".")...)
		if err != nil {
			out = bsoncore.AppendNullElement(out, f)
			continue
		}
		out = bsoncore.AppendValueElement(out, f, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return bson.Raw(out)
}

// findScan returns the candidates of p in srt's order: when the plan is in
// that order (inOrder), as the scan returns them, stopping after stop
// matches when stop > 0; otherwise sorted, and with stop > 0 only the first
// stop of them, the scan holding no more than that many at a time.
func (e *Engine) findScan(ctx context.Context, t *Txn, c *collection, f *filter.Filter, p *plan, st *Stats, inOrder bool, srt *order.Sort, stop int64) ([]candidate, error) {
	if !inOrder && srt != nil && stop > 0 {
		// A sort with a limit keeps the first stop documents in the sort's order, not all of them.
		top := order.NewTopK(stop, func(a, b candidate) int { return srt.Compare(a.doc, b.doc) })
		err := e.scan(ctx, t, c, f, p, st, func(cd candidate) (bool, error) {
			cd.entry = nil // the scan's, valid only until it moves on
			top.Offer(cd)
			return true, nil
		})
		return top.Sorted(), err
	}
	var cands []candidate
	err := e.scan(ctx, t, c, f, p, st, func(cd candidate) (bool, error) {
		cands = append(cands, cd)
		return !inOrder || stop <= 0 || int64(len(cands)) < stop, nil
	})
	if !inOrder {
		sortCandidates(cands, srt)
	}
	return cands, err
}

// Count returns the number of matching documents after skip and limit (0 =
// none).
func (e *Engine) Count(ctx context.Context, t *Txn, ns Namespace, filterDoc bson.Raw, skip, limit int64, coll *collation.Collation, st *Stats) (int64, error) {
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
		f, err := filter.CompileColl(filterDoc, scopeFrom(ctx), stringComparer(coll))
		if err != nil {
			return err
		}
		if limit < 0 {
			limit = -limit
		}
		c := e.lookupColl(ns)
		p, err := planWith(c, f, hinted(ctx, planOptions{collated: coll != nil, asOf: rt.indexAsOf(c)}))
		if err != nil {
			return err
		}
		return e.scan(ctx, rt, c, f, p, st, func(cd candidate) (bool, error) {
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
func (e *Engine) Distinct(ctx context.Context, t *Txn, ns Namespace, key string, filterDoc bson.Raw, coll *collation.Collation, st *Stats) ([]bson.RawValue, error) {
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
		f, err := filter.CompileColl(filterDoc, scopeFrom(ctx), stringComparer(coll))
		if err != nil {
			return err
		}
		parts := splitPath(key)
		c := e.lookupColl(ns)
		p, err := planWith(c, f, hinted(ctx, planOptions{collated: coll != nil, asOf: rt.indexAsOf(c)}))
		if err != nil {
			return err
		}
		return e.scan(ctx, rt, c, f, p, st, func(cd candidate) (bool, error) {
			distinctCollect(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: cd.doc}, parts, &vals)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return distinctSorted(vals, stringComparer(coll)), nil
}

// distinctSorted sorts vals in MongoDB's order (strings by sc when it is not nil) and drops repeated values.
func distinctSorted(vals []bson.RawValue, sc value.StringComparer) []bson.RawValue {
	sort.SliceStable(vals, func(i, j int) bool { return value.CompareWith(vals[i], vals[j], sc) < 0 })
	out := make([]bson.RawValue, 0, len(vals))
	for _, v := range vals {
		if len(out) == 0 || value.CompareWith(out[len(out)-1], v, sc) != 0 || out[len(out)-1].Type != v.Type && !(v.IsNumber() && out[len(out)-1].IsNumber()) && !(isStringType(v.Type) && isStringType(out[len(out)-1].Type)) {
			out = append(out, v)
		}
	}
	return out
}

// isStringType reports a string or symbol, which a collation equates.
func isStringType(t bson.Type) bool { return t == bson.TypeString || t == bson.TypeSymbol }

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
