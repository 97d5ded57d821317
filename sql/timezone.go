package sql

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone names for TimeZone and AT TIME ZONE without the system's zone files

	pg "github.com/pganalyze/pg_query_go/v6"
)

// The session's TimeZone (SET TIME ZONE, SET timezone, the startup parameter) is how timestamps with time zone
// read and show: values stay instants (BSON dates, UTC milliseconds) and the zone applies where PostgreSQL applies
// it: their text output (the session's result columns, casts to text), text input without an offset, casts to
// and from timestamp, date and time, date_trunc, EXTRACT, to_char, adding days and months, CURRENT_DATE and
// LOCALTIMESTAMP. A time.Time the evaluator holds is UTC, except right where one of those reads it in the zone.

// atTimeZone is ts AT TIME ZONE zone (timezone(zone, ts)): a timestamp with time zone becomes the wall-clock time
// in zone, a timestamp without time zone (naive) is read as a wall-clock time in zone. Timestamps are kept in UTC
// here, a naive one by its wall clock.
func atTimeZone(zone, ts any, naive bool) (any, error) {
	if zone == nil || ts == nil {
		return nil, nil
	}
	loc, err := zoneNamed(formatText(zone))
	if err != nil {
		return nil, err
	}
	oid := OIDTimestamptz
	if naive {
		oid = OIDTimestamp
	}
	c, err := coerce(ts, oid)
	if err != nil {
		return nil, err
	}
	t := c.(time.Time).UTC()
	if infinite(t) != 0 {
		return t, nil
	}
	if naive {
		return fromWall(t, loc), nil
	}
	return wallClock(t.In(loc)), nil
}

// zoneNamed reads a time zone as PostgreSQL's AT TIME ZONE does: a name of the zone database (UTC, Europe/Paris)
// or a numeric offset in POSIX's sense, east of Greenwich negative ('+02' is two hours west, as PostgreSQL reads
// it).
func zoneNamed(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	if loc, _, ok := loadZone(n); ok {
		return loc, nil
	}
	if strings.EqualFold(n, "z") {
		return time.UTC, nil
	}
	if len(n) > 1 && (n[0] == '+' || n[0] == '-') {
		h, m := n[1:], "0"
		if i := strings.IndexByte(h, ':'); i >= 0 {
			h, m = h[:i], h[i+1:]
		}
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hh <= 15 && mm < 60 {
			secs := hh*3600 + mm*60
			if n[0] == '+' {
				secs = -secs // POSIX: +02 is west of Greenwich
			}
			return time.FixedZone(n, secs), nil
		}
	}
	return nil, errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", name)
}

// zoneCache holds the zones loadZone and zoneSetting found, by the name they were asked for: loading one from the
// embedded database unzips it. It keeps at most maxCachedZones, so that the spellings clients send (in any case)
// cannot fill the memory; past that, zones are loaded each time. Safe for concurrent use.
var zoneCache struct {
	mu    sync.Mutex
	zones map[string]zoneEntry
}

// maxCachedZones bounds zoneCache: the database has about 600 names.
const maxCachedZones = 2048

// zoneEntry is a zone and its name as SHOW writes it.
type zoneEntry struct {
	loc  *time.Location
	name string
}

// cachedZone returns the zone cached under key.
func cachedZone(key string) (zoneEntry, bool) {
	zoneCache.mu.Lock()
	defer zoneCache.mu.Unlock()
	z, ok := zoneCache.zones[key]
	return z, ok
}

// cacheZone keeps z under key while the cache has room.
func cacheZone(key string, z zoneEntry) {
	zoneCache.mu.Lock()
	defer zoneCache.mu.Unlock()
	if zoneCache.zones == nil {
		zoneCache.zones = map[string]zoneEntry{}
	}
	if len(zoneCache.zones) < maxCachedZones {
		zoneCache.zones[key] = z
	}
}

