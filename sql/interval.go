package sql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// interval is a value of PostgreSQL's interval: months, days and microseconds, kept apart as PostgreSQL keeps
// them, since a month is no fixed number of days and a day no fixed number of hours to a timestamp (January 31
// plus 1 month is February 29; 2024-01-01 plus 1 month is 2024-02-01). Two intervals compare as PostgreSQL's do,
// a month as 30 days and a day as 24 hours ('1 day' = '24 hours'). An interval is stored as its text.
type interval struct {
	months int32
	days   int32
	us     int64
}

const usPerDay = int64(24 * time.Hour / time.Microsecond)

// cmpKey is the interval as whole days (a month 30) and microseconds within a day, which order as PostgreSQL's
// interval_cmp_value does.
func (iv interval) cmpKey() (int64, int64) {
	days := int64(iv.months)*30 + int64(iv.days) + iv.us/usPerDay
	us := iv.us % usPerDay
	if us < 0 {
		days, us = days-1, us+usPerDay
	}
	return days, us
}

// compareIntervals orders two intervals.
func compareIntervals(a, b interval) int {
	ad, au := a.cmpKey()
	bd, bu := b.cmpKey()
	if ad != bd {
		return cmp3(ad < bd, ad > bd)
	}
	return cmp3(au < bu, au > bu)
}

// neg is -iv.
func (iv interval) neg() interval { return interval{-iv.months, -iv.days, -iv.us} }

// errIntervalRange is PostgreSQL's error for an interval past its fields' range.
func errIntervalRange() error { return errorf(CodeDatetimeFieldOverflow, "interval out of range") }

// add is iv + o, field by field; a field past its range is 22008.
func (iv interval) add(o interval) (interval, error) {
	months, days, us := int64(iv.months)+int64(o.months), int64(iv.days)+int64(o.days), iv.us+o.us
	if months != int64(int32(months)) || days != int64(int32(days)) || (o.us > 0 && us < iv.us) || (o.us < 0 && us > iv.us) {
		return interval{}, errIntervalRange()
	}
	return interval{int32(months), int32(days), us}, nil
}

// scale is iv * f (or iv / f when div is set) as PostgreSQL's interval_mul and interval_div compute it: the
// fraction of the months carries into days (30 to a month) and the fraction of the days into the time, rounded
// to microseconds, a whole day of it back into the days.
func (iv interval) scale(f float64, div bool) (interval, error) {
	by := func(x float64) float64 {
		if div {
			return x / f
		}
		return x * f
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return interval{}, errIntervalRange()
	}
	monthsF, daysF := by(float64(iv.months)), by(float64(iv.days))
	if math.Abs(monthsF) > math.MaxInt32 || math.Abs(daysF) > math.MaxInt32 {
		return interval{}, errIntervalRange()
	}
	out := interval{months: int32(monthsF), days: int32(daysF)}
	monthRemainderDays := (monthsF - float64(out.months)) * 30
	secRemainder := (daysF - float64(out.days) + monthRemainderDays - math.Trunc(monthRemainderDays)) * 86400
	secRemainder = math.RoundToEven(secRemainder*1e6) / 1e6
	if math.Abs(secRemainder) >= 86400 {
		whole := math.Trunc(secRemainder / 86400)
		out.days += int32(whole)
		secRemainder -= whole * 86400
	}
	out.days += int32(monthRemainderDays)
	us := math.RoundToEven(by(float64(iv.us)) + secRemainder*1e6)
	if math.Abs(us) > 9.2e18 {
		return interval{}, errIntervalRange()
	}
	out.us = int64(us)
	return out, nil
}

// addTo is t + iv as PostgreSQL's timestamp_pl_interval: the months first (on the last day of the month when the
// day is past it), then the days (both on t's calendar, in its location), then the time.
func (iv interval) addTo(t time.Time) (time.Time, error) {
	if iv.months != 0 {
		y, m, d := t.Date()
		hh, mm, ss := t.Clock()
		total := int(m) - 1 + int(iv.months)
		y += total / 12
		total %= 12
		if total < 0 {
			total += 12
			y--
		}
		month := time.Month(total + 1)
		if last := daysIn(y, month); d > last {
			d = last
		}
		t = time.Date(y, month, d, hh, mm, ss, t.Nanosecond(), t.Location())
	}
	if iv.days != 0 {
		t = t.AddDate(0, 0, int(iv.days))
	}
	// The time in whole days first: a span of over 292 years does not fit a time.Duration. The time is elapsed
	// time, its days 24 hours even across a change of t's zone to summer time.
	loc := t.Location()
	t = t.UTC().AddDate(0, 0, int(iv.us/usPerDay)).Add(time.Duration(iv.us%usPerDay) * time.Microsecond).In(loc)
	if y := t.Year(); y < -4712 || y > 294276 {
		return time.Time{}, errorf(CodeDatetimeFieldOverflow, "timestamp out of range")
	}
	return t, nil
}

