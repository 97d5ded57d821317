package sql

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// mathTypes are the result types of the functions of mathFunc and the types their parameters take, as
// builtinTypes has them (0: the first argument's type).
var mathTypes = map[string]struct {
	result uint32
	args   []uint32
}{
	"gcd":            {0, nil},
	"lcm":            {0, nil},
	"factorial":      {OIDNumeric, []uint32{OIDInt8}},
	"scale":          {OIDInt4, []uint32{OIDNumeric}},
	"min_scale":      {OIDInt4, []uint32{OIDNumeric}},
	"trim_scale":     {OIDNumeric, []uint32{OIDNumeric}},
	"sin":            {OIDFloat8, []uint32{OIDFloat8}},
	"cos":            {OIDFloat8, []uint32{OIDFloat8}},
	"tan":            {OIDFloat8, []uint32{OIDFloat8}},
	"cot":            {OIDFloat8, []uint32{OIDFloat8}},
	"asin":           {OIDFloat8, []uint32{OIDFloat8}},
	"acos":           {OIDFloat8, []uint32{OIDFloat8}},
	"atan":           {OIDFloat8, []uint32{OIDFloat8}},
	"atan2":          {OIDFloat8, []uint32{OIDFloat8}},
	"sind":           {OIDFloat8, []uint32{OIDFloat8}},
	"cosd":           {OIDFloat8, []uint32{OIDFloat8}},
	"tand":           {OIDFloat8, []uint32{OIDFloat8}},
	"cotd":           {OIDFloat8, []uint32{OIDFloat8}},
	"asind":          {OIDFloat8, []uint32{OIDFloat8}},
	"acosd":          {OIDFloat8, []uint32{OIDFloat8}},
	"atand":          {OIDFloat8, []uint32{OIDFloat8}},
	"atan2d":         {OIDFloat8, []uint32{OIDFloat8}},
	"sinh":           {OIDFloat8, []uint32{OIDFloat8}},
	"cosh":           {OIDFloat8, []uint32{OIDFloat8}},
	"tanh":           {OIDFloat8, []uint32{OIDFloat8}},
	"asinh":          {OIDFloat8, []uint32{OIDFloat8}},
	"acosh":          {OIDFloat8, []uint32{OIDFloat8}},
	"atanh":          {OIDFloat8, []uint32{OIDFloat8}},
	"bit_length":     {OIDInt4, []uint32{OIDText}},
	"textcat":        {OIDText, []uint32{OIDText}},
	"quote_nullable": {OIDText, []uint32{OIDText}},
	"overlay":        {OIDText, []uint32{OIDText, OIDText, OIDInt4}},
	"to_hex":         {OIDText, []uint32{OIDInt8}},
}

func init() {
	for name, t := range mathTypes {
		builtinTypes[name] = t
	}
}

