package sql

import (
	"github.com/cockroachdb/apd/v3"
	"unicode/utf8"

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
	case interval:
		return intervalToChar(x, format)
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

// formatTime formats t with to_char's date and time patterns (parseDateTemplate): FM before a pattern drops its
// padding, TH or th after a number pattern adds its ordinal suffix; every other character is copied.
func formatTime(t time.Time, f string) string {
	var b strings.Builder
	for _, n := range parseDateTemplate(f) {
		if n.kind != tmplPattern {
			b.WriteString(n.text)
			continue
		}
		fm := n.fm
		num := func(v, width int) {
			if fm {
				b.WriteString(strconv.Itoa(v))
			} else {
				fmt.Fprintf(&b, "%0*d", width, v)
			}
			if n.th != "" {
				b.WriteString(ordinal(v, n.th == "TH"))
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
		key := n.key
		if digitPatterns[strings.ToUpper(key)] || strings.EqualFold(key, "FX") || strings.EqualFold(key, "TZH") {
			key = strings.ToUpper(key)
		}
		year := t.Year()
		if year <= 0 {
			year = 1 - year // a year BC is written as its number BC
		}
		switch key {
		case "YYYY":
			num(year, 4)
		case "YYY":
			num(year%1000, 3)
		case "YY":
			num(year%100, 2)
		case "Y":
			num(year%10, 1)
		case "IYYY", "IYY", "IY", "I":
			y, _ := t.ISOWeek()
			width := len(key)
			num(y%[]int{10, 100, 1000, 1e9}[width-1], width)
		case "MONTH", "Month", "month":
			name(t.Month().String(), key == "MONTH", key == "month", 9)
		case "MON", "Mon", "mon":
			name(t.Month().String()[:3], key == "MON", key == "mon", 0)
		case "MM":
			num(int(t.Month()), 2)
		case "DAY", "Day", "day":
			name(t.Weekday().String(), key == "DAY", key == "day", 9)
		case "DY", "Dy", "dy":
			name(t.Weekday().String()[:3], key == "DY", key == "dy", 0)
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
			b.WriteString(marker(map[bool]string{false: "AM", true: "PM"}[t.Hour() >= 12], key))
		case "IW":
			_, w := t.ISOWeek()
			num(w, 2)
		case "ID": // the ISO day of the week, Monday 1
			num((int(t.Weekday())+6)%7+1, 1)
		case "IDDD": // the day of the ISO year
			_, w := t.ISOWeek()
			num((w-1)*7+(int(t.Weekday())+6)%7+1, 3)
		case "J":
			num(int(julianDay(t)), 1)
		case "CC":
			num(century(t.Year()), 2)
		case "W": // the week of the month, from its first day
			num((t.Day()-1)/7+1, 1)
		case "WW": // the week of the year, from its first day
			num((t.YearDay()-1)/7+1, 2)
		case "SSSS", "SSSSS":
			num(t.Hour()*3600+t.Minute()*60+t.Second(), 1)
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			digits := int(key[2] - '0')
			num(t.Nanosecond()/1000/int(math.Pow10(6-digits)), digits)
		case "BC", "AD", "bc", "ad", "B.C.", "A.D.", "b.c.", "a.d.":
			b.WriteString(marker(map[bool]string{false: "AD", true: "BC"}[t.Year() <= 0], key))
		case "RM", "rm": // the month in Roman numerals
			name([]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}[t.Month()-1], key == "RM", key == "rm", 4)
		case "Y,YYY":
			fmt.Fprintf(&b, "%d,%03d", t.Year()/1000, t.Year()%1000)
		case "Q":
			num((int(t.Month())-1)/3+1, 1)
		case "TZ", "tz":
			abbr, _ := t.Zone()
			name(abbr, false, key == "tz", 0)
		case "OF":
			_, off := t.Zone()
			b.WriteString(offsetText(off / 60 * 60)) // hours and minutes only, as PostgreSQL writes it
		case "TZH":
			_, off := t.Zone()
			sign := "+"
			if off < 0 {
				sign, off = "-", -off
			}
			fmt.Fprintf(&b, "%s%02d", sign, off/3600)
		case "TZM":
			_, off := t.Zone()
			if off < 0 {
				off = -off
			}
			num(off/60%60, 2)
		}
	}
	return b.String()
}

// marker is a two-letter marker (AM, PM, BC, AD) written as the pattern key writes it: with dots (A.M.) and in
// lower case (am) as the key has them.
func marker(s, key string) string {
	if strings.Contains(key, ".") {
		s = s[:1] + "." + s[1:] + "."
	}
	if key[0] >= 'a' {
		s = strings.ToLower(s)
	}
	return s
}

// ordinal is the English ordinal suffix of n (1st, 2nd, 3rd, 4th, 11th), upper case when upper.
func ordinal(n int, upper bool) string {
	s := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			s = "st"
		case 2:
			s = "nd"
		case 3:
			s = "rd"
		}
	}
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

// formatNumber formats a number with to_char's numeric patterns: 9 (a digit, a space where the number has none),
// 0 (a digit, zero-padded), . or D (the decimal point), , or G (a group separator, a space before the first
// digit), FM (no padding, no trailing zeros where the pattern has 9s), and a sign: S (+ or -, next to the
// number, at the pattern's start or end), MI (- or a space), SG (+ or -) and PL (+ or a space, beside the usual
// sign) at the pattern's start or end, PR (a negative number in angle brackets) at its end. Without one the first
// character is the sign (a space for a positive number), as in PostgreSQL; a number too wide for the pattern
// prints as #s in its digits' places.
func formatNumber(v any, f string) (any, error) {
	f, lits, err := numberTemplate(f)
	if err != nil {
		return nil, err
	}
	fm := strings.HasPrefix(f, "FM")
	f = strings.TrimPrefix(f, "FM")
	var lead, trail string
	for _, t := range []string{"SG", "PL", "MI", "S"} {
		if strings.HasPrefix(f, t) {
			lead, f = t, f[len(t):]
			break
		}
	}
	for _, t := range []string{"SG", "PL", "MI", "PR", "S"} {
		if lead == "" && strings.HasSuffix(f, t) {
			trail, f = t, f[:len(f)-len(t)]
			break
		}
	}
	f = strings.NewReplacer("D", ".", "G", ",").Replace(f)
	if mant, sci := strings.CutSuffix(f, "EEEE"); sci && lead == "" && trail == "" && strings.Trim(mant, "90.") == "" && strings.Count(mant, ".") <= 1 {
		// Scientific notation: one digit before the point, the pattern's after it, a signed exponent of two
		// digits or more (to_char(1e6, '9.99EEEE') is " 1.00e+06").
		if fm {
			return nil, &Error{Code: CodeSyntaxError, Message: `"EEEE" is incompatible with other formats`,
				Detail: `"EEEE" may only be used together with digit and decimal point patterns.`}
		}
		if len(lits) > 0 {
			return nil, unsupported("text in a to_char number format with EEEE")
		}
		_, frac, _ := strings.Cut(mant, ".")
		x, ok := toFloat(numeric(v))
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "to_char needs a number or a timestamp")
		}
		out := strconv.FormatFloat(math.Abs(x), 'e', len(frac), 64)
		if d, isDec := numeric(v).(*apd.Decimal); isDec && d.Form == apd.Finite && !d.IsZero() {
			// A numeric's exponent is its first digit's, taken before rounding (99.999 is 10.00e+01, as in
			// PostgreSQL), and its digits round half away from zero.
			abs := new(apd.Decimal).Abs(d)
			exp := int64(abs.NumDigits()) + int64(abs.Exponent) - 1
			m := new(apd.Decimal).Set(abs)
			m.Exponent -= int32(exp)
			r, err := decRound(m, len(frac), false)
			if err != nil {
				return nil, err
			}
			sign := "+"
			if exp < 0 {
				sign, exp = "-", -exp
			}
			out = fmt.Sprintf("%se%s%02d", r.Text('f'), sign, exp)
		}
		switch {
		case x < 0:
			out = "-" + out
		case !fm:
			out = " " + out
		}
		return out, nil
	}
	if strings.Trim(f, "90.,") != "" || strings.Count(f, ".") > 1 {
		return nil, unsupported("this to_char number format (Concord has 9, 0, ., D, ,, G, FM, S, MI, PL, SG, PR and EEEE)")
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
	var s string
	if len(whole) > slots {
		s = strings.NewReplacer("9", "#", "0", "#").Replace(f)
	} else {
		s = numberDigits(whole, frac, intPart, fracPart, hasPoint, fm)
	}
	pad := len(s) - len(strings.TrimLeft(s, " ")) // the padding before the number's first character
	neg := x < 0
	pick := func(ifNeg, ifNot string) string {
		if neg {
			return ifNeg
		}
		return ifNot
	}
	// beside puts ch just before the number's first character (after the padding).
	beside := func(ch string) string {
		body := strings.TrimLeft(s, " ")
		return s[:len(s)-len(body)] + ch + body
	}
	switch {
	case lead == "S":
		s = beside(pick("-", "+"))
	case trail == "S":
		s += pick("-", "+")
	case lead == "MI":
		s = pick("-", " ") + s
	case trail == "MI":
		s += pick("-", " ")
	case lead == "SG":
		s = pick("-", "+") + s
	case trail == "SG":
		s += pick("-", "+")
	case lead == "PL":
		s = pick(" ", "+") + beside(pick("-", " "))
	case trail == "PL":
		s = beside(pick("-", " ")) + pick(" ", "+")
	case trail == "PR":
		s = beside(pick("<", " ")) + pick(">", " ")
	default:
		s = beside(pick("-", " "))
	}
	// Where the literal text goes: beside the pattern character it follows in the template, after the characters
	// the sign put before it (one at the start for a leading MI, SG or PL, one just before the first digit for
	// the signs written beside the number).
	prefix, besideAt := 0, -1
	switch {
	case lead == "MI" || lead == "SG":
		prefix = 1
	case lead == "PL":
		prefix, besideAt = 1, pad
	case lead == "S" || trail == "PL" || trail == "PR" || lead == "" && trail == "":
		besideAt = pad
	}
	return placeLiterals(s, lits, prefix, besideAt, fm), nil
}

