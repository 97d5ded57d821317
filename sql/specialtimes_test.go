package sql

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestSpecialTime: the special words of date and timestamp input, read against a fixed now; the expected values
// are PostgreSQL 15's with TimeZone UTC.
func TestSpecialTime(t *testing.T) {
	now := time.Date(2024, 3, 10, 15, 4, 5, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name, in string
		want     time.Time
		ok       bool
	}{
		{"epoch is the Unix epoch", "epoch", time.Unix(0, 0).UTC(), true},
		{"words are read in any case, with spaces around", "  EpOch ", time.Unix(0, 0).UTC(), true},
		{"infinity", "Infinity", infinityTime, true},
		{"minus infinity", "-infinity", negInfinityTime, true},
		{"a plus sign is no infinity", "+infinity", time.Time{}, false},
		{"now is now", "now", now, true},
		{"today is midnight", "today", day(10), true},
		{"tomorrow is the next midnight", "TOMORROW", day(11), true},
		{"yesterday is the midnight before", "yesterday", day(9), true},
		{"a time after the day", "tomorrow 10:30", day(11).Add(10*time.Hour + 30*time.Minute), true},
		{"a time before the day", "23:00 yesterday", day(9).Add(23 * time.Hour), true},
		{"two days are no time", "today tomorrow", time.Time{}, false},
		{"a word with a time that is not a day", "now 10:00", time.Time{}, false},
		{"other text", "soon", time.Time{}, false},
		{"empty", "", time.Time{}, false},
	} {
		got, ok := specialTime(c.in, now)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: specialTime(%q) = %v, %v; want %v, %v", c.name, c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestSpecialClock: 'now' and 'allballs' as a time of day.
func TestSpecialClock(t *testing.T) {
	now := time.Date(2024, 3, 10, 15, 4, 5, 500000000, time.UTC)
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"now", "15:04:05.5", true},
		{" NOW ", "15:04:05.5", true},
		{"allballs", "00:00:00", true},
		{"today", "", false},
		{"epoch", "", false},
	} {
		got, ok := specialClock(c.in, now)
		if ok != c.ok || (ok && timeText(got) != c.want) {
			t.Errorf("specialClock(%q) = %s, %v; want %s, %v", c.in, timeText(got), ok, c.want, c.ok)
		}
	}
}

// TestCoerce_DateInput: casts of text to the date and time types give PostgreSQL's values and SQLSTATEs: 22007
// for bad syntax, 22008 for a field out of range.
func TestCoerce_DateInput(t *testing.T) {
	for _, c := range []struct {
		in   string
		oid  uint32
		want string // formatTyped of the result, or the SQLSTATE
	}{
		{"infinity", OIDDate, "infinity"},
		{"-infinity", OIDTimestamp, "-infinity"},
		{"INFINITY", OIDTimestamptz, "infinity"},
		{"epoch", OIDDate, "1970-01-01"},
		{"epoch", OIDTimestamptz, "1970-01-01 00:00:00+00"},
		{"2024-02-29", OIDDate, "2024-02-29"},
		{"2020-1-5", OIDDate, "2020-01-05"},
		{"20200105", OIDDate, "2020-01-05"},
		{"2020-01-05 1:02:03", OIDTimestamp, "2020-01-05 01:02:03"},
		{"2020-1-5 9:30+02", OIDTimestamptz, "2020-01-05 07:30:00+00"},
		{"20201399", OIDDate, "22008"},
		{"garbage", OIDDate, "22007"},
		{"garbage", OIDTimestamptz, "22007"},
		{"2024-02-30", OIDDate, "22008"},
		{"2021-13-40 10:00", OIDTimestamp, "22008"},
		{"infinity", OIDTime, "22007"},
		{"allballs", OIDTime, "00:00:00"},
	} {
		v, err := coerce(c.in, c.oid)
		got := ""
		var e *Error
		switch {
		case errors.As(err, &e):
			got = e.Code
		case err != nil:
			got = err.Error()
		default:
			got = formatTyped(v, c.oid)
		}
		if got != c.want {
			t.Errorf("%q::%s = %s, want %s", c.in, TypeName(c.oid), got, c.want)
		}
	}
}

// TestInfinity_Arithmetic: infinite dates and timestamps stay infinite under arithmetic, their differences are
// 22008, and they survive a trip through BSON (the storage) in their order.
func TestInfinity_Arithmetic(t *testing.T) {
	day := interval{days: 1}
	if got, err := arith("+", infinityTime, day); err != nil || !got.(time.Time).Equal(infinityTime) {
		t.Errorf("infinity + 1 day = %v, %v", got, err)
	}
	if got, err := arith("-", negInfinityTime, day); err != nil || !got.(time.Time).Equal(negInfinityTime) {
		t.Errorf("-infinity - 1 day = %v, %v", got, err)
	}
	if got, err := dateOp("+", infinityTime, int64(3), OIDDate, OIDInt4); err != nil || !got.(time.Time).Equal(infinityTime) {
		t.Errorf("date infinity + 3 = %v, %v", got, err)
	}
	var e *Error
	if _, err := arith("-", infinityTime, infinityTime); !errors.As(err, &e) || e.Code != CodeDatetimeFieldOverflow {
		t.Errorf("infinity - infinity: %v, want 22008", err)
	}
	if _, err := dateOp("-", infinityTime, time.Unix(0, 0).UTC(), OIDDate, OIDDate); !errors.As(err, &e) || e.Code != CodeDatetimeFieldOverflow {
		t.Errorf("date infinity - epoch: %v, want 22008", err)
	}
	for _, tm := range []time.Time{infinityTime, negInfinityTime} {
		stored, err := toBSON(tm, OIDTimestamptz)
		if err != nil {
			t.Fatal(err)
		}
		typ, data, err := bson.MarshalValue(stored)
		if err != nil {
			t.Fatal(err)
		}
		back := fromBSON(bson.RawValue{Type: typ, Value: data})
		if bt, ok := back.(time.Time); !ok || infinite(bt) != infinite(tm) {
			t.Errorf("%s through BSON: %v", infiniteText(tm), back)
		}
	}
}
