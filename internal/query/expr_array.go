package query

import (
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
)

// This file holds the array, object, type and conversion operators.

func init() {
	for k, v := range map[string]aggOpCompiler{
		"$in":           aggCompileFixed(2),
		"$size":         aggCompileFixed(1),
		"$arrayElemAt":  aggCompileFixed(2),
		"$first":        aggCompileFixed(1),
		"$last":         aggCompileFixed(1),
		"$isArray":      aggCompileFixed(1),
		"$reverseArray": aggCompileFixed(1),
		"$concatArrays": aggCompileFixed(-1),
		"$mergeObjects": aggCompileFixed(-1),
		"$type":         aggCompileFixed(1),
		"$isNumber":     aggCompileFixed(1),
		"$toString":     aggCompileFixed(1),
		"$toInt":        aggCompileFixed(1),
		"$toLong":       aggCompileFixed(1),
		"$toDouble":     aggCompileFixed(1),
		"$toBool":       aggCompileFixed(1),
		"$sum":          aggCompileFixed(-1),
		"$avg":          aggCompileFixed(-1),
		"$min":          aggCompileFixed(-1),
		"$max":          aggCompileFixed(-1),
	} {
		aggOperators[k] = v
	}
}

// aggFixed is an operator evaluated from its evaluated arguments.
type aggFixed struct {
	op   string
	args []aggNode
}

// aggCompileFixed returns a compiler checking the argument count (-1: any).
func aggCompileFixed(n int) aggOpCompiler {
	return func(op string, arg bson.RawValue, scope *aggScope) (aggNode, error) {
		args, err := aggCompileN(op, arg, scope, n)
		if err != nil {
			return nil, err
		}
		return aggFixed{op: op, args: args}, nil
	}
}

func (n aggFixed) eval(c *aggCtx) (bson.RawValue, error) {
	vals, err := aggEvalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$in":
		if vals[1].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(40081, "$in requires an array as a second argument, found: %s", aggTypeName(vals[1]))
		}
		for _, e := range aggValues(vals[1]) {
			if aggCompare(vals[0], e) == 0 {
				return aggBool(true), nil
			}
		}
		return aggBool(false), nil
	case "$size":
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(17124, "The argument to $size must be an array. Type of argument is %s", aggTypeName(vals[0]))
		}
		return aggInt32(int32(len(aggValues(vals[0])))), nil
	case "$arrayElemAt":
		return aggArrayElemAt(vals[0], vals[1])
	case "$first", "$last":
		if aggIsNullish(vals[0]) {
			return aggNull, nil
		}
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(28689, "%s's argument must be an array, but is %s", n.op, aggTypeName(vals[0]))
		}
		arr := aggValues(vals[0])
		if len(arr) == 0 {
			return bson.RawValue{}, nil
		}
		if n.op == "$first" {
			return arr[0], nil
		}
		return arr[len(arr)-1], nil
	case "$isArray":
		return aggBool(vals[0].Type == bson.TypeArray), nil
	case "$reverseArray":
		if aggIsNullish(vals[0]) {
			return aggNull, nil
		}
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(34435, "The argument to $reverseArray must be an array, but was of type: %s", aggTypeName(vals[0]))
		}
		arr := aggValues(vals[0])
		out := make([]bson.RawValue, len(arr))
		for i, v := range arr {
			out[len(arr)-1-i] = v
		}
		return aggArrayValue(out), nil
	case "$concatArrays":
		var out []bson.RawValue
		for _, v := range vals {
			if aggIsNullish(v) {
				return aggNull, nil
			}
			if v.Type != bson.TypeArray {
				return bson.RawValue{}, codes.New(28664, "$concatArrays only supports arrays, not %s", aggTypeName(v))
			}
			out = append(out, aggValues(v)...)
		}
		return aggArrayValue(out), nil
	case "$mergeObjects":
		return aggMergeObjects(vals)
	case "$type":
		return aggString(aggTypeName(vals[0])), nil
	case "$isNumber":
		return aggBool(aggIsNumber(vals[0])), nil
	case "$sum", "$avg", "$min", "$max":
		// With one array argument the operator folds the array's elements,
		// otherwise it folds its arguments; $group's accumulators do the work.
		if len(vals) == 1 && vals[0].Type == bson.TypeArray {
			vals = aggValues(vals[0])
		}
		acc := aggAccumulators[n.op]()
		for _, v := range vals {
			if err := acc.add(v); err != nil {
				return bson.RawValue{}, err
			}
		}
		return acc.result(), nil
	}
	return aggConvert(n.op, vals[0])
}

