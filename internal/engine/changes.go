package engine

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// The change feed is the engine's record of its commits, in commit order, for change streams: each document a
// commit wrote and each collection dropped becomes one Change. It is kept in memory only while someone
// watches (Watch), and for feedLinger after the last watcher left so that a client whose stream broke can
// resume it; commits pay nothing for it otherwise: one atomic load.
//
// Changes are numbered by Seq, assigned under commitMu, so Seq order is commit order and the writes of one
// transaction are consecutive and share Ts. A watcher names the last change it saw by its Seq and asks for
// the ones after it. The feed cannot answer when changes after that Seq were not recorded: when nobody
// watched for a while (every pause leaves a gap in Seq), when the feed dropped its oldest changes to stay
// within maxFeedChanges, or when the Seq comes from an earlier run of the engine (Epoch differs). Changes then
// returns ChangeStreamHistoryLost, as mongod does once its oplog no longer reaches back that far.
//
// Worked example: A watches from Seq 4 (next = 5). Commits record 5 and 6. A stops; feedLinger later nobody
// has watched again, recording stops, and a commit goes unrecorded. B starts watching: the pause costs one Seq, so next = 8 and complete = 8. A client
// resuming after 6 asks for Seq 7 onwards: 7 < complete, so history lost, rather than silently skipping the
// unrecorded commit. A client resuming after 8 gets 9, 10, ...

// maxFeedChanges bounds the changes kept; past it the oldest half is dropped.
const maxFeedChanges = 1 << 16

// feedLinger is how long the feed keeps recording after its last watcher left: a driver whose change stream
// failed (a network error, a failed getMore that closed the cursor) opens a new one with the last resume
// token right away, and must find the feed complete since then.
const feedLinger = time.Minute

// ChangeKind says what a Change did.
type ChangeKind uint8

const (
	// ChangeWrite is a document written: inserted (Before nil), deleted (After nil), or replaced or updated.
	ChangeWrite ChangeKind = iota
	// ChangeDrop is the collection NS dropped, alone or with its database.
	ChangeDrop
)

// Change is one entry of the change feed. Its documents are copies owned by the feed; callers must not
// modify them.
type Change struct {
	// Seq is the change's position in the feed: strictly increasing in commit order.
	Seq uint64
	// Ts is the commit timestamp; the writes of one transaction share it. A drop carries the timestamp of the
	// last commit before it.
	Ts   uint64
	Kind ChangeKind
	NS   Namespace
	// ID is the document's _id (ChangeWrite).
	ID bson.RawValue
	// Before and After are the document's versions before and after the commit (ChangeWrite).
	Before, After bson.Raw
	// Wall is the wall-clock time of the commit.
	Wall time.Time
	// Replaced is set when After replaced Before whole (replaceOne, findOneAndReplace) rather than updating
	// it with operators.
	Replaced bool
}

// changeFeed holds the recorded changes. Appends happen under the engine's commitMu; reads take mu.
type changeFeed struct {
	// recording is set while commits record changes: while watchers is positive and for feedLinger after.
	recording atomic.Bool
	// watchers counts open watches; lingers counts the times it dropped to zero, so that a linger timer that
	// fired late knows a newer one superseded it. Both change under commitMu.
	watchers atomic.Int64
	lingers  uint64

	mu sync.Mutex
	// changes are the recorded changes, changes[i].Seq increasing.
	changes []Change
	// next is the Seq of the next change recorded.
	next uint64
	// complete is the first Seq from which every change is recorded, and completeSince the wall-clock time
	// from which every commit is.
	complete      uint64
	completeSince time.Time
	// wake is closed and replaced whenever changes are appended.
	wake chan struct{}
}

// ChangeStream is one watcher's handle on the feed: while it is open the engine records its changes. Close
// it when done. It is safe for concurrent use.
type ChangeStream struct {
	e      *Engine
	closed atomic.Bool
	// Start is the Seq of the last change before the watch began: Changes(Start) returns what comes after.
	Start uint64
	// StartTs is the timestamp of the last commit before the watch began.
	StartTs uint64
}

// Watch opens a ChangeStream: every commit from now on is recorded until it is closed.
func (e *Engine) Watch() (*ChangeStream, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	e.commitMu.Lock()
	defer e.commitMu.Unlock()
	f := &e.feed
	f.mu.Lock()
	if !f.recording.Load() {
		// A pause leaves a gap in Seq, so that no resume point from before it looks complete.
		f.next++
		f.complete, f.completeSince = f.next, time.Now()
		if f.wake == nil {
			f.wake = make(chan struct{})
		}
	}
	f.watchers.Add(1)
	f.recording.Store(true)
	s := &ChangeStream{e: e, Start: f.next - 1, StartTs: e.clock.Load()}
	f.mu.Unlock()
	return s, nil
}

