package agg

import (
	"math"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $densify. As in mongod, the stage is a $sort (on the
// partition fields and the field; on the field alone for "full" bounds)
// followed by a stage that streams the sorted documents and inserts,
// before each one, the documents missing on the grid of step values: a
// partition's grid starts at its first value ("partition"), at the least
// value of all ("full") or at the lower bound (explicit bounds); a value
// off the grid is passed on without moving it. Generated documents hold
// the field and the partition fields only. Documents whose field is null
// or missing pass unchanged.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/densify/

// maxDensifyDocs is mongod's internalQueryMaxAllowedDensifyDocs.
const maxDensifyDocs = 500000

// densifyBounds is the kind of a $densify range.
type densifyBounds int

const (
	densifyFull densifyBounds = iota
	densifyPartition
	densifyExplicit
)

// densifyStage is a compiled $densify.
type densifyStage struct {
	field      []string
	partitions [][]string
	bounds     densifyBounds
	lo, hi     densifyValue
	step       densifyValue
	unit       string
	sort       sortStage
}

// densifyValue is a number or a date (ms) on the densify grid.
type densifyValue struct {
	date  bool
	float bool
	i     int64
	f     float64
	// int32 keeps a generated number an int when its inputs are.
	int32 bool
}

// densifyValueOf reads a field value; ok is false for other types.
func densifyValueOf(v bson.RawValue) (densifyValue, bool) {
	switch v.Type {
	case bson.TypeDateTime:
		return densifyValue{date: true, i: v.DateTime()}, true
	case bson.TypeInt32:
		return densifyValue{i: int64(v.Int32()), int32: true}, true
	case bson.TypeInt64:
		return densifyValue{i: v.Int64()}, true
	case bson.TypeDouble, bson.TypeDecimal128:
		f, _ := value.ToFloat(v)
		return densifyValue{float: true, f: f}, true
	}
	return densifyValue{}, false
}

// num returns a number as a float.
func (d densifyValue) num() float64 {
	if d.float {
		return d.f
	}
	return float64(d.i)
}

// cmp orders two values of the same kind.
func (d densifyValue) cmp(o densifyValue) int {
	if !d.float && !o.float {
		switch {
		case d.i < o.i:
			return -1
		case d.i > o.i:
			return 1
		}
		return 0
	}
	a, b := d.num(), o.num()
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// raw is the value as BSON.
func (d densifyValue) raw() bson.RawValue {
	switch {
	case d.date:
		return value.Date(d.i)
	case d.float:
		return value.Double(d.f)
	case d.int32 && d.i >= math.MinInt32 && d.i <= math.MaxInt32:
		return value.Int32(int32(d.i))
	}
	return value.Int64(d.i)
}

// add moves d by n steps (n = -1 steps back).
func (s *densifyStage) add(d densifyValue, n int64) densifyValue {
	if d.date {
		ms := d.i
		if t, ok := expr.AddDateUnits(time.UnixMilli(ms), s.unit, n*s.step.i); ok {
			ms = t.UnixMilli()
		} else if n > 0 {
			ms = math.MaxInt64
		} else {
			ms = math.MinInt64
		}
		return densifyValue{date: true, i: ms}
	}
	if d.float || s.step.float {
		return densifyValue{float: true, f: d.num() + float64(n)*s.step.num()}
	}
	r := densifyValue{i: d.i + n*s.step.i, int32: d.int32 && s.step.int32}
	if (n > 0) != (r.i > d.i) {
		return densifyValue{float: true, f: d.num() + float64(n)*s.step.num()}
	}
	return r
}

// compileDensify compiles {field, partitionByFields, range: {step, unit, bounds}}.
func compileDensify(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "The $densify stage specification must be an object, found %s", value.TypeNameOf(arg))
	}
	elems, _ := arg.Document().Elements()
	var field, parts, rng bson.RawValue
	for _, el := range elems {
		switch el.Key() {
		case "field":
			field = el.Value()
		case "partitionByFields":
			parts = el.Value()
		case "range":
			rng = el.Value()
		default:
			return nil, codes.New(40415, "BSON field '$densify.%s' is an unknown field.", el.Key())
		}
	}
	if field.Type == 0 {
		return nil, codes.New(40414, "BSON field '$densify.field' is missing but a required field")
	}
	if rng.Type == 0 {
		return nil, codes.New(40414, "BSON field '$densify.range' is missing but a required field")
	}
	f, ok := field.StringValueOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "BSON field '$densify.field' is the wrong type '%s', expected type 'string'", value.TypeNameOf(field))
	}
	if strings.HasPrefix(f, "$") {
		return nil, codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
	}
	s := &densifyStage{}
	var err error
	if s.field, err = expr.SplitPath(f); err != nil {
		return nil, err
	}
	sortSpec := bsoncore.NewDocumentBuilder()
	if parts.Type != 0 {
		if parts.Type != bson.TypeArray {
			return nil, codes.New(codes.TypeMismatch, "BSON field '$densify.partitionByFields' is the wrong type '%s', expected type 'array'", value.TypeNameOf(parts))
		}
		for _, p := range value.Values(parts) {
			ps, ok := p.StringValueOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$densify.partitionByFields' must hold strings, found %s", value.TypeNameOf(p))
			}
			if strings.HasPrefix(ps, "$") {
				return nil, codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
			}
			path, err := expr.SplitPath(ps)
			if err != nil {
				return nil, err
			}
			s.partitions = append(s.partitions, path)
		}
	}
	if err := s.parseRange(rng); err != nil {
		return nil, err
	}
	if s.bounds == densifyPartition && len(s.partitions) == 0 {
		return nil, codes.New(5733408, "One cannot specify the bounds as 'partition' without specifying a non-empty array of partitionByFields. You may have meant to specify 'full' bounds.")
	}
	if s.bounds != densifyFull {
		for _, p := range s.partitions {
			sortSpec.AppendInt32(strings.Join(p, "."), 1)
		}
	}
	sortSpec.AppendInt32(f, 1)
	srt, err := order.Compile(bson.Raw(sortSpec.Build()))
	if err != nil {
		return nil, err
	}
	s.sort = sortStage{sort: srt}
	return s, nil
}

