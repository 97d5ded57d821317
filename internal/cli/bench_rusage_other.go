//go:build !unix

package cli

import "time"

// processCPU reports nothing where getrusage does not exist: the paired CPU ratios are then left out.
func processCPU() time.Duration { return 0 }
