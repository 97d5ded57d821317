package concord_test

import (
	"os"
	"testing"
)

// TestMain lets the test binary double as the crash test's child process: when
// crashChildEnv is set, the binary runs the write load of crash_test.go against
// the directory it names and never returns (the parent kills it), instead of
// running the tests.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		os.Exit(crashChild(dir))
	}
	os.Exit(m.Run())
}
