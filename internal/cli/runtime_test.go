package cli

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneRuntime checks that GOMAXPROCS is doubled, GOGC raised and a memory limit of half the machine's
// memory set, and all left alone when the environment sets them.
func TestTuneRuntime(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	restore := func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	defer func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	}()
	restore()

	t.Setenv("GOMAXPROCS", "")
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tuneRuntime()
	if mem := machineMemory(); mem > 0 {
		if got := debug.SetMemoryLimit(-1); got != mem/2 {
			t.Fatalf("memory limit = %d, want half of %d", got, mem)
		}
	} else if _, err := os.Stat("/proc/meminfo"); err == nil {
		t.Fatal("machineMemory found nothing in /proc/meminfo")
	}
	if got := runtime.GOMAXPROCS(0); got != 2*procs {
		t.Fatalf("GOMAXPROCS = %d, want %d", got, 2*procs)
	}
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Fatalf("GOGC = %d, want %d", got, serverGCPercent)
	}
	restore()

	t.Setenv("GOMAXPROCS", "1")
	t.Setenv("GOGC", "100")
	t.Setenv("GOMEMLIMIT", "1GiB")
	tuneRuntime()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit = %d with GOMEMLIMIT set, want it left alone", got)
	}
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Fatalf("GOMAXPROCS = %d with the variable set, want it left at %d", got, procs)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC = %d with the variable set, want it left at 100", got)
	}
}