// Close stops the stream; feedLinger after the last stream closed, the engine stops recording and frees the
// changes kept. Closing twice does nothing.
func (s *ChangeStream) Close() {
	if s.closed.Swap(true) {
		return
	}
	// Under commitMu, as Watch, so that a commit sees the count change before or after it, not during.
	s.e.commitMu.Lock()
	defer s.e.commitMu.Unlock()
	f := &s.e.feed
	if f.watchers.Add(-1) > 0 {
		return
	}
	f.lingers++
	gen, e := f.lingers, s.e
	time.AfterFunc(feedLinger, func() {
		e.commitMu.Lock()
		defer e.commitMu.Unlock()
		if f.watchers.Load() > 0 || f.lingers != gen {
			return
		}
		f.recording.Store(false)
		f.mu.Lock()
		f.changes = nil
		f.mu.Unlock()
	})
}

// Epoch identifies this run of the engine: Seqs are comparable only within one Epoch.
func (s *ChangeStream) Epoch() uint64 { return s.e.epoch }

// Changes returns up to max changes with Seq greater than after, in order, or none yet. It returns
// ChangeStreamHistoryLost (286) when changes after `after` were not all recorded.
func (s *ChangeStream) Changes(after uint64, max int) ([]Change, error) {
	f := &s.e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if after+1 < f.complete {
		return nil, codes.New(codes.ChangeStreamHistoryLost, "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
	}
	i := len(f.changes)
	for i > 0 && f.changes[i-1].Seq > after {
		i--
	}
	out := f.changes[i:]
	if len(out) > max {
		out = out[:max]
	}
	return append([]Change(nil), out...), nil
}

// Wait blocks until a change with Seq greater than after is recorded or ctx ends (returning ctx's error).
func (s *ChangeStream) Wait(ctx context.Context, after uint64) error {
	f := &s.e.feed
	for {
		f.mu.Lock()
		have, wake := f.next > after+1, f.wake
		f.mu.Unlock()
		if have {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SeqAt returns the position to read after so as to see every change committed at or after t: the Seq before
// the first change recorded at or after t. It returns ChangeStreamHistoryLost when commits since t may not all
// have been recorded.
func (s *ChangeStream) SeqAt(t time.Time) (uint64, error) {
	f := &s.e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.completeSince) {
		return 0, codes.New(codes.ChangeStreamHistoryLost, "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
	}
	for _, c := range f.changes {
		if !c.Wall.Before(t) {
			return c.Seq - 1, nil
		}
	}
	return f.next - 1, nil
}

// LastSeq returns the Seq of the last change recorded (or of the gap before the first).
func (s *ChangeStream) LastSeq() uint64 {
	f := &s.e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.next - 1
}

// prepare copies t's writes into changes, without their Seq and Ts: the copying happens before the commit
// takes commitMu, so that a watched collection's writes do not lengthen the commit's critical section.
func (f *changeFeed) prepare(t *Txn) []Change {
	changes := make([]Change, 0, len(t.order))
	for _, k := range t.order {
		w := t.writes[k]
		if w.doc == nil && w.base == nil {
			continue // inserted and deleted again within the transaction
		}
		changes = append(changes, Change{Kind: ChangeWrite, NS: w.coll.ns, ID: cloneValue(w.id), Before: clone(w.base), After: clone(w.doc), Replaced: w.replaced})
	}
	return changes
}

// recordCommit appends changes (from prepare), committed at ts; the caller holds commitMu and has checked
// recording.
func (f *changeFeed) recordCommit(changes []Change, ts uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for _, c := range changes {
		c.Ts, c.Wall = ts, now
		f.appendLocked(c)
	}
	f.wakeLocked()
}

// recordDrop appends the drop of ns after the commit at ts; the caller holds commitMu.
func (f *changeFeed) recordDrop(ns Namespace, ts uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appendLocked(Change{Ts: ts, Kind: ChangeDrop, NS: ns, Wall: time.Now()})
	f.wakeLocked()
}

// appendLocked numbers c and keeps it, dropping the oldest half of the feed when it is full.
func (f *changeFeed) appendLocked(c Change) {
	c.Seq = f.next
	f.next++
	if len(f.changes) >= maxFeedChanges {
		kept := f.changes[len(f.changes)/2:]
		f.complete, f.completeSince = kept[0].Seq, kept[0].Wall.Add(time.Second)
		f.changes = append([]Change(nil), kept...)
	}
	f.changes = append(f.changes, c)
}

// wakeLocked wakes the waiters.
func (f *changeFeed) wakeLocked() {
	close(f.wake)
	f.wake = make(chan struct{})
}

// clone copies a document; nil stays nil.
func clone(d bson.Raw) bson.Raw {
	if d == nil {
		return nil
	}
	return bytes.Clone(d)
}

// cloneValue copies a value's bytes.
func cloneValue(v bson.RawValue) bson.RawValue {
	v.Value = bytes.Clone(v.Value)
	return v
}