// parseRange reads {step, unit, bounds}.
func (s *densifyStage) parseRange(rng bson.RawValue) error {
	d, ok := rng.DocumentOK()
	if !ok {
		return codes.New(codes.TypeMismatch, "BSON field '$densify.range' is the wrong type '%s', expected type 'object'", value.TypeNameOf(rng))
	}
	elems, _ := d.Elements()
	var step, unit, bounds bson.RawValue
	for _, el := range elems {
		switch el.Key() {
		case "step":
			step = el.Value()
		case "unit":
			unit = el.Value()
		case "bounds":
			bounds = el.Value()
		default:
			return codes.New(40415, "BSON field '$densify.range.%s' is an unknown field.", el.Key())
		}
	}
	if step.Type == 0 {
		return codes.New(40414, "BSON field '$densify.range.step' is missing but a required field")
	}
	if bounds.Type == 0 {
		return codes.New(40414, "BSON field '$densify.range.bounds' is missing but a required field")
	}
	sv, ok := densifyValueOf(step)
	if !ok || sv.date || !(sv.num() > 0) {
		return codes.New(5733401, "The step parameter in a range statement must be a strictly positive numeric value")
	}
	s.step = sv
	if unit.Type != 0 {
		u, ok := unit.StringValueOK()
		if !ok {
			return codes.New(codes.TypeMismatch, "BSON field '$densify.range.unit' is the wrong type '%s', expected type 'string'", value.TypeNameOf(unit))
		}
		n, integral := expr.ExactInt(step)
		if !integral {
			return codes.New(6586400, "The step parameter in a range statement must be a whole number when densifying a date range")
		}
		if !expr.IsTimeUnit(u) {
			return codes.New(codes.FailedToParse, "unknown time unit value: %s", u)
		}
		s.unit = u
		s.step = densifyValue{i: n}
	}
	switch bounds.Type {
	case bson.TypeString:
		switch bounds.StringValue() {
		case "full":
			s.bounds = densifyFull
		case "partition":
			s.bounds = densifyPartition
		default:
			return codes.New(5946802, "Bounds string must either be 'full' or 'partition'")
		}
	case bson.TypeArray:
		b := value.Values(bounds)
		if len(b) != 2 {
			return codes.New(5733403, "A bounding array in a range statement must have exactly two elements")
		}
		if value.Compare(b[0], b[1]) > 0 {
			return codes.New(5733402, "A bounding array must be an ascending array of either two dates or two numbers")
		}
		switch {
		case value.IsNumberType(b[0].Type):
			if s.unit != "" {
				return codes.New(5733409, "Numeric bounds may not have unit parameter")
			}
			if !value.IsNumberType(b[1].Type) {
				return codes.New(5733406, "A bounding array must contain either both dates or both numeric types")
			}
			if b[0].Type != b[1].Type || b[0].Type != step.Type {
				return codes.New(5876900, "Upper bound, lower bound, and step must all have the same type")
			}
		case b[0].Type == bson.TypeDateTime:
			if b[1].Type != bson.TypeDateTime {
				return codes.New(5733405, "A bounding array must contain either both dates or both numeric types")
			}
			if s.unit == "" {
				return codes.New(5733410, "A bounding array of dates must specify a unit")
			}
		default:
			return codes.New(5946800, "Explicit bounds must be numeric or dates")
		}
		s.bounds = densifyExplicit
		s.lo, _ = densifyValueOf(b[0])
		s.hi, _ = densifyValueOf(b[1])
	default:
		return codes.New(5733404, "The bounds in a range statement must be the string 'full', 'partition', or an ascending array of two numbers or two dates")
	}
	return nil
}

