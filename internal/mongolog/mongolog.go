// Package mongolog writes log/slog records as mongod's structured JSON log lines:
//
//	{"t":{"$date":"2026-12-04T09:00:00.123+00:00"},"s":"I","c":"COMMAND","id":51803,"ctx":"conn12","msg":"Slow query","attr":{...}}
//
// so that tools reading mongod's log read Concord's. The attributes named "c" (component), "id" (message id) and
// "ctx" (thread or connection) fill those fields; every other attribute goes into "attr". A json.RawMessage value
// is written as is, other values as encoding/json writes them.
package mongolog

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Handler is a slog.Handler writing mongod's JSON lines. Safe for concurrent use: each record is one Write.
type Handler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []slog.Attr // from WithAttrs
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler returns a Handler writing records at level or above to w.
func NewHandler(w io.Writer, level slog.Leveler) *Handler {
	return &Handler{mu: new(sync.Mutex), w: w, level: level}
}

// ParseLevel reads a --log-level value: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// Enabled reports whether records at l are written.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs returns a Handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &h2
}

// WithGroup returns h: mongod's lines have one flat attr object, so groups are not kept.
func (h *Handler) WithGroup(string) slog.Handler { return h }

// severity is mongod's severity letter of l (D1 for debug).
func severity(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "E"
	case l >= slog.LevelWarn:
		return "W"
	case l >= slog.LevelInfo:
		return "I"
	}
	return "D1"
}

// line is one log line in mongod's field order.
type line struct {
	T struct {
		Date string `json:"$date"`
	} `json:"t"`
	S    string          `json:"s"`
	C    string          `json:"c"`
	ID   int64           `json:"id"`
	Ctx  string          `json:"ctx"`
	Msg  string          `json:"msg"`
	Attr json.RawMessage `json:"attr,omitempty"`
}

// Handle writes r as one line.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	var l line
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	l.T.Date = t.Format("2006-01-02T15:04:05.000-07:00")
	l.S, l.C, l.Ctx, l.Msg = severity(r.Level), "-", "main", r.Message
	var b strings.Builder
	add := func(a slog.Attr) bool {
		v := a.Value.Resolve()
		switch a.Key {
		case "c":
			l.C = v.String()
			return true
		case "id":
			l.ID = v.Int64()
			return true
		case "ctx":
			l.Ctx = v.String()
			return true
		}
		var val []byte
		if raw, ok := v.Any().(json.RawMessage); ok {
			val = raw
		} else {
			var err error
			if val, err = json.Marshal(jsonValue(v)); err != nil {
				val, _ = json.Marshal(v.String())
			}
		}
		key, _ := json.Marshal(a.Key)
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(val)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if b.Len() > 0 {
		l.Attr = json.RawMessage("{" + b.String() + "}")
	}
	out, err := json.Marshal(l)
	if err != nil {
		return err
	}
	out = append(out, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err = h.w.Write(out)
	return err
}

// jsonValue is what encoding/json should write for v: errors and durations as text, the rest as they are.
func jsonValue(v slog.Value) any {
	switch v.Kind() {
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindTime:
		return v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return err.Error()
		}
	}
	return v.Any()
}
