package expr

import (
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the array, object, type and conversion operators.

// fixed is an operator evaluated from its evaluated arguments.
type fixed struct {
	op   string
	args []node
}

// compileFixed returns a compiler checking the argument count (-1: any).
func compileFixed(n int) opCompiler {
	return func(op string, arg bson.RawValue, scope *Scope) (node, error) {
		args, err := compileN(op, arg, scope, n)
		if err != nil {
			return nil, err
		}
		return fixed{op: op, args: args}, nil
	}
}

// eval implements node.
func (n fixed) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$in":
		if vals[1].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(40081, "$in requires an array as a second argument, found: %s", value.TypeNameOf(vals[1]))
		}
		for _, e := range value.Values(vals[1]) {
			if c.compare(vals[0], e) == 0 {
				return value.Bool(true), nil
			}
		}
		return value.Bool(false), nil
	case "$size":
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(17124, "The argument to $size must be an array. Type of argument is %s", value.TypeNameOf(vals[0]))
		}
		return value.Int32(int32(len(value.Values(vals[0])))), nil
	case "$arrayElemAt":
		return arrayElemAt(vals[0], vals[1])
	case "$first", "$last":
		if value.IsNullish(vals[0]) {
			return value.Null, nil
		}
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(28689, "%s's argument must be an array, but is %s", n.op, value.TypeNameOf(vals[0]))
		}
		arr := value.Values(vals[0])
		if len(arr) == 0 {
			return bson.RawValue{}, nil
		}
		if n.op == "$first" {
			return arr[0], nil
		}
		return arr[len(arr)-1], nil
	case "$isArray":
		return value.Bool(vals[0].Type == bson.TypeArray), nil
	case "$reverseArray":
		if value.IsNullish(vals[0]) {
			return value.Null, nil
		}
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(34435, "The argument to $reverseArray must be an array, but was of type: %s", value.TypeNameOf(vals[0]))
		}
		arr := value.Values(vals[0])
		out := make([]bson.RawValue, len(arr))
		for i, v := range arr {
			out[len(arr)-1-i] = v
		}
		return value.Array(out), nil
	case "$concatArrays":
		var out []bson.RawValue
		for _, v := range vals {
			if value.IsNullish(v) {
				return value.Null, nil
			}
			if v.Type != bson.TypeArray {
				return bson.RawValue{}, codes.New(28664, "$concatArrays only supports arrays, not %s", value.TypeNameOf(v))
			}
			out = append(out, value.Values(v)...)
		}
		return value.Array(out), nil
	case "$mergeObjects":
		return mergeObjects(vals)
	case "$type":
		return value.String(value.TypeNameOf(vals[0])), nil
	case "$isNumber":
		return value.Bool(value.IsNumber(vals[0])), nil
	case "$sum", "$avg", "$min", "$max", "$stdDevPop", "$stdDevSamp":
		// With one array argument the operator folds the array's elements,
		// otherwise it folds its arguments; $group's accumulators do the work.
		if len(vals) == 1 && vals[0].Type == bson.TypeArray {
			vals = value.Values(vals[0])
		}
		acc := accumulators[n.op]()
		collate(acc, c.comparer())
		for _, v := range vals {
			if err := acc.Add(v); err != nil {
				return bson.RawValue{}, err
			}
		}
		return acc.Result(), nil
	}
	return convert(n.op, vals[0])
}

// arrayElemAt is $arrayElemAt: negative indexes count from the end; an
// index out of range gives missing.
func arrayElemAt(arr, idx bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(arr) || value.IsNullish(idx) {
		return value.Null, nil
	}
	if arr.Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(28689, "$arrayElemAt's first argument must be an array, but is %s", value.TypeNameOf(arr))
	}
	if !value.IsNumber(idx) {
		return bson.RawValue{}, codes.New(28690, "$arrayElemAt's second argument must be a numeric value, but is %s", value.TypeNameOf(idx))
	}
	i, ok := ExactInt(idx)
	if !ok || i < math.MinInt32 || i > math.MaxInt32 {
		return bson.RawValue{}, codes.New(28691, "$arrayElemAt's second argument must be representable as a 32-bit integer: %s", FormatScalar(idx))
	}
	vals := value.Values(arr)
	if i < 0 {
		i += int64(len(vals))
	}
	if i < 0 || i >= int64(len(vals)) {
		return bson.RawValue{}, nil
	}
	return vals[i], nil
}

