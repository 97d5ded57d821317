package cli

import (
	"runtime"
	"testing"
)

// TestTuneRuntime checks that GOMAXPROCS is doubled, and left alone when the environment sets it.
func TestTuneRuntime(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)

	t.Setenv("GOMAXPROCS", "")
	tuneRuntime()
	if got := runtime.GOMAXPROCS(0); got != 2*before {
		t.Fatalf("GOMAXPROCS = %d, want %d", got, 2*before)
	}
	runtime.GOMAXPROCS(before)

	t.Setenv("GOMAXPROCS", "1")
	tuneRuntime()
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Fatalf("GOMAXPROCS = %d with the variable set, want it left at %d", got, before)
	}
}
