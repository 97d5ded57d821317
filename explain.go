package concord

import (
	"context"

	"github.com/concorddb/concord/internal/engine"
)

// Plan is the access path the engine picks for a read (Collection.Explain): Stage is "COLLSCAN" (every
// document read), "IDHACK" (one document found by its _id), "IXSCAN" (an index read over Bounds, the index
// being IndexName with KeyPattern) or "EOF" (no collection: nothing to read); Summary is the profiler's
// planSummary ("IXSCAN { n: 1 }"). Bounds are written as mongod's explain writes indexBounds.
type Plan = engine.PlanDescription

// Explain returns the plan Find(ctx, filter, opts...) would run now, without reading a document: the one
// planner decides both, so the plan is the read's, not an estimate beside it. It reads the latest catalog (the
// indexes that exist now), as MongoDB's explain does, also inside a transaction. A filter or option that Find
// would refuse returns the same error.
func (c *Collection) Explain(ctx context.Context, filter any, opts ...*FindOptions) (Plan, error) {
	if err := c.db.check(); err != nil {
		return Plan{}, err
	}
	o := mergeFind(opts)
	spec, err := findSpec(filter, o.Sort, o.Projection)
	if err != nil {
		return Plan{}, err
	}
	spec.Skip, spec.Limit, spec.ReturnKey = o.Skip, o.Limit, o.ReturnKey
	if err := findHint(&spec, o); err != nil {
		return Plan{}, err
	}
	if spec.Collation, err = c.collationFor(o.Collation); err != nil {
		return Plan{}, err
	}
	if ctx, err = withStatement(ctx, nil, o.Let); err != nil {
		return Plan{}, err
	}
	p, err := c.db.eng.DescribeFind(ctx, c.ns, spec)
	if err != nil {
		return Plan{}, publicError(err)
	}
	return p, nil
}
