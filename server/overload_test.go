package server_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/wire"
)

var (
	overloadConns = flag.String("overload.conns", "50,300",
		"TestOverload: comma-separated numbers of connections, each run in turn (a documented run: 100,1000,5000,9000)")
	overloadFor        = flag.Duration("overload.for", time.Second, "TestOverload: how long each load runs")
	overloadClientProc = flag.Bool("overload.clientproc", false, "TestOverload: run the clients in a child process even when their descriptors fit in this one's")
)

// TestOverload opens many connections, each running a saturating workload back to back (an upserted $inc on
// one of 100 hot documents, then a find by _id) over its own socket, and checks that the server keeps serving
// every one of them (no operation fails), that the memory open connections hold is bounded per connection, and
// that once they close no goroutine is left behind. It logs throughput and latency per connection count; the
// figures of docs/reliability.md come from
//
//	go test -run TestOverload -v ./server -overload.conns 100,1000,5000,10000 -overload.for 10s
//
// Past what one process's open-file limit holds (the soft limit is raised to the hard one), the clients run in
// a child process.
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

// loadResult is what a load measured.
type loadResult struct {
	Ops      int64         `json:"ops"`
	Elapsed  time.Duration `json:"elapsed"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	Max      time.Duration `json:"max"`
	Fails    int64         `json:"fails"`
	FirstErr string        `json:"firstErr,omitempty"`
}

// runLoad opens n connections to addr, each running one operation before the start so that n connections are
// open at once, all of them served; then calls ready, runs the load for d and returns what it measured.
func runLoad(addr string, n int, d time.Duration, ready func()) loadResult {
	var (
		opened   sync.WaitGroup
		start    = make(chan struct{})
		wg       sync.WaitGroup
		ops      atomic.Int64
		fails    atomic.Int64
		firstErr atomic.Pointer[string]
		lats     = make([][]time.Duration, n)
		stop     atomic.Bool
	)
	fail := func(w int, err error) {
		fails.Add(1)
		msg := fmt.Sprintf("worker %d: %v", w, err)
		firstErr.CompareAndSwap(nil, &msg)
	}
	opened.Add(n)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				opened.Done()
				fail(w, err)
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
			opened.Done()
			if err != nil {
				fail(w, err)
				return
			}
			<-start
			for !stop.Load() {
				t0 := time.Now()
				if err := one(); err != nil {
					fail(w, err)
					return
				}
				lats[w] = append(lats[w], time.Since(t0))
				ops.Add(1)
			}
		}(w)
	}
	opened.Wait()
	ready()
	t0 := time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	res := loadResult{Ops: ops.Load(), Elapsed: time.Since(t0), Fails: fails.Load()}
	if e := firstErr.Load(); e != nil {
		res.FirstErr = *e
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
	res.P50, res.P99, res.Max = q(0.50), q(0.99), q(1)
	return res
}

// overloadClientEnv names the environment variable that makes the test binary a load client (TestMain): it
// holds "addr connections nanoseconds".
const overloadClientEnv = "CONCORD_OVERLOAD_CLIENT"

// overloadClientMain runs the load a parent TestOverload asked for in overloadClientEnv: it prints "ready"
// once every connection is open and served, starts the load when a line arrives on stdin and prints the
// loadResult as JSON.
func overloadClientMain(spec string) int {
	var (
		addr string
		n    int
		d    int64
	)
	if _, err := fmt.Sscanf(spec, "%s %d %d", &addr, &n, &d); err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", overloadClientEnv, spec, err)
		return 2
	}
	raiseFDLimit()
	res := runLoad(addr, n, time.Duration(d), func() {
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
	})
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// raiseFDLimit raises the soft limit on open files to the hard one: every connection is a descriptor.
func raiseFDLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return lim.Cur
}

// runOverload runs the load over n connections for d: in this process, or in a child process (the test binary
// run as a load client) when the clients' descriptors would not fit beside the server's under the limit on
// open files, or when -overload.clientproc asks for it. Heap and goroutines per connection are then the
// server's alone.
func runOverload(t *testing.T, env *coreEnv, n int, d time.Duration) {
	goroutines, serving := runtime.NumGoroutine(), serverGoroutines()
	heapBefore := heapInUse()
	limit := raiseFDLimit()
	separate := *overloadClientProc || uint64(2*n+256) > limit

	var open int
	var perConn int64
	measure := func() {
		open = runtime.NumGoroutine() - goroutines
		perConn = int64(heapInUse()-heapBefore) / int64(n)
	}
	var res loadResult
	if !separate {
		res = runLoad(env.addr, n, d, measure)
	} else {
		res = runLoadInChild(t, env.addr, n, d, measure)
	}
	who := "its client's included"
	if separate {
		who = "the server's alone: the clients ran in another process"
	}
	t.Logf("connections %5d: %7.0f ops/s, p50 %v, p99 %v, max %v (one op = an update and a find); %d KiB heap and %.1f goroutines per open connection (%s)",
		n, float64(res.Ops)/res.Elapsed.Seconds(), res.P50.Round(time.Microsecond), res.P99.Round(time.Microsecond),
		res.Max.Round(time.Microsecond), perConn>>10, float64(open)/float64(n), who)

	if res.Fails > 0 {
		t.Fatalf("%d workers failed; the first: %s", res.Fails, res.FirstErr)
	}
	// A connection costs the server a goroutine and its buffers, the test a goroutine: tens of KiB, not MiB.
	if perConn > 256<<10 {
		t.Errorf("%d KiB of heap per open connection, want at most 256", perConn>>10)
	}
	// Once the clients have gone, the server's connection goroutines end. (Pebble may have started a flush or
	// a compaction meanwhile: only the server's goroutines are counted.)
	deadline := time.Now().Add(30 * time.Second)
	for len(serverGoroutines()) > len(serving) {
		if time.Now().After(deadline) {
			t.Fatalf("%d server goroutines 30 s after %d connections closed, %d before they opened:\n%s",
				len(serverGoroutines()), n, len(serving), strings.Join(serverGoroutines(), "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runLoadInChild runs the load in a child process: this test binary with overloadClientEnv set.
func runLoadInChild(t *testing.T, addr string, n int, d time.Duration, ready func()) loadResult {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d", overloadClientEnv, addr, n, d.Nanoseconds()))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		cmd.Process.Kill()
		t.Fatalf("load client: %q, %v; want ready", line, err)
	}
	ready()
	fmt.Fprintln(stdin, "go")
	var res loadResult
	if err := json.NewDecoder(out).Decode(&res); err != nil {
		cmd.Process.Kill()
		t.Fatalf("load client's result: %v", err)
	}
	return res
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
