package engine

import (
	"encoding/binary"
	"math"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Hot-document tracking bounds: hotCapacity keys are tracked at most,
// whatever the workload, and a key's score halves every hotHalfLife without
// new contention.
const (
	hotCapacity = 64
	hotHalfLife = 30 * time.Second
)

// hotDocs is a bounded top-k of the most contended owner-table keys (a
// document, or a unique-index key) by decayed count of write conflicts and
// waits: the Space-Saving algorithm (Metwally et al., 2005) over
// exponentially decayed scores.
//
// It is fed only from the conflict path, which already waits or aborts, so
// one mutex is enough. Each entry's counts are stored as of its last update
// and decayed lazily. When the table is full, a new key replaces the entry
// with the lowest current score and inherits that score (Space-Saving's
// overestimate, kept in err): a key that is truly hot climbs above the
// churn of one-off keys, and any key whose decayed score exceeds
// total/hotCapacity is in the table.
//
// Worked example, capacity 2: a conflicts 5 times, b once; then c once.
// c replaces b (lowest, 1) and starts at 1+1 = 2 with err 1: the table
// says a ≈ 5, c ≤ 2. Safe for concurrent use.
type hotDocs struct {
	mu      sync.Mutex
	entries []hotEntry
	index   map[string]int // key -> position in entries
}

// hotEntry is one tracked key. conflicts and waits are the decayed counts
// at time at; err is the score inherited on replacement.
type hotEntry struct {
	key                  string
	conflicts, waits     float64
	err                  float64
	at                   time.Time
	totalConf, totalWait int64 // undecayed, since the key entered the table
}

// decayFactor is the decay of a score over d.
func decayFactor(d time.Duration) float64 {
	if d <= 0 {
		return 1
	}
	return math.Exp2(-float64(d) / float64(hotHalfLife))
}

// score is the entry's decayed score at now.
func (h *hotEntry) score(now time.Time) float64 {
	return (h.conflicts + h.waits) * decayFactor(now.Sub(h.at))
}

// decayTo brings the entry's counts to now.
func (h *hotEntry) decayTo(now time.Time) {
	f := decayFactor(now.Sub(h.at))
	h.conflicts *= f
	h.waits *= f
	h.err *= f
	h.at = now
}

// note adds one conflict (wait false) or wait (wait true) on key.
func (hd *hotDocs) note(key string, wait bool, now time.Time) {
	if key == "" {
		return
	}
	hd.mu.Lock()
	defer hd.mu.Unlock()
	if hd.index == nil {
		hd.index = make(map[string]int, hotCapacity)
	}
	i, ok := hd.index[key]
	if !ok {
		if len(hd.entries) < hotCapacity {
			hd.entries = append(hd.entries, hotEntry{key: key, at: now})
			i = len(hd.entries) - 1
		} else {
			i = 0
			low := hd.entries[0].score(now)
			for j := 1; j < len(hd.entries); j++ {
				if s := hd.entries[j].score(now); s < low {
					i, low = j, s
				}
			}
			delete(hd.index, hd.entries[i].key)
			// The newcomer inherits the evicted score as conflicts (waits
			// stay exact from here on) and remembers it as its error.
			hd.entries[i] = hotEntry{key: key, conflicts: low, err: low, at: now}
		}
		hd.index[key] = i
	}
	e := &hd.entries[i]
	e.decayTo(now)
	if wait {
		e.waits++
		e.totalWait++
	} else {
		e.conflicts++
		e.totalConf++
	}
}

// len returns the number of tracked keys.
func (hd *hotDocs) len() int {
	hd.mu.Lock()
	defer hd.mu.Unlock()
	return len(hd.entries)
}

// top returns up to n entries by decreasing decayed score at now, decayed.
func (hd *hotDocs) top(n int, now time.Time) []hotEntry {
	hd.mu.Lock()
	out := make([]hotEntry, len(hd.entries))
	copy(out, hd.entries)
	hd.mu.Unlock()
	for i := range out {
		out[i].decayTo(now)
	}
	sort.Slice(out, func(i, j int) bool {
		si, sj := out[i].conflicts+out[i].waits, out[j].conflicts+out[j].waits
		if si != sj {
			return si > sj
		}
		return out[i].key < out[j].key
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// HotDocument is one of the most contended documents: its namespace and
// _id, and its write conflicts and waits, decayed (halved every 30 s
// without new contention) and in total since it was last among the tracked
// keys. Error bounds the overestimate of Conflicts (see hotDocs). A
// unique-index key is reported as the document holding it; ID is zero when
// the key no longer resolves to a document.
type HotDocument struct {
	Namespace        Namespace
	ID               bson.RawValue
	Conflicts, Waits float64
	Error            float64
	TotalConflicts   int64
	TotalWaits       int64
}

// HotDocuments returns up to n of the most contended documents, hottest
// first. The table it reads holds at most 64 keys whatever the workload.
func (e *Engine) HotDocuments(n int) []HotDocument {
	if n <= 0 {
		return nil
	}
	top := e.m.hot.top(n, time.Now())
	out := make([]HotDocument, 0, len(top))
	for _, h := range top {
		ns, id := e.resolveKey(h.key)
		out = append(out, HotDocument{
			Namespace: ns, ID: id,
			Conflicts: h.conflicts, Waits: h.waits, Error: h.err,
			TotalConflicts: h.totalConf, TotalWaits: h.totalWait,
		})
	}
	return out
}

// resolveKey names the document behind an owner-table key: a document key's
// collection and _id, read from the latest committed version; a
// unique-index key's collection and the _id of the document holding it. It
// runs off the write path (only when hot documents are read).
func (e *Engine) resolveKey(key string) (Namespace, bson.RawValue) {
	if len(key) < 5 {
		return Namespace{}, bson.RawValue{}
	}
	id := binary.BigEndian.Uint32([]byte(key[1:5]))
	var ns Namespace
	e.catMu.RLock()
	for n, c := range e.colls {
		if c.id == id {
			ns = n
			break
		}
	}
	e.catMu.RUnlock()
	if e.enter() != nil {
		return ns, bson.RawValue{}
	}
	v, err := pebbleGet(e.db, []byte(key))
	e.exit()
	if err != nil || v == nil {
		return ns, bson.RawValue{}
	}
	if key[0] == prefixDoc {
		raw, err := bson.Raw(v).LookupErr("_id")
		if err != nil {
			return ns, bson.RawValue{}
		}
		return ns, raw
	}
	return ns, parseRawID(v)
}
