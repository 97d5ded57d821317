package expr

import (
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the string operators that search and rewrite: the
// $trim family, $indexOfBytes / $indexOfCP, $replaceOne / $replaceAll
// and the regular expression operators.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/#string-expression-operators

// namedArgs compiles an operator's object argument {name: expr, ...}:
// required names must be present (missingCode), others may be, any other
// name fails with unknownCode, and a non-object with notObjCode.
func namedArgs(op string, arg bson.RawValue, scope *Scope, required, optional []string, notObjCode, unknownCode, missingCode codes.Code) (map[string]node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(notObjCode, "%s requires an object as an argument, found: %s", op, value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid %s: %v", op, err)
	}
	out := map[string]node{}
	for _, el := range elems {
		k := el.Key()
		if !contains(required, k) && !contains(optional, k) {
			return nil, codes.New(unknownCode, "%s found an unknown argument: %s", op, k)
		}
		if out[k], err = compile(el.Value(), scope); err != nil {
			return nil, err
		}
	}
	for _, k := range required {
		if _, ok := out[k]; !ok {
			return nil, codes.New(missingCode, "%s requires '%s' to be specified", op, k)
		}
	}
	return out, nil
}

// stringOf returns a string value's text, "" for a malformed one (the
// driver's Validate accepts a zero length prefix, which StringValue
// would panic on).
func stringOf(v bson.RawValue) string {
	s, _ := v.StringValueOK()
	return s
}

// contains reports whether s is in list.
func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// trim is $trim, $ltrim or $rtrim.
type trim struct {
	op          string
	left, right bool
	input       node
	chars       node // nil: whitespace
}

// compileTrim compiles {$trim: {input, chars}}.
func compileTrim(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := namedArgs(op, arg, scope, []string{"input"}, []string{"chars"}, 50696, 50694, 50695)
	if err != nil {
		return nil, err
	}
	return trim{op: op, left: op != "$rtrim", right: op != "$ltrim", input: args["input"], chars: args["chars"]}, nil
}

// trimWhitespace is what $trim removes without chars: the null character
// and Unicode's spaces, as MongoDB lists them.
const trimWhitespace = "\x00 \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"

// eval implements node: chars are code points, removed from the
// ends in any order.
func (n trim) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	chars := trimWhitespace
	if n.chars != nil {
		cv, err := n.chars.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if value.IsNullish(cv) {
			return value.Null, nil
		}
		if cv.Type != bson.TypeString {
			return bson.RawValue{}, codes.New(50700, "%s requires 'chars' to be a string, found: %s", n.op, value.TypeNameOf(cv))
		}
		chars = stringOf(cv)
	}
	if value.IsNullish(in) {
		return value.Null, nil
	}
	if in.Type != bson.TypeString {
		return bson.RawValue{}, codes.New(50699, "%s requires its input to be a string, got %s (of type %s) instead.", n.op, FormatScalar(in), value.TypeNameOf(in))
	}
	s := stringOf(in)
	if n.left {
		s = strings.TrimLeft(s, chars)
	}
	if n.right {
		s = strings.TrimRight(s, chars)
	}
	return value.String(s), nil
}

// indexOf is $indexOfBytes or $indexOfCP: [string, substring, start, end].
type indexOf struct {
	cp   bool
	op   string
	args []node
}

// compileIndexOf compiles $indexOfBytes and $indexOfCP (2 to 4 arguments).
func compileIndexOf(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || len(args) > 4 {
		return nil, codes.New(28667, "Expression %s takes at least 2 arguments, and at most 4, but %d were passed in.", op, len(args))
	}
	return indexOf{cp: op == "$indexOfCP", op: op, args: args}, nil
}

// eval implements node: the index of the first occurrence at or after
// start and ending at or before end, in bytes or code points, or -1.
func (n indexOf) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	strCode, subCode := codes.Code(40091), codes.Code(40092)
	if n.cp {
		strCode, subCode = 40093, 40094
	}
	if value.IsNullish(vals[0]) {
		return value.Null, nil
	}
	if vals[0].Type != bson.TypeString {
		return bson.RawValue{}, codes.New(strCode, "%s requires a string as the first argument, found: %s", n.op, value.TypeNameOf(vals[0]))
	}
	if vals[1].Type != bson.TypeString {
		return bson.RawValue{}, codes.New(subCode, "%s requires a string as the second argument, found: %s", n.op, value.TypeNameOf(vals[1]))
	}
	s, sub := stringOf(vals[0]), stringOf(vals[1])
	length := int64(len(s))
	if n.cp {
		length = int64(utf8.RuneCountInString(s))
	}
	start, end := int64(0), length
	for i, v := range vals[2:] {
		if !value.IsNumber(v) {
			return bson.RawValue{}, codes.New(40096, "%s requires an integral starting index, found a value of type: %s, with value: %s", n.op, value.TypeNameOf(v), FormatScalar(v))
		}
		x, ok := ExactInt(v)
		if !ok {
			return bson.RawValue{}, codes.New(40096, "%s requires an integral starting index, found a value of type: %s, with value: %s", n.op, value.TypeNameOf(v), FormatScalar(v))
		}
		if x < 0 {
			return bson.RawValue{}, codes.New(40097, "%s requires a nonnegative start index, found: %d", n.op, x)
		}
		if i == 0 {
			start = x
		} else {
			end = min(x, length)
		}
	}
	if start > end || start > length {
		return value.Int32(-1), nil
	}
	if !n.cp {
		if i := strings.Index(s[start:end], sub); i >= 0 {
			return value.Int32(int32(start) + int32(i)), nil
		}
		return value.Int32(-1), nil
	}
	runes := []rune(s)[start:end]
	window := string(runes)
	i := strings.Index(window, sub)
	if i < 0 {
		return value.Int32(-1), nil
	}
	return value.Int32(int32(start) + int32(utf8.RuneCountInString(window[:i]))), nil
}

