package sql

import (
	"fmt"
	"math"

	"github.com/cockroachdb/apd/v3"
)

// varianceAggregates are the statistical aggregates: the sample (stddev, stddev_samp, variance, var_samp) and the
// population (stddev_pop, var_pop) standard deviation and variance.
var varianceAggregates = map[string]bool{
	"stddev": true, "stddev_samp": true, "stddev_pop": true, "variance": true, "var_samp": true, "var_pop": true,
}

// varAcc accumulates one of varianceAggregates as PostgreSQL does, so that its results carry the same digits.
// Float8 values keep the count, sum and sum of squared differences of Youngs and Cramer (float8_accum);
// integers and numerics keep the exact sum and sum of squares, and the result is (N·Σx² − (Σx)²) / (N·(N−1)),
// or / N² for the population, to select_div_scale's places, its square root to the same places for a standard
// deviation (numeric_stddev_internal). So stddev of 1, 2, 3, 4 is 1.2909944487358056 and var_samp of 1.50 and 1.50 is 0.
// The zero value is not ready: use newVarAcc.
type varAcc struct {
	name         string
	sample, root bool // divide by N−1 (else N); take the square root

	n          int64
	float      bool // the values are float8s
	fx, fxx    float64
	sx, sxx    *apd.Decimal
	scales     scaleCount // the numerics' places
	nonFinites bool       // a numeric NaN or infinity among the values: the result is NaN
}

// varianceArgError is 42883 for an argument of a type the statistical aggregates do not take (text, say, even
// when its values look like numbers), as PostgreSQL has no such function; an untyped argument (0) passes.
func varianceArgError(name string, oid uint32) error {
	if oid == 0 || oid == OIDUnknown || isNumericType(oid) {
		return nil
	}
	return &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s(%s) does not exist", name, TypeName(oid)),
		Hint: "No function matches the given name and argument types. You might need to add explicit type casts."}
}

func newVarAcc(name string) *varAcc {
	return &varAcc{name: name, sample: name != "stddev_pop" && name != "var_pop",
		root: name == "stddev" || name == "stddev_samp" || name == "stddev_pop",
		sx:   decFromInt(0), sxx: decFromInt(0)}
}

// add takes one value that is not NULL: an integer, a numeric or a float8; another type is 42883, as PostgreSQL
// has no such function.
func (a *varAcc) add(v any) error {
	switch x := numeric(v).(type) {
	case float64:
		a.float = true
		prev := float64(a.n)
		a.n++
		n := float64(a.n)
		sx := a.fx + x
		sxx := a.fxx
		if prev > 0 {
			t := x*n - sx
			sxx += t * t / (n * prev)
			if math.IsInf(sx, 0) || math.IsInf(sxx, 0) {
				if !math.IsInf(a.fx, 0) && !math.IsInf(x, 0) {
					return errorf(CodeNumericOutOfRange, "value out of range: overflow")
				}
				sxx = math.NaN()
			}
		} else if math.IsNaN(x) || math.IsInf(x, 0) {
			sxx = math.NaN()
		}
		a.fx, a.fxx = sx, sxx
		return nil
	case int64:
		return a.addDec(decFromInt(x))
	case *apd.Decimal:
		return a.addDec(x)
	}
	return errorf(CodeUndefinedFunction, "function %s(%s) does not exist", a.name, TypeName(valueOID(v)))
}

func (a *varAcc) addDec(d *apd.Decimal) error {
	a.n++
	if d.Form != apd.Finite {
		a.nonFinites = true
		return nil
	}
	if a.scales == nil {
		a.scales = scaleCount{}
	}
	a.scales[decScale(d)]++
	sq := new(apd.Decimal)
	if _, err := decCtx.Mul(sq, d, d); err != nil {
		return errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	sx, sxx := new(apd.Decimal), new(apd.Decimal)
	if _, err := decCtx.Add(sx, a.sx, d); err != nil {
		return errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if _, err := decCtx.Add(sxx, a.sxx, sq); err != nil {
		return errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	a.sx, a.sxx = sx, sxx
	return nil
}

// remove takes an integer or a finite numeric back out (not a float8, whose sums are not exact), leaving the
// sums with the places of the largest remaining value, as sums of the remaining values alone would have.
func (a *varAcc) remove(v any) bool {
	v = numeric(v)
	sc, ok := a.scales.of(v)
	if a.float || a.nonFinites || !ok || a.scales[sc] == 0 {
		return false
	}
	d := asDecimal(v)
	sq, sx, sxx := new(apd.Decimal), new(apd.Decimal), new(apd.Decimal)
	if _, err := decCtx.Mul(sq, d, d); err != nil {
		return false
	}
	if _, err := decCtx.Sub(sx, a.sx, d); err != nil {
		return false
	}
	if _, err := decCtx.Sub(sxx, a.sxx, sq); err != nil {
		return false
	}
	a.scales[sc]--
	m := a.scales.max()
	a.sx, a.sxx = atScale(sx, m), atScale(sxx, 2*m)
	a.n--
	return true
}

// result is the aggregate of the values added: NULL without values, or with one for a sample's.
func (a *varAcc) result() (any, error) {
	if a.n == 0 || a.sample && a.n == 1 {
		return nil, nil
	}
	if a.float {
		d := float64(a.n)
		if a.sample {
			d--
		}
		v := a.fxx / d
		if a.root {
			v = math.Sqrt(v)
		}
		return v, nil
	}
	if a.nonFinites {
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	n := decFromInt(a.n)
	num, sq := new(apd.Decimal), new(apd.Decimal)
	if _, err := decCtx.Mul(num, n, a.sxx); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if _, err := decCtx.Mul(sq, a.sx, a.sx); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if _, err := decCtx.Sub(num, num, sq); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if num.Sign() <= 0 {
		return decFromInt(0), nil
	}
	den := a.n * a.n
	if a.sample {
		den = a.n * (a.n - 1)
	}
	dd := decFromInt(den)
	if a.n > 3037000499 { // N² past int64
		_, _ = decCtx.Mul(dd, n, n)
		if a.sample {
			_, _ = decCtx.Mul(dd, n, decFromInt(a.n-1))
		}
	}
	scale := divScale(num, dd)
	v, err := decDiv(num, dd, scale)
	if err != nil || !a.root {
		return v, err
	}
	return decSqrt(v, scale)
}

// decSqrt is the square root of d, which is not negative, rounded half away from zero to scale places, as
// PostgreSQL's sqrt_var rounds it.
func decSqrt(d *apd.Decimal, scale int) (*apd.Decimal, error) {
	if d.IsZero() {
		return decRound(d, scale, false)
	}
	ctx := *decCtx
	ctx.Rounding = apd.RoundDown
	ctx.Precision = uint32(max((int64(d.NumDigits())+int64(d.Exponent))/2+2, 1) + int64(scale) + 10)
	r := new(apd.Decimal)
	if _, err := ctx.Sqrt(r, d); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return decRound(r, scale, false)
}
