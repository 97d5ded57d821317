package pgserver_test

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

	"github.com/jackc/pgx/v5/pgproto3"
)

var (
	overloadConns = flag.String("overload.conns", "50,300",
		"TestOverload: comma-separated numbers of connections, each run in turn (a documented run: 100,1000,3000,6000)")
	overloadFor = flag.Duration("overload.for", time.Second, "TestOverload: how long each load runs")
)

// TestOverload opens many PostgreSQL connections, each running a saturating workload back to back (an UPDATE
// ... SET n = n + 1 of one of 100 hot rows, then a SELECT of it, two simple Query messages) over its own
// socket, and checks that the server keeps serving every one of them (no statement fails), that the memory open
// connections hold is bounded per connection, and that once they close no goroutine of the server is left
// behind. It logs throughput and latency per connection count; the figures of docs/reliability.md come from
//
//	go test -run TestOverload -v ./pgserver -overload.conns 100,1000,3000,6000 -overload.for 10s
func TestOverload(t *testing.T) {
	var counts []int
	for _, s := range strings.Split(*overloadConns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			t.Fatalf("-overload.conns: %q", s)
		}
		counts = append(counts, n)
	}
	url, _ := startServer(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "postgres://test@"), "/test?sslmode=disable")
	c := &overloadConn{}
	if err := c.open(addr); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ov VALUES (0, 0)")
	for i := 1; i < 100; i++ {
		fmt.Fprintf(&b, ", (%d, 0)", i)
	}
	for _, q := range []string{"CREATE TABLE ov (k int8 PRIMARY KEY, n int8 NOT NULL)", b.String()} {
		if err := c.query(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c.nc.Close()
	for _, n := range counts {
		runOverload(t, addr, n, *overloadFor)
	}
}

// overloadConn is one client connection of the load: a socket and pgproto3's framing, without a driver's
// caches, so that the memory measured is mostly the server's.
type overloadConn struct {
	nc net.Conn
	fe *pgproto3.Frontend
}

func (c *overloadConn) open(addr string) error {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c.nc, c.fe = nc, pgproto3.NewFrontend(nc, nc)
	c.fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "test", "database": "test"}})
	return c.untilReady()
}

// query runs one simple Query message and fails on an ErrorResponse.
func (c *overloadConn) query(q string) error {
	c.fe.Send(&pgproto3.Query{String: q})
	return c.untilReady()
}

func (c *overloadConn) untilReady() error {
	if err := c.fe.Flush(); err != nil {
		return err
	}
	var failed error
	for {
		msg, err := c.fe.Receive()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			failed = fmt.Errorf("%s %s", m.Code, m.Message)
		case *pgproto3.ReadyForQuery:
			return failed
		}
	}
}

func runOverload(t *testing.T, addr string, n int, d time.Duration) {
	goroutines, serving := runtime.NumGoroutine(), pgGoroutines()
	heapBefore := heapInUse()
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
			c := &overloadConn{}
			err := c.open(addr)
			if c.nc != nil {
				defer c.nc.Close()
			}
			id := w % 100
			one := func() error {
				if err := c.query(fmt.Sprintf("UPDATE ov SET n = n + 1 WHERE k = %d", id)); err != nil {
					return err
				}
				return c.query(fmt.Sprintf("SELECT n FROM ov WHERE k = %d", id))
			}
			if err == nil {
				err = one()
			}
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
	t.Logf("connections %5d: %7.0f ops/s, p50 %v, p99 %v, max %v (one op = an UPDATE and a SELECT); %d KiB heap and %.1f goroutines per open connection (its client's included)",
		n, float64(ops.Load())/elapsed.Seconds(), q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		q(1).Round(time.Microsecond), perConn>>10, float64(open)/float64(n))
	if fails.Load() > 0 {
		t.Fatalf("%d workers failed", fails.Load())
	}
	if perConn > 256<<10 {
		t.Errorf("%d KiB of heap per open connection, want at most 256", perConn>>10)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(pgGoroutines()) > len(serving) {
		if time.Now().After(deadline) {
			t.Fatalf("%d server goroutines 10 s after %d connections closed, %d before they opened:\n%s",
				len(pgGoroutines()), n, len(serving), strings.Join(pgGoroutines(), "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pgGoroutines returns the stacks of the goroutines running pgserver's code (its accept loop and connections).
func pgGoroutines() []string {
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
		if strings.Contains(g, "concord/pgserver.") && !strings.Contains(g, "concord/pgserver_test.") {
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
