package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneRuntime checks that GOMAXPROCS is doubled and GOGC raised, and both left alone when the environment
// sets them.
func TestTuneRuntime(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	restore := func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(100)
	}
	defer func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(gc)
	}()

	t.Setenv("GOMAXPROCS", "")
	t.Setenv("GOGC", "")
	tuneRuntime()
	if got := runtime.GOMAXPROCS(0); got != 2*procs {
		t.Fatalf("GOMAXPROCS = %d, want %d", got, 2*procs)
	}
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Fatalf("GOGC = %d, want %d", got, serverGCPercent)
	}
	restore()

	t.Setenv("GOMAXPROCS", "1")
	t.Setenv("GOGC", "100")
	tuneRuntime()
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Fatalf("GOMAXPROCS = %d with the variable set, want it left at %d", got, procs)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC = %d with the variable set, want it left at 100", got)
	}
}
