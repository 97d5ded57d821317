package sql

import "testing"

// TestParseArray_Malformed checks the message and detail of each malformed array literal against PostgreSQL 15's
// (read with psql): 22P02 `malformed array literal: "..."` and what is wrong.
func TestParseArray_Malformed(t *testing.T) {
	for _, c := range []struct{ in, detail string }{
		{"{1", "Unexpected end of input."},
		{"x", `Array value must start with "{" or dimension information.`},
		{"", `Array value must start with "{" or dimension information.`},
		{"{1}}", "Junk after closing right brace."},
		{"{{1},{2,3}}", "Multidimensional arrays must have sub-arrays with matching dimensions."},
		{"{1,,2}", `Unexpected "," character.`},
		{`{1,"a}`, "Unexpected end of input."},
		{`{a"b}`, "Unexpected array element."},
		{"{1 2", "Unexpected end of input."},
	} {
		_, err := parseArray(c.in)
		e, ok := err.(*Error)
		if !ok || e.Code != "22P02" || e.Message != `malformed array literal: "`+c.in+`"` || e.Detail != c.detail {
			t.Errorf("%q: %v (detail %q), want malformed array literal with detail %q", c.in, err, detailOf(err), c.detail)
		}
	}
	for _, in := range []string{"{}", " {a, \"b c\" ,NULL} ", "{{1,2},{3,4}}", `{"a\"b"}`} {
		if _, err := parseArray(in); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func detailOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Detail
	}
	return ""
}
