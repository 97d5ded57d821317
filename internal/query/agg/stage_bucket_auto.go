package agg

import (
	"math"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $bucketAuto. As mongod does, it sorts the documents by
// their groupBy value ($sort's spilling applies: each document travels
// as {k: value, d: document}), then fills buckets of about n/buckets
// documents each in order, keeping equal values (or, with a granularity,
// values below the rounded boundary) in one bucket.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucketAuto/

// bucketAutoStage is a compiled $bucketAuto.
type bucketAutoStage struct {
	groupBy     *expr.Expr
	buckets     int64
	names       []string
	accs        []func() expr.Accumulator
	args        []*expr.Expr
	granularity *granularity
	sort        sortStage
	coll        value.StringComparer // the pipeline's collation, for bucket boundaries
}

// compileBucketAuto compiles {groupBy, buckets, output, granularity}.
func compileBucketAuto(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(40240, "The argument to $bucketAuto must be an object, but found type: %s", value.TypeNameOf(arg))
	}
	elems, _ := arg.Document().Elements()
	st := &bucketAutoStage{}
	haveBuckets := false
	var output bson.RawValue
	var err error
	for _, el := range elems {
		v := el.Value()
		switch el.Key() {
		case "groupBy":
			if !(v.Type == bson.TypeString && strings.HasPrefix(stringOf(v), "$")) && !expr.IsExpressionObject(v) {
				return nil, codes.New(40239, "The $bucketAuto 'groupBy' field must be defined as a $-prefixed path or an expression object, but found: %s.", expr.FormatValue(v))
			}
			if st.groupBy, err = expr.CompileIn(v, scope); err != nil {
				return nil, err
			}
		case "buckets":
			if !value.IsNumber(v) {
				return nil, codes.New(40241, "The $bucketAuto 'buckets' field must be a numeric value, but found type: %s", value.TypeNameOf(v))
			}
			n, ok := expr.ExactInt(v)
			if !ok || n < math.MinInt32 || n > math.MaxInt32 {
				f, _ := value.ToFloat(v)
				return nil, codes.New(40242, "The $bucketAuto 'buckets' field must be representable as a 32-bit integer, but found %v", f)
			}
			st.buckets, haveBuckets = n, true
		case "output":
			if v.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(40244, "The $bucketAuto 'output' field must be an object, but found type: %s", value.TypeNameOf(v))
			}
			output = v
		case "granularity":
			s, ok := v.StringValueOK()
			if !ok {
				return nil, codes.New(40261, "The $bucketAuto 'granularity' field must be a string, but found type: %s", value.TypeNameOf(v))
			}
			g := granularities[s]
			if g == nil {
				return nil, codes.New(40257, "Unknown rounding granularity '%s'", s)
			}
			st.granularity = g
		default:
			return nil, codes.New(40245, "Unrecognized option to $bucketAuto: %s", el.Key())
		}
	}
	if st.groupBy == nil || !haveBuckets {
		return nil, codes.New(40246, "$bucketAuto requires 'groupBy' and 'buckets' to be specified")
	}
	if st.buckets <= 0 {
		return nil, codes.New(40243, "The $bucketAuto 'buckets' field must be greater than 0, but found: %d", st.buckets)
	}
	if output.Type == 0 {
		output = doc("count", doc("$sum", value.Int32(1)))
	}
	// The output fields are those of a $group, whose checks they share.
	idx, spec := bsoncore.AppendDocumentStart(nil)
	spec = value.AppendElem(spec, "_id", value.Null)
	outs, _ := output.Document().Elements()
	for _, el := range outs {
		spec = append(spec, el...)
	}
	spec, _ = bsoncore.AppendDocumentEnd(spec, idx)
	g, err := compileGroup("$group", value.Doc(spec), scope)
	if err != nil {
		return nil, err
	}
	grp := g.(*groupStage)
	st.names, st.accs, st.args = grp.names, grp.accs, grp.args
	s, err := order.CompileColl(bsoncore.BuildDocument(nil, bsoncore.AppendInt32Element(nil, "k", 1)), scope.Comparer())
	st.coll = scope.Comparer()
	if err != nil {
		return nil, err
	}
	st.sort = sortStage{sort: s}
	return st, nil
}