// mathFunc runs the functions of mathTypes on evaluated arguments, none NULL except quote_nullable's; ok is false
// for another function.
func mathFunc(name string, args []any) (v any, ok bool, err error) {
	if _, known := mathTypes[name]; !known {
		return nil, false, nil
	}
	want := map[string][2]int{"gcd": {2, 2}, "lcm": {2, 2}, "atan2": {2, 2}, "atan2d": {2, 2}, "textcat": {2, 2}, "overlay": {3, 4}}[name]
	if want == [2]int{} {
		want = [2]int{1, 1}
	}
	if len(args) < want[0] || len(args) > want[1] {
		return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if name == "quote_nullable" {
		if args[0] == nil {
			return "NULL", true, nil
		}
		return quoteLiteral(formatText(args[0])), true, nil
	}
	for _, a := range args {
		if a == nil {
			return nil, true, nil
		}
	}
	switch name {
	case "gcd", "lcm":
		v, err := gcdLcm(name, numeric(args[0]), numeric(args[1]))
		return v, true, err
	case "factorial":
		n, err := coerce(numeric(args[0]), OIDInt8)
		if err != nil {
			return nil, true, err
		}
		v, err := factorial(n.(int64))
		return v, true, err
	case "scale", "min_scale", "trim_scale":
		d, err := coerce(numeric(args[0]), OIDNumeric)
		if err != nil {
			return nil, true, err
		}
		v, err := scaleFunc(name, d)
		return v, true, err
	case "bit_length":
		if b, isBytea := args[0].(Bytea); isBytea {
			return int64(8 * len(b)), true, nil
		}
		return int64(8 * len(formatText(args[0]))), true, nil
	case "textcat":
		return formatText(args[0]) + formatText(args[1]), true, nil
	case "to_hex":
		n, err := coerce(numeric(args[0]), OIDInt8)
		if err != nil {
			return nil, true, err
		}
		return strconv.FormatUint(uint64(n.(int64)), 16), true, nil
	case "overlay":
		v, err := overlay(args)
		return v, true, err
	}
	fs := make([]float64, len(args))
	for i, a := range args {
		f, err := coerce(numeric(a), OIDFloat8)
		if err != nil {
			return nil, true, err
		}
		fs[i] = f.(float64)
	}
	if v, ok, err := trigDegrees(name, fs); ok {
		return v, true, err
	}
	if v, ok, err := hyperbolic(name, fs[0]); ok {
		return v, true, err
	}
	v, err = trig(name, fs)
	return v, true, err
}

// trig is a trigonometric function of float8s: the inverse functions outside their domain, and the others of an
// infinity, fail with 22003 as PostgreSQL's do.
func trig(name string, a []float64) (any, error) {
	outOfRange := errorf(CodeNumericOutOfRange, "input is out of range")
	x := a[0]
	if math.IsNaN(x) || len(a) > 1 && math.IsNaN(a[1]) {
		return math.NaN(), nil
	}
	switch name {
	case "asin", "acos":
		if x < -1 || x > 1 {
			return nil, outOfRange
		}
		if name == "asin" {
			return math.Asin(x), nil
		}
		return math.Acos(x), nil
	case "atan":
		return math.Atan(x), nil
	case "atan2":
		return math.Atan2(x, a[1]), nil
	}
	if math.IsInf(x, 0) {
		return nil, outOfRange
	}
	switch name {
	case "sin":
		return math.Sin(x), nil
	case "cos":
		return math.Cos(x), nil
	case "tan":
		return math.Tan(x), nil
	}
	return 1 / math.Tan(x), nil // cot; cot(0) is Infinity, as in PostgreSQL
}

// gcdLcm is gcd or lcm of two integers (22003 when the answer does not fit a bigint), or of two numerics.
func gcdLcm(name string, a, b any) (any, error) {
	ai, aInt := a.(int64)
	bi, bInt := b.(int64)
	if aInt && bInt {
		x, y := new(big.Int).SetInt64(ai), new(big.Int).SetInt64(bi)
		r := new(big.Int).GCD(nil, nil, new(big.Int).Abs(x), new(big.Int).Abs(y))
		if name == "lcm" {
			if ai == 0 || bi == 0 {
				return int64(0), nil
			}
			r.Abs(r.Div(new(big.Int).Mul(x, y), r))
		}
		if !r.IsInt64() {
			return nil, errorf(CodeNumericOutOfRange, "bigint out of range")
		}
		return r.Int64(), nil
	}
	ad, err := coerce(a, OIDNumeric)
	if err != nil {
		return nil, err
	}
	bd, err := coerce(b, OIDNumeric)
	if err != nil {
		return nil, err
	}
	x, y := ad.(*apd.Decimal), bd.(*apd.Decimal)
	if x.Form != apd.Finite || y.Form != apd.Finite {
		return &apd.Decimal{Form: apd.NaN}, nil
	}
	// Both scaled to integers at the larger scale: gcd(12.5, 5) is gcd(125, 50) / 10.
	s := max(decScale(x), decScale(y))
	xi, yi := decScaledInt(x, s), decScaledInt(y, s)
	r := new(big.Int).GCD(nil, nil, new(big.Int).Abs(xi), new(big.Int).Abs(yi))
	if name == "lcm" {
		if xi.Sign() == 0 || yi.Sign() == 0 {
			r.SetInt64(0)
		} else {
			r.Abs(r.Div(new(big.Int).Mul(xi, yi), r))
		}
	}
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(r), int32(-s)), nil
}

// decScaledInt is d times 10^s, an integer when d has at most s places.
func decScaledInt(d *apd.Decimal, s int) *big.Int {
	c := d.Coeff.MathBigInt()
	if d.Negative {
		c.Neg(c)
	}
	e := int(d.Exponent) + s
	return c.Mul(c, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e)), nil))
}

// factorial is n!, a numeric: 22003 for a negative n, or one whose factorial has more digits than a numeric.
func factorial(n int64) (any, error) {
	if n < 0 {
		return nil, errorf(CodeNumericOutOfRange, "factorial of a negative number is undefined")
	}
	if n > 32177 { // 32178! has more than 131072 digits
		return nil, errorf(CodeNumericOutOfRange, "value overflows numeric format")
	}
	r := new(big.Int).MulRange(1, n)
	if n == 0 {
		r.SetInt64(1)
	}
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(r), 0), nil
}

// scaleFunc is scale (the places after the point), min_scale (the fewest that show the value exactly) or
// trim_scale (the value shown with them) of a numeric; NULL for NaN and the infinities.
func scaleFunc(name string, v any) (any, error) {
	d := v.(*apd.Decimal)
	if d.Form != apd.Finite {
		return nil, nil
	}
	if name == "scale" {
		return int64(decScale(d)), nil
	}
	r := new(apd.Decimal)
	r.Reduce(d)
	s := decScale(r)
	if name == "min_scale" {
		return int64(s), nil
	}
	return atScale(r, s), nil
}

// overlay is overlay(s placing r from start [for n]): s with n characters (the length of r unless given) from
// character start replaced by r.
func overlay(args []any) (any, error) {
	s, r := []rune(formatText(args[0])), formatText(args[1])
	start, err := coerce(numeric(args[2]), OIDInt8)
	if err != nil {
		return nil, err
	}
	n := int64(utf8.RuneCountInString(r))
	if len(args) > 3 {
		c, err := coerce(numeric(args[3]), OIDInt8)
		if err != nil {
			return nil, err
		}
		n = c.(int64)
	}
	from := start.(int64)
	if from <= 0 || n < 0 {
		return nil, errorf("22011", "negative substring length not allowed")
	}
	head := min(from-1, int64(len(s)))
	tail := min(max(from-1+n, 0), int64(len(s)))
	var b strings.Builder
	b.WriteString(string(s[:head]))
	b.WriteString(r)
	b.WriteString(string(s[tail:]))
	return b.String(), nil
}
