package update

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// parseOp validates one "field: argument" pair of an operator and
// returns its leaf operation.
func parseOp(kind kind, name, path string, arg bson.RawValue) (*operation, error) {
	op := &operation{kind: kind, name: name, path: path, value: arg}
	switch kind {
	case kindInc, kindMul:
		if !isNumber(arg.Type) {
			verb := "increment"
			if kind == kindMul {
				verb = "multiply"
			}
			return nil, codes.New(codes.TypeMismatch, "Cannot %s with non-numeric argument: {%s}", verb, formatElement(path, arg))
		}
	case kindRename:
		return parseRename(op, path, arg)
	case kindCurrentDate:
		return parseCurrentDate(op, path, arg)
	case kindPush, kindAddToSet, kindPop, kindPull, kindPullAll:
		return parseArrayOp(op, path, arg)
	}
	return op, nil
}

// parseRename validates {$rename: {from: "to"}}. The returned op sits
// at the destination path; the caller adds the source placeholder.
func parseRename(op *operation, from string, arg bson.RawValue) (*operation, error) {
	if arg.Type != bson.TypeString {
		return nil, codes.New(codes.BadValue, "The 'to' field for $rename must be a string: %s", formatElement(from, arg))
	}
	to := arg.StringValue()
	if strings.IndexByte(to, 0) >= 0 {
		return nil, codes.New(codes.BadValue, "The 'to' field for $rename cannot contain an embedded null byte: %s", formatElement(from, arg))
	}
	if to == "" || strings.Contains(to, "..") || strings.HasPrefix(to, ".") || strings.HasSuffix(to, ".") {
		return nil, codes.New(emptyFieldName, "The update path '%s' contains an empty field name, which is not allowed.", to)
	}
	if dynamicPath(from) {
		return nil, codes.New(codes.BadValue, "The source field for $rename may not be dynamic: %s", from)
	}
	if dynamicPath(to) {
		return nil, codes.New(codes.BadValue, "The destination field for $rename may not be dynamic: %s", to)
	}
	if from == to {
		return nil, codes.New(codes.BadValue, "The source and target field for $rename must differ: %s", formatElement(from, arg))
	}
	if strings.HasPrefix(to, from+".") || strings.HasPrefix(from, to+".") {
		return nil, codes.New(codes.BadValue, "The source and target field for $rename must not be on the same path: %s", formatElement(from, arg))
	}
	op.path = to
	op.renameFrom = from
	return op, nil
}

// dynamicPath reports whether a path has a positional component.
func dynamicPath(p string) bool {
	for _, part := range strings.Split(p, ".") {
		if part == "$" || (strings.HasPrefix(part, "$[") && strings.HasSuffix(part, "]")) {
			return true
		}
	}
	return false
}

// parseCurrentDate validates {$currentDate: {f: true}} and
// {$currentDate: {f: {$type: "date" | "timestamp"}}}.
func parseCurrentDate(op *operation, path string, arg bson.RawValue) (*operation, error) {
	switch arg.Type {
	case bson.TypeBoolean:
		return op, nil
	case bson.TypeEmbeddedDocument:
		elems, _ := arg.Document().Elements()
		ok := false
		for _, e := range elems {
			if e.Key() != "$type" {
				return nil, codes.New(codes.BadValue, "Unrecognized $currentDate option: %s", e.Key())
			}
			v := e.Value()
			if v.Type == bson.TypeString && (v.StringValue() == "date" || v.StringValue() == "timestamp") {
				op.timestamp = v.StringValue() == "timestamp"
				ok = true
			}
		}
		if !ok {
			return nil, codes.New(codes.BadValue, "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}")
		}
		return op, nil
	}
	return nil, codes.New(codes.BadValue, "%s is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).", value.TypeName(arg.Type))
}

