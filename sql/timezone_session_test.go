package sql_test

import (
	"context"
	"testing"

	"github.com/concorddb/concord/sql"
)

// TestSession_TimeZone: the startup parameter TimeZone sets the session's zone and its default, which RESET
// returns to; SHOW names the column as PostgreSQL does; a prepared statement's text parameter is read in the zone.
func TestSession_TimeZone(t *testing.T) {
	s := openSession(t)
	if err := s.Set("TimeZone", "asia/tokyo"); err != nil {
		t.Fatal(err)
	}
	if got, want := run(t, s, "SHOW timezone"), "TimeZone\nAsia/Tokyo\nSHOW\n"; got != want {
		t.Errorf("SHOW timezone:\n%s\nwant\n%s", got, want)
	}
	if got, want := run(t, s, "SELECT timestamptz '2024-01-01 00:00+00', timestamptz '2024-01-01 09:00'::timestamp::text"),
		"timestamptz|text\n2024-01-01 09:00:00+09|2024-01-01 09:00:00\nSELECT 1\n"; got != want {
		t.Errorf("in Tokyo:\n%s\nwant\n%s", got, want)
	}
	run(t, s, "SET TIME ZONE 'America/New_York'")
	if s.TimeZone() != "America/New_York" {
		t.Errorf("TimeZone() after SET = %q", s.TimeZone())
	}
	run(t, s, "RESET timezone")
	if s.TimeZone() != "Asia/Tokyo" {
		t.Errorf("TimeZone() after RESET = %q, want the startup's Asia/Tokyo", s.TimeZone())
	}
	st, err := s.Prepare(context.Background(), "SELECT $1::timestamptz = timestamptz '2024-01-01 00:00+00'", []uint32{sql.OIDTimestamptz})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Execute(context.Background(), st, []any{"2024-01-01 09:00"})
	if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != true {
		t.Errorf("text parameter in Tokyo: %v %v, want true", res, err)
	}
	if err := s.Set("TimeZone", "Mars/Base"); sql.AsError(err).Code != sql.CodeInvalidParameterValue {
		t.Errorf("Set TimeZone Mars/Base: %v, want 22023", err)
	}
}
