//go:build !linux

package sched

// Supported reports whether SetBatch can change the policy on this system.
const Supported = false

// SetBatch does nothing on this system.
func SetBatch(on bool) error { return nil }

// Batch reports false on this system.
func Batch() bool { return false }
