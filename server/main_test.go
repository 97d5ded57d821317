package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: a server's connection handlers, cursors'
// and sessions' timers, and the driver clients the tests open must all be gone once each test has closed what
// it opened.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
