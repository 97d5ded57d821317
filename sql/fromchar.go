package sql

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dateFields are the fields to_date and to_timestamp read from their input, as PostgreSQL's TmFromChar holds
// them: 0 is a field the input did not set (a second value of a set field must be the same).
type dateFields struct {
	year, mm, dd, ddd, weekday, hh, mi, ss, ms, us int
	pm, tzh, tzm, tzsign                           int
	clock12                                        bool
	// jd is the Julian day the pattern J read (0 for none): it sets the date, as j2date does in PostgreSQL.
	jd int
}

// Month and day names as to_date reads them: any case, the first that begins the input.
var (
	monthNames    = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthAbbrevs  = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	dayNames      = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dayAbbrevs    = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	meridians     = []string{"am", "pm", "AM", "PM"}
	meridiansLong = []string{"a.m.", "p.m.", "A.M.", "P.M."}
)

// toDateText is PostgreSQL's to_date(text, text): the date the template f reads from s.
func toDateText(s, f string) (any, error) {
	d, err := readDateFields(s, f)
	if err != nil {
		return nil, err
	}
	y, m, day, _, err := d.resolve(s)
	if err != nil {
		return nil, err
	}
	return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), nil
}

// toTimestampText is PostgreSQL's to_timestamp(text, text): the time the template f reads from s, in the zone
// its TZH and TZM give, else in loc (the session's TimeZone).
func toTimestampText(s, f string, loc *time.Location) (any, error) {
	d, err := readDateFields(s, f)
	if err != nil {
		return nil, err
	}
	y, m, day, usec, err := d.resolve(s)
	if err != nil {
		return nil, err
	}
	if d.tzsign != 0 {
		if d.tzh < 0 || d.tzh > 15 || d.tzm < 0 || d.tzm >= 60 {
			return nil, errorf("22009", "time zone displacement out of range: \"%s\"", s)
		}
		loc = time.FixedZone("", d.tzsign*(d.tzh*3600+d.tzm*60))
	}
	return zonedTime(y, time.Month(m), day, d.hh, d.mi, d.ss, usec*1000, loc).UTC(), nil
}

// resolve is do_to_timestamp's reading of the fields: the 12-hour clock, the day of the year, and the range of
// every field (22008 names the whole input s). The year is 0 when the input had none (1 BC to PostgreSQL).
func (d *dateFields) resolve(s string) (y, m, day, usec int, err error) {
	if d.clock12 {
		if d.hh < 1 || d.hh > 12 {
			return 0, 0, 0, 0, &Error{Code: CodeInvalidDatetimeFormat, Message: fmt.Sprintf("hour \"%d\" is invalid for the 12-hour clock", d.hh),
				Hint: "Use the 24-hour clock, or give an hour between 1 and 12."}
		}
		if d.pm != 0 && d.hh < 12 {
			d.hh += 12
		} else if d.pm == 0 && d.hh == 12 {
			d.hh = 0
		}
	}
	y, m, day = d.year, 1, 1
	hasYear, hasMonth, hasDay := d.year != 0, false, false
	if d.jd != 0 {
		t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d.jd-2451545) // J2451545 is 2000-01-01
		y, hasYear = t.Year(), true
		d.mm, d.dd = int(t.Month()), t.Day()
	}
	if d.dd != 0 {
		day, hasDay = d.dd, true
	}
	if d.mm != 0 {
		m, hasMonth = d.mm, true
	}
	if d.ddd != 0 && (m <= 1 || day <= 1) {
		if y == 0 {
			return 0, 0, 0, 0, errorf(CodeInvalidDatetimeFormat, "cannot calculate day of year without year information")
		}
		t := time.Date(y, 1, d.ddd, 0, 0, 0, 0, time.UTC)
		if m <= 1 {
			m = int(t.Month())
		}
		if day <= 1 {
			day = t.Day()
		}
		hasMonth, hasDay = true, true
	}
	usec = d.ms*1000 + d.us
	overflow := errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	if hasMonth && (m < 1 || m > 12) || hasDay && (day < 1 || day > 31) {
		return 0, 0, 0, 0, overflow
	}
	if hasYear && hasMonth && hasDay && day > daysIn(y, time.Month(m)) {
		return 0, 0, 0, 0, overflow
	}
	if d.hh < 0 || d.hh >= 24 || d.mi < 0 || d.mi >= 60 || d.ss < 0 || d.ss >= 60 || usec < 0 || usec >= 1e6 {
		return 0, 0, 0, 0, overflow
	}
	if y < 1 {
		return 0, 0, 0, 0, unsupported("to_date and to_timestamp of a year before 1 AD")
	}
	return y, m, day, usec, nil
}

