package expr

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the string operators: $concat, $toLower, $toUpper,
// $substr/$substrBytes/$substrCP, $strLenCP/$strLenBytes, $strcasecmp,
// $split and $trim/$ltrim/$rtrim.

// stringOp is a string operator over evaluated arguments.
type stringOp struct {
	op   string
	args []node
}

// compileStringOp returns a compiler checking the argument count (-1:
// any number).
func compileStringOp(n int) opCompiler {
	return func(op string, arg bson.RawValue, scope *Scope) (node, error) {
		args, err := compileN(op, arg, scope, n)
		if err != nil {
			return nil, err
		}
		return stringOp{op: op, args: args}, nil
	}
}

// eval implements node.
func (n stringOp) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$concat":
		var b strings.Builder
		for _, v := range vals {
			if value.IsNullish(v) {
				return value.Null, nil
			}
			s, ok := v.StringValueOK()
			if !ok {
				return bson.RawValue{}, codes.New(16702, "$concat only supports strings, not %s", value.TypeNameOf(v))
			}
			b.WriteString(s)
		}
		return value.String(b.String()), nil
	case "$toLower", "$toUpper":
		s, err := coerceToString(n.op, vals[0])
		if err != nil {
			return bson.RawValue{}, err
		}
		if n.op == "$toLower" {
			return value.String(asciiMap(s, 'A', 'Z', 'a'-'A')), nil
		}
		return value.String(asciiMap(s, 'a', 'z', 'A'-'a')), nil
	case "$substr", "$substrBytes":
		return substrBytes(vals)
	case "$substrCP":
		return substrCP(vals)
	case "$strLenCP", "$strLenBytes":
		s, ok := vals[0].StringValueOK()
		if !ok {
			return bson.RawValue{}, codes.New(map[string]codes.Code{"$strLenCP": 34471, "$strLenBytes": 34473}[n.op],
				"%s requires a string argument, found: %s", n.op, value.TypeNameOf(vals[0]))
		}
		if n.op == "$strLenCP" {
			return value.Int32(int32(utf8.RuneCountInString(s))), nil
		}
		return value.Int32(int32(len(s))), nil
	case "$strcasecmp":
		a, err := coerceToString(n.op, vals[0])
		if err != nil {
			return bson.RawValue{}, err
		}
		b, err := coerceToString(n.op, vals[1])
		if err != nil {
			return bson.RawValue{}, err
		}
		a, b = asciiMap(a, 'a', 'z', 'A'-'a'), asciiMap(b, 'a', 'z', 'A'-'a')
		return value.Int32(int32(strings.Compare(a, b))), nil
	}
	// $split
	if value.IsNullish(vals[0]) {
		return value.Null, nil
	}
	s, ok := vals[0].StringValueOK()
	if !ok {
		return bson.RawValue{}, codes.New(40085, "$split requires an expression that evaluates to a string as a first argument, found: %s", value.TypeNameOf(vals[0]))
	}
	sep, ok := vals[1].StringValueOK()
	if !ok {
		return bson.RawValue{}, codes.New(40086, "$split requires an expression that evaluates to a string as a second argument, found: %s", value.TypeNameOf(vals[1]))
	}
	if sep == "" {
		return bson.RawValue{}, codes.New(40087, "$split requires a non-empty separator")
	}
	parts := strings.Split(s, sep)
	out := make([]bson.RawValue, len(parts))
	for i, p := range parts {
		out[i] = value.String(p)
	}
	return value.Array(out), nil
}

// asciiMap shifts bytes in [lo, hi] by delta: MongoDB's $toLower and
// $toUpper only change ASCII letters.
func asciiMap(s string, lo, hi byte, delta int) string {
	b := []byte(s)
	for i, ch := range b {
		if ch >= lo && ch <= hi {
			b[i] = byte(int(ch) + delta)
		}
	}
	return string(b)
}

// coerceToString converts a value to a string as MongoDB's string
// operators do: null and missing become "", numbers, dates and timestamps
// are formatted, and anything else is an error (16007).
func coerceToString(op string, v bson.RawValue) (string, error) {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return "", nil
	case bson.TypeString:
		return v.StringValue(), nil
	case bson.TypeSymbol:
		s, _ := v.SymbolOK()
		return s, nil
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128, bson.TypeDateTime:
		return FormatScalar(v), nil
	case bson.TypeTimestamp:
		t, i, _ := v.TimestampOK()
		return "Timestamp(" + strconv.FormatUint(uint64(t), 10) + ", " + strconv.FormatUint(uint64(i), 10) + ")", nil
	}
	return "", codes.New(16007, "can't convert from BSON type %s to String", value.TypeNameOf(v))
}