// open implements stage.
func (st *bucketAutoStage) open(r *run, in Iterator) Iterator {
	it := &bucketAutoIter{r: r, st: st}
	wrapped := mapStage(func(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
		k, err := st.groupBy.EvalIn(d, r.vars)
		if err != nil {
			return out, err
		}
		if k.Type == 0 {
			k = value.Null
		}
		if st.granularity != nil {
			if err := checkGranular(k, 40258, 40259, 40260); err != nil {
				return out, err
			}
		}
		it.n++
		return append(out, bson.Raw(doc("k", k, "d", value.Doc(d)).Value)), nil
	}).open(r, in)
	it.in = st.sort.open(r, wrapped)
	return it
}

// checkGranular applies a granularity's checks to a value, with the
// codes of the caller (a key, or a value being rounded).
func checkGranular(k bson.RawValue, notNumber, nan, negative codes.Code) error {
	if !value.IsNumber(k) {
		return codes.New(notNumber, "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a value with type: %s", value.TypeNameOf(k))
	}
	f, _ := value.ToFloat(k)
	if math.IsNaN(f) {
		return codes.New(nan, "$bucketAuto can specify a 'granularity' with numeric boundaries only, but found a NaN")
	}
	if f < 0 {
		return codes.New(negative, "$bucketAuto can specify a 'granularity' with non-negative numbers only, but found a negative number")
	}
	return nil
}

// bucketAutoIter outputs the buckets one at a time from the sorted input.
type bucketAutoIter struct {
	r        *run
	st       *bucketAutoStage
	in       Iterator
	n        int64 // documents read, known once the sort has its input
	size     int64
	num      int64 // buckets output
	pending  bson.Raw
	started  bool
	prevMax  bson.RawValue
	havePrev bool
	err      error
}

// Next implements Iterator.
func (it *bucketAutoIter) Next() (bson.Raw, error) {
	if it.err != nil {
		return nil, it.err
	}
	d, err := it.next()
	it.err = err
	return d, err
}

// pull returns the next sorted entry (nil at the end).
func (it *bucketAutoIter) pull() (bson.Raw, error) {
	if it.pending != nil {
		d := it.pending
		it.pending = nil
		return d, nil
	}
	return it.in.Next()
}

