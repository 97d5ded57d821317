package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must resolve the same on every host

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the date operators: $year ... $millisecond, $dayOfWeek,
// $dayOfYear, $week, the ISO week operators and $dateToString.

// datePart extracts one calendar field of a date.
type datePart struct {
	op       string
	date, tz node
}

// compileDatePart accepts the three forms MongoDB accepts: an
// expression, a one-element array, or {date: expr, timezone: expr}.
func compileDatePart(op string, arg bson.RawValue, scope *Scope) (node, error) {
	n := datePart{op: op}
	if arg.Type == bson.TypeEmbeddedDocument && !IsExpressionObject(arg) {
		elems, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid %s: %v", op, err)
		}
		for _, el := range elems {
			c, err := compile(el.Value(), scope)
			if err != nil {
				return nil, err
			}
			switch el.Key() {
			case "date":
				n.date = c
			case "timezone":
				n.tz = c
			default:
				return nil, codes.New(40535, "unrecognized option to %s: \"%s\". Only 'date' and 'timezone' are allowed.", op, el.Key())
			}
		}
		if n.date == nil {
			return nil, codes.New(40539, "missing 'date' argument to %s, provided: %s", op, FormatValue(arg))
		}
		return n, nil
	}
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	n.date = args[0]
	return n, nil
}

// evalDate evaluates a date argument and optional timezone; ok is false
// for null or missing input (the result is then null).
func evalDate(c *env, op string, date, tz node) (time.Time, bool, error) {
	v, err := date.eval(c)
	if err != nil {
		return time.Time{}, false, err
	}
	if value.IsNullish(v) {
		return time.Time{}, false, nil
	}
	var t time.Time
	switch v.Type {
	case bson.TypeDateTime:
		t = time.UnixMilli(v.DateTime())
	case bson.TypeTimestamp:
		sec, _ := v.Timestamp()
		t = time.Unix(int64(sec), 0)
	case bson.TypeObjectID:
		t = v.ObjectID().Timestamp()
	default:
		return time.Time{}, false, codes.New(16006, "can't convert from BSON type %s to Date", value.TypeNameOf(v))
	}
	loc := time.UTC
	if tz != nil {
		tv, err := tz.eval(c)
		if err != nil {
			return time.Time{}, false, err
		}
		if value.IsNullish(tv) {
			return time.Time{}, false, nil
		}
		name, ok := tv.StringValueOK()
		if !ok {
			return time.Time{}, false, codes.New(40517, "timezone must evaluate to a string, found %s", value.TypeNameOf(tv))
		}
		if loc, err = location(name); err != nil {
			return time.Time{}, false, err
		}
	}
	return t.In(loc), true, nil
}

// location resolves an Olson name or a UTC offset (+hh, +hhmm, +hh:mm).
func location(name string) (*time.Location, error) {
	if name != "" && (name[0] == '+' || name[0] == '-') {
		s := strings.ReplaceAll(name[1:], ":", "")
		if len(s) == 2 || len(s) == 4 {
			h, err1 := strconv.Atoi(s[:2])
			m := 0
			var err2 error
			if len(s) == 4 {
				m, err2 = strconv.Atoi(s[2:])
			}
			if err1 == nil && err2 == nil {
				off := (h*60 + m) * 60
				if name[0] == '-' {
					off = -off
				}
				return time.FixedZone(name, off), nil
			}
		}
	} else if name != "" && !strings.Contains(name, "..") {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, nil
		}
	}
	return nil, codes.New(40485, "unrecognized time zone identifier: \"%s\"", name)
}

// eval implements node.
func (n datePart) eval(c *env) (bson.RawValue, error) {
	t, ok, err := evalDate(c, n.op, n.date, n.tz)
	if err != nil || !ok {
		return value.Null, err
	}
	var r int
	switch n.op {
	case "$year":
		r = t.Year()
	case "$month":
		r = int(t.Month())
	case "$dayOfMonth":
		r = t.Day()
	case "$hour":
		r = t.Hour()
	case "$minute":
		r = t.Minute()
	case "$second":
		r = t.Second()
	case "$millisecond":
		r = t.Nanosecond() / 1e6
	case "$dayOfWeek":
		r = int(t.Weekday()) + 1
	case "$dayOfYear":
		r = t.YearDay()
	case "$week":
		r = sundayWeek(t)
	case "$isoWeek":
		_, r = t.ISOWeek()
	case "$isoWeekYear":
		r, _ = t.ISOWeek()
	case "$isoDayOfWeek":
		r = (int(t.Weekday())+6)%7 + 1
	}
	return value.Int32(int32(r)), nil
}

