package mongolog_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"regexp"
	"testing"

	"github.com/concorddb/concord/internal/mongolog"
)

func TestHandler_Line(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(mongolog.NewHandler(&buf, slog.LevelInfo))
	log.Info("Slow query", "c", "COMMAND", "id", 51803, "ctx", "conn7",
		"type", "command", "ns", "test.c", "command", json.RawMessage(`{"update":"c"}`), "durationMillis", 120)
	log.Debug("not written at info")
	re := regexp.MustCompile(`^\{"t":\{"\$date":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"\},"s":"I","c":"COMMAND","id":51803,"ctx":"conn7","msg":"Slow query","attr":\{"type":"command","ns":"test.c","command":\{"update":"c"\},"durationMillis":120\}\}\n$`)
	if !re.Match(buf.Bytes()) {
		t.Fatalf("line %q", buf.String())
	}
}

func TestHandler_DefaultsAndLevels(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(mongolog.NewHandler(&buf, slog.LevelWarn))
	log.Info("dropped")
	log.Error("boom", "error", errTest{})
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %q", err, buf.String())
	}
	if got["s"] != "E" || got["c"] != "-" || got["ctx"] != "main" || got["msg"] != "boom" {
		t.Fatalf("line %v", got)
	}
	if attr := got["attr"].(map[string]any); attr["error"] != "test error" {
		t.Fatalf("attr %v", attr)
	}
	if _, err := mongolog.ParseLevel("chatty"); err == nil {
		t.Fatal("ParseLevel accepted chatty")
	}
}

type errTest struct{}

func (errTest) Error() string { return "test error" }
