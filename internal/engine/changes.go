package engine

import (
	"bytes"
	"context"

	"github.com/cockroachdb/pebble/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// The change feed is the engine's record of its commits, in commit order, for change streams: each document a
// commit wrote and each catalog change becomes one Change. Every change goes to the change log in Pebble
// (changelog.go) in its commit's batch; while someone watches (Watch), and for feedLinger after the last watcher
// left, recent changes are also kept in memory so that streams read them without touching storage. A commit
// pays for encoding its changes and writing them in its batch, whether or not anyone watches.
//
// Changes are numbered by Seq, assigned under commitMu and kept across restarts, so Seq order is commit order
// and the writes of one transaction are consecutive and share Ts. A watcher names the last change it saw by its
// Seq and asks for the ones after it: from memory when it holds them, else from the log. Changes returns
// ChangeStreamHistoryLost when the pruner has deleted some of them, as mongod does once its oplog no longer
// reaches back that far.
//
// Worked example: the log holds Seq 3..9 (1 and 2 pruned). A watches from 9; commits record 10 and 11 in the
// log and in memory (complete = 10). A client resuming after 4 reads 5..9 from the log, then 10 and 11 from
// memory; a client resuming after 1 asks for 2, which is gone: history lost.

// maxFeedChanges bounds the changes kept in memory; past it the oldest half is dropped (they stay in the log).
const maxFeedChanges = 1 << 16

// feedLinger is how long the feed keeps recent changes in memory after its last watcher left: a driver whose
// change stream failed opens a new one with the last resume token right away.
const feedLinger = time.Minute

// ChangeKind says what a Change did.
type ChangeKind uint8

const (
	// ChangeWrite is a document written: inserted (Before nil), deleted (After nil), or replaced or updated.
	ChangeWrite ChangeKind = iota
	// ChangeDrop is the collection NS dropped, alone or with its database.
	ChangeDrop
	// ChangeCreate is the collection NS created (Desc: {idIndex}).
	ChangeCreate
	// ChangeCreateIndexes and ChangeDropIndexes are indexes of NS created or dropped (Desc: {indexes: [...]}).
	ChangeCreateIndexes
	ChangeDropIndexes
	// ChangeRename is the collection NS renamed to To (Desc: {to, dropTarget?}).
	ChangeRename
	// ChangeDropDatabase is the database NS.DB dropped, after the drops of its collections.
	ChangeDropDatabase
	// ChangeModify is NS's options changed (Desc: the options set).
	ChangeModify
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
	// Images is set when the collection keeps pre- and post-images (changeStreamPreAndPostImages): Before
	// and After are then the images of every write. Without it Before is kept for updates only (to describe
	// them) and After for inserts, replacements and updates.
	Images bool
	// To is the new name of a renamed collection (ChangeRename).
	To Namespace
	// Desc is a DDL change's description (mongod's operationDescription), a BSON document.
	Desc bson.Raw
	// UUID is the collection's UUID (zero for a database drop).
	UUID [16]byte
}

// changeFeed holds the recent changes in memory and the change log's bounds. Seqs are assigned under the
// engine's commitMu; every field below mu is guarded by mu.
type changeFeed struct {
	// recording is set while commits keep changes in memory: while watchers is positive and for feedLinger
	// after.
	recording atomic.Bool
	// watchers counts open watches; lingers counts the times it dropped to zero, so that a linger timer that
	// fired late knows a newer one superseded it. Both change under commitMu.
	watchers atomic.Int64
	lingers  uint64

	mu sync.Mutex
	// changes are the changes kept in memory, changes[i].Seq increasing.
	changes []Change
	// next is the Seq of the next change; last the Seq of the last one published (applied to Pebble).
	next, last uint64
	// complete is the first Seq from which memory holds every change published.
	complete uint64
	// first is the oldest Seq the log still holds; bytes the log's approximate size.
	first uint64
	bytes int64
	// id identifies this database's log: a token of another database's log is refused.
	id uint64
	// wake is closed and replaced whenever changes are published while recording.
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
		f.complete = f.next
		f.changes = nil
		if f.wake == nil {
			f.wake = make(chan struct{})
		}
	}
	f.watchers.Add(1)
	f.recording.Store(true)
	s := &ChangeStream{e: e, Start: f.last, StartTs: e.clock.Load()}
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

// LogID identifies the database's change log: Seqs of another database's log mean nothing here.
func (s *ChangeStream) LogID() uint64 { return s.e.feed.id }

// Changes returns up to max changes with Seq greater than after, in order, or none yet. It returns
// ChangeStreamHistoryLost (286) when the log no longer holds all changes after `after`.
func (s *ChangeStream) Changes(after uint64, max int) ([]Change, error) {
	f := &s.e.feed
	f.mu.Lock()
	if after+1 < f.first {
		f.mu.Unlock()
		return nil, historyLost()
	}
	if after >= f.last {
		f.mu.Unlock()
		return nil, nil
	}
	if after+1 >= f.complete {
		i := len(f.changes)
		for i > 0 && f.changes[i-1].Seq > after {
			i--
		}
		out := f.changes[i:]
		if len(out) > max {
			out = out[:max]
		}
		out = append([]Change(nil), out...)
		f.mu.Unlock()
		return out, nil
	}
	first, last := f.first, f.last
	f.mu.Unlock()
	if after+1 < first {
		return nil, historyLost()
	}
	out, err := s.e.readLog(after+1, last, max)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	lost := after+1 < f.first // the pruner moved first while we read: what we read may have holes
	f.mu.Unlock()
	if lost {
		return nil, historyLost()
	}
	return out, nil
}

// Check returns nil when Changes(after) can answer: ChangeStreamHistoryLost (286) when the log no longer
// reaches back to after, ChangeStreamFatalError (280) when after lies beyond the last change.
func (s *ChangeStream) Check(after uint64) error {
	f := &s.e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case after+1 < f.first:
		return historyLost()
	case after > f.last:
		return codes.New(codes.ChangeStreamFatalError, "cannot resume stream; the resume token was not found.")
	}
	return nil
}

