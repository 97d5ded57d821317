// Command abspread compares two servers of the PostgreSQL protocol (two Concord builds, or one build with two
// settings) on the spread workload of `concord bench --sql`: it loads the same 100,000-row table into each, then
// runs 32 pgx clients of `UPDATE bench_spread SET n = n + 1 WHERE id = $1` for one-second slices, taking A and B in
// turn (A first in even pairs, B first in odd ones), and prints the median of the per-pair throughput ratios B/A
// with a 95% interval from order statistics, and each server's CPU per update from /proc/<pid>/stat. Run it
// through scripts/ab-spread.sh, which starts both servers (docs/benchmarks.md).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord/internal/sched"
	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuOf is the CPU time process pid has used (0 without a pid).
func cpuOf(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

func open(url string) *pgxpool.Pool {
	cfg, _ := pgxpool.ParseConfig(url)
	cfg.MaxConns = 64
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	pool.Exec(ctx, "DROP TABLE IF EXISTS bench_spread")
	if _, err := pool.Exec(ctx, "CREATE TABLE bench_spread (id int8 PRIMARY KEY, n int8 NOT NULL, pad text)"); err != nil {
		panic(err)
	}
	for lo := 0; lo < 100000; lo += 1000 {
		var b strings.Builder
		b.WriteString("INSERT INTO bench_spread VALUES ")
		for i := lo; i < lo+1000; i++ {
			if i > lo {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, 0, '%s')", i, strings.Repeat("x", 100))
		}
		if _, err := pool.Exec(ctx, b.String()); err != nil {
			panic(err)
		}
	}
	return pool
}

func slice(pool *pgxpool.Pool, d time.Duration, seed uint64) int64 {
	ctx := context.Background()
	var n atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for c := 0; c < 32; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), seed))
			for time.Now().Before(stop) {
				if _, err := pool.Exec(ctx, "UPDATE bench_spread SET n = n + 1 WHERE id = $1", r.IntN(100000)); err != nil {
					panic(err)
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return n.Load()
}

// a and b are the pools of the two servers.
var a, b *pgxpool.Pool

func main() {
	ua := flag.String("a", "", "server A's URL")
	ub := flag.String("b", "", "server B's URL")
	pa := flag.Int("pida", 0, "server A's process id (for its CPU time)")
	pb := flag.Int("pidb", 0, "server B's process id")
	slices := flag.Int("slices", 20, "pairs of one-second slices")
	batchB := flag.Bool("client-batch-b", false, "run this client under SCHED_BATCH during B's slices (A's under SCHED_NORMAL)")
	flag.Parse()
	// run measures one slice of target, under the client policy the flags give it.
	run := func(target *pgxpool.Pool, seed uint64) int64 {
		if *batchB {
			if err := sched.SetBatch(target == b); err != nil {
				log.Fatal(err)
			}
		}
		return slice(target, time.Second, seed)
	}
	a, b = open(*ua), open(*ub)
	slice(a, time.Second, 99)
	slice(b, time.Second, 99)
	var ratios []float64
	var na, nb int64
	var ca, cb time.Duration
	for i := 0; i < *slices; i++ {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		c0 := cpuOf(*pa)
		d0 := cpuOf(*pb)
		x := run(first, uint64(i))
		y := run(second, uint64(i))
		ca += cpuOf(*pa) - c0
		cb += cpuOf(*pb) - d0
		if i%2 == 1 {
			x, y = y, x
		}
		na += x
		nb += y
		ratios = append(ratios, float64(y)/float64(x))
	}
	sort.Float64s(ratios)
	n := len(ratios)
	// The median's 95% interval: the order statistics 1.96 * sqrt(n) / 2 either side of it.
	k := int(1.96 * 0.5 * math.Sqrt(float64(n)))
	lo, hi := ratios[max(0, n/2-k)], ratios[min(n-1, n/2+k)]
	fmt.Printf("A %d ops  B %d ops  B/A median %.3f [%.3f, %.3f]  cpu us/op A %.1f B %.1f\n", na, nb, ratios[n/2], lo, hi,
		float64(ca.Microseconds())/float64(na), float64(cb.Microseconds())/float64(nb))
}
