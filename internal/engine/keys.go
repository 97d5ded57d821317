package engine

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/query/collation"
	"github.com/concorddb/concord/internal/query/value"
)

// Type brackets of the order-preserving key encoding. The byte values follow
// MongoDB's canonical type order (BSONElement::canonicalType), so that byte
// order of encoded keys is MongoDB's comparison order across types. Brackets
// are all >= 1 so that the end-of-document marker 0x00 sorts before any
// element.
const (
	bracketMinKey    byte = 0x01
	bracketUndefined byte = 0x03
	bracketNull      byte = 0x05
	bracketNumber    byte = 0x0A
	bracketString    byte = 0x0F
	bracketObject    byte = 0x14
	bracketArray     byte = 0x19
	bracketBinary    byte = 0x1E
	bracketObjectID  byte = 0x23
	bracketBool      byte = 0x28
	bracketDate      byte = 0x2D
	bracketTimestamp byte = 0x2F
	bracketRegex     byte = 0x32
	bracketDBPointer byte = 0x37
	bracketCode      byte = 0x3C
	bracketCodeScope byte = 0x41
	bracketMaxKey    byte = 0x7F
)

// keyBracket returns the type bracket of a BSON type; a zero (missing) type
// indexes as null, as MongoDB does.
func keyBracket(t bson.Type) byte {
	switch t {
	case bson.TypeMinKey:
		return bracketMinKey
	case bson.TypeUndefined:
		return bracketUndefined
	case 0, bson.TypeNull:
		return bracketNull
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return bracketNumber
	case bson.TypeString, bson.TypeSymbol:
		return bracketString
	case bson.TypeEmbeddedDocument:
		return bracketObject
	case bson.TypeArray:
		return bracketArray
	case bson.TypeBinary:
		return bracketBinary
	case bson.TypeObjectID:
		return bracketObjectID
	case bson.TypeBoolean:
		return bracketBool
	case bson.TypeDateTime:
		return bracketDate
	case bson.TypeTimestamp:
		return bracketTimestamp
	case bson.TypeRegex:
		return bracketRegex
	case bson.TypeDBPointer:
		return bracketDBPointer
	case bson.TypeJavaScript:
		return bracketCode
	case bson.TypeCodeWithScope:
		return bracketCodeScope
	case bson.TypeMaxKey:
		return bracketMaxKey
	}
	return bracketMaxKey
}

// appendKeyValue appends the order-preserving encoding of v: a bracket byte
// then a body. The encoding is prefix-free (no encoding is a proper prefix of
// another), so concatenated encodings compare component by component and a
// byte-inverted encoding sorts in reverse (descending index fields).
//
// Numbers of every BSON numeric type share one bracket and encode by exact
// value (see appendKeyNumber): 5, 5.0, NumberLong(5) and NumberDecimal("5.00")
// encode identically, and two numbers encode identically exactly when
// value.Compare says they are equal.
func appendKeyValue(dst []byte, v bson.RawValue) []byte {
	b := keyBracket(v.Type)
	dst = append(dst, b)
	return appendKeyBody(dst, v)
}

