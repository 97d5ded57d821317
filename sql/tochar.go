package sql

import (
	"github.com/cockroachdb/apd/v3"

	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// toChar is PostgreSQL's to_char of a timestamp (its date and time patterns, in the time's location) or a number
// (9, 0, the decimal point, group separators and FM).
func toChar(v any, format string) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if infinite(x) != 0 {
			return nil, nil // to_char of an infinite timestamp is NULL, as in PostgreSQL
		}
		if x.Location() == time.Local {
			x = x.UTC()
		}
		return formatTime(x, format), nil // in its location: UTC, or the session's zone (zonedCall)
	case int64, float64, *apd.Decimal:
		return formatNumber(x, format)
	case string:
		if n := numeric(x); n != any(x) {
			return formatNumber(n, format)
		}
		t, err := coerce(x, OIDTimestamptz)
		if err != nil {
			return nil, err
		}
		return formatTime(t.(time.Time), format), nil
	}
	return nil, unsupported(fmt.Sprintf("to_char of a %s", TypeName(valueOID(v))))
}

// timePatterns are to_char's date and time patterns, longest first where one begins another.
var timePatterns = []string{"YYYY", "YYY", "YY", "MONTH", "Month", "month", "MON", "Mon", "mon", "MM", "DAY", "Day", "day",
	"DDD", "DD", "DY", "Dy", "dy", "D", "HH24", "HH12", "HH", "MI", "SS", "MS", "US", "AM", "PM", "am", "pm", "A.M.",
	"P.M.", "a.m.", "p.m.", "IW", "IYYY", "Q", "TZ", "tz", "OF", "Y"}

