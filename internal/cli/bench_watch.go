package cli

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// watcher reads a change stream on a benchmark collection for the whole measurement, as an application that
// follows its data would, and counts the update events it is handed.
type watcher struct {
	cs      *mongo.ChangeStream
	cancel  context.CancelFunc
	updates atomic.Int64
	// done is closed when the reader stops, err then says why.
	done chan struct{}
	err  error
}

// watchDeliveryTimeout bounds how long Verify waits for the stream to hand out the last acknowledged updates.
const watchDeliveryTimeout = time.Minute

// startWatching opens the change stream on w's collection and starts reading it.
func (w *wireTarget) startWatching(ctx context.Context) error {
	cs, err := w.coll.Watch(ctx, mongo.Pipeline{})
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(context.Background())
	wt := &watcher{cs: cs, cancel: cancel, done: make(chan struct{})}
	go func() {
		for cs.Next(rctx) {
			if op, _ := cs.Current.Lookup("operationType").StringValueOK(); op == "update" {
				wt.updates.Add(1)
			}
		}
		wt.err = cs.Err()
		close(wt.done)
	}()
	w.watcher = wt
	return nil
}

// stopWatching closes the stream, if one is open.
func (w *wireTarget) stopWatching() {
	if w.watcher == nil {
		return
	}
	w.watcher.cancel()
	<-w.watcher.done
	w.watcher.cs.Close(context.Background())
	w.watcher = nil
}

// verifyStream waits until the stream has delivered an update event for every acknowledged update of the hot
// and spread workloads (a transfer writes two documents, or none when the balance is short) and fails if it
// does not within watchDeliveryTimeout, or delivers more.
func (w *wireTarget) verifyStream(ctx context.Context, workload string, acked int64) (string, error) {
	want := acked
	if workload == "transfer" {
		want = -1
	}
	deadline := time.Now().Add(watchDeliveryTimeout)
	for {
		got := w.watcher.updates.Load()
		switch {
		case want < 0:
			return fmt.Sprintf("stream delivered %d update events", got), nil
		case got == want:
			return fmt.Sprintf("stream delivered all %d update events", got), nil
		case got > want:
			return "", fmt.Errorf("change stream delivered %d update events for %d acknowledged updates", got, want)
		case time.Now().After(deadline):
			return "", fmt.Errorf("change stream delivered %d of %d update events within %s", got, want, watchDeliveryTimeout)
		}
		select {
		case <-w.watcher.done:
			return "", fmt.Errorf("change stream ended after %d of %d update events: %v", got, want, w.watcher.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