// appendKeyBody appends the encoding of v without its bracket byte.
func appendKeyBody(dst []byte, v bson.RawValue) []byte {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined, bson.TypeMinKey, bson.TypeMaxKey:
		return dst
	case bson.TypeDouble, bson.TypeInt32, bson.TypeInt64, bson.TypeDecimal128:
		return appendKeyNumber(dst, v)
	case bson.TypeString:
		s, _ := v.StringValueOK()
		return appendKeyString(dst, s)
	case bson.TypeSymbol:
		s, _ := v.SymbolOK()
		return appendKeyString(dst, s)
	case bson.TypeJavaScript:
		s, _ := v.JavaScriptOK()
		return appendKeyString(dst, s)
	case bson.TypeEmbeddedDocument:
		d, _ := v.DocumentOK()
		return appendKeyDocument(dst, d)
	case bson.TypeArray:
		a, _ := v.ArrayOK()
		vals, _ := a.Values()
		for _, e := range vals {
			dst = appendKeyValue(dst, e)
		}
		return append(dst, 0x00)
	case bson.TypeBinary:
		sub, data, _ := v.BinaryOK()
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(data)))
		dst = append(dst, l[:]...)
		dst = append(dst, sub)
		return append(dst, data...)
	case bson.TypeObjectID:
		oid, _ := v.ObjectIDOK()
		return append(dst, oid[:]...)
	case bson.TypeBoolean:
		if b, _ := v.BooleanOK(); b {
			return append(dst, 1)
		}
		return append(dst, 0)
	case bson.TypeDateTime:
		ms, _ := v.DateTimeOK()
		return binary.BigEndian.AppendUint64(dst, uint64(ms)^(1<<63))
	case bson.TypeTimestamp:
		t, i, _ := v.TimestampOK()
		dst = binary.BigEndian.AppendUint32(dst, t)
		return binary.BigEndian.AppendUint32(dst, i)
	case bson.TypeRegex:
		p, o, _ := v.RegexOK()
		dst = appendKeyString(dst, p)
		return appendKeyString(dst, o)
	case bson.TypeDBPointer:
		ns, oid, _ := v.DBPointerOK()
		dst = appendKeyString(dst, ns)
		return append(dst, oid[:]...)
	case bson.TypeCodeWithScope:
		code, scope, _ := v.CodeWithScopeOK()
		dst = appendKeyString(dst, code)
		return appendKeyDocument(dst, bson.Raw(scope))
	}
	// Unknown types: encode raw bytes escaped so hostile input still yields a
	// well-formed, prefix-free key.
	return appendKeyString(dst, string(v.Value))
}

// appendKeyDocument encodes a document as MongoDB compares documents: element
// by element, each as (value type bracket, field name, value), then 0x00 so a
// shorter document sorts first.
func appendKeyDocument(dst []byte, d bson.Raw) []byte {
	elems, _ := d.Elements()
	for _, e := range elems {
		v := e.Value()
		dst = append(dst, keyBracket(v.Type))
		dst = appendKeyString(dst, e.Key())
		dst = appendKeyBody(dst, v)
	}
	return append(dst, 0x00)
}

// appendKeyString escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x01, so
// byte order is binary string order and the encoding is prefix-free.
func appendKeyString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			dst = append(dst, 0x00, 0xFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0x00, 0x01)
}

// invertKey flips every byte of an encoded component: the encoding is
// prefix-free, so this reverses its order (descending index fields).
func invertKey(b []byte) {
	for i := range b {
		b[i] = ^b[i]
	}
}

