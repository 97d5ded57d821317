package sql

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Numerics are exact decimals, as PostgreSQL's are: in the evaluator a numeric value is a *apd.Decimal (never
// changed once made), whose exponent is its display scale as PostgreSQL's dscale is (1.50 keeps its two places,
// 1.50 + 1 is 2.50, 1.5 * 1.5 is 2.25); it is stored as a BSON decimal128. Addition, subtraction, multiplication,
// comparison, sum, min, max, round, trunc, casts and display are exact; division and avg take PostgreSQL's result
// scale (select_div_scale: at least 16 significant digits). Functions without an exact form here (sqrt, exp, ln,
// power) compute in float64, as do a numeric and a float8 together, as in PostgreSQL.

// decCtx computes numerics: results carry up to 20,000 significant digits (exact for any value a column can store),
// rounded half away from zero as PostgreSQL rounds numerics.
var decCtx = &apd.Context{
	Precision:   20000,
	MaxExponent: apd.MaxExponent,
	MinExponent: apd.MinExponent,
	Traps:       apd.DefaultTraps,
	Rounding:    apd.RoundHalfUp,
}

// maxDisplayScale is PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE, the most places a quotient takes.
const maxDisplayScale = 1000

// parseDecimal reads a numeric's text: a number in decimal or exponent notation, NaN, or [-]Infinity (PostgreSQL
// 14 and later), with surrounding spaces; ok is false for anything else.
func parseDecimal(s string) (*apd.Decimal, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	body := strings.ToLower(strings.TrimLeft(s, "+-"))
	switch {
	case body == "nan":
		if s[0] == '+' || s[0] == '-' {
			return nil, false // PostgreSQL's NaN has no sign
		}
		return &apd.Decimal{Form: apd.NaN}, true
	case body == "inf" || body == "infinity":
		return &apd.Decimal{Form: apd.Infinite, Negative: s[0] == '-'}, true
	case strings.ContainsAny(body, "ns"): // apd's NaN payloads and sNaN, and any other name
		return nil, false
	}
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return nil, false
	}
	return normalizeDec(d), true
}

// normalizeDec makes d, just made, PostgreSQL's form of its value: no negative zero, and a positive exponent (1e5)
// written out, so that its scale is 0 as PostgreSQL's dscale is (1.50 * 1e5 is 150000.00).
func normalizeDec(d *apd.Decimal) *apd.Decimal {
	if d.Form != apd.Finite {
		return d
	}
	if d.Exponent > 0 {
		_, _ = decCtx.Quantize(d, d, 0)
	}
	if d.IsZero() {
		d.Negative = false
	}
	return d
}

// decFromInt is the numeric of an integer.
func decFromInt(i int64) *apd.Decimal { return apd.New(i, 0) }

// decFromFloat is the numeric a float8 casts to: its 15 significant digits (DBL_DIG), as PostgreSQL's
// float8_numeric writes it (0.1 + 0.2 casts to 0.3).
func decFromFloat(f float64) *apd.Decimal {
	switch {
	case math.IsNaN(f):
		return &apd.Decimal{Form: apd.NaN}
	case math.IsInf(f, 0):
		return &apd.Decimal{Form: apd.Infinite, Negative: f < 0}
	}
	d, _, _ := apd.NewFromString(strconv.FormatFloat(f, 'g', 15, 64))
	return normalizeDec(d) // 1e+20 written out in full, as PostgreSQL shows it
}

// decToFloat is a numeric as the nearest float8.
func decToFloat(d *apd.Decimal) float64 {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return math.NaN()
	case apd.Infinite:
		if d.Negative {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	f, err := d.Float64()
	if err != nil {
		f, _ = strconv.ParseFloat(d.Text('e'), 64)
	}
	return f
}

// decFromBSON is the numeric of a stored decimal128.
func decFromBSON(v bson.Decimal128) (*apd.Decimal, bool) {
	return parseDecimal(v.String())
}

// decToBSON is a numeric as a decimal128, rounded half away from zero to its 34 significant digits when it has
// more (the storage holds no more); a number past its exponent range is 22003.
func decToBSON(d *apd.Decimal) (bson.Decimal128, error) {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return bson.ParseDecimal128("NaN")
	case apd.Infinite:
		if d.Negative {
			return bson.ParseDecimal128("-Infinity")
		}
		return bson.ParseDecimal128("Infinity")
	}
	if d.NumDigits() > 34 {
		r := new(apd.Decimal)
		if _, err := decCtx.WithPrecision(34).Round(r, d); err == nil {
			d = r
		}
	}
	out, err := bson.ParseDecimal128(d.Text('E'))
	if err != nil {
		return out, errorf(CodeNumericOutOfRange, "value out of range for a stored numeric: %s", decText(d))
	}
	return out, nil
}

