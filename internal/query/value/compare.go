package value

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Compare orders two BSON values the way MongoDB does (BSONElement::woCompare
// without field names): first by canonical type, MinKey < missing/undefined <
// null < numbers < string/symbol < object < array < binData < ObjectId < bool
// < date < timestamp < regex < dbPointer < code < code with scope < MaxKey,
// then by value. Numbers compare by value across int32, int64, double and
// decimal128, with NaN below every other number and equal to itself. Strings
// compare byte-wise (no collation). It returns -1, 0 or 1 and does not
// allocate unless a decimal128 meets a non-decimal number.
func Compare(a, b bson.RawValue) int {
	ra, rb := CanonicalRank(a.Type), CanonicalRank(b.Type)
	if ra != rb {
		return sign(ra - rb)
	}
	return CompareSameRank(a, b)
}

// Equal reports whether MongoDB considers a and b equal: Compare(a, b) == 0.
// Thus 1, NumberLong(1), 1.0 and NumberDecimal("1.00") are all equal.
func Equal(a, b bson.RawValue) bool { return Compare(a, b) == 0 }

// CanonicalRank is MongoDB's canonicalizeBSONType. Missing (type 0) ranks
// with undefined, below null.
func CanonicalRank(t bson.Type) int {
	switch t {
	case bson.TypeMinKey:
		return -1
	case 0, bson.TypeUndefined:
		return 0
	case bson.TypeNull:
		return 5
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return 10
	case bson.TypeString, bson.TypeSymbol:
		return 15
	case bson.TypeEmbeddedDocument:
		return 20
	case bson.TypeArray:
		return 25
	case bson.TypeBinary:
		return 30
	case bson.TypeObjectID:
		return 35
	case bson.TypeBoolean:
		return 40
	case bson.TypeDateTime:
		return 45
	case bson.TypeTimestamp:
		return 47
	case bson.TypeRegex:
		return 50
	case bson.TypeDBPointer:
		return 55
	case bson.TypeJavaScript:
		return 60
	case bson.TypeCodeWithScope:
		return 65
	case bson.TypeMaxKey:
		return 127
	}
	// Unknown type bytes only come from malformed input; rank them last so
	// that ordering stays total.
	return 200
}

// sign maps a difference to -1, 0 or 1.
func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// StringComparer orders strings under a collation (see package collation). A nil StringComparer compares
// bytes.
type StringComparer interface {
	CompareStrings(a, b []byte) int
}

// CompareWith is Compare with strings and symbols, also inside documents and arrays, ordered by sc, as
// MongoDB applies a collation.
func CompareWith(a, b bson.RawValue, sc StringComparer) int {
	ra, rb := CanonicalRank(a.Type), CanonicalRank(b.Type)
	if ra != rb {
		return sign(ra - rb)
	}
	return compareSameRank(a, b, sc)
}

// CompareSameRankWith is CompareSameRank under sc (see CompareWith).
func CompareSameRankWith(a, b bson.RawValue, sc StringComparer) int { return compareSameRank(a, b, sc) }

// CompareSameRank compares values of the same canonical type.
func CompareSameRank(a, b bson.RawValue) int { return compareSameRank(a, b, nil) }

// compareSameRank is CompareSameRankWith.
func compareSameRank(a, b bson.RawValue, sc StringComparer) int {
	switch a.Type {
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return compareNumbers(a, b)
	case bson.TypeString, bson.TypeSymbol:
		if sc != nil {
			return sc.CompareStrings(StringBytes(a.Value), StringBytes(b.Value))
		}
		return bytes.Compare(StringBytes(a.Value), StringBytes(b.Value))
	case bson.TypeJavaScript:
		return bytes.Compare(StringBytes(a.Value), StringBytes(b.Value))
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		return compareDocs(a.Value, b.Value, sc)
	case bson.TypeBinary:
		la, lb := i32(a.Value), i32(b.Value)
		if la != lb {
			return sign(int(la) - int(lb))
		}
		return bytes.Compare(tail(a.Value, 4), tail(b.Value, 4))
	case bson.TypeObjectID, bson.TypeDBPointer:
		if a.Type == bson.TypeDBPointer && len(a.Value) != len(b.Value) {
			return sign(len(a.Value) - len(b.Value))
		}
		return bytes.Compare(a.Value, b.Value)
	case bson.TypeBoolean:
		return sign(int(firstByte(a.Value)) - int(firstByte(b.Value)))
	case bson.TypeDateTime:
		x, y := i64(a.Value), i64(b.Value)
		return cmpOrdered(x, y)
	case bson.TypeTimestamp:
		x, y := uint64(i64(a.Value)), uint64(i64(b.Value))
		return cmpOrdered(x, y)
	case bson.TypeRegex:
		pa, oa := CStrings(a.Value)
		pb, ob := CStrings(b.Value)
		if c := bytes.Compare(pa, pb); c != 0 {
			return c
		}
		return bytes.Compare(oa, ob)
	case bson.TypeCodeWithScope:
		ca, sa := codeWithScope(a.Value)
		cb, sb := codeWithScope(b.Value)
		if c := bytes.Compare(ca, cb); c != 0 {
			return c
		}
		return compareDocs(sa, sb, nil)
	}
	return 0
}

// cmpOrdered three-way compares ordered scalars (NaN is handled by callers).
func cmpOrdered[T int64 | uint64 | float64](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// compareDocs compares two documents (or arrays) element by element:
// canonical type, then field name, then value; a prefix sorts first.
func compareDocs(a, b []byte, sc StringComparer) int {
	ia, ib := IterOf(a), IterOf(b)
	for {
		ka, va, oka := ia.Next()
		kb, vb, okb := ib.Next()
		if !oka || !okb {
			switch {
			case oka:
				return 1
			case okb:
				return -1
			}
			return 0
		}
		if ra, rb := CanonicalRank(va.Type), CanonicalRank(vb.Type); ra != rb {
			return sign(ra - rb)
		}
		if c := bytes.Compare(ka, kb); c != 0 {
			return c
		}
		if c := compareSameRank(va, vb, sc); c != 0 {
			return c
		}
	}
}

// num is a number decoded for comparison.
type num struct {
	kind byte // 'i' int64, 'd' double, 'm' decimal128
	i    int64
	f    float64
	dec  bson.Decimal128
}

// numOf decodes a numeric value; short input decodes as zero.
func numOf(v bson.RawValue) num {
	switch v.Type {
	case bson.TypeInt32:
		return num{kind: 'i', i: int64(int32(i32(v.Value)))}
	case bson.TypeInt64:
		return num{kind: 'i', i: i64(v.Value)}
	case bson.TypeDouble:
		return num{kind: 'd', f: math.Float64frombits(uint64(i64(v.Value)))}
	case bson.TypeDecimal128:
		var lo, hi uint64
		if len(v.Value) >= 16 {
			lo = binary.LittleEndian.Uint64(v.Value)
			hi = binary.LittleEndian.Uint64(v.Value[8:])
		}
		return num{kind: 'm', dec: bson.NewDecimal128(hi, lo)}
	}
	return num{kind: 'i'}
}

// IsNaN reports whether a numeric value is NaN (double or decimal).
func IsNaN(v bson.RawValue) bool {
	n := numOf(v)
	switch n.kind {
	case 'd':
		return math.IsNaN(n.f)
	case 'm':
		return n.dec.IsNaN()
	}
	return false
}

// compareNumbers compares two numeric values exactly.
func compareNumbers(a, b bson.RawValue) int {
	x, y := numOf(a), numOf(b)
	switch {
	case x.kind == 'i' && y.kind == 'i':
		return cmpOrdered(x.i, y.i)
	case x.kind == 'd' && y.kind == 'd':
		return compareDoubles(x.f, y.f)
	case x.kind == 'i' && y.kind == 'd':
		return compareLongDouble(x.i, y.f)
	case x.kind == 'd' && y.kind == 'i':
		return -compareLongDouble(y.i, x.f)
	}
	return compareDecimal(x, y)
}

// compareDoubles orders doubles with NaN below everything and equal to
// itself; -0 equals 0.
func compareDoubles(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return -1
	case yn:
		return 1
	}
	return cmpOrdered(x, y)
}

// compareLongDouble compares an int64 with a double without losing
// precision (a double cannot represent every int64).
func compareLongDouble(l int64, d float64) int {
	if math.IsNaN(d) {
		return 1
	}
	if d >= 9223372036854775808.0 {
		return -1
	}
	if d < -9223372036854775808.0 {
		return 1
	}
	t := math.Trunc(d)
	ti := int64(t)
	if l != ti {
		return cmpOrdered(l, ti)
	}
	// Equal integer parts: the fraction decides.
	return cmpOrdered(t, d)
}

// compareDecimal compares numbers when at least one is a decimal128,
// using exact rational arithmetic.
func compareDecimal(x, y num) int {
	xs, xr := numClass(x)
	ys, yr := numClass(y)
	if xs != ys || xs != 0 {
		return sign(xs - ys)
	}
	return xr.Cmp(yr)
}

// numClass places a number in a class for comparison: -2 NaN, -1 -Inf,
// 0 finite (with its exact value), 1 +Inf.
func numClass(n num) (int, *big.Rat) {
	switch n.kind {
	case 'i':
		return 0, new(big.Rat).SetInt64(n.i)
	case 'd':
		switch {
		case math.IsNaN(n.f):
			return -2, nil
		case math.IsInf(n.f, 1):
			return 1, nil
		case math.IsInf(n.f, -1):
			return -1, nil
		}
		return 0, new(big.Rat).SetFloat64(n.f)
	}
	if n.dec.IsNaN() {
		return -2, nil
	}
	if inf := n.dec.IsInf(); inf != 0 {
		return inf, nil
	}
	coef, exp, err := n.dec.BigInt()
	if err != nil {
		return -2, nil
	}
	r := new(big.Rat).SetInt(coef)
	if exp != 0 {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
		if exp > 0 {
			r.Mul(r, new(big.Rat).SetInt(p))
		} else {
			r.Quo(r, new(big.Rat).SetInt(p))
		}
	}
	return 0, r
}

// abs returns |x|.
func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Raw readers that tolerate short input (returning zero) so that malformed
// values can never panic a comparison.

// i32 reads a little-endian uint32 (zero when b is short).
func i32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// i64 reads a little-endian int64, or 0 when b is short.
func i64(b []byte) int64 {
	if len(b) < 8 {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(b))
}

// firstByte reads one byte, or 0 when b is empty.
func firstByte(b []byte) byte {
	if len(b) < 1 {
		return 0
	}
	return b[0]
}

// tail returns b without its first n bytes, or nil when b is shorter.
func tail(b []byte, n int) []byte {
	if len(b) < n {
		return nil
	}
	return b[n:]
}

// StringBytes returns the bytes of an encoded BSON string without its
// length prefix and trailing NUL.
func StringBytes(b []byte) []byte {
	n := int(int32(i32(b)))
	if n < 1 || len(b) < 4+n {
		return nil
	}
	return b[4 : 4+n-1]
}

// CStrings splits an encoded regex into pattern and options.
func CStrings(b []byte) (pattern, options []byte) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return b, nil
	}
	pattern, rest := b[:i], b[i+1:]
	j := bytes.IndexByte(rest, 0)
	if j < 0 {
		return pattern, rest
	}
	return pattern, rest[:j]
}

