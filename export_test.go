package concord

import "time"

// SetWithTransactionTimeout shortens WithTransaction's retry limit for a
// test and returns a function restoring it.
func SetWithTransactionTimeout(d time.Duration) (restore func()) {
	old := withTransactionTimeout
	withTransactionTimeout = d
	return func() { withTransactionTimeout = old }
}