// decText writes a numeric as PostgreSQL does: plain notation with its own places (1.50), never -0, NaN and
// [-]Infinity by name.
func decText(d *apd.Decimal) string { return string(appendDec(nil, d)) }

// appendDec appends decText(d) to b.
func appendDec(b []byte, d *apd.Decimal) []byte {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return append(b, "NaN"...)
	case apd.Infinite:
		if d.Negative {
			return append(b, "-Infinity"...)
		}
		return append(b, "Infinity"...)
	}
	if d.IsZero() && d.Negative {
		d = new(apd.Decimal).Abs(d)
	}
	if d.Exponent > 0 {
		q := new(apd.Decimal)
		if _, err := decCtx.Quantize(q, d, 0); err == nil {
			d = q
		}
	}
	return d.Append(b, 'f')
}

// decScale is a numeric's display scale, PostgreSQL's dscale: its places after the point.
func decScale(d *apd.Decimal) int {
	if d.Form != apd.Finite || d.Exponent >= 0 {
		return 0
	}
	return int(-d.Exponent)
}

// decRound rounds d to s places (tens, hundreds for a negative s), half away from zero, or cuts it when trunc is
// set; the result has scale max(s, 0), as PostgreSQL's round and trunc give.
func decRound(d *apd.Decimal, s int, trunc bool) (*apd.Decimal, error) {
	if d.Form != apd.Finite {
		return d, nil
	}
	s = max(min(s, maxDisplayScale), -maxDisplayScale)
	ctx := *decCtx
	if trunc {
		ctx.Rounding = apd.RoundDown
	}
	ctx.Precision = uint32(max(int64(d.NumDigits())+int64(d.Exponent)+int64(max(s, 0))+2, 1)) + 1
	out := new(apd.Decimal)
	if _, err := ctx.Quantize(out, d, int32(-s)); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if s < 0 {
		if _, err := ctx.Quantize(out, out, 0); err != nil {
			return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
		}
	}
	if out.IsZero() {
		out.Negative = false
	}
	return out, nil
}

