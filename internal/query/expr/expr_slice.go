package expr

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the array operators added beside expr_array.go's:
// $slice, $indexOfArray, $range, $zip, $arrayToObject, $objectToArray,
// $firstN / $lastN / $maxN / $minN and $sortArray.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/#array-expression-operators

// arrayOp is an array operator over its evaluated positional arguments.
type arrayOp struct {
	op   string
	args []node
}

// compileArrayOp returns a compiler taking lo to hi arguments.
func compileArrayOp(lo, hi int) opCompiler {
	return func(op string, arg bson.RawValue, scope *Scope) (node, error) {
		args, err := compileArgs(arg, scope)
		if err != nil {
			return nil, err
		}
		if len(args) < lo || len(args) > hi {
			if lo == hi {
				return nil, codes.New(16020, "Expression %s takes exactly %d arguments. %d were passed in.", op, lo, len(args))
			}
			return nil, codes.New(28667, "Expression %s takes at least %d arguments, and at most %d, but %d were passed in.", op, lo, hi, len(args))
		}
		return arrayOp{op: op, args: args}, nil
	}
}

// eval implements node.
func (n arrayOp) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$slice":
		return slice(vals)
	case "$indexOfArray":
		return indexOfArray(vals, c.comparer())
	case "$range":
		return rangeOf(vals)
	case "$arrayToObject":
		return arrayToObject(vals[0])
	}
	return objectToArray(vals[0])
}

// int32Arg returns v as an int32 when it is a number with an integral
// value in range.
func int32Arg(v bson.RawValue) (int64, bool) {
	if !value.IsNumber(v) {
		return 0, false
	}
	i, ok := ExactInt(v)
	return i, ok && i >= math.MinInt32 && i <= math.MaxInt32
}

// slice is $slice: [array, n] takes n from the front (from the back when
// negative), [array, position, n] skips to position (from the back when
// negative) first.
func slice(vals []bson.RawValue) (bson.RawValue, error) {
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
	}
	if vals[0].Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(28724, "First argument to $slice must be an array, but is of type: %s", value.TypeNameOf(vals[0]))
	}
	arr := value.Values(vals[0])
	size := int64(len(arr))
	first, ok := int32Arg(vals[1])
	if !ok {
		return bson.RawValue{}, codes.New(28725, "Second argument to $slice must be a numeric value, but is of type: %s", value.TypeNameOf(vals[1]))
	}
	var start, count int64
	if len(vals) == 2 {
		if first >= 0 {
			start, count = 0, first
		} else {
			start, count = max(size+first, 0), -first
		}
	} else {
		n, ok := int32Arg(vals[2])
		if !ok {
			return bson.RawValue{}, codes.New(28726, "Third argument to $slice must be numeric, but is of type: %s", value.TypeNameOf(vals[2]))
		}
		if n <= 0 {
			return bson.RawValue{}, codes.New(28729, "Third argument to $slice must be positive: %s", FormatScalar(vals[2]))
		}
		start, count = first, n
		if start < 0 {
			start = max(size+start, 0)
		}
	}
	start = min(start, size)
	end := min(start+count, size)
	return value.Array(arr[start:end]), nil
}

// indexOfArray is $indexOfArray: [array, search, start, end].
func indexOfArray(vals []bson.RawValue, sc value.StringComparer) (bson.RawValue, error) {
	if value.IsNullish(vals[0]) {
		return value.Null, nil
	}
	if vals[0].Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(40090, "$indexOfArray requires an array as a first argument, found: %s", value.TypeNameOf(vals[0]))
	}
	arr := value.Values(vals[0])
	start, end := int64(0), int64(len(arr))
	for i, v := range vals[2:] {
		x, ok := int32Arg(v)
		if !ok {
			return bson.RawValue{}, codes.New(40096, "$indexOfArray requires an integral starting index, found a value of type: %s, with value: %s", value.TypeNameOf(v), FormatScalar(v))
		}
		if x < 0 {
			return bson.RawValue{}, codes.New(40097, "$indexOfArray requires a nonnegative starting index, found: %d", x)
		}
		if i == 0 {
			start = x
		} else {
			end = min(x, end)
		}
	}
	for i := start; i < end; i++ {
		if compareWith(arr[i], vals[1], sc) == 0 {
			return value.Int32(int32(i)), nil
		}
	}
	return value.Int32(-1), nil
}

// rangeOf is $range: [start, end, step] of 32-bit integers.
// maxRangeBytes is mongod's internalQueryMaxRangeBytes default (64 MiB); tests may lower it.
var maxRangeBytes int64 = 64 << 20

