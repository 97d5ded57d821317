package expr

import (
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $dateFromString.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromString/

// dateFromString is {$dateFromString: {dateString, format, timezone,
// onError, onNull}}.
type dateFromString struct {
	args map[string]node
}

// compileDateFromString compiles $dateFromString; a constant format is
// checked at compile time.
func compileDateFromString(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := namedArgs(op, arg, scope, []string{"dateString"}, []string{"format", "timezone", "onError", "onNull"}, 40540, 40541, 40542)
	if err != nil {
		return nil, err
	}
	if f, ok := args["format"].(constant); ok {
		if s, ok := f.v.StringValueOK(); ok {
			if err := checkDateFormat(s); err != nil {
				return nil, err
			}
		}
	}
	return dateFromString{args: args}, nil
}

// eval implements node. A null or missing dateString gives onNull (null
// when absent); a null format or timezone gives null; a string that does
// not parse, or is not a string, fails with ConversionFailure, which
// onError replaces.
func (n dateFromString) eval(c *env) (bson.RawValue, error) {
	vals := map[string]bson.RawValue{}
	for _, k := range []string{"dateString", "format", "timezone"} {
		if a, ok := n.args[k]; ok {
			v, err := a.eval(c)
			if err != nil {
				return bson.RawValue{}, err
			}
			vals[k] = v
		}
	}
	ds := vals["dateString"]
	if value.IsNullish(ds) {
		if a, ok := n.args["onNull"]; ok {
			return a.eval(c)
		}
		return value.Null, nil
	}
	format, hasFormat := vals["format"]
	if hasFormat {
		if value.IsNullish(format) {
			return value.Null, nil
		}
		s, ok := format.StringValueOK()
		if !ok {
			return bson.RawValue{}, codes.New(40684, "$dateFromString requires that 'format' be a string, found: %s with value %s", value.TypeNameOf(format), FormatValue(format))
		}
		if err := checkDateFormat(s); err != nil {
			return bson.RawValue{}, err
		}
	}
	loc := time.UTC
	tz, hasTZ := vals["timezone"]
	if hasTZ {
		if value.IsNullish(tz) {
			return value.Null, nil
		}
		name, ok := tz.StringValueOK()
		if !ok {
			return bson.RawValue{}, codes.New(40517, "timezone must evaluate to a string, found %s", value.TypeNameOf(tz))
		}
		var err error
		if loc, err = location(name); err != nil {
			return bson.RawValue{}, err
		}
	}
	t, err := parseDateString(ds, stringOf(format), hasFormat, loc, hasTZ)
	if err != nil {
		if a, ok := n.args["onError"]; ok {
			if ce, isCoded := codes.As(err); isCoded && ce.Code == conversionFailure {
				return a.eval(c)
			}
		}
		return bson.RawValue{}, err
	}
	return value.Date(t.UnixMilli()), nil
}

// parseDateString parses ds with MongoDB's format specifiers, or without
// a format as ISO 8601 (what $toDate accepts). loc applies to a string
// without an offset; a string with one together with a timezone is an
// error, as in MongoDB.
func parseDateString(ds bson.RawValue, format string, hasFormat bool, loc *time.Location, hasTZ bool) (time.Time, error) {
	s, ok := ds.StringValueOK()
	if ds.Type != bson.TypeString || !ok {
		return time.Time{}, conversionError("$dateFromString requires that 'dateString' be a string, found: %s with value %s", value.TypeNameOf(ds), FormatValue(ds))
	}
	if !hasFormat {
		for _, layout := range dateLayouts {
			if t, err := time.ParseInLocation(layout, s, loc); err == nil {
				if hasTZ && strings.Contains(layout, "Z07") {
					return time.Time{}, conversionError("you cannot pass in a date/time string with time zone information ('%s') together with a timezone argument", s)
				}
				return t, nil
			}
		}
		return time.Time{}, conversionError("Error parsing date string '%s'", s)
	}
	p := dateParser{s: s}
	y, mon, d, h, mi, sec, ms := 1970, 1, 1, 0, 0, 0, 0
	isoYear, isoWeek, isoDay, yday := 0, 0, 0, 0
	offset, hasOffset := 0, false
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			if !p.literal(format[i]) {
				return time.Time{}, p.fail()
			}
			continue
		}
		i++
		var ok bool
		switch format[i] {
		case 'Y':
			y, ok = p.number(4, 4)
		case 'm':
			mon, ok = p.number(1, 2)
		case 'd':
			d, ok = p.number(1, 2)
		case 'H':
			h, ok = p.number(1, 2)
		case 'M':
			mi, ok = p.number(1, 2)
		case 'S':
			sec, ok = p.number(1, 2)
		case 'L':
			start := p.i
			ms, ok = p.number(1, 3)
			for n := p.i - start; ok && n < 3; n++ {
				ms *= 10
			}
		case 'j':
			yday, ok = p.number(1, 3)
		case 'G':
			isoYear, ok = p.number(4, 4)
		case 'V':
			isoWeek, ok = p.number(1, 2)
		case 'u':
			isoDay, ok = p.number(1, 1)
		case 'w', 'U':
			_, ok = p.number(1, 2) // parsed, as MongoDB, without effect
		case 'z':
			offset, ok = p.offset()
			hasOffset = true
		case 'Z':
			sign := 1
			if p.literal('-') {
				sign = -1
			} else {
				p.literal('+')
			}
			var m int
			m, ok = p.number(1, 4)
			offset, hasOffset = sign*m*60, true
		case 'b', 'B':
			mon, ok = p.month(format[i] == 'B')
		case '%':
			ok = p.literal('%')
		}
		if !ok {
			return time.Time{}, p.fail()
		}
	}
	if p.i != len(s) {
		return time.Time{}, conversionError("Error parsing date string '%s'; trailing data", s)
	}
	if hasOffset {
		if hasTZ {
			return time.Time{}, conversionError("you cannot pass in a date/time string with time zone information ('%s') together with a timezone argument", s)
		}
		loc = time.FixedZone("", offset)
	}
	if mon < 1 || mon > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, conversionError("Error parsing date string '%s'; a field is out of range", s)
	}
	var t time.Time
	switch {
	case isoYear != 0:
		jan4 := time.Date(isoYear, 1, 4, 0, 0, 0, 0, time.UTC)
		monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
		day := monday.AddDate(0, 0, (max(isoWeek, 1)-1)*7+max(isoDay, 1)-1)
		t = time.Date(day.Year(), day.Month(), day.Day(), h, mi, sec, ms*1e6, loc)
	case yday != 0:
		t = time.Date(y, 1, yday, h, mi, sec, ms*1e6, loc)
	default:
		t = time.Date(y, time.Month(mon), d, h, mi, sec, ms*1e6, loc)
		if t.Day() != d {
			return time.Time{}, conversionError("Error parsing date string '%s'; the day is out of range for the month", s)
		}
	}
	return t, nil
}

