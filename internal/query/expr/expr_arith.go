package expr

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// numKind orders numeric types by width: an arithmetic result takes the
// widest kind of its operands, as MongoDB does.
type numKind int

// The kinds of number, in the order arithmetic widens them.
const (
	kindInt numKind = iota
	kindLong
	kindDouble
	kindDecimal
)

// number is a number during arithmetic. For kindInt the value lives in i
// and may exceed int32 until the result is produced (then it becomes a
// long), matching MongoDB's createIntOrLong.
type number struct {
	kind numKind
	i    int64
	f    float64
	r    *big.Rat // kindDecimal only; nil for NaN/Infinity (then f holds it)
	exp  int      // kindDecimal only: the preferred exponent of the result
}

// numOf converts a numeric value.
func numOf(v bson.RawValue) (number, bool) {
	switch v.Type {
	case bson.TypeInt32:
		n, ok := v.Int32OK()
		return number{kind: kindInt, i: int64(n)}, ok
	case bson.TypeInt64:
		n, ok := v.Int64OK()
		return number{kind: kindLong, i: n}, ok
	case bson.TypeDouble:
		f, ok := v.DoubleOK()
		return number{kind: kindDouble, f: f}, ok
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		if !ok {
			return number{}, false
		}
		n := number{kind: kindDecimal}
		if bi, exp, err := d.BigInt(); err == nil {
			r := new(big.Rat).SetInt(bi)
			scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(exp))), nil)
			if exp >= 0 {
				r.Mul(r, new(big.Rat).SetInt(scale))
			} else {
				r.Quo(r, new(big.Rat).SetInt(scale))
			}
			n.r = r
			n.exp = exp
			n.f, _ = r.Float64()
		} else {
			n.f, _ = value.ToFloat(v)
		}
		return n, true
	}
	return number{}, false
}

// absInt is |n| for exponents.
func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// float returns n as a float64.
func (n number) float() float64 {
	switch n.kind {
	case kindInt, kindLong:
		return float64(n.i)
	case kindDecimal:
		if n.r != nil {
			f, _ := n.r.Float64()
			return f
		}
	}
	return n.f
}

// rat returns n as an exact rational, or nil for NaN and infinities.
func (n number) rat() *big.Rat {
	switch n.kind {
	case kindInt, kindLong:
		return new(big.Rat).SetInt64(n.i)
	case kindDecimal:
		if n.r != nil {
			return new(big.Rat).Set(n.r)
		}
		return nil
	}
	if math.IsNaN(n.f) || math.IsInf(n.f, 0) {
		return nil
	}
	return new(big.Rat).SetFloat64(n.f)
}

// value returns n as a BSON value of its kind.
func (n number) value() bson.RawValue {
	switch n.kind {
	case kindInt:
		if n.i >= math.MinInt32 && n.i <= math.MaxInt32 {
			return value.Int32(int32(n.i))
		}
		return value.Int64(n.i)
	case kindLong:
		return value.Int64(n.i)
	case kindDouble:
		return value.Double(n.f)
	}
	if n.r == nil {
		d, _ := bson.ParseDecimal128(strconv.FormatFloat(n.f, 'g', -1, 64))
		return value.Decimal(d)
	}
	return decValue(n.r, n.exp)
}

// decValue returns r as a Decimal128 with the exponent IEEE 754
// decimal arithmetic prefers (so 1.5 * 2 is 3.0, as in MongoDB): exp when
// r is exact there, else the largest smaller exponent at which it is exact,
// else r rounded to 34 significant digits.
func decValue(r *big.Rat, exp int) bson.RawValue {
	maxCoef := new(big.Int).Exp(big.NewInt(10), big.NewInt(34), nil)
	for e := exp; e >= exp-40; e-- {
		c := new(big.Rat).Set(r)
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(absInt(e))), nil))
		if e > 0 {
			c.Quo(c, scale)
		} else {
			c.Mul(c, scale)
		}
		if !c.IsInt() {
			continue
		}
		if new(big.Int).Abs(c.Num()).Cmp(maxCoef) >= 0 {
			break
		}
		if d, ok := bson.ParseDecimal128FromBigInt(c.Num(), e); ok {
			return value.Decimal(d)
		}
		break
	}
	return value.Decimal(ratToDecimal(r))
}

