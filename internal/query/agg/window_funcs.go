package agg

import (
	"math"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $setWindowFields' window functions: the accumulators
// over a window and the window-only operators.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/setWindowFields/#window-operators

// windowFunc computes one output field for every document of a partition
// (out[i] for p.docs[i]; a missing value is output as null).
type windowFunc interface {
	compute(p *partition, out []bson.RawValue) error
}

// windowAccumulators are the accumulators $setWindowFields accepts as
// window functions.
var windowAccumulators = map[string]bool{
	"$sum": true, "$avg": true, "$min": true, "$max": true, "$count": true, "$push": true, "$addToSet": true,
	"$first": true, "$last": true, "$stdDevPop": true, "$stdDevSamp": true, "$firstN": true, "$lastN": true,
	"$maxN": true, "$minN": true, "$top": true, "$bottom": true, "$topN": true, "$bottomN": true,
	"$median": true, "$percentile": true,
}

// windowOperators are the window-only functions.
var windowOperators = map[string]func(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error){
	"$rank":           compileRank,
	"$denseRank":      compileRank,
	"$documentNumber": compileRank,
	"$shift":          compileShift,
	"$derivative":     compileDerivative,
	"$integral":       compileIntegral,
	"$expMovingAvg":   compileExpMovingAvg,
	"$covariancePop":  compileCovariance,
	"$covarianceSamp": compileCovariance,
	"$locf":           compileLocf,
	"$linearFill":     compileLinearFill,
}

// compileWindowFunc compiles one output field's spec {<function>: arg,
// window: {...}}.
func compileWindowFunc(spec bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	d, ok := spec.DocumentOK()
	if !ok {
		return nil, codes.New(codes.FailedToParse, "Expected a $-prefixed window function")
	}
	elems, _ := d.Elements()
	var name string
	var arg bson.RawValue
	var win *bson.RawValue
	for _, el := range elems {
		k := el.Key()
		switch {
		case k == "window":
			if win != nil {
				return nil, codes.New(codes.FailedToParse, "saw multiple 'window' fields")
			}
			v := el.Value()
			win = &v
		case strings.HasPrefix(k, "$"):
			if !windowAccumulators[k] && windowOperators[k] == nil {
				return nil, codes.New(codes.FailedToParse, "Unrecognized window function, %s", k)
			}
			if name != "" {
				return nil, codes.New(codes.FailedToParse, "Cannot specify two functions in window function spec")
			}
			name, arg = k, el.Value()
		default:
			if name == "" {
				return nil, codes.New(codes.FailedToParse, "Expected a $-prefixed window function, %s", k)
			}
			return nil, codes.New(codes.FailedToParse, "Window function found an unknown argument: %s", k)
		}
	}
	if name == "" {
		return nil, codes.New(codes.FailedToParse, "Expected a $-prefixed window function")
	}
	if c := windowOperators[name]; c != nil {
		return c(name, arg, win, sortBy, scope)
	}
	w := defaultWindow
	if win != nil {
		var err error
		if w, err = parseWindow(*win, sortBy); err != nil {
			return nil, err
		}
	}
	if name == "$count" {
		if cd, ok := arg.DocumentOK(); !ok || len(cd) > 5 {
			return nil, codes.New(codes.TypeMismatch, "$count takes no arguments, i.e. $count:{}")
		}
		arg = value.Null
	}
	mk, e, err := expr.CompileAccumulator(name, arg, scope)
	if err != nil {
		return nil, err
	}
	return &accWindow{mk: mk, arg: e, win: w}, nil
}

// accWindow is an accumulator over a window. Consecutive windows that
// keep their start and grow (expanding windows, the whole partition)
// reuse one accumulator; others are recomputed from their documents.
type accWindow struct {
	mk  func() expr.Accumulator
	arg *expr.Expr
	win window
}

// compute implements windowFunc.
func (f *accWindow) compute(p *partition, out []bson.RawValue) error {
	vals, err := p.eval(f.arg)
	if err != nil {
		return err
	}
	if f.win.unbounded() {
		acc := f.mk()
		for _, v := range vals {
			if err := acc.Add(v); err != nil {
				return err
			}
		}
		r := acc.Result()
		for i := range out {
			out[i] = r
		}
		return nil
	}
	spans, err := f.win.spans(p)
	if err != nil {
		return err
	}
	var acc expr.Accumulator
	pa, pz := -1, -1
	for i, s := range spans {
		a, z := s[0], max(s[0], s[1])
		if acc == nil || a != pa || z < pz {
			acc, pz = f.mk(), a
		}
		for j := pz; j < z; j++ {
			if err := acc.Add(vals[j]); err != nil {
				return err
			}
		}
		pa, pz = a, z
		out[i] = acc.Result()
	}
	return nil
}

// noWindow fails when a function that takes no window was given one.
func noWindow(name string, win *bson.RawValue) error {
	if win != nil {
		return codes.New(codes.FailedToParse, "'window' field is not allowed in %s", name)
	}
	return nil
}

// rankFunc is $rank, $denseRank and $documentNumber over the sortBy key.
type rankFunc struct{ name string }

// compileRank compiles {$rank: {}} and its siblings.
func compileRank(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, _ *expr.Scope) (windowFunc, error) {
	if win != nil {
		return nil, codes.New(5371601, "Rank style window functions take no other arguments")
	}
	if d, ok := arg.DocumentOK(); !ok || len(d) > 5 {
		return nil, codes.New(5371603, "%s must be specified with '{}' as the value", name)
	}
	if sortBy == nil || len(sortBy.Keys()) != 1 {
		return nil, codes.New(5371602, "%s must be specified with a top level sortBy expression with exactly one element", name)
	}
	return rankFunc{name: name}, nil
}

// compute implements windowFunc.
func (f rankFunc) compute(p *partition, out []bson.RawValue) error {
	rank, dense := int64(0), int64(0)
	for i, d := range p.docs {
		if i == 0 || p.sortBy.Compare(p.docs[i-1], d) != 0 {
			rank = int64(i + 1)
			dense++
		}
		var r int64
		switch f.name {
		case "$rank":
			r = rank
		case "$denseRank":
			r = dense
		default:
			r = int64(i + 1)
		}
		out[i] = intValue(r)
	}
	return nil
}

// intValue is n as an int, or a long beyond int's range.
func intValue(n int64) bson.RawValue {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return value.Int32(int32(n))
	}
	return value.Int64(n)
}

