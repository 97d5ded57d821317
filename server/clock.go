package server

import (
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// clusterClock hands out the $clusterTime / operationTime of replies: a hybrid logical clock of wall seconds
// and an increment, strictly increasing so that causally consistent clients always move forward. It also keeps
// marks tying its times to the engine's commit timestamps, so that a read at a cluster time (readConcern
// atClusterTime) knows which commits that time had seen.
type clusterClock struct {
	mu   sync.Mutex
	secs uint32
	inc  uint32
	// marks are (cluster time, commit timestamp) pairs in increasing order, one each time a time was handed out
	// after a commit, for the last snapshotHistoryWindow: the state at a cluster time is that of the newest
	// mark at or before it.
	marks []clockMark
}

// clockMark says that cluster time at was handed out once the commits up to ts were visible.
type clockMark struct {
	at bson.Timestamp
	ts uint64
}

// now returns a timestamp greater than every one returned before.
func (c *clusterClock) now() bson.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nextLocked()
}

// nextLocked advances the clock; the caller holds mu.
func (c *clusterClock) nextLocked() bson.Timestamp {
	if s := uint32(time.Now().Unix()); s > c.secs {
		c.secs, c.inc = s, 0
	}
	c.inc++
	return bson.Timestamp{T: c.secs, I: c.inc}
}

// nowAfter is now for a reply given once the commits up to commitTs were visible (read before the call): it
// records the mark a later read at the returned time needs.
func (c *clusterClock) nowAfter(commitTs uint64) bson.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := c.nextLocked()
	if n := len(c.marks); n == 0 || c.marks[n-1].ts != commitTs {
		c.marks = append(c.marks, clockMark{at: ts, ts: commitTs})
		// Forget marks older than the window, keeping the newest of them: it still describes later times.
		cut := 0
		horizon := ts.T - uint32(snapshotHistoryWindow/time.Second)
		for cut+1 < len(c.marks) && c.marks[cut+1].at.T < horizon {
			cut++
		}
		if cut > 0 {
			c.marks = append(c.marks[:0], c.marks[cut:]...)
		}
	}
	return ts
}

// latest returns the last time handed out.
func (c *clusterClock) latest() bson.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bson.Timestamp{T: c.secs, I: c.inc}
}

// commitTsAt returns the commit timestamp whose state cluster time at shows; ok is false when at is older than
// the marks kept (before the server started, or beyond the history window).
func (c *clusterClock) commitTsAt(at bson.Timestamp) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at.T < uint32(time.Now().Add(-snapshotHistoryWindow).Unix()) {
		return 0, false
	}
	for i := len(c.marks) - 1; i >= 0; i-- {
		if !at.Before(c.marks[i].at) {
			return c.marks[i].ts, true
		}
	}
	return 0, false
}