// prefixSuccessor returns the smallest key greater than every key with the
// given prefix, or nil when there is none (all 0xFF).
func prefixSuccessor(prefix []byte) []byte {
	out := append([]byte(nil), prefix...)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] != 0xFF {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

// Number keys. Every number of every BSON numeric type encodes as
//
//	D (8 bytes) | marker (1 byte) | [ exponent (2 bytes) | digit pairs | 0x00 ]
//
// where D is the float64 nearest to the number's exact value (ties to even;
// NaN first, -0 as 0, a finite decimal beyond float64's range clamped to
// ±MaxFloat64) in order-preserving form, and the marker says whether the
// number is below, equal to or above D. Rounding to nearest is monotone, so
// numbers with different D are ordered by D, and numbers with the same D by
// the marker (below < exact < above) and then by their exact value, written
// only when the number is not D itself. That value is written as exponent
// and significant digits (value = 0.d1d2...dn × 10^exponent, no trailing
// zero digits, so 2^53+1 as an int64 and as NumberDecimal("9007199254740993.0")
// have one form), inverted when the number is negative: within one (D,
// marker) group every number has the same sign (a nonzero D fixes it, and
// for D = 0 the marker does).
//
// So two numbers encode identically exactly when value.Compare says they are
// equal, and byte order is value.Compare order. Doubles, int32s and int64s
// of at most 2^53 in magnitude (nearly every number written) are exactly
// their D: a 9-byte body, built without any digit conversion, and 1, 1.0 and
// NumberDecimal("1.00") all take it.

// Markers placing a number relative to its nearest float64.
const (
	numBelow byte = 0x01 // below D: digits follow
	numExact byte = 0x02 // exactly D: nothing follows
	numAbove byte = 0x03 // above D: digits follow
)

// numExpBias maps a decimal exponent to an order-preserving uint16. Decimal128
// exponents (with up to 35 coefficient digits) stay within ±6200.
const numExpBias = 0x8000

// appendKeyNumber appends the body of a number key for an int32, int64,
// double or decimal128 value, decoding short (malformed) values as zero
// like value.Compare does.
func appendKeyNumber(dst []byte, v bson.RawValue) []byte {
	switch v.Type {
	case bson.TypeInt32:
		var i int32
		if len(v.Value) >= 4 {
			i = int32(binary.LittleEndian.Uint32(v.Value))
		}
		return append(appendKeyFloat(dst, float64(i)), numExact)
	case bson.TypeInt64:
		var i int64
		if len(v.Value) >= 8 {
			i = int64(binary.LittleEndian.Uint64(v.Value))
		}
		return appendKeyInt64(dst, i)
	case bson.TypeDecimal128:
		var lo, hi uint64
		if len(v.Value) >= 16 {
			lo = binary.LittleEndian.Uint64(v.Value)
			hi = binary.LittleEndian.Uint64(v.Value[8:])
		}
		return appendKeyDecimal(dst, bson.NewDecimal128(hi, lo))
	}
	var f float64
	if len(v.Value) >= 8 {
		f = math.Float64frombits(binary.LittleEndian.Uint64(v.Value))
	}
	return append(appendKeyFloat(dst, f), numExact)
}

// appendKeyFloat appends the order-preserving form of f: NaN below -Inf,
// and -0 the same as 0.
func appendKeyFloat(dst []byte, f float64) []byte {
	var bits uint64
	if !math.IsNaN(f) {
		if f == 0 {
			f = 0 // normalise -0
		}
		bits = math.Float64bits(f)
		if bits&(1<<63) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
	}
	return binary.BigEndian.AppendUint64(dst, bits)
}

// appendKeyInt64 encodes an int64. float64(i) rounds to nearest even, as
// appendKeyDecimal's rounding does, so an equal decimal gets the same D.
func appendKeyInt64(dst []byte, i int64) []byte {
	const exact = 1 << 53
	f := float64(i)
	dst = appendKeyFloat(dst, f)
	if -exact <= i && i <= exact {
		return append(dst, numExact)
	}
	// rem is i - f, exactly; f may be 2^63, which no int64 holds.
	var rem int64
	if f >= 9.223372036854775807e18 {
		rem = -(math.MaxInt64 - i) - 1
	} else {
		rem = i - int64(f)
	}
	if rem == 0 {
		return append(dst, numExact)
	}
	marker := numAbove
	if rem < 0 {
		marker = numBelow
	}
	mag := uint64(i)
	if i < 0 {
		mag = -mag // two's complement: also right for MinInt64
	}
	var buf [20]byte
	return appendKeyDigits(append(dst, marker), strconv.AppendUint(buf[:0], mag, 10), 0, i < 0)
}

// appendKeyDecimal encodes a decimal128 by its exact value, with NaN and ±Inf
// as the doubles of the same name.
func appendKeyDecimal(dst []byte, d bson.Decimal128) []byte {
	if d.IsNaN() {
		return append(appendKeyFloat(dst, math.NaN()), numExact)
	}
	if inf := d.IsInf(); inf != 0 {
		return append(appendKeyFloat(dst, math.Inf(inf)), numExact)
	}
	if h, l := d.GetBytes(); h>>61&3 != 3 {
		// Canonical form: sign, 14-bit biased exponent, 113-bit coefficient.
		// A coefficient of at most 2^53 with a power of ten of at most
		// 10^22 is two exact float64s, so one IEEE operation gives the
		// nearest float64 and a fused multiply-add the sign of the exact
		// remainder, without big-number arithmetic.
		exp := int(h>>49&(1<<14-1)) - 6176
		if ch := h & (1<<49 - 1); ch == 0 && l <= 1<<53 && -22 <= exp && exp <= 22 {
			return appendKeySmallDecimal(dst, h>>63 != 0, l, exp)
		}
	}
	coef, exp, err := d.BigInt()
	if err != nil { // not reached: BigInt fails only for NaN and ±Inf
		return append(appendKeyFloat(dst, math.NaN()), numExact)
	}
	if coef.Sign() == 0 {
		return append(appendKeyFloat(dst, 0), numExact)
	}
	x := new(big.Rat).SetInt(coef)
	if exp != 0 {
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(exp, -exp))), nil)
		if exp > 0 {
			x.Mul(x, new(big.Rat).SetInt(p))
		} else {
			x.Quo(x, new(big.Rat).SetInt(p))
		}
	}
	f, exact := x.Float64()
	switch {
	case math.IsInf(f, 1):
		f, exact = math.MaxFloat64, false
	case math.IsInf(f, -1):
		f, exact = -math.MaxFloat64, false
	}
	dst = appendKeyFloat(dst, f)
	if exact {
		return append(dst, numExact)
	}
	marker := numAbove
	if x.Cmp(new(big.Rat).SetFloat64(f)) < 0 {
		marker = numBelow
	}
	neg := coef.Sign() < 0
	digits := coef.Abs(coef).Append(nil, 10)
	return appendKeyDigits(append(dst, marker), digits, exp, neg)
}

