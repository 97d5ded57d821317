package cli

import (
	"os"
	"runtime"
)

// tuneRuntime sets the Go runtime for a process that hosts a Concord server: `concord serve`, and `concord
// bench`, whose wire target runs the server in-process.
//
// It doubles GOMAXPROCS unless the GOMAXPROCS environment variable sets it. Pebble's WAL writer spends most of
// a busy server's time blocked in fdatasync (a spread-update run over the wire: about 90% of its wall time), and
// a goroutine in a blocking system call keeps its P until the runtime's monitor takes it back; with one P per
// core, that leaves a core idle while other goroutines wait to run. `concord bench --wire --pg` on two cores
// measured the spread updates at 0.91x PostgreSQL with one P per core and 1.05x to 1.17x with two, the CPU time
// per update unchanged or lower (docs/benchmarks.md).
func tuneRuntime() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
}
