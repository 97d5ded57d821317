package filter

import (
	"math"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the bitwise query operators $bitsAllSet, $bitsAnySet,
// $bitsAllClear and $bitsAnyClear, after mongod's BitTestMatchExpression.
// https://www.mongodb.com/docs/manual/reference/operator/query-bitwise/

// bitsOp is which of the four tests a bitsLeaf makes.
type bitsOp int

const (
	bitsAllSet bitsOp = iota
	bitsAnySet
	bitsAllClear
	bitsAnyClear
)

// bitsOps maps the operators to their tests.
var bitsOps = map[string]bitsOp{
	"$bitsAllSet": bitsAllSet, "$bitsAnySet": bitsAnySet, "$bitsAllClear": bitsAllClear, "$bitsAnyClear": bitsAnyClear,
}

// bitsLeaf tests bit positions of integral numbers (two's complement, so
// a negative number has every position past 63 set) and of BinData (byte
// 0 holds positions 0 to 7, least significant first; positions past the
// end are clear). mask is the positions as a 64-bit mask for numbers, any
// position past 63 folded into bit 63, the sign.
type bitsLeaf struct {
	op        bitsOp
	mask      uint64
	positions []uint32
}

// compileBits parses the argument: a non-negative integral number (the
// mask), BinData (the mask's bytes) or an array of non-negative integral
// bit positions.
func compileBits(op string, v bson.RawValue) (*bitsLeaf, error) {
	l := &bitsLeaf{op: bitsOps[op]}
	add := func(p uint32) {
		l.positions = append(l.positions, p)
		if p < 64 {
			l.mask |= 1 << p
		} else {
			l.mask |= 1 << 63
		}
	}
	switch {
	case value.IsNumberType(v.Type):
		f, _ := value.ToFloat(v)
		n := value.NumberLong(v)
		if v.Type == bson.TypeDouble && (math.IsNaN(f) || f != math.Trunc(f) || f >= 0x1p63 || f < -0x1p63) ||
			v.Type == bson.TypeDecimal128 && float64(n) != f {
			return nil, codes.New(codes.FailedToParse, "Expected an integer: %s: %s", op, formatValue(v))
		}
		if n < 0 {
			return nil, codes.New(codes.FailedToParse, "Expected a non-negative number in: %s: %s", op, formatValue(v))
		}
		for p := uint32(0); p < 63; p++ {
			if n&(1<<p) != 0 {
				add(p)
			}
		}
	case v.Type == bson.TypeBinary:
		_, data, _ := v.BinaryOK()
		for i, b := range data {
			for bit := 0; bit < 8; bit++ {
				if b&(1<<bit) != 0 {
					add(uint32(8*i + bit))
				}
			}
		}
	case v.Type == bson.TypeArray:
		for _, e := range value.Values(v) {
			if !value.IsNumberType(e.Type) {
				return nil, codes.New(codes.BadValue, "bit positions must be an integer but got: %s", formatValue(e))
			}
			f, _ := value.ToFloat(e)
			if f != math.Trunc(f) || math.IsNaN(f) || f > math.MaxInt32 {
				return nil, codes.New(codes.BadValue, "bit positions must be an integer but got: %s", formatValue(e))
			}
			if f < 0 {
				return nil, codes.New(codes.BadValue, "bit positions must be >= 0 but got: %s", formatValue(e))
			}
			add(uint32(f))
		}
	default:
		return nil, codes.New(codes.BadValue, "%s takes an Array, a number, or a BinData but received: %s", op, formatValue(v))
	}
	return l, nil
}

// formatValue renders a value for an error message.
func formatValue(v bson.RawValue) string { return v.String() }

// matchValue tests numbers and BinData; other types never match.
func (l *bitsLeaf) matchValue(v bson.RawValue) (bool, int) {
	switch {
	case v.Type == bson.TypeBinary:
		_, data, _ := v.BinaryOK()
		return l.testBinary(data), -1
	case value.IsNumberType(v.Type):
		if v.Type == bson.TypeDouble {
			f := v.Double()
			if math.IsNaN(f) || f >= 0x1p63 || f < -0x1p63 || f != math.Trunc(f) {
				return false, -1
			}
		}
		return l.testNumber(uint64(value.NumberLong(v))), -1
	}
	return false, -1
}

// testNumber applies the test to a number's bits.
func (l *bitsLeaf) testNumber(n uint64) bool {
	switch l.op {
	case bitsAllSet:
		return n&l.mask == l.mask
	case bitsAllClear:
		return ^n&l.mask == l.mask
	case bitsAnySet:
		return n&l.mask != 0
	}
	return ^n&l.mask != 0
}

// testBinary applies the test to BinData's bits, position by position.
func (l *bitsLeaf) testBinary(data []byte) bool {
	for _, p := range l.positions {
		set := int(p/8) < len(data) && data[p/8]&(1<<(p%8)) != 0
		switch l.op {
		case bitsAllSet:
			if !set {
				return false
			}
		case bitsAllClear:
			if set {
				return false
			}
		case bitsAnySet:
			if set {
				return true
			}
		case bitsAnyClear:
			if !set {
				return true
			}
		}
	}
	return l.op == bitsAllSet || l.op == bitsAllClear
}
