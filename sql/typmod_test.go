package sql

import (
	"testing"
)

// TestFitNumeric: rounding to a numeric(p, s) is half away from zero in decimal, a negative scale rounds to tens,
// and a value with more than p - s digits before the point is 22003 with PostgreSQL's detail (the expected values
// are PostgreSQL 15's for the same casts).
func TestFitNumeric(t *testing.T) {
	mod := func(p, s int) int32 { return int32(p<<16|(s&0x7ff)) + typmodHeader }
	for _, c := range []struct {
		v      any
		p, s   int
		want   any
		detail string
	}{
		{1.005, 6, 2, 1.01, ""},
		{-2.345, 6, 2, -2.35, ""},
		{1234.5, 4, 0, 1235.0, ""},
		{999.5, 4, 0, 1000.0, ""},
		{int64(15), 3, -1, int64(20), ""},
		{int64(14), 3, -1, int64(10), ""},
		{int64(-15), 3, -1, int64(-20), ""},
		{0.0005, 3, 3, 0.001, ""},
		{0.0004, 3, 3, 0.0, ""},
		{-0.0005, 3, 3, -0.001, ""},
		{int64(5), 3, 2, int64(5), ""},
		{int64(12345), 3, -1, nil, "A field with precision 3, scale -1 must round to an absolute value less than 10^4."},
		{9999.5, 4, 0, nil, "A field with precision 4, scale 0 must round to an absolute value less than 10^4."},
		{1.0, 2, 2, nil, "A field with precision 2, scale 2 must round to an absolute value less than 1."},
	} {
		got, err := fitNumeric(c.v, mod(c.p, c.s))
		if c.detail != "" {
			if e := AsError(err); e == nil || e.Code != CodeNumericOutOfRange || e.Detail != c.detail {
				t.Errorf("%v::numeric(%d,%d): %v, %v; want 22003 %q", c.v, c.p, c.s, got, err, c.detail)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%v::numeric(%d,%d) = %#v, %v; want %#v", c.v, c.p, c.s, got, err, c.want)
		}
	}
	if p, s := numericTypmod(mod(7, -2)); p != 7 || s != -2 {
		t.Errorf("numeric(7,-2) reads back as (%d,%d)", p, s)
	}
}

// TestFitString: an assignment refuses a string longer than the length unless what is over is spaces; a cast
// cuts it; char(n) keeps no trailing spaces; lengths count characters, not bytes.
func TestFitString(t *testing.T) {
	for _, c := range []struct {
		v        string
		oid      uint32
		n        int32
		explicit bool
		want     string
		code     string
	}{
		{"abc", OIDVarchar, 3, false, "abc", ""},
		{"abcd", OIDVarchar, 3, false, "", CodeStringDataRightTruncation},
		{"abc   ", OIDVarchar, 3, false, "abc", ""},
		{"abcd", OIDVarchar, 3, true, "abc", ""},
		{"ab ", OIDVarchar, 3, false, "ab ", ""},
		{"ab ", OIDBpchar, 3, false, "ab", ""},
		{"ab  x", OIDBpchar, 3, false, "", CodeStringDataRightTruncation},
		{"ab  x", OIDBpchar, 3, true, "ab", ""},
		{"ééé", OIDVarchar, 3, false, "ééé", ""},
		{"éééé", OIDVarchar, 3, true, "ééé", ""},
	} {
		got, err := applyTypmod(c.v, c.oid, c.n+typmodHeader, c.explicit)
		if c.code != "" {
			if e := AsError(err); e == nil || e.Code != c.code {
				t.Errorf("%q into %s(%d): %v, %v; want %s", c.v, TypeName(c.oid), c.n, got, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q into %s(%d) = %q, %v; want %q", c.v, TypeName(c.oid), c.n, got, err, c.want)
		}
	}
}
