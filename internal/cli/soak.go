package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/concorddb/concord/internal/soak"
)

// Soak runs `concord soak`: a mixed workload over the MongoDB wire protocol against a `concord serve` child that
// is SIGKILLed and restarted --kills times, then the checks of internal/soak. It prints a line per kill and the
// report, and fails when the report holds a violation.
func Soak(args []string) error {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	kills := fs.Int("kills", 100, "number of SIGKILLs")
	dir := fs.String("dir", "", "data directory for the server (default: a new temporary directory, removed afterwards)")
	addr := fs.String("addr", "", "address the server listens on (default: a free loopback port)")
	minUp := fs.Duration("min-up", 300*time.Millisecond, "shortest time the server runs under load between kills")
	maxUp := fs.Duration("max-up", 1500*time.Millisecond, "longest time the server runs under load between kills")
	seed := fs.Uint64("seed", 0, "seed of the random choices (default: the time)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "concord-soak-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	fmt.Printf("soak: %d kills of `concord serve --dir %s`, seed %d\n", *kills, *dir, *seed)
	rep, err := soak.Run(ctx, soak.Config{
		Server: func(dir, addr string) *exec.Cmd {
			cmd := exec.Command(self, "serve", "--dir", dir, "--addr", addr, "--http-addr", "")
			cmd.Stderr = nil // the server's log would drown the progress lines
			return cmd
		},
		Dir: *dir, Addr: *addr, Kills: *kills, MinUp: *minUp, MaxUp: *maxUp, Seed: *seed, Progress: os.Stdout,
	})
	if err != nil {
		return err
	}
	fmt.Print(rep)
	if !rep.Passed() {
		return fmt.Errorf("%d violations", len(rep.Violations))
	}
	return nil
}
