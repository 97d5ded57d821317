package engine

import "github.com/cockroachdb/pebble/v2"

// Sync returns once every commit visible to reads when it was called is durable: the WAL holding it has been
// synced. A commit is published (visible) before its fsync completes, so that one fsync covers many commits;
// until then a reader can see a write that a crash would take back. MongoDB's readConcern "majority" and
// "linearizable", and the commit of a read-only transaction, must not hand such a write to a client: they call
// Sync before replying. The WAL is written in commit order, so one synced record after the last visible commit
// covers them all; concurrent calls share the fsync through Pebble's group commit. Sync is cheap when every visible
// commit is already known durable (its committer's fsync, or an earlier Sync, completed). Under Options.NoSync it does nothing.
func (e *Engine) Sync() error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	return e.sync()
}

// sync is Sync for a caller already admitted by enter.
func (e *Engine) sync() error {
	if e.opts.NoSync {
		return nil
	}
	ts := e.clock.Load()
	if e.durable.Load() >= ts {
		return nil
	}
	if err := e.db.LogData(nil, pebble.Sync); err != nil {
		return storageError(err)
	}
	e.markDurable(ts)
	return nil
}

// markDurable records that every commit up to ts is in the synced WAL.
func (e *Engine) markDurable(ts uint64) {
	for {
		d := e.durable.Load()
		if d >= ts || e.durable.CompareAndSwap(d, ts) {
			return
		}
	}
}
