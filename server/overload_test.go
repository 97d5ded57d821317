package server_test

import (
	"context"
	"flag"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

var (
	overloadConns = flag.String("overload.conns", "50,300",
		"TestOverload: comma-separated numbers of connections, each run in turn (a documented run: 100,1000,5000,9000)")
	overloadFor = flag.Duration("overload.for", time.Second, "TestOverload: how long each load runs")
)

// TestOverload opens many connections, each running a saturating workload (an upserted $inc on one of 100 hot
// documents, then a read by _id, back to back), and checks that the server keeps serving every one of them (no
// operation fails), that the memory the open connections hold is bounded per connection, and that once the
// clients disconnect no goroutine is left behind. It logs throughput and latency per connection count: the
// figures of docs/reliability.md come from
//
//	go test -run TestOverload -v ./server -overload.conns 100,1000,5000,9000 -overload.for 10s
func TestOverload(t *testing.T) {
	var counts []int
	for _, s := range strings.Split(*overloadConns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			t.Fatalf("-overload.conns: %q", s)
		}
		counts = append(counts, n)
	}
	env := newCoreEnv(t)
	for _, n := range counts {
		runOverload(t, env, n, *overloadFor)
	}
}

// runOverload runs the load over n connections of one client for d.
func runOverload(t *testing.T, env *coreEnv, n int, d time.Duration) {
	ctx := context.Background()
	goroutines := runtime.NumGoroutine()
	heapBefore := heapInUse()

	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + env.addr + "/?directConnection=true").
		SetMaxPoolSize(uint64(n)).SetMaxConnecting(64).SetTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	coll := c.Database("overload").Collection("c")

	// Every worker waits at the barrier holding a connection it has used once, so n connections are open at once.
	var (
		ready sync.WaitGroup
		start = make(chan struct{})
		wg    sync.WaitGroup
		ops   atomic.Int64
		fails atomic.Int64
		lats  = make([][]time.Duration, n)
		stop  atomic.Bool
	)
	ready.Add(n)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			id := w % 100
			one := func() error {
				if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}},
					options.UpdateOne().SetUpsert(true)); err != nil {
					return err
				}
				return coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err()
			}
			err := one()
			ready.Done()
			if err != nil {
				fails.Add(1)
				t.Errorf("worker %d: %v", w, err)
				return
			}
			<-start
			for !stop.Load() {
				t0 := time.Now()
				if err := one(); err != nil {
					fails.Add(1)
					t.Errorf("worker %d: %v", w, err)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
				ops.Add(2)
			}
		}(w)
	}
	ready.Wait()
	open := runtime.NumGoroutine() - goroutines
	perConn := (heapInUse() - heapBefore) / uint64(n)
	t0 := time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	if err := c.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}

	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(p*float64(len(all)-1))]
	}
	t.Logf("connections %5d: %8.0f ops/s, p50 %v, p99 %v, max %v (one op = update + read); %d KiB heap and %.1f goroutines per open connection (client and server)",
		n, float64(ops.Load())/elapsed.Seconds(), q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		q(1).Round(time.Microsecond), perConn>>10, float64(open)/float64(n))

	if fails.Load() > 0 {
		t.Fatalf("%d workers failed", fails.Load())
	}
	// A connection costs the server a goroutine and buffers, the client its pool entry: tens of KiB, not MiB.
	if perConn > 256<<10 {
		t.Errorf("%d KiB of heap per open connection, want at most 256", perConn>>10)
	}
	// Once the client has gone, the server's connection goroutines end (the client's pool closed at once).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 10 s after %d connections closed, %d before they opened", runtime.NumGoroutine(), n, goroutines)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
