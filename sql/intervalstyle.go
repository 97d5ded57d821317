package sql

import (
	"fmt"
	"strconv"
	"strings"
)

// IntervalStyle: how a result's intervals are written as text, as PostgreSQL's EncodeInterval writes them for
// each style. The session's style applies to the intervals a statement returns (and their arrays); a cast to text
// inside a statement writes the postgres style.

// intervalStyles are IntervalStyle's values.
var intervalStyles = []string{"postgres", "postgres_verbose", "sql_standard", "iso_8601"}

// checkIntervalStyle reads an IntervalStyle setting (any case); anything else is 22023 with PostgreSQL's hint.
func checkIntervalStyle(value string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(value))
	for _, s := range intervalStyles {
		if v == s {
			return s, nil
		}
	}
	return "", &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf("invalid value for parameter \"intervalstyle\": %q", value),
		Hint: "Available values: " + strings.Join(intervalStyles, ", ") + "."}
}

// IntervalStyle is the session's IntervalStyle as SHOW writes it, which the PostgreSQL port reports to its client
// in ParameterStatus when it changes.
func (s *Session) IntervalStyle() string {
	if v, ok := s.params.vals["intervalstyle"]; ok {
		return v
	}
	return "postgres"
}

// styledInterval is a result's interval with the session's IntervalStyle, which its text form follows.
type styledInterval struct {
	iv    interval
	style string
}

// showIntervalStyle makes a result's intervals (and interval arrays) show in the session's IntervalStyle.
func (s *Session) showIntervalStyle(res *Result) {
	style := s.IntervalStyle()
	if style == "postgres" || res == nil {
		return
	}
	var styled func(v any) any
	styled = func(v any) any {
		switch x := v.(type) {
		case interval:
			return styledInterval{x, style}
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = styled(e)
			}
			return out
		}
		return v
	}
	for i, c := range res.Columns {
		if c.OID != OIDInterval && c.OID != OIDIntervalArray {
			continue
		}
		for _, row := range res.Rows {
			if i < len(row) {
				row[i] = styled(row[i])
			}
		}
	}
}

// text writes the interval in its style.
func (v styledInterval) text() string {
	iv := v.iv
	year, mon := int64(iv.months/12), int64(iv.months%12)
	mday := int64(iv.days)
	t := iv.us
	hour := t / 3_600_000_000
	t -= hour * 3_600_000_000
	min := t / 60_000_000
	t -= min * 60_000_000
	sec := t / 1_000_000
	fsec := t - sec*1_000_000
	var b strings.Builder
	switch v.style {
	case "iso_8601":
		if year == 0 && mon == 0 && mday == 0 && hour == 0 && min == 0 && sec == 0 && fsec == 0 {
			return "PT0S"
		}
		b.WriteByte('P')
		part := func(n int64, unit byte) {
			if n != 0 {
				b.WriteString(strconv.FormatInt(n, 10))
				b.WriteByte(unit)
			}
		}
		part(year, 'Y')
		part(mon, 'M')
		part(mday, 'D')
		if hour != 0 || min != 0 || sec != 0 || fsec != 0 {
			b.WriteByte('T')
		}
		part(hour, 'H')
		part(min, 'M')
		if sec != 0 || fsec != 0 {
			if sec < 0 || fsec < 0 {
				b.WriteByte('-')
			}
			b.WriteString(intervalSeconds(sec, fsec, false))
			b.WriteByte('S')
		}
	case "sql_standard":
		neg := year < 0 || mon < 0 || mday < 0 || hour < 0 || min < 0 || sec < 0 || fsec < 0
		pos := year > 0 || mon > 0 || mday > 0 || hour > 0 || min > 0 || sec > 0 || fsec > 0
		yearMonth := year != 0 || mon != 0
		dayTime := mday != 0 || hour != 0 || min != 0 || sec != 0 || fsec != 0
		standard := !(neg && pos) && !(yearMonth && dayTime)
		if neg && standard {
			b.WriteByte('-') // one sign before the whole value
			year, mon, mday, hour, min, sec, fsec = -year, -mon, -mday, -hour, -min, -sec, -fsec
		}
		switch {
		case !neg && !pos:
			b.WriteByte('0')
		case !standard:
			// Mixed signs, or years and days together: every part signed.
			sign := func(negative bool) byte {
				if negative {
					return '-'
				}
				return '+'
			}
			fmt.Fprintf(&b, "%c%d-%d %c%d %c%d:%02d:", sign(year < 0 || mon < 0), abs64(year), abs64(mon),
				sign(mday < 0), abs64(mday), sign(hour < 0 || min < 0 || sec < 0 || fsec < 0), abs64(hour), abs64(min))
			b.WriteString(intervalSeconds(sec, fsec, true))
		case yearMonth:
			fmt.Fprintf(&b, "%d-%d", year, mon)
		case mday != 0:
			fmt.Fprintf(&b, "%d %d:%02d:", mday, hour, min)
			b.WriteString(intervalSeconds(sec, fsec, true))
		default:
			fmt.Fprintf(&b, "%d:%02d:", hour, min)
			b.WriteString(intervalSeconds(sec, fsec, true))
		}
	case "postgres_verbose":
		b.WriteByte('@')
		zero, before := true, false
		part := func(n int64, unit string) {
			if n == 0 {
				return
			}
			if zero {
				before = n < 0 // the first part decides: a negative interval is written "ago"
				n = abs64(n)
			} else if before {
				n = -n
			}
			fmt.Fprintf(&b, " %d %s", n, unit)
			if n != 1 {
				b.WriteByte('s')
			}
			zero = false
		}
		part(year, "year")
		part(mon, "mon")
		part(mday, "day")
		part(hour, "hour")
		part(min, "min")
		if sec != 0 || fsec != 0 {
			b.WriteByte(' ')
			if sec < 0 || (sec == 0 && fsec < 0) {
				if zero {
					before = true
				} else if !before {
					b.WriteByte('-')
				}
			} else if before {
				b.WriteByte('-')
			}
			b.WriteString(intervalSeconds(sec, fsec, false))
			b.WriteString(" sec")
			if abs64(sec) != 1 || fsec != 0 {
				b.WriteByte('s')
			}
			zero = false
		}
		if zero {
			b.WriteString(" 0")
		}
		if before {
			b.WriteString(" ago")
		}
	default:
		return formatInterval(iv)
	}
	return b.String()
}

// intervalSeconds is PostgreSQL's AppendSeconds: the seconds' magnitude (two digits when zeros fill), then the
// microseconds' without their trailing zeros.
func intervalSeconds(sec, fsec int64, fill bool) string {
	s := strconv.FormatInt(abs64(sec), 10)
	if fill && len(s) < 2 {
		s = "0" + s
	}
	if fsec != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", abs64(fsec)), "0")
	}
	return s
}
