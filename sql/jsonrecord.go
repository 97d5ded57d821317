package sql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// json_to_record, jsonb_to_record, json_to_recordset and jsonb_to_recordset in FROM, whose columns the column
// definition list names and types: SELECT * FROM json_to_record('{"a":1,"b":"x"}') AS t(a int, b text). Each
// column takes the value of the object's key of its name (the last one when the key repeats), NULL when there
// is none or it is null, read as PostgreSQL's populate_record reads it: a JSON string's contents or any other
// value's JSON text as the type's input, a JSON array as an array column's elements, the JSON text itself for a
// json or jsonb column.

//
// json_populate_record, jsonb_populate_record and their recordset twins take the columns from a table's row type
// instead, given as their first argument: SELECT * FROM jsonb_populate_recordset(NULL::users, $1), and INSERT INTO
// users SELECT * FROM ... with it, the usual way of writing rows that arrive as JSON. The base row is NULL (its
// columns' values where the object has no key): another base row is not supported.

// jsonRecordFuncs are the functions this file runs, each true when it returns a set of rows.
var jsonRecordFuncs = map[string]bool{"json_to_record": false, "jsonb_to_record": false,
	"json_to_recordset": true, "jsonb_to_recordset": true,
	"json_populate_record": false, "jsonb_populate_record": false,
	"json_populate_recordset": true, "jsonb_populate_recordset": true}

// jsonToRecord is one of jsonRecordFuncs in FROM.
func (x *exec) jsonToRecord(rf *pg.RangeFunction, f *pg.FuncCall, sc *scope) (*relation, error) {
	name := funcName(f)
	populate := strings.Contains(name, "_populate_")
	if populate {
		if len(rf.Coldeflist) > 0 {
			return nil, errorf(CodeSyntaxError, "a column definition list is only allowed for functions returning \"record\"")
		}
		if len(f.Args) != 2 {
			return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
		}
	} else if len(rf.Coldeflist) == 0 {
		return nil, errorf(CodeSyntaxError, "a column definition list is required for functions returning \"record\"")
	}
	if rf.Ordinality && !populate {
		return nil, &Error{Code: CodeSyntaxError, Message: "WITH ORDINALITY cannot be used with a column definition list",
			Hint: "Put the column definition list inside ROWS FROM()."}
	}
	if rf.Ordinality {
		return nil, unsupported("WITH ORDINALITY on " + name)
	}
	if !populate && len(f.Args) != 1 {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
	}
	qual := name
	if rf.Alias != nil {
		qual = rf.Alias.Aliasname
	}
	if populate {
		return x.populateRecord(f, qual, sc)
	}
	cols := make([]relCol, len(rf.Coldeflist))
	typmods := make([]int32, len(cols))
	for i, n := range rf.Coldeflist {
		cd := n.GetColumnDef()
		if cd == nil {
			return nil, unsupported("this column definition")
		}
		for _, c := range cols[:i] {
			if c.name == cd.Colname {
				return nil, errorf("42701", "column name \"%s\" specified more than once", cd.Colname)
			}
		}
		oid, err := x.resolveType(cd.TypeName)
		if err != nil {
			return nil, err
		}
		if typmods[i], err = typmodOf(cd.TypeName, oid); err != nil {
			return nil, err
		}
		cols[i] = relCol{qual: qual, name: cd.Colname, oid: oid}
	}
	return x.jsonRecords(name, f.Args[0], cols, typmods, sc)
}