// numLiteral is text in a to_char number template that is not a pattern: any character that is not one (a $,
// a %, a space), a double-quoted string or \" for a quote. at is the number of digit-layout characters (9, 0,
// ., D, ",", G) before it, first whether no pattern is, end whether a sign after the digits is.
type numLiteral struct {
	text       string
	at         int
	first, end bool
}

// numberTemplate splits a to_char number template into its patterns, in upper case with FM first, and its
// literal text, as PostgreSQL's NUM_processor reads it. The patterns PostgreSQL has and Concord does not (B, C,
// L, RN, SP, TH, V) are refused.
func numberTemplate(f string) (string, []numLiteral, error) {
	var core strings.Builder
	var lits []numLiteral
	fm, at, first, end := false, 0, true, false
	lit := func(t string) {
		if n := len(lits); n > 0 && lits[n-1].at == at && lits[n-1].first == first && lits[n-1].end == end {
			lits[n-1].text += t
			return
		}
		lits = append(lits, numLiteral{text: t, at: at, first: first, end: end})
	}
	for i := 0; i < len(f); {
		rest := strings.ToUpper(f[i:])
		switch {
		case strings.HasPrefix(rest, "FM"):
			fm, i = true, i+2
		case strings.HasPrefix(rest, "EEEE"):
			core.WriteString("EEEE")
			first, i = false, i+4
		case strings.HasPrefix(rest, "MI") || strings.HasPrefix(rest, "PL") || strings.HasPrefix(rest, "PR") || strings.HasPrefix(rest, "SG"):
			core.WriteString(rest[:2])
			first, end, i = false, at > 0, i+2
		case strings.HasPrefix(rest, "RN") || strings.HasPrefix(rest, "SP") || strings.HasPrefix(rest, "TH"):
			return "", nil, unsupported("the to_char number pattern " + rest[:2] + " (Concord has 9, 0, ., D, ,, G, FM, S, MI, PL, SG, PR and EEEE)")
		case strings.ContainsRune("90.,DGS", rune(rest[0])):
			core.WriteByte(rest[0])
			if rest[0] != 'S' {
				at++
			}
			first, end, i = false, rest[0] == 'S' && at > 0, i+1
		case strings.ContainsRune("BCELV", rune(rest[0])):
			return "", nil, unsupported("the to_char number pattern " + rest[:1] + " (Concord has 9, 0, ., D, ,, G, FM, S, MI, PL, SG, PR and EEEE)")
		case f[i] == '"':
			end := strings.IndexByte(f[i+1:], '"')
			if end < 0 {
				lit(f[i+1:])
				i = len(f)
				break
			}
			lit(f[i+1 : i+1+end])
			i += end + 2
		case strings.HasPrefix(f[i:], `\"`):
			lit(`"`)
			i += 2
		default:
			_, size := utf8.DecodeRuneInString(f[i:])
			lit(f[i : i+size])
			i += size
		}
	}
	out := core.String()
	if fm {
		out = "FM" + out
	}
	return out, lits, nil
}

