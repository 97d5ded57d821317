package engine

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// The change log is the durable half of the change feed: every change (a document written, a collection created,
// dropped, renamed or modified, an index created or dropped, a database dropped) is written under its Seq in the
// same Pebble batch as the commit that made it, so a change stream resumes from a token of an earlier run of
// the engine, as mongod's resume from its oplog. The log keeps at most Options.ChangeLogBytes and
// Options.ChangeLogAge of changes; a background pruner deletes the oldest. Resuming before the oldest change
// kept is ChangeStreamHistoryLost (286).
//
// An entry's value is fixed header then length-prefixed fields:
//
//	ts(8) wall-ns(8) kind(1) flags(1) | db coll toDB toColl id before after desc uuid
//
// each field a uvarint length then its bytes (id: type byte then value; an absent document has length 0). ts
// and wall are written under commitMu, when they are known, into the encoded bytes.

// defaultChangeLogBytes and defaultChangeLogAge are Options.ChangeLogBytes and ChangeLogAge's defaults.
const (
	defaultChangeLogBytes = 1 << 30
	defaultChangeLogAge   = 24 * time.Hour
)

// pruneEvery is how often the pruner looks at the change log.
const pruneEvery = time.Second

// Change flags.
const (
	flagReplaced = 1 << iota
	flagImages
)

// metaKey is the key of the engine metadata named name.
func metaKey(name string) []byte { return append([]byte{prefixMeta}, name...) }

// changeKey is the key of the change numbered seq.
func changeKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixChange}, seq)
}

// historyLost is the error of a resume point older than the change log.
func historyLost() error {
	return codes.New(codes.ChangeStreamHistoryLost, "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
}

// encodeChange encodes c, with room for its timestamp and wall time (stamp).
func encodeChange(c *Change) []byte {
	n := 18 + len(c.NS.DB) + len(c.NS.Coll) + len(c.To.DB) + len(c.To.Coll) + len(c.ID.Value) + len(c.Before) + len(c.After) + len(c.Desc) + 16 + 8*5
	b := make([]byte, 18, n)
	b[16] = byte(c.Kind)
	if c.Replaced {
		b[17] |= flagReplaced
	}
	if c.Images {
		b[17] |= flagImages
	}
	field := func(p []byte) {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	field([]byte(c.NS.DB))
	field([]byte(c.NS.Coll))
	field([]byte(c.To.DB))
	field([]byte(c.To.Coll))
	if c.ID.Type == 0 {
		field(nil)
	} else {
		b = binary.AppendUvarint(b, uint64(1+len(c.ID.Value)))
		b = append(b, byte(c.ID.Type))
		b = append(b, c.ID.Value...)
	}
	field(c.Before)
	field(c.After)
	field(c.Desc)
	if c.UUID != ([16]byte{}) {
		field(c.UUID[:])
	} else {
		field(nil)
	}
	return b
}

// stamp writes the commit's timestamp and wall time into an encoded change.
func stamp(enc []byte, ts uint64, wall time.Time) {
	binary.BigEndian.PutUint64(enc[0:], ts)
	binary.BigEndian.PutUint64(enc[8:], uint64(wall.UnixNano()))
}

// errBadChange is a change log entry that does not decode.
var errBadChange = errors.New("corrupt change log entry")

// decodeChange decodes the change numbered seq from enc; the Change's slices point into enc.
func decodeChange(seq uint64, enc []byte) (Change, error) {
	if len(enc) < 18 {
		return Change{}, errBadChange
	}
	c := Change{
		Seq:      seq,
		Ts:       binary.BigEndian.Uint64(enc[0:]),
		Wall:     time.Unix(0, int64(binary.BigEndian.Uint64(enc[8:]))),
		Kind:     ChangeKind(enc[16]),
		Replaced: enc[17]&flagReplaced != 0,
		Images:   enc[17]&flagImages != 0,
	}
	rest := enc[18:]
	var bad bool
	field := func() []byte {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			bad = true
			return nil
		}
		p := rest[k : k+int(n)]
		rest = rest[k+int(n):]
		if n == 0 {
			return nil
		}
		return p
	}
	c.NS.DB, c.NS.Coll = string(field()), string(field())
	c.To.DB, c.To.Coll = string(field()), string(field())
	if id := field(); len(id) > 0 {
		c.ID = bson.RawValue{Type: bson.Type(id[0]), Value: id[1:]}
	}
	c.Before, c.After, c.Desc = field(), field(), field()
	copy(c.UUID[:], field())
	if bad {
		return Change{}, errBadChange
	}
	return c, nil
}

// loadChangeLog finds the change log's bounds and identity at Open.
func (e *Engine) loadChangeLog() error {
	f := &e.feed
	id, err := pebbleGet(e.db, metaKey("changelog.id"))
	if err != nil {
		return err
	}
	if len(id) != 8 {
		id = make([]byte, 8)
		if _, err := rand.Read(id); err != nil {
			return codes.New(codes.InternalError, "change log id: %v", err)
		}
		if err := e.db.Set(metaKey("changelog.id"), id, pebble.Sync); err != nil {
			return storageError(err)
		}
	}
	f.id = binary.BigEndian.Uint64(id)
	f.first = 1
	if v, err := pebbleGet(e.db, metaKey("changelog.first")); err != nil {
		return err
	} else if len(v) == 8 {
		f.first = binary.BigEndian.Uint64(v)
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixChange}, UpperBound: []byte{prefixChange + 1}})
	if err != nil {
		return storageError(err)
	}
	defer it.Close()
	f.next = f.first
	if it.Last() {
		if seq := binary.BigEndian.Uint64(it.Key()[1:]); seq >= f.next {
			f.next = seq + 1
		}
	}
	if err := it.Error(); err != nil {
		return storageError(err)
	}
	f.last = f.next - 1
	size, err := e.db.EstimateDiskUsage([]byte{prefixChange}, []byte{prefixChange + 1})
	if err != nil {
		return storageError(err)
	}
	f.bytes = int64(size)
	return nil
}

