package sql

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The json type's values. PostgreSQL's json keeps its input as written ('{"b":1,"a":[1,2]}'::json prints just
// so, spaces, key order and repeated keys included), and its functions write their own layouts:
// json_build_object's {"a" : 1}, json_object_agg's { "a" : 1 }, json_agg's [1, 2], row_to_json's and
// array_to_json's {"f1":1} and [1,2] without spaces. A json value made by a cast or a function is therefore its
// text (jsonText); a json column stores the value as a document, as a jsonb column does, and reads back in
// jsonb's layout with its keys in their order.

// jsonText is a json value: its text, valid JSON.
type jsonText string

// jsonValue reads a json or jsonb value as a bson.RawValue, a json value's objects keeping their keys in their
// order; ok is false for any other value.
func jsonValue(v any) (bson.RawValue, bool) {
	switch x := v.(type) {
	case bson.RawValue:
		return x, true
	case jsonText:
		rv, err := toJSON(string(x), func() error { return errors.New("bad json") })
		if err != nil {
			return bson.RawValue{}, false
		}
		r, ok := rv.(bson.RawValue)
		return r, ok
	}
	return bson.RawValue{}, false
}

// jsonInput is text cast to json: the text itself once it reads as JSON.
func jsonInput(s string, bad func() error) (any, error) {
	if _, err := toJSON(s, bad); err != nil {
		return nil, err
	}
	return jsonText(s), nil
}

// jsonQuote is s as a JSON string, escaped as PostgreSQL's escape_json escapes it: \" \\ \b \f \n \r \t, other
// control characters as \u00XX, everything else as it is.
func jsonQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < ' ' {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// jsonTextOf is a value's JSON text as to_json writes it (PostgreSQL's datum_to_json): a number as its text
// (NaN and the infinities as strings), a boolean as true or false, a date or time as its ISO 8601 string (a
// timestamp with time zone in loc when loc is set), a json value as written, a jsonb value as jsonb prints it,
// a record as row_to_json and an array as array_to_json write them, anything else as the JSON string of its
// text. oid is the value's type when known (it tells a date from a timestamp), else 0.
func jsonTextOf(v any, oid uint32, loc *time.Location) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case jsonText:
		return string(x)
	case bson.RawValue:
		if x.Type == bson.TypeBinary {
			return jsonQuote(formatText(fromBSON(x)))
		}
		return formatJSON(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return jsonQuote(formatText(x))
		}
		return formatText(x)
	case *apd.Decimal:
		if x.Form != apd.Finite {
			return jsonQuote(decText(x))
		}
		return decText(x)
	case time.Time:
		if infinite(x) != 0 {
			return jsonQuote(formatText(x))
		}
		if oid == 0 {
			oid = OIDTimestamptz
		}
		if loc != nil && oid == OIDTimestamptz {
			x = x.In(loc)
		}
		return jsonQuote(jsonTime(x, oid))
	case record:
		return rowToJSON(x, false, loc)
	case []any:
		return arrayToJSON(x, types[oid].elem, false, loc)
	}
	return jsonQuote(formatText(v))
}

// rowToJSON is row_to_json of r: {"name":value,...} without spaces, or with pretty a line for each field after
// the first.
func rowToJSON(r record, pretty bool, loc *time.Location) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range r.names {
		if i > 0 {
			b.WriteByte(',')
			if pretty {
				b.WriteString("\n ")
			}
		}
		var oid uint32
		if i < len(r.oids) {
			oid = r.oids[i]
		}
		b.WriteString(jsonQuote(name))
		b.WriteByte(':')
		b.WriteString(jsonTextOf(r.vals[i], oid, loc))
	}
	b.WriteByte('}')
	return b.String()
}

// arrayToJSON is array_to_json of a (its elements of type elem, 0 when not known): [1,2] without spaces, an
// array of several dimensions as arrays within arrays, and with pretty a line for each element of the outer
// dimension after the first.
func arrayToJSON(a []any, elem uint32, pretty bool, loc *time.Location) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range a {
		if i > 0 {
			b.WriteByte(',')
			if pretty {
				b.WriteString("\n ")
			}
		}
		if sub, ok := e.([]any); ok {
			b.WriteString(arrayToJSON(sub, elem, false, loc))
			continue
		}
		b.WriteString(jsonTextOf(e, elem, loc))
	}
	b.WriteByte(']')
	return b.String()
}

// jsonSource is the JSON text of a json function's argument: a json value's text, text read as JSON (22P02 when
// it is not), a jsonb value as it prints.
func jsonSource(v any) (string, error) {
	switch x := v.(type) {
	case jsonText:
		return string(x), nil
	case string:
		if _, err := jsonInput(x, func() error {
			return errorf(CodeInvalidTextRep, "invalid input syntax for type json")
		}); err != nil {
			return "", err
		}
		return x, nil
	}
	return jsonTextOf(v, 0, nil), nil
}

