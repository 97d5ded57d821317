package expr

// SetMaxRangeBytes sets $range's memory bound and returns the function that restores it.
func SetMaxRangeBytes(n int64) (restore func()) {
	old := maxRangeBytes
	maxRangeBytes = n
	return func() { maxRangeBytes = old }
}