// daysIn is the number of days of a month.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// between is t1 - t2 as PostgreSQL's timestamp_mi: days and the time of day, no months, with the signs of the
// two made to agree (justify_hours).
func between(t1, t2 time.Time) interval {
	s1, s2 := int(t1.Unix()), int(t2.Unix())
	days := floorDiv(s1, 86400) - floorDiv(s2, 86400)
	us := int64((s1-floorDiv(s1, 86400)*86400)-(s2-floorDiv(s2, 86400)*86400))*1_000_000 + int64(t1.Nanosecond()-t2.Nanosecond())/1000
	return interval{days: int32(days), us: us}.justify(true, false)
}

// age is PostgreSQL's age(t1, t2) (timestamp_age): the difference of the calendar fields (in the times'
// location when they share one: the session's zone for timestamps with time zone, zonedCall), a negative field
// borrowing from the next larger one (a day from the month of the earlier date), so that it reads in years,
// months and days.
func age(t1, t2 time.Time) interval {
	if t1.Location() != t2.Location() || t1.Location() == time.Local {
		t1, t2 = t1.UTC(), t2.UTC()
	}
	y1, m1, d1 := t1.Date()
	y2, m2, d2 := t2.Date()
	h1, mi1, s1 := t1.Clock()
	h2, mi2, s2 := t2.Clock()
	f := [7]int{(t1.Nanosecond() - t2.Nanosecond()) / 1000, s1 - s2, mi1 - mi2, h1 - h2, d1 - d2, int(m1) - int(m2), y1 - y2}
	neg := t1.Before(t2)
	if neg {
		for i := range f {
			f[i] = -f[i]
		}
	}
	fsec, sec, min, hour, day, mon, year := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	for fsec < 0 {
		fsec += 1_000_000
		sec--
	}
	for sec < 0 {
		sec += 60
		min--
	}
	for min < 0 {
		min += 60
		hour--
	}
	for hour < 0 {
		hour += 24
		day--
	}
	for day < 0 {
		if neg {
			day += daysIn(y1, m1)
		} else {
			day += daysIn(y2, m2)
		}
		mon--
	}
	for mon < 0 {
		mon += 12
		year--
	}
	out := interval{months: int32(year*12 + mon), days: int32(day),
		us: ((int64(hour)*60+int64(min))*60+int64(sec))*1_000_000 + int64(fsec)}
	if neg {
		return out.neg()
	}
	return out
}

// justify is justify_hours (whole days out of the time), justify_days (whole months out of the days) or
// justify_interval (both: the days out of the time first, then the months out of the days), with the signs made to
// agree as PostgreSQL's do.
func (iv interval) justify(hours, days bool) interval {
	out := iv
	if hours {
		out.days += int32(out.us / usPerDay)
		out.us %= usPerDay
	}
	if days {
		out.months += out.days / 30
		out.days %= 30
		if out.months > 0 && (out.days < 0 || hours && out.days == 0 && out.us < 0) {
			out.days += 30
			out.months--
		} else if out.months < 0 && (out.days > 0 || hours && out.days == 0 && out.us > 0) {
			out.days -= 30
			out.months++
		}
	}
	if hours {
		if out.days > 0 && out.us < 0 {
			out.us += usPerDay
			out.days--
		} else if out.days < 0 && out.us > 0 {
			out.us -= usPerDay
			out.days++
		}
	}
	return out
}

// intervalUnits are the units an interval's text may name, as microseconds, days or months each.
var intervalUnits = map[string]struct {
	months, days float64
	us           float64
}{
	"microsecond": {us: 1}, "microseconds": {us: 1}, "us": {us: 1}, "usec": {us: 1}, "usecs": {us: 1},
	"millisecond": {us: 1e3}, "milliseconds": {us: 1e3}, "ms": {us: 1e3}, "msec": {us: 1e3}, "msecs": {us: 1e3},
	"second": {us: 1e6}, "seconds": {us: 1e6}, "sec": {us: 1e6}, "secs": {us: 1e6}, "s": {us: 1e6},
	"minute": {us: 60e6}, "minutes": {us: 60e6}, "min": {us: 60e6}, "mins": {us: 60e6}, "m": {us: 60e6},
	"hour": {us: 3600e6}, "hours": {us: 3600e6}, "hr": {us: 3600e6}, "hrs": {us: 3600e6}, "h": {us: 3600e6},
	"day": {days: 1}, "days": {days: 1}, "d": {days: 1},
	"week": {days: 7}, "weeks": {days: 7}, "w": {days: 7},
	"month": {months: 1}, "months": {months: 1}, "mon": {months: 1}, "mons": {months: 1},
	"year": {months: 12}, "years": {months: 12}, "yr": {months: 12}, "yrs": {months: 12}, "y": {months: 12},
	"decade": {months: 120}, "decades": {months: 120},
	"century": {months: 1200}, "centuries": {months: 1200},
	"millennium": {months: 12000}, "millennia": {months: 12000},
}

