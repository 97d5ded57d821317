package engine

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// Views. A view is a catalog entry with CollOptions.ViewOn set and no documents: reading it (Find, Count,
// Distinct, Aggregate) runs, over the collection at the end of its chain of sources, the pipelines of the
// chain, innermost first, and then what the read asks for, as mongod resolves views. Writes to a view are
// CommandNotSupportedOnView (166).

// maxViewDepth is mongod's limit on a chain of views.
const maxViewDepth = 20

// resolveView returns, when ns is a view, the collection its chain of views ends at and the pipeline that
// chain applies; isView is false for anything else (a collection, or nothing).
func (e *Engine) resolveView(ns Namespace) (src Namespace, stages []bson.Raw, isView bool, err error) {
	c := e.lookupColl(ns)
	if c == nil || !c.opts.IsView() {
		return ns, nil, false, nil
	}
	for depth := 0; c != nil && c.opts.IsView(); depth++ {
		if depth >= maxViewDepth {
			return ns, nil, true, codes.New(codes.ViewDepthLimitExceeded, "View depth too deep or view cycle detected. Maximum depth is %d", maxViewDepth)
		}
		var own []bson.Raw
		for _, s := range value.Values(bson.RawValue{Type: bson.TypeArray, Value: c.opts.Pipeline}) {
			own = append(own, bson.Raw(s.Value))
		}
		stages = append(own, stages...)
		src = Namespace{DB: ns.DB, Coll: c.opts.ViewOn}
		c = e.lookupColl(src)
	}
	return src, stages, true, nil
}

// checkViewChain refuses a view ns on viewOn that would close a cycle or make a chain deeper than mongod
// allows: GraphContainsCycle (93), ViewDepthLimitExceeded (165).
func (e *Engine) checkViewChain(ns Namespace, viewOn string) error {
	chain := []string{ns.Coll}
	cur := viewOn
	for depth := 1; ; depth++ {
		chain = append(chain, cur)
		if cur == ns.Coll {
			return codes.New(codes.GraphContainsCycle, "View cycle detected: [%s]", strings.Join(prefixAll(ns.DB, chain), " => "))
		}
		if depth >= maxViewDepth {
			return codes.New(codes.ViewDepthLimitExceeded, "View depth too deep or view cycle detected. Maximum depth is %d", maxViewDepth)
		}
		c := e.lookupColl(Namespace{DB: ns.DB, Coll: cur})
		if c == nil || !c.opts.IsView() {
			return nil
		}
		cur = c.opts.ViewOn
	}
}

// prefixAll returns the names as namespaces of db.
func prefixAll(db string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = db + "." + n
	}
	return out
}

// stage builds a one-field stage document.
func stage(name string, arg any) bson.Raw {
	raw, err := bson.Marshal(bson.D{{Key: name, Value: arg}})
	if err != nil {
		panic(err) // arguments are documents and numbers, which always encode
	}
	return raw
}

// findOnView runs a find over a view: the view's pipeline, then $match, $sort, $skip, $limit and $project.
func (e *Engine) findOnView(ctx context.Context, t *Txn, src Namespace, stages []bson.Raw, spec FindSpec, st *Stats) ([]bson.Raw, error) {
	if len(spec.Filter) > 5 {
		stages = append(stages, stage("$match", spec.Filter))
	}
	if len(spec.Sort) > 5 {
		stages = append(stages, stage("$sort", spec.Sort))
	}
	if spec.Skip > 0 {
		stages = append(stages, stage("$skip", spec.Skip))
	}
	if spec.Limit > 0 {
		stages = append(stages, stage("$limit", spec.Limit))
	}
	if len(spec.Projection) > 5 {
		stages = append(stages, stage("$project", spec.Projection))
	}
	return e.Aggregate(ctx, t, src, AggregateSpec{Pipeline: stages}, st)
}

// countOnView counts the documents of a view matching filterDoc, after skip and up to limit.
func (e *Engine) countOnView(ctx context.Context, t *Txn, src Namespace, stages []bson.Raw, filterDoc bson.Raw, skip, limit int64, st *Stats) (int64, error) {
	if limit < 0 {
		limit = -limit
	}
	docs, err := e.findOnView(ctx, t, src, stages, FindSpec{Filter: filterDoc, Skip: skip, Limit: limit}, st)
	return int64(len(docs)), err
}

// distinctOnView returns the distinct values of key among the documents of a view matching filterDoc.
func (e *Engine) distinctOnView(ctx context.Context, t *Txn, src Namespace, stages []bson.Raw, key string, filterDoc bson.Raw, st *Stats) ([]bson.RawValue, error) {
	docs, err := e.findOnView(ctx, t, src, stages, FindSpec{Filter: filterDoc}, st)
	if err != nil {
		return nil, err
	}
	parts := splitPath(key)
	var vals []bson.RawValue
	for _, d := range docs {
		distinctCollect(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: d}, parts, &vals)
	}
	return distinctSorted(vals, nil), nil
}