func rangeOf(vals []bson.RawValue) (bson.RawValue, error) {
	names := []string{"starting value", "ending value", "step value"}
	numCodes := []codes.Code{34443, 34445, 34447}
	intCodes := []codes.Code{34444, 34446, 34448}
	nums := []int64{0, 0, 1}
	for i, v := range vals {
		if !value.IsNumber(v) {
			return bson.RawValue{}, codes.New(numCodes[i], "$range requires a numeric %s, found value of type: %s", names[i], value.TypeNameOf(v))
		}
		x, ok := int32Arg(v)
		if !ok {
			return bson.RawValue{}, codes.New(intCodes[i], "$range requires a %s that can be represented as a 32-bit integer, found value: %s", names[i], FormatScalar(v))
		}
		nums[i] = x
	}
	start, end, step := nums[0], nums[1], nums[2]
	if step == 0 {
		return bson.RawValue{}, codes.New(34449, "$range requires a non-zero step value")
	}
	// mongod's bound (expression.cpp): the array's approximate size, 24 bytes for the vector and 16 per
	// value, must stay under internalQueryMaxRangeBytes.
	length := int64(0)
	if steps := (end - start) / step; steps >= 0 {
		length = 1 + steps
	}
	if need := 24 + 16*length; need >= maxRangeBytes {
		return bson.RawValue{}, codes.New(codes.ExceededMemoryLimit, "$range would use too much memory (%d bytes) and cannot spill to disk. Memory limit: %d bytes", need, maxRangeBytes)
	}
	// Encoded directly: a slice of values first would hold several times the array's own size.
	idx, dst := bsoncore.AppendArrayStart(make([]byte, 0, 5+length*12))
	var key []byte
	n := 0
	for i := start; step > 0 && i < end || step < 0 && i > end; i += step {
		key = strconv.AppendInt(key[:0], int64(n), 10)
		dst = append(append(append(dst, byte(bson.TypeInt32)), key...), 0)
		dst = bsoncore.AppendInt32(dst, int32(i))
		n++
	}
	dst, _ = bsoncore.AppendArrayEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: dst}, nil
}

// arrayToObject is $arrayToObject: [[k, v], ...] or [{k, v}, ...]; a
// repeated key keeps its first position and its last value.
func arrayToObject(v bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(v) {
		return value.Null, nil
	}
	if v.Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(40386, "$arrayToObject requires an array input, found: %s", value.TypeNameOf(v))
	}
	var keys []string
	fields := map[string]bson.RawValue{}
	set := func(k string, val bson.RawValue) error {
		if strings.IndexByte(k, 0) >= 0 {
			return codes.New(4940400, "Key field cannot contain an embedded null byte")
		}
		if _, ok := fields[k]; !ok {
			keys = append(keys, k)
		}
		fields[k] = val
		return nil
	}
	elems := value.Values(v)
	for _, e := range elems {
		if e.Type != elems[0].Type {
			return bson.RawValue{}, codes.New(40391, "$arrayToObject requires a consistent input format. Elements must all be arrays or all be objects. Object was detected, now found: %s", value.TypeNameOf(e))
		}
		switch e.Type {
		case bson.TypeArray:
			pair := value.Values(e)
			if len(pair) != 2 {
				return bson.RawValue{}, codes.New(40397, "$arrayToObject requires an array of size 2 arrays,found array of size: %d", len(pair))
			}
			if pair[0].Type != bson.TypeString {
				return bson.RawValue{}, codes.New(40395, "$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: %s", value.TypeNameOf(pair[0]))
			}
			if err := set(stringOf(pair[0]), pair[1]); err != nil {
				return bson.RawValue{}, err
			}
		case bson.TypeEmbeddedDocument:
			doc := e.Document()
			kv, _ := doc.Elements()
			if len(kv) != 2 {
				return bson.RawValue{}, codes.New(40392, "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:%d", len(kv))
			}
			k, errK := doc.LookupErr("k")
			val, errV := doc.LookupErr("v")
			if errK != nil || errV != nil {
				return bson.RawValue{}, codes.New(40393, "$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys from: %s", doc.String())
			}
			if k.Type != bson.TypeString {
				return bson.RawValue{}, codes.New(40394, "$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: %s", value.TypeNameOf(k))
			}
			if err := set(stringOf(k), val); err != nil {
				return bson.RawValue{}, err
			}
		default:
			return bson.RawValue{}, codes.New(40398, "Unrecognised input type format for $arrayToObject: %s", value.TypeNameOf(e))
		}
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for _, k := range keys {
		dst = value.AppendElem(dst, k, fields[k])
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst), nil
}