// next builds the next bucket.
func (it *bucketAutoIter) next() (bson.Raw, error) {
	if !it.started {
		it.started = true
		d, err := it.in.Next() // the sort reads its whole input here
		if err != nil || d == nil {
			return nil, err
		}
		it.pending = d
		it.size = int64(math.Round(float64(it.n) / float64(it.st.buckets)))
		if it.size < 1 {
			it.size = 1
		}
	}
	if it.num >= it.st.buckets {
		return nil, nil
	}
	first, err := it.pull()
	if err != nil || first == nil {
		return nil, err
	}
	it.num++
	st := it.st
	accs := make([]expr.Accumulator, len(st.accs))
	for i, mk := range st.accs {
		accs[i] = mk()
	}
	var max bson.RawValue
	add := func(e bson.Raw) error {
		max = e.Lookup("k")
		d := e.Lookup("d").Document()
		for i, a := range st.args {
			v, err := a.EvalIn(d, it.r.vars)
			if err != nil {
				return err
			}
			if err := accs[i].Add(v); err != nil {
				return err
			}
		}
		return nil
	}
	min := first.Lookup("k")
	if err := add(first); err != nil {
		return nil, err
	}
	last := it.num == st.buckets
	var next bson.Raw
	for i := int64(1); ; i++ {
		if next, err = it.pull(); err != nil {
			return nil, err
		}
		if next == nil || !(i < it.size || last) {
			break
		}
		if err := add(next); err != nil {
			return nil, err
		}
	}
	if g := st.granularity; g != nil {
		if it.havePrev {
			min = it.prevMax
		} else {
			min = g.roundDown(min)
		}
		bound := g.roundUp(max)
		for next != nil && (value.CompareWith(bound, next.Lookup("k"), st.coll) > 0 || value.CompareWith(max, next.Lookup("k"), st.coll) == 0) {
			if err := add(next); err != nil {
				return nil, err
			}
			if next, err = it.pull(); err != nil {
				return nil, err
			}
		}
		if f, _ := value.ToFloat(bound); f == 0 && next != nil {
			max = g.roundDown(next.Lookup("k"))
		} else {
			max = bound
		}
	} else {
		for next != nil && value.CompareWith(max, next.Lookup("k"), st.coll) == 0 {
			if err := add(next); err != nil {
				return nil, err
			}
			if next, err = it.pull(); err != nil {
				return nil, err
			}
		}
		if next != nil {
			max = next.Lookup("k")
		}
	}
	it.pending = next
	it.prevMax, it.havePrev = max, true
	idx, out := bsoncore.AppendDocumentStart(nil)
	out = value.AppendElem(out, "_id", doc("min", min, "max", max))
	for i, name := range st.names {
		v := accs[i].Result()
		if v.Type == 0 {
			v = value.Null
		}
		out = value.AppendElem(out, name, v)
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return out, nil
}

// Close implements Iterator.
func (it *bucketAutoIter) Close() error { return it.in.Close() }

// granularity is a $bucketAuto rounding: a preferred number series
// (scaled by powers of ten) or the powers of two.
type granularity struct {
	series   []float64
	powersOf bool
}

// granularities are mongod's series, with its values
// (src/mongo/db/pipeline/granularity_rounder_preferred_numbers.cpp).
var granularities = map[string]*granularity{
	"R5":  {series: []float64{10, 16, 25, 40, 63}},
	"R10": {series: []float64{100, 125, 160, 200, 250, 315, 400, 500, 630, 800}},
	"R20": {series: []float64{100, 112, 125, 140, 160, 180, 200, 224, 250, 280, 315, 355, 400, 450, 500, 560, 630, 710, 800, 900}},
	"R40": {series: []float64{100, 106, 112, 118, 125, 132, 140, 150, 160, 170, 180, 190, 200, 212, 224, 236, 250, 265, 280, 300,
		315, 355, 375, 400, 425, 450, 475, 500, 530, 560, 600, 630, 670, 710, 750, 800, 850, 900, 950}},
	"R80": {series: []float64{103, 109, 115, 122, 128, 136, 145, 155, 165, 175, 185, 195, 206, 218, 230, 243, 258, 272, 290, 307,
		325, 345, 365, 387, 412, 437, 462, 487, 515, 545, 575, 615, 650, 690, 730, 775, 825, 875, 925, 975}},
	"1-2-5": {series: []float64{10, 20, 50}},
	"E6":    {series: []float64{10, 15, 22, 33, 47, 68}},
	"E12":   {series: []float64{10, 12, 15, 18, 22, 27, 33, 39, 47, 56, 68, 82}},
	"E24":   {series: []float64{10, 11, 12, 13, 15, 16, 18, 20, 22, 24, 27, 30, 33, 36, 39, 43, 47, 51, 56, 62, 68, 75, 82, 91}},
	"E48": {series: []float64{100, 105, 110, 115, 121, 127, 133, 140, 147, 154, 162, 169, 178, 187, 196, 205, 215, 226, 237, 249,
		261, 274, 287, 301, 316, 332, 348, 365, 383, 402, 422, 442, 464, 487, 511, 536, 562, 590, 619, 649, 681, 715, 750, 787, 825,
		866, 909, 953}},
	"E96": {series: []float64{100, 102, 105, 107, 110, 113, 115, 118, 121, 124, 127, 130, 133, 137, 140, 143, 147, 150, 154, 158,
		162, 165, 169, 174, 178, 182, 187, 191, 196, 200, 205, 210, 215, 221, 226, 232, 237, 243, 249, 255, 261, 267, 274, 280, 287,
		294, 301, 309, 316, 324, 332, 340, 348, 357, 365, 374, 383, 392, 402, 412, 422, 432, 442, 453, 464, 475, 487, 499, 511, 523,
		536, 549, 562, 576, 590, 604, 619, 634, 649, 665, 681, 698, 715, 732, 750, 768, 787, 806, 825, 845, 866, 887, 909, 931, 953, 976}},
	"E192": {series: []float64{100, 101, 102, 104, 105, 106, 107, 109, 110, 111, 113, 114, 115, 117, 118, 120, 121, 123, 124, 126,
		127, 129, 130, 132, 133, 135, 137, 138, 140, 142, 143, 145, 147, 149, 150, 152, 154, 156, 158, 160, 162, 164, 165, 167, 169,
		172, 174, 176, 178, 180, 182, 184, 187, 189, 191, 193, 196, 198, 200, 203, 205, 208, 210, 213, 215, 218, 221, 223, 226, 229,
		232, 234, 237, 240, 243, 246, 249, 252, 255, 258, 261, 264, 267, 271, 274, 277, 280, 284, 287, 291, 294, 298, 301, 305, 309,
		312, 316, 320, 324, 328, 332, 336, 340, 344, 348, 352, 357, 361, 365, 370, 374, 379, 383, 388, 392, 397, 402, 407, 412, 417,
		422, 427, 432, 437, 442, 448, 453, 459, 464, 470, 475, 481, 487, 493, 499, 505, 511, 517, 523, 530, 536, 542, 549, 556, 562,
		569, 576, 583, 590, 597, 604, 612, 619, 626, 634, 642, 649, 657, 665, 673, 681, 690, 698, 706, 715, 723, 732, 741, 750, 759,
		768, 777, 787, 796, 806, 816, 825, 835, 845, 856, 866, 876, 887, 898, 909, 920, 931, 942, 953, 965, 976, 988}},
	"POWERSOF2": {powersOf: true},
}

// roundUp returns the least series value strictly above v (v itself for
// 0), as mongod's rounders do; numbers only (checked by the caller).
func (g *granularity) roundUp(v bson.RawValue) bson.RawValue {
	f, _ := value.ToFloat(v)
	if f == 0 {
		return v
	}
	if g.powersOf {
		return powerOf2(v, math.Floor(math.Log2(f))+1)
	}
	s := g.series
	m := 1.0
	for f >= s[len(s)-1]*m {
		m *= 10
	}
	for f < s[0]*m {
		prevMin := s[0] * m
		m /= 10
		if f >= s[len(s)-1]*m {
			return value.Double(prevMin)
		}
	}
	i := sort.Search(len(s), func(i int) bool { return f < s[i]*m })
	return value.Double(s[i] * m)
}

// roundDown returns the greatest series value strictly below v (v itself
// for 0).
func (g *granularity) roundDown(v bson.RawValue) bson.RawValue {
	f, _ := value.ToFloat(v)
	if f == 0 {
		return v
	}
	if g.powersOf {
		return powerOf2(v, math.Ceil(math.Log2(f))-1)
	}
	s := g.series
	m := 1.0
	for f <= s[0]*m {
		m /= 10
	}
	for f > s[len(s)-1]*m {
		prevMax := s[len(s)-1] * m
		m *= 10
		if f <= s[0]*m {
			return value.Double(prevMax)
		}
	}
	i := sort.Search(len(s), func(i int) bool { return s[i]*m >= f })
	return value.Double(s[i-1] * m)
}

// powerOf2 is 2^exp in v's type family: an int or long for an integer
// (a long past int's range), a double otherwise.
func powerOf2(v bson.RawValue, exp float64) bson.RawValue {
	p := math.Exp2(exp)
	switch v.Type {
	case bson.TypeInt32:
		if p <= math.MaxInt32 {
			return value.Int32(int32(p))
		}
		fallthrough
	case bson.TypeInt64:
		if p < math.MaxInt64 {
			return value.Int64(int64(p))
		}
	}
	return value.Double(p)
}