// ratToDecimal rounds r to Decimal128's 34 significant digits.
func ratToDecimal(r *big.Rat) bson.Decimal128 {
	f := new(big.Float).SetPrec(256).SetRat(r)
	s := f.Text('g', 34)
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		d, _ = bson.ParseDecimal128("NaN")
	}
	return d
}

// decimalFromFloat converts a double as MongoDB's Decimal128(double) does
// (15 significant digits, so 0.2 becomes 0.200000000000000), returning the
// value and its exponent; nil for NaN and infinities.
func decimalFromFloat(f float64) (*big.Rat, int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, 0
	}
	s := strconv.FormatFloat(f, 'e', 14, 64) // d.dddddddddddddde±x
	r, _ := new(big.Rat).SetString(s)
	_, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	return r, e - 14
}

// numOp is a binary arithmetic operation.
type numOp int

// The arithmetic operations of arith.
const (
	opAdd numOp = iota
	opSub
	opMul
)

// arith applies op to a and b with MongoDB's widening rules: int
// overflow becomes long, long overflow becomes double, anything with a
// double is double and anything with a decimal is decimal.
func arith(op numOp, a, b number) number {
	kind := max(a.kind, b.kind)
	switch kind {
	case kindInt, kindLong:
		var r int64
		var overflow bool
		switch op {
		case opAdd:
			r = a.i + b.i
			overflow = (a.i >= 0) == (b.i >= 0) && (r >= 0) != (a.i >= 0)
		case opSub:
			r = a.i - b.i
			overflow = (a.i >= 0) != (b.i >= 0) && (r >= 0) != (a.i >= 0)
		case opMul:
			r = a.i * b.i
			overflow = a.i != 0 && (r/a.i != b.i || (a.i == -1 && b.i == math.MinInt64) || (b.i == -1 && a.i == math.MinInt64))
		}
		if !overflow {
			if kind == kindInt && (r < math.MinInt32 || r > math.MaxInt32) {
				kind = kindLong
			}
			return number{kind: kind, i: r}
		}
		kind = kindDouble
	case kindDecimal:
		ra, ea := decRat(a)
		rb, eb := decRat(b)
		if ra != nil && rb != nil {
			switch op {
			case opAdd:
				return number{kind: kind, r: ra.Add(ra, rb), exp: min(ea, eb)}
			case opSub:
				return number{kind: kind, r: ra.Sub(ra, rb), exp: min(ea, eb)}
			case opMul:
				return number{kind: kind, r: ra.Mul(ra, rb), exp: ea + eb}
			}
		}
	}
	fa, fb := a.float(), b.float()
	var f float64
	switch op {
	case opAdd:
		f = fa + fb
	case opSub:
		f = fa - fb
	case opMul:
		f = fa * fb
	}
	return number{kind: kind, f: f}
}

// decRat is n as a rational and exponent for decimal arithmetic
// (doubles converted as MongoDB converts them to Decimal128).
func decRat(n number) (*big.Rat, int) {
	switch n.kind {
	case kindDouble:
		return decimalFromFloat(n.f)
	case kindDecimal:
		return n.rat(), n.exp
	}
	return n.rat(), 0
}

// variadic is an operator over any number of evaluated arguments.
type variadic struct {
	op   string
	args []node
	fn   func(op string, vals []bson.RawValue) (bson.RawValue, error)
}

// eval implements node.
func (n variadic) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	return n.fn(n.op, vals)
}

// compileVariadic compiles $add and $multiply (any number of arguments).
func compileVariadic(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	fn := evalAdd
	if op == "$multiply" {
		fn = evalMultiply
	}
	return variadic{op: op, args: args, fn: fn}, nil
}

// evalAdd is $add: numbers, plus at most one date (the result is then a
// date). Null or missing anywhere gives null.
func evalAdd(op string, vals []bson.RawValue) (bson.RawValue, error) {
	sum := number{kind: kindInt}
	haveDate := false
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
		if v.Type == bson.TypeDateTime {
			if haveDate {
				return bson.RawValue{}, codes.New(16612, "only one date allowed in an $add expression")
			}
			haveDate = true
			ms, _ := v.DateTimeOK()
			sum = arith(opAdd, sum, number{kind: kindLong, i: ms})
			continue
		}
		n, ok := numOf(v)
		if !ok {
			return bson.RawValue{}, codes.New(16554, "$add only supports numeric or date types, not %s", value.TypeNameOf(v))
		}
		sum = arith(opAdd, sum, n)
	}
	if haveDate {
		return value.Date(numToMillis(sum)), nil
	}
	return sum.value(), nil
}

