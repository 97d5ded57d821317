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

// Accumulator folds the values of one group ($group's accumulators).
// add may fail (for example $mergeObjects on a non-document).
type Accumulator interface {
	Add(v bson.RawValue) error
	Result() bson.RawValue
}

// AccumulatorFor returns the constructor of the named accumulator ("$sum",
// "$push", ...), which runs once per group, or false for an unknown name.
func AccumulatorFor(name string) (func() Accumulator, bool) {
	mk, ok := accumulators[name]
	return mk, ok
}

// accumulators maps accumulator names to constructors.
var accumulators = map[string]func() Accumulator{
	"$sum":          func() Accumulator { return &aggAccSum{sum: aggNum{kind: aggKindInt}} },
	"$avg":          func() Accumulator { return &aggAccSum{sum: aggNum{kind: aggKindInt}, avg: true} },
	"$min":          func() Accumulator { return &aggAccMinMax{sign: -1} },
	"$max":          func() Accumulator { return &aggAccMinMax{sign: 1} },
	"$first":        func() Accumulator { return &aggAccFirstLast{first: true} },
	"$last":         func() Accumulator { return &aggAccFirstLast{} },
	"$push":         func() Accumulator { return &aggAccPush{} },
	"$addToSet":     func() Accumulator { return &aggAccPush{set: map[string]bool{}} },
	"$count":        func() Accumulator { return &aggAccSum{sum: aggNum{kind: aggKindInt}, count: true} },
	"$mergeObjects": func() Accumulator { return &aggAccMerge{} },
	"$stdDevPop":    func() Accumulator { return &aggAccStdDev{} },
	"$stdDevSamp":   func() Accumulator { return &aggAccStdDev{sample: true} },
}

// aggAccSum is $sum, $avg and $count: non-numeric values are ignored; the
// sum widens int -> long -> double like $add.
type aggAccSum struct {
	sum   aggNum
	n     int64
	avg   bool
	count bool
}

func (a *aggAccSum) Add(v bson.RawValue) error {
	if a.count {
		a.sum = aggArith(aggOpAdd, a.sum, aggNum{kind: aggKindInt, i: 1})
		return nil
	}
	n, ok := aggNumOf(v)
	if !ok {
		return nil
	}
	a.sum = aggArith(aggOpAdd, a.sum, n)
	a.n++
	return nil
}

func (a *aggAccSum) Result() bson.RawValue {
	if !a.avg {
		return a.sum.value()
	}
	if a.n == 0 {
		return value.Null
	}
	if a.sum.kind == aggKindDecimal {
		if r := a.sum.rat(); r != nil {
			return aggDecValue(r.Quo(r, new(big.Rat).SetInt64(a.n)), a.sum.exp)
		}
	}
	return value.Double(a.sum.float() / float64(a.n))
}

// aggAccMinMax is $min (sign -1) and $max (sign 1); null and missing values
// are ignored, and a group without other values gives null.
type aggAccMinMax struct {
	sign int
	best bson.RawValue
}

func (a *aggAccMinMax) Add(v bson.RawValue) error {
	if value.IsNullish(v) {
		return nil
	}
	if a.best.Type == 0 || aggCompare(v, a.best)*a.sign > 0 {
		a.best = v
	}
	return nil
}

func (a *aggAccMinMax) Result() bson.RawValue {
	if a.best.Type == 0 {
		return value.Null
	}
	return a.best
}

// aggAccFirstLast is $first and $last; a missing value is reported as null.
type aggAccFirstLast struct {
	first bool
	seen  bool
	v     bson.RawValue
}

func (a *aggAccFirstLast) Add(v bson.RawValue) error {
	if a.first && a.seen {
		return nil
	}
	a.seen = true
	a.v = v
	return nil
}

func (a *aggAccFirstLast) Result() bson.RawValue {
	if a.v.Type == 0 {
		return value.Null
	}
	return a.v
}

// aggAccPush is $push and, with set non-nil, $addToSet (first-seen order);
// missing values are skipped.
type aggAccPush struct {
	vals []bson.RawValue
	set  map[string]bool
}

