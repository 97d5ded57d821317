package expr

import (
	"math"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the date arithmetic and construction operators:
// $dateAdd, $dateSubtract, $dateDiff, $dateTrunc, $dateFromParts and
// $dateToParts. Units of a day or more count in the time zone's
// calendar; smaller units are fixed durations.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateAdd/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateSubtract/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateDiff/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateTrunc/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromParts/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateToParts/

// timeUnits are the units of the date arithmetic operators, with the
// length of the fixed ones in milliseconds (0 for calendar units).
var timeUnits = map[string]int64{
	"year": 0, "quarter": 0, "month": 0, "week": 0, "day": 0,
	"hour": 3600000, "minute": 60000, "second": 1000, "millisecond": 1,
}

// weekDays maps startOfWeek's names (and three-letter abbreviations, any
// case) to Go's weekdays.
var weekDays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// dateMath is $dateAdd, $dateSubtract, $dateDiff or $dateTrunc, its
// arguments by name.
type dateMath struct {
	op   string
	args map[string]node
}

// dateMathArgs are each operator's required and optional arguments.
var dateMathArgs = map[string][2][]string{
	"$dateAdd":      {{"startDate", "unit", "amount"}, {"timezone"}},
	"$dateSubtract": {{"startDate", "unit", "amount"}, {"timezone"}},
	"$dateDiff":     {{"startDate", "endDate", "unit"}, {"timezone", "startOfWeek"}},
	"$dateTrunc":    {{"date", "unit"}, {"binSize", "timezone", "startOfWeek"}},
}

// evalDateArgs evaluates a date operator's named arguments. null reports a null or missing one, which makes the
// operator's result null; loc is the "timezone" argument's location, UTC when it is absent.
func evalDateArgs(c *env, args map[string]node) (vals map[string]bson.RawValue, loc *time.Location, null bool, err error) {
	vals = make(map[string]bson.RawValue, len(args))
	for k, a := range args {
		v, err := a.eval(c)
		if err != nil {
			return nil, nil, false, err
		}
		if value.IsNullish(v) {
			return nil, nil, true, nil
		}
		vals[k] = v
	}
	loc = time.UTC
	if tz, ok := vals["timezone"]; ok {
		name, ok := tz.StringValueOK()
		if !ok {
			return nil, nil, false, codes.New(40517, "timezone must evaluate to a string, found %s", value.TypeNameOf(tz))
		}
		if loc, err = location(name); err != nil {
			return nil, nil, false, err
		}
	}
	return vals, loc, false, nil
}

// compileDateMath compiles the four operators.
func compileDateMath(op string, arg bson.RawValue, scope *Scope) (node, error) {
	spec := dateMathArgs[op]
	args, err := namedArgs(op, arg, scope, spec[0], spec[1], 5166400, 5166401, 5166402)
	if err != nil {
		return nil, err
	}
	return dateMath{op: op, args: args}, nil
}

// eval implements node: null or missing in any argument gives null.
func (n dateMath) eval(c *env) (bson.RawValue, error) {
	vals, loc, null, err := evalDateArgs(c, n.args)
	if err != nil || null {
		return value.Null, err
	}
	unitV := vals["unit"]
	unit, _ := unitV.StringValueOK()
	if _, ok := timeUnits[unit]; !ok {
		if unitV.Type != bson.TypeString {
			return bson.RawValue{}, codes.New(5439013, "%s requires 'unit' to be a string, but got %s", n.op, value.TypeNameOf(unitV))
		}
		return bson.RawValue{}, codes.New(codes.FailedToParse, "unknown time unit value: %s", unit)
	}
	week := time.Sunday
	if sv, ok := vals["startOfWeek"]; ok && unit == "week" {
		s, _ := sv.StringValueOK()
		d, ok := weekDays[strings.ToLower(s)]
		if !ok {
			return bson.RawValue{}, codes.New(5439015, "%s parameter 'startOfWeek' value cannot be recognized as a day of a week: %s", n.op, FormatValue(sv))
		}
		week = d
	}
	dateArg := "startDate"
	if n.op == "$dateTrunc" {
		dateArg = "date"
	}
	start, err := dateOf(n.op, dateArg, vals[dateArg])
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$dateAdd", "$dateSubtract":
		amount, ok := ExactInt(vals["amount"])
		if !value.IsNumber(vals["amount"]) || !ok {
			return bson.RawValue{}, codes.New(5166405, "%s expects integer amount of time units", n.op)
		}
		if n.op == "$dateSubtract" {
			if amount == math.MinInt64 {
				return bson.RawValue{}, codes.New(6045000, "invalid $dateSubtract 'amount' parameter value: %d", amount)
			}
			amount = -amount
		}
		t, ok := dateAdd(start.In(loc), unit, amount)
		if !ok {
			return bson.RawValue{}, codes.New(5166406, "%s overflowed", n.op)
		}
		return value.Date(t.UnixMilli()), nil
	case "$dateDiff":
		end, err := dateOf(n.op, "endDate", vals["endDate"])
		if err != nil {
			return bson.RawValue{}, err
		}
		return value.Int64(dateDiff(start.In(loc), end.In(loc), unit, week)), nil
	}
	bin := int64(1)
	if bv, ok := vals["binSize"]; ok {
		b, ok := ExactInt(bv)
		if !value.IsNumber(bv) || !ok || b <= 0 {
			return bson.RawValue{}, codes.New(5439017, "$dateTrunc requires 'binSize' to be a 64-bit integer greater than 0, but got value %s", FormatValue(bv))
		}
		bin = b
	}
	return value.Date(dateTrunc(start.In(loc), unit, bin, week).UnixMilli()), nil
}

