package server_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: a server's connection handlers, cursors'
// and sessions' timers, and the driver clients the tests open must all be gone once each test has closed what
// it opened.
//
// With overloadClientEnv set the binary is TestOverload's load client instead (overload_test.go).
func TestMain(m *testing.M) {
	if spec := os.Getenv(overloadClientEnv); spec != "" {
		os.Exit(overloadClientMain(spec))
	}
	goleak.VerifyTestMain(m)
}