// formatTime formats t with to_char's date and time patterns: FM before a pattern drops its padding; text in
// double quotes and any other character are copied.
func formatTime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); {
		if f[i] == '"' {
			j := strings.IndexByte(f[i+1:], '"')
			if j < 0 {
				b.WriteString(f[i+1:])
				break
			}
			b.WriteString(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		if f[i] == '\\' && i+1 < len(f) {
			b.WriteByte(f[i+1])
			i += 2
			continue
		}
		fm := false
		if strings.HasPrefix(f[i:], "FM") {
			fm = true
			i += 2
		}
		matched := ""
		for _, p := range timePatterns {
			if strings.HasPrefix(f[i:], p) {
				matched = p
				break
			}
		}
		if matched == "" { // FM before a character that begins no pattern changes nothing
			if i < len(f) {
				b.WriteByte(f[i])
				i++
			}
			continue
		}
		i += len(matched)
		num := func(n, width int) {
			if fm {
				b.WriteString(strconv.Itoa(n))
			} else {
				fmt.Fprintf(&b, "%0*d", width, n)
			}
		}
		name := func(s string, upper, lower bool, pad int) {
			switch {
			case upper:
				s = strings.ToUpper(s)
			case lower:
				s = strings.ToLower(s)
			}
			if !fm && len(s) < pad {
				s += strings.Repeat(" ", pad-len(s))
			}
			b.WriteString(s)
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch matched {
		case "YYYY":
			num(t.Year(), 4)
		case "YYY":
			num(t.Year()%1000, 3)
		case "YY":
			num(t.Year()%100, 2)
		case "Y":
			num(t.Year()%10, 1)
		case "IYYY":
			y, _ := t.ISOWeek()
			num(y, 4)
		case "MONTH", "Month", "month":
			name(t.Month().String(), matched == "MONTH", matched == "month", 9)
		case "MON", "Mon", "mon":
			name(t.Month().String()[:3], matched == "MON", matched == "mon", 0)
		case "MM":
			num(int(t.Month()), 2)
		case "DAY", "Day", "day":
			name(t.Weekday().String(), matched == "DAY", matched == "day", 9)
		case "DY", "Dy", "dy":
			name(t.Weekday().String()[:3], matched == "DY", matched == "dy", 0)
		case "DDD":
			num(t.YearDay(), 3)
		case "DD":
			num(t.Day(), 2)
		case "D":
			num(int(t.Weekday())+1, 1)
		case "HH24":
			num(t.Hour(), 2)
		case "HH12", "HH":
			num(hour12, 2)
		case "MI":
			num(t.Minute(), 2)
		case "SS":
			num(t.Second(), 2)
		case "MS":
			num(t.Nanosecond()/1e6, 3)
		case "US":
			num(t.Nanosecond()/1e3, 6)
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			s := "AM"
			if t.Hour() >= 12 {
				s = "PM"
			}
			if strings.Contains(matched, ".") {
				s = s[:1] + "." + s[1:] + "."
			}
			if matched[0] >= 'a' {
				s = strings.ToLower(s)
			}
			b.WriteString(s)
		case "IW":
			_, w := t.ISOWeek()
			num(w, 2)
		case "Q":
			num((int(t.Month())-1)/3+1, 1)
		case "TZ", "tz":
			abbr, _ := t.Zone()
			name(abbr, false, matched == "tz", 0)
		case "OF":
			_, off := t.Zone()
			b.WriteString(offsetText(off / 60 * 60)) // hours and minutes only, as PostgreSQL writes it
		}
	}
	return b.String()
}

// formatNumber formats a number with to_char's numeric patterns: 9 (a digit, a space where the number has none),
// 0 (a digit, zero-padded), . or D (the decimal point), , or G (a group separator, a space before the first
// digit), and FM (no padding, no trailing zeros where the pattern has 9s). The first character is the sign (a
// space for a positive number), as in PostgreSQL; a number too wide for the pattern prints as #s.
func formatNumber(v any, f string) (any, error) {
	fm := strings.HasPrefix(f, "FM")
	f = strings.NewReplacer("FM", "", "D", ".", "G", ",").Replace(f)
	if strings.Trim(f, "90.,") != "" {
		return nil, unsupported("this to_char number format (Concord has 9, 0, ., D, ,, G and FM)")
	}
	intPart, fracPart, hasPoint := strings.Cut(f, ".")
	x, ok := toFloat(numeric(v))
	if !ok {
		return nil, errorf(CodeDatatypeMismatch, "to_char needs a number or a timestamp")
	}
	digits := strconv.FormatFloat(math.Abs(x), 'f', len(fracPart), 64)
	if d, isDec := numeric(v).(*apd.Decimal); isDec && d.Form == apd.Finite {
		// A numeric is rounded in decimal, half away from zero (to_char(2.675, '9.99') is 2.68).
		r, err := decRound(new(apd.Decimal).Abs(d), len(fracPart), false)
		if err != nil {
			return nil, err
		}
		digits = r.Text('f')
	}
	whole, frac, _ := strings.Cut(digits, ".")
	whole = strings.TrimLeft(whole, "0") // the significant digits; "" for a number below 1
	slots := strings.Count(intPart, "9") + strings.Count(intPart, "0")
	if len(whole) > slots {
		return " " + strings.Repeat("#", len(f)), nil
	}
	if whole == "" && !hasPoint {
		whole = "0" // an integer pattern always shows the units digit
	}
	zeroFrom := strings.IndexByte(intPart, '0') // from a 0 of the pattern on, missing digits print as 0
	out := make([]byte, len(intPart))
	d := len(whole) - 1
	for i := len(intPart) - 1; i >= 0; i-- {
		switch c := intPart[i]; {
		case c == ',':
			out[i] = ','
			if d < 0 && (zeroFrom < 0 || i < zeroFrom) {
				out[i] = ' '
			}
		case d >= 0:
			out[i] = whole[d]
			d--
		case zeroFrom >= 0 && i >= zeroFrom:
			out[i] = '0'
		default:
			out[i] = ' '
		}
	}
	s := string(out)
	if hasPoint {
		if fm {
			// FM drops the trailing zeros the pattern's 9s allow (its 0s keep theirs).
			keep := strings.LastIndexByte(fracPart, '0') + 1
			t := strings.TrimRight(frac, "0")
			if len(t) < keep {
				t = frac[:keep]
			}
			frac = t
		}
		s += "." + frac
	}
	sign := " "
	if x < 0 {
		sign = "-"
	}
	body := strings.TrimLeft(s, " ")
	s = s[:len(s)-len(body)] + sign + body
	if fm {
		s = strings.TrimLeft(s, " ")
	}
	return s, nil
}
