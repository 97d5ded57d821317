package expr

import (
	"math"
	"math/big"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $round and $trunc with a place, the logarithms and
// exponentials, the trigonometric operators and the bitwise operators.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/#arithmetic-expression-operators

// roundTrunc is $round or $trunc: {$round: [number, place]}.
type roundTrunc struct {
	round bool
	num   node
	place node // nil: place 0
}

// compileRoundTrunc compiles $round and $trunc (one or two arguments,
// 28667 otherwise).
func compileRoundTrunc(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	if len(args) < 1 || len(args) > 2 {
		return nil, codes.New(28667, "Expression %s takes at least 1 arguments, and at most 2, but %d were passed in.", op, len(args))
	}
	n := roundTrunc{round: op == "$round", num: args[0]}
	if len(args) == 2 {
		n.place = args[1]
	}
	return n, nil
}

// eval implements node. Halves round to even; ints and longs keep their
// type unless the rounded value overflows an int (then it is a long) or a
// long (51080); doubles are rounded from their exact binary value and
// decimals exactly, to the exponent -place.
func (n roundTrunc) eval(c *env) (bson.RawValue, error) {
	op := "$trunc"
	if n.round {
		op = "$round"
	}
	v, err := n.num.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	place := int64(0)
	if n.place != nil {
		p, err := n.place.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if value.IsNullish(p) {
			return value.Null, nil
		}
		if !value.IsNumber(p) {
			return bson.RawValue{}, codes.New(51082, "precision argument to %s must be a integral value", op)
		}
		i, ok := ExactInt(p)
		if !ok {
			return bson.RawValue{}, codes.New(51082, "precision argument to %s must be a integral value", op)
		}
		if i < -20 || i > 100 {
			return bson.RawValue{}, codes.New(51083, "cannot apply %s with precision value %d value must be in [-20, 100]", op, i)
		}
		place = i
	}
	if value.IsNullish(v) {
		return value.Null, nil
	}
	num, ok := numOf(v)
	if !ok {
		return bson.RawValue{}, codes.New(51081, "%s only supports numeric types, not %s", op, value.TypeNameOf(v))
	}
	r := num.rat()
	if r == nil { // NaN and infinities are their own rounding
		return v, nil
	}
	switch num.kind {
	case kindInt, kindLong:
		if place >= 0 {
			return v, nil
		}
		q := roundRat(r, int(place), n.round)
		if !q.IsInt() || !q.Num().IsInt64() {
			return bson.RawValue{}, codes.New(51080, "invalid conversion from Decimal128 result in %s resulting from arguments: [%s, %d]", op, FormatScalar(v), place)
		}
		return number{kind: num.kind, i: q.Num().Int64()}.value(), nil
	case kindDouble:
		f, _ := roundRat(r, int(place), n.round).Float64()
		return value.Double(f), nil
	}
	return decValue(roundRat(r, int(place), n.round), int(-place)), nil
}

// roundRat rounds r to a multiple of 10^-place, halves to even when
// round is set, toward zero otherwise.
func roundRat(r *big.Rat, place int, round bool) *big.Rat {
	unit := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(place))), nil))
	if place < 0 {
		unit.Inv(unit)
	}
	// scaled = r * 10^place, then an integer q by the rounding rule.
	scaled := new(big.Rat).Mul(r, unit)
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int)) // q truncated toward zero
	if round && m.Sign() != 0 {
		twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
		c := twice.Cmp(scaled.Denom())
		if c > 0 || c == 0 && q.Bit(0) == 1 {
			if scaled.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return new(big.Rat).Quo(new(big.Rat).SetInt(q), unit)
}

// mathFunc is a one-argument operator computed on doubles: the
// logarithms, $exp and the trigonometric functions. A decimal argument
// gives a decimal result (computed through a double), any other number a
// double.
type mathFunc struct {
	op  string
	arg node
}

// compileMathFunc compiles the one-argument double functions.
func compileMathFunc(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return mathFunc{op: op, arg: args[0]}, nil
}

// mathDomain is the open or closed interval an operator accepts, with
// the code its violation raises; functions absent here take every number.
var mathDomain = map[string]struct {
	lo, hi         float64
	loOpen, hiOpen bool
	code           codes.Code
}{
	"$ln":    {0, math.Inf(1), true, false, 28766},
	"$log10": {0, math.Inf(1), true, false, 28761},
	"$acos":  {-1, 1, false, false, 50989},
	"$asin":  {-1, 1, false, false, 50989},
	"$atanh": {-1, 1, false, false, 50989},
	"$acosh": {1, math.Inf(1), false, false, 50989},
	"$cos":   {math.Inf(-1), math.Inf(1), true, true, 50989},
	"$sin":   {math.Inf(-1), math.Inf(1), true, true, 50989},
	"$tan":   {math.Inf(-1), math.Inf(1), true, true, 50989},
}

// mathFuncs are the functions of mathFunc.
var mathFuncs = map[string]func(float64) float64{
	"$exp":              math.Exp,
	"$ln":               math.Log,
	"$log10":            math.Log10,
	"$sin":              math.Sin,
	"$cos":              math.Cos,
	"$tan":              math.Tan,
	"$asin":             math.Asin,
	"$acos":             math.Acos,
	"$atan":             math.Atan,
	"$sinh":             math.Sinh,
	"$cosh":             math.Cosh,
	"$tanh":             math.Tanh,
	"$asinh":            math.Asinh,
	"$acosh":            math.Acosh,
	"$atanh":            math.Atanh,
	"$degreesToRadians": func(f float64) float64 { return f * math.Pi / 180 },
	"$radiansToDegrees": func(f float64) float64 { return f * 180 / math.Pi },
}

// eval implements node. NaN passes through every function; a value
// outside the domain fails with the operator's code.
func (n mathFunc) eval(c *env) (bson.RawValue, error) {
	v, err := n.arg.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(v) {
		return value.Null, nil
	}
	num, ok := numOf(v)
	if !ok {
		return bson.RawValue{}, codes.New(28765, "%s only supports numeric types, not %s", n.op, value.TypeNameOf(v))
	}
	f := num.float()
	if d, ok := mathDomain[n.op]; ok && !math.IsNaN(f) {
		below := f < d.lo || d.loOpen && f == d.lo
		above := f > d.hi || d.hiOpen && f == d.hi
		if below || above {
			if d.code == 50989 {
				return bson.RawValue{}, codes.New(50989, "cannot apply %s to %s, value must be in %s", n.op, FormatScalar(v), domainText(d.lo, d.hi, d.loOpen, d.hiOpen))
			}
			return bson.RawValue{}, codes.New(d.code, "%s's argument must be a positive number, but is %s", n.op, FormatScalar(v))
		}
	}
	out := mathFuncs[n.op](f)
	if num.kind == kindDecimal {
		return decimalOfDouble(out), nil
	}
	return value.Double(out), nil
}

// decimalOfDouble is a transcendental function's decimal result. MongoDB
// computes these in decimal to 34 digits; Concord computes them in double
// precision and gives the double's shortest decimal form (README,
// differences).
func decimalOfDouble(f float64) bson.RawValue {
	d, err := bson.ParseDecimal128(strconv.FormatFloat(f, 'g', -1, 64))
	if err != nil {
		d, _ = bson.ParseDecimal128("NaN")
	}
	return value.Decimal(d)
}

// domainText renders an interval as MongoDB's messages do: [-1,1], (-inf,inf).
func domainText(lo, hi float64, loOpen, hiOpen bool) string {
	l, r := "[", "]"
	if loOpen {
		l = "("
	}
	if hiOpen {
		r = ")"
	}
	return l + formatDouble(lo) + "," + formatDouble(hi) + r
}

// mathBinary is $log ({$log: [number, base]}) or $atan2 ({$atan2: [y, x]}).
type mathBinary struct {
	op   string
	a, b node
}

// compileMathBinary compiles $log and $atan2 (two arguments).
func compileMathBinary(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 2)
	if err != nil {
		return nil, err
	}
	return mathBinary{op: op, a: args[0], b: args[1]}, nil
}