// objectToArray is $objectToArray: {a: 1} becomes [{k: "a", v: 1}].
func objectToArray(v bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(v) {
		return value.Null, nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return bson.RawValue{}, codes.New(40390, "$objectToArray requires a document input, found: %s", value.TypeNameOf(v))
	}
	elems, err := v.Document().Elements()
	if err != nil {
		return bson.RawValue{}, codes.New(codes.InvalidBSON, "invalid document: %v", err)
	}
	out := make([]bson.RawValue, len(elems))
	for i, el := range elems {
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = bsoncore.AppendStringElement(dst, "k", el.Key())
		dst = value.AppendElem(dst, "v", el.Value())
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		out[i] = value.Doc(dst)
	}
	return value.Array(out), nil
}

// zip is $zip: {inputs, useLongestLength, defaults}.
type zip struct {
	inputs   []node
	longest  bool
	defaults []node
}

// compileZip compiles $zip; inputs and defaults must be literal arrays
// (of expressions), as in MongoDB.
func compileZip(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(34460, "$zip only supports an object as an argument, found %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $zip: %v", err)
	}
	var z zip
	haveInputs, haveDefaults := false, false
	for _, el := range elems {
		v := el.Value()
		switch el.Key() {
		case "inputs":
			if v.Type != bson.TypeArray {
				return nil, codes.New(34461, "inputs must be an array of expressions, found %s", value.TypeNameOf(v))
			}
			if z.inputs, err = compileArgs(v, scope); err != nil {
				return nil, err
			}
			haveInputs = true
		case "defaults":
			if v.Type != bson.TypeArray {
				return nil, codes.New(34462, "defaults must be an array of expressions, found %s", value.TypeNameOf(v))
			}
			if z.defaults, err = compileArgs(v, scope); err != nil {
				return nil, err
			}
			haveDefaults = true
		case "useLongestLength":
			b, ok := v.BooleanOK()
			if !ok {
				return nil, codes.New(34463, "useLongestLength must be a bool, found %s", value.TypeNameOf(v))
			}
			z.longest = b
		default:
			return nil, codes.New(34464, "$zip found an unknown argument: %s", el.Key())
		}
	}
	if !haveInputs {
		return nil, codes.New(34465, "$zip requires at least one input array")
	}
	if haveDefaults && !z.longest {
		return nil, codes.New(34466, "cannot specify defaults unless useLongestLength is true")
	}
	if haveDefaults && len(z.defaults) != len(z.inputs) {
		return nil, codes.New(34467, "defaults and inputs must have the same length")
	}
	return z, nil
}

// eval implements node.
func (n zip) eval(c *env) (bson.RawValue, error) {
	arrays := make([][]bson.RawValue, len(n.inputs))
	length := -1
	for i, in := range n.inputs {
		v, err := in.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if value.IsNullish(v) {
			return value.Null, nil
		}
		if v.Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(34468, "$zip found a non-array expression in input: %s", FormatScalar(v))
		}
		arrays[i] = value.Values(v)
		switch {
		case length < 0:
			length = len(arrays[i])
		case n.longest:
			length = max(length, len(arrays[i]))
		default:
			length = min(length, len(arrays[i]))
		}
	}
	defaults := make([]bson.RawValue, len(n.inputs))
	for i := range defaults {
		defaults[i] = value.Null
		if n.defaults != nil {
			v, err := n.defaults[i].eval(c)
			if err != nil {
				return bson.RawValue{}, err
			}
			if v.Type != 0 {
				defaults[i] = v
			}
		}
	}
	out := make([]bson.RawValue, max(length, 0))
	for j := range out {
		row := make([]bson.RawValue, len(arrays))
		for i, arr := range arrays {
			if j < len(arr) {
				row[i] = arr[j]
			} else {
				row[i] = defaults[i]
			}
		}
		out[j] = value.Array(row)
	}
	return value.Array(out), nil
}

// nOp is $firstN, $lastN, $maxN or $minN in expression position:
// {n, input}.
type nOp struct {
	op       string
	n, input node
}

// compileNOp compiles {$firstN: {n, input}} and its siblings.
func compileNOp(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := namedArgs(op, arg, scope, []string{"n", "input"}, nil, 5787900, 5787901, 5787906)
	if err != nil {
		return nil, err
	}
	return nOp{op: op, n: args["n"], input: args["input"]}, nil
}

