package server

import (
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ramLogLines is how many lines the in-memory log keeps, as mongod's RamLog does for getLog.
const ramLogLines = 1024

// ramLog keeps the server's most recent structured log lines for getLog "global", each in mongod's JSON log
// format ({t, s, c, id, ctx, msg, attr}), so that a client can find an event by its mongod log id (20707 for
// a transaction aborted at its lifetime limit). Safe for concurrent use; the zero value is ready.
type ramLog struct {
	mu    sync.Mutex
	lines []string // a ring of at most ramLogLines, oldest at next once full
	next  int
	total int64
}

// add records one line.
func (l *ramLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if len(l.lines) < ramLogLines {
		l.lines = append(l.lines, line)
		return
	}
	l.lines[l.next] = line
	l.next = (l.next + 1) % ramLogLines
}

// snapshot returns the kept lines, oldest first, and how many were ever written.
func (l *ramLog) snapshot() ([]string, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.lines))
	out = append(out, l.lines[l.next:]...)
	out = append(out, l.lines[:l.next]...)
	return out, l.total
}

// logEvent records an informational event with mongod's component, log id and message in the in-memory log,
// and writes text (the human form) to the error log.
func (s *Server) logEvent(component string, id int32, msg string, attr bson.D, text string) {
	line := bson.D{
		{Key: "t", Value: bson.D{{Key: "$date", Value: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")}}},
		{Key: "s", Value: "I"}, {Key: "c", Value: component}, {Key: "id", Value: id}, {Key: "ctx", Value: "conn"},
		{Key: "msg", Value: msg},
	}
	if len(attr) > 0 {
		line = append(line, bson.E{Key: "attr", Value: attr})
	}
	if js, err := bson.MarshalExtJSON(line, false, false); err == nil {
		s.events.add(string(js))
	}
	s.logf("%s", text)
}