// loadZone finds a zone of the zone database by name in any case, as PostgreSQL does, and returns it with its
// name as the database spells it ("europe/paris" is Europe/Paris). Go's database matches exact names only, so
// the usual spellings of name are tried: as given, in capitals (UTC, EST5EDT) and with each word capitalized
// (America/Port-au-Prince, Africa/Dar_es_Salaam; the few names spelled otherwise, America/McMurdo, match only as
// spelled). "Local" and "" are no zone's names here.
func loadZone(name string) (*time.Location, string, bool) {
	if z, ok := cachedZone(name); ok {
		return z.loc, z.name, true
	}
	if name == "" || strings.EqualFold(name, "local") || strings.ContainsAny(name, " ") {
		return nil, "", false
	}
	for _, n := range []string{name, strings.ToUpper(name), titled(name)} {
		if loc, err := time.LoadLocation(n); err == nil {
			if utcNames[n] {
				loc = time.UTC // the session's zone is then UTC itself, which the evaluator need not convert to
			}
			cacheZone(name, zoneEntry{loc, n})
			return loc, n, true
		}
	}
	return nil, "", false
}

// utcNames are the zone database's names of UTC (JDBC sends Etc/UTC from a machine in UTC).
var utcNames = map[string]bool{"UTC": true, "Etc/UTC": true, "UCT": true, "Etc/UCT": true, "Universal": true,
	"Etc/Universal": true, "Zulu": true, "Etc/Zulu": true}

// lowerWords are the words zone names write in lower case.
var lowerWords = map[string]bool{"au": true, "es": true, "of": true}

// titled writes a zone name with each word capitalized, the abbreviations GMT, UTC and UCT in capitals.
func titled(name string) string {
	b := []byte(strings.ToLower(name))
	start := 0
	for i := 0; i <= len(b); i++ {
		if i < len(b) && b[i] != '/' && b[i] != '_' && b[i] != '-' && b[i] != '+' {
			continue
		}
		w := string(b[start:i])
		switch {
		case w == "gmt" || w == "utc" || w == "uct" || len(w) <= 2 && start == 0:
			copy(b[start:i], strings.ToUpper(w))
		case !lowerWords[w] && w != "":
			b[start] = strings.ToUpper(w[:1])[0]
		}
		start = i + 1
	}
	return string(b)
}

// posixZone matches a POSIX time zone without daylight saving time: an optional name (letters, or anything in
// angle brackets) and an offset west of Greenwich in hours, minutes and seconds.
var posixZone = regexp.MustCompile(`^([A-Za-z]{3,}|<[^>]*>)?([+-]?)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?$`)

// zoneSetting reads a value of the TimeZone parameter as PostgreSQL 15 does (check_timezone), returning the
// zone and its name as SHOW writes it:
//   - a number is hours east of Greenwich (ISO's sign): '-5' and '5.5' are <-05>+05 and <+05:30>-05:30;
//   - a name of the zone database, in any case (loadZone): 'europe/paris' is Europe/Paris;
//   - a POSIX zone without daylight saving time, its offset west of Greenwich: 'UTC+3' is three hours west.
//
// Anything else is 22023 invalid value for parameter "TimeZone", as in PostgreSQL.
func zoneSetting(value string) (string, *time.Location, error) {
	if z, ok := cachedZone("\x00" + value); ok { // a setting's value, apart from loadZone's names
		return z.name, z.loc, nil
	}
	name, loc := "", (*time.Location)(nil)
	if h, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil && !math.IsNaN(h) {
		if math.Abs(h) >= 168 { // a POSIX offset is under a week
			return "", nil, &Error{Code: CodeInvalidParameterValue, Detail: "UTC timezone offset is out of range.",
				Message: fmt.Sprintf("invalid value for parameter \"TimeZone\": \"%s\"", value)}
		}
		secs := int(math.Round(h * 3600))
		off := offsetText(secs)
		name, loc = "<"+off+">"+offsetText(-secs), time.FixedZone(off, secs)
	} else if l, canon, ok := loadZone(value); ok {
		name, loc = canon, l
	} else if m := posixZone.FindStringSubmatch(value); m != nil {
		field := func(s string) int { n, _ := strconv.Atoi(s); return n } // "" is 0
		secs := field(m[3])*3600 + field(m[4])*60 + field(m[5])
		if m[2] != "-" {
			secs = -secs // POSIX: west of Greenwich is positive
		}
		name, loc = value, time.FixedZone(strings.Trim(m[1], "<>"), secs)
	} else {
		return "", nil, errorf(CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": \"%s\"", value)
	}
	cacheZone("\x00"+value, zoneEntry{loc, name})
	cacheZone("\x00"+name, zoneEntry{loc, name})
	return name, loc, nil
}

