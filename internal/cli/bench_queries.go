package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// queryBench is `concord bench --queries`: read queries over the same n documents on embedded Concord and, with a
// PostgreSQL URL, on a jsonb table with expression indexes, in the same run. Each document is {_id: i, k: i,
// cat: i % 100, score: <random float>}; Concord has indexes {k: 1} and {cat: 1, score: -1}, PostgreSQL the
// matching expression indexes. The workloads: a point lookup by k, the top 10 of one cat by score (a range with
// sort and limit served by the compound index), and a $group over the whole collection (GROUP BY cat). Each
// workload's time is split into slices that take the targets in turn, so that a change in the machine's load
// weighs on every target alike. It prints operations per second per target, Concord's rate over PostgreSQL's,
// and the allocations per document of a $match + $group.
type queryBench struct {
	n        int
	duration time.Duration
	out      io.Writer
}

// queryTarget is one system the query workloads run on.
type queryTarget interface {
	name() string
	point(ctx context.Context, k int) error
	topN(ctx context.Context, cat int) error
	group(ctx context.Context) error
}

// runQueryBench loads both targets and measures every workload on each, in slices.
func runQueryBench(ctx context.Context, n int, duration time.Duration, slices int, dir, pgURL string) error {
	qb := queryBench{n: n, duration: duration, out: os.Stdout}
	db, err := concord.Open(dir, &concord.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	ct := &concordQueries{coll: db.Database("bench").Collection("q")}
	if err := ct.load(ctx, n); err != nil {
		return err
	}
	fmt.Fprintf(qb.out, "loaded %d documents into Concord in %v\n", n, time.Since(start).Round(time.Millisecond))
	defer func() {
		m := db.StorageMetrics()
		fmt.Fprintf(qb.out, "Concord storage at the end: %d L0 files in %d sublevels, read amplification %d, block cache %d hits %d misses\n",
			m.L0Files, m.L0Sublevels, m.ReadAmp, m.BlockCacheHits, m.BlockCacheMisses)
	}()
	targets := []queryTarget{ct}
	if pgURL != "" {
		pool, err := pgxpool.New(ctx, pgURL)
		if err != nil {
			return err
		}
		defer pool.Close()
		start = time.Now()
		pt := &pgQueries{pool: pool}
		if err := pt.load(ctx, n); err != nil {
			return err
		}
		fmt.Fprintf(qb.out, "loaded %d rows into PostgreSQL in %v\n", n, time.Since(start).Round(time.Millisecond))
		targets = append(targets, pt)
	}
	for _, w := range []struct {
		name string
		op   func(t queryTarget, rng *rand.Rand) error
	}{
		{"point lookup by secondary index", func(t queryTarget, rng *rand.Rand) error { return t.point(ctx, rng.IntN(n)) }},
		{"range + sort + limit 10 (compound index)", func(t queryTarget, rng *rand.Rand) error { return t.topN(ctx, rng.IntN(100)) }},
		{"$group over the whole collection", func(t queryTarget, _ *rand.Rand) error { return t.group(ctx) }},
	} {
		ops := make([]int, len(targets))
		spent := make([]time.Duration, len(targets))
		rngs := make([]*rand.Rand, len(targets))
		for i := range targets {
			rngs[i] = rand.New(rand.NewPCG(1, 2))
		}
		for range slices {
			for i, t := range targets {
				n := 0
				began := time.Now()
				deadline := began.Add(duration / time.Duration(slices))
				for time.Now().Before(deadline) || n == 0 {
					if err := w.op(t, rngs[i]); err != nil {
						return fmt.Errorf("%s on %s: %w", w.name, t.name(), err)
					}
					n++
				}
				ops[i] += n
				spent[i] += time.Since(began)
			}
		}
		rates := make([]float64, len(targets))
		for i, t := range targets {
			rates[i] = float64(ops[i]) / spent[i].Seconds()
			fmt.Fprintf(qb.out, "%-42s %-9s %10.2f ops/s  (%d ops in %v)\n", w.name, t.name(), rates[i], ops[i], spent[i].Round(time.Millisecond))
		}
		if len(targets) == 2 {
			fmt.Fprintf(qb.out, "%-42s %-9s %10.2f\n", w.name, "ratio", rates[0]/rates[1])
		}
	}
	// Allocations per document of $match + $group, measured on one run.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := ct.matchGroup(ctx); err != nil {
		return err
	}
	runtime.ReadMemStats(&after)
	fmt.Fprintf(qb.out, "$match + $group allocations: %.2f per document (%d allocations, %d bytes, %d documents)\n",
		float64(after.Mallocs-before.Mallocs)/float64(n), after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc, n)
	return nil
}

// concordQueries runs the workloads on embedded Concord.
type concordQueries struct{ coll *concord.Collection }

func (c *concordQueries) name() string { return "concord" }

