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

// aggNumKind orders numeric types by width: an arithmetic result takes the
// widest kind of its operands, as MongoDB does.
type aggNumKind int

const (
	aggKindInt aggNumKind = iota
	aggKindLong
	aggKindDouble
	aggKindDecimal
)

// aggNum is a number during arithmetic. For aggKindInt the value lives in i
// and may exceed int32 until the result is produced (then it becomes a
// long), matching MongoDB's createIntOrLong.
type aggNum struct {
	kind aggNumKind
	i    int64
	f    float64
	r    *big.Rat // aggKindDecimal only; nil for NaN/Infinity (then f holds it)
	exp  int      // aggKindDecimal only: the preferred exponent of the result
}

// aggNumOf converts a numeric value.
func aggNumOf(v bson.RawValue) (aggNum, bool) {
	switch v.Type {
	case bson.TypeInt32:
		n, ok := v.Int32OK()
		return aggNum{kind: aggKindInt, i: int64(n)}, ok
	case bson.TypeInt64:
		n, ok := v.Int64OK()
		return aggNum{kind: aggKindLong, i: n}, ok
	case bson.TypeDouble:
		f, ok := v.DoubleOK()
		return aggNum{kind: aggKindDouble, f: f}, ok
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		if !ok {
			return aggNum{}, false
		}
		n := aggNum{kind: aggKindDecimal}
		if bi, exp, err := d.BigInt(); err == nil {
			r := new(big.Rat).SetInt(bi)
			scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(aggAbsInt(exp))), nil)
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
	return aggNum{}, false
}

// aggAbsInt is |n| for exponents.
func aggAbsInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// float returns n as a float64.
func (n aggNum) float() float64 {
	switch n.kind {
	case aggKindInt, aggKindLong:
		return float64(n.i)
	case aggKindDecimal:
		if n.r != nil {
			f, _ := n.r.Float64()
			return f
		}
	}
	return n.f
}

// rat returns n as an exact rational, or nil for NaN and infinities.
func (n aggNum) rat() *big.Rat {
	switch n.kind {
	case aggKindInt, aggKindLong:
		return new(big.Rat).SetInt64(n.i)
	case aggKindDecimal:
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
func (n aggNum) value() bson.RawValue {
	switch n.kind {
	case aggKindInt:
		if n.i >= math.MinInt32 && n.i <= math.MaxInt32 {
			return value.Int32(int32(n.i))
		}
		return value.Int64(n.i)
	case aggKindLong:
		return value.Int64(n.i)
	case aggKindDouble:
		return value.Double(n.f)
	}
	if n.r == nil {
		d, _ := bson.ParseDecimal128(strconv.FormatFloat(n.f, 'g', -1, 64))
		return value.Decimal(d)
	}
	return aggDecValue(n.r, n.exp)
}

// aggDecValue returns r as a Decimal128 with the exponent IEEE 754
// decimal arithmetic prefers (so 1.5 * 2 is 3.0, as in MongoDB): exp when
// r is exact there, else the largest smaller exponent at which it is exact,
// else r rounded to 34 significant digits.
func aggDecValue(r *big.Rat, exp int) bson.RawValue {
	maxCoef := new(big.Int).Exp(big.NewInt(10), big.NewInt(34), nil)
	for e := exp; e >= exp-40; e-- {
		c := new(big.Rat).Set(r)
		scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(aggAbsInt(e))), nil))
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
	return value.Decimal(aggRatToDecimal(r))
}

// aggRatToDecimal rounds r to Decimal128's 34 significant digits.
func aggRatToDecimal(r *big.Rat) bson.Decimal128 {
	f := new(big.Float).SetPrec(256).SetRat(r)
	s := f.Text('g', 34)
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		d, _ = bson.ParseDecimal128("NaN")
	}
	return d
}

