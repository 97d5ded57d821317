package agg

import (
	"math"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $setWindowFields. As mongod does, the stage is run as
// a $sort on the partition key and sortBy (the key of a partitionBy
// expression is first set in a hidden field, which the output drops),
// followed by the window stage proper, which holds one partition at a
// time, computes every output field over it and then passes its
// documents on. The window functions are in window_funcs.go.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/setWindowFields/

// partitionField is the hidden field that holds a computed partition key
// between the $sort and the window stage (mongod's name).
const partitionField = "__internal_setWindowFields_partition_key"

// errWindowMemory is mongod's error for a partition over the memory limit.
func errWindowMemory(used, limit int64) error {
	return codes.New(5414201, "Exceeded memory limit in DocumentSourceSetWindowFields, used %d bytes but max allowed is %d", used, limit)
}

// windowStage is a compiled $setWindowFields.
type windowStage struct {
	// partition is the partition key expression (nil: one partition);
	// keyPath is the field it is read from after the $sort.
	partition *expr.Expr
	hidden    bool
	keyPath   []string
	sortBy    *order.Sort
	sort      *sortStage
	outputs   []windowOutput
	coll      value.StringComparer // the pipeline's collation: partition keys equal under it are one partition
}

// windowOutput is one field of output: its path and function.
type windowOutput struct {
	path []string
	fn   windowFunc
}

// compileSetWindowFields compiles {partitionBy, sortBy, output}.
func compileSetWindowFields(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "the $setWindowFields stage specification must be an object, found %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $setWindowFields: %v", err)
	}
	var partitionBy, sortBy, output bson.RawValue
	for _, el := range elems {
		switch el.Key() {
		case "partitionBy":
			partitionBy = el.Value()
		case "sortBy":
			sortBy = el.Value()
			if sortBy.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$setWindowFields.sortBy' is the wrong type '%s', expected type 'object'", value.TypeNameOf(sortBy))
			}
		case "output":
			output = el.Value()
			if output.Type != bson.TypeEmbeddedDocument {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$setWindowFields.output' is the wrong type '%s', expected type 'object'", value.TypeNameOf(output))
			}
		default:
			return nil, codes.New(40415, "BSON field '$setWindowFields.%s' is an unknown field.", el.Key())
		}
	}
	if output.Type == 0 {
		return nil, codes.New(40414, "BSON field '$setWindowFields.output' is missing but a required field")
	}
	st := &windowStage{coll: scope.Comparer()}
	var sortSpec []byte
	idx, sortSpec := bsoncore.AppendDocumentStart(nil)
	if partitionBy.Type != 0 {
		if partitionBy.Type == bson.TypeArray {
			return nil, codes.New(codes.TypeMismatch, "An expression used to partition cannot evaluate to value of type array")
		}
		if st.partition, err = expr.CompileIn(partitionBy, scope); err != nil {
			return nil, err
		}
		if s, ok := partitionBy.StringValueOK(); ok && strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "$$") {
			st.keyPath = strings.Split(s[1:], ".")
			st.partition = nil
		} else if partitionBy.Type == bson.TypeEmbeddedDocument || partitionBy.Type == bson.TypeString && strings.HasPrefix(stringOf(partitionBy), "$$") {
			st.hidden = true
			st.keyPath = []string{partitionField}
		} else {
			st.partition = nil // a constant: one partition
		}
		if st.keyPath != nil {
			sortSpec = bsoncore.AppendInt32Element(sortSpec, strings.Join(st.keyPath, "."), 1)
		}
	}
	if sortBy.Type != 0 {
		if len(sortBy.Document()) <= 5 {
			return nil, codes.New(15976, "$sort stage must have at least one sort key")
		}
		if st.sortBy, err = order.CompileColl(sortBy.Document(), scope.Comparer()); err != nil {
			return nil, err
		}
		keys, _ := sortBy.Document().Elements()
		for _, k := range keys {
			if st.keyPath != nil && k.Key() == strings.Join(st.keyPath, ".") {
				continue
			}
			sortSpec = append(sortSpec, k...)
		}
	}
	sortSpec, _ = bsoncore.AppendDocumentEnd(sortSpec, idx)
	if len(sortSpec) > 5 {
		s, err := order.CompileColl(sortSpec, scope.Comparer())
		if err != nil {
			return nil, err
		}
		st.sort = &sortStage{sort: s}
	}
	outs, _ := output.Document().Elements()
	var paths []string
	for _, el := range outs {
		path, err := expr.SplitPath(el.Key())
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(el.Key(), "$") {
			return nil, codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		for _, p := range paths {
			if p == el.Key() || strings.HasPrefix(p, el.Key()+".") || strings.HasPrefix(el.Key(), p+".") {
				return nil, codes.New(6307900, "$setWindowFields 'output' specification contains two conflicting paths")
			}
		}
		paths = append(paths, el.Key())
		fn, err := compileWindowFunc(el.Value(), st.sortBy, scope)
		if err != nil {
			return nil, err
		}
		st.outputs = append(st.outputs, windowOutput{path: path, fn: fn})
	}
	return st, nil
}

