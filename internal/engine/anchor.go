package engine

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// The engine holds an anchor: a Pebble snapshot older than every transaction's, replaced every anchorEvery.
// Whenever the oldest open snapshot closes, Pebble looks for compactions that could now drop the versions it
// alone kept, scoring every level under its DB mutex. Without an anchor that is every transaction's close on a
// quiet engine and many on a busy one, and a transaction takes its snapshot (which needs that mutex) under
// commitMu, so commits waited behind the scoring. With the anchor only its replacement does it, once per
// anchorEvery; versions no snapshot needs stay at most that much longer.

// anchorEvery is how often the anchor snapshot is replaced; a variable for the tests.
var anchorEvery = time.Second

// anchorKeeper replaces the anchor every anchorEvery until the engine closes, then closes it.
func (e *Engine) anchorKeeper(anchor *pebble.Snapshot) {
	defer close(e.anchorDone)
	t := time.NewTicker(anchorEvery)
	defer t.Stop()
	for {
		select {
		case <-e.closing:
			_ = anchor.Close()
			return
		case <-t.C:
			next := e.db.NewSnapshot()
			_ = anchor.Close()
			anchor = next
		}
	}
}
