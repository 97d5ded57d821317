package sql

import (
	"strconv"
	"strings"
)

// An interval type may name its fields, as the SQL standard's interval types do: INTERVAL DAY, INTERVAL HOUR TO
// MINUTE, INTERVAL SECOND(3). The fields set how a value is read (a bare number is a count of the last field:
// interval '7' day is 7 days, not 7 seconds; '2:03' MINUTE TO SECOND is minutes and seconds) and cut what it
// keeps (interval '1 day 3 hours' DAY is 1 day), as PostgreSQL's interval_in and AdjustIntervalForTypmod do.
// The modifier is PostgreSQL's: the fields' mask in the high 16 bits, the seconds' precision (0xFFFF for none)
// in the low ones.

// The field bits of an interval's modifier (PostgreSQL's INTERVAL_MASK of each field).
const (
	ivMonth     = 1 << 1
	ivYear      = 1 << 2
	ivDay       = 1 << 3
	ivHour      = 1 << 10
	ivMinute    = 1 << 11
	ivSecond    = 1 << 12
	ivFullRange = 0x7FFF
	ivFullPrec  = 0xFFFF
)

// intervalTypmod is the modifier of an interval type from its grammar's modifiers: the fields' mask, then an
// optional precision.
func intervalTypmod(mods []int64) (int32, error) {
	if len(mods) == 0 || len(mods) > 2 {
		return 0, errorf(CodeInvalidParameterValue, "invalid INTERVAL type modifier")
	}
	rng, prec := mods[0], int64(ivFullPrec)
	if len(mods) == 2 {
		prec = mods[1]
		if prec < 0 {
			return 0, errorf(CodeInvalidParameterValue, "INTERVAL(%d) precision must not be negative", prec)
		}
		prec = min(prec, 6)
	}
	if rng == ivFullRange && prec == ivFullPrec {
		return 0, nil // plain interval
	}
	return int32(rng<<16 | prec), nil
}

// intervalFields is the fields' mask and precision of an interval modifier (ivFullRange and -1 for none).
func intervalFields(typmod int32) (rng int, prec int) {
	if typmod <= 0 {
		return ivFullRange, -1
	}
	rng, prec = int(typmod>>16)&0x7FFF, int(typmod&0xFFFF)
	if prec == ivFullPrec {
		prec = -1
	}
	return rng, prec
}

// intervalFieldNames are the field clauses format_type writes, by mask.
var intervalFieldNames = map[int]string{
	ivYear: "year", ivMonth: "month", ivDay: "day", ivHour: "hour", ivMinute: "minute", ivSecond: "second",
	ivYear | ivMonth: "year to month", ivDay | ivHour: "day to hour", ivDay | ivHour | ivMinute: "day to minute",
	ivDay | ivHour | ivMinute | ivSecond: "day to second", ivHour | ivMinute: "hour to minute",
	ivHour | ivMinute | ivSecond: "hour to second", ivMinute | ivSecond: "minute to second",
}

// intervalTypmodText is an interval modifier as format_type writes it after "interval": " day", "(3)",
// " second(3)".
func intervalTypmodText(typmod int32) string {
	rng, prec := intervalFields(typmod)
	out := ""
	if name, ok := intervalFieldNames[rng]; ok {
		out = " " + name
	}
	if prec >= 0 {
		out += "(" + strconv.Itoa(prec) + ")"
	}
	return out
}

// lastField is the unit a bare number counts for the fields rng: the last of them (seconds for all).
func lastField(rng int) string {
	switch {
	case rng == ivYear:
		return "year"
	case rng == ivMonth || rng == ivYear|ivMonth:
		return "month"
	case rng == ivDay:
		return "day"
	case rng == ivHour || rng == ivDay|ivHour:
		return "hour"
	case rng == ivMinute || rng == ivHour|ivMinute || rng == ivDay|ivHour|ivMinute:
		return "minute"
	}
	return "second"
}

// parseIntervalFields reads interval text for an interval type with fields: a bare number counts the last field,
// two bare numbers of a range from DAY are days and the last field, and a time of two parts without hours
// (MINUTE TO SECOND) is minutes and seconds.
func parseIntervalFields(s string, typmod int32) (interval, error) {
	rng, _ := intervalFields(typmod)
	if rng == ivFullRange {
		return parseInterval(s)
	}
	fields := strings.Fields(s)
	isNum := func(f string) bool { _, err := strconv.ParseFloat(f, 64); return err == nil }
	text := s
	switch {
	case len(fields) == 1 && isNum(fields[0]):
		text = fields[0] + " " + lastField(rng)
	case len(fields) == 2 && isNum(fields[0]) && isNum(fields[1]) && rng&ivDay != 0:
		text = fields[0] + " day " + fields[1] + " " + lastField(rng)
	case len(fields) == 1 && rng&ivHour == 0 && rng&ivMinute != 0 && strings.Count(fields[0], ":") == 1:
		text = "0:" + fields[0]
	}
	iv, err := parseInterval(text)
	if err != nil {
		return interval{}, errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	return iv, nil
}

// fitInterval cuts an interval to its type's fields and rounds its seconds to the type's precision.
func fitInterval(iv interval, typmod int32) interval {
	rng, prec := intervalFields(typmod)
	trunc := func(us, unit int64) int64 { return us / unit * unit }
	switch {
	case rng == ivYear:
		iv = interval{months: iv.months / 12 * 12}
	case rng == ivMonth || rng == ivYear|ivMonth:
		iv = interval{months: iv.months}
	case rng == ivDay:
		iv.us = 0
	case rng == ivHour || rng == ivDay|ivHour:
		iv.us = trunc(iv.us, 3600e6)
	case rng == ivMinute || rng == ivHour|ivMinute || rng == ivDay|ivHour|ivMinute:
		iv.us = trunc(iv.us, 60e6)
	}
	if prec >= 0 && prec < 6 {
		scale := int64(1)
		for range 6 - prec {
			scale *= 10
		}
		half := scale / 2
		if iv.us >= 0 {
			iv.us = (iv.us + half) / scale * scale
		} else {
			iv.us = -((-iv.us + half) / scale * scale)
		}
	}
	return iv
}
