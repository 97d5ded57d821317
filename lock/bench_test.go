package lock_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/concorddb/concord/lock"
	"github.com/concorddb/concord/store/storetest"
)

// BenchmarkLocker_AcquireRelease measures one TryAcquire-and-Release round trip on the embedded backend,
// uncontended and with 32 goroutines contending for the same lock (each op is one successful acquisition and
// its release; failed attempts are the contention's cost).
func BenchmarkLocker_AcquireRelease(b *testing.B) {
	for _, contenders := range []int{1, 32} {
		b.Run(fmt.Sprintf("contenders=%d", contenders), func(b *testing.B) {
			be := storetest.Embedded(b)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(max(1, contenders/2)) // GOMAXPROCS is 2 on the reference machine
			if contenders == 1 {
				l := lock.New(be.Store, be.Database, "locks", nil)
				for b.Loop() {
					ls, err := l.TryAcquire(ctx, "bench", time.Minute)
					if err != nil {
						b.Fatal(err)
					}
					if err := ls.Release(ctx); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.RunParallel(func(pb *testing.PB) {
				l := lock.New(be.Store, be.Database, "locks", &lock.Options{MinBackoff: 50 * time.Microsecond, MaxBackoff: time.Millisecond})
				for pb.Next() {
					ls, err := l.Acquire(ctx, "bench", time.Minute, 0)
					if err != nil && !errors.Is(err, lock.ErrHeld) {
						b.Error(err)
						return
					}
					if err := ls.Release(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