// decArith is +, -, *, / and % of two numerics, as PostgreSQL computes them: exact for +, - and *, a quotient to
// select_div_scale's places, a remainder of the truncated quotient. Division by zero is 22012.
func decArith(op string, a, b *apd.Decimal) (*apd.Decimal, error) {
	out := new(apd.Decimal)
	if a.Form == apd.NaN || b.Form == apd.NaN {
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	if a.Form == apd.Infinite || b.Form == apd.Infinite {
		// PostgreSQL's infinities follow float8's rules: Infinity - Infinity and Infinity * 0 are NaN, x / Infinity
		// is 0, 5 % Infinity is 5.
		if (op == "/" || op == "%") && b.IsZero() && b.Form == apd.Finite {
			return nil, errorf(CodeDivisionByZero, "division by zero")
		}
		af, bf := decToFloat(a), decToFloat(b)
		switch op {
		case "+":
			return decFromFloat(af + bf), nil
		case "-":
			return decFromFloat(af - bf), nil
		case "*":
			return decFromFloat(af * bf), nil
		case "/":
			return decFromFloat(af / bf), nil
		}
		if a.Form == apd.Infinite {
			return &apd.Decimal{Form: apd.NaN}, nil
		}
		return a, nil
	}
	var err error
	switch op {
	case "+":
		_, err = decCtx.Add(out, a, b)
	case "-":
		_, err = decCtx.Sub(out, a, b)
	case "*":
		_, err = decCtx.Mul(out, a, b)
	case "/", "%":
		if b.IsZero() {
			return nil, errorf(CodeDivisionByZero, "division by zero")
		}
		if op == "%" {
			_, err = decCtx.Rem(out, a, b)
			break
		}
		return decDiv(a, b, divScale(a, b))
	}
	if err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	if out.IsZero() {
		out.Negative = false
	}
	return out, nil
}

// decDiv is a / b rounded half away from zero to scale places: the quotient is cut a few digits past them, then
// rounded once (cutting never crosses the half-way point, so the one rounding is exact).
func decDiv(a, b *apd.Decimal, scale int) (*apd.Decimal, error) {
	intDigits := int64(a.NumDigits()) + int64(a.Exponent) - (int64(b.NumDigits()) + int64(b.Exponent)) + 2
	ctx := *decCtx
	ctx.Rounding = apd.RoundDown
	ctx.Precision = uint32(max(intDigits, 1) + int64(scale) + 10)
	q := new(apd.Decimal)
	if _, err := ctx.Quo(q, a, b); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return decRound(q, scale, false)
}

// divScale is PostgreSQL's select_div_scale: the places of a quotient, enough for at least 16 significant digits
// and no fewer than either operand has, at most 1000.
func divScale(a, b *apd.Decimal) int {
	w1, f1 := nbaseLead(a)
	w2, f2 := nbaseLead(b)
	qweight := w1 - w2
	if f1 <= f2 {
		qweight--
	}
	rscale := 16 - qweight*4
	rscale = max(rscale, decScale(a), decScale(b), 0)
	return min(rscale, maxDisplayScale)
}

// nbaseLead is the weight and the first digit of d in PostgreSQL's base-10000 representation (0, 0 for zero).
func nbaseLead(d *apd.Decimal) (weight int, first int64) {
	if d.Form != apd.Finite || d.IsZero() {
		return 0, 0
	}
	coeff := d.Coeff.String()
	adj := len(coeff) + int(d.Exponent) - 1 // d is in [10^adj, 10^(adj+1))
	weight = adj / 4
	if adj < 0 && adj%4 != 0 {
		weight-- // floor division
	}
	n := adj - 4*weight + 1 // decimal digits in the first base-10000 digit, 1 to 4
	lead := coeff
	if len(lead) > n {
		lead = lead[:n]
	}
	for len(lead) < n {
		lead += "0"
	}
	first, _ = strconv.ParseInt(lead, 10, 64)
	return weight, first
}

// decCompare orders two numerics as PostgreSQL does: NaN above every number and equal to itself.
func decCompare(a, b *apd.Decimal) int {
	aNaN, bNaN := a.Form == apd.NaN || a.Form == apd.NaNSignaling, b.Form == apd.NaN || b.Form == apd.NaNSignaling
	switch {
	case aNaN && bNaN:
		return 0
	case aNaN:
		return 1
	case bNaN:
		return -1
	}
	return a.Cmp(b)
}

// decToInt is a numeric cast to an integer: rounded half away from zero; false when it has no integer value (NaN,
// Infinity) or is past int64.
func decToInt(d *apd.Decimal) (int64, bool) {
	if d.Form != apd.Finite {
		return 0, false
	}
	r, err := decRound(d, 0, false)
	if err != nil {
		return 0, false
	}
	i, err := r.Int64()
	return i, err == nil
}

// decKey is the grouping key of a numeric: the same as an equal int64's or float64's (1, 1.0 and 1.00 group
// together), else its digits without trailing zeros.
func decKey(d *apd.Decimal) string {
	if d.Form == apd.Finite {
		if i, frac := decIntegral(d); !frac && (i > 1<<53 || i < -(1<<53)) && decFromInt(i).Cmp(d) == 0 {
			return intKey(i)
		}
		if d.IsZero() {
			return "n0"
		}
		f := decToFloat(d)
		if back := decFromShortest(f); back != nil && back.Cmp(d) == 0 {
			return "n" + strconv.FormatFloat(f, 'g', -1, 64)
		}
		r, _ := new(apd.Decimal).Reduce(d)
		return "d" + r.Text('E')
	}
	return "d" + d.String()
}

// decFromShortest is the numeric of f's shortest decimal form.
func decFromShortest(f float64) *apd.Decimal {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	d, _, err := apd.NewFromString(strconv.FormatFloat(f, 'g', -1, 64))
	if err != nil {
		return nil
	}
	return d
}

// addToSum adds v to a sum or avg's running sum: integers past int64 go on as a numeric, as PostgreSQL sums
// integers into a numeric.
func addToSum(sum, v any) (any, error) {
	if iv, ok := v.(interval); ok && sum == any(int64(0)) {
		return iv, nil // a sum of intervals starts from the first
	}
	out, err := arith("+", sum, numeric(v))
	if err != nil {
		si, sInt := sum.(int64)
		vi, vInt := numeric(v).(int64)
		if sInt && vInt {
			return decArith("+", decFromInt(si), decFromInt(vi))
		}
	}
	return out, err
}

// average is avg's result from the sum of n values: a float8 for float8 values, else a numeric to PostgreSQL's
// scale for a quotient (avg of 1 and 2 is 1.5000000000000000).
func average(sum any, n int64) (any, error) {
	switch s := sum.(type) {
	case interval:
		return s.scale(float64(n), true)
	case int64:
		return decDiv(decFromInt(s), decFromInt(n), divScale(decFromInt(s), decFromInt(n)))
	case *apd.Decimal:
		if s.Form != apd.Finite {
			return s, nil
		}
		return decDiv(s, decFromInt(n), divScale(s, decFromInt(n)))
	}
	f, ok := toFloat(sum)
	if !ok {
		return nil, errorf(CodeUndefinedFunction, "function avg(%s) does not exist", TypeName(valueOID(sum)))
	}
	return f / float64(n), nil
}

// sameNumber reports whether fitting a number to a type modifier (fit) left its value unchanged: the same value,
// whatever its scale (0.5 fitted to numeric(6,2) is 0.50).
func sameNumber(fit, v any) bool {
	if fit == v {
		return true
	}
	c, ok := compare(fit, v)
	return ok && c == 0
}

// decIntegral is d's integer value when it has one that fits an int64; frac reports a fractional part.
func decIntegral(d *apd.Decimal) (i int64, frac bool) {
	if d.Form != apd.Finite {
		return 0, false
	}
	r, err := decRound(d, 0, true)
	if err != nil {
		return 0, false
	}
	if r.Cmp(d) != 0 {
		return 0, true
	}
	i, _ = r.Int64()
	return i, false
}

// decUnary is abs, round, ceil, floor and trunc of a numeric, exactly: abs keeps the scale, the others give an
// integer value of scale 0, as PostgreSQL's do.
func decUnary(name string, d *apd.Decimal) (any, error) {
	if d.Form != apd.Finite {
		if name == "abs" && d.Form == apd.Infinite {
			return &apd.Decimal{Form: apd.Infinite}, nil
		}
		return d, nil
	}
	out := new(apd.Decimal)
	var err error
	switch name {
	case "abs":
		out.Abs(d)
		return out, nil
	case "round":
		return decRound(d, 0, false)
	case "trunc":
		return decRound(d, 0, true)
	case "ceil", "ceiling":
		_, err = decCtx.Ceil(out, d)
	default:
		_, err = decCtx.Floor(out, d)
	}
	if err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return normalizeDec(out), nil
}

// decDivTrunc is div(a, b): the quotient cut to an integer.
func decDivTrunc(a, b *apd.Decimal) (any, error) {
	if b.Form == apd.Finite && b.IsZero() {
		return nil, errorf(CodeDivisionByZero, "division by zero")
	}
	if a.Form != apd.Finite || b.Form != apd.Finite {
		return decArith("/", a, b)
	}
	ctx := *decCtx
	ctx.Precision = uint32(max(int64(a.NumDigits())+int64(a.Exponent)-int64(b.Exponent)+2, 1))
	out := new(apd.Decimal)
	if _, err := ctx.QuoInteger(out, a, b); err != nil {
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	return normalizeDec(out), nil
}
