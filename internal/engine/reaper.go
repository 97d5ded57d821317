package engine

import (
	"time"

	"github.com/concorddb/concord/internal/codes"
)

// reaperPeriod is MongoDB's killer period: clamp(limit/2, 1 s, 60 s).
func reaperPeriod(limit time.Duration) time.Duration {
	p := limit / 2
	if p < time.Second {
		p = time.Second
	}
	if p > time.Minute {
		p = time.Minute
	}
	return p
}

// reaper aborts transactions that outlived TxnLifetime (measured from their
// first statement), releasing what they own so parked writers proceed. It
// runs until Close.
func (e *Engine) reaper() {
	defer close(e.reaperDone)
	for {
		t := time.NewTimer(reaperPeriod(e.TxnLifetime()))
		select {
		case <-e.closing:
			t.Stop()
			return
		case <-e.reaperKick:
			t.Stop()
			continue
		case <-t.C:
		}
		e.reapExpired(time.Now())
	}
}

// reapExpired aborts every live transaction whose lifetime ended before now.
func (e *Engine) reapExpired(now time.Time) {
	limit := e.TxnLifetime()
	e.liveMu.Lock()
	var expired []*Txn
	for t := range e.live {
		if now.Sub(t.firstStmt) > limit {
			expired = append(expired, t)
		}
	}
	e.liveMu.Unlock()
	for _, t := range expired {
		t.expire()
	}
}

// expiredError is the error of a statement running when its transaction
// expires (MongoDB kills it with code 290).
func expiredError() *codes.Error {
	return codes.New(codes.TransactionExceededLifetimeLimitSeconds,
		"Aborting transaction because it has been running for longer than 'transactionLifetimeLimitSeconds'")
}