// eval implements node.
func (n mathBinary) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, []node{n.a, n.b})
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(vals[0]) || value.IsNullish(vals[1]) {
		return value.Null, nil
	}
	a, okA := numOf(vals[0])
	b, okB := numOf(vals[1])
	if n.op == "$atan2" {
		if !okA || !okB {
			bad := vals[0]
			if okA {
				bad = vals[1]
			}
			return bson.RawValue{}, codes.New(51044, "$atan2 only supports numeric types, not %s", value.TypeNameOf(bad))
		}
		out := math.Atan2(a.float(), b.float())
		if a.kind == kindDecimal || b.kind == kindDecimal {
			return decimalOfDouble(out), nil
		}
		return value.Double(out), nil
	}
	if !okA {
		return bson.RawValue{}, codes.New(28756, "$log's argument must be numeric, not %s", value.TypeNameOf(vals[0]))
	}
	if !okB {
		return bson.RawValue{}, codes.New(28757, "$log's base must be numeric, not %s", value.TypeNameOf(vals[1]))
	}
	x, base := a.float(), b.float()
	if x <= 0 {
		return bson.RawValue{}, codes.New(28758, "$log's argument must be a positive number, but is %s", FormatScalar(vals[0]))
	}
	if base <= 0 || base == 1 {
		return bson.RawValue{}, codes.New(28759, "$log's base must be a positive number not equal to 1, but is %s", FormatScalar(vals[1]))
	}
	out := math.Log(x) / math.Log(base)
	if a.kind == kindDecimal || b.kind == kindDecimal {
		return decimalOfDouble(out), nil
	}
	return value.Double(out), nil
}

// bitwise is $bitAnd, $bitOr, $bitXor (any number of int or long
// arguments) or $bitNot (one).
type bitwise struct {
	op   string
	args []node
}

// compileBitwise compiles the bitwise operators.
func compileBitwise(op string, arg bson.RawValue, scope *Scope) (node, error) {
	n := -1
	if op == "$bitNot" {
		n = 1
	}
	args, err := compileN(op, arg, scope, n)
	if err != nil {
		return nil, err
	}
	return bitwise{op: op, args: args}, nil
}

// eval implements node: the result is a long when any argument is one,
// else an int; null or missing anywhere gives null; other types fail
// with 28765.
func (n bitwise) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	var acc int64
	switch n.op {
	case "$bitAnd":
		acc = -1
	}
	long := false
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
		if v.Type != bson.TypeInt32 && v.Type != bson.TypeInt64 {
			return bson.RawValue{}, codes.New(28765, "%s only supports int and long, not: %s.", n.op, value.TypeNameOf(v))
		}
		x, _ := value.ToInt64(v)
		long = long || v.Type == bson.TypeInt64
		switch n.op {
		case "$bitAnd":
			acc &= x
		case "$bitOr":
			acc |= x
		case "$bitXor":
			acc ^= x
		case "$bitNot":
			acc = ^x
		}
	}
	if long {
		return value.Int64(acc), nil
	}
	return value.Int32(int32(acc)), nil
}
