package engine

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// keyGen generates random BSON values of the types indexes meet.
type keyGen struct{ r *rand.Rand }

func (g keyGen) value(depth int) bson.RawValue {
	pick := g.r.IntN(18)
	if pick >= 14 {
		return g.number()
	}
	if depth > 2 && (pick == 6 || pick == 7) {
		pick = 0
	}
	var v any
	switch pick {
	case 0:
		v = int32(g.r.IntN(7) - 3)
	case 1:
		v = int64(g.r.IntN(7) - 3)
	case 2:
		doubles := []float64{-2.5, -1, 0, math.Copysign(0, -1), 0.5, 1, 2, 3, math.Inf(1), math.Inf(-1), math.NaN(), 1e300}
		v = doubles[g.r.IntN(len(doubles))]
	case 3:
		bigs := []int64{1 << 53, 1<<53 + 1, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, -(1 << 53) - 1}
		v = bigs[g.r.IntN(len(bigs))]
	case 4:
		strs := []string{"", "a", "ab", "a\x00", "a\x00b", "b", "\xff", "A"}
		v = strs[g.r.IntN(len(strs))]
	case 5:
		return bson.RawValue{Type: bson.TypeNull}
	case 6:
		var d bson.D
		for i := 0; i < g.r.IntN(3); i++ {
			names := []string{"a", "b", "ab"}
			d = append(d, bson.E{Key: names[g.r.IntN(3)], Value: g.value(depth + 1)})
		}
		v = d
	case 7:
		var a bson.A
		for i := 0; i < g.r.IntN(3); i++ {
			a = append(a, g.value(depth+1))
		}
		v = a
	case 8:
		v = g.r.IntN(2) == 1
	case 9:
		v = bson.DateTime(int64(g.r.IntN(5) - 2))
	case 10:
		var oid bson.ObjectID
		oid[11] = byte(g.r.IntN(3))
		v = oid
	case 11:
		v = bson.Binary{Subtype: byte(g.r.IntN(2)), Data: []byte("xyz")[:g.r.IntN(4)]}
	case 12:
		v = bson.Timestamp{T: uint32(g.r.IntN(3)), I: uint32(g.r.IntN(3))}
	case 13:
		if g.r.IntN(2) == 0 {
			v = bson.MinKey{}
		} else {
			v = bson.MaxKey{}
		}
	}
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		panic(err)
	}
	return bson.RawValue{Type: t, Value: data}
}

// keyDecimals are decimal128 values at the edges of the number encoding:
// equal to small integers and doubles in several spellings, just off a
// double, beyond float64's precision and range, and the specials.
var keyDecimals = []string{
	"0", "-0", "0E+10", "0E-6176", "1", "1.0", "1.00", "10E-1", "-1", "-1.0",
	"0.1", "-0.1", "0.5", "0.50", "2.5", "-2.5", "3", "3.0000000000000000000000000000001",
	"0.1000000000000000055511151231257827", "0.1000000000000000055511151231257828",
	"9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995",
	"-9007199254740993", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551616", "1E+300",
	"1.797693134862315708145274237317043E+308", "1.797693134862315708145274237317044E+308",
	"1.7976931348623157E+308", "1E+309", "1E+400", "10E+399", "-1E+400", "1E+6144",
	"9.999999999999999999999999999999999E+6144", "-9.999999999999999999999999999999999E+6144",
	"1E-300", "5E-324", "4.940656458412465441765687928682213E-324", "1E-400", "-1E-400",
	"1E-6176", "-1E-6176", "123456789012345678901234567890.1234", "1234567890123456789012345678901234",
	"NaN", "-NaN", "Infinity", "-Infinity",
}

// keyDoubles are doubles at the edges of the number encoding.
var keyDoubles = []float64{
	0, math.Copysign(0, -1), 0.1, -0.1, 0.5, 1, -1, 2.5, 3, 1 << 53, 1<<53 + 2, -(1 << 53),
	9223372036854775808.0, -9223372036854775808.0, 18446744073709551616.0, 1e300,
	math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
	1e-300, math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0xFFF8000000000001),
}

// keyInt64s are int64s at the edges of the number encoding.
var keyInt64s = []int64{
	0, 1, -1, 3, 1 << 53, 1<<53 + 1, 1<<53 + 2, 1<<53 + 3, -(1 << 53) - 1, 1 << 62,
	math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1, 1000000000000000000,
}

