//go:build !unix

package cputime

import "time"

// Process is not measured on this platform: it returns 0, and figures divided by it read 0.
func Process() time.Duration { return 0 }
