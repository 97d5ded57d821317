package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/cputime"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/monitor"
)

// Bench runs the benchmark workloads on Concord (embedded, and over the wire with --wire) and, with --pg, on
// PostgreSQL in the same run, and prints throughput and ratios. Every run checks that no acknowledged update was
// lost: the hot counter equals the acknowledged increments, the spread counters sum to them, and transfers
// conserve the total.
func Bench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var (
		workloads = fs.String("workloads", "hot,spread,transfer", "comma-separated workloads: hot, spread, transfer")
		clients   = fs.String("clients", "1,8,32,128", "comma-separated client counts for the hot workload")
		spreadN   = fs.Int("spread-clients", 32, "clients for the spread and transfer workloads")
		duration  = fs.Duration("duration", 5*time.Second, "how long each measurement runs")
		docs      = fs.Int("docs", 100_000, "documents for the spread workload")
		accounts  = fs.Int("accounts", 1_000, "accounts for the transfer workload")
		dir       = fs.String("dir", "", "data directory for Concord (default: a temporary directory, removed afterwards)")
		pgURL     = fs.String("pg", "", "PostgreSQL URL: run the same workloads on PostgreSQL (synchronous_commit on); with --sql, a URL whose host is a socket directory (?host=/dir) runs both servers over Unix-domain sockets")
		wire      = fs.Bool("wire", false, "also run Concord over the MongoDB wire protocol with the official Go driver")
		withAuth  = fs.Bool("auth", false, "with --wire, also run the wire target with --auth (one SCRAM-SHA-256 authentication per connection) and report connection setup times")
		noEmbed   = fs.Bool("no-embedded", false, "skip the embedded (in-process API) Concord runs")
		watch     = fs.Bool("watch", false, "with --wire, add a wire target with a change stream open on each workload's collection, read by one client, and check that it delivers every update")
		cpuProf   = fs.String("cpuprofile", "", "write a CPU profile of the whole run (every target) to this file")
		slices    = fs.Int("slices", 10, "split each measurement into this many slices, taking the targets in turn")
		untracked = fs.Bool("tracking-off", false, "add an embedded target with contention tracking off (latency histograms, waits, hot documents): the cost check")
		queries   = fs.Bool("queries", false, "run the read-query workloads instead (point lookup, indexed range with sort and limit, $group) on --docs documents, beside PostgreSQL with --pg")
		httpAddr  = fs.String("http-addr", "", "serve the embedded target's /metrics and dashboard here while measuring, scraping /metrics and polling the dashboard's /api/status every second (the cost check)")
		sqlMode   = fs.Bool("sql", false, "run the workloads as SQL with pgx: Concord's PostgreSQL port beside PostgreSQL (--pg), the same client code (REPEATABLE READ transfers retried on 40001); the embedded target is skipped")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *queries {
		if *slices < 1 {
			return fmt.Errorf("bad --slices %d", *slices)
		}
		tuneRuntime()
		return runQueryBench(context.Background(), *docs, *duration, *slices, *dir, *pgURL)
	}
	hotClients, err := parseInts(*clients)
	if err != nil {
		return err
	}
	if *slices < 1 {
		return fmt.Errorf("bad --slices %d", *slices)
	}
	cfg := benchConfig{docs: *docs, accounts: *accounts, duration: *duration, slices: *slices}

	tuneRuntime()
	var targets []benchTarget
	if *sqlMode {
		*noEmbed = true
		// Concord's PostgreSQL port is reached as --pg reaches PostgreSQL: both over loopback TCP, or both over
		// Unix-domain sockets.
		unix := false
		if *pgURL != "" {
			if unix, err = overUnixSocket(*pgURL); err != nil {
				return fmt.Errorf("--pg: %w", err)
			}
		}
		t, err := openConcordSQLTarget(*dir, unix)
		if err != nil {
			return err
		}
		targets = append(targets, t)
		if unix {
			fmt.Println("transport: Unix-domain sockets, for both servers")
		} else {
			fmt.Println("transport: loopback TCP")
		}
	}
	if !*noEmbed {
		t, err := openConcordTarget(*dir, "concord")
		if err != nil {
			return err
		}
		targets = append(targets, t)
		if *httpAddr != "" {
			l, err := net.Listen("tcp", *httpAddr)
			if err != nil {
				return fmt.Errorf("--http-addr: %w", err)
			}
			hs := &http.Server{Handler: &monitor.Handler{DB: t.db}, ReadHeaderTimeout: 10 * time.Second}
			go hs.Serve(l)
			defer hs.Close()
			stopPoll := pollMonitor("http://"+l.Addr().String(), time.Second)
			defer stopPoll()
			fmt.Printf("metrics and dashboard of the embedded target on http://%s/ (scraped and polled every second)\n", l.Addr())
		}
		if *untracked {
			u, err := openConcordTarget("", "concord-untracked")
			if err != nil {
				return err
			}
			frontend.SetContentionTracking(u.db, false)
			targets = append(targets, u)
		}
	}
	var plainWire, authWire *wireTarget
	if *wire {
		t, err := openWireTarget(*dir, false, false, nil)
		if err != nil {
			return err
		}
		targets = append(targets, t)
		plainWire = t
		if *watch {
			tw, err := openWireTarget(*dir, false, true, nil)
			if err != nil {
				return err
			}
			targets = append(targets, tw)
		}
		if *withAuth {
			// On the plain wire target's DB: the comparison is of access control alone (see openWireTarget).
			ta, err := openWireTarget(*dir, true, false, plainWire.embedded)
			if err != nil {
				return err
			}
			targets = append(targets, ta)
			authWire = ta
		}
	}
	switch {
	case *pgURL != "" && *sqlMode:
		t, err := openPostgresSQLTarget(*pgURL)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	case *pgURL != "":
		t, err := openPostgresTarget(*pgURL)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	defer func() {
		// In reverse: a target serving another's DB closes before the DB's owner.
		for i := len(targets) - 1; i >= 0; i-- {
			targets[i].Close()
		}
	}()
	if len(targets) == 0 {
		return errors.New("nothing to run: give --pg, --wire, or leave the embedded run on")
	}

	host, _ := os.Hostname()
	fmt.Printf("concord bench: %s, %d CPUs (GOMAXPROCS %d), %s per measurement, host %s\n",
		runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), *duration, host)
	fmt.Printf("cpu: %s\n\n", cpuModel())
	if authWire != nil {
		if err := printConnectionSetup(plainWire, authWire); err != nil {
			return err
		}
	}

	type key struct{ workload, target string }
	results := map[key]benchResult{}
	var rows []string
	for _, w := range strings.Split(*workloads, ",") {
		w = strings.TrimSpace(w)
		var runs []benchRun
		switch w {
		case "hot":
			for _, c := range hotClients {
				runs = append(runs, benchRun{workload: "hot", clients: c})
			}
		case "spread":
			runs = append(runs, benchRun{workload: "spread", clients: *spreadN})
		case "transfer":
			runs = append(runs, benchRun{workload: "transfer", clients: *spreadN})
		default:
			return fmt.Errorf("unknown workload %q", w)
		}
		for _, r := range runs {
			label := fmt.Sprintf("%s/clients=%d", r.workload, r.clients)
			rows = append(rows, label)
			res, err := runBench(targets, r, cfg)
			if err != nil {
				return fmt.Errorf("%s: %w", label, err)
			}
			for i, t := range targets {
				results[key{label, t.Name()}] = res[i]
				fmt.Printf("%-22s %-16s %10.0f ops/s  p50 %6.2f ms  p99 %6.2f ms  %s  %s\n",
					label, t.Name(), res[i].opsPerSec, res[i].p50.Seconds()*1e3, res[i].p99.Seconds()*1e3,
					res[i].cpu.describe(res[i].ops), res[i].check)
			}
		}
	}

	// The summary: throughput, every target beside the last one (the peer, when --pg is given) as a ratio, and
	// the machine's CPU time per operation.
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	header := "workload"
	for _, t := range targets {
		header += "\t" + t.Name() + " ops/s"
	}
	peer := targets[len(targets)-1].Name()
	if *pgURL != "" {
		for _, t := range targets[:len(targets)-1] {
			header += "\t" + t.Name() + "/" + peer
		}
	}
	for _, t := range targets {
		header += "\t" + t.Name() + " cpu us/op"
	}
	fmt.Fprintln(tw, header)
	for _, row := range rows {
		line := row
		for _, t := range targets {
			line += fmt.Sprintf("\t%.0f", results[key{row, t.Name()}].opsPerSec)
		}
		if *pgURL != "" {
			p := results[key{row, peer}].opsPerSec
			for _, t := range targets[:len(targets)-1] {
				line += fmt.Sprintf("\t%.2fx", results[key{row, t.Name()}].opsPerSec/p)
			}
		}
		for _, t := range targets {
			res := results[key{row, t.Name()}]
			line += fmt.Sprintf("\t%.0f", res.cpu.perOp(res.ops))
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(targets) > 1 && cfg.slices >= minPairedSlices {
		names := make([]string, len(targets))
		for i, t := range targets {
			names[i] = t.Name()
		}
		return printPaired(os.Stdout, names, rows, func(row, target string) []slice { return results[key{row, target}].slices })
	}
	return nil
}

// benchTarget is one system under measurement. Each method runs one operation of a workload and returns once it
// is acknowledged (durable). Setup creates the workload's data afresh; Verify checks nothing acknowledged was lost.
type benchTarget interface {
	Name() string
	Setup(ctx context.Context, workload string, cfg benchConfig) error
	Hot(ctx context.Context) error
	Spread(ctx context.Context, id int) error
	Transfer(ctx context.Context, from, to, amount int) error
	// Verify returns a short description of the check, or an error when acked operations are missing.
	Verify(ctx context.Context, workload string, cfg benchConfig, acked int64) (string, error)
	Close()
}

type benchConfig struct {
	docs, accounts int
	// duration is each target's measured time for a run, split into slices taken in turn by the targets.
	duration time.Duration
	slices   int
}

type benchRun struct {
	workload string
	clients  int
}

type benchResult struct {
	ops       int64
	opsPerSec float64
	p50, p99  time.Duration
	check     string
	// cpu is the machine's CPU time during the target's slices.
	cpu cpuTimes
	// slices are the target's slices in order, without their latencies: slice s of every target ran in the
	// same turn, side by side (bench_paired.go compares them pairwise).
	slices []slice
}

// initialBalance is every account's starting balance in the transfer workload.
const initialBalance = 1000

// runBench sets the workload up on every target, measures them in turn, slice after slice, so that a slow
// spell of a shared machine falls on all of them alike, then checks each for lost updates. The order of the
// targets alternates from slice to slice, so none always runs right after another's load.
func runBench(targets []benchTarget, r benchRun, cfg benchConfig) ([]benchResult, error) {
	ctx := context.Background()
	for _, t := range targets {
		if err := t.Setup(ctx, r.workload, cfg); err != nil {
			return nil, fmt.Errorf("setup %s: %w", t.Name(), err)
		}
	}
	slices := max(1, cfg.slices)
	sliceDur := cfg.duration / time.Duration(slices)
	// One unmeasured warm-up slice per target before the measured ones: the driver's pool opens (and, with
	// auth, authenticates) its connections, caches fill, and the setup's bulk load is behind every target
	// alike, instead of falling on the first measured slices, and more on some targets than on others. Its
	// acknowledged operations count for Verify only.
	warm := make([]int64, len(targets))
	for i, t := range targets {
		sl, err := runSlice(t, r, cfg, min(sliceDur, maxWarmup), uint64(slices*r.clients))
		if err != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", t.Name(), err)
		}
		warm[i] = sl.ops
	}
	totals := make([]slice, len(targets))
	perSlice := make([][]slice, len(targets))
	tty := isTerminal(os.Stderr)
	for s := 0; s < slices; s++ {
		if tty {
			// A progress line on the terminal, overwritten slice after slice and cleared at the end.
			fmt.Fprintf(os.Stderr, "\r\x1b[K%s/clients=%d: slice %d of %d (%v each per target)", r.workload, r.clients, s+1, slices, sliceDur)
		}
		for k := range targets {
			i := k
			if s%2 == 1 {
				i = len(targets) - 1 - k
			}
			sl, err := runSlice(targets[i], r, cfg, sliceDur, uint64(s*r.clients))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", targets[i].Name(), err)
			}
			tt := &totals[i]
			tt.ops += sl.ops
			tt.elapsed += sl.elapsed
			tt.latency = append(tt.latency, sl.latency...)
			tt.cpu = tt.cpu.plus(sl.cpu)
			tt.proc += sl.proc
			perSlice[i] = append(perSlice[i], slice{ops: sl.ops, elapsed: sl.elapsed, proc: sl.proc})
		}
	}
	if tty {
		fmt.Fprint(os.Stderr, "\r\x1b[K")
	}
	out := make([]benchResult, len(targets))
	for i, t := range targets {
		tt := totals[i]
		check, err := t.Verify(ctx, r.workload, cfg, tt.ops+warm[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name(), err)
		}
		out[i] = benchResult{ops: tt.ops, opsPerSec: float64(tt.ops) / tt.elapsed.Seconds(), check: check, cpu: tt.cpu,
			p50: percentile(tt.latency, 0.50), p99: percentile(tt.latency, 0.99), slices: perSlice[i]}
	}
	return out, nil
}