// aggDecimalFromFloat converts a double as MongoDB's Decimal128(double) does
// (15 significant digits, so 0.2 becomes 0.200000000000000), returning the
// value and its exponent; nil for NaN and infinities.
func aggDecimalFromFloat(f float64) (*big.Rat, int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, 0
	}
	s := strconv.FormatFloat(f, 'e', 14, 64) // d.dddddddddddddde±x
	r, _ := new(big.Rat).SetString(s)
	_, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	return r, e - 14
}

// aggNumOp is a binary arithmetic operation.
type aggNumOp int

const (
	aggOpAdd aggNumOp = iota
	aggOpSub
	aggOpMul
)

// aggArith applies op to a and b with MongoDB's widening rules: int
// overflow becomes long, long overflow becomes double, anything with a
// double is double and anything with a decimal is decimal.
func aggArith(op aggNumOp, a, b aggNum) aggNum {
	kind := max(a.kind, b.kind)
	switch kind {
	case aggKindInt, aggKindLong:
		var r int64
		var overflow bool
		switch op {
		case aggOpAdd:
			r = a.i + b.i
			overflow = (a.i >= 0) == (b.i >= 0) && (r >= 0) != (a.i >= 0)
		case aggOpSub:
			r = a.i - b.i
			overflow = (a.i >= 0) != (b.i >= 0) && (r >= 0) != (a.i >= 0)
		case aggOpMul:
			r = a.i * b.i
			overflow = a.i != 0 && (r/a.i != b.i || (a.i == -1 && b.i == math.MinInt64) || (b.i == -1 && a.i == math.MinInt64))
		}
		if !overflow {
			if kind == aggKindInt && (r < math.MinInt32 || r > math.MaxInt32) {
				kind = aggKindLong
			}
			return aggNum{kind: kind, i: r}
		}
		kind = aggKindDouble
	case aggKindDecimal:
		ra, ea := aggDecRat(a)
		rb, eb := aggDecRat(b)
		if ra != nil && rb != nil {
			switch op {
			case aggOpAdd:
				return aggNum{kind: kind, r: ra.Add(ra, rb), exp: min(ea, eb)}
			case aggOpSub:
				return aggNum{kind: kind, r: ra.Sub(ra, rb), exp: min(ea, eb)}
			case aggOpMul:
				return aggNum{kind: kind, r: ra.Mul(ra, rb), exp: ea + eb}
			}
		}
	}
	fa, fb := a.float(), b.float()
	var f float64
	switch op {
	case aggOpAdd:
		f = fa + fb
	case aggOpSub:
		f = fa - fb
	case aggOpMul:
		f = fa * fb
	}
	return aggNum{kind: kind, f: f}
}

// aggDecRat is n as a rational and exponent for decimal arithmetic
// (doubles converted as MongoDB converts them to Decimal128).
func aggDecRat(n aggNum) (*big.Rat, int) {
	switch n.kind {
	case aggKindDouble:
		return aggDecimalFromFloat(n.f)
	case aggKindDecimal:
		return n.rat(), n.exp
	}
	return n.rat(), 0
}

// aggVariadic is an operator over any number of evaluated arguments.
type aggVariadic struct {
	op   string
	args []aggNode
	fn   func(op string, vals []bson.RawValue) (bson.RawValue, error)
}

func (n aggVariadic) eval(c *aggCtx) (bson.RawValue, error) {
	vals, err := aggEvalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	return n.fn(n.op, vals)
}

// aggCompileVariadic compiles $add and $multiply (any number of arguments).
func aggCompileVariadic(op string, arg bson.RawValue, scope *Scope) (aggNode, error) {
	args, err := aggCompileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	fn := aggEvalAdd
	if op == "$multiply" {
		fn = aggEvalMultiply
	}
	return aggVariadic{op: op, args: args, fn: fn}, nil
}

// aggEvalAdd is $add: numbers, plus at most one date (the result is then a
// date). Null or missing anywhere gives null.
func aggEvalAdd(op string, vals []bson.RawValue) (bson.RawValue, error) {
	sum := aggNum{kind: aggKindInt}
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
			sum = aggArith(aggOpAdd, sum, aggNum{kind: aggKindLong, i: ms})
			continue
		}
		n, ok := aggNumOf(v)
		if !ok {
			return bson.RawValue{}, codes.New(16554, "$add only supports numeric or date types, not %s", value.TypeNameOf(v))
		}
		sum = aggArith(aggOpAdd, sum, n)
	}
	if haveDate {
		return value.Date(aggNumToMillis(sum)), nil
	}
	return sum.value(), nil
}

