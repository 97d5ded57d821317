package cli

import (
	"os"
	"runtime"
	"runtime/debug"
)

// serverGCPercent is the garbage collector's target (GOGC) for a process hosting a Concord server.
const serverGCPercent = 400

// tuneRuntime sets the Go runtime for a process that hosts a Concord server: `concord serve`, and `concord
// bench`, whose wire target runs the server in-process. A variable set in the environment (GOMAXPROCS, GOGC)
// keeps its value.
//
// GOMAXPROCS is doubled. Pebble's WAL writer spends most of a busy server's time blocked in fdatasync (about 90%
// of the wall time of a spread-update run over the wire), and a goroutine in a blocking system call keeps its P
// until the runtime's monitor takes it back; with one P per core, a core then idles while goroutines wait to run.
//
// GOGC is 400 rather than 100. A server's live heap is small and bounded (the document cache holds at most 32
// MiB), while every request allocates; collecting a quarter as often costs a few times that small heap in
// memory and saves CPU on every request.
//
// Both were measured with `go test -bench 'BenchmarkWire$/spread' ./server/` (docs/benchmarks.md).
func tuneRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
}