// open implements stage.
func (s *densifyStage) open(r *run, in Iterator) Iterator {
	return &densifyIter{r: r, in: s.sort.open(r, in), s: s, parts: map[string]*densifyPart{}}
}

// densifyPart is one partition's state: its partition field values and
// the last value on its grid it has output (none yet: have is false).
type densifyPart struct {
	key  string
	vals []bson.RawValue
	cur  densifyValue
	have bool
}

// densifyIter is $densify's iterator over the sorted input.
type densifyIter struct {
	r         *run
	in        Iterator
	s         *densifyStage
	parts     map[string]*densifyPart
	order     []*densifyPart
	min, max  densifyValue
	seen      bool
	out       []bson.Raw
	generated int
	eof       bool
	err       error
}

// Next implements Iterator.
func (it *densifyIter) Next() (bson.Raw, error) {
	for it.err == nil && len(it.out) == 0 {
		if it.eof {
			return nil, nil
		}
		it.err = it.step()
	}
	if it.err != nil {
		return nil, it.err
	}
	d := it.out[0]
	it.out[0] = nil
	it.out = it.out[1:]
	return d, nil
}

// step reads one input document (or the end) and queues the output.
func (it *densifyIter) step() error {
	d, err := it.in.Next()
	if err != nil {
		return err
	}
	if d == nil {
		it.eof = true
		return it.finish()
	}
	s := it.s
	fv := getPath(d, s.field)
	if value.IsNullish(fv) {
		it.out = append(it.out, d)
		return nil
	}
	v, ok := densifyValueOf(fv)
	if !ok {
		return codes.New(5733201, "Densify field type must be numeric or a date")
	}
	if v.date != (s.unit != "") {
		if v.date {
			return codes.New(5733501, "Unit must be specified with a date step")
		}
		return codes.New(6053600, "Encountered non-date value in collection when step has a date unit.")
	}
	p := it.partition(d)
	if !it.seen {
		it.seen, it.min = true, v
	}
	it.max = v
	switch {
	case !p.have && s.bounds == densifyPartition:
		p.cur, p.have = v, true
		it.out = append(it.out, d)
		return nil
	case !p.have && s.bounds == densifyFull:
		p.cur, p.have = s.add(it.min, -1), true
	case !p.have:
		p.cur, p.have = s.add(s.lo, -1), true
	}
	limit := v
	if s.bounds == densifyExplicit && s.hi.cmp(v) < 0 {
		limit = s.hi
	}
	if s.bounds == densifyExplicit && v.cmp(s.lo) < 0 {
		it.out = append(it.out, d)
		return nil
	}
	if err := it.generate(p, limit, false); err != nil {
		return err
	}
	if v.cmp(s.add(p.cur, 1)) == 0 && (s.bounds != densifyExplicit || v.cmp(s.hi) < 0) {
		p.cur = v
	}
	it.out = append(it.out, d)
	return nil
}

