package expr

import (
	"math"
	"math/big"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// Accumulator folds the values of one group ($group's accumulators).
// add may fail (for example $mergeObjects on a non-document).
//
// A $group that outgrows its memory limit spills its groups' states
// (Partial) to disk and later folds the states of one group together
// (Merge), in input order: Merge(p) must leave the accumulator as if the
// values behind p had been added after its own. Size is the approximate
// memory the state holds, which the limit counts. Values kept by an
// accumulator are copies, never slices of the input documents, so a kept
// value does not hold a whole document in memory.
type Accumulator interface {
	Add(v bson.RawValue) error
	Result() bson.RawValue
	Partial() bson.RawValue
	Merge(partial bson.RawValue) error
	Size() int
}

// accFixedSize is the approximate memory of an accumulator's fixed state.
const accFixedSize = 64

// copyValue returns v with its own copy of the bytes.
func copyValue(v bson.RawValue) bson.RawValue {
	if v.Type == 0 {
		return v
	}
	return bson.RawValue{Type: v.Type, Value: append([]byte(nil), v.Value...)}
}

// partialDoc builds the document {k0: v0, k1: v1, ...} of a partial state;
// missing values are left out.
func partialDoc(kv ...any) bson.RawValue {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i := 0; i+1 < len(kv); i += 2 {
		dst = value.AppendElem(dst, kv[i].(string), kv[i+1].(bson.RawValue))
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst)
}

// partialField returns field k of a partial state (missing when absent).
func partialField(p bson.RawValue, k string) bson.RawValue {
	d, ok := p.DocumentOK()
	if !ok {
		return bson.RawValue{}
	}
	v, err := d.LookupErr(k)
	if err != nil {
		return bson.RawValue{}
	}
	return v
}

// accumulators maps the names of the accumulators whose argument is one
// expression to their constructors (CompileAccumulator).
var accumulators = map[string]func() Accumulator{
	"$sum":          func() Accumulator { return &accSum{sum: number{kind: kindInt}} },
	"$avg":          func() Accumulator { return &accSum{sum: number{kind: kindInt}, avg: true} },
	"$min":          func() Accumulator { return &accMinMax{sign: -1} },
	"$max":          func() Accumulator { return &accMinMax{sign: 1} },
	"$first":        func() Accumulator { return &accFirstLast{first: true} },
	"$last":         func() Accumulator { return &accFirstLast{} },
	"$push":         func() Accumulator { return &accPush{} },
	"$addToSet":     func() Accumulator { return &accPush{set: map[string]bool{}} },
	"$count":        func() Accumulator { return &accSum{sum: number{kind: kindInt}, count: true} },
	"$mergeObjects": func() Accumulator { return &accMerge{} },
	"$stdDevPop":    func() Accumulator { return &accStdDev{} },
	"$stdDevSamp":   func() Accumulator { return &accStdDev{sample: true} },
}

// accSum is $sum, $avg and $count: non-numeric values are ignored; the
// sum widens int -> long -> double like $add.
type accSum struct {
	sum   number
	n     int64
	avg   bool
	count bool
}

// Add implements Accumulator.
func (a *accSum) Add(v bson.RawValue) error {
	if a.count {
		a.sum = arith(opAdd, a.sum, number{kind: kindInt, i: 1})
		return nil
	}
	n, ok := numOf(v)
	if !ok {
		return nil
	}
	a.sum = arith(opAdd, a.sum, n)
	a.n++
	return nil
}

// Partial implements Accumulator.
func (a *accSum) Partial() bson.RawValue {
	return partialDoc("s", a.sum.value(), "n", value.Int64(a.n))
}

// Merge implements Accumulator.
func (a *accSum) Merge(p bson.RawValue) error {
	if n, ok := numOf(partialField(p, "s")); ok {
		a.sum = arith(opAdd, a.sum, n)
	}
	if n, ok := partialField(p, "n").Int64OK(); ok {
		a.n += n
	}
	return nil
}

// Size implements Accumulator.
func (a *accSum) Size() int { return accFixedSize }

// Result implements Accumulator.
func (a *accSum) Result() bson.RawValue {
	if !a.avg {
		return a.sum.value()
	}
	if a.n == 0 {
		return value.Null
	}
	if a.sum.kind == kindDecimal {
		if r := a.sum.rat(); r != nil {
			return decValue(r.Quo(r, new(big.Rat).SetInt64(a.n)), a.sum.exp)
		}
	}
	return value.Double(a.sum.float() / float64(a.n))
}

// accMinMax is $min (sign -1) and $max (sign 1); null and missing values
// are ignored, and a group without other values gives null.
type accMinMax struct {
	sign int
	best bson.RawValue
}

// Add implements Accumulator.
func (a *accMinMax) Add(v bson.RawValue) error {
	if value.IsNullish(v) {
		return nil
	}
	if a.best.Type == 0 || compare(v, a.best)*a.sign > 0 {
		a.best = copyValue(v)
	}
	return nil
}

// Partial implements Accumulator.
func (a *accMinMax) Partial() bson.RawValue { return partialDoc("v", a.best) }

// Merge implements Accumulator.
func (a *accMinMax) Merge(p bson.RawValue) error { return a.Add(partialField(p, "v")) }

// Size implements Accumulator.
func (a *accMinMax) Size() int { return accFixedSize + len(a.best.Value) }

// Result implements Accumulator.
func (a *accMinMax) Result() bson.RawValue {
	if a.best.Type == 0 {
		return value.Null
	}
	return a.best
}

// accFirstLast is $first and $last; a missing value is reported as null.
type accFirstLast struct {
	first bool
	seen  bool
	v     bson.RawValue
}

// Add implements Accumulator.
func (a *accFirstLast) Add(v bson.RawValue) error {
	if a.first && a.seen {
		return nil
	}
	a.seen = true
	a.v = copyValue(v)
	return nil
}

// Partial implements Accumulator.
func (a *accFirstLast) Partial() bson.RawValue {
	return partialDoc("seen", value.Bool(a.seen), "v", a.v)
}

// Merge implements Accumulator.
func (a *accFirstLast) Merge(p bson.RawValue) error {
	if seen, _ := partialField(p, "seen").BooleanOK(); !seen || (a.first && a.seen) {
		return nil
	}
	a.seen = true
	a.v = copyValue(partialField(p, "v"))
	return nil
}

// Size implements Accumulator.
func (a *accFirstLast) Size() int { return accFixedSize + len(a.v.Value) }

// Result implements Accumulator.
func (a *accFirstLast) Result() bson.RawValue {
	if a.v.Type == 0 {
		return value.Null
	}
	return a.v
}

// accPush is $push and, with set non-nil, $addToSet (first-seen order);
// missing values are skipped.
type accPush struct {
	vals []bson.RawValue
	set  map[string]bool
	size int
}

// Add implements Accumulator.
func (a *accPush) Add(v bson.RawValue) error {
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
	a.vals = append(a.vals, copyValue(v))
	a.size += 16 + len(v.Value)
	return nil
}

// Partial implements Accumulator.
func (a *accPush) Partial() bson.RawValue { return value.Array(a.vals) }

// Merge implements Accumulator.
func (a *accPush) Merge(p bson.RawValue) error {
	for _, v := range value.Values(p) {
		if err := a.Add(v); err != nil {
			return err
		}
	}
	return nil
}

// Size implements Accumulator.
func (a *accPush) Size() int { return accFixedSize + a.size }

// Result implements Accumulator.
func (a *accPush) Result() bson.RawValue { return value.Array(a.vals) }

// accMerge is the $mergeObjects accumulator.
type accMerge struct{ merged bson.RawValue }

// Add implements Accumulator.
func (a *accMerge) Add(v bson.RawValue) error {
	if value.IsNullish(v) {
		return nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return codes.New(40400, "$mergeObjects requires object inputs, but input %s is of type %s", FormatValue(v), value.TypeNameOf(v))
	}
	if a.merged.Type == 0 {
		a.merged = copyValue(v)
		return nil
	}
	m, err := mergeObjects([]bson.RawValue{a.merged, v})
	if err != nil {
		return err
	}
	a.merged = m
	return nil
}

// Partial implements Accumulator.
func (a *accMerge) Partial() bson.RawValue { return partialDoc("v", a.merged) }

// Merge implements Accumulator.
func (a *accMerge) Merge(p bson.RawValue) error { return a.Add(partialField(p, "v")) }

// Size implements Accumulator.
func (a *accMerge) Size() int { return accFixedSize + len(a.merged.Value) }

// Result implements Accumulator.
func (a *accMerge) Result() bson.RawValue {
	if a.merged.Type == 0 {
		return value.Doc(value.EmptyDoc)
	}
	return a.merged
}

// accStdDev is $stdDevPop/$stdDevSamp (Welford's algorithm); non-numeric
// values are ignored.
type accStdDev struct {
	sample   bool
	n        float64
	mean, m2 float64
}

// Add implements Accumulator.
func (a *accStdDev) Add(v bson.RawValue) error {
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

// Partial implements Accumulator.
func (a *accStdDev) Partial() bson.RawValue {
	return partialDoc("n", value.Double(a.n), "mean", value.Double(a.mean), "m2", value.Double(a.m2))
}

// Merge combines two Welford states (Chan, Golub and LeVeque's pairwise
// update).
func (a *accStdDev) Merge(p bson.RawValue) error {
	n, _ := partialField(p, "n").DoubleOK()
	if n == 0 {
		return nil
	}
	mean, _ := partialField(p, "mean").DoubleOK()
	m2, _ := partialField(p, "m2").DoubleOK()
	total := a.n + n
	d := mean - a.mean
	a.mean += d * n / total
	a.m2 += m2 + d*d*a.n*n/total
	a.n = total
	return nil
}

// Size implements Accumulator.
func (a *accStdDev) Size() int { return accFixedSize }

// Result implements Accumulator.
func (a *accStdDev) Result() bson.RawValue {
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
	return string(AppendGroupKey(nil, v))
}

// AppendGroupKey appends v's GroupKey to dst and returns the extended
// slice. A caller that looks the key up in a map (m[string(b)]) and reuses
// its buffer allocates nothing for a key it has seen.
func AppendGroupKey(dst []byte, v bson.RawValue) []byte {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return append(dst, 'z')
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		n, _ := numOf(v)
		f := n.float()
		var num [24]byte
		switch {
		case n.kind == kindDouble && math.IsNaN(f), n.kind == kindDecimal && n.r == nil && math.IsNaN(f):
			return appendTagged(dst, 'n', "nan")
		case n.kind <= kindLong:
			return appendTagged(dst, 'n', strconv.AppendInt(num[:0], n.i, 10))
		case n.kind == kindDouble && f == math.Trunc(f) && math.Abs(f) < 1<<63:
			// An integral double's rational is the integer itself.
			return appendTagged(dst, 'n', strconv.AppendInt(num[:0], int64(f), 10))
		case math.IsInf(f, 0) && (n.kind == kindDouble || n.r == nil):
			return appendTagged(dst, 'n', strconv.AppendFloat(num[:0], f, 'g', -1, 64))
		}
		r := n.rat()
		switch {
		case r == nil:
			return appendTagged(dst, 'n', "nan")
		case r.IsInt():
			return appendTagged(dst, 'n', r.Num().Append(num[:0], 10))
		}
		return appendTagged(dst, 'n', r.RatString())
	case bson.TypeString, bson.TypeSymbol:
		return appendTagged(dst, 's', value.StringBytes(v.Value))
	case bson.TypeEmbeddedDocument:
		dst = append(dst, '{')
		elems, _ := bsoncore.Document(v.Value).Elements()
		for _, el := range elems {
			dst = appendTagged(dst, 'k', el.KeyBytes())
			dst = AppendGroupKey(dst, bson.RawValue{Type: bson.Type(el.Value().Type), Value: el.Value().Data})
		}
		return append(dst, '}')
	case bson.TypeArray:
		dst = append(dst, '[')
		for _, e := range value.Values(v) {
			dst = AppendGroupKey(dst, e)
		}
		return append(dst, ']')
	}
	var s []byte
	s = strconv.AppendInt(s, int64(v.Type), 10)
	s = append(s, '/')
	s = append(s, v.Value...)
	return appendTagged(dst, byte('A'+int(v.Type)%26), s)
}

// appendTagged appends tag, the length of s, ':' and s: strings are
// length-prefixed so composite keys cannot collide.
func appendTagged[S string | []byte](dst []byte, tag byte, s S) []byte {
	dst = append(dst, tag)
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	return append(dst, s...)
}
