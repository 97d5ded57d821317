package sql

import (
	"sort"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// PostgreSQL's jsonb functions and operators beyond -> and ->>: #> and #>> (a path), ? ?| ?& (keys),
// jsonb_array_length, jsonb_typeof, json(b)_build_array, jsonb_set and jsonb_object_keys (a set-returning
// function). A jsonb value here is a bson.RawValue.

// jsonOf reads a value as jsonb: a jsonb value as it is, text as JSON input, anything else as to_jsonb makes it.
func jsonOf(v any) (bson.RawValue, error) {
	if rv, ok := jsonValue(v); ok {
		return rv, nil // a json value's keys in their order
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

// jsonFieldText is ->>'s text of a jsonb value: a string's contents, a scalar's text, a document or array as JSON.
func jsonFieldText(v bson.RawValue) any {
	switch v.Type {
	case 0, bson.TypeNull:
		return nil
	case bson.TypeEmbeddedDocument, bson.TypeArray:
		return formatJSON(v)
	case bson.TypeBoolean:
		return strconv.FormatBool(v.Boolean()) // JSON's true, not SQL's t
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
		if j.Type == bson.TypeNull && op == "#>>" {
			return nil, true, nil // #> gives a JSON null as jsonb
		}
		if op == "#>>" {
			return jsonFieldText(j), true, nil
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
			a = append(a, jsonElem(v))
		}
		t, data, err := bson.MarshalValue(a)
		return bson.RawValue{Type: t, Value: data}, true, err
	case "jsonb_extract_path", "json_extract_path", "jsonb_extract_path_text", "json_extract_path_text":
		if len(args) < 1 {
			return nil, true, errorf(CodeUndefinedFunction, "function %s() does not exist", name)
		}
		path := make([]any, len(args)-1)
		copy(path, args[1:])
		op := "#>"
		if strings.HasSuffix(name, "_text") {
			op = "#>>"
		}
		for _, p := range path {
			if p == nil {
				return nil, true, nil
			}
		}
		v, _, err := jsonOp(op, args[0], path)
		return v, true, err
	case "jsonb_strip_nulls", "json_strip_nulls", "jsonb_pretty":
		if len(args) != 1 {
			return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		if args[0] == nil {
			return nil, true, nil
		}
		j, err := jsonOf(args[0])
		if err != nil {
			return nil, true, err
		}
		switch name {
		case "jsonb_pretty":
			var b strings.Builder
			jsonPretty(&b, j, 0)
			return b.String(), true, nil
		case "json_strip_nulls":
			src, err := jsonSource(args[0])
			if err != nil {
				return nil, true, err
			}
			out, err := jsonStripNulls(src)
			if err != nil {
				return nil, true, err
			}
			return jsonText(out), true, nil
		}
		return stripNulls(j), true, nil
	case "jsonb_exists", "jsonb_exists_any", "jsonb_exists_all":
		return jsonbExists(name, args)
	case "jsonb_insert":
		return jsonbInsert(args)
	case "jsonb_set_lax":
		return jsonbSetLax(args)
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
	// jsonb_set(target, path, new_value [, create_if_missing]): NULL when any argument is (it is strict).
	if len(args) == 4 && args[3] == nil {
		return nil, true, nil
	}
	if c, err := coerce(args[1], OIDTextArray); err == nil {
		for i, e := range c.([]any) {
			if e == nil {
				return nil, true, errorf("22004", "path element at position %d is null", i+1)
			}
		}
	}
	path, err := jsonPath(args[1])
	if err != nil {
		return nil, true, err
	}
	nv, err := jsonOf(args[2])
	if err != nil {
		return nil, true, err
	}
	if j.Type != bson.TypeEmbeddedDocument && j.Type != bson.TypeArray {
		return nil, true, errorf(CodeInvalidParameterValue, "cannot set path in scalar")
	}
	if len(path) == 0 {
		return j, true, nil
	}
	create := len(args) < 4 || asBool(args[3]) == true
	out, err := editJSON(j, func(target any) (any, error) { return jsonSet(target, path, 0, nv, create) })
	return out, true, err
}

// jsonbSetLax is jsonb_set_lax(target, path, new_value [, create_if_missing [, null_value_treatment]]): jsonb_set
// for a value, and for an SQL NULL what null_value_treatment says ('use_json_null', the default, sets JSON's null;
// 'delete_key' removes the path, 'return_target' changes nothing, 'raise_exception' is 22004). NULL when the
// target, the path or create_if_missing is.
func jsonbSetLax(args []any) (any, bool, error) {
	if len(args) < 3 || len(args) > 5 {
		return nil, true, errorf(CodeUndefinedFunction, "function jsonb_set_lax with %d arguments does not exist", len(args))
	}
	if args[0] == nil || args[1] == nil || len(args) > 3 && args[3] == nil {
		return nil, true, nil
	}
	set := func(nv any) (any, bool, error) {
		a := append([]any{args[0], args[1], nv}, args[3:min(len(args), 4)]...)
		return jsonFunc("jsonb_set", a)
	}
	treatment := "use_json_null"
	if len(args) == 5 {
		if args[4] == nil {
			treatment = ""
		} else {
			treatment = formatText(args[4])
		}
	}
	if args[2] != nil {
		if treatment == "" {
			return nil, true, errorf(CodeInvalidParameterValue, `null_value_treatment must be "delete_key", "return_target", "use_json_null", or "raise_exception"`)
		}
		return set(args[2])
	}
	switch treatment {
	case "raise_exception":
		return nil, true, &Error{Code: "22004", Message: "JSON value must not be null",
			Detail: `Exception was raised because null_value_treatment is "raise_exception".`,
			Hint:   "To avoid, either change the null_value_treatment argument or ensure that an SQL NULL is not passed."}
	case "use_json_null":
		return set("null")
	case "delete_key":
		j, err := jsonOf(args[0])
		if err != nil {
			return nil, true, err
		}
		path, err := jsonPath(args[1])
		if err != nil {
			return nil, true, err
		}
		return jsonbDeletePath(j, path)
	case "return_target":
		j, err := jsonOf(args[0])
		return j, true, err
	}
	return nil, true, errorf(CodeInvalidParameterValue, `null_value_treatment must be "delete_key", "return_target", "use_json_null", or "raise_exception"`)
}

// editJSON decodes the jsonb value j, lets edit change it, and encodes the result as jsonb.
func editJSON(j bson.RawValue, edit func(any) (any, error)) (any, error) {
	var target any
	if err := bson.UnmarshalValue(j.Type, j.Value, &target); err != nil {
		return nil, err
	}
	out, err := edit(target)
	if err != nil {
		return nil, err
	}
	t, data, err := bson.MarshalValue(out)
	return jsonbCanon(bson.RawValue{Type: t, Value: data}), err
}

// jsonbExists is jsonb_exists(j, key), the function form of ?, and jsonb_exists_any(j, keys) and
// jsonb_exists_all(j, keys), of ?| and ?& (a NULL among keys is no key): NULL when an argument is.
func jsonbExists(name string, args []any) (any, bool, error) {
	if len(args) != 2 {
		return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	if _, isJSON := args[0].(jsonText); isJSON {
		return nil, true, errorf(CodeUndefinedFunction, "function %s(json, %s) does not exist", name, TypeName(valueOID(args[1])))
	}
	if args[0] == nil || args[1] == nil {
		return nil, true, nil
	}
	if name == "jsonb_exists" {
		v, _, err := jsonOp("?", args[0], formatText(args[1]))
		return v, true, err
	}
	c, err := coerce(args[1], OIDTextArray)
	if err != nil {
		return nil, true, err
	}
	var keys []any
	for _, k := range c.([]any) {
		if k != nil {
			keys = append(keys, k)
		}
	}
	op := map[string]string{"jsonb_exists_any": "?|", "jsonb_exists_all": "?&"}[name]
	v, _, err := jsonOp(op, args[0], keys)
	return v, true, err
}

// jsonbInsert is jsonb_insert(target, path, new_value [, insert_after]): new_value put before (or after) the
// array element at path, or as the object key path names, which must not exist (22023); NULL when an argument
// is.
func jsonbInsert(args []any) (any, bool, error) {
	if len(args) < 3 || len(args) > 4 {
		return nil, true, errorf(CodeUndefinedFunction, "function jsonb_insert with %d arguments does not exist", len(args))
	}
	for _, a := range args {
		if a == nil {
			return nil, true, nil
		}
	}
	j, err := jsonOf(args[0])
	if err != nil {
		return nil, true, err
	}
	c, err := coerce(args[1], OIDTextArray)
	if err != nil {
		return nil, true, err
	}
	path := make([]string, 0, len(c.([]any)))
	for i, e := range c.([]any) {
		if e == nil {
			return nil, true, errorf("22004", "path element at position %d is null", i+1)
		}
		path = append(path, formatText(e))
	}
	nv, err := jsonOf(args[2])
	if err != nil {
		return nil, true, err
	}
	after := false
	if len(args) == 4 {
		b, err := coerce(args[3], OIDBool)
		if err != nil {
			return nil, true, err
		}
		after = b.(bool)
	}
	if j.Type != bson.TypeEmbeddedDocument && j.Type != bson.TypeArray {
		return nil, true, errorf(CodeInvalidParameterValue, "cannot set path in scalar")
	}
	if len(path) == 0 {
		return j, true, nil
	}
	out, err := editJSON(j, func(target any) (any, error) { return jsonInsert(target, path, 0, nv, after) })
	return out, true, err
}

// jsonInsert is jsonb_insert on a decoded value, as PostgreSQL's setPath inserts: at the path's last step an
// object takes a new key (an existing one is 22023), an array the value before its element at the index (after
// it with after), at its end for an index past the end and at its start for a negative one before the start; a
// step that finds nothing, or a scalar, leaves the value as it was.
func jsonInsert(target any, path []string, at int, nv bson.RawValue, after bool) (any, error) {
	last := at == len(path)-1
	switch t := target.(type) {
	case bson.D:
		out := make(bson.D, 0, len(t)+1)
		found := false
		for _, e := range t {
			if e.Key == path[at] && !found {
				found = true
				if last {
					return nil, &Error{Code: CodeInvalidParameterValue, Message: "cannot replace existing key",
						Hint: "Try using the function jsonb_set to replace key value."}
				}
				v, err := jsonInsert(e.Value, path, at+1, nv, after)
				if err != nil {
					return nil, err
				}
				e.Value = v
			}
			out = append(out, e)
		}
		if !found && last {
			out = append(out, bson.E{Key: path[at], Value: nv})
		}
		return out, nil
	case bson.A:
		i, err := strconv.Atoi(strings.TrimSpace(path[at]))
		if err != nil {
			return nil, errorf(CodeInvalidTextRep, "path element at position %d is not an integer: \"%s\"", at+1, path[at])
		}
		n := len(t)
		before := false // before the first element
		if i < 0 {
			if -i > n {
				before = true
			} else {
				i += n
			}
		}
		i = min(i, n)
		if !last {
			if before || i == n {
				return t, nil
			}
			out := append(bson.A{}, t...)
			v, err := jsonInsert(out[i], path, at+1, nv, after)
			if err != nil {
				return nil, err
			}
			out[i] = v
			return out, nil
		}
		switch {
		case before || n == 0:
			i = 0
		case after && i < n:
			i++
		}
		out := make(bson.A, 0, n+1)
		out = append(append(append(out, t[:i]...), nv), t[i:]...)
		return out, nil
	}
	return target, nil
}

// jsonSet is jsonb_set on a decoded value: the value at path[at:] replaced (or, when create, added as a
// document's last key or an array's element at an index past its end), the rest as it was. A path element that
// meets an array must be an integer (22P02).
func jsonSet(target any, path []string, at int, nv bson.RawValue, create bool) (any, error) {
	if at == len(path) {
		return nv, nil
	}
	switch t := target.(type) {
	case bson.D:
		out := make(bson.D, 0, len(t)+1)
		found := false
		for _, e := range t {
			if e.Key == path[at] {
				found = true
				v, err := jsonSet(e.Value, path, at+1, nv, create)
				if err != nil {
					return nil, err
				}
				e.Value = v
			}
			out = append(out, e)
		}
		if !found && create && at == len(path)-1 {
			out = append(out, bson.E{Key: path[at], Value: nv})
		}
		return out, nil
	case bson.A:
		i, err := strconv.Atoi(strings.TrimSpace(path[at]))
		if err != nil {
			return nil, errorf(CodeInvalidTextRep, "path element at position %d is not an integer: \"%s\"", at+1, path[at])
		}
		if i < 0 {
			i += len(t)
		}
		out := append(bson.A{}, t...)
		switch {
		case i >= 0 && i < len(out):
			v, err := jsonSet(out[i], path, at+1, nv, create)
			if err != nil {
				return nil, err
			}
			out[i] = v
		case create && at == len(path)-1 && i >= len(out):
			out = append(out, nv)
		case create && at == len(path)-1 && i < 0:
			out = append(bson.A{nv}, out...)
		}
		return out, nil
	}
	return target, nil
}

// jsonbCanon returns v with every object's keys in jsonb's order, as PostgreSQL stores jsonb: shorter keys first,
// keys of one length by their bytes, and a repeated key once, with its last value. Two equal jsonb values then
// have the same bytes, so the storage's equality, grouping and unique indexes agree with PostgreSQL's. A value
// already in that order is returned as it is.
func jsonbCanon(v bson.RawValue) bson.RawValue {
	if (v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray) || jsonbCanonical(v) {
		return v
	}
	return bson.RawValue{Type: v.Type, Value: canonContainer(v)}
}

// jsonbKeyLess is jsonb's order of object keys.
func jsonbKeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// jsonbCanonical reports whether v's objects, at every depth, have their keys in jsonb's order, each once.
func jsonbCanonical(v bson.RawValue) bool {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		elems, err := bson.Raw(v.Value).Elements()
		if err != nil {
			return true // not ours to mend
		}
		for i, e := range elems {
			if i > 0 && !jsonbKeyLess(elems[i-1].Key(), e.Key()) {
				return false
			}
			if !jsonbCanonical(e.Value()) {
				return false
			}
		}
	case bson.TypeArray:
		vals, err := bson.Raw(v.Value).Values()
		if err != nil {
			return true
		}
		for _, e := range vals {
			if !jsonbCanonical(e) {
				return false
			}
		}
	}
	return true
}

// canonContainer rebuilds a document or array with its objects in jsonb's order.
func canonContainer(v bson.RawValue) []byte {
	if v.Type == bson.TypeArray {
		vals, _ := bson.Raw(v.Value).Values()
		idx, out := bsoncore.AppendArrayStart(nil)
		for i, e := range vals {
			e = jsonbCanon(e)
			out = bsoncore.AppendValueElement(out, strconv.Itoa(i), bsoncore.Value{Type: bsoncore.Type(e.Type), Data: e.Value})
		}
		out, _ = bsoncore.AppendArrayEnd(out, idx)
		return out
	}
	elems, _ := bson.Raw(v.Value).Elements()
	type kv struct {
		k string
		v bson.RawValue
	}
	kvs := make([]kv, len(elems))
	for i, e := range elems {
		kvs[i] = kv{e.Key(), e.Value()}
	}
	sort.SliceStable(kvs, func(i, j int) bool { return jsonbKeyLess(kvs[i].k, kvs[j].k) })
	idx, out := bsoncore.AppendDocumentStart(nil)
	for i, e := range kvs {
		if i+1 < len(kvs) && kvs[i+1].k == e.k {
			continue // the last of a repeated key stands
		}
		ev := jsonbCanon(e.v)
		out = bsoncore.AppendValueElement(out, e.k, bsoncore.Value{Type: bsoncore.Type(ev.Type), Data: ev.Value})
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return out
}

// jsonbOp evaluates jsonb's ||, -, #-, @> and <@ when an operand is a jsonb value; ok is false otherwise (the
// operator is then text's, an array's or a number's).
func jsonbOp(op string, l, r any) (any, bool, error) {
	lj, lok := l.(bson.RawValue)
	rj, rok := r.(bson.RawValue)
	if lok && lj.Type == bson.TypeBinary || rok && rj.Type == bson.TypeBinary {
		return nil, false, nil
	}
	switch op {
	case "||", "@>", "<@":
		if !lok && !rok {
			return nil, false, nil
		}
	case "-", "#-":
		if !lok {
			return nil, false, nil
		}
	default:
		return nil, false, nil
	}
	if l == nil || r == nil {
		return nil, true, nil
	}
	var err error
	if !lok {
		if lj, err = jsonOf(l); err != nil {
			return nil, true, err
		}
	}
	switch op {
	case "-":
		return jsonbDelete(lj, r)
	case "#-":
		path, err := jsonPath(r)
		if err != nil {
			return nil, true, err
		}
		return jsonbDeletePath(lj, path)
	}
	if !rok {
		if rj, err = jsonOf(r); err != nil {
			return nil, true, err
		}
	}
	switch op {
	case "@>":
		return jsonbContains(lj, rj, true), true, nil
	case "<@":
		return jsonbContains(rj, lj, true), true, nil
	}
	return jsonbConcat(lj, rj)
}

// jsonbConcat is jsonb's ||: two objects merged (the right one's keys win), two arrays joined, and anything
// else joined as arrays, a non-array being an array of itself.
func jsonbConcat(l, r bson.RawValue) (any, bool, error) {
	if l.Type == bson.TypeEmbeddedDocument && r.Type == bson.TypeEmbeddedDocument {
		le, _ := bson.Raw(l.Value).Elements()
		re, _ := bson.Raw(r.Value).Elements()
		idx, out := bsoncore.AppendDocumentStart(nil)
		for _, e := range append(le, re...) {
			out = append(out, e...)
		}
		out, _ = bsoncore.AppendDocumentEnd(out, idx)
		return jsonbCanon(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}), true, nil
	}
	elems := func(v bson.RawValue) []bson.RawValue {
		if v.Type == bson.TypeArray {
			vals, _ := bson.Raw(v.Value).Values()
			return vals
		}
		return []bson.RawValue{v}
	}
	return jsonbArray(append(elems(l), elems(r)...)), true, nil
}

// jsonbArray makes a jsonb array of vals.
func jsonbArray(vals []bson.RawValue) bson.RawValue {
	idx, out := bsoncore.AppendArrayStart(nil)
	for i, e := range vals {
		out = bsoncore.AppendValueElement(out, strconv.Itoa(i), bsoncore.Value{Type: bsoncore.Type(e.Type), Data: e.Value})
	}
	out, _ = bsoncore.AppendArrayEnd(out, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: out}
}

// jsonbDelete is jsonb - key (an object's key, or an array's string elements equal to it), jsonb - keys (a text
// array) and jsonb - index (an array's element, negative from the end).
func jsonbDelete(j bson.RawValue, r any) (any, bool, error) {
	if j.Type != bson.TypeEmbeddedDocument && j.Type != bson.TypeArray {
		return nil, true, errorf(CodeInvalidParameterValue, "cannot delete from scalar")
	}
	if i, isInt := r.(int64); isInt {
		if j.Type == bson.TypeEmbeddedDocument {
			return nil, true, errorf(CodeInvalidParameterValue, "cannot delete from object using integer index")
		}
		vals, _ := bson.Raw(j.Value).Values()
		if i < 0 {
			i += int64(len(vals))
		}
		if i < 0 || i >= int64(len(vals)) {
			return j, true, nil
		}
		return jsonbArray(append(append([]bson.RawValue{}, vals[:i]...), vals[i+1:]...)), true, nil
	}
	var keys []string
	if arr, isArr := r.([]any); isArr {
		for _, k := range arr {
			if k != nil {
				keys = append(keys, formatText(k))
			}
		}
	} else {
		keys = []string{formatText(r)}
	}
	drop := func(k string) bool {
		for _, x := range keys {
			if x == k {
				return true
			}
		}
		return false
	}
	if j.Type == bson.TypeArray {
		vals, _ := bson.Raw(j.Value).Values()
		var kept []bson.RawValue
		for _, e := range vals {
			if s, isStr := e.StringValueOK(); !isStr || !drop(s) {
				kept = append(kept, e)
			}
		}
		return jsonbArray(kept), true, nil
	}
	elems, _ := bson.Raw(j.Value).Elements()
	idx, out := bsoncore.AppendDocumentStart(nil)
	for _, e := range elems {
		if !drop(e.Key()) {
			out = append(out, e...)
		}
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}, true, nil
}

// jsonbDeletePath is jsonb #- path: the element at path removed, the value unchanged when there is none.
func jsonbDeletePath(j bson.RawValue, path []string) (any, bool, error) {
	if j.Type != bson.TypeEmbeddedDocument && j.Type != bson.TypeArray {
		return nil, true, errorf(CodeInvalidParameterValue, "cannot delete path in scalar")
	}
	if len(path) == 0 {
		return j, true, nil
	}
	if j.Type == bson.TypeArray {
		i, err := strconv.Atoi(path[0])
		if err != nil {
			return nil, true, errorf(CodeInvalidTextRep, "path element at position 1 is not an integer: \"%s\"", path[0])
		}
		vals, _ := bson.Raw(j.Value).Values()
		if i < 0 {
			i += len(vals)
		}
		if i < 0 || i >= len(vals) {
			return j, true, nil
		}
		out := append([]bson.RawValue{}, vals...)
		if len(path) == 1 {
			return jsonbArray(append(out[:i], out[i+1:]...)), true, nil
		}
		if out[i].Type == bson.TypeEmbeddedDocument || out[i].Type == bson.TypeArray {
			sub, _, err := jsonbDeletePath(out[i], path[1:])
			if err != nil {
				return nil, true, err
			}
			out[i] = sub.(bson.RawValue)
		}
		return jsonbArray(out), true, nil
	}
	elems, _ := bson.Raw(j.Value).Elements()
	idx, out := bsoncore.AppendDocumentStart(nil)
	for _, e := range elems {
		switch {
		case e.Key() != path[0]:
			out = append(out, e...)
		case len(path) == 1:
		case e.Value().Type == bson.TypeEmbeddedDocument || e.Value().Type == bson.TypeArray:
			sub, _, err := jsonbDeletePath(e.Value(), path[1:])
			if err != nil {
				return nil, true, err
			}
			sv := sub.(bson.RawValue)
			out = bsoncore.AppendValueElement(out, e.Key(), bsoncore.Value{Type: bsoncore.Type(sv.Type), Data: sv.Value})
		default:
			out = append(out, e...)
		}
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}, true, nil
}

// jsonbContains is jsonb's @>: every key of an object in b is in a's object with a value containing b's, every
// element of an array in b is contained by an element of a's array, and scalars are equal. At the top (top) an
// array contains a scalar that is one of its elements.
func jsonbContains(a, b bson.RawValue, top bool) bool {
	switch {
	case a.Type == bson.TypeEmbeddedDocument && b.Type == bson.TypeEmbeddedDocument:
		be, _ := bson.Raw(b.Value).Elements()
		for _, e := range be {
			av, err := bson.Raw(a.Value).LookupErr(e.Key())
			if err != nil || !jsonbContains(av, e.Value(), false) {
				return false
			}
		}
		return true
	case a.Type == bson.TypeArray && b.Type == bson.TypeArray:
		avs, _ := bson.Raw(a.Value).Values()
		bvs, _ := bson.Raw(b.Value).Values()
		for _, bv := range bvs {
			found := false
			for _, av := range avs {
				if jsonbContains(av, bv, false) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	case a.Type == bson.TypeArray && top && b.Type != bson.TypeEmbeddedDocument:
		avs, _ := bson.Raw(a.Value).Values()
		for _, av := range avs {
			if jsonbScalarEqual(av, b) {
				return true
			}
		}
		return false
	}
	return jsonbScalarEqual(a, b)
}

// jsonbScalarEqual reports whether two jsonb scalars are equal: numbers by value (1 and 1.0 are one number).
func jsonbScalarEqual(a, b bson.RawValue) bool {
	if a.Type == bson.TypeEmbeddedDocument || a.Type == bson.TypeArray || b.Type == bson.TypeEmbeddedDocument || b.Type == bson.TypeArray {
		return false
	}
	if jsonbRank(a) == 2 && jsonbRank(b) == 2 { // two numbers, of any of the stored kinds
		c, ok := compare(fromBSON(a), fromBSON(b))
		return ok && c == 0
	}
	return a.Type == b.Type && string(a.Value) == string(b.Value)
}

// jsonNumber reads a jsonb number as a float64.
func jsonNumber(v bson.RawValue) (float64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32()), true
	case bson.TypeInt64:
		return float64(v.Int64()), true
	case bson.TypeDouble:
		return v.Double(), true
	}
	return 0, false
}

// jsonbCompare orders two jsonb values as PostgreSQL's jsonb btree does: null < strings < numbers < booleans <
// arrays < objects; arrays by length, then element by element; objects by their number of keys, then pair by pair
// in jsonb's key order, each key by its bytes and then its value; numbers by value, strings by their bytes.
func jsonbCompare(a, b bson.RawValue) int {
	// An empty array at the top sorts below every other value, null included (PostgreSQL's historical exception).
	if ea, eb := isEmptyArray(a), isEmptyArray(b); ea || eb {
		return cmp3(ea && !eb, eb && !ea)
	}
	return jsonbOrder(a, b)
}

// isEmptyArray reports whether v is the jsonb array [].
func isEmptyArray(v bson.RawValue) bool {
	return v.Type == bson.TypeArray && len(v.Value) == 5
}

// jsonbOrder is jsonbCompare below the top.
func jsonbOrder(a, b bson.RawValue) int {
	ra, rb := jsonbRank(a), jsonbRank(b)
	if ra != rb {
		return cmp3(ra < rb, ra > rb)
	}
	switch a.Type {
	case bson.TypeArray:
		av, _ := bson.Raw(a.Value).Values()
		bv, _ := bson.Raw(b.Value).Values()
		if len(av) != len(bv) {
			return cmp3(len(av) < len(bv), len(av) > len(bv))
		}
		for i := range av {
			if c := jsonbOrder(av[i], bv[i]); c != 0 {
				return c
			}
		}
		return 0
	case bson.TypeEmbeddedDocument:
		ae, _ := bson.Raw(jsonbCanon(a).Value).Elements()
		be, _ := bson.Raw(jsonbCanon(b).Value).Elements()
		if len(ae) != len(be) {
			return cmp3(len(ae) < len(be), len(ae) > len(be))
		}
		for i := range ae {
			if c := strings.Compare(ae[i].Key(), be[i].Key()); c != 0 {
				return c
			}
			if c := jsonbOrder(ae[i].Value(), be[i].Value()); c != 0 {
				return c
			}
		}
		return 0
	case bson.TypeString:
		return strings.Compare(a.StringValue(), b.StringValue())
	case bson.TypeBoolean:
		return cmp3(!a.Boolean() && b.Boolean(), a.Boolean() && !b.Boolean())
	case bson.TypeNull, 0, bson.TypeUndefined:
		return 0
	}
	if c, ok := compare(fromBSON(a), fromBSON(b)); ok {
		return c
	}
	return strings.Compare(formatJSON(a), formatJSON(b))
}

// jsonbRank is the place of a jsonb value's kind in jsonb's order.
func jsonbRank(v bson.RawValue) int {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return 0
	case bson.TypeString:
		return 1
	case bson.TypeBoolean:
		return 3
	case bson.TypeArray:
		return 4
	case bson.TypeEmbeddedDocument:
		return 5
	}
	return 2 // a number
}

// jsonbKind names a jsonb value's kind as PostgreSQL's cast errors do.
func jsonbKind(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return "object"
	case bson.TypeArray:
		return "array"
	case bson.TypeString:
		return "string"
	case bson.TypeBoolean:
		return "boolean"
	case 0, bson.TypeNull, bson.TypeUndefined:
		return "null"
	}
	return "numeric"
}

// stripNulls is jsonb_strip_nulls: v without the object fields whose value is null, at every depth (an array's
// nulls stay).
func stripNulls(v bson.RawValue) bson.RawValue {
	switch v.Type {
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		for i := range vals {
			vals[i] = stripNulls(vals[i])
		}
		return jsonbArray(vals)
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		idx, out := bsoncore.AppendDocumentStart(nil)
		for _, e := range elems {
			ev := e.Value()
			if ev.Type == bson.TypeNull {
				continue
			}
			ev = stripNulls(ev)
			out = bsoncore.AppendValueElement(out, e.Key(), bsoncore.Value{Type: bsoncore.Type(ev.Type), Data: ev.Value})
		}
		out, _ = bsoncore.AppendDocumentEnd(out, idx)
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}
	}
	return v
}

// jsonPretty writes jsonb_pretty's text of v: one element or field per line, indented by four spaces a level.
func jsonPretty(b *strings.Builder, v bson.RawValue, depth int) {
	var open, close byte
	var keys []string // an object's, beside vals
	var vals []bson.RawValue
	switch v.Type {
	case bson.TypeArray:
		open, close = '[', ']'
		vals, _ = v.Array().Values()
	case bson.TypeEmbeddedDocument:
		open, close = '{', '}'
		elems, _ := v.Document().Elements()
		for _, e := range elems {
			keys, vals = append(keys, e.Key()), append(vals, e.Value())
		}
	default:
		b.WriteString(formatJSON(v))
		return
	}
	b.WriteByte(open)
	for i, e := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n" + strings.Repeat("    ", depth+1))
		if keys != nil {
			b.WriteString(formatJSON(stringValue(keys[i])) + ": ")
		}
		jsonPretty(b, e, depth+1)
	}
	b.WriteString("\n" + strings.Repeat("    ", depth))
	b.WriteByte(close)
}

// stringValue is s as a JSON string value.
func stringValue(s string) bson.RawValue {
	t, data, _ := bson.MarshalValue(s)
	return bson.RawValue{Type: t, Value: data}
}