// open implements stage.
func (st *windowStage) open(r *run, in Iterator) Iterator {
	if st.hidden {
		in = mapStage(func(r *run, doc bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
			ec := evalCtx{doc: doc, vars: r.vars}
			v, err := ec.eval(st.partition)
			if err != nil {
				return out, err
			}
			if v.Type == 0 {
				v = value.Null
			}
			return append(out, setPath(doc, []string{partitionField}, v)), nil
		}).open(r, in)
	}
	if st.sort != nil {
		in = st.sort.open(r, in)
	}
	return &windowIter{r: r, in: in, st: st}
}

// windowIter is the window stage's iterator: it reads one partition,
// computes the outputs and returns its documents before reading the next.
type windowIter struct {
	r       *run
	in      Iterator
	st      *windowStage
	next    bson.Raw // first document of the next partition
	out     []bson.Raw
	i       int
	started bool
	done    bool
	err     error
}

// Next implements Iterator.
func (it *windowIter) Next() (bson.Raw, error) {
	for it.err == nil && it.i >= len(it.out) {
		if it.done {
			return nil, nil
		}
		it.err = it.fill()
	}
	if it.err != nil {
		return nil, it.err
	}
	d := it.out[it.i]
	it.out[it.i] = nil
	it.i++
	return d, nil
}

// partitionKey returns a document's partition key.
func (it *windowIter) partitionKey(d bson.Raw) (bson.RawValue, error) {
	if it.st.keyPath == nil {
		return value.Null, nil
	}
	v := expr.LookupPath(d, it.st.keyPath)
	if v.Type == bson.TypeArray {
		return v, codes.New(codes.TypeMismatch, "An expression used to partition cannot evaluate to value of type array")
	}
	if v.Type == 0 {
		v = value.Null
	}
	return v, nil
}

// fill reads the next partition and computes its output documents.
func (it *windowIter) fill() error {
	limit := it.r.opts.limit()
	var docs []bson.Raw
	var size int64
	var key bson.RawValue
	if !it.started {
		it.started = true
		d, err := it.in.Next()
		if err != nil {
			return err
		}
		it.next = d
	}
	if it.next == nil {
		it.done = true
		it.out, it.i = nil, 0
		return nil
	}
	key, err := it.partitionKey(it.next)
	if err != nil {
		return err
	}
	for n := 1; it.next != nil; n++ {
		if n%checkEvery == 0 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				return err
			}
		}
		k, err := it.partitionKey(it.next)
		if err != nil {
			return err
		}
		if value.CompareWith(k, key, it.st.coll) != 0 {
			break
		}
		docs = append(docs, it.next)
		if size += int64(len(it.next)) + docOverhead; size > limit {
			return errWindowMemory(size, limit)
		}
		if it.next, err = it.in.Next(); err != nil {
			return err
		}
	}
	p := &partition{docs: docs, vars: it.r.vars, sortBy: it.st.sortBy}
	results := make([][]bson.RawValue, len(it.st.outputs))
	for j, o := range it.st.outputs {
		results[j] = make([]bson.RawValue, len(docs))
		if err := o.fn.compute(p, results[j]); err != nil {
			return err
		}
	}
	out := make([]bson.Raw, len(docs))
	for i, d := range docs {
		for j, o := range it.st.outputs {
			v := results[j][i]
			if v.Type == 0 {
				v = value.Null
			}
			d = setPath(d, o.path, v)
		}
		if it.st.hidden {
			d = setPath(d, []string{partitionField}, bson.RawValue{})
		}
		out[i] = d
	}
	it.out, it.i = out, 0
	return nil
}

// Close implements Iterator.
func (it *windowIter) Close() error { return it.in.Close() }

// partition is one partition's documents, in sortBy order, with what
// the window functions compute from them once.
type partition struct {
	docs   []bson.Raw
	vars   *expr.Vars
	sortBy *order.Sort
	// keys are the values of sortBy's single field, for range windows
	// and the functions that read the sort key; computed on first use.
	keys []bson.RawValue
}