// numToMillis converts a date arithmetic result to milliseconds,
// rounding fractional milliseconds as MongoDB does (llround).
func numToMillis(n number) int64 {
	switch n.kind {
	case kindInt, kindLong:
		return n.i
	}
	f := math.Round(n.float())
	if math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(f)
}

// evalMultiply is $multiply; the empty product is 1.
func evalMultiply(op string, vals []bson.RawValue) (bson.RawValue, error) {
	prod := number{kind: kindInt, i: 1}
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
		n, ok := numOf(v)
		if !ok {
			return bson.RawValue{}, codes.New(16555, "$multiply only supports numeric types, not %s", value.TypeNameOf(v))
		}
		prod = arith(opMul, prod, n)
	}
	return prod.value(), nil
}

// binary is an operator over exactly two evaluated arguments.
type binary struct {
	op   string
	a, b node
}

// compileBinary compiles the two-argument arithmetic operators.
func compileBinary(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 2)
	if err != nil {
		return nil, err
	}
	return binary{op: op, a: args[0], b: args[1]}, nil
}

// eval implements node.
func (n binary) eval(c *env) (bson.RawValue, error) {
	a, err := n.a.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	b, err := n.b.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$subtract":
		return evalSubtract(a, b)
	case "$divide":
		return evalDivide(a, b)
	case "$mod":
		return evalMod(a, b)
	}
	return evalPow(a, b)
}

// evalSubtract is $subtract: number-number, date-date (milliseconds as a
// long) and date-number (a date).
func evalSubtract(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	if a.Type == bson.TypeDateTime {
		ms, _ := a.DateTimeOK()
		if b.Type == bson.TypeDateTime {
			bms, _ := b.DateTimeOK()
			return value.Int64(ms - bms), nil
		}
		if n, ok := numOf(b); ok {
			return value.Date(numToMillis(arith(opSub, number{kind: kindLong, i: ms}, n))), nil
		}
	} else if na, ok := numOf(a); ok {
		if nb, ok := numOf(b); ok {
			return arith(opSub, na, nb).value(), nil
		}
	}
	return bson.RawValue{}, codes.New(16556, "cant $subtract a %s from a %s", value.TypeNameOf(b), value.TypeNameOf(a))
}

// evalDivide is $divide: always a double unless an operand is a decimal.
func evalDivide(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	na, okA := numOf(a)
	nb, okB := numOf(b)
	if !okA || !okB {
		return bson.RawValue{}, codes.New(16609, "$divide only supports numeric types, not %s and %s", value.TypeNameOf(a), value.TypeNameOf(b))
	}
	if na.kind == kindDecimal || nb.kind == kindDecimal {
		ra, ea := decRat(na)
		rb, eb := decRat(nb)
		if rb != nil && rb.Sign() == 0 {
			return bson.RawValue{}, codes.New(codes.BadValue, "can't $divide by zero")
		}
		if ra != nil && rb != nil {
			return decValue(ra.Quo(ra, rb), ea-eb), nil
		}
		return number{kind: kindDecimal, f: na.float() / nb.float()}.value(), nil
	}
	if nb.float() == 0 {
		return bson.RawValue{}, codes.New(codes.BadValue, "can't $divide by zero")
	}
	return value.Double(na.float() / nb.float()), nil
}

// evalMod is $mod: the remainder has the sign of the dividend and the
// widest type of the operands.
func evalMod(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	na, okA := numOf(a)
	nb, okB := numOf(b)
	if !okA || !okB {
		return bson.RawValue{}, codes.New(16611, "$mod only supports numeric types, not %s and %s", value.TypeNameOf(a), value.TypeNameOf(b))
	}
	kind := max(na.kind, nb.kind)
	if kind <= kindLong {
		if nb.i == 0 {
			return bson.RawValue{}, codes.New(16610, "can't $mod by zero")
		}
		return number{kind: kind, i: na.i % nb.i}.value(), nil
	}
	if nb.float() == 0 {
		return bson.RawValue{}, codes.New(16610, "can't $mod by zero")
	}
	return number{kind: kind, f: math.Mod(na.float(), nb.float())}.value(), nil
}