// eval implements node: n must be a positive integer; $maxN and $minN
// skip null and missing elements.
func (n nOp) eval(c *env) (bson.RawValue, error) {
	nv, err := n.n.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	count, ok := ExactInt(nv)
	if !value.IsNumber(nv) || !ok {
		return bson.RawValue{}, codes.New(5787902, "Value for 'n' must be of integral type, but found %s", FormatScalar(nv))
	}
	if count <= 0 {
		return bson.RawValue{}, codes.New(5787908, "'n' must be greater than 0, found %d", count)
	}
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(5788200, "Input must be an array, found %s", value.TypeNameOf(in))
	}
	arr := value.Values(in)
	switch n.op {
	case "$firstN":
		return value.Array(arr[:min(int64(len(arr)), count)]), nil
	case "$lastN":
		return value.Array(arr[int64(len(arr))-min(int64(len(arr)), count):]), nil
	}
	kept := make([]bson.RawValue, 0, len(arr))
	for _, e := range arr {
		if !value.IsNullish(e) {
			kept = append(kept, e)
		}
	}
	desc := n.op == "$maxN"
	sort.SliceStable(kept, func(i, j int) bool {
		r := value.CompareWith(kept[i], kept[j], c.comparer())
		if desc {
			return r > 0
		}
		return r < 0
	})
	return value.Array(kept[:min(int64(len(kept)), count)]), nil
}

// sortArray is $sortArray: {input, sortBy}, sortBy 1 / -1 for the whole
// elements or a document of dotted paths and directions.
type sortArray struct {
	input node
	whole int // 1 or -1 when sortBy is a number, else 0
	paths [][]string
	dirs  []int
}

// compileSortArray compiles $sortArray; sortBy must be a constant.
func compileSortArray(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(2942500, "$sortArray requires an object as an argument, found: %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $sortArray: %v", err)
	}
	var s sortArray
	var sortBy bson.RawValue
	for _, el := range elems {
		switch el.Key() {
		case "input":
			if s.input, err = compile(el.Value(), scope); err != nil {
				return nil, err
			}
		case "sortBy":
			sortBy = el.Value()
		default:
			return nil, codes.New(2942501, "$sortArray found an unknown argument: %s", el.Key())
		}
	}
	if s.input == nil {
		return nil, codes.New(2942502, "$sortArray requires 'input' to be specified")
	}
	direction := func(v bson.RawValue) (int, bool) {
		i, ok := ExactInt(v)
		if !value.IsNumber(v) || !ok || i != 1 && i != -1 {
			return 0, false
		}
		return int(i), true
	}
	switch sortBy.Type {
	case 0:
		return nil, codes.New(2942503, "$sortArray requires 'sortBy' to be specified")
	case bson.TypeEmbeddedDocument:
		keys, err := sortBy.Document().Elements()
		if err != nil || len(keys) == 0 {
			return nil, codes.New(15976, "$sortArray sort must have at least one sort key")
		}
		for _, k := range keys {
			d, ok := direction(k.Value())
			if !ok {
				return nil, codes.New(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
			}
			path, err := SplitPath(k.Key())
			if err != nil {
				return nil, err
			}
			s.paths = append(s.paths, path)
			s.dirs = append(s.dirs, d)
		}
	default:
		d, ok := direction(sortBy)
		if !ok {
			return nil, codes.New(2942504, "$sortArray requires sortBy to be either 1 (ascending), -1 (descending) or an object")
		}
		s.whole = d
	}
	return s, nil
}

// eval implements node: a stable sort; a document sort key compares
// each element's value at the path (missing sorts as null; non-document
// elements have no fields).
func (n sortArray) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(in) {
		return value.Null, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(2942505, "The input argument to $sortArray must be an array, but was of type: %s", value.TypeNameOf(in))
	}
	arr := append([]bson.RawValue(nil), value.Values(in)...)
	key := func(e bson.RawValue, path []string) bson.RawValue {
		if e.Type != bson.TypeEmbeddedDocument {
			return value.Null
		}
		v := LookupPath(e.Document(), path)
		if v.Type == 0 {
			return value.Null
		}
		return v
	}
	sort.SliceStable(arr, func(i, j int) bool {
		if n.whole != 0 {
			return value.CompareWith(arr[i], arr[j], c.comparer())*n.whole < 0
		}
		for k, p := range n.paths {
			if r := value.CompareWith(key(arr[i], p), key(arr[j], p), c.comparer()); r != 0 {
				return r*n.dirs[k] < 0
			}
		}
		return false
	})
	return value.Array(arr), nil
}