// readDateFields reads s with the template f as PostgreSQL's DCH_from_char does outside FX mode: spaces before
// a field are skipped, a space or separator of the template matches one space or separator of the input (or
// nothing), any other template character skips one input character, and a number runs to the next non-digit
// unless a number pattern follows at once (then it takes the pattern's width). FX makes every template
// character take exactly one input character. Reading stops where the input ends; what is left of either is
// ignored.
func readDateFields(s, f string) (*dateFields, error) {
	nodes := parseDateTemplate(f)
	d := &dateFields{}
	fx := false
	extra := 0
	i := 0
	for k := 0; k < len(nodes) && i < len(s); k++ {
		n := nodes[k]
		key := n.key
		if n.kind == tmplPattern && (digitPatterns[strings.ToUpper(key)] || strings.EqualFold(key, "FX") || strings.EqualFold(key, "TZH")) {
			key = strings.ToUpper(key)
		}
		if !fx && key != "FX" && (n.kind == tmplPattern || k == 0) {
			for i < len(s) && isSpaceChar(s[i]) {
				i++
				extra++
			}
		}
		switch n.kind {
		case tmplSpace, tmplSeparator:
			if fx {
				i += runeLen(s[i:])
				continue
			}
			extra--
			if i < len(s) && (isSpaceChar(s[i]) || isSeparatorChar(s[i])) {
				i++
				extra++
			}
			continue
		case tmplChar:
			if !fx && extra > 0 {
				extra--
			} else if i < len(s) {
				i += runeLen(s[i:])
			}
			continue
		}
		var err error
		num := func(dest *int, width int) int {
			if err != nil {
				return 0
			}
			var used int
			used, err = readInt(s, &i, dest, width, n, nodes[k+1:], key)
			return used
		}
		name := func(dest *int, names []string, base int) {
			v, w := seqSearch(s[i:], names)
			if w == 0 {
				bad := s[i:]
				if j := strings.IndexAny(bad, " \t\n\r\f\v"); j >= 0 {
					bad = bad[:j]
				}
				err = &Error{Code: CodeInvalidDatetimeFormat, Message: fmt.Sprintf("invalid value \"%s\" for \"%s\"", bad, n.key),
					Detail: "The given value did not match any of the allowed values for this field."}
				return
			}
			i += w
			err = setField(dest, v+base, n.key)
		}
		switch key {
		case "FX":
			fx = true
		case "AM", "PM", "am", "pm":
			name(&d.pm, meridians, 0)
			d.pm %= 2
			d.clock12 = true
		case "A.M.", "P.M.", "a.m.", "p.m.":
			name(&d.pm, meridiansLong, 0)
			d.pm %= 2
			d.clock12 = true
		case "HH", "HH12":
			num(&d.hh, 2)
			d.clock12 = true
		case "HH24":
			num(&d.hh, 2)
		case "MI":
			num(&d.mi, 2)
		case "SS":
			num(&d.ss, 2)
		case "MS":
			used := num(&d.ms, 3)
			d.ms *= map[int]int{1: 100, 2: 10}[used] + btoi(used > 2)
		case "US":
			used := num(&d.us, 6)
			d.us *= map[int]int{1: 100000, 2: 10000, 3: 1000, 4: 100, 5: 10}[used] + btoi(used > 5)
		case "TZ", "tz", "OF":
			return nil, errorf(CodeFeatureNotSupported, "formatting field \"%s\" is only supported in to_char", n.key)
		case "TZH":
			switch {
			case i < len(s) && (s[i] == '+' || s[i] == '-' || s[i] == ' '):
				d.tzsign = 1
				if s[i] == '-' {
					d.tzsign = -1
				}
				i++
			case extra > 0 && i > 0 && s[i-1] == '-':
				d.tzsign = -1
			default:
				d.tzsign = 1
			}
			num(&d.tzh, 2)
		case "TZM":
			if d.tzsign == 0 {
				d.tzsign = 1
			}
			num(&d.tzm, 2)
		case "MONTH", "Month", "month":
			name(&d.mm, monthNames, 1)
		case "MON", "Mon", "mon":
			name(&d.mm, monthAbbrevs, 1)
		case "MM":
			num(&d.mm, 2)
		case "DAY", "Day", "day":
			name(&d.weekday, dayNames, 1)
		case "DY", "Dy", "dy":
			name(&d.weekday, dayAbbrevs, 1)
		case "J":
			num(&d.jd, 7)
		case "DDD":
			num(&d.ddd, 3)
		case "DD":
			num(&d.dd, 2)
		case "D":
			num(&d.weekday, 1)
		case "Q":
			num(nil, 1) // a quarter names no one date: read and ignored, as in PostgreSQL
		case "YYYY":
			num(&d.year, 4)
		case "YYY", "YY", "Y":
			used := num(&d.year, len(key))
			if err == nil && used < 4 {
				d.year = partialYear(d.year)
			}
		case "IW", "IYYY", "IYY", "IY", "I":
			return nil, unsupported("to_date and to_timestamp with ISO week patterns (IW, IYYY, IYY, IY, I)")
		default:
			if toCharOnly[strings.ToUpper(key)] {
				return nil, unsupported("to_date and to_timestamp with the pattern " + key)
			}
		}
		if err != nil {
			return nil, err
		}
		if n.th != "" {
			i = min(i+2, len(s))
		}
		if !fx {
			extra = 0
			for i < len(s) && isSpaceChar(s[i]) {
				i++
				extra++
			}
		}
	}
	return d, nil
}

