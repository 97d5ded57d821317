package sql

import (
	"testing"
	"time"
)

// TestZoneSetting: the values of TimeZone as PostgreSQL 15's check_timezone reads them: the name SHOW writes
// and the offset east of Greenwich at a summer instant; the expected values are PostgreSQL's.
func TestZoneSetting(t *testing.T) {
	summer := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, in, shown string
		offset          int // seconds east of Greenwich on 2024-07-01
	}{
		{"a zone of the database keeps its name", "Europe/Paris", "Europe/Paris", 2 * 3600},
		{"a name in lower case takes the database's spelling", "europe/paris", "Europe/Paris", 2 * 3600},
		{"a name with lower-case words inside keeps them", "america/port-au-prince", "America/Port-au-Prince", -4 * 3600},
		{"an abbreviation is written in capitals", "utc", "UTC", 0},
		{"Etc names keep GMT in capitals", "etc/gmt+5", "Etc/GMT+5", -5 * 3600},
		{"a whole number is hours east", "-5", "<-05>+05", -5 * 3600},
		{"a signed number is hours east too, unlike POSIX", "+02", "<+02>-02", 2 * 3600},
		{"a fraction of an hour is minutes", "5.5", "<+05:30>-05:30", 5*3600 + 1800},
		{"a POSIX zone's offset is hours west", "UTC+3", "UTC+3", -3 * 3600},
		{"a POSIX offset without a name is read as one", "-02:30", "-02:30", 2*3600 + 1800},
	} {
		t.Run(c.name, func(t *testing.T) {
			shown, loc, err := zoneSetting(c.in)
			if err != nil {
				t.Fatalf("zoneSetting(%q): %v", c.in, err)
			}
			_, off := summer.In(loc).Zone()
			if shown != c.shown || off != c.offset {
				t.Errorf("zoneSetting(%q) = %q, offset %d; want %q, %d", c.in, shown, off, c.shown, c.offset)
			}
		})
	}
}

// TestZoneSetting_Invalid: what PostgreSQL refuses is 22023 with its message.
func TestZoneSetting_Invalid(t *testing.T) {
	for _, in := range []string{"Mars/Base", "Local", "", "Z", "Europe/Paris/x", "168", "-200"} {
		_, _, err := zoneSetting(in)
		e := AsError(err)
		if err == nil || e.Code != CodeInvalidParameterValue || e.Message != `invalid value for parameter "TimeZone": "`+in+`"` {
			t.Errorf("zoneSetting(%q): %v, want 22023 invalid value for parameter \"TimeZone\"", in, err)
		}
	}
}

// TestAppendTimestamptz: a timestamp with time zone's text in its location, with the offset as PostgreSQL writes
// it: hours, then minutes and seconds only when there are some.
func TestAppendTimestamptz(t *testing.T) {
	at := time.Date(2024, 1, 1, 12, 0, 0, 500_000_000, time.UTC)
	for _, c := range []struct{ zone, want string }{
		{"UTC", "2024-01-01 12:00:00.5+00"},
		{"Europe/Paris", "2024-01-01 13:00:00.5+01"},
		{"Asia/Kolkata", "2024-01-01 17:30:00.5+05:30"},
		{"America/St_Johns", "2024-01-01 08:30:00.5-03:30"},
	} {
		loc, _, ok := loadZone(c.zone)
		if !ok {
			t.Fatalf("no zone %s", c.zone)
		}
		if got := string(appendTimestamptz(nil, at.In(loc))); got != c.want {
			t.Errorf("%s: %q, want %q", c.zone, got, c.want)
		}
	}
	amsterdam, _, _ := loadZone("Europe/Amsterdam") // local mean time until 1937
	if got := string(appendTimestamptz(nil, time.Date(1900, 6, 1, 12, 0, 0, 0, time.UTC).In(amsterdam))); got != "1900-06-01 12:19:32+00:19:32" {
		t.Errorf("Amsterdam 1900: %q, want 1900-06-01 12:19:32+00:19:32", got)
	}
}

// TestAddTo_SummerTime: days are added on the calendar of the time's location, hours as elapsed time, as
// PostgreSQL's timestamptz_pl_interval adds them in the session's zone.
func TestAddTo_SummerTime(t *testing.T) {
	paris, _, _ := loadZone("Europe/Paris")
	before := time.Date(2024, 3, 30, 12, 0, 0, 0, paris) // the clocks go forward on the night of the 31st
	day, err := interval{days: 1}.addTo(before)
	if err != nil || !day.Equal(time.Date(2024, 3, 31, 12, 0, 0, 0, paris)) {
		t.Errorf("+ 1 day = %v (%v), want 2024-03-31 12:00 in Paris", day, err)
	}
	hours, err := interval{us: 24 * 3600 * 1_000_000}.addTo(before)
	if err != nil || !hours.Equal(time.Date(2024, 3, 31, 13, 0, 0, 0, paris)) {
		t.Errorf("+ 24 hours = %v (%v), want 2024-03-31 13:00 in Paris", hours, err)
	}
}
