package occ_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

// BenchmarkCollection_UpdateOne compares, on the embedded backend and without contention, a versioned update
// through the toolkit with the raw UpdateOne it issues (same filter, same update, built per operation as the
// toolkit builds it), and with Modify, which also reads the document and diffs it.
func BenchmarkCollection_UpdateOne(b *testing.B) {
	ctx := context.Background()
	setup := func(b *testing.B) *occ.Collection {
		be := storetest.Embedded(b)
		c := occ.New(be.Store, be.Database, "bench", &occ.Options{Metrics: &occ.Metrics{}})
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: int64(0)}, {Key: "name", Value: "a document of a realistic size"}}); err != nil {
			b.Fatal(err)
		}
		return c
	}
	b.Run("raw", func(b *testing.B) {
		c := setup(b)
		raw := c.Unversioned()
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := range b.N {
			v := int64(i + 1)
			filter := bson.D{{Key: "_id", Value: 1}, {Key: "version", Value: v}}
			update := bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: v}}}, {Key: "$inc", Value: bson.D{{Key: "version", Value: int64(1)}}}}
			if res, err := raw.UpdateOne(ctx, filter, update, nil); err != nil || res.Matched != 1 {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("versioned", func(b *testing.B) {
		c := setup(b)
		b.ReportAllocs()
		defer reportCPU(b)()
		for i := range b.N {
			v := int64(i + 1)
			if _, err := c.UpdateOne(ctx, 1, v, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: v}}}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("modify", func(b *testing.B) {
		c := setup(b)
		type doc struct {
			N int64 `bson:"n"`
		}
		b.ReportAllocs()
		defer reportCPU(b)()
		for range b.N {
			if _, err := occ.Modify(ctx, c, 1, func(d *doc) error { d.N++; return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkModify_Contended has 32 goroutines increment one versioned document on the embedded backend, each
// with Modify and a retry policy that never gives up (1 ms base, 20 ms cap), beside the raw $inc the server
// would apply without reading. It reports goodput (successful saves per second) and retries per save.
func BenchmarkModify_Contended(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, op func(c *occ.Collection) error) *occ.Collection {
		be := storetest.Embedded(b)
		c := occ.New(be.Store, be.Database, "hot", &occ.Options{Metrics: &occ.Metrics{},
			Retry: &occ.Retry{MaxRetries: 1 << 30, Base: time.Millisecond, Factor: 2, Max: 20 * time.Millisecond}})
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: int64(0)}}); err != nil {
			b.Fatal(err)
		}
		var saves atomic.Int64
		b.SetParallelism((32 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)) // at least 32 goroutines
		b.ResetTimer()
		defer reportCPU(b)()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(c); err != nil {
					b.Error(err)
					return
				}
				saves.Add(1)
			}
		})
		b.ReportMetric(float64(saves.Load())/time.Since(start).Seconds(), "saves/s")
		return c
	}
	b.Run("raw_inc", func(b *testing.B) {
		run(b, func(c *occ.Collection) error {
			_, err := c.Unversioned().UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}}, nil)
			return err
		})
	})
	b.Run("modify_retry", func(b *testing.B) {
		type doc struct {
			N int64 `bson:"n"`
		}
		c := run(b, func(c *occ.Collection) error {
			_, err := occ.Modify(ctx, c, 1, func(d *doc) error { d.N++; return nil })
			return err
		})
		m := c.Metrics().Collection(c.Namespace())
		b.ReportMetric(float64(m.Retries)/float64(b.N), "retries/save")
	})
}

// reportCPU starts measuring the process's CPU time (user and system, every goroutine, Pebble's included);
// the function it returns reports it per operation as cpu-ns/op. Wall time per operation is at the mercy of
// whatever else runs on the machine; CPU time much less so.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	b.ResetTimer()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