// generate queues the grid values after p.cur below limit (up to it
// when inclusive), advancing p.cur.
func (it *densifyIter) generate(p *densifyPart, limit densifyValue, inclusive bool) error {
	s := it.s
	for g := s.add(p.cur, 1); g.cmp(limit) < 0 || inclusive && g.cmp(limit) == 0; g = s.add(g, 1) {
		if g.cmp(p.cur) <= 0 {
			break // the value no longer moves (a float step lost in rounding)
		}
		it.generated++
		if it.generated > maxDensifyDocs {
			return codes.New(5897900, "Generated %d documents in $densify, which is over the limit of %d. Increase the 'internalQueryMaxAllowedDensifyDocs' parameter to allow more generated documents", it.generated, maxDensifyDocs)
		}
		if it.generated%checkEvery == 0 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				return err
			}
		}
		doc := bson.Raw(value.EmptyDoc)
		for i, path := range s.partitions {
			if p.vals[i].Type != 0 {
				doc = setPath(doc, path, p.vals[i])
			}
		}
		it.out = append(it.out, setPath(doc, s.field, g.raw()))
		p.cur = g
	}
	return nil
}

// partition returns the state of d's partition.
func (it *densifyIter) partition(d bson.Raw) *densifyPart {
	var b strings.Builder
	vals := make([]bson.RawValue, len(it.s.partitions))
	for i, path := range it.s.partitions {
		vals[i] = getPath(d, path)
		if vals[i].Type == 0 {
			b.WriteString("m|")
			continue
		}
		b.WriteString(expr.GroupKey(vals[i]))
		b.WriteByte('|')
	}
	k := b.String()
	p := it.parts[k]
	if p == nil {
		p = &densifyPart{key: k, vals: vals}
		it.parts[k] = p
		it.order = append(it.order, p)
	}
	return p
}

// finish densifies each partition to the end of its range.
func (it *densifyIter) finish() error {
	s := it.s
	parts := slices.Clone(it.order)
	slices.SortStableFunc(parts, func(a, b *densifyPart) int {
		for i := range a.vals {
			if c := value.Compare(a.vals[i], b.vals[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	switch s.bounds {
	case densifyFull:
		if len(s.partitions) == 0 || !it.seen {
			return nil
		}
		for _, p := range parts {
			if err := it.generate(p, it.max, true); err != nil {
				return err
			}
		}
	case densifyExplicit:
		if len(s.partitions) == 0 && len(parts) == 0 {
			parts = []*densifyPart{it.partition(value.EmptyDoc)}
		}
		for _, p := range parts {
			if !p.have || s.add(p.cur, 1).cmp(s.lo) < 0 {
				p.cur, p.have = s.add(s.lo, -1), true
			}
			if err := it.generate(p, s.hi, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close implements Iterator.
func (it *densifyIter) Close() error { return it.in.Close() }