// partialYear is PostgreSQL's adjust_partial_year_to_2020: a year of two digits is the one nearest 2020 (70 to
// 99 are 1970 to 1999), of three digits the one of 1100 to 2099 nearest 2020, of one digit 2000 to 2009.
func partialYear(y int) int {
	switch {
	case y < 70:
		return y + 2000
	case y < 100:
		return y + 1900
	case y < 520:
		return y + 2000
	case y < 1000:
		return y + 1000
	}
	return y
}

// readInt reads the number of pattern n (whose text is key) at s[*i:] into dest, as from_char_parse_int_len
// does: after spaces, exactly width characters when the next node is a number pattern too (and n has no FM),
// else all the digits there are. It returns how many characters it took, spaces included.
func readInt(s string, i *int, dest *int, width int, n tmplNode, next []tmplNode, key string) (int, error) {
	init := *i
	j := init
	for j < len(s) && isSpaceChar(s[j]) {
		j++
	}
	copyText := s[j:min(j+width, len(s))]
	var v int64
	if n.fm || nextIsSeparator(n, next) {
		end, val := strtol(s, init)
		*i, v = end, val
	} else {
		if len(s)-j < width {
			return 0, &Error{Code: CodeInvalidDatetimeFormat, Message: fmt.Sprintf("source string too short for \"%s\" formatting field", n.key),
				Detail: fmt.Sprintf("Field requires %d characters, but only %d remain.", width, len(s)-j),
				Hint:   "If your source string is not fixed-width, try using the \"FM\" modifier."}
		}
		end, val := strtol(copyText, 0)
		if end > 0 && end < width {
			return 0, &Error{Code: CodeInvalidDatetimeFormat, Message: fmt.Sprintf("invalid value \"%s\" for \"%s\"", copyText, n.key),
				Detail: fmt.Sprintf("Field requires %d characters, but only %d could be parsed.", width, end),
				Hint:   "If your source string is not fixed-width, try using the \"FM\" modifier."}
		}
		*i, v = j+end, val
	}
	if *i == init {
		return 0, &Error{Code: CodeInvalidDatetimeFormat, Message: fmt.Sprintf("invalid value \"%s\" for \"%s\"", copyText, n.key),
			Detail: "Value must be an integer."}
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, &Error{Code: CodeDatetimeFieldOverflow, Message: fmt.Sprintf("value for \"%s\" in source string is out of range", n.key),
			Detail: "Value must be in the range -2147483648 to 2147483647."}
	}
	if dest != nil {
		if err := setField(dest, int(v), n.key); err != nil {
			return 0, err
		}
	}
	return *i - init, nil
}

// strtol is C's strtol in base 10 from s[from:]: where the number ends (from when there is none) and its value
// (clamped far outside int32, which readInt rejects).
func strtol(s string, from int) (int, int64) {
	j := from
	for j < len(s) && isSpaceChar(s[j]) {
		j++
	}
	neg := false
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		neg = s[j] == '-'
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j {
		return from, 0
	}
	v, err := strconv.ParseInt(s[j:k], 10, 64)
	if err != nil {
		v = math.MaxInt64
	}
	if neg {
		v = -v
	}
	return k, v
}

// nextIsSeparator is PostgreSQL's is_next_separator: a number of pattern n runs to the next non-digit unless a
// number pattern or a digit follows it in the template.
func nextIsSeparator(n tmplNode, next []tmplNode) bool {
	if n.th != "" {
		return true
	}
	if len(next) == 0 {
		return true
	}
	if next[0].kind == tmplPattern {
		return !digitPatterns[strings.ToUpper(next[0].key)]
	}
	t := next[0].text
	return !(len(t) == 1 && t[0] >= '0' && t[0] <= '9')
}

// setField sets a field once: another value for a field already set is 22007.
func setField(dest *int, v int, key string) error {
	if *dest != 0 && *dest != v {
		return &Error{Code: CodeInvalidDatetimeFormat, Message: fmt.Sprintf("conflicting values for \"%s\" field in formatting string", key),
			Detail: "This value contradicts a previous setting for the same field type."}
	}
	*dest = v
	return nil
}

// seqSearch is the index of the first of names s begins with, in any case, and its length; w is 0 for none.
func seqSearch(s string, names []string) (v, w int) {
	for i, name := range names {
		if len(s) >= len(name) && strings.EqualFold(s[:len(name)], name) {
			return i, len(name)
		}
	}
	return 0, 0
}

// runeLen is the length of the character s begins with (1 for an empty s, which ends reading).
func runeLen(s string) int {
	_, w := utf8.DecodeRuneInString(s)
	return max(w, 1)
}
