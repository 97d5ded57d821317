// Package soak runs a mixed workload over the MongoDB wire protocol against a Concord server that it SIGKILLs
// and restarts again and again, then checks that the data kept every promise: every acknowledged write present,
// counters equal to their acknowledged increments (a retried increment applied once), money conserved in every
// snapshot, unique keys unique, registers linearizable and transactions free of the anomalies snapshot isolation
// forbids (internal/checker).
//
// The workload uses the official Go driver, so the same soak can be pointed at a server built any way; the server
// is a child process started by Config.Server.
package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Config says what to soak and for how long. The zero value of each field but Server and Dir means its default.
type Config struct {
	// Server returns the command that serves the database in dir on addr as the replica set "rs0"; it is started
	// once before the first kill and once after each.
	Server func(dir, addr string) *exec.Cmd
	// Dir is the server's data directory, kept across kills.
	Dir string
	// Addr is the address the server listens on (default: a free loopback port).
	Addr string
	// Kills is the number of SIGKILLs (default 10).
	Kills int
	// MinUp and MaxUp bound how long the server runs under load between two kills (default 300 ms to 1.5 s).
	MinUp, MaxUp time.Duration
	// Seed seeds the random choices (default: the time).
	Seed uint64
	// Progress receives a line per kill (default: nothing).
	Progress io.Writer
}

// Report is what a soak did and found.
type Report struct {
	Kills      int
	Duration   time.Duration
	Operations map[string]int64 // acknowledged operations by kind
	Aborted    map[string]int64 // transactions known not to have committed (a conflict, a statement cut off), by kind
	Unknown    map[string]int64 // operations whose outcome the client could not learn, by kind
	Checks     []string         // the checks made, each a sentence with its figures
	Violations []string         // every broken promise; empty when the soak passed
	Details    []string         // what the clients saw around each violation, for its diagnosis
}

// Passed reports whether the soak found no violation.
func (r *Report) Passed() bool { return len(r.Violations) == 0 }

func (r *Report) String() string {
	s := fmt.Sprintf("%d kills in %s\n", r.Kills, r.Duration.Round(time.Millisecond))
	for _, kind := range kinds {
		s += fmt.Sprintf("  %-10s %8d acknowledged %6d aborted %6d unknown\n", kind, r.Operations[kind], r.Aborted[kind], r.Unknown[kind])
	}
	for _, c := range r.Checks {
		s += "  check: " + c + "\n"
	}
	s += fmt.Sprintf("violations: %d\n", len(r.Violations))
	for _, v := range r.Violations {
		s += "  " + v + "\n"
	}
	for _, d := range r.Details {
		s += "  detail: " + d + "\n"
	}
	return s
}

// Run soaks the server as cfg says. An error means the soak could not run (the server did not start, say); a
// broken promise is a violation in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if cfg.Addr == "" {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		cfg.Addr = addr
	}
	start := time.Now()
	srv := &process{cfg: cfg}
	if err := srv.start(ctx); err != nil {
		return nil, err
	}
	defer srv.kill()

	client, err := mongo.Connect(options.Client().
		ApplyURI("mongodb://" + cfg.Addr + "/?replicaSet=rs0").
		SetServerSelectionTimeout(3 * time.Second).
		SetTimeout(10 * time.Second))
	if err != nil {
		return nil, err
	}
	defer client.Disconnect(context.Background())

	w := newWorkload(client, time.Now(), cfg.Seed)
	if err := w.setup(ctx); err != nil {
		return nil, fmt.Errorf("setting up the workload: %w", err)
	}
	wctx, stopWorkers := context.WithCancel(ctx)
	var wg sync.WaitGroup
	w.run(wctx, &wg)

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x50a4))
	kills := 0
	for kills < cfg.Kills && ctx.Err() == nil {
		up := cfg.MinUp + time.Duration(rng.Int64N(int64(cfg.MaxUp-cfg.MinUp)+1))
		select {
		case <-time.After(up):
		case <-ctx.Done():
		}
		before := w.acknowledged()
		w.mu.Lock()
		w.kills = append(w.kills, w.now())
		w.mu.Unlock()
		srv.kill()
		kills++
		if err := srv.start(ctx); err != nil {
			stopWorkers()
			wg.Wait()
			return nil, fmt.Errorf("restart after kill %d: %w", kills, err)
		}
		if err := w.nextEpoch(ctx); err != nil {
			stopWorkers()
			wg.Wait()
			return nil, fmt.Errorf("after kill %d: %w", kills, err)
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "kill %d/%d after %s up: %d operations acknowledged so far\n",
				kills, cfg.Kills, up.Round(time.Millisecond), before)
		}
	}
	// A last stretch without kills lets operations that were waiting on the restart finish.
	time.Sleep(cfg.MinUp)
	stopWorkers()
	wg.Wait()

	rep := &Report{Kills: kills, Operations: map[string]int64{}, Aborted: map[string]int64{}, Unknown: map[string]int64{}}
	for i, kind := range kinds {
		rep.Operations[kind] = w.acked[i].Load()
		rep.Aborted[kind] = w.aborted[i].Load()
		rep.Unknown[kind] = w.unknown[i].Load()
	}
	if err := w.check(context.Background(), rep); err != nil {
		return nil, fmt.Errorf("checking: %w", err)
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

func (c *Config) defaults() {
	if c.Kills == 0 {
		c.Kills = 10
	}
	if c.MinUp == 0 {
		c.MinUp = 300 * time.Millisecond
	}
	if c.MaxUp < c.MinUp {
		c.MaxUp = max(c.MinUp, 1500*time.Millisecond)
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// process is the server child.
type process struct {
	cfg  Config
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs the server and waits until it accepts connections (at most 30 s).
func (p *process) start(ctx context.Context) error {
	cmd := p.cfg.Server(p.cfg.Dir, p.cfg.Addr)
	if err := cmd.Start(); err != nil {
		return err
	}
	p.cmd, p.done = cmd, make(chan struct{})
	exited := atomic.Bool{}
	go func() { cmd.Wait(); exited.Store(true); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", p.cfg.Addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if exited.Load() {
			return fmt.Errorf("the server exited before accepting connections (%v)", cmd.ProcessState)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.kill()
			return errors.Join(errors.New("the server did not accept connections"), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}