func (a *aggAccPush) Add(v bson.RawValue) error {
	if v.Type == 0 {
		return nil
	}
	if a.set != nil {
		k := GroupKey(v)
		if a.set[k] {
			return nil
		}
		a.set[k] = true
	}
	a.vals = append(a.vals, v)
	return nil
}

func (a *aggAccPush) Result() bson.RawValue { return value.Array(a.vals) }

// aggAccMerge is the $mergeObjects accumulator.
type aggAccMerge struct{ merged bson.RawValue }

func (a *aggAccMerge) Add(v bson.RawValue) error {
	if value.IsNullish(v) {
		return nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return codes.New(40400, "$mergeObjects requires object inputs, but input %s is of type %s", FormatValue(v), value.TypeNameOf(v))
	}
	if a.merged.Type == 0 {
		a.merged = v
		return nil
	}
	m, err := aggMergeObjects([]bson.RawValue{a.merged, v})
	if err != nil {
		return err
	}
	a.merged = m
	return nil
}

func (a *aggAccMerge) Result() bson.RawValue {
	if a.merged.Type == 0 {
		return value.Doc(value.EmptyDoc)
	}
	return a.merged
}

// aggAccStdDev is $stdDevPop/$stdDevSamp (Welford's algorithm); non-numeric
// values are ignored.
type aggAccStdDev struct {
	sample   bool
	n        float64
	mean, m2 float64
}

func (a *aggAccStdDev) Add(v bson.RawValue) error {
	f, ok := value.ToFloat(v)
	if !ok || !value.IsNumber(v) {
		return nil
	}
	a.n++
	d := f - a.mean
	a.mean += d / a.n
	a.m2 += d * (f - a.mean)
	return nil
}

func (a *aggAccStdDev) Result() bson.RawValue {
	div := a.n
	if a.sample {
		div--
	}
	if div <= 0 {
		return value.Null
	}
	return value.Double(math.Sqrt(a.m2 / div))
}

// GroupKey returns a string equal for exactly the values that MongoDB's
// comparison treats as equal (1, 1.0 and NumberLong(1) share a key; null,
// undefined and missing share a key), so groups and sets can use a map.
func GroupKey(v bson.RawValue) string {
	var b strings.Builder
	aggWriteKey(&b, v)
	return b.String()
}

// aggWriteKey appends v's group key to b; strings are length-prefixed so composite keys cannot collide.
func aggWriteKey(b *strings.Builder, v bson.RawValue) {
	writeStr := func(tag byte, s string) {
		b.WriteByte(tag)
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		b.WriteByte('z')
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		n, _ := aggNumOf(v)
		f := n.float()
		switch {
		case n.kind == aggKindDouble && math.IsNaN(f), n.kind == aggKindDecimal && n.r == nil && math.IsNaN(f):
			writeStr('n', "nan")
		case n.kind <= aggKindLong:
			writeStr('n', strconv.FormatInt(n.i, 10))
		case math.IsInf(f, 0) && (n.kind == aggKindDouble || n.r == nil):
			writeStr('n', strconv.FormatFloat(f, 'g', -1, 64))
		default:
			r := n.rat()
			if r == nil {
				writeStr('n', "nan")
			} else if r.IsInt() {
				writeStr('n', r.Num().String())
			} else {
				writeStr('n', r.RatString())
			}
		}
	case bson.TypeString, bson.TypeSymbol:
		s, ok := v.StringValueOK()
		if !ok {
			s, _ = v.SymbolOK()
		}
		writeStr('s', s)
	case bson.TypeEmbeddedDocument:
		b.WriteByte('{')
		elems, _ := v.Document().Elements()
		for _, el := range elems {
			writeStr('k', el.Key())
			aggWriteKey(b, el.Value())
		}
		b.WriteByte('}')
	case bson.TypeArray:
		b.WriteByte('[')
		for _, e := range value.Values(v) {
			aggWriteKey(b, e)
		}
		b.WriteByte(']')
	default:
		writeStr(byte('A'+int(v.Type)%26), strconv.Itoa(int(v.Type))+"/"+string(v.Value))
	}
}
