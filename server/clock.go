package server

import (
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// clusterClock hands out the $clusterTime / operationTime of replies: a hybrid logical clock of wall seconds
// and an increment, strictly increasing so that causally consistent clients always move forward.
type clusterClock struct {
	mu   sync.Mutex
	secs uint32
	inc  uint32
}

// now returns a timestamp greater than every one returned before.
func (c *clusterClock) now() bson.Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := uint32(time.Now().Unix()); s > c.secs {
		c.secs, c.inc = s, 0
	}
	c.inc++
	return bson.Timestamp{T: c.secs, I: c.inc}
}
