package sql

import "testing"

// TestDecimal_DivScale: a quotient's places follow PostgreSQL's select_div_scale (numeric.c), which works on the
// operands' base-10000 weights and first digits.
func TestDecimal_DivScale(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want string
	}{
		{"1", "3", "0.33333333333333333333"},
		{"10", "4", "2.5000000000000000"},
		{"100.0", "3", "33.3333333333333333"},
		{"1e20", "7", "14285714285714285714"},
		{"0.001", "7", "0.00014285714285714286"},
		{"2.0", "3", "0.66666666666666666667"},
		{"9999", "1", "9999.0000000000000000"},
		{"10000", "1", "10000.0000000000000000"},
		{"99999999", "1", "99999999.000000000000"},
		{"0.0001", "3", "0.000033333333333333333333"},
		{"-1", "3", "-0.33333333333333333333"},
		{"1", "-8", "-0.12500000000000000000"},
		{"12345.6789", "0.001", "12345678.900000000000"},
	} {
		a, _ := parseDecimal(c.a)
		b, _ := parseDecimal(c.b)
		got, err := decArith("/", a, b)
		if err != nil || decText(got) != c.want {
			t.Errorf("%s / %s = %v (%v), want %s", c.a, c.b, got, err, c.want)
		}
	}
}

// TestDecimal_RoundAndText: rounding is half away from zero in decimal, shown with the resulting scale, never -0.
func TestDecimal_RoundAndText(t *testing.T) {
	for _, c := range []struct {
		v     string
		s     int
		trunc bool
		want  string
	}{
		{"2.675", 2, false, "2.68"},
		{"-2.5", 0, false, "-3"},
		{"2.5", 0, false, "3"},
		{"-2.679", 2, true, "-2.67"},
		{"1234.5", -2, false, "1200"},
		{"1239", -1, true, "1230"},
		{"-0.001", 2, false, "0.00"},
		{"5", 2, false, "5.00"},
		{"0.5", -1, false, "0"},
	} {
		d, _ := parseDecimal(c.v)
		got, err := decRound(d, c.s, c.trunc)
		if err != nil || decText(got) != c.want {
			t.Errorf("round(%s, %d, trunc %v) = %v (%v), want %s", c.v, c.s, c.trunc, got, err, c.want)
		}
	}
	for in, want := range map[string]string{"-0.00": "0.00", "1e3": "1000", "NaN": "NaN", "-Infinity": "-Infinity", " 1.50 ": "1.50",
		"inf": "Infinity", "-inf": "-Infinity", "+Infinity": "Infinity", "-0": "0"} {
		d, ok := parseDecimal(in)
		if !ok || decText(d) != want {
			t.Errorf("parse %q: %v %v, want %s", in, d, ok, want)
		}
	}
	for _, bad := range []string{"", "abc", "1.2.3", "sNaN", "-NaN", "+NaN", "nan1", "NaN123", "1e", "infinit"} {
		if d, ok := parseDecimal(bad); ok {
			t.Errorf("parse %q: %v, want refused", bad, d)
		}
	}
}

// TestDecimal_GroupKey: equal numbers group together whatever their type and scale; unequal ones apart.
func TestDecimal_GroupKey(t *testing.T) {
	one, _ := parseDecimal("1.00")
	tenth, _ := parseDecimal("0.10")
	long, _ := parseDecimal("0.1000000000000000000001")
	if groupKey([]any{one}) != groupKey([]any{int64(1)}) || groupKey([]any{one}) != groupKey([]any{1.0}) {
		t.Error("1.00, 1 and 1.0 group apart")
	}
	if groupKey([]any{tenth}) != groupKey([]any{0.1}) {
		t.Error("0.10 and the float 0.1 group apart")
	}
	if groupKey([]any{long}) == groupKey([]any{tenth}) {
		t.Error("0.1000000000000000000001 groups with 0.10")
	}
}