// jsonStripNulls is json_strip_nulls of a JSON text: the object fields whose value is null left out at every
// depth (an array's nulls stay), written as PostgreSQL writes it, without spaces, numbers as written and strings
// escaped again.
func jsonStripNulls(src string) (string, error) {
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	var b bytes.Buffer
	var value func() error
	value = func() error {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case json.Delim:
			if t == '[' {
				b.WriteByte('[')
				for i := 0; d.More(); i++ {
					if i > 0 {
						b.WriteByte(',')
					}
					if err := value(); err != nil {
						return err
					}
				}
				_, err := d.Token()
				b.WriteByte(']')
				return err
			}
			b.WriteByte('{')
			n := 0
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				mark := b.Len()
				if n > 0 {
					b.WriteByte(',')
				}
				b.WriteString(jsonQuote(k.(string)))
				b.WriteByte(':')
				at := b.Len()
				if err := value(); err != nil {
					return err
				}
				if b.Len()-at == 4 && string(b.Bytes()[at:]) == "null" {
					b.Truncate(mark)
					continue
				}
				n++
			}
			_, err := d.Token()
			b.WriteByte('}')
			return err
		case nil:
			b.WriteString("null")
		case string:
			b.WriteString(jsonQuote(t))
		case json.Number:
			b.WriteString(string(t))
		case bool:
			b.WriteString(strconv.FormatBool(t))
		}
		return nil
	}
	if err := value(); err != nil {
		return "", errorf(CodeInvalidTextRep, "invalid input syntax for type json")
	}
	if _, err := d.Token(); err != io.EOF {
		return "", errorf(CodeInvalidTextRep, "invalid input syntax for type json")
	}
	return b.String(), nil
}

// jsonCall runs the functions that make json text and need their arguments' types: to_json, row_to_json,
// array_to_json, json_build_array and json_build_object; ok is false for any other.
func (x *exec) jsonCall(f *pg.FuncCall, name string, args []any, sc *scope) (v any, ok bool, err error) {
	switch name {
	case "to_json", "row_to_json", "array_to_json":
		v, err := x.toJSONFunc(f, name, args, sc)
		return v, true, err
	case "json_build_array":
		return x.jsonBuild(f, nil, args, sc), true, nil
	case "json_build_object":
		j, err := x.scalarFunc(name, f, args) // its checks of the arguments, and its keys in their order
		if err != nil {
			return nil, true, err
		}
		d, _ := bson.Raw(j.(bson.RawValue).Value).Elements()
		keys := make(bson.D, len(d))
		for i, e := range d {
			keys[i].Key = e.Key()
		}
		return x.jsonBuild(f, keys, args, sc), true, nil
	}
	return nil, false, nil
}

// argType is the type of f's argument i, 0 when f has no such argument.
func (x *exec) argType(f *pg.FuncCall, i int, sc *scope) uint32 {
	if i >= len(f.Args) {
		return 0
	}
	return x.typeOf(f.Args[i], sc)
}

// toJSONFunc runs to_json, row_to_json and array_to_json (args evaluated from f's): NULL for a NULL argument, a
// record or an array written without spaces, or with pretty (the second argument of the last two) a line for
// each field or outer element after the first.
func (x *exec) toJSONFunc(f *pg.FuncCall, name string, args []any, sc *scope) (any, error) {
	hi := 2
	if name == "to_json" {
		hi = 1
	}
	if len(args) < 1 || len(args) > hi {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	oid := x.argType(f, 0, sc)
	switch name {
	case "row_to_json":
		switch args[0].(type) {
		case record, bson.RawValue, nil:
		default:
			return nil, errorf(CodeUndefinedFunction, "function row_to_json(%s) does not exist", TypeName(oid))
		}
	case "array_to_json":
		if c := f.Args[0].GetAConst(); c != nil && c.GetSval() != nil {
			return nil, errorf(CodeDatatypeMismatch, "could not determine polymorphic type because input has type unknown")
		}
		if _, ok := args[0].([]any); !ok && args[0] != nil || args[0] == nil && !isArrayType(oid) && oid != 0 {
			return nil, errorf(CodeUndefinedFunction, "function array_to_json(%s) does not exist", TypeName(oid))
		}
	}
	for _, a := range args {
		if a == nil {
			return nil, nil
		}
	}
	pretty := len(args) == 2 && asBool(args[1]) == true
	switch v := args[0].(type) {
	case record:
		return jsonText(rowToJSON(v, pretty, x.zone())), nil
	case []any:
		elem := types[oid].elem
		if ae := f.Args[0].GetAArrayExpr(); elem == 0 && ae != nil {
			elem = x.firstType(ae.Elements, sc) // an array of a type with no array type here (date)
		}
		return jsonText(arrayToJSON(v, elem, pretty, x.zone())), nil
	}
	return jsonText(jsonTextOf(args[0], oid, x.zone())), nil
}

// jsonBuild is json_build_object (d holding its keys) or, d nil, json_build_array of args: {"a" : 1, "b" : 2}
// and [1, 2], as PostgreSQL spaces them.
func (x *exec) jsonBuild(f *pg.FuncCall, d bson.D, args []any, sc *scope) jsonText {
	var b strings.Builder
	if d == nil {
		b.WriteByte('[')
		for i, a := range args {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsonTextOf(a, x.argType(f, i, sc), x.zone()))
		}
		b.WriteByte(']')
		return jsonText(b.String())
	}
	b.WriteByte('{')
	for i, e := range d {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(jsonQuote(e.Key))
		b.WriteString(" : ")
		b.WriteString(jsonTextOf(args[2*i+1], x.argType(f, 2*i+1, sc), x.zone()))
	}
	b.WriteByte('}')
	return jsonText(b.String())
}

