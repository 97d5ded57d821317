package engine_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// opMetrics is the part of Metrics that operations count (transactions are
// counted per transaction, not per operation).
func opMetrics(e *engine.Engine) engine.Metrics {
	m := e.Metrics()
	m.Transactions = engine.Metrics{}.Transactions
	return m
}

func TestWithoutMetrics(t *testing.T) {
	byID := func(id int) bson.Raw { return doc(bson.D{{Key: "_id", Value: id}}) }
	cases := []struct {
		name string
		// run performs the operation once with ctx, into st, on an engine
		// holding _id 1..3.
		run func(ctx context.Context, e *engine.Engine, st *engine.Stats) error
		// stat is the Stats field the operation fills whether counted or not.
		stat func(st *engine.Stats) int64
		// moved reports whether the counted run moved the metrics it must.
		moved func(before, after engine.Metrics) bool
	}{
		{
			name: "insert",
			run: func(ctx context.Context, e *engine.Engine, st *engine.Stats) error {
				_, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "x", Value: 1}})}, true, st)
				return err
			},
			stat: func(st *engine.Stats) int64 { return st.NInserted },
			moved: func(b, a engine.Metrics) bool {
				return a.Opcounters.Insert == b.Opcounters.Insert+1 && a.Document.Inserted == b.Document.Inserted+1
			},
		},
		{
			name: "delete",
			run: func(ctx context.Context, e *engine.Engine, st *engine.Stats) error {
				_, err := e.Delete(ctx, nil, ns, byID(2), false, st)
				return err
			},
			stat: func(st *engine.Stats) int64 { return st.NDeleted },
			moved: func(b, a engine.Metrics) bool {
				return a.Opcounters.Delete == b.Opcounters.Delete+1 && a.Document.Deleted == b.Document.Deleted+1
			},
		},
		{
			name: "find",
			run: func(ctx context.Context, e *engine.Engine, st *engine.Stats) error {
				_, err := e.Find(ctx, nil, ns, engine.FindSpec{}, st)
				return err
			},
			stat: func(st *engine.Stats) int64 { return st.NReturned },
			moved: func(b, a engine.Metrics) bool {
				return a.Opcounters.Query == b.Opcounters.Query+1 && a.Document.Returned == b.Document.Returned+3
			},
		},
		{
			name: "update",
			run: func(ctx context.Context, e *engine.Engine, st *engine.Stats) error {
				_, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
					Filter: byID(2),
					Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}),
				}, st)
				return err
			},
			stat: func(st *engine.Stats) int64 { return st.NModified },
			moved: func(b, a engine.Metrics) bool {
				return a.Opcounters.Update == b.Opcounters.Update+1 && a.Document.Updated == b.Document.Updated+1
			},
		},
		{
			name: "findAndModify",
			run: func(ctx context.Context, e *engine.Engine, st *engine.Stats) error {
				_, err := e.FindAndModify(ctx, nil, ns, engine.FindAndModifySpec{Filter: byID(3), Remove: true}, st)
				return err
			},
			stat: func(st *engine.Stats) int64 { return st.NDeleted },
			moved: func(b, a engine.Metrics) bool {
				return a.Document.Deleted == b.Document.Deleted+1
			},
		},
	}
	for _, tc := range cases {
		for _, internal := range []bool{false, true} {
			name := tc.name + "/counted"
			if internal {
				name = tc.name + "/internal"
			}
			t.Run(name, func(t *testing.T) {
				e := openMem(t, engine.Options{})
				mustInsert(t, e, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "_id", Value: 3}})
				ctx := context.Background()
				if internal {
					ctx = engine.WithoutMetrics(ctx)
				}
				before := opMetrics(e)
				var st engine.Stats
				if err := tc.run(ctx, e, &st); err != nil {
					t.Fatal(err)
				}
				after := opMetrics(e)
				if tc.stat(&st) == 0 {
					t.Errorf("stats not filled: %+v", st)
				}
				switch {
				case internal && after != before:
					t.Errorf("internal %s moved metrics: before %+v, after %+v", tc.name, before, after)
				case !internal && !tc.moved(before, after):
					t.Errorf("%s did not count: before %+v, after %+v", tc.name, before, after)
				}
			})
		}
	}
}

// An internal write that waits out a transaction's write still reports its
// conflicts in its Stats but not in metrics.operation.writeConflicts.
func TestWithoutMetrics_WriteConflicts(t *testing.T) {
	e := openMem(t, engine.Options{})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	tx := e.Begin()
	if _, err := update(e, tx, bson.D{{Key: "_id", Value: 1}}, incV); err != nil {
		t.Fatal(err)
	}
	before := opMetrics(e)
	type result struct {
		n   int64
		st  engine.Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.n, r.err = e.Delete(engine.WithoutMetrics(context.Background()), nil, ns, doc(bson.D{{Key: "_id", Value: 1}}), false, &r.st)
		done <- r
	}()
	select {
	case r := <-done:
		t.Fatalf("delete did not wait for the transaction: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.n != 1 {
		t.Fatalf("delete = %d, %v", r.n, r.err)
	}
	if r.st.WriteConflicts < 1 {
		t.Fatalf("delete stats %+v: want a write conflict", r.st)
	}
	if after := opMetrics(e); after != before {
		t.Fatalf("internal delete moved metrics: before %+v, after %+v", before, after)
	}
}