// sundayWeek is strftime's %U: weeks start on Sunday, days before the
// year's first Sunday are in week 0.
func sundayWeek(t time.Time) int {
	return (t.YearDay() + 6 - int(t.Weekday())) / 7
}

// dateToString is $dateToString.
type dateToString struct {
	format, date, tz, onNull node
}

// compileDateToString compiles $dateToString {format, date, timezone, onNull}.
func compileDateToString(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(18629, "$dateToString only supports an object as its argument")
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $dateToString: %v", err)
	}
	var n dateToString
	for _, el := range elems {
		c, err := compile(el.Value(), scope)
		if err != nil {
			return nil, err
		}
		switch el.Key() {
		case "format":
			if s, ok := el.Value().StringValueOK(); ok {
				if err := checkDateFormat(s); err != nil {
					return nil, err
				}
			}
			n.format = c
		case "date":
			n.date = c
		case "timezone":
			n.tz = c
		case "onNull":
			n.onNull = c
		default:
			return nil, codes.New(18534, "Unrecognized argument to $dateToString: %s", el.Key())
		}
	}
	if n.date == nil {
		return nil, codes.New(18628, "Missing 'date' parameter to $dateToString")
	}
	return n, nil
}

// eval implements node.
func (n dateToString) eval(c *env) (bson.RawValue, error) {
	format := "%Y-%m-%dT%H:%M:%S.%LZ"
	if n.format != nil {
		fv, err := n.format.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if value.IsNullish(fv) {
			return value.Null, nil
		}
		s, ok := fv.StringValueOK()
		if !ok {
			return bson.RawValue{}, codes.New(18533, "$dateToString requires that 'format' be a string, found: %s with value %s", value.TypeNameOf(fv), FormatValue(fv))
		}
		if err := checkDateFormat(s); err != nil {
			return bson.RawValue{}, err
		}
		format = s
	} else if n.tz != nil {
		format = "%Y-%m-%dT%H:%M:%S.%L"
	}
	t, ok, err := evalDate(c, "$dateToString", n.date, n.tz)
	if err != nil {
		return bson.RawValue{}, err
	}
	if !ok {
		if n.onNull != nil {
			return n.onNull.eval(c)
		}
		return value.Null, nil
	}
	return value.String(formatDate(format, t)), nil
}

// checkDateFormat rejects unknown % specifiers (18536) and a trailing %.
func checkDateFormat(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		if i+1 >= len(f) {
			return codes.New(18535, "Unmatched '%%' at end of format string")
		}
		i++
		if !strings.ContainsRune("dGHjLmMSuUVwYzZ%", rune(f[i])) {
			return codes.New(18536, "Invalid format character '%%%c' in format string", f[i])
		}
	}
	return nil
}

// formatDate formats t with MongoDB's strftime-like specifiers.
func formatDate(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'G':
			y, _ := t.ISOWeek()
			fmt.Fprintf(&b, "%04d", y)
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'L':
			fmt.Fprintf(&b, "%03d", t.Nanosecond()/1e6)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'u':
			fmt.Fprintf(&b, "%d", (int(t.Weekday())+6)%7+1)
		case 'U':
			fmt.Fprintf(&b, "%02d", sundayWeek(t))
		case 'V':
			_, w := t.ISOWeek()
			fmt.Fprintf(&b, "%02d", w)
		case 'w':
			fmt.Fprintf(&b, "%d", int(t.Weekday())+1)
		case 'Y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			_, off := t.Zone()
			fmt.Fprintf(&b, "%d", off/60)
		case '%':
			b.WriteByte('%')
		}
	}
	return b.String()
}