// objectArgs reads a window operator's object argument, allowing only
// the given fields.
func objectArgs(name string, arg bson.RawValue, allowed ...string) (map[string]bson.RawValue, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, codes.New(codes.FailedToParse, "%s expects an object, but got a %s: %s", name, value.TypeNameOf(arg), expr.FormatValue(arg))
	}
	elems, _ := d.Elements()
	out := map[string]bson.RawValue{}
	for _, el := range elems {
		ok := false
		for _, a := range allowed {
			ok = ok || el.Key() == a
		}
		if !ok {
			return nil, codes.New(codes.FailedToParse, "%s got unexpected argument: %s", name, el.Key())
		}
		out[el.Key()] = el.Value()
	}
	return out, nil
}

// shiftFunc is $shift: output evaluated on the document by positions
// away, or default.
type shiftFunc struct {
	output *expr.Expr
	by     int64
	def    bson.RawValue
}

// compileShift compiles {$shift: {output, by, default}}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/shift/
func compileShift(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	if win != nil {
		return nil, codes.New(codes.FailedToParse, "$shift does not accept a 'window' field")
	}
	if sortBy == nil {
		return nil, codes.New(codes.FailedToParse, "'$shift' requires a sortBy")
	}
	args, err := objectArgs(name, arg, "output", "by", "default")
	if err != nil {
		return nil, err
	}
	out, ok := args["output"]
	if !ok {
		return nil, codes.New(codes.FailedToParse, "$shift requires an 'output' expression.")
	}
	byV, ok := args["by"]
	if !ok {
		return nil, codes.New(codes.FailedToParse, "$shift requires 'by' as an integer value.")
	}
	by, ok := expr.ExactInt(byV)
	if !ok || !value.IsNumber(byV) || by < math.MinInt32 || by > math.MaxInt32 {
		return nil, codes.New(codes.FailedToParse, "'$shift:by' field must be an integer, but found %s", expr.FormatValue(byV))
	}
	f := &shiftFunc{by: by, def: value.Null}
	if d, ok := args["default"]; ok {
		if d.Type == bson.TypeString && strings.HasPrefix(stringOf(d), "$") || expr.IsExpressionObject(d) {
			return nil, codes.New(codes.FailedToParse, "'$shift:default' expression must yield a constant value.")
		}
		f.def = d
	}
	if f.output, err = expr.CompileIn(out, scope); err != nil {
		return nil, err
	}
	return f, nil
}