// Wait blocks until a change with Seq greater than after is recorded or ctx ends (returning ctx's error).
func (s *ChangeStream) Wait(ctx context.Context, after uint64) error {
	f := &s.e.feed
	for {
		f.mu.Lock()
		have, wake := f.last > after, f.wake
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

// SeqAt returns the position to read after so as to see every change at or after the cluster time (sec, inc):
// the Seq before the first change whose wall-clock second is after sec, or equal to it with a timestamp of at
// least inc. It returns ChangeStreamHistoryLost when the log has been pruned past that time.
func (s *ChangeStream) SeqAt(sec, inc uint32) (uint64, error) {
	f := &s.e.feed
	f.mu.Lock()
	first, last := f.first, f.last
	f.mu.Unlock()
	before := func(c Change) bool {
		w := c.Wall.Unix()
		return w < int64(sec) || (w == int64(sec) && c.Ts < uint64(inc))
	}
	seq, err := s.e.seqAtLog(first, last, before)
	if err != nil {
		return 0, err
	}
	if seq == first && first > 1 {
		// The oldest change kept is already at or after the time: what came before it is pruned.
		return 0, historyLost()
	}
	return seq - 1, nil
}

// LastSeq returns the Seq of the last change recorded (or of the gap before the first).
func (s *ChangeStream) LastSeq() uint64 {
	f := &s.e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// prepare encodes t's writes as changes, without their Seq and Ts: the encoding happens before the commit
// takes commitMu, so that it does not lengthen the commit's critical section.
func (f *changeFeed) prepare(t *Txn) [][]byte {
	encs := make([][]byte, 0, len(t.order))
	for _, k := range t.order {
		w := t.writes[k]
		if w.doc == nil && w.base == nil {
			continue // inserted and deleted again within the transaction
		}
		c := Change{Kind: ChangeWrite, NS: w.coll.ns, ID: w.id, After: w.doc, Replaced: w.replaced, Images: w.coll.images, UUID: w.coll.uuid}
		if w.coll.images || (w.doc != nil && !w.replaced) {
			c.Before = w.base
		}
		encs = append(encs, encodeChange(&c))
	}
	return encs
}

// logChanges numbers the encoded changes, stamps them with ts and the wall clock and adds them to b. The caller
// holds commitMu and calls publish once b is applied. It returns the first Seq used.
func (f *changeFeed) logChanges(b *pebble.Batch, encs [][]byte, ts uint64) (uint64, error) {
	f.mu.Lock()
	seq := f.next
	f.next += uint64(len(encs))
	f.mu.Unlock()
	now := time.Now()
	for i, enc := range encs {
		stamp(enc, ts, now)
		if err := b.Set(changeKey(seq+uint64(i)), enc, nil); err != nil {
			return 0, storageError(err)
		}
	}
	return seq, nil
}

// publish makes the changes logged from seq visible to watchers once their batch is applied; the caller holds
// commitMu.
func (f *changeFeed) publish(encs [][]byte, seq uint64) {
	if len(encs) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = seq + uint64(len(encs)) - 1
	for i, enc := range encs {
		f.bytes += int64(len(enc)) + 9
		if f.recording.Load() {
			c, _ := decodeChange(seq+uint64(i), enc)
			f.appendLocked(c)
		}
	}
	if f.recording.Load() {
		f.wakeLocked()
	}
}

// appendLocked keeps c in memory, dropping the oldest half when full (the log still holds them).
func (f *changeFeed) appendLocked(c Change) {
	if len(f.changes) >= maxFeedChanges {
		kept := f.changes[len(f.changes)/2:]
		f.complete = kept[0].Seq
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

// ddlChanges encodes the changes that replacing ns's catalog entry old with c makes (either may be nil): a
// create, a drop, the indexes created or dropped, an options change.
func ddlChanges(ns Namespace, old, c *collection) [][]byte {
	var out [][]byte
	var uuid [16]byte
	add := func(kind ChangeKind, desc bson.D) {
		ch := Change{Kind: kind, NS: ns, UUID: uuid}
		if desc != nil {
			ch.Desc, _ = bson.Marshal(desc)
		}
		out = append(out, encodeChange(&ch))
	}
	if old != nil && (c == nil || c.id != old.id) {
		uuid = old.uuid
		add(ChangeDrop, nil)
		old = nil
	}
	if c == nil {
		return out
	}
	uuid = c.uuid
	if old == nil {
		add(ChangeCreate, bson.D{{Key: "idIndex", Value: bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}}, {Key: "name", Value: idIndexName}}}})
		old = &collection{}
	}
	if added := indexesNotIn(c.indexes, old.indexes); len(added) > 0 {
		add(ChangeCreateIndexes, bson.D{{Key: "indexes", Value: added}})
	}
	if dropped := indexesNotIn(old.indexes, c.indexes); len(dropped) > 0 {
		add(ChangeDropIndexes, bson.D{{Key: "indexes", Value: dropped}})
	}
	if c.images != old.images {
		add(ChangeModify, bson.D{{Key: "changeStreamPreAndPostImages", Value: bson.D{{Key: "enabled", Value: c.images}}}})
	}
	return out
}

// indexesNotIn returns the specs ({v, key, name, unique}) of the indexes of a that b lacks.
func indexesNotIn(a, b []*index) bson.A {
	var out bson.A
	for _, ix := range a {
		found := false
		for _, o := range b {
			found = found || o.id == ix.id
		}
		if !found {
			spec := bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: ix.key}, {Key: "name", Value: ix.name}}
			if ix.unique {
				spec = append(spec, bson.E{Key: "unique", Value: true})
			}
			out = append(out, spec)
		}
	}
	return out
}