// populateRecord is json[b]_populate_record[set](NULL::table, json) in FROM: the table's columns, as
// jsonRecords fills them.
func (x *exec) populateRecord(f *pg.FuncCall, qual string, sc *scope) (*relation, error) {
	tc := f.Args[0].GetTypeCast()
	if tc == nil || tc.Arg.GetAConst() == nil || !tc.Arg.GetAConst().Isnull {
		return nil, unsupported(funcName(f) + " with a base row other than NULL::table")
	}
	names := tc.TypeName.GetNames()
	if len(names) == 2 && names[0].GetString_().GetSval() == "public" {
		names = names[1:]
	}
	typeName := ""
	if len(names) == 1 {
		typeName = names[0].GetString_().GetSval()
	}
	missing := &Error{Code: CodeUndefinedObject, Message: fmt.Sprintf("type \"%s\" does not exist", typeName),
		Position: int(tc.TypeName.GetLocation()) + 1}
	if typeName == "" || len(tc.TypeName.ArrayBounds) > 0 {
		if _, err := x.resolveType(tc.TypeName); err == nil {
			return nil, errorf(CodeDatatypeMismatch, "first argument of %s must be a row type", funcName(f))
		}
		return nil, missing
	}
	t, err := x.lookupTable(typeName, 0)
	if err != nil || !t.declared {
		if _, terr := x.resolveType(tc.TypeName); terr == nil {
			return nil, errorf(CodeDatatypeMismatch, "first argument of %s must be a row type", funcName(f))
		}
		if err != nil && AsError(err).Code != CodeUndefinedTable {
			return nil, err
		}
		return nil, missing
	}
	cols := make([]relCol, len(t.Columns))
	typmods := make([]int32, len(cols))
	for i, c := range t.Columns {
		cols[i] = relCol{qual: qual, name: c.Name, oid: c.Type}
		typmods[i] = c.TypMod
	}
	return x.jsonRecords(funcName(f), f.Args[1], cols, typmods, sc)
}

// populatedRecord is json[b]_populate_record(NULL::table, json) as a value: the table's row that populateRecord
// makes.
func (x *exec) populatedRecord(f *pg.FuncCall, sc *scope) (any, error) {
	rel, err := x.populateRecord(f, "", sc)
	if err != nil || len(rel.rows) == 0 {
		return nil, err
	}
	r := record{names: make([]string, len(rel.cols)), vals: rel.rows[0], oids: make([]uint32, len(rel.cols))}
	if t := x.rowType(f.Args[0].GetTypeCast().GetTypeName()); t != nil { // populateRecord found it a table
		r.typ = t.Name
	}
	for i, c := range rel.cols {
		r.names[i], r.oids[i] = c.name, c.oid
	}
	return r, nil
}