// aggNumToMillis converts a date arithmetic result to milliseconds,
// rounding fractional milliseconds as MongoDB does (llround).
func aggNumToMillis(n aggNum) int64 {
	switch n.kind {
	case aggKindInt, aggKindLong:
		return n.i
	}
	f := math.Round(n.float())
	if math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(f)
}

// aggEvalMultiply is $multiply; the empty product is 1.
func aggEvalMultiply(op string, vals []bson.RawValue) (bson.RawValue, error) {
	prod := aggNum{kind: aggKindInt, i: 1}
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
		n, ok := aggNumOf(v)
		if !ok {
			return bson.RawValue{}, codes.New(16555, "$multiply only supports numeric types, not %s", value.TypeNameOf(v))
		}
		prod = aggArith(aggOpMul, prod, n)
	}
	return prod.value(), nil
}

// aggBinary is an operator over exactly two evaluated arguments.
type aggBinary struct {
	op   string
	a, b aggNode
}

// aggCompileBinary compiles the two-argument arithmetic operators.
func aggCompileBinary(op string, arg bson.RawValue, scope *Scope) (aggNode, error) {
	args, err := aggCompileN(op, arg, scope, 2)
	if err != nil {
		return nil, err
	}
	return aggBinary{op: op, a: args[0], b: args[1]}, nil
}

func (n aggBinary) eval(c *aggCtx) (bson.RawValue, error) {
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
		return aggEvalSubtract(a, b)
	case "$divide":
		return aggEvalDivide(a, b)
	case "$mod":
		return aggEvalMod(a, b)
	}
	return aggEvalPow(a, b)
}

// aggEvalSubtract is $subtract: number-number, date-date (milliseconds as a
// long) and date-number (a date).
func aggEvalSubtract(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	if a.Type == bson.TypeDateTime {
		ms, _ := a.DateTimeOK()
		if b.Type == bson.TypeDateTime {
			bms, _ := b.DateTimeOK()
			return value.Int64(ms - bms), nil
		}
		if n, ok := aggNumOf(b); ok {
			return value.Date(aggNumToMillis(aggArith(aggOpSub, aggNum{kind: aggKindLong, i: ms}, n))), nil
		}
	} else if na, ok := aggNumOf(a); ok {
		if nb, ok := aggNumOf(b); ok {
			return aggArith(aggOpSub, na, nb).value(), nil
		}
	}
	return bson.RawValue{}, codes.New(16556, "cant $subtract a %s from a %s", value.TypeNameOf(b), value.TypeNameOf(a))
}

// aggEvalDivide is $divide: always a double unless an operand is a decimal.
func aggEvalDivide(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	na, okA := aggNumOf(a)
	nb, okB := aggNumOf(b)
	if !okA || !okB {
		return bson.RawValue{}, codes.New(16609, "$divide only supports numeric types, not %s and %s", value.TypeNameOf(a), value.TypeNameOf(b))
	}
	if na.kind == aggKindDecimal || nb.kind == aggKindDecimal {
		ra, ea := aggDecRat(na)
		rb, eb := aggDecRat(nb)
		if rb != nil && rb.Sign() == 0 {
			return bson.RawValue{}, codes.New(codes.BadValue, "can't $divide by zero")
		}
		if ra != nil && rb != nil {
			return aggDecValue(ra.Quo(ra, rb), ea-eb), nil
		}
		return aggNum{kind: aggKindDecimal, f: na.float() / nb.float()}.value(), nil
	}
	if nb.float() == 0 {
		return bson.RawValue{}, codes.New(codes.BadValue, "can't $divide by zero")
	}
	return value.Double(na.float() / nb.float()), nil
}