// applyOp applies one leaf operation to cur (the zero RawValue when the
// field is missing) and returns the new value (zero RawValue: absent).
func (a *applier) applyOp(op *operation, key string, cur bson.RawValue, path string) (bson.RawValue, error) {
	switch op.kind {
	case kindSet:
		return op.value, nil
	case kindSetOnInsert:
		if a.opts.Insert {
			return op.value, nil
		}
		return cur, nil
	case kindUnset:
		return bson.RawValue{}, nil
	case kindInc, kindMul:
		return a.applyArith(op, key, cur)
	case kindMin, kindMax:
		if cur.Type == 0 {
			return op.value, nil
		}
		c := value.Compare(op.value, cur)
		if (op.kind == kindMin && c < 0) || (op.kind == kindMax && c > 0) {
			return op.value, nil
		}
		return cur, nil
	case kindCurrentDate:
		if op.timestamp {
			b := make([]byte, 8)
			binary.LittleEndian.PutUint32(b[0:], 1)
			binary.LittleEndian.PutUint32(b[4:], uint32(a.opts.Now.Unix()))
			return bson.RawValue{Type: bson.TypeTimestamp, Value: b}, nil
		}
		b := make([]byte, 8)
		binary.LittleEndian.PutUint64(b, uint64(a.opts.Now.UnixMilli()))
		return bson.RawValue{Type: bson.TypeDateTime, Value: b}, nil
	case kindRename:
		if v, ok := a.renameValues[op]; ok {
			return v, nil
		}
		return cur, nil
	case kindRenameSource:
		if _, ok := a.renameValues[op.peer]; ok {
			return bson.RawValue{}, nil
		}
		return cur, nil
	case kindPush, kindAddToSet, kindPop, kindPull, kindPullAll:
		return a.applyArrayOp(op, key, cur, path)
	}
	return bson.RawValue{}, codes.New(codes.InternalError, "unknown update operator %s", op.name)
}

// applyArith implements $inc and $mul with MongoDB's SafeNum rules: int32
// results that overflow become int64, int64 overflow is an error, any double
// makes a double and any decimal a decimal. A missing field becomes the
// increment ($inc) or a zero of the multiplier's type ($mul).
func (a *applier) applyArith(op *operation, key string, cur bson.RawValue) (bson.RawValue, error) {
	if cur.Type == 0 {
		if op.kind == kindInc {
			return op.value, nil
		}
		return zeroOf(op.value.Type), nil
	}
	if !isNumber(cur.Type) {
		return bson.RawValue{}, codes.New(codes.TypeMismatch, "Cannot apply %s to a value of non-numeric type. {%s} has the field '%s' of non-numeric type %s",
			op.name, a.idString(), key, value.TypeName(cur.Type))
	}
	res, ok := arith(op.kind == kindMul, cur, op.value)
	if !ok {
		return bson.RawValue{}, codes.New(codes.BadValue, "Failed to apply %s operations to current value (%s) for document {%s}",
			op.name, debugNumber(cur), a.idString())
	}
	return res, nil
}

// isNumber reports whether t is one of the four numeric types.
func isNumber(t bson.Type) bool {
	return t == bson.TypeInt32 || t == bson.TypeInt64 || t == bson.TypeDouble || t == bson.TypeDecimal128
}

// zeroOf returns 0 of a numeric type.
func zeroOf(t bson.Type) bson.RawValue {
	switch t {
	case bson.TypeInt32:
		return updateInt32(0)
	case bson.TypeInt64:
		return updateInt64(0)
	case bson.TypeDecimal128:
		return decimal(bson.NewDecimal128(0x3040000000000000, 0))
	}
	return double(0)
}

// updateInt32 returns n as an int32 value.
func updateInt32(n int32) bson.RawValue {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(n))
	return bson.RawValue{Type: bson.TypeInt32, Value: b}
}

// updateInt64 returns n as an int64 value.
func updateInt64(n int64) bson.RawValue {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(n))
	return bson.RawValue{Type: bson.TypeInt64, Value: b}
}

// double returns f as a double value.
func double(f float64) bson.RawValue {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, math.Float64bits(f))
	return bson.RawValue{Type: bson.TypeDouble, Value: b}
}

// decimal returns d as a decimal128 value.
func decimal(d bson.Decimal128) bson.RawValue {
	h, l := d.GetBytes()
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b[0:], l)
	binary.LittleEndian.PutUint64(b[8:], h)
	return bson.RawValue{Type: bson.TypeDecimal128, Value: b}
}

