package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// concordTarget runs the workloads on the embedded engine through the public API, durable on disk: every
// acknowledged write has been fsynced.
type concordTarget struct {
	name    string
	db      *concord.DB
	dir     string
	tempDir bool
	coll    *concord.Collection
}

func openConcordTarget(dir, name string) (*concordTarget, error) {
	t := &concordTarget{name: name, dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "concord-bench-")
		if err != nil {
			return nil, err
		}
		t.dir, t.tempDir = d, true
	}
	db, err := concord.Open(t.dir, nil)
	if err != nil {
		return nil, err
	}
	t.db = db
	return t, nil
}

func (t *concordTarget) Name() string { return t.name }

func (t *concordTarget) Close() {
	t.db.Close()
	if t.tempDir {
		os.RemoveAll(t.dir)
	}
}

func (t *concordTarget) Setup(ctx context.Context, workload string, cfg benchConfig) error {
	t.coll = t.db.Database("bench").Collection(workload)
	return setupCollection(ctx, benchCollection{t.coll}, workload, cfg)
}

func (t *concordTarget) Hot(ctx context.Context) error {
	_, err := t.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, incN)
	return err
}

func (t *concordTarget) Spread(ctx context.Context, id int) error {
	res, err := t.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, incN)
	if err == nil && res.ModifiedCount != 1 {
		err = fmt.Errorf("spread update of %d modified %d documents", id, res.ModifiedCount)
	}
	return err
}

// Transfer moves amount between two accounts in one transaction. The debit only matches when the balance
// covers it, so no balance goes negative; a transfer that cannot be covered moves nothing.
func (t *concordTarget) Transfer(ctx context.Context, from, to, amount int) error {
	_, err := t.db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		res, err := t.coll.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: from}, {Key: "balance", Value: bson.D{{Key: "$gte", Value: amount}}}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: -amount}}}})
		if err != nil || res.ModifiedCount == 0 {
			return nil, err
		}
		_, err = t.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: to}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: amount}}}})
		return nil, err
	})
	return err
}

func (t *concordTarget) Verify(ctx context.Context, workload string, cfg benchConfig, acked int64) (string, error) {
	return verifyCollection(ctx, benchCollection{t.coll}, workload, cfg, acked)
}

var incN = bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}

// docCollection is what the shared setup and verification need of a collection; both the embedded API and the
// official driver (for --wire) provide it.
type docCollection interface {
	drop(ctx context.Context) error
	insertMany(ctx context.Context, docs []any) error
	sum(ctx context.Context, field string) (total int64, negatives int64, err error)
}

type benchCollection struct{ c *concord.Collection }

func (b benchCollection) drop(ctx context.Context) error {
	err := b.c.Drop(ctx)
	if concordCode(err) == 26 { // NamespaceNotFound: nothing to drop
		return nil
	}
	return err
}

func (b benchCollection) insertMany(ctx context.Context, docs []any) error {
	_, err := b.c.InsertMany(ctx, docs)
	return err
}

func (b benchCollection) sum(ctx context.Context, field string) (int64, int64, error) {
	cur, err := b.c.Find(ctx, bson.D{})
	if err != nil {
		return 0, 0, err
	}
	defer cur.Close(ctx)
	return sumField(field, func() (bson.Raw, bool) {
		if !cur.Next(ctx) {
			return nil, false
		}
		return cur.Current, true
	}, cur.Err)
}

// sumField adds up the integer field of every document next yields and counts the negative values; err reports
// the iteration's error at the end. It serves the embedded API's cursor and the driver's alike.
func sumField(field string, next func() (bson.Raw, bool), err func() error) (total, negatives int64, _ error) {
	for doc, ok := next(); ok; doc, ok = next() {
		v, lookupErr := doc.LookupErr(field)
		if lookupErr != nil {
			return 0, 0, fmt.Errorf("document without %s: %v", field, doc)
		}
		n := v.AsInt64()
		total += n
		if n < 0 {
			negatives++
		}
	}
	return total, negatives, err()
}

func concordCode(err error) int32 {
	var e *concord.Error
	if errors.As(err, &e) {
		return int32(e.Code)
	}
	return 0
}

func setupCollection(ctx context.Context, c docCollection, workload string, cfg benchConfig) error {
	if err := c.drop(ctx); err != nil {
		return err
	}
	var n int
	var mk func(i int) any
	switch workload {
	case "hot":
		n, mk = 1, func(int) any { return bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: int64(0)}} }
	case "spread":
		pad := string(make([]byte, 100))
		n, mk = cfg.docs, func(i int) any {
			return bson.D{{Key: "_id", Value: i}, {Key: "n", Value: int64(0)}, {Key: "pad", Value: pad}}
		}
	case "transfer":
		n, mk = cfg.accounts, func(i int) any {
			return bson.D{{Key: "_id", Value: i}, {Key: "balance", Value: int64(initialBalance)}}
		}
	}
	const batch = 1000
	for i := 0; i < n; i += batch {
		docs := make([]any, 0, batch)
		for j := i; j < n && j < i+batch; j++ {
			docs = append(docs, mk(j))
		}
		if err := c.insertMany(ctx, docs); err != nil {
			return err
		}
	}
	return nil
}

func verifyCollection(ctx context.Context, c docCollection, workload string, cfg benchConfig, acked int64) (string, error) {
	switch workload {
	case "hot", "spread":
		total, _, err := c.sum(ctx, "n")
		if err != nil {
			return "", err
		}
		if total != acked {
			return "", fmt.Errorf("lost updates: counters sum to %d, acknowledged %d", total, acked)
		}
		return fmt.Sprintf("sum=%d=acked", total), nil
	default:
		total, neg, err := c.sum(ctx, "balance")
		if err != nil {
			return "", err
		}
		if want := int64(cfg.accounts * initialBalance); total != want || neg != 0 {
			return "", fmt.Errorf("transfers broke invariants: total %d (want %d), %d negative", total, want, neg)
		}
		return fmt.Sprintf("total=%d conserved", total), nil
	}
}
