package engine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: every engine a test opens must be closed,
// and Close must stop the engine's goroutines (the reaper) and Pebble's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
