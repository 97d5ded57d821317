package sql

import (
	"time"
)

// makeTimestamp is make_timestamp(year, month, day, hour, min, sec) and make_timestamptz(..., sec [, zone]): a
// timestamp of the fields given, or a timestamptz of them read in the zone given or the session's TimeZone.
// PostgreSQL's errors: a date or time field out of range is 22008.
func (x *exec) makeTimestamp(name string, args []any) (any, error) {
	if len(args) != 6 && !(name == "make_timestamptz" && len(args) == 7) {
		return nil, errNoSuchFunction
	}
	for _, a := range args {
		if a == nil {
			return nil, nil
		}
	}
	var f [5]int64
	for i := range f {
		v, err := coerce(args[i], OIDInt8)
		if err != nil {
			return nil, err
		}
		f[i] = v.(int64)
	}
	sv, err := coerce(args[5], OIDFloat8)
	if err != nil {
		return nil, err
	}
	sec := sv.(float64)
	y, mo, d := f[0], f[1], f[2]
	day := time.Date(int(y), time.Month(mo), int(d), 0, 0, 0, 0, time.UTC)
	if y < 1 || y > 294276 || int64(day.Year()) != y || int64(day.Month()) != mo || int64(day.Day()) != d {
		return nil, errorf(CodeDatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, mo, d)
	}
	tod, ok := makeTime(f[3], f[4], sec)
	if !ok {
		return nil, errorf(CodeDatetimeFieldOverflow, "time field value out of range: %d:%02d:%02g", f[3], f[4], sec)
	}
	us := int64(tod)
	if name == "make_timestamp" {
		return day.Add(time.Duration(us) * time.Microsecond), nil
	}
	loc := x.zone()
	if len(args) == 7 {
		if loc, err = zoneNamed(formatText(args[6])); err != nil {
			return nil, err
		}
	}
	// The wall clock's fields in the zone (adding the time of day to midnight would count a DST change's hour).
	t := zonedTime(int(y), time.Month(mo), int(d), int(us/3_600_000_000), int(us/60_000_000%60), int(us/1_000_000%60),
		int(us%1_000_000)*1000, loc)
	return t.In(x.zone()), nil // shown in the session's zone, whichever zone read it
}

// overlaps is the SQL OVERLAPS operator, (start1, end1) OVERLAPS (start2, end2), each end a point in time or an
// interval from its start, with PostgreSQL's answers when an end point is NULL.
func overlaps(args []any) (any, error) {
	if len(args) != 4 {
		return nil, errNoSuchFunction
	}
	ends := func(s, e any) (any, any, error) {
		if _, isInterval := e.(interval); isInterval {
			if s == nil {
				return nil, nil, nil
			}
			v, err := arith("+", s, e)
			return s, v, err
		}
		return s, e, nil
	}
	s1, e1, err := ends(args[0], args[1])
	if err != nil {
		return nil, err
	}
	s2, e2, err := ends(args[2], args[3])
	if err != nil {
		return nil, err
	}
	cmp := func(a, b any) (int, error) {
		c, ok := compare(a, b)
		if !ok {
			return 0, errorf(CodeUndefinedFunction, "function overlaps(%s, %s, %s, %s) does not exist",
				TypeName(valueOID(args[0])), TypeName(valueOID(args[1])), TypeName(valueOID(args[2])), TypeName(valueOID(args[3])))
		}
		return c, nil
	}
	// Each pair's lesser end point first; a pair with one NULL end keeps the other as its start.
	order := func(s, e any) (any, any, error) {
		switch {
		case s == nil:
			return e, nil, nil
		case e == nil:
			return s, nil, nil
		}
		c, err := cmp(s, e)
		if c > 0 {
			s, e = e, s
		}
		return s, e, err
	}
	if s1 == nil && e1 == nil || s2 == nil && e2 == nil {
		return nil, nil
	}
	if s1, e1, err = order(s1, e1); err != nil {
		return nil, err
	}
	if s2, e2, err = order(s2, e2); err != nil {
		return nil, err
	}
	c, err := cmp(s1, s2)
	if err != nil {
		return nil, err
	}
	// before answers whether a < b, NULL when b is NULL.
	before := func(a, b any) (any, error) {
		if b == nil {
			return nil, nil
		}
		c, err := cmp(a, b)
		return c < 0, err
	}
	switch {
	case c > 0: // s1 < e2, else unknown when e1 is NULL
		v, err := before(s1, e2)
		if v == true || err != nil || v == nil {
			return v, err
		}
		if e1 == nil {
			return nil, nil
		}
		return false, nil
	case c < 0:
		v, err := before(s2, e1)
		if v == true || err != nil || v == nil {
			return v, err
		}
		if e2 == nil {
			return nil, nil
		}
		return false, nil
	}
	if e1 == nil || e2 == nil {
		return nil, nil
	}
	return true, nil
}
