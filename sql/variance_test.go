package sql

import (
	"math"
	"testing"
)

// TestVariance_PostgreSQLDigits: the statistical aggregates give PostgreSQL 15's digits: numerics and integers to
// select_div_scale's places of the exact variance (its square root rounded to as many), float8s by Youngs and
// Cramer's sums; NULL without values or, for a sample's, with one; 0 when every value is the same; NaN with a
// NaN or an infinity among them.
func TestVariance_PostgreSQLDigits(t *testing.T) {
	for _, c := range []struct {
		name   string
		agg    string
		values []string
		want   string
	}{
		{"integers give a numeric of 16 significant digits", "var_samp", []string{"1", "2", "3", "4"}, "1.6666666666666667"},
		{"a standard deviation has the variance's places", "stddev_samp", []string{"1", "2", "3", "4"}, "1.2909944487358056"},
		{"the population's divides by N", "var_pop", []string{"1", "2", "3", "4"}, "1.2500000000000000"},
		{"a small variance takes more places", "stddev", []string{"1", "1", "1", "2", "2", "2"}, "0.54772255750516611346"},
		{"a large one fewer", "var_samp", []string{"0.001", "0.002", "1000000"}, "333333332333.33333433"},
		{"its root to the same places", "stddev_pop", []string{"0.001", "0.002", "1000000"}, "471404.52008392"},
		{"equal values are 0 without places", "var_samp", []string{"1.50", "1.50"}, "0"},
		{"one value has no sample variance", "stddev", []string{"5"}, "NULL"},
		{"one value has a population variance of 0", "var_pop", []string{"5"}, "0"},
		{"no values are NULL", "var_pop", nil, "NULL"},
		{"a NaN makes NaN", "variance", []string{"NaN", "2"}, "NaN"},
		{"numerics keep the most places", "variance", []string{"1.5", "2.25", "4", "5.125", "-1"}, "5.5937500000000000"},
	} {
		acc := newVarAcc(c.agg)
		for _, v := range c.values {
			if err := acc.add(numeric(v)); err != nil { // an int64 or a numeric
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		got, err := acc.result()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if text := formatText(got); got == nil && c.want != "NULL" || got != nil && text != c.want {
			t.Errorf("%s: %s(%v) = %v, want %s", c.name, c.agg, c.values, text, c.want)
		}
	}
}

// TestVariance_Float8: float8 values give float8 results with PostgreSQL's digits; an infinity makes NaN, and
// finite values whose sums overflow are 22003.
func TestVariance_Float8(t *testing.T) {
	run := func(agg string, vals ...float64) (any, error) {
		acc := newVarAcc(agg)
		for _, v := range vals {
			if err := acc.add(v); err != nil {
				return nil, err
			}
		}
		return acc.result()
	}
	for _, c := range []struct {
		agg  string
		vals []float64
		want string
	}{
		{"var_samp", []float64{1.5, 2.5, 4, 5, -1}, "5.425"},
		{"var_pop", []float64{1.5, 2.5, 4, 5, -1}, "4.34"},
		{"stddev", []float64{1.5, 2.5, 4, 5, -1}, "2.329162939770423"},
		{"stddev", []float64{math.Inf(1), 2}, "NaN"},
		{"var_pop", []float64{math.Inf(1)}, "NaN"},
	} {
		got, err := run(c.agg, c.vals...)
		if err != nil || formatText(got) != c.want {
			t.Errorf("%s(%v) = %v (%v), want %s", c.agg, c.vals, got, err, c.want)
		}
	}
	if _, err := run("stddev", 1e308, -1e308); err == nil || err.(*Error).Code != CodeNumericOutOfRange {
		t.Errorf("stddev(1e308, -1e308): %v, want 22003", err)
	}
}
