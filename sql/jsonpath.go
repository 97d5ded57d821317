package sql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/theory/sqljson/path"
	pathexec "github.com/theory/sqljson/path/exec"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The jsonpath type and its functions: jsonb_path_exists, jsonb_path_match, jsonb_path_query (set-returning),
// jsonb_path_query_array, jsonb_path_query_first (and their _tz forms), and the operators jsonb @? jsonpath and
// jsonb @@ jsonpath. The SQL/JSON path language is github.com/theory/sqljson's port of PostgreSQL's: its parser,
// its executor (lax and strict modes, filters, item methods, variables), its error texts. Concord converts the
// values, names the errors with PostgreSQL's SQLSTATEs, and writes a path as PostgreSQL's jsonpath_out does.

// OIDJSONPath and OIDJSONPathArray are PostgreSQL's jsonpath and jsonpath[] types.
const (
	OIDJSONPath      uint32 = 4072
	OIDJSONPathArray uint32 = 4073
)

// jsonPathValue is a value of type jsonpath: the parsed path.
type jsonPathValue struct{ p *path.Path }

// String is the path as PostgreSQL prints it ($."a"[*]?(@ > 1)).
func (j jsonPathValue) String() string { return j.p.String() }

// parseJSONPath reads jsonpath input, with PostgreSQL's 42601 for a path that does not parse.
func parseJSONPath(s string) (jsonPathValue, error) {
	p, err := path.Parse(s)
	if err != nil {
		return jsonPathValue{}, jsonPathSyntaxError(s, err)
	}
	return jsonPathValue{p}, nil
}

// parserPosition reads the line and column of the parser's "syntax error at L:C".
var parserPosition = regexp.MustCompile(`syntax error at (\d+):(\d+)`)

// jsonPathSyntaxError words a parse failure as PostgreSQL does: "syntax error at end of jsonpath input", or at or
// near the character where the parser stopped; the parser's own text for the others (@ is not allowed in root
// expressions), which are PostgreSQL's too.
func jsonPathSyntaxError(s string, err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, "path: "), "parser: ")
	if m := parserPosition.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		lines := strings.Split(s, "\n")
		if line >= 1 && line <= len(lines) {
			rest := []rune(lines[line-1])
			if col-1 >= len(rest) && line == len(lines) || strings.TrimSpace(string(rest[min(col-1, len(rest)):])) == "" && line == len(lines) {
				msg = "syntax error at end of jsonpath input"
			} else if col-1 < len(rest) {
				// The parser's column is one past the token PostgreSQL's names.
				msg = fmt.Sprintf("syntax error at or near \"%c\" of jsonpath input", rest[max(col-2, 0)])
			}
		}
	}
	if strings.Contains(msg, "error parsing regexp") {
		return errorf(CodeInvalidRegularExpression, "invalid regular expression: %s", msg)
	}
	return errorf(CodeSyntaxError, "%s", msg)
}

// jsonPathInput converts a value to jsonpath: text by parseJSONPath.
func jsonPathInput(v any) (any, error) {
	switch x := v.(type) {
	case jsonPathValue:
		return x, nil
	case string:
		return parseJSONPath(x)
	}
	return nil, errorf(CodeCannotCoerce, "cannot cast type %s to jsonpath", TypeName(valueOID(v)))
}

// jsonPathCodes are the SQLSTATEs of PostgreSQL's jsonpath execution errors, by a part of their text.
var jsonPathCodes = []struct{ text, code string }{
	{"JSON object does not contain key", "2203A"},
	{"jsonpath member accessor can only be applied to an object", "2203A"},
	{"wildcard member accessor can only be applied to an object", "2203C"},
	{"keyvalue() can only be applied to an object", "2203C"},
	{"jsonpath array subscript is", "22033"},
	{"jsonpath array accessor can only be applied to an array", "22039"},
	{"wildcard array accessor can only be applied to an array", "22039"},
	{"division by zero", "22012"},
	{"is not a single numeric value", "22038"},
	{"single boolean result is expected", "22038"},
	{"could not find jsonpath variable", "42704"},
	{"can only be applied to a numeric value", "22036"},
	{"of jsonpath item method", "22036"},
	{"datetime format is not recognized", "22007"},
	{"can only be applied to a string", "22036"},
	{`"vars" argument is not an object`, "22023"},
}

// jsonPathError is an execution error with PostgreSQL's SQLSTATE.
func jsonPathError(err error) error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	msg := err.Error()
	msg = strings.TrimPrefix(strings.TrimPrefix(msg, "path: "), "exec: ")
	for _, c := range jsonPathCodes {
		if strings.Contains(msg, c.text) {
			return errorf(c.code, "%s", msg)
		}
	}
	return errorf("22000", "%s", msg)
}

// pathJSON is a jsonb value as the path executor reads it: objects as maps, arrays as slices, numbers as
// json.Number (exact), strings, booleans and nil.
func pathJSON(v bson.RawValue) any {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		m := make(map[string]any, len(elems))
		for _, e := range elems {
			m[e.Key()] = pathJSON(e.Value())
		}
		return m
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		out := make([]any, len(vals))
		for i, e := range vals {
			out[i] = pathJSON(e)
		}
		return out
	case bson.TypeString:
		return v.StringValue()
	case bson.TypeBoolean:
		return v.Boolean()
	case bson.TypeNull, bson.TypeUndefined, 0:
		return nil
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		return json.Number(formatText(v)) // jsonb's text of the number, exact
	}
	return formatText(fromBSON(v)) // any other BSON value reads as its text, as in jsonb's text
}

