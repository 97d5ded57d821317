package sql

import (
	"fmt"
	"strings"
)

// An array value is a []any of its elements; a multi-dimensional one nests a []any per sub-array, each of the
// same length (ARRAY[[1,2],[3,4]] is []any{[]any{1, 2}, []any{3, 4}}). Every dimension's lower bound is 1.

// maxArrayDims and maxArrayItems are PostgreSQL's limits on an array's dimensions and elements.
const (
	maxArrayDims  = 6
	maxArrayItems = 134217727
)

// arrayDims is the length of each of a's dimensions, outermost first: none for an empty array.
func arrayDims(a []any) []int {
	var dims []int
	for len(a) > 0 {
		dims = append(dims, len(a))
		sub, ok := a[0].([]any)
		if !ok {
			break
		}
		a = sub
	}
	return dims
}

// ArrayShape is the length of each of an array's dimensions (none when it is empty) and its elements in storage
// order, for the binary form of a multi-dimensional array.
func ArrayShape(a []any) (dims []int, elems []any) { return arrayDims(a), arrayFlat(a) }

// arrayFlat is a's elements in storage order (row-major), of every dimension.
func arrayFlat(a []any) []any {
	if len(a) == 0 {
		return a
	}
	if _, nested := a[0].([]any); !nested {
		return a
	}
	var out []any
	for _, e := range a {
		sub, _ := e.([]any)
		out = append(out, arrayFlat(sub)...)
	}
	return out
}

// checkArrayShape fails with 2202E unless every sub-array of a (an ARRAY[...] constructor's value) has the
// shape of the first, as PostgreSQL requires of a multi-dimensional array; a has sub-arrays or none.
func checkArrayShape(a []any) error {
	if len(a) == 0 {
		return nil
	}
	first, nested := a[0].([]any)
	if !nested {
		return nil
	}
	want := fmt.Sprint(arrayDims(first))
	for _, e := range a {
		sub, ok := e.([]any)
		if !ok || fmt.Sprint(arrayDims(sub)) != want {
			return errorf(CodeArraySubscriptError, "multidimensional arrays must have array expressions with matching dimensions")
		}
	}
	return nil
}

// arrayFuncs are the array functions of arrayFunc.
var arrayFuncs = map[string][2]int{
	"array_ndims": {1, 1}, "array_dims": {1, 1}, "array_length": {2, 2}, "cardinality": {1, 1},
	"array_upper": {2, 2}, "array_lower": {2, 2}, "array_position": {2, 3}, "array_positions": {2, 2},
	"array_replace": {3, 3}, "array_fill": {2, 3}, "trim_array": {2, 2},
}

