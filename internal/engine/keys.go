package engine

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
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
// Numbers of every BSON numeric type share one bracket and compare by value:
// 8 bytes of order-preserving float64 then 8 bytes of the exact int64 remainder
// (value - float64(value)), so distinct int64 values beyond 2^53 stay distinct
// and ordered, and 5, 5.0 and NumberLong(5) encode identically. Decimal128 is
// approximated through float64 (its nearest value, with remainder 0), so a
// decimal and an int64 of one float64 value may encode in either order:
// range bounds therefore cover a bound's whole float64 value (see
// keyBoundPrefix), and the filter re-check on fetched documents removes
// the extra candidates.
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
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return appendKeyNumber(dst, f, 0)
	case bson.TypeInt32:
		i, _ := v.Int32OK()
		return appendKeyNumber(dst, float64(i), 0)
	case bson.TypeInt64:
		i, _ := v.Int64OK()
		f, rem := keyInt64Parts(i)
		return appendKeyNumber(dst, f, rem)
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		f := math.NaN()
		if ok {
			// Beyond float64's range ParseFloat reports ErrRange with the
			// nearest value (±Inf, ±0), which keeps the order.
			if p, err := strconv.ParseFloat(d.String(), 64); err == nil || errors.Is(err, strconv.ErrRange) {
				f = p
			} else if s := d.String(); s == "Infinity" {
				f = math.Inf(1)
			} else if s == "-Infinity" {
				f = math.Inf(-1)
			}
		}
		return appendKeyNumber(dst, f, 0)
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

// keyInt64Parts splits i into its nearest float64 and the exact remainder.
func keyInt64Parts(i int64) (float64, int64) {
	f := float64(i)
	if f >= 9.223372036854775807e18 { // 2^63 does not fit an int64
		return f, -(math.MaxInt64 - i) - 1
	}
	return f, i - int64(f)
}

// appendKeyNumber encodes f (NaN first, -0 == 0) and the int64 remainder.
func appendKeyNumber(dst []byte, f float64, rem int64) []byte {
	var bits uint64
	switch {
	case math.IsNaN(f):
		bits = 0
	default:
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
	dst = binary.BigEndian.AppendUint64(dst, bits)
	return binary.BigEndian.AppendUint64(dst, uint64(rem)^(1<<63))
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

// keyBoundPrefix returns the part of the encoding enc of v that a scan bound
// may rely on: for a number only the bracket and the float64 part, since
// the remainder of a Decimal128 key is not exact (see appendKeyValue); for
// anything else all of enc.
func keyBoundPrefix(v bson.RawValue, enc []byte) []byte {
	if keyBracket(v.Type) == bracketNumber && len(enc) > 9 {
		return enc[:9]
	}
	return enc
}