// maxWarmup bounds runBench's warm-up slice.
const maxWarmup = time.Second

// slice is what one slice of a measurement saw, or the sum of a target's slices.
type slice struct {
	ops     int64
	elapsed time.Duration
	latency []time.Duration
	cpu     cpuTimes
	// proc is the bench process's own CPU time (user and system): its clients' and, for a target served in
	// process (concord, concord-wire and its variants), the server's, and none of the neighbours'.
	proc time.Duration
}

// runSlice runs r.clients clients on t for d and returns the operations they had acknowledged when the last
// one stopped.
func runSlice(t benchTarget, r benchRun, cfg benchConfig, d time.Duration, seed uint64) (slice, error) {
	ctx := context.Background()
	var (
		acked    atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		latency  []time.Duration
		firstErr error
	)
	cpu0, proc0 := readCPUTimes(), cputime.Process()
	start := time.Now()
	for c := 0; c < r.clients; c++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, seed*7919+1))
			var mine []time.Duration
			for !stop.Load() {
				t0 := time.Now()
				var err error
				switch r.workload {
				case "hot":
					err = t.Hot(ctx)
				case "spread":
					err = t.Spread(ctx, rng.IntN(cfg.docs))
				case "transfer":
					from := rng.IntN(cfg.accounts)
					to := rng.IntN(cfg.accounts - 1)
					if to >= from {
						to++
					}
					err = t.Transfer(ctx, from, to, 1+rng.IntN(10))
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					stop.Store(true)
					return
				}
				acked.Add(1)
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latency = append(latency, mine...)
			mu.Unlock()
		}(seed + uint64(c) + 1)
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	sl := slice{ops: acked.Load(), elapsed: time.Since(start), latency: latency, cpu: readCPUTimes().since(cpu0),
		proc: cputime.Process() - proc0}
	return sl, firstErr
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[int(float64(len(d)-1)*q)]
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad client count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.Index(line, ":"); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return "unknown"
}

// connectionSetupClients is how many new clients printConnectionSetup times per target.
const connectionSetupClients = 20

// printConnectionSetup prints the mean time a new client takes to connect and run its first write, without and
// with SCRAM-SHA-256 at mongod's iteration count.
func printConnectionSetup(plain, withAuth *wireTarget) error {
	ctx := context.Background()
	p, err := plain.connectionSetup(ctx, connectionSetupClients)
	if err != nil {
		return err
	}
	a, err := withAuth.connectionSetup(ctx, connectionSetupClients)
	if err != nil {
		return err
	}
	fmt.Printf("connection setup (new client, first write; mean of %d): %v without auth, %v with SCRAM-SHA-256 (%d iterations)\n\n",
		connectionSetupClients, p.Round(10*time.Microsecond), a.Round(10*time.Microsecond), auth.IterationsSHA256)
	return nil
}

// pollMonitor fetches base's /metrics and /api/status every interval, as a Prometheus server and an open
// dashboard do, until the returned function is called; the cost check measures the engine while it happens.
func pollMonitor(base string, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			for _, path := range []string{"/metrics", "/api/status"} {
				resp, err := http.Get(base + path)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