func (c *concordQueries) load(ctx context.Context, n int) error {
	rng := rand.New(rand.NewPCG(7, 7))
	const batch = 1000
	for i := 0; i < n; i += batch {
		docs := make([]any, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			docs = append(docs, bson.D{{Key: "_id", Value: int32(j)}, {Key: "k", Value: int32(j)},
				{Key: "cat", Value: int32(j % 100)}, {Key: "score", Value: rng.Float64()}})
		}
		if _, err := c.coll.InsertMany(ctx, docs); err != nil {
			return err
		}
	}
	for _, keys := range []bson.D{{{Key: "k", Value: 1}}, {{Key: "cat", Value: 1}, {Key: "score", Value: -1}}} {
		if _, err := c.coll.CreateIndex(ctx, concord.IndexModel{Keys: keys}); err != nil {
			return err
		}
	}
	return nil
}

func (c *concordQueries) point(ctx context.Context, k int) error {
	cur, err := c.coll.Find(ctx, bson.D{{Key: "k", Value: int32(k)}})
	if err != nil {
		return err
	}
	var docs []bson.Raw
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	if len(docs) != 1 {
		return fmt.Errorf("k=%d: %d documents", k, len(docs))
	}
	return nil
}

func (c *concordQueries) topN(ctx context.Context, cat int) error {
	cur, err := c.coll.Find(ctx, bson.D{{Key: "cat", Value: int32(cat)}},
		&concord.FindOptions{Sort: bson.D{{Key: "score", Value: -1}}, Limit: 10})
	if err != nil {
		return err
	}
	var docs []bson.Raw
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	if len(docs) != 10 {
		return fmt.Errorf("cat=%d: %d documents", cat, len(docs))
	}
	return nil
}

func (c *concordQueries) group(ctx context.Context) error {
	return c.aggregate(ctx, bson.A{bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$cat"},
		{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}, {Key: "avg", Value: bson.D{{Key: "$avg", Value: "$score"}}}}}}})
}

// matchGroup is the $match + $group whose allocations are reported: every document matches.
func (c *concordQueries) matchGroup(ctx context.Context) error {
	return c.aggregate(ctx, bson.A{bson.D{{Key: "$match", Value: bson.D{{Key: "score", Value: bson.D{{Key: "$gte", Value: 0.0}}}}}},
		bson.D{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$cat"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
			{Key: "avg", Value: bson.D{{Key: "$avg", Value: "$score"}}}}}}})
}

func (c *concordQueries) aggregate(ctx context.Context, pipeline bson.A) error {
	cur, err := c.coll.Aggregate(ctx, pipeline)
	if err != nil {
		return err
	}
	var docs []bson.Raw
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	if len(docs) != 100 {
		return fmt.Errorf("$group: %d groups, want 100", len(docs))
	}
	return nil
}

// pgQueries runs the workloads on PostgreSQL: a jsonb table with expression indexes on the same fields.
type pgQueries struct{ pool *pgxpool.Pool }

func (p *pgQueries) name() string { return "postgres" }

func (p *pgQueries) load(ctx context.Context, n int) error {
	for _, q := range []string{
		"DROP TABLE IF EXISTS bench_q",
		"CREATE TABLE bench_q (id int PRIMARY KEY, doc jsonb NOT NULL)",
	} {
		if _, err := p.pool.Exec(ctx, q); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	rows := make([][]any, 0, n)
	for j := 0; j < n; j++ {
		doc := fmt.Sprintf(`{"k": %d, "cat": %d, "score": %v}`, j, j%100, rng.Float64())
		rows = append(rows, []any{int32(j), doc})
	}
	if _, err := p.pool.CopyFrom(ctx, pgx.Identifier{"bench_q"}, []string{"id", "doc"}, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	for _, q := range []string{
		"CREATE INDEX ON bench_q (((doc->>'k')::int))",
		"CREATE INDEX ON bench_q (((doc->>'cat')::int), ((doc->>'score')::float8) DESC)",
		"ANALYZE bench_q",
	} {
		if _, err := p.pool.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (p *pgQueries) point(ctx context.Context, k int) error {
	rows, err := p.pool.Query(ctx, "SELECT doc FROM bench_q WHERE (doc->>'k')::int = $1", k)
	if err != nil {
		return err
	}
	return countRows(rows, 1)
}

func (p *pgQueries) topN(ctx context.Context, cat int) error {
	rows, err := p.pool.Query(ctx, "SELECT doc FROM bench_q WHERE (doc->>'cat')::int = $1 ORDER BY (doc->>'score')::float8 DESC LIMIT 10", cat)
	if err != nil {
		return err
	}
	return countRows(rows, 10)
}

func (p *pgQueries) group(ctx context.Context) error {
	rows, err := p.pool.Query(ctx, "SELECT (doc->>'cat')::int, count(*), avg((doc->>'score')::float8) FROM bench_q GROUP BY 1")
	if err != nil {
		return err
	}
	return countRows(rows, 100)
}

// countRows drains rows and checks how many there were.
func countRows(rows pgx.Rows, want int) error {
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("%d rows, want %d", n, want)
	}
	return nil
}