// offsetText writes an offset east of Greenwich as PostgreSQL writes a timestamp with time zone's: +01, -03:30,
// +00:19:32.
func offsetText(secs int) string {
	return string(appendOffset(nil, secs))
}

// appendOffset appends offsetText(secs) to b.
func appendOffset(b []byte, secs int) []byte {
	sign := byte('+')
	if secs < 0 {
		sign, secs = '-', -secs
	}
	b = append(b, sign)
	b = appendTwo(b, secs/3600)
	if secs%3600 != 0 {
		b = appendTwo(append(b, ':'), secs/60%60)
		if secs%60 != 0 {
			b = appendTwo(append(b, ':'), secs%60)
		}
	}
	return b
}

// appendTwo appends n with at least two digits.
func appendTwo(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// appendTimestamptz appends a finite timestamp with time zone as PostgreSQL writes it, in t's location:
// 2024-01-01 13:00:00+01.
func appendTimestamptz(b []byte, t time.Time) []byte {
	if t.Location() == time.Local {
		t = t.UTC() // a time the clients' drivers or the storage gave, in the server's zone: UTC here
	}
	_, off := t.Zone()
	return appendEra(b, t, "2006-01-02 15:04:05.999999", func(b []byte) []byte { return appendOffset(b, off) })
}

// wallClock is t's wall clock in its location, as a UTC time: how a timestamp without time zone holds it.
func wallClock(t time.Time) time.Time {
	if infinite(t) != 0 {
		return t.UTC()
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// fromWall is the instant at which loc's clocks show the wall clock of the UTC time t: a timestamp without time
// zone read in loc.
func fromWall(t time.Time, loc *time.Location) time.Time {
	if infinite(t) != 0 {
		return t
	}
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return zonedTime(y, mo, d, h, mi, s, t.Nanosecond(), loc).UTC()
}

// zonedTime is time.Date in loc, but for a wall clock that a transition of loc's skips or repeats, which it
// resolves as PostgreSQL does: a skipped one (spring forward) with the offset from before the transition, a
// repeated one (fall back) with the offset from after it. 2024-03-10 02:30 in America/New_York is 07:30 UTC (as
// EST), and 2024-11-03 01:30 is 06:30 UTC (EST, the second of the two).
func zonedTime(y int, mo time.Month, d, h, mi, s, ns int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, h, mi, s, ns, loc)
	if loc == time.UTC {
		return t
	}
	wall := time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	offsetAt := func(u time.Time) int { _, off := u.In(loc).Zone(); return off }
	before, after := offsetAt(wall.Add(-24*time.Hour)), offsetAt(wall.Add(24*time.Hour))
	if before == after {
		return t // no transition near it
	}
	at := func(off int) time.Time { return wall.Add(-time.Duration(off) * time.Second) }
	switch validBefore, validAfter := offsetAt(at(before)) == before, offsetAt(at(after)) == after; {
	case validBefore && validAfter:
		return at(after).In(loc) // repeated: the second time
	case validBefore:
		return at(before).In(loc)
	case validAfter:
		return at(after).In(loc)
	}
	return at(before).In(loc) // skipped
}

// zone is the session's TimeZone.
func (s *Session) zone() *time.Location {
	if s.params.loc == nil {
		return time.UTC
	}
	return s.params.loc
}

// zone is the session's TimeZone.
func (x *exec) zone() *time.Location { return x.s.zone() }

// showInZone makes a result's timestamps with time zone show in the session's zone (their instants unchanged).
func (s *Session) showInZone(res *Result) {
	loc := s.zone()
	if loc == time.UTC || res == nil {
		return
	}
	for i, c := range res.Columns {
		if c.OID != OIDTimestamptz && c.OID != OIDTstzArray {
			continue
		}
		for _, row := range res.Rows {
			if i < len(row) {
				row[i] = inZone(row[i], loc)
			}
		}
	}
}

// inZone is a timestamp with time zone (or an array of them) in loc. Text not converted yet (a CASE's literal
// branch, an array's element) is read in loc first.
func inZone(v any, loc *time.Location) any {
	switch x := v.(type) {
	case time.Time:
		if infinite(x) == 0 {
			return x.In(loc)
		}
	case string:
		if t, err := coerce(readInZone(x, OIDTimestamptz, loc), OIDTimestamptz); err == nil {
			return inZone(t, loc)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = inZone(e, loc)
		}
		return out
	}
	return v
}

// zonedInput reads text given for a timestamp with time zone in the session's zone when it has no offset of its
// own, as PostgreSQL does (readInZone).
func (x *exec) zonedInput(v any, oid uint32) any { return readInZone(v, oid, x.zone()) }

// readInZone reads text given for a timestamp with time zone (oid) in loc when it has no offset of its own;
// other values, and text that is no timestamp, are returned as they are (for coerce).
func readInZone(v any, oid uint32, loc *time.Location) any {
	s, ok := v.(string)
	if !ok || oid != OIDTimestamptz || loc == time.UTC {
		return v
	}
	if t, err := parseTimeIn(s, loc); err == nil {
		return t
	}
	return v
}

// castZone converts v, the value of expression arg, for a cast to type to where the session's zone takes part:
// a timestamp with time zone becomes its wall clock in the zone for timestamp, date and time, and its text in the
// zone for the string types; a timestamp or date becomes the instant of its wall clock in the zone; text is read
// in the zone (zonedInput). A timestamp or date cast to a string type is its own text (no zone, no time of day for
// a date). Other values are returned as they are.
func (x *exec) castZone(v any, arg *pg.Node, sc *scope, to uint32) any {
	t, ok := v.(time.Time)
	if !ok {
		return x.zonedInput(v, to)
	}
	if infinite(t) != 0 {
		return v
	}
	loc := x.zone()
	switch to {
	case OIDText, OIDVarchar, OIDBpchar, OIDName:
		switch from := x.typeOf(arg, sc); from {
		case OIDTimestamptz:
			return string(appendTimestamptz(nil, t.In(loc)))
		case OIDTimestamp, OIDDate:
			return formatTyped(t, from)
		}
		return v
	}
	if loc == time.UTC {
		return v
	}
	switch to {
	case OIDTimestamp, OIDDate, OIDTime:
		if x.typeOf(arg, sc) == OIDTimestamptz {
			return wallClock(t.In(loc))
		}
	case OIDTimestamptz:
		if from := x.typeOf(arg, sc); from == OIDTimestamp || from == OIDDate {
			return fromWall(t, loc)
		}
	}
	return v
}

// shownTime is a timestamp with time zone in the session's zone where its text is taken (||, concat, format),
// and a timestamp's or date's own text, for expression n; any other value is returned as it is.
func (x *exec) shownTime(v any, n *pg.Node, sc *scope) any {
	t, ok := v.(time.Time)
	if !ok || infinite(t) != 0 {
		return v
	}
	switch typ := x.typeOf(n, sc); typ {
	case OIDTimestamptz:
		if loc := x.zone(); loc != time.UTC {
			return t.In(loc)
		}
	case OIDTimestamp, OIDDate:
		return formatTyped(t, typ) // its own text: no offset, and a date no time of day
	}
	return v
}

// zonedCall runs the functions whose result on a timestamp with time zone depends on a zone: date_trunc,
// date_part, EXTRACT, to_char and age in the session's zone, and date_trunc(field, ts, zone) in zone. ok is false when
// the call is none of them or no zone changes it (the session in UTC, an argument of another type).
func (x *exec) zonedCall(f *pg.FuncCall, name string, sc *scope) (v any, ok bool, err error) {
	times, n := []int{1}, 2 // the arguments that are timestamps, how many arguments
	switch name {
	case "date_trunc":
		if len(f.Args) == 3 {
			n = 3
		}
	case "date_part", "extract":
	case "to_char":
		times = []int{0}
	case "age":
		times, n = []int{0, 1}, len(f.Args)
		if n == 1 {
			times = times[:1]
		}
	default:
		return nil, false, nil
	}
	loc := x.zone()
	if len(f.Args) != n || n == 3 && name != "date_trunc" {
		return nil, false, nil
	}
	if n != 3 {
		if loc == time.UTC {
			return nil, false, nil
		}
		for _, i := range times {
			if x.typeOf(f.Args[i], sc) != OIDTimestamptz {
				return nil, false, nil
			}
		}
	}
	args, err := x.evalArgs(f.Args, sc)
	if err != nil {
		return nil, true, err
	}
	if n == 3 {
		if args[2] == nil {
			return nil, true, nil
		}
		if loc, err = zoneNamed(formatText(args[2])); err != nil {
			return nil, true, err
		}
		args = args[:2]
	}
	for _, i := range times {
		if args[i] == nil {
			return nil, true, nil
		}
		c, err := coerce(x.zonedInput(x.relativeTime(args[i], OIDTimestamptz), OIDTimestamptz), OIDTimestamptz)
		if err != nil {
			return nil, true, err
		}
		if t := c.(time.Time); infinite(t) == 0 {
			args[i] = t.In(loc)
		}
	}
	v, err = x.scalarFunc(name, f, args)
	if t, isTime := v.(time.Time); isTime {
		v = t.UTC()
	}
	return v, true, err
}

// setZoneArg is the text a SET TIME ZONE value sets TimeZone to: an interval (SET TIME ZONE INTERVAL '+05:30'
// HOUR TO MINUTE) is its hours, east of Greenwich; one with months or days is 22023, as in PostgreSQL.
func setZoneArg(v any) (string, error) {
	iv, ok := v.(interval)
	if !ok {
		return formatText(v), nil
	}
	if iv.months != 0 || iv.days != 0 {
		detail := "Cannot specify months in time zone interval."
		if iv.months == 0 {
			detail = "Cannot specify days in time zone interval."
		}
		return "", &Error{Code: CodeInvalidParameterValue, Detail: detail,
			Message: fmt.Sprintf("invalid value for parameter \"TimeZone\": \"INTERVAL '%s'\"", formatInterval(iv))}
	}
	return fmt.Sprint(float64(iv.us) / 3.6e9), nil
}

// zonedDateOp is dateOp with the months and days of an interval added to a timestamp with time zone in the
// session's zone, as PostgreSQL's timestamptz_pl_interval adds them: across a change to summer time,
// + interval '1 day' keeps the clock's time and + interval '24 hours' does not.
func (x *exec) zonedDateOp(op string, l, r any, lt, rt uint32) (any, error) {
	loc := x.zone()
	if loc == time.UTC || !(lt == OIDTimestamptz && rt == OIDInterval || op == "+" && lt == OIDInterval && rt == OIDTimestamptz) {
		return dateOp(op, l, r, lt, rt)
	}
	in := func(v any) any {
		if t, ok := v.(time.Time); ok && infinite(t) == 0 {
			return t.In(loc)
		}
		return v
	}
	v, err := dateOp(op, in(l), in(r), lt, rt)
	if t, ok := v.(time.Time); ok {
		v = t.UTC()
	}
	return v, err
}

// zonedOperands prepares the operands of a comparison (expressions ln and rn) in the session's zone, as
// PostgreSQL converts them to timestamp with time zone: text beside a timestamp with time zone is read in the
// zone, and a timestamp or date beside one is the instant of its wall clock there. Other operands are returned
// as they are.
func (x *exec) zonedOperands(l, r any, ln, rn *pg.Node, sc *scope) (any, any) {
	lt, lok := l.(time.Time)
	rt, rok := r.(time.Time)
	loc := x.zone()
	if !lok && !rok || loc == time.UTC {
		return l, r
	}
	switch {
	case lok && rok:
		lty, rty := x.typeOf(ln, sc), x.typeOf(rn, sc)
		if lty == OIDTimestamptz && (rty == OIDTimestamp || rty == OIDDate) {
			r = fromWall(rt, loc)
		} else if rty == OIDTimestamptz && (lty == OIDTimestamp || lty == OIDDate) {
			l = fromWall(lt, loc)
		}
	case lok:
		if _, text := r.(string); text && x.typeOf(ln, sc) == OIDTimestamptz {
			r = readInZone(r, OIDTimestamptz, loc)
		}
	default:
		if _, text := l.(string); text && x.typeOf(rn, sc) == OIDTimestamptz {
			l = readInZone(l, OIDTimestamptz, loc)
		}
	}
	return l, r
}