// debugNumber formats a number as SafeNum::debugString does:
// "(NumberInt)1", "(NumberLong)1", "(NumberDouble)1.5".
func debugNumber(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt32:
		return "(NumberInt)" + formatValue(v)
	case bson.TypeInt64:
		return "(NumberLong)" + formatValue(v)
	case bson.TypeDouble:
		return "(NumberDouble)" + formatValue(v)
	}
	return "(NumberDecimal)" + v.Decimal128().String()
}

// arith adds (or multiplies) two numbers. ok is false on int64
// overflow, which MongoDB reports as an error rather than promoting.
func arith(mul bool, x, y bson.RawValue) (bson.RawValue, bool) {
	switch {
	case x.Type == bson.TypeDecimal128 || y.Type == bson.TypeDecimal128:
		return decimalArith(mul, x, y), true
	case x.Type == bson.TypeDouble || y.Type == bson.TypeDouble:
		fx, fy := float(x), float(y)
		if mul {
			return double(fx * fy), true
		}
		return double(fx + fy), true
	case x.Type == bson.TypeInt32 && y.Type == bson.TypeInt32:
		a, b := int64(x.Int32()), int64(y.Int32())
		r := a + b
		if mul {
			r = a * b
		}
		if r >= math.MinInt32 && r <= math.MaxInt32 {
			return updateInt32(int32(r)), true
		}
		return updateInt64(r), true
	}
	a, b := x.AsInt64(), y.AsInt64()
	if mul {
		if a != 0 && b != 0 {
			r := a * b
			if r/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return bson.RawValue{}, false
			}
			return updateInt64(r), true
		}
		return updateInt64(0), true
	}
	r := a + b
	if (a > 0 && b > 0 && r < 0) || (a < 0 && b < 0 && r >= 0) {
		return bson.RawValue{}, false
	}
	return updateInt64(r), true
}

// float converts any number to float64.
func float(v bson.RawValue) float64 {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32())
	case bson.TypeInt64:
		return float64(v.Int64())
	case bson.TypeDouble:
		return v.Double()
	}
	return 0
}

// decimalArith computes in decimal: ints convert exactly, doubles with
// 15 significant digits (MongoDB's Decimal128(double) conversion), and the
// result is rounded half-even to 34 digits.
func decimalArith(mul bool, x, y bson.RawValue) bson.RawValue {
	dx, okx := toRat(x)
	dy, oky := toRat(y)
	if !okx || !oky {
		// NaN or infinity: defer to float arithmetic on the special value.
		fx, fy := specialFloat(x), specialFloat(y)
		r := fx + fy
		if mul {
			r = fx * fy
		}
		return decimalFromSpecial(r)
	}
	r := new(big.Rat)
	preferred := min(decimalExponent(x), decimalExponent(y)) // IEEE 754-2008's preferred exponent: 1.0 + 0.10 is 1.10
	if mul {
		r.Mul(dx, dy)
		preferred = decimalExponent(x) + decimalExponent(y)
	} else {
		r.Add(dx, dy)
	}
	if preferred < 0 && preferred >= -6176 {
		// The exact result at the preferred exponent, when it has one there within 34 digits, as MongoDB's
		// decimal arithmetic keeps the operands' scale.
		scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-preferred)), nil)))
		if scaled.IsInt() && len(new(big.Int).Abs(scaled.Num()).String()) <= 34 {
			if d, err := bson.ParseDecimal128(r.FloatString(-preferred)); err == nil {
				return decimal(d)
			}
		}
	}
	return decimal(ratToDecimal(r))
}

// decimalExponent is the exponent of a number as a decimal: a decimal128's own (-2 for 1.10), 0 for an integer,
// and for a double that of its 15-digit decimal form, as decimalArith converts it.
func decimalExponent(v bson.RawValue) int {
	var s string
	switch v.Type {
	case bson.TypeDecimal128:
		s = v.Decimal128().String()
	case bson.TypeDouble:
		s = big.NewFloat(v.Double()).Text('g', 15)
	default:
		return 0
	}
	mant, exp, hasExp := strings.Cut(strings.ToUpper(s), "E")
	e := 0
	if hasExp {
		n, err := strconv.Atoi(exp)
		if err != nil {
			return 0
		}
		e = n
	}
	if _, frac, ok := strings.Cut(mant, "."); ok {
		e -= len(frac)
	}
	return e
}

