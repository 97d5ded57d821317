package server_test

import (
	"flag"
	"fmt"
	"net"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/wire"
)

var (
	overloadConns = flag.String("overload.conns", "50,300",
		"TestOverload: comma-separated numbers of connections, each run in turn (a documented run: 100,1000,5000,9000)")
	overloadFor = flag.Duration("overload.for", time.Second, "TestOverload: how long each load runs")
)

// TestOverload opens many connections, each running a saturating workload back to back (an upserted $inc on
// one of 100 hot documents, then a find by _id) over its own socket, and checks that the server keeps serving
// every one of them (no operation fails), that the memory open connections hold is bounded per connection, and
// that once they close no goroutine is left behind. It logs throughput and latency per connection count; the
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
	// Serve starts the server's reaper with its first listener: let it run before goroutines are counted.
	mustOK(t, "ping", env.dial(t).cmd(bson.D{{Key: "ping", Value: 1}, {Key: "$db", Value: "admin"}}))
	for _, n := range counts {
		runOverload(t, env, n, *overloadFor)
	}
}

// overloadConn is one client connection of the load: a socket and its request buffers.
type overloadConn struct {
	c     net.Conn
	id    int32
	buf   []byte
	reads []byte
}

// do sends one command and returns an error unless the reply is ok.
func (c *overloadConn) do(cmd bson.D) error {
	body, err := bson.Marshal(cmd)
	if err != nil {
		return err
	}
	c.id++
	c.buf = wire.AppendMsg(c.buf[:0], c.id, 0, 0, body)
	c.c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.c.Write(c.buf); err != nil {
		return err
	}
	_, msg, err := wire.ReadMessage(c.c, c.reads, 0)
	if err != nil {
		return err
	}
	c.reads = msg[:0]
	m, err := wire.ParseMsg(msg)
	if err != nil {
		return err
	}
	if code(m.Body) != 0 {
		return fmt.Errorf("%v", m.Body)
	}
	return nil
}

// runOverload runs the load over n connections for d.
func runOverload(t *testing.T, env *coreEnv, n int, d time.Duration) {
	goroutines, serving := runtime.NumGoroutine(), serverGoroutines()
	heapBefore := heapInUse()

	// Every worker opens its connection and runs one operation before the start, so n connections are open at
	// once, all of them served.
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
			nc, err := net.Dial("tcp", env.addr)
			if err != nil {
				ready.Done()
				fails.Add(1)
				t.Errorf("worker %d: %v", w, err)
				return
			}
			defer nc.Close()
			c := &overloadConn{c: nc}
			id := w % 100
			one := func() error {
				if err := c.do(bson.D{{Key: "update", Value: "c"}, {Key: "$db", Value: "overload"}, {Key: "updates", Value: bson.A{
					bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: id}}}, {Key: "u", Value: bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}}, {Key: "upsert", Value: true}},
				}}}); err != nil {
					return err
				}
				return c.do(bson.D{{Key: "find", Value: "c"}, {Key: "$db", Value: "overload"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: id}}}})
			}
			err = one()
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
				ops.Add(1)
			}
		}(w)
	}
	ready.Wait()
	open := runtime.NumGoroutine() - goroutines
	perConn := int64(heapInUse()-heapBefore) / int64(n)
	t0 := time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)

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
	t.Logf("connections %5d: %7.0f ops/s, p50 %v, p99 %v, max %v (one op = an update and a find); %d KiB heap and %.1f goroutines per open connection (its client's included)",
		n, float64(ops.Load())/elapsed.Seconds(), q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		q(1).Round(time.Microsecond), perConn>>10, float64(open)/float64(n))

	if fails.Load() > 0 {
		t.Fatalf("%d workers failed", fails.Load())
	}
	// A connection costs the server a goroutine and its buffers, the test a goroutine: tens of KiB, not MiB.
	if perConn > 256<<10 {
		t.Errorf("%d KiB of heap per open connection, want at most 256", perConn>>10)
	}
	// Once the clients have gone, the server's connection goroutines end. (Pebble may have started a flush or
	// a compaction meanwhile: only the server's goroutines are counted.)
	deadline := time.Now().Add(10 * time.Second)
	for len(serverGoroutines()) > len(serving) {
		if time.Now().After(deadline) {
			t.Fatalf("%d server goroutines 10 s after %d connections closed, %d before they opened:\n%s",
				len(serverGoroutines()), n, len(serving), strings.Join(serverGoroutines(), "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serverGoroutines returns the stacks of the goroutines running the server's code (its accept loop, reaper
// and connections).
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "concord/server.") && !strings.Contains(g, "concord/server_test.") {
			out = append(out, g)
		}
	}
	return out
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