// dateParser reads a date string left to right.
type dateParser struct {
	s string
	i int
}

// fail is the error of a string that does not match its format.
func (p *dateParser) fail() error {
	return conversionError("Error parsing date string '%s'; %d: the string does not match the format", p.s, p.i)
}

// literal consumes c.
func (p *dateParser) literal(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// number consumes lo to hi decimal digits.
func (p *dateParser) number(lo, hi int) (int, bool) {
	n, k := 0, 0
	for k < hi && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
		k++
	}
	return n, k >= lo
}

// offset consumes a UTC offset: Z, +hh, +hhmm or +hh:mm.
func (p *dateParser) offset() (int, bool) {
	if p.literal('Z') {
		return 0, true
	}
	sign := 1
	switch {
	case p.literal('-'):
		sign = -1
	case p.literal('+'):
	default:
		return 0, false
	}
	h, ok := p.number(2, 2)
	if !ok {
		return 0, false
	}
	p.literal(':')
	m, _ := p.number(2, 2)
	return sign * (h*3600 + m*60), true
}

// month consumes an English month name, full or its three letters.
func (p *dateParser) month(full bool) (int, bool) {
	rest := strings.ToLower(p.s[p.i:])
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		if !full {
			name = name[:3]
		}
		if strings.HasPrefix(rest, name) {
			p.i += len(name)
			return int(m), true
		}
	}
	return 0, false
}
