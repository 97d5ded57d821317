package sql

import (
	"math"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// minSigDigits is PostgreSQL's NUMERIC_MIN_SIG_DIGITS: the significant digits a numeric sqrt, exp, ln, log or
// power shows at least.
const minSigDigits = 16

// numericMath is sqrt, exp, ln, log (of base 10, or of a base), log10, power and pow of numerics, as PostgreSQL 15's
// numeric functions compute and show them: chosen when an argument is a numeric and none is a float8, as
// PostgreSQL resolves sqrt(2.0) to sqrt(numeric) and sqrt(2) to sqrt(float8). The result is exact to its scale,
// which the function chooses as PostgreSQL's does (enough places for 16 significant digits, and at least the
// inputs' scales: sqrt(2.0) is 1.414213562373095, exp(1.0) 2.7182818284590452, power(2.0, 10)
// 1024.0000000000000000). ok is false when the arguments are not such (or are infinite): the float8 function
// answers then.
func numericMath(name string, args []any) (v any, ok bool, err error) {
	ds := make([]*apd.Decimal, len(args))
	anyDec := false
	for i, a := range args {
		switch n := numeric(a).(type) {
		case *apd.Decimal:
			if n.Form == apd.Infinite {
				return nil, false, nil
			}
			ds[i], anyDec = n, true
		case int64:
			ds[i] = decFromInt(n)
		default:
			return nil, false, nil
		}
	}
	if !anyDec && !(name == "log" && len(ds) == 2) { // log(b, x) is of numerics only: log(2, 8) is 3.0000000000000000
		return nil, false, nil
	}
	for _, d := range ds {
		if d.Form == apd.NaN {
			return &apd.Decimal{Form: apd.NaN}, true, nil
		}
	}
	switch {
	case name == "sqrt" && len(ds) == 1:
		v, err = numSqrt(ds[0])
	case name == "exp" && len(ds) == 1:
		v, err = numExp(ds[0])
	case name == "ln" && len(ds) == 1:
		v, err = numLog(nil, ds[0])
	case (name == "log" || name == "log10") && len(ds) == 1:
		v, err = numLog(decFromInt(10), ds[0])
	case name == "log" && len(ds) == 2:
		v, err = numLog(ds[0], ds[1])
	case (name == "power" || name == "pow" || name == "^") && len(ds) == 2:
		v, err = numPower(ds[0], ds[1])
	default:
		return nil, false, nil
	}
	return v, true, err
}

// rscaleOf clamps a chosen result scale to at least the inputs' scales and at most NUMERIC_MAX_DISPLAY_SCALE.
func rscaleOf(s int, in ...*apd.Decimal) int {
	for _, d := range in {
		s = max(s, decScale(d))
	}
	return min(max(s, 0), maxDisplayScale)
}

// decAdj is the decimal exponent of d's first digit: d is in [10^adj, 10^(adj+1)).
func decAdj(d *apd.Decimal) int {
	return int(d.NumDigits()) + int(d.Exponent) - 1
}

// decLnApprox approximates ln(d) of a positive d in float8 arithmetic, for any magnitude.
func decLnApprox(d *apd.Decimal) float64 {
	s := d.Coeff.String()
	if len(s) > 15 {
		s = s[:15]
	}
	lead, _ := strconv.ParseFloat(s, 64)
	lead /= math.Pow(10, float64(len(s)-1))
	return math.Log(lead) + float64(decAdj(d))*math.Ln10
}

// estimateLnDweight is PostgreSQL's estimate_ln_dweight: the decimal weight of ln(d).
func estimateLnDweight(d *apd.Decimal) int {
	if d.Negative || d.IsZero() {
		return 0
	}
	one := decFromInt(1)
	if decCompare(d, apd.New(9, -1)) >= 0 && decCompare(d, apd.New(11, -1)) <= 0 {
		x := new(apd.Decimal)
		decCtx.Sub(x, d, one)
		if x.IsZero() {
			return 0
		}
		return decAdj(x)
	}
	return int(math.Log10(math.Abs(decLnApprox(d)))) // C's (int): toward zero
}

// finish rounds a result computed with guard digits to scale places, half away from zero.
func finish(d *apd.Decimal, scale int) (any, error) {
	return decRound(d, scale, false)
}

// workCtx is a context that computes a result of about adj+1 integer digits to scale places and 10 more.
func workCtx(adj, scale int) *apd.Context {
	ctx := *decCtx
	ctx.Precision = uint32(max(adj+1, 1) + scale + 10)
	ctx.Rounding = apd.RoundHalfEven
	return &ctx
}

func numSqrt(d *apd.Decimal) (any, error) {
	if d.Negative && !d.IsZero() {
		return nil, errorf(CodeInvalidArgumentForPower, "cannot take square root of a negative number")
	}
	weight, _ := nbaseLead(d)
	sweight := (weight+1)*4/2 - 1
	scale := rscaleOf(minSigDigits-sweight, d)
	if d.IsZero() {
		return atScale(decFromInt(0), scale), nil
	}
	out := new(apd.Decimal)
	if _, err := workCtx(decAdj(d)/2, scale).Sqrt(out, d); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return finish(out, scale)
}

func numExp(d *apd.Decimal) (any, error) {
	x := decToFloat(d)
	val := min(max(x*0.434294481903252, -2000), 2000) // the result's decimal weight
	scale := rscaleOf(minSigDigits-int(val), d)
	if math.Abs(x) >= 6000 { // NUMERIC_MAX_RESULT_SCALE * 3
		if x > 0 {
			return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
		}
		return atScale(decFromInt(0), scale), nil
	}
	out := new(apd.Decimal)
	if _, err := workCtx(max(int(val), 0), scale).Exp(out, d); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return finish(out, scale)
}

// numLog is ln(num) for a nil base, else log(base, num).
func numLog(base, num *apd.Decimal) (any, error) {
	for _, d := range []*apd.Decimal{base, num} {
		switch {
		case d == nil:
		case d.IsZero():
			return nil, errorf(CodeInvalidArgumentForLog, "cannot take logarithm of zero")
		case d.Negative:
			return nil, errorf(CodeInvalidArgumentForLog, "cannot take logarithm of a negative number")
		}
	}
	dweight := estimateLnDweight(num)
	in := []*apd.Decimal{num}
	if base != nil {
		dweight -= estimateLnDweight(base)
		in = append(in, base)
	}
	scale := rscaleOf(minSigDigits-dweight, in...)
	ctx := workCtx(max(dweight, 0), scale+max(-dweight, 0))
	lnNum := new(apd.Decimal)
	if _, err := ctx.Ln(lnNum, num); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if base == nil {
		return finish(lnNum, scale)
	}
	lnBase := new(apd.Decimal)
	if _, err := ctx.Ln(lnBase, base); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if lnBase.IsZero() {
		return nil, errorf(CodeDivisionByZero, "division by zero")
	}
	out := new(apd.Decimal)
	if _, err := ctx.Quo(out, lnNum, lnBase); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return finish(out, scale)
}

// numPower is power(base, exp) of numerics. An integer exponent gives max(16, the base's scale) places, as in
// PostgreSQL 15 (16 chooses them as for a fractional one).
func numPower(base, exp *apd.Decimal) (any, error) {
	expInt, frac := decIntegral(exp)
	if base.IsZero() {
		switch {
		case exp.Negative:
			return nil, errorf(CodeInvalidArgumentForPower, "zero raised to a negative power is undefined")
		case exp.IsZero():
			return atScale(decFromInt(1), rscaleOf(minSigDigits, base)), nil
		case frac:
			return atScale(decFromInt(0), minSigDigits), nil
		}
		return atScale(decFromInt(0), rscaleOf(minSigDigits, base)), nil
	}
	if base.Negative && frac {
		return nil, errorf(CodeInvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
	}
	abs := new(apd.Decimal).Abs(base)
	if !frac && expInt >= math.MinInt32 && expInt <= math.MaxInt32 {
		scale := rscaleOf(minSigDigits, base)
		adj := float64(expInt) * decLnApprox(abs) / math.Ln10
		if adj > 131072 {
			return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
		}
		if adj < -float64(scale)-2 {
			return atScale(decFromInt(0), scale), nil
		}
		out := new(apd.Decimal)
		if _, err := workCtx(max(int(adj), 0), scale+int(math.Log10(math.Abs(float64(expInt))+1))).Pow(out, base, apd.New(expInt, 0)); err != nil {
			return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
		}
		return finish(out, scale)
	}
	val := decToFloat(exp) * decLnApprox(abs)
	if math.Abs(val) > 3*2000*1.01 {
		if val > 0 {
			return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
		}
		return atScale(decFromInt(0), maxDisplayScale), nil
	}
	val *= 0.434294481903252
	scale := rscaleOf(minSigDigits-int(val), base, exp)
	out := new(apd.Decimal)
	if _, err := workCtx(max(int(val), 0), scale+10).Pow(out, base, exp); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return finish(out, scale)
}