// number returns a random number of any numeric type: an edge value, or a
// random int64, double (any bits) or decimal (any coefficient and exponent).
func (g keyGen) number() bson.RawValue {
	var v any
	switch g.r.IntN(10) {
	case 0:
		d, err := bson.ParseDecimal128(keyDecimals[g.r.IntN(len(keyDecimals))])
		if err != nil {
			panic(err)
		}
		v = d
	case 1:
		v = keyDoubles[g.r.IntN(len(keyDoubles))]
	case 2:
		v = keyInt64s[g.r.IntN(len(keyInt64s))]
	case 3:
		v = int32(g.r.Uint32())
	case 4:
		v = int64(g.r.Uint64() >> g.r.IntN(64))
	case 5:
		v = math.Float64frombits(g.r.Uint64())
	case 6:
		// Canonical decimal: sign, biased exponent, coefficient < 10^34.
		hi := g.r.Uint64()&(1<<49-1) | uint64(g.r.IntN(6111+6176+1))<<49 | g.r.Uint64()&(1<<63)
		v = bson.NewDecimal128(hi>>g.r.IntN(4), g.r.Uint64()>>g.r.IntN(64))
	case 7:
		// A decimal at or next to a random double: up to 34 of its digits.
		f := math.Float64frombits(g.r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			f = 0.1
		}
		d, err := bson.ParseDecimal128(strconv.FormatFloat(f, 'e', g.r.IntN(34), 64))
		if err != nil {
			panic(err)
		}
		v = d
	case 8:
		// A decimal equal or next to a random large int64.
		s := strconv.FormatInt(int64(g.r.Uint64()>>g.r.IntN(12)), 10)
		s += []string{"", ".0", ".5", "E+0", "0E-1", "1E-1"}[g.r.IntN(6)]
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			panic(err)
		}
		v = d
	default:
		// A small decimal near the doubles and integers above.
		c := int64(g.r.IntN(2000) - 1000)
		exp := g.r.IntN(7) - 3
		d, err := bson.ParseDecimal128(strconv.FormatInt(c, 10) + "E" + strconv.Itoa(exp))
		if err != nil {
			panic(err)
		}
		v = d
	}
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		panic(err)
	}
	return bson.RawValue{Type: t, Value: data}
}

// checkKeyOrder asserts that the encoding orders a and b as MongoDB does.
func checkKeyOrder(t *testing.T, a, b bson.RawValue) {
	t.Helper()
	want := value.Compare(a, b)
	got := bytes.Compare(appendKeyValue(nil, a), appendKeyValue(nil, b))
	if got != want {
		// got == 0 exactly when the keys are equal: equal keys must mean
		// equal values and the reverse.
		t.Fatalf("order of %v vs %v: encoding %d, Compare %d", a, b, got, want)
	}
	// Descending components invert the order.
	ia, ib := appendKeyValue(nil, a), appendKeyValue(nil, b)
	invertKey(ia)
	invertKey(ib)
	if got := bytes.Compare(ia, ib); got != -want {
		t.Fatalf("inverted order of %v vs %v: %d, want %d", a, b, got, -want)
	}
}

func TestKeyEncoding_MatchesCompare(t *testing.T) {
	g := keyGen{rand.New(rand.NewPCG(1, 2))}
	for i := 0; i < 20000; i++ {
		checkKeyOrder(t, g.value(0), g.value(0))
	}
}

func TestKeyEncoding_NumbersMatchCompare(t *testing.T) {
	g := keyGen{rand.New(rand.NewPCG(3, 4))}
	for i := 0; i < 50000; i++ {
		checkKeyOrder(t, g.number(), g.number())
	}
}

// TestKeyEncoding_EdgeNumbersPairwise compares every pair of edge values.
func TestKeyEncoding_EdgeNumbersPairwise(t *testing.T) {
	var vals []bson.RawValue
	add := func(v any) {
		ty, data, err := bson.MarshalValue(v)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, bson.RawValue{Type: ty, Value: data})
	}
	for _, s := range keyDecimals {
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			t.Fatal(err)
		}
		add(d)
	}
	for _, f := range keyDoubles {
		add(f)
	}
	for _, i := range keyInt64s {
		add(i)
		if int64(int32(i)) == i {
			add(int32(i))
		}
	}
	for _, a := range vals {
		for _, b := range vals {
			checkKeyOrder(t, a, b)
		}
	}
}