// toRat converts a finite number to an exact rational.
func toRat(v bson.RawValue) (*big.Rat, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return new(big.Rat).SetInt64(int64(v.Int32())), true
	case bson.TypeInt64:
		return new(big.Rat).SetInt64(v.Int64()), true
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		d, err := bson.ParseDecimal128(big.NewFloat(f).Text('g', 15))
		if err != nil {
			return nil, false
		}
		return decimalRat(d)
	case bson.TypeDecimal128:
		return decimalRat(v.Decimal128())
	}
	return nil, false
}

// decimalRat converts a finite decimal to a rational.
func decimalRat(d bson.Decimal128) (*big.Rat, bool) {
	coef, exp, err := d.BigInt()
	if err != nil {
		return nil, false
	}
	r := new(big.Rat).SetInt(coef)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
	if exp >= 0 {
		r.Mul(r, new(big.Rat).SetInt(p))
	} else {
		r.Quo(r, new(big.Rat).SetInt(p))
	}
	return r, true
}

// abs returns |x|.
func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ratToDecimal rounds r to a Decimal128 with at most 34 significant
// digits.
func ratToDecimal(r *big.Rat) bson.Decimal128 {
	if r.Sign() == 0 {
		return bson.NewDecimal128(0x3040000000000000, 0)
	}
	s := r.FloatString(40)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	d, err := bson.ParseDecimal128(roundDigits(s, 34))
	if err != nil {
		f, _ := r.Float64()
		return decimalFromSpecial(f).Decimal128()
	}
	return d
}

// roundDigits rounds a plain decimal string to n significant digits
// (half-even), keeping it in plain notation.
func roundDigits(s string, n int) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	point := len(intPart)
	lead := 0
	for lead < len(digits)-1 && digits[lead] == '0' {
		lead++
	}
	if len(digits)-lead <= n {
		if neg {
			return "-" + s
		}
		return s
	}
	keep := []byte(digits[:lead+n])
	rest := digits[lead+n:]
	roundUp := rest[0] > '5' || (rest[0] == '5' && (strings.TrimRight(rest[1:], "0") != "" || (keep[len(keep)-1]-'0')%2 == 1))
	if roundUp {
		i := len(keep) - 1
		for ; i >= 0; i-- {
			if keep[i] == '9' {
				keep[i] = '0'
				continue
			}
			keep[i]++
			break
		}
		if i < 0 {
			keep = append([]byte{'1'}, keep...)
			point++
		}
	}
	// Pad with zeros to the decimal point (digits dropped from the integer
	// part are replaced by an exponent-free zero fill).
	out := string(keep)
	if len(out) < point {
		out += strings.Repeat("0", point-len(out))
	} else if len(out) > point {
		out = out[:point] + "." + out[point:]
	}
	if strings.HasPrefix(out, ".") {
		out = "0" + out
	}
	if neg {
		return "-" + out
	}
	return out
}

// specialFloat returns a float for a number, mapping decimal NaN and
// infinities to their float counterparts.
func specialFloat(v bson.RawValue) float64 {
	if v.Type == bson.TypeDecimal128 {
		d := v.Decimal128()
		if d.IsNaN() {
			return math.NaN()
		}
		if s := d.IsInf(); s != 0 {
			return math.Inf(s)
		}
		f, _ := decimalRat(d)
		if f == nil {
			return 0
		}
		x, _ := f.Float64()
		return x
	}
	return float(v)
}

// decimalFromSpecial converts NaN, ±Inf or a float to a decimal.
func decimalFromSpecial(f float64) bson.RawValue {
	switch {
	case math.IsNaN(f):
		return decimal(bson.NewDecimal128(0x7c00000000000000, 0))
	case math.IsInf(f, 1):
		return decimal(bson.NewDecimal128(0x7800000000000000, 0))
	case math.IsInf(f, -1):
		return decimal(bson.NewDecimal128(0xf800000000000000, 0))
	}
	d, err := bson.ParseDecimal128(big.NewFloat(f).Text('g', 15))
	if err != nil {
		return decimal(bson.NewDecimal128(0x7c00000000000000, 0))
	}
	return decimal(d)
}
