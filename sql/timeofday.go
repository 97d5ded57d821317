package sql

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timeOfDay is a value of PostgreSQL's time (without time zone): microseconds since midnight, from 00:00:00 to
// 24:00:00 inclusive, as PostgreSQL's time holds them. It is stored as its text (timeText), which sorts as the
// times do, so that a time column's filters and sorts can be pushed down to the storage as string comparisons.
type timeOfDay int64

const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// clockShape is the form of a time whose fields may be out of range (25:00 is 22008, not a syntax error).
var zoneSuffix = regexp.MustCompile(`(?i)(z|[+-]\d{1,2}(:?\d{2})?)$`)

var clockShape = regexp.MustCompile(`^\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?( ?[AaPp][Mm])?$`)

// timeText writes t as PostgreSQL does: HH:MM:SS, then the fraction of a second without trailing zeros.
func timeText(t timeOfDay) string {
	us := int64(t)
	h, m, s, frac := us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if frac != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
	}
	return out
}

// parseTimeOfDay reads a time as PostgreSQL's time_in takes the common forms: HH:MM, HH:MM:SS and HH:MM:SS.ffffff
// (rounded to microseconds), with an optional AM or PM, and 24:00:00; a date before it (a timestamp's text) is
// skipped. Anything else, or a field out of range, is false.
func parseTimeOfDay(s string) (timeOfDay, bool) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "allballs") {
		return 0, true
	}
	if m := zoneSuffix.FindStringIndex(s); m != nil && strings.Count(s[:m[0]], ":") >= 1 {
		s = strings.TrimSpace(s[:m[0]]) // time without time zone ignores a zone, as PostgreSQL's does
	}
	if t, err := parseTime(s); err == nil && strings.ContainsAny(s, "-/") && len(s) > 10 {
		return ofClock(t), true // a timestamp's text: its time of day
	}
	upper := strings.ToUpper(s)
	pm, am := strings.HasSuffix(upper, "PM"), strings.HasSuffix(upper, "AM")
	if pm || am {
		s = strings.TrimSpace(s[:len(s)-2])
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	num := func(p string) (int64, bool) {
		if p == "" || len(p) > 2 {
			return 0, false
		}
		n, err := strconv.ParseInt(p, 10, 64)
		return n, err == nil && n >= 0
	}
	h, ok1 := num(parts[0])
	m, ok2 := num(parts[1])
	if !ok1 || !ok2 {
		return 0, false
	}
	var us int64
	if len(parts) == 3 {
		sec, frac, hasFrac := strings.Cut(parts[2], ".")
		sv, ok := num(sec)
		if !ok || sv > 59 && !(sv == 60 && !hasFrac) {
			return 0, false
		}
		us = sv * 1_000_000
		if hasFrac {
			if frac == "" || strings.Trim(frac, "0123456789") != "" {
				return 0, false
			}
			f, _ := strconv.ParseFloat("0."+frac, 64)
			us += int64(f*1_000_000 + 0.5)
		}
	}
	if pm || am {
		if h < 1 || h > 12 {
			return 0, false
		}
		h %= 12
		if pm {
			h += 12
		}
	}
	if m > 59 {
		return 0, false
	}
	total := h*3_600_000_000 + m*60_000_000 + us
	if total > microsPerDay {
		return 0, false
	}
	return timeOfDay(total), true
}

// ofClock is the time of day of a timestamp, in UTC.
func ofClock(t time.Time) timeOfDay {
	t = t.UTC()
	return timeOfDay(int64(t.Hour())*3_600_000_000 + int64(t.Minute())*60_000_000 + int64(t.Second())*1_000_000 +
		int64(t.Nanosecond()/1000))
}

// timeArith is time ± interval (a time, wrapping around midnight), time - time (an interval) and date + time (a
// timestamp), as PostgreSQL computes them; ok is false for other operands.
func timeArith(op string, l, r any) (any, bool, error) {
	lt, lok := l.(timeOfDay)
	rt, rok := r.(timeOfDay)
	switch {
	case lok && rok && op == "-":
		return interval{us: int64(lt - rt)}, true, nil
	case lok && (op == "+" || op == "-"):
		d, isDur := r.(interval)
		if !isDur {
			if day, isDay := r.(time.Time); isDay && op == "+" {
				return atClock(day, lt), true, nil
			}
			return nil, false, nil
		}
		us := d.us // a time takes an interval's time of day, not its days or months, as PostgreSQL's does
		if op == "-" {
			us = -us
		}
		return timeOfDay(((int64(lt)+us)%microsPerDay + microsPerDay) % microsPerDay), true, nil
	case rok && op == "+":
		if _, isDur := l.(interval); isDur {
			return timeArith(op, r, l)
		}
		if day, isDay := l.(time.Time); isDay {
			return atClock(day, rt), true, nil
		}
	}
	return nil, false, nil
}

// timePart is EXTRACT(field FROM t) of a time.
func timePart(field string, t timeOfDay) (any, error) {
	us := int64(t)
	switch field {
	case "hour", "hours":
		return float64(us / 3_600_000_000), nil
	case "minute", "minutes":
		return float64(us / 60_000_000 % 60), nil
	case "second", "seconds":
		return float64(us%60_000_000) / 1e6, nil
	case "millisecond", "milliseconds":
		return float64(us%60_000_000) / 1e3, nil
	case "microsecond", "microseconds":
		return float64(us % 60_000_000), nil
	case "epoch":
		return float64(us) / 1e6, nil
	}
	return nil, errorf(CodeFeatureNotSupported, "unit \"%s\" not supported for type time without time zone", field)
}

// TimeMicros is a time value's microseconds since midnight, for package pgserver's binary form of time.
func TimeMicros(v any) (int64, bool) {
	t, ok := v.(timeOfDay)
	return int64(t), ok
}

// TimeFromMicros is the time value of microseconds since midnight (a binary time parameter); outside 00:00:00 to
// 24:00:00 it is 22008, as PostgreSQL's time_recv says.
func TimeFromMicros(us int64) (any, error) {
	if us < 0 || us > microsPerDay {
		return nil, errorf(CodeDatetimeFieldOverflow, "time out of range")
	}
	return timeOfDay(us), nil
}

// atClock is date + time: the time of day on the day (under a day: no overflow); an infinite date stays so.
func atClock(day time.Time, t timeOfDay) time.Time {
	if infinite(day) != 0 {
		return day
	}
	return day.Add(time.Duration(t) * time.Microsecond)
}

// makeTime is make_time(h, m, sec), as PostgreSQL checks it (float_time_overflows): an hour of 0 to 24 and a
// minute of 0 to 59 each, seconds of 0 to 60 rounded to microseconds, and no more than 24:00:00 in all; false
// when out of range.
func makeTime(h, m int64, sec float64) (timeOfDay, bool) {
	if h < 0 || h > 24 || m < 0 || m >= 60 || math.IsNaN(sec) {
		return 0, false
	}
	us := math.RoundToEven(sec * 1e6)
	if us < 0 || us > 60e6 {
		return 0, false
	}
	t := (h*60+m)*60*1_000_000 + int64(us)
	if t > microsPerDay {
		return 0, false
	}
	return timeOfDay(t), true
}