// readLog returns up to max changes with Seq in [from, to] from the change log.
func (e *Engine) readLog(from, to uint64, max int) ([]Change, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.exit()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: changeKey(from), UpperBound: changeKey(to + 1)})
	if err != nil {
		return nil, storageError(err)
	}
	defer it.Close()
	var out []Change
	for it.First(); it.Valid() && len(out) < max; it.Next() {
		c, err := decodeChange(binary.BigEndian.Uint64(it.Key()[1:]), append([]byte(nil), it.Value()...))
		if err != nil {
			return nil, codes.New(codes.DataCorruptionDetected, "change log entry %x: %v", it.Key(), err)
		}
		out = append(out, c)
	}
	return out, wrapStorage(it.Error())
}

// logAt returns the first change of the log with Seq >= seq, or ok false when there is none.
func (e *Engine) logAt(it *pebble.Iterator, seq uint64) (c Change, ok bool, err error) {
	if !it.SeekGE(changeKey(seq)) {
		return Change{}, false, wrapStorage(it.Error())
	}
	c, err = decodeChange(binary.BigEndian.Uint64(it.Key()[1:]), it.Value())
	if err != nil {
		return Change{}, false, codes.New(codes.DataCorruptionDetected, "change log entry %x: %v", it.Key(), err)
	}
	return c, true, nil
}

// seqAtLog returns the Seq of the first change of the log for which before is false, by binary search (before
// must be false from some Seq on), or last+1 when there is none; first and last bound the search.
func (e *Engine) seqAtLog(first, last uint64, before func(Change) bool) (uint64, error) {
	if err := e.enter(); err != nil {
		return 0, err
	}
	defer e.exit()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixChange}, UpperBound: []byte{prefixChange + 1}})
	if err != nil {
		return 0, storageError(err)
	}
	defer it.Close()
	lo, hi := first, last+1 // the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		c, ok, err := e.logAt(it, mid)
		if err != nil {
			return 0, err
		}
		if !ok || c.Seq > last {
			hi = mid
			continue
		}
		if before(c) {
			lo = c.Seq + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// pruner deletes changes past the log's retention until the engine closes.
func (e *Engine) pruner() {
	defer close(e.prunerDone)
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		select {
		case <-e.closing:
			return
		case <-t.C:
			_ = e.pruneLog(time.Now())
		}
	}
}

// pruneLog deletes the oldest changes while the log holds more than ChangeLogBytes (down to nine tenths of it)
// and those older than ChangeLogAge at now. It moves the log's first Seq before deleting, so that a reader
// never takes a log with a hole for a complete one.
func (e *Engine) pruneLog(now time.Time) error {
	if err := e.enter(); err != nil {
		return err
	}
	defer e.exit()
	f := &e.feed
	f.mu.Lock()
	first, last, size := f.first, f.last, f.bytes
	f.mu.Unlock()
	limit, age := e.opts.ChangeLogBytes, e.opts.ChangeLogAge
	over := size > limit
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: changeKey(first), UpperBound: changeKey(last + 1)})
	if err != nil {
		return storageError(err)
	}
	cut, removed := first, int64(0)
	for it.First(); it.Valid(); it.Next() {
		wall := time.Unix(0, int64(binary.BigEndian.Uint64(it.Value()[8:])))
		if !(over && size-removed > limit*9/10) && !(age > 0 && now.Sub(wall) > age) {
			break
		}
		removed += int64(len(it.Key()) + len(it.Value()))
		cut = binary.BigEndian.Uint64(it.Key()[1:]) + 1
	}
	err = it.Error()
	it.Close()
	if err != nil {
		return storageError(err)
	}
	if cut == first {
		return nil
	}
	f.mu.Lock()
	f.first = cut
	f.bytes -= removed
	if f.bytes < 0 {
		f.bytes = 0
	}
	f.mu.Unlock()
	b := e.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(changeKey(first), changeKey(cut), nil); err != nil {
		return storageError(err)
	}
	if err := b.Set(metaKey("changelog.first"), binary.BigEndian.AppendUint64(nil, cut), nil); err != nil {
		return storageError(err)
	}
	if f := e.failure.Load(); f != nil {
		return f
	}
	return wrapStorage(e.db.Apply(b, pebble.NoSync))
}

// PruneChangeLog applies the change log's retention at now at once, as the background pruner does every
// second; for tests.
func (e *Engine) PruneChangeLog(now time.Time) error { return e.pruneLog(now) }