// pathResult is a value the path executor returned, as jsonb.
func pathResult(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errorf("22000", "cannot return the jsonpath item %v: %v", v, err)
	}
	return coerce(string(b), OIDJSONB)
}

// jsonPathArgs reads a jsonpath function's arguments: the target, the path, the vars (an object, '{}' by
// default) and silent (false by default). null is false when an argument is NULL (the functions are strict).
func jsonPathArgs(name string, args []any) (target any, p jsonPathValue, opts []pathexec.Option, null bool, err error) {
	if len(args) < 2 || len(args) > 4 {
		return nil, p, nil, false, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	for _, a := range args {
		if a == nil {
			return nil, p, nil, true, nil
		}
	}
	j, err := jsonOf(args[0])
	if err != nil {
		return nil, p, nil, false, err
	}
	pv, err := jsonPathInput(args[1])
	if err != nil {
		return nil, p, nil, false, err
	}
	p = pv.(jsonPathValue)
	if len(args) > 2 {
		vars, err := jsonOf(args[2])
		if err != nil {
			return nil, p, nil, false, err
		}
		m, ok := pathJSON(vars).(map[string]any)
		if !ok {
			return nil, p, nil, false, &Error{Code: CodeInvalidParameterValue, Message: `"vars" argument is not an object`,
				Detail: `Jsonpath parameters should be encoded as key-value pairs of "vars" object.`}
		}
		opts = append(opts, pathexec.WithVars(pathexec.Vars(m)))
	}
	if len(args) > 3 && asBool(args[3]) == true {
		opts = append(opts, pathexec.WithSilent())
	}
	if strings.HasSuffix(name, "_tz") {
		opts = append(opts, pathexec.WithTZ())
	}
	return pathJSON(j), p, opts, false, nil
}

// jsonPathFunc evaluates the scalar jsonpath functions; ok is false for any other name.
func jsonPathFunc(ctx context.Context, name string, args []any) (any, bool, error) {
	base := strings.TrimSuffix(name, "_tz")
	switch base {
	case "jsonb_path_exists", "jsonb_path_match", "jsonb_path_query_array", "jsonb_path_query_first":
	default:
		return nil, false, nil
	}
	target, p, opts, null, err := jsonPathArgs(name, args)
	if err != nil || null {
		return nil, true, err
	}
	switch base {
	case "jsonb_path_exists", "jsonb_path_match":
		v, err := pathBool(ctx, p, base == "jsonb_path_exists", target, opts...)
		return v, true, err
	case "jsonb_path_query_first":
		res, err := p.p.Query(ctx, target, opts...)
		if err != nil {
			return nil, true, jsonPathError(err)
		}
		items, _ := res.([]any)
		if len(items) == 0 {
			return nil, true, nil
		}
		v, err := pathResult(items[0])
		return v, true, err
	}
	res, err := p.p.Query(ctx, target, opts...)
	if err != nil {
		return nil, true, jsonPathError(err)
	}
	items, _ := res.([]any)
	if items == nil {
		items = []any{}
	}
	v, err := pathResult(items)
	return v, true, err
}

// jsonPathQuery is jsonb_path_query's rows: the items the path selects, each a jsonb value.
func jsonPathQuery(ctx context.Context, name string, args []any) ([]any, error) {
	target, p, opts, null, err := jsonPathArgs(name, args)
	if err != nil || null {
		return nil, err
	}
	res, err := p.p.Query(ctx, target, opts...)
	if err != nil {
		return nil, jsonPathError(err)
	}
	items, _ := res.([]any)
	out := make([]any, len(items))
	for i, it := range items {
		if out[i], err = pathResult(it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// jsonPathOp evaluates jsonb @? jsonpath (does the path select an item) and jsonb @@ jsonpath (the path's
// predicate's result), silent as PostgreSQL's: a missing key, an item of the wrong type or a numeric or datetime
// error is no item, and an unknown result NULL.
func jsonPathOp(op string, l, r any) (any, error) {
	if l == nil || r == nil {
		return nil, nil
	}
	j, err := jsonOf(l)
	if err != nil {
		return nil, err
	}
	pv, err := jsonPathInput(r)
	if err != nil {
		return nil, err
	}
	return pathBool(context.Background(), pv.(jsonPathValue), op == "@?", pathJSON(j), pathexec.WithSilent())
}

// pathBool runs a path's existence check (exists) or its predicate over target, as a SQL boolean: NULL when the
// result is unknown.
func pathBool(ctx context.Context, p jsonPathValue, exists bool, target any, opts ...pathexec.Option) (any, error) {
	check := p.p.Match
	if exists {
		check = p.p.Exists
	}
	ok, err := check(ctx, target, opts...)
	if errors.Is(err, pathexec.NULL) {
		return nil, nil
	}
	if err != nil {
		return nil, jsonPathError(err)
	}
	return ok, nil
}
