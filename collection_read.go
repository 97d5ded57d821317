package concord

import (
	"context"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Find returns a cursor over the documents matching filter (nil for all),
// sorted, skipped, limited and projected as opts say. The results are read
// from one snapshot: the transaction's, or a fresh one outside a
// transaction.
func (c *Collection) Find(ctx context.Context, filter any, opts ...*FindOptions) (*Cursor, error) {
	ctx, spec, err := c.findArgs(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	return c.find(ctx, spec)
}

// FindStream is Find whose cursor reads the documents as Next asks for them rather than all at once, so that a
// result of any size holds no more memory than the document in hand and a batch. Outside a transaction, without a
// sort, on a collection that is neither a view nor capped, the cursor reads a snapshot of the storage taken when
// FindStream returned, however long it stays open, until Close, which must be called. In a transaction it reads
// the transaction's snapshot with its own writes: the first batch and the matching _ids at once, the other
// documents a batch at a time. A
// sort, a view or a capped collection's insertion order make it Find's cursor. Closing the DB ends the cursors
// still open: their Next returns false and Err is InterruptedAtShutdown (11600).
func (c *Collection) FindStream(ctx context.Context, filter any, opts ...*FindOptions) (*Cursor, error) {
	return c.findStream(ctx, filter, opts, false)
}

// FindBatches is Find for a cursor that may wait long between reads, as a client's does between its requests:
// outside a transaction it holds nothing of the storage between the batches it reads (no iterator, no
// snapshot), and each batch reads the latest committed state from where the last one ended, as a MongoDB cursor
// yields between getMores. A document inserted after the cursor opened is returned if the scan has not yet
// passed it, and one deleted, or updated so that it no longer matches, before its batch is read is not; once the
// collection is dropped the next batch fails with QueryPlanKilled (175). A collection scan resumes after the last
// document it read, a scan of an index that is not multikey after the last index entry; a multikey index's plan
// finds the matching _ids when the cursor opens and reads the documents a batch at a time, each checked against
// the filter again. SetBatchSize bounds a batch. In a transaction it is FindStream. A sort no index (or _id
// ascending) reads in order, a view, a capped collection, a positional projection, returnKey and a read at a point
// in time make it Find's cursor.
func (c *Collection) FindBatches(ctx context.Context, filter any, opts ...*FindOptions) (*Cursor, error) {
	return c.findStream(ctx, filter, opts, true)
}

// findStream is FindStream, or outside a transaction FindBatches (batches set).
func (c *Collection) findStream(ctx context.Context, filter any, opts []*FindOptions, batches bool) (*Cursor, error) {
	ctx, spec, err := c.findArgs(ctx, filter, opts)
	if err != nil {
		return nil, err
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	var s *engine.DocStream
	if t == nil && batches {
		s, err = c.db.eng.FindBatches(ctx, c.ns, spec, st)
	} else {
		s, err = c.db.eng.FindStream(ctx, t, c.ns, spec, st)
	}
	if err != nil {
		return nil, stmtError(t, err)
	}
	return &Cursor{stream: s}, nil
}

// findArgs encodes the arguments of Find, FindStream and FindBatches, and returns ctx with the statement's let variables.
func (c *Collection) findArgs(ctx context.Context, filter any, opts []*FindOptions) (context.Context, engine.FindSpec, error) {
	o := mergeFind(opts)
	spec, err := findSpec(filter, o.Sort, o.Projection)
	if err != nil {
		return ctx, spec, err
	}
	spec.Skip, spec.Limit, spec.ReturnKey, spec.Batch = o.Skip, o.Limit, o.ReturnKey, int(o.BatchSize)
	if err := findHint(&spec, o); err != nil {
		return ctx, spec, err
	}
	if spec.Collation, err = c.collationFor(o.Collation); err != nil {
		return ctx, spec, err
	}
	ctx, err = withStatement(ctx, nil, o.Let)
	return ctx, spec, err
}

// collationFor returns the collation an operation on c runs under: the collation document v when given
// ({locale: "simple"} being the binary comparison), otherwise c's default collation (none: binary). A
// view's default may not be overridden: a different v is OptionNotSupportedOnView (167), as in mongod.
func (c *Collection) collationFor(v any) (*collation.Collation, error) {
	def, isView := c.db.eng.DefaultCollation(c.ns)
	d, err := toOptionalDoc(v, "collation")
	if err != nil || d == nil {
		return def, err
	}
	coll, err := collation.Parse(d)
	if err != nil {
		return nil, err
	}
	if isView && !collation.Equal(coll, def) {
		return nil, codes.New(codes.OptionNotSupportedOnView, "Cannot override a view's default collation")
	}
	return coll, nil
}

// withStatement returns ctx carrying a statement's hint (an index name or key
// pattern) and let variables (evaluated here, once), either of which may be
// nil; see engine.WithHint and engine.WithLet.
func withStatement(ctx context.Context, hint, let any) (context.Context, error) {
	if let != nil {
		d, err := toDoc(let, "let")
		if err != nil {
			return ctx, err
		}
		if ctx, err = engine.WithLet(ctx, d); err != nil {
			return ctx, err
		}
	}
	if name, ok := hint.(string); ok {
		return engine.WithHint(ctx, nil, name), nil
	}
	d, err := toOptionalDoc(hint, "hint")
	if err != nil {
		return ctx, err
	}
	return engine.WithHint(ctx, d, ""), nil
}

// findHint encodes Find's hint, min and max into spec.
func findHint(spec *engine.FindSpec, o FindOptions) error {
	var err error
	if name, ok := o.Hint.(string); ok {
		spec.HintName = name
	} else if spec.Hint, err = toOptionalDoc(o.Hint, "hint"); err != nil {
		return err
	}
	if spec.Min, err = toOptionalDoc(o.Min, "min"); err != nil {
		return err
	}
	spec.Max, err = toOptionalDoc(o.Max, "max")
	return err
}

// find runs a FindSpec and wraps the materialized result in a Cursor.
func (c *Collection) find(ctx context.Context, spec engine.FindSpec) (*Cursor, error) {
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	docs, err := c.db.eng.Find(ctx, t, c.ns, spec, st)
	if err != nil {
		return nil, stmtError(t, err)
	}
	return newCursor(docs), nil
}

// findSpec encodes the arguments shared by the find family.
func findSpec(filter, sort, projection any) (engine.FindSpec, error) {
	var spec engine.FindSpec
	var err error
	if spec.Filter, err = toFilter(filter); err != nil {
		return spec, err
	}
	if spec.Sort, err = toOptionalDoc(sort, "sort"); err != nil {
		return spec, err
	}
	if spec.Projection, err = toOptionalDoc(projection, "projection"); err != nil {
		return spec, err
	}
	return spec, nil
}

// FindOne returns the first document matching filter in the order of
// opts.Sort. Its Err is ErrNoDocuments when nothing matches.
func (c *Collection) FindOne(ctx context.Context, filter any, opts ...*FindOneOptions) *SingleResult {
	o := mergeFindOne(opts)
	spec, err := findSpec(filter, o.Sort, o.Projection)
	if err != nil {
		return &SingleResult{err: err}
	}
	spec.Skip, spec.Limit = o.Skip, 1
	spec.Collation, _ = c.db.eng.DefaultCollation(c.ns)
	cur, err := c.find(ctx, spec)
	if err != nil {
		return &SingleResult{err: err}
	}
	if !cur.Next(ctx) {
		if err := cur.Err(); err != nil {
			return &SingleResult{err: err}
		}
		return &SingleResult{err: ErrNoDocuments}
	}
	return &SingleResult{doc: cur.Current}
}

// CountDocuments counts the documents matching filter (nil for all), after
// opts.Skip and up to opts.Limit (0: no limit).
func (c *Collection) CountDocuments(ctx context.Context, filter any, opts ...*CountOptions) (int64, error) {
	o := mergeCount(opts)
	f, err := toFilter(filter)
	if err != nil {
		return 0, err
	}
	if o.Skip < 0 || o.Limit < 0 {
		return 0, codes.New(codes.BadValue, "skip and limit must not be negative")
	}
	if ctx, err = withStatement(ctx, o.Hint, nil); err != nil {
		return 0, err
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return 0, err
	}
	coll, err := c.collationFor(o.Collation)
	if err != nil {
		return 0, err
	}
	n, err := c.db.eng.Count(ctx, t, c.ns, f, o.Skip, o.Limit, coll, st)
	return n, stmtError(t, err)
}

// EstimatedDocumentCount returns the number of documents in the collection
// from its metadata. Like MongoDB's count command it cannot run in a
// transaction (OperationNotSupportedInTransaction, 263); use CountDocuments
// there.
func (c *Collection) EstimatedDocumentCount(ctx context.Context) (int64, error) {
	if err := c.db.check(); err != nil {
		return 0, err
	}
	if s := SessionFromContext(ctx); s != nil && s.TransactionRunning() {
		return 0, codes.New(codes.OperationNotSupportedInTransaction,
			"Cannot run 'count' in a multi-document transaction.")
	}
	st, err := c.Stats(ctx)
	return st.Count, err
}

// Distinct returns the distinct values of fieldName (a dotted path; array
// elements count one by one) among the documents matching filter (nil for
// all), in MongoDB's value order.
func (c *Collection) Distinct(ctx context.Context, fieldName string, filter any, opts ...*DistinctOptions) ([]bson.RawValue, error) {
	f, err := toFilter(filter)
	if err != nil {
		return nil, err
	}
	var collDoc, hint any
	for _, o := range opts {
		if o != nil && o.Collation != nil {
			collDoc = o.Collation
		}
		if o != nil && o.Hint != nil {
			hint = o.Hint
		}
	}
	if ctx, err = withStatement(ctx, hint, nil); err != nil {
		return nil, err
	}
	coll, err := c.collationFor(collDoc)
	if err != nil {
		return nil, err
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	vals, err := c.db.eng.Distinct(ctx, t, c.ns, fieldName, f, coll, st)
	if err != nil {
		return nil, stmtError(t, err)
	}
	return vals, nil
}

// Aggregate runs an aggregation pipeline (bson.A, []bson.D, []bson.M,
// []any, or a BSON array) over the collection and returns a cursor over its
// output. Documents stream through the stages; $sort and $group hold at most
// 100 MiB each and then spill to temporary files, or fail with
// QueryExceededMemoryLimitNoDiskUseAllowed (292) when AllowDiskUse is false.
func (c *Collection) Aggregate(ctx context.Context, pipeline any, opts ...*AggregateOptions) (*Cursor, error) {
	ctx, t, st, spec, err := c.aggregateArgs(ctx, pipeline, opts)
	if err != nil {
		return nil, err
	}
	docs, err := c.db.eng.Aggregate(ctx, t, c.ns, spec, st)
	if err != nil {
		return nil, stmtError(t, err)
	}
	return newCursor(docs), nil
}

// aggregateArgs encodes the arguments of Aggregate and AggregateBatches and begins the statement: it returns ctx
// with the statement's hint and let variables, the transaction (nil outside one) and the statistics to record.
func (c *Collection) aggregateArgs(ctx context.Context, pipeline any, opts []*AggregateOptions) (context.Context, *engine.Txn, *engine.Stats, engine.AggregateSpec, error) {
	var spec engine.AggregateSpec
	stages, err := toPipeline(pipeline)
	if err != nil {
		return ctx, nil, nil, spec, err
	}
	o := mergeAggregate(opts)
	if ctx, err = withStatement(ctx, o.Hint, o.Let); err != nil {
		return ctx, nil, nil, spec, err
	}
	t, st, err := c.begin(ctx)
	if err != nil {
		return ctx, nil, nil, spec, err
	}
	spec = engine.AggregateSpec{Pipeline: stages, NoDiskUse: o.AllowDiskUse != nil && !*o.AllowDiskUse, Batch: int(o.BatchSize)}
	spec.Collation, err = c.collationFor(o.Collation)
	return ctx, t, st, spec, err
}

// AggregateBatches is Aggregate for a cursor that may wait long between reads, as a client's does between its
// requests: outside a transaction the pipeline's input is a FindBatches cursor of the collection (its leading
// $match the cursor's filter) and its output is computed as Next asks for it. Between calls it holds no storage
// iterator or snapshot. Each batch of input, and each read of another collection ($lookup, $graphLookup), reads
// the latest committed state, as a MongoDB aggregation yields between getMores; each Next's context bounds its own
// time, and the let variables and $$NOW stay those of ctx. In a transaction, under a read at a point in time, on a
// capped collection, and with a stage that holds its input before its first output ($sort, $group, $bucketAuto,
// $facet, $setWindowFields, $sample, ...), $unionWith, $out or $merge, it is Aggregate's cursor.
func (c *Collection) AggregateBatches(ctx context.Context, pipeline any, opts ...*AggregateOptions) (*Cursor, error) {
	ctx, t, st, spec, err := c.aggregateArgs(ctx, pipeline, opts)
	if err != nil {
		return nil, err
	}
	if t != nil {
		docs, err := c.db.eng.Aggregate(ctx, t, c.ns, spec, st)
		if err != nil {
			return nil, stmtError(t, err)
		}
		return newCursor(docs), nil
	}
	s, err := c.db.eng.AggregateBatches(ctx, c.ns, spec, st)
	if err != nil {
		return nil, stmtError(nil, err)
	}
	return &Cursor{stream: s}, nil
}