// aggArrayElemAt is $arrayElemAt: negative indexes count from the end; an
// index out of range gives missing.
func aggArrayElemAt(arr, idx bson.RawValue) (bson.RawValue, error) {
	if aggIsNullish(arr) || aggIsNullish(idx) {
		return aggNull, nil
	}
	if arr.Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(28689, "$arrayElemAt's first argument must be an array, but is %s", aggTypeName(arr))
	}
	if !aggIsNumber(idx) {
		return bson.RawValue{}, codes.New(28690, "$arrayElemAt's second argument must be a numeric value, but is %s", aggTypeName(idx))
	}
	i, ok := aggExactInt(idx)
	if !ok || i < math.MinInt32 || i > math.MaxInt32 {
		return bson.RawValue{}, codes.New(28691, "$arrayElemAt's second argument must be representable as a 32-bit integer: %s", aggFormatScalar(idx))
	}
	vals := aggValues(arr)
	if i < 0 {
		i += int64(len(vals))
	}
	if i < 0 || i >= int64(len(vals)) {
		return bson.RawValue{}, nil
	}
	return vals[i], nil
}

// aggMergeObjects is $mergeObjects: later documents override earlier
// fields in place; null and missing arguments are ignored.
func aggMergeObjects(vals []bson.RawValue) (bson.RawValue, error) {
	var keys []string
	fields := map[string]bson.RawValue{}
	for i, v := range vals {
		if aggIsNullish(v) {
			continue
		}
		if v.Type != bson.TypeEmbeddedDocument {
			return bson.RawValue{}, codes.New(40400, "$mergeObjects requires object inputs, but input %d is of type %s", i, aggTypeName(v))
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
		dst = aggAppendElem(dst, k, fields[k])
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return aggDocValue(dst), nil
}

// aggConversionError is $convert's error when no onError is given.
func aggConversionError(format string, args ...any) error {
	return codes.New(241, format+" in $convert with no onError value", args...)
}

// aggConvert implements $toString, $toInt, $toLong, $toDouble and $toBool.
// Null and missing convert to null.
func aggConvert(op string, v bson.RawValue) (bson.RawValue, error) {
	if aggIsNullish(v) {
		return aggNull, nil
	}
	unsupported := func(target string) error {
		return aggConversionError("Unsupported conversion from %s to %s", aggTypeName(v), target)
	}
	switch op {
	case "$toString":
		switch v.Type {
		case bson.TypeString:
			return v, nil
		case bson.TypeBoolean:
			return aggString(strconv.FormatBool(v.Boolean())), nil
		case bson.TypeObjectID:
			return aggString(v.ObjectID().Hex()), nil
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128, bson.TypeDateTime:
			return aggString(aggFormatScalar(v)), nil
		}
		return bson.RawValue{}, unsupported("string")
	case "$toBool":
		switch v.Type {
		case bson.TypeBoolean:
			return v, nil
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			return aggBool(Truthy(v)), nil
		case bson.TypeArray, bson.TypeEmbeddedDocument, bson.TypeString, bson.TypeObjectID,
			bson.TypeDateTime, bson.TypeTimestamp, bson.TypeRegex, bson.TypeBinary:
			return aggBool(true), nil
		}
		return bson.RawValue{}, unsupported("bool")
	case "$toDouble":
		switch v.Type {
		case bson.TypeBoolean:
			if v.Boolean() {
				return aggDouble(1), nil
			}
			return aggDouble(0), nil
		case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
			f, _ := aggToFloat(v)
			return aggDouble(f), nil
		case bson.TypeDateTime:
			return aggDouble(float64(v.DateTime())), nil
		case bson.TypeString:
			s := v.StringValue()
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || strings.ContainsAny(s, "xXpP_") {
				return bson.RawValue{}, aggConversionError("Failed to parse number '%s'", s)
			}
			return aggDouble(f), nil
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
		n, _ = aggToInt64(v)
	case bson.TypeDouble, bson.TypeDecimal128:
		f, _ := aggToFloat(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return bson.RawValue{}, aggConversionError("Attempt to convert NaN or infinity value to integer")
		}
		t := math.Trunc(f)
		if t < float64(lo) || t >= float64(hi)+1 {
			return bson.RawValue{}, aggConversionError("Conversion would overflow target type")
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
			return bson.RawValue{}, aggConversionError("Failed to parse number '%s'", s)
		}
	default:
		return bson.RawValue{}, unsupported(target)
	}
	if n < lo || n > hi {
		return bson.RawValue{}, aggConversionError("Conversion would overflow target type")
	}
	if op == "$toInt" {
		return aggInt32(int32(n)), nil
	}
	return aggInt64(n), nil
}
