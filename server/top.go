package server

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// topTable keeps, per namespace, the time spent in and the number of the commands run on it, as mongod's Top
// does for the top command. Its zero value is ready; it is safe for concurrent use.
type topTable struct {
	mu  sync.Mutex
	nss map[string]*topEntry
}

// topEntry is one namespace's counters, indexed by topSlot.
type topEntry [topSlots]topCounter

// topCounter is a time in microseconds and a count.
type topCounter struct{ time, count int64 }

// topSlot names the counters of a topEntry, in the order top reports them.
type topSlot int

const (
	topTotal topSlot = iota
	topReadLock
	topWriteLock
	topQueries
	topGetMore
	topInsert
	topUpdate
	topRemove
	topCommands
	topSlots
)

var topSlotNames = [topSlots]string{"total", "readLock", "writeLock", "queries", "getmore", "insert", "update", "remove", "commands"}

// topKind is how a command counts in top: the category it falls in and whether it writes.
type topKind struct {
	slot  topSlot
	write bool
}

// topKinds are the commands top counts, by name: mongod's logical operations (query, getmore, insert, update,
// remove, command) with the lock each takes. Commands not listed act on no collection and are not counted.
var topKinds = map[string]topKind{
	"find": {topQueries, false}, "getMore": {topGetMore, false},
	"insert": {topInsert, true}, "update": {topUpdate, true}, "delete": {topRemove, true},
	"aggregate": {topCommands, false}, "count": {topCommands, false}, "distinct": {topCommands, false},
	"listIndexes": {topCommands, false}, "collStats": {topCommands, false}, "validate": {topCommands, false},
	"dataSize":      {topCommands, false},
	"findAndModify": {topCommands, true}, "findandmodify": {topCommands, true}, "create": {topCommands, true},
	"drop": {topCommands, true}, "createIndexes": {topCommands, true}, "dropIndexes": {topCommands, true},
	"collMod": {topCommands, true}, "compact": {topCommands, true},
}

// record counts one command that ran on a collection for d.
func (t *topTable) record(req *Request, d time.Duration) {
	kind, ok := topKinds[req.Name]
	if !ok {
		return
	}
	coll := ""
	switch req.Name {
	case "getMore":
		coll, _ = req.Body.Lookup("collection").StringValueOK()
	case "dataSize":
		full, _ := req.Body.Lookup("dataSize").StringValueOK()
		if db, c, ok := strings.Cut(full, "."); ok && db == req.DB {
			coll = c
		}
	default:
		coll, _ = req.Body.Index(0).Value().StringValueOK()
	}
	if coll == "" {
		return
	}
	us := d.Microseconds()
	lock := topReadLock
	if kind.write {
		lock = topWriteLock
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nss == nil {
		t.nss = map[string]*topEntry{}
	}
	e := t.nss[ns(req.DB, coll)]
	if e == nil {
		e = &topEntry{}
		t.nss[ns(req.DB, coll)] = e
	}
	for _, slot := range []topSlot{topTotal, lock, kind.slot} {
		e[slot].time += us
		e[slot].count++
	}
}

// snapshot returns the counters of every namespace, by namespace.
func (t *topTable) snapshot() map[string]topEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]topEntry, len(t.nss))
	for k, v := range t.nss {
		out[k] = *v
	}
	return out
}

// handleTop answers top (admin database only): {totals: {note, "<db>.<coll>": {total: {time, count}, readLock,
// writeLock, queries, getmore, insert, update, remove, commands}}}, times in microseconds.
func handleTop(_ context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "top may only be run against the admin database.")
	}
	snap := s.top.snapshot()
	totals := bson.D{{Key: "note", Value: "all times in microseconds"}}
	for _, name := range slices.Sorted(maps.Keys(snap)) {
		e := snap[name]
		d := make(bson.D, 0, topSlots)
		for slot := range topSlots {
			d = append(d, bson.E{Key: topSlotNames[slot], Value: bson.D{{Key: "time", Value: e[slot].time}, {Key: "count", Value: e[slot].count}}})
		}
		totals = append(totals, bson.E{Key: name, Value: d})
	}
	return bson.D{{Key: "totals", Value: totals}}, nil
}