// mergeObjects is $mergeObjects: later documents override earlier
// fields in place; null and missing arguments are ignored.
func mergeObjects(vals []bson.RawValue) (bson.RawValue, error) {
	var keys []string
	fields := map[string]bson.RawValue{}
	for i, v := range vals {
		if value.IsNullish(v) {
			continue
		}
		if v.Type != bson.TypeEmbeddedDocument {
			return bson.RawValue{}, codes.New(40400, "$mergeObjects requires object inputs, but input %d is of type %s", i, value.TypeNameOf(v))
		}
		elems, err := v.Document().Elements()
		if err != nil {
			return bson.RawValue{}, codes.New(codes.InvalidBSON, "invalid document: %v", err)
		}
		for _, el := range elems {
			k := el.Key()
			if _, ok := fields[k]; !ok {
				keys = append(keys, k)
			}
			fields[k] = el.Value()
		}
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for _, k := range keys {
		dst = value.AppendElem(dst, k, fields[k])
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst), nil
}

// conversionError is $convert's error when no onError is given.
func conversionError(format string, args ...any) error {
	return codes.New(conversionFailure, format+" in $convert with no onError value", args...)
}

// convert implements $toString, $toInt, $toLong, $toDouble and $toBool.
// Null and missing convert to null.
func convert(op string, v bson.RawValue) (bson.RawValue, error) {
	if value.IsNullish(v) {
		return value.Null, nil
	}
	unsupported := func(target string) error {
		return conversionError("Unsupported conversion from %s to %s", value.TypeNameOf(v), target)
	}
	switch op {
	case "$toString":
		switch v.Type {
		case bson.TypeString:
			return v, nil
		case bson.TypeBoolean:
			return value.String(strconv.FormatBool(v.Boolean())), nil
		case bson.TypeObjectID:
			return value.String(v.ObjectID().Hex()), nil
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128, bson.TypeDateTime:
			return value.String(FormatScalar(v)), nil
		}
		return bson.RawValue{}, unsupported("string")
	case "$toBool":
		switch v.Type {
		case bson.TypeBoolean:
			return v, nil
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			return value.Bool(Truthy(v)), nil
		case bson.TypeArray, bson.TypeEmbeddedDocument, bson.TypeString, bson.TypeObjectID,
			bson.TypeDateTime, bson.TypeTimestamp, bson.TypeRegex, bson.TypeBinary:
			return value.Bool(true), nil
		}
		return bson.RawValue{}, unsupported("bool")
	case "$toDouble":
		switch v.Type {
		case bson.TypeBoolean:
			if v.Boolean() {
				return value.Double(1), nil
			}
			return value.Double(0), nil
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			f, _ := value.ToFloat(v)
			return value.Double(f), nil
		case bson.TypeDateTime:
			return value.Double(float64(v.DateTime())), nil
		case bson.TypeString:
			s := v.StringValue()
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || strings.ContainsAny(s, "xXpP_") {
				return bson.RawValue{}, conversionError("Failed to parse number '%s'", s)
			}
			return value.Double(f), nil
		}
		return bson.RawValue{}, unsupported("double")
	}
	// $toInt / $toLong
	target, lo, hi := "int", int64(math.MinInt32), int64(math.MaxInt32)
	if op == "$toLong" {
		target, lo, hi = "long", math.MinInt64, math.MaxInt64
	}
	var n int64
	switch v.Type {
	case bson.TypeBoolean:
		if v.Boolean() {
			n = 1
		}
	case bson.TypeInt32, bson.TypeInt64:
		n, _ = value.ToInt64(v)
	case bson.TypeDouble, bson.TypeDecimal128:
		f, _ := value.ToFloat(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return bson.RawValue{}, conversionError("Attempt to convert NaN or infinity value to integer")
		}
		t := math.Trunc(f)
		if t < float64(lo) || t >= float64(hi)+1 {
			return bson.RawValue{}, conversionError("Conversion would overflow target type")
		}
		n = int64(t)
	case bson.TypeDateTime:
		if op != "$toLong" {
			return bson.RawValue{}, unsupported(target)
		}
		n = v.DateTime()
	case bson.TypeString:
		s := v.StringValue()
		var err error
		n, err = strconv.ParseInt(s, 10, 64)
		if err != nil || n < lo || n > hi {
			return bson.RawValue{}, conversionError("Failed to parse number '%s'", s)
		}
	default:
		return bson.RawValue{}, unsupported(target)
	}
	if n < lo || n > hi {
		return bson.RawValue{}, conversionError("Conversion would overflow target type")
	}
	if op == "$toInt" {
		return value.Int32(int32(n)), nil
	}
	return value.Int64(n), nil
}