// keyPow10 holds the powers of ten that are exact float64s.
var keyPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// appendKeySmallDecimal encodes the decimal ±c × 10^exp for c <= 2^53 and
// |exp| <= 22, where c and 10^|exp| are exact float64s: the IEEE product or
// quotient is the nearest float64 f (ties to even, as appendKeyDecimal's
// general path and float64(int64) round), and a fused multiply-add, rounded
// once, has the sign of the exact remainder.
func appendKeySmallDecimal(dst []byte, neg bool, c uint64, exp int) []byte {
	if c == 0 {
		return append(appendKeyFloat(dst, 0), numExact)
	}
	x := float64(c)
	var f, rem float64 // rem has the sign of (c × 10^exp - f)
	if exp >= 0 {
		p := keyPow10[exp]
		f = x * p
		rem = math.FMA(x, p, -f)
	} else {
		p := keyPow10[-exp]
		f = x / p
		rem = math.FMA(-f, p, x) // (c - f × 10^-exp), same sign
	}
	if neg {
		f, rem = -f, -rem
	}
	dst = appendKeyFloat(dst, f)
	switch {
	case rem == 0:
		return append(dst, numExact)
	case rem < 0:
		dst = append(dst, numBelow)
	default:
		dst = append(dst, numAbove)
	}
	var buf [20]byte
	return appendKeyDigits(dst, strconv.AppendUint(buf[:0], c, 10), exp, neg)
}

// appendKeyDigits appends the exact value digits × 10^exp (digits: ASCII,
// no leading zero, not all zero) as a biased exponent of its normalised form
// then its significant digits two per byte (1 + 10*a + b, a trailing single
// digit padded with 0) and a 0x00 terminator, so that a shorter digit string
// sorts first and no encoding is a prefix of another. A negative value's
// bytes are inverted so larger magnitudes sort first.
func appendKeyDigits(dst []byte, digits []byte, exp int, neg bool) []byte {
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		exp++
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint16(dst, uint16(exp+len(digits)+numExpBias))
	for i := 0; i < len(digits); i += 2 {
		b := 1 + 10*(digits[i]-'0')
		if i+1 < len(digits) {
			b += digits[i+1] - '0'
		}
		dst = append(dst, b)
	}
	dst = append(dst, 0x00)
	if neg {
		invertKey(dst[start:])
	}
	return dst
}

// collateKeyValue returns v with every string and symbol, also inside documents and arrays, replaced by a
// string holding its collation key under coll: the key encoding of the result orders and equates values as
// coll does, which is how a collated index stores its keys (mongod's collated KeyStrings hold collation keys
// too). Collation keys cannot be turned back into the strings, so a collated index's keys never answer a
// query for string values by themselves. v is returned as is when coll is nil or v holds no string.
func collateKeyValue(v bson.RawValue, coll *collation.Collation) bson.RawValue {
	if coll == nil {
		return v
	}
	switch v.Type {
	case bson.TypeString, bson.TypeSymbol:
		return bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, string(coll.Key(value.StringBytes(v.Value))))}
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		elems, err := bson.Raw(v.Value).Elements()
		if err != nil {
			return v
		}
		idx, dst := bsoncore.AppendDocumentStart(nil)
		for _, e := range elems {
			dst = value.AppendElem(dst, e.Key(), collateKeyValue(e.Value(), coll))
		}
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return bson.RawValue{Type: v.Type, Value: dst}
	}
	return v
}
