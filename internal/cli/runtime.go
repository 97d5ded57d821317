package cli

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// serverGCPercent is the garbage collector's target (GOGC) for a process hosting a Concord server.
const serverGCPercent = 400

// tuneRuntime sets the Go runtime for a process that hosts a Concord server: `concord serve`, and `concord
// bench`, whose wire target runs the server in-process. A variable set in the environment (GOMAXPROCS, GOGC,
// GOMEMLIMIT) keeps its value.
//
// GOMAXPROCS is doubled. Pebble's WAL writer spends most of a busy server's time blocked in fdatasync (1.6 s of a
// 1.74 s execution trace of BenchmarkWireRaw's spread updates), and a goroutine in a blocking system call keeps its P
// until the runtime's monitor takes it back; with one P per core, a core then idles while goroutines wait to run.
//
// GOGC is 400 rather than 100. A server's live heap is small and bounded (the document cache holds at most 32
// MiB), while every request allocates; collecting a quarter as often costs a few times that small heap in
// memory and saves CPU on every request. So that the larger heap goal can never crowd the machine (a build
// without cgo keeps Pebble's block cache on the Go heap too), a soft memory limit of half the machine's memory
// makes the collector run as often as needed near it.
//
// Both settings were measured with `go test -bench 'BenchmarkWire$/spread' ./server/` and `concord bench`
// (docs/benchmarks.md).
func tuneRuntime() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		if total := machineMemory(); total > 0 {
			debug.SetMemoryLimit(total / 2)
		}
	}
}

// machineMemory returns the machine's memory in bytes (MemTotal of /proc/meminfo), or 0 when unknown.
func machineMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kib, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kib << 10
		}
	}
	return 0
}