// compute implements windowFunc.
func (f *shiftFunc) compute(p *partition, out []bson.RawValue) error {
	for i := range p.docs {
		j := int64(i) + f.by
		if j < 0 || j >= int64(len(p.docs)) {
			out[i] = f.def
			continue
		}
		v, err := f.output.EvalIn(p.docs[j], p.vars)
		if err != nil {
			return err
		}
		if v.Type == 0 {
			v = value.Null
		}
		out[i] = v
	}
	return nil
}

// unitMillis are the units $derivative and $integral accept.
var unitMillis = map[string]float64{
	"week": 7 * 86400000, "day": 86400000, "hour": 3600000, "minute": 60000, "second": 1000, "millisecond": 1,
}

// inputUnit reads {input, unit} of $derivative and $integral.
func inputUnit(name string, arg bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (*expr.Expr, float64, error) {
	if sortBy == nil {
		return nil, 0, codes.New(codes.FailedToParse, "%s requires a sortBy", name)
	}
	if len(sortBy.Keys()) != 1 {
		return nil, 0, codes.New(codes.FailedToParse, "%s requires a non-compound sortBy", name)
	}
	args, err := objectArgs(name, arg, "input", "unit")
	if err != nil {
		return nil, 0, err
	}
	in, ok := args["input"]
	if !ok {
		return nil, 0, codes.New(codes.FailedToParse, "%s requires an 'input' expression", name)
	}
	var ms float64
	if u, ok := args["unit"]; ok {
		s, isStr := u.StringValueOK()
		if !isStr {
			return nil, 0, codes.New(codes.FailedToParse, "unit' must be a string, but got %s", value.TypeNameOf(u))
		}
		switch s {
		case "year", "quarter", "month":
			return nil, 0, codes.New(5490710, "unit must be 'week' or smaller")
		}
		if ms = unitMillis[s]; ms == 0 {
			return nil, 0, codes.New(codes.FailedToParse, "unknown time unit value: %s", s)
		}
	}
	e, err := expr.CompileIn(in, scope)
	return e, ms, err
}

// derivativeFunc is $derivative: the slope between the first and last
// documents of the window.
type derivativeFunc struct {
	input *expr.Expr
	unit  float64
	win   window
}

// compileDerivative compiles {$derivative: {input, unit}, window}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/derivative/
func compileDerivative(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	in, unit, err := inputUnit(name, arg, sortBy, scope)
	if err != nil {
		return nil, err
	}
	if win == nil {
		return nil, codes.New(codes.FailedToParse, "$derivative requires explicit window bounds")
	}
	w, err := parseWindow(*win, sortBy)
	if err != nil {
		return nil, err
	}
	return &derivativeFunc{input: in, unit: unit, win: w}, nil
}

// timeOf reads a sort key as the x of $derivative: a date (ms) with a
// unit, a number without.
func timeOf(k bson.RawValue, unit float64) (float64, error) {
	if unit != 0 {
		ms, ok := k.DateTimeOK()
		if !ok {
			return 0, codes.New(5624900, "$derivative with 'unit' expects the sortBy field to be a Date")
		}
		return float64(ms), nil
	}
	if k.Type == bson.TypeDateTime {
		return 0, codes.New(5624901, "$derivative where the sortBy is a Date requires an 'unit'")
	}
	f, ok := value.ToFloat(k)
	if !ok || !value.IsNumber(k) {
		return 0, codes.New(5624902, "$derivative (with no 'unit') expects the sortBy field to be numeric")
	}
	return f, nil
}

// compute implements windowFunc.
func (f *derivativeFunc) compute(p *partition, out []bson.RawValue) error {
	spans, err := f.win.spans(p)
	if err != nil {
		return err
	}
	keys := p.sortKeys()
	for i, s := range spans {
		out[i] = value.Null
		a, z := s[0], s[1]-1
		if z <= a {
			continue
		}
		x0, err := timeOf(keys[a], f.unit)
		if err != nil {
			return err
		}
		x1, err := timeOf(keys[z], f.unit)
		if err != nil {
			return err
		}
		y0, err := f.input.EvalIn(p.docs[a], p.vars)
		if err != nil {
			return err
		}
		y1, err := f.input.EvalIn(p.docs[z], p.vars)
		if err != nil {
			return err
		}
		if value.IsNullish(y0) || value.IsNullish(y1) {
			return codes.New(5624903, "$derivative input must not be null or missing")
		}
		f0, ok0 := value.ToFloat(y0)
		f1, ok1 := value.ToFloat(y1)
		if !ok0 || !ok1 || !value.IsNumber(y0) || !value.IsNumber(y1) {
			return codes.New(16556, "cant $subtract %s from %s", value.TypeNameOf(y0), value.TypeNameOf(y1))
		}
		if x1 == x0 {
			continue
		}
		r := (f1 - f0) / (x1 - x0)
		if f.unit != 0 {
			r *= f.unit
		}
		out[i] = value.Double(r)
	}
	return nil
}

// integralFunc is $integral: the trapezoidal area under input over the
// sort key, across the window.
type integralFunc struct {
	input *expr.Expr
	unit  float64
	win   window
}

// compileIntegral compiles {$integral: {input, unit}, window}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/integral/
func compileIntegral(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	in, unit, err := inputUnit(name, arg, sortBy, scope)
	if err != nil {
		return nil, err
	}
	w := defaultWindow
	if win != nil {
		if w, err = parseWindow(*win, sortBy); err != nil {
			return nil, err
		}
	}
	return &integralFunc{input: in, unit: unit, win: w}, nil
}

// compute implements windowFunc.
func (f *integralFunc) compute(p *partition, out []bson.RawValue) error {
	keys := p.sortKeys()
	ys, err := p.eval(f.input)
	if err != nil {
		return err
	}
	xs := make([]float64, len(ys))
	fy := make([]float64, len(ys))
	for i, y := range ys {
		k := keys[i]
		if !value.IsNumber(y) || !(value.IsNumber(k) || k.Type == bson.TypeDateTime) {
			return codes.New(5423900, "The input value of $integral window function must be a vector of 2 value, the first value must be numeric or date type and the second must be numeric.")
		}
		if f.unit != 0 && k.Type != bson.TypeDateTime {
			return codes.New(5423901, "$integral with 'outputUnit' expects the sortBy field to be a Date")
		}
		if f.unit == 0 && k.Type == bson.TypeDateTime {
			return codes.New(5423902, "$integral (with no 'outputUnit') expects the sortBy field to be numeric")
		}
		if ms, ok := k.DateTimeOK(); ok {
			xs[i] = float64(ms)
		} else {
			xs[i], _ = value.ToFloat(k)
		}
		fy[i], _ = value.ToFloat(y)
	}
	spans, err := f.win.spans(p)
	if err != nil {
		return err
	}
	// prefix[j] is the area from point 0 to point j.
	prefix := make([]float64, len(xs))
	for j := 1; j < len(xs); j++ {
		seg := (fy[j] + fy[j-1]) * (xs[j] - xs[j-1]) / 2
		if math.IsNaN(seg) {
			seg = 0
		}
		prefix[j] = prefix[j-1] + seg
	}
	for i, s := range spans {
		a, z := s[0], s[1]
		if z <= a {
			out[i] = value.Null
			continue
		}
		r := prefix[z-1] - prefix[a]
		if f.unit != 0 {
			r /= f.unit
		}
		out[i] = value.Double(r)
	}
	return nil
}

// expMovingAvgFunc is $expMovingAvg: an exponentially weighted average
// of input over the documents up to the current one.
type expMovingAvgFunc struct {
	input *expr.Expr
	alpha float64
}

// compileExpMovingAvg compiles {$expMovingAvg: {input, N | alpha}}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/expMovingAvg/
func compileExpMovingAvg(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	d, ok := arg.DocumentOK()
	if win != nil || !ok {
		return nil, codes.New(codes.FailedToParse, "$expMovingAvg must have exactly one argument that is an object")
	}
	elems, _ := d.Elements()
	in, inErr := d.LookupErr("input")
	if len(elems) != 2 || inErr != nil {
		return nil, codes.New(codes.FailedToParse, "$expMovingAvg sub object must have exactly two fields: An 'input' field, and either an 'N' field or an 'alpha' field")
	}
	if sortBy == nil {
		return nil, codes.New(codes.FailedToParse, "$expMovingAvg requires an explicit 'sortBy'")
	}
	f := &expMovingAvgFunc{}
	if n, err := d.LookupErr("N"); err == nil {
		if !value.IsNumber(n) {
			return nil, codes.New(codes.FailedToParse, "'N' field must be an integer, but found type %s", value.TypeNameOf(n))
		}
		fn, _ := value.ToFloat(n)
		if fn != math.Floor(fn) {
			return nil, codes.New(codes.FailedToParse, "'N' field must be an integer, but found  %s. To use a non-integer, use the 'alpha' argument instead", expr.FormatValue(n))
		}
		if fn <= 0 {
			return nil, codes.New(codes.FailedToParse, "'N' must be greater than zero. Got %s", expr.FormatValue(n))
		}
		f.alpha = 2 / (fn + 1)
	} else if a, err := d.LookupErr("alpha"); err == nil {
		fa, ok := value.ToFloat(a)
		if !ok || !value.IsNumber(a) {
			return nil, codes.New(codes.FailedToParse, "'alpha' must be a number")
		}
		if !(fa > 0 && fa < 1) {
			return nil, codes.New(codes.FailedToParse, "'alpha' must be between 0 and 1 (exclusive), found %s", expr.FormatValue(a))
		}
		f.alpha = fa
	} else {
		return nil, codes.New(codes.FailedToParse, "Got unrecognized field in $expMovingAvg$expMovingAvg sub object must have exactly two fields: An 'input' field, and either an 'N' field or an 'alpha' field")
	}
	var err error
	if f.input, err = expr.CompileIn(in, scope); err != nil {
		return nil, err
	}
	return f, nil
}

// compute implements windowFunc: non-numeric inputs leave the average
// as it was (null before the first number).
func (f *expMovingAvgFunc) compute(p *partition, out []bson.RawValue) error {
	vals, err := p.eval(f.input)
	if err != nil {
		return err
	}
	have := false
	var avg float64
	for i, v := range vals {
		if x, ok := value.ToFloat(v); ok && value.IsNumber(v) {
			if !have {
				avg, have = x, true
			} else {
				avg = x*f.alpha + avg*(1-f.alpha)
			}
		}
		if have {
			out[i] = value.Double(avg)
		} else {
			out[i] = value.Null
		}
	}
	return nil
}

// covarianceFunc is $covariancePop and $covarianceSamp over the window.
type covarianceFunc struct {
	x, y   *expr.Expr
	sample bool
	win    window
}

// compileCovariance compiles {$covariancePop: [x, y], window}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/covariancePop/
func compileCovariance(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	vals := value.Values(arg)
	if arg.Type != bson.TypeArray || len(vals) != 2 {
		return nil, codes.New(codes.FailedToParse, "%s requires an array of two expressions", name)
	}
	f := &covarianceFunc{sample: name == "$covarianceSamp", win: defaultWindow}
	var err error
	if win != nil {
		if f.win, err = parseWindow(*win, sortBy); err != nil {
			return nil, err
		}
	}
	if f.x, err = expr.CompileIn(vals[0], scope); err != nil {
		return nil, err
	}
	if f.y, err = expr.CompileIn(vals[1], scope); err != nil {
		return nil, err
	}
	return f, nil
}

// compute implements windowFunc: pairs with a non-numeric member are
// skipped; too few pairs give null.
func (f *covarianceFunc) compute(p *partition, out []bson.RawValue) error {
	xs, err := p.eval(f.x)
	if err != nil {
		return err
	}
	ys, err := p.eval(f.y)
	if err != nil {
		return err
	}
	spans, err := f.win.spans(p)
	if err != nil {
		return err
	}
	for i, s := range spans {
		var n, mx, my, c float64
		for j := s[0]; j < s[1]; j++ {
			x, okx := value.ToFloat(xs[j])
			y, oky := value.ToFloat(ys[j])
			if !okx || !oky || !value.IsNumber(xs[j]) || !value.IsNumber(ys[j]) {
				continue
			}
			n++
			dx := x - mx
			mx += dx / n
			my += (y - my) / n
			c += dx * (y - my)
		}
		div := n
		if f.sample {
			div--
		}
		if div <= 0 {
			out[i] = value.Null
			continue
		}
		out[i] = value.Double(c / div)
	}
	return nil
}

// locfFunc is $locf: the last non-null value of input so far.
type locfFunc struct{ input *expr.Expr }

// compileLocf compiles {$locf: expr}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/locf/
func compileLocf(name string, arg bson.RawValue, win *bson.RawValue, _ *order.Sort, scope *expr.Scope) (windowFunc, error) {
	if err := noWindow(name, win); err != nil {
		return nil, err
	}
	e, err := expr.CompileIn(arg, scope)
	if err != nil {
		return nil, err
	}
	return locfFunc{input: e}, nil
}

// compute implements windowFunc.
func (f locfFunc) compute(p *partition, out []bson.RawValue) error {
	vals, err := p.eval(f.input)
	if err != nil {
		return err
	}
	last := value.Null
	for i, v := range vals {
		if !value.IsNullish(v) {
			last = v
		}
		out[i] = last
	}
	return nil
}

// linearFillFunc is $linearFill: a null or missing input between two
// numbers is interpolated linearly over the sort key.
type linearFillFunc struct{ input *expr.Expr }

// compileLinearFill compiles {$linearFill: expr}.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/linearFill/
func compileLinearFill(name string, arg bson.RawValue, win *bson.RawValue, sortBy *order.Sort, scope *expr.Scope) (windowFunc, error) {
	if err := noWindow(name, win); err != nil {
		return nil, err
	}
	if sortBy == nil || len(sortBy.Keys()) != 1 {
		return nil, codes.New(codes.FailedToParse, "$linearFill requires a non-compound sortBy")
	}
	e, err := expr.CompileIn(arg, scope)
	if err != nil {
		return nil, err
	}
	return linearFillFunc{input: e}, nil
}

// compute implements windowFunc, with mongod's checks: numeric or
// nullish inputs, numeric or date sort keys of one kind, no repeated key.
func (f linearFillFunc) compute(p *partition, out []bson.RawValue) error {
	vals, err := p.eval(f.input)
	if err != nil {
		return err
	}
	keys := p.sortKeys()
	xs := make([]float64, len(keys))
	for i, k := range keys {
		v := vals[i]
		if !value.IsNullish(v) && !value.IsNumber(v) {
			return codes.New(codes.TypeMismatch, "Value to be filled must be numeric or nullish, but found %s", value.TypeNameOf(v))
		}
		if ms, ok := k.DateTimeOK(); ok {
			xs[i] = float64(ms)
		} else if x, ok := value.ToFloat(k); ok && value.IsNumber(k) {
			xs[i] = x
		} else {
			return codes.New(codes.TypeMismatch, "Value of the sortBy field must be numeric or a date, but found %s", typeNameOrMissing(k))
		}
		if i > 0 {
			if value.Compare(keys[i-1], k) == 0 {
				return codes.New(6050106, "There can be no repeated values in the sort field")
			}
			if (keys[i-1].Type == bson.TypeDateTime) != (k.Type == bson.TypeDateTime) {
				return codes.New(codes.TypeMismatch, "Conflicting sort value types, previously received type %s, but found %s", value.TypeNameOf(keys[i-1]), value.TypeNameOf(k))
			}
		}
	}
	prev := -1
	for i, v := range vals {
		if value.IsNullish(v) {
			out[i] = value.Null
			continue
		}
		out[i] = v
		if prev >= 0 && i-prev > 1 {
			y0, _ := value.ToFloat(vals[prev])
			y1, _ := value.ToFloat(v)
			for j := prev + 1; j < i; j++ {
				out[j] = value.Double(y0 + (xs[j]-xs[prev])*((y1-y0)/(xs[i]-xs[prev])))
			}
		}
		prev = i
	}
	return nil
}
