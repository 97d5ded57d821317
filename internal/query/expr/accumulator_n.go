package expr

import (
	"math"
	"slices"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the accumulators whose argument is an object rather
// than one expression: $firstN, $lastN, $maxN, $minN, $top, $bottom,
// $topN, $bottomN, $median and $percentile.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/topN/ (and the pages of the others)
//
// Such an accumulator's argument compiles to one expression that yields,
// per document, an item {n, v, k}: n the count asked for, v the output
// value and k the array of sort key values. The accumulator reads n from
// the first item; it is meant to be constant within a group, as MongoDB
// requires.

// CompileAccumulator compiles the accumulator name with its argument, as
// $group and $setWindowFields write it ({name: arg}), in scope. It
// returns the accumulator's constructor and the expression that gives
// the value to Add for each document. Errors: 15952 for an unknown name,
// 40237 for an array argument to a one-argument accumulator, and the
// argument's own errors.
func CompileAccumulator(name string, arg bson.RawValue, scope *Scope) (func() Accumulator, *Expr, error) {
	if c, ok := objectAccumulators[name]; ok {
		mk, e, err := c(name, arg, scope)
		if err != nil {
			return nil, nil, err
		}
		return collatedMaker(mk, scope.Comparer()), e, nil
	}
	mk, ok := accumulators[name]
	if !ok {
		return nil, nil, codes.New(15952, "unknown group operator '%s'", name)
	}
	if arg.Type == bson.TypeArray {
		return nil, nil, codes.New(40237, "The %s accumulator is a unary operator", name)
	}
	e, err := CompileIn(arg, scope)
	if err != nil {
		return nil, nil, err
	}
	return collatedMaker(mk, scope.Comparer()), e, nil
}

// collatedMaker returns mk whose accumulators compare under sc; with a nil sc it is mk itself, so an
// uncollated $group pays nothing.
func collatedMaker(mk func() Accumulator, sc value.StringComparer) func() Accumulator {
	if sc == nil {
		return mk
	}
	return func() Accumulator {
		a := mk()
		collate(a, sc)
		return a
	}
}

// objectAccumulators are the accumulators of this file.
var objectAccumulators map[string]func(name string, arg bson.RawValue, scope *Scope) (func() Accumulator, *Expr, error)

func init() {
	objectAccumulators = map[string]func(string, bson.RawValue, *Scope) (func() Accumulator, *Expr, error){
		"$firstN":     compileNAccumulator,
		"$lastN":      compileNAccumulator,
		"$maxN":       compileNAccumulator,
		"$minN":       compileNAccumulator,
		"$top":        compileNAccumulator,
		"$bottom":     compileNAccumulator,
		"$topN":       compileNAccumulator,
		"$bottomN":    compileNAccumulator,
		"$median":     compilePercentile,
		"$percentile": compilePercentile,
	}
}

// compileNAccumulator compiles {n, input} ($firstN, ...), {sortBy,
// output} ($top, $bottom) or {n, sortBy, output} ($topN, $bottomN).
func compileNAccumulator(name string, arg bson.RawValue, scope *Scope) (func() Accumulator, *Expr, error) {
	sorted := name == "$top" || name == "$bottom" || name == "$topN" || name == "$bottomN"
	withN := name != "$top" && name != "$bottom"
	var required []string
	switch {
	case sorted && withN:
		required = []string{"n", "sortBy", "output"}
	case sorted:
		required = []string{"sortBy", "output"}
	default:
		required = []string{"n", "input"}
	}
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, nil, codes.New(5787900, "specification must be an object; found %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, nil, codes.New(codes.InvalidBSON, "invalid %s: %v", name, err)
	}
	fields := map[string]bson.RawValue{}
	for _, el := range elems {
		if !contains(required, el.Key()) {
			return nil, nil, codes.New(5787901, "Unknown argument for '%s': %s", name, el.Key())
		}
		fields[el.Key()] = el.Value()
	}
	for _, k := range required {
		if _, ok := fields[k]; !ok {
			return nil, nil, codes.New(5787906, "Missing value for '%s' in %s", k, name)
		}
	}
	item := nItem{n: constant{v: value.Int32(1)}}
	if withN {
		if item.n, err = compile(fields["n"], scope); err != nil {
			return nil, nil, err
		}
	}
	out := fields["input"]
	if sorted {
		out = fields["output"]
	}
	if item.v, err = compile(out, scope); err != nil {
		return nil, nil, err
	}
	var dirs []int
	if sorted {
		sb := fields["sortBy"]
		if sb.Type != bson.TypeEmbeddedDocument {
			return nil, nil, codes.New(5788604, "expected 'sortBy' to already be an object in the arguments to %s", name)
		}
		keys, _ := sb.Document().Elements()
		if len(keys) == 0 {
			return nil, nil, codes.New(15976, "$sort stage must have at least one sort key")
		}
		for _, k := range keys {
			d, ok := ExactInt(k.Value())
			if !value.IsNumber(k.Value()) || !ok || d != 1 && d != -1 {
				return nil, nil, codes.New(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
			}
			path, err := SplitPath(k.Key())
			if err != nil {
				return nil, nil, err
			}
			item.keys = append(item.keys, varPath{variable: "CURRENT", path: path})
			dirs = append(dirs, int(d))
		}
	}
	mk := func() Accumulator { return &accN{name: name, dirs: dirs, n: -1} }
	return mk, &Expr{node: item}, nil
}

// nItem evaluates an accumulator item {n, v, k}: missing output values
// become null (as $push does not, but these accumulators do), missing
// sort keys null.
type nItem struct {
	n    node
	v    node
	keys []node
}

// eval implements node.
func (n nItem) eval(c *env) (bson.RawValue, error) {
	nv, err := n.n.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	v, err := n.v.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	keys := make([]bson.RawValue, len(n.keys))
	for i, k := range n.keys {
		kv, err := k.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if kv.Type == 0 {
			kv = value.Null
		}
		keys[i] = kv
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	dst = value.AppendElem(dst, "n", nv)
	if v.Type != 0 {
		dst = value.AppendElem(dst, "v", v)
	}
	dst = value.AppendElem(dst, "k", value.Array(keys))
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst), nil
}

// accN is the state of the accumulators of compileNAccumulator: the
// items kept so far, in input order ($firstN, $lastN) or best first.
type accN struct {
	name  string
	dirs  []int
	n     int64 // -1 until the first item
	items []bson.RawValue
	size  int
	err   error
	coll  value.StringComparer // orders values and sort keys
}

// setCollation implements collatedAccumulator.
func (a *accN) setCollation(sc value.StringComparer) { a.coll = sc }

// Add implements Accumulator.
func (a *accN) Add(item bson.RawValue) error {
	if a.n < 0 {
		nv := partialField(item, "n")
		n, ok := ExactInt(nv)
		if !value.IsNumber(nv) || !ok {
			return codes.New(5787902, "Value for 'n' must be of integral type, but found %s", FormatScalar(nv))
		}
		if n <= 0 {
			return codes.New(5787908, "'n' must be greater than 0, found %d", n)
		}
		a.n = n
	}
	v := partialField(item, "v")
	switch a.name {
	case "$firstN":
		if int64(len(a.items)) < a.n {
			a.keep(len(a.items), item)
		}
		return nil
	case "$lastN":
		a.keep(len(a.items), item)
		if int64(len(a.items)) > a.n {
			a.drop(0)
		}
		return nil
	case "$maxN", "$minN":
		if value.IsNullish(v) {
			return nil
		}
	}
	// Keep the items best first, then drop the worst past n. $bottom and
	// $bottomN rank in reverse sort order, where among equal items the
	// later input ranks first (their result, reversed back into sort
	// order, then keeps ties in input order); the others rank equal items
	// in input order.
	bottom := a.name == "$bottom" || a.name == "$bottomN"
	i := sort.Search(len(a.items), func(i int) bool {
		if bottom {
			return !a.less(a.items[i], item)
		}
		return a.less(item, a.items[i])
	})
	if int64(i) >= a.n {
		return nil
	}
	a.keep(i, item)
	if int64(len(a.items)) > a.n {
		a.drop(len(a.items) - 1)
	}
	return nil
}

// less reports whether item x ranks before item y: by sort keys for
// $top and $topN ($bottom and $bottomN reverse them), by value
// descending for $maxN and ascending for $minN.
func (a *accN) less(x, y bson.RawValue) bool {
	switch a.name {
	case "$maxN":
		return value.CompareWith(partialField(x, "v"), partialField(y, "v"), a.coll) > 0
	case "$minN":
		return value.CompareWith(partialField(x, "v"), partialField(y, "v"), a.coll) < 0
	}
	kx, ky := value.Values(partialField(x, "k")), value.Values(partialField(y, "k"))
	rev := a.name == "$bottom" || a.name == "$bottomN"
	for i, d := range a.dirs {
		if i >= len(kx) || i >= len(ky) {
			break
		}
		r := value.CompareWith(kx[i], ky[i], a.coll) * d
		if rev {
			r = -r
		}
		if r != 0 {
			return r < 0
		}
	}
	return false
}

// keep inserts a copy of item at i.
func (a *accN) keep(i int, item bson.RawValue) {
	item = copyValue(item)
	a.items = append(a.items, bson.RawValue{})
	copy(a.items[i+1:], a.items[i:])
	a.items[i] = item
	a.size += len(item.Value)
}

// drop removes the item at i.
func (a *accN) drop(i int) {
	a.size -= len(a.items[i].Value)
	a.items = append(a.items[:i], a.items[i+1:]...)
}

// Result implements Accumulator: the output values in sort order, nulls
// for missing ones; $top and $bottom give the one value, or null for no
// input.
func (a *accN) Result() bson.RawValue {
	out := make([]bson.RawValue, len(a.items))
	for i, it := range a.items {
		v := partialField(it, "v")
		if v.Type == 0 {
			v = value.Null
		}
		out[i] = v
	}
	if a.name == "$bottomN" {
		slices.Reverse(out)
	}
	if a.name == "$top" || a.name == "$bottom" {
		if len(out) == 0 {
			return value.Null
		}
		return out[0]
	}
	return value.Array(out)
}

// Partial implements Accumulator: the kept items.
func (a *accN) Partial() bson.RawValue { return value.Array(a.items) }

// Merge implements Accumulator: the items behind p were added after
// this state's, so adding them again in order keeps every rule.
func (a *accN) Merge(p bson.RawValue) error {
	for _, it := range value.Values(p) {
		if err := a.Add(it); err != nil {
			return err
		}
	}
	return nil
}

// Size implements Accumulator.
func (a *accN) Size() int { return accFixedSize + a.size + 16*len(a.items) }

// compilePercentile compiles {$median: {input, method}} and
// {$percentile: {input, p, method}}.
func compilePercentile(name string, arg bson.RawValue, scope *Scope) (func() Accumulator, *Expr, error) {
	spec, err := parsePercentile(name, arg, scope)
	if err != nil {
		return nil, nil, err
	}
	mk := func() Accumulator { return &accPercentile{ps: spec.ps, median: name == "$median"} }
	return mk, &Expr{node: spec.input}, nil
}

// percentileSpec is a parsed $median or $percentile argument.
type percentileSpec struct {
	input node
	ps    []float64
}

// parsePercentile parses the argument shared by the accumulator and the
// expression: p must be a constant array of numbers in [0, 1], method one
// of MongoDB's ("approximate", "discrete", "continuous").
func parsePercentile(name string, arg bson.RawValue, scope *Scope) (percentileSpec, error) {
	required := []string{"input", "method"}
	if name == "$percentile" {
		required = append(required, "p")
	}
	if arg.Type != bson.TypeEmbeddedDocument {
		return percentileSpec{}, codes.New(7436100, "specification must be an object; found %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return percentileSpec{}, codes.New(codes.InvalidBSON, "invalid %s: %v", name, err)
	}
	var spec percentileSpec
	seen := map[string]bool{}
	for _, el := range elems {
		k, v := el.Key(), el.Value()
		if !contains(required, k) {
			return percentileSpec{}, codes.New(40415, "BSON field '%s.%s' is an unknown field.", name, k)
		}
		seen[k] = true
		switch k {
		case "input":
			if spec.input, err = compile(v, scope); err != nil {
				return percentileSpec{}, err
			}
		case "method":
			m, _ := v.StringValueOK()
			if m != "approximate" && m != "discrete" && m != "continuous" {
				return percentileSpec{}, codes.New(codes.BadValue, "Enumeration value '%s' for field '%s.method' is not a valid value.", FormatScalar(v), name)
			}
		case "p":
			if v.Type != bson.TypeArray || len(value.Values(v)) == 0 {
				return percentileSpec{}, codes.New(7750301, "The 'p' field for %s must be an array of numbers from [0.0, 1.0], but found: %s", name, value.TypeNameOf(v))
			}
			for _, e := range value.Values(v) {
				f, ok := value.ToFloat(e)
				if !value.IsNumber(e) || !ok || !(f >= 0 && f <= 1) {
					return percentileSpec{}, codes.New(7750301, "The 'p' field for %s must be an array of numbers from [0.0, 1.0], but found: %s", name, FormatScalar(e))
				}
				spec.ps = append(spec.ps, f)
			}
		}
	}
	for _, k := range required {
		if !seen[k] {
			return percentileSpec{}, codes.New(40414, "BSON field '%s.%s' is missing but a required field", name, k)
		}
	}
	if name == "$median" {
		spec.ps = []float64{0.5}
	}
	return spec, nil
}

// accPercentile is $median and $percentile: it keeps every numeric
// value (non-numeric ones are ignored) and answers exactly with the
// discrete percentile, the value of rank ceil(p*n). MongoDB's
// "approximate" method answers from a t-digest, which is exact on small
// inputs and may differ on large ones.
type accPercentile struct {
	ps     []float64
	median bool
	vals   []float64
	sorted bool
}

// Add implements Accumulator.
func (a *accPercentile) Add(v bson.RawValue) error {
	if !value.IsNumber(v) {
		return nil
	}
	f, ok := value.ToFloat(v)
	if !ok || math.IsNaN(f) {
		return nil
	}
	a.vals = append(a.vals, f)
	a.sorted = false
	return nil
}

// Result implements Accumulator: null (for $median) or an array of
// nulls when no numeric value came.
func (a *accPercentile) Result() bson.RawValue {
	if !a.sorted {
		sort.Float64s(a.vals)
		a.sorted = true
	}
	out := make([]bson.RawValue, len(a.ps))
	for i, p := range a.ps {
		if len(a.vals) == 0 {
			out[i] = value.Null
			continue
		}
		rank := int(math.Ceil(p*float64(len(a.vals)))) - 1
		out[i] = value.Double(a.vals[max(rank, 0)])
	}
	if a.median {
		return out[0]
	}
	return value.Array(out)
}

// Partial implements Accumulator.
func (a *accPercentile) Partial() bson.RawValue {
	vals := make([]bson.RawValue, len(a.vals))
	for i, f := range a.vals {
		vals[i] = value.Double(f)
	}
	return value.Array(vals)
}

// Merge implements Accumulator.
func (a *accPercentile) Merge(p bson.RawValue) error {
	for _, v := range value.Values(p) {
		if err := a.Add(v); err != nil {
			return err
		}
	}
	return nil
}

// Size implements Accumulator.
func (a *accPercentile) Size() int { return accFixedSize + 8*len(a.vals) }

// percentileExpr is $median or $percentile in expression position: the
// input is an array of values (a scalar counts as one value).
type percentileExpr struct {
	name string
	spec percentileSpec
}

// compilePercentileExpr compiles the expression forms.
func compilePercentileExpr(op string, arg bson.RawValue, scope *Scope) (node, error) {
	spec, err := parsePercentile(op, arg, scope)
	if err != nil {
		return nil, err
	}
	return percentileExpr{name: op, spec: spec}, nil
}

// eval implements node.
func (n percentileExpr) eval(c *env) (bson.RawValue, error) {
	v, err := n.spec.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	a := &accPercentile{ps: n.spec.ps, median: n.name == "$median"}
	vals := []bson.RawValue{v}
	if v.Type == bson.TypeArray {
		vals = value.Values(v)
	}
	for _, e := range vals {
		if err := a.Add(e); err != nil {
			return bson.RawValue{}, err
		}
	}
	return a.Result(), nil
}