// jsonRecords are the rows of one of jsonRecordFuncs over the JSON argument arg, in the columns cols.
func (x *exec) jsonRecords(name string, argNode *pg.Node, cols []relCol, typmods []int32, sc *scope) (*relation, error) {
	rel := &relation{cols: cols}
	if x.describe {
		return rel, nil
	}
	arg, err := x.eval(argNode, sc)
	if err != nil {
		return nil, err
	}
	if arg == nil {
		if !jsonRecordFuncs[name] {
			rel.rows = [][]any{make([]any, len(cols))} // one row of NULLs
		}
		return rel, nil
	}
	src, err := jsonRecordSource(name, arg)
	if err != nil {
		return nil, err
	}
	kind, parts, err := jsonSplit(src)
	if err != nil {
		return nil, err
	}
	objects := []string{src}
	if jsonRecordFuncs[name] {
		if kind != '[' {
			what := map[byte]string{'{': "an object"}[kind]
			if what == "" {
				what = "a scalar"
			}
			if strings.HasPrefix(name, "jsonb") {
				what = "a non-array"
			}
			return nil, errorf(CodeInvalidParameterValue, "cannot call %s on %s", name, what)
		}
		objects = nil
		for _, p := range parts {
			objects = append(objects, p.value)
		}
	} else if kind != '{' {
		what := "a scalar"
		if kind == '[' {
			what = "an array"
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot call populate_composite on %s", what)
	}
	for _, o := range objects {
		kind, fields, err := jsonSplit(o)
		if err != nil {
			return nil, err
		}
		if kind != '{' {
			return nil, errorf(CodeInvalidParameterValue, "argument of %s must be an array of objects", name)
		}
		byKey := make(map[string]string, len(fields))
		for _, p := range fields {
			byKey[p.key] = p.value // the last of a repeated key stands
		}
		row := make([]any, len(cols))
		for i, c := range cols {
			raw, ok := byKey[c.name]
			if !ok {
				continue
			}
			if row[i], err = jsonPopulate(raw, c.oid, typmods[i], c.name); err != nil {
				return nil, err
			}
		}
		rel.rows = append(rel.rows, row)
	}
	return rel, nil
}

// jsonRecordSource is the JSON text the function reads: a json argument's text as written, a jsonb argument's
// (or text read as jsonb's) as jsonb prints it.
func jsonRecordSource(name string, arg any) (string, error) {
	if !strings.HasPrefix(name, "jsonb") {
		return jsonSource(arg)
	}
	j, err := jsonOf(arg)
	if err != nil {
		return "", err
	}
	return formatJSON(jsonbCanon(j)), nil
}

// jsonPart is an object's key and value, or an array's element, the value as its JSON text.
type jsonPart struct {
	key   string
	value string
}

// jsonSplit reads a JSON text's outer value: its kind ('{', '[', or 0 for a scalar) and an object's fields or an
// array's elements, each value's text as written.
func jsonSplit(src string) (byte, []jsonPart, error) {
	bad := errorf(CodeInvalidTextRep, "invalid input syntax for type json")
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	t, err := d.Token()
	if err != nil {
		return 0, nil, bad
	}
	delim, ok := t.(json.Delim)
	if !ok {
		return 0, nil, nil
	}
	var parts []jsonPart
	for d.More() {
		var p jsonPart
		if delim == '{' {
			k, err := d.Token()
			if err != nil {
				return 0, nil, bad
			}
			p.key, _ = k.(string)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return 0, nil, bad
		}
		p.value = string(bytes.TrimSpace(raw))
		parts = append(parts, p)
	}
	return byte(delim), parts, nil
}

// jsonPopulate is a column's value of type oid (typmod applied) from its key's JSON text raw, as populate_record
// reads it.
func jsonPopulate(raw string, oid uint32, typmod int32, key string) (any, error) {
	switch {
	case raw == "null":
		return nil, nil
	case oid == OIDJSON:
		return jsonText(raw), nil
	case oid == OIDJSONB:
		return coerce(raw, OIDJSONB)
	}
	if elem := types[oid].elem; elem != 0 && strings.HasPrefix(raw, "[") {
		arr, _, err := jsonArrayValue(raw, elem, typmod, key)
		return arr, err
	} else if elem != 0 && !strings.HasPrefix(raw, `"`) {
		return nil, &Error{Code: CodeInvalidTextRep, Message: "expected JSON array", Hint: "See the value of key \"" + key + "\"."}
	}
	s := raw
	if strings.HasPrefix(raw, `"`) {
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return nil, errorf(CodeInvalidTextRep, "invalid input syntax for type json")
		}
	}
	v, err := coerce(s, oid)
	if err != nil {
		return nil, err
	}
	return applyTypmod(v, oid, typmod, false)
}

// jsonArrayValue is an array column's value from a JSON array: its elements of type elem, an array of arrays
// as one of several dimensions (whose sub-arrays must have one length, 22P02), and the array's depth.
func jsonArrayValue(raw string, elem uint32, typmod int32, key string) ([]any, int, error) {
	_, parts, err := jsonSplit(raw)
	if err != nil {
		return nil, 0, err
	}
	malformed := &Error{Code: CodeInvalidTextRep, Message: "malformed JSON array",
		Detail: "Multidimensional arrays must have sub-arrays with matching dimensions."}
	out := make([]any, len(parts))
	depth, width := -1, -1
	for i, p := range parts {
		d := 0
		if strings.HasPrefix(p.value, "[") && (i == 0 || depth > 0) {
			sub, sd, err := jsonArrayValue(p.value, elem, typmod, key)
			if err != nil {
				return nil, 0, err
			}
			if width >= 0 && len(sub) != width {
				return nil, 0, malformed
			}
			out[i], d, width = sub, sd, len(sub)
		} else if out[i], err = jsonPopulate(p.value, elem, typmod, key); err != nil {
			return nil, 0, err
		}
		if depth >= 0 && d != depth {
			return nil, 0, malformed
		}
		depth = d
	}
	return out, depth + 1, nil
}
