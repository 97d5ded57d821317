package sql

import (
	"time"
)

// dateArith is the type of date arithmetic PostgreSQL has, 0 for other operands: date ± integer is a date (days
// added), date - date an integer (days between), and a date or a timestamp with an interval (on either side of
// +) a timestamp.
func dateArith(op string, lt, rt uint32) uint32 {
	switch {
	case lt == OIDDate && isIntType(rt), op == "+" && isIntType(lt) && rt == OIDDate:
		return OIDDate
	case op == "-" && lt == OIDDate && rt == OIDDate:
		return OIDInt4
	case lt == OIDDate && rt == OIDInterval, op == "+" && lt == OIDInterval && rt == OIDDate:
		return OIDTimestamp
	case op == "+" && lt == OIDInterval && (rt == OIDTimestamptz || rt == OIDTimestamp):
		return rt
	case (lt == OIDTimestamptz || lt == OIDTimestamp) && rt == OIDInterval:
		return lt
	case op == "-" && (lt == OIDTimestamptz || lt == OIDTimestamp) && (rt == OIDTimestamptz || rt == OIDTimestamp):
		return OIDInterval
	case lt == OIDTime && rt == OIDInterval, op == "+" && lt == OIDInterval && rt == OIDTime:
		return OIDTime
	case op == "-" && lt == OIDTime && rt == OIDTime:
		return OIDInterval
	case op == "+" && (lt == OIDDate && rt == OIDTime || lt == OIDTime && rt == OIDDate):
		return OIDTimestamp
	}
	return 0
}

// dateOp evaluates the arithmetic dateArith types.
func dateOp(op string, l, r any, lt, rt uint32) (any, error) {
	if l == nil || r == nil {
		return nil, nil
	}
	if lt == OIDTime || rt == OIDTime {
		l, err := coerce(l, lt)
		if err != nil {
			return nil, err
		}
		r, err := coerce(r, rt)
		if err != nil {
			return nil, err
		}
		return arith(op, l, r)
	}
	if op == "+" && (isIntType(lt) || lt == OIDInterval) { // n + date, interval + date: the other way round
		l, r, lt, rt = r, l, rt, lt
	}
	day := func(v any) (time.Time, error) {
		c, err := coerce(v, OIDDate)
		if err != nil {
			return time.Time{}, err
		}
		return c.(time.Time), nil
	}
	switch {
	case isIntType(rt):
		d, err := day(l)
		if err != nil {
			return nil, err
		}
		n, err := coerce(r, OIDInt8)
		if err != nil {
			return nil, err
		}
		if infinite(d) != 0 {
			return d, nil
		}
		if op == "-" {
			return d.AddDate(0, 0, -int(n.(int64))), nil
		}
		return d.AddDate(0, 0, int(n.(int64))), nil
	case rt == OIDDate:
		a, err := day(l)
		if err != nil {
			return nil, err
		}
		b, err := day(r)
		if err != nil {
			return nil, err
		}
		if infinite(a) != 0 || infinite(b) != 0 {
			return nil, errorf(CodeDatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		return (a.Unix() - b.Unix()) / 86400, nil // in seconds: a Duration holds only 292 years
	}
	return arith(op, l, r) // a date or timestamp with an interval
}
