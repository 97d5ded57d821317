package sql

import (
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// PostgreSQL's jsonb functions and operators beyond -> and ->>: #> and #>> (a path), ? ?| ?& (keys),
// jsonb_array_length, jsonb_typeof, json(b)_build_array, jsonb_set and jsonb_object_keys (a set-returning
// function). A jsonb value here is a bson.RawValue.

// jsonOf reads a value as jsonb: a jsonb value as it is, text as JSON input, anything else as to_jsonb makes it.
func jsonOf(v any) (bson.RawValue, error) {
	if rv, ok := v.(bson.RawValue); ok {
		return rv, nil
	}
	c, err := coerce(v, OIDJSONB)
	if err != nil {
		return bson.RawValue{}, err
	}
	if rv, ok := c.(bson.RawValue); ok {
		return rv, nil
	}
	bv, err := toBSON(c, 0) // a scalar: a number, a string, a boolean
	if err != nil {
		return bson.RawValue{}, err
	}
	t, data, err := bson.MarshalValue(bv)
	return bson.RawValue{Type: t, Value: data}, err
}

// jsonPath reads a path operand: a text array, or its text form '{a,b}'.
func jsonPath(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		c, err := coerce(v, OIDTextArray)
		if err != nil {
			return nil, err
		}
		arr = c.([]any)
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		out[i] = formatText(e)
	}
	return out, nil
}

// jsonStep is one step of a path into a document (a key) or an array (an index, negative from the end).
func jsonStep(v bson.RawValue, key string) (bson.RawValue, bool) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		out, err := v.Document().LookupErr(key)
		return out, err == nil
	case bson.TypeArray:
		i, err := strconv.Atoi(key)
		if err != nil {
			return bson.RawValue{}, false
		}
		vals, _ := v.Array().Values()
		if i < 0 {
			i += len(vals)
		}
		if i < 0 || i >= len(vals) {
			return bson.RawValue{}, false
		}
		return vals[i], true
	}
	return bson.RawValue{}, false
}

// jsonText is ->>'s text of a jsonb value: a string's contents, a scalar's text, a document or array as JSON.
func jsonText(v bson.RawValue) any {
	switch v.Type {
	case 0, bson.TypeNull:
		return nil
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		return formatJSON(v)
	}
	return formatText(fromBSON(v))
}

// jsonOp evaluates #>, #>>, ?, ?| and ?&; ok is false for any other operator.
func jsonOp(op string, l, r any) (any, bool, error) {
	switch op {
	case "#>", "#>>", "?", "?|", "?&":
	default:
		return nil, false, nil
	}
	if l == nil || r == nil {
		return nil, true, nil
	}
	j, err := jsonOf(l)
	if err != nil {
		return nil, true, err
	}
	switch op {
	case "#>", "#>>":
		path, err := jsonPath(r)
		if err != nil {
			return nil, true, err
		}
		for _, k := range path {
			var ok bool
			if j, ok = jsonStep(j, k); !ok {
				return nil, true, nil
			}
		}
		if j.Type == bson.TypeNull {
			return nil, true, nil
		}
		if op == "#>>" {
			return jsonText(j), true, nil
		}
		return j, true, nil
	}
	keys := []string{formatText(r)}
	if op != "?" {
		if keys, err = jsonPath(r); err != nil {
			return nil, true, err
		}
	}
	has := func(k string) bool {
		switch j.Type {
		case bson.TypeEmbeddedDocument:
			_, err := j.Document().LookupErr(k)
			return err == nil
		case bson.TypeArray:
			vals, _ := j.Array().Values()
			for _, e := range vals {
				if s, ok := e.StringValueOK(); ok && s == k {
					return true
				}
			}
		case bson.TypeString:
			return j.StringValue() == k
		}
		return false
	}
	all := op == "?&"
	for _, k := range keys {
		if has(k) != all {
			return !all, true, nil
		}
	}
	return all, true, nil
}

// jsonFunc runs the jsonb functions; ok is false for any other.
func jsonFunc(name string, args []any) (any, bool, error) {
	switch name {
	case "json_build_array", "jsonb_build_array":
		a := bson.A{}
		for _, v := range args {
			bv, err := toBSON(v, 0)
			if err != nil {
				return nil, true, err
			}
			a = append(a, bv)
		}
		t, data, err := bson.MarshalValue(a)
		return bson.RawValue{Type: t, Value: data}, true, err
	case "jsonb_array_length", "json_array_length", "jsonb_typeof", "json_typeof", "jsonb_set":
	default:
		return nil, false, nil
	}
	lo, hi := 1, 1
	if name == "jsonb_set" {
		lo, hi = 3, 4
	}
	if len(args) < lo || len(args) > hi {
		return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if args[0] == nil || name == "jsonb_set" && (args[1] == nil || args[2] == nil) {
		return nil, true, nil
	}
	j, err := jsonOf(args[0])
	if err != nil {
		return nil, true, err
	}
	switch name {
	case "jsonb_array_length", "json_array_length":
		if j.Type != bson.TypeArray {
			if j.Type == bson.TypeEmbeddedDocument {
				return nil, true, errorf(CodeInvalidParameterValue, "cannot get array length of a non-array")
			}
			return nil, true, errorf(CodeInvalidParameterValue, "cannot get array length of a scalar")
		}
		vals, _ := j.Array().Values()
		return int64(len(vals)), true, nil
	case "jsonb_typeof", "json_typeof":
		switch j.Type {
		case bson.TypeEmbeddedDocument:
			return "object", true, nil
		case bson.TypeArray:
			return "array", true, nil
		case bson.TypeString:
			return "string", true, nil
		case bson.TypeBoolean:
			return "boolean", true, nil
		case bson.TypeNull, 0:
			return "null", true, nil
		}
		return "number", true, nil
	}
	// jsonb_set(target, path, new_value [, create_if_missing])
	path, err := jsonPath(args[1])
	if err != nil {
		return nil, true, err
	}
	nv, err := jsonOf(args[2])
	if err != nil {
		return nil, true, err
	}
	create := len(args) < 4 || args[3] == nil || asBool(args[3]) == true
	var target any
	if err := bson.UnmarshalValue(j.Type, j.Value, &target); err != nil {
		return nil, true, err
	}
	out := jsonSet(target, path, nv, create)
	t, data, err := bson.MarshalValue(out)
	return bson.RawValue{Type: t, Value: data}, true, err
}

// jsonSet is jsonb_set on a decoded value: the value at path replaced (or, when create, added as a document's
// last key or an array's element at an index past its end), the rest as it was.
func jsonSet(target any, path []string, nv bson.RawValue, create bool) any {
	if len(path) == 0 {
		return nv
	}
	switch t := target.(type) {
	case bson.D:
		out := make(bson.D, 0, len(t)+1)
		found := false
		for _, e := range t {
			if e.Key == path[0] {
				found = true
				e.Value = jsonSet(e.Value, path[1:], nv, create)
			}
			out = append(out, e)
		}
		if !found && create && len(path) == 1 {
			out = append(out, bson.E{Key: path[0], Value: nv})
		}
		return out
	case bson.A:
		i, err := strconv.Atoi(path[0])
		if err != nil {
			return t
		}
		if i < 0 {
			i += len(t)
		}
		out := append(bson.A{}, t...)
		switch {
		case i >= 0 && i < len(out):
			out[i] = jsonSet(out[i], path[1:], nv, create)
		case create && len(path) == 1 && i >= len(out):
			out = append(out, nv)
		case create && len(path) == 1 && i < 0:
			out = append(bson.A{nv}, out...)
		}
		return out
	}
	return target
}