// placeLiterals puts a number template's literal text into s, the number formatted by its patterns, with prefix
// characters of sign before its first pattern character and one just before pattern character besideAt (none
// when it is negative); FM drops the padding, not the literal text.
func placeLiterals(s string, lits []numLiteral, prefix, besideAt int, fm bool) string {
	var b strings.Builder
	pos := 0
	emit := func(to int) {
		part := s[pos:to]
		if fm {
			part = strings.ReplaceAll(part, " ", "") // FM pads nothing
		}
		b.WriteString(part)
		pos = to
	}
	for _, l := range lits {
		cut := prefix + l.at
		if besideAt >= 0 && l.at > besideAt {
			cut++
		}
		switch {
		case l.first:
			cut = 0
		case l.end:
			cut = len(s)
		}
		emit(min(max(cut, pos), len(s)))
		b.WriteString(l.text)
	}
	emit(len(s))
	return b.String()
}

// numberDigits lays out a number's whole and fractional digits in a pattern's integer and fractional parts (see
// formatNumber), without its sign.
func numberDigits(whole, frac, intPart, fracPart string, hasPoint, fm bool) string {
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
	return s
}

// intervalToChar is to_char of an interval: its fields (years and months of its months, its days, the hours,
// minutes, seconds and fractions of its time) in the numeric date and time patterns, as PostgreSQL's
// interval_to_char gives them; a name pattern (Month, Day, TZ) is refused, which PostgreSQL leaves empty.
func intervalToChar(iv interval, f string) (string, error) {
	years, months := int(iv.months/12), int(iv.months%12)
	us := iv.us
	hours := int(us / 3_600_000_000)
	mins := int(us / 60_000_000 % 60)
	secs := int(us / 1_000_000 % 60)
	frac := int(us % 1_000_000)
	if frac < 0 {
		frac = -frac
	}
	var b strings.Builder
	for _, n := range parseDateTemplate(f) {
		if n.kind != tmplPattern {
			b.WriteString(n.text)
			continue
		}
		num := func(v, width int) {
			if n.fm {
				b.WriteString(strconv.Itoa(v))
			} else {
				if v < 0 {
					width++ // PostgreSQL widens a negative field by its sign
				}
				fmt.Fprintf(&b, "%0*d", width, v)
			}
			if n.th != "" {
				b.WriteString(ordinal(v, n.th == "TH"))
			}
		}
		hour12 := hours % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch strings.ToUpper(n.key) {
		case "YYYY":
			num(years, 4)
		case "YYY":
			num(years%1000, 3)
		case "YY":
			num(years%100, 2)
		case "Y":
			num(years%10, 1)
		case "MM":
			num(months, 2)
		case "DD":
			num(int(iv.days), 2)
		case "DDD":
			num((years*12+months)*30+int(iv.days), 3)
		case "HH24":
			num(hours, 2)
		case "HH12", "HH":
			num(hour12, 2)
		case "MI":
			num(mins, 2)
		case "SS":
			num(secs, 2)
		case "MS":
			num(frac/1000, 3)
		case "US":
			num(frac, 6)
		case "AM", "PM", "A.M.", "P.M.":
			s := "AM"
			if hours%24 >= 12 {
				s = "PM"
			}
			if strings.Contains(n.key, ".") {
				s = s[:1] + "." + s[1:] + "."
			}
			if n.key[0] >= 'a' {
				s = strings.ToLower(s)
			}
			b.WriteString(s)
		default:
			return "", unsupported("to_char of an interval with the pattern " + n.key)
		}
	}
	return b.String(), nil
}