// dateOf converts a date argument (a date, a timestamp or an ObjectId).
func dateOf(op, name string, v bson.RawValue) (time.Time, error) {
	switch v.Type {
	case bson.TypeDateTime:
		return time.UnixMilli(v.DateTime()).UTC(), nil
	case bson.TypeTimestamp:
		sec, _ := v.Timestamp()
		return time.Unix(int64(sec), 0).UTC(), nil
	case bson.TypeObjectID:
		return v.ObjectID().Timestamp().UTC(), nil
	}
	return time.Time{}, codes.New(5166403, "%s requires '%s' to be a date, but got %s", op, name, value.TypeNameOf(v))
}

// dateAdd adds amount units to t. Calendar units keep the time of day in
// t's zone; adding months to the end of a month lands on the end of the
// target month (Jan 31 plus one month is Feb 28 or 29), as in MongoDB.
func dateAdd(t time.Time, unit string, amount int64) (time.Time, bool) {
	const maxAmount = 1 << 40 // far beyond any date, far from overflow
	if amount > maxAmount || amount < -maxAmount {
		return time.Time{}, false
	}
	if ms := timeUnits[unit]; ms > 0 {
		if amount > math.MaxInt64/ms || amount < math.MinInt64/ms {
			return time.Time{}, false
		}
		return time.UnixMilli(t.UnixMilli() + amount*ms), true
	}
	switch unit {
	case "week":
		return t.AddDate(0, 0, int(amount*7)), true
	case "day":
		return t.AddDate(0, 0, int(amount)), true
	}
	months := amount
	switch unit {
	case "year":
		months *= 12
	case "quarter":
		months *= 3
	}
	y, m, d := t.Date()
	total := int64(y)*12 + int64(m-1) + months
	ny, nm := int(total/12), time.Month(total%12+1)
	if total < 0 {
		return time.Time{}, false
	}
	last := time.Date(ny, nm+1, 0, 0, 0, 0, 0, t.Location()).Day()
	return time.Date(ny, nm, min(d, last), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location()), true
}

// dateDiff counts the unit boundaries crossed from start to end (both
// in the zone): years, quarters and months by calendar fields, weeks by
// the weeks beginning on week, days by local dates, and smaller units by
// whole units since the epoch of local time.
func dateDiff(start, end time.Time, unit string, week time.Weekday) int64 {
	sy, sm, _ := start.Date()
	ey, em, _ := end.Date()
	switch unit {
	case "year":
		return int64(ey - sy)
	case "quarter":
		return int64(ey*4+(int(em)-1)/3) - int64(sy*4+(int(sm)-1)/3)
	case "month":
		return int64(ey*12+int(em)) - int64(sy*12+int(sm))
	case "week":
		return (localDays(weekStart(end, week)) - localDays(weekStart(start, week))) / 7
	case "day":
		return localDays(end) - localDays(start)
	}
	ms := timeUnits[unit]
	return floorDiv(localMillis(end), ms) - floorDiv(localMillis(start), ms)
}

