//go:build !unix

package pgserver_test

import "time"

// processCPU is not measured here: the benchmarks report 0 CPU per operation.
func processCPU() time.Duration { return 0 }