// eval evaluates e over every document.
func (p *partition) eval(e *expr.Expr) ([]bson.RawValue, error) {
	out := make([]bson.RawValue, len(p.docs))
	for i, d := range p.docs {
		v, err := e.EvalIn(d, p.vars)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// sortKeys returns the values of sortBy's single field.
func (p *partition) sortKeys() []bson.RawValue {
	if p.keys == nil {
		path := strings.Split(p.sortBy.Keys()[0].Path, ".")
		p.keys = make([]bson.RawValue, len(p.docs))
		for i, d := range p.docs {
			p.keys[i] = expr.LookupPath(d, path)
		}
	}
	return p.keys
}

// boundKind is the kind of one end of a window.
type boundKind int

const (
	boundUnbounded boundKind = iota
	boundCurrent
	boundNumber
)

// bound is one end of a window: unbounded, current, or an offset (a
// document count, or a value added to the sort key).
type bound struct {
	kind boundKind
	n    int64
	v    float64
}

// window is a compiled window: documents [lo, hi] or range [lo, hi]
// (with unit: time units over a date sort key).
type window struct {
	isRange bool
	lo, hi  bound
	unit    string
}

// defaultWindow is [unbounded, unbounded].
var defaultWindow = window{}

// parseWindow parses a function's window field, as mongod's
// WindowBounds::parse does.
func parseWindow(v bson.RawValue, sortBy *order.Sort) (window, error) {
	fail := func(format string, args ...any) (window, error) {
		return window{}, codes.New(codes.FailedToParse, format, args...)
	}
	d, ok := v.DocumentOK()
	if !ok {
		return fail("'window' field must be an object")
	}
	docs, derr := d.LookupErr("documents")
	rng, rerr := d.LookupErr("range")
	unit, uerr := d.LookupErr("unit")
	elems, _ := d.Elements()
	if derr == nil && rerr == nil {
		return fail("Window bounds can specify either 'documents' or 'unit', not both.")
	}
	if rerr != nil && uerr == nil {
		return fail("Window bounds can only specify 'unit' with range-based bounds.")
	}
	if derr != nil && rerr != nil {
		if len(elems) != 0 {
			return fail("'window' field can only contain 'documents' as the only argument or 'range' with an optional 'unit' field")
		}
		return defaultWindow, nil
	}
	pair := func(e bson.RawValue) (bson.RawValue, bson.RawValue, error) {
		vals := value.Values(e)
		if e.Type != bson.TypeArray || len(vals) != 2 {
			return bson.RawValue{}, bson.RawValue{}, codes.New(codes.FailedToParse, "Window bounds must be a 2-element array: %s", expr.FormatValue(e))
		}
		return vals[0], vals[1], nil
	}
	parse := func(e bson.RawValue, integral bool, what string) (bound, error) {
		if s, ok := e.StringValueOK(); ok {
			switch s {
			case "unbounded":
				return bound{kind: boundUnbounded}, nil
			case "current":
				return bound{kind: boundCurrent}, nil
			}
			return bound{}, codes.New(codes.FailedToParse, "Window bounds must be 'unbounded', 'current', or a number.")
		}
		if !value.IsNumber(e) {
			if e.Type == bson.TypeEmbeddedDocument || e.Type == bson.TypeArray {
				return bound{}, codes.New(codes.FailedToParse, "Window bounds expression must be a constant.")
			}
			return bound{}, codes.New(codes.FailedToParse, "%s", what)
		}
		f, _ := value.ToFloat(e)
		if integral {
			n, ok := expr.ExactInt(e)
			if !ok {
				return bound{}, codes.New(codes.FailedToParse, "%s", what)
			}
			return bound{kind: boundNumber, n: n, v: float64(n)}, nil
		}
		if math.IsNaN(f) {
			return bound{}, codes.New(codes.FailedToParse, "%s", what)
		}
		return bound{kind: boundNumber, v: f}, nil
	}
	var w window
	var lo, hi bson.RawValue
	var err error
	what := "Numeric document-based bounds must be an integer"
	integral := true
	if derr == nil {
		if len(elems) != 1 {
			return fail("'window' field that specifies documents cannot have other fields")
		}
		if lo, hi, err = pair(docs); err != nil {
			return window{}, err
		}
	} else {
		w.isRange = true
		if lo, hi, err = pair(rng); err != nil {
			return window{}, err
		}
		if uerr == nil {
			if len(elems) != 2 {
				return fail("'window' field that specifies unit cannot have other fields besides 'range'")
			}
			u, ok := unit.StringValueOK()
			if !ok {
				return fail("'unit' must be a string")
			}
			if !expr.IsTimeUnit(u) {
				return fail("unknown time unit value: %s", u)
			}
			w.unit = u
			what = "With 'unit', range-based bounds must be an integer"
		} else {
			if len(elems) != 1 {
				return fail("'window' field that specifies range cannot have other fields besides 'unit'")
			}
			what = "Range-based bounds expression must be a number"
			integral = false
		}
	}
	if w.lo, err = parse(lo, integral, what); err != nil {
		return window{}, err
	}
	if w.hi, err = parse(hi, integral, what); err != nil {
		return window{}, err
	}
	num := func(b bound) (float64, bool) {
		switch b.kind {
		case boundCurrent:
			return 0, true
		case boundNumber:
			return b.v, true
		}
		return 0, false
	}
	if l, ok := num(w.lo); ok {
		if h, ok := num(w.hi); ok && l > h {
			return window{}, codes.New(5339900, "Lower bound must not exceed upper bound: [%s, %s]", expr.FormatValue(lo), expr.FormatValue(hi))
		}
	}
	unbounded := w.lo.kind == boundUnbounded && w.hi.kind == boundUnbounded
	if !w.isRange {
		if !unbounded && sortBy == nil {
			return window{}, codes.New(5339901, "Document-based bounds require a sortBy")
		}
		return w, nil
	}
	if sortBy == nil || len(sortBy.Keys()) != 1 {
		return window{}, codes.New(5339902, "Range-based bounds require sortBy a single field")
	}
	if sortBy.Keys()[0].Desc {
		return window{}, codes.New(8947401, "Range-based bounds require an ascending sortBy")
	}
	return w, nil
}

// unbounded reports whether the window is the whole partition.
func (w window) unbounded() bool {
	return w.lo.kind == boundUnbounded && w.hi.kind == boundUnbounded
}

// rangeKeys converts the partition's sort keys for a range window to
// numbers (dates: milliseconds), checking their types as mongod does.
func (w window) rangeKeys(p *partition) ([]float64, error) {
	keys := p.sortKeys()
	out := make([]float64, len(keys))
	for i, k := range keys {
		if w.unit != "" {
			ms, ok := k.DateTimeOK()
			if !ok {
				return nil, codes.New(5429513, "Invalid range: Expected the sortBy field to be a Date, but it was %s", typeNameOrMissing(k))
			}
			out[i] = float64(ms)
			continue
		}
		if k.Type == bson.TypeDateTime {
			return nil, codes.New(5429413, "Invalid range: For windows that involve date or time ranges, a unit must be provided.")
		}
		f, ok := value.ToFloat(k)
		if !ok || !value.IsNumber(k) {
			return nil, codes.New(5429414, "Invalid range: Expected the sortBy field to be a number, but it was %s", typeNameOrMissing(k))
		}
		out[i] = f
	}
	return out, nil
}

// typeNameOrMissing is a value's type name, "missing" for none.
func typeNameOrMissing(v bson.RawValue) string {
	if v.Type == 0 {
		return "missing"
	}
	return value.TypeNameOf(v)
}

// spans returns, for each document of p, its window as a half-open
// range of positions [a, z) (a >= z: empty).
func (w window) spans(p *partition) ([][2]int, error) {
	n := len(p.docs)
	out := make([][2]int, n)
	if !w.isRange {
		for i := range out {
			a, z := 0, n
			switch w.lo.kind {
			case boundCurrent:
				a = i
			case boundNumber:
				a = int(max(0, min(int64(n), int64(i)+w.lo.n)))
			}
			switch w.hi.kind {
			case boundCurrent:
				z = i + 1
			case boundNumber:
				z = int(max(0, min(int64(n), int64(i)+w.hi.n+1)))
			}
			out[i] = [2]int{a, z}
		}
		return out, nil
	}
	keys, err := w.rangeKeys(p)
	if err != nil {
		return nil, err
	}
	shift := func(base float64, b bound) float64 {
		if b.kind == boundCurrent {
			return base
		}
		if w.unit == "" {
			return base + b.v
		}
		t, ok := expr.AddDateUnits(time.UnixMilli(int64(base)), w.unit, b.n)
		if !ok {
			if b.n < 0 {
				return math.Inf(-1)
			}
			return math.Inf(1)
		}
		return float64(t.UnixMilli())
	}
	for i, base := range keys {
		a, z := 0, n
		if w.lo.kind != boundUnbounded {
			lo := shift(base, w.lo)
			a = sort.Search(n, func(j int) bool { return keys[j] >= lo })
		}
		if w.hi.kind != boundUnbounded {
			hi := shift(base, w.hi)
			z = sort.Search(n, func(j int) bool { return keys[j] > hi })
		}
		out[i] = [2]int{a, z}
	}
	return out, nil
}