// aggEvalMod is $mod: the remainder has the sign of the dividend and the
// widest type of the operands.
func aggEvalMod(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	na, okA := aggNumOf(a)
	nb, okB := aggNumOf(b)
	if !okA || !okB {
		return bson.RawValue{}, codes.New(16611, "$mod only supports numeric types, not %s and %s", value.TypeNameOf(a), value.TypeNameOf(b))
	}
	kind := max(na.kind, nb.kind)
	if kind <= aggKindLong {
		if nb.i == 0 {
			return bson.RawValue{}, codes.New(16610, "can't $mod by zero")
		}
		return aggNum{kind: kind, i: na.i % nb.i}.value(), nil
	}
	if nb.float() == 0 {
		return bson.RawValue{}, codes.New(16610, "can't $mod by zero")
	}
	return aggNum{kind: kind, f: math.Mod(na.float(), nb.float())}.value(), nil
}

// aggEvalPow is $pow: integer powers stay integral while they fit.
func aggEvalPow(a, b bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(a) || value.IsNullish(b) {
		return value.Null, nil
	}
	na, okA := aggNumOf(a)
	if !okA {
		return bson.RawValue{}, codes.New(28762, "$pow's base must be numeric, not %s", value.TypeNameOf(a))
	}
	nb, okB := aggNumOf(b)
	if !okB {
		return bson.RawValue{}, codes.New(28763, "$pow's exponent must be numeric, not %s", value.TypeNameOf(b))
	}
	kind := max(na.kind, nb.kind)
	if kind <= aggKindLong {
		if na.i == 0 && nb.i < 0 {
			return bson.RawValue{}, codes.New(28764, "$pow cannot take a base of 0 and a negative exponent")
		}
		if nb.i >= 0 {
			r := aggNum{kind: kind, i: 1}
			for e := int64(0); e < nb.i; e++ {
				r = aggArith(aggOpMul, r, aggNum{kind: na.kind, i: na.i})
				if r.kind == aggKindDouble {
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
	return aggNum{kind: kind, f: math.Pow(na.float(), nb.float()), r: nil}.valueFloat(), nil
}

// valueFloat returns a float result as n's kind (decimal results converted
// from the double).
func (n aggNum) valueFloat() bson.RawValue {
	if n.kind == aggKindDecimal {
		r, e := aggDecimalFromFloat(n.f)
		return aggNum{kind: aggKindDecimal, r: r, exp: e, f: n.f}.value()
	}
	return value.Double(n.f)
}

// aggUnary is a one-argument numeric operator.
type aggUnary struct {
	op  string
	arg aggNode
}

// aggCompileUnary compiles the one-argument numeric operators.
func aggCompileUnary(op string, arg bson.RawValue, scope *Scope) (aggNode, error) {
	args, err := aggCompileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return aggUnary{op: op, arg: args[0]}, nil
}

func (n aggUnary) eval(c *aggCtx) (bson.RawValue, error) {
	v, err := n.arg.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(v) {
		return value.Null, nil
	}
	num, ok := aggNumOf(v)
	if !ok {
		return bson.RawValue{}, codes.New(28765, "%s only supports numeric types, not %s", n.op, value.TypeNameOf(v))
	}
	switch n.op {
	case "$abs":
		switch num.kind {
		case aggKindInt, aggKindLong:
			if num.i == math.MinInt64 {
				return bson.RawValue{}, codes.New(28680, "can't take $abs of long long min")
			}
			if num.i < 0 {
				num.i = -num.i
			}
			return num.value(), nil
		case aggKindDecimal:
			if num.r != nil {
				num.r.Abs(num.r)
				return num.value(), nil
			}
		}
		num.f = math.Abs(num.f)
		return num.valueFloat(), nil
	case "$ceil", "$floor":
		switch num.kind {
		case aggKindInt, aggKindLong:
			return v, nil
		case aggKindDecimal:
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
	if num.kind == aggKindDecimal {
		return aggNum{kind: aggKindDecimal, f: math.Sqrt(num.float())}.valueFloat(), nil
	}
	return value.Double(math.Sqrt(num.float())), nil
}