func TestKeyEncoding_Cases(t *testing.T) {
	dec := func(s string) bson.Decimal128 {
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	mk := func(v any) bson.RawValue {
		if v == nil {
			return bson.RawValue{Type: bson.TypeNull}
		}
		ty, data, err := bson.MarshalValue(v)
		if err != nil {
			t.Fatal(err)
		}
		return bson.RawValue{Type: ty, Value: data}
	}
	cases := []struct {
		name string
		a, b any
	}{
		{"int32 equals double", int32(5), 5.0},
		{"int64 equals int32", int64(5), int32(5)},
		{"negative zero equals zero", math.Copysign(0, -1), int32(0)},
		{"big int64 distinct", int64(1<<53 + 1), int64(1 << 53)},
		{"big int64 vs double", int64(1<<53 + 1), float64(1 << 53)},
		{"max int64 vs 2^63 double", int64(math.MaxInt64), math.Pow(2, 63)},
		{"nan below -inf", math.NaN(), math.Inf(-1)},
		{"number below string", 1e300, ""},
		{"string prefix", "a", "a\x00"},
		{"null below number", nil, math.Inf(-1)},
		{"minkey below null", bson.MinKey{}, nil},
		{"maxkey above all", bson.MaxKey{}, bson.Timestamp{T: 9}},
		{"shorter doc first", bson.D{{Key: "a", Value: 1}}, bson.D{{Key: "a", Value: 1}, {Key: "b", Value: 1}}},
		{"doc type before name", bson.D{{Key: "b", Value: 1}}, bson.D{{Key: "a", Value: "x"}}},
		{"binary length first", bson.Binary{Data: []byte("zz")}, bson.Binary{Data: []byte("aaa")}},
		{"decimal 1.0 equals int32 1", dec("1.0"), int32(1)},
		{"decimal 1.00 equals decimal 1", dec("1.00"), dec("1")},
		{"decimal 0.1 above double 0.1", dec("0.1"), 0.1},
		{"decimal 2^53+1 equals int64", dec("9007199254740993"), int64(1<<53 + 1)},
		{"decimal 2^53+1 above double 2^53", dec("9007199254740993"), float64(1 << 53)},
		{"decimal -0 equals double -0", dec("-0"), math.Copysign(0, -1)},
		{"decimal beyond float64 above max double", dec("1E+309"), math.MaxFloat64},
		{"decimal beyond float64 below +inf", dec("1E+309"), math.Inf(1)},
		{"tiny decimal above zero", dec("1E-400"), int32(0)},
		{"tiny negative decimal below zero", dec("-1E-400"), int32(0)},
		{"decimal NaN equals double NaN", dec("NaN"), math.NaN()},
		{"decimal digits order", dec("1.5"), dec("1.25")},
		{"negative decimal digits order", dec("-1.5"), dec("-1.25")},
		{"decimal in array", bson.A{dec("1.0"), "x"}, bson.A{int64(1), "x"}},
		{"decimal in document", bson.D{{Key: "a", Value: dec("0.1")}}, bson.D{{Key: "a", Value: 0.1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkKeyOrder(t, mk(c.a), mk(c.b)) })
	}
}

func TestPrefixSuccessor(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"simple", []byte{1, 2}, []byte{1, 3}},
		{"carry", []byte{1, 0xFF}, []byte{2}},
		{"all ff", []byte{0xFF, 0xFF}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := prefixSuccessor(c.in); !bytes.Equal(got, c.want) {
				t.Fatalf("got %v want %v", got, c.want)
			}
		})
	}
}

// FuzzKeyEncoding checks that arbitrary (possibly malformed) values encode
// without panicking, and that generated values keep MongoDB's order.
func FuzzKeyEncoding(f *testing.F) {
	f.Add(byte(bson.TypeInt32), []byte{5, 0, 0, 0}, uint64(1))
	f.Add(byte(bson.TypeString), []byte{2, 0, 0, 0, 'a', 0}, uint64(2))
	f.Add(byte(bson.TypeEmbeddedDocument), []byte{5, 0, 0, 0, 0}, uint64(3))
	f.Add(byte(bson.TypeArray), []byte{9, 0, 0, 0, 0x10, '0', 0, 1}, uint64(4))
	f.Add(byte(bson.TypeDecimal128), make([]byte, 16), uint64(5))
	f.Add(byte(bson.TypeDouble), []byte{0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f}, uint64(6))
	f.Add(byte(bson.TypeInt64), []byte{1, 0, 0, 0, 0, 0, 0x20, 0}, uint64(7))
	for i, s := range keyDecimals {
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			f.Fatal(err)
		}
		_, data, _ := bson.MarshalValue(d)
		f.Add(byte(bson.TypeDecimal128), data, uint64(100+i))
	}
	f.Fuzz(func(t *testing.T, typ byte, data []byte, seed uint64) {
		v := bson.RawValue{Type: bson.Type(typ), Value: data}
		_ = appendKeyValue(nil, v)
		g := keyGen{rand.New(rand.NewPCG(seed, seed^0x9e3779b9))}
		checkKeyOrder(t, g.value(0), g.value(0))
		// A number, even a malformed one (which Compare and the key both
		// read as zero), keeps Compare's order against any number.
		switch v.Type {
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			checkKeyOrder(t, v, g.number())
			checkKeyOrder(t, v, v)
		}
	})
}
