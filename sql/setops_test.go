package sql

import (
	"errors"
	"testing"
)

// TestCommonType: the common type of two different column types of a set operation, or PostgreSQL 15's SQLSTATE
// for the pair.
func TestCommonType(t *testing.T) {
	for _, c := range []struct {
		name   string
		l, r   uint32
		want   uint32
		reject string
	}{
		{"an integer with a numeric is a numeric", OIDInt4, OIDNumeric, OIDNumeric, ""},
		{"an integer with a float is a float8", OIDInt8, OIDFloat4, OIDFloat8, ""},
		{"varchar with bpchar is text", OIDVarchar, OIDBpchar, OIDText, ""},
		{"a date with a timestamp is a timestamp", OIDDate, OIDTimestamp, OIDTimestamp, ""},
		{"a timestamp with a timestamptz is a timestamptz", OIDTimestamp, OIDTimestamptz, OIDTimestamptz, ""},
		{"arrays convert as their elements", OIDInt4Array, OIDInt8Array, OIDInt8Array, ""},
		{"an integer with text is refused", OIDInt4, OIDText, 0, CodeDatatypeMismatch},
		{"an integer with a boolean is refused", OIDInt4, OIDBool, 0, CodeDatatypeMismatch},
		{"an interval with an integer is refused", OIDInterval, OIDInt4, 0, CodeDatatypeMismatch},
		{"a time with a date does not convert", OIDTime, OIDDate, 0, CodeCannotCoerce},
		{"bytea with jsonb does not convert", OIDBytea, OIDJSONB, 0, CodeCannotCoerce},
		{"arrays of unlike elements do not convert", OIDInt4Array, OIDTextArray, 0, CodeCannotCoerce},
		{"uuid with text is refused", OIDUUID, OIDText, 0, CodeDatatypeMismatch},
	} {
		got, err := commonType("UNION", c.l, c.r)
		var e *Error
		switch {
		case c.reject != "":
			if !errors.As(err, &e) || e.Code != c.reject {
				t.Errorf("%s: %v, want %s", c.name, err, c.reject)
			}
		case err != nil || got != c.want:
			t.Errorf("%s: %s, %v; want %s", c.name, TypeName(got), err, TypeName(c.want))
		}
	}
}
