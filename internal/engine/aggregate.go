package engine

import (
	"context"

	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// aggEnv gives a pipeline ($lookup) the documents of same-database
// collections, read through the same transaction snapshot.
type aggEnv struct {
	ctx context.Context
	e   *Engine
	t   *Txn
	db  string
	st  *Stats
}

// Collection returns every document of db.name in the aggregation's view.
func (a *aggEnv) Collection(name string) ([]bson.Raw, error) {
	return a.e.all(a.ctx, a.t, Namespace{a.db, name}, a.st)
}

// all returns every document of ns in t's view.
func (e *Engine) all(ctx context.Context, t *Txn, ns Namespace, st *Stats) ([]bson.Raw, error) {
	f, _ := filter.Compile(nil)
	c := e.lookupColl(ns)
	var out []bson.Raw
	err := e.scan(ctx, t, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
		out = append(out, cd.doc)
		return true, nil
	})
	return out, err
}

// Aggregate runs a pipeline over the collection (in a transaction, over its
// snapshot with its own writes; outside one, over one consistent snapshot of
// the whole database). A leading $match selects documents through the query
// planner.
func (e *Engine) Aggregate(ctx context.Context, t *Txn, ns Namespace, pipeline []bson.Raw, st *Stats) ([]bson.Raw, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	st = statsOrLocal(st)
	var out []bson.Raw
	err := e.runRead(ctx, t, func(ctx context.Context, rt *Txn) error {
		p, err := agg.Compile(pipeline)
		if err != nil {
			return err
		}
		if t == nil {
			snap := e.db.NewSnapshot()
			defer snap.Close()
			rt = &Txn{e: e, reader: snap, started: true, explicit: false}
		}
		var leading bson.Raw
		if len(pipeline) > 0 {
			if m, err := pipeline[0].LookupErr("$match"); err == nil {
				if d, ok := m.DocumentOK(); ok {
					leading = d
				}
			}
		}
		f, err := filter.Compile(leading)
		if err != nil {
			return err
		}
		c := e.lookupColl(ns)
		var docs []bson.Raw
		err = e.scan(ctx, rt, c, f, planFor(c, f), st, func(cd candidate) (bool, error) {
			docs = append(docs, cd.doc)
			return true, nil
		})
		if err != nil {
			return err
		}
		out, err = p.Run(ctx, docs, &aggEnv{ctx: ctx, e: e, t: rt, db: ns.DB, st: st})
		return err
	})
	if err != nil {
		return nil, err
	}
	st.NReturned += int64(len(out))
	return out, nil
}
