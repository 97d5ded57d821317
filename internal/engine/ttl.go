package engine

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// defaultTTLMonitorSleep is mongod's ttlMonitorSleepSecs default.
const defaultTTLMonitorSleep = 60 * time.Second

// TTLStats counts the TTL monitor's work, as serverStatus'
// metrics.ttl reports it.
type TTLStats struct {
	// DeletedDocuments is the number of expired documents removed.
	DeletedDocuments int64
	// Passes is the number of completed passes over the TTL indexes.
	Passes int64
}

// TTLStats returns the TTL monitor's counters. Safe for concurrent use.
func (e *Engine) TTLStats() TTLStats {
	return TTLStats{DeletedDocuments: e.ttlDeleted.Load(), Passes: e.ttlPasses.Load()}
}

// TTLMonitorSleep returns the time between two TTL passes.
func (e *Engine) TTLMonitorSleep() time.Duration { return time.Duration(e.ttlSleep.Load()) }

// SetTTLMonitorSleep sets the time between two TTL passes (mongod's
// ttlMonitorSleepSecs); the next pass waits the new time. d <= 0 is
// ignored.
func (e *Engine) SetTTLMonitorSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	e.ttlSleep.Store(int64(d))
	select {
	case e.ttlKick <- struct{}{}:
	default:
	}
}

// ttlMonitor removes expired documents every TTLMonitorSleep, as mongod's
// TTLMonitor does, until Close.
func (e *Engine) ttlMonitor() {
	defer close(e.ttlDone)
	for {
		t := time.NewTimer(e.TTLMonitorSleep())
		select {
		case <-e.closing:
			t.Stop()
			return
		case <-e.ttlKick:
			t.Stop()
			continue
		case <-t.C:
		}
		e.ttlPass(context.Background(), time.Now())
	}
}

// ttlPass deletes, for every TTL index, the documents whose indexed date
// (the earliest, for an array) is more than expireAfterSeconds before now.
// Documents whose field is not a date, or is missing, never expire. A
// failed deletion is left for the next pass.
func (e *Engine) ttlPass(ctx context.Context, now time.Time) {
	type job struct {
		ns   Namespace
		path string
		ttl  int64
	}
	var jobs []job
	e.catMu.RLock()
	for ns, c := range e.colls {
		for _, ix := range c.indexes {
			if ix.ttl >= 0 && len(ix.fields) == 1 {
				jobs = append(jobs, job{ns, ix.fields[0].path, ix.ttl})
			}
		}
	}
	e.catMu.RUnlock()
	for _, j := range jobs {
		cutoff := bson.NewDateTimeFromTime(now.Add(-time.Duration(j.ttl) * time.Second))
		f, err := bson.Marshal(bson.D{{Key: j.path, Value: bson.D{{Key: "$lt", Value: cutoff}}}})
		if err != nil {
			continue
		}
		// A document that children name (References) stays until they are gone; the others expire.
		n, err := e.Delete(keepNamedParents(ctx), nil, j.ns, f, true, nil)
		if err == nil {
			e.ttlDeleted.Add(n)
		}
	}
	e.ttlPasses.Add(1)
}

// RunTTLPass runs one TTL pass now, as if the monitor had woken at now.
func (e *Engine) RunTTLPass(ctx context.Context, now time.Time) {
	if err := e.enter(); err != nil {
		return
	}
	defer e.exit()
	e.ttlPass(ctx, now)
}