// arrayFunc runs the functions of arrayFuncs on evaluated arguments, as PostgreSQL's: strict but for the
// element searched for (array_position(s), array_replace) and array_fill's value; ok is false for another name.
func arrayFunc(name string, args []any) (v any, ok bool, err error) {
	want, known := arrayFuncs[name]
	if !known {
		return nil, false, nil
	}
	if len(args) < want[0] || len(args) > want[1] {
		return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if name == "array_fill" {
		v, err := arrayFill(args)
		return v, true, err
	}
	if args[0] == nil {
		return nil, true, nil
	}
	a, isArr := args[0].([]any)
	if !isArr {
		c, err := coerce(args[0], OIDTextArray)
		if err != nil {
			return nil, true, err
		}
		a = c.([]any)
	}
	dims := arrayDims(a)
	dim := func() (int, bool) {
		if args[1] == nil {
			return 0, false
		}
		d, err := coerce(numeric(args[1]), OIDInt8)
		if err != nil || d.(int64) < 1 || d.(int64) > int64(len(dims)) {
			return 0, false
		}
		return int(d.(int64)), true
	}
	switch name {
	case "trim_array":
		// The array without its last n elements (of the first dimension); n outside 0 .. length is 2202E.
		if args[1] == nil {
			return nil, true, nil
		}
		n, err := coerce(numeric(args[1]), OIDInt4)
		if err != nil {
			return nil, true, err
		}
		length := 0
		if len(dims) > 0 {
			length = dims[0]
		}
		if k := int(n.(int64)); k >= 0 && k <= length {
			return a[:length-k], true, nil
		}
		return nil, true, errorf(CodeArraySubscriptError, "number of elements to trim must be between 0 and %d", length)
	case "array_ndims":
		if len(dims) == 0 {
			return nil, true, nil
		}
		return int64(len(dims)), true, nil
	case "array_dims":
		if len(dims) == 0 {
			return nil, true, nil
		}
		var b strings.Builder
		for _, n := range dims {
			fmt.Fprintf(&b, "[1:%d]", n)
		}
		return b.String(), true, nil
	case "cardinality":
		return int64(len(arrayFlat(a))), true, nil
	case "array_length", "array_upper", "array_lower":
		d, ok := dim()
		switch {
		case !ok:
			return nil, true, nil
		case name == "array_lower":
			return int64(1), true, nil
		}
		return int64(dims[d-1]), true, nil
	case "array_replace":
		return arrayReplace(a, args[1], args[2]), true, nil
	}
	// array_position, array_positions: the first (or every) subscript holding the value, a NULL finding NULLs.
	if len(dims) > 1 {
		return nil, true, errorf(CodeFeatureNotSupported, "searching for elements in multidimensional arrays is not supported")
	}
	from := 0
	if len(args) > 2 {
		if args[2] == nil {
			return nil, true, errorf(CodeNullValueNotAllowed, "initial position must not be null")
		}
		s, err := coerce(numeric(args[2]), OIDInt8)
		if err != nil {
			return nil, true, err
		}
		from = int(max(min(s.(int64), int64(len(a))+1), 1)) - 1
	}
	found := []any{}
	for i := from; i < len(a); i++ {
		if sameElement(a[i], args[1]) {
			if name == "array_position" {
				return int64(i + 1), true, nil
			}
			found = append(found, int64(i+1))
		}
	}
	if name == "array_position" {
		return nil, true, nil
	}
	return found, true, nil
}

// sameElement reports whether an array's element is v as array_position compares them: equal, or both NULL.
func sameElement(e, v any) bool {
	if e == nil || v == nil {
		return e == nil && v == nil
	}
	eq, _ := binaryOp("=", e, v)
	return eq == true
}

// arrayReplace is a with each element equal to from (each NULL, when from is NULL) replaced by to, in every
// dimension.
func arrayReplace(a []any, from, to any) []any {
	out := make([]any, len(a))
	for i, e := range a {
		switch sub, nested := e.([]any); {
		case nested:
			out[i] = arrayReplace(sub, from, to)
		case sameElement(e, from):
			out[i] = to
		default:
			out[i] = e
		}
	}
	return out
}

// arrayFill is array_fill(value, dims [, lower bounds]): an array of dims' lengths holding value everywhere.
// Lower bounds other than 1 are refused (0A000): Concord's arrays start at 1.
func arrayFill(args []any) (any, error) {
	nullBounds := errorf(CodeNullValueNotAllowed, "dimension array or low bound array cannot be null")
	if args[1] == nil || len(args) > 2 && args[2] == nil {
		return nil, nullBounds
	}
	ints := func(v any, what string) ([]int64, error) {
		a, _ := v.([]any)
		if len(arrayDims(a)) > 1 {
			return nil, &Error{Code: CodeArraySubscriptError, Message: "wrong number of array subscripts",
				Detail: what + " array must be one dimensional."}
		}
		out := make([]int64, len(a))
		for i, e := range a {
			if e == nil {
				return nil, errorf(CodeNullValueNotAllowed, "dimension values cannot be null")
			}
			n, err := coerce(numeric(e), OIDInt8)
			if err != nil {
				return nil, err
			}
			out[i] = n.(int64)
		}
		return out, nil
	}
	dims, err := ints(args[1], "Dimension")
	if err != nil {
		return nil, err
	}
	if len(args) > 2 {
		lbs, err := ints(args[2], "Low bound")
		if err != nil {
			return nil, err
		}
		if len(lbs) != len(dims) {
			return nil, &Error{Code: CodeArraySubscriptError, Message: "wrong number of array subscripts",
				Detail: "Low bound array has different size than dimensions array."}
		}
		for _, lb := range lbs {
			if lb != 1 {
				return nil, errorf(CodeFeatureNotSupported, "array lower bounds other than 1 are not supported")
			}
		}
	}
	if len(dims) > maxArrayDims {
		return nil, errorf(CodeProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (%d)", len(dims), maxArrayDims)
	}
	total := int64(1)
	for _, n := range dims {
		if n < 0 || n > maxArrayItems || total*n > maxArrayItems {
			return nil, errorf(CodeProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", maxArrayItems)
		}
		total *= n
	}
	if len(dims) == 0 || total == 0 {
		return []any{}, nil
	}
	var fill func(d int) []any
	fill = func(d int) []any {
		out := make([]any, dims[d])
		for i := range out {
			if d == len(dims)-1 {
				out[i] = args[0]
			} else {
				out[i] = fill(d + 1)
			}
		}
		return out
	}
	return fill(0), nil
}