// parseInterval reads an interval's text as PostgreSQL does in its common forms: quantities with units ("1 year
// 2 months", "1.5 days", "-3 hours", "@ 1 day ago"), a time ("02:03:04.5", "1 day 02:00:00"), an ISO 8601
// duration ("P1Y2M3DT4H5M6S"), and Go's form ("25h0m0s", which older versions stored).
func parseInterval(s string) (interval, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("invalid input syntax for type interval: %q", s)
	if s == "" {
		return interval{}, bad
	}
	if strings.HasPrefix(strings.ToUpper(s), "P") {
		return parseISOInterval(s)
	}
	iv, err := parsePGInterval(s)
	if err == nil || AsError(err).Code == CodeDatetimeFieldOverflow {
		return iv, err
	}
	if d, derr := time.ParseDuration(s); derr == nil {
		return interval{us: int64(d / time.Microsecond)}, nil // Go's form, which older versions stored
	}
	return interval{}, bad
}

// parsePGInterval reads PostgreSQL's forms of an interval: quantities with units, a time, a bare number of
// seconds.
func parsePGInterval(s string) (interval, error) {
	bad := fmt.Errorf("invalid input syntax for type interval: %q", s)
	if n, err := strconv.ParseFloat(s, 64); err == nil { // a bare number is seconds
		if math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > 9e12 {
			return interval{}, bad
		}
		return interval{us: int64(math.Round(n * 1e6))}, nil
	}
	var months, days, us float64
	f := strings.Fields(strings.ToLower(strings.TrimPrefix(s, "@")))
	ago := len(f) > 0 && f[len(f)-1] == "ago"
	if ago {
		f = f[:len(f)-1]
	}
	if len(f) == 0 {
		return interval{}, bad
	}
	for i := 0; i < len(f); i++ {
		if strings.Contains(f[i], ":") {
			t := f[i]
			sign := 1.0
			if t[0] == '-' || t[0] == '+' {
				if t[0] == '-' {
					sign = -1
				}
				t = t[1:]
			}
			parts := strings.Split(t, ":")
			if len(parts) > 3 {
				return interval{}, bad
			}
			var fields [3]float64
			for j, p := range parts {
				v, err := strconv.ParseFloat(p, 64)
				if err != nil || v < 0 || j < len(parts)-1 && strings.Contains(p, ".") {
					return interval{}, bad
				}
				fields[j] = v
			}
			us += sign * (fields[0]*3600e6 + fields[1]*60e6 + fields[2]*1e6)
			continue
		}
		// The SQL standard's years-months ("1-2" is 1 year 2 months).
		if y, m, ok := strings.Cut(strings.TrimLeft(f[i], "+-"), "-"); ok && y != "" && m != "" && strings.Trim(y+m, "0123456789") == "" {
			yn, _ := strconv.ParseFloat(y, 64)
			mn, _ := strconv.ParseFloat(m, 64)
			if f[i][0] == '-' {
				yn, mn = -yn, -mn
			}
			months += 12*yn + mn
			continue
		}
		// A quantity and its unit, written apart ("3 days") or together ("3days"); a number before a time is
		// days ("1 02:03:04", as the SQL standard writes a day-time interval).
		num, unit := f[i], ""
		if j := strings.IndexFunc(num, func(r rune) bool { return r >= 'a' && r <= 'z' }); j > 0 {
			num, unit = num[:j], num[j:]
		} else if i+1 < len(f) && strings.Contains(f[i+1], ":") {
			unit = "day"
		} else if i+1 < len(f) {
			i++
			unit = f[i]
		}
		n, err := strconv.ParseFloat(num, 64)
		u, known := intervalUnits[unit]
		if err != nil || !known {
			return interval{}, bad
		}
		months += n * u.months
		days += n * u.days
		us += n * u.us
	}
	out, err := carried(months, days, us, s)
	if err != nil {
		return interval{}, err
	}
	if ago {
		out = out.neg()
	}
	return out, nil
}

