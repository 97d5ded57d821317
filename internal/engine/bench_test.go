package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// openBench opens a durable on-disk engine in b.TempDir().
func openBench(b *testing.B) *engine.Engine {
	b.Helper()
	e, err := engine.Open(engine.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// runClients runs b.N operations split over clients goroutines and reports
// ops/s.
func runClients(b *testing.B, clients int, opFn func(client int, i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := opFn(c, int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

// BenchmarkUpdateOne measures durable $inc updates by _id: all clients on one
// hot document, and spread over 100,000 documents.
func BenchmarkUpdateOne(b *testing.B) {
	ctx := context.Background()
	inc := doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})
	for _, shape := range []string{"hot", "spread"} {
		for _, clients := range []int{1, 8, 32, 128} {
			b.Run(fmt.Sprintf("%s/clients=%d", shape, clients), func(b *testing.B) {
				e := openBench(b)
				ndocs := 1
				if shape == "spread" {
					ndocs = 100_000
				}
				benchLoad(b, e, ndocs)
				filters := make([]bson.Raw, ndocs)
				for i := range filters {
					filters[i] = doc(bson.D{{Key: "_id", Value: i}})
				}
				runClients(b, clients, func(c, i int) error {
					f := filters[0]
					if ndocs > 1 {
						f = filters[rand.IntN(ndocs)]
					}
					res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{Filter: f, Update: inc}, nil)
					if err == nil && res.Modified != 1 {
						err = fmt.Errorf("modified %d", res.Modified)
					}
					return err
				})
			})
		}
	}
}

// benchLoad inserts n documents {_id: i, v: 0} in batches.
func benchLoad(b *testing.B, e *engine.Engine, n int) {
	b.Helper()
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		var docs []bson.Raw
		for i := lo; i < lo+batch && i < n; i++ {
			docs = append(docs, doc(bson.D{{Key: "_id", Value: i}, {Key: "v", Value: 0}, {Key: "balance", Value: 1000}}))
		}
		if _, err := e.Insert(context.Background(), nil, ns, docs, true, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransfer measures transactions moving money between two of 1,000
// accounts; transient conflicts are retried and the total is checked.
func BenchmarkTransfer(b *testing.B) {
	ctx := context.Background()
	for _, clients := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			e := openBench(b)
			const accounts = 1000
			benchLoad(b, e, accounts)
			var retries atomic.Int64
			runClients(b, clients, func(c, i int) error {
				from := rand.IntN(accounts)
				to := (from + 1 + rand.IntN(accounts-1)) % accounts
				for {
					err := transfer(ctx, e, from, to, 1)
					if err == nil {
						return nil
					}
					if !codes.IsTransientTransactionError(err) {
						return err
					}
					retries.Add(1)
				}
			})
			b.ReportMetric(float64(retries.Load())/float64(b.N), "retries/op")
			sum := 0
			for _, d := range findAll(b, e, nil, nil) {
				sum += int(intField(b, d, "balance"))
			}
			if sum != accounts*1000 {
				b.Fatalf("money not conserved: %d", sum)
			}
		})
	}
}

// transfer moves amount from one account to another in a transaction.
func transfer(ctx context.Context, e *engine.Engine, from, to, amount int) error {
	tx := e.Begin()
	for _, step := range []struct{ id, delta int }{{from, -amount}, {to, amount}} {
		_, err := e.Update(ctx, tx, ns, engine.UpdateSpec{
			Filter: doc(bson.D{{Key: "_id", Value: step.id}}),
			Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: step.delta}}}}),
		}, nil)
		if err != nil {
			tx.Abort()
			return err
		}
	}
	return tx.Commit(ctx)
}