// localMillis is t's wall-clock time in its zone, as milliseconds since
// the epoch of that wall clock.
func localMillis(t time.Time) int64 {
	_, off := t.Zone()
	return t.UnixMilli() + int64(off)*1000
}

// localDays is the number of the day of t's local date since 1970-01-01.
func localDays(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// weekStart is the local midnight of the day on or before t that is a week.
func weekStart(t time.Time, week time.Weekday) time.Time {
	back := (int(t.Weekday()) - int(week) + 7) % 7
	y, m, d := t.Date()
	return time.Date(y, m, d-back, 0, 0, 0, 0, t.Location())
}

// floorDiv is a / b rounded toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dateTrunc truncates t to a multiple of bin units counted from MongoDB's
// reference, 2000-01-01T00:00 in t's zone (for weeks, the first week day
// on or after it).
func dateTrunc(t time.Time, unit string, bin int64, week time.Weekday) time.Time {
	loc := t.Location()
	y, m, _ := t.Date()
	switch unit {
	case "year", "quarter", "month":
		per := map[string]int64{"year": 12, "quarter": 3, "month": 1}[unit] * bin
		months := int64(y-2000)*12 + int64(m-1)
		months = floorDiv(months, per) * per
		return time.Date(2000+int(floorDiv(months, 12)), time.Month(months-floorDiv(months, 12)*12+1), 1, 0, 0, 0, 0, loc)
	case "week", "day":
		per := bin
		ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		if unit == "week" {
			per *= 7
			ref = ref.AddDate(0, 0, (int(week)-int(ref.Weekday())+7)%7)
		}
		days := localDays(t) - ref.Unix()/86400
		days = floorDiv(days, per) * per
		rd := ref.AddDate(0, 0, int(days))
		return time.Date(rd.Year(), rd.Month(), rd.Day(), 0, 0, 0, 0, loc)
	}
	per := timeUnits[unit] * bin
	const refMillis = 946684800000 // 2000-01-01T00:00:00Z
	wall := localMillis(t) - refMillis
	wall = floorDiv(wall, per)*per + refMillis
	_, off := t.Zone()
	return time.UnixMilli(wall - int64(off)*1000).In(loc)
}

// dateParts is $dateFromParts or $dateToParts.
type dateParts struct {
	op   string
	args map[string]node
}

// datePartNames are $dateFromParts' calendar and ISO fields, with their
// defaults after the year.
var (
	calendarParts = []string{"year", "month", "day", "hour", "minute", "second", "millisecond"}
	isoParts      = []string{"isoWeekYear", "isoWeek", "isoDayOfWeek", "hour", "minute", "second", "millisecond"}
)

// compileDateParts compiles {$dateFromParts: {...}} and
// {$dateToParts: {date, timezone, iso8601}}.
func compileDateParts(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if op == "$dateToParts" {
		args, err := namedArgs(op, arg, scope, []string{"date"}, []string{"timezone", "iso8601"}, 40524, 40520, 40522)
		if err != nil {
			return nil, err
		}
		return dateParts{op: op, args: args}, nil
	}
	all := append(append([]string{"timezone"}, calendarParts...), isoParts[:3]...)
	args, err := namedArgs(op, arg, scope, nil, all, 40519, 40518, 40516)
	if err != nil {
		return nil, err
	}
	_, cal := args["year"]
	_, iso := args["isoWeekYear"]
	for _, k := range []string{"month", "day"} {
		if _, ok := args[k]; ok && iso {
			return nil, codes.New(40489, "$dateFromParts does not allow mixing natural dates with ISO dates")
		}
	}
	for _, k := range []string{"isoWeek", "isoDayOfWeek"} {
		if _, ok := args[k]; ok && (cal || !iso) {
			return nil, codes.New(40489, "$dateFromParts does not allow mixing natural dates with ISO dates")
		}
	}
	switch {
	case cal && iso:
		return nil, codes.New(40489, "$dateFromParts does not allow mixing natural dates with ISO dates")
	case !cal && !iso:
		return nil, codes.New(40516, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present")
	}
	return dateParts{op: op, args: args}, nil
}

// eval implements node.
func (n dateParts) eval(c *env) (bson.RawValue, error) {
	vals, loc, null, err := evalDateArgs(c, n.args)
	if err != nil || null {
		return value.Null, err
	}
	if n.op == "$dateToParts" {
		return dateToParts(vals, loc)
	}
	parts := map[string]int{"month": 1, "day": 1, "isoWeek": 1, "isoDayOfWeek": 1}
	for k, v := range vals {
		if k == "timezone" {
			continue
		}
		i, ok := ExactInt(v)
		if !value.IsNumber(v) || !ok {
			return bson.RawValue{}, codes.New(40515, "'%s' must evaluate to an integer, found %s with value %s", k, value.TypeNameOf(v), FormatValue(v))
		}
		switch {
		case (k == "year" || k == "isoWeekYear") && (i < 1 || i > 9999):
			return bson.RawValue{}, codes.New(40523, "'%s' must evaluate to an integer in the range 1 to 9999, found %d", k, i)
		case i < -32768 || i > 32767:
			return bson.RawValue{}, codes.New(31034, "'%s' must evaluate to a value in the range [-32768, 32767]; value %d is not in range", k, i)
		}
		parts[k] = int(i)
	}
	h, mi, s, ms := parts["hour"], parts["minute"], parts["second"], parts["millisecond"]
	var t time.Time
	if _, iso := vals["isoWeekYear"]; iso {
		// ISO week 1 holds January 4th; its Monday starts the ISO year.
		jan4 := time.Date(parts["isoWeekYear"], 1, 4, 0, 0, 0, 0, time.UTC)
		monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
		day := monday.AddDate(0, 0, (parts["isoWeek"]-1)*7+parts["isoDayOfWeek"]-1)
		t = time.Date(day.Year(), day.Month(), day.Day(), h, mi, s, 0, loc)
	} else {
		t = time.Date(parts["year"], time.Month(parts["month"]), parts["day"], h, mi, s, 0, loc)
	}
	return value.Date(t.UnixMilli() + int64(ms)), nil
}

// dateToParts is $dateToParts' result document.
func dateToParts(vals map[string]bson.RawValue, loc *time.Location) (bson.RawValue, error) {
	t, err := dateOf("$dateToParts", "date", vals["date"])
	if err != nil {
		return bson.RawValue{}, codes.New(16006, "can't convert from BSON type %s to Date", value.TypeNameOf(vals["date"]))
	}
	iso := false
	if v, ok := vals["iso8601"]; ok {
		b, ok := v.BooleanOK()
		if !ok {
			return bson.RawValue{}, codes.New(40521, "iso8601 must evaluate to a bool, found %s", value.TypeNameOf(v))
		}
		iso = b
	}
	t = t.In(loc)
	idx, dst := bsoncore.AppendDocumentStart(nil)
	if iso {
		y, w := t.ISOWeek()
		dst = bsoncore.AppendInt32Element(dst, "isoWeekYear", int32(y))
		dst = bsoncore.AppendInt32Element(dst, "isoWeek", int32(w))
		dst = bsoncore.AppendInt32Element(dst, "isoDayOfWeek", int32((int(t.Weekday())+6)%7+1))
	} else {
		dst = bsoncore.AppendInt32Element(dst, "year", int32(t.Year()))
		dst = bsoncore.AppendInt32Element(dst, "month", int32(t.Month()))
		dst = bsoncore.AppendInt32Element(dst, "day", int32(t.Day()))
	}
	dst = bsoncore.AppendInt32Element(dst, "hour", int32(t.Hour()))
	dst = bsoncore.AppendInt32Element(dst, "minute", int32(t.Minute()))
	dst = bsoncore.AppendInt32Element(dst, "second", int32(t.Second()))
	dst = bsoncore.AppendInt32Element(dst, "millisecond", int32(t.Nanosecond()/1e6))
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst), nil
}

// AddDateUnits adds amount of unit (year, quarter, month, week, day, hour,
// minute, second or millisecond) to t as $dateAdd does in UTC; ok is
// false for an unknown unit or a result out of range. $setWindowFields
// uses it for range windows with a unit.
func AddDateUnits(t time.Time, unit string, amount int64) (time.Time, bool) {
	if _, known := timeUnits[unit]; !known {
		return time.Time{}, false
	}
	return dateAdd(t.UTC(), unit, amount)
}

// IsTimeUnit reports whether unit is one of the date operators' units.
func IsTimeUnit(unit string) bool {
	_, ok := timeUnits[unit]
	return ok
}