// codeWithScope splits an encoded code-with-scope value.
func codeWithScope(b []byte) (code, scope []byte) {
	if len(b) < 8 {
		return nil, nil
	}
	code = StringBytes(b[4:])
	n := int(int32(i32(b[4:])))
	if n < 1 || len(b) < 8+n {
		return code, nil
	}
	return code, b[8+n:]
}

// IsNumberType reports whether t is one of the four numeric types.
func IsNumberType(t bson.Type) bool {
	return t == bson.TypeInt32 || t == bson.TypeInt64 || t == bson.TypeDouble || t == bson.TypeDecimal128
}

// NumberLong is BSONElement::numberLong: doubles and decimals are
// truncated toward zero and saturate; NaN is 0.
func NumberLong(v bson.RawValue) int64 {
	n := numOf(v)
	switch n.kind {
	case 'i':
		return n.i
	case 'd':
		return floatToLong(n.f)
	}
	if n.dec.IsNaN() {
		return 0
	}
	if inf := n.dec.IsInf(); inf != 0 {
		if inf > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	_, r := numClass(n)
	if r == nil {
		return 0
	}
	f, _ := r.Float64()
	if r.IsInt() && r.Num().IsInt64() {
		return r.Num().Int64()
	}
	return floatToLong(f)
}

// floatToLong truncates toward zero, saturating, with NaN as 0.
func floatToLong(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= 9223372036854775807.0:
		return math.MaxInt64
	case f <= -9223372036854775808.0:
		return math.MinInt64
	}
	return int64(f)
}

// IsInf reports an infinite double or decimal.
func IsInf(v bson.RawValue) bool {
	n := numOf(v)
	switch n.kind {
	case 'd':
		return math.IsInf(n.f, 0)
	case 'm':
		return n.dec.IsInf() != 0
	}
	return false
}

// TrueValue is BSONElement::trueValue, used by $exists.
func TrueValue(v bson.RawValue) bool {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return false
	case bson.TypeBoolean:
		return len(v.Value) > 0 && v.Value[0] != 0
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return Compare(v, bson.RawValue{Type: bson.TypeInt32, Value: []byte{0, 0, 0, 0}}) != 0
	}
	return true
}
