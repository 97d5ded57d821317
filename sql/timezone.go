package sql

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zone names for AT TIME ZONE without the system's zone files
)

// atTimeZone is ts AT TIME ZONE zone (timezone(zone, ts)): a timestamp with time zone becomes the wall-clock time
// in zone, a timestamp without time zone (naive) is read as a wall-clock time in zone. Timestamps are kept in UTC
// here, a naive one by its wall clock.
func atTimeZone(zone, ts any, naive bool) (any, error) {
	if zone == nil || ts == nil {
		return nil, nil
	}
	loc, err := zoneNamed(formatText(zone))
	if err != nil {
		return nil, err
	}
	oid := OIDTimestamptz
	if naive {
		oid = OIDTimestamp
	}
	c, err := coerce(ts, oid)
	if err != nil {
		return nil, err
	}
	t := c.(time.Time).UTC()
	if infinite(t) != 0 {
		return t, nil
	}
	if naive {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC(), nil
	}
	w := t.In(loc)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC), nil
}

// zoneNamed reads a time zone as PostgreSQL does: a name of the zone database (UTC, Europe/Paris) or a numeric
// offset in POSIX's sense, east of Greenwich negative ('+02' is two hours west, as PostgreSQL reads it).
func zoneNamed(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	if loc, err := time.LoadLocation(n); err == nil && n != "" && n != "Local" {
		return loc, nil
	}
	if strings.EqualFold(n, "utc") || strings.EqualFold(n, "gmt") || strings.EqualFold(n, "z") {
		return time.UTC, nil
	}
	if len(n) > 1 && (n[0] == '+' || n[0] == '-') {
		h, m := n[1:], "0"
		if i := strings.IndexByte(h, ':'); i >= 0 {
			h, m = h[:i], h[i+1:]
		}
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hh <= 15 && mm < 60 {
			secs := hh*3600 + mm*60
			if n[0] == '+' {
				secs = -secs // POSIX: +02 is west of Greenwich
			}
			return time.FixedZone(n, secs), nil
		}
	}
	return nil, errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", name)
}