// replace is $replaceOne or $replaceAll: {input, find, replacement}.
type replace struct {
	all                      bool
	op                       string
	input, find, replacement node
}

// compileReplace compiles $replaceOne and $replaceAll.
func compileReplace(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := namedArgs(op, arg, scope, []string{"input", "find", "replacement"}, nil, 51751, 51750, 51749)
	if err != nil {
		return nil, err
	}
	return replace{all: op == "$replaceAll", op: op, input: args["input"], find: args["find"], replacement: args["replacement"]}, nil
}

// eval implements node: every argument must be a string or null, and
// any null gives null.
func (n replace) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, []node{n.input, n.find, n.replacement})
	if err != nil {
		return bson.RawValue{}, err
	}
	for i, name := range []string{"input", "find", "replacement"} {
		if !value.IsNullish(vals[i]) && vals[i].Type != bson.TypeString {
			return bson.RawValue{}, codes.New(codes.Code(51746-i), "%s requires that '%s' be a string, found: %s", n.op, name, FormatScalar(vals[i]))
		}
	}
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
	}
	s, find, repl := stringOf(vals[0]), stringOf(vals[1]), stringOf(vals[2])
	if n.all {
		return value.String(strings.ReplaceAll(s, find, repl)), nil
	}
	return value.String(strings.Replace(s, find, repl, 1)), nil
}

// regexOp is $regexMatch, $regexFind or $regexFindAll:
// {input, regex, options}.
type regexOp struct {
	op                    string
	input, regex, options node
}

// compileRegexOp compiles the regular expression operators.
func compileRegexOp(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := namedArgs(op, arg, scope, []string{"input", "regex"}, []string{"options"}, 51103, 31024, 31022)
	if err != nil {
		return nil, err
	}
	return regexOp{op: op, input: args["input"], regex: args["regex"], options: args["options"]}, nil
}

// eval implements node. A null or missing input or regex gives false
// ($regexMatch), null ($regexFind) or [] ($regexFindAll). Options may
// come from a BSON regex or from options, not both (51107). Positions
// are code points.
func (n regexOp) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	rv, err := n.regex.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	var ov bson.RawValue
	if n.options != nil {
		if ov, err = n.options.eval(c); err != nil {
			return bson.RawValue{}, err
		}
	}
	if !value.IsNullish(in) && in.Type != bson.TypeString {
		return bson.RawValue{}, codes.New(51104, "%s needs 'input' to be of type string", n.op)
	}
	var pattern, options string
	switch rv.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
	case bson.TypeString:
		pattern = stringOf(rv)
	case bson.TypeRegex:
		p, o := value.CStrings(rv.Value)
		pattern, options = string(p), string(o)
	default:
		return bson.RawValue{}, codes.New(51105, "%s needs 'regex' to be of type string or regex", n.op)
	}
	switch ov.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
	case bson.TypeString:
		if options != "" {
			return bson.RawValue{}, codes.New(51107, "%s found regex option(s) specified in both 'regex' and 'option' fields", n.op)
		}
		options = stringOf(ov)
	default:
		return bson.RawValue{}, codes.New(51106, "%s needs 'options' to be of type string", n.op)
	}
	if value.IsNullish(in) || value.IsNullish(rv) {
		switch n.op {
		case "$regexMatch":
			return value.Bool(false), nil
		case "$regexFind":
			return value.Null, nil
		}
		return value.Array(nil), nil
	}
	re, err := value.CompileRegex(pattern, options)
	if err != nil {
		return bson.RawValue{}, err
	}
	s := stringOf(in)
	limit := func(err error) error {
		return codes.New(51156, "Error occurred while executing the regular expression in %s. Result code: %v", n.op, err)
	}
	switch n.op {
	case "$regexMatch":
		ok, err := re.MatchString(s)
		if err != nil {
			return bson.RawValue{}, limit(err)
		}
		return value.Bool(ok), nil
	case "$regexFind":
		m, err := re.FindSubmatchIndex(s)
		if err != nil {
			return bson.RawValue{}, limit(err)
		}
		if m == nil {
			return value.Null, nil
		}
		return regexMatchDoc(s, m), nil
	}
	all, err := re.FindAllSubmatchIndex(s)
	if err != nil {
		return bson.RawValue{}, limit(err)
	}
	var out []bson.RawValue
	for _, m := range all {
		out = append(out, regexMatchDoc(s, m))
	}
	return value.Array(out), nil
}

// regexMatchDoc is one match as $regexFind returns it: {match, idx,
// captures}, idx in code points, captures null where a group did not
// take part.
func regexMatchDoc(s string, m []int) bson.RawValue {
	captures := make([]bson.RawValue, 0, len(m)/2-1)
	for g := 1; g < len(m)/2; g++ {
		if m[2*g] < 0 {
			captures = append(captures, value.Null)
			continue
		}
		captures = append(captures, value.String(s[m[2*g]:m[2*g+1]]))
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	dst = bsoncore.AppendStringElement(dst, "match", s[m[0]:m[1]])
	dst = bsoncore.AppendInt32Element(dst, "idx", int32(utf8.RuneCountInString(s[:m[0]])))
	dst = value.AppendElem(dst, "captures", value.Array(captures))
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return value.Doc(dst)
}