// evalPow is $pow: integer powers stay integral while they fit.
func evalPow(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	na, okA := numOf(a)
	if !okA {
		return bson.RawValue{}, codes.New(28762, "$pow's base must be numeric, not %s", value.TypeNameOf(a))
	}
	nb, okB := numOf(b)
	if !okB {
		return bson.RawValue{}, codes.New(28763, "$pow's exponent must be numeric, not %s", value.TypeNameOf(b))
	}
	kind := max(na.kind, nb.kind)
	if kind <= kindLong {
		if na.i == 0 && nb.i < 0 {
			return bson.RawValue{}, codes.New(28764, "$pow cannot take a base of 0 and a negative exponent")
		}
		if nb.i >= 0 {
			r := number{kind: kind, i: 1}
			for e := int64(0); e < nb.i; e++ {
				r = arith(opMul, r, number{kind: na.kind, i: na.i})
				if r.kind == kindDouble {
					return value.Double(math.Pow(float64(na.i), float64(nb.i))), nil
				}
				if r.i == 0 || r.i == 1 && na.i == 1 {
					break
				}
				if na.i == -1 {
					if nb.i%2 == 1 {
						r.i = -1
					} else {
						r.i = 1
					}
					break
				}
			}
			return r.value(), nil
		}
		return value.Double(math.Pow(float64(na.i), float64(nb.i))), nil
	}
	return number{kind: kind, f: math.Pow(na.float(), nb.float()), r: nil}.valueFloat(), nil
}

// valueFloat returns a float result as n's kind (decimal results converted
// from the double).
func (n number) valueFloat() bson.RawValue {
	if n.kind == kindDecimal {
		r, e := decimalFromFloat(n.f)
		return number{kind: kindDecimal, r: r, exp: e, f: n.f}.value()
	}
	return value.Double(n.f)
}

// unary is a one-argument numeric operator.
type unary struct {
	op  string
	arg node
}

// compileUnary compiles the one-argument numeric operators.
func compileUnary(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return unary{op: op, arg: args[0]}, nil
}

// eval implements node.
func (n unary) eval(c *env) (bson.RawValue, error) {
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
	switch n.op {
	case "$abs":
		switch num.kind {
		case kindInt, kindLong:
			if num.i == math.MinInt64 {
				return bson.RawValue{}, codes.New(28680, "can't take $abs of long long min")
			}
			if num.i < 0 {
				num.i = -num.i
			}
			return num.value(), nil
		case kindDecimal:
			if num.r != nil {
				num.r.Abs(num.r)
				return num.value(), nil
			}
		}
		num.f = math.Abs(num.f)
		return num.valueFloat(), nil
	case "$ceil", "$floor":
		switch num.kind {
		case kindInt, kindLong:
			return v, nil
		case kindDecimal:
			if num.r != nil {
				q := new(big.Int).Quo(num.r.Num(), num.r.Denom()) // truncates toward zero
				fr := new(big.Rat).SetInt(q)
				if n.op == "$ceil" && fr.Cmp(num.r) < 0 {
					fr.Add(fr, big.NewRat(1, 1))
				} else if n.op == "$floor" && fr.Cmp(num.r) > 0 {
					fr.Sub(fr, big.NewRat(1, 1))
				}
				num.r = fr
				num.exp = max(num.exp, 0)
				return num.value(), nil
			}
			return v, nil
		}
		if n.op == "$ceil" {
			return value.Double(math.Ceil(num.f)), nil
		}
		return value.Double(math.Floor(num.f)), nil
	}
	// $sqrt
	if num.float() < 0 {
		return bson.RawValue{}, codes.New(28714, "$sqrt's argument must be greater than or equal to 0")
	}
	if num.kind == kindDecimal {
		return number{kind: kindDecimal, f: math.Sqrt(num.float())}.valueFloat(), nil
	}
	return value.Double(math.Sqrt(num.float())), nil
}
