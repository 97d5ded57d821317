package sql

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// infinityTime and negInfinityTime are PostgreSQL's date and timestamp 'infinity' and '-infinity': the latest and
// the earliest instants a BSON date holds, so that a stored infinity sorts after (before) every other date in the
// filters and sorts the storage evaluates, as PostgreSQL's do. Arithmetic leaves them where they are (see
// infinite).
var (
	infinityTime    = time.UnixMilli(math.MaxInt64).UTC()
	negInfinityTime = time.UnixMilli(math.MinInt64).UTC()
)

// infinite is 1 for 'infinity', -1 for '-infinity', 0 for a finite time.
func infinite(t time.Time) int {
	switch {
	case t.Equal(infinityTime):
		return 1
	case t.Equal(negInfinityTime):
		return -1
	}
	return 0
}

// Infinite is 1 for the time that stands for 'infinity', -1 for '-infinity', 0 for a finite time; package
// pgserver uses it for the binary forms of dates and timestamps.
func Infinite(t time.Time) int { return infinite(t) }

// InfiniteTime is the time that stands for 'infinity' (sign > 0) or '-infinity' (sign < 0).
func InfiniteTime(sign int) time.Time {
	if sign < 0 {
		return negInfinityTime
	}
	return infinityTime
}

// infiniteText is the text form of an infinite time ("infinity", "-infinity"), "" for a finite one.
func infiniteText(t time.Time) string {
	switch infinite(t) {
	case 1:
		return "infinity"
	case -1:
		return "-infinity"
	}
	return ""
}

// relativeDays are the special words of PostgreSQL's date input that name a day relative to now.
var relativeDays = map[string]int{"today": 0, "tomorrow": 1, "yesterday": -1}

// specialTime reads the special input strings PostgreSQL's date, timestamp and timestamptz take, in any case and
// with spaces around them: 'epoch' (1970-01-01 00:00 UTC), 'infinity' and '-infinity', 'now'
// (the instant now), and 'today', 'tomorrow' and 'yesterday' (midnight of that day in now's location), which may
// come with a time of day before or after them ('tomorrow 10:30'). ok is false for other strings.
//
// For example, with now at 2024-03-10 15:04 UTC: 'TODAY' is 2024-03-10 00:00, 'yesterday 23:00' is 2024-03-09
// 23:00, 'now' is 2024-03-10 15:04.
func specialTime(s string, now time.Time) (t time.Time, ok bool) {
	words := strings.Fields(strings.ToLower(s))
	switch len(words) {
	case 1:
		switch words[0] {
		case "epoch":
			return time.Unix(0, 0).UTC(), true
		case "infinity":
			return infinityTime, true
		case "-infinity":
			return negInfinityTime, true
		case "now":
			return now, true
		}
		if n, isDay := relativeDays[words[0]]; isDay {
			y, m, d := now.Date()
			return time.Date(y, m, d+n, 0, 0, 0, 0, now.Location()), true
		}
	case 2:
		day, clock := words[0], words[1]
		if _, isDay := relativeDays[day]; !isDay {
			day, clock = clock, day
		}
		n, isDay := relativeDays[day]
		if !isDay {
			return time.Time{}, false
		}
		tod, isClock := parseTimeOfDay(clock)
		if !isClock {
			return time.Time{}, false
		}
		y, m, d := now.Date()
		return time.Date(y, m, d+n, 0, 0, 0, 0, now.Location()).Add(time.Duration(tod) * time.Microsecond), true
	}
	return time.Time{}, false
}

// specialClock reads the special input strings PostgreSQL's time takes: 'now' (the time of day of now) and
// 'allballs' (midnight).
func specialClock(s string, now time.Time) (timeOfDay, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "now":
		return ofClock(now.UTC()), true
	case "allballs":
		return 0, true
	}
	return 0, false
}

// dateShape matches input that has the form of a date, whose failure to parse is then a field out of range (22008,
// '2024-02-30') rather than bad syntax (22007), as PostgreSQL tells them apart.
var dateShape = regexp.MustCompile(`^\s*(\d{1,4}-\d{1,2}-\d{1,2}|\d{8})([ T]\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?)?(\s+(?i:BC|AD))?\s*$`)

// mdOverflow reports whether a date written y-m-d or yyyymmdd has a month outside 1 to 12 or a day outside 1 to
// 31, which PostgreSQL's parser suspects of being a day and month in the other order (its datestyle hint).
func mdOverflow(date string) bool {
	var month, day string
	if parts := strings.Split(date, "-"); len(parts) == 3 {
		month, day = parts[1], parts[2]
	} else if len(date) == 8 {
		month, day = date[4:6], date[6:]
	}
	m, err1 := strconv.Atoi(month)
	d, err2 := strconv.Atoi(day)
	return err1 == nil && err2 == nil && (m < 1 || m > 12 || d < 1 || d > 31)
}

// timeInputError is the error for a string that is no date, timestamp or timestamptz (type oid).
func timeInputError(s string, oid uint32) error {
	if m := dateShape.FindStringSubmatch(s); m != nil {
		e := errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
		if mdOverflow(m[1]) {
			e.Hint = `Perhaps you need a different "datestyle" setting.` // PostgreSQL's, for a month or day no calendar has
		}
		return e
	}
	return errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", TypeName(oid), s)
}

// relativeTime resolves the special input strings that depend on the clock ('now', 'today', 'tomorrow',
// 'yesterday') against the statement's timestamp, as PostgreSQL resolves them against the transaction's start,
// so that 'now'::timestamptz = now() holds, in the session's zone ('today' is its midnight there); a timestamp
// with time zone without an offset is read in that zone (zonedInput). Other values are returned as they are, for
// coerce.
func (x *exec) relativeTime(v any, oid uint32) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	switch oid {
	case OIDDate, OIDTimestamp, OIDTimestamptz:
		if _, err := parseTime(s); err != nil {
			if t, special := specialTime(s, x.now().In(x.zone())); special {
				if oid == OIDTimestamptz {
					return t.UTC()
				}
				return wallClock(t) // the day and clock in the session's zone
			}
			break
		}
		return x.zonedInput(v, oid)
	case OIDTime:
		if _, ok := parseTimeOfDay(s); !ok {
			if t, special := specialClock(s, wallClock(x.now().In(x.zone()))); special {
				return t
			}
		}
	}
	return v
}
