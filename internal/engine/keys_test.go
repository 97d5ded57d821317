package engine

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query"
)

// keyGen generates random BSON values of the types indexes meet.
type keyGen struct{ r *rand.Rand }

func (g keyGen) value(depth int) bson.RawValue {
	pick := g.r.IntN(14)
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

// checkKeyOrder asserts that the encoding orders a and b as MongoDB does.
func checkKeyOrder(t *testing.T, a, b bson.RawValue) {
	t.Helper()
	want := query.Compare(a, b)
	got := bytes.Compare(appendKeyValue(nil, a), appendKeyValue(nil, b))
	if got != want {
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

func TestKeyEncoding_Cases(t *testing.T) {
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
	f.Fuzz(func(t *testing.T, typ byte, data []byte, seed uint64) {
		_ = appendKeyValue(nil, bson.RawValue{Type: bson.Type(typ), Value: data})
		g := keyGen{rand.New(rand.NewPCG(seed, seed^0x9e3779b9))}
		checkKeyOrder(t, g.value(0), g.value(0))
	})
}