// FormatScalar formats a number or date as MongoDB's $toString does.
func FormatScalar(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		n, _ := value.ToInt64(v)
		return strconv.FormatInt(n, 10)
	case bson.TypeDouble:
		f, _ := v.DoubleOK()
		return formatDouble(f)
	case bson.TypeDecimal128:
		d, _ := v.Decimal128OK()
		return d.String()
	case bson.TypeDateTime:
		ms, _ := v.DateTimeOK()
		return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	return v.String()
}

// formatDouble formats a double like MongoDB's Value::coerceToString
// (shortest round-trip form, exponent beyond 1e21, "NaN"/"Infinity").
func formatDouble(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	a := math.Abs(f)
	if a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// substrArg reads a $substr index or length.
func substrArg(op, what string, v bson.RawValue, code codes.Code) (int64, error) {
	if !value.IsNumber(v) {
		return 0, codes.New(code, "%s: %s must be a numeric type (is BSON type %s)", op, what, value.TypeNameOf(v))
	}
	f, _ := value.ToFloat(v)
	if math.IsNaN(f) {
		return 0, nil
	}
	if f > math.MaxInt64 {
		return math.MaxInt64, nil
	}
	if f < math.MinInt64 {
		return math.MinInt64, nil
	}
	return int64(f), nil
}

// substrBytes is $substr/$substrBytes: byte offsets that must not cut
// a UTF-8 character; a negative length means "to the end".
func substrBytes(vals []bson.RawValue) (bson.RawValue, error) {
	s, err := coerceToString("$substrBytes", vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	start, err := substrArg("$substrBytes", "starting index", vals[1], 16034)
	if err != nil {
		return bson.RawValue{}, err
	}
	length, err := substrArg("$substrBytes", "length", vals[2], 16035)
	if err != nil {
		return bson.RawValue{}, err
	}
	if start < 0 {
		return bson.RawValue{}, codes.New(50752, "$substrBytes: starting index must be non-negative (got: %d)", start)
	}
	if start >= int64(len(s)) {
		return value.String(""), nil
	}
	if !utf8.RuneStart(s[start]) {
		return bson.RawValue{}, codes.New(28656, "$substrBytes:  Invalid range, starting index is a UTF-8 continuation byte.")
	}
	end := int64(len(s))
	if length >= 0 && length < end-start {
		end = start + length
	}
	if end < int64(len(s)) && !utf8.RuneStart(s[end]) {
		return bson.RawValue{}, codes.New(28657, "$substrBytes:  Invalid range, ending index is in the middle of a UTF-8 character.")
	}
	return value.String(s[start:end]), nil
}

// substrCP is $substrCP: code point offsets.
func substrCP(vals []bson.RawValue) (bson.RawValue, error) {
	s, err := coerceToString("$substrCP", vals[0])
	if err != nil {
		return bson.RawValue{}, err
	}
	if !value.IsNumber(vals[1]) {
		return bson.RawValue{}, codes.New(34450, "$substrCP: starting index must be a numeric type (is BSON type %s)", value.TypeNameOf(vals[1]))
	}
	if !value.IsNumber(vals[2]) {
		return bson.RawValue{}, codes.New(34452, "$substrCP: length must be a numeric type (is BSON type %s)", value.TypeNameOf(vals[2]))
	}
	start, ok := ExactInt(vals[1])
	if !ok || start < math.MinInt32 || start > math.MaxInt32 {
		return bson.RawValue{}, codes.New(34451, "$substrCP: starting index cannot be represented as a 32-bit integral value")
	}
	length, ok := ExactInt(vals[2])
	if !ok || length < math.MinInt32 || length > math.MaxInt32 {
		return bson.RawValue{}, codes.New(34453, "$substrCP: length cannot be represented as a 32-bit integral value")
	}
	if start < 0 {
		return bson.RawValue{}, codes.New(34455, "$substrCP: the starting index must be nonnegative integer.")
	}
	if length < 0 {
		return bson.RawValue{}, codes.New(34454, "$substrCP: length must be a nonnegative integer.")
	}
	runes := []rune(s)
	if start >= int64(len(runes)) {
		return value.String(""), nil
	}
	end := min(int64(len(runes)), start+length)
	return value.String(string(runes[start:end])), nil
}