// parseISOInterval reads an ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][nS]].
func parseISOInterval(s string) (interval, error) {
	bad := fmt.Errorf("invalid input syntax for type interval: %q", s)
	var months, days, us float64
	inTime := false
	num := ""
	for _, r := range strings.ToUpper(s[1:]) {
		switch {
		case r == 'T':
			inTime = true
		case r >= '0' && r <= '9' || r == '.' || r == '-':
			num += string(r)
		default:
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return interval{}, bad
			}
			num = ""
			switch {
			case r == 'Y' && !inTime:
				months += 12 * n
			case r == 'M' && !inTime:
				months += n
			case r == 'W' && !inTime:
				days += 7 * n
			case r == 'D' && !inTime:
				days += n
			case r == 'H' && inTime:
				us += n * 3600e6
			case r == 'M' && inTime:
				us += n * 60e6
			case r == 'S' && inTime:
				us += n * 1e6
			default:
				return interval{}, bad
			}
		}
	}
	if num != "" {
		return interval{}, bad
	}
	return carried(months, days, us, s)
}

// carried is the interval of months, days and microseconds read from s, their fractions carried down as
// PostgreSQL's reader carries them: of a month into days (30), of a day into microseconds.
func carried(months, days, us float64, s string) (interval, error) {
	wholeMonths := math.Trunc(months)
	days += (months - wholeMonths) * 30
	wholeDays := math.Trunc(days)
	us += (days - wholeDays) * float64(usPerDay)
	if math.Abs(wholeMonths) > math.MaxInt32 || math.Abs(wholeDays) > math.MaxInt32 || math.Abs(us) > 9.2e18 {
		return interval{}, errorf(CodeDatetimeFieldOverflow, "interval field value out of range: %q", s)
	}
	return interval{int32(wholeMonths), int32(wholeDays), int64(math.Round(us))}, nil
}

// formatInterval writes an interval as PostgreSQL's default style does: "1 year 2 mons 3 days 04:05:06", a field
// after a negative one signed ("-1 days +02:00:00"), "00:00:00" for zero.
func formatInterval(iv interval) string {
	var b strings.Builder
	zero, before := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !zero {
			b.WriteByte(' ')
		}
		if before && v > 0 {
			b.WriteByte('+')
		}
		fmt.Fprintf(&b, "%d %s", v, unit)
		if v != 1 {
			b.WriteByte('s')
		}
		before, zero = v < 0, false
	}
	part(int64(iv.months/12), "year")
	part(int64(iv.months%12), "mon")
	part(int64(iv.days), "day")
	if zero || iv.us != 0 {
		if !zero {
			b.WriteByte(' ')
		}
		us := iv.us
		switch {
		case us < 0:
			b.WriteByte('-')
			us = -us
		case before:
			b.WriteByte('+')
		}
		sec := us / 1_000_000
		fmt.Fprintf(&b, "%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
		if frac := us % 1_000_000; frac != 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%06d", frac), "0"))
		}
	}
	return b.String()
}

// intervalPart is EXTRACT(field FROM iv), as PostgreSQL's interval_part.
func intervalPart(field string, iv interval) (any, error) {
	switch field {
	case "epoch":
		secs := float64(iv.months/12)*365.25*86400 + float64(iv.months%12)*30*86400 + float64(iv.days)*86400
		return secs + float64(iv.us)/1e6, nil
	case "millennium", "millennia":
		return float64(iv.months / 12000), nil
	case "century", "centuries":
		return float64(iv.months / 1200), nil
	case "decade", "decades":
		return float64(iv.months / 120), nil
	case "year", "years":
		return float64(iv.months / 12), nil
	case "quarter":
		return float64(iv.months%12/3 + 1), nil
	case "month", "months":
		return float64(iv.months % 12), nil
	case "day", "days":
		return float64(iv.days), nil
	case "hour", "hours":
		return float64(iv.us / 3600_000_000), nil
	case "minute", "minutes":
		return float64(iv.us / 60_000_000 % 60), nil
	case "second", "seconds":
		return float64(iv.us%60_000_000) / 1e6, nil
	case "millisecond", "milliseconds":
		return float64(iv.us%60_000_000) / 1e3, nil
	case "microsecond", "microseconds":
		return float64(iv.us % 60_000_000), nil
	}
	return nil, errorf(CodeFeatureNotSupported, "unit \"%s\" not supported for type interval", field)
}

// IntervalParts is an interval value's months, days and microseconds, for package pgserver's binary form.
func IntervalParts(v any) (months, days int32, us int64, ok bool) {
	iv, ok := v.(interval)
	if s, styled := v.(styledInterval); styled {
		iv, ok = s.iv, true
	}
	return iv.months, iv.days, iv.us, ok
}

// IntervalOf is the interval value of months, days and microseconds (a binary interval parameter).
func IntervalOf(months, days int32, us int64) any { return interval{months, days, us} }