// jsonAgg is json_agg of vals: [1, 2], a record or array element after the first (not a NULL) on a line of its
// own, as PostgreSQL writes it.
func (x *exec) jsonAgg(f *pg.FuncCall, vals []any, sc *scope) jsonText {
	oid := x.argType(f, 0, sc)
	structured := isArrayType(oid) || oid == OIDRecord
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
			switch v.(type) {
			case nil: // a NULL is written on the same line
			case record, []any:
				b.WriteString("\n ")
			default:
				if structured {
					b.WriteString("\n ")
				}
			}
		}
		b.WriteString(jsonTextOf(v, oid, x.zone()))
	}
	b.WriteByte(']')
	return jsonText(b.String())
}

// jsonObjectAgg is json_object_agg of its key and value pairs: { "a" : 1, "b" : 2 }, as PostgreSQL writes it.
func (x *exec) jsonObjectAgg(f *pg.FuncCall, vals []any, sc *scope) jsonText {
	oid := x.argType(f, 1, sc)
	var b strings.Builder
	b.WriteString("{ ")
	for i, p := range vals {
		pair := p.([2]any)
		if i > 0 {
			b.WriteString(", ")
		}
		key := formatText(pair[0])
		if k, isBool := pair[0].(bool); isBool {
			key = strconv.FormatBool(k)
		}
		b.WriteString(jsonQuote(key))
		b.WriteString(" : ")
		b.WriteString(jsonTextOf(pair[1], oid, x.zone()))
	}
	b.WriteString(" }")
	return jsonText(b.String())
}

// jsonDecode reads a JSON text as jsonb holds it: objects as documents (keys in their order, repeated ones kept,
// for the caller to order), arrays, strings, booleans and null as themselves, and numbers exactly, as PostgreSQL's
// numeric: an integer as int32 or int64 when it fits, any other number as a decimal128 with its places (1.50
// stays 1.50; one of more than 34 significant digits is rounded to 34, as a numeric column's). Keys beginning with
// $ are plain keys, never MongoDB's extended JSON.
func jsonDecode(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var value func() (any, error)
	value = func() (any, error) {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '[':
				arr := bson.A{}
				for d.More() {
					v, err := value()
					if err != nil {
						return nil, err
					}
					arr = append(arr, v)
				}
				_, err := d.Token()
				return arr, err
			case '{':
				doc := bson.D{}
				for d.More() {
					k, err := d.Token()
					if err != nil {
						return nil, err
					}
					key, ok := k.(string)
					if !ok {
						return nil, errors.New("an object key is not a string")
					}
					v, err := value()
					if err != nil {
						return nil, err
					}
					doc = append(doc, bson.E{Key: key, Value: v})
				}
				_, err := d.Token()
				return doc, err
			}
			return nil, errors.New("unexpected " + t.String())
		case json.Number:
			return jsonbNumber(string(t))
		}
		return t, nil // a string, a boolean or nil
	}
	v, err := value()
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("more after the JSON value")
	}
	return v, nil
}

// jsonbNumber is a JSON number as jsonb stores it (jsonDecode).
func jsonbNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n >= math.MinInt32 && n <= math.MaxInt32 {
				return int32(n), nil
			}
			return n, nil
		}
	}
	d, ok := parseDecimal(s)
	if !ok {
		return nil, errors.New("not a number: " + s)
	}
	return decToBSON(jsonDec(d))
}

// jsonDec is a numeric as a jsonb number keeps it: a zero without its sign (-0.0 reads as 0.0, as in PostgreSQL).
func jsonDec(d *apd.Decimal) *apd.Decimal {
	if d.IsZero() && d.Negative {
		return new(apd.Decimal).Abs(d)
	}
	return d
}
