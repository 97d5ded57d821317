//go:build !unix

package engine_test

import "time"

// processCPU is not measured on this platform: cpu-ns figures read 0.
func processCPU() time.Duration { return 0 }
