//go:build race

package sql_test

// raceEnabled reports whether the race detector is on.
const raceEnabled = true
